"""The "sitesources" platform: ``/sitesources/<site>/page_pc/<col>/list1.html``, ``list2.html``…
with the page count in ``<col>/script.json`` (``endPage``) or in the pager's ``listN`` links."""
from __future__ import annotations

import json
import re

from scrapy.http import TextResponse

from . import PageRequest

NAME = "sitesources"
_LIST = re.compile(r"/page_pc/(?:.*/)?list(\d+)\.html$")
_END = re.compile(r"""endPage["']?\s*[:=]\s*["']?(\d+)""")
_MAX_PAGES = 500


def matches(url: str, text: str) -> bool:
    return "/sitesources/" in url and "/page_pc/" in url


def pages(response: TextResponse) -> list[PageRequest]:
    """list1…listN from an inline ``endPage``, else the column's script.json (fetched next)."""
    base = response.url.split("?")[0].rsplit("/", 1)[0] + "/"
    if response.url.endswith("script.json"):
        try:
            end = int(json.loads(response.text).get("endPage", 0))
        except (ValueError, AttributeError):
            return []
        return [PageRequest(f"{base}list{k}.html") for k in range(1, min(end, _MAX_PAGES) + 1)]
    m = _END.search(response.text)
    if m:
        return [PageRequest(f"{base}list{k}.html") for k in range(1, min(int(m.group(1)), _MAX_PAGES) + 1)]
    if _LIST.search(response.url) or response.url.endswith("/") or response.url.endswith("index.html"):
        return [PageRequest(f"{base}script.json")]
    return []
