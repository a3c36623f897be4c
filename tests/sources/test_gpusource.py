"""The GPU snapshot from GPU exporter series in Prometheus, and from NVML (faked at pynvml)."""

from __future__ import annotations

from pathlib import Path

import pynvml
import pytest

from pytest_gate.config.gpuexporters import PYTEST_GATE
from pytest_gate.core.query import DataState
from pytest_gate.gpu.nvml import nvml_available
from pytest_gate.gpu.source import needs_metrics, open_gpu_snapshot
from pytest_gate.sources.recorder import answer_json
from pytest_gate.sources.snapshot import SourceConfigError
from tests.sources import dataset
from tests.sources.conftest import FaultServer, SnapshotFactory
from tests.support.fake_pynvml import FakeDevice, FakeNvml, gib, install
from tests.support.prometheus_server import PrometheusServer, free_port

NAMES = PYTEST_GATE
EXPECTED_HEADROOM = {
    str(i): b / dataset.GPU_TOTAL_BYTES for i, b in enumerate(dataset.GPU_FREE_BYTES)
}


def four_gpus() -> FakeNvml:
    """Four 80 GiB GPUs; only the third has little free memory."""
    return FakeNvml(
        [FakeDevice.whole(total_bytes=gib(80), free_bytes=gib(f)) for f in (40, 40, 4, 40)]
    )


def no_nvml() -> FakeNvml:
    """NVML as on a machine without a driver."""
    return FakeNvml([], init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)


