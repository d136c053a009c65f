"""The one way a nianbao middleware or pipeline gets at its crawler."""
from __future__ import annotations


class CrawlerComponent:
    """Built by Scrapy through ``from_crawler``; keeps the crawler and its stats."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
