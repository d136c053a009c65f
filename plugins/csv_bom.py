"""Datasette plugin: CSV responses start with a UTF-8 byte-order mark.

Excel on Chinese Windows reads a BOM-less CSV as GBK and garbles every Chinese
character; with the BOM it reads UTF-8.  Datasette 0.65 has no option for this, so
this ASGI wrapper prepends ``EF BB BF`` to the body of every successful ``.csv``
response (tables, rows, canned queries, ``_stream=on`` and ``_dl=1`` alike).
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


def bom_for_csv(app):
    """Wrap an ASGI app so that 200 text/csv|text/plain answers to ``*.csv`` paths get a BOM."""

    async def wrapped(scope, receive, send):
        if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
            await app(scope, receive, send)
            return
        state = {"csv": False, "sent": False}

        async def bom_send(message):
            if message["type"] == "http.response.start":
                state["csv"] = _is_csv_body(message)
                if state["csv"]:
                    headers = []
                    for k, v in message.get("headers") or []:
                        if k.lower() == b"content-length":
                            v = str(int(v) + len(BOM)).encode()
                        headers.append([k, v])
                    message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and state["csv"] and not state["sent"]:
                state["sent"] = True
                message = {**message, "body": BOM + message.get("body", b"")}
            await send(message)

        await app(scope, receive, bom_send)

    return wrapped


@hookimpl
def asgi_wrapper(datasette):
    return bom_for_csv
