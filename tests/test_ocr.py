"""OCR fallback: scanned PDFs and image attachments read by tesseract.

The fixtures are made here, as a portal's scanner would: sample 001 (孟津区 2023,
every table with non-zero numbers, a two-line label row whose values sit between
the label's lines) is rendered to PDF with the WenQuanYi font, its pages are
rasterised by pypdfium2 into grayscale pictures, and those become an image-only
PDF (no text layer) and PNG/JPEG/TIFF files.  Each is read through the whole
extractor and compared cell by cell with the hand-read expectation.

What OCR gets wrong on these fixtures, stated once and asserted as such:

* the 16-point title prints 孟津区 and tesseract reads 孟 as 乔 in the scanned PDF
  (the title is checked to differ from the expectation in at most that one
  character);
* nothing else: every table cell, the year, the template and the region are exact.

Tesseract runs for real (no mocks): about 3 s a page here; the whole module takes
about 30 s.  Without tesseract + chi_sim the module is skipped, except the test
that the missing engine is reported as such.
"""
from __future__ import annotations

import functools
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extract.api import extract_bytes, sniff
from extract.errors import ExtractError
from extract.isolate import IsolatedExtractor
from extract.labels import ocr_number, parse_number
from extract.readers import ocr
from tests.replica import render as R

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
EXPECTED = ROOT / "tests" / "expected"
STEM = "001_f782fbc304cf921a"
TABLES = ("active_disclosure", "applications", "reviews")
CHECKS = ("balance", "row_totals", "result_total", "review_totals", "completeness")


def _has_tesseract() -> bool:
    try:
        ocr._tesseract()
        return True
    except ExtractError:
        return False


needs_ocr = pytest.mark.skipif(not _has_tesseract(), reason="tesseract-ocr with chi_sim is not installed (make install)")


@functools.lru_cache(maxsize=None)
def expected() -> dict:
    return json.loads((EXPECTED / f"{STEM}.json").read_text(encoding="utf-8"))


def _record() -> dict:
    """Sample 001's expected record with the sample's own narrative, ready to render."""
    from tests.test_formats import sections_from_text

    rec = json.loads((EXPECTED / f"{STEM}.json").read_text(encoding="utf-8"))
    rec["sections"] = sections_from_text((SAMPLES / f"{STEM}.txt").read_text(encoding="utf-8"))
    return rec


