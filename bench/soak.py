"""Soak: a full crawl then a re-crawl of many portals behind a faulty server.

    .venv/bin/python bench/soak.py [--portals 200] [--reports 5] [--faults 0.05] [--seed 1]

A replica of N static portals × M HTML reports (tests/replica/sites.build_bench_replica)
is served on 127.0.0.1 with seed-controlled faults (500s, connection resets, truncated
bodies, slow answers; tests/replica/server.py).  The real ``scrapy crawl reports`` (the
whole pipeline: raw store, WARC, extraction, archive.db) runs twice on one archive: the
full crawl, then the incremental re-crawl.  For each it prints the requests the server
answered, the faults injected, the reports stored, the fetch-log errors, the crawl
process's peak RSS and the wall time; then whether the archive holds every report.

robots.txt stays obeyed and AutoThrottle off; as all portals share one host here, the
per-host concurrency limit is raised to the global one (real portals are separate hosts).
"""
from __future__ import annotations

import argparse
import collections
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.replica.demo import crawl_command  # noqa: E402
from tests.replica.server import ReplicaServer  # noqa: E402
from tests.replica.sites import build_bench_replica  # noqa: E402

SETTINGS = {"CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "LOG_LEVEL": "WARNING"}


def run_measured(cmd: list[str], **kw) -> tuple[int, float, int]:
    """Run a command; (exit status, wall seconds, peak RSS in KiB of that process)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, **kw)
    _, status, usage = os.wait4(p.pid, 0)
    return os.waitstatus_to_exitcode(status), time.monotonic() - t0, usage.ru_maxrss


def counts(db: Path, crawl_id: int) -> tuple[int, int]:
    """(reports in the archive, fetch-log errors of that crawl)."""
    con = sqlite3.connect(db)
    try:
        reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]
        errors = con.execute("SELECT count(*) FROM fetch_log WHERE crawl_id = ? AND outcome LIKE 'error%'",
                             (crawl_id,)).fetchone()[0]
        return reports, errors
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--portals", type=int, default=200)
    ap.add_argument("--reports", type=int, default=5, help="reports per portal")
    ap.add_argument("--faults", type=float, default=0.05, help="share of requests that fail (default 0.05)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    rep = build_bench_replica(a.portals, a.reports)
    expected = len(rep.reports)
    print(f"replica: {a.portals} portals × {a.reports} reports ({expected}), {len(rep.resources)} URLs, "
          f"faults {a.faults:.0%} (seed {a.seed}), built in {time.monotonic() - t0:.1f} s", flush=True)
    ok = True
    with ReplicaServer(rep, faults=a.faults, fault_seed=a.seed) as srv, tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "portals.csv"
        csv_path.write_text(srv.portals_csv(), encoding="utf-8")
        db, raw = Path(tmp) / "archive.db", Path(tmp) / "raw"
        print(f"{'':<10}{'requests':>10}{'faults':>8}{'reports':>9}{'errors':>8}{'peak RSS MiB':>14}{'seconds':>9}")
        for crawl_id, name in ((1, "full"), (2, "re-crawl")):
            srv.reset_hits()
            cmd = crawl_command(csv_path, db, raw, settings=SETTINGS)
            rc, secs, rss = run_measured(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            hits = srv.reset_hits()
            faults = collections.Counter(h.fault for h in hits if h.fault and h.fault != "slow")
            reports, errors = counts(db, crawl_id)
            print(f"{name:<10}{len(hits):>10}{sum(faults.values()):>8}{reports:>9}{errors:>8}"
                  f"{rss / 1024:>14.0f}{secs:>9.1f}   exit {rc}; {dict(faults)}", flush=True)
            ok = ok and rc == 0
        stored = counts(db, 2)[0]
        print(f"archive: {stored} of {expected} reports stored" + ("" if stored == expected else " — INCOMPLETE"))
        ok = ok and stored == expected
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
