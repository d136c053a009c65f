"""``python -m extract rebuild``: re-extract every archived document into a fresh archive.db.

The new database is built beside the old one (``<db>.rebuild``) and moved over it with
:func:`os.replace` only when it is complete, so a failed or interrupted rebuild leaves the
old archive untouched.  Kept from the old database: the registry (``portals``), the
documents' provenance (URLs seen, format, size, fetch times, portal, referrer),
``crawls`` and ``fetch_log``.  Recomputed: every report and its rows, each document's
extraction status, ``report_summary`` and the search index.  Report ids are kept for
documents that had a report (stable URLs of the published archive).

Run it with no crawl writing to the archive: writes made to the old file while the
rebuild runs are not in the new one.  A Datasette serving the old file keeps the old
inode open: restart it (or serve an ``--immutable`` snapshot) after the swap.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from .errors import ExtractError, NotAReport
from .store import Archive, StoreError, export_summary_csv, raw_path
from .urls import filename_of

DEFAULT_ARCHIVE_DIR = "data/raw"  # the crawler's ARCHIVE_DIR (crawler/settings.py)

# The tables copied as they are (provenance); their columns are read from the old db.
KEPT_TABLES = ("portals", "crawls", "crawl_portals", "documents", "fetch_log")


def _copy_kept(new: Archive, old_path: str) -> None:
    """Copy the provenance tables from the old db into the fresh one (same column names)."""
    c = new.conn
    c.execute("ATTACH DATABASE ? AS old", (old_path,))
    try:
        with new.transaction():
            for table in KEPT_TABLES:
                old_cols = [r[1] for r in c.execute(f"PRAGMA old.table_info({table})")]
                if not old_cols:
                    continue
                new_info = {r[1] for r in c.execute(f"PRAGMA main.table_info({table})")}
                for col in old_cols:  # columns added on the fly (crawls) come along
                    if col not in new_info:
                        c.execute(f'ALTER TABLE main.{table} ADD COLUMN "{col}"')
                cols = ", ".join(f'"{col}"' for col in old_cols)
                c.execute(f"INSERT INTO main.{table}({cols}) SELECT {cols} FROM old.{table}")
            c.execute("UPDATE main.documents SET status = 'pending', error = NULL")
    finally:
        c.execute("DETACH DATABASE old")


def _work(old_path: str | None) -> list[dict[str, Any]]:
    """The documents to re-extract, in old report-id order (then by sha256), with what the
    old report said about url and level."""
    if not old_path:
        return []
    c = sqlite3.connect(f"file:{old_path}?mode=ro", uri=True)
    c.row_factory = sqlite3.Row
    try:
        rows = c.execute(
            "SELECT d.sha256, d.url AS doc_url, d.portal_code, r.id AS report_id, r.url AS report_url, "
            "r.level FROM documents d LEFT JOIN reports r ON r.document_sha256 = d.sha256 "
            "ORDER BY r.id IS NULL, r.id, d.sha256"
        ).fetchall()
    finally:
        c.close()
    return [dict(r) for r in rows]


def rebuild(
    db: str | os.PathLike,
    archive_dir: str | os.PathLike,
    *,
    progress: bool = True,
    extractor: Callable[..., dict] | None = None,
) -> dict[str, int]:
    """Rebuild ``db`` from the raw store; returns counts (reports, not_a_report, error, missing).

    ``extractor(data, filename=, url=, region_code=)`` defaults to an
    :class:`extract.isolate.IsolatedExtractor` (time and memory limits per document)."""
    db = str(db)
    tmp = db + ".rebuild"
    for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    old_exists = os.path.exists(db)
    if old_exists:
        Archive(db).close()  # migrates the old file to the current schema, checkpoints its WAL
    work = _work(db if old_exists else None)
    counts = {"documents": len(work), "reports": 0, "not_a_report": 0, "error": 0, "missing": 0}
    own = None
    if extractor is None:
        from .isolate import IsolatedExtractor

        own = IsolatedExtractor()
        extractor = own.extract
    new = Archive(tmp)
    try:
        if old_exists:
            _copy_kept(new, db)
        for w in tqdm(work, desc="rebuild", unit="doc", disable=not progress, file=sys.stderr):
            sha = w["sha256"]
            path = raw_path(archive_dir, sha)
            if not path.exists():
                new.set_document_status(sha, "error", f"raw file missing: {path}")
                counts["missing"] += 1
                continue
            url = w["report_url"] or w["doc_url"]
            try:
                record = extractor(path.read_bytes(), filename=filename_of(url) or None, url=url,
                                   region_code=w["portal_code"])
                new.store_report(record, document_sha256=sha, url=url, portal_code=w["portal_code"],
                                 level=w["level"], report_id=w["report_id"])
                counts["reports"] += 1
            except NotAReport as e:
                new.set_document_status(sha, "not_a_report", f"{e.kind}: {e}")
                counts["not_a_report"] += 1
            except (ExtractError, StoreError) as e:
                kind = getattr(e, "kind", "store")
                new.set_document_status(sha, "error", f"{kind}: {e}")
                counts["error"] += 1
        new.conn.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
        new.conn.execute("ANALYZE")
        new.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        new.close()
        for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
        raise
    finally:
        if own is not None:
            own.close()
    new.close()  # last connection: SQLite checkpoints and removes tmp-wal
    os.replace(tmp, db)
    if os.path.exists(tmp + "-shm"):
        os.remove(tmp + "-shm")
    export_summary_csv(db)  # the full report_summary download, for the new archive
    return counts


def main(argv: list[str] | None = None) -> int:
    """CLI entry (dispatched by ``python -m extract rebuild``)."""
    ap = argparse.ArgumentParser(
        prog="python -m extract rebuild",
        description="Re-extract every archived raw document into a fresh archive.db "
        "(built beside the old one, swapped in atomically when done).",
    )
    ap.add_argument("--archive-dir", default=os.environ.get("ARCHIVE_DIR", DEFAULT_ARCHIVE_DIR),
                    help="the raw store: ARCHIVE_DIR/<sha256[:2]>/<sha256> (default: %(default)s)")
    ap.add_argument("--db", default="archive.db", help="the archive database (default: %(default)s)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if not Path(args.archive_dir).is_dir():
        print(f"rebuild: no raw store at {args.archive_dir}", file=sys.stderr)
        return 2
    if not Path(args.db).is_file():
        print(f"rebuild: no archive at {args.db} (the documents to re-extract and their provenance "
              "come from it)", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    try:
        counts = rebuild(args.db, args.archive_dir, progress=not args.quiet)
    except (StoreError, sqlite3.Error) as e:
        print(f"rebuild: {args.db}: {e}", file=sys.stderr)
        return 2
    print(f"rebuilt {args.db} in {time.monotonic() - t0:.1f} s: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0
