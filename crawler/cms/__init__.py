"""Per-CMS helpers: each answers, for a listing page, where the next list pages are and
which links it lists.  The families (../shared/henan/url-patterns.md, cms-shapes.md):

* :mod:`.trs` — TRS WCM ``index.html`` → ``index_1.html`` with ``createPageHTML(N, …)``
* :mod:`.hanweb` — Hanweb ``/col/colN/index.html``, list by POST to ``dataproxy.jsp``
* :mod:`.sitesources` — ``/sitesources/<site>/page_pc/…/list1.html`` (+ ``script.json``)
* :mod:`.kaifeng` — Kaifeng ``/<site>/c01011/pc/list.html`` → ``list_2.html`` …
* :mod:`.jeecms` — Zhengzhou ``public.<domain>/D41X/`` query-paged lists (``.page-tile``)
* :mod:`.channels` — Pingdingshan ``/channels/<id>.html`` → ``<id>_2.html`` … from ``当前第1/N页``
* :mod:`.govxxgk` — Xuchang ``govxxgk/<org>/openSubPage.html?specialurl=…govlist.html`` frame
  shells, then ``govlist.html?…&pageIndex=N`` from the pager's count
* :mod:`.ymd` — the Henan ``/YYYY/MM-DD/<id>.html`` platform (column found by navigation)
* :mod:`.generic` — last: 下一页 links, ``index_N`` / ``listN`` / ``-N`` / ``page=N`` links.
  Alone it serves the families whose pagers are plain links: Sanmenxia ``smx``
  (``/<col>/0000/zhengfuxinxi-N.html``), ``webinfo`` columns (``index_N.htm``, articles
  ``webinfo/YYYY/MM/<16 digits>.htm``) and ``legacy`` ASP lists (``list.asp?class=…&page=N``).

A helper never decides what is a report: that is :mod:`crawler.titles` (= :mod:`extract.titles`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from scrapy.http import Response, TextResponse


@dataclass(frozen=True)
class Link:
    """A link found on a listing page: absolute URL and its best text (anchor text or title)."""

    url: str
    text: str


@dataclass(frozen=True)
class PageRequest:
    """A further listing page to fetch (GET, or a form POST for Hanweb's dataproxy)."""

    url: str
    method: str = "GET"
    formdata: tuple[tuple[str, str], ...] | None = None


@dataclass
class Listing:
    family: str
    links: list[Link] = field(default_factory=list)
    pages: list[PageRequest] = field(default_factory=list)


def _helpers() -> list[ModuleType]:
    from . import channels, govxxgk, hanweb, jeecms, kaifeng, sitesources, trs, ymd

    return [hanweb, trs, sitesources, kaifeng, jeecms, channels, govxxgk, ymd]


def family_of(response: Response) -> str:
    """The CMS family of a page (the first helper that claims it), or ``generic``."""
    text = response.text if isinstance(response, TextResponse) else ""
    for h in _helpers():
        if h.matches(response.url, text):
            return h.NAME
    return "generic"


def analyze(response: Response) -> Listing:
    """Links and further pages of a listing page, by its family's helper plus the generic rules."""
    from . import generic

    if not isinstance(response, TextResponse):
        return Listing("binary")
    text = response.text
    for h in _helpers():
        if h.matches(response.url, text):
            links = h.links(response) if hasattr(h, "links") else generic.links(response)
            pages = list(h.pages(response)) + [p for p in generic.pages(response)]
            return Listing(h.NAME, links, _unique(pages))
    return Listing("generic", generic.links(response), _unique(generic.pages(response)))


def _unique(pages: list[PageRequest]) -> list[PageRequest]:
    seen, out = set(), []
    for p in pages:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
