"""The spine: raw store → extract → archive.db.

1. :class:`RawStorePipeline` — keeps the bytes (content-addressed, once), writes the WARC
   records and the fetch-log line, and records report candidates as documents
   (``pending`` until extraction ends, so a killed crawl leaves nothing half-done).  Every
   write goes through the crawl's writer thread (:class:`crawler.archive.Writer`), many
   items per transaction; the pipelines await it.
2. :class:`ExtractPipeline` — runs :func:`extract.api.extract_bytes` on each new report
   candidate, with the portal's region code, in a time- and memory-limited worker process
   (:mod:`extract.isolate`), one per extraction slot.
3. :class:`StorePipeline` — stores the record (``Archive.store_report``) or the document's
   outcome (``not_a_report`` / ``error``).
"""
from __future__ import annotations

import logging
import queue
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from scrapy.utils.defer import deferred_to_future
from twisted.internet.defer import DeferredSemaphore
from twisted.internet.threads import deferToThread

from extract.store import now_iso
from extract.urls import filename_of

from .items import Fetched
from crawler.component import CrawlerComponent
from extract.isolate import IsolatedExtractor

log = logging.getLogger(__name__)

_FORMATS = {".pdf": "pdf", ".doc": "doc", ".docx": "docx", ".wps": "doc", ".xls": "xls", ".xlsx": "xlsx",
            ".jpg": "image", ".jpeg": "image", ".png": "image", ".gif": "image", ".tif": "image", ".tiff": "image",
            ".bmp": "image", ".txt": "text"}


