"""Scheduled (nightly, incremental) crawls: the cron wrapper, its installer, the stale report.

    python -m crawler.schedule run   [--archive archive.db] [--raw data/raw] [--portals CSV]
                                     [--region 4103] [--lock FILE] [-s KEY=VALUE ...]
    python -m crawler.schedule install [--when "17 2 * * *"] [--print]   # ``make schedule``
    python -m crawler.schedule stale [--archive archive.db] [--runs 3]

``run`` takes an exclusive ``flock`` on the lock file (default: the archive's path +
``.lock``) without waiting: if another crawl holds it, it logs "another crawl is running"
and exits 0, so overlapping cron runs never crawl twice.  It then runs the real
``scrapy crawl reports`` in a subprocess (incremental by itself: known documents are never
fetched again, listings are asked with conditional GETs), and afterwards writes the crawl's
per-portal counts (``crawl_portals``: new reports, new, unchanged, errors, blocked) from the
fetch log, with a zero row for every registry portal that logged nothing.  A failing portal
is only counts in its row; the run's exit status is the crawl process's.  ``stale_portals``
(a view, visible in Datasette) lists portals that answered nothing for 3 crawls in a row.

``install`` puts one line into the user's crontab, marked with :data:`MARK`; installing
again replaces that line and leaves every other line alone.
"""
from __future__ import annotations

import argparse
import fcntl
import logging
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from extract.store import STALE_RUNS, Archive

from . import registry

log = logging.getLogger("nianbao.schedule")
ROOT = Path(__file__).resolve().parent.parent
MARK = "# nianbao-scheduled-crawl"
DEFAULT_WHEN = "17 2 * * *"  # nightly, off the hour
BUSY_MESSAGE = "another crawl is running"


# -- the lock ----------------------------------------------------------------------------------


def try_lock(path: str | os.PathLike) -> int | None:
    """An exclusive, non-blocking ``flock`` on ``path``: the open fd while held, None if taken."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


# -- one run -------------------------------------------------------------------------------------


def crawl_command(archive: Path, raw: Path, *, portals: str | None, region: str | None,
                  settings: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "reports",
           "-s", f"ARCHIVE_DB={archive}", "-s", f"ARCHIVE_DIR={raw}"]
    if portals:
        cmd += ["-a", f"portals={portals}"]
    if region:
        cmd += ["-a", f"region={region}"]
    for kv in settings:
        cmd += ["-s", kv]
    return cmd


def record_portal_counts(archive: Path, pid: int, codes: list[str]) -> tuple[int | None, list[dict]]:
    """Write the per-portal counts of the crawl that process ``pid`` opened (its newest crawl row)."""
    if not archive.exists():
        return None, []
    with Archive(archive) as db:
        row = db.conn.execute("SELECT max(id) FROM crawls WHERE pid = ?", (pid,)).fetchone() \
            if "pid" in {r[1] for r in db.conn.execute("PRAGMA table_info(crawls)")} else None
        crawl_id = row[0] if row else None
        if crawl_id is None:
            return None, []
        rows = db.crawl_portal_counts(crawl_id, codes)
        db.record_crawl_portals(crawl_id, rows)
        return crawl_id, rows


def run(args: argparse.Namespace) -> int:
    archive = Path(args.archive).resolve()
    raw = Path(args.raw).resolve() if args.raw else archive.parent / "data" / "raw"
    lock = Path(args.lock) if args.lock else archive.with_name(archive.name + ".lock")
    fd = try_lock(lock)
    if fd is None:
        log.info("%s (lock %s held); exiting", BUSY_MESSAGE, lock)
        return 0
    try:
        codes = [p.code for p in registry.load_portals(args.portals, region=args.region)]
        cmd = crawl_command(archive, raw, portals=args.portals, region=args.region, settings=args.set or [])
        log.info("crawl started: %d portals, archive %s", len(codes), archive)
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=sys.stderr if args.verbose else subprocess.DEVNULL,
                             stderr=sys.stderr if args.verbose else subprocess.DEVNULL)
        rc = p.wait()
        crawl_id, rows = record_portal_counts(archive, p.pid, codes)
        stale = stale_portals(archive, args.stale_runs) if crawl_id else []
        tot = {k: sum(r[k] for r in rows) for k in ("new_reports", "new", "unchanged", "errors", "blocked")}
        log.info("crawl %s finished: exit %d in %.1f s; %d portals; %s; %d stale",
                 crawl_id, rc, time.monotonic() - t0, len(rows), ", ".join(f"{k}={v}" for k, v in tot.items()),
                 len(stale))
        for r in rows:
            log.info("  portal %s: new_reports=%d new=%d unchanged=%d errors=%d blocked=%d", r["portal_code"],
                     r["new_reports"], r["new"], r["unchanged"], r["errors"], r["blocked"])
        for s in stale:
            log.warning("  stale portal %s: nothing answered for %d crawls", s["portal_code"], s["empty_runs"])
        if crawl_id is None:
            log.error("the crawl process %d left no crawl row in %s", p.pid, archive)
            return rc or 1
        return rc
    finally:
        os.close(fd)


def stale_portals(archive: str | os.PathLike, runs: int = STALE_RUNS) -> list[dict]:
    """Portals whose last ``runs`` (or more) crawls answered nothing (new + unchanged = 0)."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, not {runs}")
    with Archive(archive) as db:
        return [dict(r) for r in db.conn.execute(
            "SELECT cp.portal_code, COUNT(*) AS empty_runs, MAX(cp.crawl_id) AS last_crawl_id FROM crawl_portals cp "
            "WHERE cp.crawl_id > COALESCE((SELECT MAX(y.crawl_id) FROM crawl_portals y WHERE "
            "y.portal_code = cp.portal_code AND y.new + y.unchanged > 0), 0) "
            "GROUP BY cp.portal_code HAVING COUNT(*) >= ? ORDER BY cp.portal_code", (runs,))]


