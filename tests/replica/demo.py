"""``make archive``: start the replica, run the real ``scrapy crawl reports`` against it, leave archive.db.

    python -m tests.replica.demo --archive archive.db [--raw data/raw] [--keep-serving]

Prints what it did: the portals, the crawl's counts, every report stored, and how that
compares with the replica's ground truth.  :func:`crawl` and :func:`compare` are shared
with the end-to-end tests and the benchmark.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .server import ReplicaServer
from .sites import build_replica

ROOT = Path(__file__).resolve().parents[2]
# Politeness stays on (robots.txt, ≤ 2 per host, WAF, Retry-After); only the waits go,
# because the replica is local.
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "INFO",
        "TELNETCONSOLE_ENABLED": "False", "REMOTE_CONTROL_ENABLED": "False"}


@dataclass
class CrawlRun:
    returncode: int
    seconds: float
    log: str


def crawl_command(portals_csv: str | Path, archive_db: str | Path, archive_dir: str | Path, *,
                  settings: dict[str, str] | None = None, args: dict[str, str] | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "reports", "-a", f"portals={portals_csv}",
           "-s", f"ARCHIVE_DB={archive_db}", "-s", f"ARCHIVE_DIR={archive_dir}"]
    for k, v in (args or {}).items():
        cmd += ["-a", f"{k}={v}"]
    for k, v in {**FAST, **(settings or {})}.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def crawl(portals_csv: str | Path, archive_db: str | Path, archive_dir: str | Path, *,
          settings: dict[str, str] | None = None, args: dict[str, str] | None = None,
          timeout: float = 300, log_path: str | Path | None = None) -> CrawlRun:
    """Run ``scrapy crawl reports`` in a subprocess (from the project root) and wait for it."""
    cmd = crawl_command(portals_csv, archive_db, archive_dir, settings=settings, args=args)
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    log = p.stdout + p.stderr
    if log_path:
        Path(log_path).write_text(log, encoding="utf-8")
    return CrawlRun(p.returncode, time.monotonic() - t0, log)


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server process as Ctrl-C would (SIGINT), killing it if it does not exit in time."""
    import signal

    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stored_reports(archive_db: str | Path) -> list[dict]:
    con = sqlite3.connect(archive_db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(
            "SELECT id, title, year, agency, portal_code, url, document_sha256, template, format FROM reports ORDER BY id")]
    finally:
        con.close()


def compare(truth: dict, reports: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """(found, missing, unexpected): truth reports matched by URL against stored reports."""
    by_url = {r["url"]: r for r in reports}
    found, missing = [], []
    for t in truth["reports"]:
        if not t["reachable"]:
            continue
        (found if t["url"] in by_url else missing).append(t)
    truth_urls = {t["url"] for t in truth["reports"] if t["reachable"]}
    unexpected = [r for r in reports if r["url"] not in truth_urls]
    return found, missing, unexpected


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", default="archive.db", help="archive database to build (default archive.db)")
    ap.add_argument("--raw", default=None, help="raw store directory (default: data/raw next to the archive)")
    ap.add_argument("--port", type=int, default=0, help="replica port (default: any free port)")
    ap.add_argument("--keep-serving", action="store_true", help="keep the replica running after the crawl")
    a = ap.parse_args(argv)
    archive = Path(a.archive).resolve()
    raw = Path(a.raw).resolve() if a.raw else archive.parent / "data" / "raw"
    print("replica: building the portals (reports rendered by tests/replica/render.py) …", flush=True)
    rep = build_replica()
    with ReplicaServer(rep, port=a.port) as srv, tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "portals.csv"
        csv_path.write_text(srv.portals_csv(), encoding="utf-8")
        truth = srv.truth()
        print(f"replica: {srv.origin}/ — {len(rep.portals)} portals, {len(truth['reports'])} reports "
              f"({sum(t['reachable'] for t in truth['reports'])} reachable by a polite crawler)")
        for p in rep.portals:
            print(f"  {p['code']} {p['name']:<6} {p['cms']:<12} {srv.origin}{p['annual_report_url'] or p['homepage']}")
        cmd = crawl_command(csv_path, archive, raw)
        print("crawl:", " ".join(cmd[1:]), flush=True)
        log_path = raw.parent / "crawl.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        run = crawl(csv_path, archive, raw, log_path=log_path)
        print(f"crawl: exit {run.returncode} in {run.seconds:.1f} s, {len(srv.hits)} requests; log in {log_path}")
        for line in run.log.splitlines():
            if "nianbao crawl finished" in line:
                print("  " + line.split("] ", 1)[-1])
        reports = stored_reports(archive)
        found, missing, unexpected = compare(truth, reports)
        print(f"archive: {archive} — {len(reports)} reports stored; raw store {raw}")
        for r in reports:
            print(f"  {r['portal_code']} {r['year']} {r['format'] or '':<5} {r['title']}")
        print(f"ground truth: {len(found)} found, {len(missing)} missing, {len(unexpected)} not in the truth")
        for t in missing:
            print(f"  missing: {t['portal_code']} {t['title']} {t['url']}")
        if a.keep_serving:
            print(f"replica still serving at {srv.origin}/ — Ctrl-C to stop", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0 if run.returncode == 0 and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
