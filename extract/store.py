"""The archive store: the one schema module of ``archive.db`` and its write API.

Contract (the crawler and ``python -m extract rebuild`` code against these names)::

    from extract.store import Archive, raw_path
    a = Archive("archive.db")       # creates or migrates the schema; WAL; foreign keys on
    a.db                            # the same connection as a sqlite_utils.Database
    a.upsert_portals(rows)          # the registry (code, name, level, parent_code, homepage, ...)
    a.record_document(sha256, url=..., format=..., size=..., fetched_at=...,
                      content_type=None, status="ok", error=None,
                      portal_code=None, referrer=None)
    rid = a.store_report(record, document_sha256=sha, url=url, portal_code=None, level=None)
    a.log_fetch(url, final_url=..., status=..., fetched_at=..., content_type=..., size=...,
                sha256=..., referrer=..., portal_code=..., outcome="new")
    cid = a.start_crawl(spider="...", ...); a.finish_crawl(cid, fetched=..., new=..., ...)
    a.record_crawl_portals(cid, a.crawl_portal_counts(cid, codes))   # per-portal counts; stale_portals view
    a.set_document_status(sha, "not_a_report" | "error" | ..., error)   # extraction outcome
    a.refresh_derived()             # rebuild report_summary + search index from scratch
    a.snapshot(dest)                # a compact non-WAL copy to publish with `datasette serve -i`
    export_summary_csv("archive.db")  # the full report_summary CSV download, beside the db:
                                      # call it when a crawl or a rebuild has finished
    raw_path(archive_dir, sha256)   # where the raw bytes of a document live
    # bulk paths (benchmarks, imports): many rows per transaction
    a.record_documents([{sha256, url, format, size, fetched_at, ...}, ...])
    a.store_reports([{record, document_sha256, url, portal_code?, level?, report_id?}, ...])

Semantics:

* Every write method is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``); on any error
  it rolls back and nothing is half-written.  Bad input raises :class:`StoreError`
  (a ``ValueError``) with a message naming the problem, before anything is written.
* ``record_document`` is idempotent: one row per sha256; the URLs a file was seen at
  accumulate in ``documents.urls`` (a JSON list, first-seen order); ``fetched_at`` keeps
  the first fetch, ``last_seen_at`` the latest; ``status``/``error`` take the newest
  value (``status`` is the extraction outcome: ok / error / not_a_report / pending).
* ``store_report`` needs the document recorded first.  Re-storing the same document
  replaces the report's rows but keeps its id (stable URLs), so storing the same record
  twice changes nothing.  It also sets the document's status to ``ok``.
  A ``null`` table of the record stores no rows; a ``null`` cell stores ``value`` NULL.
* ``report_summary`` and the search index ``search_fts`` are kept up to date by
  ``store_report`` itself (same transaction).  ``refresh_derived`` recomputes both from
  the base tables (``store_reports`` calls it once at the end); call it to repair.
  Every transaction that writes them or ``reports`` also sets
  ``archive_state.derived_version`` to a fresh random value: readers (the search cache
  of ``plugins/fts_search.py``, the prebuilt CSV of :func:`export_summary_csv`) use it
  to know whether what they hold is current.
* ``reports.city``/``city_code``: the prefecture-level city, from the registry (walking
  ``parent_code`` up to the ``city`` level), else from the region code and name.
  ``reports.level``: the ``level`` argument, else the portal's registry level.
* Labels: ``application_rows``/``application_columns``, ``disclosure_items``/
  ``disclosure_measures``, ``review_groups``/``review_outcomes`` hold (template, key,
  label, group_label, unit, ord) for both template versions, written from
  :mod:`extract.templates` on open (ids stable per (template, key)).  Each cell row
  carries the spec keys (``row_key`` …) and integer foreign keys to them (``row_id`` …).
* Layout of the raw store (content-addressed): ``ARCHIVE_DIR/<sha256[:2]>/<sha256>``.
* ``report_summary.applications_total`` (申请总数) = ``new_received`` + ``carried_over``
  (一、本年新收 + 二、上年结转, the 总计 column): the requests to handle in the year, for which
  the template prints no row; NULL when either is unknown.

Schema (made and migrated on open, in one transaction; ``PRAGMA user_version`` =
:data:`SCHEMA_VERSION`).  ``Archive.db`` is a :class:`sqlite_utils.Database` on the same
connection, and sqlite-utils makes what it can state:

* the tables of :data:`TABLES` (templates, section_parts, sections, crawls, fetch_log,
  crawl_portals, report_summary, archive_state): column types, NOT NULL, defaults, primary
  keys, foreign keys with ON DELETE CASCADE (``Table.create``).  On an existing archive the
  declared columns it lacks are appended (``Table.add_column``; NOT NULL only with a default),
  and a report_summary that gained a column is recomputed (and ``derived_version`` changed,
  so the prebuilt CSV is written again);
* every index (:data:`INDEXES`, ``Table.create_index``; retired ones dropped);
* the columns ``start_crawl``/``finish_crawl`` add to ``crawls`` (``add_missing_columns``)
  and the upsert of the two small label tables ``templates`` and ``section_parts``.

Kept as SQL, because sqlite-utils cannot state them: the tables with CHECK constraints
(documents, figures, checks), UNIQUE constraints (reports.document_sha256, the label tables'
(template, key)), a DEFERRABLE foreign key (portals.parent_code), NUMERIC columns (figures,
active_disclosure) or WITHOUT ROWID (the cell tables) -- :data:`SQL_TABLES`,
``_LOOKUP_DDL``, ``_CELL_DDL``; the contentless trigram FTS5 table and its fts5vocab table;
the ``stale_portals`` view (:data:`SQL_SEARCH_AND_VIEWS`).  There are no triggers.  The
writes stay plain SQL: their upserts merge (URLs accumulate, ``coalesce`` keeps known values)
and the bulk paths are ``executemany`` in the caller's transaction, neither of which
sqlite-utils' insert/upsert would do as well.

Search: ``search_fts`` is a contentless FTS5 table (trigram tokenizer) whose rowid is
``reports.id`` and whose columns are the title and the narrative parts joined by newlines,
each ending in :data:`END_OF_TEXT`.  ``search_vocab`` (fts5vocab, 'row') lets a canned query
expand 1–2 character queries into the trigrams that start with them (trigram alone finds
nothing below 3 characters); thanks to END_OF_TEXT every character of a text, the last
ones too, starts a trigram.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import sqlite3
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import quote

from sqlite_utils import Database
from sqlite_utils.db import DescIndex, ForeignKey

from extract.templates import TEMPLATES, Template

SCHEMA_VERSION = 3  # 2: report_summary.applications_total; 3: search text ends in END_OF_TEXT
STALE_RUNS = 3  # consecutive crawls without a page answered that flag a portal in stale_portals

# The narrative parts of a report (the spec's ``sections`` keys), in report order.
SECTION_PARTS = (
    ("overview", "一、总体情况", 1),
    ("problems", "五、存在的主要问题及改进情况", 5),
    ("other", "六、其他需要报告的事项", 6),
)
TEMPLATE_NAMES = {
    "2021": ("国办公开办函〔2021〕30号", "2021年及以后的年度报告"),
    "2019": ("国办公开办函〔2019〕60号", "2019、2020年度报告"),
    "legacy": ("无统一表格", "2008–2018年度报告：仅正文"),
}
DOCUMENT_STATUSES = ("ok", "error", "not_a_report", "pending")

# (lookup table, the template attribute, rows or columns, the record table it labels)
LOOKUPS = (
    ("disclosure_items", "active_disclosure", "rows"),
    ("disclosure_measures", "active_disclosure", "columns"),
    ("application_rows", "applications", "rows"),
    ("application_columns", "applications", "columns"),
    ("review_groups", "reviews", "rows"),
    ("review_outcomes", "reviews", "columns"),
)
# record table -> (row key column, column key column, row lookup, column lookup, fk columns)
CELL_TABLES = {
    "active_disclosure": ("item_key", "measure_key", "disclosure_items", "disclosure_measures", "item_id", "measure_id"),
    "applications": ("row_key", "column_key", "application_rows", "application_columns", "row_id", "column_id"),
    "reviews": ("group_key", "outcome_key", "review_groups", "review_outcomes", "group_id", "outcome_id"),
}

# -- the schema -----------------------------------------------------------------------
#
# Declared here and created through sqlite-utils (``Table.create`` on the archive's own
# connection): the tables whose every property -- column types, NOT NULL, defaults, primary
# keys (compound too), foreign keys (with ON DELETE CASCADE) -- sqlite-utils states.  On an
# existing archive, a declared column the file lacks is added (``Table.add_column``).
# Columns are only ever appended, never renamed or reordered.

CRAWL_PORTAL_COUNTS = ("new_reports", "new", "unchanged", "errors", "blocked")


def _cascade(table: str) -> ForeignKey:
    """``report_id REFERENCES reports(id) ON DELETE CASCADE``: a report's rows go with it."""
    return ForeignKey(table, "report_id", "reports", "id", on_delete="CASCADE")


