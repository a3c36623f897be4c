"""A real Prometheus scrapes two ``gate-vram --serve`` processes: one healthy, one without NVML."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pynvml
import pytest

from tests.support.fake_pynvml import FakeDevice, FakeNvml, gib
from tests.support.prometheus_server import PrometheusServer
from tests.vram.process import REPO_ROOT, child_env, command, read_line

pytestmark = pytest.mark.prometheus

FOUR_GPUS_THIRD_LOW = FakeNvml([FakeDevice.whole(gib(80), gib(free)) for free in (40, 38, 8, 41)])
NO_DRIVER = FakeNvml([], init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED)


def _start_exporter(workdir: Path, name: str, fake: FakeNvml) -> tuple[subprocess.Popen[str], str]:
    spec = workdir / f"{name}.json"
    spec.write_text(fake.to_json())
    proc = subprocess.Popen(
        command(spec, ("--serve", "127.0.0.1:0")),
        cwd=REPO_ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    address = read_line(proc).split("http://")[1].split("/")[0]
    return proc, address


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """Prometheus scraping job ``vram`` (four GPUs) and ``vram-broken`` (no driver) every 1 s."""
    workdir = tmp_path_factory.mktemp("vram-prometheus")
    exporters = [
        _start_exporter(workdir, "vram", FOUR_GPUS_THIRD_LOW),
        _start_exporter(workdir, "broken", NO_DRIVER),
    ]
    try:
        targets = {"vram": [exporters[0][1]], "vram-broken": [exporters[1][1]]}
        with PrometheusServer.start(workdir, scrape_targets=targets) as server:
            yield server
    finally:
        for proc, _ in exporters:
            proc.terminate()
            proc.communicate(timeout=30)


def test_prometheus_stores_free_bytes_for_every_gpu(prometheus: PrometheusServer) -> None:
    """All four GPUs arrive as series with gpu, uuid and name labels."""
    result = prometheus.wait_for('count(nvidia_gpu_memory_free_bytes{job="vram"}) == 4')
    assert float(result[0]["value"][1]) == 4
    series = prometheus.query('nvidia_gpu_memory_free_bytes{job="vram",gpu="2"}')
    assert float(series[0]["value"][1]) == gib(8)
    assert series[0]["metric"]["uuid"].startswith("GPU-")


def test_threshold_gauge_finds_the_short_gpu_in_promql(prometheus: PrometheusServer) -> None:
    """headroom < threshold (both exported) selects exactly GPU 2."""
    result = prometheus.wait_for(
        'nvidia_gpu_memory_headroom_ratio{job="vram"}'
        " < on(instance) group_left() nvidia_gpu_headroom_threshold_ratio"
    )
    assert [series["metric"]["gpu"] for series in result] == ["2"]


def test_exporter_without_nvml_is_up_but_reports_collection_down(
    prometheus: PrometheusServer,
) -> None:
    """The target answers (up 1) with nvidia_gpu_exporter_up 0 and its error counted."""
    prometheus.wait_for(
        'nvidia_gpu_exporter_errors_total{job="vram-broken",reason="driver_not_loaded"} >= 1'
    )
    assert prometheus.query('up{job="vram-broken"}')[0]["value"][1] == "1"
    assert prometheus.query('nvidia_gpu_exporter_up{job="vram-broken"}')[0]["value"][1] == "0"


def test_exporter_without_nvml_invents_no_memory_series(prometheus: PrometheusServer) -> None:
    """No GPU memory series from the broken exporter, not even zeros."""
    prometheus.wait_for('nvidia_gpu_exporter_up{job="vram-broken"}')
    assert prometheus.query('{job="vram-broken",__name__=~"nvidia_gpu_memory_.*"}') == []
