"""Datasette at archive scale: p50/p95 of the key pages over a generated archive.

    .venv/bin/python bench/serve_scale.py [--n 100000] [--db bench/out/serve_scale/archive.db]
                                          [--reuse] [--requests 30] [--port 8765] [--immutable]

1. Builds (or with ``--reuse`` reuses, after migrating it to the current schema) an archive
   of ``--n`` template-valid synthetic reports (``tests.replica.synth``, the same
   (agency, year) walk as ``make_corpus``, streamed so 100k records never sit in memory)
   through the store's bulk path (``Archive.record_documents`` + ``Archive.store_reports``:
   1,000 reports per transaction, ``report_summary`` and the trigram index built once at
   the end), then the prebuilt CSV of report_summary (``export_summary_csv``, as ``make
   serve`` does; skipped when current).
2. Starts a real ``datasette serve`` on 127.0.0.1 with the flags of ``make serve``
   (metadata.yml, plugins/, ``suggest_facets off``), read-only over the live file, or
   ``-i`` with ``--immutable``.
3. For each key page: 3 untimed warm-ups, then ``--requests`` sequential timed requests
   over one keep-alive connection (full response read); prints p50/p95 of the full
   response and of the first byte, the server's CPU time per request (user + system of the
   Datasette process, all its threads: the work, without the waits for a core that other
   jobs on the machine add to the times) and the load average before and after, and writes
   ``bench/out/serve_scale.json``.
   Goal: p95 <= 300 ms; Datasette's own full CSV stream of report_summary has its own
   (first byte <= 300 ms).  Searches on the reports table page (5 default facets) are
   timed twice: repeated (the plugin's hit cache warm, as for facet clicks and next pages)
   and "uncached": every request a new raw-mode spelling of the same query (``"q"``,
   ``("q")``, ``(("q"))`` …), so each one evaluates the FTS5 query afresh.

The server is stopped by its own pid at the end.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import http.client
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extract.store import Archive, export_summary_csv  # noqa: E402
from tests.replica import synth  # noqa: E402
from tests.replica.demo import stop  # noqa: E402

GOAL_MS = 300.0


def corpus(n: int, seed: int = 0, years=range(2019, 2025)):
    """The records of ``synth.make_corpus(n, seed, years)``, one at a time."""
    years = list(years)
    pairs = [(b, y) for b in synth.all_bodies() for y in years]
    random.Random(seed).shuffle(pairs)
    for i in range(n):
        b, y = pairs[i % len(pairs)]
        yield synth.make_record(seed * 10_000_019 + i, year=y, agency=b.agency, region_code=b.region_code)


def build(db: Path, n: int) -> float:
    """A fresh archive of n synthetic reports; returns seconds taken."""
    t0 = time.monotonic()
    db.parent.mkdir(parents=True, exist_ok=True)
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if p.exists():
            p.unlink()
    a = Archive(db)
    a.conn.execute("PRAGMA synchronous = OFF")
    with open(ROOT / "crawler" / "portals.csv", encoding="utf-8") as f:
        a.upsert_portals(csv.DictReader(f))
    codes = {r[0] for r in a.conn.execute("SELECT code FROM portals")}

    def items():
        docs, batch = [], []
        for i, rec in enumerate(corpus(n)):
            sha = hashlib.sha256(f"bench-{i}".encode()).hexdigest()
            url = f"http://bench.example.gov.cn/{i}.html"
            portal = rec["region_code"] if rec["region_code"] in codes else None
            docs.append(dict(sha256=sha, url=url, format="html", size=30_000, fetched_at="2026-01-01T00:00:00+00:00",
                             status="pending", portal_code=portal))
            batch.append(dict(record=rec, document_sha256=sha, url=url, portal_code=portal))
            if len(batch) == 1000:
                a.record_documents(docs)
                yield from batch
                docs, batch = [], []
                print(f"\r  stored {i + 1}/{n}", end="", file=sys.stderr, flush=True)
        if batch:
            a.record_documents(docs)
            yield from batch

    a.store_reports(items(), batch=1000)
    print(file=sys.stderr)
    a.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    a.close()
    return time.monotonic() - t0


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def serve(db: Path, port: int, immutable: bool) -> subprocess.Popen:
    if not port_free(port):
        raise RuntimeError(f"port {port} is in use: pick another with --port")
    args = [str(ROOT / ".venv" / "bin" / "datasette"), "serve"]
    args += ["-i", str(db)] if immutable else [str(db)]
    args += ["-m", str(ROOT / "metadata.yml"), "--plugins-dir", str(ROOT / "plugins"), "-h", "127.0.0.1",
             "-p", str(port), "--setting", "suggest_facets", "off", "--setting", "sql_time_limit_ms", "3000",
             "--setting", "facet_time_limit_ms", "1000"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/-/versions.json")
            if c.getresponse().status == 200 and proc.poll() is None:
                c.close()
                return proc
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(f"datasette exited: {proc.stderr.read().decode()[-2000:]}")
    proc.kill()
    raise RuntimeError("datasette did not start in 120 s")


def timed(conn: http.client.HTTPConnection, path: str, headers: dict | None = None) -> tuple[float, float, int, int]:
    """(total ms, first-byte ms, status, bytes) of one GET, body read in full."""
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    first = r.read(1)
    t1 = time.perf_counter()
    body = first + r.read()
    t2 = time.perf_counter()
    return (t2 - t0) * 1000, (t1 - t0) * 1000, r.status, len(body)


def cpu_ms(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far, in ms (None where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def uncached(q: str, n: int) -> list[str]:
    """n raw-mode spellings of the FTS5 query "q" (same hits, same cost, distinct cache keys)."""
    return ["/archive/reports?" + urlencode({"_search": "(" * i + f'"{q}"' + ")" * i, "_searchmode": "raw"})
            for i in range(n)]


def pages(db: Path, requests: int) -> list[tuple[str, str | list[str], int | None, dict]]:
    """(name, path or paths to cycle through, requests override, headers) of the measured
    pages; terms chosen from the data."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    agency, city, year = c.execute(
        "SELECT agency, city, year FROM report_summary WHERE report_id = (SELECT max(report_id) / 2 FROM report_summary)"
    ).fetchone()
    mid_id = c.execute("SELECT max(id) / 2 FROM reports").fetchone()[0]
    c.close()
    q = lambda **kw: "?" + urlencode(kw)  # noqa: E731
    charts = ["select cast(year as text) as year, count(*) as reports from reports group by year order by year",
              "select city, sum(new_received) as requests from report_summary where city is not null group by city "
              "order by requests desc",
              "select name, count(*) as reports from checks where ok = 0 group by name order by reports desc"]
    n = requests + 3  # warm-ups included: every request of an "uncached" case is a new query
    searches = [("every report", "政府信息公开"), ("1 in 3", "三审三校"), ("3 chars, 1 in 5", "人大代"),
                ("3 chars, none", "雾霾治")]
    gz = {"Accept-Encoding": "gzip"}
    return [
        ("reports table + 5 facets", "/archive/reports", None, {}),
        ("reports filtered city+year", "/archive/reports" + q(city=city, year=year), None, {}),
        ("report_summary table + facets", "/archive/report_summary", None, {}),
        ("one report's cells", "/archive/applications" + q(report_id=mid_id), None, {}),
        *[(f"search {what} ({term})", "/archive/reports" + q(_search=term), None, {}) for what, term in searches],
        *[(f"search {what} ({term}), uncached", uncached(term, n), None, {}) for what, term in searches[:3]],
        ("search every report, page 2", "/archive/reports" + q(_search="政府信息公开", _next="2024,50000"), None, {}),
        ("search_short 4 chars, common (政府信息公开)", "/archive/search_short" + q(q="政府信息公开"), None, {}),
        ("search_short 2 chars (专区)", "/archive/search_short" + q(q="专区"), None, {}),
        ("search_short 2 chars, none (雾霾)", "/archive/search_short" + q(q="雾霾"), None, {}),
        ("canned balance_failures", "/archive/balance_failures", None, {}),
        ("canned requests_by_city_year", "/archive/requests_by_city_year", None, {}),
        ("canned refusal_ranking", "/archive/refusal_ranking", None, {}),
        ("canned coverage_gaps", "/archive/coverage_gaps", None, {}),
        ("canned agency_years", "/archive/agency_years" + q(agency=agency), None, {}),
        ("dashboard page", "/-/dashboards/overview", None, {}),
        *[(f"dashboard chart {i + 1} data", "/archive.json" + q(sql=s, _shape="objects"), None, {})
          for i, s in enumerate(charts)],
        ("report_summary.csv (first page)", "/archive/report_summary.csv", None, {}),
        ("report_summary.csv filtered (city+year, max)",
         "/archive/report_summary.csv" + q(city=city, year=year, _size="max"), None, {}),
        ("prebuilt report_summary.csv (full)", "/-/downloads/archive/report_summary.csv", None, {}),
        ("prebuilt report_summary.csv, gzip transfer", "/-/downloads/archive/report_summary.csv", None, gz),
        ("prebuilt report_summary.csv.gz", "/-/downloads/archive/report_summary.csv.gz", None, {}),
        ("report_summary.csv full stream (Datasette)", "/archive/report_summary.csv?_stream=on&_dl=1", 3, {}),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "serve_scale" / "archive.db")
    ap.add_argument("--reuse", action="store_true", help="reuse --db if it exists")
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--immutable", action="store_true", help="serve with -i (published snapshot)")
    args = ap.parse_args(argv)
    result: dict = {"n": args.n, "requests": args.requests, "immutable": args.immutable}
    if not (args.reuse and args.db.exists()):
        print(f"building {args.db} with {args.n} reports ...", file=sys.stderr)
        result["build_s"] = round(build(args.db, args.n), 1)
        print(f"built in {result['build_s']} s", file=sys.stderr)
    else:
        Archive(args.db).close()  # migrate a reused file to the current schema (indexes, archive_state)
        c = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
        result["n"] = c.execute("SELECT count(*) FROM reports").fetchone()[0]
        c.close()
    t0 = time.monotonic()
    manifest = export_summary_csv(args.db)  # what make serve does before serving; a no-op when current
    result["csv_export_s"] = round(time.monotonic() - t0, 2)
    result["csv"] = {k: manifest[k] for k in ("rows", "bytes", "gzip_bytes", "seconds")}
    print(f"report_summary CSV: {manifest['rows']} rows, {manifest['bytes']} bytes "
          f"({manifest['gzip_bytes']} gzipped), written in {manifest['seconds']} s", file=sys.stderr)
    result["db_bytes"] = args.db.stat().st_size
    result["loadavg_before"] = os.getloadavg()
    print(f"load average {result['loadavg_before'][0]:.2f} {result['loadavg_before'][1]:.2f} "
          f"{result['loadavg_before'][2]:.2f}; columns: p50 p95 (ms), server CPU ms per request", flush=True)
    proc = serve(args.db, args.port, args.immutable)
    rows = []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        for name, paths, override, headers in pages(args.db, args.requests):
            n = override or args.requests
            paths = [paths] if isinstance(paths, str) else paths
            path = paths[0]
            warm = 1 if override else 3
            for i in range(warm):
                timed(conn, paths[i % len(paths)], headers)
            cpu0 = cpu_ms(proc.pid)
            samples = [timed(conn, paths[(warm + i) % len(paths)], headers) for i in range(n)]
            cpu1 = cpu_ms(proc.pid)
            statuses = sorted({s[2] for s in samples})
            total = [s[0] for s in samples]
            first = [s[1] for s in samples]
            row = {"page": name, "path": path, "n": n, "status": statuses, "bytes": samples[-1][3],
                   "p50_ms": round(statistics.median(total), 1), "p95_ms": round(pct(total, 95), 1),
                   "first_byte_p95_ms": round(pct(first, 95), 1),
                   "cpu_ms": None if cpu0 is None else round((cpu1 - cpu0) / n, 1)}
            row["ok"] = statuses == [200] and (row["p95_ms"] <= GOAL_MS if "full stream" not in name
                                               else row["first_byte_p95_ms"] <= GOAL_MS)
            rows.append(row)
            cpu = "" if row["cpu_ms"] is None else f"{row['cpu_ms']:8.1f}"
            print(f"{'ok ' if row['ok'] else 'NO '} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}{cpu}  "
                  f"(first byte p95 {row['first_byte_p95_ms']:.1f})  {statuses}  {name}", flush=True)
        conn.close()
    finally:
        stop(proc)
    result["loadavg_after"] = os.getloadavg()
    print(f"load average {result['loadavg_after'][0]:.2f} {result['loadavg_after'][1]:.2f} "
          f"{result['loadavg_after'][2]:.2f}", flush=True)
    result["pages"] = rows
    out = ROOT / "bench" / "out" / "serve_scale.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"wrote {out}; {sum(r['ok'] for r in rows)}/{len(rows)} pages within goal")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
