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


def _table_grid(tbl) -> tuple[list[list[str]], list]:
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
                    cell_parts.append(_text(block))
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


def _blocks(body, warnings: list[str]) -> list[Paragraph | Table]:
    blocks: list[Paragraph | Table] = []
    stack = list(reversed(list(body)))
    while stack:
        node = stack.pop()
        tag = node.tag
        if tag == W + "p":
            text = _text(node)
            if text:
                blocks.append(Paragraph(text))
        elif tag == W + "tbl":
            grid, nested = _table_grid(node)
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
    except ExtractError:
        raise
    except Exception as exc:  # python-docx raises many types for malformed packages
        raise ExtractError(f"unreadable DOCX: {type(exc).__name__}: {exc}") from None
    warnings: list[str] = []
    blocks = _blocks(body, warnings)
    title = clean_text(core_title) if _looks_real_title(core_title) else None
    if title is None:
        for block in blocks[:3]:
            if isinstance(block, Paragraph) and "报告" in block.text and len(block.text) <= 80:
                title = block.text
                break
    return Document(blocks=blocks, format="docx", title=title, warnings=warnings)
