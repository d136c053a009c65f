"""The readable summary of a record: metadata, the tables with Chinese labels, checks."""
from __future__ import annotations

import unicodedata

from .templates import REVIEWS, TEMPLATES


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def _cell(v) -> str:
    if v is None:
        return "?"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _grid(header: list[str], rows: list[tuple[str, list]], label_width: int = 0) -> list[str]:
    lw = max([label_width] + [_width(r[0]) for r in rows])
    cw = [max(_width(h), 4) for h in header]
    out = [_pad("", lw) + "  " + "  ".join(_pad(h, w, True) for h, w in zip(header, cw))]
    for label, vals in rows:
        out.append(_pad(label, lw) + "  " + "  ".join(_pad(_cell(v), w, True) for v, w in zip(vals, cw)))
    return out


def _row_label(row) -> str:
    """（三）1.属于国家秘密: a numbered item shows its group's number, cut to fit a line."""
    label = row.label
    if row.group and row.group.startswith("（") and not label.startswith("（"):
        label = row.group[: row.group.index("）") + 1] + label
    return label if _width(label) <= 52 else label[:25] + "…"


def render_summary(record: dict) -> str:
    lines = [
        f"标题 title      {record.get('title')}",
        f"年度 year       {record.get('year')}    模板 template {record.get('template')}",
        f"机关 agency     {record.get('agency')}",
        f"地区 region     {record.get('region')} ({record.get('region_code')})",
        f"发布 published  {record.get('published')}    格式 format {record.get('format')}",
        "",
    ]
    template = TEMPLATES.get(record.get("template") or "")
    if template:
        lines.append("二、主动公开政府信息情况")
        active = record.get("active_disclosure")
        if active is None:
            lines.append("  (table not found)")
        else:
            cols = {c.key: c.label for c in template.active_disclosure.columns}
            for row in template.active_disclosure.rows:
                cells = "  ".join(f"{cols[m]} {_cell(active[row.key][m])}" for m in row.measures)
                lines.append(f"  {_pad(row.label, 22)} {cells}")
        lines += ["", "三、收到和处理政府信息公开申请情况"]
        apps = record.get("applications")
        if apps is None:
            lines.append("  (table not found)")
        else:
            header = [c.label for c in template.applications.columns]
            rows = [(_row_label(r), [apps[r.key][c] for c in template.applications.column_keys])
                    for r in template.applications.rows]
            lines += ["  " + line for line in _grid(header, rows)]
        lines += ["", "四、政府信息公开行政复议、行政诉讼情况"]
        reviews = record.get("reviews")
        if reviews is None:
            lines.append("  (table not found)")
        else:
            header = [c.label for c in REVIEWS.columns]
            rows = [(g.label, [reviews[g.key][c] for c in REVIEWS.column_keys]) for g in REVIEWS.rows]
            lines += ["  " + line for line in _grid(header, rows)]
        lines.append("")
    sections = record.get("sections") or {}
    for key, label in (("overview", "一、总体情况"), ("problems", "五、存在的主要问题及改进情况"), ("other", "六、其他需要报告的事项")):
        text = sections.get(key)
        lines.append(f"{label}: " + ("(not found)" if text is None else f"{len(text)} characters"))
    lines += ["", "检查 checks"]
    for check in record.get("checks", []):
        lines.append(f"  {'✓' if check['ok'] else '✗'} {check['name']}: {check['detail']}")
    for warning in record.get("warnings", []):
        lines.append(f"  ! {warning}")
    return "\n".join(lines) + "\n"
