"""The one intermediate form every reader produces.

A :class:`Document` is the report as an ordered list of blocks.  Each block is a
:class:`Paragraph` (one run of text: a heading, a narrative paragraph) or a
:class:`Table` (a full rectangular grid of cell strings).  Readers (HTML, PDF,
DOCX, DOC, text) end here; everything after — finding the parts, matching rows
to the template, numbers, checks — works on this form only.

Merged cells are expanded: a cell spanning several grid positions repeats its
text in each of them, so ``rows[r][c]`` is always defined.  Cell text is
whitespace-collapsed but otherwise as printed (no number parsing here).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Union

_WS = re.compile(r"[ \t\r\n\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")


def clean_text(text: str | None) -> str:
    """Collapse runs of whitespace (incl. NBSP, ideographic space) to one space."""
    if not text:
        return ""
    return _WS.sub(" ", text).strip()


@dataclass
class Paragraph:
    """A run of text: heading or body paragraph."""

    text: str

    def __post_init__(self) -> None:
        self.text = clean_text(self.text)


@dataclass
class Table:
    """A rectangular grid of cell strings with merged cells expanded.

    ``exact_columns`` is True when grid positions are reliable (HTML, DOCX and
    ruled PDF tables); False for grids rebuilt from text layouts (tab/space
    dumps, PDF text lines) where a row may be shifted by stray empty cells.
    """

    rows: list[list[str]]
    exact_columns: bool = True

    def __post_init__(self) -> None:
        width = max((len(r) for r in self.rows), default=0)
        self.rows = [[clean_text(c) for c in r] + [""] * (width - len(r)) for r in self.rows]

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    def text(self) -> str:
        """All distinct cell texts, row by row (for searching)."""
        out: list[str] = []
        for row in self.rows:
            prev = None
            for cell in row:
                if cell and cell != prev:
                    out.append(cell)
                prev = cell
        return " ".join(out)


Block = Union[Paragraph, Table]


@dataclass
class Document:
    """An ordered list of blocks plus what the container itself says.

    ``title`` and ``published`` are metadata the format carries outside the
    body (HTML ``<title>``/meta tags, PDF info); ``format`` names the reader.
    """

    blocks: list[Block] = field(default_factory=list)
    format: str = "text"
    title: str | None = None
    published: str | None = None
    warnings: list[str] = field(default_factory=list)

    def paragraphs(self) -> Iterator[Paragraph]:
        return (b for b in self.blocks if isinstance(b, Paragraph))

    def tables(self) -> Iterator[Table]:
        return (b for b in self.blocks if isinstance(b, Table))

    def full_text(self) -> str:
        parts = [b.text if isinstance(b, Paragraph) else b.text() for b in self.blocks]
        return "\n".join(p for p in parts if p)