@pytest.mark.prometheus
def test_exporter_series_give_every_gpu_headroom(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Four GPUs from exporter series: each one's free/total, the low third one included."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="gpu")
    headroom = open_gpu_snapshot("prometheus", metrics, NAMES).headroom()
    assert {s.label_map["gpu"]: s.value for s in headroom.series} == EXPECTED_HEADROOM


@pytest.mark.prometheus
def test_exporter_series_keep_gpu_uuid_and_name(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Each headroom series carries the GPU's index, uuid and name labels."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="gpu")
    headroom = open_gpu_snapshot("prometheus", metrics, NAMES).headroom()
    assert (
        headroom.series[2].describe(("gpu", "uuid", "name")) == "gpu=2,uuid=GPU-2,name=NVIDIA H100"
    )


@pytest.mark.prometheus
def test_exporter_series_fill_the_gpu_list(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """The snapshot's GPU list has every GPU with its total and free bytes."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="gpu")
    gpus = open_gpu_snapshot("prometheus", metrics, NAMES).gpus
    assert [(g.index, g.total_bytes, g.free_bytes) for g in gpus] == [
        (i, dataset.GPU_TOTAL_BYTES, free) for i, free in enumerate(dataset.GPU_FREE_BYTES)
    ]


@pytest.mark.prometheus
def test_gpu_without_free_series_is_no_data_naming_it(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A GPU whose free series is missing makes the answer no data naming that GPU, never 0."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="gpu_partial")
    headroom = open_gpu_snapshot("prometheus", metrics, NAMES).headroom()
    assert (headroom.state, "gpu=1" in headroom.message) == (DataState.NO_DATA, True)


@pytest.mark.prometheus
def test_free_is_computed_from_used_when_the_exporter_lacks_it(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """With total and used but no free series, free is total - used, and a note says so."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="gpu_used_only")
    headroom = open_gpu_snapshot("prometheus", metrics, NAMES).headroom()
    assert {s.label_map["gpu"]: s.value for s in headroom.series} == EXPECTED_HEADROOM
    assert any("total - used" in note for note in headroom.notes)


@pytest.mark.prometheus
def test_no_exporter_series_is_no_data(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A source without GPU series gives no data for headroom, naming the metric."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="up")
    headroom = open_gpu_snapshot("prometheus", metrics, NAMES).headroom()
    assert (headroom.state, NAMES.total in headroom.message) == (DataState.NO_DATA, True)


def test_unreachable_source_is_an_error(open_source: SnapshotFactory) -> None:
    """If the metric source cannot be reached, the GPU headroom is an error."""
    metrics = open_source(prometheus_url=f"http://127.0.0.1:{free_port()}")
    headroom = open_gpu_snapshot("prometheus", metrics, NAMES).headroom()
    assert headroom.state is DataState.ERROR


@pytest.mark.prometheus
def test_auto_without_nvml_reads_the_exporter(
    prometheus: PrometheusServer, open_source: SnapshotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``auto`` on a machine without NVML uses the metric source's exporter series."""
    install(monkeypatch, no_nvml())
    metrics = open_source(prometheus_url=prometheus.url, scenario="gpu")
    gpus = open_gpu_snapshot("auto", metrics, NAMES)
    assert (gpus.source, len(gpus.headroom().series)) == ("prometheus", 4)


def test_auto_with_nvml_reads_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    """``auto`` on a machine with GPUs reads NVML: four GPUs, the third low."""
    install(monkeypatch, four_gpus())
    gpus = open_gpu_snapshot("auto", None, NAMES)
    values = {s.label_map["gpu"]: s.value for s in gpus.headroom().series}
    assert (gpus.source, values) == ("nvml", {"0": 0.5, "1": 0.5, "2": 0.05, "3": 0.5})


def test_nvml_failure_is_an_error_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """An NVML error (driver not loaded) is an error answer carrying NVML's cause and hint."""
    install(monkeypatch, FakeNvml([], init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED))
    headroom = open_gpu_snapshot("nvml", None, NAMES).headroom()
    assert (headroom.state, "modprobe nvidia" in headroom.message) == (DataState.ERROR, True)


def test_nvml_with_no_devices_is_no_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """NVML working but listing no GPU is no data, not a pass."""
    install(monkeypatch, FakeNvml([]))
    assert open_gpu_snapshot("nvml", None, NAMES).headroom().state is DataState.NO_DATA


def test_source_none_is_no_data() -> None:
    """``--gpu-source none`` gives no data (the config marks GPU checks not applicable)."""
    gpus = open_gpu_snapshot("none", None, NAMES)
    assert (gpus.source, gpus.headroom().state) == ("none", DataState.NO_DATA)


def test_unknown_mode_is_refused() -> None:
    """An unknown GPU source mode is refused with the valid choices."""
    with pytest.raises(SourceConfigError, match="not one of auto, nvml, prometheus, none"):
        open_gpu_snapshot("dcgm", None, NAMES)


@pytest.mark.parametrize(
    ("mode", "has_nvml", "record_or_replay", "needed"),
    [
        ("prometheus", True, False, True),
        ("auto", False, False, True),
        ("auto", True, False, False),
        ("auto", True, True, True),
        ("nvml", True, False, False),
        ("nvml", True, True, True),
        ("none", False, True, False),
    ],
)
def test_metric_snapshot_is_needed_for_exporter_series_or_a_recording(
    monkeypatch: pytest.MonkeyPatch, mode: str, has_nvml: bool, record_or_replay: bool, needed: bool
) -> None:
    """Exporter series need the metric snapshot; so does NVML when it is recorded or replayed."""
    install(monkeypatch, four_gpus() if has_nvml else no_nvml())
    assert needs_metrics(mode, record_or_replay=record_or_replay) is needed


def test_nvml_reading_is_recorded_and_replayed(
    fault_server: FaultServer,
    open_source: SnapshotFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A replay sees the recorded NVML reading, without asking this machine's NVML."""
    path = tmp_path / "recording.json"
    install(monkeypatch, four_gpus())
    live = open_source(prometheus_url=f"{fault_server.url}/ok/gpu", record_path=path)
    recorded = answer_json(open_gpu_snapshot("auto", live, NAMES).headroom())
    live.close()
    install(monkeypatch, no_nvml())
    replay = open_source(replay_path=path)
    assert answer_json(open_gpu_snapshot("auto", replay, NAMES).headroom()) == recorded


@pytest.mark.gpu
@pytest.mark.skipif(not nvml_available(), reason="needs an NVIDIA GPU and driver")
def test_real_nvml_gives_a_headroom_per_gpu() -> None:
    """On a GPU machine, ``auto`` reads the real NVML: one finite headroom per device."""
    gpus = open_gpu_snapshot("auto", None, NAMES)
    headroom = gpus.headroom()
    assert (gpus.source, headroom.state) == ("nvml", DataState.OK)
    assert len(headroom.series) == len(gpus.gpus) >= 1
    assert all(0.0 <= s.value <= 1.0 for s in headroom.series)
