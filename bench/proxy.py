"""Loopback servers for the fault and latency benchmarks, on one asyncio loop in a thread.

- :class:`DelayProxy`: a TCP proxy that holds every chunk from the client for ``delay_seconds``
  before passing it on (a latency line, so each request's round trip grows by the delay), and
  optionally holds each new connection as long (a TCP handshake's round trip). It counts the HTTP
  requests it forwards.
- :func:`hanging_server`: accepts connections, reads, and never answers.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

CHUNK_BYTES = 65536
REQUEST_STARTS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ")


@dataclass
class Counter:
    """HTTP requests forwarded (chunks that start a request line)."""

    requests: int = 0
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[int, int]:
        """(requests, connections) since the last call; resets both."""
        with self.lock:
            counts = (self.requests, self.connections)
            self.requests = self.connections = 0
            return counts


class Loop:
    """An asyncio loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coroutine: object) -> object:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the loop and its thread, then close the loop."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay_seconds: float,
    counter: Counter | None,
) -> None:
    loop = asyncio.get_running_loop()
    line: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def pump() -> None:
        while data := await reader.read(CHUNK_BYTES):
            if counter is not None and data.startswith(REQUEST_STARTS):
                with counter.lock:
                    counter.requests += 1
            line.put_nowait((loop.time() + delay_seconds, data))
        line.put_nowait((loop.time() + delay_seconds, b""))

    task = asyncio.ensure_future(pump())
    try:
        while True:
            due, data = await line.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    finally:
        task.cancel()
        writer.close()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _quiet(handler: Handler) -> Handler:
    """A connection handler that ends quietly when the server stops (cancelled) or a peer resets."""

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (asyncio.CancelledError, ConnectionError):
            writer.close()

    return wrapped


@dataclass
class DelayProxy:
    """``url`` forwards to ``upstream`` (host, port) with the delays; ``counter`` counts requests."""

    url: str
    counter: Counter


@contextmanager
def delay_proxy(
    upstream: tuple[str, int], delay_seconds: float, connect_delay_seconds: float = 0.0
) -> Iterator[DelayProxy]:
    """A delay proxy in front of ``upstream`` on a loopback port."""
    counter = Counter()

    @_quiet
    async def handle(
        client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        with counter.lock:
            counter.connections += 1
        if connect_delay_seconds:
            await asyncio.sleep(connect_delay_seconds)
        try:
            up_reader, up_writer = await asyncio.open_connection(*upstream)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _pipe(client_reader, up_writer, delay_seconds, counter),
            _pipe(up_reader, client_writer, 0.0, None),
            return_exceptions=True,
        )

    with _served(handle) as port:
        yield DelayProxy(f"http://127.0.0.1:{port}", counter)


@contextmanager
def hanging_server() -> Iterator[str]:
    """A server that accepts and reads every connection but never answers; yields its URL."""

    @_quiet
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(CHUNK_BYTES):
            pass
        writer.close()

    with _served(handle) as port:
        yield f"http://127.0.0.1:{port}"


@contextmanager
def _served(handler: Handler) -> Iterator[int]:
    loop = Loop()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(handler, "127.0.0.1", 0)

    server: asyncio.Server = loop.call(start())  # type: ignore[assignment]
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:

        async def stop() -> None:
            server.close()
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        loop.call(stop())
        loop.stop()
