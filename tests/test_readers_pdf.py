"""PDF reader: ruled tables with merged cells, a table across a page break with a
running header and page-number footer, text-only tabular lines, errors."""
from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pytest
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import SimpleDocTemplate, Spacer
from reportlab.platypus import Table as RLTable
from reportlab.platypus import TableStyle

from extract.document import Paragraph, Table
from extract.errors import ExtractError
from extract.readers import pdf

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
FONT = "STSong-Light"
TITLE = "测试县人民政府办公室2023年政府信息公开工作年度报告"
BODY = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=18, firstLineIndent=24, wordWrap="CJK")
HEAD = ParagraphStyle("head", fontName=FONT, fontSize=12, leading=18, wordWrap="CJK")
TITLE_STYLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1, wordWrap="CJK")
GRID = [("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
LONG = ("本机关坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
        "围绕中心工作，不断加大政府信息公开力度，进一步提升政务公开质量和实效，切实保障人民群众的知情权、参与权和监督权。")

ACTIVE = [
    ["第二十条第（一）项", "", "", ""],
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
    ["规章", "0", "0", "0"],
    ["行政规范性文件", "5", "2", "59"],
]
REASONS = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
           "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项"]


def _application_rows(n_reasons: int) -> list[list[str]]:
    rows = [["", "", "申请人情况", "", ""], ["", "", "自然人", "法人或其他组织", ""],
            ["", "", "", "商业企业", "科研机构"], ["一、本年新收政府信息公开申请数量", "", "5", "1", "0"]]
    for i in range(n_reasons):
        rows.append(["（三）不予公开", REASONS[i % len(REASONS)], str(i), "0", "0"])
    return rows


def _application_style(n_rows: int) -> list:
    """Header spans, and the label column merged in groups of up to 8 rows (reportlab cannot split a span)."""
    groups = [("SPAN", (0, r), (0, min(r + 7, n_rows - 1))) for r in range(4, n_rows, 8)]
    return GRID + [("SPAN", (0, 0), (1, 2)), ("SPAN", (2, 0), (4, 0)), ("SPAN", (2, 1), (2, 2)),
                   ("SPAN", (3, 1), (4, 1)), ("SPAN", (0, 3), (1, 3))] + groups


def _running(canv, doc) -> None:
    canv.saveState()
    canv.setFont(FONT, 9)
    canv.drawCentredString(A4[0] / 2, A4[1] - 40, TITLE)
    canv.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")
    canv.restoreState()


def build_report_pdf(n_reasons: int = 8, filler: int = 3, running: bool = True) -> bytes:
    """A small report: title, headings, narrative, a ruled table with spans, an application table."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title="Microsoft Word - 年报.docx", topMargin=72, bottomMargin=72)
    story = [RLParagraph(TITLE, TITLE_STYLE), Spacer(1, 12), RLParagraph("一、总体情况", HEAD)]
    story += [RLParagraph(LONG, BODY) for _ in range(filler)]
    story += [RLParagraph("二、主动公开政府信息情况", HEAD),
              RLTable(ACTIVE, style=GRID + [("SPAN", (0, 0), (3, 0))]),
              RLParagraph("三、收到和处理政府信息公开申请情况", HEAD)]
    rows = _application_rows(n_reasons)
    story.append(RLTable(rows, style=_application_style(len(rows)), colWidths=[90, 170, 50, 70, 50]))
    story += [RLParagraph("六、其他需要报告的事项", HEAD), RLParagraph("无。", BODY)]
    hook = _running if running else (lambda c, d: None)
    doc.build(story, onFirstPage=hook, onLaterPages=hook)
    return buf.getvalue()


def build_text_table_pdf() -> bytes:
    """No ruling lines: a tabular block drawn as text with wide gaps."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont(FONT, 12)
    y = 780
    c.drawString(72, y, "二、主动公开政府信息情况")
    rows = [("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"), ("规章", "0", "0", "0"), ("行政规范性文件", "5", "2", "59")]
    for row in rows:
        y -= 20
        for x, cell in zip((72, 220, 330, 440), row):
            c.drawString(x, y, cell)
    y -= 30
    c.drawString(72, y, "三、收到和处理政府信息公开申请情况")
    c.save()
    return buf.getvalue()


LO_FIXTURE = Path(__file__).parent / "files" / "readers" / "libreoffice_report.pdf"


def make_libreoffice_fixture(path: Path = LO_FIXTURE) -> None:
    """Regenerate the saved Word-like PDF: a python-docx report (header = title, footer = page field,
    a 44-row application table whose label column is one vertical merge) converted by LibreOffice."""
    import docx as python_docx
    from docx.oxml import parse_xml

    d = python_docx.Document()
    section = d.sections[0]
    section.header.paragraphs[0].text = TITLE
    footer = section.footer.paragraphs[0]
    footer.add_run("- ")
    footer._p.append(parse_xml(
        '<w:fldSimple xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:instr="PAGE">'
        "<w:r><w:t>1</w:t></w:r></w:fldSimple>"))
    footer.add_run(" -")
    d.add_paragraph(TITLE)
    d.add_paragraph("一、总体情况")
    for _ in range(6):
        d.add_paragraph("\u3000\u3000" + LONG)
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    n = 44
    t = d.add_table(rows=n, cols=5)
    t.style = "Table Grid"
    t.cell(0, 0).merge(t.cell(2, 1)).text = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    t.cell(0, 2).merge(t.cell(0, 4)).text = "申请人情况"
    t.cell(1, 2).merge(t.cell(2, 2)).text = "自然人"
    t.cell(1, 3).merge(t.cell(1, 4)).text = "法人或其他组织"
    t.cell(2, 3).text, t.cell(2, 4).text = "商业企业", "科研机构"
    t.cell(3, 0).merge(t.cell(3, 1)).text = "一、本年新收政府信息公开申请数量"
    t.cell(4, 0).merge(t.cell(n - 1, 0)).text = "（三）不予公开"
    for r in range(3, n):
        if r > 3:
            t.cell(r, 1).text = f"{r - 3}.理由第{r - 3}项"
        t.cell(r, 2).text, t.cell(r, 3).text, t.cell(r, 4).text = str(r), "0", "0"
    d.add_paragraph("六、其他需要报告的事项")
    d.add_paragraph("无。")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "report.docx"
        d.save(src)
        subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={(Path(tmp) / 'p').as_uri()}",
                        "--convert-to", "pdf", "--outdir", tmp, str(src)], check=True, capture_output=True, timeout=120)
        path.write_bytes((Path(tmp) / "report.pdf").read_bytes())