@pytest.fixture(scope="session")
def scans() -> dict[str, bytes]:
    """Sample 001 as a scanner makes it: page pictures, an image-only PDF and image files."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    text_pdf = R.render(_record(), "pdf")
    pdf = pdfium.PdfDocument(text_pdf)
    pictures, sizes = [], []
    for i in range(len(pdf)):
        page = pdf[i]
        sizes.append(page.get_size())
        pictures.append(page.render(scale=300 / 72, grayscale=True).to_pil().convert("L"))
    pdf.close()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for (w, h), picture in zip(sizes, pictures):
        c.setPageSize((w, h))
        c.drawImage(ImageReader(picture), 0, 0, width=w, height=h)
        c.showPage()
    c.save()
    out = {"text_pdf": text_pdf, "scanned_pdf": buf.getvalue(), "pages": len(pictures)}

    def save(img, fmt: str, **opts) -> bytes:
        b = io.BytesIO()
        img.save(b, fmt, **opts)
        return b.getvalue()

    # page 2 holds parts 3 and 4 (applications, reviews); page 1 part 2 (active disclosure)
    out["png_tables"] = save(pictures[1], "PNG")
    small = pictures[0].resize((pictures[0].width // 2, pictures[0].height // 2))  # a 150 dpi scan
    out["jpeg_150dpi"] = save(small, "JPEG", quality=85)
    # copies: a picture saved before keeps its encoder settings, which Pillow passes on to the TIFF frames
    out["tiff_two_pages"] = save(pictures[0].copy(), "TIFF", save_all=True, append_images=[pictures[1].copy()])
    out["blank_pdf"] = _image_pdf(pictures[0].point(lambda v: 255))
    return out


def _image_pdf(picture) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawImage(ImageReader(picture), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
    return buf.getvalue()


@functools.lru_cache(maxsize=None)
def _extract(data: bytes) -> tuple[dict, float]:
    start = time.monotonic()
    rec = extract_bytes(data)
    return rec, time.monotonic() - start


def _differing(got: dict | None, exp: dict | None) -> list[tuple[str, str, object, object]]:
    assert got is not None and exp is not None
    return [(r, c, exp[r][c], (got.get(r) or {}).get(c)) for r in exp for c in exp[r]
            if (got.get(r) or {}).get(c) != exp[r][c]]


def _assert_ocr_flagged(rec: dict, fmt: str, pages: int) -> None:
    assert rec["ocr"] is True and rec["format"] == fmt
    flag = rec["checks"][-1]
    assert flag["name"] == "ocr" and flag["ok"] is False
    assert f"read by OCR (tesseract chi_sim) from {pages} scanned page" in flag["detail"]
    assert "low confidence" in flag["detail"]
    assert [c["name"] for c in rec["checks"][:-1]] == list(CHECKS)  # the five checks come first, unchanged


# --------------------------------------------------------------------------- the fixtures are what they claim


def test_fixtures_have_no_text_layer(scans):
    from extract.readers import pdf as pdf_reader

    assert pdf_reader.read(scans["text_pdf"]).format == "pdf"  # the rendering itself has text
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(scans["scanned_pdf"])
    assert len(doc) == scans["pages"] == 3
    assert all(doc[i].get_textpage().count_chars() == 0 for i in range(len(doc)))
    for key, kind in (("png_tables", "image"), ("jpeg_150dpi", "image"), ("tiff_two_pages", "image"),
                      ("scanned_pdf", "pdf")):
        assert sniff(scans[key]) == kind


# --------------------------------------------------------------------------- scanned PDF


@needs_ocr
def test_scanned_pdf_every_cell(scans):
    rec, seconds = _extract(scans["scanned_pdf"])
    exp = expected()
    for table in TABLES:
        assert _differing(rec[table], exp[table]) == [], table
    for key in ("year", "template", "region", "region_code"):
        assert rec[key] == exp[key], key
    # the consistency checks hold on the OCR'd numbers, as on the original
    assert {c["name"]: c["ok"] for c in rec["checks"] if c["name"] != "ocr"} == exp["checks"]
    _assert_ocr_flagged(rec, "pdf", 3)
    assert rec["warnings"] == []
    print(f"scanned PDF, 3 pages: {seconds:.1f} s")


@needs_ocr
def test_scanned_pdf_title_and_narrative(scans):
    rec, _ = _extract(scans["scanned_pdf"])
    exp = expected()
    title = rec["title"]
    # the one known misread: 孟 of the large title read as 乔 (at most one character off)
    assert len(title) == len(exp["title"]) and sum(a != b for a, b in zip(title, exp["title"])) <= 1, title
    for key, snippet in exp["sections"].items():
        text = rec["sections"][key]
        assert text is not None, key
        # OCR drops the spaces of the dump ("2023 年") and may read ：as :; compare without them
        norm = lambda t: t.replace(" ", "").replace("：", ":")  # noqa: E731
        assert norm(text).startswith(norm(snippet["starts"])), (key, text[:30])
        assert norm(text).endswith(norm(snippet["ends"])), (key, text[-30:])
    assert "- 2 -" not in rec["sections"]["overview"]  # page footers are dropped


@needs_ocr
def test_blank_scanned_page_is_an_error(scans):
    with pytest.raises(ExtractError, match=r"no text layer \(scanned PDF\?\): OCR found no text"):
        extract_bytes(scans["blank_pdf"])


# --------------------------------------------------------------------------- image attachments


@needs_ocr
def test_png_of_the_table_page(scans):
    rec, _ = _extract(scans["png_tables"])
    exp = expected()
    assert _differing(rec["applications"], exp["applications"]) == []
    assert _differing(rec["reviews"], exp["reviews"]) == []
    assert rec["active_disclosure"] is None  # part 2 is on page 1, not in this picture
    assert rec["year"] == 2023 and rec["template"] == "2021"
    _assert_ocr_flagged(rec, "image", 1)


@needs_ocr
def test_low_resolution_jpeg(scans):
    rec, _ = _extract(scans["jpeg_150dpi"])
    assert _differing(rec["active_disclosure"], expected()["active_disclosure"]) == []
    assert rec["applications"] is None and rec["reviews"] is None
    _assert_ocr_flagged(rec, "image", 1)


@needs_ocr
def test_multi_page_tiff_and_page_limit(scans, monkeypatch):
    monkeypatch.setattr(ocr, "MAX_PAGES", 1)
    rec = extract_bytes(scans["tiff_two_pages"])
    assert "OCR read only the first 1 of 2 frames" in rec["warnings"]
    assert _differing(rec["active_disclosure"], expected()["active_disclosure"]) == []
    assert rec["applications"] is None  # on the second frame, not read
    _assert_ocr_flagged(rec, "image", 1)


@needs_ocr
def test_time_budget_reads_the_first_page_and_names_the_rest(scans, monkeypatch):
    monkeypatch.setattr(ocr, "TIME_BUDGET", 0.0)
    monkeypatch.setattr(ocr, "WORKERS", 1)
    rec = extract_bytes(scans["scanned_pdf"])
    assert any(w.startswith("OCR time budget (0 s) used up: page 2 and later not read") for w in rec["warnings"])
    assert _differing(rec["active_disclosure"], expected()["active_disclosure"]) == []
    assert rec["applications"] is None
    _assert_ocr_flagged(rec, "pdf", 1)


@needs_ocr
def test_in_the_isolated_worker(scans):
    """The crawl's bounded worker (2 GiB address space, inherited by tesseract) reads a scan."""
    with IsolatedExtractor(timeout=120) as worker:
        start = time.monotonic()
        rec = worker.extract(scans["png_tables"], filename="scan.png")
        seconds = time.monotonic() - start
    assert rec["ocr"] is True and _differing(rec["applications"], expected()["applications"]) == []
    assert seconds < 60, seconds


