"""Render a report record into the formats Chinese portals publish.

``render(record, fmt, **options) -> bytes`` with `fmt` one of:

* ``"text"`` — a plain dump like ``../shared/samples/*.txt``: title, part
  headings, paragraphs separated by blank lines, table rows tab-separated with
  merged cells expanded as empty continuation cells.
* ``"html"`` — a portal article page (site header, nav, breadcrumb, ``<h1>``
  title, 发布时间 line, footer) with the report in a body container and tables
  with merged header cells exactly as on real portals.
  Options: ``container`` = ``"trs"`` (``<div class="TRS_Editor">``, default),
  ``"zoom"`` (``<div id="zoom">``) or ``"hap"`` (``<div class="hap_xq_content">``);
  ``word=True`` — cells and paragraphs as pasted from Word
  (``<p class=MsoNormal><span style=…>``, ``&nbsp;``, ``<o:p>``);
  ``encoding`` (default ``"utf-8"``) and ``declared`` (the charset the page
  claims, default = `encoding`): ``encoding="gbk", declared="utf-8"`` gives GBK
  bytes labelled UTF-8, a real portal fault; ``attachments=[(name, href), …]``
  lists 附件 links after the body; ``stub=True`` (with attachments) makes the page
  a one-line announcement whose report is only in the attachment.
* ``"pdf"`` — reportlab, A4, running header (the title) and footer (``- N -``)
  on every page, ruled tables with SPAN for merged cells.  Options:
  ``font`` = ``"wqy"`` (WenQuanYi Zen Hei, embedded; default) or ``"stsong"``
  (``STSong-Light`` CID font, not embedded); ``split_applications=True`` — the
  application table breaks across two pages (its rows continue on the next
  page below the running header; the merged group cells are cut there).
* ``"docx"`` — python-docx with real merged cells, the title as page header
  and a page-number footer.
* ``"doc"`` — the DOCX converted docx → odt → doc by LibreOffice headless
  (direct docx → doc loses the tables).  :func:`docx_to_doc_many` converts a
  batch in two ``soffice`` calls.

Options for every format: ``omit=("applications",)`` leaves the named tables
out (the part heading stays), ``zero="0"`` is how a zero cell is printed
(``""``, ``"—"``, ``"无"`` are as real), and ``with_sections=False`` drops the
narrative.  A table that is ``None`` in the record is omitted as well; a
value that is ``None`` prints as an empty cell, and a part-2 row whose values
are all ``None`` is not printed (its block header stays), as in sample 000.

Labels come from :mod:`extract.templates`; only the layout words the template
tables carry around the labels (信息内容, 申请人情况, 法人或其他组织, the
第二十条 item headers, the 勾稽关系 note, the part headings) are spelled here.
"""
from __future__ import annotations

import functools
import html as _html
import io
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from extract.templates import REVIEWS, TEMPLATES, Template

FORMATS = ("text", "html", "pdf", "docx", "doc")
TABLE_NAMES = ("active_disclosure", "applications", "reviews")
PARTS = (
    ("overview", "一、总体情况"),
    ("active_disclosure", "二、主动公开政府信息情况"),
    ("applications", "三、收到和处理政府信息公开申请情况"),
    ("reviews", "四、政府信息公开行政复议、行政诉讼情况"),
    ("problems", "五、存在的主要问题及改进情况"),
    ("other", "六、其他需要报告的事项"),
)
BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANTS = "申请人情况"
ORGANISATIONS = "法人或其他组织"
INFO = "信息内容"
# the 2019 template numbers its part-2 blocks by 条例 第二十条 items; templates.py keeps them
# for 2021 only (Row.number), so they are given here
_ITEMS_2019 = {"regulations": "一", "normative_documents": "一", "licensing": "五", "other_services": "五",
               "penalty": "六", "coercion": "六", "fees": "八", "procurement": "九"}
WQY_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


# --------------------------------------------------------------------------- grids


