"""An operator's unload never fails a request accepted while the model was loaded."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from serving.config import Settings
from serving.models import ModelRegistry
from tests.serving.live_server import TOKEN, LiveServer, serve

QUEUED = 4
SLOW_FAST_SECONDS = 0.3


def _settings(**changes: object) -> Settings:
    """One worker and a slow fast mode, so requests queue up behind each other."""
    base = Settings(
        admin_token=TOKEN, device="cpu", workers=1, fault_slow_seconds={"fast": SLOW_FAST_SECONDS}
    )
    return base.replace(**changes)


@pytest.fixture
def draining(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """Unload waits for the accepted requests (the default)."""
    with serve(_settings(), tiny_registry) as live:
        yield live


@pytest.fixture
def impatient(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """Unload frees the weights at once (no drain time)."""
    with serve(_settings(unload_drain_seconds=0.0), tiny_registry) as live:
        yield live


def _queue_requests(live: LiveServer) -> tuple[list[threading.Thread], list[httpx.Response]]:
    """Start QUEUED distinct fast requests and wait until the pool holds all of them."""
    responses: list[httpx.Response] = []

    def send(n: int) -> None:
        with httpx.Client(base_url=live.url, timeout=60) as client:
            body = {"text": f"queued request {n} for the fast model", "mode": "fast"}
            responses.append(client.post("/v1/brief", json=body))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(QUEUED)]
    for thread in threads:
        thread.start()
    live.wait_until_pending(QUEUED)
    return threads, responses


def test_unload_waits_for_accepted_requests_and_they_succeed(draining: LiveServer) -> None:
    """Requests queued for the model all get 200; only then is it unloaded; new ones get 503."""
    threads, responses = _queue_requests(draining)
    unload = draining.admin("POST", "/admin/model/unload", json={"model": "mistral_7b"})
    for thread in threads:
        thread.join()
    assert unload.json()["status"] == "unloaded"
    assert [response.status_code for response in responses] == [200] * QUEUED
    after = draining.brief("a request after the unload", "fast")
    assert (after.status_code, after.json()["error"]) == (503, "no_model")
    assert after.headers["retry-after"] == "1"


def test_unload_past_the_drain_time_gives_503_with_retry_after_never_502(
    impatient: LiveServer,
) -> None:
    """With no drain time, queued requests find the weights gone: 503 + Retry-After, not 502."""
    failures = impatient.metric("llm_brief_total", mode="fast", status="failure")
    threads, responses = _queue_requests(impatient)
    impatient.admin("POST", "/admin/model/unload", json={"model": "mistral_7b"})
    for thread in threads:
        thread.join()
    statuses = [response.status_code for response in responses]
    refused = [response for response in responses if response.status_code == 503]
    assert set(statuses) <= {200, 503} and len(refused) >= QUEUED - 1
    assert all(r.headers["retry-after"] == "1" for r in refused)
    assert {r.json()["error"] for r in refused} == {"no_model"}
    assert impatient.metric("llm_brief_total", mode="fast", status="failure") == failures


def test_unload_and_load_cycles_under_traffic_fail_no_request(draining: LiveServer) -> None:
    """Balanced requests during repeated unload/load of its model: each 200 or 503, never 502."""
    statuses: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        with httpx.Client(base_url=draining.url, timeout=60) as client:
            n = 0
            while not stop.is_set():
                body = {"text": f"cycling traffic {n}", "mode": "balanced"}
                statuses.append(client.post("/v1/brief", json=body).status_code)
                n += 1

    senders = [threading.Thread(target=traffic) for _ in range(3)]
    for sender in senders:
        sender.start()
    try:
        for _ in range(3):
            draining.admin("POST", "/admin/model/unload", json={"model": "llama3_8b"})
            draining.admin("POST", "/admin/model/load", json={"model": "llama3_8b"})
    finally:
        stop.set()
        for sender in senders:
            sender.join()
    assert statuses and set(statuses) <= {200, 503}
