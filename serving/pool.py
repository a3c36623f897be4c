"""A bounded worker pool: blocking inference runs in threads, never on the event loop.

At most ``workers`` jobs run and ``queue_max`` more wait; a job beyond that is refused at once with
:class:`QueueFull` (the API answers 503 with Retry-After) instead of piling up.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class QueueFull(RuntimeError):
    """Every worker is busy and the wait queue is full."""


class InferencePool:
    """Thread pool with admission: call :meth:`run` from the event loop only."""

    def __init__(self, workers: int, queue_max: int, name: str = "inference") -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._workers = workers
        self._capacity = workers + queue_max
        self._pending = 0
        self._rejected = 0
        self._completed = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)`` for a worker thread; raise :class:`QueueFull` when at capacity.

        A job counts against the capacity until its thread finishes (or it is dropped from the
        queue), even when the request waiting for it was cancelled meanwhile.
        """
        with self._lock:
            if self._pending >= self._capacity:
                self._rejected += 1
                raise QueueFull(
                    f"all {self._workers} workers are busy and {self._capacity - self._workers} "
                    "requests are waiting; retry shortly"
                )
            self._pending += 1
        job = self._executor.submit(fn, *args)
        job.add_done_callback(self._finished)
        return job

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """:meth:`submit`, then wait for the result on the event loop."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def _finished(self, _job: Future[Any]) -> None:
        with self._lock:
            self._pending -= 1
            self._completed += 1

    def stats(self) -> dict[str, int]:
        """Workers, capacity, jobs pending (running + waiting), rejected and completed."""
        with self._lock:
            return {
                "workers": self._workers,
                "capacity": self._capacity,
                "pending": self._pending,
                "rejected": self._rejected,
                "completed": self._completed,
            }

    def shutdown(self) -> None:
        """Drop the jobs still queued, wait for the running ones, then stop the threads.

        Called after the server stopped taking requests: a queued job left then belongs to a
        request already answered (503 at the end of the shutdown grace).
        """
        self._executor.shutdown(wait=True, cancel_futures=True)
