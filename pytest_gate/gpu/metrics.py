"""GPU memory from a GPU exporter's series in the metric source, for the GPU snapshot.

The exporter (:mod:`pytest_gate.config.gpuexporters`) says which gauges to read, their unit and how the
total is found. Series of one GPU are joined on their full label set (every GPU, never the first
series); a GPU whose value cannot be read makes the answer no data or error, never 0. Each GPU's
headroom series keeps the exporter's own labels (Hostname, gpu, UUID, modelName for DCGM), plus
the name and index of an info metric where the exporter keeps them there (nvidia_gpu_exporter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pytest_gate.config.gpuexporters import GpuExporter
from pytest_gate.core.query import Answer, DataState, Gauge, Labels, Selector, SeriesValue
from pytest_gate.gpu.memory import GpuMemory
from pytest_gate.sources.base import failed, succeeded
from pytest_gate.sources.snapshot import MetricSnapshot

HOST_LABELS = ("Hostname", "hostname", "instance")
"""Labels that name a GPU's machine, in the order they are preferred for sorting."""
DCGM_RESERVED_FIX = (
    "dcgm-exporter exports it by default since 4.3.1-4.4.0; on an older one add "
    '"DCGM_FI_DEV_FB_RESERVED, gauge, Framebuffer memory reserved (in MiB)." to its counters CSV'
)


@dataclass(frozen=True)
class ExporterReading:
    """The GPUs read from the exporter's series, and their headroom answer."""

    gpus: tuple[GpuMemory, ...]
    answer: Answer


def planned_queries(exporter: GpuExporter) -> list[Gauge]:
    """The gauges a GPU snapshot from metrics reads (see :attr:`GpuExporter.gauges`)."""
    return [Gauge(Selector(name)) for name in exporter.gauges]


def describe_gpu(labels: Labels, exporter: GpuExporter) -> str:
    """``Hostname=node-a,gpu=2,UUID=GPU-...``: the exporter's naming labels that are present."""
    mapping = dict(labels)
    keys = [k for k in exporter.label_keys if k in mapping] or sorted(mapping)
    return ",".join(f"{k}={mapping[k]}" for k in keys)


def _query_text(e: GpuExporter) -> str:
    if e.total is None:
        return f"{e.free} / ({e.free} + {e.used} + {e.reserved}) per GPU"
    return f"{e.free} / {e.total} per GPU"


def _values(answer: Answer) -> dict[Labels, float]:
    return {s.labels: s.value for s in answer.series}


def _carried(text: str, answer: Answer, what: str, fix: str = "") -> Answer:
    message = f"{what}: {answer.message}" + (f"; {fix}" if fix else "")
    return Answer(
        query_text=text,
        state=answer.state,
        message=message,
        cause=f"{what}: {answer.why}" + (f"; {fix}" if fix else "") if answer.cause else "",
        source=answer.source,
        notes=answer.notes,
    )


def read_exporter(metrics: MetricSnapshot, exporter: GpuExporter) -> ExporterReading:
    """Every GPU's memory and headroom from ``exporter``'s series in ``metrics``."""
    queries = planned_queries(exporter)
    metrics.prefetch(queries)
    answers = {q.selector.metric: metrics.ask(q) for q in queries}
    text = _query_text(exporter)
    sizing = exporter.total or exporter.reserved
    assert sizing is not None
    if answers[sizing].state is not DataState.OK:
        what = "GPU total memory" if exporter.total else "GPU reserved memory"
        fix = DCGM_RESERVED_FIX if exporter.reserved else ""
        return _failed(_carried(text, answers[sizing], f"{what} ({sizing})", fix))
    free, used = answers[exporter.free], answers[exporter.used]
    notes: tuple[str, ...] = ()
    if exporter.total is None and used.state is not DataState.OK:
        return _failed(_carried(text, used, f"GPU used memory ({exporter.used})"))
    if exporter.total and free.state is DataState.NO_DATA and used.state is DataState.OK:
        notes = (f"{exporter.free} missing ({free.message}); free computed as total - used",)
    elif free.state is not DataState.OK:
        return _failed(_carried(text, free, f"GPU free memory ({exporter.free})"))
    memory = _Memory(exporter, _values(answers[sizing]), _values(free), _values(used))
    names, info_notes = _info_labels(exporter, answers)
    kind = metrics.source.kind
    gpus: list[GpuMemory] = []
    series: list[SeriesValue] = []
    named_gpus = sorted(
        ((_named(labels, names), labels) for labels in memory.gpu_labels()),
        key=lambda pair: _order(pair[0], exporter),
    )
    for position, (named, labels) in enumerate(named_gpus):
        reading = memory.reading(labels)
        if isinstance(reading, str):
            cause = f"GPU {describe_gpu(named, exporter)}: {reading}"
            return _failed(failed(text, DataState.NO_DATA, cause, source=kind))
        total_bytes, free_bytes, used_bytes = reading
        try:
            gpus.append(_gpu(exporter, named, position, total_bytes, free_bytes, used_bytes))
        except ValueError as error:
            cause = f"impossible GPU memory reading: {error}"
            return _failed(failed(text, DataState.ERROR, cause, source=kind))
        series.append(SeriesValue(named, free_bytes / total_bytes))
    answer = succeeded(text, tuple(series), source=kind, notes=notes + info_notes)
    return ExporterReading(tuple(gpus) if answer.state is DataState.OK else (), answer)


