"""A source without GPU series (a machine or deployment without GPUs) says how to fix it."""

from __future__ import annotations

import pytest

from pytest_gate.config.gpuexporters import PYTEST_GATE
from pytest_gate.core.query import DataState
from pytest_gate.gpu.source import NO_GPU_DATA_FIX, open_gpu_snapshot
from tests.sources.conftest import SnapshotFactory
from tests.support.prometheus_server import PrometheusServer

pytestmark = pytest.mark.prometheus


def test_no_gpu_series_points_at_gpus_none_and_gate_vram(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """No exporter series: no_data naming the metric, `gpus = "none"` and `gate-vram --serve`."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="ratio")
    headroom = open_gpu_snapshot("prometheus", metrics, PYTEST_GATE).headroom()
    assert headroom.state is DataState.NO_DATA
    assert "nvidia_gpu_memory_total_bytes" in headroom.message
    assert headroom.message.endswith(NO_GPU_DATA_FIX)
    assert 'gpus = "none"' in NO_GPU_DATA_FIX
    assert "gate-vram --serve" in NO_GPU_DATA_FIX


def test_gpus_that_are_there_carry_no_hint(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """With exporter series the answer is the headroom, without the GPU-less hint."""
    metrics = open_source(prometheus_url=prometheus.url, scenario="gpu")
    headroom = open_gpu_snapshot("prometheus", metrics, PYTEST_GATE).headroom()
    assert headroom.state is DataState.OK, headroom.message
    assert NO_GPU_DATA_FIX not in headroom.message
