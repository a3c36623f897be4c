"""One brief request end to end: route (downshift), cache, generate in the pool, validate, repair.

Runs on the event loop; only :meth:`BriefService._generate` runs in a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serving.brief import BriefInvalid, brief_json, brief_messages, repair_messages, validate_brief
from serving.cache import BriefCache, CacheKey, normalise_text
from serving.config import FAULT_UNGUIDED_MAX_NEW_TOKENS, MODES, REPAIR_TARGET, Settings
from serving.downshift import Downshift
from serving.manager import ModelManager
from serving.metrics import CACHE_TYPE, ServingMetrics
from serving.models import LoadedModel, ModelSpec
from serving.pool import InferencePool


class NoModelAvailable(RuntimeError):
    """No loaded model can serve the requested mode (nor any mode below it)."""


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
        served = self._downshift.route(requested, self._manager.available_modes())
        found = self._manager.model_for_mode(served) if served is not None else None
        if served is None or found is None:
            raise NoModelAvailable(
                f"no loaded model can serve mode {requested!r} (downshift order "
                f"{' -> '.join(MODES)}); load one with POST /admin/model/load"
            )
        spec, model = found
        key = CacheKey(normalise_text(text), requested, spec.name, spec.revision_label)
        hit = self._cache.get(key)
        if hit is not None:
            self._metrics.cache_hits.labels(mode=requested, cache_type=CACHE_TYPE).inc()
            return self._success(start, requested, served, spec, hit, cached=True)
        self._metrics.cache_misses.labels(mode=requested, cache_type=CACHE_TYPE).inc()
        try:
            generated = await self._pool.run(self._generate, requested, served, spec, model, text)
        except BriefFailed:
            self._metrics.briefs.labels(mode=requested, status="failure").inc()
            raise
        self._downshift.record(served, generated.generation_seconds)
        if generated.brief is None:
            self._metrics.briefs.labels(mode=requested, status="failure").inc()
            raise BriefFailed(generated.reason)
        self._cache.put(key, generated)
        return self._success(start, requested, served, spec, generated, cached=False)

    def _success(
        self,
        start: float,
        requested: str,
        served: str,
        spec: ModelSpec,
        generated: Generated,
        cached: bool,
    ) -> BriefResult:
        assert generated.brief is not None
        latency = self._timer() - start
        self._metrics.briefs.labels(mode=requested, status="success").inc()
        self._metrics.brief_latency.labels(mode=requested).observe(latency)
        return BriefResult(
            brief=generated.brief,
            mode=requested,
            served_mode=served,
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

    def _generate(
        self, requested: str, served: str, spec: ModelSpec, model: LoadedModel, text: str
    ) -> Generated:
        """Worker thread: generate, apply injected slowness, validate, repair when invalid."""
        settings = self._settings
        start = self._timer()
        try:
            raw = model.generate(brief_messages(text), *self._decoding(served))
        except Exception as error:  # any backend error is this request's failure, not a crash
            raise BriefFailed(
                f"{spec.name} failed to generate: {type(error).__name__}: {error}"
            ) from error
        time.sleep(settings.fault_slow_seconds.get(served, 0.0))
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
        found = self._manager.model(repair_spec.name)
        if found is None:
            return Generated(
                None,
                False,
                seconds,
                (
                    f"{spec.name} wrote an invalid brief ({invalid.errors}) and the repair model "
                    f"{repair_spec.name} is not loaded"
                ),
            )
        _, repairer = found
        try:
            fixed = repairer.generate(
                repair_messages(raw, invalid.errors), *self._decoding(REPAIR_TARGET)
            )
            return Generated(brief_json(validate_brief(fixed)), True, seconds)
        except BriefInvalid as still:
            reason = f"still invalid after repair by {repair_spec.name}: {still.errors}"
        except Exception as error:  # a repair crash is this request's failure, not a server error
            reason = f"repair by {repair_spec.name} failed: {type(error).__name__}: {error}"
        return Generated(None, True, seconds, f"{spec.name} wrote an invalid brief; {reason}")
