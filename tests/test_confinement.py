"""Issue #5 on the crawler's side: confinement and hostile input.

Unit tests drive the real middlewares with Scrapy objects (a Crawler from
``scrapy.utils.test.get_crawler``, the real spider on a small registry, real DNS answers of
``localhost``); one subprocess crawl of a dedicated mini replica
(``tests.replica.sites.build_confinement_replica``: wrong Content-Types, ``../`` in file
names, two 200 MiB bodies, a robots.txt Crawl-delay) proves the same in a real crawl.
"""
from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
from scrapy.core.downloader import Slot
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import HtmlResponse, Request
from scrapy.resolver import dnscache
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.cms.generic import anchors
from crawler.middlewares import (AddressGuardMiddleware, AddressRefused, ConfinementMiddleware, DownloadSizeMiddleware,
                                 RobotsTxtMiddleware, Skipped, address_kind, floor_slot_delay)
from extract.urls import filename_of
from crawler.spiders.reports import ReportsSpider
from extract.store import raw_path
from tests.replica.demo import crawl
from tests.replica.server import ReplicaServer
from tests.replica.sites import (CONFINE_CODE, CONFINE_CRAWL_DELAY, CONFINE_NEIGHBOUR, CONFINE_PRIVATE_LINK, HUGE,
                                 build_confinement_replica)

REGISTRY = (
    "code,name,level,parent_code,homepage,annual_report_url,cms\n"
    "410000,河南省,province,,https://www.henan.gov.cn/,,unknown\n"  # public
    "410311,洛龙区,county,410300,http://127.0.0.1:8765/luolong/,,ymd\n"  # the replica: homed on loopback
    "410308,孟津区,county,410300,http://localhost:8765/mengjin/,,hanweb\n"  # homed on a name resolving to loopback
    "410305,涧西区,county,410300,http://127.0.0.2:8765/,,unknown\n"  # homed on another loopback address
)


@pytest.fixture
def crawler(tmp_path):
    csv = tmp_path / "portals.csv"
    csv.write_text(REGISTRY, encoding="utf-8")
    c = get_crawler(ReportsSpider, {"ROBOTSTXT_OBEY": True, "ROBOTSTXT_USER_AGENT": "nianbao-crawler",
                                    "NIANBAO_CRAWL_DELAY_MAX": 5.0, "DOWNLOAD_MAXSIZE": 1000})
    c.spider = ReportsSpider.from_crawler(c, portals=str(csv))
    return c


def req(url: str, portal: str | None = "410000", **meta) -> Request:
    return Request(url, meta={"portal": portal, "kind": "attachment", **meta} if portal else meta)


def guard(crawler, request: Request):
    """Run the guard's process_request on an event loop, as Scrapy's asyncio reactor does."""
    return asyncio.run(AddressGuardMiddleware.from_crawler(crawler).process_request(request))


# -- schemes and hosts ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://ftp.henan.gov.cn/pub/2023.pdf",
                                 "data:text/html,<a>", "s3://bucket/report.pdf"])
def test_non_http_schemes_are_never_requested(crawler, url):
    with pytest.raises(Skipped, match="not http"):
        ConfinementMiddleware.from_crawler(crawler).process_request(req(url))


def test_links_of_other_schemes_never_become_requests():
    body = ('<a href="file:///etc/passwd">a</a><a href="ftp://x.henan.gov.cn/a.pdf">b</a>'
            '<a href="javascript:open(\'c.pdf\')">c</a><a href="mailto:x@henan.gov.cn">d</a>'
            '<a href="data:text/html,x">e</a><a href="/ok.pdf">f</a>').encode()
    r = HtmlResponse("https://www.henan.gov.cn/zwgk/", body=body)
    assert [l.url for l in anchors(r)] == ["https://www.henan.gov.cn/ok.pdf"]


@pytest.mark.parametrize("url", [
    "https://www.evil.example/x.pdf",
    "https://henan.gov.cn.evil.example/x.pdf",  # the registry's domain as a prefix
    "https://evilhenan.gov.cn/x.pdf",  # … or as a suffix without the dot
    "https://www.evil.example/robots.txt",  # robots.txt is no way out
    "https://www.evil.example@www.henan.gov.cn/x.pdf",  # user info: parsers disagree on the host
    "https://www.henan.gov.cn@www.evil.example/x.pdf",
    "http://192.168.1.1/x.pdf",  # a literal private IP on a public portal's page
])
def test_hosts_outside_the_registry_are_never_requested(crawler, url):
    with pytest.raises(Skipped):
        ConfinementMiddleware.from_crawler(crawler).process_request(req(url))


@pytest.mark.parametrize("url", ["https://www.henan.gov.cn/x.pdf", "http://public.henan.gov.cn./a.html",
                                 "https://WWW.HENAN.GOV.CN/robots.txt", "http://127.0.0.1:8765/luolong/"])