# report_summary: one wide row per report; every figure is the printed 总计 column.
# (column, type, its SQL over r = reports, a = the report's applications (总计 column),
# v = its reviews, 中文 label).  A column added here is appended to the table of an
# existing archive, which is then recomputed (Archive._migrate).
SUMMARY_COLUMNS: tuple[tuple[str, type, str, str], ...] = (
    ("report_id", int, "r.id", "报告编号"),
    ("title", str, "r.title", "报告标题"),
    ("year", int, "r.year", "报告年度"),
    ("agency", str, "r.agency", "发布机关"),
    ("region", str, "r.region", "行政区划"),
    ("region_code", str, "r.region_code", "行政区划代码"),
    ("city", str, "r.city", "地级市"),
    ("city_code", str, "r.city_code", "地级市代码"),
    ("level", str, "r.level", "层级"),
    ("template", str, "r.template", "模板"),
    ("portal_code", str, "r.portal_code", "门户代码"),
    ("published", str, "r.published", "发布日期"),
    ("url", str, "r.url", "原文地址"),
    ("new_received", int, "a.new_received", "一、本年新收申请数量（件）"),
    ("carried_over", int, "a.carried_over", "二、上年结转申请数量（件）"),
    ("granted", int, "a.granted", "三（一）予以公开（件）"),
    ("partially_granted", int, "a.partially_granted", "三（二）部分公开（件）"),
    ("denied", int, "a.denied", "三（三）不予公开合计（件）"),
    ("unable", int, "a.unable", "三（四）无法提供合计（件）"),
    ("rejected", int, "a.rejected", "三（五）不予处理合计（件）"),
    ("other_handling", int, "a.other_handling", "三（六）其他处理（件）"),
    ("results_total", int, "a.results_total", "三（七）总计（件）"),
    ("carried_forward", int, "a.carried_forward", "四、结转下年度继续办理（件）"),
    ("refusal_share", float,
     "CASE WHEN a.results_total > 0 "
     "THEN round(1.0 * (coalesce(a.denied, 0) + coalesce(a.rejected, 0)) / a.results_total, 4) END",
     "拒绝率 =（不予公开 + 不予处理）/ 总计"),
    ("reconsideration", int, "v.reconsideration", "行政复议总计（件）"),
    ("reconsideration_corrected", int, "v.reconsideration_corrected", "行政复议结果纠正（件）"),
    ("litigation", int, "v.litigation", "行政诉讼总计（件）"),
    ("litigation_corrected", int, "v.litigation_corrected", "行政诉讼结果纠正（件）"),
    ("checks_failed", int, "r.checks_failed", "未通过的校验项数"),
    ("failed_checks", str,
     "(SELECT group_concat(name, ',') FROM ("
     "SELECT name FROM checks c WHERE c.report_id = r.id AND c.ok = 0 ORDER BY c.ord))",
     "未通过的校验项"),
    # the requests to handle in the year: 一 + 二 (= 三（七）总计 + 四 when the 勾稽关系 holds;
    # the template prints no row for it).  NULL when either is unknown.
    ("applications_total", int, "a.new_received + a.carried_over", "申请总数 = 一、本年新收 + 二、上年结转（件）"),
)

# name -> the arguments of sqlite-utils' Table.create; created in this order (a foreign
# key's target first; reports, which several reference, is one of the SQL tables below)
TABLES: dict[str, dict[str, Any]] = {
    "templates": dict(columns={"version": str, "title": str, "scope": str}, pk="version", not_null={"title"}),
    "section_parts": dict(columns={"key": str, "label": str, "ord": int}, pk="key", not_null={"label", "ord"}),
    "sections": dict(columns={"report_id": int, "part": str, "text": str}, pk=("report_id", "part"),
                     not_null={"report_id", "part", "text"},
                     foreign_keys=[_cascade("sections"), ("part", "section_parts", "key")]),
    "crawls": dict(columns={"id": int, "started_at": str, "finished_at": str}, pk="id", not_null={"started_at"}),
    "fetch_log": dict(columns={"id": int, "crawl_id": int, "url": str, "final_url": str, "status": int,
                               "fetched_at": str, "content_type": str, "size": int, "sha256": str, "referrer": str,
                               "portal_code": str, "outcome": str},
                      pk="id", not_null={"url", "fetched_at", "outcome"}, foreign_keys=[("crawl_id", "crawls", "id")]),
    "crawl_portals": dict(columns={"crawl_id": int, "portal_code": str, **dict.fromkeys(CRAWL_PORTAL_COUNTS, int)},
                          pk=("crawl_id", "portal_code"), not_null={"crawl_id", "portal_code", *CRAWL_PORTAL_COUNTS},
                          defaults=dict.fromkeys(CRAWL_PORTAL_COUNTS, 0), foreign_keys=[("crawl_id", "crawls", "id")]),
    "report_summary": dict(columns={name: kind for name, kind, _, _ in SUMMARY_COLUMNS}, pk="report_id",
                           foreign_keys=[_cascade("report_summary")]),
    "archive_state": dict(columns={"key": str, "value": str}, pk="key"),
}

# Kept as SQL, created first: tables with a constraint sqlite-utils' Table.create does not
# state -- CHECK (documents, figures, checks), UNIQUE (reports.document_sha256 and the
# lookups' (template, key), the target of their label upsert), DEFERRABLE INITIALLY DEFERRED
# (portals.parent_code: a batch of the registry may name a parent before its row), a NUMERIC
# column (figures.value, active_disclosure.value: 3 stays 3, 0.5 stays 0.5; sqlite-utils has
# no NUMERIC type) and WITHOUT ROWID (the cell tables).  A column added to one of them needs
# its own ALTER TABLE in Archive._migrate.
_LOOKUP_DDL = """
CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL REFERENCES templates(version),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    group_label TEXT,
    unit TEXT,
    ord INTEGER NOT NULL,
    UNIQUE (template, key)
);
"""

