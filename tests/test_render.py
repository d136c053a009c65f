"""The synthetic records and the renderers, checked without the extractor.

Each format is read back with an independent public tool (lxml, pdfplumber,
python-docx, LibreOffice) and compared with the printed grid the renderer
meant to draw (:meth:`Grid.expanded`).
"""
from __future__ import annotations

import collections
import io
import re
import subprocess
import tempfile
from pathlib import Path

import docx
import lxml.html
import pdfplumber
import pytest

from extract.templates import T2019, T2021, TEMPLATES
from tests.replica import render as R
from tests.replica import synth

TABLES = ("active_disclosure", "applications", "reviews")


# --------------------------------------------------------------------------- fixtures (rendered once)


@pytest.fixture(scope="session")
def rec2021() -> dict:
    rec = synth.make_record(11, year=2022, agency="洛阳市洛龙区人民政府办公室", region_code="410311")
    assert rec["applications"]["new_received"]["total"] > 0
    return rec


@pytest.fixture(scope="session")
def rec2019() -> dict:
    return synth.make_record(12, year=2020)


@pytest.fixture(scope="session")
def rendered(rec2021, rec2019, tmp_path_factory) -> dict[str, bytes]:
    out = {
        "html": R.render(rec2021, "html"),
        "html_word": R.render(rec2021, "html", word=True, container="zoom"),
        "html_gbk": R.render(rec2021, "html", encoding="gbk", declared="utf-8"),
        "pdf": R.render(rec2021, "pdf"),
        "pdf_split": R.render(rec2021, "pdf", split_applications=True, font="stsong"),
        "docx": R.render(rec2021, "docx"),
        "text": R.render(rec2021, "text"),
        "html2019": R.render(rec2019, "html"),
        "text2019": R.render(rec2019, "text"),
    }
    out["doc"] = R.render(rec2021, "doc")
    folder = tmp_path_factory.mktemp("render")
    for name, data in out.items():
        (folder / name).write_bytes(data)
    return out


# --------------------------------------------------------------------------- synth


def test_records_are_deterministic_and_follow_the_spec():
    a, b = synth.make_record(7), synth.make_record(7)
    assert a == b
    assert synth.make_record(8) != a
    for seed in range(60):
        rec = synth.make_record(seed)
        t = TEMPLATES[rec["template"]]
        assert rec["template"] == ("2021" if rec["year"] >= 2021 else "2019")
        suffix = f"{rec['year']}年政府信息公开工作年度报告"
        assert rec["title"].endswith(suffix) and rec["agency"].endswith(rec["title"][:-len(suffix)])
        assert rec["region"].startswith("河南省") and re.fullmatch(r"41\d{4}", rec["region_code"])
        assert f"统计期限为{rec['year']}年1月1日至{rec['year']}年12月31日" in rec["sections"]["overview"]
        assert set(rec["sections"]) == {"overview", "problems", "other"}
        for row in t.active_disclosure.rows:
            assert set(rec["active_disclosure"][row.key]) == set(row.measures)
        assert list(rec["applications"]) == t.applications.row_keys
        for row in rec["applications"].values():
            assert list(row) == t.applications.column_keys
            assert all(isinstance(v, int) and v >= 0 for v in row.values())
        assert set(rec["reviews"]) == {"reconsideration", "litigation_direct", "litigation_after_review"}
        assert all(c["ok"] for c in rec["checks"]), rec["checks"]
        assert [c["name"] for c in rec["checks"]] == ["balance", "row_totals", "result_total", "review_totals",
                                                      "completeness"]


def test_agency_is_the_full_name_and_titles_print_both_forms():
    recs = [synth.make_record(s, agency="新安县人民政府办公室", region_code="410323") for s in range(40)]
    assert {r["agency"] for r in recs} == {"洛阳市新安县人民政府办公室"}
    assert {r["region"] for r in recs} == {"河南省洛阳市新安县"}
    assert {r["title"][:-len("2020年政府信息公开工作年度报告")] for r in recs} == {
        "新安县人民政府办公室", "洛阳市新安县人民政府办公室"}


