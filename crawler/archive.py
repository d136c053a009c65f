"""The crawl's side of the archive: raw store, WARC files, validators and the known-URL map.

All database writes go through :class:`extract.store.Archive` (one schema, shared).  This
module adds what only the crawler needs:

* the content-addressed raw store (``raw_path(ARCHIVE_DIR, sha256)``), written atomically,
  once per sha256 however many URLs serve the bytes;
* WARC files (warcio) of request/response records, one file per crawl process under
  ``ARCHIVE_DIR/warc/``;
* the map of URLs already archived (from the fetch log and ``documents.urls``), read once
  when the crawl opens, so articles and attachments are never fetched twice;
* the validators (ETag / Last-Modified) of listing pages for conditional GETs, appended to
  ``ARCHIVE_DIR/validators.jsonl``;
* :class:`Writer`, the one thread that makes fetched items durable in arrival order — raw
  file, then WARC records, then database rows — many items per SQLite transaction, so the
  reactor thread never waits on a disk or a commit.

:class:`ArchiveExtension` opens one :class:`CrawlArchive` per crawl (``crawler.nianbao``),
records the registry and the crawl row, and closes it with the crawl's counts.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import sqlite3
import tempfile
import threading
from io import BytesIO
from pathlib import Path
from typing import Any, Callable, TypeVar

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from extract.store import Archive, StoreError, export_summary_csv, now_iso, raw_path

from . import registry

log = logging.getLogger(__name__)


RETRY_ERRORS = ("extractor bug",)  # document errors worth another extraction on the next crawl
T = TypeVar("T")


class Writer:
    """The crawl's writing thread: jobs run in submission order on its own database
    connection, as many as are waiting (up to ``max_batch``) inside one transaction, each in
    a savepoint of it so one refused write fails only its own job.

    :meth:`submit` returns a Deferred that fires (in the reactor thread) with the job's
    result once the batch is committed — an item is done only when it is durable.  A job
    does its file writes before its rows, so a process killed mid-batch leaves files without
    rows, never rows without files; the rerun fetches those URLs again.
    """

    def __init__(self, db_path: str | os.PathLike, *, max_batch: int = 256, max_queue: int = 2048):
        from twisted.internet import reactor

        self._reactor = reactor
        self._db_path = db_path
        self.max_batch = max_batch
        self._q: queue.Queue = queue.Queue(maxsize=max_queue)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="nianbao-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def submit(self, job: Callable[[Archive], T]) -> "Deferred[T]":
        d: Deferred = Deferred()
        self._q.put((job, d))
        return d

    def close(self) -> None:
        """Finish every submitted job, then stop the thread."""
        if self._thread.is_alive():
            self._q.put(None)
            self._thread.join()

    def _run(self) -> None:
        try:
            db = Archive(self._db_path)
        except BaseException as e:  # reported by __init__
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        stop = False
        try:
            while not stop:
                first = self._q.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < self.max_batch:
                    try:
                        nxt = self._q.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    batch.append(nxt)
                self._reply(self._run_batch(db, batch))
        finally:
            db.close()

    @staticmethod
    def _run_batch(db: Archive, batch: list) -> list[tuple[Deferred, bool, Any]]:
        results: list[tuple[Deferred, bool, Any]] = []
        try:
            with db.transaction():
                for job, d in batch:
                    try:
                        with db.transaction():  # a savepoint
                            results.append((d, True, job(db)))
                    except Exception:
                        results.append((d, False, Failure()))
        except Exception:  # the commit itself failed: no job of the batch is durable
            f = Failure()
            results = [(d, False, f) for _, d in batch]
        return results

    def _reply(self, results: list[tuple[Deferred, bool, Any]]) -> None:
        def fire() -> None:
            for d, ok, value in results:
                d.callback(value) if ok else d.errback(value)
        self._reactor.callFromThread(fire)



class CrawlArchive:
    """Archive database + raw store + WARC writer + known URLs for one crawl process."""

    def __init__(self, db_path: str | os.PathLike, archive_dir: str | os.PathLike, *, warc: bool = True):
        self.db = Archive(db_path)
        self.db_path = db_path
        self._writer: Writer | None = None
        self.dir = Path(archive_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.crawl_id: int | None = None
        self.known: dict[str, str] = {}  # url → sha256 of what it served
        self.final_urls: dict[str, str] = {}  # url → the URL it redirected to, when it did
        self.doc_status: dict[str, str] = {}  # sha256 → documents.status
        self.doc_errors: dict[str, str | None] = {}  # sha256 → documents.error
        self.validators: dict[str, dict[str, str]] = {}  # url → {etag, last_modified, sha256}
        self.with_attachments: set[str] = set()  # article URLs whose page links attachments
        self._raw_dirs: set[Path] = set()  # fan-out directories of the raw store known to exist
        self.extract_enabled = True  # NIANBAO_EXTRACT: replay pending documents to extract them
        self._warc_file = None
        self._warc = None
        self._warc_lock = threading.Lock()
        self._want_warc = warc
        self._load_known()
        self._load_validators()
        self._load_attachment_notes()

    # -- reading what is archived ------------------------------------------------------

    def _load_known(self) -> None:
        c = self.db.conn
        for sha, status, error, urls in c.execute("SELECT sha256, status, error, urls FROM documents"):
            self.doc_errors[sha] = error
            # a document the extractor crashed on (not a clean ExtractError) is retried
            self.doc_status[sha] = "pending" if status == "error" and (error or "").startswith(RETRY_ERRORS) else status
            for u in json.loads(urls or "[]"):
                self.known[u] = sha
        for url, final, sha in c.execute(
            "SELECT url, final_url, sha256 FROM fetch_log WHERE sha256 IS NOT NULL "
            "AND outcome IN ('new', 'unchanged') ORDER BY id"
        ):
            self.known[url] = sha
            if final:
                self.known[final] = sha
                if final != url:
                    self.final_urls[url] = final

    def lookup(self, url: str) -> str | None:
        """The sha256 of what ``url`` served when it was archived, if its bytes are in the raw store."""
        sha = self.known.get(url)
        if sha and raw_path(self.dir, sha).exists():
            return sha
        return None

    def read_raw(self, sha256: str) -> bytes:
        return raw_path(self.dir, sha256).read_bytes()

    # -- writing raw bytes --------------------------------------------------------------

    def put_raw(self, body: bytes) -> tuple[str, bool]:
        """Store ``body`` once by its sha256; returns (sha256, was_new)."""
        sha = hashlib.sha256(body).hexdigest()
        path = raw_path(self.dir, sha)
        if path.exists():
            return sha, False
        if path.parent not in self._raw_dirs:  # 256 fan-out directories: one mkdir each per crawl
            path.parent.mkdir(parents=True, exist_ok=True)
            self._raw_dirs.add(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.replace(tmp, path)  # atomic: a killed crawl leaves the file whole or absent
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha, True

    def write(self, job: Callable[[Archive], T]) -> "Deferred[T]":
        """Run ``job(db)`` on the writer thread (see :class:`Writer`); fires with its result."""
        if self._writer is None:
            self._writer = Writer(self.db_path)
        return self._writer.submit(job)

    def remember(self, url: str, final_url: str | None, sha256: str) -> None:
        self.known[url] = sha256
        if final_url:
            self.known[final_url] = sha256
            if final_url != url:
                self.final_urls[url] = final_url

    # -- WARC -----------------------------------------------------------------------------

    def write_warc(self, *, url: str, method: str, status: int, protocol: str | None,
                   request_headers: list[tuple[bytes, bytes]], headers: list[tuple[bytes, bytes]],
                   body: bytes, body_request: bytes | None = None) -> None:
        """Append a request and a response record (each its own gzip member, so a killed
        crawl leaves every earlier record readable)."""
        if not self._want_warc:
            return
        from http.client import responses

        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        with self._warc_lock:
            if self._warc is None:
                wdir = self.dir / "warc"
                wdir.mkdir(exist_ok=True)
                name = f"nianbao-{self.crawl_id or 0:05d}-{now_iso().replace(':', '')}-{os.getpid()}.warc.gz"
                self._warc_file = open(wdir / name, "ab")
                self._warc = WARCWriter(self._warc_file, gzip=True)
            w = self._warc
            # the bytes as fetched: no Content-Encoding/Transfer-Encoding left to undo
            hdrs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers
                    if k.lower() not in (b"content-encoding", b"transfer-encoding", b"content-length")]
            proto = "HTTP/1.1" if not protocol or protocol.startswith("HTTP/1") else protocol.upper()
            resp_sh = StatusAndHeaders(f"{status} {responses.get(status, '')}".strip(), hdrs,
                                       protocol=proto)
            resp = w.create_warc_record(url, "response", payload=BytesIO(body), http_headers=resp_sh)
            path = url.split("://", 1)[-1]
            path = "/" + path.split("/", 1)[1] if "/" in path else "/"
            req_sh = StatusAndHeaders(f"{method} {path} HTTP/1.1",
                                      [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request_headers],
                                      is_http_request=True)
            req = w.create_warc_record(url, "request", payload=BytesIO(body_request or b""),
                                       http_headers=req_sh)
            req.rec_headers.add_header("WARC-Concurrent-To", resp.rec_headers.get_header("WARC-Record-ID"))
            w.write_record(resp)
            w.write_record(req)
            self._warc_file.flush()

    # -- validators for conditional GET --------------------------------------------------

    @property
    def _validators_path(self) -> Path:
        return self.dir / "validators.jsonl"

    def _load_validators(self) -> None:
        try:
            lines = self._validators_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                v = json.loads(line)
                self.validators[v.pop("url")] = v
            except (ValueError, KeyError):
                continue  # a line cut short by a killed crawl

    def set_validators(self, url: str, *, etag: str | None, last_modified: str | None, sha256: str,
                       content_type: str | None = None) -> None:
        v = {"etag": etag, "last_modified": last_modified, "sha256": sha256, "content_type": content_type}
        if self.validators.get(url) == v:
            return
        self.validators[url] = v
        with self._validators_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"url": url, **v}, ensure_ascii=False) + "\n")

    # -- articles that link attachments ----------------------------------------------------

    @property
    def _attachments_path(self) -> Path:
        return self.dir / "articles-with-attachments.txt"

    def _load_attachment_notes(self) -> None:
        try:
            self.with_attachments = set(self._attachments_path.read_text(encoding="utf-8").split())
        except FileNotFoundError:
            pass

    def note_attachments(self, *urls: str | None) -> None:
        """Remember that these article URLs link attachments (written before the article counts
        as archived, so a rerun always revisits its attachments)."""
        new = [u for u in urls if u and u not in self.with_attachments]
        if new:
            self.with_attachments.update(new)
            with self._attachments_path.open("a", encoding="utf-8") as fh:
                fh.write("".join(u + "\n" for u in new))

    def needs_visit(self, url: str, sha256: str) -> bool:
        """Must an archived document be replayed from the raw store?  Yes when its extraction
        never finished, or when it is an article whose attachments the spider must see."""
        pending = self.extract_enabled and self.doc_status.get(sha256) == "pending"
        return pending or url in self.with_attachments

    # -- lifecycle ----------------------------------------------------------------------

    def register_portals(self, portals_csv: str | None, portals: list[registry.Portal]) -> None:
        """Put the crawl's registry into archive.db: the default registry first (so parents
        exist), then the rows actually crawled."""
        rows: dict[str, dict[str, Any]] = {}
        if portals_csv:
            for p in registry.load_portals(registry.DEFAULT_PATH):
                rows[p.code] = _portal_row(p)
        for p in portals:
            rows[p.code] = _portal_row(p)
        known = {r[0] for r in self.db.conn.execute("SELECT code FROM portals")}
        for r in rows.values():
            if r["parent_code"] and r["parent_code"] not in rows and r["parent_code"] not in known:
                log.warning("portal %s: parent %s is not in the registry; parent dropped", r["code"], r["parent_code"])
                r["parent_code"] = ""
        self.db.upsert_portals(rows.values())

    def close(self, **counts: Any) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self.crawl_id is not None:
            try:
                self.db.finish_crawl(self.crawl_id, **counts)
            except StoreError as e:  # pragma: no cover - defensive
                log.error("finish_crawl failed: %s", e)
        with self._warc_lock:
            if self._warc_file is not None:
                self._warc_file.close()
                self._warc_file = self._warc = None
        self.db.close()
        try:  # the full report_summary download beside the archive (skipped when already current)
            export_summary_csv(self.db_path)
        except (OSError, sqlite3.Error, StoreError) as e:
            log.error("report_summary CSV not written: %s", e)


def _portal_row(p: registry.Portal) -> dict[str, Any]:
    return {"code": p.code, "name": p.name or p.code, "level": p.level, "parent_code": p.parent_code,
            "homepage": p.homepage, "annual_report_url": p.annual_report_url, "cms": p.cms}


COUNTERS = ("fetched", "new", "unchanged", "archived", "errors", "blocked", "reports", "not_reports",
            "extract_errors")


class ArchiveExtension:
    """Opens the crawl's :class:`CrawlArchive` (as ``crawler.nianbao``) and closes it with counts."""

    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        if not s.get("ARCHIVE_DB"):
            raise NotConfigured("ARCHIVE_DB is not set")
        crawler.nianbao = CrawlArchive(s.get("ARCHIVE_DB"), s.get("ARCHIVE_DIR"), warc=s.getbool("NIANBAO_WARC"))
        crawler.nianbao.extract_enabled = s.getbool("NIANBAO_EXTRACT", True)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        arch: CrawlArchive = self.crawler.nianbao
        arch.register_portals(getattr(spider, "portals_csv", None), getattr(spider, "portals", []))
        arch.crawl_id = arch.db.start_crawl(
            spider=spider.name, portals=len(getattr(spider, "portals", [])),
            registry=str(getattr(spider, "portals_csv", None) or registry.DEFAULT_PATH),
            region=getattr(spider, "region", None) or "", since=getattr(spider, "since", None) or 0,
            pid=os.getpid())

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        counts = {k: stats.get_value(f"nianbao/{k}", 0) for k in COUNTERS}
        self.crawler.nianbao.close(reason=reason, **counts)
        log.info("nianbao crawl finished (%s): %s", reason,
                 ", ".join(f"{k}={v}" for k, v in counts.items()))
