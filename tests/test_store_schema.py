"""The schema of archive.db as extract.store makes it through sqlite-utils: the same tables,
columns, types, keys, indexes, FTS5 table and view as the hand-written SQL of schema version 1,
and the migration of an existing archive (declared columns it lacks are added)."""
from __future__ import annotations

import re
import sqlite3

import pytest
import sqlite_utils

from extract.store import (SCHEMA_VERSION, TABLES, Archive, StoreError, derived_version,
                           export_summary_csv)
from tests.replica import synth
from tests.test_store import dump, make_archive

# What sqlite_master holds in an archive.db made by schema version 1 (every table, index,
# the FTS5 tables and the view, all written as SQL), frozen: the archives made before
# sqlite-utils made the schema and before report_summary.applications_total.
V1_SCHEMA = """
CREATE TABLE templates (
    version TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    scope TEXT
);
CREATE TABLE section_parts (
    key TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    ord INTEGER NOT NULL
);
CREATE TABLE portals (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT,
    parent_code TEXT REFERENCES portals(code) DEFERRABLE INITIALLY DEFERRED,
    homepage TEXT,
    annual_report_url TEXT,
    cms TEXT,
    confidence TEXT,
    evidence TEXT,
    extra TEXT
);
CREATE INDEX idx_portals_level ON portals(level);
CREATE INDEX idx_portals_parent_code ON portals(parent_code);
CREATE TABLE documents (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    url TEXT,
    urls TEXT NOT NULL DEFAULT '[]',
    format TEXT,
    size INTEGER,
    content_type TEXT,
    fetched_at TEXT,
    last_seen_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'not_a_report', 'pending')),
    error TEXT,
    portal_code TEXT REFERENCES portals(code),
    referrer TEXT
);
CREATE INDEX idx_documents_status ON documents(status);
CREATE INDEX idx_documents_format ON documents(format);
CREATE INDEX idx_documents_portal_code ON documents(portal_code);
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    year INTEGER NOT NULL,
    agency TEXT,
    region TEXT,
    region_code TEXT,
    city TEXT,
    city_code TEXT,
    level TEXT,
    template TEXT NOT NULL REFERENCES templates(version),
    published TEXT,
    url TEXT,
    document_sha256 TEXT NOT NULL UNIQUE REFERENCES documents(sha256),
    portal_code TEXT REFERENCES portals(code),
    checks_failed INTEGER NOT NULL,
    format TEXT,
    warnings TEXT,
    extra TEXT
);
CREATE INDEX idx_reports_year_desc ON reports(year DESC);
CREATE INDEX idx_reports_city_year ON reports(city, year);
CREATE INDEX idx_reports_city_code ON reports(city_code);
CREATE INDEX idx_reports_level_year ON reports(level, year);
CREATE INDEX idx_reports_template_year ON reports(template, year);
CREATE INDEX idx_reports_checks_failed_year ON reports(checks_failed, year);
CREATE INDEX idx_reports_region_year ON reports(region_code, year);
CREATE INDEX idx_reports_agency ON reports(agency);
CREATE INDEX idx_reports_portal_year ON reports(portal_code, year);
CREATE INDEX idx_reports_format ON reports(format);
CREATE TABLE sections (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    part TEXT NOT NULL REFERENCES section_parts(key),
    text TEXT NOT NULL,
    PRIMARY KEY (report_id, part)
);
CREATE INDEX idx_sections_part ON sections(part);
CREATE TABLE figures (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    part TEXT NOT NULL,
    topic TEXT,
    label TEXT NOT NULL,
    value NUMERIC NOT NULL,
    unit TEXT,
    approx INTEGER NOT NULL CHECK (approx IN (0, 1)),
    detail INTEGER NOT NULL CHECK (detail IN (0, 1)),
    cumulative INTEGER NOT NULL CHECK (cumulative IN (0, 1)),
    negation INTEGER NOT NULL CHECK (negation IN (0, 1)),
    text TEXT NOT NULL,
    PRIMARY KEY (report_id, ord)
);
CREATE INDEX idx_figures_topic ON figures(topic, detail, cumulative);
CREATE TABLE checks (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
    detail TEXT,
    ord INTEGER NOT NULL,
    PRIMARY KEY (report_id, name)
);
CREATE INDEX idx_checks_name_ok ON checks(name, ok);
CREATE INDEX idx_checks_ok ON checks(ok);
CREATE TABLE crawls (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE fetch_log (
    id INTEGER PRIMARY KEY,
    crawl_id INTEGER REFERENCES crawls(id),
    url TEXT NOT NULL,
    final_url TEXT,
    status INTEGER,
    fetched_at TEXT NOT NULL,
    content_type TEXT,
    size INTEGER,
    sha256 TEXT,
    referrer TEXT,
    portal_code TEXT,
    outcome TEXT NOT NULL
);
CREATE INDEX idx_fetch_log_url ON fetch_log(url);
CREATE INDEX idx_fetch_log_sha256 ON fetch_log(sha256);
CREATE INDEX idx_fetch_log_portal_code ON fetch_log(portal_code);
CREATE INDEX idx_fetch_log_outcome ON fetch_log(outcome);
CREATE INDEX idx_fetch_log_crawl_id ON fetch_log(crawl_id);
CREATE INDEX idx_fetch_log_status ON fetch_log(status);
CREATE TABLE crawl_portals (
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    portal_code TEXT NOT NULL,
    new_reports INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    blocked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (crawl_id, portal_code)
);
CREATE INDEX idx_crawl_portals_portal ON crawl_portals(portal_code, crawl_id);
CREATE VIEW stale_portals AS
SELECT cp.portal_code, COUNT(*) AS empty_runs, MIN(cp.crawl_id) AS since_crawl_id,
       MAX(cp.crawl_id) AS last_crawl_id, SUM(cp.errors) AS errors, SUM(cp.blocked) AS blocked
FROM crawl_portals cp
WHERE cp.crawl_id > COALESCE((SELECT MAX(y.crawl_id) FROM crawl_portals y
                              WHERE y.portal_code = cp.portal_code AND y.new + y.unchanged > 0), 0)
GROUP BY cp.portal_code
HAVING COUNT(*) >= 3;
CREATE TABLE report_summary (
    report_id INTEGER PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
    title TEXT,
    year INTEGER,
    agency TEXT,
    region TEXT,
    region_code TEXT,
    city TEXT,
    city_code TEXT,
    level TEXT,
    template TEXT,
    portal_code TEXT,
    published TEXT,
    url TEXT,
    new_received INTEGER,
    carried_over INTEGER,
    granted INTEGER,
    partially_granted INTEGER,
    denied INTEGER,
    unable INTEGER,
    rejected INTEGER,
    other_handling INTEGER,
    results_total INTEGER,
    carried_forward INTEGER,
    refusal_share REAL,
    reconsideration INTEGER,
    reconsideration_corrected INTEGER,
    litigation INTEGER,
    litigation_corrected INTEGER,
    checks_failed INTEGER,
    failed_checks TEXT
);
CREATE INDEX idx_report_summary_year ON report_summary(year);
CREATE INDEX idx_report_summary_level ON report_summary(level);
CREATE INDEX idx_report_summary_template ON report_summary(template);
CREATE INDEX idx_report_summary_checks_failed ON report_summary(checks_failed);
CREATE INDEX idx_report_summary_city_year_totals
    ON report_summary(city, year, new_received, results_total, granted, denied, rejected);
CREATE INDEX idx_report_summary_agency ON report_summary(agency, city, denied, rejected, results_total);
CREATE INDEX idx_report_summary_year_outcomes ON report_summary(year, granted, partially_granted, denied, unable, rejected, other_handling);
CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize='trigram', content='');
CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row');
CREATE TABLE archive_state (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE disclosure_items (
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL REFERENCES templates(version),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    group_label TEXT,
    unit TEXT,
    ord INTEGER NOT NULL,
    UNIQUE (template, key)
);
CREATE TABLE disclosure_measures (
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL REFERENCES templates(version),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    group_label TEXT,
    unit TEXT,
    ord INTEGER NOT NULL,
    UNIQUE (template, key)
);
CREATE TABLE application_rows (
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL REFERENCES templates(version),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    group_label TEXT,
    unit TEXT,
    ord INTEGER NOT NULL,
    UNIQUE (template, key)
);
CREATE TABLE application_columns (
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL REFERENCES templates(version),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    group_label TEXT,
    unit TEXT,
    ord INTEGER NOT NULL,
    UNIQUE (template, key)
);
CREATE TABLE review_groups (
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL REFERENCES templates(version),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    group_label TEXT,
    unit TEXT,
    ord INTEGER NOT NULL,
    UNIQUE (template, key)
);
CREATE TABLE review_outcomes (
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL REFERENCES templates(version),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    group_label TEXT,
    unit TEXT,
    ord INTEGER NOT NULL,
    UNIQUE (template, key)
);
CREATE TABLE active_disclosure (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    item_key TEXT NOT NULL,
    measure_key TEXT NOT NULL,
    value NUMERIC,
    item_id INTEGER REFERENCES disclosure_items(id),
    measure_id INTEGER REFERENCES disclosure_measures(id),
    PRIMARY KEY (report_id, item_key, measure_key)
) WITHOUT ROWID;
CREATE INDEX idx_active_disclosure_item_id ON active_disclosure(item_id);
CREATE INDEX idx_active_disclosure_measure_id ON active_disclosure(measure_id);
CREATE TABLE applications (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    row_key TEXT NOT NULL,
    column_key TEXT NOT NULL,
    value INTEGER,
    row_id INTEGER REFERENCES application_rows(id),
    column_id INTEGER REFERENCES application_columns(id),
    PRIMARY KEY (report_id, row_key, column_key)
) WITHOUT ROWID;
CREATE INDEX idx_applications_row_id ON applications(row_id);
CREATE INDEX idx_applications_column_id ON applications(column_id);
CREATE TABLE reviews (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    group_key TEXT NOT NULL,
    outcome_key TEXT NOT NULL,
    value INTEGER,
    group_id INTEGER REFERENCES review_groups(id),
    outcome_id INTEGER REFERENCES review_outcomes(id),
    PRIMARY KEY (report_id, group_key, outcome_key)
) WITHOUT ROWID;
CREATE INDEX idx_reviews_group_id ON reviews(group_id);
CREATE INDEX idx_reviews_outcome_id ON reviews(outcome_id);
"""