def test_inconsistent_records_break_exactly_the_named_rule():
    seen = collections.Counter()
    for seed in range(120):
        rec = synth.make_record(seed, consistent=False)
        failing = [c["name"] for c in rec["checks"] if not c["ok"]]
        assert failing == [rec["_broken"]], (seed, failing)
        seen[rec["_broken"]] += 1
    assert set(seen) == set(synth.BROKEN_RULES)


def test_numbers_are_realistic():
    county_gov = [synth.make_record(s, agency=name, region_code=code)
                  for s, (name, code) in enumerate([("洛阳市洛龙区人民政府", "410311"), ("新安县人民政府办公室", "410323")] * 40)]
    counts = [r["applications"]["new_received"]["total"] for r in county_gov]
    assert all(0 <= n <= 80 for n in counts) and max(counts) > 0
    corpus = synth.make_corpus(300, seed=3)
    zero_share = sum(v == 0 for r in corpus for row in r["applications"].values() for v in row.values()) / (300 * 26 * 7)
    assert zero_share > 0.8  # most cells of a real report are zero
    fees = [r["active_disclosure"]["fees"]["amount"] for r in corpus if r["template"] == "2021"]
    assert all(f == 0 or round(f, 4) == f for f in fees) and any(f for f in fees)


def test_corpus_is_distinct_reports_and_covers_both_templates():
    corpus = synth.make_corpus(2000, seed=1)
    assert len({(r["agency"], r["year"]) for r in corpus}) == 2000
    assert {r["template"] for r in corpus} == {"2019", "2021"}
    assert synth.make_corpus(5, seed=1) == corpus[:5]
    assert synth.corpus_capacity() > 40_000


def test_unknown_region_code_is_a_clear_error():
    with pytest.raises(ValueError, match="not in"):
        synth.make_record(1, region_code="999999")


# --------------------------------------------------------------------------- grids and text


def test_application_grid_has_the_national_header(rec2021):
    g = R.table_grid(rec2021, "applications").expanded(repeat=True)
    assert g[0][3:] == ["申请人情况"] * 7
    assert g[1][3] == g[2][3] == "自然人"
    assert g[1][4:9] == ["法人或其他组织"] * 5
    assert g[1][9] == g[2][9] == "总计"
    assert g[2][4:9] == [c.label for c in T2021.applications.columns[1:6]]
    results = [r for r in g[3:] if r[0] == "三、本年度办理结果"]
    assert len(results) == len(T2021.result_rows) + 1  # + （七）总计
    assert sum(r[1] == "（三）不予公开" for r in g) == 8


def test_text_dump_is_tab_separated_grid(rec2021, rendered):
    lines = rendered["text"].decode("utf-8").split("\n")
    assert rec2021["title"] in lines
    grid = R.table_grid(rec2021, "applications").expanded()
    start = lines.index("\t".join(grid[0]))
    assert lines[start:start + len(grid)] == ["\t".join(r) for r in grid]


def test_2019_layout(rec2019, rendered):
    text = rendered["text2019"].decode("utf-8")
    for label in ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "政府集中采购",
                  "采购项目数量", "其他对外管理服务事项", "第二十条第（九）项"):
        assert label in text
    other = next(line for line in text.split("\n") if line.startswith("\t（六）其他处理"))
    assert other.split("\t")[1:3] == ["（六）其他处理", ""]  # one row spanning two label columns
    assert "逾期不补正" not in text
    assert len(R.table_grid(rec2019, "applications").rows) == 3 + len(T2019.applications.rows)


def test_omit_leaves_heading_and_drops_table(rec2021):
    text = R.render(rec2021, "text", omit=("applications",)).decode()
    assert "三、收到和处理政府信息公开申请情况" in text and "申请人情况" not in text
    with pytest.raises(ValueError, match="unknown tables"):
        R.render(rec2021, "text", omit=("nothing",))
    with pytest.raises(ValueError, match="unknown format"):
        R.render(rec2021, "rtf")


