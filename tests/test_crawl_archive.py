"""The crawl's archive writer (crawler.archive.Writer) and replays from the raw store.

The writer runs jobs on its own thread and its own SQLite connection, many per
transaction; these tests drive it with a real reactor-less Deferred flow (the reply is
delivered through ``callFromThread``, so they pump Twisted's thread-call queue).
"""
from __future__ import annotations

import hashlib
import sqlite3
import time

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler.archive import CrawlArchive, Writer
from crawler.middlewares import IncrementalMiddleware
from crawler.spiders.reports import ReportsSpider
from extract.store import Archive, raw_path


def _settle(deferreds, timeout: float = 10.0) -> list:
    """Run the reactor's pending thread calls until every Deferred has fired; their results."""
    from twisted.internet import reactor

    results: dict[int, object] = {}
    for i, d in enumerate(deferreds):
        d.addBoth(lambda r, i=i: results.__setitem__(i, r))
    deadline = time.monotonic() + timeout
    while len(results) < len(deferreds):
        assert time.monotonic() < deadline, "writer never answered"
        reactor.runUntilCurrent()  # runs callFromThread calls (the writer's replies)
        time.sleep(0.005)
    return [results[i] for i in range(len(deferreds))]


def test_writer_batches_in_order_and_isolates_a_failing_job(tmp_path):
    db_path = tmp_path / "a.db"
    Archive(db_path).close()
    w = Writer(db_path, max_batch=64)
    order: list[int] = []

    def job(i):
        def run(db: Archive):
            order.append(i)
            if i == 5:  # a refused write: rolled back alone, the batch commits
                db.log_fetch(f"http://x/{i}", outcome="new")
                raise ValueError("refused")
            return db.log_fetch(f"http://x/{i}", outcome="new")
        return run

    ds = [w.submit(job(i)) for i in range(20)]
    out = _settle(ds)
    w.close()
    assert order == list(range(20))
    assert str(out[5].value) == "refused"
    assert all(isinstance(r, int) for i, r in enumerate(out) if i != 5)
    con = sqlite3.connect(db_path)
    urls = [u for (u,) in con.execute("SELECT url FROM fetch_log ORDER BY id")]
    assert urls == [f"http://x/{i}" for i in range(20) if i != 5]  # nothing of job 5 kept


def test_writer_close_finishes_submitted_jobs(tmp_path):
    db_path = tmp_path / "a.db"
    Archive(db_path).close()
    w = Writer(db_path)
    for i in range(300):
        w.submit(lambda db, i=i: db.log_fetch(f"http://y/{i}", outcome="new"))
    w.close()
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM fetch_log").fetchone()[0] == 300


def test_writer_reports_an_unopenable_database(tmp_path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(sqlite3.Error):
        Writer(tmp_path / "dir.db")


def test_replay_of_a_redirected_document_keeps_its_final_url(tmp_path):
    """A document fetched through a 301 whose extraction never finished (the crawl was
    killed) is replayed at the URL it was served from, so its report keeps that URL."""
    body = b"<html><body>report</body></html>"
    sha = hashlib.sha256(body).hexdigest()
    old, final = "http://127.0.0.1:9/luolong/old/1.html", "http://127.0.0.1:9/luolong/2024/01-15/1.html"
    arch = CrawlArchive(tmp_path / "a.db", tmp_path / "raw")
    arch.put_raw(body)
    arch.db.record_document(sha, url=final, format="html", size=len(body), fetched_at="2026-01-01T00:00:00Z",
                            status="pending")
    arch.db.log_fetch(old, final_url=final, status=200, sha256=sha, outcome="new")
    arch.close()

    arch = CrawlArchive(tmp_path / "a.db", tmp_path / "raw")  # a new crawl reads what is archived
    assert arch.final_urls[old] == final and raw_path(tmp_path / "raw", sha).exists()
    crawler = get_crawler(ReportsSpider)
    crawler.nianbao = arch
    mw = IncrementalMiddleware(crawler)
    resp = mw.process_request(Request(old, meta={"kind": "article", "portal": "410311"}))
    assert resp.url == final and resp.body == body and "archived" in resp.flags
    assert resp.meta["redirect_urls"] == [old] and resp.meta["archived_sha256"] == sha
    arch.close()
