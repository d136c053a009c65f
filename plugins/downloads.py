"""Datasette plugin: the full CSV of ``report_summary`` as a prebuilt file.

    /-/downloads/<database>/report_summary.csv      the CSV, UTF-8 with BOM (Excel on Chinese Windows)
    /-/downloads/<database>/report_summary.csv.gz   the same, gzip-compressed

Datasette streams a table's CSV at about 40 µs a row in Python: 100,000 summary rows take
4–10 s on 2 cores.  ``extract.store.export_summary_csv`` writes the file beside the
database after a crawl or a rebuild (and ``make serve`` before serving); this route sends
it in 1 MiB chunks (``Content-Length``, an ``ETag`` from its sha256, ``304`` on
``If-None-Match``; gzip transfer when the client accepts it).

The file is served only while its manifest's ``derived_version`` is the database's current
one (``archive_state``; every write to ``report_summary`` changes it).  Otherwise — no file
yet, or the archive changed since — the route redirects to Datasette's own stream
(``/<database>/report_summary.csv?_stream=on&_dl=1``), which is slow but always current.
Filtered downloads stay Datasette's own CSV.
"""
from __future__ import annotations

import asyncio
import os

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from extract.store import derived_version, read_summary_manifest, summary_csv_paths

TABLE = "report_summary"
CHUNK = 1 << 20


def fallback_url(datasette, database: str) -> str:
    return datasette.urls.table(database, TABLE, format="csv") + "?_stream=on&_dl=1"


async def _prebuilt(db, gz: bool):
    """(open file, manifest) of the current prebuilt file, or None if there is none."""
    if not db.path or db.is_memory:
        return None
    path = summary_csv_paths(db.path)["gz" if gz else "csv"]
    try:
        f = open(path, "rb")
    except OSError:
        return None
    manifest = read_summary_manifest(db.path) or {}
    try:
        version = await db.execute_fn(derived_version)
    except Exception:  # noqa: BLE001 - any failure: fall back to Datasette's stream
        version = None
    size = os.fstat(f.fileno()).st_size
    if version is None or manifest.get("derived_version") != version \
            or size != manifest.get("gzip_bytes" if gz else "bytes"):
        f.close()
        return None
    return f, manifest


async def download(datasette, request, send):
    database, ext = request.url_vars["database"], request.url_vars["ext"]
    try:
        db = datasette.get_database(database)
    except KeyError:
        raise NotFound("Database not found")
    await datasette.ensure_permissions(
        request.actor, [("view-table", (database, TABLE)), ("view-database", database), "view-instance"])
    as_gz_file = ext == "csv.gz"
    gzip_transfer = not as_gz_file and "gzip" in request.headers.get("accept-encoding", "").lower()
    found = await _prebuilt(db, as_gz_file or gzip_transfer)
    if found is None and gzip_transfer:
        gzip_transfer = False
        found = await _prebuilt(db, False)
    if found is None:
        await Response.redirect(fallback_url(datasette, database)).asgi_send(send)
        return
    f, manifest = found
    try:
        etag = f'"{manifest["sha256"][:32]}{"-gz" if as_gz_file or gzip_transfer else ""}"'
        headers = {
            "content-disposition": f'attachment; filename="{TABLE}.{ext}"',
            "etag": etag,
            "cache-control": "no-cache",
            "vary": "Accept-Encoding",
            "x-report-summary-rows": str(manifest["rows"]),
        }
        wanted = [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]
        if etag in wanted or "*" in wanted:
            await Response("", status=304, headers=headers).asgi_send(send)
            return
        if gzip_transfer:
            headers["content-encoding"] = "gzip"
        headers["content-length"] = str(os.fstat(f.fileno()).st_size)
        headers["content-type"] = "application/gzip" if as_gz_file else "text/csv; charset=utf-8"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [[k.encode("latin-1"), v.encode("latin-1")] for k, v in headers.items()]})
        loop = asyncio.get_running_loop()
        while True:
            chunk = await loop.run_in_executor(None, f.read, CHUNK)
            more = len(chunk) == CHUNK
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if not more:
                break
    finally:
        f.close()


@hookimpl
def register_routes():
    return [(r"^/-/downloads/(?P<database>[^/]+)/" + TABLE + r"\.(?P<ext>csv|csv\.gz)$", download)]
