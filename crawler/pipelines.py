"""The spine: raw store → extract → archive.db.

1. :class:`RawStorePipeline` — keeps the bytes (content-addressed, once), writes the WARC
   records and the fetch-log line, and records report candidates as documents
   (``pending`` until extraction ends, so a killed crawl leaves nothing half-done).
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
from urllib.parse import unquote, urlsplit

from scrapy.utils.defer import deferred_to_future
from twisted.internet.defer import DeferredSemaphore
from twisted.internet.threads import deferToThread

from extract.store import now_iso

from .items import Fetched
from crawler.component import CrawlerComponent
from extract.isolate import IsolatedExtractor

log = logging.getLogger(__name__)

_FORMATS = {".pdf": "pdf", ".doc": "doc", ".docx": "docx", ".wps": "doc", ".xls": "xls", ".xlsx": "xlsx",
            ".jpg": "image", ".jpeg": "image", ".png": "image", ".gif": "image", ".txt": "text"}


def filename_of(url: str) -> str:
    """The file name part of a URL (percent-decoded), '' for a directory."""
    return unquote(PurePosixPath(urlsplit(url).path).name)


def format_of(url: str, content_type: str | None) -> str:
    """A format guess for the documents table (the extractor sniffs the bytes itself)."""
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
    def process_item(self, item: Fetched) -> Fetched:
        arch = self.arch
        common = dict(final_url=item.final_url, fetched_at=item.fetched_at or now_iso(),
                      referrer=item.referrer, portal_code=item.portal_code, crawl_id=arch.crawl_id)
        if item.archived:
            sha = item.sha256
            status = arch.doc_status.get(sha)
            item.needs_extract = item.extract and status == "pending"
            return item
        self.inc("fetched")
        if item.blocked:
            item.outcome = "blocked"
            self.inc("blocked")
            arch.db.log_fetch(item.url, status=item.status, content_type=item.content_type,
                              size=len(item.body or b""), outcome="blocked", **common)
            return item
        if item.error or item.body is None:
            item.outcome = f"error: {item.error or 'no body'}"
            self.inc("errors")
            arch.db.log_fetch(item.url, status=item.status, content_type=item.content_type,
                              size=len(item.body) if item.body is not None else None, outcome=item.outcome,
                              **common)
            return item
        body = item.body
        sha, new = arch.put_raw(body)
        if item.has_attachments:
            arch.note_attachments(item.url, item.final_url)
        item.sha256 = sha
        if not item.revalidated:
            arch.write_warc(url=item.final_url or item.url, method=item.method, status=item.status or 200,
                            protocol=item.protocol, request_headers=item.request_headers,
                            headers=item.headers, body=body, body_request=item.request_body)
        if item.extract:
            status = arch.doc_status.get(sha)
            arch.db.record_document(sha, url=item.final_url or item.url,
                                    format=format_of(item.final_url or item.url, item.content_type),
                                    size=len(body), fetched_at=common["fetched_at"],
                                    content_type=item.content_type, status=status or "pending",
                                    error=arch.doc_errors.get(sha),
                                    portal_code=item.portal_code, referrer=item.referrer)
            if status is None:
                arch.doc_status[sha] = "pending"
            item.needs_extract = arch.doc_status[sha] == "pending"
        item.outcome = "new" if new else "unchanged"
        self.inc(item.outcome)
        arch.db.log_fetch(item.url, status=304 if item.revalidated else item.status,
                          content_type=item.content_type, size=len(body), sha256=sha,
                          outcome=item.outcome, **common)
        arch.remember(item.url, item.final_url, sha)
        if item.kind in ("nav", "listing") and item.validators:
            v = item.validators
            arch.set_validators(item.url, etag=v.get("etag"), last_modified=v.get("last_modified"), sha256=sha,
                                content_type=item.content_type)
        return item


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
    def process_item(self, item: Fetched) -> Fetched:
        if not item.extract_status or not item.sha256:
            return item
        arch = self.arch
        url = item.final_url or item.url
        if item.record is not None:
            try:
                arch.db.store_report(item.record, document_sha256=item.sha256, url=url,
                                     portal_code=item.portal_code)
            except Exception as e:  # StoreError on a record the store refuses: keep it visible
                log.error("store_report refused %s: %s", url, e)
                arch.db.set_document_status(item.sha256, "error", f"store: {e}")
                arch.doc_status[item.sha256] = "error"
                arch.doc_errors[item.sha256] = f"store: {e}"
                self.inc("extract_errors")
                return item
            arch.doc_status[item.sha256] = "ok"
            arch.doc_errors[item.sha256] = None
            self.inc("reports")
            log.info("report: %s (%s) %s", item.record.get("title"), item.record.get("year"), url)
        else:
            arch.db.set_document_status(item.sha256, item.extract_status, item.extract_error)
            arch.doc_status[item.sha256] = item.extract_status
            arch.doc_errors[item.sha256] = item.extract_error
            self.inc("not_reports" if item.extract_status == "not_a_report" else "extract_errors")
            log.info("not stored (%s: %s): %s", item.extract_status, item.extract_error, url)
        return item
