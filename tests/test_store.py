"""The archive store (extract.store) and `python -m extract rebuild` (extract.rebuild)."""
from __future__ import annotations

import copy
import csv
import gzip
import hashlib
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest

from extract.store import (CELL_TABLES, SUMMARY_COLUMNS, Archive, StoreError, derived_version, export_summary_csv,
                           raw_path, read_summary_manifest, summary_csv_paths)
from extract.templates import TEMPLATES
from tests.replica import synth

ROOT = Path(__file__).resolve().parents[1]
FETCHED = "2026-01-01T00:00:00+00:00"


def registry_rows() -> list[dict]:
    with open(ROOT / "crawler" / "portals.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_records(a: Archive, records: list[dict]) -> list[int]:
    """Store records the way the crawler does (document first), one fake document each."""
    ids = []
    for i, rec in enumerate(records):
        sha = sha_of(json.dumps(rec, ensure_ascii=False, sort_keys=True).encode() + bytes([i % 256]))
        url = f"http://example.gov.cn/{i}.html"
        a.record_document(sha, url=url, format="html", size=100 + i, fetched_at=FETCHED,
                          portal_code=rec.get("region_code"))
        ids.append(a.store_report(rec, document_sha256=sha, url=url))
    return ids


def make_archive(path: Path, records: list[dict]) -> Archive:
    """A fresh archive with the project's registry and `records` stored."""
    a = Archive(path)
    a.upsert_portals(registry_rows())
    store_records(a, records)
    return a


def dump(conn: sqlite3.Connection, tables: tuple[str, ...] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table (sorted), for equality checks."""
    if tables is None:
        tables = tuple(r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'search_fts%' AND name != 'search_vocab' AND name != 'archive_state'"))
    return {t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t}")), key=repr) for t in tables}


def fts_ids(conn: sqlite3.Connection, q: str) -> list[int]:
    return [r[0] for r in conn.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid",
                                       (f'"{q}"',))]


@pytest.fixture
def archive(tmp_path):
    a = Archive(tmp_path / "archive.db")
    a.upsert_portals(registry_rows())
    yield a
    a.close()


# -- schema ---------------------------------------------------------------------------

def test_schema_tables_wal_and_foreign_keys(archive):
    c = archive.conn
    names = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for t in ("portals", "documents", "reports", "sections", "active_disclosure", "applications", "reviews",
              "checks", "crawls", "fetch_log", "report_summary", "search_fts", "search_vocab"):
        assert t in names
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    cols = {t: [r[1] for r in c.execute(f"PRAGMA table_info({t})")] for t in
            ("reports", "applications", "active_disclosure", "reviews", "checks")}
    assert set(cols["reports"]) >= {"id", "title", "year", "agency", "region", "region_code", "level", "template",
                                    "published", "url", "document_sha256", "checks_failed", "city", "city_code"}
    assert cols["applications"][:4] == ["report_id", "row_key", "column_key", "value"]
    assert cols["active_disclosure"][:4] == ["report_id", "item_key", "measure_key", "value"]
    assert cols["reviews"][:4] == ["report_id", "group_key", "outcome_key", "value"]
    assert cols["checks"][:4] == ["report_id", "name", "ok", "detail"]
    fks = {(r[3], r[2]) for r in c.execute("PRAGMA foreign_key_list(applications)")}
    assert fks == {("report_id", "reports"), ("row_id", "application_rows"), ("column_id", "application_columns")}
    # every facet column and foreign key has an index whose first column it is
    for table, col in [("reports", "year"), ("reports", "city"), ("reports", "level"), ("reports", "template"),
                       ("reports", "checks_failed"), ("reports", "portal_code"), ("documents", "portal_code"),
                       ("applications", "row_id"), ("active_disclosure", "measure_id"), ("reviews", "group_id"),
                       ("report_summary", "year"), ("report_summary", "city"), ("fetch_log", "crawl_id")]:
        firsts = {c.execute(f"PRAGMA index_info({ix[1]})").fetchone()[2]
                  for ix in c.execute(f"PRAGMA index_list({table})")}
        assert col in firsts, (table, col)


def test_lookup_tables_follow_the_templates(archive):
    c = archive.conn
    for version, tpl in TEMPLATES.items():
        rows = c.execute("SELECT key, label, ord FROM application_rows WHERE template = ? ORDER BY ord",
                         (version,)).fetchall()
        assert [(r[0], r[1]) for r in rows] == [(r.key, r.label) for r in tpl.applications.rows]
        measures = dict(c.execute("SELECT key, unit FROM disclosure_measures WHERE template = ?", (version,)).fetchall())
        assert measures["amount"] == "万元"
    label = c.execute("SELECT label FROM application_columns WHERE key = 'natural_person' AND template = '2021'")
    assert label.fetchone()[0] == TEMPLATES["2021"].applications.columns[0].label
    # reopening keeps the ids (Datasette links stay valid)
    before = dump(c, ("application_rows", "disclosure_items", "review_outcomes"))
    again = Archive(archive.path)
    assert dump(again.conn, ("application_rows", "disclosure_items", "review_outcomes")) == before
    again.close()


def test_raw_path_layout(tmp_path):
    sha = sha_of(b"x")
    assert raw_path(tmp_path, sha) == tmp_path / sha[:2] / sha
    with pytest.raises(StoreError):
        raw_path(tmp_path, "../../etc/passwd")


# -- registry and documents -------------------------------------------------------------

def test_upsert_portals_idempotent_and_checked(archive):
    c = archive.conn
    before = dump(c, ("portals",))
    archive.upsert_portals(registry_rows())
    assert dump(c, ("portals",)) == before
    archive.upsert_portals([{"code": "410311", "name": "洛龙区", "level": "county", "parent_code": "410300",
                             "homepage": "www.example.cn", "note": "extra key"}])
    row = c.execute("SELECT homepage, extra FROM portals WHERE code = '410311'").fetchone()
    assert row[0] == "www.example.cn" and json.loads(row[1]) == {"note": "extra key"}
    with pytest.raises(StoreError, match="parent_code"):
        archive.upsert_portals([{"code": "999901", "name": "无上级", "parent_code": "999900"}])
    with pytest.raises(StoreError):
        archive.upsert_portals([{"code": "", "name": "x"}])
    assert c.execute("SELECT count(*) FROM portals WHERE code = '999901'").fetchone()[0] == 0


def test_record_document_accumulates_urls_idempotently(archive):
    c = archive.conn
    sha = sha_of(b"doc")
    kw = dict(format="pdf", size=3, content_type="application/pdf", portal_code="410311", referrer="http://r/")
    archive.record_document(sha, url="http://a/1.pdf", fetched_at="2026-01-02T00:00:00+00:00", **kw)
    first = dump(c, ("documents",))
    archive.record_document(sha, url="http://a/1.pdf", fetched_at="2026-01-02T00:00:00+00:00", **kw)
    assert dump(c, ("documents",)) == first
    archive.record_document(sha, url="http://b/2.pdf", fetched_at="2026-01-01T00:00:00+00:00", **kw)
    archive.record_document(sha, url="http://c/3.pdf", fetched_at="2026-01-05T00:00:00+00:00", **kw)
    row = c.execute("SELECT url, urls, fetched_at, last_seen_at FROM documents").fetchone()
    assert row[0] == "http://a/1.pdf"
    assert json.loads(row[1]) == ["http://a/1.pdf", "http://b/2.pdf", "http://c/3.pdf"]
    assert row[2].startswith("2026-01-01") and row[3].startswith("2026-01-05")
    with pytest.raises(StoreError, match="status"):
        archive.record_document(sha, url="u", format="pdf", size=1, fetched_at=FETCHED, status="weird")
    with pytest.raises(StoreError, match="registry"):
        archive.record_document(sha_of(b"other"), url="u", format="pdf", size=1, fetched_at=FETCHED,
                                portal_code="000000")
    assert c.execute("SELECT count(*) FROM documents").fetchone()[0] == 1


# -- reports --------------------------------------------------------------------------

def test_store_report_rows_match_the_record(archive):
    rec = synth.make_record(7, year=2022)
    [rid] = store_records(archive, [rec])
    c = archive.conn
    r = c.execute("SELECT * FROM reports WHERE id = ?", (rid,)).fetchone()
    assert (r["title"], r["year"], r["agency"], r["region_code"], r["template"]) == (
        rec["title"], rec["year"], rec["agency"], rec["region_code"], rec["template"])
    assert r["city"] and rec["region"].find(r["city"]) >= 0 and r["city_code"] == rec["region_code"][:4] + "00"
    assert r["checks_failed"] == sum(1 for ch in rec["checks"] if not ch["ok"])
    assert r["level"] is not None  # from the registry
    for table, (rk, ck, *_rest) in CELL_TABLES.items():
        got = {(a, b): v for a, b, v in c.execute(f"SELECT {rk}, {ck}, value FROM {table} WHERE report_id = ?",
                                                  (rid,))}
        want = {(a, b): v for a, cols in rec[table].items() for b, v in cols.items()}
        assert got == want, table
        assert c.execute(f"SELECT count(*) FROM {table} WHERE report_id = ? AND ({_rest[2]} IS NULL "
                         f"OR {_rest[3]} IS NULL)", (rid,)).fetchone()[0] == 0
    label = c.execute("SELECT l.label FROM applications a JOIN application_rows l ON l.id = a.row_id "
                      "WHERE a.report_id = ? AND a.row_key = 'granted'", (rid,)).fetchone()[0]
    assert "予以公开" in label
    assert {row[0]: row[1] for row in c.execute("SELECT part, text FROM sections WHERE report_id = ?", (rid,))} == {
        k: v for k, v in rec["sections"].items() if v}
    s = c.execute("SELECT * FROM report_summary WHERE report_id = ?", (rid,)).fetchone()
    apps = rec["applications"]
    assert s["new_received"] == apps["new_received"]["total"]
    assert s["denied"] == sum(v["total"] for k, v in apps.items() if k.startswith("denied_"))
    assert s["results_total"] == apps["total"]["total"]
    assert s["reconsideration"] == rec["reviews"]["reconsideration"]["total"]
    assert s["litigation"] == (rec["reviews"]["litigation_direct"]["total"]
                               + rec["reviews"]["litigation_after_review"]["total"])


def test_summary_has_the_requests_to_handle_new_and_total(archive):
    """申请 new/total: applications_total = 一、本年新收 + 二、上年结转 (总计 column), which is
    三（七）总计 + 四、结转下年度 when the 勾稽关系 holds; NULL when either is unknown."""
    recs = [synth.make_record(i) for i in (3, 7, 9, 11)]
    assert any(r["applications"]["carried_over"]["total"] for r in recs)
    unknown = copy.deepcopy(synth.make_record(1))
    unknown["applications"]["carried_over"]["total"] = None
    ids = store_records(archive, recs + [unknown])
    c = archive.conn
    got = dict(c.execute("SELECT report_id, applications_total FROM report_summary").fetchall())
    for rid, rec in zip(ids, recs):
        apps = rec["applications"]
        assert got[rid] == apps["new_received"]["total"] + apps["carried_over"]["total"] == \
            apps["total"]["total"] + apps["carried_forward"]["total"]
    assert got[ids[-1]] is None
    # described in code: every column of report_summary, in table order, has its Chinese label
    cols = [r[1] for r in c.execute("PRAGMA table_info(report_summary)")]
    assert cols == [name for name, _, _, _ in SUMMARY_COLUMNS]
    assert all(re.search(r"[\u4e00-\u9fff]", label) for _, _, _, label in SUMMARY_COLUMNS)
    assert dict((n, label) for n, _, _, label in SUMMARY_COLUMNS)["applications_total"].startswith("申请总数")
    # the bulk path and refresh_derived compute it the same way
    before = dump(c, ("report_summary",))
    archive.refresh_derived()
    assert dump(c, ("report_summary",)) == before


def test_restoring_a_document_changes_nothing_and_keeps_the_id(archive):
    recs = [synth.make_record(i) for i in range(5)]
    ids = store_records(archive, recs)
    c = archive.conn
    before = dump(c)
    fts_before = fts_ids(c, "政府信息")
    assert ids == store_records(archive, recs)
    assert dump(c) == before
    assert fts_ids(c, "政府信息") == fts_before
    archive.refresh_derived()
    assert dump(c) == before
    assert fts_ids(c, "政府信息") == fts_before


def test_restoring_a_changed_record_replaces_its_rows(archive):
    rec = synth.make_record(3, year=2023)
    [rid] = store_records(archive, [rec])
    sha = archive.conn.execute("SELECT document_sha256 FROM reports WHERE id = ?", (rid,)).fetchone()[0]
    changed = copy.deepcopy(rec)
    changed["title"] = "雾霾治理专项年度报告"
    changed["applications"] = None  # table absent: no rows, never zeros
    changed["sections"]["overview"] = "本年度开展雾霾治理。"
    changed["active_disclosure"]["fees"]["amount"] = None
    assert archive.store_report(changed, document_sha256=sha, url="http://x/") == rid
    c = archive.conn
    assert c.execute("SELECT count(*) FROM applications WHERE report_id = ?", (rid,)).fetchone()[0] == 0
    assert c.execute("SELECT value FROM active_disclosure WHERE report_id = ? AND item_key = 'fees' "
                     "AND measure_key = 'amount'", (rid,)).fetchone()[0] is None
    s = c.execute("SELECT new_received, results_total, applications_total FROM report_summary WHERE report_id = ?",
                  (rid,)).fetchone()
    assert tuple(s) == (None, None, None)
    assert fts_ids(c, "雾霾治") == [rid]
    assert fts_ids(c, "年政府信息公开工作") == []  # the old title and text are out of the index
    assert c.execute("SELECT count(*) FROM reports").fetchone()[0] == 1


def test_bad_records_are_refused_and_nothing_is_written(archive):
    sha = sha_of(b"bad")
    archive.record_document(sha, url="u", format="html", size=1, fetched_at=FETCHED)
    good = synth.make_record(1)
    c = archive.conn
    before = dump(c)
    bad_cases = [
        {**good, "title": ""},
        {**good, "year": "2022"},
        {**good, "template": "2030"},
        {**good, "applications": {"total": {"total": "七"}}},
        {**good, "checks": [{"name": "balance", "ok": True}, {"name": "balance", "ok": False}]},
        {**good, "sections": {"overview": ["not", "text"]}},
    ]
    for bad in bad_cases:
        with pytest.raises(StoreError):
            archive.store_report(bad, document_sha256=sha, url="u")
    with pytest.raises(StoreError, match="record_document"):
        archive.store_report(good, document_sha256=sha_of(b"never recorded"), url="u")
    assert dump(c) == before


def test_legacy_and_checks_as_object(archive):
    rec = {"title": "某县人民政府2015年政府信息公开工作年度报告", "year": 2015, "agency": "某县人民政府",
           "region": None, "region_code": None, "template": "legacy",
           "sections": {"overview": "2015年全县政府信息公开工作稳步推进。", "problems": None, "other": None},
           "active_disclosure": None, "applications": None, "reviews": None,
           "checks": {"balance": False, "completeness": False}}
    [rid] = store_records(archive, [rec])
    c = archive.conn
    assert c.execute("SELECT checks_failed, template FROM reports WHERE id = ?", (rid,)).fetchone()[:] == (2, "legacy")
    assert c.execute("SELECT failed_checks FROM report_summary WHERE report_id = ?", (rid,)).fetchone()[0] == \
        "balance,completeness"


def test_crawls_and_fetch_log(archive):
    cid = archive.start_crawl(spider="reports", portals=3, region="410300")
    archive.log_fetch("http://a/", final_url="http://a/index.html", status=200, fetched_at=FETCHED,
                      content_type="text/html", size=10, sha256=None, referrer=None, portal_code="410300",
                      outcome="new", crawl_id=cid)
    archive.finish_crawl(cid, fetched=1, new=1, errors=0)
    c = archive.conn
    row = c.execute("SELECT * FROM crawls WHERE id = ?", (cid,)).fetchone()
    assert (row["spider"], row["portals"], row["fetched"], row["new"]) == ("reports", 3, 1, 1)
    assert row["finished_at"]
    assert c.execute("SELECT outcome, crawl_id FROM fetch_log").fetchone()[:] == ("new", cid)
    with pytest.raises(StoreError):
        archive.finish_crawl(cid + 100, fetched=0)


# -- derived_version and the prebuilt CSV of report_summary ---------------------------

def test_derived_version_changes_with_the_reports_only(archive):
    c = archive.conn
    v0 = derived_version(c)
    assert v0 and len(v0) == 32
    [rid] = store_records(archive, [synth.make_record(1)])
    v1 = derived_version(c)
    assert v1 != v0
    cid = archive.start_crawl(spider="test")
    archive.log_fetch("http://example.gov.cn/a", outcome="unchanged", crawl_id=cid)
    archive.record_crawl_portals(cid, archive.crawl_portal_counts(cid))
    archive.finish_crawl(cid, fetched=1)
    sha = c.execute("SELECT document_sha256 FROM reports WHERE id = ?", (rid,)).fetchone()[0]
    archive.record_document(sha, url="http://example.gov.cn/b", format="html", size=1, fetched_at=FETCHED)
    assert derived_version(c) == v1  # crawl bookkeeping leaves report_summary and the index as they were
    archive.refresh_derived()
    v2 = derived_version(c)
    assert v2 != v1
    archive.store_reports([])
    assert derived_version(c) != v2


def test_export_summary_csv(tmp_path):
    db = tmp_path / "archive.db"
    recs = [synth.make_record(i) for i in range(4)] + [synth.make_record(7, year=2021, consistent=False)]
    recs[0]["title"] = '某局,"引号"\n换行2022年政府信息公开工作年度报告'  # CSV quoting
    a = make_archive(db, recs)
    cur = a.conn.execute("SELECT * FROM report_summary ORDER BY report_id")
    columns, rows = [d[0] for d in cur.description], cur.fetchall()
    version = derived_version(a.conn)
    a.close()

    m = export_summary_csv(db)
    paths = summary_csv_paths(db)
    assert paths == {"csv": tmp_path / "archive.report_summary.csv", "gz": tmp_path / "archive.report_summary.csv.gz",
                     "manifest": tmp_path / "archive.report_summary.json"}
    data = paths["csv"].read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert parsed[0] == columns == m["columns"]
    assert columns[-1] == "applications_total"
    totals = [r[columns.index("applications_total")] for r in rows]
    assert totals == [r[columns.index("new_received")] + r[columns.index("carried_over")] for r in rows]
    assert parsed[1:] == [["" if v is None else str(v) for v in r] for r in rows]
    assert any(v is None for r in rows for v in r) and any(isinstance(v, float) for r in rows for v in r)
    assert m["rows"] == len(rows) == 5 and m["bytes"] == len(data) and m["sha256"] == sha_of(data)
    assert m["derived_version"] == version and m["bom"] is True
    assert gzip.decompress(paths["gz"].read_bytes()) == data and m["gzip_bytes"] == paths["gz"].stat().st_size
    assert read_summary_manifest(db) == m
    # current: nothing rewritten; force rewrites
    mtime = paths["csv"].stat().st_mtime_ns
    assert export_summary_csv(db) == m and paths["csv"].stat().st_mtime_ns == mtime
    assert export_summary_csv(db, force=True)["sha256"] == m["sha256"]
    assert paths["csv"].stat().st_mtime_ns != mtime
    # the archive changes: the next export follows
    a = Archive(db)
    store_records(a, [synth.make_record(9)])
    a.close()
    m2 = export_summary_csv(db)
    assert m2["rows"] == 6 and m2["derived_version"] != version
    assert sorted(p.name for p in tmp_path.iterdir() if "report_summary" in p.name) == sorted(
        p.name for p in paths.values())  # no temporary files left
    with pytest.raises(StoreError):
        export_summary_csv(tmp_path / "missing.db")


def test_export_summary_csv_of_an_archive_from_before_archive_state(tmp_path):
    db = tmp_path / "old.db"
    make_archive(db, [synth.make_record(1)]).close()
    c = sqlite3.connect(db)
    c.execute("DROP TABLE archive_state")
    c.commit()
    c.close()
    m = export_summary_csv(db)
    assert m["rows"] == 1 and m["derived_version"]
    assert (tmp_path / "old.report_summary.csv").is_file()


def test_snapshot_writes_the_csv_beside_it(tmp_path):
    a = make_archive(tmp_path / "archive.db", [synth.make_record(1), synth.make_record(2)])
    (tmp_path / "pub").mkdir()
    snap = a.snapshot(tmp_path / "pub" / "archive.db")
    a.close()
    m = read_summary_manifest(snap)
    assert m["rows"] == 2 and (tmp_path / "pub" / "archive.report_summary.csv").is_file()


def test_search_index_ends_every_text_so_its_last_characters_start_trigrams(tmp_path):
    """Title and narrative are indexed ending in END_OF_TEXT, so the vocabulary holds a trigram
    starting at each of their last characters (what the 1–2 character search expands); an
    archive indexed before that (schema 2) is indexed again when it is opened."""
    rec = synth.make_record(1, year=2024)
    rec["title"] = "某县民政局2024年政府信息公开年报"
    a = make_archive(tmp_path / "archive.db", [rec])

    def vocab(conn) -> set[str]:
        return {t for (t,) in conn.execute("SELECT term FROM search_vocab")}

    assert {"年报\n", "报\n\n"} <= vocab(a.conn)
    # the index as schema 2 wrote it: the same text without the ending
    with a.transaction() as c:
        c.execute("INSERT INTO search_fts(search_fts) VALUES ('delete-all')")
        c.execute("INSERT INTO search_fts(rowid, title, body) SELECT r.id, r.title, '' FROM reports r")
        c.execute("PRAGMA user_version = 2")
    assert "年报\n" not in vocab(a.conn)
    a.close()
    b = Archive(tmp_path / "archive.db")
    assert {"年报\n", "报\n\n"} <= vocab(b.conn)
    assert b.conn.execute("""SELECT count(*) FROM search_fts WHERE search_fts MATCH '"政府信息"'""").fetchone()[0] == 1
    b.close()


# -- rebuild --------------------------------------------------------------------------

def test_rebuild_gives_the_same_rows(tmp_path):
    """Crawl-like ingest of rendered documents, then rebuild from the raw store: same rows."""
    from extract.api import extract_bytes
    from extract.errors import NotAReport
    from extract.rebuild import main as rebuild_main
    from tests.replica.render import render

    db, raw = tmp_path / "archive.db", tmp_path / "raw"
    a = Archive(db)
    a.upsert_portals(registry_rows())
    cid = a.start_crawl(spider="test")
    docs = [(render(synth.make_record(i, year=2020 + i), "html"), f"http://x.gov.cn/{i}.html") for i in range(3)]
    docs.append(("<html><body><h1>关于召开会议的通知</h1><p>请各单位参会。</p></body></html>".encode(),
                 "http://x.gov.cn/notice.html"))
    for data, url in docs:
        sha = sha_of(data)
        path = raw_path(raw, sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        a.record_document(sha, url=url, format="html", size=len(data), fetched_at=FETCHED, status="pending",
                          portal_code="410311")
        a.log_fetch(url, status=200, fetched_at=FETCHED, sha256=sha, outcome="new", crawl_id=cid)
        try:
            rec = extract_bytes(data, filename=url.rsplit("/", 1)[1], url=url, region_code="410311")
            a.store_report(rec, document_sha256=sha, url=url)
        except NotAReport as e:
            a.set_document_status(sha, "not_a_report", f"{e.kind}: {e}")
    a.finish_crawl(cid, fetched=len(docs))
    a.record_crawl_portals(cid, a.crawl_portal_counts(cid, ["410311"]))  # kept by a rebuild: stale_portals
    before = dump(a.conn)
    assert before["crawl_portals"]
    search_before = fts_ids(a.conn, "政府信息")
    a.close()
    assert len(before["reports"]) == 3
    assert rebuild_main(["--archive-dir", str(raw), "--db", str(db), "--quiet"]) == 0
    assert not Path(str(db) + ".rebuild").exists()
    b = Archive(db)
    assert dump(b.conn) == before
    assert fts_ids(b.conn, "政府信息") == search_before
    # a raw file gone missing: its document says so, its report is gone, nothing else changes
    missing = before["reports"][0]
    sha = b.conn.execute("SELECT document_sha256 FROM reports WHERE id = ?", (missing[0],)).fetchone()[0]
    b.close()
    raw_path(raw, sha).unlink()
    assert rebuild_main(["--archive-dir", str(raw), "--db", str(db), "--quiet"]) == 0
    c = Archive(db)
    status, error = c.conn.execute("SELECT status, error FROM documents WHERE sha256 = ?", (sha,)).fetchone()
    assert status == "error" and "raw file missing" in error
    assert c.conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 2
    assert dump(c.conn, ("portals", "fetch_log", "crawls")) == {t: before[t] for t in ("portals", "fetch_log", "crawls")}
    c.close()


def crawled_archive(db: Path, raw: Path, seeds: range) -> dict[str, list[tuple]]:
    """An archive as a crawl leaves it: one synthetic HTML report per seed in the raw store,
    its document row and its extracted report.  Returns every row (:func:`dump`)."""
    from extract.api import extract_bytes
    from tests.replica.render import render

    a = Archive(db)
    a.upsert_portals(registry_rows())
    for seed in seeds:
        data = render(synth.make_record(seed), "html")
        sha = sha_of(data)
        path = raw_path(raw, sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        url = f"http://x.gov.cn/{seed}.html"
        a.record_document(sha, url=url, format="html", size=len(data), fetched_at=FETCHED, portal_code="410311")
        a.store_report(extract_bytes(data, url=url, region_code="410311"), document_sha256=sha, url=url)
    rows = dump(a.conn)
    a.close()
    return rows


def test_rebuild_cli_shows_progress_on_stderr_and_replaces_the_archive(tmp_path):
    """``python -m extract rebuild`` without --quiet: a progress bar (tqdm) on stderr, from 0 to
    every document, and the archive is then replaced by a new file (os.replace: a new inode),
    not rewritten in place; nothing of the build is left beside it."""
    import os
    import subprocess
    import sys

    db, raw = tmp_path / "archive.db", tmp_path / "raw"
    before = crawled_archive(db, raw, range(40, 43))
    inode = os.stat(db).st_ino
    with open(db, "rb") as held:  # the old file, as a reader that has it open sees it
        proc = subprocess.run([sys.executable, "-m", "extract", "rebuild", "--archive-dir", str(raw), "--db", str(db)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        old_header = held.read(16)
    assert proc.returncode == 0, proc.stderr
    frames = [f.strip() for f in re.split(r"[\r\n]+", proc.stderr) if f.strip()]
    assert any(re.match(r"rebuild:\s+0%\|.*\| 0/3 \[", f) for f in frames), proc.stderr
    assert re.match(r"rebuild: 100%\|.*\| 3/3 \[\d\d:\d\d<00:00, +[\d.]+ ?(doc/s|s/doc)\]$", frames[-1]), proc.stderr
    assert "100%" not in proc.stdout and re.match(r"rebuilt .*archive\.db in [\d.]+ s: documents 3, reports 3, ",
                                                   proc.stdout)
    # replaced atomically: a new file took the name; the old inode was never truncated under a reader
    assert os.stat(db).st_ino != inode and old_header == b"SQLite format 3\x00"
    assert not [p.name for p in tmp_path.iterdir() if ".rebuild" in p.name]
    assert (tmp_path / "archive.report_summary.csv").is_file()  # the download follows the new archive
    assert_intact(db, before)


def test_rebuild_failure_leaves_the_old_archive(tmp_path):
    from extract.rebuild import rebuild

    db = tmp_path / "archive.db"
    a = make_archive(db, [synth.make_record(1)])
    sha = a.conn.execute("SELECT document_sha256 FROM reports").fetchone()[0]
    before = dump(a.conn)
    a.close()
    raw = tmp_path / "raw"
    raw_path(raw, sha).parent.mkdir(parents=True)
    raw_path(raw, sha).write_bytes(b"anything")

    def boom(data, **kw):
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        rebuild(db, raw, progress=False, extractor=boom)
    assert not Path(str(db) + ".rebuild").exists()
    a = Archive(db)
    assert dump(a.conn) == before
    a.close()


def assert_intact(db, before) -> None:
    """The archive passes SQLite's integrity check and holds exactly the rows of ``before``."""
    c = sqlite3.connect(db)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    c.close()
    a = Archive(db)
    assert dump(a.conn) == before
    a.close()


def test_sigkilled_rebuild_leaves_the_old_archive_and_a_rerun_completes(tmp_path):
    """SIGKILL mid-rebuild: the old archive is intact (integrity_check ok, same rows); a rerun finishes."""
    import signal
    import subprocess
    import sys
    import time

    db, raw = tmp_path / "archive.db", tmp_path / "raw"
    before = crawled_archive(db, raw, range(1000, 1080))
    cmd = [sys.executable, "-m", "extract", "rebuild", "--archive-dir", str(raw), "--db", str(db), "--quiet"]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = Path(str(db) + ".rebuild")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if partial.exists() and partial.stat().st_size > 200_000:
            break  # well into the rebuild
        time.sleep(0.05)
    assert proc.poll() is None, "rebuild finished before it could be killed; make the archive larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)

    assert_intact(db, before)

    assert subprocess.run(cmd, cwd=root, capture_output=True, timeout=300).returncode == 0
    assert not partial.exists()
    assert_intact(db, before)


def test_prose_figures_are_rows_replaced_on_restore(tmp_path):
    """The record's ``figures`` become rows of ``figures`` (not reports.extra), and storing the
    document again replaces them instead of adding more."""
    from extract.api import extract_bytes

    text = ("某某县人民政府2012年政府信息公开工作年度报告\n一、概述\n本年度共主动公开政府信息1234条，"
            "其中政策解读15条。\n二、依申请公开情况\n共受理政府信息公开申请56件。未发生行政复议和行政诉讼。\n")
    rec = extract_bytes(text.encode("utf-8"), filename="r.txt")
    assert rec["template"] == "legacy" and rec["figures"]
    with Archive(tmp_path / "a.db") as a:
        sha = sha_of(text.encode())
        a.record_document(sha, url="http://x/r.txt", format="text", size=1, fetched_at=FETCHED)
        rid = a.store_report(rec, document_sha256=sha, url="http://x/r.txt")
        a.store_report(rec, document_sha256=sha, url="http://x/r.txt")
        rows = a.conn.execute("SELECT topic, value, unit, detail, negation FROM figures WHERE report_id = ? "
                              "ORDER BY ord", (rid,)).fetchall()
        assert len(rows) == len(rec["figures"])
        got = {(r["topic"], r["value"], r["unit"], r["detail"], r["negation"]) for r in rows}
        assert ("active_disclosure", 1234, "条", 0, 0) in got and ("applications", 56, "件", 0, 0) in got
        assert any(t == "reviews" and v == 0 and n == 1 for t, v, _, _, n in got)
        extra = a.conn.execute("SELECT extra FROM reports WHERE id = ?", (rid,)).fetchone()[0]
        assert "figures" not in (extra or "")