_CELL_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    {rk} TEXT NOT NULL,
    {ck} TEXT NOT NULL,
    value {vtype},
    {rid} INTEGER REFERENCES {rlookup}(id),
    {cid} INTEGER REFERENCES {clookup}(id),
    PRIMARY KEY (report_id, {rk}, {ck})
) WITHOUT ROWID;
"""

SQL_TABLES = """
CREATE TABLE IF NOT EXISTS portals (
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

CREATE TABLE IF NOT EXISTS documents (
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

CREATE TABLE IF NOT EXISTS reports (
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

CREATE TABLE IF NOT EXISTS figures (
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

CREATE TABLE IF NOT EXISTS checks (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
    detail TEXT,
    ord INTEGER NOT NULL,
    PRIMARY KEY (report_id, name)
);
"""

# Also SQL, created last: the search index (a contentless FTS5 table with the trigram
# tokenizer and its fts5vocab table; sqlite-utils' enable_fts makes a content table with
# triggers, not this) and the stale_portals view (a SELECT either way).
SQL_SEARCH_AND_VIEWS = """
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, body, tokenize='trigram', content='');
CREATE VIRTUAL TABLE IF NOT EXISTS search_vocab USING fts5vocab(search_fts, 'row');

CREATE VIEW IF NOT EXISTS stale_portals AS
SELECT cp.portal_code, COUNT(*) AS empty_runs, MIN(cp.crawl_id) AS since_crawl_id,
       MAX(cp.crawl_id) AS last_crawl_id, SUM(cp.errors) AS errors, SUM(cp.blocked) AS blocked
FROM crawl_portals cp
WHERE cp.crawl_id > COALESCE((SELECT MAX(y.crawl_id) FROM crawl_portals y
                              WHERE y.portal_code = cp.portal_code AND y.new + y.unchanged > 0), 0)
GROUP BY cp.portal_code
HAVING COUNT(*) >= 3;
"""

# Every index, created through sqlite-utils (Table.create_index, if not exists):
# (name, table, columns).  Every facet column and foreign key leads one.
INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("idx_portals_level", "portals", ("level",)),
    ("idx_portals_parent_code", "portals", ("parent_code",)),
    ("idx_documents_status", "documents", ("status",)),
    ("idx_documents_format", "documents", ("format",)),
    ("idx_documents_portal_code", "documents", ("portal_code",)),
    # year DESC: the table page's order (sort_desc: year) read forward, ties by id ascending as
    # Datasette's next-page clause expects (a backward scan of an ascending index gave ties by id
    # descending on the first page: rows repeated and skipped from page 2 on)
    ("idx_reports_year_desc", "reports", (DescIndex("year"),)),
    ("idx_reports_city_year", "reports", ("city", "year")),
    ("idx_reports_city_code", "reports", ("city_code",)),
    # the facet columns with year: a facet of page 2 (Datasette adds the next-page clause on
    # year and id to it) stays a scan of one covering index
    ("idx_reports_level_year", "reports", ("level", "year")),
    ("idx_reports_template_year", "reports", ("template", "year")),
    ("idx_reports_checks_failed_year", "reports", ("checks_failed", "year")),
    ("idx_reports_region_year", "reports", ("region_code", "year")),
    ("idx_reports_agency", "reports", ("agency",)),
    ("idx_reports_portal_year", "reports", ("portal_code", "year")),
    ("idx_reports_format", "reports", ("format",)),
    ("idx_sections_part", "sections", ("part",)),
    ("idx_figures_topic", "figures", ("topic", "detail", "cumulative")),
    ("idx_checks_name_ok", "checks", ("name", "ok")),
    ("idx_checks_ok", "checks", ("ok",)),
    ("idx_fetch_log_url", "fetch_log", ("url",)),
    ("idx_fetch_log_sha256", "fetch_log", ("sha256",)),
    ("idx_fetch_log_portal_code", "fetch_log", ("portal_code",)),
    ("idx_fetch_log_outcome", "fetch_log", ("outcome",)),
    ("idx_fetch_log_crawl_id", "fetch_log", ("crawl_id",)),
    ("idx_fetch_log_status", "fetch_log", ("status",)),
    ("idx_crawl_portals_portal", "crawl_portals", ("portal_code", "crawl_id")),
    ("idx_report_summary_year", "report_summary", ("year",)),
    ("idx_report_summary_level", "report_summary", ("level",)),
    ("idx_report_summary_template", "report_summary", ("template",)),
    ("idx_report_summary_checks_failed", "report_summary", ("checks_failed",)),
    ("idx_report_summary_city_year_totals", "report_summary",
     ("city", "year", "new_received", "results_total", "granted", "denied", "rejected")),
    ("idx_report_summary_agency", "report_summary", ("agency", "city", "denied", "rejected", "results_total")),
    ("idx_report_summary_year_outcomes", "report_summary",
     ("year", "granted", "partially_granted", "denied", "unable", "rejected", "other_handling")),
) + tuple(
    (f"idx_{table}_{col}", table, (col,))
    for table, (_, _, _, _, rid, cid) in CELL_TABLES.items() for col in (rid, cid)
)
# indexes of earlier versions, replaced by the ones above (dropped if there)
RETIRED_INDEXES = ("idx_reports_year", "idx_reports_city", "idx_reports_level", "idx_reports_template",
                   "idx_reports_checks_failed", "idx_reports_region_code", "idx_reports_portal_code",
                   "idx_report_summary_city_year")

# The text indexed for a report: one SQL expression, used to insert and to delete
# (a contentless FTS5 row is deleted by repeating the values it was inserted with).
# Title and body each end in END_OF_TEXT (two newlines) so that every character of the
# text starts a trigram: the last word of a title (…公开年报) is then found by the 1–2
# character search, which expands a query into the trigrams starting with it (年报⏎,
# 报⏎⏎), and a text under 3 characters is indexed at all.  No query of printed text
# contains two newlines, so 3+ character searches match exactly what they did.
END_OF_TEXT = "\n\n"
_EOT_SQL = "char(" + ", ".join(str(ord(ch)) for ch in END_OF_TEXT) + ")"
_FTS_SELECT = """
SELECT r.id, r.title || {eot}, coalesce((
    SELECT group_concat(text, char(10)) FROM (
        SELECT s.text FROM sections s JOIN section_parts p ON p.key = s.part
        WHERE s.report_id = r.id ORDER BY p.ord)), '') || {eot}
FROM reports r {{where}}
""".format(eot=_EOT_SQL)

# One wide row per report (SUMMARY_COLUMNS), named column by column: the order of the
# table's columns (an added one comes last) does not matter.
_SUMMARY_INSERT = (
    "INSERT INTO report_summary(" + ", ".join(name for name, _, _, _ in SUMMARY_COLUMNS) + ")\nSELECT "
    + ",\n       ".join(sql for _, _, sql, _ in SUMMARY_COLUMNS) + """
FROM reports r
LEFT JOIN (
    SELECT report_id,
        sum(CASE WHEN row_key = 'new_received' THEN value END) AS new_received,
        sum(CASE WHEN row_key = 'carried_over' THEN value END) AS carried_over,
        sum(CASE WHEN row_key = 'granted' THEN value END) AS granted,
        sum(CASE WHEN row_key = 'partially_granted' THEN value END) AS partially_granted,
        sum(CASE WHEN row_key LIKE 'denied\\_%' ESCAPE '\\' THEN value END) AS denied,
        sum(CASE WHEN row_key LIKE 'unable\\_%' ESCAPE '\\' THEN value END) AS unable,
        sum(CASE WHEN row_key LIKE 'rejected\\_%' ESCAPE '\\' THEN value END) AS rejected,
        sum(CASE WHEN row_key = 'other' OR row_key LIKE 'other\\_%' ESCAPE '\\' THEN value END) AS other_handling,
        sum(CASE WHEN row_key = 'total' THEN value END) AS results_total,
        sum(CASE WHEN row_key = 'carried_forward' THEN value END) AS carried_forward
    FROM applications WHERE column_key = 'total' {and_where}
    GROUP BY report_id
) a ON a.report_id = r.id
LEFT JOIN (
    SELECT report_id,
        sum(CASE WHEN group_key = 'reconsideration' AND outcome_key = 'total' THEN value END) AS reconsideration,
        sum(CASE WHEN group_key = 'reconsideration' AND outcome_key = 'corrected' THEN value END) AS reconsideration_corrected,
        sum(CASE WHEN group_key LIKE 'litigation%' AND outcome_key = 'total' THEN value END) AS litigation,
        sum(CASE WHEN group_key LIKE 'litigation%' AND outcome_key = 'corrected' THEN value END) AS litigation_corrected
    FROM reviews WHERE 1 {and_where}
    GROUP BY report_id
) v ON v.report_id = r.id
{where}
""")


class StoreError(ValueError):
    """Input the archive refuses (named in the message); nothing was written."""


def raw_path(archive_dir: str | os.PathLike, sha256: str) -> Path:
    """Where the raw bytes of the document with this sha256 live in the raw store."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise StoreError(f"not a lowercase hex sha256: {sha256!r}")
    return Path(archive_dir) / sha256[:2] / sha256


def now_iso() -> str:
    """The current UTC time as ISO 8601 with seconds (what the archive stores)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def city_of(region: str | None) -> str | None:
    """The prefecture-level part of a region name: 河南省洛阳市洛龙区 → 洛阳市."""
    if not region:
        return None
    m = re.match(r"^(?:.+?(?:省|自治区))?(.+?(?:市|自治州|地区|盟))", region)
    return m.group(1) if m else None


class Archive:
    """The archive database (see the module docstring for the contract)."""

    def __init__(self, path: str | os.PathLike, *, timeout: float = 60.0):
        self.path = str(path)
        self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        # the same connection through sqlite-utils: the schema is made with it (the writes
        # are plain SQL: executemany in the caller's transaction is what keeps them fast)
        self.db = Database(self.conn, recursive_triggers=False, execute_plugins=False)
        self._migrate()

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error.

        Re-entrant: inside an open transaction it is a savepoint of it, so a caller can group many
        writes (the crawler's batched writer) into one commit."""
        if self.conn.in_transaction:  # nested: a savepoint, so a refused write undoes only itself
            self.conn.execute("SAVEPOINT nested")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK TO nested")
                self.conn.execute("RELEASE nested")
                raise
            self.conn.execute("RELEASE nested")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this code ({SCHEMA_VERSION})"
            )
        with self.transaction() as c:
            for stmt in _statements(SQL_TABLES + _lookup_and_cell_ddl()):
                c.execute(stmt)
            added = self._create_tables()
            for name in RETIRED_INDEXES:
                c.execute(f"DROP INDEX IF EXISTS {name}")
            for name, table, columns in INDEXES:
                self.db.table(table).create_index(columns, index_name=name, if_not_exists=True)
            for stmt in _statements(SQL_SEARCH_AND_VIEWS):
                c.execute(stmt)
            self._sync_lookups(c)
            c.execute("INSERT OR IGNORE INTO archive_state(key, value) VALUES ('derived_version', ?)",
                      (_new_version(),))
            if "report_summary" in added:  # new summary columns: recompute it (and the CSV follows)
                c.execute("DELETE FROM report_summary")
                c.execute(_SUMMARY_INSERT.format(where="", and_where=""))
                _bump_derived_version(c)
            if version < 3:  # the indexed text gained END_OF_TEXT: index every report again
                c.execute("INSERT INTO search_fts(search_fts) VALUES ('delete-all')")
                c.execute("INSERT INTO search_fts(rowid, title, body) " + _FTS_SELECT.format(where=""))
                _bump_derived_version(c)
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _create_tables(self) -> dict[str, list[str]]:
        """Create the tables of :data:`TABLES` an archive lacks, and add to the others the
        declared columns they lack (appended; NOT NULL only with a default, as SQLite allows).
        Returns the columns added, per table."""
        added: dict[str, list[str]] = {}
        for name, spec in TABLES.items():
            table = self.db.table(name)
            if not table.exists():
                table.create(**spec)
                continue
            have = {col.lower() for col in table.columns_dict}
            for col, kind in spec["columns"].items():
                if col.lower() not in have:
                    default = spec.get("defaults", {}).get(col)
                    table.add_column(col, kind, not_null_default=default if col in spec.get("not_null", ()) else None)
                    added.setdefault(name, []).append(col)
        return added

    def _sync_lookups(self, c: sqlite3.Connection) -> None:
        """(Re)write the label tables from extract.templates; ids are stable per (template, key)."""
        self.db.table("templates").upsert_all(
            [{"version": v, "title": title, "scope": scope} for v, (title, scope) in TEMPLATE_NAMES.items()],
            pk="version")
        self.db.table("section_parts").upsert_all(
            [{"key": key, "label": label, "ord": ord_} for key, label, ord_ in SECTION_PARTS], pk="key")
        for name, table, kind in LOOKUPS:
            for version, tpl in TEMPLATES.items():
                spec = tpl.table(table)
                items = spec.rows if kind == "rows" else spec.columns
                for i, item in enumerate(items, start=1):
                    group = getattr(item, "group", None)
                    unit = None
                    if kind == "columns":
                        unit = "万元" if item.kind == "decimal" else "件"
                    c.execute(
                        f"INSERT INTO {name}(template, key, label, group_label, unit, ord) "
                        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(template, key) DO UPDATE SET "
                        "label = excluded.label, group_label = excluded.group_label, "
                        "unit = excluded.unit, ord = excluded.ord",
                        (version, item.key, item.label, group, unit, i),
                    )
        self._lookup_ids = {
            name: {(r[0], r[1]): r[2] for r in c.execute(f"SELECT template, key, id FROM {name}")}
            for name, _, _ in LOOKUPS
        }

    # -- the registry --------------------------------------------------------------

    PORTAL_COLUMNS = ("code", "name", "level", "parent_code", "homepage", "annual_report_url",
                      "cms", "confidence", "evidence")

    def upsert_portals(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert or update registry rows by ``code``; keys beyond the known columns go
        to ``extra`` (JSON).  Empty strings read as NULL.  Returns the number of rows."""
        rows = [dict(r) for r in rows]
        for r in rows:
            if not str(r.get("code") or "").strip() or not str(r.get("name") or "").strip():
                raise StoreError(f"a portal needs a code and a name: {r!r}")
        codes = {str(r["code"]).strip() for r in rows}
        known = {row[0] for row in self.conn.execute("SELECT code FROM portals")}
        missing = sorted({str(r["parent_code"]).strip() for r in rows if r.get("parent_code")}
                         - codes - known)
        if missing:
            raise StoreError(f"parent_code not in the registry: {', '.join(missing)}")
        cols = self.PORTAL_COLUMNS
        sql = (f"INSERT INTO portals({', '.join(cols)}, extra) VALUES ({', '.join('?' * (len(cols) + 1))}) "
               "ON CONFLICT(code) DO UPDATE SET "
               + ", ".join(f"{c} = excluded.{c}" for c in cols[1:] + ("extra",)))
        with self.transaction() as c:
            for r in rows:
                vals = [_blank_to_none(r.get(k)) for k in cols]
                vals[0] = str(vals[0]).strip()
                extra = {k: v for k, v in r.items() if k not in cols and v not in (None, "")}
                c.execute(sql, vals + [json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None])
        return len(rows)

    # -- documents -----------------------------------------------------------------

    def record_document(
        self,
        sha256: str,
        *,
        url: str | None,
        format: str | None,
        size: int | None,
        fetched_at: str,
        content_type: str | None = None,
        status: str = "ok",
        error: str | None = None,
        portal_code: str | None = None,
        referrer: str | None = None,
    ) -> None:
        """Record one distinct file (idempotent; URLs seen accumulate)."""
        self.record_documents([dict(sha256=sha256, url=url, format=format, size=size, fetched_at=fetched_at,
                                    content_type=content_type, status=status, error=error,
                                    portal_code=portal_code, referrer=referrer)])

    def record_documents(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """``record_document`` for many files (dicts of its arguments) in one transaction."""
        docs = [dict(d) for d in docs]
        for d in docs:
            raw_path(".", d.get("sha256"))  # validates the digest
            d.setdefault("status", "ok")
            if d["status"] not in DOCUMENT_STATUSES:
                raise StoreError(f"document status must be one of {DOCUMENT_STATUSES}, not {d['status']!r}")
            if not d.get("fetched_at"):
                raise StoreError(f"document {d['sha256']} needs fetched_at")
        with self.transaction() as c:
            for d in docs:
                self._record_document(c, **d)
        return len(docs)

    def _record_document(self, c: sqlite3.Connection, sha256: str, *, url: str | None, format: str | None,
                         size: int | None, fetched_at: str, content_type: str | None = None,
                         status: str = "ok", error: str | None = None, portal_code: str | None = None,
                         referrer: str | None = None) -> None:
        self._check_portal(c, portal_code)
        old = c.execute("SELECT urls FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
        if old is None:
            c.execute(
                "INSERT INTO documents(sha256, url, urls, format, size, content_type, fetched_at, "
                "last_seen_at, status, error, portal_code, referrer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (sha256, url, json.dumps([url] if url else [], ensure_ascii=False), format, size,
                 content_type, fetched_at, fetched_at, status, error, portal_code, referrer),
            )
            return
        urls = json.loads(old["urls"])
        if url and url not in urls:
            urls.append(url)
        c.execute(
            "UPDATE documents SET url = coalesce(url, ?), urls = ?, format = coalesce(?, format), "
            "size = coalesce(?, size), content_type = coalesce(?, content_type), "
            "fetched_at = min(coalesce(fetched_at, ?), ?), last_seen_at = max(coalesce(last_seen_at, ?), ?), "
            "status = ?, error = ?, portal_code = coalesce(portal_code, ?), "
            "referrer = coalesce(referrer, ?) WHERE sha256 = ?",
            (url, json.dumps(urls, ensure_ascii=False), format, size, content_type,
             fetched_at, fetched_at, fetched_at, fetched_at, status, error, portal_code, referrer, sha256),
        )

    def set_document_status(self, sha256: str, status: str, error: str | None = None) -> None:
        """Set the extraction outcome of a recorded document."""
        if status not in DOCUMENT_STATUSES:
            raise StoreError(f"document status must be one of {DOCUMENT_STATUSES}, not {status!r}")
        with self.transaction() as c:
            n = c.execute("UPDATE documents SET status = ?, error = ? WHERE sha256 = ?",
                          (status, error, sha256)).rowcount
            if not n:
                raise StoreError(f"no such document: {sha256}")

    # -- reports -------------------------------------------------------------------

    def store_report(
        self,
        record: Mapping[str, Any],
        *,
        document_sha256: str,
        url: str | None,
        portal_code: str | None = None,
        level: str | None = None,
        report_id: int | None = None,
    ) -> int:
        """Store one report record (spec: report-json.md) in one transaction; returns its id.

        Re-storing the same document replaces its rows and keeps its id.  ``report_id``
        pins the id of a new report (used by rebuild to keep ids stable)."""
        rec = _validate_record(record)
        with self.transaction() as c:
            rid = self._store(c, rec, document_sha256, url, portal_code, level, report_id, index=True)
        return rid

    def store_reports(self, items: Iterable[Mapping[str, Any]], *, batch: int = 1000) -> int:
        """Bulk load: ``items`` are dicts of ``store_report``'s arguments (``record``,
        ``document_sha256``, ``url``, optional ``portal_code``, ``level``, ``report_id``).

        ``batch`` reports per transaction; report_summary and the search index are rebuilt
        once at the end (:meth:`refresh_derived`).  Returns the number stored."""
        n = 0
        pending: list[Mapping[str, Any]] = []

        def flush() -> None:
            with self.transaction() as c:
                for it in pending:
                    self._store(c, _validate_record(it["record"]), it["document_sha256"], it.get("url"),
                                it.get("portal_code"), it.get("level"), it.get("report_id"), index=False)
            pending.clear()

        for it in items:
            pending.append(it)
            n += 1
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
        self.refresh_derived()
        return n

    def _store(self, c: sqlite3.Connection, rec: dict, document_sha256: str, url: str | None,
               portal_code: str | None, level: str | None, report_id: int | None, *, index: bool) -> int:
        """Write one validated record inside the caller's transaction (see store_report)."""
        _bump_derived_version(c)  # reports change (also on the bulk path, before refresh_derived)
        doc = c.execute("SELECT portal_code, url FROM documents WHERE sha256 = ?", (document_sha256,)).fetchone()
        if doc is None:
            raise StoreError(f"document {document_sha256} is not recorded: call record_document first")
        url = url or doc["url"]
        portal_code = portal_code or doc["portal_code"]
        self._check_portal(c, portal_code)
        portal = c.execute("SELECT * FROM portals WHERE code = ?", (portal_code,)).fetchone() if portal_code else None
        if level is None and portal is not None:
            level = portal["level"]
        city, city_code = self._city(c, rec.get("region"), rec.get("region_code"))
        failed = sum(1 for ch in rec["checks"] if not ch["ok"])
        extra = {k: v for k, v in rec.items() if k not in _RECORD_KEYS}
        warnings = rec.get("warnings")
        values = dict(
            title=rec["title"], year=rec["year"], agency=rec.get("agency"), region=rec.get("region"),
            region_code=rec.get("region_code"), city=city, city_code=city_code, level=level,
            template=rec["template"], published=_blank_to_none(rec.get("published")), url=url,
            document_sha256=document_sha256, portal_code=portal_code, checks_failed=failed,
            format=rec.get("format"),
            warnings=json.dumps(warnings, ensure_ascii=False) if warnings else None,
            extra=json.dumps(extra, ensure_ascii=False, sort_keys=True, default=str) if extra else None,
        )
        old = c.execute("SELECT id FROM reports WHERE document_sha256 = ?", (document_sha256,)).fetchone()
        if old is not None:
            rid = old["id"]
            if index:
                self._unindex(c, rid)
            for t in ("sections", "checks", "figures", *CELL_TABLES):
                c.execute(f"DELETE FROM {t} WHERE report_id = ?", (rid,))
            c.execute(f"UPDATE reports SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                      (*values.values(), rid))
        else:
            if report_id is not None:
                values = {"id": report_id, **values}
            cur = c.execute(f"INSERT INTO reports({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                            tuple(values.values()))
            rid = cur.lastrowid
        self._insert_children(c, rid, rec)
        if index:
            self._index(c, rid)
        c.execute("UPDATE documents SET status = 'ok', error = NULL WHERE sha256 = ?", (document_sha256,))
        return rid

    def _insert_children(self, c: sqlite3.Connection, rid: int, rec: Mapping[str, Any]) -> None:
        for part, _, _ in SECTION_PARTS:
            text = (rec.get("sections") or {}).get(part)
            if text:
                c.execute("INSERT INTO sections(report_id, part, text) VALUES (?, ?, ?)", (rid, part, text))
        c.executemany(
            "INSERT INTO checks(report_id, name, ok, detail, ord) VALUES (?, ?, ?, ?, ?)",
            [(rid, ch["name"], int(bool(ch["ok"])), ch.get("detail"), i) for i, ch in enumerate(rec["checks"])],
        )
        c.executemany(
            "INSERT INTO figures(report_id, ord, part, topic, label, value, unit, approx, detail, cumulative, "
            "negation, text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(rid, i, f["part"], f.get("topic"), f["label"], f["value"], f.get("unit"), int(bool(f.get("approx"))),
              int(bool(f.get("detail"))), int(bool(f.get("cumulative"))), int(bool(f.get("negation"))), f["text"])
             for i, f in enumerate(rec.get("figures") or [])],
        )
        for table, rows in self.cells(rec).items():
            rk, ck, _, _, rid_col, cid_col = CELL_TABLES[table]
            c.executemany(
                f"INSERT INTO {table}(report_id, {rk}, {ck}, value, {rid_col}, {cid_col}) VALUES (?,?,?,?,?,?)",
                [(rid, *row) for row in rows],
            )

    def cells(self, rec: Mapping[str, Any]) -> dict[str, list[tuple]]:
        """The cell rows of a record per table: (row key, column key, value, row id, column id).

        Labels come from the record's template; a key the template lacks is looked up in
        the other templates (a 2019 row in a 2021 report keeps its label) and else gets
        NULL ids."""
        versions = [rec["template"]] if rec["template"] in TEMPLATES else []
        versions += [v for v in TEMPLATES if v not in versions]
        out: dict[str, list[tuple]] = {}
        for table, (_, _, rlookup, clookup, _, _) in CELL_TABLES.items():
            data = rec.get(table)
            if data is None:
                continue
            rows = []
            for rkey, cols in data.items():
                for ckey, value in cols.items():
                    rows.append((rkey, ckey, value,
                                 self._lookup(rlookup, versions, rkey), self._lookup(clookup, versions, ckey)))
            out[table] = rows
        return out

    def _lookup(self, name: str, versions: list[str], key: str) -> int | None:
        ids = self._lookup_ids[name]
        return next((ids[(v, key)] for v in versions if (v, key) in ids), None)

    def _city(self, c: sqlite3.Connection, region: str | None, region_code: str | None) -> tuple[str | None, str | None]:
        """The prefecture-level city of a report: from the registry when the region code is
        in it (walking up parent_code to the ``city`` level), else from the code and name."""
        code = region_code
        seen = set()
        while code and code not in seen:
            seen.add(code)
            p = c.execute("SELECT code, name, level, parent_code FROM portals WHERE code = ?", (code,)).fetchone()
            if p is None:
                break
            if p["level"] == "city":
                return p["name"], p["code"]
            if p["level"] == "province":
                return None, None
            code = p["parent_code"]
        city_code = None
        if region_code and re.fullmatch(r"\d{6}", region_code) and region_code[2:4] != "00":
            city_code = region_code[:4] + "00"
            p = c.execute("SELECT name FROM portals WHERE code = ?", (city_code,)).fetchone()
            if p is not None:
                return p["name"], city_code
        return city_of(region), city_code

    def _check_portal(self, c: sqlite3.Connection, portal_code: str | None) -> None:
        if portal_code and c.execute("SELECT 1 FROM portals WHERE code = ?", (portal_code,)).fetchone() is None:
            raise StoreError(f"portal {portal_code!r} is not in the registry: upsert_portals first")

    # -- derived tables ------------------------------------------------------------

    def _index(self, c: sqlite3.Connection, rid: int | None) -> None:
        """Add the report (or all reports) to report_summary and the search index."""
        _bump_derived_version(c)
        if rid is None:
            c.execute(_SUMMARY_INSERT.format(where="", and_where=""))
            c.execute("INSERT INTO search_fts(rowid, title, body) " + _FTS_SELECT.format(where=""))
        else:
            c.execute(_SUMMARY_INSERT.format(where="WHERE r.id = :id", and_where="AND report_id = :id"), {"id": rid})
            c.execute("INSERT INTO search_fts(rowid, title, body) " + _FTS_SELECT.format(where="WHERE r.id = :id"),
                      {"id": rid})

    def _unindex(self, c: sqlite3.Connection, rid: int) -> None:
        _bump_derived_version(c)
        c.execute("DELETE FROM report_summary WHERE report_id = ?", (rid,))
        c.execute("INSERT INTO search_fts(search_fts, rowid, title, body) SELECT 'delete', * FROM ("
                  + _FTS_SELECT.format(where="WHERE r.id = :id") + ")", {"id": rid})

    def refresh_derived(self) -> None:
        """Recompute report_summary and search_fts from the base tables, then ANALYZE."""
        with self.transaction() as c:
            c.execute("DELETE FROM report_summary")
            c.execute("INSERT INTO search_fts(search_fts) VALUES ('delete-all')")
            self._index(c, None)
        self.conn.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
        self.conn.execute("ANALYZE")

    def snapshot(self, dest: str | os.PathLike) -> Path:
        """A compact, self-contained copy for publication (``datasette serve -i``):
        ``VACUUM INTO`` a temporary file beside ``dest``, rollback journal (no WAL), then
        moved onto ``dest`` atomically.  Safe while the crawler writes (a read transaction).
        The full CSV download of ``report_summary`` is written beside it
        (:func:`export_summary_csv`)."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        if tmp.exists():
            tmp.unlink()
        self.conn.execute("VACUUM INTO ?", (str(tmp),))
        c = sqlite3.connect(tmp)
        try:
            c.execute("PRAGMA journal_mode = DELETE")
            c.execute("ANALYZE")
        finally:
            c.close()
        os.replace(tmp, dest)
        export_summary_csv(dest)
        return dest

    # -- crawls and the fetch log --------------------------------------------------

    def start_crawl(self, **meta: Any) -> int:
        """Open a crawl row; ``meta`` keys become columns (added as needed)."""
        meta.setdefault("started_at", now_iso())
        with self.transaction() as c:
            self._add_columns("crawls", meta)
            cur = c.execute(f"INSERT INTO crawls({', '.join(meta)}) VALUES ({', '.join('?' * len(meta))})",
                            [_scalar(v) for v in meta.values()])
            return cur.lastrowid

    def finish_crawl(self, crawl_id: int, **counts: Any) -> None:
        """Close a crawl row with its counts (keys become columns)."""
        counts.setdefault("finished_at", now_iso())
        with self.transaction() as c:
            self._add_columns("crawls", counts)
            n = c.execute(f"UPDATE crawls SET {', '.join(f'{k} = ?' for k in counts)} WHERE id = ?",
                          [_scalar(v) for v in counts.values()] + [crawl_id]).rowcount
            if not n:
                raise StoreError(f"no such crawl: {crawl_id}")

    def log_fetch(
        self,
        url: str,
        *,
        final_url: str | None = None,
        status: int | None = None,
        fetched_at: str | None = None,
        content_type: str | None = None,
        size: int | None = None,
        sha256: str | None = None,
        referrer: str | None = None,
        portal_code: str | None = None,
        outcome: str,
        crawl_id: int | None = None,
    ) -> int:
        """Append one line to the fetch log (outcome: new / unchanged / error: reason / blocked)."""
        if not outcome:
            raise StoreError("log_fetch needs an outcome")
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO fetch_log(crawl_id, url, final_url, status, fetched_at, content_type, size, "
                "sha256, referrer, portal_code, outcome) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (crawl_id, url, final_url, status, fetched_at or now_iso(), content_type, size, sha256,
                 referrer, portal_code, outcome),
            )
            return cur.lastrowid

    def record_crawl_portals(self, crawl_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        """Write one crawl's per-portal counts (``crawl_portals``; a portal's row is replaced).

        Each row: ``portal_code`` and the counts ``new_reports``, ``new``, ``unchanged``,
        ``errors``, ``blocked`` (missing counts are 0).  A portal whose ``new + unchanged``
        stays 0 for :data:`STALE_RUNS` consecutive crawls shows in the ``stale_portals`` view."""
        keys = CRAWL_PORTAL_COUNTS
        rows = list(rows)
        for r in rows:
            if not r.get("portal_code"):
                raise StoreError(f"crawl_portals row without portal_code: {dict(r)!r}")
            for k in keys:
                v = r.get(k, 0)
                if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                    raise StoreError(f"crawl_portals {r['portal_code']}: {k} must be a count, not {v!r}")
        with self.transaction() as c:
            if not c.execute("SELECT 1 FROM crawls WHERE id = ?", (crawl_id,)).fetchone():
                raise StoreError(f"no such crawl: {crawl_id}")
            c.executemany(
                "INSERT OR REPLACE INTO crawl_portals(crawl_id, portal_code, new_reports, new, unchanged, errors, "
                "blocked) VALUES (?,?,?,?,?,?,?)",
                [(crawl_id, r["portal_code"], *(r.get(k, 0) for k in keys)) for r in rows])
        return len(rows)

    def crawl_portal_counts(self, crawl_id: int, portal_codes: Iterable[str] = ()) -> list[dict[str, Any]]:
        """One crawl's per-portal counts from its fetch log: fetches that were new / unchanged
        (304s included) / errors / blocked, and reports whose document was first fetched in
        this crawl.  ``portal_codes`` adds all-zero rows for portals that logged nothing."""
        out: dict[str, dict[str, Any]] = {
            code: {"portal_code": code, "new_reports": 0, "new": 0, "unchanged": 0, "errors": 0, "blocked": 0}
            for code in portal_codes}
        for r in self.conn.execute(
                "SELECT portal_code, SUM(outcome = 'new') AS new, SUM(outcome = 'unchanged') AS unchanged, "
                "SUM(outcome LIKE 'error%') AS errors, SUM(outcome = 'blocked') AS blocked FROM fetch_log "
                "WHERE crawl_id = ? AND portal_code IS NOT NULL GROUP BY portal_code", (crawl_id,)):
            row = out.setdefault(r["portal_code"], {"portal_code": r["portal_code"], "new_reports": 0})
            row.update(new=r["new"] or 0, unchanged=r["unchanged"] or 0, errors=r["errors"] or 0,
                       blocked=r["blocked"] or 0)
        for r in self.conn.execute(
                "SELECT r.portal_code, COUNT(*) AS n FROM reports r WHERE r.portal_code IS NOT NULL AND "
                "r.document_sha256 IN (SELECT sha256 FROM fetch_log WHERE crawl_id = ? AND outcome = 'new') "
                "GROUP BY r.portal_code", (crawl_id,)):
            row = out.setdefault(r["portal_code"], {"portal_code": r["portal_code"], "new": 0, "unchanged": 0,
                                                    "errors": 0, "blocked": 0})
            row["new_reports"] = r["n"]
        return sorted(out.values(), key=lambda r: r["portal_code"])

    def _add_columns(self, table: str, values: Mapping[str, Any]) -> None:
        """Add a column for each key the table lacks, typed by its value (int/bool → INTEGER,
        float → REAL, else TEXT), inside the caller's transaction."""
        for k in values:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k):
                raise StoreError(f"not a usable column name: {k!r}")
        self.db.table(table).add_missing_columns([{k: _scalar(v) for k, v in values.items()}])


