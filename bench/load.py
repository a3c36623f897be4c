"""A lean closed-loop HTTP/1.1 load generator: N keep-alive connections, each one request at a time.

It writes prebuilt request bytes and parses only the status line, the Content-Length and the body,
so on a 2-core machine it takes as little CPU from the server as a Python client can. Every
request's latency is kept; throughput is completed requests per second of the measured window.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from bench.measure import percentile


@dataclass(frozen=True)
class LoadResult:
    """One load window at one concurrency."""

    concurrency: int
    seconds: float
    latencies: tuple[float, ...]
    errors: int

    @property
    def throughput(self) -> float:
        """Completed requests per second."""
        return len(self.latencies) / self.seconds

    @property
    def p50(self) -> float:
        """Median latency, seconds."""
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        """99th percentile latency, seconds."""
        return percentile(self.latencies, 0.99)


def post_request(host: str, port: int, path: str, payload: object) -> bytes:
    """A keep-alive ``POST`` with a JSON body, as bytes."""
    body = json.dumps(payload).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        data = await reader.readexactly(size + 2)
        if size == 0:
            return status, b"".join(parts)
        parts.append(data[:-2])


async def _connection(
    host: str,
    port: int,
    request: bytes,
    start: float,
    stop: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            sent = time.perf_counter()
            if sent >= stop:
                return
            writer.write(request)
            status, _ = await _response(reader)
            done = time.perf_counter()
            if sent >= start:
                latencies.append(done - sent)
                if status != 200:
                    errors.append(status)
    finally:
        writer.close()


async def _load(
    host: str, port: int, request: bytes, concurrency: int, warmup: float, seconds: float
) -> LoadResult:
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter() + warmup
    stop = start + seconds
    await asyncio.gather(
        *(
            _connection(host, port, request, start, stop, latencies, errors)
            for _ in range(concurrency)
        )
    )
    return LoadResult(concurrency, seconds, tuple(latencies), len(errors))


def load(
    host: str, port: int, request: bytes, concurrency: int, seconds: float, warmup: float = 0.3
) -> LoadResult:
    """Keep ``concurrency`` requests in flight for ``seconds`` (after ``warmup``); measure each."""
    return asyncio.run(_load(host, port, request, concurrency, warmup, seconds))