@dataclass(frozen=True)
class Cell:
    """One printed cell at its origin, HTML-style (continuations are not listed)."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    label: bool = True  # a label (header or row label) rather than a number


@dataclass(frozen=True)
class Grid:
    """A table as printed: rows of origin cells, `width` grid columns."""

    rows: tuple[tuple[Cell, ...], ...]
    width: int

    def placed(self) -> list[tuple[int, int, Cell]]:
        """(row, column, cell) of every origin cell, resolving row spans like a browser."""
        taken: set[tuple[int, int]] = set()
        out = []
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row:
                while (r, c) in taken:
                    c += 1
                out.append((r, c, cell))
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        taken.add((r + dr, c + dc))
                c += cell.colspan
        return out

    def expanded(self, repeat: bool = False) -> list[list[str]]:
        """The full rectangle; continuation positions hold "" (or the text when `repeat`)."""
        out = [[""] * self.width for _ in self.rows]
        for r, c, cell in self.placed():
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if repeat or (dr == 0 and dc == 0):
                        out[r + dr][c + dc] = cell.text
        return out


def fmt_number(value, zero: str = "0") -> str:
    """A number as printed: ints plainly, 万元 amounts with their decimals, None blank."""
    if value is None:
        return ""
    if value == 0:
        return zero
    if isinstance(value, float):
        text = repr(value)
        return f"{value:.4f}".rstrip("0").rstrip(".") if "e" in text else text
    return str(value)


def _num(value, zero: str) -> Cell:
    return Cell(fmt_number(value, zero), label=False)


def active_grid(t: Template, data: dict, zero: str = "0") -> Grid:
    """Part 2: blocks per 第二十条 item, each with its 信息内容 header row, 4 columns wide."""
    spec, width = t.active_disclosure, 4
    labels = {c.key: c.label for c in spec.columns}
    rows: list[tuple[Cell, ...]] = []
    prev = None
    for row in spec.rows:
        item = row.number[1] if row.number else _ITEMS_2019[row.key]
        measures = row.measures
        spans = [1] * (len(measures) - 1) + [width - len(measures)]
        if (item, measures) != prev:
            rows.append((Cell(f"第二十条第（{item}）项", colspan=width),))
            rows.append((Cell(INFO),) + tuple(Cell(labels[m], colspan=s) for m, s in zip(measures, spans)))
            prev = (item, measures)
        values = data.get(row.key) or {}
        if all(values.get(m) is None for m in measures):
            continue  # a row the report does not print (its block header stays)
        rows.append((Cell(row.label),) + tuple(
            Cell(fmt_number(values.get(m), zero), colspan=s, label=False) for m, s in zip(measures, spans)))
    return Grid(tuple(rows), width)


def applications_grid(t: Template, data: dict, zero: str = "0") -> Grid:
    """Part 3: 3 label columns + 7 applicant columns, the national 3-row header."""
    spec = t.applications
    cols = spec.columns
    width = 3 + len(cols)
    rows: list[tuple[Cell, ...]] = [
        (Cell(BALANCE_NOTE, rowspan=3, colspan=3), Cell(APPLICANTS, colspan=len(cols))),
        (Cell(cols[0].label, rowspan=2), Cell(ORGANISATIONS, colspan=len(cols) - 2), Cell(cols[-1].label, rowspan=2)),
        tuple(Cell(c.label) for c in cols[1:-1]),
    ]
    results = [r for r in spec.rows if r.number and r.number[0] == "三"]
    top = next(r.group for r in results if r.group and r.group.startswith("三"))
    subgroup_sizes: dict[str, int] = {}
    for r in results:
        if r.group and r.group != top:
            subgroup_sizes[r.group] = subgroup_sizes.get(r.group, 0) + 1
    seen: set[str] = set()
    for r in spec.rows:
        label: tuple[Cell, ...]
        if r not in results:
            label = (Cell(r.label, colspan=3),)
        else:
            label = ()
            if r is results[0]:
                label += (Cell(top, rowspan=len(results)),)
            if r.group and r.group != top:
                if r.group not in seen:
                    seen.add(r.group)
                    label += (Cell(r.group, rowspan=subgroup_sizes[r.group]),)
                label += (Cell(r.label),)
            else:
                label += (Cell(r.label, colspan=2),)
        values = data.get(r.key) or {}
        rows.append(label + tuple(_num(values.get(c.key), zero) for c in cols))
    return Grid(tuple(rows), width)


def reviews_grid(data: dict, zero: str = "0") -> Grid:
    """Part 4: 行政复议 (5) | 行政诉讼 (10) over 未经复议直接起诉 (5) and 复议后起诉 (5)."""
    outcomes = REVIEWS.columns
    n = len(outcomes)
    groups = [r.label.split("·") for r in REVIEWS.rows]  # [["行政复议"], ["行政诉讼", "未经复议直接起诉"], …]
    litigation = groups[1][0]
    rows = (
        (Cell(groups[0][0], colspan=n), Cell(litigation, colspan=n * (len(groups) - 1))),
        tuple(Cell(o.label, rowspan=2) for o in outcomes) + tuple(Cell(g[1], colspan=n) for g in groups[1:]),
        tuple(Cell(o.label) for _ in groups[1:] for o in outcomes),
        tuple(_num((data.get(r.key) or {}).get(o.key), zero) for r in REVIEWS.rows for o in outcomes),
    )
    return Grid(rows, n * len(groups))


def table_grid(record: dict, name: str, zero: str = "0") -> Grid | None:
    """The printed grid of table `name` of `record`, or None when the record has no such table."""
    data = record.get(name)
    if data is None:
        return None
    t = TEMPLATES[record["template"]]
    if name == "active_disclosure":
        return active_grid(t, data, zero)
    if name == "applications":
        return applications_grid(t, data, zero)
    if name == "reviews":
        return reviews_grid(data, zero)
    raise ValueError(f"unknown table {name!r}")


# --------------------------------------------------------------------------- the document as blocks


@dataclass(frozen=True)
class _Block:
    kind: str  # title | heading | para | table
    text: str = ""
    name: str = ""  # table name
    grid: Grid | None = None


def _blocks(record: dict, omit: Iterable[str] = (), zero: str = "0", with_sections: bool = True) -> list[_Block]:
    """The report in reading order: title, then per part its heading and content."""
    omit = set(omit)
    unknown = omit - set(TABLE_NAMES)
    if unknown:
        raise ValueError(f"omit names unknown tables {sorted(unknown)}; tables are {TABLE_NAMES}")
    if record.get("template") not in TEMPLATES:
        raise ValueError(f"cannot render template {record.get('template')!r}; one of {sorted(TEMPLATES)}")
    sections = record.get("sections") or {}
    out = [_Block("title", record["title"])]
    for key, heading in PARTS:
        out.append(_Block("heading", heading))
        if key in TABLE_NAMES:
            grid = None if key in omit else table_grid(record, key, zero)
            if grid is not None:
                out.append(_Block("table", name=key, grid=grid))
        elif with_sections:
            for para in (sections.get(key) or "").split("\n"):
                if para.strip():
                    out.append(_Block("para", para.strip()))
    return out


# --------------------------------------------------------------------------- text


def render_text(record: dict, *, omit: Iterable[str] = (), zero: str = "0", with_sections: bool = True) -> bytes:
    lines = ["", ""]
    for b in _blocks(record, omit, zero, with_sections):
        if b.kind == "table":
            lines += ["\t".join(row) for row in b.grid.expanded()]
            lines.append("")
        else:
            lines += [b.text, ""]
    return "\n".join(lines).encode("utf-8")


# --------------------------------------------------------------------------- html

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="SiteName" content="{site}">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{published} 09:30">
<meta name="ContentSource" content="{agency}">
<title>{title}_{site}</title>
<link rel="stylesheet" href="/images/common.css">
</head>
<body>
<div class="header"><div class="logo"><a href="/">{site}</a></div>
<div class="search"><form action="/search" method="get"><input name="q" type="text"><button>搜索</button></form></div></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li>
<li><a href="/hdjl/">互动交流</a></li><li><a href="/zjxq/">走进{short}</a></li></ul></div>
<div class="main">
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/xxgknb/">政府信息公开年报</a></div>
<div class="article">
<h1>{title}</h1>
<div class="info"><span>发布时间：{published}</span><span>来源：{agency}</span><span>浏览次数：<script>document.write(Math.floor(Math.random()*1000))</script></span></div>
{body}
<div class="print"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
</div>
<div class="footer"><p>主办：{site}办公室 &nbsp; 地址：{region}</p>
<p>网站标识码：{code}0001 &nbsp; 豫ICP备05000{code4}号 &nbsp; 豫公网安备 {code}02000123号</p></div>
</body>
</html>
"""
_CONTAINERS = {"trs": ('<div class="TRS_Editor">', "</div>"), "zoom": ('<div id="zoom">', "</div>"),
               "hap": ('<div class="hap_xq_content">', "</div>")}


