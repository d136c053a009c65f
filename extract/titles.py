"""Title rules, one set for the crawler and the extractor.

The crawler asks of a link text: is it an annual report (which year, which body), a
report column, a sub-column, a navigation hub, a 下一页 link?  The extractor asks of a
document: which of its first lines is the title, does that title name a report, which
body and year does it name?  Both read the patterns below, built from the data lists
(../shared/henan/url-patterns.md §4 for the forms seen):

* a year — Arabic (2023) or Chinese digits (二〇二三年), then 年 / 年度 / nothing;
* a subject — 政府信息公开, 政务信息公开, 信息公开, or 政务公开;
* a kind — 年度报告, 年度工作报告, 年报, after an optional 工作; with a 信息公开 subject
  also 工作报告 / 报告 (「政府信息公开工作报告」), not with 政务公开 (「政务公开工作报告」 is a
  work summary);
* the body — before the year (agency first), between year and subject (year first:
  「2009年武陟县政府信息公开工作年度报告」), with 关于 and a stray leading year dropped;
* exclusions — a title about a report is not the report: words anywhere (解读, 图解,
  通知, 关于做好…, 月报, 指南…) and endings (公告, 公示, 函, 批复…).

Functions: :func:`parse_report_title` (strict: a year is required — the crawler's
"is this link a report?"), :func:`looks_like_report_title` (the year may be missing:
the extractor reads it from the body), :func:`names_report` (the report phrase is
present: the extractor's title-line finder), :func:`report_year`, :func:`agency_of`,
and the navigation rules :func:`is_report_column`, :func:`is_sub_column`,
:func:`is_hub`, :func:`is_next_page`.  Tested on a table of titles in
tests/test_crawl_titles.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .labels import chinese_year

__all__ = [
    "SUBJECTS", "SUBJECTS_ANNUAL_ONLY", "ANNUAL_KINDS", "WORK_KINDS", "EXCLUDE_ANYWHERE", "EXCLUDE_ENDING",
    "NEXT_PAGE_TEXTS", "HUB_WORDS", "SUB_COLUMN_HEADS", "MIN_YEAR", "MAX_YEAR", "REPORT_PHRASE", "ReportTitle",
    "normalize", "is_excluded", "names_report", "parse_report_title", "is_report_title", "looks_like_report_title",
    "report_year", "agency_of", "is_report_column", "is_sub_column", "is_hub", "is_next_page",
]

# -- the data ------------------------------------------------------------------------------------

#: the subject of the report; 政务公开 only with an annual kind (see ``WORK_KINDS``)
SUBJECTS = ("政府信息公开", "政务信息公开", "信息公开")
SUBJECTS_ANNUAL_ONLY = ("政务公开",)
#: kinds naming an annual report, after an optional 工作: 工作年度报告, 年度工作报告, 年报…
ANNUAL_KINDS = ("年度工作报告", "年度报告", "年报")
#: kinds that name the report only after a 信息公开 subject: 政府信息公开工作报告
WORK_KINDS = ("工作报告", "报告")
#: a title containing one of these is about a report, not the report
EXCLUDE_ANYWHERE = (
    "解读", "图解", "一图读懂", "政策问答", "发布会", "说明会", "征集", "通知",
    "关于报送", "关于做好", "关于印发", "关于开展", "关于转发", "编制发布", "月报", "季报", "指南",
)
#: a title ending with one of these is a document about a report (its notice, its reply)
EXCLUDE_ENDING = ("公告", "通告", "意见", "函", "批复", "方案", "公示")
#: the link texts of a 下一页 link
NEXT_PAGE_TEXTS = frozenset({"下一页", "下页", "后一页", ">", "›", "»", "下一页>", "下一页»", "Next", "next"})
#: navigation words of the hubs that lead to the report column
HUB_WORDS = ("政府信息公开", "政务公开", "信息公开", "公开平台", "政府公开", "信息公开目录", "法定主动公开")
#: first words of a sub-column of the report column: 2023年, 部门年报, 乡镇年报…
SUB_COLUMN_HEADS = ("部门", "乡镇", "街道", "县区", "区县", "市直", "政府", "本级")
MIN_YEAR, MAX_YEAR = 2008, 2100


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_YEAR = r"(?:19|20)\d{2}|[〇零○一二三四五六七八九]{4}(?=年)"
_ANNUAL = rf"(?:工作)?(?:{_alt(ANNUAL_KINDS)})"
#: the report phrase without a year: 政府信息公开工作年度报告, 信息公开年报, 政务公开年度报告…
REPORT_PHRASE = rf"(?:(?:{_alt(SUBJECTS)})(?:工作)?(?:{_alt(ANNUAL_KINDS + WORK_KINDS)})|(?:{_alt(SUBJECTS_ANNUAL_ONLY)}){_ANNUAL})"
_PHRASE = re.compile(REPORT_PHRASE)
# agency first: 洛阳市洛龙区商务局2019年政府信息公开工作年度报告, …关于2023年…
_AGENCY_FIRST = re.compile(rf"(?P<agency>.*?)(?:关于)?(?P<year>{_YEAR})年?度?{REPORT_PHRASE}")
# year first: 2009年武陟县政府信息公开工作年度报告 (no digits in the body's name)
_YEAR_FIRST = re.compile(rf"^(?P<year>{_YEAR})年?度?(?P<agency>[^\d]*?)(?:关于)?{REPORT_PHRASE}")
# a year printed with 年 anywhere (a title without the report phrase next to it)
_ANY_YEAR = re.compile(rf"(?P<year>{_YEAR})\s*年")
_EXCLUDED = re.compile(rf"(?:{_alt(EXCLUDE_ANYWHERE)})|(?:{_alt(EXCLUDE_ENDING)})$")
_EXCLUDED_ANYWHERE = re.compile(_alt(EXCLUDE_ANYWHERE))
# link texts of a report column (listing): 政府信息公开年报, 信息公开年度报告, 年度报告, 年报
_COLUMN = re.compile(rf"(?:(?:{_alt(SUBJECTS + SUBJECTS_ANNUAL_ONLY)})(?:工作)?)?(?:{_alt(ANNUAL_KINDS)})")
_SUB_COLUMN = re.compile(rf"^(?:(?:19|20)\d{{2}}年?度?|{_alt(SUB_COLUMN_HEADS)})")
_HUB = re.compile(_alt(HUB_WORDS))
_KIND_WORDS = re.compile(r"年度(?:工作)?报告|年报|工作报告")  # where a body's name ends, report phrase or not
_TITLE_IN_TEXT = re.compile(rf"(?:{_YEAR})年?度?(?:{_alt(SUBJECTS + SUBJECTS_ANNUAL_ONLY)})")  # an article title

_SPACE = re.compile(r"[\s\u3000\u00a0]+")
_TAG = re.compile(r"^(?:【[^】]{1,12}】|\[[^\]]{1,12}\])")  # a list's category tag: 【通知公告】, [置顶]
_FILE_EXT = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|html?|shtml|jpg|jpeg|png)$", re.I)
_TRIM = " -_|>·：:、，,。"


@dataclass(frozen=True)
class ReportTitle:
    """A title recognised as an annual report."""

    title: str  # whitespace-normalised title (file extension and 超链版 dropped)
    year: int  # the covered year
    agency: str | None  # the publishing body as printed, None when the title has none


# -- the functions -------------------------------------------------------------------------------


def normalize(text: str | None) -> str:
    """Collapse whitespace (a title broken across lines joins up), drop file decorations
    (``.pdf``, 「（超链版）」) and a list's leading category tag (【通知公告】)."""
    if not text:
        return ""
    t = _SPACE.sub("", text)
    t = _TAG.sub("", t)
    t = _FILE_EXT.sub("", t)
    t = re.sub(r"[（(]超链版[）)]", "", t)
    return t.strip(" -_|>·")


