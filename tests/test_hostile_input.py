"""Files that break readers: each becomes a clear error, the worker goes on, memory stays bounded."""
from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.api import extract_bytes
from extract.errors import ExtractError
from extract.isolate import IsolatedExtractor
from extract.readers import text as text_reader

SAMPLE = "\n".join(["某县人民政府2023年政府信息公开工作年度报告", "一、总体情况", "本年度工作稳步推进。"])


def zip_bomb_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b" " * (300 * 1024 * 1024) + b"</w:document>")
    return buf.getvalue()


def deep_html(depth: int = 50_000) -> bytes:
    return (b"<html><body>" + b"<div>" * depth + "政府信息公开工作年度报告".encode() + b"</div>" * depth + b"</body></html>")


@pytest.fixture(scope="module")
def worker():
    with IsolatedExtractor(timeout=60, memory_mb=1024) as w:
        yield w


def test_zip_bomb_docx_is_refused(worker):
    data = zip_bomb_docx()
    assert len(data) < 2 * 1024 * 1024
    with pytest.raises(ExtractError) as err:
        worker.extract(data, filename="bomb.docx")
    assert "zip" in err.value.reason.lower() or "large" in err.value.reason.lower()


def test_deeply_nested_html_gives_record_or_clear_error(worker):
    try:
        worker.extract(deep_html())
    except ExtractError as exc:
        assert exc.reason
    # the worker survives for the next document
    rec = worker.extract(SAMPLE.encode())
    assert rec["year"] == 2023


def test_huge_body_is_refused_before_parsing():
    with pytest.raises(ExtractError, match="too large"):
        extract_bytes(b" " * (200 * 1024 * 1024))


def test_timeout_kills_and_replaces_the_worker():
    with IsolatedExtractor(timeout=0.001, memory_mb=1024) as w:
        with pytest.raises(ExtractError, match="timed out"):
            w.extract(SAMPLE.encode())
        w.timeout = 60
        assert w.extract(SAMPLE.encode())["year"] == 2023


def test_memory_limit_turns_into_an_error():
    with IsolatedExtractor(timeout=60, memory_mb=200) as w:
        with pytest.raises(ExtractError):
            w.extract(b"x" * (150 * 1024 * 1024))  # the copy alone overruns 200 MiB
        assert w.extract(SAMPLE.encode())["year"] == 2023


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("一二三四（）()、.12340 \t|\n-—无总计自然人予以公开行政复议年度报告政府信息公开2023年")), max_size=400))
def test_text_reader_never_raises_anything_else(text):
    text_reader.read(text)  # the reader itself accepts any text
    try:
        rec = extract_bytes(text.encode("utf-8"))
    except ExtractError:
        return
    assert isinstance(rec["checks"], list) and len(rec["checks"]) == 5


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.one_of(st.just(""), st.sampled_from(["0", "3", "无", "予以公开", "总计", "自然人", "行政复议"])), min_size=1, max_size=9),
                min_size=1, max_size=12),
       st.lists(st.tuples(st.integers(0, 11), st.integers(0, 8), st.integers(0, 4), st.integers(0, 4)), max_size=4))
def test_html_tables_never_raise_anything_else(rows, spans):
    html = ["<html><body><h1>某县2023年政府信息公开工作年度报告</h1><table>"]
    for r, cells in enumerate(rows):
        html.append("<tr>")
        for c, cell in enumerate(cells):
            attrs = "".join(f' rowspan="{rs}" colspan="{cs}"' for (sr, sc, rs, cs) in spans if sr == r and sc == c)
            html.append(f"<td{attrs}>{cell}</td>")
        html.append("</tr>")
    html.append("</table></body></html>")
    try:
        rec = extract_bytes("".join(html).encode("utf-8"))
    except ExtractError:
        return
    assert rec["template"] in ("2021", "2019", "legacy")
