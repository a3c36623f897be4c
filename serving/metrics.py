"""The metric contract of DESIGN §6, on an explicit registry; nothing else is exported.

Every labelled counter starts at 0 for its known label values, so a ratio with a never-incremented
numerator reads as a real zero. ``*_created`` samples are left out of the exposition: they are not
part of the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric

BRIEF_LATENCY_BUCKETS_SECONDS = (
    0.1,
    0.25,
    0.5,
    1.0,
    1.5,
    2.0,
    2.5,
    3.2,
    3.3,
    4.3,
    4.5,
    6.0,
    8.0,
    12.0,
    20.0,
)
"""Includes the SLOs (2.5, 3.2, 4.5 s) and the breaker limits (3.3, 4.3, 6.0 s)."""

CACHE_TYPE = "llm"
BRIEF_STATUSES = ("success", "failure")
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
OTHER_METHOD = "other"
UNMATCHED_HANDLER = "unmatched"

CONTRACT_NAMES = frozenset(
    {
        "http_requests_total",
        "llm_brief_total",
        "llm_schema_fix_count_total",
        "llm_brief_latency_seconds",
        "cache_hits_total",
        "cache_misses_total",
        "llm_model_loaded",
        "llm_model_vram_bytes",
        "llm_model_info",
    }
)
"""Metric families this service exports (counters by their ``_total`` name)."""


class ServingMetrics:
    """All serving metrics, registered on ``registry`` and initialised for known labels."""

    def __init__(
        self, registry: CollectorRegistry, modes: Sequence[str], revisions: Mapping[str, str]
    ) -> None:
        """Register every metric; ``revisions`` maps each configured model to its revision."""
        self.registry = registry
        self.http_requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status code.",
            ["method", "handler", "status"],
            registry=registry,
        )
        self.briefs = Counter(
            "llm_brief_total",
            "Brief requests answered, by requested mode and outcome.",
            ["mode", "status"],
            registry=registry,
        )
        self.schema_fixes = Counter(
            "llm_schema_fix_count_total",
            "Briefs that failed schema validation and went to the repair model.",
            ["mode", "original_model"],
            registry=registry,
        )
        self.brief_latency = Histogram(
            "llm_brief_latency_seconds",
            "Time to answer a successful brief, by requested mode.",
            ["mode"],
            buckets=BRIEF_LATENCY_BUCKETS_SECONDS,
            registry=registry,
        )
        self.cache_hits = Counter(
            "cache_hits_total", "Brief cache hits.", ["mode", "cache_type"], registry=registry
        )
        self.cache_misses = Counter(
            "cache_misses_total", "Brief cache misses.", ["mode", "cache_type"], registry=registry
        )
        self.model_loaded = Gauge(
            "llm_model_loaded",
            "1 when the model is loaded and serving, else 0.",
            ["model"],
            registry=registry,
        )
        self.model_vram = Gauge(
            "llm_model_vram_bytes",
            "GPU memory the loaded model takes, bytes.",
            ["model", "gpu"],
            registry=registry,
        )
        self.model_info = Gauge(
            "llm_model_info",
            "Always 1; the labels name the configured model revision.",
            ["model", "revision"],
            registry=registry,
        )
        for mode in modes:
            for status in BRIEF_STATUSES:
                self.briefs.labels(mode=mode, status=status)
            for model in revisions:
                self.schema_fixes.labels(mode=mode, original_model=model)
            self.cache_hits.labels(mode=mode, cache_type=CACHE_TYPE)
            self.cache_misses.labels(mode=mode, cache_type=CACHE_TYPE)
            self.brief_latency.labels(mode=mode)
        for model, revision in revisions.items():
            self.model_loaded.labels(model=model).set(0)
            self.model_info.labels(model=model, revision=revision).set(1)

    def init_routes(self, routes: Iterable[tuple[str, str]]) -> None:
        """Start ``http_requests_total`` at 0 with status 200 for each (method, route template)."""
        for method, handler in routes:
            self.http_requests.labels(method=method, handler=handler, status="200")

    def count_request(self, method: str, handler: str | None, status: int) -> None:
        """Count one HTTP request, keeping every label bounded."""
        self.http_requests.labels(
            method=method if method in HTTP_METHODS else OTHER_METHOD,
            handler=handler or UNMATCHED_HANDLER,
            status=str(status),
        ).inc()

    def set_loaded(self, model: str, gpu: str | None, vram_bytes: int) -> None:
        """Record a finished load (VRAM only when the model sits on a GPU)."""
        self.model_loaded.labels(model=model).set(1)
        if gpu is not None:
            self.model_vram.labels(model=model, gpu=gpu).set(vram_bytes)

    def set_unloaded(self, model: str, gpu: str | None) -> None:
        """Record an unload (or a failed load): not serving, no VRAM series."""
        self.model_loaded.labels(model=model).set(0)
        if gpu is not None:
            self.model_vram.remove(model, gpu)


class _WithoutCreated:
    """A collector view of ``registry`` that drops ``*_created`` samples."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        for metric in self._registry.collect():
            metric.samples = [s for s in metric.samples if not s.name.endswith("_created")]
            yield metric


def render(registry: CollectorRegistry) -> bytes:
    """Prometheus text exposition of ``registry``, contract samples only."""
    return generate_latest(_WithoutCreated(registry))
