"""The published archive through Datasette's own test client: metadata.yml + plugins/."""
from __future__ import annotations

import asyncio
import copy
import csv
import gzip
import io
import json
import re
import sqlite3
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from datasette.app import Datasette

from extract.store import Archive, export_summary_csv
from tests.replica import synth
from tests.test_store import FETCHED, make_archive, sha_of, store_records

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
    hostile["title"] = f'{SCRIPT}某局,"2023"年政府信息公开工作年度报告'  # and CSV quoting
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


def test_parallel_facets_match_datasettes_own(get):
    """plugins/parallel_facets.py: the same facets, in the same order, as Datasette's ColumnFacet."""
    import datasette.facets as builtin
    from datasette.plugins import pm

    urls = ["/archive/reports.json", "/archive/reports.json?_search=三审三校&_facet=agency&year=2022",
            "/archive/report_summary.json?_facet=agency&_facet_size=3", "/archive/checks.json?_facet=name&_facet=ok"]
    ours = [get(u).json()["facet_results"] for u in urls]
    parallel = pm.get_plugin("parallel_facets.py")
    assert parallel is not None and pm.get_plugin("datasette.facets") is None
    pm.unregister(parallel)
    pm.register(builtin, name="datasette.facets")
    try:
        theirs = [get(u).json()["facet_results"] for u in urls]
    finally:
        pm.unregister(builtin)
        pm.register(parallel, name="parallel_facets.py")
    assert [list(f) for f in ours] == [list(f) for f in theirs]  # order of the facets
    assert ours == theirs
    assert list(ours[0]) == ["year", "city", "level", "template", "checks_failed"]


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
    # the table page has the search box and links the short-word search
    page = get("/archive/reports").text
    assert 'href="search_short"' in page and 'name="_search"' in page
    found = get("/archive/reports", _search="雾霾治").text
    assert 'value="雾霾治"' in found and "search matches &#34;雾霾治&#34;" in found
    fast_hits = get("/archive/reports.json", _search="雾霾治", _nofacet="1", _nocount="1", _shape="objects")
    assert [r["id"] for r in fast_hits.json()["rows"]] == [smog]


# plugins/fts_search.py against Datasette's built-in search (metadata fts_table) ------

def fts_plugin():
    from datasette.plugins import pm

    return pm.get_plugin("fts_search.py")


def builtin_search_ds(path: Path) -> Datasette:
    """The same archive with Datasette's own ?_search= (fts_table in metadata, no plugin config)."""
    md = copy.deepcopy(METADATA)
    reports = md["databases"]["archive"]["tables"]["reports"]
    reports.pop("plugins")
    reports.update(fts_table="search_fts", fts_pk="id")
    return Datasette(files=[str(path)], metadata=md, plugins_dir=str(ROOT / "plugins"), settings=SETTINGS)


SEARCHES = [  # (query args, the form the plugin must pick: None = no search clause; all = bitmap, every row)
    ({"_search": "政府信息公开"}, "all"),  # every report
    ({"_search": "重点领域"}, "bitmap"),  # 30 of 33
    ({"_search": "取得了一定成效", "_sort": "id"}, "bitmap"),  # 32 of 33
    ({"_search": "政务新媒体"}, "bitmap"),  # 25 of 33
    ({"_search": "三审三校"}, "bitmap"),  # 5 of 33
    ({"_search": "雾霾治"}, "ids"),  # 1
    ({"_search": "雾霾"}, "ids"),  # 2 characters: no trigram, no hit (as built in)
    ({"_search": "公开 年度报告"}, "all"),  # two words, both required
    ({"_search": '"信息公开工作" 三审三校'}, "bitmap"),  # a quoted phrase
    ({"_search": "三审三校 OR 雾霾治", "_searchmode": "raw"}, "bitmap"),
    ({"_search_title": "政府信息"}, "all"),
    ({"_search_body": "三审三校"}, "bitmap"),
    ({"_search": "三审三校", "year": "2022"}, "bitmap"),
    ({"_search": "政府信息公开", "_sort": "id", "_size": "7"}, "all"),
    ({"_search": "  "}, None),  # blank: no search
]


