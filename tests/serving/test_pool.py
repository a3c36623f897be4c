"""The bounded inference pool: work runs off the event loop, overflow is refused at once."""

from __future__ import annotations

import asyncio
import threading

import pytest

from serving.pool import InferencePool, QueueFull


def test_work_runs_in_a_worker_thread() -> None:
    """The job does not run on the event loop's thread."""
    pool = InferencePool(workers=1, queue_max=0)

    async def main() -> str:
        return await pool.run(lambda: threading.current_thread().name)

    try:
        assert asyncio.run(main()).startswith("inference")
    finally:
        pool.shutdown()


def test_job_beyond_workers_and_queue_is_refused() -> None:
    """One worker busy, one job waiting: a third is refused with QueueFull, the others finish."""
    pool = InferencePool(workers=1, queue_max=1)
    release = threading.Event()

    async def main() -> list[object]:
        running = [asyncio.ensure_future(pool.run(release.wait)) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(QueueFull, match="retry shortly"):
            await pool.run(release.wait)
        release.set()
        return list(await asyncio.gather(*running))

    try:
        assert asyncio.run(main()) == [True, True]
        assert pool.stats()["rejected"] == 1
    finally:
        release.set()
        pool.shutdown()


def test_capacity_frees_when_a_job_finishes() -> None:
    """After a job completes, the slot is free again."""
    pool = InferencePool(workers=1, queue_max=0)

    async def main() -> tuple[int, int]:
        first = await pool.run(lambda: 1)
        second = await pool.run(lambda: 2)
        return first, second

    try:
        assert asyncio.run(main()) == (1, 2)
        assert pool.stats()["pending"] == 0
    finally:
        pool.shutdown()
