"""Pingdingshan's platform (宝丰, 卫东, 新华区, 湛河, 汝州): columns ``/channels/<id>.html``,
page k of a column ``/channels/<id>_k.html``, articles ``/contents/<channel>/<id>.html``.

The pager prints the count (``当前第1/5页``) and turns pages by script: its 首页 / 下一页 /
尾页 are ``javascript:`` links, so the generic rules see no page link.  The pages are
built from the count, as public crawlers of these sites do (``<id>_{k}.html``)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from . import PageRequest

NAME = "channels"
_COLUMN = re.compile(r"/channels/(\d+)(?:_\d+)?\.html$")
_COUNT = re.compile(r"当前第\s*\d+\s*/\s*(\d+)\s*页|共\s*(\d+)\s*页")
_MAX_PAGES = 500


def matches(url: str, text: str) -> bool:
    return bool(_COLUMN.search(urlsplit(url).path))


def page_count(text: str) -> int | None:
    m = _COUNT.search(text)
    return int(m.group(1) or m.group(2)) if m else None


def pages(response: TextResponse) -> list[PageRequest]:
    """Every page of the column (``<id>.html``, ``<id>_2.html`` …) but the one at hand."""
    url = response.url.split("?")[0].split("#")[0]
    m = _COLUMN.search(urlsplit(url).path)
    n = page_count(response.text)
    if not m or not n:
        return []
    base = url[: url.rindex("/channels/")] + "/channels/" + m.group(1)
    urls = [f"{base}.html" if k == 1 else f"{base}_{k}.html" for k in range(1, min(n, _MAX_PAGES) + 1)]
    return [PageRequest(u) for u in urls if u != url]
