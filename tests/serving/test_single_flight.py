"""Identical requests in flight share one generation; misses count generations, not lookups."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from serving.config import Settings
from serving.models import ModelRegistry
from tests.serving.live_server import LiveServer, serve

FOLLOWERS = 5
SLOW_FAST_SECONDS = 2.0


@pytest.fixture
def one_slot(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """One worker, no queue, fast briefs 2 s slower: a second generation is refused at once."""
    settings = Settings(
        device="cpu", workers=1, queue_max=0, fault_slow_seconds={"fast": SLOW_FAST_SECONDS}
    )
    with serve(settings, tiny_registry) as live:
        yield live


def _post_all(live: LiveServer, bodies: list[dict[str, str]]) -> list[httpx.Response]:
    responses: list[httpx.Response] = []

    def send(body: dict[str, str]) -> None:
        with httpx.Client(base_url=live.url, timeout=60) as client:
            responses.append(client.post("/v1/brief", json=body))

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def _counts(live: LiveServer) -> tuple[float, float]:
    labels = {"mode": "fast", "cache_type": "llm"}
    return live.metric("cache_misses_total", **labels), live.metric("cache_hits_total", **labels)


def test_identical_requests_in_flight_share_one_generation(one_slot: LiveServer) -> None:
    """With the only worker busy on a text, the same text again joins it: all 200, one miss."""
    text = {"text": "shared jasmine and pear", "mode": "fast"}
    misses, hits = _counts(one_slot)
    leader: list[httpx.Response] = []
    first = threading.Thread(target=lambda: leader.extend(_post_all(one_slot, [text])))
    first.start()
    one_slot.wait_until_pending(1)
    followers = _post_all(one_slot, [{**text, "text": "  Shared JASMINE and pear"}] * FOLLOWERS)
    first.join()
    assert [r.status_code for r in leader + followers] == [200] * (FOLLOWERS + 1)
    assert {r.json()["cached"] for r in followers} == {True}
    assert {str(r.json()["brief"]) for r in leader + followers} == {str(leader[0].json()["brief"])}
    assert _counts(one_slot) == (misses + 1, hits + FOLLOWERS)
    assert one_slot.client.get("/health").json()["pool"]["completed"] == 1


def test_request_refused_for_a_full_queue_is_not_a_cache_miss(one_slot: LiveServer) -> None:
    """A different text while the only worker is busy: 503, and neither a hit nor a miss."""
    misses, hits = _counts(one_slot)
    busy = threading.Thread(target=one_slot.brief, args=("keeps the worker busy", "fast"))
    busy.start()
    one_slot.wait_until_pending(1)
    refused = one_slot.brief("finds no worker", "fast")
    busy.join()
    assert (refused.status_code, refused.json()["error"]) == (503, "queue_full")
    assert _counts(one_slot) == (misses + 1, hits)