def test_registry_hosts_pass_confinement(crawler, url):
    assert ConfinementMiddleware.from_crawler(crawler).process_request(req(url)) is None


# -- public addresses only ------------------------------------------------------------------------


@pytest.mark.parametrize("address, kind", [
    ("10.0.0.5", "private"), ("172.16.3.4", "private"), ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("169.254.169.254", "link-local"),
    ("224.0.0.251", "multicast"), ("240.0.0.1", "reserved"), ("0.0.0.0", "unspecified"),
    ("100.64.0.1", "non-global"), ("255.255.255.255", "reserved"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1%eth0", "link-local"), ("fc00::5", "private"),
    ("fd12:3456::1", "private"), ("ff02::1", "multicast"), ("fec0::1", "site-local"),
    ("::ffff:10.0.0.5", "private"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
    ("2002:c0a8:0101::1", "private"),  # 6to4 of 192.168.1.1
    ("64:ff9b::a00:5", "reserved"),  # NAT64 (of 10.0.0.5)
    ("not-an-ip", "invalid"),
    ("8.8.8.8", None), ("202.110.30.1", None), ("2400:3200::1", None), ("::ffff:8.8.8.8", None),
])
def test_address_kinds(address, kind):
    assert address_kind(address) == kind


def test_literal_private_ip_of_a_registry_portal_is_refused_to_a_public_portal(crawler):
    # 127.0.0.1 is a registry domain (the replica portal), so confinement lets it through;
    # linked from the public portal's page it is refused, with its reason
    url = "http://127.0.0.1:8765/luolong/x.pdf"
    assert ConfinementMiddleware.from_crawler(crawler).process_request(req(url)) is None
    with pytest.raises(AddressRefused, match=r"^loopback address 127\.0\.0\.1 for host 127\.0\.0\.1$"):
        guard(crawler, req(url, "410000"))
    assert crawler.stats.get_value("nianbao/refused_address") == 1
    # the portal homed there may fetch it
    assert guard(crawler, req(url, "410311")) is None


def test_dns_answer_on_loopback_is_refused_unless_the_portal_is_homed_there(crawler):
    url = "http://localhost:8765/mengjin/art/1.html"  # localhost resolves (for real) to 127.0.0.1
    with pytest.raises(AddressRefused, match=r"^loopback address 127\.0\.0\.1 for host localhost$"):
        guard(crawler, req(url, "410000"))
    assert guard(crawler, req(url, "410308")) is None
    assert guard(crawler, req(url, "410311")) is None  # homed on that very address, 127.0.0.1
    # robots.txt (no portal): allowed for the host a portal is homed on
    assert guard(crawler, Request("http://localhost:8765/robots.txt", meta={"dont_obey_robotstxt": True})) is None


def test_a_portal_homed_privately_reaches_only_its_own_addresses(crawler):
    url = "http://127.0.0.2:8765/x.pdf"
    assert guard(crawler, req(url, "410305")) is None
    with pytest.raises(AddressRefused, match=r"^loopback address 127\.0\.0\.2 for host 127\.0\.0\.2$"):
        guard(crawler, req(url, "410311"))  # homed on 127.0.0.1: no licence for 127.0.0.2


def test_ipv6_and_mapped_literals_are_refused(crawler):
    for url in ("http://[::1]:8765/x.pdf", "http://[::ffff:127.0.0.1]:8765/x.pdf"):
        with pytest.raises(AddressRefused, match="loopback"):
            guard(crawler, req(url))


def test_unresolvable_host_fails_as_a_dns_error(crawler):
    with pytest.raises(CannotResolveHostError, match="nianbao-no-such-host.invalid"):
        guard(crawler, req("https://nianbao-no-such-host.invalid/x.pdf"))


def test_checked_address_is_the_one_connected_to(crawler):
    # DNS rebinding: Scrapy's resolver connects through its dnscache; the guard puts there
    # the very address it judged, replacing whatever an earlier lookup left
    dnscache["localhost"] = "203.0.113.9"
    mw = AddressGuardMiddleware.from_crawler(crawler)
    assert mw.pin
    with pytest.raises(AddressRefused):
        asyncio.run(mw.process_request(req("http://localhost:8765/x", "410000")))
    assert dnscache["localhost"] == "127.0.0.1"
    assert asyncio.run(mw.addresses("localhost")) == ("127.0.0.1",)


def test_refusal_reaches_the_errback_with_its_reason(crawler):
    # Skipped (offsite, blocked) is dropped silently; a refused address is a fetch-log error
    request = Request("http://localhost:8765/x.pdf", meta={"portal": "410000", "kind": "attachment"},
                      errback=crawler.spider.failed)
    with pytest.raises(AddressRefused) as refused:
        guard(crawler, request)
    assert not isinstance(refused.value, Skipped)
    failure = Failure(refused.value)
    failure.request = request  # what Scrapy hands the errback
    [item] = list(crawler.spider.failed(failure))
    assert (item.url, item.portal_code, item.error) == (
        "http://localhost:8765/x.pdf", "410000", "AddressRefused: loopback address 127.0.0.1 for host localhost")


# -- Crawl-delay ----------------------------------------------------------------------------------


@pytest.mark.parametrize("robots, expected", [
    ("User-agent: *\nCrawl-delay: 2\nDisallow: /private/\n", 2.0),
    ("User-agent: *\nCrawl-delay: 0.5\n", 0.5),
    ("User-agent: *\nCrawl-delay: 600\n", 5.0),  # capped by NIANBAO_CRAWL_DELAY_MAX
    ("User-agent: nianbao-crawler\nCrawl-delay: 3\n\nUser-agent: *\nCrawl-delay: 1\n", 3.0),
    ("User-agent: otherbot\nCrawl-delay: 9\n", None),
    ("User-agent: *\nDisallow: /private/\n", None),
])
def test_crawl_delay_of_robots_txt(crawler, robots, expected):
    mw = RobotsTxtMiddleware.from_crawler(crawler)
    mw.robots_parsed(ProtegoRobotParser(robots.encode(), None), Request("https://www.henan.gov.cn/zwgk/"))
    assert mw.crawl_delays.get("www.henan.gov.cn") == expected


def test_crawl_delay_is_the_slots_minimum_jitter_included():
    slot = Slot(concurrency=2, delay=0.5, jitter=0.5)
    floor_slot_delay(slot, 2.0)
    assert slot.delay == 2.0 and min(slot.download_delay() for _ in range(200)) >= 2.0
    slot = Slot(concurrency=2, delay=10.0, jitter=0.5)  # AutoThrottle above the floor keeps its jitter
    floor_slot_delay(slot, 2.0)
    assert slot.delay == 10.0 and slot.jitter == 0.5


# -- hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize("url, name", [
    ("http://h/confine/nb/2024/upload/..%2F..%2F..%2Fetc%2Fnianbao-passwd.pdf", "nianbao-passwd.pdf"),
    ("http://h/confine/upload/%2e%2e%2f%2e%2e%2fnianbao-evil.pdf", "nianbao-evil.pdf"),
    ("http://h/a/%2e%2e%5c%2e%2e%5cboot.ini.pdf", "boot.ini.pdf"),
    ("http://h/a/%2e%2e", ""),
    ("http://h/a/report%00.pdf", "report.pdf"),
    ("http://h/a/2023%E5%B9%B4%E5%B9%B4%E6%8A%A5.pdf", "2023年年报.pdf"),
])
def test_filename_given_to_the_extractor_is_a_plain_name(url, name):
    assert filename_of(url) == name


