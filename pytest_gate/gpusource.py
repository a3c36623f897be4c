"""The GPU snapshot: every GPU's memory headroom, from NVML or from the GPU exporter's metrics.

``--gpu-source auto`` reads NVML when this machine has NVIDIA GPUs, else the exporter series of the
metric source (metric names from the config). Exporter series are joined per GPU on their full
label set (every GPU, never the first series), and a value that cannot be read makes the answer
no data or error; it is never replaced by 0. A live NVML reading is kept in the recording, so a
replayed gate sees the same GPUs.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Protocol

from pytest_gate import nvml
from pytest_gate.gpu import GpuMemory
from pytest_gate.options import GPU_SOURCES
from pytest_gate.query import Answer, DataState, Gauge, Labels, Selector, SeriesValue
from pytest_gate.snapshot import MetricSnapshot
from pytest_gate.sources.base import SourceConfigError, failed, succeeded

NVML_QUERY = "NVML memory info: free / total per GPU"
RECORDING_KEY = "gpu_nvml"


class MetricNames(Protocol):
    """The exporter's metric names (``pytest_gate.config.GpuMetricNames`` satisfies this)."""

    @property
    def total(self) -> str:
        """Total memory per GPU, bytes."""

    @property
    def used(self) -> str:
        """Used memory per GPU, bytes."""

    @property
    def free(self) -> str:
        """Free memory per GPU, bytes."""


class GpuSnapshot:
    """The GPUs seen by the session and their headroom answer."""

    def __init__(self, source: str, gpus: list[GpuMemory], answer: Answer) -> None:
        self.source = source
        self.gpus = gpus
        self._answer = answer

    def headroom(self) -> Answer:
        """Free / total per GPU (labels ``gpu``, ``uuid``, ``name``, ...); or why not."""
        return self._answer


def _nvml_labels(gpu: GpuMemory) -> Labels:
    labels = {"gpu": str(gpu.index), "uuid": gpu.uuid, "name": gpu.name}
    if gpu.mig_index is not None:
        labels["mig"] = str(gpu.mig_index)
    return tuple(sorted(labels.items()))


def _from_reading(gpus: list[GpuMemory], error: str | None) -> GpuSnapshot:
    if error is not None:
        return GpuSnapshot("nvml", [], failed(NVML_QUERY, DataState.ERROR, error, source="nvml"))
    if not gpus:
        cause = "NVML lists no GPUs on this machine"
        return GpuSnapshot("nvml", [], failed(NVML_QUERY, DataState.NO_DATA, cause, source="nvml"))
    series = tuple(SeriesValue(_nvml_labels(g), g.headroom_ratio) for g in gpus)
    return GpuSnapshot("nvml", gpus, succeeded(NVML_QUERY, series, source="nvml"))


def _read_nvml(metrics: MetricSnapshot | None) -> GpuSnapshot:
    if metrics is not None and metrics.source.kind == "replay":
        recorded = metrics.recorded_extra(RECORDING_KEY)
        if recorded is None:
            cause = "the replayed recording holds no NVML reading; replay with --gpu-source auto"
            return GpuSnapshot(
                "nvml", [], failed(NVML_QUERY, DataState.ERROR, cause, source="nvml")
            )
        return _from_reading([GpuMemory(**g) for g in recorded["gpus"]], recorded["error"])
    try:
        gpus, error = nvml.read_gpus(), None
    except nvml.NvmlUnavailable as unavailable:
        gpus, error = [], str(unavailable)
    if metrics is not None:
        metrics.record_extra(RECORDING_KEY, {"gpus": [asdict(g) for g in gpus], "error": error})
    return _from_reading(gpus, error)


def _values(answer: Answer) -> dict[Labels, float]:
    return {s.labels: s.value for s in answer.series}


def _gpu_name(labels: Labels) -> str:
    mapping = dict(labels)
    keys: list[str] = [k for k in ("gpu", "uuid", "instance") if k in mapping] or sorted(mapping)
    return ",".join(f"{k}={mapping[k]}" for k in keys)


def _index(labels: Labels, position: int) -> int:
    value = dict(labels).get("gpu", "")
    return int(value) if value.isdigit() else position


def planned_queries(names: MetricNames) -> list[Gauge]:
    """The exporter gauges a GPU snapshot from metrics reads: total, free, used (in that order)."""
    return [Gauge(Selector(n)) for n in (names.total, names.free, names.used)]


