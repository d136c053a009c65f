"""Scrapy's downloader with its per-host concurrency kept when there is no download delay.

Scrapy 2.19 (asyncio reactor) starts a queued request as an asyncio task and counts it
against its slot's concurrency (``slot.transferring``) only once that task runs.  One pass
of ``Downloader._process_queue`` therefore sees the slot as free the whole time and starts
every queued request at once: with ``DOWNLOAD_DELAY = 0`` (AutoThrottle off, or the tests'
and benchmarks' fast settings) a host got up to ``CONCURRENT_REQUESTS`` requests, not
``CONCURRENT_REQUESTS_PER_DOMAIN``.  (With a delay each pass starts one request, so the
project's polite defaults were not affected.)  Here a request counts as transferring from
the moment it is taken off the queue; Scrapy's ``_download`` adds it again (a set) and
removes it when its answer has come.
"""
from __future__ import annotations

from scrapy.core.downloader import Downloader as _ScrapyDownloader

if not hasattr(_ScrapyDownloader, "_wait_for_download"):  # the hook below: fail loudly, not silently
    raise ImportError("crawler.downloader: this Scrapy has no Downloader._wait_for_download to hook")


class Downloader(_ScrapyDownloader):
    def _wait_for_download(self, slot, request, queue_dfd):
        slot.transferring.add(request)  # now, not when the task starts: the queue pass sees it
        return super()._wait_for_download(slot, request, queue_dfd)
