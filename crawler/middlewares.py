"""Downloader middlewares: confinement, incremental fetching, conditional GET, Retry-After,
charset repair and WAF detection.  None of them knows about reports."""
from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxt
from twisted.internet.defer import Deferred
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.responsetypes import responsetypes
from extract.store import raw_path
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, resolve_encoding
from crawler.component import CrawlerComponent

log = logging.getLogger(__name__)

LISTING_KINDS = ("nav", "listing")
DOCUMENT_KINDS = ("article", "attachment")


class Skipped(IgnoreRequest):
    """A request deliberately not sent (already archived, off the registry, portal blocked)."""


# -- confinement ------------------------------------------------------------------------------


def host_allowed(host: str | None, domains: set[str] | frozenset[str]) -> bool:
    """True when ``host`` is one of ``domains`` or a subdomain of one."""
    host = (host or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


class ConfinementMiddleware(CrawlerComponent):
    """Only http(s) URLs on the registry's domains (and subdomains); nothing for blocked portals.

    The spider sets ``allowed_hosts`` (the registered domains of every portal crawled).
    """

    def process_request(self, request: Request):
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            self.stats.inc_value("nianbao/skipped_scheme")
            raise Skipped(f"not http(s): {request.url}")
        if parts.path.endswith("/robots.txt"):
            return None
        spider = self.crawler.spider
        domains = getattr(spider, "allowed_hosts", None)
        if domains is not None and not host_allowed(parts.hostname, domains):
            self.stats.inc_value("nianbao/skipped_offsite")
            raise Skipped(f"outside the registry's domains: {request.url}")
        portal = request.meta.get("portal")
        if portal and portal in getattr(spider, "blocked_portals", ()):
            self.stats.inc_value("nianbao/skipped_blocked")
            raise Skipped(f"portal {portal} is blocked by a WAF")
        return None


class ContactUserAgentMiddleware:
    """The identifying User-Agent: ``USER_AGENT`` with ``{contact}`` filled from
    ``NIANBAO_CONTACT_URL`` (robots.txt requests included)."""

    def __init__(self, user_agent: str):
        self.user_agent = user_agent

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls((s.get("USER_AGENT") or "nianbao-crawler").replace("{contact}", s.get("NIANBAO_CONTACT_URL") or ""))

    def process_request(self, request: Request):
        request.headers[b"User-Agent"] = self.user_agent
        return None


class RobotsTxtMiddleware(_ScrapyRobotsTxt):
    """Scrapy's robots.txt middleware, made safe for many requests waiting on one robots.txt.

    In Scrapy 2.19 every request that awaits the same pending robots.txt Deferred after the
    first one receives ``None`` (the first awaiter's callback result) and is let through
    unchecked — a resumed JOBDIR crawl dispatching its queue at once fetched a disallowed
    page that way.  Once the Deferred has fired, the parsed robots.txt is in
    ``self._parsers``; this reads it from there.
    """

    async def robot_parser(self, request: Request):
        rp = await super().robot_parser(request)
        if rp is None:
            stored = self._parsers.get(urlsplit(request.url).netloc)
            if stored is not None and not isinstance(stored, Deferred):
                return stored
        return rp


# -- incremental --------------------------------------------------------------------------------


class IncrementalMiddleware(CrawlerComponent):
    """An article or attachment already in the archive is not fetched again.  It is dropped,
    except when it must be replayed from the raw store (flag ``archived``): an article that
    links attachments (so the spider sees them again) or a document whose extraction never
    finished (a killed crawl), which is extracted now."""

    def process_request(self, request: Request):
        if request.meta.get("kind") not in DOCUMENT_KINDS:
            return None
        arch = getattr(self.crawler, "nianbao", None)
        sha = arch.lookup(request.url) if arch else None
        if not sha:
            return None
        if not arch.needs_visit(request.url, sha):
            self.crawler.stats.inc_value("nianbao/archived_skipped")
            raise Skipped(f"already archived: {request.url}")
        self.crawler.stats.inc_value("nianbao/archived")
        request.meta["archived_sha256"] = sha
        final = arch.final_urls.get(request.url)
        if final and final != request.url:  # it was redirected when fetched: replay it at its final URL
            request.meta["redirect_urls"] = [request.url]
        return _from_raw(request, arch.read_raw(sha), flags=["archived"], url=final)


def _from_raw(request: Request, body: bytes, *, flags: list[str], headers=None, url: str | None = None) -> Response:
    url = url or request.url
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=200, headers=headers, body=body, request=request, flags=flags)


# -- conditional GET --------------------------------------------------------------------------------


