"""`python -m extract FILE`: output modes, exit statuses and one-line errors."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "samples" / "001_f782fbc304cf921a.txt"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extract", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_json_is_one_record():
    res = run(str(SAMPLE), "--json", "--url", "http://www.mengjin.gov.cn/a.html")
    assert res.returncode == 0, res.stderr
    record = json.loads(res.stdout)
    for key in ("title", "year", "agency", "region", "region_code", "template", "sections",
                "active_disclosure", "applications", "reviews", "checks"):
        assert key in record
    assert record["applications"]["new_received"]["total"] == 20
    assert record["url"] == "http://www.mengjin.gov.cn/a.html"
    assert [c["name"] for c in record["checks"]] == ["balance", "row_totals", "result_total", "review_totals", "completeness"]


def test_summary_lays_out_tables_and_checks():
    res = run(str(SAMPLE))
    assert res.returncode == 0
    out = res.stdout
    assert "一、本年新收政府信息公开申请数量" in out and "自然人" in out and "结果维持" in out
    assert "✓ balance: 20 + 0 = 19 + 1" in out


def _pdf(encrypt: str | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 760, "某某县人民政府2023年政府信息公开工作年度报告")
    c.drawString(72, 730, "一、总体情况")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("empty.pdf", b"", "empty file"),
        ("junk.pdf", bytes(range(256)) * 40, "binary data"),
        ("truncated.pdf", None, "PDF"),
        ("encrypted.pdf", None, "encrypted"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "image"),
        ("sheet.xlsx", None, "spreadsheet"),
    ],
)
def test_bad_input_exit_2_with_one_line(tmp_path, name, content, reason):
    if name == "truncated.pdf":
        content = _pdf()[:600]
    elif name == "encrypted.pdf":
        content = _pdf(encrypt="secret")
    elif name == "sheet.xlsx":
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("xl/workbook.xml", "<workbook/>")
        content = buf.getvalue()
    path = tmp_path / name
    path.write_bytes(content)
    res = run(str(path))
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert lines[0].startswith(str(path) + ": ")
    assert reason.lower() in lines[0].lower()


def test_missing_file_exit_2(tmp_path):
    res = run(str(tmp_path / "nope.html"))
    assert res.returncode == 2 and "nope.html" in res.stderr and "Traceback" not in res.stderr


def test_notice_page_exit_3(tmp_path):
    page = """<html><head><meta charset="utf-8"><title>关于做好2023年政府信息公开工作年度报告发布工作的通知</title></head>
<body><div class="nav"><a href="/">首页</a></div><div id="zoom"><h1>关于做好2023年政府信息公开工作年度报告发布工作的通知</h1>
<p>各县（市、区）人民政府，市人民政府各部门：</p><p>请于2024年1月31日前向社会公布本机关年度报告。</p></div></body></html>"""
    path = tmp_path / "notice.html"
    path.write_text(page, encoding="utf-8")
    res = run(str(path))
    assert res.returncode == 3, (res.stdout, res.stderr)
    assert "not an annual report" in res.stderr and len(res.stderr.strip().splitlines()) == 1