# -- the prebuilt full download of report_summary ------------------------------------

SUMMARY_EXPORT_BATCH = 5000
BOM = "\ufeff"


def _new_version() -> str:
    return uuid.uuid4().hex


def _bump_derived_version(c: sqlite3.Connection) -> None:
    """Mark report_summary/search_fts as changed (inside the writing transaction)."""
    c.execute("INSERT OR REPLACE INTO archive_state(key, value) VALUES ('derived_version', ?)", (_new_version(),))


def derived_version(conn: sqlite3.Connection) -> str | None:
    """The archive's ``derived_version``: a random value that changes in every transaction
    that writes ``report_summary`` or ``search_fts``; None for an archive from before it."""
    try:
        row = conn.execute("SELECT value FROM archive_state WHERE key = 'derived_version'").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def summary_csv_paths(db_path: str | os.PathLike) -> dict[str, Path]:
    """Where the prebuilt full download of ``report_summary`` lives, beside the database:
    ``archive.db`` → ``archive.report_summary.csv``, ``….csv.gz`` and the manifest ``….json``."""
    p = Path(db_path)
    base = f"{p.stem if p.suffix == '.db' else p.name}.report_summary"
    return {"csv": p.parent / f"{base}.csv", "gz": p.parent / f"{base}.csv.gz", "manifest": p.parent / f"{base}.json"}


