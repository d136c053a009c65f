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


# OCR misreads of digits in number cells: letters and a CJK look-alike of the WenQuanYi/Song "1"
# (its flat foot reads as 工).  Applied by :func:`ocr_number` to whole cells of a table row only —
# never to labels or prose, where these characters are words.
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "〇": "0", "○": "0", "l": "1", "I": "1", "|": "1", "工": "1"})
_OCR_NUMBER_CHARS = re.compile(r"^[\dOo〇○lI|工,.%+\-−]+$")


def ocr_number(cell: str) -> str | None:
    """The number an OCR'd table cell stands for, as clean text, or None when it is not one.

    Full-width digits and stray spaces go (via :func:`normalize`); O/o/〇/○ read as 0 and
    l/I/|/工 as 1 — but a lone ``|`` is a left-over table rule, not a digit.

    >>> [ocr_number(c) for c in ("1O", "工", "2 0", "１２", "|", "无", "工作", "0.5")]
    ['10', '1', '20', '12', None, '无', None, '0.5']
    """
    text = normalize(cell)
    if not text or text == "|":
        return None
    if parse_number(text) is not None:
        return text
    if not _OCR_NUMBER_CHARS.match(text):
        return None
    fixed = text.translate(_OCR_DIGITS)
    return fixed if parse_number(fixed) is not None else None


# Chinese numerals in prose (三件, 十二条, 两千余条, 一百零五): digits, the small units 十百千
# and the section units 万亿.  〇/零 are placeholders; 两 is 2.  A run of bare digits (二〇二二,
# 三五) is not a count — years go through :func:`chinese_year`, 三五个 is a vague range.
_CN_NUM_DIGITS = {**{k: v for k, v in _CN_DIGITS.items() if k != "O"}, "两": 2}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}


def chinese_number(text: str) -> int | None:
    """The integer a Chinese numeral spells, or None when it is not one well-formed numeral.

    >>> [chinese_number(t) for t in ("三", "十二", "二十", "一百零五", "两千", "三万五千", "一百二", "零")]
    [3, 12, 20, 105, 2000, 35000, 120, 0]
    >>> [chinese_number(t) for t in ("二〇二二", "三五", "十四五", "百十", "", "件")]
    [None, None, None, None, None, None]
    """
    if not text or any(ch not in _CN_NUM_DIGITS and ch not in _CN_SMALL and ch not in _CN_BIG for ch in text):
        return None
    total = section = 0
    digit: int | None = None
    zero = False  # a 零 since the last unit: the next digit is a units digit (一百零五 = 105)
    last_small = 10_000  # magnitude of the last small unit in this section (units must fall)
    last_big = 10 ** 12
    for ch in text:
        if ch in _CN_NUM_DIGITS:
            value = _CN_NUM_DIGITS[ch]
            if digit is not None:
                return None  # two digits in a row: 二〇, 三五
            if value == 0:
                if zero and section == 0 and total == 0:
                    return None
                zero = True
                continue
            digit = value
        elif ch in _CN_SMALL:
            mag = _CN_SMALL[ch]
            if mag >= last_small or zero and digit is None:
                return None
            if digit is None:
                if section or total:  # 一百十 is malformed; 十 leads only a whole numeral or 万 section
                    return None
                digit = 1  # 十二, 百余 (the caller decides whether a bare 百 is a count)
            section += digit * mag
            digit, zero, last_small = None, False, mag
        else:
            mag = _CN_BIG[ch]
            if mag >= last_big:
                return None
            if digit is not None:
                section += digit
            elif section == 0:
                section = 1  # a bare 万
            total += section * mag
            section, digit, zero, last_small, last_big = 0, None, False, 10_000, mag
    if digit is not None:
        # 一百二 = 120, 三万五 = 35000: a digit right after a unit above 十, with no 零, is the next place
        if not zero and last_small < 10_000 and last_small > 10 and section:
            digit *= last_small // 10
        elif not zero and section == 0 and total and last_small == 10_000:
            digit *= last_big // 10
        section += digit
    elif zero and section == 0 and total == 0:
        return 0  # 零
    return total + section
