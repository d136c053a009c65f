"""Zhengzhou's JEECMS-style disclosure hosts: ``public.<domain>/D41X/`` (the government's
reports), ``/D42Y/`` (departments), articles ``/<col>/<id>.jhtml``.  Lists page by query
(``?page=N``) with the pager in ``.page-tile``; news lists page ``index_N.jhtml``."""
from __future__ import annotations

import re

from scrapy.http import TextResponse

from . import PageRequest
from .generic import anchors

NAME = "jeecms"
_ARTICLE = re.compile(r"/[A-Za-z0-9]+/\d+\.jhtml")


def matches(url: str, text: str) -> bool:
    return ".jhtml" in text and ("page-tile" in text or "index.jhtml" in url or bool(_ARTICLE.search(text)))


def pages(response: TextResponse) -> list[PageRequest]:
    return [PageRequest(link.url) for link in anchors(response, "//*[contains(@class,'page-tile')]//a[@href]")]
