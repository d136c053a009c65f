"""Datasette plugin: ``?_search=`` on a table page evaluates the FTS5 query once, not once per statement.

Why.  Datasette's built-in table search adds ``id in (select rowid from search_fts where
search_fts match escape_fts(:search))`` to *every* statement of the page: the rows, the
count and each default facet (5 on ``reports``), so the full-text query runs 7 times.  For
a term in every report (政府信息公开: 4 trigrams, 100,000 documents) one evaluation costs
60 ms in FTS5 plus ~100 ms to turn 100k rowids into an ``IN`` list and look each report
up; the page took 1.1–1.5 s.  A mid-frequency term (三审三校, 1 report in 3) took 0.4 s.

How.  The table names its index in the plugin configuration instead of ``fts_table`` (so
the built-in search stays off)::

    databases:
      archive:
        tables:
          reports:
            plugins:
              nianbao-search: {fts_table: search_fts}     # optional: fts_pk (default rowid)

For ``?_search=`` (and ``?_search_<fts column>=``, ``?_searchmode=raw`` as in Datasette) the
where clause calls SQL functions this plugin registers on every connection.  Their
arguments are constants, so SQLite calls them once per statement, not once per row:

* few hits (≤ 1/8 of the rows): ``pk in (select value from json_each(nianbao_fts_ids(…)))``,
  the matching rowids as a JSON array;
* more: ``(nianbao_fts_all(…) or substr(nianbao_fts_bitmap(…), pk + 1, 1) = x'01')``, with
  a blob whose byte ``rowid`` is 1 for each hit.

The bitmap lets each statement scan a covering index (the facet column's; for the rows the
sort column's, which stops after one page) at ~0.05 µs a row, instead of building and
probing a 100k-row ``IN`` list: at 100k reports a facet statement of a search costs ~10 ms
instead of 120–270 ms.  (A list of the rows that do not match, ``pk not in (…)``, used
before for nearly every row, costs more than the bitmap as soon as it is not empty: a facet
14 ms with 10 such rows, 29 ms with 12,500.)

``nianbao_fts_all`` is 1 when every integer from the table's smallest to its largest ``pk``
is a hit, so every row is (with gaps in the ids it may say 0 although every row is a hit:
safe, the bitmap decides): a word in every report, such as 信息公开 or 政府信息公开, which
every title holds.  SQLite evaluates the constant once per statement and skips the bitmap
test of each row, so every statement of such a search costs what it costs without a search.
At 100k reports the five facets of the search page take ~23 ms of SQL instead of ~40 (its
page 2, where Datasette adds the next-page condition to each, ~35 instead of ~53) and the
count ~2 ms instead of ~5.  Like the bitmap, it is computed on the statement's own snapshot
(see below): a report without the word, stored by a crawl between the statements of a page,
is never taken for a hit.

The matching rowids are computed once and kept in a small in-process cache (LRU, bounded
in bytes), so the seven statements of a page, the next pages and facet clicks share one
FTS5 evaluation.  The cache key holds the database file, the MATCH expression and the
index's state: ``archive_state.derived_version`` (a fresh random value in every
transaction that writes ``reports`` or ``search_fts``, see extract/store.py) and FTS5's own
structure and averages records.  They are read inside the statement's own read
transaction, so a crawl writing the live archive never makes a page use hits of another
snapshot.
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections import OrderedDict

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_fts, escape_sqlite
from datasette.utils.asgi import BadRequest

PLUGIN = "nianbao-search"
# The clause for the hits of a query, by their share of the table's rows:
#   few (≤ 1/8)   pk in (select value from json_each(<hits>))              cost ~ hits
#   more          <every row> or substr(<bitmap>, pk + 1, 1) = x'01'       cost ~ rows (none if every row)
# (at 100k reports: a facet statement takes 1–10 ms instead of 120–270 ms)
SHARE = 8
CACHE_BYTES = 64 * 1024 * 1024
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALL = object()  # cache key part of a table's Span


class Hits:
    """The rowids an FTS5 query matches: JSON (for IN), and on demand a bitmap."""

    __slots__ = ("count", "min_rowid", "max_rowid", "json", "bitmap")

    def __init__(self, ids_json: str, count: int, min_rowid: int | None, max_rowid: int | None):
        self.json = ids_json
        self.count = count
        self.min_rowid = min_rowid or 0
        self.max_rowid = max_rowid or 0
        self.bitmap: bytes | None = None

    @property
    def nbytes(self) -> int:
        return len(self.json) + len(self.bitmap or b"")


_cache: OrderedDict[tuple, Hits] = OrderedDict()
stats = {"evaluations": 0}  # FTS5 MATCH queries run (the tests count them)
_cache_bytes = 0
_lock = threading.Lock()


def match_expression(query: str, raw: bool, column: str | None) -> str:
    """The FTS5 MATCH string for a user query: Datasette's escaping (each word a quoted
    phrase, all required) unless raw; ``column : (…)`` for a column search."""
    expr = (query or "").strip() if raw else escape_fts(query or "")
    if expr and column:
        expr = f"{column} : ({expr})"
    return expr


def _state(conn: sqlite3.Connection, fts: str) -> tuple:
    """What the hits depend on, read in the caller's read transaction: the archive's
    derived_version and FTS5's averages and structure records."""
    try:
        version = conn.execute("SELECT value FROM archive_state WHERE key = 'derived_version'").fetchone()
    except sqlite3.OperationalError:  # an archive from before archive_state
        version = None
    blocks = tuple(r[0] for r in conn.execute(f'SELECT block FROM "{fts}_data" WHERE id IN (1, 10) ORDER BY id'))
    return (version[0] if version else None, blocks)


