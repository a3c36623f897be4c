"""Prometheus exporter: reads NVML on every scrape, on its own ``CollectorRegistry``.

Per device (labels ``gpu``, ``uuid``, ``name``):
``nvidia_gpu_memory_{total,used,free,reserved}_bytes`` and ``nvidia_gpu_memory_headroom_ratio``.
Once: ``nvidia_gpu_headroom_threshold_ratio``, ``nvidia_gpu_headroom_warn_ratio``,
``nvidia_gpu_exporter_up`` (1 when this scrape read NVML), ``nvidia_gpu_exporter_gpus`` and the
counter ``nvidia_gpu_exporter_errors_total{reason}``. When NVML fails, a scrape still answers:
up 0, the error counted, no per-device series (never invented values). ``reserved`` is absent for
a device whose driver offers only memory info v1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric

from pytest_gate.gpu import nvml
from pytest_gate.gpu.memory import GpuMemory

LABELS = ("gpu", "uuid", "name")
_MEMORY = (
    ("total", "Total memory of the GPU (or MIG device), bytes."),
    ("used", "Memory allocated on the GPU, bytes (excludes reserved with memory info v2)."),
    ("free", "Memory free on the GPU, bytes."),
    ("reserved", "Memory reserved by the driver and firmware, bytes (memory info v2 only)."),
)

Reader = Callable[[], list[GpuMemory]]


class GpuMemoryCollector:
    """A custom collector that takes one NVML reading per scrape."""

    def __init__(
        self,
        threshold_ratio: float,
        warn_ratio: float,
        errors: Counter,
        read: Reader = nvml.read_gpus,
    ) -> None:
        self._threshold_ratio = threshold_ratio
        self._warn_ratio = warn_ratio
        self._errors = errors
        self._read = read

    def describe(self) -> Iterable[Metric]:
        """The families this collector yields (no NVML call at registration)."""
        return self._families([], up=True)

    def collect(self) -> Iterable[Metric]:
        """Read NVML now; on failure count the error and report up 0 without device series."""
        try:
            gpus = self._read()
        except nvml.NvmlUnavailable as error:
            self._errors.labels(reason=error.reason).inc()
            return self._families([], up=False)
        return self._families(gpus, up=True)

    def _families(self, gpus: list[GpuMemory], up: bool) -> list[Metric]:
        families: list[Metric] = []
        if up:
            memory = {
                kind: GaugeMetricFamily(f"nvidia_gpu_memory_{kind}_bytes", text, labels=LABELS)
                for kind, text in _MEMORY
            }
            headroom = GaugeMetricFamily(
                "nvidia_gpu_memory_headroom_ratio", "Free / total memory.", labels=LABELS
            )
            for gpu in gpus:
                labels = [str(gpu.index), gpu.uuid, gpu.name]
                memory["total"].add_metric(labels, gpu.total_bytes)
                memory["used"].add_metric(labels, gpu.used_bytes)
                memory["free"].add_metric(labels, gpu.free_bytes)
                if gpu.reserved_bytes is not None:
                    memory["reserved"].add_metric(labels, gpu.reserved_bytes)
                headroom.add_metric(labels, gpu.headroom_ratio)
            families += [*memory.values(), headroom]
            families.append(
                GaugeMetricFamily(
                    "nvidia_gpu_exporter_gpus", "Devices read by this scrape.", value=len(gpus)
                )
            )
        families += [
            GaugeMetricFamily(
                "nvidia_gpu_headroom_threshold_ratio",
                "Headroom below which a GPU fails the gate.",
                value=self._threshold_ratio,
            ),
            GaugeMetricFamily(
                "nvidia_gpu_headroom_warn_ratio",
                "Headroom below which a GPU warns.",
                value=self._warn_ratio,
            ),
            GaugeMetricFamily(
                "nvidia_gpu_exporter_up", "1 when this scrape read NVML, else 0.", value=int(up)
            ),
        ]
        return families


def build_registry(
    threshold_ratio: float, warn_ratio: float, read: Reader = nvml.read_gpus
) -> CollectorRegistry:
    """A fresh registry holding the GPU collector and its error counter (all reasons at 0).

    The collector is registered first, so a scrape that fails shows its own error in the counter.
    """
    registry = CollectorRegistry()
    errors = Counter(
        "nvidia_gpu_exporter_errors",
        "Scrapes that could not read NVML, by reason.",
        ["reason"],
        registry=None,
    )
    for reason in nvml.NvmlUnavailable.REASONS:
        errors.labels(reason=reason)
    registry.register(GpuMemoryCollector(threshold_ratio, warn_ratio, errors, read))
    registry.register(errors)
    return registry


def serve(host: str, port: int, registry: CollectorRegistry) -> tuple[WSGIServer, Thread]:
    """Serve ``registry`` on ``host:port`` (0 picks a free port) from a daemon thread."""
    return start_http_server(port, addr=host, registry=registry)