def _checks(sql: str) -> list[str]:
    """The CHECK constraints of a CREATE TABLE statement, whitespace-normalised."""
    out, i = [], 0
    while m := re.search(r"\bCHECK\s*\(", sql[i:], re.I):
        start = j = i + m.end()
        depth = 1
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[j], 0)
            j += 1
        out.append(" ".join(sql[start:j - 1].split()))
        i = j
    return sorted(out)


def structure(conn: sqlite3.Connection) -> dict:
    """The schema as SQLite sees it, independent of how the DDL was written: per table its
    columns (name, type, not null, default, primary key position, hidden), foreign keys with
    their actions, indexes (unique, origin, key columns with order and collation), CHECK
    constraints, DEFERRABLE clauses and WITHOUT ROWID; virtual tables, views and triggers by
    their normalised SQL."""
    out: dict = {}
    for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master WHERE type != 'index' "
                                        "AND name NOT LIKE 'sqlite_%'"):
        if kind == "table" and not sql.upper().startswith("CREATE VIRTUAL"):
            out[name] = {
                "columns": [tuple(r[1:]) for r in conn.execute(f"PRAGMA table_xinfo('{name}')")],
                "foreign_keys": sorted(tuple(r[2:]) for r in conn.execute(f"PRAGMA foreign_key_list('{name}')")),
                "indexes": sorted((r[1], r[2], r[3], r[4], [tuple(x[1:]) for x in conn.execute(
                    f"PRAGMA index_xinfo('{r[1]}')")]) for r in conn.execute(f"PRAGMA index_list('{name}')")),
                "checks": _checks(sql),
                "deferrable": " ".join(re.findall(r"DEFERRABLE\s+INITIALLY\s+\w+", sql, re.I)),
                "without_rowid": bool(re.search(r"\)\s*WITHOUT\s+ROWID\s*$", sql, re.I)),
            }
        else:
            out[name] = (kind, " ".join(sql.split()))
    return out


