"""Single-flight: at most one generation per key in flight; identical requests wait for it.

A burst of the same text used to take one worker slot per request (and miss the cache every time,
since nothing was cached until the first answer came back). Now the first request starts a flight
and the others join it. A flight is its own task, so a leader whose client goes away does not
cancel the generation its followers wait for; every caller awaits it through ``asyncio.shield``.
Event-loop only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Flights(Generic[K, V]):
    """The flights now in the air, by key."""

    def __init__(self) -> None:
        self._tasks: dict[K, asyncio.Task[V]] = {}

    def __len__(self) -> int:
        """Flights in the air."""
        return len(self._tasks)

    def joinable(self, key: K) -> asyncio.Task[V] | None:
        """The flight for ``key`` still in the air, or None."""
        return self._tasks.get(key)

    def start(self, key: K, work: Coroutine[Any, Any, V]) -> asyncio.Task[V]:
        """Start ``work`` as the flight for ``key``; it lands (leaves the table) when done."""
        task = asyncio.ensure_future(work)
        self._tasks[key] = task

        def land(done: asyncio.Task[V]) -> None:
            if self._tasks.get(key) is done:
                del self._tasks[key]
            if not done.cancelled():
                done.exception()  # retrieved: the waiters (if any) got it already

        task.add_done_callback(land)
        return task
