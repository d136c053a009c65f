"""The offline replica of Henan portals: pages, behaviours and ground truth.

:func:`build_replica` makes twelve portals, one per family of
../shared/henan/url-patterns.md (and the registry's ``cms`` keys), all on one server
distinguished by path prefix:

========== ====== ============ ===========================================================
prefix     code   family       what it exercises
========== ====== ============ ===========================================================
/luolong/  410311 ymd          column found only through navigation (首页 → 政务公开 →
                               政府信息公开年报), 下一页 paging, samples 000/004, a 301
                               redirect, a PDF pointer page (见附件), HTML + PDF copy,
                               解读/通知 in the column, an off-registry link, ftp:/javascript:
/zhengzhou/ 410100 jeecms      ``public/D41X/`` (known column) + sibling ``D42Y`` 部门年报,
                               ``?page=N`` pager in ``.page-tile``, a DOCX pointer page,
                               a report listed in both columns, 503 + Retry-After once
/zhoukou/  411600 sitesources  nav discovery, ``list1.html`` + ``script.json`` (endPage),
                               ``article<hex>.html``, GBK pages, PDF pointer pages
/longting/ 410202 kaifeng      ``c00586/pc/list.html`` → ``list_2.html`` (共2页), GBK bytes
                               labelled UTF-8 (header and meta), sample 003, a 404 link,
                               a report under a robots.txt Disallow
/shanyang/ 410811 trs          ``createPageHTML(2, 0, "index", "html")``, sub-column
                               部门年报, sample 002, a DOC the column links itself (its
                               见附件 page is not linked), an XLSX 附表 beside an HTML
                               report (archived, not extracted)
/mengjin/  410308 hanweb       nav → ``/col/colN/index.html``, records by POST to
                               ``dataproxy.jsp`` (perpage 2, 3 pages per call), sample 001
/baofeng/  410421 channels     nav → 政务公开 hub → ``/channels/32564.html``; page 2
                               ``32564_2.html`` known only from 当前第1/2页 (script pager),
                               a report naming no place (县人民政府办公室): region = portal
/lingbao/  411282 smx          nav → ``/16030/0000/zhengfuxinxi-1.html`` → ``-2.html``
                               (下一页/尾页 links), articles ``/16030/YYYY/M/<id>.html``
/dengzhou/ 411381 webinfo      known column ``/zl/zfxxgk/zfxxgknb/`` → ``index_2.htm``,
                               articles ``webinfo/YYYY/MM/<16 digits>.htm``, a 月报 column
                               and a 月报 in the list (not followed)
/yanling/  411024 govxxgk      home → ``openSubPage.html?specialurl=…govlist.html`` frame
                               shell → ``govlist.html`` → ``?…&pageIndex=2`` (script
                               pager, 第1/2页), a DOCX pointer page
/taiqian/  410927 legacy       GB2312 ASP: nav → ``list.asp?class=1420`` →
                               ``&page=2`` (and ``&page=1``), articles ``show.asp?id=N``
/luoyang/  410300 waf          every URL answers 412 with a 瑞数 ``$_ts`` challenge
========== ====== ============ ===========================================================

:func:`build_bench_replica` makes N static portals × M HTML reports for bench/crawl_speed.py.

Ground truth: ``Replica.reports`` (every report document, with its record and whether a
polite crawler can reach it) and ``Replica.non_reports`` (paths a crawler must not keep).
Documents are rendered by tests/replica/render.py from tests/replica/synth.py records and
the five real samples' records (tests/expected/*.json); PDF/DOCX/DOC renderings are cached
on disk (``NIANBAO_REPLICA_CACHE``, default $TMPDIR/nianbao-replica-cache) because
LibreOffice takes about a second per DOC.
"""
from __future__ import annotations

import copy
import hashlib
import html
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import render as _render
from . import synth

EXPECTED = Path(__file__).resolve().parent.parent / "expected"
CACHE = Path(os.environ.get("NIANBAO_REPLICA_CACHE") or Path(tempfile.gettempdir()) / "nianbao-replica-cache")
LAST_MODIFIED = "Mon, 05 Feb 2024 08:00:00 GMT"
ROBOTS = "User-agent: *\nDisallow: /longting/ltq/private/\nDisallow: /_replica/\n"
WAF_BODY = (
    '<!DOCTYPE html><html><head><meta content="{seed}" r="m">'
    "<script r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={{}};$_ts.nsd=28471;$_ts.cd=\"qxrfrrAlGZqzqGAEcZ\";"
    "if($_ts.lcd)$_ts.lcd();</script><script src=\"/Fg0hUZVhdP3b/gy4qWSq5.b2f0d1e.js\" r='m'></script>"
    "</head><body></body></html>"
)


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    template: bool = False  # body contains @@ORIGIN@@ / @@PORT@@, filled at serve time
    size: int = 0  # > 0: a huge body of ``body`` repeated to this many bytes, streamed
    length: bool = True  # with ``size``: False sends no Content-Length (the body ends at close)


@dataclass
class TruthReport:
    """One report document a crawler should find."""

    portal_code: str
    url_path: str  # the document whose bytes give the record (article page or attachment)
    title: str
    year: int
    agency: str | None
    format: str  # html | pdf | docx | doc
    record: dict
    reachable: bool = True  # False: behind robots.txt, a polite crawler never fetches it
    listed_on: list[str] = field(default_factory=list)  # listing paths that link it
    sample: str | None = None  # stem of the real sample it renders, if any

    def as_dict(self, origin: str = "") -> dict:
        return {"portal_code": self.portal_code, "url": origin + self.url_path, "title": self.title,
                "year": self.year, "agency": self.agency, "format": self.format, "reachable": self.reachable,
                "listed_on": [origin + p for p in self.listed_on], "sample": self.sample, "record": self.record}