@pytest.mark.parametrize("args,form", SEARCHES, ids=[repr(a) for a, _ in SEARCHES])
def test_search_matches_the_builtin_search(get, ds, db, loop, args, form):
    builtin = builtin_search_ds(db)
    ours = get("/archive/reports.json", _shape="objects", **args).json()
    # a blank search is no search (the built-in one answers it with an FTS5 syntax error)
    theirs_args = args if form else {k: v for k, v in args.items() if not k.startswith("_search")}
    theirs = loop.run_until_complete(builtin.client.get(
        "/archive/reports.json?" + urlencode({"_shape": "objects", **theirs_args}))).json()
    assert ours["rows"] == theirs["rows"]
    assert ours["filtered_table_rows_count"] == theirs["filtered_table_rows_count"]
    assert ours["next"] == theirs["next"]
    for name in ("year", "city", "level", "template", "checks_failed"):
        mine, builtin_facet = ours["facet_results"][name]["results"], theirs["facet_results"][name]["results"]
        if form is None:  # the toggle URLs differ by the blank _search
            mine, builtin_facet = ([(f["value"], f["count"]) for f in x] for x in (mine, builtin_facet))
        assert mine == builtin_facet, name
    sql = ours["query"]["sql"]
    assert "match" not in sql  # the FTS5 query does not run in the page's statements
    if form is None:
        assert "nianbao_fts" not in sql and ours["filtered_table_rows_count"] == len(records())
    else:
        assert f"nianbao_fts_{'bitmap' if form == 'all' else form}(" in sql
    if form in ("all", "bitmap"):  # the every-row shortcut is on exactly when every report matches
        assert every_row_guard(ds, loop, ours) == (form == "all")
        assert (ours["filtered_table_rows_count"] == len(records())) == (form == "all")
    if "_search" in args and args["_search"].strip():  # ground truth straight from the index
        a = sqlite3.connect(db)
        expr = args["_search"] if args.get("_searchmode") == "raw" else fts_plugin().match_expression(
            args["_search"], False, None)
        want = a.execute("SELECT count(*) FROM reports WHERE id IN (SELECT rowid FROM search_fts "
                         "WHERE search_fts MATCH ?)" + (" AND year = 2022" if "year" in args else ""),
                         (expr,)).fetchone()[0]
        a.close()
        assert ours["filtered_table_rows_count"] == want


def every_row_guard(ds: Datasette, loop, body) -> bool:
    """The value of the page's ``nianbao_fts_all(…)`` term (every row a hit), evaluated the way
    the page's statements do."""
    guard = re.search(r"nianbao_fts_all\([^)]*\)", body["query"]["sql"]).group(0)
    params = {k: v for k, v in body["query"]["params"].items() if k.startswith("search")}
    r = loop.run_until_complete(ds.client.get("/archive.json?" + urlencode({"sql": f"select {guard}", **params})))
    assert r.status_code == 200, r.text
    return bool(r.json()["rows"][0][0])


# (word, reports with it of 33): in every report, in most, in some, in one, in none
PAGED = [("政府信息公开", 33), ("重点领域", 30), ("政务新媒体", 25), ("雾霾治", 1), ("沙尘暴治理", 0)]


@pytest.mark.parametrize("sort", [{}, {"_sort": "id"}])
@pytest.mark.parametrize("q,hits", PAGED)
def test_search_next_pages_match_the_builtin_search(get, ds, db, loop, q, hits, sort):
    """Every page of a search, page 2 on included, shows what Datasette's own search shows:
    the same rows, the same count (of the whole search) and the same facets.  (Datasette
    0.65 counts a next page's facets over the rows from that page on, not over the whole
    search: its keyset condition is in each facet statement.  So do we.)"""
    builtin = builtin_search_ds(db)
    pages = []
    for client in (None, builtin):
        bodies, nxt = [], None
        while True:
            args = {"_search": q, "_size": "4", "_shape": "objects", **sort, **({"_next": nxt} if nxt else {})}
            body = (get("/archive/reports.json", **args) if client is None else loop.run_until_complete(
                client.client.get("/archive/reports.json?" + urlencode(args)))).json()
            bodies.append(body)
            nxt = body["next"]
            if not nxt:
                break
        pages.append(bodies)
    ours, theirs = pages
    assert len(ours) == len(theirs)
    for mine, builtin_page in zip(ours, theirs):
        for key in ("rows", "filtered_table_rows_count", "next", "facet_results"):
            assert mine[key] == builtin_page[key], key
    ids = [r["id"] for body in ours for r in body["rows"]]
    assert len(set(ids)) == len(ids) == ours[0]["filtered_table_rows_count"] == hits
    assert ("nianbao_fts_all(" in ours[0]["query"]["sql"]) == (hits * 8 > len(records()))  # else the ids form
    if hits == len(records()):
        assert len(ours) > 2 and every_row_guard(ds, loop, ours[1])  # page 2: the keyset and the shortcut


