"""DOCX and DOC readers: body order, merged cells (gridSpan/vMerge), nested tables, zip guards, LibreOffice DOC."""
from __future__ import annotations

import copy
import io
import subprocess
import tempfile
import zipfile
from pathlib import Path

import docx as python_docx
import pytest
from docx.oxml.ns import qn

from extract.document import Paragraph
from extract.errors import ExtractError
from extract.readers import doc as doc_reader
from extract.readers import docx as docx_reader

TITLE = "测试市教育局2023年政府信息公开工作年度报告"
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def build_docx(*, nested: bool = True, frame: bool = False) -> bytes:
    """A small report: title, headings, a part-3 style table with merged header and labels, a nested table."""
    d = python_docx.Document()
    d.core_properties.title = "Microsoft Word - 年报.docx"
    d.sections[0].header.paragraphs[0].text = "页眉：测试市教育局"
    d.sections[0].footer.paragraphs[0].text = "第 1 页"
    d.add_paragraph(TITLE)
    d.add_paragraph("一、总体情况")
    d.add_paragraph("本机关认真贯彻落实《条例》。")
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    t = d.add_table(rows=6, cols=5)
    t.style = "Table Grid"
    t.cell(0, 0).merge(t.cell(2, 1)).text = NOTE  # 3×2 corner
    t.cell(0, 2).merge(t.cell(0, 4)).text = "申请人情况"
    t.cell(1, 2).merge(t.cell(2, 2)).text = "自然人"
    t.cell(1, 3).merge(t.cell(1, 4)).text = "法人或其他组织"
    t.cell(2, 3).text, t.cell(2, 4).text = "商业企业", "科研机构"
    t.cell(3, 0).merge(t.cell(3, 1)).text = "一、本年新收政府信息公开申请数量"
    label = t.cell(4, 0).merge(t.cell(5, 0))
    label.text = "（三）不予公开"
    for r, reason, n in ((4, "1.属于国家秘密", "0"), (5, "2.其他法律行政法规禁止公开", "3")):
        t.cell(r, 1).text = reason
        t.cell(r, 2).text, t.cell(r, 3).text, t.cell(r, 4).text = n, "0", "0"
    for c, v in zip(range(2, 5), ("5", "1", "0")):
        t.cell(3, c).text = v
    if nested:
        inner = t.cell(5, 4).add_table(rows=2, cols=2)
        inner.cell(0, 0).text, inner.cell(0, 1).text = "内表", "甲"
        inner.cell(1, 0).text, inner.cell(1, 1).text = "乙", "丙"
    d.add_paragraph("六、其他需要报告的事项")
    if frame:
        f = d.add_table(rows=1, cols=1)
        f.cell(0, 0).text = "本年度无其他需要报告的事项。"
        f.cell(0, 0).add_paragraph("特此报告。")
    else:
        d.add_paragraph("本年度无其他需要报告的事项。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


APP_GRID = [
    [NOTE, NOTE, "申请人情况", "申请人情况", "申请人情况"],
    [NOTE, NOTE, "自然人", "法人或其他组织", "法人或其他组织"],
    [NOTE, NOTE, "自然人", "商业企业", "科研机构"],
    ["一、本年新收政府信息公开申请数量"] * 2 + ["5", "1", "0"],
    ["（三）不予公开", "1.属于国家秘密", "0", "0", "0"],
    ["（三）不予公开", "2.其他法律行政法规禁止公开", "3", "0", "0"],
]


def blocks(document):
    return [(type(b).__name__, b.text if isinstance(b, Paragraph) else b.rows) for b in document.blocks]


def test_docx_order_merges_and_nested_table():
    document = docx_reader.read(build_docx())
    assert document.format == "docx"
    assert document.title == TITLE  # the core title "Microsoft Word - …" is not trusted
    assert blocks(document) == [
        ("Paragraph", TITLE),
        ("Paragraph", "一、总体情况"),
        ("Paragraph", "本机关认真贯彻落实《条例》。"),
        ("Paragraph", "三、收到和处理政府信息公开申请情况"),
        ("Table", APP_GRID),
        ("Table", [["内表", "甲"], ["乙", "丙"]]),
        ("Paragraph", "六、其他需要报告的事项"),
        ("Paragraph", "本年度无其他需要报告的事项。"),
    ]
    assert "页眉" not in document.full_text() and "第 1 页" not in document.full_text()


def _with_text_box_and_sdt(data: bytes) -> bytes:
    """Add a text box run to the first paragraph and wrap the second paragraph in a content control."""
    d = python_docx.Document(io.BytesIO(data))
    body = d.element.body
    p0 = body[0]
    run = copy.deepcopy(p0.find(qn("w:r")))
    for t in run.findall(qn("w:t")):
        run.remove(t)
    txbx = python_docx.oxml.parse_xml(
        '<w:pict xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>文本框里的字</w:t>'
        "</w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict>"
    )
    run.append(txbx)
    p0.append(run)
    sdt = python_docx.oxml.parse_xml(
        '<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:sdtContent/></w:sdt>'
    )
    p1 = body[1]
    p1.addprevious(sdt)
    sdt[0].append(p1)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_text_boxes_skipped_and_content_controls_unwrapped():
    document = docx_reader.read(_with_text_box_and_sdt(build_docx(nested=False)))
    texts = [b.text for b in document.paragraphs()]
    assert texts[:2] == [TITLE, "一、总体情况"]
    assert "文本框里的字" not in document.full_text()


def test_single_cell_frame_is_unwrapped():
    document = docx_reader.read(build_docx(nested=False, frame=True))
    assert blocks(document)[-3:] == [
        ("Paragraph", "六、其他需要报告的事项"),
        ("Paragraph", "本年度无其他需要报告的事项。"),
        ("Paragraph", "特此报告。"),
    ]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_docx_guards(monkeypatch):
    with pytest.raises(ExtractError, match="not a DOCX"):
        docx_reader.read(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(ExtractError, match="not a DOCX"):
        docx_reader.read(b"\xd0\xcf\x11\xe0 an OLE file")
    with pytest.raises(ExtractError, match=r"no word/document.xml"):
        docx_reader.read(_zip({"content.xml": b"<x/>", "mimetype": b"application/vnd.oasis.opendocument.text"}))
    with pytest.raises(ExtractError, match="zip bomb"):
        docx_reader.read(_zip({"word/document.xml": b"<x/>", "word/media/big.bin": b"\0" * (4 * 1024 * 1024)}))
    monkeypatch.setattr(docx_reader, "MAX_TOTAL", 1000)
    with pytest.raises(ExtractError, match="200 MB"):
        docx_reader.read(_zip({"word/document.xml": b"<x>" + b"a1b2c3d4" * 200 + b"</x>"}))
    monkeypatch.undo()
    with pytest.raises(ExtractError, match="unreadable DOCX"):
        docx_reader.read(_zip({"word/document.xml": b"<not-closed"}))
    with pytest.raises(ExtractError, match="empty"):
        docx_reader.read(b"")


def _soffice_convert(src: Path, target: str, outdir: Path) -> Path:
    profile = (outdir / "profile").as_uri()
    subprocess.run(
        [doc_reader.soffice_path(), "--headless", "--norestore", f"-env:UserInstallation={profile}",
         "--convert-to", target, "--outdir", str(outdir), str(src)],
        check=True, capture_output=True, timeout=120,
    )
    return outdir / f"{src.stem}.{target.split(':')[0]}"


DOC_FIXTURE = Path(__file__).parent / "files" / "readers" / "report.doc"


def make_doc_fixture(path: Path = DOC_FIXTURE) -> None:
    """Regenerate the saved .doc: build_docx(nested=False) → odt → doc (docx→doc directly drops tables)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        src = tmp_path / "report.docx"
        src.write_bytes(build_docx(nested=False))
        odt = _soffice_convert(src, "odt", tmp_path)
        path.write_bytes(_soffice_convert(odt, "doc", tmp_path).read_bytes())


@pytest.mark.skipif(doc_reader.soffice_path() is None, reason="LibreOffice is not installed")
def test_doc_via_libreoffice_keeps_merged_table():
    data = DOC_FIXTURE.read_bytes()
    assert data.startswith(b"\xd0\xcf\x11\xe0")
    document = doc_reader.read(data)
    assert document.format == "doc"
    assert [b.text for b in document.paragraphs()][:2] == [TITLE, "一、总体情况"]
    tables = list(document.tables())
    assert len(tables) == 1 and tables[0].rows == APP_GRID


def test_doc_errors(monkeypatch):
    with pytest.raises(ExtractError, match="empty"):
        doc_reader.read(b"")
    monkeypatch.setattr(doc_reader, "soffice_path", lambda: None)
    with pytest.raises(ExtractError, match="not installed"):
        doc_reader.read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)


@pytest.mark.skipif(doc_reader.soffice_path() is None, reason="LibreOffice is not installed")
def test_doc_timeout_kills_soffice():
    with pytest.raises(ExtractError, match="timed out"):
        doc_reader.read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, timeout=0.05)


def _add_chinese_list(d) -> str:
    """Add a numbering definition 一、二、… (level 0) and （一）（二）… (level 1); returns its numId."""
    from docx.oxml import parse_xml

    numbering = d.part.numbering_part.element
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {w} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
        "</w:abstractNum>"))
    numbering.append(parse_xml(f'<w:num {w} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return "90"


def _numbered(d, text: str, num_id: str, ilvl: int):
    from docx.oxml import parse_xml

    p = d.add_paragraph(text)
    p._p.get_or_add_pPr().append(parse_xml(
        '<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f'<w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    return p


def test_automatic_list_numbers_are_rendered():
    d = python_docx.Document()
    num = _add_chinese_list(d)
    _numbered(d, "总体情况", num, 0)
    _numbered(d, "主动公开情况", num, 1)
    _numbered(d, "依申请公开情况", num, 1)
    _numbered(d, "主动公开政府信息情况", num, 0)
    _numbered(d, "制度建设", num, 1)
    d.add_paragraph("第一项", style="List Number")  # numbered through its style: 1.
    d.add_paragraph("第二项", style="List Number")
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).paragraphs[0].text = "存在的主要问题及改进情况"
    t.cell(0, 0).paragraphs[0]._p.get_or_add_pPr().append(python_docx.oxml.parse_xml(
        '<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f'<w:ilvl w:val="0"/><w:numId w:val="{num}"/></w:numPr>'))
    t.cell(0, 1).text = "0"
    buf = io.BytesIO()
    d.save(buf)
    document = docx_reader.read(buf.getvalue())
    assert [b.text for b in document.paragraphs()] == [
        "一、总体情况", "（一）主动公开情况", "（二）依申请公开情况", "二、主动公开政府信息情况", "（一）制度建设",
        "1.第一项", "2.第二项"]
    assert list(document.tables())[0].rows == [["三、存在的主要问题及改进情况", "0"]]
    assert docx_reader._chinese(10) == "十" and docx_reader._chinese(21) == "二十一" and docx_reader._chinese(105) == "一百零五"
