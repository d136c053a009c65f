"""Generic listing rules, used by every family and alone for unknown sites.

Links: every ``<a href>`` (text = the longer of the anchor text and its ``title``).
Pages: 下一页 links, numbered pager links, and the common static shapes
``index_N.html``, ``listN.html``, ``list_N.html``, ``-N.html``, ``?page=N`` /
``pageNum=N`` on the same path.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse

from .. import titles
from . import Link, PageRequest

NAME = "generic"
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "file:", "ftp:", "data:")
_PAGED = re.compile(
    r"(?:/index_\d+\.s?html?|/list_?\d+\.html|-\d+\.html|[?&](?:page|pageNum|cur_page|pageIndex)=\d+|"
    r"/index_\d+\.jhtml)(?:$|[?#&])"
)


def anchors(response: TextResponse, scope: str = "//a[@href]") -> list[Link]:
    """All links under ``scope`` as absolute URLs with their best text, in page order.

    Works on the lxml tree directly (a parsel Selector per text node costs ~10 ms a page)."""
    try:
        sel = response.selector
        if sel.type not in ("html", "xml"):
            return []
        found = sel.root.xpath(scope)
    except (ValueError, AttributeError):  # a JSON body (sitesources script.json) has no links
        return []
    out = []
    for a in found:
        if not hasattr(a, "get"):
            continue
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            continue
        text = " ".join(t.strip() for t in a.itertext() if t.strip())
        title = (a.get("title") or "").strip()
        if title and (len(title) >= len(text) or text.endswith(("…", "...", ".."))):
            text = title  # list pages cut long titles and keep the full one in @title
        url = response.urljoin(href)
        if urlsplit(url).scheme in ("http", "https"):
            out.append(Link(url, text))
    return out


def links(response: TextResponse) -> list[Link]:
    return anchors(response)


def same_column(base: str, url: str) -> bool:
    """True when ``url`` is in the same directory as ``base`` (a pager link, not another column)."""
    b, u = urlsplit(base), urlsplit(url)
    return b.netloc == u.netloc and b.path.rsplit("/", 1)[0] == u.path.rsplit("/", 1)[0]


def pages(response: TextResponse) -> list[PageRequest]:
    out = []
    for link in anchors(response):
        if not same_column(response.url, link.url):
            continue
        if titles.is_next_page(link.text) or re.fullmatch(r"\d{1,4}|尾页|末页", link.text or ""):
            out.append(PageRequest(link.url))
        elif _PAGED.search(link.url) and not titles.is_report_title(link.text):
            out.append(PageRequest(link.url))
    return out


def absolute(base: str, href: str) -> str:
    return urljoin(base, href)