def test_search_runs_the_fts_query_once_per_page(get):
    plugin = fts_plugin()
    plugin.clear_cache()
    before = plugin.stats["evaluations"]
    page = get("/archive/reports.json", _search="政务新媒体").json()
    assert set(page["facet_results"]) >= {"year", "city", "level", "template", "checks_failed"}
    assert plugin.stats["evaluations"] == before + 1  # 7 statements, one FTS5 evaluation
    get("/archive/reports", _search="政务新媒体", year="2022")
    assert plugin.stats["evaluations"] == before + 1  # facet clicks and next pages reuse it


def test_search_errors_are_400(get):
    r = get("/archive/reports.json", _search='三审 AND (', _searchmode="raw")
    assert r.status_code == 400 and "syntax error" in r.text
    assert get("/archive/reports.json", _search_nosuchcolumn="x").status_code == 400
    assert get("/archive/reports.json", _search='"').status_code == 200


def test_search_over_ids_with_gaps(tmp_path, loop):
    """The bitmap form counts only the table's rows, whatever its ids; with gaps in the ids its
    every-row shortcut stays off (safe: the bitmap decides)."""
    path = tmp_path / "archive.db"
    a = make_archive(path, [synth.make_record(i) for i in range(20)])
    sha = sha_of(b"far")
    a.record_document(sha, url="http://example.gov.cn/far", format="html", size=1, fetched_at=FETCHED)
    a.store_report(synth.make_record(50), document_sha256=sha, url=None, report_id=200)  # a gap of ids
    with a.transaction() as c:  # two reports gone (their index rows stay behind)
        c.execute("DELETE FROM reports WHERE id IN (3, 4)")
    a.close()
    ds = make_ds(path, files=[str(path)])
    want = [r[0] for r in sqlite3.connect(path).execute("SELECT id FROM reports ORDER BY id")]
    assert len(want) == 19 and want[-1] == 200
    body = loop.run_until_complete(ds.client.get("/archive/reports.json?" + urlencode(
        {"_search": "政府信息公开", "_sort": "id", "_shape": "objects"}))).json()
    assert [r["id"] for r in body["rows"]] == want and body["filtered_table_rows_count"] == 19
    assert "nianbao_fts_bitmap(" in body["query"]["sql"] and not every_row_guard(ds, loop, body)
    with sqlite3.connect(path) as c:
        c.execute("DELETE FROM reports WHERE id = 200")
    a = Archive(path)
    a.refresh_derived()  # also drops the deleted reports' index rows
    a.close()
    body = loop.run_until_complete(ds.client.get("/archive/reports.json?" + urlencode(
        {"_search": "政府信息公开", "_sort": "id", "_shape": "objects"}))).json()
    assert [r["id"] for r in body["rows"]] == want[:-1] and not every_row_guard(ds, loop, body)
    assert body["filtered_table_rows_count"] == 18


def test_search_misses_adjacent_and_last_reports(tmp_path, loop):
    """The bitmap form where the reports that do not match sit next to each other and at the end
    (past the bitmap's last byte): no every-row shortcut, the right rows and facets."""
    recs = [synth.make_record(i) for i in range(34)]
    absent = {5, 6, 33, 34}  # report ids (stored in order from 1)
    for i, rec in enumerate(recs, 1):
        if i not in absent:
            rec["sections"]["other"] = "本年度开通依申请公开绿色通道。"
    path = tmp_path / "archive.db"
    make_archive(path, recs).close()
    ds = make_ds(path, files=[str(path)])
    body = loop.run_until_complete(ds.client.get("/archive/reports.json?" + urlencode(
        {"_search": "绿色通道", "_sort": "id", "_shape": "objects", "_size": "max"}))).json()
    assert "nianbao_fts_bitmap(" in body["query"]["sql"] and not every_row_guard(ds, loop, body)
    assert [r["id"] for r in body["rows"]] == [i for i in range(1, 35) if i not in absent]
    assert body["filtered_table_rows_count"] == 30
    assert {f["value"]: f["count"] for f in body["facet_results"]["year"]["results"]} == {
        y: n for y, n in sqlite3.connect(path).execute(
            "SELECT year, count(*) FROM reports WHERE id NOT IN (5, 6, 33, 34) GROUP BY year")}