def _esc(text: str) -> str:
    return _html.escape(text, quote=False)


def _word_text(text: str, size: str) -> str:
    """Text as Word pastes it: spans, digits in lang=EN-US runs, long runs split in two."""
    if not text:
        return "<span lang=EN-US>&nbsp;<o:p></o:p></span>"
    style = f"font-size:{size};font-family:宋体;mso-ascii-font-family:\"Times New Roman\";color:#333333"
    if text.replace(".", "").replace("-", "").isdigit():
        return f"<span lang=EN-US style='{style}'>{_esc(text)}<o:p></o:p></span>"
    if len(text) > 6:
        mid = len(text) // 2
        return (f"<span style='{style}'>{_esc(text[:mid])}</span>"
                f"<span style='{style}'>{_esc(text[mid:])}<span lang=EN-US><o:p></o:p></span></span>")
    return f"<span style='{style}'>{_esc(text)}<span lang=EN-US><o:p></o:p></span></span>"


def _html_table(grid: Grid, word: bool) -> str:
    if word:
        out = ["<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=600 "
               "style='width:450.0pt;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
               "mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>"]
    else:
        out = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" style="border-collapse:collapse;">', "<tbody>"]
    for i, row in enumerate(grid.rows):
        out.append(f"<tr style='mso-yfti-irow:{i};height:18.0pt'>" if word else "<tr>")
        for cell in row:
            span = (f" rowspan={cell.rowspan}" if cell.rowspan > 1 else "") + (f" colspan={cell.colspan}" if cell.colspan > 1 else "")
            if word:
                width = 42 * cell.colspan
                out.append(f"<td width={width}{span} valign=middle style='width:{width * 0.75:.2f}pt;border:solid windowtext 1.0pt;"
                           f"mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt;height:18.0pt'>"
                           f"<p class=MsoNormal align=center style='text-align:center;line-height:13.0pt;mso-line-height-rule:exactly'>"
                           f"{_word_text(cell.text, '9.0pt')}</p></td>")
            else:
                attrs = "".join(f' {k}="{v}"' for k, v in (("rowspan", cell.rowspan), ("colspan", cell.colspan)) if v > 1)
                out.append(f'<td{attrs} style="text-align:center;">{_esc(cell.text)}</td>')
        out.append("</tr>")
    out.append("</table>" if word else "</tbody></table>")
    return "\n".join(out)


