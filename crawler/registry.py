"""The registry of portals: crawler/portals.csv, one row per administrative unit.

Columns: code, name, level, parent_code, homepage, annual_report_url, cms, confidence.
Homepages are full URLs (``https://www.henan.gov.cn/``); a test or benchmark CSV may use
any http URL, loopback with a port included.  ``cms`` is a short family key (ymd, jhtml,
sitesources, kaifeng, trs, hanweb, …, unknown) used only as a hint.

``python -m crawler.registry build SRC [DEST]`` rebuilds crawler/portals.csv from the
shared research file (../shared/henan/portals.csv), normalising homepages and cms names.
"""
from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PATH = Path(__file__).with_name("portals.csv")
COLUMNS = ["code", "name", "level", "parent_code", "homepage", "annual_report_url", "cms", "confidence"]
_CMS_KEYS = {
    "other:ymd-id": "ymd",
    "other:jhtml": "jhtml",
    "other:sitesources/Kaifeng": "kaifeng",
    "other:sitesources": "sitesources",
    "other:channels": "channels",
    "other:smx": "smx",
    "other:legacy": "legacy",
    "other:govxxgk": "govxxgk",
    "other:webinfo": "webinfo",
}


class RegistryError(ValueError):
    """A registry CSV that cannot be used (missing columns, bad URL)."""


@dataclass(frozen=True)
class Portal:
    code: str
    name: str
    level: str
    parent_code: str
    homepage: str  # full URL, "" when unknown
    annual_report_url: str  # full URL, "" when unknown
    cms: str

    @property
    def start_url(self) -> str:
        return self.annual_report_url or self.homepage

    @property
    def hosts(self) -> set[str]:
        return {urlsplit(u).hostname or "" for u in (self.homepage, self.annual_report_url) if u} - {""}

    @property
    def domains(self) -> set[str]:
        """The registered domains this portal may be crawled on (subdomains included)."""
        return {registered_domain(h) for h in self.hosts}


def normalize_url(value: str | None) -> str:
    """``www.henan.gov.cn`` → ``https://www.henan.gov.cn/``; full URLs keep their scheme and port."""
    v = (value or "").strip()
    if not v:
        return ""
    if "://" not in v:
        v = "https://" + v
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryError(f"not an http(s) URL: {value!r}")
    path = parts.path or "/"
    out = f"{parts.scheme}://{parts.netloc}{path}"
    return out + (f"?{parts.query}" if parts.query else "")


def registered_domain(host: str) -> str:
    """The domain a portal owns: ``public.zzsj.gov.cn`` → ``zzsj.gov.cn``; IPs stay as they are."""
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if all(p.isdigit() for p in labels) or len(labels) <= 2:
        return host
    if host.endswith(".gov.cn") or host.endswith(".com.cn") or host.endswith(".org.cn"):
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def load_portals(path: str | Path | None = None, *, region: str | None = None) -> list[Portal]:
    """Read a registry CSV; ``region`` keeps the codes starting with that prefix."""
    p = Path(path) if path else DEFAULT_PATH
    try:
        fh = p.open(encoding="utf-8-sig", newline="")
    except OSError as e:
        raise RegistryError(f"cannot read registry {p}: {e}") from e
    with fh:
        reader = csv.DictReader(fh)
        missing = {"code", "name", "homepage"} - set(reader.fieldnames or [])
        if missing:
            raise RegistryError(f"{p}: missing columns {sorted(missing)}")
        out = []
        for n, row in enumerate(reader, start=2):
            code = (row.get("code") or "").strip()
            if not code:
                raise RegistryError(f"{p}:{n}: empty code")
            if region and not code.startswith(region):
                continue
            try:
                out.append(Portal(
                    code=code,
                    name=(row.get("name") or "").strip(),
                    level=(row.get("level") or "").strip(),
                    parent_code=(row.get("parent_code") or "").strip(),
                    homepage=normalize_url(row.get("homepage")),
                    annual_report_url=normalize_url(row.get("annual_report_url")),
                    cms=(row.get("cms") or "unknown").strip() or "unknown",
                ))
            except RegistryError as e:
                raise RegistryError(f"{p}:{n}: {e}") from e
    return out


def build(src: str | Path, dest: str | Path = DEFAULT_PATH) -> int:
    """Rebuild the crawler's registry from the shared research CSV. Returns the row count."""
    rows = []
    with open(src, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            cms = (row.get("cms") or "unknown").split(" ")[0]
            rows.append({
                "code": row["code"].strip(),
                "name": row["name"].strip(),
                "level": row["level"].strip(),
                "parent_code": row["parent_code"].strip(),
                "homepage": normalize_url(row["homepage"]),
                "annual_report_url": normalize_url(row["annual_report_url"]),
                "cms": _CMS_KEYS.get(cms, cms),
                "confidence": row.get("confidence", "").strip(),
            })
    with open(dest, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":  # pragma: no cover - maintenance command
    if len(sys.argv) < 3 or sys.argv[1] != "build":
        sys.exit("usage: python -m crawler.registry build SRC [DEST]")
    print(build(sys.argv[2], *(sys.argv[3:4] or [DEFAULT_PATH])), "portals written")
