"""TRS WCM: ``index.html`` → ``index_1.html`` … with the page count in
``createPageHTML(<pages>, <current0>, "index", "html")`` or ``var countPage = N``."""
from __future__ import annotations

import re

from scrapy.http import TextResponse

from . import PageRequest

NAME = "trs"
_CREATE = re.compile(r"createPageHTML\s*\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([\w-]+)[\"']\s*,\s*[\"'](\w+)[\"']")
_COUNT = re.compile(r"countPage\s*=\s*(\d+)")
_MAX_PAGES = 500


def matches(url: str, text: str) -> bool:
    return bool(_CREATE.search(text) or _COUNT.search(text)) or bool(re.search(r"/t\d{8}_\d+\.s?html?$", url))


def page_count(text: str) -> tuple[int, str, str] | None:
    """(pages, file stem, extension) from the pagination script, None when absent."""
    m = _CREATE.search(text)
    if m:
        return int(m.group(1)), m.group(3), m.group(4)
    m = _COUNT.search(text)
    if m:
        return int(m.group(1)), "index", "html"
    return None


def pages(response: TextResponse) -> list[PageRequest]:
    found = page_count(response.text)
    if not found:
        return []
    n, stem, ext = found
    base = response.url.split("?")[0].rsplit("/", 1)[0] + "/"
    # every page from page 0: page k+1 is index_k.html
    urls = [f"{base}{stem}.{ext}"] + [f"{base}{stem}_{k}.{ext}" for k in range(1, min(n, _MAX_PAGES))]
    return [PageRequest(u) for u in urls if u != response.url]