@pytest.mark.parametrize("ids", [[3, 4, 5, 6], [0, 1, 2], [7], [2, 3, 5], [1, 9], []])
def test_bitmap_of_a_run_of_rowids_is_the_decoded_one(ds, ids):
    """A run of consecutive rowids (a word in every report) gets its bitmap without decoding
    the JSON: the same bytes as decoding it."""
    plugin = fts_plugin()
    h = plugin.Hits(json.dumps(ids), len(ids), min(ids, default=None), max(ids, default=None))
    want = bytearray(max(ids) + 1 if ids else 0)
    for i in ids:
        want[i] = 1
    assert plugin.bitmap(h) == bytes(want)


def test_every_row_shortcut_is_read_on_each_statements_snapshot(tmp_path, loop):
    """The every-row shortcut of a word in every report holds for the snapshot a statement
    reads, not for the one the page chose its clause on: a report without the word stored in
    between is not let through."""
    recs = [synth.make_record(i) for i in range(6)]
    for rec in recs:
        rec["sections"]["other"] = "本年度开通依申请公开绿色通道。"
    path = tmp_path / "archive.db"
    make_archive(path, recs).close()
    ds = make_ds(path, files=[str(path)])

    def page():
        return loop.run_until_complete(ds.client.get("/archive/reports.json?" + urlencode(
            {"_search": "绿色通道", "_shape": "objects"}))).json()

    before = page()
    assert before["filtered_table_rows_count"] == 6 and every_row_guard(ds, loop, before)
    a = Archive(path)
    store_records(a, [synth.make_record(6)])  # no 绿色通道
    a.close()
    # the page's rows statement, run on the new snapshot
    rerun = loop.run_until_complete(ds.client.get("/archive.json?" + urlencode(
        {"sql": before["query"]["sql"], **before["query"]["params"], "_shape": "objects"}))).json()
    assert [r["id"] for r in rerun["rows"]] == [r["id"] for r in before["rows"]]
    after = page()
    assert after["filtered_table_rows_count"] == 6 and not every_row_guard(ds, loop, after)


def test_search_follows_a_crawl_writing_the_live_archive(tmp_path, loop):
    """The cached hits belong to one state of the index: a new report shows up at once."""
    path = tmp_path / "archive.db"
    make_archive(path, [synth.make_record(i) for i in range(6)]).close()
    ds = make_ds(path, files=[str(path)])

    def search(q):
        r = loop.run_until_complete(ds.client.get("/archive/reports.json?" + urlencode({"_search": q})))
        return r.json()["filtered_table_rows_count"]

    assert search("政府信息公开") == 6 and search("雾霾治") == 0
    a = Archive(path)
    store_records(a, [special_records()["smog"]])
    a.close()
    assert search("政府信息公开") == 7 and search("雾霾治") == 1
    # a rebuilt file (every row rewritten, same number of writes) is not taken for the old one
    a = Archive(path)
    a.refresh_derived()
    a.conn.execute("UPDATE sections SET text = replace(text, '雾霾治理', '扬尘治理')")
    a.refresh_derived()
    a.close()
    assert search("雾霾治") == 0 and search("扬尘治") == 1


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


# -- the prebuilt full CSV of report_summary (plugins/downloads.py) ----------------------

DOWNLOAD = "/-/downloads/archive/report_summary.csv"