# --------------------------------------------------------------------------- html


def html_grid(table) -> list[list[str]]:
    """Expand an lxml <table> the way a browser lays it out (independent of Grid.placed)."""
    cells: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.iter("tr")):
        c = 0
        for td in tr.findall("td"):
            while (r, c) in cells:
                c += 1
            rs, cs = int(td.get("rowspan", 1)), int(td.get("colspan", 1))
            text = re.sub(r"\s+", "", td.text_content().replace("\xa0", ""))
            for dr in range(rs):
                for dc in range(cs):
                    cells[(r + dr, c + dc)] = text
            c += cs
    rows, cols = max(k[0] for k in cells) + 1, max(k[1] for k in cells) + 1
    return [[cells.get((r, c), "") for c in range(cols)] for r in range(rows)]


@pytest.mark.parametrize("variant", ["html", "html_word", "html_gbk"])
def test_html_tables_expand_to_the_printed_grid(variant, rec2021, rendered):
    data = rendered[variant]
    page = lxml.html.document_fromstring(data.decode("gbk" if variant == "html_gbk" else "utf-8"))
    tables = page.xpath("//table")
    assert len(tables) == 3
    for name, table in zip(TABLES, tables):
        want = [[re.sub(r"\s+", "", c) for c in row] for row in R.table_grid(rec2021, name).expanded(repeat=True)]
        assert html_grid(table) == want, name
    assert page.xpath("//h1")[0].text_content() == rec2021["title"]
    assert f"发布时间：{rec2021['published']}" in page.text_content()


def test_html_merged_cells_as_portals_print_them(rendered):
    page = lxml.html.document_fromstring(rendered["html"].decode())
    apps, reviews = page.xpath("//div[@class='TRS_Editor']//table")[1:]
    td = {c.text_content(): c for c in apps.iter("td")}
    assert td["申请人情况"].get("colspan") == "7"
    assert td["自然人"].get("rowspan") == "2"
    assert td["法人或其他组织"].get("colspan") == "5"
    assert td["总计"].get("rowspan") == "2"
    assert td["三、本年度办理结果"].get("rowspan") == str(len(T2021.result_rows) + 1)
    assert td["（三）不予公开"].get("rowspan") == "8"
    rv = {c.text_content(): c for c in reviews.iter("td")}
    assert rv["行政复议"].get("colspan") == "5" and rv["行政诉讼"].get("colspan") == "10"
    assert rv["未经复议直接起诉"].get("colspan") == "5" and rv["复议后起诉"].get("colspan") == "5"


def test_word_pasted_html_looks_pasted(rendered):
    text = rendered["html_word"].decode()
    assert 'id="zoom"' in text and "class=MsoNormal" in text and "mso-" in text
    assert "<p class=MsoNormal><span lang=EN-US>&nbsp;<o:p></o:p></span></p>" in text
    cells = lxml.html.document_fromstring(text).xpath("//table//td")
    assert cells and all(td.xpath("./p[@class='MsoNormal']/span[@style]") for td in cells)


def test_blank_zero_cells_print_as_nbsp_in_word_html(rec2021):
    text = R.render(rec2021, "html", word=True, zero="").decode()
    assert "<span lang=EN-US>&nbsp;<o:p></o:p></span></p></td>" in text


def test_gbk_bytes_labelled_utf8(rec2021, rendered):
    data = rendered["html_gbk"]
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b'charset=utf-8' in data
    assert rec2021["title"] in data.decode("gbk")


