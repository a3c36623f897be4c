"""Fixtures for the source tests: one backfilled Prometheus, loopback fault servers, snapshots."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_gate.core.query import Matcher
from pytest_gate.sources.snapshot import MetricSnapshot, SourceSettings, open_snapshot
from tests.sources import dataset
from tests.support.prometheus_server import PrometheusServer

OK_VECTOR = {
    "status": "success",
    "data": {
        "resultType": "vector",
        "result": [{"metric": {"__name__": "up", "instance": "a"}, "value": [dataset.T, "1"]}],
    },
}
HANG_RELEASE_SECONDS = 30.0
LOGIN_STATE = "st4te-t0ken"
"""The state token in the login redirect's query: never shown in a message."""


def _vector(value: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(OK_VECTOR))
    body["data"]["result"][0]["value"][1] = value
    return body


class FaultServer(ThreadingHTTPServer):
    """A loopback HTTP server whose first path segment picks a behaviour (see ``FaultHandler``)."""

    daemon_threads = True

    def __init__(self, certfile: Path | None = None) -> None:
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.hits: Counter[str] = Counter()
        self.headers_seen: list[dict[str, str]] = []
        self.release = threading.Event()
        self.barriers: dict[str, threading.Barrier] = {}
        self.lock = threading.Lock()
        self.exposition = ""
        if certfile is not None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile)
            self.socket = context.wrap_socket(self.socket, server_side=True)
        scheme = "https" if certfile else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server_address[1]}"

    def barrier(self, name: str, parties: int) -> threading.Barrier:
        """The barrier ``name`` that opens when ``parties`` requests wait on it."""
        with self.lock:
            return self.barriers.setdefault(name, threading.Barrier(parties))