def render_html(record: dict, *, container: str = "trs", word: bool = False, encoding: str = "utf-8",
                declared: str | None = None, omit: Iterable[str] = (), zero: str = "0",
                with_sections: bool = True, attachments: Sequence[tuple[str, str]] = (),
                stub: bool = False) -> bytes:
    if container not in _CONTAINERS:
        raise ValueError(f"container {container!r}: one of {sorted(_CONTAINERS)}")
    body = []
    blocks = _blocks(record, omit, zero, with_sections)
    if stub:  # the page only announces the report; the report itself is the attachment
        if not attachments:
            raise ValueError("stub=True needs attachments: the page would carry no report")
        blocks = [_Block("para", f"现将《{record['title']}》予以公布，详见附件。")]
    for b in blocks:
        if b.kind == "title":
            body.append(f"<p class=MsoNormal align=center style='text-align:center'><b><span style='font-size:22.0pt;"
                        f"font-family:方正小标宋简体'>{_esc(b.text)}</span></b></p>" if word
                        else f'<p style="text-align:center;"><strong>{_esc(b.text)}</strong></p>')
        elif b.kind == "heading":
            body.append(f"<p class=MsoNormal style='text-indent:32.0pt;mso-char-indent-count:2.0'><b><span style='font-size:16.0pt;"
                        f"font-family:黑体'>{_esc(b.text)}</span></b></p>" if word
                        else f'<p style="text-indent:2em;"><strong>{_esc(b.text)}</strong></p>')
        elif b.kind == "para":
            body.append(f"<p class=MsoNormal style='text-indent:32.0pt;mso-char-indent-count:2.0;line-height:28.0pt'>"
                        f"<span lang=EN-US style='font-size:16.0pt'>&nbsp;&nbsp;</span>"
                        f"<span style='font-size:16.0pt;font-family:仿宋_GB2312'>{_esc(b.text)}</span></p>" if word
                        else f'<p style="text-indent:2em;">{_esc(b.text)}</p>')
        else:
            body.append(_html_table(b.grid, word))
            if word:  # Word leaves an empty paragraph after a table
                body.append("<p class=MsoNormal><span lang=EN-US>&nbsp;<o:p></o:p></span></p>")
    if attachments:
        links = "".join(f'<p><a href="{_html.escape(href)}" target="_blank">{_esc(name)}</a></p>' for name, href in attachments)
        body.append(f'<div class="fj"><p>附件：</p>{links}</div>')
    open_tag, close_tag = _CONTAINERS[container]
    if word:
        open_tag += "\n<div class=WordSection1 style='layout-grid:15.6pt'>"
        close_tag = "</div>\n" + close_tag
    region = record.get("region") or ""
    site = (record.get("agency") or "").split("人民政府")[0] + "人民政府"
    code = record.get("region_code") or "410000"
    page = _PAGE.format(
        charset=declared or encoding, site=_esc(site), title=_esc(record["title"]),
        published=record.get("published") or f"{record['year'] + 1}-01-20", agency=_esc(record.get("agency") or ""),
        short=_esc(site.replace("人民政府", "")[-3:]), region=_esc(region), code=code, code4=code[-4:],
        body=open_tag + "\n" + "\n".join(body) + "\n" + close_tag)
    return page.encode(encoding, errors="xmlcharrefreplace")


