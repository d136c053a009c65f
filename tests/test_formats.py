"""The extraction spine: one report, every format a portal publishes, one record.

For each real sample, its hand-read expected record (tests/expected/<stem>.json)
plus the narrative of the sample text is rendered as HTML (plain, pasted from
Word, GBK bytes labelled UTF-8), PDF (whole, and with the application table
split over two pages), DOCX and DOC; every rendering must extract to the same
three tables, year, template and check outcomes as the expectation — and as
the sample's own text.  Synthetic records cover the 2019 template, printed
numbers that break one sum rule, and a missing table.

All documents are rendered once per session (DOC in one LibreOffice batch).
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

from extract.api import extract_bytes, extract_file
from tests.replica import render as R
from tests.replica import synth

ROOT = Path(__file__).resolve().parent
SAMPLES = ROOT.parents[1] / "shared" / "samples"
EXPECTED = ROOT / "expected"
STEMS = sorted(p.stem for p in EXPECTED.glob("*.json"))
TABLES = ("active_disclosure", "applications", "reviews")


# variant name → (format, render options)
SAMPLE_VARIANTS = {
    "html": ("html", {}),
    "html_word": ("html", {"word": True, "container": "zoom"}),
    "html_gbk_as_utf8": ("html", {"encoding": "gbk", "declared": "utf-8"}),
    "pdf": ("pdf", {}),
    "pdf_split": ("pdf", {"split_applications": True}),
    "docx": ("docx", {}),
    "doc": ("doc", {}),
    "pdf_office": ("pdf_office", {}),  # the DOCX exported to PDF by LibreOffice, as Word/WPS users publish
}
SYNTH_VARIANTS = {
    "text": ("text", {}),
    "html": ("html", {"container": "hap"}),
    "html_word_blank_zero": ("html", {"word": True, "zero": ""}),
    "pdf": ("pdf", {"font": "stsong"}),
    "docx": ("docx", {}),
    "doc": ("doc", {}),
    "pdf_office": ("pdf_office", {}),
}


def _param(variant: str):
    return variant


# --------------------------------------------------------------------------- records to render


_HEADINGS = {key: heading for key, heading in R.PARTS}


def sections_from_text(text: str) -> dict[str, str | None]:
    """The narrative parts of a sample text dump: the lines under 一、五、六 up to the next part heading."""
    lines = [re.sub(r"^#+\s*|\*\*", "", line).strip() for line in text.splitlines()]
    starts = {}
    for i, line in enumerate(lines):
        for key, heading in _HEADINGS.items():
            if key not in starts and line.replace(" ", "") == heading:
                starts[key] = i
    order = sorted(starts.items(), key=lambda kv: kv[1])
    out: dict[str, str | None] = {}
    for n, (key, i) in enumerate(order):
        end = order[n + 1][1] if n + 1 < len(order) else len(lines)
        if key in ("overview", "problems", "other"):
            out[key] = "\n".join(line for line in lines[i + 1:end] if line) or None
    return out


def expected(stem: str) -> dict:
    return json.loads((EXPECTED / f"{stem}.json").read_text(encoding="utf-8"))


def sample_record(stem: str) -> dict:
    """The expected record of a sample with the sample's own narrative, ready to render."""
    rec = expected(stem)
    rec["sections"] = sections_from_text((SAMPLES / f"{stem}.txt").read_text(encoding="utf-8"))
    return rec


SYNTH = {
    "2019": synth.make_record(2019, year=2020, agency="新安县人民政府办公室", region_code="410323"),
    **{f"broken_{rule}": next(r for s in range(1000) if (r := synth.make_record(s, year=2023, consistent=False))["_broken"] == rule)
       for rule in synth.BROKEN_RULES},
}
OMITTED = {  # case → (record, omitted table, formats)
    "no_applications": (synth.make_record(31, year=2022), "applications", ("html", "pdf", "docx")),
    "no_reviews": (synth.make_record(32, year=2021), "reviews", ("text", "docx")),
}
BROKEN_FORMATS = ("text", "html", "pdf", "docx")