def v1_archive(path, fresh: sqlite3.Connection | None = None) -> None:
    """An archive.db as schema version 1 made it; with ``fresh``, holding the rows of that
    (newer) archive in the columns version 1 had."""
    c = sqlite3.connect(path)
    c.executescript(V1_SCHEMA)
    c.execute("PRAGMA user_version = 1")
    if fresh is not None:
        c.execute("ATTACH DATABASE ? AS fresh", (fresh.execute("PRAGMA database_list").fetchone()[2],))
        c.execute("PRAGMA foreign_keys = OFF")
        for (table,) in c.execute("SELECT name FROM main.sqlite_master WHERE type = 'table' AND sql NOT LIKE "
                                  "'CREATE VIRTUAL%' AND name NOT LIKE 'search_fts_%'").fetchall():
            cols = ", ".join(r[1] for r in c.execute(f"PRAGMA main.table_info({table})"))
            c.execute(f"INSERT INTO main.{table}({cols}) SELECT {cols} FROM fresh.{table}")
        c.commit()
        c.execute("DETACH DATABASE fresh")
    c.close()


def test_schema_equals_the_version_1_sql_and_a_version_1_archive_migrates_to_it(tmp_path):
    recs = [synth.make_record(i) for i in (1, 3, 7, 9)] + [synth.make_record(4, consistent=False)]
    fresh = make_archive(tmp_path / "fresh.db", recs)
    cid = fresh.start_crawl()
    fresh.log_fetch("http://example.gov.cn/", status=200, outcome="new", crawl_id=cid, portal_code="410300")
    fresh.record_crawl_portals(cid, fresh.crawl_portal_counts(cid))
    fresh.finish_crawl(cid)
    old = tmp_path / "archive.db"
    v1_archive(old, fresh.conn)
    c = sqlite3.connect(old)
    old_version = derived_version(c)
    c.close()
    old_csv = export_summary_csv(old)  # as a crawl with the old code left it
    assert "applications_total" not in old_csv["columns"]

    ddl = "SELECT sql FROM sqlite_master WHERE name = 'sections'"
    assert fresh.conn.execute(ddl).fetchone()[0].startswith('CREATE TABLE "sections"')  # written by sqlite-utils

    migrated = Archive(old)
    assert migrated.conn.execute(ddl).fetchone()[0].startswith("CREATE TABLE sections")  # the v1 SQL, kept
    assert structure(migrated.conn) == structure(fresh.conn)
    want = dump(fresh.conn)
    assert dump(migrated.conn) == want  # report_summary recomputed with the new column
    assert migrated.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert derived_version(migrated.conn) != old_version  # so the prebuilt CSV is written again
    migrated.close()
    csv = export_summary_csv(old)
    assert csv["columns"][-1] == "applications_total" and csv["rows"] == len(recs)
    assert csv["derived_version"] != old_csv["derived_version"]

    # opening it again changes nothing
    again = Archive(old)
    version = derived_version(again.conn)
    assert dump(again.conn) == want
    again.close()
    again = Archive(old)
    assert derived_version(again.conn) == version
    again.close()
    fresh.close()