def read_summary_manifest(db_path: str | os.PathLike) -> dict | None:
    """The manifest of the prebuilt CSV beside ``db_path`` (None if there is none)."""
    try:
        return json.loads(summary_csv_paths(db_path)["manifest"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_only(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(db_path.resolve()))}?mode=ro", uri=True, isolation_level=None)


def export_summary_csv(db_path: str | os.PathLike, *, force: bool = False, gzip_level: int = 6) -> dict:
    """Write ``report_summary`` beside the database as the full CSV download; returns its manifest.

    The file is what Datasette's ``/archive/report_summary.csv?_stream=on`` streams (same
    header, rows in ``report_id`` order, the ``csv`` module's excel dialect) with a UTF-8
    BOM in front, so Excel on Chinese Windows opens it as UTF-8.  Also written: a gzip copy
    and a JSON manifest (rows, bytes, sha256, and the archive's :func:`derived_version` the
    rows were read at).  The Datasette plugin ``plugins/downloads.py`` serves the file only
    while the manifest's version is the archive's current one; otherwise it sends the
    client to Datasette's own stream, so a stale file is never served.

    One read transaction (safe while a crawl writes; the rows and the version belong to the
    same snapshot).  Files are written under temporary names and renamed into place.  Does
    nothing when the existing files already belong to the current version (``force`` to
    rewrite).  Call it after a crawl or a rebuild has changed the archive."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise StoreError(f"no archive at {db_path}")
    paths = summary_csv_paths(db_path)
    conn = _read_only(db_path)
    try:
        conn.execute("BEGIN")
        version = derived_version(conn)
        if version is None:  # an archive from before archive_state: migrate it once
            conn.close()
            Archive(db_path).close()
            conn = _read_only(db_path)
            conn.execute("BEGIN")
            version = derived_version(conn)
        old = read_summary_manifest(db_path)
        if (not force and old and old.get("derived_version") == version and paths["csv"].is_file()
                and paths["csv"].stat().st_size == old.get("bytes") and paths["gz"].is_file()):
            return old
        t0 = time.monotonic()
        tmp = {k: p.with_name(f"{p.name}.tmp{os.getpid()}") for k, p in paths.items()}
        digest, rows = hashlib.sha256(), 0
        try:
            cur = conn.execute("SELECT * FROM report_summary ORDER BY report_id")
            columns = [d[0] for d in cur.description]
            buf = io.StringIO()
            writer = csv.writer(buf)
            with open(tmp["csv"], "wb") as out, open(tmp["gz"], "wb") as gz_file, \
                    gzip.GzipFile(filename="report_summary.csv", mode="wb", fileobj=gz_file,
                                  compresslevel=gzip_level, mtime=0) as gz:
                buf.write(BOM)
                writer.writerow(columns)
                while True:
                    batch = cur.fetchmany(SUMMARY_EXPORT_BATCH)
                    writer.writerows(batch)
                    rows += len(batch)
                    data = buf.getvalue().encode("utf-8")
                    buf.seek(0)
                    buf.truncate()
                    out.write(data)
                    gz.write(data)
                    digest.update(data)
                    if not batch:
                        break
            manifest = {
                "table": "report_summary", "derived_version": version, "rows": rows, "columns": columns,
                "bytes": tmp["csv"].stat().st_size, "sha256": digest.hexdigest(),
                "gzip_bytes": tmp["gz"].stat().st_size, "bom": True, "exported_at": now_iso(),
                "seconds": round(time.monotonic() - t0, 3),
            }
            tmp["manifest"].write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
            for k in ("csv", "gz", "manifest"):  # the manifest last: it vouches for the files
                os.replace(tmp[k], paths[k])
        finally:
            for p in tmp.values():
                if p.exists():
                    p.unlink()
        return manifest
    finally:
        conn.close()


# -- helpers ---------------------------------------------------------------------------

_RECORD_KEYS = {"title", "year", "agency", "region", "region_code", "template", "sections",
                "active_disclosure", "applications", "reviews", "checks", "published", "format", "warnings",
                "figures"}


def _validate_record(record: Mapping[str, Any]) -> dict:
    """Check the shape of a report record; raise StoreError naming the first problem."""
    if not isinstance(record, Mapping):
        raise StoreError(f"a report record is a dict, not {type(record).__name__}")
    rec = dict(record)
    if not isinstance(rec.get("title"), str) or not rec["title"].strip():
        raise StoreError("record has no title")
    if isinstance(rec.get("year"), bool) or not isinstance(rec.get("year"), int):
        raise StoreError(f"record year must be an int, not {rec.get('year')!r}")
    if rec.get("template") not in TEMPLATE_NAMES:
        raise StoreError(f"record template must be one of {sorted(TEMPLATE_NAMES)}, not {rec.get('template')!r}")
    sections = rec.get("sections") or {}
    if not isinstance(sections, Mapping) or any(k not in dict(SECTION_PARTS_BY_KEY) for k in sections):
        raise StoreError(f"record sections must be an object with keys among {list(SECTION_PARTS_BY_KEY)}")
    for k, v in sections.items():
        if v is not None and not isinstance(v, str):
            raise StoreError(f"section {k} must be a string or null")
    for table in CELL_TABLES:
        data = rec.get(table)
        if data is None:
            continue
        if not isinstance(data, Mapping):
            raise StoreError(f"{table} must be an object or null")
        for rk, cols in data.items():
            if not isinstance(cols, Mapping):
                raise StoreError(f"{table}.{rk} must be an object of cells")
            for ck, v in cols.items():
                if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                    raise StoreError(f"{table}.{rk}.{ck} must be a number or null, not {v!r}")
    checks = rec.get("checks")
    if checks is None:
        checks = []
    if isinstance(checks, Mapping):  # name -> ok (or -> {"ok":..,"detail":..})
        checks = [{"name": k, **(v if isinstance(v, Mapping) else {"ok": v})} for k, v in checks.items()]
    if not isinstance(checks, list):
        raise StoreError("record checks must be a list of {name, ok, detail}")
    names = set()
    for ch in checks:
        if not isinstance(ch, Mapping) or not isinstance(ch.get("name"), str) or "ok" not in ch:
            raise StoreError(f"a check needs a name and ok: {ch!r}")
        if ch["name"] in names:
            raise StoreError(f"check {ch['name']!r} appears twice")
        names.add(ch["name"])
    rec["checks"] = [dict(ch) for ch in checks]
    return rec


SECTION_PARTS_BY_KEY = {k: (label, o) for k, label, o in SECTION_PARTS}


def _blank_to_none(v: Any) -> Any:
    return None if isinstance(v, str) and not v.strip() else v


def _scalar(v: Any) -> Any:
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


def _statements(script: str) -> list[str]:
    """Split a DDL script into statements (the DDL has no semicolons inside literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def _lookup_and_cell_ddl() -> str:
    """The SQL of the label tables and the cell tables (see SQL_TABLES for why SQL)."""
    ddl = "".join(_LOOKUP_DDL.format(name=name) for name, _, _ in LOOKUPS)
    for table, (rk, ck, rlookup, clookup, rid, cid) in CELL_TABLES.items():
        vtype = "NUMERIC" if table == "active_disclosure" else "INTEGER"
        ddl += _CELL_DDL.format(table=table, rk=rk, ck=ck, vtype=vtype, rid=rid, cid=cid,
                                rlookup=rlookup, clookup=clookup)
    return ddl
