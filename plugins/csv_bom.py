"""Datasette plugin: CSV responses start with a UTF-8 byte-order mark.

Excel on Chinese Windows reads a BOM-less CSV as GBK and garbles every Chinese
character; with the BOM it reads UTF-8.  Datasette 0.65 has no option for this, so
this ASGI wrapper prepends ``EF BB BF`` to the body of every successful ``.csv``
response (tables, rows, canned queries, ``_stream=on`` and ``_dl=1`` alike) that does not
already start with one.
Programs reading the CSV should decode it as ``utf-8-sig`` (pandas does so by itself).
"""
from __future__ import annotations

from datasette import hookimpl

BOM = b"\xef\xbb\xbf"


def _is_csv_body(start: dict) -> bool:
    if start.get("status") != 200:
        return False
    for key, value in start.get("headers") or []:
        if key.lower() == b"content-type":
            return value.split(b";")[0].strip().lower() in (b"text/csv", b"text/plain")
    return False


def _header(start: dict, name: bytes) -> bytes | None:
    for key, value in start.get("headers") or []:
        if key.lower() == name:
            return value
    return None


def bom_for_csv(app):
    """Wrap an ASGI app so that 200 text/csv|text/plain answers to ``*.csv`` paths get a BOM.

    The start message is held until the first body chunk: a body that already begins with
    a BOM (the prebuilt download of plugins/downloads.py) or is content-encoded (gzip) is
    passed on untouched."""

    async def wrapped(scope, receive, send):
        if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
            await app(scope, receive, send)
            return
        state = {"start": None}

        async def bom_send(message):
            if message["type"] == "http.response.start":
                if _is_csv_body(message) and _header(message, b"content-encoding") is None:
                    state["start"] = message  # decided at the first body chunk
                    return
            elif message["type"] == "http.response.body" and state["start"] is not None:
                start, state["start"] = state["start"], None
                body = message.get("body", b"")
                if not body.startswith(BOM):
                    headers = []
                    for k, v in start.get("headers") or []:
                        if k.lower() == b"content-length":
                            v = str(int(v) + len(BOM)).encode()
                        headers.append([k, v])
                    start = {**start, "headers": headers}
                    message = {**message, "body": BOM + body}
                await send(start)
            await send(message)

        await app(scope, receive, bom_send)

    return wrapped


@hookimpl
def asgi_wrapper(datasette):
    return bom_for_csv
