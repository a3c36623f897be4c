"""Connections over real sockets: a cap that slow-loris cannot hold, and a request-head timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from serving.config import Settings
from serving.models import ModelRegistry
from tests.serving.live_server import LiveServer, serve
from tests.serving.raw_http import RawConnection

CAP = 4
WAIT_SECONDS = 30.0
PARTIAL_HEAD = b"GET /health HTTP/1.1\r\nHost: loop"


@pytest.fixture(scope="module")
def capped(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """At most 4 connections; heads get a long timeout (it must not be what frees the slots)."""
    settings = Settings(device="cpu", max_connections=CAP, header_timeout_seconds=600.0)
    with serve(settings, tiny_registry) as live:
        yield live


@pytest.fixture(scope="module")
def strict_heads(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """A request head must be complete 0.3 s after the connection opened."""
    with serve(Settings(device="cpu", header_timeout_seconds=0.3), tiny_registry) as live:
        yield live


@pytest.fixture(scope="module")
def busy(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """Two connections at most, and fast briefs slow enough to keep both busy."""
    settings = Settings(device="cpu", max_connections=2, fault_slow_seconds={"fast": 1.0})
    with serve(settings, tiny_registry) as live:
        yield live


def _open_connections(live: LiveServer) -> int:
    return len(live.server.server_state.connections)


def _wait_for_connections(live: LiveServer, count: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while _open_connections(live) != count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{_open_connections(live)} connections open, never {count}")
        time.sleep(0.01)


def test_slow_loris_at_the_cap_cannot_lock_out_health(capped: LiveServer) -> None:
    """With the cap full of half-sent heads, /health still answers: the oldest one is evicted."""
    capped.client.close()
    _wait_for_connections(capped, 0)
    loris = []
    for _ in range(CAP):
        loris.append(RawConnection(capped.port))
        loris[-1].send(PARTIAL_HEAD)
        _wait_for_connections(capped, len(loris))
    with httpx.Client(base_url=capped.url, timeout=WAIT_SECONDS) as client:
        assert client.get("/health").status_code == 200
    assert loris[0].closed_by_server()
    assert _open_connections(capped) <= CAP
    for connection in loris:
        connection.close()


def test_many_slow_loris_connections_never_pass_the_cap(capped: LiveServer) -> None:
    """Ten times the cap of half-open connections: the server never holds more than the cap."""
    loris = [RawConnection(capped.port) for _ in range(CAP * 10)]
    for connection in loris:
        connection.send(PARTIAL_HEAD)
    assert sum(connection.closed_by_server() for connection in loris[: CAP * 9]) == CAP * 9
    assert _open_connections(capped) <= CAP
    for connection in loris:
        connection.close()


def test_partial_head_is_408_and_closed_after_the_head_timeout(strict_heads: LiveServer) -> None:
    """Part of a head, then silence: 408 and the connection is closed."""
    connection = RawConnection(strict_heads.port)
    connection.send(PARTIAL_HEAD)
    response = connection.response()
    assert response.status == 408
    assert connection.closed_by_server()


def test_silent_connection_is_closed_after_the_head_timeout(strict_heads: LiveServer) -> None:
    """A connection that never sends a byte is closed, without a response."""
    connection = RawConnection(strict_heads.port)
    assert connection.closed_by_server()


def test_connection_with_prompt_requests_is_served(strict_heads: LiveServer) -> None:
    """A client that sends whole requests is unaffected by the head timeout."""
    with httpx.Client(base_url=strict_heads.url, timeout=WAIT_SECONDS) as client:
        assert [client.get("/livez").status_code for _ in range(3)] == [200, 200, 200]


def test_new_connection_when_every_slot_is_busy_is_503_with_retry_after(busy: LiveServer) -> None:
    """Both connections serving a brief: a third is answered 503 + Retry-After and closed."""
    busy.client.close()
    _wait_for_connections(busy, 0)
    results: list[int] = []

    def brief(n: int) -> None:
        with httpx.Client(base_url=busy.url, timeout=WAIT_SECONDS) as client:
            body = {"text": f"keeps a connection busy {n}", "mode": "fast"}
            results.append(client.post("/v1/brief", json=body).status_code)

    threads = [threading.Thread(target=brief, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    busy.wait_until_pending(2)
    refused = RawConnection(busy.port)
    response = refused.response()
    for thread in threads:
        thread.join()
    assert (response.status, response.headers["retry-after"]) == (503, "1")
    assert refused.closed_by_server()
    assert results == [200, 200]
