"""HTML reader: a portal article page → :class:`extract.document.Document`.

Steps: decode the bytes (BOM, declared charset verified by a strict decode,
gb18030 and charset-normalizer as fallbacks), parse with lxml, drop page
furniture (navigation, headers, footers, link lists), pick the element that
holds the report (scored by its text and table content, not by a list of CMS
class names alone), and walk it in document order into Paragraph and Table
blocks.  Tables are expanded into full grids (rowspan/colspan repeated);
layout tables (one cell, or wrapping other tables) are unwrapped.

Every walk is iterative, so deeply nested markup cannot hit the recursion limit.
"""
from __future__ import annotations

import codecs
import html as html_lib
import re
from typing import Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from extract.document import Document, Paragraph, Table, clean_text
from extract.errors import ExtractError

__all__ = ["read", "decode", "attachment_links"]

# --------------------------------------------------------------------------- charset

_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "gb_2312-80", "csgb2312", "ms936", "windows-936", "euc-cn"}
_LATIN_DEFAULTS = {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii", "ascii"}
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)


def _normalize_charset(name: str) -> str | None:
    """Canonical Python codec name; gb2312/gbk are always read as gb18030."""
    name = name.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    if canonical in {"gb2312", "gbk", "cp936"}:
        return "gb18030"
    return canonical


