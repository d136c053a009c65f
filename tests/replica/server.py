"""The replica's HTTP server: one ThreadingHTTPServer on 127.0.0.1 hosting every portal.

Behaviours: robots.txt, ETag / Last-Modified with 304 on conditional GETs, 301 redirects,
404 for anything unknown, a WAF prefix answering 412 + ``$_ts``, 503 + ``Retry-After: 1``
once on chosen paths, and Hanweb's ``dataproxy.jsp`` POST.  Optional seed-controlled faults
(``faults=0.05, fault_seed=N``): that share of requests answers 500, resets the connection,
cuts the body short, or is slow — at most ``max_faults`` times per URL, so a crawler that
retries (RETRY_TIMES ≥ max_faults) ends with exactly the fault-free archive.  Optional
``latency`` (seconds): every answer waits that long before it is sent, as a real portal's
response time over a network would (each connection has its own thread, so waits overlap
across connections, as they do on a real server; 0 = plain loopback).  Every request is logged
(method, path, host, status, user agent, how many requests to its host were awaiting their
answer when it arrived) for the tests and the benchmark.  Ground truth:
``GET /_replica/truth.json`` and ``/_replica/portals.csv`` (robots.txt disallows them).

Run alone: ``python -m tests.replica.server [--port 8765]`` (prints the registry CSV).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .sites import LAST_MODIFIED, ROBOTS, WAF_BODY, Replica, Resource, build_replica


@dataclass(frozen=True)
class Hit:
    method: str
    path: str  # path + query
    host: str
    status: int
    user_agent: str
    conditional: bool
    at: float = 0.0  # time.monotonic() when answered
    fault: str = ""  # injected fault: 500 | reset | truncated | slow
    in_flight: int = 1  # requests to this host awaiting their answer when this one arrived, itself included


class ReplicaServer:
    """Serve a :class:`Replica` on 127.0.0.1 (port 0 = any free port) in a daemon thread."""

    FAULTS = ("500", "reset", "truncated", "slow")

    def __init__(self, replica: Replica, port: int = 0, host: str = "127.0.0.1", *, faults: float = 0.0,
                 fault_seed: int = 0, max_faults: int = 2, slow_seconds: float = 0.5, latency: float = 0.0):
        if not 0.0 <= faults < 1.0:
            raise ValueError(f"faults is a share of requests in [0, 1), not {faults!r}")
        if latency < 0:
            raise ValueError(f"latency is seconds ≥ 0, not {latency!r}")
        self.latency = latency
        self.replica = replica
        self.faults, self.fault_seed, self.max_faults, self.slow_seconds = faults, fault_seed, max_faults, slow_seconds
        self._attempts: dict[str, int] = {}
        self._faulted: dict[str, int] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._retried: set[str] = set()
        self._in_flight: dict[str, int] = {}  # Host header → requests awaiting their answer
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on keep-alive connections

            def log_message(self, fmt, *args):  # quiet
                pass

            def do_GET(self):
                server._handle(self, "GET")

            def do_HEAD(self):
                server._handle(self, "HEAD")

            def do_POST(self):
                server._handle(self, "POST")

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> "ReplicaServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replica", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "ReplicaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def portals_csv(self) -> str:
        return self.replica.portals_csv(self.origin)

    def truth(self) -> dict:
        return self.replica.truth(self.origin)

    def reset_hits(self) -> list[Hit]:
        with self._lock:
            hits, self.hits = self.hits, []
        return hits

    # -- serving ------------------------------------------------------------------------------

    def _resolve(self, method: str, path: str, query: str, form: dict[str, str], headers) -> Resource:
        rep = self.replica
        full = path + (f"?{query}" if query else "")
        if path == "/robots.txt":
            return Resource((rep.robots or ROBOTS).encode(), "text/plain; charset=utf-8")
        if path == "/_replica/truth.json":
            return Resource(json.dumps(self.truth(), ensure_ascii=False).encode(), "application/json")
        if path == "/_replica/portals.csv":
            return Resource(self.portals_csv().encode(), "text/csv; charset=utf-8")
        if any(path.startswith(p) for p in rep.waf_prefixes):
            seed = hashlib.md5(full.encode()).hexdigest()
            return Resource(WAF_BODY.format(seed=seed).encode(), "text/html", status=412,
                            headers={"Set-Cookie": "FSSBBIl1UgzbN7NS=5a; Path=/; HttpOnly"})
        if method == "POST":
            handler = rep.posts.get(path)
            if handler is None:
                return Resource(b"method not allowed", "text/plain", status=405)
            return handler(dict(parse_qsl(query)), form)
        if full in rep.redirects or path in rep.redirects and not query:
            target = rep.redirects.get(full) or rep.redirects[path]
            return Resource(b"", "text/html", status=301, headers={"Location": self.origin + target})
        if full in rep.retry_after_once:
            with self._lock:
                first = full not in self._retried
                self._retried.add(full)
            if first:
                return Resource(b"busy", "text/plain", status=503, headers={"Retry-After": "1"})
        res = rep.resources.get(full)
        if res is None:
            return Resource(b"<html><body><h1>404 Not Found</h1></body></html>", "text/html", status=404)
        return res

    def _fault(self, method: str, path: str) -> str:
        """The fault (or '') for this attempt: decided by (seed, method, path, attempt number)."""
        if not self.faults or path == "/robots.txt" or path.startswith("/_replica/"):
            return ""
        key = f"{method} {path}"
        with self._lock:
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
            if self._faulted.get(key, 0) >= self.max_faults:
                return ""
            rng = random.Random(f"{self.fault_seed}:{key}:{attempt}")
            if rng.random() >= self.faults:
                return ""
            kind = rng.choice(self.FAULTS)
            if kind != "slow":
                self._faulted[key] = self._faulted.get(key, 0) + 1
            return kind

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        """Answer one request, counted in flight for its host from its arrival until its answer
        starts (never longer: a client cannot have its answer, and send the next request in
        that slot, before then — so the count never exceeds the client's own)."""
        host = h.headers.get("Host", "")
        with self._lock:
            self._in_flight[host] = in_flight = self._in_flight.get(host, 0) + 1
        counted = True

        def answering() -> None:
            nonlocal counted
            with self._lock:
                if counted:
                    counted = False
                    self._in_flight[host] -= 1

        try:
            self._answer(h, method, in_flight, answering)
        finally:
            answering()

    def _answer(self, h: BaseHTTPRequestHandler, method: str, in_flight: int, answering: Callable[[], None]) -> None:
        parts = urlsplit(h.path)
        form: dict[str, str] = {}
        if method == "POST":
            n = int(h.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(h.rfile.read(n).decode("utf-8", "replace")))
        if self.latency:
            time.sleep(self.latency)
        fault = self._fault(method, h.path)
        if fault == "slow":
            time.sleep(self.slow_seconds)
        elif fault in ("500", "reset"):
            with self._lock:
                self.hits.append(Hit(method, h.path, h.headers.get("Host", ""), 500 if fault == "500" else 0,
                                     h.headers.get("User-Agent", ""), False, time.monotonic(), fault, in_flight))
            answering()
            if fault == "reset":  # RST instead of an answer
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                h.close_connection = True
                return
            body = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            h.send_response(500)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        res = self._resolve(method, parts.path, parts.query, form, h.headers)
        body = res.body
        if res.template:
            body = body.replace(b"@@PORT@@", str(self.port).encode()).replace(b"@@ORIGIN@@", self.origin.encode())
        status = res.status
        headers = {"Content-Type": res.content_type, **res.headers}
        conditional = bool(h.headers.get("If-None-Match") or h.headers.get("If-Modified-Since"))
        if status == 200 and method != "POST":
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            headers["ETag"] = etag
            headers["Last-Modified"] = LAST_MODIFIED
            inm = h.headers.get("If-None-Match")
            if (inm and etag in [t.strip() for t in inm.split(",")]) or (
                    not inm and h.headers.get("If-Modified-Since") == LAST_MODIFIED):
                status, body = 304, b""
        if fault == "truncated" and (len(body) <= 1 or method == "HEAD"):
            fault = ""  # nothing to cut short: answered whole
        with self._lock:
            self.hits.append(Hit(method, h.path, h.headers.get("Host", ""), status,
                                 h.headers.get("User-Agent", ""), conditional, time.monotonic(), fault, in_flight))
        answering()
        h.send_response(status)
        for k, v in headers.items():
            if status == 304 and k == "Content-Type":
                continue
            h.send_header(k, v)
        if res.size and status == 200:  # a huge body: ``body`` repeated, streamed
            self._stream(h, res, method)
            return
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if method == "HEAD":
            return
        if fault == "truncated" and len(body) > 1:  # the promised Content-Length, half the bytes, then RST
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            return
        h.wfile.write(body)

    @staticmethod
    def _stream(h: BaseHTTPRequestHandler, res: Resource, method: str) -> None:
        """``res.body`` repeated up to ``res.size`` bytes, without holding them in memory; with
        a Content-Length, or (``length=False``) delimited by closing the connection.  Stops
        when the client hangs up."""
        if res.length:
            h.send_header("Content-Length", str(res.size))
        else:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()
        if method == "HEAD":
            return
        sent = 0
        try:
            while sent < res.size:
                chunk = res.body[: res.size - sent]
                h.wfile.write(chunk)
                sent += len(chunk)
        except OSError:  # the client cancelled the download
            h.close_connection = True


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - manual use
    ap = argparse.ArgumentParser(description="Serve the offline replica of Henan portals")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    srv = ReplicaServer(build_replica(), port=args.port).start()
    print(f"replica at {srv.origin}/ — registry:\n{srv.portals_csv()}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
