"""The least a Scrapy crawl can do: follow every same-site link once, keep nothing.

``bench/crawl_speed.py`` runs it (``scrapy runspider bench/bare_spider.py -a starts=FILE``)
beside nianbao's crawler and ``wget --mirror`` on the same replica, with the same settings,
to show how much of the crawler's time is Scrapy's own per-request machinery rather than
nianbao's work (parsing listings, raw store, WARC, fetch log).
"""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import scrapy


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, starts: str, **kwargs):
        super().__init__(**kwargs)
        with open(starts, encoding="utf-8") as fh:
            self.start_urls = fh.read().split()
        self.hosts = {urlsplit(u).netloc for u in self.start_urls}
        self.seen = set(self.start_urls)

    def parse(self, response):
        if not isinstance(response, scrapy.http.TextResponse):
            return
        for href in response.xpath("//a/@href").getall():
            url = urljoin(response.url, href.strip()).split("#", 1)[0]
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc in self.hosts and url not in self.seen:
                self.seen.add(url)  # one request per URL, without a trip through the dupefilter
                yield scrapy.Request(url, callback=self.parse)