def _declared_charset(data: bytes) -> str | None:
    head = data[:8192]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return m.group(1).decode("ascii", "ignore") if m else None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Decode HTML bytes: returns (text, encoding used, warnings).

    Order: BOM; the declared charset verified by a strict decode (UTF-8 wins
    over a declared GB charset or a Latin default when the bytes are valid
    UTF-8 with non-ASCII content); gb18030; charset-normalizer; lossy UTF-8.
    """
    warnings: list[str] = []
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = data[len(bom):].decode(enc, errors="replace")
            return text, enc, warnings
    declared_raw = _declared_charset(data)
    declared = _normalize_charset(declared_raw) if declared_raw else None
    if declared_raw and not declared:
        warnings.append(f"unknown declared charset {declared_raw!r}")
    non_ascii = any(b >= 0x80 for b in data)
    if not non_ascii:
        return data.decode("ascii"), "ascii", warnings
    utf8 = _strict(data, "utf-8")
    if declared and declared not in ("utf-8",) and utf8 is not None and (
        declared == "gb18030" or declared in _LATIN_DEFAULTS or _normalize_charset(declared) in _LATIN_DEFAULTS
    ):
        warnings.append(f"declared charset {declared_raw} is wrong: bytes are utf-8")
        return utf8, "utf-8", warnings
    if declared:
        text = _strict(data, declared)
        if text is not None and declared not in _LATIN_DEFAULTS:
            return text, declared, warnings
    tried = []
    for enc in ("utf-8", "gb18030"):
        if enc == declared:
            continue
        tried.append(enc)
        text = utf8 if enc == "utf-8" else _strict(data, enc)
        if text is not None:
            if declared_raw:
                warnings.append(f"declared charset {declared_raw} is wrong: bytes are {enc}")
            return text, enc, warnings
    # nearly valid: a few corrupt bytes in otherwise UTF-8 or GB text
    high = sum(1 for b in data if b >= 0x80) or 1
    for enc in ("utf-8", "gb18030"):
        text = data.decode(enc, errors="replace")
        bad = text.count("\ufffd")
        if bad * 3 <= high * 0.01:
            warnings.append(f"{bad} undecodable byte sequences replaced (read as {enc})")
            return text, enc, warnings
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # charset-normalizer must never make a page unreadable
        best = None
    if best is not None and best.encoding:
        enc = _normalize_charset(best.encoding) or best.encoding
        warnings.append(
            f"charset guessed as {enc}" + (f" (declared {declared_raw} does not decode)" if declared_raw else "")
        )
        return data.decode(enc, errors="replace"), enc, warnings
    warnings.append("charset unknown: decoded as utf-8 with replacement characters")
    return data.decode("utf-8", errors="replace"), "utf-8", warnings


# --------------------------------------------------------------------------- parsing helpers

_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "select", "button", "input", "textarea", "map"}
_FURNITURE_TAGS = {"nav", "header", "footer", "aside"}
_FURNITURE_NAME = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|menus|footer|foot|header|head|topbar|sidebar|breadcrumbs?|crumbs?|"
    r"position|location|weizhi|dqwz|share|bdshare|related|relate|xgxx|xglj|xgwz|links?|friendlink|yqlj|copyright|"
    r"bottom|banner|search|login|toolbar|tools|print|fenxiang|pager|pagination)([-_\s]|\d|$)",
    re.I,
)
_BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section", "article",
    "blockquote", "pre", "center", "form", "tr", "td", "th", "caption", "main", "address", "figure", "figcaption",
    "body", "html", "fieldset", "table", "thead", "tbody", "tfoot", "hr",
}
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_NEWLINE = re.compile(rf"(?<=[{_CJK}])[ \t\r\u00a0]*\n\s*(?=[{_CJK}])")
_KNOWN_BODIES = (
    ".TRS_Editor", "#zoom", ".article-content", ".hap_xq_content", "#UCAP-CONTENT", ".xxgk_content", ".wzcon",
    "#content", ".content",
)
_REPORT_WORDS = ("政府信息公开", "主动公开", "依申请", "行政复议", "行政诉讼", "总体情况", "年度报告")


_TAG = re.compile(r"<[^>]*>")
_SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_NESTING_TAGS = re.compile(r"</?(?:div|span|font|section|article|center|b|strong|em|i|u|blockquote|o:p)\b[^>]*>", re.I)


def _parse(text: str, warnings: list[str] | None = None) -> etree._Element:
    """Parse HTML; markup nested deeper than libxml2 allows (it drops that text) is flattened and parsed again."""
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    if not text.strip():
        raise ExtractError("empty HTML document")
    root = _parse_once(text)
    expected = len(clean_text(html_lib.unescape(_TAG.sub("", _SCRIPTS.sub("", text)))))
    if expected > 20 and len(clean_text(root.text_content())) < 0.9 * expected:
        flat = _parse_once(_NESTING_TAGS.sub("<br>", text))
        if len(clean_text(flat.text_content())) > len(clean_text(root.text_content())):
            root = flat
            if warnings is not None:
                warnings.append("HTML nested too deeply: block structure flattened")
    return root


def _parse_once(text: str) -> etree._Element:
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"unparsable HTML: {exc}") from None
    if root is None:
        raise ExtractError("unparsable HTML: no document element")
    return root


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _attr_names(el: etree._Element) -> str:
    return f"{el.get('id') or ''} {el.get('class') or ''}"


def _drop(el: etree._Element) -> None:
    """Remove an element but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    el.drop_tree() if hasattr(el, "drop_tree") else parent.remove(el)


def _cell_count(el: etree._Element) -> int:
    return sum(1 for _ in el.iter("td", "th"))


def _text_len(el: etree._Element) -> int:
    return len(clean_text("".join(el.itertext())))


class _Stats:
    """Per-element text length, link text length, link count and attachment-link count (one post-order pass)."""

    def __init__(self, root: etree._Element) -> None:
        self.text: dict[etree._Element, int] = {}
        self.link: dict[etree._Element, int] = {}
        self.links: dict[etree._Element, int] = {}
        self.attach: dict[etree._Element, int] = {}
        order = [e for e in root.iter() if isinstance(e.tag, str)]
        for el in order:
            n = len(clean_text(el.text or ""))
            for child in el:
                if isinstance(child.tag, str) and child.tail:
                    n += len(clean_text(child.tail))
            self.text[el] = n
            is_a = _tag(el) == "a"
            self.link[el] = n if is_a else 0
            self.links[el] = 1 if is_a else 0
            self.attach[el] = 1 if is_a and _is_attachment_href(el.get("href") or "") else 0
        for el in reversed(order):
            parent = el.getparent()
            if parent is None or parent not in self.text:
                continue
            self.text[parent] += self.text[el]
            self.link[parent] += self.text[el] if _tag(parent) == "a" else self.link[el]
            self.links[parent] += self.links[el]
            self.attach[parent] += self.attach[el]


