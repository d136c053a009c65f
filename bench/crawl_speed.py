"""Crawl speed: ``scrapy crawl reports`` vs ``wget --mirror`` on the same offline replica.

    .venv/bin/python bench/crawl_speed.py [--portals 50] [--reports 40] [--extract]

A replica of N static portals × M HTML reports (tests/replica/sites.build_bench_replica)
is served on 127.0.0.1.  Then, in this order:

1. the crawler with politeness off (no robots.txt, no AutoThrottle, no delay, 32
   concurrent requests on the one host) into a fresh archive — pages/s and peak RSS;
2. ``wget --mirror`` of the same portals (robots off) — pages/s and peak RSS;
3. ``bench/bare_spider.py``, a Scrapy spider that only follows links (same settings): the
   floor of Scrapy's own per-request cost on this machine, for context;
4. the crawler again on the same archive (the re-crawl): its requests and time as a
   share of the first, and whether it asked for anything but listing pages.

Extraction is off by default so both tools only fetch (``--extract`` runs the whole
pipeline).  Goals (issue #3): crawler pages/s ≥ wget's; re-crawl ≤ the listing pages.
"""
from __future__ import annotations

import argparse
import os
import shutil
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

IMPOLITE = {"ROBOTSTXT_OBEY": "False", "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0",
            "CONCURRENT_REQUESTS": "32", "CONCURRENT_REQUESTS_PER_DOMAIN": "32", "LOG_LEVEL": "WARNING"}


def run_measured(cmd: list[str], **kw) -> tuple[int, float, int]:
    """Run a command; (exit status, wall seconds, peak RSS in KiB of that process)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, **kw)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, time.monotonic() - t0, usage.ru_maxrss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--portals", type=int, default=50)
    ap.add_argument("--reports", type=int, default=40)
    ap.add_argument("--extract", action="store_true", help="run the extractor too (slower; not comparable with wget)")
    a = ap.parse_args(argv)
    if not shutil.which("wget"):
        sys.exit("wget is not installed (apt-get install wget)")
    t0 = time.monotonic()
    rep = build_bench_replica(a.portals, a.reports)
    print(f"replica: {a.portals} portals × {a.reports} reports, {len(rep.resources)} URLs, "
          f"{len(rep.listing_paths)} listing pages, built in {time.monotonic() - t0:.1f} s", flush=True)
    with ReplicaServer(rep) as srv, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv = tmp / "portals.csv"
        csv.write_text(srv.portals_csv(), encoding="utf-8")
        settings = {**IMPOLITE, "NIANBAO_EXTRACT": str(a.extract)}
        db, raw = tmp / "archive.db", tmp / "raw"

        cmd = crawl_command(csv, db, raw, settings=settings)
        srv.reset_hits()
        rc, t_crawl, rss_crawl = run_measured(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        hits_crawl = srv.reset_hits()
        if rc:
            sys.exit(f"crawl failed (exit {rc}): {' '.join(cmd)}")

        urls = tmp / "starts.txt"
        urls.write_text("".join(f"{srv.origin}{p['homepage']}\n" for p in rep.portals))
        wget = ["wget", "--mirror", "-e", "robots=off", "-q", "-P", str(tmp / "wget"), "-i", str(urls)]
        rc_w, t_wget, rss_wget = run_measured(wget, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        hits_wget = srv.reset_hits()

        bare = [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare_spider.py"),
                "-a", f"starts={urls}", "-s", "TELNETCONSOLE_ENABLED=False", "-s", "COOKIES_ENABLED=False",
                "-s", "REQUEST_FINGERPRINTER_IMPLEMENTATION=2.7"]
        for k, v in IMPOLITE.items():
            bare += ["-s", f"{k}={v}"]
        rc_b, t_bare, rss_bare = run_measured(bare, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        hits_bare = srv.reset_hits()

        rc2, t_re, _ = run_measured(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        hits_re = srv.reset_hits()

    listing = rep.listing_paths | {p["homepage"] for p in rep.portals}
    re_docs = [h for h in hits_re if h.path in rep.article_paths]
    re_other = [h for h in hits_re if h.path not in listing and h.path != "/robots.txt"]
    pps_c, pps_w = len(hits_crawl) / t_crawl, len(hits_wget) / t_wget

    def active(hits) -> float:
        """Pages/s between the first and the last request (process start-up and shut-down left out)."""
        span = hits[-1].at - hits[0].at if len(hits) > 1 else 0.0
        return len(hits) / span if span > 0 else float("nan")

    print(f"command: {' '.join(cmd[1:4])} … {' '.join(f'-s {k}={v}' for k, v in settings.items())}")
    print(f"{'':<22}{'requests':>10}{'seconds':>10}{'pages/s':>10}{'active p/s':>12}{'peak RSS MiB':>14}")
    print(f"{'scrapy crawl reports':<22}{len(hits_crawl):>10}{t_crawl:>10.2f}{pps_c:>10.1f}{active(hits_crawl):>12.1f}"
          f"{rss_crawl / 1024:>14.1f}")
    print(f"{'wget --mirror':<22}{len(hits_wget):>10}{t_wget:>10.2f}{pps_w:>10.1f}{active(hits_wget):>12.1f}"
          f"{rss_wget / 1024:>14.1f}" + ("" if rc_w in (0, 8) else f"  (exit {rc_w})"))
    print(f"{'bare Scrapy spider':<22}{len(hits_bare):>10}{t_bare:>10.2f}{len(hits_bare) / t_bare:>10.1f}"
          f"{active(hits_bare):>12.1f}{rss_bare / 1024:>14.1f}" + ("" if rc_b == 0 else f"  (exit {rc_b})"))
    print(f"{'re-crawl':<22}{len(hits_re):>10}{t_re:>10.2f}{len(hits_re) / t_re:>10.1f}{active(hits_re):>12.1f}")
    print(f"ratio crawler/wget pages/s: wall {pps_c / pps_w:.2f}, active {active(hits_crawl) / active(hits_wget):.2f} "
          "(goal ≥ 1)")
    print(f"ratio crawler/bare Scrapy pages/s: wall {pps_c / (len(hits_bare) / t_bare):.2f}, active "
          f"{active(hits_crawl) / active(hits_bare):.2f} (what nianbao's own work costs on top of Scrapy)")
    print(f"re-crawl: {len(hits_re)} requests = {len(hits_re) / max(1, len(hits_crawl)):.1%} of the first, "
          f"time {t_re / t_crawl:.1%}; listing pages {len(listing)}, report documents asked again "
          f"{len(re_docs)}, other {len(re_other)}; 304 answers {sum(h.status == 304 for h in hits_re)} "
          f"(goal: ≤ listing pages only)")
    return 0 if rc2 == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
