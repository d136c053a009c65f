"""The published archive through Datasette's own test client: metadata.yml + plugins/."""
from __future__ import annotations

import asyncio
import copy
import csv
import io
import sqlite3
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from datasette.app import Datasette

from extract.store import Archive
from tests.replica import synth
from tests.test_store import make_archive, store_records

ROOT = Path(__file__).resolve().parents[1]
METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
QUERIES = METADATA["databases"]["archive"]["queries"]
SETTINGS = {"suggest_facets": False, "sql_time_limit_ms": 3000, "facet_time_limit_ms": 1000}
BOM = b"\xef\xbb\xbf"
SCRIPT = "<script>alert(1)</script>"
SMOG = "今年重点开展雾霾治理信息公开，发布空气质量通报。"


def special_records() -> dict[str, dict]:
    """Records the tests look for: hostile HTML, a rare word, a failed balance."""
    hostile = synth.make_record(101, year=2023)
    hostile["title"] = f"{SCRIPT}某局2023年政府信息公开工作年度报告"
    hostile["sections"]["problems"] = f"存在问题{SCRIPT}<img src=x onerror=alert(2)>"
    smog = synth.make_record(102, year=2022)
    smog["sections"]["other"] = SMOG
    broken = synth.make_record(5, year=2021, consistent=False)
    assert broken["_broken"] == "balance"
    return {"hostile": hostile, "smog": smog, "broken": broken}


def records() -> list[dict]:
    return [synth.make_record(i) for i in range(30)] + list(special_records().values())


def make_ds(path: Path, **kw) -> Datasette:
    return Datasette(metadata=copy.deepcopy(METADATA), plugins_dir=str(ROOT / "plugins"), settings=SETTINGS, **kw)


@pytest.fixture(scope="module")
def loop():
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ds") / "archive.db"
    make_archive(path, records()).close()
    return path


@pytest.fixture(scope="module")
def ds(db) -> Datasette:
    return make_ds(db, files=[str(db)])


@pytest.fixture(scope="module")
def get(ds, loop):
    def _get(path: str, **params):
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params)
        return loop.run_until_complete(ds.client.get(path))
    return _get


def report_id(db: Path, where: str, *args) -> int:
    a = Archive(db)
    try:
        return a.conn.execute(f"SELECT id FROM reports WHERE {where}", args).fetchone()[0]
    finally:
        a.close()


# -- canned queries -------------------------------------------------------------------

