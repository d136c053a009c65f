"""Publishing the archive (issue #4), the gaps an audit found: the short-word search at the
very end of a text, year-on-year changes in ``agency_years``, a description (with units) for
every column of every table, the reports' default order, the flags of ``make serve``, and
Datasette reading the live archive read-only while another process writes it."""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import yaml
from datasette.app import Datasette

from tests.replica import synth
from tests.test_datasette import SETTINGS, loop, make_ds  # noqa: F401  (loop: the shared event-loop fixture)
from tests.test_store import make_archive

ROOT = Path(__file__).resolve().parents[1]
METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
TABLES = METADATA["databases"]["archive"]["tables"]
QUERIES = METADATA["databases"]["archive"]["queries"]


def serve(path: Path, *, immutable: bool = False) -> Datasette:
    """Datasette as ``make serve`` runs it: metadata.yml, plugins/, the same settings; the
    live file (read-only connections) or ``-i`` (an immutable snapshot)."""
    return make_ds(path, **({"immutables": [str(path)]} if immutable else {"files": [str(path)]}))


def get(ds: Datasette, loop, path: str, **params):
    if params:
        path += ("&" if "?" in path else "?") + urlencode(params)
    return loop.run_until_complete(ds.client.get(path))


def rows(ds: Datasette, loop, path: str, **params) -> list[dict]:
    r = get(ds, loop, path, _shape="objects", **params)
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


# -- 1. the short-word search at every position of a text ------------------------------

END_TITLE = "宛城区民政局2025年政府信息公开年报"  # 年报 (and 报) only at its very end


def short_search_records() -> dict[str, dict]:
    """Texts whose words sit where no trigram starts: the end of a title, the end of the
    narrative (whichever part comes last) and texts shorter than 3 characters."""
    def rec(seed: int, title: str, sections: dict[str, str]) -> dict:
        r = synth.make_record(seed, year=2025)
        r["title"], r["sections"] = title, sections
        return r

    return {
        "title_end": rec(201, END_TITLE, {"overview": "本年度主动公开政府信息120条。", "other": "无。"}),
        "other_end": rec(202, "某县自然资源局2025年政府信息公开工作年度报告",
                         {"overview": "全年共主动公开政府信息356条。", "problems": "存在问题：栏目更新不及时。",
                          "other": "本年度收费情况详见附表"}),
        "problems_end": rec(203, "某县水利局2025年政府信息公开工作年度报告",
                            {"overview": "本年度依申请公开办理及时。", "problems": "主要问题是基层工作人员流动频繁"}),
        "overview_end": rec(204, "某镇人民政府2025年政府信息公开工作年度报告",
                            {"overview": "全年未收到政府信息公开申请，亦无复议诉讼"}),
        "short": rec(205, "简报", {"overview": "暂缺"}),  # texts of 2 characters: no trigram at all
        "three": rec(206, "年度表", {"overview": "无变化"}),  # one trigram: its middle character
        "ascii": rec(207, "某区审计局2025年政府信息公开工作年度报告",
                     {"overview": "全年公开预算、决算。", "other": "原文见附件PDF"}),  # the index folds case
    }


@pytest.fixture(scope="module")
def short_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("short") / "archive.db"
    make_archive(path, [synth.make_record(i) for i in range(12)] + list(short_search_records().values())).close()
    return path


def containing(conn: sqlite3.Connection, q: str) -> set[int]:
    """Ground truth: the reports whose title or narrative contains q (as the index folds case)."""
    return {r[0] for r in conn.execute(
        "SELECT id FROM reports r WHERE instr(lower(r.title), lower(:q)) > 0 OR EXISTS (SELECT 1 FROM sections s "
        "WHERE s.report_id = r.id AND instr(lower(s.text), lower(:q)) > 0)", {"q": q})}


def short_search(conn: sqlite3.Connection, q: str) -> list[int]:
    return [r[0] for r in conn.execute(QUERIES["search_short"]["sql"], {"q": q})]