def test_oversized_streamed_body_gets_its_reason(crawler):
    from scrapy.exceptions import DownloadCancelledError

    mw = DownloadSizeMiddleware.from_crawler(crawler)  # DOWNLOAD_MAXSIZE 1000 in the fixture
    request = req("https://www.henan.gov.cn/big.pdf")
    for _ in range(3):
        mw.bytes_received(b"x" * 400, request)
    with pytest.raises(DownloadCancelledError, match=r"Received 1200 bytes .* max size \(1000\)"):
        mw.process_exception(request, DownloadCancelledError())
    other = req("https://www.henan.gov.cn/small.pdf")  # a cancel for another reason is left alone
    mw.bytes_received(b"x" * 10, other)
    assert mw.process_exception(other, DownloadCancelledError()) is None


# -- one real crawl of hostile input -----------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("confine")
    with ReplicaServer(build_confinement_replica()) as srv:
        csv = d / "portals.csv"
        csv.write_text(srv.portals_csv(), encoding="utf-8")
        # AutoThrottle on, from no delay: only the Crawl-delay keeps requests apart
        run = crawl(csv, d / "archive.db", d / "raw", log_path=d / "crawl.log", timeout=240,
                    settings={"AUTOTHROTTLE_ENABLED": "True", "AUTOTHROTTLE_START_DELAY": "0",
                              "DOWNLOAD_DELAY": "0", "MEMUSAGE_CHECK_INTERVAL_SECONDS": "0.25"})
        hits = srv.reset_hits()
        yield d, srv, run, hits


def _db(path) -> sqlite3.Connection:
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    return con


def test_hostile_crawl_finds_every_report_with_its_outcome(hostile):
    d, srv, run, _ = hostile
    assert run.returncode == 0, run.log[-3000:]
    con = _db(d / "archive.db")
    truth = srv.truth()["reports"]
    stored = {r["url"]: r for r in con.execute("SELECT url, format, portal_code FROM reports")}
    # wrong Content-Type both ways and ../ in names: every report read from its real format
    assert {u: r["format"] for u, r in stored.items()} == {t["url"]: t["format"] for t in truth}
    assert {r["portal_code"] for r in stored.values()} == {CONFINE_CODE}
    assert not con.execute("SELECT url, status, error FROM documents WHERE status != 'ok'").fetchall()


