"""The six parts of a report: finding their headings, cutting the narrative.

Headings are told by their keywords (numbering is often lost or wrong), and
only short paragraphs count — the overview's sentence listing all six part
names is not a heading.
"""
from __future__ import annotations

from dataclasses import dataclass

from .document import Document, Paragraph
from .labels import normalize

# part number → phrases (normalised) any of which identifies the heading
PART_HEADINGS: dict[int, tuple[tuple[str, ...], ...]] = {
    1: (("总体情况",), ("概述",), ("基本情况",)),
    2: (("主动公开政府信息情况",), ("主动公开政府信息",), ("主动公开情况",)),
    3: (("收到和处理政府信息公开申请",), ("依申请公开政府信息情况",), ("依申请公开政府信息",)),
    4: (("行政复议", "行政诉讼"), ("复议", "诉讼")),
    5: (("存在的主要问题",), ("存在的问题",), ("主要问题及改进",), ("问题及改进",)),
    6: (("其他需要报告",), ("其他需要说明",)),
}
SECTION_OF_PART = {1: "overview", 5: "problems", 6: "other"}
_MAX_HEADING = 36


@dataclass
class Heading:
    part: int
    index: int  # block index


def heading_part(text: str) -> int | None:
    norm = normalize(text).rstrip(":：。")
    if not norm or len(norm) > _MAX_HEADING:
        return None
    for part, alternatives in PART_HEADINGS.items():
        for phrases in alternatives:
            if all(p in norm for p in phrases):
                # a sub-heading like （一）主动公开情况 inside part 1 is not part 2
                if part == 2 and norm.startswith("(") and "政府信息" not in norm:
                    return None
                return part
    return None


_NUMERALS = "一二三四五六"


def _numbered_as(text: str, part: int) -> bool:
    norm = normalize(text)
    return norm.startswith((_NUMERALS[part - 1] + "、", _NUMERALS[part - 1] + ".", str(part) + ".", str(part) + "、"))


def find_headings(doc: Document) -> list[Heading]:
    """The part headings in order: the best strictly increasing run of candidates.

    A sub-heading such as 依申请公开情况 inside part 1 must not hide the real
    part 2 heading after it, so candidates are chosen together (weighted by
    whether their numbering agrees), not greedily.
    """
    cands: list[tuple[Heading, float]] = []
    for i, block in enumerate(doc.blocks):
        if isinstance(block, Paragraph):
            part = heading_part(block.text)
            if part:
                cands.append((Heading(part, i), 1.0 + (0.5 if _numbered_as(block.text, part) else 0.0)))
    best: list[tuple[float, list[Heading]]] = []
    for j, (h, w) in enumerate(cands):
        score, chain = w, [h]
        for k in range(j):
            if cands[k][0].part < h.part and best[k][0] + w > score:
                score, chain = best[k][0] + w, best[k][1] + [h]
        best.append((score, chain))
    return max(best, key=lambda b: b[0])[1] if best else []


def sections(doc: Document, headings: list[Heading]) -> dict[str, str | None]:
    """Narrative text of parts 1, 5 and 6 (paragraphs only; None when absent)."""
    out: dict[str, str | None] = {"overview": None, "problems": None, "other": None}
    for n, h in enumerate(headings):
        key = SECTION_OF_PART.get(h.part)
        if not key:
            continue
        end = headings[n + 1].index if n + 1 < len(headings) else len(doc.blocks)
        paras = [b.text for b in doc.blocks[h.index + 1:end] if isinstance(b, Paragraph) and b.text]
        out[key] = "\n".join(paras) if paras else ""
    return out