def test_short_search_finds_a_word_at_the_very_end(short_db, loop):
    ds = serve(short_db)
    conn = read_only(short_db)
    ids = {title: i for i, title in conn.execute("SELECT id, title FROM reports")}
    title_end = ids[END_TITLE]
    # 年报 ends one title and is nowhere else: no trigram starts with it
    assert containing(conn, "年报") == {title_end}
    assert [r["id"] for r in rows(ds, loop, "/archive/search_short.json", q="年报")] == [title_end]
    # 报 is in many reports, but in this one only as its last character
    assert "报" not in "".join(short_search_records()["title_end"]["sections"].values())
    hits = [r["id"] for r in rows(ds, loop, "/archive/search_short.json", q="报")]
    assert title_end in hits and set(hits) == containing(conn, "报")
    # the end of the narrative, whichever part is last; texts of 1–2 characters
    recs = short_search_records()
    for key, q in (("other_end", "附表"), ("other_end", "表"), ("problems_end", "频繁"), ("problems_end", "繁"),
                   ("overview_end", "诉讼"), ("short", "简报"), ("short", "报"), ("short", "暂缺"), ("short", "缺")):
        rid = ids[recs[key]["title"]]
        hits = [r["id"] for r in rows(ds, loop, "/archive/search_short.json", q=q)]
        assert rid in hits, (key, q)
        assert set(hits) == containing(conn, q), q
    conn.close()


def test_short_search_at_every_position_equals_a_substring_scan(short_db):
    """Every 1-, 2- and 3-character piece of every special text, at every position: the
    canned query returns exactly the reports containing it."""
    conn = read_only(short_db)
    texts = [t for rec in short_search_records().values() for t in (rec["title"], *rec["sections"].values())]
    pieces = {t[i:i + n] for t in texts for n in (1, 2, 3) for i in range(len(t) - n + 1)}
    pieces |= {p.lower() for p in pieces}  # the index folds case: pdf finds PDF
    assert len(pieces) > 300
    wrong = {q: (sorted(got), sorted(want)) for q in sorted(pieces)
             if set(got := short_search(conn, q)) != (want := containing(conn, q))}
    conn.close()
    assert not wrong, dict(list(wrong.items())[:10])


# -- 2. agency_years: the change from the body's previous report -----------------------

CHANGED = ("new_received", "results_total", "granted", "partially_granted", "denied", "unable", "rejected",
           "refusal_share", "reconsideration", "litigation")


def test_agency_years_shows_the_change_from_the_previous_report(tmp_path, loop):
    agency = synth.all_bodies()[5].agency
    years = (2024, 2021, 2022)  # stored out of order, 2023 missing
    recs = [synth.make_record(300 + i, year=y, agency=agency) for i, y in enumerate(years)]
    recs.append(synth.make_record(310, year=2023))  # another body
    assert {r["agency"] for r in recs[:3]} == {agency} and recs[3]["agency"] != agency
    path = tmp_path / "archive.db"
    make_archive(path, recs).close()
    got = rows(serve(path), loop, "/archive/agency_years.json", agency=agency)
    assert [r["year"] for r in got] == [2021, 2022, 2024]
    conn = read_only(path)
    conn.row_factory = sqlite3.Row
    summary = {r["report_id"]: dict(r) for r in conn.execute("SELECT * FROM report_summary")}
    conn.close()
    for col in CHANGED:
        assert f"{col}_change" in got[0], col
    assert got[0]["prev_year"] is None and all(got[0][f"{c}_change"] is None for c in CHANGED)
    moved = 0
    for prev, row in zip(got, got[1:]):
        assert row["prev_year"] == prev["year"]
        for col in CHANGED:
            assert row[col] == summary[row["report_id"]][col]
            if row[col] is None or prev[col] is None:  # e.g. no refusal share without requests
                assert row[f"{col}_change"] is None, col
                continue
            want = row[col] - prev[col]
            assert row[f"{col}_change"] == pytest.approx(want, abs=1e-4), col
            moved += want != 0
    assert moved >= 5  # the numbers differ from year to year: the changes are not all 0
    assert "件" in QUERIES["agency_years"]["description"]


# -- 3, 4. a description for every column of every table, with its unit ----------------

@pytest.fixture(scope="module")
def real_archive(tmp_path_factory) -> tuple[Path, Path]:
    """An archive as the project's own code leaves it: reports stored by the store, a crawl
    opened and closed by the crawler's extension with its counts, the scheduled run's
    per-portal counts, then merged (crawler.merge) into a second archive."""
    from scrapy.utils.test import get_crawler

    from crawler.archive import ArchiveExtension
    from crawler.merge import merge
    from crawler.schedule import record_portal_counts

    d = tmp_path_factory.mktemp("real")
    path = d / "archive.db"
    make_archive(path, [synth.make_record(i) for i in range(6)]).close()
    crawler = get_crawler(settings_dict={"ARCHIVE_DB": str(path), "ARCHIVE_DIR": str(d / "raw"),
                                         "NIANBAO_WARC": False})
    ext = ArchiveExtension(crawler)
    spider = SimpleNamespace(name="reports", portals=[], portals_csv=None, region="", since=0)
    ext.spider_opened(spider)
    arch = crawler.nianbao
    code = arch.db.conn.execute("SELECT portal_code FROM reports LIMIT 1").fetchone()[0]
    arch.db.log_fetch("http://example.gov.cn/list.html", status=200, outcome="unchanged", portal_code=code,
                      crawl_id=arch.crawl_id)
    ext.spider_closed(spider, "finished")
    assert record_portal_counts(path, os.getpid(), [code])[0] is not None
    merged = d / "merged" / "archive.db"
    merged.parent.mkdir()
    merge(merged, [(path, d / "raw")], d / "merged" / "raw")
    return path, merged