def _cached(key: tuple, compute) -> Hits:
    global _cache_bytes
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = compute()
    with _lock:
        if key not in _cache:
            _cache[key] = found
            _cache_bytes += found.nbytes
        _evict()
        return _cache[key]


def _evict() -> None:
    global _cache_bytes
    while _cache_bytes > CACHE_BYTES and len(_cache) > 1:
        _, old = _cache.popitem(last=False)
        _cache_bytes -= old.nbytes


def _grow(h: Hits, attr: str, value) -> None:
    global _cache_bytes
    with _lock:
        if getattr(h, attr) is None:
            setattr(h, attr, value)
            _cache_bytes += len(value)
            _evict()


def hits(conn: sqlite3.Connection, db_key: str, fts: str, query: str, raw: bool = False,
         column: str | None = None) -> Hits:
    """The hits of ``query`` in FTS5 table ``fts`` on this connection's snapshot (cached)."""
    if not _IDENT.fullmatch(fts or "") or (column is not None and not _IDENT.fullmatch(column)):
        raise ValueError(f"not a table or column name: {fts!r} {column!r}")
    expr = match_expression(query, bool(raw), column)
    state = _state(conn, fts)
    if not expr:
        return Hits("[]", 0, 0, 0)

    def evaluate() -> Hits:
        stats["evaluations"] += 1
        return Hits(*conn.execute(f'SELECT json_group_array(rowid), count(*), min(rowid), max(rowid) '
                                  f'FROM "{fts}" WHERE "{fts}" MATCH ?', (expr,)).fetchone())

    return _cached((db_key, fts, expr, state), evaluate)


class Span:
    """A table's row count and smallest and largest ``pk`` (integers, else None)."""

    __slots__ = ("count", "lo", "hi")
    nbytes = 0

    def __init__(self, count: int, lo, hi):
        self.count = count
        ints = isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool)
        self.lo, self.hi = (lo, hi) if ints else (None, None)


def table_span(conn: sqlite3.Connection, db_key: str, fts: str, table: str, pk: str) -> Span:
    """The :class:`Span` of ``table`` on this connection's snapshot (cached; the store
    changes ``derived_version`` in every transaction that writes ``reports``).  Three
    subqueries, not one ``count(*), min(), max()``: so each takes SQLite's shortcut (the
    b-tree's row count, one end of the index), ~0.1 ms instead of a 7–12 ms scan."""
    if not (_IDENT.fullmatch(table or "") and _IDENT.fullmatch(pk or "")):
        raise ValueError(f"not a table or column name: {table!r} {pk!r}")
    state = _state(conn, fts)
    return _cached((db_key, table, pk, _ALL, state), lambda: Span(*conn.execute(
        f'SELECT (SELECT count(*) FROM "{table}"), (SELECT min("{pk}") FROM "{table}"), '
        f'(SELECT max("{pk}") FROM "{table}")').fetchone()))


def bitmap(h: Hits) -> bytes:
    """Byte ``rowid`` is 1 for each hit (as long as the largest hit plus one).  Hits that are
    one run of consecutive rowids (a word in every report) need no decoding of the JSON:
    ~0.1 ms instead of ~6 ms at 100k reports."""
    if h.bitmap is None:
        if h.count and h.min_rowid >= 0 and h.count == h.max_rowid - h.min_rowid + 1:
            bits = bytes(h.min_rowid) + b"\x01" * h.count
        else:
            bits = bytearray(h.max_rowid + 1 if h.count else 0)
            for i in json.loads(h.json):
                bits[i] = 1
        _grow(h, "bitmap", bytes(bits))
    return h.bitmap