# --------------------------------------------------------------------------- pdf


@functools.lru_cache(maxsize=None)
def _pdf_font(font: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if font == "stsong":
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        return "STSong-Light"
    if font == "wqy":
        pdfmetrics.registerFont(TTFont("WQYZenHei", WQY_FONT, subfontIndex=0))
        return "WQYZenHei"
    raise ValueError(f"font {font!r}: one of 'wqy', 'stsong'")


# column widths (points) per table, for a 495-point frame
def _col_widths(name: str, grid: Grid) -> list[float]:
    if name == "active_disclosure":
        return [135, 120, 120, 120]
    if name == "applications":
        return [78, 62, 117] + [34] * (grid.width - 3)
    return [495 / grid.width] * grid.width


def _pdf_table(grid: Grid, name: str, font: str, styles, rows: slice | None = None):
    """A reportlab Table of `grid` (or of its row range `rows`, spans cut at the range)."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    start, stop = (rows.start or 0, rows.stop or len(grid.rows)) if rows else (0, len(grid.rows))
    data = [[""] * grid.width for _ in range(stop - start)]
    cmds = [("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 7.5),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    for r, c, cell in grid.placed():
        r0, r1 = max(r, start), min(r + cell.rowspan, stop)
        if r0 >= r1:
            continue
        text = cell.text if r0 == r else ""  # a span cut by the page break continues empty
        data[r0 - start][c] = Paragraph(_esc(text), styles["cell"]) if cell.label and text else text
        if r1 - r0 > 1 or cell.colspan > 1:
            cmds.append(("SPAN", (c, r0 - start), (c + cell.colspan - 1, r1 - 1 - start)))
    return Table(data, colWidths=_col_widths(name, grid), style=TableStyle(cmds), splitByRow=1)


def render_pdf(record: dict, *, font: str = "wqy", split_applications: bool = False, omit: Iterable[str] = (),
               zero: str = "0", with_sections: bool = True) -> bytes:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer

    fname = _pdf_font(font)
    styles = {
        "title": ParagraphStyle("title", fontName=fname, fontSize=16, leading=24, alignment=TA_CENTER, wordWrap="CJK",
                                spaceAfter=12),
        "heading": ParagraphStyle("heading", fontName=fname, fontSize=12, leading=20, spaceBefore=6, spaceAfter=4,
                                  wordWrap="CJK"),
        "para": ParagraphStyle("para", fontName=fname, fontSize=10.5, leading=18, firstLineIndent=21, wordWrap="CJK",
                               spaceAfter=3),
        "cell": ParagraphStyle("cell", fontName=fname, fontSize=7.5, leading=9.5, alignment=TA_CENTER, wordWrap="CJK"),
    }
    title = record["title"]
    width, height = A4

    def on_page(canvas, doc) -> None:  # running header, drawn before the page's content
        canvas.saveState()
        canvas.setFont(fname, 8)
        canvas.drawCentredString(width / 2, height - 36, title)
        canvas.setLineWidth(0.5)
        canvas.line(50, height - 40, width - 50, height - 40)
        canvas.restoreState()

    class _Doc(SimpleDocTemplate):
        def afterPage(self) -> None:  # footer, drawn after the content as word processors do
            self.canv.saveState()
            self.canv.setFont(fname, 9)
            self.canv.drawCentredString(width / 2, 30, f"- {self.page} -")
            self.canv.restoreState()

    story = []
    for b in _blocks(record, omit, zero, with_sections):
        if b.kind == "table":
            if b.name == "applications" and split_applications:
                cut = _split_row(record)
                story += [_pdf_table(b.grid, b.name, fname, styles, slice(0, cut)), PageBreak(),
                          _pdf_table(b.grid, b.name, fname, styles, slice(cut, None))]
            else:  # whole on one page, moved to the next page when it does not fit
                story.append(KeepTogether([_pdf_table(b.grid, b.name, fname, styles)]))
            story.append(Spacer(1, 8))
        else:
            story.append(Paragraph(_esc(b.text), styles[b.kind]))
    buf = io.BytesIO()
    doc = _Doc(buf, pagesize=A4, leftMargin=50, rightMargin=50, topMargin=56, bottomMargin=50,
               title=title, author=record.get("agency") or "", subject="政府信息公开工作年度报告", invariant=1)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def _split_row(record: dict) -> int:
    """Grid row where the split application table breaks: inside （三）不予公开, before its 4th item."""
    rows = TEMPLATES[record["template"]].applications.row_keys
    return 3 + rows.index("denied_third_party")


# --------------------------------------------------------------------------- docx


def render_docx(record: dict, *, omit: Iterable[str] = (), zero: str = "0", with_sections: bool = True) -> bytes:
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    d = docx.Document()
    sec = d.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(20)
    normal = d.styles["Normal"]
    normal.font.name = "宋体"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    normal.font.size = Pt(10.5)
    sec.header.paragraphs[0].text = record["title"]
    sec.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot = sec.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.add_run("- ")
    run = foot.add_run()
    for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if tag:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), tag)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    foot.add_run(" -")

    for b in _blocks(record, omit, zero, with_sections):
        if b.kind == "title":
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            r = p.add_run(b.text)
            r.bold, r.font.size = True, Pt(16)
        elif b.kind == "heading":
            p = d.add_paragraph()
            r = p.add_run(b.text)
            r.bold = True
        elif b.kind == "para":
            p = d.add_paragraph(b.text)
            p.paragraph_format.first_line_indent = Pt(21)
        else:
            grid = b.grid
            table = d.add_table(rows=len(grid.rows), cols=grid.width)
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            _merge_docx(table, grid, Pt(8))
            d.add_paragraph()
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _merge_docx(table, grid: Grid, size) -> None:
    """Fill `table` (fresh, len(grid.rows) × grid.width) and merge its cells as Word stores
    merges (w:gridSpan across, w:vMerge restart/continue down) — what ``_Cell.merge`` writes,
    without its quadratic cell lookups."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.table import _Cell

    tcs = [list(tr.tc_lst) for tr in table._tbl.tr_lst]
    for r, c, cell in grid.placed():
        for dr in range(cell.rowspan):
            tc = tcs[r + dr][c]
            if cell.colspan > 1:
                width = sum((t.width or 0) for t in tcs[r + dr][c:c + cell.colspan])
                for other in tcs[r + dr][c + 1:c + cell.colspan]:
                    other.getparent().remove(other)
                tc.grid_span = cell.colspan
                if width:
                    tc.width = width
            if cell.rowspan > 1:
                tc.vMerge = "restart" if dr == 0 else "continue"
        target = _Cell(tcs[r][c], table)
        target.text = cell.text
        para = target.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for run in para.runs:
            run.font.size = size


# --------------------------------------------------------------------------- doc (LibreOffice)

_LO_LOCK = threading.Lock()


@functools.lru_cache(maxsize=None)
def _lo_profile() -> str:
    """This process's own LibreOffice profile (two soffice on one profile: the second fails)."""
    path = Path(tempfile.gettempdir()) / f"nianbao-lo-profile-{os.getpid()}"
    path.mkdir(exist_ok=True)
    return path.as_uri()


def _soffice(args: Sequence[str], cwd: str, timeout: float) -> None:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    cmd = [exe, "--headless", "--norestore", f"-env:UserInstallation={_lo_profile()}", *args]
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, text=True)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"soffice timed out after {timeout} s: {' '.join(args[:3])}") from exc
    if proc.returncode != 0:
        raise RuntimeError(f"soffice failed ({proc.returncode}): {proc.stderr.strip()[:500]}")


