"""Slow-loris against a live serving process: how many connections it holds, and for how long.

``connections`` clients each open a connection and send a request head one byte per
``byte_interval_seconds``, never finishing it. Meanwhile the server's open file descriptors are
sampled from ``/proc`` and ``/health`` is asked on a fresh connection every half second. Issue 17
measured 2,000 such connections all held for 20 s (2,009 descriptors).

While the connections are being opened, the descriptor count also holds sockets accepted but not
yet refused: asyncio accepts up to ``backlog`` sockets per wake-up before any protocol object sees
one. ``max_fds_once_open`` is the count once every client has connected (the kernel completes
connections before the server accepts them), ``max_fds_after_first_second`` from one second on.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass

import httpx

HEAD = b"GET /health HTTP/1.1\r\nHost: loopback\r\nX-Slow: " + b"a" * 4096
SAMPLE_SECONDS = 0.25
HEALTH_EVERY_SECONDS = 0.5
HEALTH_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class LorisResult:
    """What the attack achieved and what the server kept doing meanwhile."""

    connections: int
    baseline_fds: int
    max_fds: int
    max_fds_once_open: int
    max_fds_after_first_second: int
    endings: Counter[str]
    held_seconds: tuple[float, ...]
    all_cut_after_seconds: float
    health_statuses: Counter[int]
    health_max_seconds: float


def open_fds(pid: int) -> int:
    """Open file descriptors of process ``pid``."""
    return len(os.listdir(f"/proc/{pid}/fd"))


async def _loris(
    port: int, interval: float, give_up: float, connected: list[int]
) -> tuple[str, float]:
    """One slow client: (how it ended, seconds the server held it)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return "refused at connect", 0.0
    finally:
        connected[0] += 1
    opened = time.monotonic()
    ending = "still open at the end"
    try:
        for byte in HEAD:
            writer.write(bytes([byte]))
            try:
                answer = await asyncio.wait_for(reader.read(64), interval)
            except TimeoutError:
                if time.monotonic() > give_up:
                    break
                continue
            ending = f"answered {answer[9:12].decode()}" if answer else "closed without an answer"
            break
    except ConnectionError:
        ending = "reset"
    finally:
        writer.close()
    return ending, time.monotonic() - opened


async def _health(url: str, stop: asyncio.Event) -> tuple[Counter[int], float]:
    statuses: Counter[int] = Counter()
    slowest = 0.0
    while not stop.is_set():
        started = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT_SECONDS) as client:
                statuses[(await client.get(url + "/health")).status_code] += 1
        except httpx.TransportError:
            statuses[0] += 1
        slowest = max(slowest, time.monotonic() - started)
        await asyncio.sleep(HEALTH_EVERY_SECONDS)
    return statuses, slowest


def attack(
    port: int, pid: int, connections: int, byte_interval_seconds: float, max_seconds: float
) -> LorisResult:
    """Run the attack for at most ``max_seconds``; return what it held."""
    url = f"http://127.0.0.1:{port}"
    baseline = open_fds(pid)

    async def run() -> LorisResult:
        started = time.monotonic()
        give_up = started + max_seconds
        connected = [0]
        clients = [
            asyncio.ensure_future(_loris(port, byte_interval_seconds, give_up, connected))
            for _ in range(connections)
        ]
        stop = asyncio.Event()
        health = asyncio.ensure_future(_health(url, stop))
        max_fds = max_fds_once_open = max_fds_later = baseline
        all_cut = max_seconds
        while not all(client.done() for client in clients) and time.monotonic() < give_up:
            fds = open_fds(pid)
            max_fds = max(max_fds, fds)
            if connected[0] == connections:
                max_fds_once_open = max(max_fds_once_open, fds)
            if time.monotonic() - started >= 1.0:
                max_fds_later = max(max_fds_later, fds)
            await asyncio.sleep(SAMPLE_SECONDS)
        if all(client.done() for client in clients):
            all_cut = time.monotonic() - started
        outcomes = await asyncio.gather(*clients)
        stop.set()
        statuses, slowest = await health
        return LorisResult(
            connections,
            baseline,
            max_fds,
            max_fds_once_open,
            max_fds_later,
            Counter(ending for ending, _ in outcomes),
            tuple(sorted(held for _, held in outcomes)),
            all_cut,
            statuses,
            slowest,
        )

    return asyncio.run(run())