def every_row(conn: sqlite3.Connection, db_key: str, fts: str, table: str, pk: str, h: Hits) -> bool:
    """Whether every integer from the table's smallest to its largest ``pk`` is a hit (then
    every row is; with gaps in the ids the answer may be a safe False).  A C-speed scan of the
    cached bitmap: ~0.05 ms a statement at 100k reports."""
    span = table_span(conn, db_key, fts, table, pk)
    if span.lo is None or span.lo < 0:
        return False
    bits = bitmap(h)
    return len(bits) > span.hi and bits.find(0, span.lo, span.hi + 1) < 0


def clear_cache() -> None:
    global _cache_bytes
    with _lock:
        _cache.clear()
        _cache_bytes = 0


def _db_key(datasette, database: str) -> str:
    try:
        return f"{database}:{datasette.get_database(database).path}"
    except KeyError:
        return database


@hookimpl
def prepare_connection(conn, database, datasette):
    db_key = _db_key(datasette, database)

    def f_ids(fts, query, raw, column):
        return hits(conn, db_key, fts, query, raw, column).json

    def f_bitmap(fts, query, raw, column):
        return bitmap(hits(conn, db_key, fts, query, raw, column))

    def f_all(fts, query, raw, column, table, pk):
        return int(every_row(conn, db_key, fts, table, pk, hits(conn, db_key, fts, query, raw, column)))

    # deterministic: with constant arguments SQLite calls them once per statement
    conn.create_function("nianbao_fts_ids", 4, f_ids, deterministic=True)
    conn.create_function("nianbao_fts_bitmap", 4, f_bitmap, deterministic=True)
    conn.create_function("nianbao_fts_all", 6, f_all, deterministic=True)


def _search_args(request) -> dict[str, str]:
    return {k: request.args[k] for k in request.args if k.startswith("_search") and k != "_searchmode"}


def choose(conn: sqlite3.Connection, db_key: str, fts: str, table: str, pk: str, query: str, raw: bool,
           column: str | None) -> str:
    """Which form the clause takes (see SHARE); computes and caches what it needs."""
    h = hits(conn, db_key, fts, query, raw, column)
    span = table_span(conn, db_key, fts, table, pk)
    if span.lo is None or span.lo < 0 or h.count * SHARE <= span.count:
        return "ids"  # few hits (or keys the bitmap cannot index)
    bitmap(h)  # once, for the page's statements
    return "bitmap"


@hookimpl(trylast=True)  # after the built-in search filter: our extra_context wins
def filters_from_request(request, database, table, datasette):
    config = datasette.plugin_config(PLUGIN, database=database, table=table) or {}
    fts = config.get("fts_table")
    if not fts:
        return None

    async def inner():
        db = datasette.get_database(database)
        pk_name = config.get("fts_pk", "rowid")
        pk = escape_sqlite(pk_name)
        raw = config.get("searchmode") == "raw"
        mode = request.args.get("_searchmode")
        if mode in ("raw", "escaped"):
            raw = mode == "raw"
        where, params, human = [], {}, []
        extra = {"supports_search": True}
        searches = _search_args(request)
        fts_columns = await db.table_columns(fts) if searches else []
        db_key = _db_key(datasette, database)
        for key, text in searches.items():
            column = None if key == "_search" else key[len("_search_"):]
            if column is not None and column not in fts_columns:
                raise BadRequest("Cannot search by that column")
            extra["search"] = text
            if not text.strip():
                continue
            name = "search" if column is None else f"search_{column}"
            try:
                form = await db.execute_fn(lambda conn: choose(conn, db_key, fts, table, pk_name, text, raw, column))
            except sqlite3.Error as e:
                raise BadRequest(f"search: {e}")
            args = f"'{fts}', :{name}, {int(raw)}, {'NULL' if column is None else repr(column)}"
            table_arg = table.replace("'", "''")
            where.append({
                "ids": f"{pk} in (select value from json_each(nianbao_fts_ids({args})))",
                "bitmap": f"(nianbao_fts_all({args}, '{table_arg}', '{pk_name}') or "
                          f"substr(nianbao_fts_bitmap({args}), {pk} + 1, 1) = x'01')",
            }[form])
            params[name] = text
            human.append(f'search matches "{text}"' if column is None else f'search column "{column}" matches "{text}"')
        return FilterArguments(where, params, human, extra)

    return inner
