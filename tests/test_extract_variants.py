"""Report shapes beyond the five samples: the matcher must not fit only them."""
from __future__ import annotations

import pytest

from extract.api import extract_bytes
from extract.errors import NotAReport
from extract.labels import normalize, parse_number
from extract.templates import T2019, T2021

APP_ROWS_2021 = [
    ("一、本年新收政府信息公开申请数量", [10, 2, 0, 0, 1, 0, 13]),
    ("二、上年结转政府信息公开申请数量", [1, 0, 0, 0, 0, 0, 1]),
    ("三、本年度办理结果\t（一）予以公开", [4, 1, 0, 0, 1, 0, 6]),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", [1, 0, 0, 0, 0, 0, 1]),
    ("（三）不予公开\t1．属于国家秘密", [0] * 7),
    ("2．其他法律行政法规禁止公开", [0] * 7),
    ("3．危及“三安全一稳定”", [0] * 7),
    ("4．保护第三方合法权益", [1, 0, 0, 0, 0, 0, 1]),
    ("5．属于三类内部事务信息", [0] * 7),
    ("6．属于四类过程性信息", [0] * 7),
    ("7．属于行政执法案卷", [0] * 7),
    ("8．属于行政查询事项", [0] * 7),
    ("（四）无法提供\t1．本机关不掌握相关政府信息", [3, 1, 0, 0, 0, 0, 4]),
    ("2．没有现成信息需要另行制作", [0] * 7),
    ("3．补正后申请内容仍不明确", [0] * 7),
    ("（五）不予处理\t1．信访举报投诉类申请", [1, 0, 0, 0, 0, 0, 1]),
    ("2．重复申请", [0] * 7),
    ("3．要求提供公开出版物", [0] * 7),
    ("4．无正当理由大量反复申请", [0] * 7),
    ("5．要求行政机关确认或重新出具已获取信息", [0] * 7),
    ("（六）其他处理\t1．申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", [0] * 7),
    ("2．申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", [0] * 7),
    ("3．其他", [0] * 7),
    ("（七）总计", [10, 2, 0, 0, 1, 0, 13]),
    ("四、结转下年度继续办理", [1, 0, 0, 0, 0, 0, 1]),
]
EXPECTED_2021 = dict(zip(T2021.applications.row_keys, [v for _, v in APP_ROWS_2021]))

REVIEW_ROW = [1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]


def report_2021(apps_rows=APP_ROWS_2021, sep="\t", year=2023, reviews=None, title=None) -> str:
    title = title or f"洛阳市西工区发展和改革委员会{year}年政府信息公开工作年度报告"
    apps = "\n".join(label.replace("\t", sep) + sep + sep.join(map(str, vals)) for label, vals in apps_rows)
    reviews = reviews or (
        "行政复议\t\t\t\t\t行政诉讼\n"
        "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\n"
        + "\t".join(map(str, REVIEW_ROW))
    )
    return f"""{title}
一、总体情况
本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。我委坚持以公开为常态。
二、主动公开政府信息情况
第二十条第（一）项
信息内容{sep}本年制发件数{sep}本年废止件数{sep}现行有效件数
规章{sep}0{sep}0{sep}0
行政规范性文件{sep}3{sep}1{sep}1,204
第二十条第（五）项
信息内容{sep}本年处理决定数量
行政许可{sep}1,532
第二十条第（六）项
行政处罚{sep}无
行政强制{sep}—
第二十条第（八）项
信息内容{sep}本年收费金额（单位：万元）
行政事业性收费{sep}12.3456
三、收到和处理政府信息公开申请情况
（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）{sep}申请人情况
{sep}自然人{sep}法人或其他组织{sep}{sep}{sep}{sep}{sep}总计
{sep}{sep}商业企业{sep}科研机构{sep}社会公益组织{sep}法律服务机构{sep}其他
{apps}
四、政府信息公开行政复议、行政诉讼情况
{reviews}
五、存在的主要问题及改进情况
一是公开质量有待提高。
六、其他需要报告的事项
本年度未收取信息处理费。
"""


def extract_text(text: str, **kw) -> dict:
    return extract_bytes(text.encode("utf-8"), **kw)


def test_numbers_as_printed():
    assert parse_number("1,234") == 1234
    assert parse_number("0.0000") == 0
    assert parse_number("12.3456") == 12.3456
    assert parse_number("１２") == 12
    for blank in ("", "无", "/", "-", "—", "－"):
        assert parse_number(blank) == 0
    assert parse_number("5件") == 5
    assert parse_number("-2") == -2
    assert parse_number("属于国家秘密") is None
    assert normalize("（三） 不 予 公 开") == "(三)不予公开"


