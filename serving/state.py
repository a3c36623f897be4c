"""The parts of one serving app, built together: metrics, admission, models, cache, pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from prometheus_client import CollectorRegistry

from pytest_gate.gpu.nvml import read_gpus
from serving.admission import AdmissionController, GpuReader
from serving.cache import BriefCache
from serving.config import MODES, Settings
from serving.downshift import Downshift
from serving.loader import cuda_available as torch_cuda_available
from serving.loader import cuda_index_for_uuid
from serving.manager import ModelManager
from serving.metrics import ServingMetrics
from serving.models import ModelLoader, ModelRegistry
from serving.pool import InferencePool
from serving.service import BriefService


@dataclass
class ServingState:
    """Everything the routes need, built once per app."""

    settings: Settings
    registry: ModelRegistry
    prometheus: CollectorRegistry
    metrics: ServingMetrics
    admission: AdmissionController
    manager: ModelManager
    cache: BriefCache
    downshift: Downshift
    pool: InferencePool
    service: BriefService
    loads: ThreadPoolExecutor
    load_job: Future[None] | None = field(default=None)

    async def in_load_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking load or unload on the single (serialising) load thread."""
        return await asyncio.get_running_loop().run_in_executor(self.loads, fn, *args)


async def serving_state(request: Request) -> ServingState:
    """Dependency: the app's :class:`ServingState`.

    ``async`` so FastAPI resolves it on the event loop: a plain ``def`` dependency hops to the
    thread pool on every request, which halved cache-hit throughput (bench/RESULTS.md).
    """
    state: ServingState = request.app.state.serving
    return state


def build_state(
    settings: Settings,
    registry: ModelRegistry,
    backend: ModelLoader,
    *,
    gpu_reader: GpuReader | None = None,
    cuda_available: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ServingState:
    """Build the parts: metrics on a fresh registry, admission, models, cache, downshift, pool."""
    prometheus = CollectorRegistry(auto_describe=True)
    metrics = ServingMetrics(prometheus, MODES, {s.name: s.revision_label for s in registry.models})
    admission = AdmissionController(
        gpu_reader or read_gpus,
        min_headroom_ratio=settings.min_headroom_ratio,
        device=settings.device,
        cuda_available=cuda_available or torch_cuda_available,
        cuda_index=lambda gpu: cuda_index_for_uuid(gpu.uuid, gpu.index),
    )
    manager = ModelManager(
        registry, backend, admission, metrics, drain_seconds=settings.unload_drain_seconds
    )
    cache = BriefCache(settings.cache_ttl_seconds, settings.cache_max_entries, clock)
    downshift = Downshift(
        MODES,
        settings.breaker_seconds,
        consecutive=settings.breaker_consecutive,
        cooldown_seconds=settings.downshift_cooldown_seconds,
        recovery_seconds=settings.downshift_recovery_seconds,
        clock=clock,
    )
    pool = InferencePool(settings.workers, settings.queue_max)
    service = BriefService(settings, manager, cache, downshift, pool, metrics)
    loads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-load")
    return ServingState(
        settings,
        registry,
        prometheus,
        metrics,
        admission,
        manager,
        cache,
        downshift,
        pool,
        service,
        loads,
    )