def _blocks(doc):
    return [(type(b).__name__, b.text if isinstance(b, Paragraph) else b.rows) for b in doc.blocks]


def test_report_blocks_title_and_merged_cells():
    doc = pdf.read(build_report_pdf(n_reasons=3, filler=1))
    assert doc.format == "pdf"
    assert doc.title == TITLE
    paras = [b.text for b in doc.paragraphs()]
    assert paras[:3] == [TITLE, "一、总体情况", LONG]
    tables = list(doc.tables())
    assert len(tables) == 2
    assert tables[0].rows == [["第二十条第（一）项"] * 4] + ACTIVE[1:]
    app = tables[1].rows
    corner = ""  # the 2×3 corner has no text
    assert app[0] == [corner, corner, "申请人情况", "申请人情况", "申请人情况"]
    assert app[1] == [corner, corner, "自然人", "法人或其他组织", "法人或其他组织"]
    assert app[2] == [corner, corner, "自然人", "商业企业", "科研机构"]
    assert app[3] == ["一、本年新收政府信息公开申请数量"] * 2 + ["5", "1", "0"]
    assert [r[0] for r in app[4:]] == ["（三）不予公开"] * 3
    assert [r[1] for r in app[4:]] == REASONS[:3]
    # order: heading before its table
    kinds = [k for k, _ in _blocks(doc)]
    i2 = paras.index("二、主动公开政府信息情况")
    assert kinds.index("Table") > i2
    assert paras[-2:] == ["六、其他需要报告的事项", "无。"]
    # running header/footer dropped
    assert all("- 1 -" not in p for p in paras)
    assert paras.count(TITLE) == 1


def test_table_across_page_break_is_one_table():
    data = build_report_pdf(n_reasons=40, filler=4)
    doc = pdf.read(data)
    import pypdfium2

    assert len(pypdfium2.PdfDocument(data)) >= 2
    tables = list(doc.tables())
    assert len(tables) == 2
    app = tables[1].rows
    assert len(app) == 4 + 40
    assert [r[2] for r in app[4:]] == [str(i) for i in range(40)]
    assert all(r[0] == "（三）不予公开" for r in app[4:])
    text = doc.full_text()
    assert "- 2 -" not in text and "- 1 -" not in text
    assert text.count(TITLE) == 1
    assert all(TITLE not in cell for row in app for cell in row)


def test_text_only_tabular_lines_become_inexact_table():
    doc = pdf.read(build_text_table_pdf())
    kinds = _blocks(doc)
    assert kinds[0] == ("Paragraph", "二、主动公开政府信息情况")
    assert kinds[1][0] == "Table"
    table = list(doc.tables())[0]
    assert table.exact_columns is False
    assert table.rows == [["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
                          ["规章", "0", "0", "0"], ["行政规范性文件", "5", "2", "59"]]
    assert kinds[2] == ("Paragraph", "三、收到和处理政府信息公开申请情况")


def test_metadata_title_rejected_when_generated():
    doc = pdf.read(build_report_pdf(n_reasons=1, filler=1))
    assert "Microsoft Word" not in (doc.title or "")


def test_encrypted_pdf():
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt="secret")
    c.setFont(FONT, 12)
    c.drawString(72, 700, "加密文件")
    c.save()
    with pytest.raises(ExtractError, match="encrypted"):
        pdf.read(buf.getvalue())


