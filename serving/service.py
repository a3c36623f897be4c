"""One brief request end to end: route (downshift), cache, generate in the pool, validate, repair.

Runs on the event loop; only :meth:`BriefService._generate` runs in a worker thread. A request
holds a lease on its model from routing until its generation is done, so an operator's unload
waits for it (:mod:`serving.lease`). Identical requests in flight share one generation
(:mod:`serving.flights`). A cache miss is counted when a generation is accepted by the pool, a
hit when a request is answered without one (from the cache, or by joining a flight).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serving.brief import BriefInvalid, brief_json, brief_messages, repair_messages, validate_brief
from serving.cache import BriefCache, CacheKey, normalise_text
from serving.config import FAULT_UNGUIDED_MAX_NEW_TOKENS, MODES, REPAIR_TARGET, Settings
from serving.downshift import Downshift
from serving.flights import Flights
from serving.lease import Lease
from serving.manager import ModelManager
from serving.metrics import CACHE_TYPE, ServingMetrics
from serving.models import ModelReleased, ModelSpec
from serving.pool import InferencePool, QueueFull


class NoModelAvailable(RuntimeError):
    """No loaded model can serve the request now (unloaded, or unloaded while it waited)."""


class BriefFailed(RuntimeError):
    """The model's brief was invalid and the repair did not fix it (or generation failed)."""


@dataclass(frozen=True)
class Generated:
    """What a worker thread produced: a brief, or the reason there is none."""

    brief: dict[str, Any] | None
    repaired: bool
    generation_seconds: float
    reason: str | None = None


@dataclass(frozen=True)
class BriefResult:
    """A successful brief and how it was made."""

    brief: dict[str, Any]
    mode: str
    served_mode: str
    model: str
    revision: str
    cached: bool
    repaired: bool
    latency_seconds: float


