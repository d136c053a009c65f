"""Downloader middlewares: confinement (registry domains, public addresses only), robots.txt
with Crawl-delay, incremental fetching, conditional GET, Retry-After, charset repair and WAF
detection.  None of them knows about reports."""
from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import socket
import time
from collections import OrderedDict
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxt
from scrapy.resolver import CachingThreadedResolver, dnscache
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from twisted.internet.defer import Deferred
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError, IgnoreRequest
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
    robots.txt requests get the same check (they are for hosts already let through), and a
    URL with user info (``http://x@host/``) is refused: parsers disagree on its host.
    """

    def process_request(self, request: Request):
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            self.stats.inc_value("nianbao/skipped_scheme")
            raise Skipped(f"not http(s): {request.url}")
        if "@" in parts.netloc:
            self.stats.inc_value("nianbao/skipped_userinfo")
            raise Skipped(f"user info in URL: {request.url}")
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


# -- public addresses only --------------------------------------------------------------------


class AddressRefused(IgnoreRequest):
    """A request not sent because its host is (or resolves to) a non-public address.  Unlike
    :class:`Skipped` it reaches the spider's errback, so the fetch log records the reason."""


# 64:ff9b::/96 carries an IPv4 address for NAT64 gateways
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_KINDS = ("unspecified", "loopback", "link_local", "multicast", "reserved", "private", "site_local")


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    for name in _KINDS:
        if getattr(ip, f"is_{name}", False):
            return name.replace("_", "-")
    return None if ip.is_global else "non-global"


def address_kind(address: str) -> str | None:
    """Why ``address`` is not a public Internet address — "loopback", "private", "link-local",
    "multicast", "reserved", "unspecified", "site-local", "non-global" (100.64/10, …) or
    "invalid" — or None when it is one.  An IPv4 address inside IPv6 (mapped ``::ffff:a.b.c.d``,
    NAT64, 6to4) is judged as the IPv4 address it reaches."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (%eth0) is no part of it
    except ValueError:
        return "invalid"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _kind(ip.ipv4_mapped)
    kind = _kind(ip)
    if kind or not isinstance(ip, ipaddress.IPv6Address):
        return kind
    embedded = [ip.sixtofour] + ([ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)] if ip in _NAT64 else [])
    for v4 in embedded:
        if v4 is not None and (kind := _kind(v4)):
            return kind
    return None


def _norm(address: str) -> str:
    """One spelling per address: no IPv6 zone, IPv4-mapped IPv6 as IPv4, compressed IPv6."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _uses_scrapy_dnscache(settings) -> bool:
    """Does the download connect through Scrapy's CachingThreadedResolver and its dnscache?"""
    name = "DNS_RESOLVER" if (settings.getpriority("DNS_RESOLVER") or 0) > SETTINGS_PRIORITIES["default"] \
        else "TWISTED_DNS_RESOLVER"
    try:
        resolver = load_object(settings[name])
    except (ImportError, NameError, ValueError, TypeError):
        return False
    return settings.getbool("DNSCACHE_ENABLED") and isinstance(resolver, type) and \
        issubclass(resolver, CachingThreadedResolver)


class AddressGuardMiddleware(CrawlerComponent):
    """No request to a private, loopback, link-local, multicast, reserved or unspecified address
    (IPv4 or IPv6, IPv4-mapped included), whether the URL names the address or the host
    resolves to it — except for a portal whose own homepage (or report column) host is itself
    such an address or resolves to one (an intranet mirror, the offline replica on 127.0.0.1),
    and then only to those very addresses.

    The host is resolved off the reactor (the event loop's ``getaddrinfo`` in its thread pool),
    every address of the answer judged, the answer kept ``NIANBAO_DNS_CHECK_TTL`` seconds per
    host.  A refusal raises :class:`AddressRefused` (``private address 10.0.0.5 for host x``),
    which the spider's errback writes to the fetch log; the crawl goes on.  A host that does
    not resolve fails as a DNS error would (``CannotResolveHostError``, retried).

    DNS rebinding: with Scrapy's default resolver (CachingThreadedResolver, DNSCACHE_ENABLED)
    the checked IPv4 address is put in Scrapy's DNS cache, so the connection goes to the very
    address that was judged; another resolver, or the cache disabled, resolves again when
    connecting, and a host that answers a public address to the check and a private one a
    moment later could still be reached (until the check's next lookup).  Redirects are
    requests too: each hop is checked.
    """

    CACHE_SIZE = 10_000

    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        self.ttl = s.getfloat("NIANBAO_DNS_CHECK_TTL", 60.0)
        self.timeout = s.getfloat("DNS_TIMEOUT", 60.0)
        self.pin = _uses_scrapy_dnscache(s)
        self._answers: OrderedDict[str, tuple[float, tuple[str, ...]]] = OrderedDict()
        self._pending: dict[str, asyncio.Future] = {}
        # (portal, host) → (until, refused (address, kind) or None): the same answer for the TTL
        self._verdicts: dict[tuple[str, str], tuple[float, tuple[str, str] | None]] = {}

    async def process_request(self, request: Request):
        host = (urlparse_cached(request).hostname or "").rstrip(".")
        if not host:
            return None
        key = (request.meta.get("portal") or "", host)
        known = self._verdicts.get(key)
        if known is not None and known[0] > time.monotonic():
            verdict = known[1]
        else:
            verdict = await self._verdict(request, host)
            if len(self._verdicts) >= self.CACHE_SIZE:
                self._verdicts.clear()
            self._verdicts[key] = (time.monotonic() + self.ttl, verdict)
        if verdict is None:
            return None
        address, kind = verdict
        self.stats.inc_value("nianbao/refused_address")
        log.warning("refused %s: %s address %s", request.url, kind, address)
        raise AddressRefused(f"{kind} address {address} for host {host}")

    async def _verdict(self, request: Request, host: str) -> tuple[str, str] | None:
        """(address, kind) of the first address refused to this request's portal, or None."""
        addresses = await self.addresses(host)
        refused = [(a, k) for a in addresses if (k := address_kind(a))]
        if not refused or await self._exempt(request, {_norm(a) for a, _ in refused}):
            return None
        return refused[0]

    async def addresses(self, host: str) -> tuple[str, ...]:
        """Every address ``host`` stands for: itself when it is an IP, else the DNS answer."""
        if _is_ip(host):
            return (host,)
        hit = self._answers.get(host)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        task = self._pending.get(host)
        if task is None:  # one lookup per host however many requests wait for it
            task = asyncio.ensure_future(self._lookup(host))
            self._pending[host] = task
            task.add_done_callback(lambda _t, h=host: self._pending.pop(h, None))
        return await asyncio.shield(task)

    async def _lookup(self, host: str) -> tuple[str, ...]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), self.timeout)
        except (OSError, UnicodeError, asyncio.TimeoutError) as e:
            raise CannotResolveHostError(f"DNS lookup failed for host {host}: {e or type(e).__name__}") from None
        addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise CannotResolveHostError(f"DNS lookup failed for host {host}: no address")
        self._answers[host] = (time.monotonic() + self.ttl, addresses)
        self._answers.move_to_end(host)
        while len(self._answers) > self.CACHE_SIZE:
            self._answers.popitem(last=False)
        if self.pin:
            v4 = next((a for a in addresses if ":" not in a), None)
            if v4 is not None:
                dnscache[host] = v4  # the connection uses the address judged here
        return addresses

    async def _exempt(self, request: Request, refused: set[str]) -> bool:
        """May the request's portal (for robots.txt: any portal on this host) reach these
        non-public addresses?  Yes when each is an address of the portal's own homepage (or
        report column) host: the portal is homed there."""
        spider = self.crawler.spider
        code = request.meta.get("portal")
        host = (urlparse_cached(request).hostname or "").rstrip(".")
        if code:
            portal = getattr(spider, "by_code", {}).get(code)
            portals = [portal] if portal is not None else []
        else:
            portals = [p for p in getattr(spider, "portals", ()) if host_allowed(host, p.domains)]
        for p in portals:
            home: set[str] = set()
            for h in p.hosts:
                try:
                    home.update(_norm(a) for a in await self.addresses(h.rstrip(".")) if address_kind(a))
                except CannotResolveHostError:
                    continue
            if refused <= home:
                return True
        return False


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