@pytest.fixture(scope="session")
def documents(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Every rendered fixture, written once: (case, variant) → file."""
    folder = tmp_path_factory.mktemp("formats")
    jobs: dict[tuple[str, str], tuple[dict, str, dict]] = {}
    for stem in STEMS:
        for variant, (fmt, opts) in SAMPLE_VARIANTS.items():
            jobs[(stem, variant)] = (sample_record(stem), fmt, opts)
    for variant, (fmt, opts) in SYNTH_VARIANTS.items():
        jobs[("2019", variant)] = (SYNTH["2019"], fmt, opts)
    for rule in synth.BROKEN_RULES:
        for fmt in BROKEN_FORMATS:
            jobs[(f"broken_{rule}", fmt)] = (SYNTH[f"broken_{rule}"], fmt, {})
    for case, (rec, table, fmts) in OMITTED.items():
        for fmt in fmts:
            jobs[(case, fmt)] = (rec, fmt, {"omit": (table,)})
    out: dict[tuple[str, str], Path] = {}
    batches: dict[str, list] = {"doc": [], "pdf": []}
    for key, (rec, fmt, opts) in jobs.items():
        if fmt in ("doc", "pdf_office"):  # converted below by LibreOffice, one batch per target
            target = "doc" if fmt == "doc" else "pdf"
            batches[target].append((key, folder / f"{key[0]}__{key[1]}.{target}", R.render(rec, "docx", **opts)))
            continue
        path = folder / f"{key[0]}__{key[1]}{R.EXTENSIONS[fmt]}"
        path.write_bytes(R.render(rec, fmt, **opts))
        out[key] = path
    for target, batch in batches.items():
        for (key, path, _), data in zip(batch, R.docx_convert_many([d for _, _, d in batch], target)):
            path.write_bytes(data)
            out[key] = path
    return out


@functools.lru_cache(maxsize=None)
def _extract(path: Path) -> dict:
    return extract_bytes(path.read_bytes(), filename=path.name)


def _checks(record: dict) -> dict[str, bool]:
    return {c["name"]: c["ok"] for c in record["checks"]}


# --------------------------------------------------------------------------- the five samples in every format


@pytest.mark.parametrize("variant", [_param(v) for v in SAMPLE_VARIANTS])
@pytest.mark.parametrize("stem", STEMS)
def test_sample_in_every_format(stem, variant, documents):
    exp = expected(stem)
    got = _extract(documents[(stem, variant)])
    for table in TABLES:
        assert got[table] == exp[table], table
    assert (got["year"], got["template"]) == (exp["year"], exp["template"])
    assert _checks(got) == exp["checks"]
    # … and the same as the sample's own text dump
    from_text = extract_file(SAMPLES / f"{stem}.txt")
    assert all(got[t] == from_text[t] for t in TABLES)
    assert _checks(got) == _checks(from_text)


def test_sample_narrative_is_rendered(documents):
    """The fixtures carry the sample's narrative, not just the tables."""
    for stem in STEMS:
        sections = sample_record(stem)["sections"]
        assert sections.get("overview") and sections.get("problems") and sections.get("other"), stem
        html = documents[(stem, "html")].read_bytes().decode("utf-8")
        assert sections["problems"].split("\n")[0][:20] in html


# --------------------------------------------------------------------------- synthetic reports


@pytest.mark.parametrize("variant", [_param(v) for v in SYNTH_VARIANTS])
def test_2019_template_in_every_format(variant, documents):
    rec = SYNTH["2019"]
    got = _extract(documents[("2019", variant)])
    assert got["template"] == "2019" and got["year"] == 2020
    for table in TABLES:
        assert got[table] == rec[table], table
    assert all(_checks(got).values()), got["checks"]


@pytest.mark.parametrize("variant", [_param(v) for v in ("text", "html", "pdf", "docx", "doc")])
def test_synthetic_metadata(variant, documents):
    """Title, year, agency (full name), region and code survive every format; HTML carries 发布时间."""
    rec = SYNTH["2019"]
    got = _extract(documents[("2019", variant)])
    for key in ("title", "year", "agency", "region", "region_code"):
        assert got[key] == rec[key], key
    if variant == "html":
        assert got["published"] == rec["published"]


@pytest.mark.parametrize("fmt", [_param(f) for f in BROKEN_FORMATS])
@pytest.mark.parametrize("rule", synth.BROKEN_RULES)
def test_inconsistent_report_keeps_numbers_and_fails_the_named_check(rule, fmt, documents):
    rec = SYNTH[f"broken_{rule}"]
    got = _extract(documents[(f"broken_{rule}", fmt)])
    for table in TABLES:
        assert got[table] == rec[table], table  # numbers stay as printed
    failing = {name for name, ok in _checks(got).items() if not ok}
    assert failing == {rule}


@pytest.mark.parametrize("case,fmt", [pytest.param(c, f)
                                      for c, (_, _, fmts) in OMITTED.items() for f in fmts])
def test_omitted_table_is_null_and_incomplete(case, fmt, documents):
    rec, table, _ = OMITTED[case]
    got = _extract(documents[(case, fmt)])
    assert got[table] is None
    for other in TABLES:
        if other != table:
            assert got[other] == rec[other], other
    checks = _checks(got)
    assert checks["completeness"] is False
    dependent = {"applications": ("balance", "row_totals", "result_total"), "reviews": ("review_totals",)}[table]
    assert all(checks[name] is False for name in dependent)
    assert all(ok for name, ok in checks.items() if name not in dependent and name != "completeness")