class BriefService:
    """Answers brief requests; holds the operator-settable default mode."""

    def __init__(
        self,
        settings: Settings,
        manager: ModelManager,
        cache: BriefCache,
        downshift: Downshift,
        pool: InferencePool,
        metrics: ServingMetrics,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._settings = settings
        self._manager = manager
        self._cache = cache
        self._downshift = downshift
        self._pool = pool
        self._metrics = metrics
        self._timer = timer
        self._flights: Flights[CacheKey, Generated] = Flights()
        self.default_mode = settings.default_mode

    def set_default_mode(self, mode: str) -> str:
        """Set the mode used when a request names none; return the previous one."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        previous, self.default_mode = self.default_mode, mode
        return previous

    async def brief(self, text: str, mode: str | None) -> BriefResult:
        """Answer one request; raise NoModelAvailable, BriefFailed or pool.QueueFull."""
        start = self._timer()
        requested = mode or self.default_mode
        lease = self._route(requested)
        spec = lease.spec
        key = CacheKey(normalise_text(text), requested, spec.name, spec.revision_label)
        hit = self._cache.get(key)
        if hit is not None:
            lease.release()
            self._metrics.cache_hits.labels(mode=requested, cache_type=CACHE_TYPE).inc()
            return self._success(start, requested, spec, hit, cached=True)
        flight = self._flights.joinable(key)
        joined = flight is not None
        if flight is not None:
            lease.release()
            self._cache.record_hit(requested)
            self._metrics.cache_hits.labels(mode=requested, cache_type=CACHE_TYPE).inc()
        else:
            flight = self._fly(key, requested, lease, text)
            self._cache.record_miss(requested)
            self._metrics.cache_misses.labels(mode=requested, cache_type=CACHE_TYPE).inc()
        try:
            generated = await asyncio.shield(flight)
        except BriefFailed:
            self._metrics.briefs.labels(mode=requested, status="failure").inc()
            raise
        if generated.brief is None:
            self._metrics.briefs.labels(mode=requested, status="failure").inc()
            raise BriefFailed(generated.reason)
        return self._success(start, requested, spec, generated, cached=joined)

    def _route(self, requested: str) -> Lease:
        """A lease on the model that serves ``requested`` now (downshifted when need be)."""
        served = self._downshift.route(requested, self._manager.available_modes())
        lease = self._manager.lease_for_mode(served) if served is not None else None
        if lease is None:
            raise NoModelAvailable(
                f"no loaded model can serve mode {requested!r} (downshift order "
                f"{' -> '.join(MODES)}); load one with POST /admin/model/load"
            )
        return lease

    def _fly(
        self, key: CacheKey, requested: str, lease: Lease, text: str
    ) -> asyncio.Task[Generated]:
        """Start the one generation for ``key``; the lease goes back when the job is done."""
        try:
            job = self._pool.submit(self._generate, requested, lease, text)
        except QueueFull:
            lease.release()
            raise
        job.add_done_callback(lambda _job: lease.release())
        return self._flights.start(key, self._land(key, lease.spec.mode, asyncio.wrap_future(job)))

    async def _land(self, key: CacheKey, served: str, job: asyncio.Future[Generated]) -> Generated:
        """Wait for the generation; feed the breaker and cache a valid brief."""
        generated = await job
        self._downshift.record(served, generated.generation_seconds)
        if generated.brief is not None:
            self._cache.put(key, generated)
        return generated

    def _success(
        self, start: float, requested: str, spec: ModelSpec, generated: Generated, cached: bool
    ) -> BriefResult:
        assert generated.brief is not None
        latency = self._timer() - start
        self._metrics.briefs.labels(mode=requested, status="success").inc()
        self._metrics.brief_latency.labels(mode=requested).observe(latency)
        return BriefResult(
            brief=generated.brief,
            mode=requested,
            served_mode=spec.mode,
            model=spec.name,
            revision=spec.revision_label,
            cached=cached,
            repaired=generated.repaired,
            latency_seconds=latency,
        )

    def _decoding(self, target: str) -> tuple[bool, int]:
        """(guided, max new tokens) for a generation by ``target`` (a mode, or the repair)."""
        if target in self._settings.fault_unguided:
            return False, min(self._settings.max_new_tokens, FAULT_UNGUIDED_MAX_NEW_TOKENS)
        return True, self._settings.max_new_tokens

    def _generate(self, requested: str, lease: Lease, text: str) -> Generated:
        """Worker thread: generate, apply injected slowness, validate, repair when invalid."""
        spec, served = lease.spec, lease.spec.mode
        start = self._timer()
        try:
            raw = lease.model.generate(brief_messages(text), *self._decoding(served))
        except ModelReleased:
            raise _unloaded(spec) from None
        except Exception as error:  # any backend error is this request's failure, not a crash
            raise BriefFailed(
                f"{spec.name} failed to generate: {type(error).__name__}: {error}"
            ) from error
        time.sleep(self._settings.fault_slow_seconds.get(served, 0.0))
        seconds = self._timer() - start
        try:
            return Generated(brief_json(validate_brief(raw)), False, seconds)
        except BriefInvalid as invalid:
            self._metrics.schema_fixes.labels(mode=requested, original_model=spec.name).inc()
            return self._repair(raw, invalid, spec, seconds)

    def _repair(
        self, raw: str, invalid: BriefInvalid, spec: ModelSpec, seconds: float
    ) -> Generated:
        repair_spec = self._manager.registry.repair_model
        lease = self._manager.lease(repair_spec.name)
        if lease is None:
            return Generated(
                None,
                False,
                seconds,
                (
                    f"{spec.name} wrote an invalid brief ({invalid.errors}) and the repair model "
                    f"{repair_spec.name} is not loaded"
                ),
            )
        try:
            fixed = lease.model.generate(
                repair_messages(raw, invalid.errors), *self._decoding(REPAIR_TARGET)
            )
            return Generated(brief_json(validate_brief(fixed)), True, seconds)
        except ModelReleased:
            raise _unloaded(repair_spec) from None
        except BriefInvalid as still:
            reason = f"still invalid after repair by {repair_spec.name}: {still.errors}"
        except Exception as error:  # a repair crash is this request's failure, not a server error
            reason = f"repair by {repair_spec.name} failed: {type(error).__name__}: {error}"
        finally:
            lease.release()
        return Generated(None, True, seconds, f"{spec.name} wrote an invalid brief; {reason}")


def _unloaded(spec: ModelSpec) -> NoModelAvailable:
    """The 503 for a request whose model was unloaded (after the drain time) while it waited."""
    return NoModelAvailable(
        f"{spec.name} was unloaded while this request waited for it; retry, the request will be "
        "routed to a loaded model"
    )
