"""A bounded burst of brief requests, and whether ``/metrics`` accounts for every one of them.

``burst`` sends a fixed number of requests at a fixed concurrency (a semaphore over one
``httpx.AsyncClient``), with texts repeating so that the cache and single-flight are exercised.
``accounting`` compares the client's tally with the counters' growth over the burst.
``unload_cycles`` unloads and reloads a model repeatedly while requests for its mode run.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
import requests
from prometheus_client.parser import text_string_to_metric_families

MODES = ("creative", "balanced", "fast")
TIMEOUT_SECONDS = 300.0

Scrape = Mapping[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass(frozen=True)
class BurstResult:
    """The client's tally of one burst."""

    requests: int
    concurrency: int
    statuses: Counter[int]
    refused_without_retry_after: int
    seconds: float


def scrape(url: str) -> Scrape:
    """Every sample of ``/metrics``, keyed by name and label set."""
    text = requests.get(url + "/metrics", timeout=30).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def grown(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    """Growth of the sum of ``name``'s samples that carry ``labels``."""

    def total(scrape: Scrape) -> float:
        wanted = set(labels.items())
        return sum(v for (n, ls), v in scrape.items() if n == name and wanted <= ls)

    return total(after) - total(before)


def burst(url: str, total: int, concurrency: int, distinct_texts: int) -> BurstResult:
    """``total`` requests, ``concurrency`` at a time, over ``distinct_texts`` texts and 3 modes."""

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        gate = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(
            base_url=url, limits=limits, timeout=TIMEOUT_SECONDS
        ) as client:

            async def one(n: int) -> httpx.Response:
                body = {"text": f"burst text {n % distinct_texts}", "mode": MODES[n % len(MODES)]}
                async with gate:
                    return await client.post("/v1/brief", json=body)

            return list(await asyncio.gather(*(one(n) for n in range(total))))

    started = time.perf_counter()
    responses = asyncio.run(run())
    seconds = time.perf_counter() - started
    refused = [r for r in responses if r.status_code == 503]
    return BurstResult(
        total,
        concurrency,
        Counter(r.status_code for r in responses),
        sum("retry-after" not in r.headers for r in refused),
        seconds,
    )


def accounting(before: Scrape, after: Scrape, result: BurstResult) -> list[tuple[str, int, int]]:
    """(what, the client's count, the counters' growth) for each figure that must agree."""
    statuses = result.statuses
    answered = statuses[200] + statuses[502]
    rows = [
        (
            f"http_requests_total /v1/brief status {status}",
            count,
            int(
                grown(before, after, "http_requests_total", handler="/v1/brief", status=str(status))
            ),
        )
        for status, count in sorted(statuses.items())
    ]
    rows += [
        (
            "http_requests_total /v1/brief, all statuses",
            result.requests,
            int(grown(before, after, "http_requests_total", handler="/v1/brief")),
        ),
        (
            "llm_brief_total success",
            statuses[200],
            int(grown(before, after, "llm_brief_total", status="success")),
        ),
        (
            "cache hits + misses (every request past admission)",
            answered,
            int(
                grown(before, after, "cache_hits_total")
                + grown(before, after, "cache_misses_total")
            ),
        ),
    ]
    return rows


def unload_cycles(url: str, token: str, model: str, mode: str, cycles: int) -> Counter[int]:
    """Statuses of ``mode`` requests (8 lanes) during ``cycles`` unload/load cycles of ``model``.

    Each cycle waits until the lanes have had 8 more answers, so requests are queued for the model
    at every unload.
    """
    stop = asyncio.Event()
    seen: Counter[int] = Counter()

    async def traffic(client: httpx.AsyncClient, lane: int) -> None:
        n = 0
        while not stop.is_set():
            body = {"text": f"unload traffic {lane} {n}", "mode": mode}
            seen[(await client.post("/v1/brief", json=body)).status_code] += 1
            n += 1

    async def more_answers(count: int) -> None:
        target = sum(seen.values()) + count
        while sum(seen.values()) < target:
            await asyncio.sleep(0.01)

    async def run() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT_SECONDS) as client:
            lanes = [asyncio.ensure_future(traffic(client, lane)) for lane in range(8)]
            for _ in range(cycles):
                await more_answers(8)
                for action in ("unload", "load"):
                    answer = await client.post(
                        f"/admin/model/{action}", json={"model": model}, headers=headers
                    )
                    answer.raise_for_status()
            stop.set()
            await asyncio.gather(*lanes)

    asyncio.run(run())
    return seen
