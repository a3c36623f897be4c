"""Injected faults over a real socket: schema repair, failed repair, latency breaker, full queue."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from serving.config import Settings
from serving.models import ModelRegistry
from tests.serving.live_server import TOKEN, LiveServer, serve

SLOW_CREATIVE_SECONDS = 0.25
BREAKER_SECONDS = {"creative": 0.2, "balanced": 60.0, "fast": 60.0}


@pytest.fixture(scope="module")
def faulty(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """Fast drafts unguided (so they need repair); creative 0.25 s slower than usual."""
    settings = Settings(
        admin_token=TOKEN,
        device="cpu",
        fault_unguided=frozenset({"fast"}),
        fault_slow_seconds={"creative": SLOW_CREATIVE_SECONDS},
    )
    with serve(settings, tiny_registry) as live:
        yield live


@pytest.fixture
def slow_creative(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """Creative 0.25 s slower than its 0.2 s breaker limit; two slow answers open the breaker."""
    settings = Settings(
        admin_token=TOKEN,
        device="cpu",
        fault_slow_seconds={"creative": SLOW_CREATIVE_SECONDS},
        breaker_seconds=BREAKER_SECONDS,
        breaker_consecutive=2,
    )
    with serve(settings, tiny_registry) as live:
        yield live


@pytest.fixture(scope="module")
def cramped(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """One worker, no queue; balanced drafts and repairs unguided; creative takes 1 s longer."""
    settings = Settings(
        admin_token=TOKEN,
        device="cpu",
        workers=1,
        queue_max=0,
        fault_unguided=frozenset({"balanced", "repair"}),
        fault_slow_seconds={"creative": 1.0},
    )
    with serve(settings, tiny_registry) as live:
        yield live


def test_health_reports_the_injected_faults(faulty: LiveServer) -> None:
    """Fault injection is never silent: /health lists it."""
    faults = faulty.client.get("/health").json()["faults"]
    assert faults == {
        "slow_mode_seconds": {"creative": SLOW_CREATIVE_SECONDS},
        "unguided": ["fast"],
    }


def test_invalid_draft_is_repaired_and_counted(faulty: LiveServer) -> None:
    """An invalid first draft goes to the repair model; the answer is valid and the fix counted."""
    fixes = faulty.metric("llm_schema_fix_count_total", mode="fast", original_model="mistral_7b")
    response = faulty.brief("cool mint and basil", "fast")
    assert response.status_code == 200, response.text
    assert response.json()["repaired"] is True
    after = faulty.metric("llm_schema_fix_count_total", mode="fast", original_model="mistral_7b")
    assert after == fixes + 1


def test_slow_mode_opens_its_breaker_and_downshifts(slow_creative: LiveServer) -> None:
    """Two creative answers over the breaker limit in a row send the next one to balanced."""
    served = [
        slow_creative.brief(f"creative request number {n}", "creative").json()["served_mode"]
        for n in range(3)
    ]
    stats = slow_creative.admin("GET", "/admin/downshift/stats").json()
    assert served == ["creative", "creative", "balanced"]
    assert stats["breakers"]["creative"]["state"] == "open"
    assert stats["downshifted_requests"] == {"creative->balanced": 1}
    assert [event["event"] for event in stats["events"]] == ["open"]


def test_unrepairable_brief_is_502_and_counted_as_failure(cramped: LiveServer) -> None:
    """Invalid draft and invalid repair: 502 naming the reason, and a failure in llm_brief_total."""
    failures = cramped.metric("llm_brief_total", mode="balanced", status="failure")
    response = cramped.brief("amber and tonka for a cold night", "balanced")
    assert response.status_code == 502
    assert response.json()["error"] == "brief_invalid"
    assert "still invalid after repair" in response.json()["detail"]
    assert cramped.metric("llm_brief_total", mode="balanced", status="failure") == failures + 1


def test_failed_brief_is_not_cached(cramped: LiveServer) -> None:
    """Repeating a failing request generates again (a miss each time), never serves a failure."""
    misses = cramped.metric("cache_misses_total", mode="balanced", cache_type="llm")
    for _ in range(2):
        assert cramped.brief("pepper and incense", "balanced").status_code == 502
    assert cramped.metric("cache_misses_total", mode="balanced", cache_type="llm") == misses + 2


def test_full_queue_is_503_with_retry_after(cramped: LiveServer) -> None:
    """With the only worker busy and no queue, a request is refused at once with Retry-After."""
    busy = threading.Thread(target=cramped.brief, args=("slow creative request", "creative"))
    busy.start()
    try:
        cramped.wait_until_pending(1)
        response = cramped.brief("a request that finds no worker", "fast")
    finally:
        busy.join()
    assert response.status_code == 503
    assert response.json()["error"] == "queue_full"
    assert response.headers["retry-after"] == "1"


def test_burst_loses_no_request_and_counters_add_up(cramped: LiveServer) -> None:
    """Concurrent requests each get 200 or 503, and the metrics count every one of them."""
    before = {
        code: cramped.metric("http_requests_total", handler="/v1/brief", status=code)
        for code in ("200", "503")
    }
    successes = cramped.metric("llm_brief_total", mode="fast", status="success")
    results: list[int] = []

    def send(n: int) -> None:
        with httpx.Client(base_url=cramped.url, timeout=60) as client:
            response = client.post("/v1/brief", json={"text": f"burst {n}", "mode": "fast"})
            results.append(response.status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and set(results) <= {200, 503}
    for code in ("200", "503"):
        counted = cramped.metric("http_requests_total", handler="/v1/brief", status=code)
        assert counted - before[code] == results.count(int(code))
    assert cramped.metric("llm_brief_total", mode="fast", status="success") == (
        successes + results.count(200)
    )