class FaultHandler(BaseHTTPRequestHandler):
    """``/<behaviour>/<key>/...``: ok, http500, badjson, error, matrix, string, nan, inf, empty,
    hang, drip, slow (key = milliseconds), reset-once, barrier (key = name, next = parties),
    auth (records headers), metrics (serves ``server.exposition``); unauthorized (401 with a
    ``WWW-Authenticate`` challenge), forbidden (403), login (a 302 to ``/login-page/<key>`` with
    a state token in its query, as oauth2-proxy redirects unauthenticated requests)."""

    server: FaultServer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """GET and POST behave the same."""
        self._dispatch()

    def do_POST(self) -> None:
        """Read the form, then dispatch."""
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._dispatch()

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, body: object, status: int = 200) -> None:
        self._send(status, json.dumps(body).encode())

    def _dispatch(self) -> None:
        parts = self.path.strip("/").split("/")
        behaviour, key = parts[0], parts[1] if len(parts) > 1 else ""
        with self.server.lock:
            self.server.hits[f"{behaviour}/{key}"] += 1
            hits = self.server.hits[f"{behaviour}/{key}"]
            self.server.headers_seen.append(dict(self.headers))
        handler = getattr(self, "_" + behaviour.replace("-", "_"), None)
        if handler is None:
            self._send(404, b"no such behaviour", "text/plain")
            return
        handler(key, parts, hits)

    def _ok(self, key: str, parts: list[str], hits: int) -> None:
        if self.path.endswith("query_range"):
            points = [[dataset.T - 60, "1"], [dataset.T, "2"]]
            matrix = {"resultType": "matrix", "result": [{"metric": {}, "values": points}]}
            self._json({"status": "success", "data": matrix})
        else:
            self._json(OK_VECTOR)

    def _auth(self, key: str, parts: list[str], hits: int) -> None:
        self._json(OK_VECTOR)

    def _unauthorized(self, key: str, parts: list[str], hits: int) -> None:
        body = b"Unauthorized\n"
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="prometheus"')
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forbidden(self, key: str, parts: list[str], hits: int) -> None:
        self._send(403, b"Forbidden\n", "text/plain; charset=utf-8")

    def _login(self, key: str, parts: list[str], hits: int) -> None:
        self.send_response(302)
        self.send_header(
            "Location", f"/login-page/{key}?rd=%2Fapi%2Fv1%2Fquery&state={LOGIN_STATE}"
        )
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _login_page(self, key: str, parts: list[str], hits: int) -> None:
        self._send(200, b"<html><form>Sign in</form></html>", "text/html")

    def _http500(self, key: str, parts: list[str], hits: int) -> None:
        self._send(500, b"<html>internal error</html>", "text/html")

    def _badjson(self, key: str, parts: list[str], hits: int) -> None:
        self._send(200, b'{"status": "success", "data": ', "application/json")

    def _error(self, key: str, parts: list[str], hits: int) -> None:
        body = {"status": "error", "errorType": "execution", "error": "query timed out"}
        self._json(body, status=422)

    def _matrix(self, key: str, parts: list[str], hits: int) -> None:
        result = [{"metric": {}, "values": [[dataset.T, "1"]]}]
        self._json({"status": "success", "data": {"resultType": "matrix", "result": result}})

    def _string(self, key: str, parts: list[str], hits: int) -> None:
        data = {"resultType": "string", "result": [dataset.T, "hello"]}
        self._json({"status": "success", "data": data})

    def _nan(self, key: str, parts: list[str], hits: int) -> None:
        self._json(_vector("NaN"))

    def _inf(self, key: str, parts: list[str], hits: int) -> None:
        self._json(_vector("+Inf"))

    def _empty(self, key: str, parts: list[str], hits: int) -> None:
        self._json({"status": "success", "data": {"resultType": "vector", "result": []}})

    def _hang(self, key: str, parts: list[str], hits: int) -> None:
        self.server.release.wait(HANG_RELEASE_SECONDS)

    def _drip(self, key: str, parts: list[str], hits: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        while not self.server.release.wait(0.1):
            self.wfile.write(b" ")
            self.wfile.flush()

    def _slow(self, key: str, parts: list[str], hits: int) -> None:
        time.sleep(int(key) / 1000)
        self._json(OK_VECTOR)

    def _reset_once(self, key: str, parts: list[str], hits: int) -> None:
        if hits == 1:
            self.close_connection = True  # no response at all: the client sees a dropped connection
            return
        self._json(OK_VECTOR)

    def _barrier(self, key: str, parts: list[str], hits: int) -> None:
        try:
            self.server.barrier(key, int(parts[2])).wait(timeout=5)
        except threading.BrokenBarrierError:
            self._send(503, b"requests did not arrive together", "text/plain")
            return
        self._json(OK_VECTOR)

    def _metrics(self, key: str, parts: list[str], hits: int) -> None:
        self._send(200, self.server.exposition.encode(), "text/plain; version=0.0.4")


def _serve(server: FaultServer) -> Iterator[FaultServer]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FaultServer]:
    """One loopback fault server for the whole session."""
    yield from _serve(FaultServer())


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate (and key) for 127.0.0.1, in one PEM file."""
    directory = tmp_path_factory.mktemp("tls")
    pem = directory / "server.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(directory / "key.pem"),
            "-out",
            str(directory / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    pem.write_text((directory / "cert.pem").read_text() + (directory / "key.pem").read_text())
    return directory / "cert.pem"


@pytest.fixture(scope="session")
def tls_server(tls_cert: Path) -> Iterator[FaultServer]:
    """The fault server behind TLS with a self-signed certificate."""
    yield from _serve(FaultServer(certfile=tls_cert.parent / "server.pem"))


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (kernel backlog) but never reads or answers: a black hole."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus holding every scenario of :mod:`tests.sources.dataset`."""
    workdir = tmp_path_factory.mktemp("prometheus")
    with PrometheusServer.start(workdir, openmetrics=dataset.build()) as server:
        yield server


SnapshotFactory = Callable[..., MetricSnapshot]


@pytest.fixture
def open_source(monkeypatch: pytest.MonkeyPatch) -> Iterator[SnapshotFactory]:
    """Open snapshots (closed at teardown): ``open_source(prometheus_url=..., scenario=...)``."""
    for name in ("GATE_PROMETHEUS_TOKEN", "GATE_PROMETHEUS_USER", "GATE_PROMETHEUS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    opened: list[MetricSnapshot] = []

    def factory(
        *,
        prometheus_url: str | None = None,
        metrics_urls: tuple[str, ...] = (),
        replay_path: Path | None = None,
        record_path: Path | None = None,
        scenario: str | None = None,
        at: float = dataset.T,
        deadline_seconds: float = 10.0,
        env: dict[str, str] | None = None,
    ) -> MetricSnapshot:
        extra = (Matcher("scenario", "=", scenario),) if scenario else ()
        settings = SourceSettings(
            prometheus_url=prometheus_url,
            metrics_urls=metrics_urls,
            replay_path=replay_path,
            record_path=record_path,
            at=at,
            deadline_seconds=deadline_seconds,
            extra_matchers=extra,
        )
        snapshot = open_snapshot(settings, env=env or {})
        opened.append(snapshot)
        return snapshot

    yield factory
    for snapshot in opened:
        snapshot.close()