def _from_metrics(metrics: MetricSnapshot, names: MetricNames) -> GpuSnapshot:
    kind = metrics.source.kind
    total_q, free_q, used_q = planned_queries(names)
    metrics.prefetch([total_q, free_q, used_q])
    total, free, used = metrics.ask(total_q), metrics.ask(free_q), metrics.ask(used_q)
    text = f"{names.free} / {names.total} per GPU"
    if total.state is not DataState.OK:
        return GpuSnapshot(kind, [], _carried(text, total, f"GPU total memory ({names.total})"))
    notes: tuple[str, ...] = ()
    if free.state is DataState.NO_DATA and used.state is DataState.OK:
        notes = (f"{names.free} missing ({free.message}); free computed as total - used",)
    elif free.state is not DataState.OK:
        return GpuSnapshot(kind, [], _carried(text, free, f"GPU free memory ({names.free})"))
    totals, frees, useds = _values(total), _values(free), _values(used)
    series: list[SeriesValue] = []
    gpus: list[GpuMemory] = []
    for position, labels in enumerate(sorted(totals)):
        total_bytes = totals[labels]
        free_bytes = frees.get(labels)
        if free_bytes is None and labels in useds and not frees:
            free_bytes = total_bytes - useds[labels]
        problem = _problem(total_bytes, free_bytes)
        if problem:
            cause = f"GPU {_gpu_name(labels)}: {problem}"
            return GpuSnapshot(kind, [], failed(text, DataState.NO_DATA, cause, source=kind))
        assert free_bytes is not None
        used_bytes = useds.get(labels, total_bytes - free_bytes)
        try:
            gpus.append(
                GpuMemory(
                    index=_index(labels, position),
                    uuid=dict(labels).get("uuid", ""),
                    name=dict(labels).get("name", ""),
                    total_bytes=int(total_bytes),
                    used_bytes=int(used_bytes),
                    free_bytes=int(free_bytes),
                    reserved_bytes=None,
                )
            )
        except ValueError as error:
            cause = f"impossible GPU memory reading: {error}"
            return GpuSnapshot(kind, [], failed(text, DataState.ERROR, cause, source=kind))
        series.append(SeriesValue(labels, free_bytes / total_bytes))
    return GpuSnapshot(kind, gpus, succeeded(text, tuple(series), source=kind, notes=notes))


def _problem(total_bytes: float, free_bytes: float | None) -> str:
    if free_bytes is None:
        return "no free-memory series with the same labels as its total-memory series"
    if not math.isfinite(total_bytes) or total_bytes <= 0:
        return f"total memory {total_bytes:g} B cannot give a headroom"
    if not math.isfinite(free_bytes):
        return f"free memory {free_bytes:g} B is not a number"
    return ""


def _carried(text: str, answer: Answer, what: str) -> Answer:
    return Answer(
        query_text=text,
        state=answer.state,
        message=f"{what}: {answer.message}",
        source=answer.source,
        notes=answer.notes,
    )


def _none(cause: str) -> GpuSnapshot:
    return GpuSnapshot("none", [], failed("GPU memory", DataState.NO_DATA, cause, source="none"))


def needs_metrics(mode: str, *, record_or_replay: bool = False) -> bool:
    """Whether the GPU snapshot for ``mode`` needs the metric snapshot.

    ``prometheus`` always does, ``auto`` when this machine has no NVML. With ``--gate-record`` or
    ``--gate-replay`` (``record_or_replay``), ``auto`` and ``nvml`` need it too: the NVML reading is
    kept in the recording and taken from it on replay, so a replay sees the recorded GPUs.
    """
    if mode == "prometheus":
        return True
    if mode in ("auto", "nvml") and record_or_replay:
        return True
    return mode == "auto" and not nvml.nvml_available()


def open_gpu_snapshot(mode: str, metrics: MetricSnapshot | None, names: MetricNames) -> GpuSnapshot:
    """Read the GPUs once per session by ``mode`` (``auto``, ``nvml``, ``prometheus``, ``none``)."""
    if mode not in GPU_SOURCES:
        raise SourceConfigError(f"--gpu-source {mode!r} is unknown; use one of {GPU_SOURCES}")
    if mode == "none":
        return _none("the GPU source is none (--gpu-source none)")
    if mode == "auto":
        replayed_nvml = metrics is not None and metrics.recorded_extra(RECORDING_KEY) is not None
        if replayed_nvml or (
            (metrics is None or metrics.source.kind != "replay") and nvml.nvml_available()
        ):
            mode = "nvml"
        elif metrics is None:
            return _none("no NVIDIA GPU here and no metric source to read GPU exporter series from")
        else:
            mode = "prometheus"
    if mode == "nvml":
        return _read_nvml(metrics)
    if metrics is None:
        return _none(
            "--gpu-source prometheus needs a metric source; pass --prometheus-url or --metrics-url"
        )
    return _from_metrics(metrics, names)
