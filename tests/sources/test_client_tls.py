"""Mutual TLS: the client certificate loads or is refused clearly, is offered only to its origin,
and a server refusing it in TLS is named."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_gate.config.transport import (
    CA_BUNDLE_ENV,
    CLIENT_CERT_ENV,
    CLIENT_KEY_ENV,
)
from pytest_gate.core.deadline import Deadline
from pytest_gate.sources.base import SourceConfigError
from pytest_gate.sources.http import Endpoint, HttpClient, TransportError
from pytest_gate.sources.transport import transport_from_env
from tests.support.nginx_front import Pki
from tests.support.nginx_front import available as nginx_available


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Test CA, client certificate and a stranger's, made with openssl."""
    if not nginx_available():
        pytest.skip("openssl is not installed (scripts/install.sh installs it)")
    return Pki.make(tmp_path_factory.mktemp("pki"))


def test_a_client_certificate_and_its_key_are_accepted(pki: Pki) -> None:
    """A matching certificate and key load (the TLS context is built before any request)."""
    env = {CLIENT_CERT_ENV: str(pki.client_cert), CLIENT_KEY_ENV: str(pki.client_key)}
    assert transport_from_env(env).client_cert == str(pki.client_cert)


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        ({CLIENT_CERT_ENV: "missing.crt", CLIENT_KEY_ENV: "client_key"}, f"{CLIENT_CERT_ENV}='"),
        ({CLIENT_CERT_ENV: "client_cert", CLIENT_KEY_ENV: "missing.key"}, f"{CLIENT_KEY_ENV}='"),
        ({CLIENT_CERT_ENV: "client_cert", CLIENT_KEY_ENV: "stranger_key"}, "does not match"),
        ({CLIENT_KEY_ENV: "client_key"}, f"set without {CLIENT_CERT_ENV}"),
        ({CLIENT_CERT_ENV: "client_key", CLIENT_KEY_ENV: "client_key"}, "could not be loaded"),
        ({CA_BUNDLE_ENV: "missing.pem"}, f"{CA_BUNDLE_ENV}='"),
    ],
)
def test_a_bad_client_certificate_is_a_config_error_naming_the_variable(
    pki: Pki, tmp_path: Path, names: Mapping[str, str], problem: str
) -> None:
    """Missing file, mismatched key, key alone, key as certificate: each says what to fix."""
    env = {
        name: str(getattr(pki, value)) if hasattr(pki, value) else str(tmp_path / value)
        for name, value in names.items()
    }
    with pytest.raises(SourceConfigError) as info:
        transport_from_env(env)
    assert problem in str(info.value)


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        return  # the refused handshakes are the point of the test


class _Ok(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def mtls_server(pki: Pki) -> Iterator[str]:
    """A loopback https server that demands a client certificate from the test CA in TLS."""
    server = _Quiet(("127.0.0.1", 0), _Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.load_verify_locations(pki.ca_cert)
    context.verify_mode = ssl.CERT_REQUIRED
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("cert", ["none", "stranger"])
def test_a_server_refusing_the_client_certificate_in_tls_is_named(
    pki: Pki, mtls_server: str, cert: str
) -> None:
    """No certificate or one from another CA: the TLS alert becomes a message naming the fix."""
    env = {CA_BUNDLE_ENV: str(pki.ca_cert)}
    if cert == "stranger":
        env |= {CLIENT_CERT_ENV: str(pki.stranger_cert), CLIENT_KEY_ENV: str(pki.stranger_key)}
    client = HttpClient.from_env(mtls_server, "--prometheus-url", env)
    with pytest.raises(
        TransportError, match=r"(refused the TLS client|TLS connection failed)"
    ) as info:
        client.get("/", Deadline(5), {})
    client.close()
    offered = "was offered" if cert == "stranger" else f"none was offered ({CLIENT_CERT_ENV} is not"
    assert offered in str(info.value)
    assert f"set {CLIENT_CERT_ENV} and {CLIENT_KEY_ENV} to a certificate" in str(info.value)


def test_the_client_certificate_is_accepted_in_tls(pki: Pki, mtls_server: str) -> None:
    """The right certificate and key: the server answers."""
    env = {
        CA_BUNDLE_ENV: str(pki.ca_cert),
        CLIENT_CERT_ENV: str(pki.client_cert),
        CLIENT_KEY_ENV: str(pki.client_key),
    }
    client = HttpClient.from_env(mtls_server, "--prometheus-url", env)
    assert client.get("/", Deadline(5), {}).status == 200
    client.close()


class _CertRecorder(_Quiet):
    """An https server that records whether each request came with a client certificate."""

    def __init__(self, pki: Pki, redirect_to: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Redirecting)
        self.redirect_to = redirect_to
        self.certs: list[bool] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki.server_cert, pki.server_key)
        context.load_verify_locations(pki.ca_cert)
        context.verify_mode = ssl.CERT_OPTIONAL
        self.socket = context.wrap_socket(self.socket, server_side=True)


class _Redirecting(BaseHTTPRequestHandler):
    server: _CertRecorder

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        peer = self.connection.getpeercert()  # type: ignore[attr-defined]
        self.server.certs.append(bool(peer))
        target = self.server.redirect_to
        self.send_response(302 if target else 200)
        if target:
            self.send_header("Location", target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _serving(server: _CertRecorder) -> Iterator[_CertRecorder]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_client_certificate_is_not_offered_to_another_origin(pki: Pki) -> None:
    """A redirect from 127.0.0.1 to localhost (another origin): no certificate offered there."""
    for elsewhere in _serving(_CertRecorder(pki)):
        target = f"https://localhost:{elsewhere.server_address[1]}"
        for home in _serving(_CertRecorder(pki, redirect_to=target)):
            env = {
                CA_BUNDLE_ENV: str(pki.ca_cert),
                CLIENT_CERT_ENV: str(pki.client_cert),
                CLIENT_KEY_ENV: str(pki.client_key),
            }
            endpoint = Endpoint.parse(f"https://127.0.0.1:{home.server_address[1]}", "--x")
            client = HttpClient(endpoint, transport=transport_from_env(env), env={})
            assert client.get("/metrics", Deadline(5), {}).status == 200
            client.close()
            assert home.certs == [True]
        assert elsewhere.certs == [False]