def test_attachments_and_stub_pages(rec2021):
    files = [(rec2021["title"] + ".pdf", "/attach/2023/report.pdf"), ("附表.doc", "/attach/2023/t.doc")]
    page = lxml.html.document_fromstring(R.render(rec2021, "html", attachments=files).decode())
    assert [(a.text, a.get("href")) for a in page.xpath("//div[@class='fj']//a")] == files
    assert len(page.xpath("//table")) == 3
    stub = lxml.html.document_fromstring(R.render(rec2021, "html", attachments=files[:1], stub=True).decode())
    assert not stub.xpath("//table") and "详见附件" in stub.text_content()
    assert stub.xpath("//h1")[0].text_content() == rec2021["title"]
    with pytest.raises(ValueError, match="needs attachments"):
        R.render(rec2021, "html", stub=True)


# --------------------------------------------------------------------------- pdf


@pytest.mark.parametrize("variant", ["pdf", "pdf_split"])
def test_pdf_pages_header_footer_labels(variant, rec2021, rendered):
    with pdfplumber.open(io.BytesIO(rendered[variant])) as pdf:
        texts = [p.extract_text() or "" for p in pdf.pages]
        assert pdf.pages[0].width == pytest.approx(595.3, abs=1)
        n = len(pdf.pages)
    assert n >= 2
    for i, t in enumerate(texts, 1):
        assert rec2021["title"] in t.split("\n")[0]  # running header
        assert t.rstrip().endswith(f"- {i} -")  # footer
    whole = "".join(texts)
    for label in ("申请人情况", "法人或其他组织", "三、本年度办理结果", "（三）不予公开", "未经复议直接起诉",
                  "第二十条第（八）项", "五、存在的主要问题及改进情况"):
        assert label in whole.replace("\n", ""), label


def test_pdf_tables_are_ruled_with_spans(rec2021, rendered):
    with pdfplumber.open(io.BytesIO(rendered["pdf"])) as pdf:
        tables = [t for p in pdf.pages for t in p.extract_tables()]
    apps = next(t for t in tables if t[0][3] and "申请人情况" in t[0][3])
    want = R.table_grid(rec2021, "applications").expanded()
    assert len(apps) == len(want)
    assert [r[3:] for r in apps[3:]] == [r[3:] for r in want[3:]]  # every number where it belongs
    assert apps[1][4] == "法人或其他组织" and apps[1][5] is None  # pdfplumber: None for a merged cell


def test_split_application_table_continues_on_next_page(rendered):
    with pdfplumber.open(io.BytesIO(rendered["pdf_split"])) as pdf:
        pages = [(p.extract_text() or "").replace("\n", "") for p in pdf.pages]
        first = next(i for i, t in enumerate(pages) if "1.属于国家秘密" in t)
        assert "4.保护第三方合法权益" not in pages[first]
        assert "4.保护第三方合法权益" in pages[first + 1]
        assert pdf.pages[first].extract_tables() and pdf.pages[first + 1].extract_tables()


# --------------------------------------------------------------------------- docx / doc


def test_docx_has_real_merged_cells(rec2021, rendered):
    d = docx.Document(io.BytesIO(rendered["docx"]))
    assert len(d.tables) == 3
    for name, table in zip(TABLES, d.tables):
        got = [[c.text for c in row.cells] for row in table.rows]
        assert got == R.table_grid(rec2021, name).expanded(repeat=True), name
    xml = d.tables[1]._tbl.xml
    assert 'w:gridSpan w:val="7"' in xml and 'w:vMerge w:val="restart"' in xml
    assert d.sections[0].header.paragraphs[0].text == rec2021["title"]


def test_doc_converts_and_keeps_the_tables(rendered, tmp_path):
    data = rendered["doc"]
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: a Word 97 .doc
    (tmp_path / "r.doc").write_bytes(data)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'prof').as_uri()}",
                    "--convert-to", "docx", "--outdir", str(tmp_path / "back"), str(tmp_path / "r.doc")],
                   check=True, capture_output=True, timeout=120)
    back = docx.Document(str(tmp_path / "back" / "r.docx"))
    assert len(back.tables) == 3
    assert "申请人情况" in {c.text for c in back.tables[1].rows[0].cells}