def _strip_noise(root: etree._Element) -> None:
    """Drop scripts and page furniture that holds no report content."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            _drop(el)
    for el in list(root.iter(*_DROP_TAGS)):
        _drop(el)
    for el in list(root.iter()):
        if isinstance(el.tag, str) and (el.get("hidden") is not None or _HIDDEN.search(el.get("style") or "")):
            if not _ancestor_dropped(el, root):
                _drop(el)
    stats = _Stats(root)
    body = root.find("body")
    total = stats.text.get(body if body is not None else root, 0) or 1
    doomed: list[etree._Element] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = _tag(el)
        if tag in {"html", "body", "tr", "td", "th", "tbody", "thead", "a"}:
            continue
        size = stats.text[el]
        furniture = tag in _FURNITURE_TAGS or (tag != "table" and _FURNITURE_NAME.search(_attr_names(el)))
        if furniture and size < 0.3 * total and not _has_data_table(el) and not _looks_like_report(el):
            doomed.append(el)
        elif (
            tag in {"ul", "ol", "dl", "div", "table"}
            and stats.links[el] >= 3
            and size
            and stats.link[el] >= 0.6 * size
            and not stats.attach[el]
        ):
            doomed.append(el)
    for el in doomed:
        if not _ancestor_dropped(el, root):
            _drop(el)


def _ancestor_dropped(el: etree._Element, root: etree._Element) -> bool:
    top = el
    while top.getparent() is not None:
        top = top.getparent()
    return top is not root


def _looks_like_report(el: etree._Element) -> bool:
    text = "".join(el.itertext())
    return sum(1 for w in _REPORT_WORDS if w in text) >= 3


def _has_data_table(el: etree._Element) -> bool:
    tables = [el] if _tag(el) == "table" else []
    tables += list(el.iter("table"))
    for t in tables:
        if t.find(".//table") is None and len(t.findall(".//tr")) >= 2 and _cell_count(t) >= 4:
            size = _text_len(t)
            if size and sum(_text_len(a) for a in t.iter("a")) < 0.5 * size:
                return True
    return False


def _score_map(root: etree._Element) -> dict[etree._Element, float]:
    """Content weight of every element: non-link text plus a bonus per table cell."""
    stats = _Stats(root)
    score: dict[etree._Element, float] = {}
    for el, n in stats.text.items():
        score[el] = n - stats.link[el]
    cells: dict[etree._Element, int] = {}
    order = [e for e in root.iter() if isinstance(e.tag, str)]
    for el in order:
        cells[el] = 1 if _tag(el) in ("td", "th") else 0
    for el in reversed(order):
        parent = el.getparent()
        if parent is not None and parent in cells:
            cells[parent] += cells[el]
    return {el: score[el] + 3 * cells.get(el, 0) for el in score}


def _data_tables(el: etree._Element) -> int:
    return sum(1 for t in el.iter("table") if t.find(".//table") is None and _cell_count(t) >= 4)


def find_body(root: etree._Element) -> etree._Element:
    """The element holding the article: known containers first when they carry the text, else descent by weight."""
    scores = _score_map(root)
    body = root.find("body")
    start = body if body is not None else root
    total = scores.get(start, 0.0) or 1.0
    for selector in _KNOWN_BODIES:
        try:
            found = root.cssselect(selector)
        except Exception:
            found = []
        found = [f for f in found if scores.get(f, 0.0) >= 0.5 * total]
        if found:
            start = max(found, key=lambda f: scores.get(f, 0.0))
            break
    node = start
    while True:
        children = [c for c in node if isinstance(c.tag, str)]
        if not children:
            return node
        here = scores.get(node, 0.0)
        best = max(children, key=lambda c: scores.get(c, 0.0))
        share = scores.get(best, 0.0)
        if here <= 0 or _data_tables(best) < _data_tables(node):
            return node
        others = [c for c in children if c is not best]
        if any(_PART_HEADING.search(clean_text(c.text_content())) for c in others):
            return node
        small = all(scores.get(c, 0.0) < 150 for c in others)
        if not (share >= 0.85 * here and here - share <= 300) and not (small and share >= 0.4 * here):
            return node
        node = best


_PART_HEADING = re.compile(r"^[一二三四五六][、.．]|总体情况|主动公开政府信息|收到和处理|行政复议|存在的主要问题|其他需要报告")


# --------------------------------------------------------------------------- tables


def _cell_text(cell: etree._Element) -> str:
    """Text of a cell or block: block children and <br> become line breaks, joined without space between CJK."""
    parts: list[str] = []
    stack: list[tuple[etree._Element, bool]] = [(cell, False)]
    while stack:
        el, closing = stack.pop()
        if closing:
            if _tag(el) in _BLOCK_TAGS and el is not cell:
                parts.append("\n")
            if el.tail and el is not cell:
                parts.append(el.tail)
            continue
        tag = _tag(el)
        if tag == "br":
            parts.append("\n")
            if el.tail:
                parts.append(el.tail)
            continue
        if tag in _BLOCK_TAGS and el is not cell:
            parts.append("\n")
        if el.text:
            parts.append(el.text)
        stack.append((el, True))
        for child in reversed([c for c in el if isinstance(c.tag, str)]):
            stack.append((child, False))
    return _join_lines("".join(parts))


def _join_lines(text: str) -> str:
    text = text.replace("\r", "")
    text = _CJK_NEWLINE.sub("", text)
    return clean_text(text)


def _own_rows(table: etree._Element) -> list[etree._Element]:
    """The table's own rows (not those of nested tables); rows without any cell are left out."""
    rows: list[etree._Element] = []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child if _tag(c) == "tr")
    return [r for r in rows if any(_tag(c) in ("td", "th") for c in r)]