def docx_convert_many(docx_files: Sequence[bytes], target: str, *, timeout: float = 300.0) -> list[bytes]:
    """Convert DOCX documents with LibreOffice, the whole batch per soffice call.

    ``target`` "doc": Word 97 through ODT (a direct docx→doc loses every table);
    "pdf": the PDF export, the way Word/WPS users publish their reports.
    """
    if not docx_files:
        return []
    with _LO_LOCK, tempfile.TemporaryDirectory(prefix="nianbao-lo-") as tmp:
        names = []
        for i, data in enumerate(docx_files):
            name = f"r{i:05d}"
            Path(tmp, name + ".docx").write_bytes(data)
            names.append(name)
        out_dir = Path(tmp, target)
        if target == "doc":
            odt_dir = Path(tmp, "odt")
            _soffice(["--convert-to", "odt", "--outdir", str(odt_dir), *[n + ".docx" for n in names]], tmp, timeout)
            sources = [str(odt_dir / (n + ".odt")) for n in names]
            _soffice(["--convert-to", "doc:MS Word 97", "--outdir", str(out_dir), *sources], tmp, timeout)
        elif target == "pdf":
            _soffice(["--convert-to", "pdf", "--outdir", str(out_dir), *[n + ".docx" for n in names]], tmp, timeout)
        else:
            raise ValueError(f"unknown conversion target {target!r}: doc or pdf")
        out = []
        for n in names:
            path = out_dir / f"{n}.{target}"
            if not path.exists():
                raise RuntimeError(f"soffice wrote no {path.name}")
            out.append(path.read_bytes())
        return out


def docx_to_doc_many(docx_files: Sequence[bytes], *, timeout: float = 300.0) -> list[bytes]:
    """Convert DOCX documents to Word 97 .doc through ODT, in two soffice calls for the whole batch."""
    return docx_convert_many(docx_files, "doc", timeout=timeout)


def render_doc(record: dict, *, timeout: float = 120.0, **options) -> bytes:
    return docx_to_doc_many([render_docx(record, **options)], timeout=timeout)[0]


# --------------------------------------------------------------------------- entry point

_RENDERERS = {"text": render_text, "html": render_html, "pdf": render_pdf, "docx": render_docx, "doc": render_doc}


def render(record: dict, fmt: str, **options) -> bytes:
    """`record` as the bytes a portal publishes in format `fmt` (see the module doc for options)."""
    try:
        fn = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; one of {FORMATS}") from None
    if "omit" in options and isinstance(options["omit"], str):
        options["omit"] = (options["omit"],)
    return fn(record, **options)


EXTENSIONS = {"text": ".txt", "html": ".html", "pdf": ".pdf", "docx": ".docx", "doc": ".doc"}