class ConditionalGetMiddleware(CrawlerComponent):
    """Listing pages are fetched on every crawl, with If-None-Match / If-Modified-Since when
    the server gave validators; a 304 is answered from the raw store (flag ``revalidated``)."""

    def process_request(self, request: Request):
        arch = getattr(self.crawler, "nianbao", None)
        if (arch is None or request.method != "GET" or request.meta.get("kind") not in LISTING_KINDS
                or request.meta.get("unconditional")):
            return None
        v = arch.validators.get(request.url)
        if not v or not raw_path(arch.dir, v["sha256"]).exists():
            return None
        if v.get("etag"):
            request.headers["If-None-Match"] = v["etag"]
        if v.get("last_modified"):
            request.headers["If-Modified-Since"] = v["last_modified"]
        request.meta["conditional_sha256"] = v["sha256"]
        return None

    def process_response(self, request: Request, response: Response):
        arch = getattr(self.crawler, "nianbao", None)
        if arch is None or request.meta.get("kind") not in LISTING_KINDS:
            return response
        sha = request.meta.get("conditional_sha256")
        if response.status == 304 and sha:
            try:
                body = arch.read_raw(sha)
            except OSError:
                return request.replace(dont_filter=True, meta={**request.meta, "unconditional": True})
            self.crawler.stats.inc_value("nianbao/revalidated")
            headers = dict(response.headers)
            ct = arch.validators.get(request.url, {}).get("content_type")
            if ct:
                headers[b"Content-Type"] = ct.encode("latin-1")
            cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
            return fix_encoding(cls(url=response.url, status=200, headers=headers, body=body, request=request,
                                    flags=["revalidated"], protocol=response.protocol))
        if response.status == 200 and (b"ETag" in response.headers or b"Last-Modified" in response.headers):
            request.meta["validators"] = {
                "etag": (response.headers.get(b"ETag") or b"").decode("latin-1") or None,
                "last_modified": (response.headers.get(b"Last-Modified") or b"").decode("latin-1") or None,
            }
        return response


# -- Retry-After -------------------------------------------------------------------------------------


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), None if absent/bad."""
    if not value:
        return None
    v = value.decode("latin-1") if isinstance(value, bytes) else value
    v = v.strip()
    if v.isdigit():
        return float(v)
    try:
        when = email.utils.parsedate_to_datetime(v).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retry, plus: on 429/503 wait as long as ``Retry-After`` says (capped by
    ``RETRY_AFTER_MAX``; a longer wait gives up on the request rather than hammering)."""

    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 120)

    async def process_response(self, request: Request, response: Response):
        if response.status in (429, 503) and not request.meta.get("dont_retry"):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            if wait is not None:
                if wait > self.max_wait:
                    log.warning("Retry-After %.0fs > %.0fs for %s: giving up", wait, self.max_wait, request.url)
                    return response
                await asyncio.sleep(wait)
        return super().process_response(request, response)


# -- charset repair -------------------------------------------------------------------------------


def fix_encoding(response: Response) -> Response:
    """A page whose Content-Type charset is wrong (GBK bytes labelled UTF-8) gets the charset
    its ``<meta>`` declares, or GB18030, whichever decodes cleanly; others are returned as is."""
    if not isinstance(response, TextResponse):
        return response
    ct = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    header = http_content_type_encoding(ct)
    if not header:
        return response
    body = response.body
    try:
        body.decode(header)
        return response
    except (UnicodeDecodeError, LookupError):
        pass
    for enc in (html_body_declared_encoding(body), "gb18030", "utf-8"):
        enc = resolve_encoding(enc) if enc else None
        if not enc or enc == resolve_encoding(header):
            continue
        try:
            body.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        log.debug("charset %s in header is wrong for %s: using %s", header, response.url, enc)
        return response.replace(encoding=enc)
    return response


class EncodingFixMiddleware:
    """Applies :func:`fix_encoding` to every downloaded page."""

    def process_response(self, request: Request, response: Response):
        return fix_encoding(response)


# -- WAF ------------------------------------------------------------------------------------------


def is_waf_challenge(response: Response) -> bool:
    """A 瑞数 (RiverSecurity) challenge: 412 (or 202) with the ``$_ts`` bootstrap script."""
    return response.status in (412, 202) and b"$_ts" in response.body[:20000]


class WafMiddleware(CrawlerComponent):
    """Marks the portal blocked on a WAF challenge: the challenge is logged once (outcome
    ``blocked``) and every later request of that portal is dropped, never retried."""

    def process_response(self, request: Request, response: Response):
        if is_waf_challenge(response):
            portal = request.meta.get("portal")
            blocked = getattr(self.crawler.spider, "blocked_portals", None)
            if portal and blocked is not None and portal not in blocked:
                blocked.add(portal)
                log.warning("portal %s answers with a WAF challenge (%s): marked blocked", portal, request.url)
            request.meta["blocked"] = True
            request.meta["dont_retry"] = True
        return response
