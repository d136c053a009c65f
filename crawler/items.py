"""The one item the spider yields: a fetched (or failed) URL with its provenance.

The spider never parses a report: it hands every response it handled to the pipelines
(raw store → extract → store) as a :class:`Fetched`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fetched:
    url: str  # the URL as requested first (before redirects)
    portal_code: str
    kind: str  # nav | listing | article | attachment
    final_url: str | None = None
    status: int | None = None
    body: bytes | None = field(default=None, repr=False)
    headers: list[tuple[bytes, bytes]] = field(default_factory=list, repr=False)  # response headers, raw
    request_headers: list[tuple[bytes, bytes]] = field(default_factory=list, repr=False)
    method: str = "GET"
    request_body: bytes = field(default=b"", repr=False)  # a POST's form body (Hanweb dataproxy)
    protocol: str | None = None
    content_type: str | None = None
    fetched_at: str | None = None
    referrer: str | None = None
    region_code: str | None = None
    title: str | None = None  # the link text that led here
    has_attachments: bool = False  # an article page that links files
    extract: bool = False  # the pipeline should extract a report record from the body
    archived: bool = False  # served from the raw store (already archived), nothing was fetched
    revalidated: bool = False  # a 304 answer to a conditional GET (body from the raw store)
    blocked: bool = False  # a WAF challenge (瑞数 412 + $_ts)
    validators: dict[str, str | None] | None = None  # ETag / Last-Modified of a listing page
    error: str | None = None  # download failure or HTTP error, e.g. "HTTP 404"
    # filled by the pipelines
    sha256: str | None = None
    outcome: str | None = None
    needs_extract: bool = False
    record: dict[str, Any] | None = field(default=None, repr=False)
    extract_status: str | None = None  # ok | not_a_report | error
    extract_error: str | None = None