def test_truncated_and_junk_pdf():
    data = build_report_pdf(n_reasons=3, filler=1)
    with pytest.raises(ExtractError, match="corrupt or truncated PDF"):
        pdf.read(data[: len(data) // 3])
    with pytest.raises(ExtractError, match="corrupt or truncated PDF|not a PDF"):
        pdf.read(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    with pytest.raises(ExtractError, match="empty"):
        pdf.read(b"")
    with pytest.raises(ExtractError, match="not a PDF"):
        pdf.read(b"<html>hello</html>")


def test_scanned_pdf_without_text_layer():
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(72, 500, 300, 200, fill=1)
    c.showPage()
    c.save()
    with pytest.raises(ExtractError, match=r"no text layer \(scanned PDF\?\)"):
        pdf.read(buf.getvalue())


def _unmapped_cid_pdf() -> bytes:
    """A hand-written PDF whose Identity-H font has no ToUnicode map."""
    content = b"BT /F1 12 Tf 72 700 Td <0011002200330044005500660077008800990100> Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Unknown /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Unknown /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_unmapped_cid_glyphs():
    with pytest.raises(ExtractError, match=r"unmapped font glyphs \(cid:"):
        pdf.read(_unmapped_cid_pdf())


def test_libreoffice_pdf_merged_label_and_row_split_over_page_break():
    data = LO_FIXTURE.read_bytes()
    import pypdfium2

    assert len(pypdfium2.PdfDocument(data)) >= 2
    doc = pdf.read(data)
    assert doc.title == TITLE
    paras = [b.text for b in doc.paragraphs()]
    assert paras[:3] == [TITLE, "一、总体情况", LONG]
    assert paras.count(LONG) == 6 and paras[-2:] == ["六、其他需要报告的事项", "无。"]
    assert not any(p.startswith("-") for p in paras)
    tables = list(doc.tables())
    assert len(tables) == 1
    rows = tables[0].rows
    assert len(rows) == 44 and tables[0].width == 5
    assert rows[3] == ["一、本年新收政府信息公开申请数量"] * 2 + ["3", "0", "0"]
    assert [r[0] for r in rows[4:]] == ["（三）不予公开"] * 40
    assert [r[1] for r in rows[4:]] == [f"{i}.理由第{i}项" for i in range(1, 41)]
    assert [r[2] for r in rows[4:]] == [str(i) for i in range(4, 44)]


def build_rotated_pdf() -> bytes:
    """A /Rotate 90 page whose content is drawn turned, so that it reads upright when displayed (landscape)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setPageRotation(90)
    c.rotate(90)
    c.translate(0, -A4[0])  # now (x, y) are landscape display coordinates, y up
    c.setFont(FONT, 12)
    c.drawString(72, 520, "四、政府信息公开行政复议、行政诉讼情况")
    t = RLTable([["行政复议", "", "行政诉讼", ""], ["结果维持", "结果纠正", "结果维持", "总计"], ["1", "0", "2", "3"]],
                style=GRID + [("SPAN", (0, 0), (1, 0)), ("SPAN", (2, 0), (3, 0))], colWidths=[80] * 4)
    t.wrapOn(c, 600, 400)
    t.drawOn(c, 72, 420)
    c.save()
    return buf.getvalue()


def test_rotated_page_reads_upright():
    doc = pdf.read(build_rotated_pdf())
    assert _blocks(doc) == [
        ("Paragraph", "四、政府信息公开行政复议、行政诉讼情况"),
        ("Table", [["行政复议", "行政复议", "行政诉讼", "行政诉讼"], ["结果维持", "结果纠正", "结果维持", "总计"],
                   ["1", "0", "2", "3"]]),
    ]


def test_text_layout_table_continued_on_next_page():
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    rows = [("1.属于国家秘密", "0", "0"), ("2.其他法律行政法规禁止公开", "1", "0"), ("3.危及“三安全一稳定”", "2", "0"),
            ("4.保护第三方合法权益", "3", "0")]
    for number, (start, chunk) in enumerate(((700, rows[:2]), (780, rows[2:])), 1):
        c.setFont(FONT, 9)
        c.drawCentredString(A4[0] / 2, 30, f"- {number} -")
        c.setFont(FONT, 12)
        y = start
        if number == 1:
            c.drawString(72, y, "三、收到和处理政府信息公开申请情况")
        for row in chunk:
            y -= 20
            for x, cell in zip((72, 330, 440), row):
                c.drawString(x, y, cell)
        if number == 2:
            c.drawString(72, y - 30, "四、政府信息公开行政复议、行政诉讼情况")
        c.showPage()
    c.save()
    doc = pdf.read(buf.getvalue())
    assert _blocks(doc) == [
        ("Paragraph", "三、收到和处理政府信息公开申请情况"),
        ("Table", [list(r) for r in rows]),
        ("Paragraph", "四、政府信息公开行政复议、行政诉讼情况"),
    ]