QUERY_PARAMS = {"search_short": {"q": "雾霾"}, "refusal_ranking": {"min_total": "1"}}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_canned_query_runs(get, db, name):
    params = dict(QUERY_PARAMS.get(name, {}))
    if name == "agency_years":
        a = Archive(db)
        params["agency"] = a.conn.execute("SELECT agency FROM reports LIMIT 1").fetchone()[0]
        a.close()
    r = get(f"/archive/{name}.json", _shape="objects", **params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body.get("ok", True) is not False
    assert body["rows"], f"{name} returned no rows"
    assert get(f"/archive/{name}", **params).status_code == 200
    assert not QUERIES[name].get("write")  # no write path


def test_canned_query_answers(get, db):
    broken_id = report_id(db, "title = ?", special_records()["broken"]["title"])
    rows = get("/archive/balance_failures.json", _shape="objects").json()["rows"]
    assert broken_id in {r["id"] for r in rows}
    a = Archive(db)
    want = {(c, y): n for c, y, n in a.conn.execute(
        "SELECT city, year, sum(new_received) FROM report_summary WHERE city IS NOT NULL GROUP BY city, year")}
    coverage_pairs = a.conn.execute(
        "SELECT count(*) FROM portals p, (SELECT DISTINCT year FROM reports WHERE year >= 2019) y "
        "WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE (r.portal_code = p.code OR r.region_code = p.code) "
        "AND r.year = y.year)").fetchone()[0]
    a.close()
    got = {(r["city"], r["year"]): r["new_received"]
           for r in get("/archive/requests_by_city_year.json", _shape="objects").json()["rows"]}
    assert got == want
    cov = get("/archive/coverage_gaps.json", _shape="objects").json()["rows"]
    assert sum(r["years_missing"] for r in cov) == coverage_pairs
    assert all(len(r["missing_years"].split(",")) == r["years_missing"] for r in cov)
    ranking = get("/archive/refusal_ranking.json", _shape="objects", min_total="1").json()["rows"]
    shares = [r["refusal_share"] for r in ranking]
    assert shares == sorted(shares, reverse=True)


# -- tables, facets, labels -----------------------------------------------------------

def test_default_facets_and_counts(get, db):
    body = get("/archive/reports.json").json()
    facets = body["facet_results"]
    assert set(facets) >= {"year", "city", "level", "template", "checks_failed"}
    a = Archive(db)
    years = dict(a.conn.execute("SELECT year, count(*) FROM reports GROUP BY year"))
    a.close()
    assert {f["value"]: f["count"] for f in facets["year"]["results"]} == years
    assert body["suggested_facets"] == []
    page = get("/archive/report_summary")
    assert page.status_code == 200 and "facet-year" in page.text


def test_lookup_labels_are_linked(get, db):
    rid = report_id(db, "template = '2021' LIMIT 1")
    html = get("/archive/applications", report_id=rid).text
    assert "自然人" in html and "予以公开" in html
    assert "/archive/application_rows/" in html  # foreign key link
    rows = get("/archive/applications.json", report_id=rid, row_key="granted", column_key="natural_person",
               _labels="on", _shape="objects").json()["rows"]
    assert rows[0]["row_id"]["label"] == "（一）予以公开"
    assert rows[0]["column_id"]["label"] == "自然人"


def test_every_table_and_main_column_is_described(db):
    tables = METADATA["databases"]["archive"]["tables"]
    a = Archive(db)
    for t in ("reports", "report_summary", "sections", "active_disclosure", "applications", "reviews", "checks",
              "portals", "documents"):
        described = tables[t].get("columns") or {}
        cols = [r[1] for r in a.conn.execute(f"PRAGMA table_info({t})")]
        assert set(cols) <= set(described), (t, set(cols) - set(described))
        assert tables[t].get("description") or tables[t].get("description_html")
    names = [r[0] for r in a.conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                          "AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'search_fts_%'")]
    a.close()
    for t in names:
        assert t in tables, t


# -- search ---------------------------------------------------------------------------

def test_search_three_and_two_characters(get, db):
    smog = report_id(db, "title = ?", special_records()["smog"]["title"])
    three = get("/archive/reports.json", _search="雾霾治", _shape="objects").json()["rows"]
    assert [r["id"] for r in three] == [smog]
    # the trigram index alone finds nothing below 3 characters ...
    assert get("/archive/reports.json", _search="雾霾", _shape="objects").json()["rows"] == []
    # ... the canned short-word search does
    two = get("/archive/search_short.json", q="雾霾", _shape="objects").json()["rows"]
    assert [r["id"] for r in two] == [smog]
    assert get("/archive/search_short.json", q="雾霾治", _shape="objects").json()["rows"] == two
    assert get("/archive/search_short.json", q="霾", _shape="objects").json()["rows"] == two
    assert get("/archive/search_short.json", q="", _shape="objects").json()["rows"] == []
    assert get("/archive/search_short.json", q='"', _shape="objects").status_code == 200
    # linked from the table page, with the fast (no facets, no count) search form
    page = get("/archive/reports").text
    assert 'href="search_short"' in page and 'href="reports?_nofacet=1&amp;_nocount=1"' in page
    fast = get("/archive/reports", _nofacet="1", _nocount="1").text
    assert 'name="_nofacet" value="1"' in fast and 'name="_nocount" value="1"' in fast
    fast_hits = get("/archive/reports.json", _search="雾霾治", _nofacet="1", _nocount="1", _shape="objects")
    assert [r["id"] for r in fast_hits.json()["rows"]] == [smog]


# -- CSV ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/archive/report_summary.csv", "/archive/report_summary.csv?_stream=on&_dl=1",
                                  "/archive/requests_by_city_year.csv", "/archive/reports.csv?_facet=year"])
