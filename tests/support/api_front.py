"""A loopback HTTP front before a real Prometheus that adds ``warnings`` and ``infos`` to its answers.

Thanos and Mimir answer ``status: success`` with ``warnings`` when a store or querier did not
answer (a partial response); Prometheus 2.50+ adds PromQL ``infos``. Prometheus 2.42 itself does
neither for our data, so this front forwards every request to a real Prometheus and edits the JSON
of the answer, leaving the data as Prometheus computed it.

Usage::

    with ApiFront.before(prometheus.url) as front:
        url = front.route("partial", warnings=("No StoreAPIs matched for this query",))
        # a source at ``url`` gets Prometheus' answers with that warning added

A route may add its remarks only to queries whose text contains ``when`` (e.g. one metric name),
so one query of several can be made partial.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import requests

FORWARD_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Route:
    """What the front adds to the answers of queries sent under ``/<name>``."""

    warnings: tuple[str, ...] = ()
    infos: tuple[str, ...] = ()
    when: str = ""


class ApiFront(ThreadingHTTPServer):
    """The front; :meth:`route` names a path prefix and the remarks added under it."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _FrontHandler)
        self.upstream = upstream.rstrip("/")
        self.routes: dict[str, Route] = {}
        self.edited: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    @classmethod
    @contextmanager
    def before(cls, upstream: str) -> Iterator[ApiFront]:
        """Serve a front before ``upstream`` in a thread; stop it on exit."""
        front = cls(upstream)
        thread = threading.Thread(target=front.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            yield front
        finally:
            front.shutdown()
            thread.join()
            front.server_close()

    def route(
        self,
        name: str,
        *,
        warnings: tuple[str, ...] = (),
        infos: tuple[str, ...] = (),
        when: str = "",
    ) -> str:
        """The base URL under which answers get ``warnings`` and ``infos`` (queries with ``when``)."""
        with self.lock:
            self.routes[name] = Route(warnings, infos, when)
        return f"{self.url}/{name}"


class _FrontHandler(BaseHTTPRequestHandler):
    server: ApiFront

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Forward a GET."""
        self._forward(b"")

    def do_POST(self) -> None:
        """Forward a POST with its form."""
        self._forward(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def _forward(self, form: bytes) -> None:
        name, _, rest = self.path.lstrip("/").partition("/")
        route = self.server.routes.get(name)
        if route is None:
            self._reply(404, b"no such route", "text/plain")
            return
        query = parse_qs(form.decode() or self.path.partition("?")[2]).get("query", [""])[0]
        upstream = requests.request(
            self.command,
            f"{self.server.upstream}/{rest}",
            data=form or None,
            headers={"Content-Type": self.headers.get("Content-Type", "")} if form else None,
            timeout=FORWARD_TIMEOUT_SECONDS,
        )
        body = upstream.content
        if route.when in query and upstream.headers.get("Content-Type", "").startswith(
            "application/json"
        ):
            answer = json.loads(body)
            if route.warnings:
                answer["warnings"] = [*answer.get("warnings", []), *route.warnings]
            if route.infos:
                answer["infos"] = [*answer.get("infos", []), *route.infos]
            body = json.dumps(answer).encode()
            with self.server.lock:
                self.server.edited[name] += 1
        self._reply(upstream.status_code, body, upstream.headers.get("Content-Type", ""))

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
