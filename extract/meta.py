"""Report metadata: title, year covered, agency, region and its GB/T 2260 code, publish date."""
from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import titles
from .document import Document, Paragraph

_PERIOD = re.compile(r"统计期限[^0-9]{0,12}((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_PUBLISHED_LABEL = re.compile(r"(发布时间|发布日期|成文日期|发文日期|时间)[:：]\s*")
_SPACE_NEAR_CJK = re.compile(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff\d])")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent_code: str
    aliases: tuple[str, ...]


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, Unit]:
    """Henan's administrative units (GB/T 2260 codes) from the registry."""
    units = {}
    path = Path(__file__).with_name("data") / "regions.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["name"]
            aliases = [a for a in re.split(r"[（）()]", name) if a]
            units[row["code"]] = Unit(row["code"], aliases[0], row["level"], row["parent_code"], tuple(aliases))
    return units


def region_name(code: str) -> str | None:
    """'410311' → '河南省洛阳市洛龙区'."""
    units = gazetteer()
    names = []
    while code and code in units:
        names.append(units[code].name)
        code = units[code].parent_code
    return "".join(reversed(names)) or None


def clean_title(text: str) -> str:
    text = re.sub(r"^[#*\s]+|[*\s]+$", "", text)
    return _SPACE_NEAR_CJK.sub("", text)


def find_title(doc: Document) -> str | None:
    """The report's title among the format's title and the first paragraphs (rules:
    :mod:`extract.titles`): the first naming a report with its year, else a title broken
    over two lines (…2022年政府信息 / 公开年度报告), else the first naming a report at all,
    else the format's title or the first paragraph."""
    candidates = []
    if doc.title:
        candidates.append(doc.title)
    candidates += [b.text for b in list(doc.paragraphs())[:8]]
    cleaned = [t for t in (clean_title(c) for c in candidates) if len(t) <= 90]
    for t in cleaned:
        if titles.parse_report_title(t):
            return t
    for a, b in zip(cleaned, cleaned[1:]):
        joined = a + b
        if not titles.names_report(a) and not titles.names_report(b) and titles.parse_report_title(joined):
            return joined
    for t in cleaned:
        if titles.names_report(t):
            return t
    first = next(doc.paragraphs(), None)
    return clean_title(doc.title or (first.text if first else "")) or None


def looks_like_report_title(title: str | None) -> bool:
    return titles.looks_like_report_title(title)


def find_year(title: str | None, doc: Document, published: str | None) -> int | None:
    year = titles.report_year(title)
    if year:
        return year
    m = _PERIOD.search(doc.full_text()[:20000])
    if m:
        return int(m.group(1))
    if published:
        return int(published[:4]) - 1
    return None


def find_agency(title: str | None) -> str | None:
    """The body named in the title: what stands before the year (or after it)."""
    return titles.agency_of(title)


def _units_in(text: str) -> list[Unit]:
    hits = []
    for unit in gazetteer().values():
        if unit.level == "province":
            continue
        if any(a in text for a in unit.aliases):
            hits.append(unit)
    return hits


def find_region(agency: str | None, title: str | None, doc: Document, region_code: str | None) -> Unit | None:
    """The most specific unit named by the agency, else the title, else the hint, else the body.

    The hint (the portal's code, from the crawler) does not override a unit the
    report names itself: a portal also carries its subordinate bodies' reports.
    """
    units = gazetteer()
    for text in (agency, title):
        if text:
            hits = _units_in(text)
            if hits:
                return max(hits, key=lambda u: (u.level == "county", len(u.name)))
    if region_code and region_code in units:
        return units[region_code]
    body = doc.full_text()[:30000]
    counts: Counter[str] = Counter()
    for unit in _units_in(body):
        counts[unit.code] = sum(body.count(a) for a in unit.aliases)
    counties = [c for c in counts if units[c].level == "county"]
    pool = counties or list(counts)
    if not pool:
        return None
    return units[max(pool, key=lambda c: counts[c])]


def full_agency(agency: str | None, unit: Unit | None) -> str | None:
    """Prefix the city (and county) a title leaves out: 孟津区… → 洛阳市孟津区…."""
    if not agency or not unit:
        return agency
    units = gazetteer()
    chain = []
    code = unit.code
    while code in units and units[code].level != "province":
        chain.append(units[code])
        code = units[code].parent_code
    chain.reverse()  # city, county
    named = [u for u in chain if any(agency.startswith(a) or a in agency for a in u.aliases)]
    if not named:
        if agency.startswith(("市", "区", "县")):
            return agency
        return "".join(u.name for u in chain) + agency
    first = chain.index(named[0])
    return "".join(u.name for u in chain[:first]) + agency


def find_published(doc: Document) -> str | None:
    if doc.published:
        return doc.published
    paras = list(doc.paragraphs())
    for para in paras[:6]:
        m = _PUBLISHED_LABEL.search(para.text)
        if m:
            d = _DATE.match(para.text[m.end():])
            if d:
                return _iso(d)
    for para in reversed(paras[-4:]):  # the signature date closing the report
        if len(para.text) <= 40:
            d = _DATE.search(para.text)
            if d:
                return _iso(d)
    return None


def _iso(m: re.Match) -> str | None:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if 1 <= mo <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def first_paragraph_is_title(doc: Document, title: str | None) -> bool:
    first = next(iter(doc.blocks), None)
    return isinstance(first, Paragraph) and title is not None and clean_title(first.text) == title