# --------------------------------------------------------------------------- broken and unreadable


def test_truncated_png_is_a_clear_error(scans):
    data = scans["png_tables"]
    with pytest.raises(ExtractError, match=r"corrupt or truncated PNG image"):
        extract_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"\xff\xd8\xff\xe0" + b"\x00" * 100,
                                  b"GIF89a" + b"\x00" * 3, b"BM" + b"\xff" * 60])
def test_junk_behind_an_image_signature(data):
    with pytest.raises(ExtractError, match=r"image"):
        extract_bytes(data)


def test_huge_image_is_refused_before_decoding():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (10000, 10000), 1).save(buf, "PNG")  # 100 M pixels, a few KB compressed
    with pytest.raises(ExtractError, match=r"too large"):
        extract_bytes(buf.getvalue())


def _cli(path: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extract", str(path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_missing_tesseract_or_chi_sim_is_named(tmp_path, scans):
    png = tmp_path / "scan.png"
    png.write_bytes(scans["png_tables"])
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(scans["scanned_pdf"])
    no_path = {**os.environ, "PATH": str(tmp_path / "empty")}  # no tesseract on PATH
    for path, what in ((png, "image (a scanned page?)"), (pdf, r"no text layer (scanned PDF?)")):
        res = _cli(path, no_path)
        assert res.returncode == 2, res.stderr
        assert res.stderr.strip() == f"{path}: {what}: OCR unavailable: install tesseract-ocr tesseract-ocr-chi-sim"
    if shutil.which("tesseract"):  # tesseract there, but no chi_sim data
        (tmp_path / "tessdata").mkdir()
        res = _cli(png, {**os.environ, "TESSDATA_PREFIX": str(tmp_path / "tessdata")})
        assert res.returncode == 2 and "OCR unavailable: install tesseract-ocr tesseract-ocr-chi-sim" in res.stderr


# --------------------------------------------------------------------------- OCR noise in numbers


def test_ocr_number_fixes_look_alikes_only_in_number_cells():
    assert [ocr_number(c) for c in ("1O", "工", "l2", "I", "2 0", "１２", "o", "0.5", "1,234")] == [
        "10", "1", "12", "1", "20", "12", "0", "0.5", "1,234"]
    # labels, prose and table rules stay what they are
    assert [ocr_number(c) for c in ("|", "工作", "IO口", "其他", "Il人", "")] == [None] * 6
    # null markers read as 0, as printed
    assert ocr_number("无") == "无" and parse_number(ocr_number("无")) == 0
    # the normal number reading is unchanged: look-alikes are not numbers outside OCR
    assert parse_number("1O") is None and parse_number("工") is None