def _year(text: str) -> int | None:
    return int(text) if text.isdigit() else chinese_year(text)


def _match(t: str) -> re.Match | None:
    return _YEAR_FIRST.search(t) or _AGENCY_FIRST.search(t)


def _clean_agency(agency: str) -> str | None:
    agency = agency.strip(_TRIM)
    # "2025湖口县大垅乡2025年度…": a stray leading year belongs to neither field.
    agency = re.sub(rf"^(?:{_YEAR})年?度?", "", agency).strip(_TRIM)
    agency = re.sub(r"^关于|(?:关于|的)$", "", agency).strip(_TRIM)
    return agency if len(agency) >= 2 and not _PHRASE.fullmatch(agency) else None


def is_excluded(text: str | None) -> bool:
    """True when the title is about a report (解读, 通知, …的函) rather than the report."""
    t = normalize(text).rstrip("）)》」』]】")
    return bool(t) and _EXCLUDED.search(t) is not None


def names_report(text: str | None) -> bool:
    """True when the text carries the report phrase (政府信息公开…年度报告 / 年报), year or not."""
    return _PHRASE.search(normalize(text)) is not None


def parse_report_title(text: str | None) -> ReportTitle | None:
    """Return the report's year and agency if ``text`` names an annual report, else None.

    A year is required (Arabic or Chinese digits).

    >>> parse_report_title("洛阳市洛龙区商务局2019年政府信息公开工作年度报告").year
    2019
    >>> parse_report_title("关于2023年政府信息公开工作年度报告的解读") is None
    True
    """
    t = normalize(text)
    if not t or is_excluded(t):
        return None
    m = _match(t)
    if not m:
        return None
    year = _year(m.group("year"))
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        return None
    return ReportTitle(title=t, year=year, agency=_clean_agency(m.group("agency") or ""))


