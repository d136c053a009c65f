"""Xuchang's disclosure platform (鄢陵, 禹州; an Epoint-style ``govxxgk``): a category opens
in a frame shell ``/govxxgk/<org>/openSubPage.html?specialurl=<list>&righttitle=<name>``
whose script reads ``specialurl`` from its own query and loads that list —
``/govxxgk/<org>/category/<codes>/govlist.html`` — into the frame.  The list is
``ul#govinfolist``; its pages are ``govlist.html?…&pageIndex=N`` with the count in the
pager (``第1/3页``) and the page turned by script (``ShowNewPage(2)``).

So: on a shell, the next "page" is the ``specialurl`` (absolute or a path); on a list,
pages 2…N are built from the count, with the query the pager script writes
(``deptcode=…&categorynum=…&pageIndex=``) when the page carries it."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from scrapy.http import TextResponse

from . import PageRequest

NAME = "govxxgk"
_LIST = re.compile(r"/govlist\.html$")
_TEMPLATE = re.compile(r"""govlist\.html\?([^"'\s<>]*?)pageIndex=""")
_COUNT = re.compile(r"第\s*\d+\s*/\s*(\d+)\s*页|共\s*(\d+)\s*页")
_MAX_PAGES = 500


def matches(url: str, text: str) -> bool:
    return "/govxxgk/" in urlsplit(url).path


def frame_targets(url: str) -> list[str]:
    """The list(s) a frame shell loads: its ``specialurl`` query values, made absolute."""
    parts = urlsplit(url)
    if not parts.path.endswith("openSubPage.html"):
        return []
    out = []
    for k, v in parse_qsl(parts.query):
        if k.lower() == "specialurl" and v:
            target = v if "://" in v else f"{parts.scheme}://{parts.netloc}{v if v.startswith('/') else '/' + v}"
            if urlsplit(target).scheme in ("http", "https"):
                out.append(target)
    return out


def list_pages(url: str, text: str) -> list[str]:
    """Pages 2…N of a ``govlist.html`` list (page 1 is the list URL itself)."""
    parts = urlsplit(url)
    if not _LIST.search(parts.path):
        return []
    m = _COUNT.search(text)
    if not m:
        return []
    n = min(int(m.group(1) or m.group(2)), _MAX_PAGES)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    t = _TEMPLATE.search(text)
    if t:
        prefix = t.group(1).replace("&amp;", "&")
        return [f"{base}?{prefix}pageIndex={k}" for k in range(2, n + 1)]
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "pageIndex"]
    return [f"{base}?{urlencode(query + [('pageIndex', str(k))])}" for k in range(2, n + 1)]


def pages(response: TextResponse) -> list[PageRequest]:
    urls = frame_targets(response.url) + list_pages(response.url, response.text)
    return [PageRequest(u) for u in urls if u != response.url]
