"""Offline unit tests: per-CMS helpers, spider callbacks, middlewares and the registry on
saved pages (tests/files/pages/), no network, no reactor."""
from __future__ import annotations

import email.utils
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse

from crawler import cms, registry
from crawler.cms import generic
from crawler.middlewares import fix_encoding, host_allowed, is_waf_challenge, retry_after_seconds
from crawler.spiders.reports import ReportsSpider, attachment_links, main_text

PAGES = Path(__file__).parent / "files" / "pages"


def html(name: str, url: str, *, headers: dict | None = None, meta: dict | None = None) -> HtmlResponse:
    req = Request(url, meta={"portal": "410000", "kind": "listing", **(meta or {})})
    return HtmlResponse(url=url, body=(PAGES / name).read_bytes(), headers=headers, request=req)


@pytest.fixture
def spider(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("code,name,level,parent_code,homepage,annual_report_url,cms\n"
                   "410000,河南省,province,,www.example.gov.cn,,unknown\n", encoding="utf-8")
    s = ReportsSpider(portals=str(csv))
    s.nav_depth = 2
    return s


# -- per-CMS helpers ----------------------------------------------------------------------------


def test_trs_pages_from_create_page_html():
    r = html("trs_list.html", "https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/index.html")
    listing = cms.analyze(r)
    assert listing.family == "trs"
    urls = [p.url for p in listing.pages]
    assert urls[:4] == [f"https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/index_{k}.html" for k in range(1, 5)]
    assert "https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/index_5.html" not in urls  # 5 pages: index … index_4
    # the truncated list text is replaced by the full @title
    assert any(l.text == "河南省文化和旅游厅2023年政府信息公开工作年度报告" for l in listing.links)


def test_hanweb_column_posts_to_dataproxy():
    r = html("hanweb_col.html", "http://www.nbjb.gov.cn/col/col1229214366/index.html")
    listing = cms.analyze(r)
    assert listing.family == "hanweb"
    posts = [p for p in listing.pages if p.method == "POST"]
    assert len(posts) == 3  # 100 records, 45 (3 pages of 15) per call
    q = [parse_qs(urlsplit(p.url).query) for p in posts]
    assert [(x["startrecord"][0], x["endrecord"][0], x["perpage"][0]) for x in q] == \
           [("1", "45", "15"), ("46", "90", "15"), ("91", "135", "15")]
    assert urlsplit(posts[0].url).path == "/module/web/jpage/dataproxy.jsp"
    form = dict(posts[0].formdata)
    assert form["columnid"] == "1229214366" and form["unitid"] == "4488791" and form["webid"] == "221"


def test_hanweb_dataproxy_records():
    url = "http://www.nbjb.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15"
    r = XmlResponse(url=url, body=(PAGES / "hanweb_dataproxy.xml").read_bytes(), request=Request(url, method="POST"))
    listing = cms.analyze(r)
    assert listing.family == "hanweb" and not [p for p in listing.pages if p.method == "POST"]
    assert [l.url for l in listing.links] == [
        "http://www.nbjb.gov.cn/art/2024/1/23/art_1229214366_88348.html",
        "http://www.nbjb.gov.cn/art/2024/1/16/art_1229214366_86714.html",
        "http://www.nbjb.gov.cn/art/2024/1/10/art_1229214366_86000.html",
    ]
    assert listing.links[1].text == "江北区民政局2023年政府信息公开工作年度报告"


def test_sitesources_list_then_script_json():
    base = "http://www.zhoukou.gov.cn/sitesources/zksrmzf/page_pc/zwgk/gkznhml/zfxxgknb/"
    listing = cms.analyze(html("sitesources_list1.html", base + "list1.html"))
    assert listing.family == "sitesources"
    assert base + "script.json" in [p.url for p in listing.pages]
    assert base + "list2.html" in [p.url for p in listing.pages]  # 下一页
    req = Request(base + "script.json", meta={"portal": "411600", "kind": "listing"})
    js = TextResponse(url=base + "script.json", body=(PAGES / "sitesources_script.json").read_bytes(),
                      headers={"Content-Type": "application/json"}, request=req)
    assert [p.url for p in cms.analyze(js).pages] == [base + f"list{k}.html" for k in range(1, 5)]


def test_kaifeng_pages_from_total():
    url = "http://www.lankao.gov.cn/kfslkxwz/c01011/pc/list.html"
    listing = cms.analyze(html("kaifeng_list.html", url))
    assert listing.family == "kaifeng"
    urls = {p.url for p in listing.pages}
    assert {"http://www.lankao.gov.cn/kfslkxwz/c01011/pc/list_2.html",
            "http://www.lankao.gov.cn/kfslkxwz/c01011/pc/list_3.html"} <= urls


def test_jeecms_page_tile():
    url = "https://public.zhengzhou.gov.cn/D41X/"
    listing = cms.analyze(html("jeecms_D41X.html", url))
    assert listing.family == "jeecms"
    assert {p.url for p in listing.pages} >= {f"https://public.zhengzhou.gov.cn/D41X/?a=path&p=D41X&page={k}"
                                             for k in (1, 2, 3)}


def test_ymd_column_next_page_links():
    url = "https://www.wancheng.gov.cn/zfxxgk/nb/index.html"
    listing = cms.analyze(html("ymd_column.html", url))
    assert listing.family == "ymd"
    assert {p.url for p in listing.pages} == {"https://www.wancheng.gov.cn/zfxxgk/nb/index_1.html",
                                              "https://www.wancheng.gov.cn/zfxxgk/nb/index_9.html"}


def test_channels_pages_from_the_count():
    """Pingdingshan: the pager turns pages by script; pages come from 当前第1/5页."""
    url = "https://www.baofeng.gov.cn/channels/32564.html"
    r = html("channels_list.html", url)
    assert generic.pages(r) == []  # nothing to follow: 首页/下一页/尾页 are javascript: links
    listing = cms.analyze(r)
    assert listing.family == "channels"
    assert [p.url for p in listing.pages] == [f"https://www.baofeng.gov.cn/channels/32564_{k}.html" for k in range(2, 6)]
    assert "宝丰县交通运输局2023年政府信息公开工作年度报告" in {l.text for l in listing.links}  # the full @title
    # from page 3: every other page, page 1 included
    r3 = HtmlResponse(url="https://www.baofeng.gov.cn/channels/32564_3.html",
                      body=r.body.replace("当前第1/5页".encode(), "当前第3/5页".encode()))
    assert [p.url.rsplit("/", 1)[1] for p in cms.analyze(r3).pages] == \
           ["32564.html", "32564_2.html", "32564_4.html", "32564_5.html"]


def test_channels_listing_in_the_spider(spider):
    r = html("channels_list.html", "https://www.baofeng.gov.cn/channels/32564.html")
    _, reqs = _split(list(spider.parse_listing(r)))
    assert sorted(q.url for q in reqs if q.meta["kind"] == "article") == [
        "https://www.baofeng.gov.cn/contents/32564/562998.html", "https://www.baofeng.gov.cn/contents/32564/563215.html"]
    assert {q.url for q in reqs if q.meta["kind"] == "listing"} >= \
           {f"https://www.baofeng.gov.cn/channels/32564_{k}.html" for k in range(2, 6)}


YANLING_LIST = "/govxxgk/114110240057660135/category/032/032005/govlist.html"


def test_govxxgk_shell_loads_its_specialurl():
    """Xuchang: the category shell's script loads ``specialurl``; the crawler fetches it."""
    shell = ("http://www.yanling.gov.cn/govxxgk/114110240057660135/openSubPage.html?specialurl="
             f"{YANLING_LIST}&righttitle=%E6%94%BF%E5%BA%9C%E4%BF%A1%E6%81%AF%E5%85%AC%E5%BC%80%E5%B9%B4%E6%8A%A5")
    r = html("govxxgk_shell.html", shell)
    assert not [p for p in generic.pages(r) if "govlist" in p.url]  # an empty iframe, no link to the list
    listing = cms.analyze(r)
    assert listing.family == "govxxgk"
    assert [p.url for p in listing.pages] == ["http://www.yanling.gov.cn" + YANLING_LIST]
    # 禹州 writes the specialurl as a full URL
    yz = ("http://www.yuzhou.gov.cn/govxxgk/114110820057705430/openSubPage.html?specialurl="
          "http://www.yuzhou.gov.cn/govxxgk/035002011001/govlist.html&righttitle=x")
    assert [p.url for p in cms.analyze(html("govxxgk_shell.html", yz)).pages] == \
           ["http://www.yuzhou.gov.cn/govxxgk/035002011001/govlist.html"]


def test_govxxgk_list_pages_from_the_count(spider):
    url = "http://www.yanling.gov.cn" + YANLING_LIST
    r = html("govxxgk_govlist.html", url)
    assert generic.pages(r) == []
    listing = cms.analyze(r)
    assert listing.family == "govxxgk"
    assert [p.url for p in listing.pages] == [
        f"{url}?deptcode=114110240057660135&categorynum=032005&pageIndex={k}" for k in (2, 3)]
    # a page reached with its query keeps it (no script template): pageIndex replaced
    body = re.sub(rb"<script>.*?</script>", b"", r.body, flags=re.S).replace("第1/3页".encode(), "第2/3页".encode())
    r2 = HtmlResponse(url=url + "?deptcode=1&categorynum=2&pageIndex=2", body=body)
    assert [p.url for p in cms.analyze(r2).pages] == [url + "?deptcode=1&categorynum=2&pageIndex=3"]
    _, reqs = _split(list(spider.parse_listing(r)))
    assert sorted(q.url.rsplit("/", 2)[1] for q in reqs if q.meta["kind"] == "article") == ["2024-01-16", "2024-01-18"]


def test_smx_filename_suffix_pages_by_the_generic_rules():
    """Sanmenxia: ``zhengfuxinxi-N.html`` pager links are plain links: the generic rules follow them."""
    url = "https://www.lingbao.gov.cn/16030/0000/zhengfuxinxi-1.html"
    listing = cms.analyze(html("smx_list.html", url))
    assert listing.family == "generic"
    # 下一页, 尾页 (and the nav's link to this very page, which the dupe filter drops)
    assert {p.url for p in listing.pages} == {f"https://www.lingbao.gov.cn/16030/0000/zhengfuxinxi-{k}.html"
                                              for k in (1, 2, 4)}
    # the list text is in a span inside the link
    assert "灵宝市教育局2023年政府信息公开工作年度报告" in {l.text for l in listing.links}


def test_webinfo_column_by_the_generic_rules(spider):
    """Nanyang/Xinyang ``webinfo``: ``index_N.htm`` pages; articles ``webinfo/YYYY/MM/<16 digits>.htm``;
    the 月报 column and a 月报 filed in the 年报 column are not followed."""
    url = "http://www.dengzhou.gov.cn/zl/zfxxgk/zfxxgknb/"
    r = html("webinfo_list.htm", url)
    listing = cms.analyze(r)
    assert listing.family == "generic"
    assert {p.url for p in listing.pages} >= {url + "index_2.htm", url + "index_3.htm"}
    _, reqs = _split(list(spider.parse_listing(r)))
    assert [q.url for q in reqs if q.meta["kind"] == "article"] == [url + "webinfo/2024/01/1695967376343260.htm"]
    assert "http://www.dengzhou.gov.cn/zl/zfxxgk/zfxxgkyb/" not in {q.url for q in reqs}


def test_legacy_asp_list_by_the_generic_rules(spider):
    """An ASP list in GB2312: ``list.asp?class=1420&page=N``; other columns' links are not pages."""
    url = "http://www.taiqian.gov.cn/xxgk/list.asp?class=1420"
    r = html("legacy_list_asp.html", url)
    listing = cms.analyze(r)
    assert listing.family == "generic"
    assert {p.url for p in listing.pages} == {url + "&page=2", url + "&page=3"}
    _, reqs = _split(list(spider.parse_listing(r)))
    assert sorted(q.url for q in reqs if q.meta["kind"] == "article") == [
        "http://www.taiqian.gov.cn/xxgk/show.asp?id=3312", "http://www.taiqian.gov.cn/xxgk/show.asp?id=3315"]


# -- spider callbacks --------------------------------------------------------------------------------


def _split(out):
    from crawler.items import Fetched

    items = [o for o in out if isinstance(o, Fetched)]
    reqs = [o for o in out if isinstance(o, Request)]
    return items, reqs


def test_listing_keeps_reports_skips_notices(spider):
    r = html("trs_list.html", "https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/index.html")
    items, reqs = _split(list(spider.parse_listing(r)))
    assert len(items) == 1 and items[0].kind == "listing" and not items[0].extract
    articles = {q.url: q.meta for q in reqs if q.meta["kind"] == "article"}
    assert set(articles) == {"https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/202401/t20240125_2980001.html",
                             "https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/202301/t20230118_2870001.html"}
    files = [q for q in reqs if q.meta["kind"] == "attachment"]
    assert [q.url for q in files] == ["https://hct.henan.gov.cn/u/cms/www/202201/20220120km0r.pdf"]
    assert files[0].meta["extract"] is True
    listings = {q.url for q in reqs if q.meta["kind"] == "listing"}
    assert {"https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/bmnb/",
            "https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/2023/"} <= listings


def test_since_filters_years(spider):
    spider.since = 2023
    r = html("trs_list.html", "https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/index.html")
    _, reqs = _split(list(spider.parse_listing(r)))
    assert [q.url for q in reqs if q.meta["kind"] in ("article", "attachment")] == \
           ["https://hct.henan.gov.cn/zwgk/xxgk/zfxxgknb/202401/t20240125_2980001.html"]


def test_nav_goes_through_hubs_to_the_column(spider):
    home = html("homepage_nav.html", "https://www.example.gov.cn/", meta={"kind": "nav", "depth": 0})
    _, reqs = _split(list(spider.parse_nav(home)))
    assert {q.url for q in reqs} == {"https://www.example.gov.cn/zwgk/", "https://www.example.gov.cn/zfxxgk/"}
    assert all(q.meta["kind"] == "nav" and q.meta["depth"] == 1 for q in reqs)
    hub = html("hub_zwgk.html", "https://www.example.gov.cn/zwgk/", meta={"kind": "nav", "depth": 1})
    _, reqs = _split(list(spider.parse_nav(hub)))
    assert [(q.url, q.meta["kind"]) for q in reqs] == [("https://www.example.gov.cn/zwgk/nb/", "listing")]
    # the depth bound: a hub at the limit with no column leads nowhere
    deep = html("homepage_nav.html", "https://www.example.gov.cn/x/", meta={"kind": "nav", "depth": 2})
    assert _split(list(spider.parse_nav(deep)))[1] == []


def _extracted(spider, r: HtmlResponse) -> tuple[bool, list[tuple[str, bool]]]:
    """(whether the page itself is extracted, [(attachment file name, extracted?)])."""
    items, reqs = _split(list(spider.parse_article(r)))
    assert items[0].kind == "article" and all(q.meta["kind"] == "attachment" for q in reqs)
    return items[0].extract, [(q.url.rsplit("/", 1)[1], q.meta["extract"]) for q in reqs]


def _without_pdf(body: bytes) -> bytes:
    """The saved pointer page without its PDF's paragraph (附件：<a …pdf>…</a>)."""
    return re.sub(rb'<p>[^<]*<a href="[^"]+\.pdf">[^<]*</a></p>', b"", body)


def test_pointer_page_takes_its_record_from_the_attachment(spider):
    """A 见附件 page's record comes from what it points to: its document when it links one, else
    its scanned image, which the extractor reads by OCR (extract/api.py sniffs images).

    With a PDF beside the scan, the PDF is the record and the scan (a 盖章页) is only archived:
    the PDF carries the report's text, OCR of the scan would only add a second, worse reading.
    Without the PDF the scan is all the report there is; before, the crawler then extracted
    the near-empty HTML page (a not-a-report) and kept the scan unread."""
    url = "https://www.tongbai.gov.cn/2026/01-08/1371044.html"
    r = html("article_pointer.html", url, meta={"kind": "article"})
    assert _extracted(spider, r) == (False, [("b98a27fae67a9bef9a35880795a0c143.pdf", True), ("scan.jpg", False)])
    scan_only = r.replace(body=_without_pdf(r.body))
    assert b".pdf" not in scan_only.body
    assert _extracted(spider, scan_only) == (False, [("scan.jpg", True)])
    tif = scan_only.replace(body=scan_only.body.replace(b"scan.jpg", b"scan.TIF"))
    assert _extracted(spider, tif) == (False, [("scan.TIF", True)])
    from crawler.pipelines import format_of

    assert format_of("https://www.tongbai.gov.cn/upload/scan.TIF", "image/tiff") == "image"


def test_report_page_with_images_is_the_record(spider):
    """A page with the report's text and an image attachment (a photo, a 盖章页) is the record
    itself: the image is archived, not read."""
    r = html("article_full.html", "https://www.wancheng.gov.cn/2026/01-08/1371083.html", meta={"kind": "article"})
    pictures = r.replace(body=r.body.replace(b"08101010abcd.pdf", b"08101010abcd.png"))
    assert _extracted(spider, pictures) == (True, [("08101010abcd.png", False)])


def test_spreadsheet_and_wps_attachments_are_fetched(spider):
    """XLS/XLSX (a report's tables as a spreadsheet) and WPS (Kingsoft's Word format) links on a
    report page are fetched; on a 见附件 page the WPS is the record, spreadsheets only archived."""
    url = "https://www.example.gov.cn/2024/01-20/9001.html"
    title = "示例县民政局2023年政府信息公开工作年度报告"
    files = ["/upload/2024/nb2023.wps", "/upload/2024/tables.xlsx", "/upload/2024/tables-2003.XLS"]
    links = "".join(f'<p><a href="{f}">附件{k}</a></p>' for k, f in enumerate(files, start=1))
    body = (f"<html><body><h1>{title}</h1><div class=\"TRS_Editor\"><p>详见附件。</p>{links}</div></body></html>")
    r = HtmlResponse(url=url, body=body.encode(), encoding="utf-8",
                     request=Request(url, meta={"portal": "410000", "kind": "article"}))
    assert _extracted(spider, r) == (False, [("nb2023.wps", True), ("tables.xlsx", False), ("tables-2003.XLS", False)])
    # the same files (and a scan) linked straight from a report column, each under a report
    # title: requested as attachments; the WPS and the scan are the reports, spreadsheets are not
    listing = "".join(f'<li><a href="{f}">示例县民政局{2020 + k}年政府信息公开工作年度报告</a></li>'
                      for k, f in enumerate(files + ["/upload/2019/nb2019.jpg"]))
    col = HtmlResponse(url="https://www.example.gov.cn/nb/", body=f"<ul>{listing}</ul>".encode(), encoding="utf-8",
                       request=Request("https://www.example.gov.cn/nb/", meta={"portal": "410000", "kind": "listing"}))
    _, reqs = _split(list(spider.parse_listing(col)))
    assert [(q.url.rsplit("/", 1)[1], q.meta["kind"], q.meta["extract"]) for q in reqs] == [
        ("nb2023.wps", "attachment", True), ("tables.xlsx", "attachment", False),
        ("tables-2003.XLS", "attachment", False), ("nb2019.jpg", "attachment", True)]


def test_full_page_is_the_report_and_its_pdf_only_archived(spider):
    r = html("article_full.html", "https://www.wancheng.gov.cn/2026/01-08/1371083.html", meta={"kind": "article"})
    items, reqs = _split(list(spider.parse_article(r)))
    assert items[0].extract is True and len(main_text(r)) > 400
    assert [q.meta["extract"] for q in reqs] == [False]
    assert [l.url for l in attachment_links(r)] == ["https://www.wancheng.gov.cn/u/cms/www/202601/08101010abcd.pdf"]


def test_http_error_becomes_an_error_item(spider):
    url = "https://www.example.gov.cn/gone.html"
    r = HtmlResponse(url=url, status=404, body=b"<html>404</html>",
                     request=Request(url, meta={"portal": "410000", "kind": "article"}))
    items, reqs = _split(list(spider.parse_article(r)))
    assert items[0].error == "HTTP 404" and not reqs


def test_spider_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError):
        ReportsSpider(region="41x3")
    with pytest.raises(ValueError):
        ReportsSpider(since="21")
    s = ReportsSpider(region="4103")
    assert s.portals and all(p.code.startswith("4103") for p in s.portals)
    assert "ly.gov.cn" in s.allowed_hosts