@pytest.mark.parametrize("sep", ["\t", "  ", " | "])
def test_2021_report_in_tab_space_and_pipe_layouts(sep):
    rec = extract_text(report_2021(sep=sep))
    assert rec["template"] == "2021"
    assert rec["year"] == 2023
    assert rec["agency"] == "洛阳市西工区发展和改革委员会"
    assert rec["region_code"] == "410303"
    cols = T2021.applications.column_keys
    assert {k: [v[c] for c in cols] for k, v in rec["applications"].items()} == EXPECTED_2021
    ad = rec["active_disclosure"]
    assert ad["normative_documents"] == {"issued": 3, "repealed": 1, "in_force": 1204}
    assert ad["licensing"] == {"decisions": 1532}
    assert ad["penalty"] == {"decisions": 0} and ad["coercion"] == {"decisions": 0}
    assert ad["fees"] == {"amount": 12.3456}
    assert rec["reviews"]["reconsideration"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 1, "total": 2}
    assert rec["reviews"]["litigation_direct"]["total"] == 1
    assert all(c["ok"] for c in rec["checks"]), rec["checks"]


def test_labels_without_numbering_with_spaces_and_half_width():
    rows = []
    for label, vals in APP_ROWS_2021:
        label = label.split("\t")[-1]
        label = label.lstrip("一二三四、（）()1234567890．.")  # numbering lost
        label = " ".join(label)  # spaces inside labels, as PDF text often has
        rows.append((label, vals))
    rec = extract_text(report_2021(apps_rows=rows))
    cols = T2021.applications.column_keys
    assert {k: [v[c] for c in cols] for k, v in rec["applications"].items()} == EXPECTED_2021


def test_garbled_label_falls_back_to_numbering():
    rows = list(APP_ROWS_2021)
    rows[13] = ("2．没有现成信息须另外制作", [2, 0, 0, 0, 0, 0, 2])  # reworded label
    rows[12] = ("（四）无法提供\t1．本机关不掌握相关政府信息", [1, 1, 0, 0, 0, 0, 2])
    rec = extract_text(report_2021(apps_rows=rows))
    assert rec["applications"]["unable_need_creation"]["total"] == 2
    assert rec["applications"]["unable_no_info"]["total"] == 2


def test_inconsistent_numbers_stay_as_printed_and_the_right_check_fails():
    rows = list(APP_ROWS_2021)
    rows[-1] = ("四、结转下年度继续办理", [2, 0, 0, 0, 0, 0, 2])  # breaks 勾稽关系 only
    rec = extract_text(report_2021(apps_rows=rows))
    assert rec["applications"]["carried_forward"]["total"] == 2
    ok = {c["name"]: c for c in rec["checks"]}
    assert not ok["balance"]["ok"]
    assert "natural_person: 10 + 1 ≠ 10 + 2" in ok["balance"]["detail"]
    assert ok["row_totals"]["ok"] and ok["result_total"]["ok"] and ok["review_totals"]["ok"]

    rows = list(APP_ROWS_2021)
    rows[2] = ("三、本年度办理结果\t（一）予以公开", [4, 1, 0, 0, 1, 0, 7])  # row total wrong
    rec = extract_text(report_2021(apps_rows=rows))
    ok = {c["name"]: c for c in rec["checks"]}
    assert not ok["row_totals"]["ok"] and "granted: 4 + 1 + 0 + 0 + 1 + 0 = 6 ≠ 7" in ok["row_totals"]["detail"]
    assert not ok["result_total"]["ok"]


def test_transposed_review_table():
    reviews = (
        "\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n"
        "行政复议\t1\t0\t0\t1\t2\n"
        "行政诉讼（未经复议直接起诉）\t0\t1\t0\t0\t1\n"
        "行政诉讼（复议后起诉）\t0\t0\t0\t0\t0"
    )
    rec = extract_text(report_2021(reviews=reviews))
    assert rec["reviews"]["reconsideration"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 1, "total": 2}
    assert rec["reviews"]["litigation_direct"] == {"upheld": 0, "corrected": 1, "other": 0, "pending": 0, "total": 1}