# -- the crontab line -------------------------------------------------------------------------


def cron_line(when: str, archive: Path, extra: list[str] | None = None) -> str:
    fields = when.split()
    if len(fields) != 5:
        raise ValueError(f"--when must be 5 cron fields like {DEFAULT_WHEN!r}, not {when!r}")
    logf = archive.with_name("crawl-schedule.log")
    cmd = [str(ROOT / ".venv" / "bin" / "python"), "-m", "crawler.schedule", "run", "--archive", str(archive),
           *(extra or [])]
    return f"{' '.join(fields)} cd {shlex.quote(str(ROOT))} && {shlex.join(cmd)} >> {shlex.quote(str(logf))} 2>&1 {MARK}"


def with_line(crontab: str, line: str) -> str:
    """``crontab`` with every line carrying :data:`MARK` replaced by ``line`` (added once, at the end)."""
    kept = [ln for ln in crontab.splitlines() if not ln.rstrip().endswith(MARK)]
    return "\n".join(kept + [line]) + "\n"


def install(args: argparse.Namespace) -> int:
    line = cron_line(args.when, Path(args.archive).resolve(), args.extra)
    if args.print:
        print(line)
        return 0
    if not shutil.which("crontab"):
        print("schedule: no `crontab` command here (install the `cron` package), or use the systemd timer; "
              f"the line would be:\n{line}", file=sys.stderr)
        return 2
    cur = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    existing = cur.stdout if cur.returncode == 0 else ""  # "no crontab for user" → start empty
    subprocess.run(["crontab", "-"], input=with_line(existing, line), text=True, check=True)
    print(f"schedule: installed\n{line}")
    if not cron_daemon_running():
        print("schedule: no cron daemon is running, so the line will not fire: start it "
              "(`service cron start`; `make schedule` does) or use the systemd timer", file=sys.stderr)
    return 0


def cron_daemon_running(proc: Path = Path("/proc")) -> bool:
    """Is a cron daemon (Debian's ``cron``, or ``crond``) among the running processes?"""
    for comm in proc.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in ("cron", "crond"):
                return True
        except OSError:  # the process ended while we looked
            continue
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.schedule", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="one locked incremental crawl with per-portal counts")
    r.add_argument("--archive", default="archive.db")
    r.add_argument("--raw", default=None, help="raw store (default: data/raw next to the archive)")
    r.add_argument("--portals", default=None, help="registry CSV (default: crawler/portals.csv)")
    r.add_argument("--region", default=None)
    r.add_argument("--lock", default=None, help="lock file (default: ARCHIVE.lock)")
    r.add_argument("--stale-runs", type=int, default=STALE_RUNS)
    r.add_argument("-s", "--set", action="append", metavar="KEY=VALUE", help="a Scrapy setting")
    r.add_argument("-v", "--verbose", action="store_true", help="pass the crawl's own log through")
    i = sub.add_parser("install", help="install (or replace) the nightly crontab line")
    i.add_argument("--when", default=DEFAULT_WHEN)
    i.add_argument("--archive", default="archive.db")
    i.add_argument("--print", action="store_true", help="print the line instead of installing it")
    i.add_argument("extra", nargs=argparse.REMAINDER, help="more `run` arguments")
    s = sub.add_parser("stale", help="list stale portals")
    s.add_argument("--archive", default="archive.db")
    s.add_argument("--runs", type=int, default=STALE_RUNS)
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s schedule[%(process)d] %(levelname)s %(message)s")
    if a.cmd == "run":
        return run(a)
    if a.cmd == "install":
        return install(a)
    for row in stale_portals(a.archive, a.runs):
        print(f"{row['portal_code']}\t{row['empty_runs']} empty runs\tlast crawl {row['last_crawl_id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