def _span(value: str | None, limit: int) -> int:
    try:
        n = int(re.sub(r"[^0-9]", "", value or "") or 1)
    except ValueError:
        n = 1
    if n <= 0:  # rowspan=0: to the end of the section
        return limit
    return max(1, min(n, limit))


def table_grid(table: etree._Element) -> list[list[str]]:
    """Full rectangular grid of a table's own rows, merged cells repeated; empty rows/columns dropped."""
    rows = _own_rows(table)
    nrows = len(rows)
    cells_per_row = [[c for c in r if _tag(c) in ("td", "th")] for r in rows]
    # width without trailing overshoot: a last cell's colspan may not widen the table
    natural = 0
    for cells in cells_per_row:
        natural = max(natural, sum(_span(c.get("colspan"), 1000) for c in cells[:-1]) + (1 if cells else 0))
    grid: dict[tuple[int, int], str] = {}
    width = 0
    for r, cells in enumerate(cells_per_row):
        col = 0
        for i, cell in enumerate(cells):
            while (r, col) in grid:
                col += 1
            cs = _span(cell.get("colspan"), 1000)
            if i == len(cells) - 1 and natural and col + cs > natural:
                cs = max(1, natural - col)
            rs = _span(cell.get("rowspan"), nrows - r)
            text = _cell_text(cell)
            for dr in range(rs):
                for dc in range(cs):
                    grid.setdefault((r + dr, col + dc), text)
            col += cs
            width = max(width, col)
    out = [[grid.get((r, c), "") for c in range(width)] for r in range(nrows)]
    out = [row for row in out if any(cell for cell in row)]
    keep = [c for c in range(width) if any(row[c] for row in out)]
    return [[row[c] for c in keep] for row in out]


