"""DOCX reader: a Word document → :class:`extract.document.Document`.

The zip is checked before python-docx opens it (not a zip, no main document,
zip bombs).  The body is walked in order — paragraphs and tables interleaved,
content controls (``w:sdt``) and ``w:customXml`` unwrapped — and tables are
rebuilt from the XML: ``gridBefore``, ``gridSpan`` and ``vMerge`` are expanded
into a full grid that repeats a merged cell's text.  A table nested in a cell
is emitted as its own table after the outer one; a one-column table (a layout
frame) is unwrapped into its blocks.  Text boxes, headers and footers are not
part of the body and are skipped.
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Iterator

from extract.document import Document, Paragraph, Table, clean_text
from extract.errors import ExtractError

__all__ = ["read", "check_zip"]

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
MAX_TOTAL = 200 * 1024 * 1024
MAX_RATIO = 200
RATIO_FLOOR = 1024 * 1024  # members smaller than this cannot be a bomb
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_NEWLINE = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")

# elements whose text is not body text, or duplicates of it
_SKIP = {W + "txbxContent", W + "delText", W + "del", W + "instrText", W + "footnoteReference",
         W + "endnoteReference", W + "commentReference", MC + "Fallback", W + "pict", W + "object",
         W + "drawing"}
# wrappers whose children are body content
_WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml", W + "smartTag", W + "ins", W + "moveTo", W + "hyperlink",
             W + "fldSimple", W + "dir", W + "bdo", MC + "AlternateContent", MC + "Choice"}


def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open the bytes as a DOCX zip, refusing non-zips, bombs and zips without a Word document."""
    if not data:
        raise ExtractError("empty DOCX file")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ExtractError(f"not a DOCX (not a zip archive: {exc})") from None
    total = 0
    for info in infos:
        total += info.file_size
        if total > MAX_TOTAL:
            raise ExtractError("DOCX rejected: uncompressed size exceeds 200 MB (zip bomb?)")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ExtractError(f"DOCX rejected: member {info.filename} expands more than {MAX_RATIO}:1 (zip bomb?)")
    names = {i.filename for i in infos}
    if "word/document.xml" not in names:
        raise ExtractError("not a DOCX (no word/document.xml)")
    return zf


def _text(el) -> str:
    """Text of a paragraph-like element: w:t, tabs and breaks; text boxes and deletions skipped (iterative)."""
    parts: list[str] = []
    stack = [el]
    while stack:
        node = stack.pop()
        tag = node.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == W + "t":
            parts.append(node.text or "")
            continue
        if tag in (W + "tab", W + "ptab"):
            parts.append(" ")
            continue
        if tag in (W + "br", W + "cr"):
            parts.append("\n")
            continue
        if tag == W + "noBreakHyphen":
            parts.append("-")
            continue
        if tag == W + "tbl":  # nested tables are separate blocks
            continue
        if tag == W + "p" and node is not el:
            parts.append("\n")
        stack.extend(reversed(list(node)))
    return clean_text(_CJK_NEWLINE.sub("", "".join(parts)))


def _int_attr(el, path: str, default: int = 1) -> int:
    found = el.find(path)
    if found is None:
        return default
    try:
        return max(0, int(found.get(W + "val", default)))
    except (TypeError, ValueError):
        return default


def _children(el, wanted: str) -> Iterator:
    """Direct ``wanted`` children, looking through sdt/customXml wrappers."""
    stack = list(reversed(list(el)))
    while stack:
        node = stack.pop()
        if node.tag == wanted:
            yield node
        elif node.tag in (W + "sdt", W + "sdtContent", W + "customXml"):
            stack.extend(reversed(list(node)))