@dataclass
class Replica:
    portals: list[dict] = field(default_factory=list)  # registry rows; homepage/annual_report_url are paths
    resources: dict[str, Resource] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)  # path → target path (301)
    posts: dict[str, Callable[[dict[str, str], dict[str, str]], Resource]] = field(default_factory=dict)
    retry_after_once: set[str] = field(default_factory=set)  # first GET answers 503 + Retry-After: 1
    waf_prefixes: list[str] = field(default_factory=list)
    reports: list[TruthReport] = field(default_factory=list)
    non_reports: list[str] = field(default_factory=list)  # article paths that are not reports
    article_paths: set[str] = field(default_factory=set)  # every report article/attachment path
    listing_paths: set[str] = field(default_factory=set)
    robots: str | None = None  # this replica's robots.txt (default: ROBOTS)

    def add(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", **kw) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.resources[path] = Resource(body, content_type, **kw)

    def portals_csv(self, origin: str) -> str:
        """The registry CSV of this replica for a server at ``origin`` (http://127.0.0.1:PORT)."""
        cols = ["code", "name", "level", "parent_code", "homepage", "annual_report_url", "cms"]
        lines = [",".join(cols)]
        for p in self.portals:
            row = dict(p)
            for k in ("homepage", "annual_report_url"):
                v = row.get(k) or ""
                if "://" in v:  # a full URL (another host): only the port is filled in
                    row[k] = v.replace("@@PORT@@", origin.rsplit(":", 1)[-1])
                else:
                    row[k] = origin + v if v else ""
            lines.append(",".join(str(row.get(c, "")) for c in cols))
        return "\n".join(lines) + "\n"

    def truth(self, origin: str = "") -> dict:
        return {"reports": [r.as_dict(origin) for r in self.reports],
                "non_reports": [origin + p for p in self.non_reports],
                "portals": [p["code"] for p in self.portals]}


# -- rendering, cached -----------------------------------------------------------------------


def rendered(record: dict, fmt: str, **options) -> bytes:
    """``render(record, fmt, **options)``; binary formats are cached on disk by content."""
    if fmt in ("html", "text"):
        return _render.render(record, fmt, **options)
    key = hashlib.sha256(json.dumps([record, fmt, options], sort_keys=True, ensure_ascii=False,
                                    default=str).encode()).hexdigest()[:32]
    path = CACHE / f"{key}.{fmt}"
    if path.exists():
        return path.read_bytes()
    data = _render.render(record, fmt, **options)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data


def sample_record(stem_prefix: str) -> tuple[str, dict]:
    """A real sample's expected record, made renderable (section snippets as paragraphs)."""
    path = next(EXPECTED.glob(f"{stem_prefix}_*.json"))
    rec = json.loads(path.read_text(encoding="utf-8"))
    sections = {}
    for k, v in (rec.get("sections") or {}).items():
        if isinstance(v, dict):
            sections[k] = "\n".join(x for x in (v.get("starts"), v.get("ends")) if x)
        elif v:
            sections[k] = v
    rec["sections"] = sections
    if isinstance(rec.get("checks"), dict):
        rec["checks"] = [{"name": k, "ok": bool(v), "detail": ""} for k, v in rec["checks"].items()]
    return path.stem, rec


# -- page templates ------------------------------------------------------------------------------


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def page(title: str, body: str, *, charset: str = "utf-8", nav: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"<title>{esc(title)}</title></head>\n<body>\n<div class=\"header\">{nav}</div>\n"
            f"<div class=\"main\">\n{body}\n</div>\n<div class=\"footer\"><p>主办单位：{esc(title)}</p></div>\n"
            "</body></html>\n")


def li(path: str, title: str, date: str = "2024-01-20") -> str:
    short = title if len(title) <= 24 else title[:24] + "…"
    return f'<li><a href="{esc(path)}" title="{esc(title)}" target="_blank">{esc(short)}</a><span>{date}</span></li>'


def pointer_page(title: str, file_path: str, file_label: str, *, charset: str = "utf-8", container: str = "TRS_Editor") -> str:
    """A report article whose body is only 见附件 and the attachment link."""
    body = (f'<h1>{esc(title)}</h1><div class="info">发布时间：2024-01-20</div>'
            f'<div class="{container}"><p>详见附件。</p><p>附件：<a href="{esc(file_path)}">{esc(file_label)}</a></p></div>')
    return page(title, body, charset=charset)


def notice_page(title: str) -> str:
    return page(title, f"<h1>{esc(title)}</h1><div class=\"TRS_Editor\"><p>{esc(title)}。各单位请按要求执行。</p>"
                       "<p>特此通知。</p></div>")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list[str]]) -> bytes:
    """A minimal one-sheet workbook of inline strings, byte-for-byte the same on every build."""
    ns = "http://schemas.openxmlformats.org/"
    cells = "".join("<row>" + "".join(f'<c t="inlineStr"><is><t>{esc(v)}</t></is></c>' for v in row) + "</row>"
                    for row in rows)
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{ns}package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{ns}package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{ns}officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{ns}spreadsheetml/2006/main" xmlns:r="{ns}officeDocument/2006/'
        'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{ns}package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{ns}officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{ns}spreadsheetml/2006/main"><sheetData>{cells}'
        "</sheetData></worksheet>",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 20, 9, 30, 0)), xml)
    return buf.getvalue()


def unnamed(record: dict, names: dict[str, str]) -> dict:
    """``record`` with its region's names replaced everywhere (``names``: old → new, applied in
    order), as the report of a body that names only itself reads (县人民政府办公室…): only the
    portal it is published on tells where it is from."""
    text = json.dumps(record, ensure_ascii=False)
    for old, new in names.items():
        text = text.replace(old, new)
    return {**json.loads(text), "region": ""}


# -- the portals --------------------------------------------------------------------------------


