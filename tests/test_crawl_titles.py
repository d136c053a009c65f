"""Title rules (extract/titles.py, re-exported as crawler/titles.py) on a table of
real-looking titles from url-patterns.md §4, and the cases where the crawler's and the
extractor's former rule sets disagreed, each decided here."""
import pytest

import crawler.titles
from crawler import titles
from extract import meta
from extract import titles as shared
from extract.document import Document, Paragraph

REPORTS = [
    ("洛阳市洛龙区商务局2019年政府信息公开工作年度报告", 2019, "洛阳市洛龙区商务局"),
    ("洛阳市洛龙区人民政府办公室2022年政府信息公开工作年度报告", 2022, "洛阳市洛龙区人民政府办公室"),
    ("孟津区人民政府办公室 2023 年政府信息公开工作年度报告", 2023, "孟津区人民政府办公室"),
    ("政府办公室2021年政府信息公开工作年度报告", 2021, "政府办公室"),
    ("市文化广电和旅游局2020年政府信息公开工作年度报告", 2020, "市文化广电和旅游局"),
    ("桐柏县城郊乡人民政府2025年政府信息公开工作年度报告", 2025, "桐柏县城郊乡人民政府"),
    ("邓州市张楼乡2023年政府信息公开工作年度报告", 2023, "邓州市张楼乡"),
    ("周口市2020年政府信息公开工作年度报告", 2020, "周口市"),
    ("河南省2018年政府信息公开工作年度报告", 2018, "河南省"),
    ("2009年武陟县政府信息公开工作年度报告", 2009, "武陟县"),
    ("金水区发展改革和统计局2014年度政府信息公开年度报告", 2014, "金水区发展改革和统计局"),
    ("襄城区欧庙镇2024年政府信息公开年度工作报告", 2024, "襄城区欧庙镇"),
    ("2025湖口县大垅乡2025年度政府信息公开工作年度报告", 2025, "湖口县大垅乡"),
    ("兰州新区经济合作局关于2023年政府信息公开工作年度报告", 2023, "兰州新区经济合作局"),
    ("衡南县人民政府办公室2022年政府信息\n公开年度报告", 2022, "衡南县人民政府办公室"),
    ("上海市黄浦区人民政府2023年政府信息公开工作年度报告（超链版）.pdf", 2023, "上海市黄浦区人民政府"),
    ("县委机构编制委员会办公室2022年政府信息公开工作年度报告", 2022, "县委机构编制委员会办公室"),
    ("2022年政府信息公开工作年度报告", 2022, None),
    ("宛城区民政局2025年政府信息公开年报", 2025, "宛城区民政局"),
]

NOT_REPORTS = [
    "关于做好2023年政府信息公开工作年度报告编制发布工作的通知",
    "图解：洛龙区2022年政府信息公开工作年度报告",
    "《2022年政府信息公开工作年度报告》解读",
    "洛龙区2023年法治政府建设年度报告",
    "关于开展政务公开专项检查的通知",
    "政府信息公开指南",
    "2023年部门预算公开",
    "",
    None,
]


@pytest.mark.parametrize("text,year,agency", REPORTS)
def test_report_titles(text, year, agency):
    r = titles.parse_report_title(text)
    assert r is not None, text
    assert (r.year, r.agency) == (year, agency)
    assert "\n" not in r.title and not r.title.endswith(".pdf")


@pytest.mark.parametrize("text", NOT_REPORTS)
def test_not_reports(text):
    assert not titles.is_report_title(text)


@pytest.mark.parametrize("text,column", [
    ("政府信息公开年报", True), ("政府信息公开年度报告", True), ("信息公开年报", True),
    ("年度报告", True), ("年报", True), ("政府信息公开工作年度报告", True),
    ("政府信息公开指南", False), ("政府信息公开制度", False), ("通知公告", False),
    ("洛龙区2022年政府信息公开工作年度报告", False), ("年报解读", False),
])
def test_report_columns(text, column):
    assert titles.is_report_column(text) is column


