"""``scrapy crawl reports``: find every annual report on every portal of the registry.

Arguments: ``-a portals=CSV`` (another registry of the same columns), ``-a region=4103``
(code prefix), ``-a since=2021`` (covered years from).  The spider only discovers and
fetches; every response it handled goes to the pipelines as a :class:`~crawler.items.Fetched`.

Discovery per portal:

1. start at ``annual_report_url`` when known, else at the homepage, where the report
   column is found through the navigation (link texts like 政府信息公开年报 / 年度报告 /
   年报, through 政府信息公开 / 政务公开 hubs, at most ``NIANBAO_NAV_DEPTH`` levels);
2. on a listing page, the family's helper (:mod:`crawler.cms`) names the further list
   pages and the listed links; links whose text is a report title (:mod:`crawler.titles`)
   are report articles, links to sub-columns (2023年, 部门年报, 乡镇年报…) are listings;
3. on an article, attachments (PDF, DOC, DOCX, WPS, XLS/XLSX, images) are fetched; when the
   page's own text is only a pointer (见附件), the record comes from its documents (PDF,
   DOC…), or, when it links no document, from its images (a scanned report, read by OCR).
   Spreadsheets are archived, never extracted.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import scrapy
from scrapy.http import FormRequest, Request, Response, TextResponse
from twisted.python.failure import Failure

from extract.store import now_iso

from .. import cms, registry, titles
from ..cms.generic import anchors
from ..items import Fetched
from ..middlewares import Skipped

DOCUMENT_EXT = {".pdf", ".doc", ".docx", ".wps", ".txt", ".rtf"}  # documents the extractor reads as text
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".bmp"}  # scans: the extractor reads them by OCR
EXTRACTABLE_EXT = DOCUMENT_EXT | IMAGE_EXT
ATTACHMENT_EXT = EXTRACTABLE_EXT | {".xls", ".xlsx", ".et", ".ofd"}  # spreadsheets and OFD: archived only
_POINTER = re.compile(r"见附件|详见附件|请见附件|点击下载|附件[:：]")
_CONTENT_XPATHS = (
    "//div[contains(@class,'TRS_Editor')]", "//*[@id='zoom']", "//div[contains(@class,'hap_xq_content')]",
    "//div[contains(@class,'article-content')]", "//div[contains(@class,'content')]", "//article", "//body",
)
POINTER_PAGE_CHARS = 400  # a report page with less own text than this is a pointer to its attachments
HTTP_ERRORS = [400, 401, 403, 404, 410, 412, 429, 500, 502, 503, 504]


def _ext(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).suffix.lower()


def main_text(response: TextResponse) -> str:
    """The article's own text (content container without its links), whitespace removed."""
    root = response.selector.root
    for xp in _CONTENT_XPATHS:
        node = root.xpath(xp)
        if node:
            texts = node[0].xpath(".//text()[not(ancestor::a) and not(ancestor::script) and not(ancestor::style)]")
            return re.sub(r"\s+", "", "".join(str(t) for t in texts))
    return ""


# a cheap test that a page may link a file: a URL ending in a file extension (then maybe a
# query or fragment) and a closing quote, space or ">" — pages without one are not parsed at all
_MAYBE_FILE = re.compile(
    r"\.(?:" + "|".join(sorted(e[1:] for e in ATTACHMENT_EXT)) + r")(?:[?#][^\"'<>\s]*)?[\"'\s>]", re.I)


def attachment_links(response: TextResponse) -> list[cms.Link]:
    """Links to files (by extension) on an article page, in page order, each once."""
    if not _MAYBE_FILE.search(response.text):
        return []
    seen, out = set(), []
    for link in anchors(response):
        if _ext(link.url) in ATTACHMENT_EXT and link.url not in seen:
            seen.add(link.url)
            out.append(link)
    return out