def floor_slot_delay(slot, minimum: float) -> None:
    """Make a downloader slot wait at least ``minimum`` seconds between two requests, its
    random jitter included (a jitter that could go below is switched off for the slot)."""
    if slot.delay < minimum:
        slot.delay = minimum
    if slot.jitter and slot.delay * (1 - slot.jitter) < minimum:
        slot.jitter = 0.0


class RobotsTxtMiddleware(_ScrapyRobotsTxt):
    """Scrapy's robots.txt middleware, made safe for many requests waiting on one robots.txt,
    and honouring ``Crawl-delay``.

    In Scrapy 2.19 every request that awaits the same pending robots.txt Deferred after the
    first one receives ``None`` (the first awaiter's callback result) and is let through
    unchecked — a resumed JOBDIR crawl dispatching its queue at once fetched a disallowed
    page that way.  Once the Deferred has fired, the parsed robots.txt is in
    ``self._parsers``; this reads it from there.

    Crawl-delay (for ``ROBOTSTXT_USER_AGENT``, capped at ``NIANBAO_CRAWL_DELAY_MAX`` seconds;
    0 ignores it) becomes the minimum delay of the host's download slot: set when a request
    reaches the downloader and again after every response, after AutoThrottle (an extension,
    so its handler runs first) has adjusted the delay.  AutoThrottle may still raise it.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.crawl_delay_max = crawler.settings.getfloat("NIANBAO_CRAWL_DELAY_MAX", 30.0)
        self.crawl_delays: dict[str, float] = {}  # hostname → minimum seconds between requests
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.floor_delay, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.floor_delay, signal=signals.response_downloaded)

    def robots_parsed(self, robotparser, request: Request) -> None:
        get = getattr(robotparser, "crawl_delay", None)
        delay = get(self._robotstxt_useragent or self._default_useragent) if get else None
        if not delay or delay <= 0 or self.crawl_delay_max <= 0:
            return
        host = urlparse_cached(request).hostname or ""
        wanted = min(float(delay), self.crawl_delay_max)
        if wanted > self.crawl_delays.get(host, 0.0):
            self.crawl_delays[host] = wanted
            self._stats.inc_value("nianbao/crawl_delay_hosts")
            log.info("robots.txt of %s asks Crawl-delay %ss: at least %.2fs between its requests",
                     host, delay, wanted)

    def floor_delay(self, request: Request) -> None:
        minimum = self.crawl_delays.get(urlparse_cached(request).hostname or "")
        if not minimum:
            return
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot"))
        if slot is not None:
            floor_slot_delay(slot, minimum)

    async def robot_parser(self, request: Request):
        rp = await super().robot_parser(request)
        if rp is None:
            stored = self._parsers.get(urlsplit(request.url).netloc)
            if stored is not None and not isinstance(stored, Deferred):
                return stored
        return rp


# -- oversized bodies -------------------------------------------------------------------------------


class DownloadSizeMiddleware(CrawlerComponent):
    """Gives a body cut off by ``DOWNLOAD_MAXSIZE`` its reason.  A response announcing a larger
    Content-Length fails with a message saying so; one without Content-Length is cancelled while
    streaming with an empty ``DownloadCancelledError`` — the fetch log would read only
    ``error: DownloadCancelledError:``.  The bytes of each download are counted (signal
    ``bytes_received``) and such a failure is raised again with the count and the limit.
    Its ``process_exception`` runs last (lowest priority), after the retry middleware."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self._received: WeakKeyDictionary[Request, int] = WeakKeyDictionary()
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    def bytes_received(self, data: bytes, request: Request) -> None:
        self._received[request] = self._received.get(request, 0) + len(data)

    def process_response(self, request: Request, response: Response):
        self._received.pop(request, None)
        return response

    def process_exception(self, request: Request, exception: Exception):
        received = self._received.pop(request, 0)
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        if isinstance(exception, DownloadCancelledError) and not str(exception) and maxsize and received > maxsize:
            self.stats.inc_value("nianbao/too_large")
            raise DownloadCancelledError(f"Received {received} bytes which is larger than download max size "
                                         f"({maxsize}): download cancelled") from exception
        return None


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
