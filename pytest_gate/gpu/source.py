"""The GPU snapshot: every GPU's memory headroom, from NVML or from the GPU exporter's metrics.

``--gpu-source auto`` reads NVML when this machine has NVIDIA GPUs, else the series of the GPU
exporter named by ``[metrics] gpu_exporter`` in the metric source (:mod:`pytest_gate.gpu.metrics`);
a value that cannot be read makes the answer no data or error; it is never replaced by 0. A live NVML reading is kept in the recording, so a
replayed gate sees the same GPUs.
"""

from __future__ import annotations

from dataclasses import asdict
from types import ModuleType

from pytest_gate.config.gpuexporters import GpuExporter
from pytest_gate.config.sourcechoice import gpu_source_problem
from pytest_gate.core.query import Answer, DataState, Labels, SeriesValue
from pytest_gate.gpu.memory import GpuMemory
from pytest_gate.gpu.metrics import read_exporter
from pytest_gate.sources.base import SourceConfigError, failed, succeeded
from pytest_gate.sources.snapshot import MetricSnapshot

NVML_QUERY = "NVML memory info: free / total per GPU"
NVML_LABEL_KEYS = ("instance", "gpu", "mig", "name")
RECORDING_KEY = "gpu_nvml"


class GpuSnapshot:
    """The GPUs seen by the session and their headroom answer."""

    def __init__(
        self,
        source: str,
        gpus: list[GpuMemory],
        answer: Answer,
        label_keys: tuple[str, ...] = NVML_LABEL_KEYS,
    ) -> None:
        self.source = source
        self.gpus = gpus
        self.label_keys = label_keys
        """The labels that name a GPU in messages (the exporter's own, or NVML's)."""
        self._answer = answer

    def headroom(self) -> Answer:
        """Free / total per GPU (the exporter's labels, e.g. ``gpu``, ``UUID``); or why not."""
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
        gpus, error = _nvml().read_gpus(), None
    except _nvml().NvmlUnavailable as unavailable:
        gpus, error = [], str(unavailable)
    if metrics is not None:
        metrics.record_extra(RECORDING_KEY, {"gpus": [asdict(g) for g in gpus], "error": error})
    return _from_reading(gpus, error)


def _from_metrics(metrics: MetricSnapshot, exporter: GpuExporter) -> GpuSnapshot:
    reading = read_exporter(metrics, exporter)
    answer = reading.answer
    if not reading.gpus and answer.state is DataState.NO_DATA:
        answer = answer.with_state(DataState.NO_DATA, f"{answer.message}; {NO_GPU_DATA_FIX}")
    return GpuSnapshot(metrics.source.kind, list(reading.gpus), answer, exporter.label_keys)


NO_GPU_DATA_FIX = (
    'a deployment without GPUs sets [deployment] gpus = "none" in gate.toml (the VRAM checks are '
    "then not applicable); otherwise export GPU memory with `gate-vram --serve`, or name your "
    "exporter in [metrics] gpu_exporter"
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
    return mode == "auto" and not _nvml().nvml_available()


def open_gpu_snapshot(
    mode: str, metrics: MetricSnapshot | None, exporter: GpuExporter
) -> GpuSnapshot:
    """Read the GPUs once per session by ``mode`` (``auto``, ``nvml``, ``prometheus``, ``none``)."""
    if (problem := gpu_source_problem(mode)) is not None:
        raise SourceConfigError(problem)
    if mode == "none":
        return _none("the GPU source is none (--gpu-source none)")
    if mode == "auto":
        replayed_nvml = metrics is not None and metrics.recorded_extra(RECORDING_KEY) is not None
        if replayed_nvml or (
            (metrics is None or metrics.source.kind != "replay") and _nvml().nvml_available()
        ):
            mode = "nvml"
        elif metrics is None:
            return _none(
                "no NVIDIA GPU here and no metric source to read GPU exporter series from; "
                + NO_GPU_DATA_FIX
            )
        else:
            mode = "prometheus"
    if mode == "nvml":
        return _read_nvml(metrics)
    if metrics is None:
        return _none(
            "--gpu-source prometheus needs a metric source; pass --prometheus-url or --metrics-url"
        )
    return _from_metrics(metrics, exporter)


def _nvml() -> ModuleType:
    """:mod:`pytest_gate.gpu.nvml` (and pynvml), imported only by a run that asks NVML."""
    from pytest_gate.gpu import nvml

    return nvml