def test_oversized_bodies_are_errors_with_their_reason(hostile):
    d, srv, run, hits = hostile
    con = _db(d / "archive.db")
    outcomes = {r["url"].replace(srv.origin, ""): r["outcome"] for r in con.execute("SELECT url, outcome FROM fetch_log")}
    limit = 100 * 1024 * 1024
    assert outcomes["/confine/upload/huge.pdf"].startswith("error: DownloadCancelledError: Expected to receive "
                                                           f"{HUGE} bytes which is larger than download max size ({limit})")
    assert re.fullmatch(rf"error: DownloadCancelledError: Received \d+ bytes which is larger than download max size "
                        rf"\({limit}\): download cancelled", outcomes["/confine/upload/endless.pdf"])
    # fetched once each (a cancelled download is not retried) and never stored
    paths = [h.path for h in hits]
    assert paths.count("/confine/upload/huge.pdf") == paths.count("/confine/upload/endless.pdf") == 1
    assert all(f.stat().st_size < limit for f in (d / "raw").rglob("*") if f.is_file())
    # memory stays bounded: the crawl process grew by about DOWNLOAD_MAXSIZE, not by the 200 MiB body
    stats = dict(re.findall(r"'(memusage/(?:startup|max))': (\d+)", run.log))
    assert int(stats["memusage/max"]) - int(stats["memusage/startup"]) < limit + 60 * 1024 * 1024


def test_hostile_names_write_nothing_outside_the_archive_dir(hostile):
    d, srv, _, _ = hostile
    con = _db(d / "archive.db")
    raw = d / "raw"
    shas = {r[0] for r in con.execute("SELECT sha256 FROM fetch_log WHERE sha256 IS NOT NULL")}
    expected = {raw_path(raw, s) for s in shas} | {raw / "validators.jsonl", raw / "articles-with-attachments.txt"}
    files = {f for f in raw.rglob("*") if f.is_file()}
    warcs = {f for f in files if f.parent == raw / "warc"}
    assert files - warcs <= expected and len(files - warcs) == len(shas) + 2
    assert warcs and all(f.name.endswith(".warc.gz") for f in warcs)
    assert {f.name for f in d.iterdir()} <= {"archive.db", "archive.db-wal", "archive.db-shm", "raw", "crawl.log",
                                             "portals.csv", "archive.report_summary.csv",
                                             "archive.report_summary.csv.gz", "archive.report_summary.json"}
    # where a writer trusting the decoded names would have put them
    for name in ("../../../etc/nianbao-passwd.pdf", "../../nianbao-evil.pdf"):
        for base in (raw, raw / "warc", d, Path.cwd()):
            assert not (base / name).resolve().exists()
    assert not [f for f in d.parent.rglob("nianbao-*.pdf")]


def test_private_address_of_another_portal_is_refused_in_the_fetch_log(hostile):
    d, srv, run, _ = hostile
    con = _db(d / "archive.db")
    link = CONFINE_PRIVATE_LINK.replace("@@PORT@@", str(srv.port))
    rows = [tuple(r) for r in con.execute("SELECT portal_code, status, outcome FROM fetch_log WHERE url = ?", (link,))]
    assert rows == [(CONFINE_CODE, None, "error: AddressRefused: loopback address 127.0.0.2 for host 127.0.0.2")]
    # the portal homed on 127.0.0.2 was tried (nothing answers there): an error too, and the crawl went on
    neighbour = con.execute("SELECT outcome FROM fetch_log WHERE portal_code = ?", (CONFINE_NEIGHBOUR,)).fetchall()
    assert neighbour and all(r[0].startswith("error: ") for r in neighbour)


def test_hostile_crawl_never_follows_other_schemes_and_honours_crawl_delay(hostile):
    d, srv, run, hits = hostile
    con = _db(d / "archive.db")
    urls = [r[0] for r in con.execute("SELECT url FROM fetch_log")]
    assert urls and all(re.match(rf"http://127\.0\.0\.[12]:{srv.port}/", u) for u in urls), urls
    assert all(h.host == f"127.0.0.1:{srv.port}" for h in hits)
    assert [h.path for h in hits][0] == "/robots.txt"
    # robots.txt asks 0.3 s: with AutoThrottle free to go to 0, requests stay that far apart
    starts = [h.at for h in hits]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert len(gaps) >= 9 and min(gaps) >= CONFINE_CRAWL_DELAY - 0.05, gaps
    assert "asks Crawl-delay 0.3s" in run.log