def _is_layout_table(table: etree._Element, grid: list[list[str]]) -> bool:
    """A table used for page layout: it wraps other tables, has one column, or a cell holds running text."""
    if any(True for _ in _nested_tables(table)):
        return True
    width = len(grid[0]) if grid else 0
    if width <= 1:
        return True
    for row in _own_rows(table):
        for cell in row:
            if _tag(cell) in ("td", "th") and _text_len(cell) > 300:
                blocks = sum(1 for el in cell.iter("p", "div", "br", "h1", "h2", "h3", "h4", "li"))
                if blocks >= 2:
                    return True
    return False


def _nested_tables(table: etree._Element) -> Iterator[etree._Element]:
    for row in _own_rows(table):
        for cell in row:
            if _tag(cell) in ("td", "th"):
                yield from cell.iter("table")


# --------------------------------------------------------------------------- walking the body


class _Walker:
    """Turns an element into ordered blocks without recursion."""

    def __init__(self) -> None:
        self.blocks: list[Paragraph | Table] = []
        self.buf: list[str] = []

    def flush(self) -> None:
        text = _join_lines("".join(self.buf))
        self.buf = []
        if text:
            self.blocks.append(Paragraph(text))

    def walk(self, top: etree._Element) -> list[Paragraph | Table]:
        stack: list[tuple[etree._Element, bool]] = [(top, False)]
        while stack:
            el, closing = stack.pop()
            tag = _tag(el)
            if closing:
                if tag in _BLOCK_TAGS:
                    self.flush()
                if el.tail and el is not top:
                    self.buf.append(el.tail)
                continue
            if tag == "br":
                self.flush()
                if el.tail:
                    self.buf.append(el.tail)
                continue
            if tag == "table":
                self.flush()
                grid = table_grid(el)
                if grid and not _is_layout_table(el, grid):
                    self.blocks.append(Table(grid))
                    if el.tail:
                        self.buf.append(el.tail)
                    continue
                # layout table: walk its cells as blocks
                stack.append((el, True))
                for row in reversed(_own_rows(el)):
                    stack.append((row, True))
                    for cell in reversed([c for c in row if _tag(c) in ("td", "th")]):
                        stack.append((cell, False))
                continue
            if tag in _BLOCK_TAGS:
                self.flush()
            if el.text:
                self.buf.append(el.text)
            stack.append((el, True))
            for child in reversed([c for c in el if isinstance(c.tag, str)]):
                stack.append((child, False))
        self.flush()
        return self.blocks


# --------------------------------------------------------------------------- metadata

