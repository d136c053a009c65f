"""Merge crawl shards (several machines' or processes' archives) into one archive.

    python -m crawler.merge OUT.db IN1.db[=RAW1] IN2.db[=RAW2] ... [--raw OUT_RAW]

Each input is an archive DB and its raw store (default: ``data/raw`` beside the DB); the
output's raw store defaults to ``data/raw`` beside OUT.db.  Documents are unioned by
sha256: raw files are copied (hard-linked when possible) once, ``documents`` rows merged
by :meth:`Archive.record_document` (the URLs a file was seen at accumulate), the registry
upserted, and every shard's ``crawls`` / ``fetch_log`` / ``crawl_portals`` rows appended
with new crawl ids (the shard's path kept in ``crawls.merged_from``).  Then the reports
are re-extracted from the merged raw store by ``python -m extract rebuild``'s
:func:`extract.rebuild.rebuild`, so the output is exactly what one crawl of the union
would have stored.  OUT.db may already exist: merging into it adds to the union, and a
shard's crawl merged before is not added twice.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

from extract.rebuild import rebuild
from extract.store import Archive, raw_path

_FETCH_COLS = ("url", "final_url", "status", "fetched_at", "content_type", "size", "sha256", "referrer",
               "portal_code", "outcome")


def _shard(spec: str) -> tuple[Path, Path]:
    db, _, raw = spec.partition("=")
    dbp = Path(db)
    if not dbp.is_file():
        raise SystemExit(f"merge: no archive {dbp}")
    rawp = Path(raw) if raw else dbp.parent / "data" / "raw"
    if not rawp.is_dir():
        raise SystemExit(f"merge: no raw store {rawp} for {dbp} (give it as {dbp}=RAW)")
    return dbp, rawp


def _copy_raw(src: Path, dest: Path, sha: str) -> bool:
    s, d = raw_path(src, sha), raw_path(dest, sha)
    if d.exists() or not s.exists():
        return s.exists()
    d.parent.mkdir(parents=True, exist_ok=True)
    tmp = d.with_name(d.name + f".{os.getpid()}.tmp")
    try:
        os.link(s, tmp)
    except OSError:
        shutil.copyfile(s, tmp)
    os.replace(tmp, d)
    return True


def merge(out: str | os.PathLike, shards: list[tuple[Path, Path]], out_raw: str | os.PathLike, *,
          progress: bool = False) -> dict[str, int]:
    """Union the shards into ``out`` (see the module docstring); returns the rebuild's counts."""
    out_raw = Path(out_raw)
    out_raw.mkdir(parents=True, exist_ok=True)
    with Archive(out) as dest:
        for db, raw in shards:
            src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            src.row_factory = sqlite3.Row
            try:
                dest.upsert_portals([dict(r) for r in src.execute(
                    "SELECT code, name, level, parent_code, homepage, annual_report_url, cms FROM portals")])
                docs = []
                for r in src.execute("SELECT * FROM documents"):
                    d = dict(r)
                    urls = json.loads(d.pop("urls") or "[]")
                    if not _copy_raw(raw, out_raw, d["sha256"]):
                        continue  # bytes missing in the shard: nothing to merge
                    for u in urls or [d["url"]]:
                        docs.append({**{k: d[k] for k in ("sha256", "format", "size", "fetched_at", "content_type",
                                                          "portal_code", "referrer")},
                                     "url": u, "status": "pending"})
                dest.record_documents(docs)
                for sha, in src.execute("SELECT DISTINCT sha256 FROM fetch_log WHERE sha256 IS NOT NULL"):
                    _copy_raw(raw, out_raw, sha)  # listing pages too: the raw store is the union
                cols = {r[1] for r in dest.conn.execute("PRAGMA table_info(crawls)")}
                done = {r[0] for r in dest.conn.execute("SELECT merged_from FROM crawls")} \
                    if "merged_from" in cols else set()
                for c in src.execute("SELECT * FROM crawls ORDER BY id").fetchall():
                    origin = f"{db.resolve()}#{c['id']}"
                    if origin in done:
                        continue  # this shard's crawl was merged before: its rows are here already
                    meta = {k: c[k] for k in c.keys() if k not in ("id", "merged_from") and c[k] is not None}
                    cid = dest.start_crawl(**meta, merged_from=origin)
                    rows = src.execute(f"SELECT {', '.join(_FETCH_COLS)} FROM fetch_log WHERE crawl_id = ? "
                                       "ORDER BY id", (c["id"],)).fetchall()
                    with dest.transaction() as t:
                        t.executemany(f"INSERT INTO fetch_log(crawl_id, {', '.join(_FETCH_COLS)}) "
                                      f"VALUES (?, {', '.join('?' * len(_FETCH_COLS))})",
                                      [(cid, *tuple(r)) for r in rows])
                    have = {r[1] for r in src.execute("PRAGMA table_info(crawl_portals)")}
                    if have:
                        dest.record_crawl_portals(cid, [dict(r) for r in src.execute(
                            "SELECT portal_code, new_reports, new, unchanged, errors, blocked FROM crawl_portals "
                            "WHERE crawl_id = ?", (c["id"],))])
            finally:
                src.close()
    return rebuild(out, out_raw, progress=progress)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.merge", description=__doc__.splitlines()[0])
    ap.add_argument("out", help="the merged archive DB (created, or merged into)")
    ap.add_argument("shards", nargs="+", metavar="IN.db[=RAW]", help="shard archives (and their raw stores)")
    ap.add_argument("--raw", default=None, help="the merged raw store (default: data/raw beside OUT)")
    a = ap.parse_args(argv)
    out = Path(a.out)
    shards = [_shard(s) for s in a.shards]
    if any(db.resolve() == out.resolve() for db, _ in shards):
        raise SystemExit("merge: OUT must not be one of the inputs")
    counts = merge(out, shards, a.raw or out.parent / "data" / "raw", progress=True)
    print(f"merge: {len(shards)} shards → {out}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
