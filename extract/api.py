"""Extraction as a pure function: (bytes, hints) → the report record.

``extract_bytes`` sniffs the format from the content (not the name), hands the
bytes to one reader, which returns the shared :class:`~extract.document.Document`,
and builds the record from that form alone.  It knows nothing of Scrapy or
SQLite.  Bad input raises :class:`~extract.errors.ExtractError` (exit 2) or
:class:`~extract.errors.NotAReport` (exit 3); never anything else.
"""
from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from . import checks, meta, parts, tables
from .document import Document
from .errors import ExtractError, NotAReport, UnsupportedFormat
from .prose import document_figures
from .readers.ocr import OcrDocument, confidence_check
from .templates import TEMPLATES, template_for_year

MAX_BYTES = 100 * 1024 * 1024  # a report is never this large; refuse before parsing

_IMAGE_MAGIC = {
    b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image", b"GIF8": "GIF image",
    b"II*\x00": "TIFF image", b"MM\x00*": "TIFF image", b"BM": "BMP image",
}
_HTML_HINTS = (b"<html", b"<!doctype html", b"<head", b"<body", b"<table", b"<div", b"<meta", b"<p>", b"<p ")


def sniff(data: bytes, filename: str | None = None) -> str:
    """The format of a document from its bytes: pdf, docx, doc, html, image or text."""
    if not data:
        raise ExtractError("empty file (0 bytes)")
    head = data[:2048]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ExtractError(f"corrupt ZIP container: {exc}") from None
        if "word/document.xml" in names:
            return "docx"
        if any(n.startswith("xl/") for n in names):
            raise UnsupportedFormat("spreadsheet (XLSX) attachment: not a report document")
        if "content.xml" in names:
            return "doc"  # ODT: LibreOffice reads it
        raise UnsupportedFormat("ZIP archive, not a DOCX")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        suffix = Path(filename or "").suffix.lower()
        if suffix in (".xls", ".et"):
            raise UnsupportedFormat("spreadsheet (XLS/ET) attachment: not a report document")
        return "doc"  # Word 97-2003 or WPS: LibreOffice reads both
    if head.startswith(b"{\\rtf"):
        return "doc"
    if head.startswith(tuple(_IMAGE_MAGIC)):
        return "image"  # a scanned page: read by OCR
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        raise UnsupportedFormat("compressed archive, not a document")
    low = head.lower().lstrip(b"\xef\xbb\xbf \t\r\n")
    if any(h in low for h in _HTML_HINTS):
        return "html"
    sample = data[:4096]
    if not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
        if controls > len(sample) // 50:
            raise ExtractError("binary data, not a document of a known type")
    return "text"


def read_document(data: bytes, *, filename: str | None = None, url: str | None = None) -> Document:
    """Bytes → Document through the reader for the sniffed format."""
    if len(data) > MAX_BYTES:
        raise ExtractError(f"file too large ({len(data) // (1024 * 1024)} MiB > {MAX_BYTES // (1024 * 1024)} MiB)")
    fmt = sniff(data, filename)
    if fmt == "pdf":
        from .readers import pdf as reader
    elif fmt == "docx":
        from .readers import docx as reader
    elif fmt == "doc":
        from .readers import doc as reader
    elif fmt == "html":
        from .readers import html as reader
    elif fmt == "image":
        from .readers import ocr as reader
    else:
        from .readers import text as reader
    try:
        return reader.read(data, url=url)
    except ExtractError:
        raise
    except RecursionError:
        raise ExtractError(f"{fmt}: structure nested too deeply to read") from None
    except MemoryError:
        raise ExtractError(f"{fmt}: document too large to read in memory") from None
    except Exception as exc:  # a library choking on malformed input is bad input
        raise ExtractError(f"{fmt} reader failed: {type(exc).__name__}: {exc}"[:300]) from None


def build_record(doc: Document, *, url: str | None = None, region_code: str | None = None) -> dict[str, Any]:
    """The report record of a Document (see ../shared/spec/report-json.md)."""
    title = meta.find_title(doc)
    published = meta.find_published(doc)
    year = meta.find_year(title, doc, published)
    headings = parts.find_headings(doc)
    year_template = template_for_year(year)
    found = tables.read_tables(doc, year_template)
    has_tables = any(t is not None for t in (found.active_disclosure, found.applications, found.reviews))
    if not has_tables and len(headings) < 3 and not (meta.looks_like_report_title(title) and len(headings) >= 1):
        raise NotAReport("not an annual report: no report tables and no report structure found"
                         + (f" (title: {title[:60]})" if title else ""))
    if found.template:
        version = found.template
    elif has_tables:
        version = year_template if year_template != "legacy" else "2019"
    else:
        version = year_template
    if version == "legacy" or (year_template == "legacy" and not has_tables):
        version = "legacy"
        active = apps = reviews = None
    else:
        active, apps, reviews = found.active_disclosure, found.applications, found.reviews
    template = TEMPLATES.get(version)
    agency = meta.find_agency(title)
    unit = meta.find_region(agency, title, doc, region_code)
    warnings = list(doc.warnings) + found.notes
    if found.template and year_template not in ("legacy", found.template):
        warnings.append(f"tables follow the {found.template} template but the year {year} suggests {year_template}")
    record: dict[str, Any] = {
        "title": title,
        "year": year,
        "agency": meta.full_agency(agency, unit),
        "region": meta.region_name(unit.code) if unit else None,
        "region_code": unit.code if unit else (region_code or None),
        "template": version,
        "published": published,
        "url": url,
        "format": doc.format,
        "sections": parts.sections(doc, headings),
        "figures": document_figures(doc, headings, version),
        "active_disclosure": active,
        "applications": apps,
        "reviews": reviews,
        "checks": checks.run_checks(template, active, apps, reviews),
        "warnings": warnings,
    }
    if isinstance(doc, OcrDocument):  # read from pictures: say so, and flag the numbers
        record["ocr"] = True
        record["checks"].append(confidence_check(doc))
    return record


def extract_bytes(data: bytes, *, filename: str | None = None, url: str | None = None,
                  region_code: str | None = None) -> dict[str, Any]:
    """One document's bytes → its report record."""
    doc = read_document(data, filename=filename, url=url)
    return build_record(doc, url=url, region_code=region_code)


def extract_file(path: str | Path, *, url: str | None = None, region_code: str | None = None) -> dict[str, Any]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"cannot read file: {exc.strerror or exc}") from None
    return extract_bytes(data, filename=path.name, url=url, region_code=region_code)