def test_prebuilt_summary_csv_is_the_tables_own_csv(get, ds, db, loop):
    manifest = export_summary_csv(db)
    r = loop.run_until_complete(ds.client.get(DOWNLOAD, headers={"accept-encoding": "identity"}))
    assert r.status_code == 200, r.text
    assert "content-encoding" not in r.headers
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="report_summary.csv"'
    assert int(r.headers["content-length"]) == len(r.content) == manifest["bytes"]
    assert r.content.startswith(BOM) and not r.content[3:].startswith(BOM)  # one BOM: Excel reads UTF-8
    # byte for byte what Datasette streams for the whole table (its BOM included)
    assert r.content == get("/archive/report_summary.csv?_stream=on&_dl=1").content
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    a = sqlite3.connect(db)
    a.row_factory = sqlite3.Row
    table = [dict(x) for x in a.execute("SELECT * FROM report_summary ORDER BY report_id")]
    a.close()
    assert len(rows) == len(table) == manifest["rows"] == len(records())
    assert [r_["title"] for r_ in rows] == [t["title"] for t in table]
    assert [r_["new_received"] for r_ in rows] == ["" if t["new_received"] is None else str(t["new_received"])
                                                  for t in table]
    # the gzip file, and gzip on the wire for clients that ask for it
    gz = get(DOWNLOAD + ".gz")
    assert gz.status_code == 200 and gz.headers["content-type"] == "application/gzip"
    assert gzip.decompress(gz.content) == r.content
    wire = loop.run_until_complete(ds.client.get(DOWNLOAD, headers={"accept-encoding": "gzip, deflate"}))
    assert wire.headers["content-encoding"] == "gzip" and wire.content == r.content  # decoded by the client
    assert int(wire.headers["content-length"]) == manifest["gzip_bytes"] < manifest["bytes"]
    # revalidation
    etag = r.headers["etag"]
    revalidate = {"if-none-match": f'"other", {etag}', "accept-encoding": "identity"}
    assert loop.run_until_complete(ds.client.get(DOWNLOAD, headers=revalidate)).status_code == 304
    assert etag != wire.headers["etag"]  # one tag per encoding
    # linked from the table page; Datasette's own CSV stays for filtered rows
    page = get("/archive/report_summary").text
    assert f'href="{DOWNLOAD}"' in page and f'href="{DOWNLOAD}.gz"' in page
    assert get("/archive/report_summary.csv", year="2022").content.count(b"\n") < len(r.content.split(b"\n"))


def test_prebuilt_csv_is_served_only_while_current(tmp_path, loop):
    path = tmp_path / "archive.db"
    make_archive(path, [synth.make_record(i) for i in range(5)]).close()
    ds = make_ds(path, files=[str(path)])

    def download():
        return loop.run_until_complete(ds.client.get(DOWNLOAD))

    def rows(r):
        return len(r.content.decode("utf-8-sig").strip().splitlines()) - 1

    stream = "/archive/report_summary.csv?_stream=on&_dl=1"
    r = download()  # no file yet: Datasette's own stream
    assert r.status_code == 302 and r.headers["location"] == stream
    assert loop.run_until_complete(ds.client.get(DOWNLOAD + ".gz")).headers["location"] == stream
    export_summary_csv(path)
    r = download()
    assert r.status_code == 200 and rows(r) == 5
    a = Archive(path)
    cid = a.start_crawl(spider="test")
    a.log_fetch("http://example.gov.cn/x", outcome="unchanged", crawl_id=cid)
    a.finish_crawl(cid, fetched=1)
    a.close()
    assert download().status_code == 200  # a crawl that found nothing new leaves the file current
    a = Archive(path)
    store_records(a, [synth.make_record(99)])
    a.close()
    r = download()  # the archive changed: never the stale file
    assert r.status_code == 302 and r.headers["location"] == stream
    assert rows(loop.run_until_complete(ds.client.get(stream))) == 6
    assert export_summary_csv(path)["rows"] == 6
    r = download()
    assert r.status_code == 200 and rows(r) == 6
    assert loop.run_until_complete(ds.client.get("/-/downloads/nosuchdb/report_summary.csv")).status_code == 404


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
    for p in ("/archive/reports", "/archive/report_summary.csv", "/archive/search_short?q=雾霾", "/-/dashboards/overview",
              "/archive/reports?_search=政府信息公开", DOWNLOAD):  # snapshot() wrote the CSV beside it
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
