"""Credentials and extra headers stay with their origin: redirects elsewhere carry none of them.

Two loopback hosts (127.0.0.2 and 127.0.0.3, every Linux routes 127/8 to lo) stand in for the
origin and a look-alike; each server records the headers it was sent, so the tests prove what
crossed, not what the client meant to send.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_gate.core.deadline import Deadline
from pytest_gate.core.urls import origin
from pytest_gate.sources.auth import credentials
from pytest_gate.sources.http import Endpoint, HttpClient, TransportError
from pytest_gate.sources.transport import Transport

SECRET = "pa55-w0rd"
TENANT = "tenant-secret-a"


class Recorder(ThreadingHTTPServer):
    """A loopback server that records every request's headers and answers a redirect or 200."""

    def __init__(self, host: str, redirect_to: str | None = None) -> None:
        super().__init__((host, 0), _Handler)
        self.redirect_to = redirect_to
        self.seen: list[dict[str, str]] = []
        self.url = f"http://{host}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.server.seen.append(dict(self.headers.items()))
        if self.server.redirect_to is not None and not self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return
        body = b"ok 1\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(server: Recorder) -> Iterator[Recorder]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def elsewhere() -> Iterator[Recorder]:
    """The look-alike origin on 127.0.0.3: it must never see a credential."""
    yield from _serve(Recorder("127.0.0.3"))


def _client(url: str, transport: Transport | None = None) -> HttpClient:
    endpoint = Endpoint.parse(url, "--metrics-url")
    sent = credentials(endpoint.user, endpoint.password, {})
    return HttpClient(endpoint, sent=sent, transport=transport, env={}, follow_redirects=True)


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("http://promgate.test", "http://promgate.test:80/x", True),
        ("https://PromGate.test/", "https://promgate.test:443", True),
        ("http://promgate.test", "http://promgate.test.evil.test", False),
        ("http://promgate.test", "https://promgate.test", False),
        ("http://promgate.test:9090", "http://promgate.test:9091", False),
        ("http://127.0.0.2:9090", "http://127.0.0.3:9090", False),
    ],
)
def test_origins_compare_scheme_host_and_port_exactly(one: str, other: str, same: bool) -> None:
    """Same origin means equal (scheme, host, port) with default ports filled in, nothing less."""
    assert (origin(one) == origin(other)) is same


def test_redirect_to_another_host_carries_no_credentials_or_headers(elsewhere: Recorder) -> None:
    """A 302 from 127.0.0.2 to 127.0.0.3 drops Authorization and the extra headers there."""
    for start in _serve(Recorder("127.0.0.2", redirect_to=elsewhere.url)):
        url = start.url.replace("http://", f"http://scraper:{SECRET}@") + "/metrics"
        client = _client(url, Transport(headers=(("X-Scope-OrgID", TENANT),)))
        response = client.get("", Deadline(5), {})
        client.close()
        assert response.status == 200
        assert "Authorization" in start.seen[0] and start.seen[0]["X-Scope-OrgID"] == TENANT
    [crossed] = elsewhere.seen
    assert "Authorization" not in crossed and "X-Scope-OrgID" not in crossed
    assert all(SECRET not in value and TENANT not in value for value in crossed.values())


def test_a_redirect_within_the_origin_keeps_the_credentials() -> None:
    """``http://127.0.0.2:P/metrics`` to ``http://127.0.0.2:80/moved``-style same origin: sent."""
    for start in _serve(Recorder("127.0.0.2")):
        start.redirect_to = start.url.replace("http://", "HTTP://") + "/moved?from="
        url = start.url.replace("http://", f"http://scraper:{SECRET}@") + "/metrics"
        client = _client(url, Transport(headers=(("X-Scope-OrgID", TENANT),)))
        assert client.get("", Deadline(5), {}).status == 200
        client.close()
        first, moved = start.seen
        assert first["Authorization"] == moved["Authorization"]
        assert moved["X-Scope-OrgID"] == TENANT


def test_redirect_to_another_port_of_the_same_host_carries_no_credentials() -> None:
    """The same host on another port is another origin: no credentials there either."""
    for target in _serve(Recorder("127.0.0.2")):
        for start in _serve(Recorder("127.0.0.2", redirect_to=target.url)):
            url = start.url.replace("http://", f"http://scraper:{SECRET}@") + "/metrics"
            client = _client(url)
            assert client.get("", Deadline(5), {}).status == 200
            client.close()
        [crossed] = target.seen
        assert "Authorization" not in crossed


def test_a_look_alike_base_url_prefix_is_not_the_same_origin(elsewhere: Recorder) -> None:
    """``http://127.0.0.3:P`` as a string prefix of ``http://127.0.0.3:P1...`` proves nothing."""
    port = elsewhere.server_address[1]
    # the base URL's port is a string prefix of the look-alike's port (e.g. :4 vs :4xxxx)
    short = f"http://scraper:{SECRET}@127.0.0.3:{str(port)[:-1]}"
    client = _client(short)
    target = f"http://127.0.0.3:{port}/metrics"
    assert client.get(target[len(client.url) :], Deadline(5), {}).status == 200
    client.close()
    assert "Authorization" not in elsewhere.seen[-1]


def test_a_redirect_from_https_to_http_is_refused(tls_cert: Path, elsewhere: Recorder) -> None:
    """https on 127.0.0.1 redirecting to http on 127.0.0.3: refused, nothing sent there."""
    server = Recorder("127.0.0.1", redirect_to=elsewhere.url)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_cert.parent / "server.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    for start in _serve(server):
        url = f"https://scraper:{SECRET}@127.0.0.1:{start.server_address[1]}/metrics"
        endpoint = Endpoint.parse(url, "--metrics-url")
        client = HttpClient(
            endpoint,
            sent=credentials(endpoint.user, endpoint.password, {}),
            transport=Transport(ca_bundle=str(tls_cert)),
            env={},
        )
        with pytest.raises(TransportError, match="refused a redirect from https to http") as info:
            client.get("", Deadline(5), {})
        client.close()
        assert SECRET not in str(info.value)
    assert elsewhere.seen == []