class ReportsSpider(scrapy.Spider):
    name = "reports"
    handle_httpstatus_list = HTTP_ERRORS

    def __init__(self, portals: str | None = None, region: str | None = None, since: str | int | None = None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        if region is not None and not re.fullmatch(r"\d{1,6}", str(region)):
            raise ValueError(f"region must be a code prefix of digits, not {region!r}")
        if since is not None and not re.fullmatch(r"(19|20)\d{2}", str(since)):
            raise ValueError(f"since must be a year like 2021, not {since!r}")
        self.portals_csv = portals
        self.region = region
        self.since = int(since) if since is not None else None
        self.portals: list[registry.Portal] = registry.load_portals(portals, region=region)
        self.by_code = {p.code: p for p in self.portals}
        self.allowed_hosts = frozenset(d for p in self.portals for d in p.domains)
        self.blocked_portals: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.nav_depth = s.getint("NIANBAO_NAV_DEPTH", 2)
        return spider

    # -- start ------------------------------------------------------------------------------

    async def start(self):
        for p in self.portals:
            if p.annual_report_url:
                yield self._request(p.annual_report_url, p.code, "listing", self.parse_listing)
            elif p.homepage:
                yield self._request(p.homepage, p.code, "nav", self.parse_nav, depth=0)
            else:
                self.logger.info("portal %s %s: no homepage known, skipped", p.code, p.name)

    def _request(self, url: str, portal: str, kind: str, callback, *, referrer: str | None = None,
                 method: str = "GET", formdata=None, **meta) -> Request:
        meta = {"portal": portal, "kind": kind, "referrer": referrer, **meta}
        if formdata is not None:
            return FormRequest(url, formdata=list(formdata), callback=callback, errback=self.failed, meta=meta,
                               method=method)
        return Request(url, callback=callback, errback=self.failed, meta=meta, method=method)

    # -- responses → items ------------------------------------------------------------------

    def fetched(self, response: Response, **extra) -> Fetched:
        req = response.request
        meta = response.meta
        code = meta["portal"]
        urls = meta.get("redirect_urls") or []
        first = urls[0] if urls else response.url
        archived = "archived" in response.flags
        item = Fetched(
            url=first, final_url=response.url, portal_code=code, kind=meta["kind"], status=response.status,
            body=response.body, headers=list(_raw_headers(response.headers)),
            request_headers=list(_raw_headers(req.headers)) if req is not None else [],
            method=req.method if req is not None else "GET", protocol=response.protocol,
            request_body=req.body if req is not None else b"",
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1") or None,
            fetched_at=now_iso(), referrer=meta.get("referrer"), region_code=self._region_code(code),
            title=meta.get("title"), archived=archived, revalidated="revalidated" in response.flags,
            blocked=bool(meta.get("blocked")), validators=meta.get("validators"),
            sha256=meta.get("archived_sha256") if archived else None,
        )
        if response.status >= 400 and not item.blocked:
            item.error = f"HTTP {response.status}"
        for k, v in extra.items():
            setattr(item, k, v)
        return item

    def _region_code(self, code: str) -> str | None:
        return code if re.fullmatch(r"\d{6}", code) else None

    def failed(self, failure: Failure):
        """Download failures (DNS, refused, timeout, robots.txt) go to the fetch log."""
        req = failure.request
        if failure.check(Skipped):
            return
        reason = "forbidden by robots.txt" if str(failure.value).startswith("Forbidden by robots.txt") else \
            f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300]
        yield Fetched(url=req.url, portal_code=req.meta.get("portal", ""), kind=req.meta.get("kind", ""),
                      fetched_at=now_iso(), referrer=req.meta.get("referrer"), error=reason,
                      method=req.method)

    # -- navigation --------------------------------------------------------------------------

    def parse_nav(self, response: Response):
        """Homepage or hub: follow links to the report column, else hubs one level deeper."""
        item = self.fetched(response)
        yield item
        if item.error or item.blocked or not isinstance(response, TextResponse):
            return
        code, depth = response.meta["portal"], response.meta.get("depth", 0)
        links = anchors(response)
        columns = [l for l in links if titles.is_report_column(l.text)]
        for l in columns:
            yield self._request(l.url, code, "listing", self.parse_listing, referrer=response.url)
        yield from self._articles(response, links)
        if not columns and depth < self.nav_depth:
            for l in [l for l in links if titles.is_hub(l.text)][:6]:
                yield self._request(l.url, code, "nav", self.parse_nav, referrer=response.url, depth=depth + 1)

    # -- listings -----------------------------------------------------------------------------

    def parse_listing(self, response: Response):
        item = self.fetched(response)
        yield item
        if item.error or item.blocked or not isinstance(response, TextResponse):
            return
        code = response.meta["portal"]
        listing = cms.analyze(response)
        yield from self._articles(response, listing.links)
        for l in listing.links:
            if not titles.is_report_title(l.text) and (titles.is_sub_column(l.text) or titles.is_report_column(l.text)):
                yield self._request(l.url, code, "listing", self.parse_listing, referrer=response.url)
        for p in listing.pages:
            yield self._request(p.url, code, "listing", self.parse_listing, referrer=response.url,
                                method=p.method, formdata=p.formdata)

    def _articles(self, response: Response, links: list[cms.Link]):
        code = response.meta["portal"]
        for l in links:
            t = titles.parse_report_title(l.text)
            if t is None or (self.since and t.year < self.since):
                continue
            if _ext(l.url) in ATTACHMENT_EXT:  # the column links the file itself
                yield self._request(l.url, code, "attachment", self.parse_attachment, referrer=response.url,
                                    title=t.title, extract=_ext(l.url) in EXTRACTABLE_EXT)
            else:
                yield self._request(l.url, code, "article", self.parse_article, referrer=response.url,
                                    title=t.title)

    # -- articles and attachments ---------------------------------------------------------------

    def parse_article(self, response: Response):
        if not isinstance(response, TextResponse):  # the "article" was a file
            yield self.fetched(response, kind="attachment", extract=True)
            return
        files = attachment_links(response)
        # what a pointer page points to: its documents, else (a scanned report) its images
        sources = [f for f in files if _ext(f.url) in DOCUMENT_EXT] or [f for f in files if _ext(f.url) in IMAGE_EXT]
        own = main_text(response) if sources else ""
        pointer = bool(sources) and (len(own) < POINTER_PAGE_CHARS or
                                     (_POINTER.search(own) is not None and len(own) < 2 * POINTER_PAGE_CHARS))
        item = self.fetched(response, extract=not pointer, has_attachments=bool(files))
        yield item
        if item.error or item.blocked:
            return
        code = response.meta["portal"]
        record_from = {f.url for f in sources} if pointer else set()
        for f in files:
            yield self._request(f.url, code, "attachment", self.parse_attachment, referrer=response.url,
                                title=f.text, extract=f.url in record_from)

    def parse_attachment(self, response: Response):
        yield self.fetched(response, extract=bool(response.meta.get("extract")))


def _raw_headers(headers) -> list[tuple[bytes, bytes]]:
    out = []
    for k, values in headers.items():
        for v in values:
            out.append((k, v))
    return out
