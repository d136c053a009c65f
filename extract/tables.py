"""Finding the three template tables in a Document and reading their cells.

Works on the shared intermediate form only.  Each grid row is split into its
label (the text cells) and its values (the number cells that follow); the
label is matched to a template row through the cue phrases of
:mod:`extract.templates` — innermost label cell first, so merged group labels
repeated by rowspan expansion do not confuse it — with the printed numbering
(（三）… 2.) and a fuzzy comparison as fall-backs for garbled text.

Tables are classified by content (which template rows their labels match),
not by position, so a report whose headings are lost still yields its tables
and a stray row of zeros without labels is never taken for one.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .document import Document, Table
from .labels import normalize, parse_number
from .templates import ACTIVE_2019, ACTIVE_2021, REVIEWS, T2019, T2021, Row, TableSpec, Template

_SECTION = re.compile(r"\(([一二三四五六七])\)")
_ITEM = re.compile(r"^(\d{1,2})[.、,:)]?(?=\D)")
_REVIEW_COUNT = len(REVIEWS.rows) * len(REVIEWS.columns)


@dataclass
class GridRow:
    labels: list[str]  # distinct non-empty label cells, outermost first
    values: list[str]  # cells after the label, as printed
    exact: bool

    @property
    def label(self) -> str:
        return "".join(self.labels)


def split_row(cells: list[str], exact: bool) -> GridRow:
    """Label cells are the text cells up to the last non-number cell."""
    last_text = -1
    for i, cell in enumerate(cells):
        if cell and parse_number(cell) is None:
            last_text = i
    labels: list[str] = []
    for cell in cells[: last_text + 1]:
        if cell and (not labels or labels[-1] != cell):
            labels.append(cell)
    return GridRow(labels, cells[last_text + 1:], exact)


def has_values(row: GridRow, n: int) -> bool:
    """A row with numbers — or, in an exact grid, with n value cells left blank (blank reads 0)."""
    if any(v.strip() for v in row.values):
        return True
    return row.exact and len(row.values) >= n


def take_values(row: GridRow, n: int, align: str) -> list[int | float | None]:
    """The n numbers of a row.

    Exact grids: the n cells after the label by position (blank = 0), trailing
    surplus ignored.  Text-rebuilt grids: empty cells are layout, not zeros —
    the non-empty cells are taken, right-aligned for the application table
    (stray leading columns) and left-aligned for part 2; missing ones are None.
    """
    cells = list(row.values)
    if row.exact:
        while len(cells) > n and not cells[-1]:
            cells.pop()
        if len(cells) == n or (len(cells) > n and align == "left"):
            return [parse_number(c) for c in cells[:n]]
    filled = [c for c in cells if c.strip()]
    if len(filled) >= n:
        chosen = filled[-n:] if align == "right" else filled[:n]
        return [parse_number(c) for c in chosen]
    padded: list[int | float | None] = [parse_number(c) for c in filled]
    missing: list[None] = [None] * (n - len(filled))
    return missing + padded if align == "right" else padded + missing


def number_cells(cells: list[str], exact: bool) -> list[str]:
    """The value cells of a row without labels (the review table's data row).

    Text-rebuilt grids: the non-empty number cells.  Exact grids: when no cell
    holds text, every cell counts — a blank cell there is a printed 0.
    """
    filled = [c for c in cells if c.strip() and parse_number(c) is not None]
    if exact and filled and all(not c.strip() or parse_number(c) is not None for c in cells):
        return list(cells)
    return filled


# --- matching labels to template rows -------------------------------------------

@dataclass(frozen=True)
class _Cue:
    phrase: str
    row: Row


def _cue_list(spec_rows: list[Row]) -> list[_Cue]:
    """Cues ordered longest first, so 其他处理 wins over 其他, 不予公开 rows over 予以公开."""
    cues = [_Cue(normalize(p), r) for r in spec_rows for p in r.cues]
    return sorted(cues, key=lambda c: -len(c.phrase))


_APP_ROWS: list[Row] = []
for _row in T2021.applications.rows + T2019.applications.rows:
    if _row.key not in {r.key for r in _APP_ROWS}:
        _APP_ROWS.append(_row)
_APP_CUES = _cue_list(_APP_ROWS)
_ACTIVE_ROWS: list[Row] = []
for _row in ACTIVE_2021.rows + ACTIVE_2019.rows:
    if _row.key not in {r.key for r in _ACTIVE_ROWS}:
        _ACTIVE_ROWS.append(_row)
_ACTIVE_CUES = _cue_list(_ACTIVE_ROWS)
_REVIEW_CUES = _cue_list(list(REVIEWS.rows))
_NUMBERED = {r.number: r for r in _APP_ROWS if len(r.number) >= 2}

_HEADER_CUES = {
    "applications": ("申请人情况", "自然人", "商业企业", "科研机构", "法人或其他组织", "办理结果"),
    "reviews": ("行政复议", "行政诉讼", "结果维持", "尚未审结", "复议后起诉", "直接起诉"),
    "active_disclosure": ("第二十条", "信息内容", "本年制发", "现行有效", "处理决定", "收费金额", "新制作", "上一年项目"),
}


SHORT_CUE = 2  # a cue this short (其他, 合计, 信访) may sit inside a longer, garbled label of another row


def match_cell(text: str, cues: list[_Cue]) -> Row | None:
    norm = normalize(text)
    for cue in cues:
        if cue.phrase and cue.phrase in norm:
            if len(cue.phrase) <= SHORT_CUE and len(norm) >= 4 * SHORT_CUE:
                # a long label that only a short cue matched: an OCR- or typo-garbled label of
                # another row (2.其他法律行政法规茜止公开) reads as that row when it is close to it
                rows = list({c.row.key: c.row for c in cues}.values())
                return _fuzzy(text, rows) or cue.row
            return cue.row
    return None


def match_label(labels: list[str], cues: list[_Cue]) -> Row | None:
    """Innermost label cell first, then the whole label."""
    for cell in reversed(labels):
        row = match_cell(cell, cues)
        if row:
            return row
    return match_cell("".join(labels), cues) if len(labels) > 1 else None


def _fuzzy(label: str, rows: list[Row]) -> Row | None:
    norm = re.sub(r"^[\d.()一二三四五六七八、]+", "", normalize(label))
    if len(norm) < 4:
        return None
    best, best_ratio = None, 0.0
    for row in rows:
        target = re.sub(r"^[\d.()一二三四五六七八、]+", "", normalize(row.label))
        ratio = difflib.SequenceMatcher(None, norm, target).ratio()
        if ratio > best_ratio:
            best, best_ratio = row, ratio
    return best if best_ratio >= 0.7 else None


# --- per-table readers ------------------------------------------------------------

@dataclass
class Found:
    """What was read of one template table before the template is decided."""

    rows: dict[str, list[int | float | None]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    header_text: str = ""


def classify(table: Table) -> str | None:
    """Which template table a grid is (by its labels and header cues), or None."""
    scores = {"applications": 0, "reviews": 0, "active_disclosure": 0}
    text = normalize(table.text())
    for name, cues in _HEADER_CUES.items():
        scores[name] += sum(1 for c in cues if c in text)
    for cells in table.rows:
        row = split_row(cells, table.exact_columns)
        if not row.labels or not any(v.strip() for v in row.values):
            continue
        if match_label(row.labels, _APP_CUES):
            scores["applications"] += 2
        if match_label(row.labels, _ACTIVE_CUES):
            scores["active_disclosure"] += 2
    numbers = max((len(number_cells(cells, table.exact_columns)) for cells in table.rows), default=0)
    if numbers >= _REVIEW_COUNT and scores["reviews"]:
        scores["reviews"] += 10
    name, score = max(scores.items(), key=lambda kv: kv[1])
    if score < 2:
        return None
    if name == "reviews" and numbers < len(REVIEWS.columns):
        return None
    return name


def read_applications(tables: list[Table], found: Found) -> None:
    section: str | None = None
    pending = ""  # a label-only line: the first half of a label broken over lines
    for table in tables:
        for cells in table.rows:
            row = split_row(cells, table.exact_columns)
            if not row.labels:
                continue
            m = _SECTION.search(normalize(row.label))
            if m:
                section = m.group(1)
            if not has_values(row, len(T2021.applications.columns)):
                pending = row.labels[-1]  # header, or a label continued on the next line
                continue
            target = match_label(row.labels, _APP_CUES)
            if target is None and pending:
                target = match_cell(pending + row.labels[-1], _APP_CUES)
            pending = ""
            if target is None and section:
                item = _ITEM.match(normalize(row.labels[-1]))
                if item:
                    target = _NUMBERED.get(("三", section, item.group(1)))
            if target is None:
                target = _fuzzy(row.labels[-1], _APP_ROWS)
            if target is None:
                found.unmatched.append(row.label)
                continue
            if target.key in found.rows:
                continue  # a repeated header/page break: the first reading stands
            found.rows[target.key] = take_values(row, len(T2021.applications.columns), "right")
            found.labels[target.key] = row.label


def read_active(tables: list[Table], found: Found) -> None:
    for table in tables:
        found.header_text += normalize(table.text())
        for cells in table.rows:
            row = split_row(cells, table.exact_columns)
            if not row.labels or not has_values(row, 1):
                continue
            target = match_label(row.labels[-1:], _ACTIVE_CUES) or match_label(row.labels, _ACTIVE_CUES)
            if target is None:
                found.unmatched.append(row.label)
                continue
            if target.key in found.rows:
                continue
            # up to 3 measures; the template decides later how many it keeps
            found.rows[target.key] = take_values(row, 3, "left")
            found.labels[target.key] = row.label
            if not row.exact:
                filled = [c for c in row.values if c.strip()]
                found.rows[target.key] = [parse_number(c) for c in filled[:3]]


def read_reviews(tables: list[Table], found: Found) -> None:
    for table in tables:
        for cells in table.rows:
            numbers = number_cells(cells, table.exact_columns)
            if len(numbers) >= _REVIEW_COUNT and "flat" not in found.rows:
                found.rows["flat"] = [parse_number(c) for c in numbers[-_REVIEW_COUNT:]]
                continue
            row = split_row(cells, table.exact_columns)
            target = match_label(row.labels, _REVIEW_CUES) if row.labels else None
            if target and len([v for v in row.values if v.strip()]) >= len(REVIEWS.columns):
                found.rows.setdefault(target.key, take_values(row, len(REVIEWS.columns), "right"))


# --- the result -----------------------------------------------------------------

@dataclass
class TablesResult:
    template: str | None  # "2021" / "2019" when the tables show which, else None
    active_disclosure: dict | None
    applications: dict | None
    reviews: dict | None
    notes: list[str]


def detect_template(active: Found | None, apps: Found | None) -> str | None:
    votes = {"2021": 0, "2019": 0}
    if apps:
        if {"other_no_correction", "other_no_fee"} & apps.rows.keys():
            votes["2021"] += 2
        elif "other" in apps.rows:
            votes["2019"] += 2
    if active:
        if {"other_services", "procurement"} & active.rows.keys():
            votes["2019"] += 2
        text = active.header_text
        votes["2019"] += sum(c in text for c in ("新制作", "新公开", "上一年项目", "增/减", "集中采购"))
        votes["2021"] += sum(c in text for c in ("制发", "废止", "现行有效"))
    if votes["2021"] == votes["2019"]:
        return None
    return max(votes, key=votes.get)


def _shape_applications(found: Found, template: Template) -> dict:
    rows = dict(found.rows)
    # 三（六）: one row in 2019, three in 2021 — reconcile a label read the other way
    if template.version == "2021" and "other" in rows and "other_misc" not in rows:
        rows["other_misc"] = rows.pop("other")
    if template.version == "2019" and "other" not in rows and "other_misc" in rows:
        rows["other"] = rows.pop("other_misc")
    cols = template.applications.column_keys
    out = {}
    for r in template.applications.rows:
        vals = rows.get(r.key) or [None] * len(cols)
        out[r.key] = dict(zip(cols, vals))
    return out


def _shape_active(found: Found, template: Template) -> dict:
    out = {}
    for r in template.active_disclosure.rows:
        vals = found.rows.get(r.key) or []
        out[r.key] = {m: (vals[i] if i < len(vals) else None) for i, m in enumerate(r.measures)}
    return out


def _shape_reviews(found: Found) -> dict:
    cols = REVIEWS.column_keys
    out = {}
    flat = found.rows.get("flat")
    for gi, group in enumerate(REVIEWS.rows):
        if flat:
            vals = flat[gi * len(cols):(gi + 1) * len(cols)]
        else:
            vals = found.rows.get(group.key) or [None] * len(cols)
        out[group.key] = dict(zip(cols, vals))
    return out


def read_tables(doc: Document, year_template: str) -> TablesResult:
    """Classify every grid, read the three tables, decide the template."""
    groups: dict[str, list[Table]] = {"active_disclosure": [], "applications": [], "reviews": []}
    for table in doc.tables():
        name = classify(table)
        if name:
            groups[name].append(table)
    notes: list[str] = []
    found: dict[str, Found | None] = {}
    for name, reader in (("active_disclosure", read_active), ("applications", read_applications), ("reviews", read_reviews)):
        if not groups[name]:
            found[name] = None
            continue
        f = Found()
        reader(groups[name], f)
        found[name] = f if f.rows else None
        if f.unmatched:
            notes.append(f"{name}: rows not matched to the template: " + "; ".join(f.unmatched[:5]))
    detected = detect_template(found["active_disclosure"], found["applications"])
    version = detected or (year_template if year_template in ("2021", "2019") else "2021")
    template = T2021 if version == "2021" else T2019
    apps = _shape_applications(found["applications"], template) if found["applications"] else None
    active = _shape_active(found["active_disclosure"], template) if found["active_disclosure"] else None
    reviews = _shape_reviews(found["reviews"]) if found["reviews"] else None
    return TablesResult(detected, active, apps, reviews, notes)
