"""Hanweb (大汉) JCMS: columns ``/col/colN/index.html`` whose list is loaded by a POST to
``/module/web/jpage/dataproxy.jsp?startrecord=S&endrecord=E&perpage=P`` answering
``<datastore>…<recordset><record><![CDATA[<li>…</li>]]></record>…``.

The column page carries the jpage script: ``totalRecord:N``, ``perPage:P`` and the form
fields (``columnid``, ``webid``, ``unitid``…); the dataproxy URL is in the script too.
Records come 3 pages (3 × perpage) per call, as the real front-end asks.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from parsel import Selector
from scrapy.http import TextResponse

from . import Link, PageRequest
from .generic import anchors

NAME = "hanweb"
_PROXY = re.compile(r"""["']([^"']*?/dataproxy\.jsp)["']""")
_TOTAL = re.compile(r"totalRecord\s*[:=]\s*['\"]?(\d+)")
_PERPAGE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)")
_FIELD = re.compile(r"\b(col|webid|path|columnid|sourceContentType|unitid|webname|permissiontype|appid)"
                    r"\s*[:=]\s*['\"]([^'\"]*)['\"]")
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_PAGES_PER_CALL = 3
DEFAULT_PROXY = "/module/web/jpage/dataproxy.jsp"  # the current mount point when the script names none


def matches(url: str, text: str) -> bool:
    return "dataproxy.jsp" in url or "/col/col" in url or "dataproxy.jsp" in text


def is_datastore(response: TextResponse) -> bool:
    return "dataproxy.jsp" in response.url or "<datastore" in response.text[:2000]


def pages(response: TextResponse) -> list[PageRequest]:
    """The dataproxy POSTs that return every record of the column."""
    if is_datastore(response):
        return []
    text = response.text
    proxy = _PROXY.search(text)
    total = _TOTAL.search(text)
    if not total or not (proxy or "jpage" in text):
        return []
    per = int(_PERPAGE.search(text).group(1)) if _PERPAGE.search(text) else 15
    fields = tuple((k, v) for k, v in _FIELD.findall(text))
    url = response.urljoin(proxy.group(1) if proxy else DEFAULT_PROXY)
    step = per * _PAGES_PER_CALL
    out = []
    for start in range(1, int(total.group(1)) + 1, step):
        q = urlencode({"startrecord": start, "endrecord": start + step - 1, "perpage": per})
        out.append(PageRequest(f"{url}?{q}", method="POST", formdata=fields))
    return out


def records(xml: str) -> list[str]:
    """The HTML fragments of a dataproxy answer (stray tables and link-less records included)."""
    return _RECORD.findall(xml)


def links(response: TextResponse) -> list[Link]:
    if not is_datastore(response):
        return anchors(response)
    out = []
    for frag in records(response.text):
        sel = Selector(text=frag)
        for a in sel.xpath("//a[@href]"):
            text = " ".join(t.strip() for t in a.xpath(".//text()").getall() if t.strip())
            title = (a.attrib.get("title") or "").strip()
            full = title if title and (len(title) >= len(text) or text.endswith(("…", "..."))) else text
            out.append(Link(response.urljoin(a.attrib["href"].strip()), full))
    return out
