"""Crawl speed: ``scrapy crawl reports`` vs ``wget --mirror`` on the same offline replica.

    .venv/bin/python bench/crawl_speed.py [--portals 50] [--reports 40] [--latency-ms 0,10] [--extract]

A replica of N static portals × M HTML reports (tests/replica/sites.build_bench_replica)
is served on 127.0.0.1.  For each replica response time in ``--latency-ms`` (0 = plain
loopback; otherwise every answer waits that long, as a portal's answer does over a network):

1. the crawler with politeness off (no robots.txt, no AutoThrottle, no delay, 32
   concurrent requests on the one host) into a fresh archive — pages/s and peak RSS;
2. ``wget --mirror`` of the same portals (robots off) — pages/s and peak RSS;

and in the first round only:

3. ``bench/bare_spider.py``, a Scrapy spider that only follows links (same settings): the
   floor of Scrapy's own per-request cost on this machine, for context;
4. the crawler again on the same archive (the re-crawl): its requests and time as a
   share of the first, and whether it asked for anything but listing pages.

On loopback with no wait, pages/s is CPU per page: wget (C, one connection, nothing kept
but the files) against Scrapy's per-request machinery plus the raw store, WARC and fetch
log.  With a response time, wget waits for each answer in turn while the crawler keeps 32
in flight; the printed break-even response time is where the two meet (from the loopback
figures), and the 10 ms round checks it.

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
    ap.add_argument("--latency-ms", default="0,10",
                    help="comma-separated response times of the replica, in ms, each a crawler-vs-wget round "
                         "(default 0,10: plain loopback, and a fast portal on a nearby network)")
    ap.add_argument("--extract", action="store_true", help="run the extractor too (slower; not comparable with wget)")
    a = ap.parse_args(argv)
    latencies = [float(x) / 1000 for x in a.latency_ms.split(",") if x.strip()]
    if not shutil.which("wget"):
        sys.exit("wget is not installed (apt-get install wget)")
    t0 = time.monotonic()
    rep = build_bench_replica(a.portals, a.reports)
    print(f"replica: {a.portals} portals × {a.reports} reports, {len(rep.resources)} URLs, "
          f"{len(rep.listing_paths)} listing pages, built in {time.monotonic() - t0:.1f} s", flush=True)
    rounds: list[dict] = []
    with ReplicaServer(rep) as srv, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv = tmp / "portals.csv"
        csv.write_text(srv.portals_csv(), encoding="utf-8")
        settings = {**IMPOLITE, "NIANBAO_EXTRACT": str(a.extract)}
        urls = tmp / "starts.txt"
        urls.write_text("".join(f"{srv.origin}{p['homepage']}\n" for p in rep.portals))
        for i, latency in enumerate(latencies):
            srv.latency = latency
            db, raw = tmp / f"archive{i}.db", tmp / f"raw{i}"
            cmd = crawl_command(csv, db, raw, settings=settings)
            srv.reset_hits()
            rc, t_crawl, rss_crawl = run_measured(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            hits_crawl = srv.reset_hits()
            if rc:
                sys.exit(f"crawl failed (exit {rc}): {' '.join(cmd)}")
            wget = ["wget", "--mirror", "-e", "robots=off", "-q", "-P", str(tmp / f"wget{i}"), "-i", str(urls)]
            rc_w, t_wget, rss_wget = run_measured(wget, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            hits_wget = srv.reset_hits()
            rnd = dict(latency=latency, crawl=(hits_crawl, t_crawl, rss_crawl, 0), wget=(hits_wget, t_wget, rss_wget,
                       0 if rc_w in (0, 8) else rc_w))
            if i == 0:  # context and the re-crawl, once
                bare = [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare_spider.py"),
                        "-a", f"starts={urls}", "-s", "TELNETCONSOLE_ENABLED=False", "-s", "COOKIES_ENABLED=False",
                        "-s", "REQUEST_FINGERPRINTER_IMPLEMENTATION=2.7"]
                for k, v in IMPOLITE.items():
                    bare += ["-s", f"{k}={v}"]
                rc_b, t_bare, rss_bare = run_measured(bare, cwd=tmp, stdout=subprocess.DEVNULL,
                                                      stderr=subprocess.DEVNULL)
                rnd["bare"] = (srv.reset_hits(), t_bare, rss_bare, rc_b)
                rc2, t_re, _ = run_measured(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                rnd["recrawl"] = (srv.reset_hits(), t_re, 0, rc2)
            rounds.append(rnd)
            print(f"latency {latency * 1000:g} ms: done", flush=True)

    def active(hits) -> float:
        """Pages/s between the first and the last request (process start-up and shut-down left out)."""
        span = hits[-1].at - hits[0].at if len(hits) > 1 else 0.0
        return len(hits) / span if span > 0 else float("nan")

    def row(name: str, run: tuple) -> str:
        hits, secs, rss, rc = run
        return (f"{name:<22}{len(hits):>10}{secs:>10.2f}{len(hits) / secs:>10.1f}{active(hits):>12.1f}"
                + (f"{rss / 1024:>14.1f}" if rss else f"{'':>14}") + (f"  (exit {rc})" if rc else ""))

    print(f"command: {' '.join(cmd[1:4])} … {' '.join(f'-s {k}={v}' for k, v in settings.items())}")
    for rnd in rounds:
        print(f"\n-- replica response time {rnd['latency'] * 1000:g} ms "
              f"({'plain loopback: CPU per page decides' if not rnd['latency'] else 'each answer waits that long'})")
        print(f"{'':<22}{'requests':>10}{'seconds':>10}{'pages/s':>10}{'active p/s':>12}{'peak RSS MiB':>14}")
        print(row("scrapy crawl reports", rnd["crawl"]))
        print(row("wget --mirror", rnd["wget"]))
        for key, name in (("bare", "bare Scrapy spider"), ("recrawl", "re-crawl")):
            if key in rnd:
                print(row(name, rnd[key]))
        (hc, tc, *_), (hw, tw, *_) = rnd["crawl"], rnd["wget"]
        print(f"ratio crawler/wget pages/s: wall {len(hc) / tc / (len(hw) / tw):.2f}, "
              f"active {active(hc) / active(hw):.2f} (goal ≥ 1)")
        if "bare" in rnd:
            hb, tb, *_ = rnd["bare"]
            print(f"ratio crawler/bare Scrapy pages/s: wall {len(hc) / tc / (len(hb) / tb):.2f}, active "
                  f"{active(hc) / active(hb):.2f} (what nianbao's own work costs on top of Scrapy)")
    first = rounds[0]
    if not first["latency"]:
        # wget is sequential: at response time L it makes 1 / (c + L) pages/s, c its loopback cost a
        # page; the crawler keeps 32 requests in flight, so it stays at its loopback rate r until 32/L.
        r, c = active(first["crawl"][0]), 1 / active(first["wget"][0])
        print(f"\nbreak-even response time (model: wget 1/(c+L), crawler min(r, 32/L)): "
              f"{max(0.0, 1 / r - c) * 1000:.1f} ms — slower portals, the crawler is ahead")
    hits_re, t_re = first["recrawl"][0], first["recrawl"][1]
    hits_crawl, t_crawl = first["crawl"][0], first["crawl"][1]
    listing = rep.listing_paths | {p["homepage"] for p in rep.portals}
    re_docs = [h for h in hits_re if h.path in rep.article_paths]
    re_other = [h for h in hits_re if h.path not in listing and h.path != "/robots.txt"]
    print(f"re-crawl: {len(hits_re)} requests = {len(hits_re) / max(1, len(hits_crawl)):.1%} of the first, "
          f"time {t_re / t_crawl:.1%}; listing pages {len(listing)}, report documents asked again "
          f"{len(re_docs)}, other {len(re_other)}; 304 answers {sum(h.status == 304 for h in hits_re)} "
          f"(goal: ≤ listing pages only)")
    return 0 if first["recrawl"][3] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
