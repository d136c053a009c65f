"""The five real sample reports: every cell equal to the hand-read expectation.

tests/expected/*.json were written by reading the samples, not by running code.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from extract.api import extract_file

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
EXPECTED = Path(__file__).resolve().parent / "expected"
CASES = sorted(p.stem for p in EXPECTED.glob("*.json"))


def load(stem: str) -> tuple[dict, dict]:
    expected = json.loads((EXPECTED / f"{stem}.json").read_text(encoding="utf-8"))
    return expected, extract_file(SAMPLES / f"{stem}.txt")


def test_there_are_five_samples():
    assert len(CASES) == 5
    assert all((SAMPLES / f"{c}.txt").exists() for c in CASES)


@pytest.mark.parametrize("stem", CASES)
def test_metadata(stem):
    expected, got = load(stem)
    for key in ("title", "year", "agency", "region", "region_code", "template", "published"):
        assert got[key] == expected[key], key


@pytest.mark.parametrize("stem", CASES)
@pytest.mark.parametrize("table", ["active_disclosure", "applications", "reviews"])
def test_every_cell(stem, table):
    expected, got = load(stem)
    assert got[table] == expected[table]


@pytest.mark.parametrize("stem", CASES)
def test_checks(stem):
    expected, got = load(stem)
    assert {c["name"]: c["ok"] for c in got["checks"]} == expected["checks"]
    assert all(c["detail"] for c in got["checks"])


@pytest.mark.parametrize("stem", CASES)
def test_sections(stem):
    expected, got = load(stem)
    for key, exp in expected["sections"].items():
        text = got["sections"][key]
        if exp is None:
            assert text is None, key
        else:
            assert text is not None, key
            assert text.startswith(exp["starts"]), (key, text[:30])
            assert text.endswith(exp["ends"]), (key, text[-30:])
