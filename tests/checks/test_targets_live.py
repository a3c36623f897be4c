"""A GPU exporter that dies while Prometheus scrapes it: the gate names its target, live.

Two real HTTP exporters serve ``gate-vram``-shaped GPU gauges and a real Prometheus scrapes both
as job ``gpu-exporter``. When one stops answering, Prometheus marks its target down and its GPU
series stale: the VRAM checks see only the other node's GPUs and pass, and the targets check
makes the gate NO-GO naming the dead target.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.checks.conftest import DEFAULT_CONFIG, GateRun, run_gate
from tests.support.prometheus_server import PrometheusServer

pytestmark = pytest.mark.prometheus
SELECTED = "scrape_targets_up and gpu-exporter or vram_headroom"
TOTAL_BYTES = 80e9


def exposition(node: str) -> bytes:
    """Two GPUs at 40% free, as ``gate-vram --serve`` exports them."""
    lines = []
    for name, value in (("total", TOTAL_BYTES), ("free", 0.4 * TOTAL_BYTES)):
        lines.append(f"# TYPE nvidia_gpu_memory_{name}_bytes gauge")
        for gpu in (0, 1):
            labels = f'gpu="{gpu}",uuid="GPU-{node}-{gpu}",name="NVIDIA A100 80GB"'
            lines.append(f"nvidia_gpu_memory_{name}_bytes{{{labels}}} {value}")
    lines.append("# TYPE nvidia_gpu_memory_used_bytes gauge")
    for gpu in (0, 1):
        labels = f'gpu="{gpu}",uuid="GPU-{node}-{gpu}",name="NVIDIA A100 80GB"'
        lines.append(f"nvidia_gpu_memory_used_bytes{{{labels}}} {0.6 * TOTAL_BYTES}")
    return ("\n".join(lines) + "\n").encode()


class _Exporter(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, node: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.body = exposition(node)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: _Exporter

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def exporters() -> Iterator[tuple[_Exporter, _Exporter]]:
    alive, dying = _Exporter("a"), _Exporter("b")
    yield alive, dying
    alive.stop()
    if dying.thread.is_alive():
        dying.stop()


def gate(url: str, tmp_path: Path, name: str) -> GateRun:
    """The shipped gate's GPU-exporter targets and VRAM checks against the live Prometheus."""
    args = ["--gate-config", str(DEFAULT_CONFIG), "--prometheus-url", url, "-k", SELECTED]
    return run_gate([*args, "--gpu-source", "prometheus"], tmp_path / f"{name}.json")


def test_exporter_that_dies_is_named_while_vram_passes_on_the_rest(
    exporters: tuple[_Exporter, _Exporter], tmp_path: Path
) -> None:
    """Both exporters up: GO. One stops answering: NO-GO naming its target, VRAM still passes."""
    alive, dying = exporters
    targets = {"gpu-exporter": [alive.address, dying.address]}
    with PrometheusServer.start(
        tmp_path / "prom", scrape_targets=targets, scrape_interval_seconds=0.2
    ) as prom:
        prom.wait_for('count(nvidia_gpu_memory_free_bytes{job="gpu-exporter"}) == 4')
        healthy = gate(prom.url, tmp_path, "healthy")
        assert (healthy.report["verdict"], healthy.exit_code) == ("GO", 0), healthy.output
        dying.stop()
        prom.wait_for(f'up{{job="gpu-exporter",instance="{dying.address}"}} == 0')
        prom.wait_for('count(nvidia_gpu_memory_free_bytes{job="gpu-exporter"}) == 2')
        broken = gate(prom.url, tmp_path, "broken")
    checks = broken.checks()
    assert (broken.report["verdict"], broken.exit_code) == ("NO-GO", 2), broken.output
    vram = checks["test_vram_headroom"]
    assert vram["outcome"] == "pass"
    assert {s["labels"]["instance"] for s in vram["series"]} == {alive.address}
    down = checks["test_scrape_targets_up[gpu-exporter]"]
    assert down["outcome"] == "fail"
    assert f"job=gpu-exporter,instance={dying.address}" in down["message"]