def _named(labels: Labels, names: dict[Labels, dict[str, str]]) -> Labels:
    return tuple(sorted({**dict(labels), **names.get(labels, {})}.items()))


def _order(labels: Labels, exporter: GpuExporter) -> tuple[str, int, Labels]:
    """GPUs in host order, then by their index (``gpu="10"`` after ``gpu="9"``)."""
    mapping = dict(labels)
    host = next((mapping[k] for k in HOST_LABELS if k in mapping), "")
    index = mapping.get(exporter.index_label or "", "")
    return host, int(index) if index.isdigit() else -1, labels


def _failed(answer: Answer) -> ExporterReading:
    return ExporterReading((), answer)


@dataclass(frozen=True)
class _Memory:
    """The exporter's values per label set, in its own unit."""

    exporter: GpuExporter
    sizing: dict[Labels, float]
    """Total memory (or, without a total gauge, reserved memory) per GPU."""
    free: dict[Labels, float]
    used: dict[Labels, float]

    def gpu_labels(self) -> list[Labels]:
        """One label set per GPU: the total's, or without a total gauge the free memory's."""
        return sorted(self.sizing if self.exporter.total else self.free)

    def reading(self, labels: Labels) -> tuple[float, float, float] | str:
        """(total, free, used) in bytes for one GPU, or what is missing."""
        e, unit = self.exporter, self.exporter.bytes_per_unit
        free, used = self.free.get(labels), self.used.get(labels)
        if e.total is None:
            reserved = self.sizing.get(labels)
            for name, value in ((e.used, used), (e.reserved, reserved)):
                if value is None:
                    return f"no {name} series with the same labels as its {e.free} series"
            assert free is not None and used is not None and reserved is not None
            total = free + used + reserved
        else:
            total = self.sizing[labels]
            if free is None and used is not None and not self.free:
                free = total - used
            if free is None:
                return f"no {e.free} series with the same labels as its {e.total} series"
        for what, value in (("total", total), ("free", free)):
            if not math.isfinite(value):
                return f"{what} memory {value:g} {e.unit_text} is not a number"
        if total <= 0:
            return f"total memory {total:g} {e.unit_text} cannot give a headroom"
        used_bytes = (used if used is not None else total - free) * unit
        return total * unit, free * unit, used_bytes


def _gpu(
    exporter: GpuExporter,
    labels: Labels,
    position: int,
    total_bytes: float,
    free_bytes: float,
    used_bytes: float,
) -> GpuMemory:
    mapping = dict(labels)
    index = mapping.get(exporter.index_label or "", "")
    return GpuMemory(
        index=int(index) if index.isdigit() else position,
        uuid=mapping.get(exporter.uuid_label, ""),
        name=mapping.get(exporter.model_label, ""),
        total_bytes=round(total_bytes),
        used_bytes=round(used_bytes),
        free_bytes=round(free_bytes),
        reserved_bytes=None,
    )


def _info_labels(
    exporter: GpuExporter, answers: dict[str, Answer]
) -> tuple[dict[Labels, dict[str, str]], tuple[str, ...]]:
    """The info metric's naming labels for each memory label set (joined on every label the
    memory series has); the GPUs stay named by their own labels where it is missing."""
    if exporter.info is None:
        return {}, ()
    info = answers[exporter.info]
    if info.state is not DataState.OK:
        return {}, (f"{exporter.info} missing ({info.message}); GPUs are named by UUID only",)
    sized = answers[exporter.total or exporter.free]
    names: dict[Labels, dict[str, str]] = {}
    for series in sized.series:
        own = set(series.labels)
        matches = [s.label_map for s in info.series if own <= set(s.labels)]
        if len(matches) == 1:
            names[series.labels] = {
                k: matches[0][k] for k in exporter.info_labels if k in matches[0]
            }
    return names, ()
