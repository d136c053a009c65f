"""Consistency checks (勾稽关系 and sums), with their arithmetic in `detail`.

The sum rules come from the template data: which application rows are
handling results, which review outcomes add up to the group total.
"""
from __future__ import annotations

from .templates import REVIEWS, Template

Check = dict  # {"name": str, "ok": bool, "detail": str}


def _fmt(v) -> str:
    if v is None:
        return "?"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _absent(name: str, table: str) -> Check:
    return {"name": name, "ok": False, "detail": f"not evaluated: the {table} table was not found"}


def _missing(cells: list[str]) -> str:
    more = f" (+{len(cells) - 6} more)" if len(cells) > 6 else ""
    return "cells missing: " + ", ".join(cells[:6]) + more


def balance(apps: dict | None, template: Template) -> Check:
    """new_received + carried_over = total + carried_forward, per column."""
    if apps is None:
        return _absent("balance", "applications")
    bad, missing = [], []
    for col in template.applications.column_keys:
        a, b, c, d = (apps[r][col] for r in ("new_received", "carried_over", "total", "carried_forward"))
        if None in (a, b, c, d):
            missing.append(col)
        elif a + b != c + d:
            bad.append(f"{col}: {a} + {b} ≠ {c} + {d}")
    t = [apps[r]["total"] for r in ("new_received", "carried_over", "total", "carried_forward")]
    summary = f"{_fmt(t[0])} + {_fmt(t[1])} = {_fmt(t[2])} + {_fmt(t[3])}"
    if bad or missing:
        detail = "; ".join(bad + ([_missing(missing)] if missing else []))
        return {"name": "balance", "ok": False, "detail": detail}
    return {"name": "balance", "ok": True, "detail": f"{summary} (new + carried over = total handled + carried forward, all 7 columns)"}


def row_totals(apps: dict | None, template: Template) -> Check:
    """In every application row the six applicant columns sum to `total`."""
    if apps is None:
        return _absent("row_totals", "applications")
    parts = template.applications.column_keys[:-1]
    bad, missing = [], []
    for key, row in apps.items():
        vals = [row[c] for c in parts]
        if None in vals or row["total"] is None:
            missing.append(key)
            continue
        if sum(vals) != row["total"]:
            bad.append(f"{key}: {' + '.join(map(_fmt, vals))} = {_fmt(sum(vals))} ≠ {_fmt(row['total'])}")
    if bad or missing:
        return {"name": "row_totals", "ok": False, "detail": "; ".join(bad + ([_missing(missing)] if missing else []))}
    return {"name": "row_totals", "ok": True, "detail": f"all {len(apps)} rows: 6 applicant columns sum to 总计"}


def result_total(apps: dict | None, template: Template) -> Check:
    """The handling-result rows 三（一）…（六） sum to 三（七）总计, per column."""
    if apps is None:
        return _absent("result_total", "applications")
    bad, missing, shown = [], [], ""
    for col in template.applications.column_keys:
        vals = [apps[r][col] for r in template.result_rows]
        total = apps["total"][col]
        if None in vals or total is None:
            missing.append(col)
            continue
        s = sum(vals)
        nonzero = [_fmt(v) for v in vals if v] or ["0"]
        line = f"{col}: {' + '.join(nonzero)} = {_fmt(s)} {'=' if s == total else '≠'} {_fmt(total)}"
        if col == "total":
            shown = line
        if s != total:
            bad.append(line)
    if bad or missing:
        return {"name": "result_total", "ok": False, "detail": "; ".join(bad + ([_missing(missing)] if missing else []))}
    return {"name": "result_total", "ok": True, "detail": shown + " (all 7 columns agree)"}


def review_totals(reviews: dict | None) -> Check:
    """In each review group upheld + corrected + other + pending = total."""
    if reviews is None:
        return _absent("review_totals", "reviews")
    lines, ok = [], True
    for group in REVIEWS.row_keys:
        row = reviews[group]
        vals = [row[c] for c in ("upheld", "corrected", "other", "pending")]
        if None in vals or row["total"] is None:
            ok = False
            lines.append(f"{group}: cells missing")
            continue
        s = sum(vals)
        good = s == row["total"]
        ok &= good
        lines.append(f"{group}: {' + '.join(map(_fmt, vals))} = {_fmt(s)} {'=' if good else '≠'} {_fmt(row['total'])}")
    return {"name": "review_totals", "ok": ok, "detail": "; ".join(lines)}


_PART_OF = {"active_disclosure": "part 2 (主动公开)", "applications": "part 3 (依申请)", "reviews": "part 4 (复议诉讼)"}


def completeness(tables: dict[str, dict | None]) -> Check:
    """All of parts 2, 3 and 4 were found, with every template cell."""
    absent = [f"{_PART_OF[n]}" for n, t in tables.items() if t is None]
    empty_cells = [
        f"{name}.{row}.{col}"
        for name, t in tables.items() if t is not None
        for row, cells in t.items() for col, v in cells.items() if v is None
    ]
    if absent:
        return {"name": "completeness", "ok": False, "detail": "table not found: " + ", ".join(absent)}
    if empty_cells:
        return {"name": "completeness", "ok": False, "detail": _missing(empty_cells)}
    return {"name": "completeness", "ok": True, "detail": "parts 2, 3 and 4 found with every cell"}


def run_checks(template: Template | None, active: dict | None, apps: dict | None, reviews: dict | None) -> list[Check]:
    """The five checks of the contract, in its order."""
    if template is None:  # legacy reports have no template tables
        reason = "not evaluated: legacy report (before 2019) has no template tables"
        return [{"name": n, "ok": False, "detail": reason}
                for n in ("balance", "row_totals", "result_total", "review_totals", "completeness")]
    return [
        balance(apps, template),
        row_totals(apps, template),
        result_total(apps, template),
        review_totals(reviews),
        completeness({"active_disclosure": active, "applications": apps, "reviews": reviews}),
    ]