def test_2019_template_report():
    rows_2019 = [r for r in APP_ROWS_2021 if not r[0].startswith(("（六）", "2．申请人", "3．其他"))]
    rows_2019.insert(20, ("（六）其他处理", [0, 0, 0, 0, 0, 0, 0]))
    text = report_2021(apps_rows=rows_2019, year=2020)
    part2_2019 = """二、主动公开政府信息情况
第二十条第（一）项
信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量
规章\t0\t0\t0
规范性文件\t2\t2\t31
第二十条第（五）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政许可\t12\t-2\t340
其他对外管理服务事项\t3\t0\t5
第二十条第（六）项
行政处罚\t4\t+1\t27
行政强制\t0\t0\t0
第二十条第（八）项
信息内容\t上一年项目数量\t本年增/减
行政事业性收费\t2\t0
第二十条第（九）项
信息内容\t采购项目数量\t采购总金额
政府集中采购\t6\t150.5
"""
    start = text.index("二、主动公开政府信息情况")
    end = text.index("三、收到和处理政府信息公开申请情况")
    rec = extract_text(text[:start] + part2_2019 + text[end:])
    assert rec["template"] == "2019" and rec["year"] == 2020
    assert set(rec["applications"]) == set(T2019.applications.row_keys)
    assert rec["applications"]["other"]["total"] == 0
    ad = rec["active_disclosure"]
    assert ad["licensing"] == {"previous_items": 12, "change": -2, "decisions": 340}
    assert ad["other_services"] == {"previous_items": 3, "change": 0, "decisions": 5}
    assert ad["penalty"] == {"previous_items": 4, "change": 1, "decisions": 27}
    assert ad["fees"] == {"previous_items": 2, "change": 0}
    assert ad["procurement"] == {"projects": 6, "amount": 150.5}
    assert ad["normative_documents"] == {"new_made": 2, "new_published": 2, "total_published": 31}
    assert all(c["ok"] for c in rec["checks"]), rec["checks"]


def test_absent_table_is_null_never_zeros():
    text = report_2021()
    start = text.index("三、收到和处理政府信息公开申请情况")
    end = text.index("四、政府信息公开行政复议、行政诉讼情况")
    rec = extract_text(text[:start] + text[end:])
    assert rec["applications"] is None
    ok = {c["name"]: c for c in rec["checks"]}
    assert not ok["completeness"]["ok"] and "part 3" in ok["completeness"]["detail"]
    assert not ok["balance"]["ok"] and "not evaluated" in ok["balance"]["detail"]
    assert ok["review_totals"]["ok"]


def test_region_code_hint_and_year_from_period():
    text = report_2021(title="政府信息公开工作年度报告")
    rec = extract_text(text, region_code="410322")
    assert rec["year"] == 2023  # from 统计期限
    assert rec["region_code"] == "410322"


def test_legacy_report_keeps_narrative_only():
    text = """郑州市中原区人民政府2015年政府信息公开工作年度报告
一、概述
2015年，我区认真贯彻《条例》。
二、主动公开政府信息情况
全年主动公开政府信息1200条。
三、依申请公开政府信息情况
全年受理申请15件。
四、存在的主要问题及改进措施
公开深度不够。
"""
    rec = extract_text(text)
    assert rec["template"] == "legacy" and rec["year"] == 2015
    assert rec["applications"] is None and rec["active_disclosure"] is None
    assert rec["region_code"] == "410102"
    assert rec["sections"]["overview"].startswith("2015年")


def test_notice_about_reports_is_not_a_report():
    text = """关于做好2023年政府信息公开工作年度报告编制发布工作的通知
各县（市、区）人民政府，市人民政府各部门：
现将有关事项通知如下，请于1月31日前发布年度报告。
"""
    with pytest.raises(NotAReport):
        extract_text(text)


def test_label_broken_over_two_lines_numbers_on_the_second():
    rows = []
    for label, vals in APP_ROWS_2021:
        if label.startswith("2．申请人逾期"):
            rows.append(("2．申请人逾期未按收费通知要求", ["", "", "", "", "", "", ""]))
            rows.append(("缴纳费用、行政机关不再处理", [0] * 7))
        elif label.startswith("5．属于三类"):
            rows.append(("5．属于三类内部", ["", "", "", "", "", "", ""]))
            rows.append(("事务信息", [0] * 7))
        else:
            rows.append((label, vals))
    text = report_2021(apps_rows=rows).replace("\t\t\t\t\t\t\t\n", "\n")
    rec = extract_text(text)
    cols = T2021.applications.column_keys
    assert {k: [v[c] for c in cols] for k, v in rec["applications"].items()} == EXPECTED_2021


def test_region_hint_does_not_override_the_unit_the_title_names():
    text = report_2021(title="灵宝市大数据管理局2023年政府信息公开工作年度报告")
    rec = extract_text(text, region_code="410311")  # found on another portal
    assert (rec["region_code"], rec["agency"]) == ("411282", "三门峡市灵宝市大数据管理局")
    rec = extract_text(report_2021(title="区大数据管理局2023年政府信息公开工作年度报告"), region_code="410311")
    assert rec["region_code"] == "410311"  # the title names no place: the hint fills in