def is_report_title(text: str | None) -> bool:
    """True when ``text`` is the title of an annual report (not a 解读, not a 通知)."""
    return parse_report_title(text) is not None


def looks_like_report_title(text: str | None) -> bool:
    """True when a document's title names an annual report; the year may be missing
    (「政府信息公开工作年度报告」: the extractor reads it from the 统计期限)."""
    return names_report(text) and not is_excluded(text)


def report_year(text: str | None) -> int | None:
    """The covered year a title prints: the year before the report phrase, else the
    first year written with 年 (Arabic or Chinese digits); None when there is none."""
    t = normalize(text)
    m = _match(t) or _ANY_YEAR.search(t)
    return _year(m.group("year")) if m else None


def agency_of(text: str | None) -> str | None:
    """The body a title names: before the year (or after it, year first), else before
    the report phrase; None when the title names none."""
    t = normalize(text)
    if not t:
        return None
    m = _match(t)
    if m:
        return _clean_agency(m.group("agency") or "")
    t = re.sub(r"^关于", "", t)
    m = _ANY_YEAR.search(t)
    before, after = (t[: m.start()], t[m.end():]) if m else (t, "")
    for cand in (before, after):
        p = _PHRASE.search(cand) or _KIND_WORDS.search(cand)
        agency = _clean_agency(cand[: p.start()] if p else cand)
        if agency:
            return agency
    return None


# -- navigation ------------------------------------------------------------------------------------


def is_report_column(text: str | None) -> bool:
    """True for the link text of a report column: 政府信息公开年报, 年度报告, 年报…

    An article title (with a year and an agency) is not a column.
    """
    t = normalize(text)
    if not t or len(t) > 20 or _EXCLUDED_ANYWHERE.search(t):
        return False
    if _TITLE_IN_TEXT.search(t) or is_report_title(t):  # that is an article title
        return False
    return bool(_COLUMN.search(t))


def is_sub_column(text: str | None) -> bool:
    """True for links inside a report column to its sub-columns: 2023年, 部门年报, 乡镇年报…"""
    t = normalize(text)
    if not t or len(t) > 16 or is_report_title(t) or _EXCLUDED_ANYWHERE.search(t):
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
    return normalize(text) in NEXT_PAGE_TEXTS
