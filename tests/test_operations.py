"""Operations (issue #5): the scheduled-crawl wrapper, per-portal counts, stale portals.

The wrapper (``python -m crawler.schedule run``) runs for real, in subprocesses, against
the offline replica; the stale flag's edge cases are written through the store API.
"""
from __future__ import annotations

import collections
import fcntl
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.schedule import BUSY_MESSAGE, MARK, cron_line, stale_portals, with_line
from extract.store import STALE_RUNS, Archive, StoreError
from tests.replica.demo import FAST, ROOT, crawl, crawl_command, stored_reports
from tests.replica.server import ReplicaServer
from tests.replica.sites import build_replica

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def replica():
    with ReplicaServer(build_replica()) as srv:
        yield srv


def _wrapper(archive: Path, portals: Path, *extra: str, settings: dict[str, str] | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "crawler.schedule", "run", "--archive", str(archive), "--portals", str(portals),
           *extra]
    for k, v in {**FAST, **(settings or {})}.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _held(lock: Path) -> bool:
    """True while another process holds the flock on ``lock``."""
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock we may have taken
    return False


def test_wrapper_locks_counts_and_flags_stale(replica, tmp_path):
    """Three real wrapper runs: an overlapping one exits 0 at once; per-portal counts match
    the replica's truth; the WAF portal (blocked every time) is stale after the third run."""
    portals = tmp_path / "portals.csv"
    portals.write_text(replica.portals_csv(), encoding="utf-8")
    archive, lock = tmp_path / "archive.db", tmp_path / "archive.db.lock"
    # the first run is slowed down (one request at a time, 0.1 s apart) so the second overlaps it
    first = subprocess.Popen(_wrapper(archive, portals, settings={"DOWNLOAD_DELAY": "0.1",
                                                                  "CONCURRENT_REQUESTS": "1"}),
                             cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        t0 = time.monotonic()
        while not _held(lock) and first.poll() is None and time.monotonic() - t0 < 30:
            time.sleep(0.02)
        assert _held(lock), "the first wrapper never took the lock"
        second = subprocess.run(_wrapper(archive, portals), cwd=ROOT, env=_env(), capture_output=True, text=True,
                                timeout=60)
        assert first.poll() is None, "the first run ended before the overlap was tested"
        assert second.returncode == 0 and BUSY_MESSAGE in second.stderr, second.stderr
        out, _ = first.communicate(timeout=240)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, out[-3000:]
    con = sqlite3.connect(archive)
    con.row_factory = sqlite3.Row
    assert con.execute("SELECT count(*) FROM crawls").fetchone()[0] == 1  # the overlapping run crawled nothing
    counts = {r["portal_code"]: dict(r) for r in con.execute("SELECT * FROM crawl_portals WHERE crawl_id = 1")}
    assert set(counts) == set(replica.truth()["portals"])  # every registry portal, the failing one included
    by_portal = collections.Counter(r["portal_code"] for r in stored_reports(archive))
    truth = collections.Counter(t["portal_code"] for t in replica.truth()["reports"] if t["reachable"])
    assert {c: r["new_reports"] for c, r in counts.items() if r["new_reports"]} == dict(by_portal)
    assert sum(by_portal.values()) <= sum(truth.values())
    log = collections.Counter()
    for r in con.execute("SELECT portal_code, outcome FROM fetch_log WHERE crawl_id = 1"):
        o = r["outcome"]
        log[(r["portal_code"], "errors" if o.startswith("error") else o)] += 1
    for code, row in counts.items():
        for k in ("new", "unchanged", "errors", "blocked"):
            assert row[k] == log[(code, k)], (code, k)
    assert counts["410300"]["blocked"] == 1 and counts["410300"]["new"] == 0  # the WAF portal
    assert counts["410202"]["errors"] >= 2  # a 404 and a robots.txt refusal, the run still exit 0
    # two more (incremental) runs: nothing new, listings answered 304 → unchanged; the WAF portal goes stale
    for run in (2, 3):
        assert stale_portals(archive) == []
        r = subprocess.run(_wrapper(archive, portals), cwd=ROOT, env=_env(), capture_output=True, text=True,
                           timeout=240)
        assert r.returncode == 0, r.stderr[-3000:]
        rows = {x["portal_code"]: x for x in con.execute("SELECT * FROM crawl_portals WHERE crawl_id = ?", (run,))}
        assert sum(x["new_reports"] for x in rows.values()) == 0
        assert all(x["unchanged"] > 0 for c, x in rows.items() if c != "410300")
    assert [s["portal_code"] for s in stale_portals(archive)] == ["410300"]
    assert [tuple(x) for x in con.execute("SELECT portal_code, empty_runs FROM stale_portals")] == [("410300", 3)]
    assert "stale portal 410300" in r.stderr


def _crawl_with(db: Archive, counts: dict[str, tuple[int, int]]) -> int:
    """A crawl row plus per-portal rows {code: (new, unchanged)}, written through the store API."""
    cid = db.start_crawl(spider="reports")
    db.record_crawl_portals(cid, [{"portal_code": c, "new": n, "unchanged": u, "errors": 0 if n + u else 2}
                                  for c, (n, u) in counts.items()])
    db.finish_crawl(cid)
    return cid


def test_stale_needs_consecutive_empty_runs(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as db:
        _crawl_with(db, {"A": (0, 0), "B": (3, 0), "C": (0, 0)})
        _crawl_with(db, {"A": (0, 0), "B": (0, 0), "C": (0, 4)})  # C answers once: its count restarts
        _crawl_with(db, {"A": (0, 0), "B": (0, 0), "C": (0, 0)})
        assert [s["portal_code"] for s in stale_portals(path)] == ["A"]
        assert [s["portal_code"] for s in stale_portals(path, 2)] == ["A", "B"]
        _crawl_with(db, {"A": (0, 0), "B": (0, 0), "C": (0, 0)})
        view = {r[0]: r[1] for r in db.conn.execute("SELECT portal_code, empty_runs FROM stale_portals")}
        assert view == {"A": 4, "B": 3} and STALE_RUNS == 3
        _crawl_with(db, {"A": (0, 1)})  # A answers again: no longer stale
        assert [s["portal_code"] for s in stale_portals(path)] == ["B"]


def test_crawl_portal_rows_are_checked(tmp_path):
    with Archive(tmp_path / "a.db") as db:
        with pytest.raises(StoreError, match="no such crawl"):
            db.record_crawl_portals(99, [{"portal_code": "A"}])
        cid = db.start_crawl(spider="reports")
        with pytest.raises(StoreError, match="must be a count"):
            db.record_crawl_portals(cid, [{"portal_code": "A", "new": -1}])
        with pytest.raises(StoreError, match="without portal_code"):
            db.record_crawl_portals(cid, [{"new": 1}])
        assert not db.conn.execute("SELECT 1 FROM crawl_portals").fetchall()  # nothing half-written
        # counted from the fetch log; a registry portal that logged nothing gets a zero row
        db.log_fetch("http://x/1", portal_code="A", outcome="new", crawl_id=cid, sha256="a" * 64)
        db.log_fetch("http://x/2", portal_code="A", outcome="error: HTTP 500", crawl_id=cid)
        db.log_fetch("http://x/3", portal_code="B", outcome="blocked", crawl_id=cid)
        rows = db.crawl_portal_counts(cid, ["A", "B", "Z"])
        assert rows == [
            {"portal_code": "A", "new_reports": 0, "new": 1, "unchanged": 0, "errors": 1, "blocked": 0},
            {"portal_code": "B", "new_reports": 0, "new": 0, "unchanged": 0, "errors": 0, "blocked": 1},
            {"portal_code": "Z", "new_reports": 0, "new": 0, "unchanged": 0, "errors": 0, "blocked": 0}]


def test_crontab_line_is_replaced_not_duplicated(tmp_path):
    line = cron_line("17 2 * * *", tmp_path / "archive.db")
    assert line.startswith("17 2 * * * cd ") and line.endswith(MARK) and " crawler.schedule run " in line
    mine = "MAILTO=me@example.org\n0 * * * * /usr/bin/backup\n"
    once = with_line(mine, line)
    assert once == mine + line + "\n"
    other = cron_line("5 3 * * *", tmp_path / "archive.db")
    twice = with_line(once, other)
    assert twice == mine + other + "\n"  # the old nianbao line replaced, the others kept
    assert with_line(twice, other) == twice
    with pytest.raises(ValueError, match="5 cron fields"):
        cron_line("nightly", tmp_path / "archive.db")


def test_cron_daemon_detection(tmp_path):
    from crawler.schedule import cron_daemon_running

    proc = tmp_path / "proc"
    for pid, comm in ((1, "init"), (42, "python3")):
        (proc / str(pid)).mkdir(parents=True)
        (proc / str(pid) / "comm").write_text(comm + "\n")
    assert not cron_daemon_running(proc)
    (proc / "77").mkdir()
    (proc / "77" / "comm").write_text("cron\n")
    assert cron_daemon_running(proc)


# -- scale-out: two crawl processes sharing a scrapy-redis queue ------------------------------


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on 127.0.0.1 (free port, no persistence), stopped after the test."""
    import shutil
    import socket

    import redis

    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (apt package redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not answer")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _fetches(db: Path) -> list[tuple[str, str | None]]:
    con = sqlite3.connect(db)
    try:
        return [tuple(r) for r in con.execute("SELECT url, sha256 FROM fetch_log")]
    finally:
        con.close()


@pytest.fixture(scope="module")
def reference(replica, tmp_path_factory):
    """A fault-free single-process crawl of the replica: (registry CSV, archive DB)."""
    d = tmp_path_factory.mktemp("reference")
    portals = d / "portals.csv"
    portals.write_text(replica.portals_csv(), encoding="utf-8")
    run = crawl(portals, d / "ref.db", d / "ref-raw")
    assert run.returncode == 0, run.log[-3000:]
    return portals, d / "ref.db"


def test_two_processes_share_one_redis_queue(replica, reference, redis_url, tmp_path):
    portals, ref_db = reference
    env = {**_env(), "REDIS_URL": redis_url, "NIANBAO_RUN": "test"}
    # a little slower than the test default, so that both processes are up before the queue drains
    slow = {"CONCURRENT_REQUESTS": "2", "DOWNLOAD_DELAY": "0.05"}
    procs = [subprocess.Popen(crawl_command(portals, tmp_path / f"shard{i}.db", tmp_path / f"raw{i}", settings=slow),
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for i in (0, 1)]
    logs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [log[-2000:] for log in logs]
    assert all("scrapy_redis.scheduler.Scheduler" in log for log in logs)
    shards = [_fetches(tmp_path / f"shard{i}.db") for i in (0, 1)]
    assert all(shards), [len(s) for s in shards]  # both processes did part of the work
    union = shards[0] + shards[1]
    urls = [u for u, _ in union]
    assert len(urls) == len(set(urls))  # no URL fetched twice, within or across processes
    assert sorted(union) == sorted(_fetches(ref_db))  # the union is the single-process crawl
    reports = [(r["url"], r["document_sha256"]) for i in (0, 1) for r in stored_reports(tmp_path / f"shard{i}.db")]
    assert len(reports) == len(set(reports))  # every report archived once
    assert sorted(reports) == sorted((r["url"], r["document_sha256"]) for r in stored_reports(ref_db))
    # the shards merged (python -m crawler.merge) are the single-process archive
    merged = tmp_path / "merged.db"
    run = subprocess.run([sys.executable, "-m", "crawler.merge", str(merged), f"{tmp_path / 'shard0.db'}={tmp_path / 'raw0'}",
                          f"{tmp_path / 'shard1.db'}={tmp_path / 'raw1'}", "--raw", str(tmp_path / "merged-raw")],
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    assert _archive_state(merged) == _archive_state(ref_db)
    con = sqlite3.connect(merged)
    assert con.execute("SELECT count(*) FROM crawls WHERE merged_from IS NOT NULL").fetchone()[0] == 2
    assert sorted(con.execute("SELECT url, sha256 FROM fetch_log")) == sorted(_fetches(ref_db))
    con.close()
    again = subprocess.run(run.args, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _archive_state(merged) == _archive_state(ref_db)
    assert sorted(_fetches(merged)) == sorted(_fetches(ref_db))


# -- faults: 500s, resets, truncated bodies, slow answers ----------------------------------------


def _archive_state(db: Path) -> tuple[list, list, list]:
    """(report rows, document sha256s, fetched URL → sha256) of an archive, comparable across crawls."""
    con = sqlite3.connect(db)
    try:
        docs = sorted(r[0] for r in con.execute("SELECT sha256 FROM documents"))
        fetched = sorted(set(con.execute("SELECT url, sha256 FROM fetch_log WHERE sha256 IS NOT NULL")))
    finally:
        con.close()
    rows = sorted(tuple(sorted((k, v) for k, v in r.items() if k != "id")) for r in stored_reports(db))
    return rows, docs, fetched


def test_faults_are_covered_by_retries(replica, reference, tmp_path):
    portals, ref_db = reference
    replica.faults, replica.fault_seed = 0.05, 11
    replica.reset_hits()
    try:
        run = crawl(portals, tmp_path / "archive.db", tmp_path / "raw")
    finally:
        replica.faults = 0.0
        hits = replica.reset_hits()
    assert run.returncode == 0, run.log[-3000:]
    kinds = collections.Counter(h.fault for h in hits if h.fault)
    assert sum(kinds[k] for k in ("500", "reset", "truncated")) >= 2, kinds  # faults did happen
    assert _archive_state(tmp_path / "archive.db") == _archive_state(ref_db)


def test_merge_refuses_bad_input(tmp_path):
    from crawler.merge import main

    with pytest.raises(SystemExit, match="no archive"):
        main([str(tmp_path / "out.db"), str(tmp_path / "missing.db")])
    Archive(tmp_path / "a.db").close()
    with pytest.raises(SystemExit, match="no raw store"):
        main([str(tmp_path / "out.db"), str(tmp_path / "a.db")])
    (tmp_path / "raw").mkdir()
    with pytest.raises(SystemExit, match="must not be one of the inputs"):
        main([str(tmp_path / "a.db"), f"{tmp_path / 'a.db'}={tmp_path / 'raw'}"])
    assert not (tmp_path / "out.db").exists()