def described_tables(path: Path, loop) -> dict[str, list[str]]:
    """Every table and view Datasette lists and does not hide, with its columns."""
    ds = serve(path)
    listing = get(ds, loop, "/archive.json").json()
    names = [t["name"] for t in listing["tables"] if not t["hidden"]] + [v["name"] for v in listing["views"]]
    conn = read_only(path)
    out = {n: [r[1] for r in conn.execute(f"PRAGMA table_info([{n}])")] for n in names}
    conn.close()
    return out


def bilingual(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and bool(re.search(r"[A-Za-z]{2}", text))


def test_every_table_and_column_has_a_description(real_archive, loop):
    seen: dict[str, set[str]] = {}
    for path in real_archive:
        for table, cols in described_tables(path, loop).items():
            seen.setdefault(table, set()).update(cols)
    for must in ("reports", "report_summary", "crawls", "fetch_log", "crawl_portals", "stale_portals", "templates",
                 "section_parts", "application_rows", "disclosure_measures", "review_outcomes", "figures"):
        assert must in seen, must
    assert {"spider", "fetched", "reason", "pid", "merged_from"} <= seen["crawls"]  # the crawler's own columns
    missing = []
    for table, cols in sorted(seen.items()):
        meta = TABLES.get(table) or {}
        text = meta.get("description") or meta.get("description_html") or ""
        if not bilingual(text):
            missing.append((table, None))
        described = meta.get("columns") or {}
        missing += [(table, c) for c in sorted(cols) if not bilingual(str(described.get(c) or ""))]
    assert not missing, f"tables/columns without a Chinese and English description: {missing}"


def unit_columns(path: Path) -> tuple[dict[str, list[str]], set[str]]:
    """The columns that hold counts of requests or appeals (件), by table, and the units the
    template lookups give the active-disclosure measures."""
    conn = read_only(path)
    summary = [r[1] for r in conn.execute("PRAGMA table_info(report_summary)")
               if r[2].upper() == "INTEGER" and r[1] not in ("report_id", "year", "checks_failed")]
    units = {r[0] for r in conn.execute("SELECT DISTINCT unit FROM disclosure_measures WHERE unit IS NOT NULL")}
    conn.close()
    return {"report_summary": summary, "applications": ["value"], "reviews": ["value"]}, units


def test_count_and_money_columns_name_their_unit(real_archive):
    counts, units = unit_columns(real_archive[0])
    assert len(counts["report_summary"]) >= 15
    for table, cols in counts.items():
        for col in cols:
            assert "件" in TABLES[table]["columns"][col], (table, col)
    # the templates' active-disclosure table has fee and procurement amounts: 万元 beside 件
    assert units == {"件", "万元"}
    for unit in units:
        assert unit in TABLES["active_disclosure"]["columns"]["value"]
        assert unit in TABLES["disclosure_measures"]["description"]
        assert unit in TABLES["disclosure_measures"]["columns"]["unit"]
    assert "件" in QUERIES["requests_by_city_year"]["description"]


def test_reports_come_newest_year_first(tmp_path, loop):
    path = tmp_path / "archive.db"
    make_archive(path, [synth.make_record(i, year=2019 + i % 6) for i in range(17)]).close()
    ds = serve(path)
    assert TABLES["reports"]["sort_desc"] == "year"
    conn = read_only(path)
    want = [r[0] for r in conn.execute("SELECT id FROM reports ORDER BY year DESC, id")]
    conn.close()
    got, nxt = [], None
    while True:
        body = get(ds, loop, "/archive/reports.json", _shape="objects", _size="5", **({"_next": nxt} if nxt else {}))
        assert body.status_code == 200
        body = body.json()
        assert "sorted by year descending" in body["human_description_en"]
        got += [r["id"] for r in body["rows"]]
        nxt = body["next"]
        if not nxt:
            break
    assert got == want and len(set(got)) == 17
    # the first page: the newest year on top
    first = rows(ds, loop, "/archive/reports.json")
    assert first[0]["year"] == 2024 and [r["year"] for r in first] == sorted((r["year"] for r in first), reverse=True)


# -- 5. the flags of `make serve` ------------------------------------------------------

def make_serve(*variables: str) -> list[list[str]]:
    """The commands ``make serve`` would run (``make -n``), one argv each.  The install
    prerequisite's stamps (read from the Makefile) are taken as up to date (``-o``), so
    only the serve recipe is printed whatever the state of .venv."""
    stamps = subprocess.run(["make", "-s", "--no-print-directory", "--eval", "print-%: ; @echo $($*)",
                             "print-STAMP_APT", "print-STAMP_PIP"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    assert len(stamps) == 2 and all(s.startswith(".venv/") for s in stamps), stamps
    out = subprocess.run(["make", "-n", "--no-print-directory", *(a for s in stamps for a in ("-o", s)), "serve",
                          *variables], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [shlex.split(line) for line in out.replace("\\\n", " ").splitlines() if line.strip()]


def datasette_args(commands: list[list[str]], tmp_path: Path, monkeypatch) -> dict:
    """The options of the one ``datasette serve`` command, parsed by Datasette's own CLI (in a
    directory holding the relative paths it names)."""
    from datasette.cli import serve as serve_cli

    [argv] = [c for c in commands if c[0].endswith("/datasette")]
    assert argv[0] == ".venv/bin/datasette" and argv[1] == "serve"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "archive.db").write_bytes(b"")
    for name in ("metadata.yml", "plugins"):
        if not (tmp_path / name).exists():
            (tmp_path / name).symlink_to(ROOT / name)
    with serve_cli.make_context("serve", argv[2:]) as ctx:
        params = dict(ctx.params)
        params["metadata"] = params["metadata"].name
    return params


def test_make_serve_flags(tmp_path, monkeypatch):
    default = make_serve()
    immutable = make_serve("IMMUTABLE=1")
    for commands in (default, immutable):
        assert not any(w in ("pip", "apt-get", "install") for c in commands for w in c), commands  # serve only
        # the report_summary CSV is written first (beside the archive, or beside the snapshot
        # that Archive.snapshot writes), the URL printed, then Datasette
        assert commands[0][:2] == [".venv/bin/python", "-c"]
        assert ["echo", "nianbao: http://127.0.0.1:8001/"] in commands
        assert commands[-1][0].endswith("/datasette")
    assert "export_summary_csv" in default[0][2] and default[0][3:] == ["archive.db"]
    # IMMUTABLE=1 never opens the live file immutable (that ignores its WAL): a snapshot first
    assert ".snapshot(" in immutable[0][2] and immutable[0][3:] == ["archive.db", "published/archive.db"]
    (tmp_path / "published").mkdir()
    (tmp_path / "published" / "archive.db").write_bytes(b"")
    live, snap = datasette_args(default, tmp_path, monkeypatch), datasette_args(immutable, tmp_path, monkeypatch)
    for p in (live, snap):
        assert p["host"] == "127.0.0.1" and p["port"] == 8001  # not reachable from other machines
        assert p["metadata"] == "metadata.yml" and p["plugins_dir"] == "plugins"
        settings = dict(p["settings"])
        assert settings["suggest_facets"] is False
        assert 0 < settings["sql_time_limit_ms"] <= 5000 and settings["facet_time_limit_ms"] > 0
        assert settings == SETTINGS  # what the tests here and in test_datasette.py serve with
        # reading the file the crawler writes: SQLite's locks kept, no cross-database, no root
        assert p["nolock"] is False and p["crossdb"] is False and p["root"] is False and p["memory"] is False
    # the live archive is a (read-only) mutable file; IMMUTABLE=1 serves the snapshot with -i
    assert live["files"] == ("archive.db",) and live["immutable"] == ()
    assert snap["files"] == () and snap["immutable"] == ("published/archive.db",)  # still named "archive"


# -- 6. reading the live archive while another process writes it -----------------------

PAGES = ["/archive/reports", "/archive/reports?_search=政府信息公开", "/archive/report_summary",
         "/archive/search_short?q=公开", "/-/dashboards/overview", "/archive/report_summary.csv",
         *[f"/archive/{name}" for name in QUERIES if name not in ("search_short", "agency_years")]]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("immutable", [False, True], ids=["live", "immutable"])
def test_datasettes_connections_cannot_write(tmp_path, loop, immutable):
    path = tmp_path / "archive.db"
    a = make_archive(path, [synth.make_record(i) for i in range(4)])
    if immutable:  # make serve IMMUTABLE=1 serves a published snapshot
        (tmp_path / "snapshot").mkdir()
        path = a.snapshot(tmp_path / "snapshot" / "archive.db")
    a.close()
    ds = serve(path, immutable=immutable)
    db = ds.get_database("archive")
    assert db.is_mutable is not immutable
    before = file_digest(path)
    for p in PAGES:
        assert get(ds, loop, p).status_code == 200, p

    def write(conn):
        conn.execute("INSERT INTO archive_state(key, value) VALUES ('written', 'by datasette')")
        conn.commit()

    # the connection Datasette reads with is opened read-only (mode=ro; immutable=1 for -i)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        loop.run_until_complete(db.execute_fn(write))
    assert get(ds, loop, "/archive.json", sql="delete from reports").status_code == 400
    # no page asked Datasette for its write connection, and the file is as it was
    assert db._write_thread is None and db._write_connection is None
    assert file_digest(path) == before
    conn = read_only(path)
    assert conn.execute("SELECT count(*) FROM archive_state WHERE key = 'written'").fetchone()[0] == 0
    conn.close()


WRITER = textwrap.dedent("""
    import os, sys, time
    from extract.store import Archive
    from tests.replica import synth
    from tests.test_store import sha_of, store_records

    path, n = sys.argv[1], int(sys.argv[2])
    a = Archive(path)
    crawl = a.start_crawl(spider="writer", pid=os.getpid())
    print("writing", flush=True)
    for i in range(n):
        rec = synth.make_record(5000 + i)
        if i % 4 == 3:  # the bulk path: report_summary and the index rebuilt in one transaction
            sha = sha_of(f"bulk-{i}".encode())
            a.record_document(sha, url=f"http://example.gov.cn/bulk/{i}.html", format="html", size=1,
                              fetched_at="2026-01-01T00:00:00+00:00")
            a.store_reports([{"record": rec, "document_sha256": sha}])
        else:
            store_records(a, [rec])
        a.log_fetch(f"http://example.gov.cn/{i}.html", outcome="new", crawl_id=crawl)
        time.sleep(0.05)  # pages are read between the writes
    a.finish_crawl(crawl, fetched=n)
    a.close()
    print("done", flush=True)
""")


def test_serving_while_another_process_writes(tmp_path, loop):
    """A crawl in its own process (the store's API, many transactions, the bulk path too)
    while Datasette's pages are read: every page answers, no count ever goes down."""
    path = tmp_path / "archive.db"
    start = 5
    make_archive(path, [synth.make_record(i) for i in range(start)]).close()
    ds = serve(path)
    n = 40
    counts = {  # page -> how to read its count
        "/archive.json?sql=select+count(*)+from+reports": lambda b: b["rows"][0][0],
        "/archive/reports.json?_size=1": lambda b: b["filtered_table_rows_count"],
        "/archive/report_summary.json?_size=1": lambda b: b["filtered_table_rows_count"],
        "/archive/reports.json?_size=1&_search=政府信息公开": lambda b: b["filtered_table_rows_count"],
        "/archive/search_short.json?q=公开&_shape=objects": lambda b: len(b["rows"]),
        "/archive/requests_by_city_year.json?_shape=objects": lambda b: sum(r["reports"] for r in b["rows"]),
        "/archive/fetch_log.json?_size=1": lambda b: b["filtered_table_rows_count"],
    }
    seen: dict[str, list[int]] = {p: [] for p in counts}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().strip() == "writing"
        rounds, done = 0, False
        while not (done and rounds >= 2):  # the last round starts after the writer has exited
            done = proc.poll() is not None
            for p, count in counts.items():
                r = get(ds, loop, p)
                assert r.status_code == 200, (p, r.text[:500])
                seen[p].append(count(r.json()))
            for p in ("/archive/reports", "/archive/report_summary", "/archive/coverage_gaps"):
                assert get(ds, loop, p).status_code == 200, p
            rounds += 1
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and out.strip() == "done", err[-2000:]
    for p, values in seen.items():
        assert values == sorted(values), (p, values)  # only ever grows
    reports = seen["/archive.json?sql=select+count(*)+from+reports"]
    assert len(set(reports[:-2])) >= 3, reports  # the pages were read while the writes went on
    assert reports[-1] == start + n
    for p in ("/archive/reports.json?_size=1", "/archive/report_summary.json?_size=1",
              "/archive/reports.json?_size=1&_search=政府信息公开"):
        assert seen[p][-1] == start + n, p
    assert seen["/archive/fetch_log.json?_size=1"][-1] == n