def _table_grid(tbl, numbering: "_Numbering | None" = None) -> tuple[list[list[str]], list]:
    """(grid with merges expanded, nested w:tbl elements found in its cells)."""
    nested: list = []
    grid: list[list[str]] = []
    vmerge_open: dict[int, str] = {}
    for tr in _children(tbl, W + "tr"):
        row: list[str] = []
        col = _int_attr(tr, f"{W}trPr/{W}gridBefore", 0)
        row.extend([""] * col)
        for tc in _children(tr, W + "tc"):
            span = max(1, _int_attr(tc, f"{W}tcPr/{W}gridSpan", 1))
            vm = tc.find(f"{W}tcPr/{W}vMerge")
            cell_parts = []
            for block in tc:
                if block.tag == W + "tbl":
                    nested.append(block)
                elif block.tag == W + "p":
                    label = numbering.label(block) if numbering is not None else ""
                    text = _text(block)
                    cell_parts.append(label + text if text else "")
                else:
                    cell_parts.append(_text(block))
                    nested.extend(b for b in block.iter(W + "tbl"))
            text = clean_text(_CJK_NEWLINE.sub("", "\n".join(p for p in cell_parts if p)))
            if vm is not None and vm.get(W + "val", "continue") != "restart":
                text = vmerge_open.get(col, text)
            else:
                for c in range(col, col + span):
                    vmerge_open.pop(c, None)
                if vm is not None:
                    for c in range(col, col + span):
                        vmerge_open[c] = text
            row.extend([text] * span)
            col += span
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    grid = [r + [""] * (width - len(r)) for r in grid]
    grid = [r for r in grid if any(r)]
    keep = [c for c in range(width) if any(r[c] for r in grid)]
    return [[r[c] for c in keep] for r in grid], nested


_CN_DIGITS = "〇一二三四五六七八九"


