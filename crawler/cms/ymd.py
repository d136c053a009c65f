"""The Henan ``/YYYY/MM-DD/<id>.html`` platform (province, Luoyang, Jiaozuo, Nanyang…).

Article URLs carry only a publish date and an id, never the column, so the column is
found through navigation (the spider's job); its list pages page with 下一页 links and
``index_N.html`` (the generic rules)."""
from __future__ import annotations

import re

from scrapy.http import TextResponse

from . import PageRequest

NAME = "ymd"
ARTICLE = re.compile(r"/(?:19|20)\d{2}/\d{2}-?\d{2}/\d+\.html$")
_IN_PAGE = re.compile(r"/(?:19|20)\d{2}/\d{2}-?\d{2}/\d+\.html")


def matches(url: str, text: str) -> bool:
    """A page listing at least two ``/YYYY/MM-DD/<id>.html`` articles."""
    return len(_IN_PAGE.findall(text)) >= 2


def pages(response: TextResponse) -> list[PageRequest]:
    return []