def format_of(url: str, content_type: str | None, body: bytes = b"") -> str:
    """A format guess for the documents table (the extractor sniffs the bytes itself); a body
    that starts like a PDF is one, whatever the URL or the Content-Type say."""
    if body[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    if suffix in _FORMATS:
        return _FORMATS[suffix]
    ct = (content_type or "").lower()
    for key, fmt in (("pdf", "pdf"), ("wordprocessingml", "docx"), ("msword", "doc"), ("html", "html")):
        if key in ct:
            return fmt
    return "html"


class _Base(CrawlerComponent):
    @property
    def arch(self):
        return self.crawler.nianbao

    def inc(self, key: str, n: int = 1) -> None:
        self.stats.inc_value(f"nianbao/{key}", n)


class RawStorePipeline(_Base):
    """Keeps what was fetched: raw bytes, WARC records, the fetch-log line and, for report
    candidates, the ``documents`` row — all on the writer thread (:class:`crawler.archive.Writer`),
    awaited, so the item goes on only once it is durable."""

    async def process_item(self, item: Fetched) -> Fetched:
        arch = self.arch
        if item.archived:
            item.needs_extract = item.extract and arch.doc_status.get(item.sha256) == "pending"
            return item
        self.inc("fetched")
        if item.blocked or item.error or item.body is None:
            item.outcome = "blocked" if item.blocked else f"error: {item.error or 'no body'}"
            self.inc("blocked" if item.blocked else "errors")
            await deferred_to_future(arch.write(lambda db: self._log_failure(db, item)))
            return item
        if item.has_attachments:  # before the article's log line: a rerun revisits its attachments
            arch.note_attachments(item.url, item.final_url)
        sha, new = await deferred_to_future(arch.write(lambda db: self._persist(db, item)))
        item.sha256 = sha
        item.outcome = "new" if new else "unchanged"
        self.inc(item.outcome)
        arch.remember(item.url, item.final_url, sha)
        if item.kind in ("nav", "listing") and item.validators:
            v = item.validators
            arch.set_validators(item.url, etag=v.get("etag"), last_modified=v.get("last_modified"), sha256=sha,
                                content_type=item.content_type)
        return item

    def _common(self, item: Fetched) -> dict:
        return dict(final_url=item.final_url, fetched_at=item.fetched_at or now_iso(), referrer=item.referrer,
                    portal_code=item.portal_code, crawl_id=self.arch.crawl_id)

    def _log_failure(self, db, item: Fetched) -> None:
        """(writer thread) An error answer or a WAF challenge: its WARC records, if it had a body,
        and the fetch-log line."""
        if item.body and item.status:
            self._warc(item)
        db.log_fetch(item.url, status=item.status, content_type=item.content_type,
                     size=len(item.body) if item.body is not None else None, outcome=item.outcome,
                     **self._common(item))

    def _warc(self, item: Fetched) -> None:
        self.arch.write_warc(url=item.final_url or item.url, method=item.method, status=item.status or 200,
                             protocol=item.protocol, request_headers=item.request_headers, headers=item.headers,
                             body=item.body, body_request=item.request_body)

    def _persist(self, db, item: Fetched) -> tuple[str, bool]:
        """(writer thread) Raw bytes → WARC → rows; returns (sha256, whether the bytes were new)."""
        arch, body = self.arch, item.body
        common = self._common(item)
        sha, new = arch.put_raw(body)
        if not item.revalidated:
            self._warc(item)
        if item.extract:
            status = arch.doc_status.get(sha)
            db.record_document(sha, url=item.final_url or item.url,
                               format=format_of(item.final_url or item.url, item.content_type, body),
                               size=len(body), fetched_at=common["fetched_at"], content_type=item.content_type,
                               status=status or "pending", error=arch.doc_errors.get(sha),
                               portal_code=item.portal_code, referrer=item.referrer)
            if status is None:
                arch.doc_status[sha] = "pending"
            item.needs_extract = arch.doc_status[sha] == "pending"
        db.log_fetch(item.url, status=304 if item.revalidated else item.status, content_type=item.content_type,
                     size=len(body), sha256=sha, outcome="new" if new else "unchanged", **common)
        return sha, new


class ExtractPipeline(_Base):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.enabled = crawler.settings.getbool("NIANBAO_EXTRACT", True)
        # extraction is CPU-bound (pdfplumber, LibreOffice for .doc): a few at a time, off the reactor
        threads = max(1, crawler.settings.getint("NIANBAO_EXTRACT_THREADS", 2))
        self.slots = DeferredSemaphore(threads)
        # each slot drives its own worker process with a time and a memory limit, so a hostile
        # document becomes an error on its own row instead of a hung or bloated crawl
        self.workers: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(threads):
            self.workers.put(IsolatedExtractor(
                timeout=crawler.settings.getfloat("NIANBAO_EXTRACT_TIMEOUT", 120.0),
                memory_mb=crawler.settings.getint("NIANBAO_EXTRACT_MEMORY_MB", 2048)))

    def close_spider(self, spider=None) -> None:
        while not self.workers.empty():
            self.workers.get().close()

    async def process_item(self, item: Fetched) -> Fetched:
        if not (self.enabled and item.needs_extract and item.sha256):
            return item
        return await deferred_to_future(self.slots.run(deferToThread, self._extract, item))

    def _extract(self, item: Fetched) -> Fetched:
        from extract.errors import ExtractError, NotAReport

        url = item.final_url or item.url
        body = item.body if item.body is not None else self.arch.read_raw(item.sha256)
        worker = self.workers.get()
        try:
            item.record = worker.extract(body, filename=filename_of(url) or None, url=url,
                                         region_code=item.region_code)
            item.extract_status = "ok"
        except NotAReport as e:
            item.extract_status, item.extract_error = "not_a_report", str(e)
        except ExtractError as e:
            item.extract_status, item.extract_error = "error", f"{e.kind}: {e}"
        except Exception as e:  # the extractor's contract is ExtractError only: keep the crawl going
            log.exception("extractor failed on %s", url)
            item.extract_status, item.extract_error = "error", f"extractor bug: {type(e).__name__}: {e}"
        finally:
            self.workers.put(worker)
        return item


class StorePipeline(_Base):
    """Stores the record (``Archive.store_report``) or the document's outcome, on the writer thread."""

    async def process_item(self, item: Fetched) -> Fetched:
        if not item.extract_status or not item.sha256:
            return item
        arch = self.arch
        url = item.final_url or item.url
        if item.record is not None:
            refused = await deferred_to_future(arch.write(lambda db: self._store(db, item, url)))
            if refused:
                log.error("store_report refused %s: %s", url, refused)
                arch.doc_status[item.sha256], arch.doc_errors[item.sha256] = "error", f"store: {refused}"
                self.inc("extract_errors")
                return item
            arch.doc_status[item.sha256], arch.doc_errors[item.sha256] = "ok", None
            self.inc("reports")
            log.info("report: %s (%s) %s", item.record.get("title"), item.record.get("year"), url)
        else:
            await deferred_to_future(arch.write(
                lambda db: db.set_document_status(item.sha256, item.extract_status, item.extract_error)))
            arch.doc_status[item.sha256] = item.extract_status
            arch.doc_errors[item.sha256] = item.extract_error
            self.inc("not_reports" if item.extract_status == "not_a_report" else "extract_errors")
            log.info("not stored (%s: %s): %s", item.extract_status, item.extract_error, url)
        return item

    @staticmethod
    def _store(db, item: Fetched, url: str) -> str | None:
        """(writer thread) Store the record; a refusal (StoreError) is kept on the document row
        and returned as text."""
        try:
            with db.transaction():
                db.store_report(item.record, document_sha256=item.sha256, url=url, portal_code=item.portal_code)
            return None
        except Exception as e:  # StoreError on a record the store refuses: keep it visible
            db.set_document_status(item.sha256, "error", f"store: {e}")
            return str(e) or type(e).__name__
