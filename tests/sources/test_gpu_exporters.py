"""GPU headroom from real exporters' series: dcgm-exporter and nvidia_gpu_exporter presets.

The backfilled series are shaped like each exporter's real output (names, labels and units from
their own sources; ``tests/support/exporter_shapes.py`` cites the files): two H100s each, one healthy and
one below the 20% line.
"""

from __future__ import annotations

import pytest

from pytest_gate.config.gpuexporters import DCGM, NVIDIA_SMI, PYTEST_GATE, custom
from pytest_gate.core.query import DataState
from pytest_gate.gpu.source import open_gpu_snapshot
from tests.sources import dataset
from tests.sources.conftest import SnapshotFactory
from tests.support.exporter_shapes import MIB
from tests.support.prometheus_server import PrometheusServer

pytestmark = pytest.mark.prometheus


def test_dcgm_headroom_is_free_over_free_used_and_reserved(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Each GPU's headroom is FB_FREE / (FB_FREE + FB_USED + FB_RESERVED), keyed by its UUID."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="dcgm")
    headroom = open_gpu_snapshot("prometheus", metrics, DCGM).headroom()
    assert headroom.state is DataState.OK, headroom.message
    assert {s.label_map["UUID"]: s.value for s in headroom.series} == {
        g.uuid: pytest.approx(g.headroom_ratio) for g in dataset.DCGM_GPUS
    }
    assert [round(s.value, 3) for s in headroom.series] == [0.743, 0.103]


def test_dcgm_series_keep_the_exporters_identifying_labels(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """The report's series carry Hostname, instance, gpu, UUID and modelName as DCGM wrote them."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="dcgm")
    gpus = open_gpu_snapshot("prometheus", metrics, DCGM)
    failing = gpus.headroom().series[1]
    assert failing.describe(gpus.label_keys) == (
        "Hostname=gpu-node-1,instance=gpu-node-1:9400,gpu=1,"
        "UUID=GPU-2a5f9c0e-7d41-4b8e-9f3a-0c6d2e8b1f47,modelName=NVIDIA H100 80GB HBM3"
    )


def test_dcgm_mib_become_bytes(prometheus: PrometheusServer, open_source: SnapshotFactory) -> None:
    """The GPU list holds bytes (MiB x 1048576) and the UUID and model of each GPU."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="dcgm")
    gpus = open_gpu_snapshot("prometheus", metrics, DCGM).gpus
    assert [(g.index, g.uuid, g.name, g.total_bytes, g.free_bytes) for g in gpus] == [
        (g.index, g.uuid, "NVIDIA H100 80GB HBM3", g.total_mib * MIB, g.free_mib * MIB)
        for g in dataset.DCGM_GPUS
    ]


def test_dcgm_without_reserved_is_no_data_with_the_fix(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """An older dcgm-exporter without FB_RESERVED is no_data naming the counter to enable,
    never a total that leaves the reserved memory out."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="dcgm_old")
    headroom = open_gpu_snapshot("prometheus", metrics, DCGM).headroom()
    assert headroom.state is DataState.NO_DATA
    assert "GPU reserved memory (DCGM_FI_DEV_FB_RESERVED)" in headroom.message
    assert "4.3.1-4.4.0" in headroom.message and "counters CSV" in headroom.message


@pytest.mark.parametrize(
    "exporter",
    [PYTEST_GATE, custom("DCGM_FI_DEV_FB_TOTAL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE")],
    ids=["default-names", "mapped-names"],
)
def test_dcgm_data_read_by_name_mapping_is_never_a_pass(
    prometheus: PrometheusServer, open_source: SnapshotFactory, exporter: object
) -> None:
    """Why the preset exists: without it, DCGM data has no total gauge to map, so no data."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="dcgm")
    headroom = open_gpu_snapshot("prometheus", metrics, exporter).headroom()  # type: ignore[arg-type]
    assert headroom.state is DataState.NO_DATA


def test_nvidia_smi_headroom_is_free_over_total_per_uuid(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """nvidia_smi_memory_free_bytes / _total_bytes per uuid: the capture's GPU and a full one."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="smi")
    headroom = open_gpu_snapshot("prometheus", metrics, NVIDIA_SMI).headroom()
    assert {s.label_map["uuid"]: s.value for s in headroom.series} == {
        g.uuid: pytest.approx(g.headroom_ratio) for g in dataset.SMI_GPUS
    }
    assert [round(s.value, 3) for s in headroom.series] == [0.751, 0.075]


def test_nvidia_smi_gpus_are_named_from_gpu_info(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """The memory series have only uuid; name and index come from nvidia_smi_gpu_info."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="smi")
    gpus = open_gpu_snapshot("prometheus", metrics, NVIDIA_SMI)
    assert gpus.headroom().series[1].describe(gpus.label_keys) == (
        "instance=gpu-node-2:9835,index=1,uuid=9d7c6b5a-4e3f-4a2b-9c8d-7e6f5a4b3c2d,"
        "name=NVIDIA H100 80GB HBM3"
    )
    assert [(g.index, g.name) for g in gpus.gpus] == [
        (0, "NVIDIA H100 80GB HBM3"),
        (1, "NVIDIA H100 80GB HBM3"),
    ]


def test_nvidia_smi_without_gpu_info_still_decides_by_uuid(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Without the info metric the headroom is the same, the GPUs named by uuid, and a note says so."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="smi_no_info")
    headroom = open_gpu_snapshot("prometheus", metrics, NVIDIA_SMI).headroom()
    assert [round(s.value, 3) for s in headroom.series] == [0.751, 0.075]
    assert any("nvidia_smi_gpu_info missing" in note for note in headroom.notes)