# -- middlewares --------------------------------------------------------------------------------------


def test_wrong_charset_header_is_repaired():
    body = (PAGES / "gbk_wrong_header.html").read_bytes()
    url = "http://x.gov.cn/list.html"
    r = HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    assert "镕堃喆" not in r.text
    fixed = fix_encoding(r)
    assert "龙亭区乡村振兴局2022年政府信息公开工作年度报告（镕堃喆）" in fixed.text
    ok = HtmlResponse(url=url, body="<p>年报</p>".encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    assert fix_encoding(ok) is ok


def test_waf_challenge_detected():
    body = (PAGES / "waf_412.html").read_bytes()
    assert is_waf_challenge(Response("http://x/", status=412, body=body))
    assert not is_waf_challenge(Response("http://x/", status=412, body=b"<html>precondition</html>"))
    assert not is_waf_challenge(Response("http://x/", status=200, body=body))


def test_retry_after_parsing():
    assert retry_after_seconds(b"7") == 7.0
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= retry_after_seconds(date, now=now) <= 31
    assert retry_after_seconds(None) is None and retry_after_seconds(b"soon") is None


def test_confinement_hosts():
    domains = {"zhengzhou.gov.cn", "127.0.0.1"}
    assert host_allowed("public.zhengzhou.gov.cn", domains) and host_allowed("127.0.0.1", domains)
    assert not host_allowed("zhengzhou.gov.cn.evil.com", domains)
    assert not host_allowed("localhost", domains) and not host_allowed("xzhengzhou.gov.cn", domains)


# -- settings ------------------------------------------------------------------------------------------


def test_politeness_defaults():
    """crawler/settings.py, as ``scrapy crawl`` loads it, stays polite: robots.txt obeyed,
    AutoThrottle on, at most 2 requests per host (and no per-IP limit to replace it), the
    downloader that keeps that limit without a delay too, and our User-Agent middleware in
    Scrapy's place, sending the contact URL."""
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from crawler.middlewares import ContactUserAgentMiddleware

    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert 1 <= s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2 and s.getint("CONCURRENT_REQUESTS_PER_IP") in (0, 1, 2)
    assert s.get("DOWNLOADER") == "crawler.downloader.Downloader"
    mws = s.getdict("DOWNLOADER_MIDDLEWARES")
    assert mws["scrapy.downloadermiddlewares.useragent.UserAgentMiddleware"] is None
    assert mws["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None  # replaced by ours:
    assert mws["crawler.middlewares.RobotsTxtMiddleware"] and mws["crawler.middlewares.ContactUserAgentMiddleware"]
    contact = s.get("NIANBAO_CONTACT_URL")
    assert contact.startswith("https://")
    req = Request("https://www.henan.gov.cn/")
    ContactUserAgentMiddleware.from_crawler(SimpleNamespace(settings=s)).process_request(req)
    ua = req.headers[b"User-Agent"].decode()
    assert ua.startswith("nianbao-crawler/") and f"+{contact}" in ua


# -- registry ----------------------------------------------------------------------------------------


def test_registry_is_the_whole_province():
    portals = registry.load_portals()
    assert len(portals) == 178 and len({p.code for p in portals}) == 178
    assert all(p.homepage.startswith("https://") for p in portals if p.homepage)
    zz = {p.code: p for p in portals}["410100"]
    assert zz.annual_report_url == "https://public.zhengzhou.gov.cn/D41X/" and zz.cms == "jhtml"
    assert zz.domains == {"zhengzhou.gov.cn"}


def test_registry_urls_and_errors(tmp_path):
    assert registry.normalize_url("www.henan.gov.cn") == "https://www.henan.gov.cn/"
    assert registry.normalize_url("http://127.0.0.1:8080/henan/") == "http://127.0.0.1:8080/henan/"
    assert registry.registered_domain("public.zzsj.gov.cn") == "zzsj.gov.cn"
    assert registry.registered_domain("127.0.0.1") == "127.0.0.1"
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,homepage\n410000,河南省,ftp://x/\n", encoding="utf-8")
    with pytest.raises(registry.RegistryError, match="bad.csv:2"):
        registry.load_portals(bad)
    with pytest.raises(registry.RegistryError, match="missing columns"):
        (tmp_path / "c.csv").write_text("code,title\n", encoding="utf-8")
        registry.load_portals(tmp_path / "c.csv")