_TITLE_META = ("ArticleTitle", "articletitle", "title", "og:title", "dc.title", "DC.Title")
_DATE_META = (
    "PubDate", "pubdate", "firstpublishedtime", "publishdate", "publish_date", "article:published_time",
    "dcterms.issued", "dc.date", "DC.Date", "dcterms.created", "lastmodifiedtime",
)
_DATE_TEXT = re.compile(
    r"(?:发布时间|发布日期|发文日期|成文日期|公开日期|时间|日期)\s*[:：]?\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})"
)
_ANY_DATE = re.compile(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
_TITLE_SPLIT = re.compile(r"\s*(?:[_|｜]|\s[-—–]\s|——|--)\s*")


def _iso(y: str, m: str, d: str) -> str | None:
    yi, mi, di = int(y), int(m), int(d)
    if 1990 <= yi <= 2100 and 1 <= mi <= 12 and 1 <= di <= 31:
        return f"{yi:04d}-{mi:02d}-{di:02d}"
    return None


def _meta(root: etree._Element, names: Iterable[str]) -> str | None:
    wanted = {n.lower() for n in names}
    order = [n.lower() for n in names]
    found: dict[str, str] = {}
    for m in root.iter("meta"):
        key = (m.get("name") or m.get("property") or m.get("itemprop") or "").strip().lower()
        value = clean_text(m.get("content"))
        if key in wanted and value and key not in found:
            found[key] = value
    for n in order:
        if n in found:
            return found[n]
    return None


def _title(root: etree._Element) -> str | None:
    meta = _meta(root, _TITLE_META[:1] + _TITLE_META[1:2])
    title_el = root.find(".//title")
    page_title = clean_text(title_el.text_content()) if title_el is not None else ""
    segment = max(_TITLE_SPLIT.split(page_title), key=len) if page_title else ""
    headings: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = _tag(el)
        names = _attr_names(el).lower()
        if tag in ("h1", "h2") or (tag in ("div", "p", "span", "td", "h3") and re.search(r"(^|[-_\s])(title|tit|bt|biaoti|article-title|xq_tit)", names)):
            text = clean_text(el.text_content())
            if 4 <= len(text) <= 150:
                headings.append(text)
    if meta:
        return meta
    for h in headings:
        if segment and (h in segment or segment in h):
            return h if len(h) >= len(segment) else segment
    for h in headings:
        if "报告" in h:
            return h
    if segment:
        return segment
    return headings[0] if headings else None


def _published(root: etree._Element) -> str | None:
    value = _meta(root, _DATE_META)
    if value:
        m = _ANY_DATE.search(value)
        if m and _iso(*m.groups()):
            return _iso(*m.groups())
    text = clean_text(" ".join(root.itertext()))
    for m in _DATE_TEXT.finditer(text):
        iso = _iso(*m.groups())
        if iso:
            return iso
    try:
        from htmldate import find_date

        found = find_date(root, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except Exception:  # htmldate is a best-effort fallback
        found = None
    return found


# --------------------------------------------------------------------------- attachments

_ATTACH_EXT = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".zip", ".rar", ".jpg", ".png")


def _is_attachment_href(href: str) -> bool:
    if not href or href.lower().startswith(("javascript:", "mailto:", "#")):
        return False
    path = urlsplit(href.strip()).path.lower()
    if path.endswith(_ATTACH_EXT):
        return True
    low = href.lower()
    return "download" in low or "attach" in low


def _base_url(root: etree._Element, url: str | None) -> str | None:
    base = root.find(".//base[@href]")
    if base is not None:
        return urljoin(url or "", base.get("href").strip())
    return url


def attachment_links(data: bytes, url: str | None = None) -> list[tuple[str, str]]:
    """Attachment links of an article page as (absolute href, link text), in page order, deduplicated.

    Links in page furniture (navigation, footers, link lists) are left out.
    """
    if not data:
        return []
    text, _, _ = decode(data)
    root = _parse(text)
    base = _base_url(root, url)
    _strip_noise(root)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not _is_attachment_href(href):
            continue
        full = urljoin(base, href) if base else href
        if full in seen:
            continue
        seen.add(full)
        out.append((full, clean_text(a.text_content()) or clean_text(a.get("title"))))
    return out


# --------------------------------------------------------------------------- entry point


def read(data: bytes, *, url: str | None = None) -> Document:
    """Read an HTML article page into a Document (format "html")."""
    if not data or not data.strip():
        raise ExtractError("empty HTML document")
    text, _encoding, warnings = decode(data)
    root = _parse(text, warnings)
    for el in list(root.iter(*_DROP_TAGS)):
        _drop(el)
    published = _published(root)
    _strip_noise(root)
    body = find_body(root)
    title = _title(root)
    blocks = _Walker().walk(body)
    if not blocks:
        blocks = _trafilatura_fallback(text, url)
        if blocks:
            warnings.append("article body not found: text taken by trafilatura")
    if not blocks:
        warnings.append("no text found in the page")
    return Document(blocks=blocks, format="html", title=title, published=published, warnings=warnings)


def _trafilatura_fallback(text: str, url: str | None) -> list[Paragraph | Table]:
    try:
        import trafilatura

        extracted = trafilatura.extract(text, url=url, include_tables=False, favor_recall=True)
    except Exception:  # a fallback only; an empty result is handled by the caller
        extracted = None
    if not extracted:
        return []
    return [Paragraph(line) for line in extracted.splitlines() if line.strip()]
