"""Plain text and markdown dumps → Document.

Dumps like the five real samples: headings and paragraphs one per line, table
rows as cells separated by tabs, runs of spaces, or ``|`` (markdown).  Labels
broken over lines and stray empty columns are left for the matcher: this
reader only tells table rows from paragraphs and groups consecutive rows into
one grid with ``exact_columns=False``.
"""
from __future__ import annotations

import re

from ..document import Document, Paragraph, Table
from ..labels import is_number_cell
from ..parts import heading_part

_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$|^[-\s\t|:]+$")
_SPACE_RUN = re.compile(r" {2,}|\u3000+")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")


def _cells(line: str) -> list[str] | None:
    """The cells of a table line, or None for a paragraph line."""
    if "\t" in line:
        return line.split("\t")
    stripped = line.strip()
    if "|" in stripped:
        parts = stripped.strip("|").split("|")
        if stripped.count("|") >= 2 or is_number_cell(parts[-1]):
            return parts
    parts = _SPACE_RUN.split(stripped)
    numbers = sum(is_number_cell(p) for p in parts)
    if (len(parts) >= 3 and numbers >= 2) or (len(parts) == 2 and is_number_cell(parts[1]) and len(parts[0]) <= 40):
        return parts
    return None


def _clean_paragraph(line: str) -> str:
    line = _MD_HEADING.sub("", line)
    return line.replace("**", "").replace("__", "")


def read(data: bytes | str, *, url: str | None = None) -> Document:
    """Parse a text dump (already decoded, or UTF-8/GB18030 bytes)."""
    text = data if isinstance(data, str) else decode_text(data)
    lines: list[tuple[str, list[str] | None]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue  # blank lines neither end a table nor make a paragraph
        if _MD_RULE.match(raw) and "-" in raw:
            continue  # markdown table rule / horizontal rule
        lines.append((raw, _cells(raw)))

    doc = Document(format="text")
    rows: list[list[str]] = []
    for i, (raw, cells) in enumerate(lines):
        if cells is None and rows and _is_label_fragment(raw) and i + 1 < len(lines) and lines[i + 1][1] is not None:
            cells = [raw.strip()]  # a row label broken over lines, inside a table
        if cells is not None:
            rows.append(cells)
            continue
        if rows:
            doc.blocks.append(Table(rows, exact_columns=False))
            rows = []
        para = _clean_paragraph(raw).strip()
        if para:
            doc.blocks.append(Paragraph(para))
    if rows:
        doc.blocks.append(Table(rows, exact_columns=False))
    return doc


def _is_label_fragment(line: str) -> bool:
    """A short line without sentence punctuation: part of a table label, not prose."""
    text = line.strip()
    if heading_part(text):
        return False
    return len(text) <= 40 and not text.endswith(("。", "：", ":", "；")) and "。" not in text


def decode_text(data: bytes) -> str:
    """Decode text bytes: BOM, then strict UTF-8, then GB18030, then a guess."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace")
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", errors="replace")