def test_csv_starts_with_bom_and_reads_in_utf8(get, path):
    r = get(path)
    assert r.status_code == 200
    assert r.content.startswith(BOM) and not r.content[3:].startswith(BOM)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] in ("report_id", "city", "id")
    assert any("市" in cell for row in rows[1:] for cell in row)


def test_json_and_errors_have_no_bom(get):
    assert not get("/archive/reports.json").content.startswith(BOM)
    missing = get("/archive/no_such_table.csv")
    assert missing.status_code == 404 and not missing.content.startswith(BOM)


# -- safety ---------------------------------------------------------------------------

def test_crawled_html_is_escaped(get, db):
    rid = report_id(db, "title LIKE '<script>%'")
    pages = [get("/archive/reports"), get(f"/archive/reports/{rid}"), get("/archive/sections", report_id=rid),
             get("/archive/report_summary"), get("/archive/search_short", q="存在问题")]
    for page in pages:
        assert page.status_code == 200
        assert SCRIPT not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_no_write_path(get, loop, ds):
    count = get("/archive.json", sql="select count(*) from reports").json()["rows"][0][0]
    r = get("/archive.json", sql="delete from reports")
    assert r.status_code == 400
    for name in QUERIES:  # read-only canned queries refuse POST (0.65 answers it with an error page)
        post = loop.run_until_complete(ds.client.post(f"/archive/{name}", data={"q": "x"}))
        assert post.status_code >= 400, name
    assert get("/archive.json", sql="select count(*) from reports").json()["rows"][0][0] == count


def test_serving_while_a_crawl_writes(tmp_path, loop):
    """Datasette reads the live archive (read-only connections, WAL) while the store writes."""
    path = tmp_path / "archive.db"
    make_archive(path, [synth.make_record(i) for i in range(5)]).close()
    ds = make_ds(path, files=[str(path)])
    errors: list[BaseException] = []
    done = threading.Event()

    def crawl():
        try:
            a = Archive(path)
            store_records(a, [synth.make_record(1000 + i) for i in range(25)])
            a.close()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            done.set()

    writer = threading.Thread(target=crawl)
    writer.start()
    statuses = []
    while not done.is_set() or len(statuses) < 10:
        for p in ("/archive/reports.json", "/archive/report_summary.json", "/archive/search_short.json?q=政府",
                  "/archive/reports.json?_search=政府信息"):
            statuses.append(loop.run_until_complete(ds.client.get(p)).status_code)
    writer.join()
    assert not errors
    assert set(statuses) == {200}
    count = loop.run_until_complete(ds.client.get("/archive.json?sql=select+count(*)+from+reports")).json()
    assert count["rows"][0][0] == 30


def test_immutable_snapshot(db, loop, tmp_path):
    a = Archive(db)
    snap = a.snapshot(tmp_path / "archive.db")
    a.close()
    check = sqlite3.connect(snap)
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert check.execute("SELECT count(*) FROM reports").fetchone()[0] == len(records())
    check.close()
    ds = make_ds(snap, immutables=[str(snap)])
    for p in ("/archive/reports", "/archive/report_summary.csv", "/archive/search_short?q=雾霾", "/-/dashboards/overview"):
        assert loop.run_until_complete(ds.client.get(p)).status_code == 200, p


# -- dashboard ------------------------------------------------------------------------

def test_dashboard_is_local_and_its_queries_run(get):
    page = get("/-/dashboards/overview")
    assert page.status_code == 200
    assert "/-/static-plugins/datasette_dashboards/vega.min.js" in page.text
    assert 'src="http' not in page.text and "href=\"http://cdn" not in page.text
    assert get("/-/static-plugins/datasette_dashboards/vega-lite.min.js").status_code == 200
    charts = METADATA["plugins"]["datasette-dashboards"]["overview"]["charts"]
    for slug, chart in charts.items():
        r = get(f"/{chart['db']}.json", sql=chart["query"], _shape="objects")
        assert r.status_code == 200 and r.json()["rows"], slug
