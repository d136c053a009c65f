"""Title rules: is this link an annual report, which year, which agency; is it a report column.

Every crawler decision that reads a title or a link text lives here, so it can be
tested on a table of real titles (tests/test_crawl_titles.py).  The patterns follow
../shared/henan/url-patterns.md §4: agency first or year first, 年度 / 年, 工作 optional,
年度报告 / 年度工作报告 / 年报, 关于, spaces around the year, a title broken across
lines, file names with 「（超链版）」.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = re.compile(r"[\s\u3000\u00a0]+")
_FILE_EXT = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|html?|shtml|jpg|jpeg|png)$", re.I)

# year + 政府信息公开 + 年度报告/年报, tolerant of the odd forms.
_REPORT = re.compile(
    r"(?P<agency>.*?)(?:关于)?(?P<year>(?:19|20)\d{2})年?度?"
    r"(?:政府|政务)?信息公开(?:工作)?(?:年度(?:工作)?报告|年报|工作报告|报告)"
)
# year first: 2009年武陟县政府信息公开工作年度报告
_YEAR_FIRST = re.compile(
    r"^(?P<year>(?:19|20)\d{2})年?度?(?P<agency>[^\d]*?)(?:关于)?"
    r"(?:政府|政务)?信息公开(?:工作)?(?:年度(?:工作)?报告|年报|工作报告|报告)"
)
# Articles that mention reports but are not reports.
_NOT_REPORT = re.compile(r"解读|图解|通知|关于报送|关于做好|关于印发|征集|政策问答|发布会|一图读懂|说明会")

# Link texts of a report column (listing) and of the hubs that lead to it.
_COLUMN = re.compile(
    r"(?:政府|政务)?信息公开(?:工作)?(?:年度(?:工作)?报告|年报)|年度报告|年报"
)
_SUB_COLUMN = re.compile(r"^(?:(?:19|20)\d{2}年?度?|部门|乡镇|街道|县区|区县|市直|政府|本级)")
_HUB = re.compile(r"政府信息公开|政务公开|信息公开|公开平台|政府公开|信息公开目录|法定主动公开")

_MIN_YEAR, _MAX_YEAR = 2008, 2100


@dataclass(frozen=True)
class ReportTitle:
    """A title recognised as an annual report."""

    title: str  # whitespace-normalised title (file extension and 超链版 dropped)
    year: int  # the covered year
    agency: str | None  # the publishing body as printed, None when the title has none


def normalize(text: str | None) -> str:
    """Collapse whitespace (a title broken across lines joins up) and drop file decorations."""
    if not text:
        return ""
    t = _SPACE.sub("", text)
    t = _FILE_EXT.sub("", t)
    t = re.sub(r"[（(]超链版[）)]", "", t)
    return t.strip(" -_|>·")


def parse_report_title(text: str | None) -> ReportTitle | None:
    """Return the report's year and agency if ``text`` names an annual report, else None.

    >>> parse_report_title("洛阳市洛龙区商务局2019年政府信息公开工作年度报告").year
    2019
    >>> parse_report_title("关于2023年政府信息公开工作年度报告的解读") is None
    True
    """
    t = normalize(text)
    if not t or _NOT_REPORT.search(t):
        return None
    m = _YEAR_FIRST.search(t) or _REPORT.search(t)
    if not m:
        return None
    year = int(m.group("year"))
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    agency = (m.group("agency") or "").strip(" ：:、，,")
    # "2025湖口县大垅乡2025年度…": a stray leading year belongs to neither field.
    agency = re.sub(r"^(?:19|20)\d{2}年?", "", agency).strip()
    agency = re.sub(r"关于$", "", agency)
    return ReportTitle(title=t, year=year, agency=agency or None)


def is_report_title(text: str | None) -> bool:
    """True when ``text`` is the title of an annual report (not a 解读, not a 通知)."""
    return parse_report_title(text) is not None


def is_report_column(text: str | None) -> bool:
    """True for the link text of a report column: 政府信息公开年报, 年度报告, 年报…

    An article title (with a year and an agency) is not a column.
    """
    t = normalize(text)
    if not t or len(t) > 20 or _NOT_REPORT.search(t):
        return False
    if re.search(r"(?:19|20)\d{2}年?(?:政府)?信息公开", t):  # that is an article title
        return False
    return bool(_COLUMN.search(t))


def is_sub_column(text: str | None) -> bool:
    """True for links inside a report column to its sub-columns: 2023年, 部门年报, 乡镇年报…"""
    t = normalize(text)
    if not t or len(t) > 16 or is_report_title(t) or _NOT_REPORT.search(t):
        return False
    if re.fullmatch(r"(?:19|20)\d{2}年?度?", t):
        return True
    return bool(_SUB_COLUMN.search(t) and _COLUMN.search(t))


def is_hub(text: str | None) -> bool:
    """True for navigation links that may lead to the report column (政府信息公开, 政务公开…)."""
    t = normalize(text)
    return bool(t) and len(t) <= 16 and bool(_HUB.search(t)) and not is_report_title(t)


def is_next_page(text: str | None) -> bool:
    """True for the link text of a 下一页 link."""
    t = normalize(text)
    return t in {"下一页", "下页", "后一页", ">", "›", "»", "下一页>", "下一页»", "Next", "next"}