def _chinese(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (list numbers only; no 千 needed)."""
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        tail = "" if rest == 0 else ("零" + _CN_DIGITS[rest] if rest < 10 else ("一" if rest < 20 else "") + _chinese(rest))
        return _CN_DIGITS[hundreds] + "百" + tail
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                           (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "ideographTraditional",
               "taiwaneseCounting", "taiwaneseCountingThousand", "japaneseCounting"):
        return _chinese(n)
    if fmt == "ideographDigital":
        return "".join(_CN_DIGITS[int(d)] for d in str(n))
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "decimalEnclosedParen":
        return f"({n})"
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    if fmt in ("none", "bullet"):
        return ""
    return str(n)  # decimal, decimalZero, decimalFullWidth and anything unknown


class _Numbering:
    """Renders Word's automatic list numbers (一、 （二） 1. …), which are not part of the paragraph text."""

    def __init__(self, document) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId → ilvl → (numFmt, lvlText, start)
        self.abstract_of: dict[str, str] = {}
        self.style_num: dict[str, tuple[str | None, int | None]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            numbering = None
        if numbering is not None:
            abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
            for an in numbering.findall(W + "abstractNum"):
                abstract[an.get(W + "abstractNumId")] = {
                    int(lvl.get(W + "ilvl", "0")): self._level(lvl) for lvl in an.findall(W + "lvl")
                }
            for num in numbering.findall(W + "num"):
                num_id = num.get(W + "numId")
                ref = num.find(W + "abstractNumId")
                aid = ref.get(W + "val") if ref is not None else None
                levels = dict(abstract.get(aid, {}))
                for override in num.findall(W + "lvlOverride"):
                    ilvl = int(override.get(W + "ilvl", "0"))
                    lvl = override.find(W + "lvl")
                    start = override.find(W + "startOverride")
                    if lvl is not None:
                        levels[ilvl] = self._level(lvl)
                    if start is not None and ilvl in levels:
                        fmt, text, _ = levels[ilvl]
                        levels[ilvl] = (fmt, text, int(start.get(W + "val", "1")))
                self.levels[num_id] = levels
                self.abstract_of[num_id] = aid or num_id
        try:
            styles = document.part.styles.element
        except (KeyError, NotImplementedError, AttributeError):
            styles = None
        if styles is not None:
            raw: dict[str, tuple[str | None, int | None, str | None]] = {}
            for st in styles.findall(W + "style"):
                num_pr = st.find(f"{W}pPr/{W}numPr")
                based = st.find(W + "basedOn")
                num_id = ilvl = None
                if num_pr is not None:
                    n, lv = num_pr.find(W + "numId"), num_pr.find(W + "ilvl")
                    num_id = n.get(W + "val") if n is not None else None
                    ilvl = int(lv.get(W + "val", "0")) if lv is not None else None
                raw[st.get(W + "styleId")] = (num_id, ilvl, based.get(W + "val") if based is not None else None)
            for style_id in raw:
                seen: set[str] = set()
                cur: str | None = style_id
                num_id, ilvl = None, None
                while cur in raw and cur not in seen:
                    seen.add(cur)
                    n, lv, based = raw[cur]
                    num_id = num_id if num_id is not None else n
                    ilvl = ilvl if ilvl is not None else lv
                    cur = based
                self.style_num[style_id] = (num_id, ilvl)

    @staticmethod
    def _level(lvl) -> tuple[str, str, int]:
        fmt = lvl.find(W + "numFmt")
        text = lvl.find(W + "lvlText")
        start = lvl.find(W + "start")
        return (
            fmt.get(W + "val", "decimal") if fmt is not None else "decimal",
            text.get(W + "val", "") if text is not None else "",
            int(start.get(W + "val", "1")) if start is not None else 1,
        )

    def label(self, p) -> str:
        """The list label of paragraph ``p`` (advancing the counters), or ''."""
        if not self.levels:
            return ""
        num_id = ilvl = None
        ppr = p.find(W + "pPr")
        if ppr is not None:
            num_pr = ppr.find(W + "numPr")
            if num_pr is not None:
                n, lv = num_pr.find(W + "numId"), num_pr.find(W + "ilvl")
                num_id = n.get(W + "val") if n is not None else None
                ilvl = int(lv.get(W + "val", "0")) if lv is not None else None
            style = ppr.find(W + "pStyle")
            if style is not None and (num_id is None or ilvl is None):
                s_num, s_lvl = self.style_num.get(style.get(W + "val"), (None, None))
                num_id = num_id if num_id is not None else s_num
                ilvl = ilvl if ilvl is not None else s_lvl
        if num_id is None or num_id == "0" or num_id not in self.levels:
            return ""
        ilvl = ilvl or 0
        levels = self.levels[num_id]
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(self.abstract_of[num_id], {})
        counters[ilvl] = counters.get(ilvl, levels[ilvl][2] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        fmt, text, _ = levels[ilvl]
        if fmt == "bullet":
            return ""

        def sub(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            if k not in levels:
                return ""
            value = counters.get(k, levels[k][2])
            return _format_number(value, levels[k][0])

        return re.sub(r"%([1-9])", sub, text)


def _blocks(body, numbering: _Numbering | None = None) -> list[Paragraph | Table]:
    blocks: list[Paragraph | Table] = []
    stack = list(reversed(list(body)))
    while stack:
        node = stack.pop()
        tag = node.tag
        if tag == W + "p":
            label = numbering.label(node) if numbering is not None else ""
            text = _text(node)
            if label and text:
                text = label + text
            if text:
                blocks.append(Paragraph(text))
        elif tag == W + "tbl":
            grid, nested = _table_grid(node, numbering)
            width = len(grid[0]) if grid else 0
            if width <= 1:  # a frame: its cells are ordinary body content
                cells = [tc for tr in _children(node, W + "tr") for tc in _children(tr, W + "tc")]
                stack.extend(reversed([child for tc in cells for child in tc if child.tag != W + "tcPr"]))
                continue
            blocks.append(Table(grid))
            stack.extend(reversed(nested))
        elif tag in _WRAPPERS:
            stack.extend(reversed(list(node)))
    return blocks


def _looks_real_title(title: str | None) -> bool:
    if not title:
        return False
    t = title.strip()
    if re.search(r"(?i)microsoft word|\.docx?$|\.wps$|^untitled|^无标题|^文档\d*$", t):
        return False
    return len(t) >= 4 and bool(re.search(f"[{_CJK}]", t))


def read(data: bytes, *, url: str | None = None) -> Document:
    """Read DOCX bytes into a Document (format "docx")."""
    check_zip(data)
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        core_title = document.core_properties.title
        numbering = _Numbering(document)
    except ExtractError:
        raise
    except Exception as exc:  # python-docx raises many types for malformed packages
        raise ExtractError(f"unreadable DOCX: {type(exc).__name__}: {exc}") from None
    warnings: list[str] = []
    blocks = _blocks(body, numbering)
    title = clean_text(core_title) if _looks_real_title(core_title) else None
    if title is None:
        for block in blocks[:3]:
            if isinstance(block, Paragraph) and "报告" in block.text and len(block.text) <= 80:
                title = block.text
                break
    return Document(blocks=blocks, format="docx", title=title, warnings=warnings)