@pytest.mark.parametrize("text,hub", [
    ("政府信息公开", True), ("政务公开", True), ("政府信息公开平台", True), ("法定主动公开内容", True),
    ("新闻中心", False), ("首页", False), ("办事服务", False),
])
def test_hubs(text, hub):
    assert titles.is_hub(text) is hub


@pytest.mark.parametrize("text,sub", [
    ("2023年", True), ("2021", True), ("部门年报", True), ("乡镇年报", True), ("部门年度报告", True),
    ("下一页", False), ("洛龙区2022年政府信息公开工作年度报告", False), ("政府信息公开年报编制说明会的通知", False),
])
def test_sub_columns(text, sub):
    assert titles.is_sub_column(text) is sub


def test_next_page():
    assert titles.is_next_page(" 下一页 ") and not titles.is_next_page("上一页")


def test_one_set_of_rules():
    """The crawler's module is the extractor's module, not a copy."""
    for name in ("parse_report_title", "is_report_title", "is_report_column", "is_sub_column", "is_hub",
                 "is_next_page", "normalize"):
        assert getattr(crawler.titles, name) is getattr(shared, name)
    assert meta.looks_like_report_title("洛阳市洛龙区商务局2019年政府信息公开工作年度报告")


# Titles the crawler's former rules (crawler/titles.py) and the extractor's former rules
# (extract/meta.py: _REPORT_WORDS, _NOT_REPORT_TITLE) judged differently, or that the
# merge changed, with the decision: (text, crawler: is_report_title, extractor:
# looks_like_report_title, why).
DECIDED = [
    # the extractor took any 年度报告 / 工作报告 / 年报: not a 政府信息公开 report
    ("洛龙区2023年法治政府建设年度报告", False, False, "another statutory report"),
    ("2023年政府工作报告", False, False, "the government work report"),
    ("洛龙区2023年度工作报告", False, False, "a work summary"),
    ("洛龙区2023年年报", False, False, "which 年报? nothing names 信息公开"),
    ("年度报告", False, False, "a column name, not a title"),
    # the extractor looked only at the ending for 图解 / 一图读懂: an infographic is not the report
    ("图解：洛龙区2022年政府信息公开工作年度报告", False, False, "图解 anywhere"),
    ("一图读懂洛龙区2022年政府信息公开工作年度报告", False, False, "一图读懂 anywhere"),
    # the crawler did not read the extractor's endings: a notice / reply about the report
    ("洛龙区2023年政府信息公开工作年度报告公示", False, False, "ends with 公示"),
    ("关于洛龙区2023年政府信息公开工作年度报告的公告", False, False, "ends with 公告"),
    ("洛龙区关于报送2023年政府信息公开工作年度报告的函", False, False, "关于报送, ends with 函"),
    ("政府信息公开年报编制指南", False, False, "指南 is excluded"),
    ("邓州市张楼乡2023年12月政府信息公开月报", False, False, "a monthly report"),
    # the crawler required Arabic digits: Chinese-digit years are read now (二〇二二 → 2022)
    ("二〇二二年政府信息公开工作年度报告", True, True, "Chinese-digit year"),
    ("洛阳市洛龙区人民政府二〇二二年政府信息公开工作年度报告", True, True, "Chinese-digit year"),
    # the crawler wanted 政府/政务 + 信息公开: 政务公开 + an annual kind names the same report
    ("洛龙区2023年政务公开工作年度报告", True, True, "政务公开 + 年度报告"),
    ("洛龙区2023年政务公开工作报告", False, False, "政务公开 + 工作报告 is a work summary"),
    # a list's category tag in front: the crawler saw 通知 in 【通知公告】 and skipped a report
    ("【通知公告】洛龙区2023年政府信息公开工作年度报告", True, True, "category tag dropped"),
    # no year in the title: not a link worth following as a report (the crawler needs the
    # year; as link text it is a column), but a document titled so is a report whose year
    # the extractor reads from 统计期限
    ("政府信息公开工作年度报告", False, True, "yearless document title"),
    ("洛龙区政府信息公开工作年度报告", False, True, "yearless document title"),
    ("政府信息公开年报", False, True, "yearless document title"),
    # reports began in 2008: a link dated earlier is not followed; a document may say so
    ("2007年洛龙区政府信息公开工作年度报告", False, True, "before the 条例"),
]


