"""Request bodies are bounded while they are read, chunked or not: 413, 408, and 499 counted."""

from __future__ import annotations

import json
import select
import time
from collections.abc import Iterator

import pytest

from serving.config import Settings
from serving.models import ModelRegistry
from serving.request_body import MAX_BODY_BYTES
from tests.serving.live_server import LiveServer, serve
from tests.serving.raw_http import RawConnection

BODY_TIMEOUT_SECONDS = 0.5
WAIT_SECONDS = 30.0
HEAD = b"POST /v1/brief HTTP/1.1\r\nHost: loopback\r\nContent-Type: application/json\r\n"
CHUNK = b"x" * 16384
FLOOD_CHUNKS = 64  # 1 MiB: 16 times the limit
DRIP_SECONDS = 0.05


@pytest.fixture(scope="module")
def impatient(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """A server that waits only 0.5 s for a request body."""
    settings = Settings(device="cpu", body_timeout_seconds=BODY_TIMEOUT_SECONDS)
    with serve(settings, tiny_registry) as live:
        yield live


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


def _wait_for_metric(server: LiveServer, value: float, **labels: str) -> float:
    deadline = time.monotonic() + WAIT_SECONDS
    while (seen := server.metric("http_requests_total", **labels)) < value:
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return seen


def test_chunked_body_over_the_limit_is_413_before_it_is_read(server: LiveServer) -> None:
    """A chunked flood is cut at the limit with a short 413 that closes the connection."""
    before = server.metric("http_requests_total", handler="/v1/brief", status="413")
    connection = RawConnection(server.port)
    connection.send(HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + _chunk(b'{"text": "'))
    for _ in range(FLOOD_CHUNKS):
        if not connection.send(_chunk(CHUNK)):
            break
    response = connection.response()
    assert response.status == 413
    assert response.headers["connection"] == "close"
    assert len(response.body) < 1024
    assert connection.closed_by_server()
    assert server.metric("http_requests_total", handler="/v1/brief", status="413") == before + 1


def test_declared_length_over_the_limit_is_413_without_reading(server: LiveServer) -> None:
    """A Content-Length over the limit is refused from the head alone; no body is sent at all."""
    connection = RawConnection(server.port)
    connection.send(HEAD + b"Content-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1))
    response = connection.response()
    assert response.status == 413
    assert json.loads(response.body)["error"] == "body_too_large"


def test_body_shorter_than_its_length_is_408_after_the_body_timeout(
    impatient: LiveServer,
) -> None:
    """Content-Length 60,000 with 12 bytes sent: 408 once the body timeout passes, then close."""
    before = impatient.metric("http_requests_total", handler="/v1/brief", status="408")
    connection = RawConnection(impatient.port)
    connection.send(HEAD + b"Content-Length: 60000\r\n\r\n" + b'{"text": "ab')
    response = connection.response()
    assert response.status == 408
    assert b"SERVING_BODY_TIMEOUT_SECONDS" in response.body
    assert connection.closed_by_server()
    assert impatient.metric("http_requests_total", handler="/v1/brief", status="408") == before + 1


def test_slow_chunked_body_is_408_even_though_every_chunk_is_on_time(
    impatient: LiveServer,
) -> None:
    """The timeout bounds the whole body, so a drip of small chunks cannot hold the request."""
    connection = RawConnection(impatient.port)
    connection.send(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    started = time.monotonic()
    while time.monotonic() - started < WAIT_SECONDS:
        answered, _, _ = select.select([connection.sock], [], [], DRIP_SECONDS)
        if answered or not connection.send(_chunk(b" ")):
            break
    assert connection.response().status == 408


def test_client_gone_mid_body_is_counted_as_499(server: LiveServer) -> None:
    """A client that disconnects before its body is complete is a 499 on the route, not a 400."""
    before = server.metric("http_requests_total", handler="/v1/brief", status="499")
    bad_before = server.metric("http_requests_total", handler="/v1/brief", status="400")
    connection = RawConnection(server.port)
    connection.send(HEAD + b"Content-Length: 1000\r\n\r\n" + b'{"text": "')
    connection.close()
    assert _wait_for_metric(server, before + 1, handler="/v1/brief", status="499") == before + 1
    assert server.metric("http_requests_total", handler="/v1/brief", status="400") == bad_before
