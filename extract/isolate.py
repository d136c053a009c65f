"""Extraction in a separate worker process, with a time and a memory limit.

A crawl or a rebuild meets hostile files — a zip bomb, a PDF that makes a
parser loop, HTML nested ten thousand deep.  :class:`IsolatedExtractor` runs
:func:`extract.api.extract_bytes` in a long-lived worker process (spawned, so
safe beside Twisted's threads) whose address space is capped with
``RLIMIT_AS``; a document that overruns its time limit or kills the worker
becomes an :class:`~extract.errors.ExtractError` naming the reason, the
worker is replaced, and the caller goes on with the next document.
"""
from __future__ import annotations

import multiprocessing as mp
import resource
from multiprocessing.connection import Connection
from typing import Any

from .errors import ExtractError, NotAReport, UnsupportedFormat

_ERRORS = {cls.__name__: cls for cls in (ExtractError, NotAReport, UnsupportedFormat)}


def _serve(conn: Connection, memory_mb: int) -> None:
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from .api import extract_bytes

    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        data, kwargs = job
        try:
            conn.send(("ok", extract_bytes(data, **kwargs)))
        except ExtractError as exc:
            conn.send(("error", type(exc).__name__, exc.reason))
        except MemoryError:
            conn.send(("error", "ExtractError", f"out of memory (limit {memory_mb} MiB)"))
        except Exception as exc:  # noqa: BLE001 - reported, never raised across the pipe
            conn.send(("error", "ExtractError", f"extractor failed: {type(exc).__name__}: {exc}"[:300]))


class IsolatedExtractor:
    """``extract(data, **hints)`` like :func:`extract.api.extract_bytes`, in a bounded worker."""

    def __init__(self, timeout: float = 120.0, memory_mb: int = 2048):
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child, self.memory_mb), daemon=True, name="nianbao-extract")
        self._proc.start()
        child.close()
        self._conn = parent

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def extract(self, data: bytes, *, filename: str | None = None, url: str | None = None,
                region_code: str | None = None) -> dict[str, Any]:
        if self._proc is None or not self._proc.is_alive():
            self._kill()
            self._start()
        assert self._conn is not None
        try:
            self._conn.send((data, {"filename": filename, "url": url, "region_code": region_code}))
            ready = self._conn.poll(self.timeout)
            if not ready:
                self._kill()
                raise ExtractError(f"extraction timed out after {self.timeout:g} s")
            reply = self._conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
            code = self._proc.exitcode if self._proc is not None else None
            self._kill()
            raise ExtractError(f"extraction worker died (exit code {code}; out of memory or a crash)") from None
        if reply[0] == "ok":
            return reply[1]
        raise _ERRORS.get(reply[1], ExtractError)(reply[2])

    def close(self) -> None:
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(None)
                self._proc.join(2)
            except OSError:
                pass
        self._kill()

    def __enter__(self) -> "IsolatedExtractor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