def test_sqlite_utils_makes_the_declared_tables_and_adds_the_columns_an_archive_lacks(tmp_path):
    db = tmp_path / "archive.db"
    a = make_archive(db, [synth.make_record(1)])
    assert isinstance(a.db, sqlite_utils.Database) and a.db.conn is a.conn
    for name, spec in TABLES.items():
        t = a.db.table(name)
        assert {col: t.columns_dict[col] for col in spec["columns"]} == {
            col: int if kind is bool else kind for col, kind in spec["columns"].items()}, name
        assert t.pks == ([spec["pk"]] if isinstance(spec["pk"], str) else list(spec["pk"])), name
    fks = {(fk.column, fk.other_table, fk.other_column, fk.on_delete) for fk in a.db.table("sections").foreign_keys}
    assert fks == {("report_id", "reports", "id", "CASCADE"), ("part", "section_parts", "key", "NO ACTION")}
    cid = a.start_crawl(spider="test")
    a.log_fetch("http://example.gov.cn/a", final_url="http://example.gov.cn/b", outcome="new", crawl_id=cid)
    a.record_crawl_portals(cid, [{"portal_code": "410300", "new": 1, "blocked": 2}])
    a.close()
    # an archive from before some declared columns existed (the view reads crawl_portals.blocked)
    c = sqlite3.connect(db)
    c.executescript("DROP VIEW stale_portals; ALTER TABLE crawl_portals DROP COLUMN blocked; "
                    "ALTER TABLE fetch_log DROP COLUMN final_url; ALTER TABLE report_summary DROP COLUMN "
                    "applications_total;")
    c.close()

    a = Archive(db)
    info = {t: {r[1]: (r[2], r[3], r[4]) for r in a.conn.execute(f"PRAGMA table_info({t})")}
            for t in ("crawl_portals", "fetch_log", "report_summary")}
    assert info["crawl_portals"]["blocked"] == ("INTEGER", 1, "0")  # NOT NULL DEFAULT 0: old rows read 0
    assert info["fetch_log"]["final_url"] == ("TEXT", 0, None)
    assert info["report_summary"]["applications_total"] == ("INTEGER", 0, None)
    assert a.conn.execute("SELECT blocked FROM crawl_portals").fetchone()[0] == 0
    assert a.conn.execute("SELECT url, final_url FROM fetch_log").fetchone()[:] == ("http://example.gov.cn/a", None)
    assert a.conn.execute("SELECT count(*) FROM stale_portals").fetchone()[0] == 0  # the view is back
    apps = synth.make_record(1)["applications"]
    assert a.conn.execute("SELECT applications_total FROM report_summary").fetchone()[0] == \
        apps["new_received"]["total"] + apps["carried_over"]["total"]
    a.record_crawl_portals(cid, [{"portal_code": "410300", "blocked": 3}])
    assert a.conn.execute("SELECT blocked FROM crawl_portals").fetchone()[0] == 3
    a.close()


def test_crawl_columns_are_added_as_their_values_need(tmp_path):
    with Archive(tmp_path / "archive.db") as a:
        cid = a.start_crawl(spider="reports", portals=3, since=0.5, resumed=True, args={"region": "410300"})
        a.finish_crawl(cid, Spider="reports", fetched=7)  # a column name in other case is the same column
        types = {r[1]: r[2] for r in a.conn.execute("PRAGMA table_info(crawls)")}
        assert {k: types[k] for k in ("spider", "portals", "since", "resumed", "args", "fetched")} == {
            "spider": "TEXT", "portals": "INTEGER", "since": "REAL", "resumed": "INTEGER", "args": "TEXT",
            "fetched": "INTEGER"}
        row = a.conn.execute("SELECT * FROM crawls WHERE id = ?", (cid,)).fetchone()
        assert (row["portals"], row["since"], row["resumed"], row["args"], row["fetched"]) == (
            3, 0.5, 1, '{"region": "410300"}', 7)
        before = dump(a.conn, ("crawls",))
        with pytest.raises(StoreError, match="column name"):
            a.finish_crawl(cid, fetched=8, **{"bad name": 1})
        assert dump(a.conn, ("crawls",)) == before
