"""Normalising labels and reading numbers as printed.

Label matching normalises once — full/half width, spaces, quotes, brackets —
then compares with the cue phrases of :mod:`extract.templates`.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

_DROP = re.compile(r"[\s\u00a0\u3000\u200b\ufeff\"'“”‘’「」『』《》〈〉*#_]+")
_NULL_MARKERS = {"", "无", "/", "-", "—", "——", "–", "－", "－－", "\\", "／", "空", "×", "——/"}
_NUMBER = re.compile(r"^[+\-−]?\d{1,3}(,\d{3})+(\.\d+)?$|^[+\-−]?\d+(\.\d+)?$")
_UNITS = re.compile(r"(件|个|项|条|次|起|人次|万元|元)$")


def normalize(text: str) -> str:
    """Full-width → half-width (NFKC), no whitespace, no quotes/markup characters.

    >>> normalize("（三） 不予公开　“三安全一稳定”")
    '(三)不予公开三安全一稳定'
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("．", ".").replace("、", "、")
    return _DROP.sub("", text)


def parse_number(cell: str) -> int | float | None:
    """The number printed in a table cell, or None when the cell is not a number.

    Blank, 无, /, -, — read as 0 (the spec); ``1,234`` and ``0.0000`` are
    numbers; a trailing unit (件, 万元) is dropped.  Integral values are ints.
    """
    text = normalize(cell)
    if text in _NULL_MARKERS:
        return 0
    text = _UNITS.sub("", text).replace("−", "-")
    if not _NUMBER.match(text):
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - regex guards this
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, 4))


def is_number_cell(cell: str) -> bool:
    """True for a non-empty cell holding a number or a null marker (无, —)."""
    return bool(cell.strip()) and parse_number(cell) is not None


_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_year(text: str) -> int | None:
    """'二〇二二' → 2022 (year written in Chinese digits), else None."""
    if len(text) != 4 or any(ch not in _CN_DIGITS for ch in text):
        return None
    return int("".join(str(_CN_DIGITS[ch]) for ch in text))