@pytest.mark.parametrize("text,crawler_says,extractor_says,why", DECIDED)
def test_decided_disagreements(text, crawler_says, extractor_says, why):
    assert titles.is_report_title(text) is crawler_says, why
    assert meta.looks_like_report_title(text) is extractor_says, why


@pytest.mark.parametrize("text,year,agency", [
    ("二〇二二年政府信息公开工作年度报告", 2022, None),
    ("洛阳市洛龙区人民政府二〇二二年政府信息公开工作年度报告", 2022, "洛阳市洛龙区人民政府"),
    ("洛龙区2023年政务公开工作年度报告", 2023, "洛龙区"),
    ("【通知公告】洛龙区2023年政府信息公开工作年度报告", 2023, "洛龙区"),
    ("市2023年政府信息公开工作年度报告", 2023, None),  # one character names no body
])
def test_new_report_forms(text, year, agency):
    r = titles.parse_report_title(text)
    assert (r.year, r.agency) == (year, agency)


@pytest.mark.parametrize("title,year,agency", [
    ("2025湖口县大垅乡2025年度政府信息公开工作年度报告", 2025, "湖口县大垅乡"),  # was 2025湖口县大垅乡
    ("洛龙区政府信息公开工作年度报告", None, "洛龙区"),  # was the whole title
    ("2009年武陟县政府信息公开工作年度报告", 2009, "武陟县"),
    ("兰州新区经济合作局关于2023年政府信息公开工作年度报告", 2023, "兰州新区经济合作局"),
    ("二〇二二年洛阳市洛龙区人民政府政府信息公开工作年度报告", 2022, "洛阳市洛龙区人民政府"),
    ("政府信息公开工作年度报告", None, None),
    ("年度报告", None, None),
])
def test_extractor_year_and_agency_of_a_title(title, year, agency):
    doc = Document(blocks=[])
    assert meta.find_year(title, doc, None) == year
    assert meta.find_agency(title) == agency


def test_extractor_title_prefers_a_report_title_with_its_year():
    # the page's <title> and a breadcrumb name the column; the report title comes after
    doc = Document(blocks=[Paragraph("首页 > 政府信息公开平台 > 政府信息公开年报"),
                           Paragraph("宛城区民政局2025年政府信息公开工作年度报告"), Paragraph("一、总体情况")],
                   title="政府信息公开年报_宛城区人民政府")
    assert meta.find_title(doc) == "宛城区民政局2025年政府信息公开工作年度报告"
    # a title broken over two lines (衡南, url-patterns.md §4) joins up
    doc = Document(blocks=[Paragraph("衡南县人民政府办公室2022年政府信息"), Paragraph("公开年度报告"),
                           Paragraph("本报告根据《条例》编制。")], title="衡南县人民政府")
    assert meta.find_title(doc) == "衡南县人民政府办公室2022年政府信息公开年度报告"
    # no year anywhere: the line naming the report
    doc = Document(blocks=[Paragraph("政府信息公开工作年度报告"), Paragraph("一、总体情况")])
    assert meta.find_title(doc) == "政府信息公开工作年度报告"


@pytest.mark.parametrize("text,column", [
    ("政府信息公开年报编制指南", False), ("信息公开月报", False), ("政务公开年报", True), ("年度工作报告", True),
    # the newly accepted report forms are article titles, not columns
    ("洛龙区2023年政务公开工作年度报告", False), ("二〇二二年政府信息公开工作年度报告", False),
    ("【通知公告】洛龙区2023年政府信息公开工作年度报告", False),
])
def test_more_report_columns(text, column):
    assert titles.is_report_column(text) is column
