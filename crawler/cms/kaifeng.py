"""Kaifeng county sites: ``/<site>/c01011/pc/list.html``, then ``list_2.html``… The pager
prints ``共N页``; page links are followed by the generic rules as well."""
from __future__ import annotations

import re

from scrapy.http import TextResponse

from . import PageRequest

NAME = "kaifeng"
_COLUMN = re.compile(r"/c\d{5}/pc/list(?:_\d+)?\.html$")
_TOTAL = re.compile(r"共\s*(\d+)\s*页")
_MAX_PAGES = 500


def matches(url: str, text: str) -> bool:
    return bool(_COLUMN.search(url.split("?")[0]))


def pages(response: TextResponse) -> list[PageRequest]:
    m = _TOTAL.search(response.text)
    if not m:
        return []
    base = response.url.split("?")[0].rsplit("/", 1)[0] + "/"
    return [PageRequest(base + ("list.html" if k == 1 else f"list_{k}.html"))
            for k in range(1, min(int(m.group(1)), _MAX_PAGES) + 1)]
