"""What a document's URL tells: its file name, made safe to hand on."""
from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit


def filename_of(url: str | None) -> str:
    """The file name part of a URL, percent-decoded and made a plain name: what follows the
    last '/' or '\\' once decoded (``..%2F..%2Fetc%2Fx.pdf`` → ``x.pdf``), without control
    characters; '' for a directory, a name of dots only, or no URL.

    The crawl and ``extract rebuild`` pass it to the extractor as a format hint; nothing is
    ever written under this name (the raw store is content-addressed)."""
    if not url:
        return ""
    name = unquote(PurePosixPath(urlsplit(url).path).name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return "" if set(name) <= {"."} else name
