"""Title rules (crawler/titles.py) on a table of real-looking titles from url-patterns.md §4."""
import pytest

from crawler import titles

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