class _Builder:
    """Adds one portal's reports, keeping the ground truth in step with the pages."""

    def __init__(self, rep: Replica, code: str, family: str):
        self.rep, self.code, self.family = rep, code, family

    def report(self, record: dict, article: str, *, fmt: str = "html", file_path: str | None = None,
               charset: str = "utf-8", html_options: dict | None = None, reachable: bool = True,
               copy_path: str | None = None, sample: str | None = None, container: str = "TRS_Editor",
               listed_on: list[str] | None = None) -> TruthReport:
        rep = self.rep
        title = record["title"]
        if fmt == "html":
            opts = dict(html_options or {})
            body = rendered(record, "html", **opts)
            ct = f"text/html; charset={opts.get('declared') or opts.get('encoding') or 'utf-8'}"
            if copy_path:  # the page also offers a PDF copy: the record comes from the page
                pdf = rendered(record, "pdf")
                link = f'<p>附件：<a href="{copy_path}">{esc(title)}.pdf</a></p>'.encode(opts.get("encoding", "utf-8"))
                body = body.replace(b"</body>", link + b"</body>")
                rep.add(copy_path, pdf, "application/pdf")
                rep.article_paths.add(copy_path)
            rep.add(article, body, ct)
            doc_path = article
        else:
            data = rendered(record, fmt)
            ctype = {"pdf": "application/pdf", "doc": "application/msword",
                     "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[fmt]
            file_path = file_path or article.rsplit(".", 1)[0] + f".{fmt}"
            rep.add(file_path, data, ctype)
            pp = pointer_page(title, file_path, f"{title}.{fmt}", charset=charset, container=container)
            rep.add(article, pp.encode(charset, "xmlcharrefreplace"), f"text/html; charset={charset}")
            rep.article_paths.add(file_path)
            doc_path = file_path
        rep.article_paths.add(article)
        t = TruthReport(self.code, doc_path, title, record["year"], record.get("agency"), fmt, record,
                        reachable=reachable, listed_on=list(listed_on or []), sample=sample)
        rep.reports.append(t)
        return t

    def notice(self, title: str, path: str) -> None:
        self.rep.add(path, notice_page(title))
        self.rep.non_reports.append(path)

    def attach(self, path: str, name: str, data: bytes, content_type: str) -> tuple[str, str]:
        """A file a report page links beside its text (a 附表 spreadsheet): served, fetched once,
        never the record.  Returns ``(name, path)`` for ``html_options={"attachments": […]}``."""
        self.rep.add(path, data, content_type)
        self.rep.article_paths.add(path)
        return name, path


def _synth(seed: int, year: int, code: str, used: set) -> dict:
    """A synthetic record for a body of unit ``code``, distinct (agency, year) within the replica."""
    for k in range(200):
        rec = synth.make_record(seed * 1000 + k, year=year, region_code=code)
        if (rec["agency"], year) not in used:
            used.add((rec["agency"], year))
            return rec
    raise RuntimeError(f"no distinct agency for {code} {year}")


def _luolong(rep: Replica, used: set) -> None:
    b = _Builder(rep, "410311", "ymd")
    rep.portals.append(dict(code="410311", name="洛龙区", level="county", parent_code="410300",
                            homepage="/luolong/", annual_report_url="", cms="ymd"))
    nav = ('<ul class="nav"><li><a href="/luolong/">首页</a></li><li><a href="/luolong/xwzx/">新闻中心</a></li>'
           '<li><a href="/luolong/zwgk/">政务公开</a></li><li><a href="/luolong/bsfw/">办事服务</a></li></ul>')
    rep.add("/luolong/", page("洛阳市洛龙区人民政府", (
        "<p>欢迎访问洛龙区人民政府网站</p>"
        '<p><a href="ftp://ftp.luolong.example/pub/">资料下载</a> <a href="javascript:void(0)">切换</a> '
        '<a href="http://localhost:@@PORT@@/offsite/luolong/2022.html">洛龙区友邻2022年政府信息公开工作年度报告</a></p>'),
        nav=nav), template=True)
    rep.add("/offsite/luolong/2022.html", page("off", "<p>off-registry page</p>"))
    rep.add("/luolong/xwzx/", page("新闻中心", "<ul><li>新闻</li></ul>", nav=nav))
    rep.add("/luolong/zwgk/", page("政务公开", (
        '<ul class="zwgk"><li><a href="/luolong/zwgk/znzd/">政府信息公开指南</a></li>'
        '<li><a href="/luolong/zwgk/zfxxgknb/">政府信息公开年报</a></li>'
        '<li><a href="/luolong/zwgk/fdzdgknr/">法定主动公开内容</a></li></ul>'), nav=nav))
    rep.add("/luolong/zwgk/znzd/", page("政府信息公开指南", "<p>指南</p>", nav=nav))
    rep.add("/luolong/zwgk/fdzdgknr/", page("法定主动公开内容", "<p>目录</p>", nav=nav))
    items: list[tuple[str, str]] = []
    s0, r0 = sample_record("000")
    s4, r4 = sample_record("004")
    used.update({(r0["agency"], r0["year"]), (r4["agency"], r4["year"])})
    col = "/luolong/zwgk/zfxxgknb/"
    pages = [col + "index.html", col + "index_1.html", col + "index_2.html"]
    b.report(r0, "/luolong/2023/01-19/2677014.html", sample=s0, listed_on=[pages[0]])
    items.append(("/luolong/2023/01-19/2677014.html", r0["title"]))
    b.report(r4, "/luolong/2023/01-16/2677001.html", sample=s4, html_options={"word": True}, listed_on=[pages[0]])
    items.append(("/luolong/2023/01-16/2677001.html", r4["title"]))
    b.notice("《洛阳市洛龙区人民政府办公室2022年政府信息公开工作年度报告》解读", "/luolong/2023/01-20/2677020.html")
    items.append(("/luolong/2023/01-20/2677020.html", "《洛阳市洛龙区人民政府办公室2022年政府信息公开工作年度报告》解读"))
    r = _synth(11, 2021, "410311", used)
    b.report(r, "/luolong/2022/02-10/2600123.html", fmt="pdf", file_path="/luolong/upload/2022/0210/2600123.pdf",
             listed_on=[pages[1]])
    items.append(("/luolong/2022/02-10/2600123.html", r["title"]))
    r = _synth(12, 2020, "410311", used)
    b.report(r, "/luolong/2021/01-28/2500456.html", copy_path="/luolong/upload/2021/0128/2500456.pdf",
             listed_on=[pages[1]])
    items.append(("/luolong/2021/01-28/2500456.html", r["title"]))
    b.notice("关于做好2023年政府信息公开工作年度报告编制发布工作的通知", "/luolong/2023/12-01/2799001.html")
    items.append(("/luolong/2023/12-01/2799001.html", "关于做好2023年政府信息公开工作年度报告编制发布工作的通知"))
    r = _synth(13, 2023, "410311", used)
    b.report(r, "/luolong/2024/01-15/2801001.html", listed_on=[pages[2]])
    rep.redirects["/luolong/old/2801001.html"] = "/luolong/2024/01-15/2801001.html"
    items.append(("/luolong/old/2801001.html", r["title"]))  # listed by its old URL: 301
    per = 3
    for i, p in enumerate(pages):
        chunk = items[i * per:(i + 1) * per]
        nxt = f'<a href="{pages[i + 1].rsplit("/", 1)[1]}">下一页</a>' if i + 1 < len(pages) else ""
        prev = f'<a href="{pages[i - 1].rsplit("/", 1)[1]}">上一页</a>' if i else ""
        rep.add(p, page("政府信息公开年报", f'<ul class="list">{"".join(li(u, t) for u, t in chunk)}</ul>'
                                     f'<div class="page">{prev} {nxt}</div>', nav=nav))
        rep.listing_paths.add(p)
    rep.redirects[col] = col + "index.html"
    rep.listing_paths.add(col)


def _zhengzhou(rep: Replica, used: set) -> None:
    b = _Builder(rep, "410100", "jeecms")
    rep.portals.append(dict(code="410100", name="郑州市", level="city", parent_code="410000",
                            homepage="/zhengzhou/", annual_report_url="/zhengzhou/public/D41X/", cms="jhtml"))
    rep.add("/zhengzhou/", page("郑州市人民政府", '<a href="/zhengzhou/public/D41X/">政府信息公开年报</a>'))
    gov, dept = [], []
    ids = iter(range(4779280, 4779400))
    for seed, year in ((21, 2019), (22, 2020), (23, 2022)):
        r = _synth(seed, year, "410100", used)
        path = f"/zhengzhou/public/D41X/{next(ids)}.jhtml"
        t = b.report(r, path, html_options={"container": "zoom"})
        gov.append((path, r["title"], t))
    r = _synth(24, 2023, "410100", used)
    path = f"/zhengzhou/public/D42Y/{next(ids)}.jhtml"
    t = b.report(r, path, fmt="docx", file_path=f"/zhengzhou/u/cms/www/202401/1709{next(ids)}km0r.docx",
                 container="content")
    dept.append((path, r["title"], t))
    r = _synth(25, 2021, "410100", used)
    path = f"/zhengzhou/public/D42Y/{next(ids)}.jhtml"
    t = b.report(r, path, html_options={"container": "zoom"})
    dept.append((path, r["title"], t))
    dept.append(gov[2])  # the same report listed in both columns
    side = ('<div class="side"><a href="/zhengzhou/public/D41X/">政府年报</a> '
            '<a href="/zhengzhou/public/D42Y/">部门年报</a></div>')
    for col, entries, per in (("/zhengzhou/public/D41X/", gov, 2), ("/zhengzhou/public/D42Y/", dept, 2)):
        n = (len(entries) + per - 1) // per
        for k in range(1, n + 1):
            path = col if k == 1 else f"{col}?page={k}"
            chunk = entries[(k - 1) * per:k * per]
            for _, _, t in chunk:
                t.listed_on.append(path)
            pager = " ".join(f'<a href="{col}?page={j}">{j}</a>' for j in range(1, n + 1))
            rep.add(path, page("政府信息公开年报", side + '<ul class="page-list">'
                                + "".join(li(u, tt) for u, tt, _ in chunk) + f'</ul><div class="page-tile">{pager}</div>'))
            rep.listing_paths.add(path)
        rep.resources[f"{col}?page=1"] = rep.resources[col]
        rep.listing_paths.add(f"{col}?page=1")
    rep.retry_after_once.add("/zhengzhou/public/D42Y/")


def _zhoukou(rep: Replica, used: set) -> None:
    b = _Builder(rep, "411600", "sitesources")
    rep.portals.append(dict(code="411600", name="周口市", level="city", parent_code="410000",
                            homepage="/zhoukou/", annual_report_url="", cms="sitesources"))
    base = "/zhoukou/sitesources/zksrmzf/page_pc/"
    gbk = "gbk"
    rep.add("/zhoukou/", page("周口市人民政府", f'<div class="nav"><a href="/zhoukou/">首页</a> '
                                          f'<a href="{base}zwgk/index.html">政务公开</a></div>', charset=gbk).encode(gbk),
            "text/html; charset=gbk")
    rep.add(f"{base}zwgk/index.html", page("政务公开", f'<a href="{base}zwgk/gkznhml/zfxxgkzn/list1.html">政府信息公开指南</a>'
                                                   f' <a href="{base}zwgk/gkznhml/zfxxgknb/list1.html">政府信息公开年报</a>',
                                           charset=gbk).encode(gbk), "text/html; charset=gbk")
    col = f"{base}zwgk/gkznhml/zfxxgknb/"
    entries = []
    hexes = iter(hashlib.md5(str(i).encode()).hexdigest().upper() for i in range(100))
    for seed, year, fmt in ((31, 2020, "pdf"), (32, 2021, "html"), (33, 2022, "pdf"), (34, 2024, "html")):
        r = _synth(seed, year, "411600", used)
        path = f"{col}{year}n/szf/article{next(hexes)}.html"
        if fmt == "html":
            t = b.report(r, path, html_options={"container": "hap", "encoding": gbk})
        else:
            t = b.report(r, path, fmt="pdf", file_path=f"/zhoukou/sitesources/zksrmzf/upload/{year + 1}01/{year + 1}0124181230736.pdf",
                         charset=gbk, container="hap_xq_content")
        entries.append((f"./{year}n/szf/article{path.rsplit('article', 1)[1]}", r["title"], t))
    guide = f"{col}article{next(hexes)}.html"
    b.notice("政府信息公开年报编制说明会的通知", guide)
    entries.insert(2, (f"./article{guide.rsplit('article', 1)[1]}", "政府信息公开年报编制说明会的通知", None))
    per = 3
    n = (len(entries) + per - 1) // per
    for k in range(1, n + 1):
        chunk = entries[(k - 1) * per:k * per]
        for _, _, t in chunk:
            if t:
                t.listed_on.append(f"{col}list{k}.html")
        items = "".join(f'<div class="hap_infoBox"><a href="{u}" title="{esc(tt)}">{esc(tt)}</a></div>' for u, tt, _ in chunk)
        rep.add(f"{col}list{k}.html", page("政府信息公开年报", items, charset=gbk).encode(gbk), "text/html; charset=gbk")
        rep.listing_paths.add(f"{col}list{k}.html")
    rep.add(f"{col}script.json", json.dumps({"startPage": 1, "endPage": n}), "application/json")
    rep.listing_paths.add(f"{col}script.json")


def _longting(rep: Replica, used: set) -> None:
    b = _Builder(rep, "410202", "kaifeng")
    rep.portals.append(dict(code="410202", name="龙亭区", level="county", parent_code="410200",
                            homepage="/longting/", annual_report_url="/longting/ltq/c00586/pc/list.html", cms="kaifeng"))
    col = "/longting/ltq/c00586/pc/"
    opts = {"encoding": "gbk", "declared": "utf-8"}  # GBK bytes labelled UTF-8, header and meta
    s3, r3 = sample_record("003")
    used.add((r3["agency"], r3["year"]))
    entries = []
    t = b.report(r3, "/longting/ltq/c00586/pc/content/content_1580000000000001.html", sample=s3, html_options=opts)
    entries.append((t.url_path, r3["title"], t))
    r = _synth(41, 2022, "410202", used)
    t = b.report(r, "/longting/ltq/c00586/pc/content/content_1580000000000002.html", html_options=opts)
    entries.append((t.url_path, r["title"], t))
    entries.append(("/longting/ltq/c00586/pc/content/content_1580000000000404.html", "龙亭区2020年政府信息公开工作年度报告", None))
    r = _synth(42, 2023, "410202", used)
    t = b.report(r, "/longting/ltq/private/content_1580000000000003.html", html_options=opts, reachable=False)
    entries.append((t.url_path, r["title"], t))
    r = _synth(43, 2019, "410202", used)
    t = b.report(r, "/longting/ltq/c00586/pc/content/content_1580000000000004.html", html_options=opts)
    entries.append((t.url_path, r["title"], t))
    per, n = 3, 2
    for k in range(1, n + 1):
        path = col + ("list.html" if k == 1 else f"list_{k}.html")
        chunk = entries[(k - 1) * per:k * per]
        for _, _, t in chunk:
            if t:
                t.listed_on.append(path)
        pager = f"共{n}页 " + " ".join(f'<a href="{"list.html" if j == 1 else f"list_{j}.html"}">{j}</a>' for j in range(1, n + 1))
        body = page("政策文件", "<ul>" + "".join(li(u, tt) for u, tt, _ in chunk) + f'</ul><div class="pager">{pager}</div>',
                    charset="utf-8")
        rep.add(path, body.encode("gbk"), "text/html; charset=utf-8")
        rep.listing_paths.add(path)


SHANYANG_XLSX = "/shanyang/zwgk/zfxxgknb/202002/P020200210001.xlsx"  # a report page's 附表, archived only


def _shanyang(rep: Replica, used: set) -> None:
    b = _Builder(rep, "410811", "trs")
    rep.portals.append(dict(code="410811", name="山阳区", level="county", parent_code="410800",
                            homepage="/shanyang/", annual_report_url="/shanyang/zwgk/zfxxgknb/index.html", cms="trs"))
    col = "/shanyang/zwgk/zfxxgknb/"
    s2, r2 = sample_record("002")
    used.add((r2["agency"], r2["year"]))
    main, sub = [], []
    t = b.report(r2, f"{col}202301/t20230118_4373320.html", sample=s2, html_options={"word": True})
    main.append((t.url_path, r2["title"], t))
    r = _synth(51, 2021, "410811", used)
    t = b.report(r, f"{col}202201/t20220125_4100001.html", fmt="doc", file_path=f"{col}202201/P020220125001.doc")
    main.append((t.url_path, r["title"], t))
    r = _synth(52, 2019, "410811", used)
    sheet = b.attach(SHANYANG_XLSX, "附表：2019年政府信息公开情况统计表.xlsx",
                     xlsx([["收到和处理政府信息公开申请情况", "自然人"], ["一、本年新收政府信息公开申请数量", "0"]]), XLSX)
    t = b.report(r, f"{col}202002/t20200210_3000001.html", html_options={"attachments": [sheet]})
    main.append((t.url_path, r["title"], t))
    r = _synth(53, 2022, "410811", used)
    t = b.report(r, f"{col}bmnb/202302/t20230210_4400001.html")
    sub.append((t.url_path, r["title"], t))
    script = ('<script>function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){{'
              'if(_nPageCount == null || _nPageCount<=1){{return;}} document.write("...");}}'
              'createPageHTML({n}, {k}, "index", "html");</script>')
    per = 2
    n = (len(main) + per - 1) // per
    for k in range(n):
        path = col + ("index.html" if k == 0 else f"index_{k}.html")
        chunk = main[k * per:(k + 1) * per]
        for _, _, t in chunk:
            t.listed_on.append(path)
        rep.add(path, page("政府信息公开年报", '<div class="side"><a href="bmnb/index.html">部门年报</a></div>'
                         '<ul class="newsList">' + "".join(li(u, tt) for u, tt, _ in chunk) + "</ul>"
                         + script.format(n=n, k=k)))
        rep.listing_paths.add(path)
    rep.add(col + "bmnb/index.html", page("部门年报", '<ul class="newsList">' + "".join(li(u, tt) for u, tt, _ in sub)
                                      + "</ul>" + script.format(n=1, k=0)))
    sub[0][2].listed_on.append(col + "bmnb/index.html")
    rep.listing_paths.add(col + "bmnb/index.html")


def _mengjin(rep: Replica, used: set) -> None:
    b = _Builder(rep, "410308", "hanweb")
    rep.portals.append(dict(code="410308", name="孟津区", level="county", parent_code="410300",
                            homepage="/mengjin/", annual_report_url="", cms="hanweb"))
    colid = "1229214366"
    rep.add("/mengjin/", page("洛阳市孟津区人民政府", f'<div class="nav"><a href="/mengjin/">首页</a> '
                                              f'<a href="/mengjin/col/col{colid}/index.html">信息公开年报</a></div>'))
    s1, r1 = sample_record("001")
    used.add((r1["agency"], r1["year"]))
    recs = []
    t = b.report(r1, f"/mengjin/art/2024/1/23/art_{colid}_88348.html", sample=s1)
    recs.append((t.url_path, r1["title"], t))
    r = _synth(61, 2020, "410308", used)
    t = b.report(r, f"/mengjin/art/2021/1/20/art_{colid}_70001.html")
    recs.append((t.url_path, r["title"], t))
    b.notice("孟津区2023年政府信息公开工作年度报告图解", f"/mengjin/art/2024/1/25/art_{colid}_88350.html")
    recs.append((f"/mengjin/art/2024/1/25/art_{colid}_88350.html", "孟津区2023年政府信息公开工作年度报告图解", None))
    r = _synth(62, 2022, "410308", used)
    t = b.report(r, f"/mengjin/art/2023/1/18/art_{colid}_80001.html", fmt="pdf",
                 file_path=f"/mengjin/module/download/downfile.jsp_{colid}_80001.pdf")
    recs.append((t.url_path, r["title"], t))
    r = _synth(63, 2021, "410308", used)
    t = b.report(r, f"/mengjin/art/2022/1/19/art_{colid}_75001.html")
    recs.append((t.url_path, r["title"], t))
    r = _synth(64, 2024, "410308", used)
    t = b.report(r, f"/mengjin/art/2025/1/21/art_{colid}_90001.html")
    recs.append((t.url_path, r["title"], t))
    recs.append(("", "无链接脏数据", None))  # a record with no link, as real jcms answers have
    total, per = len(recs), 2
    proxy = "/mengjin/module/web/jpage/dataproxy.jsp"
    rep.add(f"/mengjin/col/col{colid}/index.html", page("信息公开年报", (
        f'<div id="{colid}01"><script type="text/javascript">'
        f'$(document).ready(function(){{$("#{colid}01").jpage({{dataStore:null,totalRecord:{total},perPage:{per},'
        f'proxyUrl:"{proxy}",webid:"221",path:"/",columnid:"{colid}",unitid:"{colid}01",'
        f'sourceContentType:"1",webname:"孟津区人民政府",permissiontype:"0",col:"1"}});}});</script></div>')))
    rep.listing_paths.add(f"/mengjin/col/col{colid}/index.html")
    for _, _, t in recs:
        if t:
            t.listed_on.append(proxy)

    def dataproxy(query: dict[str, str], form: dict[str, str]) -> Resource:
        if form.get("columnid") != colid:
            return Resource(b"<datastore><totalrecord>0</totalrecord></datastore>", "text/xml; charset=utf-8")
        start, end = int(query.get("startrecord", 1)), int(query.get("endrecord", per))
        out = [f"<datastore><totalrecord>{total}</totalrecord><totalpage>{(total + per - 1) // per}</totalpage>"
               "<recordset>"]
        for u, tt, _ in recs[start - 1:end]:
            if u:
                out.append(f'<record><![CDATA[<li><a href="{u}" title="{esc(tt)}" target="_blank">{esc(tt)}</a>'
                           f"<span>2024-01-23</span></li>]]></record>")
            else:
                out.append(f"<record><![CDATA[<li>{esc(tt)}</li><li style=<br/>]]></record>")
        out.append('<table width="100%"></table></recordset></datastore>')
        return Resource("".join(out).encode("utf-8"), "text/xml; charset=utf-8")

    rep.posts[proxy] = dataproxy
    rep.listing_paths.add(proxy)


def _pages(entries: list, per: int) -> list[list]:
    """``entries`` cut into list pages of ``per`` (at least one page)."""
    return [entries[i:i + per] for i in range(0, len(entries), per)] or [[]]


REGIONLESS_REPORT = "/baofeng/contents/32564/563280.html"  # 县人民政府办公室…: no place named in it


def _baofeng(rep: Replica, used: set) -> None:
    """Pingdingshan ``channels`` (宝丰县): nav → 政务公开 hub → ``/channels/32564.html``; pages
    ``32564_2.html`` … whose pager prints 当前第k/N页 and turns pages by script only; a
    report that names no place (县人民政府办公室…), whose region only the portal gives."""
    code, pre = "410421", "/baofeng/"
    b = _Builder(rep, code, "channels")
    rep.portals.append(dict(code=code, name="宝丰县", level="county", parent_code="410400",
                            homepage=pre, annual_report_url="", cms="channels"))
    nav = (f'<div class="nav"><a href="{pre}">首页</a> <a href="{pre}channels/32498.html">新闻中心</a> '
           f'<a href="{pre}channels/32500.html">政务公开</a> <a href="{pre}channels/32502.html">办事服务</a></div>')
    rep.add(pre, page("宝丰县人民政府", "<p>欢迎访问宝丰县人民政府门户网站</p>", nav=nav))
    rep.add(f"{pre}channels/32500.html", page("政务公开", (
        f'<div class="public-left"><ul><li><a href="{pre}channels/32563.html">政府信息公开指南</a></li>'
        f'<li><a href="{pre}channels/32564.html">政府信息公开年报</a></li>'
        f'<li><a href="{pre}channels/32565.html">政府信息公开制度</a></li></ul></div>'), nav=nav))
    ids = iter(range(563215, 563400, 13))
    entries = []
    for seed, year in ((71, 2023), (72, 2022)):
        r = _synth(seed, year, code, used)
        path = f"{pre}contents/32564/{next(ids)}.html"
        t = b.report(r, path, html_options={"container": "zoom"})
        entries.append((path, r["title"], t))
        if year == 2022:
            note = "宝丰县2022年政府信息公开工作年度报告解读"
            npath = f"{pre}contents/32564/{next(ids)}.html"
            b.notice(note, npath)
            entries.append((npath, note, None))
    # the county office's report names no place at all: its region is the portal's
    r = unnamed(synth.make_record(74, year=2021, agency="宝丰县人民政府办公室", region_code=code),
                {"平顶山市宝丰县": "县", "宝丰县": "县", "平顶山市": ""})
    used.add((r["agency"], r["year"]))
    t = b.report(r, REGIONLESS_REPORT, html_options={"container": "zoom"})
    entries.append((REGIONLESS_REPORT, r["title"], t))
    chunks = _pages(entries, 2)
    n = len(chunks)
    for k, chunk in enumerate(chunks, start=1):
        path = f"{pre}channels/32564.html" if k == 1 else f"{pre}channels/32564_{k}.html"
        for _, _, t in chunk:
            if t:
                t.listed_on.append(path)
        pager = (f'<span class="public-page-nav clear-float"><span class="total">当前第{k}/{n}页</span> '
                 '<a href="javascript:;" onclick="goPage(1)">首页</a> '
                 f'<a href="javascript:;" onclick="goPage({max(k - 1, 1)})">上一页</a> '
                 f'<a href="javascript:;" onclick="goPage({min(k + 1, n)})">下一页</a> '
                 f'<a href="javascript:;" onclick="goPage({n})">尾页</a></span>'
                 '<script>function goPage(p){location.href = "32564" + (p > 1 ? "_" + p : "") + ".html";}</script>')
        rep.add(path, page("政府信息公开年报", '<div class="public-list1"><ul><li>标题 日期</li>'
                           + "".join(li(u, tt) for u, tt, _ in chunk) + "</ul></div>" + pager, nav=nav))
        rep.listing_paths.add(path)


def _lingbao(rep: Replica, used: set) -> None:
    """Sanmenxia ``smx`` (灵宝市): nav → ``/16030/0000/zhengfuxinxi-1.html``, pages
    ``zhengfuxinxi-N.html`` (page number as a filename suffix) with 首页/上一页/下一页/尾页
    links; articles ``/16030/YYYY/M/<id>.html``."""
    code, pre = "411282", "/lingbao/"
    b = _Builder(rep, code, "smx")
    rep.portals.append(dict(code=code, name="灵宝市", level="county", parent_code="411200",
                            homepage=pre, annual_report_url="", cms="smx"))
    col = f"{pre}16030/0000/"
    nav = (f'<ul class="nav"><li><a href="{pre}">首页</a></li><li><a href="{pre}16016/0000/zhengfuxinxi-1.html">政策文件</a>'
           f'</li><li><a href="{col}zhengfuxinxi-1.html">政府信息公开年报</a></li>'
           f'<li><a href="{pre}16029/0000/zhengfuxinxi-1.html">政府信息公开指南</a></li></ul>')
    rep.add(pre, page("灵宝市人民政府", "<p>灵宝市人民政府门户网站</p>", nav=nav))
    ids = iter(range(2270962, 2271200, 17))
    entries = []
    for seed, year in ((81, 2023), (82, 2021)):
        r = _synth(seed, year, code, used)
        pub = r["published"]
        path = f"{pre}16030/{pub[:4]}/{int(pub[5:7])}/{next(ids)}.html"
        t = b.report(r, path)
        entries.append((path, r["title"], t))
    note = "关于做好2023年政府信息公开工作年度报告编制发布工作的通知"
    npath = f"{pre}16030/2023/12/{next(ids)}.html"
    b.notice(note, npath)
    entries.insert(1, (npath, note, None))
    chunks = _pages(entries, 2)
    n = len(chunks)
    for k, chunk in enumerate(chunks, start=1):
        path = f"{col}zhengfuxinxi-{k}.html"
        for _, _, t in chunk:
            if t:
                t.listed_on.append(path)
        links = [f"共{n}页"]
        if k > 1:
            links += ['<a href="zhengfuxinxi-1.html">首页</a>', f'<a href="zhengfuxinxi-{k - 1}.html">上一页</a>']
        if k < n:
            links += [f'<a href="zhengfuxinxi-{k + 1}.html">下一页</a>', f'<a href="zhengfuxinxi-{n}.html">尾页</a>']
        rep.add(path, page("政府信息公开年报", '<div class="article-list"><ul>' + "".join(li(u, tt) for u, tt, _ in chunk)
                           + f'</ul></div><div class="pages">{" ".join(links)}</div>', nav=nav))
        rep.listing_paths.add(path)


def _webinfo_path(col: str, published: str, serial: int) -> str:
    """``webinfo/YYYY/MM/<16 digits>.htm``: epoch milliseconds of the publish day + 3 digits."""
    import datetime as _dt

    ms = int(_dt.datetime.fromisoformat(published + "T09:30:00+08:00").timestamp() * 1000) + serial * 7919
    return f"{col}webinfo/{published[:4]}/{published[5:7]}/{ms}{serial % 1000:03d}.htm"


def _dengzhou(rep: Replica, used: set) -> None:
    """Nanyang ``webinfo`` (邓州市, the 张楼乡 sub-site column ``/zl/zfxxgk/zfxxgknb/``, known):
    pages ``index_N.htm``; articles ``webinfo/YYYY/MM/<16 digits>.htm``; the sub-site nav
    (信息公开指南 · 信息公开年报 · 信息公开月报) and a 月报 filed in the 年报 column."""
    code, pre = "411381", "/dengzhou/"
    b = _Builder(rep, code, "webinfo")
    col = f"{pre}zl/zfxxgk/zfxxgknb/"
    rep.portals.append(dict(code=code, name="邓州市", level="county", parent_code="411300",
                            homepage=pre, annual_report_url=col, cms="webinfo"))
    monthly = f"{pre}zl/zfxxgk/zfxxgkyb/"
    rep.add(monthly, page("信息公开月报", "<p>月报</p>"))
    rep.non_reports.append(monthly)  # the 月报 column is not a report column
    subnav = ('<div class="subnav"><a href="../zfxxgkzn/">信息公开指南</a> <a href="./">信息公开年报</a> '
              '<a href="../zfxxgkyb/">信息公开月报</a></div>')
    rec = synth.make_record(91, year=2023, agency="邓州市张楼乡人民政府", region_code=code)
    rec["agency"] = "南阳市邓州市张楼乡人民政府"  # a record's agency is the full name, city included
    used.add((rec["agency"], rec["year"]))
    records = [rec, _synth(92, 2022, code, used)]
    entries = []
    for i, r in enumerate(records):
        path = _webinfo_path(col, r["published"], 260 + i)
        t = b.report(r, path)
        entries.append((path, r["title"], t))
    note = "邓州市张楼乡2023年12月政府信息公开月报"
    npath = _webinfo_path(col, "2024-01-05", 270)
    b.notice(note, npath)
    entries.insert(1, (npath, note, None))
    chunks = _pages(entries, 2)
    n = len(chunks)
    for k, chunk in enumerate(chunks, start=1):
        path = col if k == 1 else f"{col}index_{k}.htm"
        for _, _, t in chunk:
            if t:
                t.listed_on.append(path)
        pager = " ".join(f'<a href="{"./" if j == 1 else f"index_{j}.htm"}">{j}</a>' for j in range(1, n + 1))
        if k < n:
            pager += f' <a href="index_{k + 1}.htm">下一页</a>'
        rep.add(path, page("信息公开年报", subnav + '<ul class="list">' + "".join(li(u, tt) for u, tt, _ in chunk)
                           + f'</ul><div class="page">{pager}</div>'), "text/html; charset=utf-8")
        rep.listing_paths.add(path)


def _yanling(rep: Replica, used: set) -> None:
    """Xuchang ``govxxgk`` (鄢陵县): the homepage's category link to the frame shell
    ``openSubPage.html?specialurl=…/govlist.html&righttitle=…`` (the list is loaded by
    script); ``govlist.html`` then ``?deptcode=…&categorynum=…&pageIndex=N`` from the pager's
    count (第k/N页, pages turned by script); a DOCX attachment; a 图解 in the list."""
    code, pre = "411024", "/yanling/"
    org = "114110240057660135"
    b = _Builder(rep, code, "govxxgk")
    rep.portals.append(dict(code=code, name="鄢陵县", level="county", parent_code="411000",
                            homepage=pre, annual_report_url="", cms="govxxgk"))
    gk = f"{pre}govxxgk/{org}/"
    nav = f'<div class="nav"><a href="{pre}">首页</a> <a href="{gk}index.html">政府信息公开</a></div>'
    cat = "032005"
    listing = f"{gk}category/032/{cat}/govlist.html"
    right = "%E6%94%BF%E5%BA%9C%E4%BF%A1%E6%81%AF%E5%85%AC%E5%BC%80%E5%B9%B4%E6%8A%A5"  # 政府信息公开年报
    shell = f"{gk}openSubPage.html?specialurl={listing}&righttitle={right}"
    # the homepage's 政务公开 block links the platform's categories (each a frame shell)
    rep.add(pre, page("鄢陵县人民政府", (
        '<p>鄢陵县人民政府门户网站</p><div class="zwgk-block"><ul>'
        f'<li><a href="{gk}openSubPage.html?specialurl={gk}category/032/032002/032002004/govlist.html'
        '&amp;righttitle=%E6%B3%95%E8%A7%84%E6%96%87%E4%BB%B6">法规文件</a></li>'
        f'<li><a href="{shell.replace("&", "&amp;")}">政府信息公开年报</a></li>'
        f'<li><a href="{gk}openSubPage.html?specialurl={gk}category/031/govlist.html'
        '&amp;righttitle=%E6%8C%87%E5%8D%97">政府信息公开指南</a></li></ul></div>'), nav=nav))
    rep.add(shell, page("鄢陵县人民政府信息公开", (
        '<div class="ewb-right"><div class="ewb-right-hd" id="righttitle"></div>'
        '<iframe id="rightframe" name="rightframe" src="" frameborder="0" scrolling="no" width="100%" height="800">'
        "</iframe></div><script>function getQueryString(name){var r = window.location.search.substr(1)"
        '.match(new RegExp("(^|&)" + name + "=([^&]*)(&|$)")); return r ? decodeURIComponent(r[2]) : null;}'
        'document.getElementById("rightframe").src = getQueryString("specialurl");'
        'document.getElementById("righttitle").innerText = getQueryString("righttitle");</script>'), nav=nav))
    rep.listing_paths.add(shell)
    uuids = iter(hashlib.md5(f"yanling{i}".encode()).hexdigest() for i in range(50))

    def article(published: str) -> str:
        u = next(uuids)
        return f"{gk}{published}/{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}.html"

    entries = []
    for seed, year, fmt in ((102, 2022, "docx"), (101, 2023, "html")):
        r = _synth(seed, year, code, used)
        path = article(r["published"])
        if fmt == "docx":
            t = b.report(r, path, fmt="docx", file_path=f"{pre}attach/0/{r['published'].replace('-', '')}091236.docx",
                         container="content")
        else:
            t = b.report(r, path, html_options={"container": "zoom"})
        entries.append((path, r["title"], t))
    note = "图解：鄢陵县2022年政府信息公开工作年度报告"
    npath = article("2023-01-30")
    b.notice(note, npath)
    entries.insert(1, (npath, note, None))
    chunks = _pages(entries, 2)
    n, total = len(chunks), len(entries)
    for k, chunk in enumerate(chunks, start=1):
        path = listing if k == 1 else f"{listing}?deptcode={org}&categorynum={cat}&pageIndex={k}"
        for _, _, t in chunk:
            if t:
                t.listed_on.append(path)
        items = "".join(f'<li class="ewb-list-node"><a href="{esc(u)}" title="{esc(tt)}" target="_blank">{esc(tt)}</a>'
                        f'<span class="ewb-list-date">{u.split("/")[-2]}</span></li>' for u, tt, _ in chunk)
        pager = (f'<div class="ewb-page"><span class="ewb-page-total">共{total}条 第{k}/{n}页</span> '
                 f'<a href="javascript:void(0)" onclick="ShowNewPage({min(k + 1, n)})">下一页</a></div>'
                 '<script>function ShowNewPage(i){location.href = "govlist.html?deptcode=' + org
                 + f'&categorynum={cat}&pageIndex=" + i;}}</script>')
        rep.add(path, page("政府信息公开年报", f'<ul id="govinfolist" class="ewb-list">{items}</ul>{pager}'))
        rep.listing_paths.add(path)


def _taiqian(rep: Replica, used: set) -> None:
    """A ``legacy`` ASP site (台前县), GB2312: nav → ``list.asp?class=1420``,
    pages ``list.asp?class=1420&page=N`` (首页/上一页/下一页/尾页 links; page 1 also as
    ``&page=1``), articles ``show.asp?id=N``."""
    code, pre = "410927", "/taiqian/"
    b = _Builder(rep, code, "legacy")
    rep.portals.append(dict(code=code, name="台前县", level="county", parent_code="410900",
                            homepage=pre, annual_report_url="", cms="legacy"))
    enc, ct = "gbk", "text/html; charset=gb2312"
    nav = (f'<table class="nav"><tr><td><a href="{pre}index.asp">网站首页</a></td>'
           f'<td><a href="{pre}xxgk/list.asp?class=1413">规范性文件</a></td>'
           f'<td><a href="{pre}xxgk/list.asp?class=1419">政府信息公开指南</a></td>'
           f'<td><a href="{pre}xxgk/list.asp?class=1420">政府信息公开年报</a></td></tr></table>')
    rep.add(pre, page("台前县人民政府", "<p>台前县人民政府欢迎您</p>", charset="gb2312", nav=nav).encode(enc), ct)
    ids = iter(range(3312, 3400, 3))
    entries = []
    for seed, year in ((111, 2023), (112, 2022)):
        r = _synth(seed, year, code, used)
        path = f"{pre}xxgk/show.asp?id={next(ids)}"
        t = b.report(r, path, html_options={"encoding": enc, "declared": "gb2312"})
        entries.append((path, r["title"], t))
    note = "台前县2022年政府信息公开工作年度报告解读"
    npath = f"{pre}xxgk/show.asp?id={next(ids)}"
    b.notice(note, npath)
    entries.insert(1, (npath, note, None))
    chunks = _pages(entries, 2)
    n = len(chunks)
    col = f"{pre}xxgk/list.asp?class=1420"
    for k, chunk in enumerate(chunks, start=1):
        for _, _, t in chunk:
            if t:
                t.listed_on.append(col if k == 1 else f"{col}&page={k}")
        links = [f"共{n}页 第{k}页"]
        links += (['<a href="list.asp?class=1420&amp;page=1">首页</a>',
                   f'<a href="list.asp?class=1420&amp;page={k - 1}">上一页</a>'] if k > 1 else ["首页", "上一页"])
        links += ([f'<a href="list.asp?class=1420&amp;page={k + 1}">下一页</a>',
                   f'<a href="list.asp?class=1420&amp;page={n}">尾页</a>'] if k < n else ["下一页", "尾页"])
        rows = "".join(f'<tr><td><a href="{esc(u.rsplit("/", 1)[1])}" title="{esc(tt)}">{esc(tt)}</a></td>'
                       "<td>2024-01-20</td></tr>" for u, tt, _ in chunk)
        body = page("政府信息公开年报", f'<table class="list">{rows}</table><div class="page">{" ".join(links)}</div>',
                    charset="gb2312", nav=nav).encode(enc)
        for path in ([col, f"{col}&page=1"] if k == 1 else [f"{col}&page={k}"]):
            rep.add(path, body, ct)
            rep.listing_paths.add(path)


def _luoyang_waf(rep: Replica) -> None:
    rep.portals.append(dict(code="410300", name="洛阳市", level="city", parent_code="410000",
                            homepage="/luoyang/", annual_report_url="", cms="ymd"))
    rep.waf_prefixes.append("/luoyang/")
    rep.add("/luoyang/", page("洛阳市人民政府", '<a href="/luoyang/zwgk/nb/">政府信息公开年报</a>'))


def build_replica() -> Replica:
    """The twelve-portal replica used by the tests and ``make archive``."""
    rep = Replica()
    used: set = set()
    _luolong(rep, used)
    _zhengzhou(rep, used)
    _zhoukou(rep, used)
    _longting(rep, used)
    _shanyang(rep, used)
    _mengjin(rep, used)
    _baofeng(rep, used)
    _lingbao(rep, used)
    _dengzhou(rep, used)
    _yanling(rep, used)
    _taiqian(rep, used)
    _luoyang_waf(rep)
    return rep


# -- the benchmark replica ----------------------------------------------------------------------


def build_bench_replica(n_portals: int = 50, per_portal: int = 40, *, per_page: int = 15, seed: int = 7) -> Replica:
    """N static portals (TRS-style ``index_N.html`` columns, plain links, so ``wget --mirror``
    sees exactly what the crawler sees) × M HTML reports each (synth records, distinct)."""
    rep = Replica()
    counties = [u for u in synth.units() if u.level == "county"]
    if not counties or n_portals > 99 * len(counties):
        raise ValueError(f"{n_portals} portals: at most {99 * len(counties)}")
    units = [counties[i % len(counties)] for i in range(n_portals)]
    corpus_seed = seed
    for pi, u in enumerate(units):
        prefix = f"/p{pi:03d}/"
        col = f"{prefix}zwgk/zfxxgknb/"
        code = u.code if pi < len(counties) else f"{u.code}{pi // len(counties):02d}"
        if pi < len(counties):
            rep.portals.append(dict(code=u.code, name=u.name, level=u.level, parent_code=u.parent_code or "",
                                    homepage=prefix, annual_report_url="", cms="trs"))
        else:  # past one portal per county: a department portal of the county (code + 2 digits)
            rep.portals.append(dict(code=code, name=f"{u.name}部门{pi // len(counties)}",
                                    level="department", parent_code=u.code, homepage=prefix, annual_report_url="",
                                    cms="trs"))
        rep.add(prefix, page(u.name, f'<div class="nav"><a href="{prefix}">首页</a> <a href="{col}index.html">政府信息公开年报</a></div>'))
        entries = []
        used: set = set()
        for i in range(per_portal):
            year = 2019 + i % 6
            rec = _synth(corpus_seed * 100000 + pi * 1000 + i, year, u.code, used) if len(used) < 10_000 else None
            path = f"{col}{year + 1}01/t{year + 1}0120_{pi:03d}{i:04d}.html"
            b = _Builder(rep, code, "trs")
            t = b.report(rec, path)
            entries.append((path, rec["title"], t))
        n = (len(entries) + per_page - 1) // per_page
        for k in range(n):
            path = col + ("index.html" if k == 0 else f"index_{k}.html")
            chunk = entries[k * per_page:(k + 1) * per_page]
            for _, _, t in chunk:
                t.listed_on.append(path)
            pager = " ".join(f'<a href="{"index.html" if j == 0 else f"index_{j}.html"}">{j + 1}</a>' for j in range(n))
            rep.add(path, page("政府信息公开年报", '<ul class="newsList">' + "".join(li(u2, tt) for u2, tt, _ in chunk)
                             + f'</ul><div class="page">{pager}</div><script>createPageHTML({n}, {k}, "index", "html");</script>'))
            rep.listing_paths.add(path)
    return rep


# -- the confinement replica (tests/test_confinement.py) -----------------------------------------

CONFINE_CODE = "410305"  # 涧西区: a registry code the main replica does not use
CONFINE_CRAWL_DELAY = 0.3  # seconds, in this replica's robots.txt
CONFINE_NEIGHBOUR = "410304"  # 瀍河回族区: registered on 127.0.0.2, where nothing answers
CONFINE_PRIVATE_LINK = "http://127.0.0.2:@@PORT@@/upload/2013.pdf"  # on the column of CONFINE_CODE
HUGE = 200 * 1024 * 1024  # bytes: twice the crawler's DOWNLOAD_MAXSIZE
_CHUNK = b"%PDF-1.4\n" + b"%" * (1024 * 1024 - 9)


def build_confinement_replica() -> Replica:
    """One portal of hostile input, on its own server (its robots.txt has a Crawl-delay):

    ========================================== ==============================================
    path                                       what it is
    ========================================== ==============================================
    /confine/nb/index.html                     the column (the registry's annual_report_url)
    …/2024/a1.html → …/upload/..%2F..%2F..     a pointer page whose PDF's link decodes to
    %2Fetc%2Fnianbao-passwd.pdf                ``../../../etc/nianbao-passwd.pdf``
    …/2024/b1.html → /confine/upload/          a pointer page whose PDF (``%2e%2e%2f`` in the
    %2e%2e%2f%2e%2e%2fnianbao-evil.pdf         name) is served as text/html
    …/2024/r3.html                             an HTML report served as application/octet-stream
    …/2024/show?id=4                           a PDF report at an article URL, as text/html
    /confine/upload/huge.pdf                   200 MiB with its Content-Length
    /confine/upload/endless.pdf                200 MiB without Content-Length (ends at close)
    file:, ftp:, javascript: links             report titles on links a crawler never follows
    http://127.0.0.2:PORT/upload/2013.pdf      a report link to another portal's private host
    ========================================== ==============================================

    A second portal is registered on 127.0.0.2 (where nothing listens): the column links a
    report file there, which the first portal, homed on 127.0.0.1, must not fetch.

    ``Replica.reports`` holds the four reports; the two huge files must end as fetch errors.
    """
    rep = Replica(robots=f"User-agent: *\nCrawl-delay: {CONFINE_CRAWL_DELAY}\nDisallow: /_replica/\n")
    code, used = CONFINE_CODE, set()
    rep.portals.append(dict(code=code, name="涧西区", level="county", parent_code="410300",
                            homepage="/confine/", annual_report_url="/confine/nb/index.html", cms="unknown"))
    rep.portals.append(dict(code=CONFINE_NEIGHBOUR, name="瀍河回族区", level="county", parent_code="410300",
                            homepage="http://127.0.0.2:@@PORT@@/", annual_report_url="", cms="unknown"))
    col, up = "/confine/nb/", "/confine/upload/"
    rep.add("/confine/", page("洛阳市涧西区人民政府", f'<a href="{col}index.html">政府信息公开年报</a>'))
    recs = [_synth(70 + k, 2020 + k, code, used) for k in range(4)]
    pdf = "application/pdf"

    def truth(rec: dict, path: str, fmt: str, listed: str) -> None:
        rep.reports.append(TruthReport(code, path, rec["title"], rec["year"], rec.get("agency"), fmt, rec,
                                       listed_on=[col + "index.html"]))
        rep.article_paths.update({path, listed})

    # 1. a PDF whose link decodes to ../../../etc/…: the raw store is content-addressed anyway
    a_file = col + "2024/upload/..%2F..%2F..%2Fetc%2Fnianbao-passwd.pdf"
    rep.add(col + "2024/a1.html", pointer_page(recs[0]["title"], "upload/..%2F..%2F..%2Fetc%2Fnianbao-passwd.pdf",
                                               "附件.pdf"))
    rep.add(a_file, rendered(recs[0], "pdf"), pdf)
    truth(recs[0], a_file, "pdf", col + "2024/a1.html")
    # 2. %2e%2e%2f in the name, and the PDF labelled text/html
    b_file = up + "%2e%2e%2f%2e%2e%2fnianbao-evil.pdf"
    rep.add(col + "2024/b1.html", pointer_page(recs[1]["title"], "../../../../../confine/upload/%2e%2e%2f%2e%2e%2fnianbao-evil.pdf",
                                               "附件.pdf"))
    rep.add(b_file, rendered(recs[1], "pdf"), "text/html; charset=utf-8")
    truth(recs[1], b_file, "pdf", col + "2024/b1.html")
    # 3. an HTML report as application/octet-stream
    rep.add(col + "2024/r3.html", rendered(recs[2], "html"), "application/octet-stream")
    truth(recs[2], col + "2024/r3.html", "html", col + "2024/r3.html")
    # 4. a PDF report where an article page was expected, labelled text/html
    rep.add(col + "2024/show?id=4", rendered(recs[3], "pdf"), "text/html; charset=utf-8")
    truth(recs[3], col + "2024/show?id=4", "pdf", col + "2024/show?id=4")
    # 5. two bodies larger than DOWNLOAD_MAXSIZE
    rep.resources[up + "huge.pdf"] = Resource(_CHUNK, pdf, size=HUGE)
    rep.resources[up + "endless.pdf"] = Resource(_CHUNK, pdf, size=HUGE, length=False)
    items = [(col + "2024/a1.html", recs[0]["title"]), (col + "2024/b1.html", recs[1]["title"]),
             (col + "2024/r3.html", recs[2]["title"]), (col + "2024/show?id=4", recs[3]["title"]),
             (up + "huge.pdf", "洛阳市涧西区人民政府2018年政府信息公开工作年度报告"),
             (up + "endless.pdf", "洛阳市涧西区人民政府2017年政府信息公开工作年度报告"),
             ("file:///etc/passwd", "洛阳市涧西区人民政府2016年政府信息公开工作年度报告"),
             ("ftp://127.0.0.1/pub/2015.pdf", "洛阳市涧西区人民政府2015年政府信息公开工作年度报告"),
             ("javascript:open('2014.pdf')", "洛阳市涧西区人民政府2014年政府信息公开工作年度报告"),
             (CONFINE_PRIVATE_LINK, "洛阳市涧西区人民政府2013年政府信息公开工作年度报告")]
    rep.add(col + "index.html", page("政府信息公开年报", '<ul class="newsList">'
                                     + "".join(li(u, t) for u, t in items) + "</ul>"), template=True)
    rep.listing_paths.add(col + "index.html")
    return rep
