"""The benchmark harness works: measuring children, the floor, the delay proxy, the CLI end to end.

These check that ``python -m bench`` can produce numbers, not what the numbers are (no timed
assertions: speed is measured by the benchmarks themselves).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.floor import main as floor_main
from bench.instancedata import write_openmetrics
from bench.measure import run_child
from bench.proxy import delay_proxy

ROOT = Path(__file__).resolve().parents[2]
MIB = 2**20
SUCCESS = b'{"status":"success","data":{"resultType":"vector","result":[]}}'


class _Recorder(BaseHTTPRequestHandler):
    server: _Upstream
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        with self.server.lock:
            self.server.paths.append((self.path, self.rfile.read(length).decode()))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(SUCCESS)))
        self.end_headers()
        self.wfile.write(SUCCESS)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Upstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.paths: list[tuple[str, str]] = []
        self.lock = threading.Lock()


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    server = _Upstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_run_child_reports_the_exit_code() -> None:
    """A measured child's exit code comes back unchanged."""
    run = run_child([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert run.exit_code == 3


def test_run_child_reports_the_childs_own_peak_memory() -> None:
    """Peak RSS is the child's, not inherited from this (larger) process."""
    ballast = bytearray(256 * MIB)
    small = run_child([sys.executable, "-c", "pass"])
    big = run_child(
        [sys.executable, "-c", "b = bytearray(128 * 2**20); b[::4096] = b'x' * len(b[::4096])"]
    )
    assert small.peak_rss_bytes < 64 * MIB < 128 * MIB <= big.peak_rss_bytes < len(ballast)


def test_floor_sends_every_request_of_its_plan(upstream: _Upstream, tmp_path: Path) -> None:
    """The floor process posts each planned form to its path and exits 0 on success answers."""
    url = f"http://127.0.0.1:{upstream.server_address[1]}"
    wanted = [
        {"path": "/api/v1/query", "form": {"query": f'up{{i="{i}"}}', "time": "1"}}
        for i in range(7)
    ]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"url": url, "requests": wanted}))
    assert floor_main(["floor", str(plan)]) == 0
    assert len(upstream.paths) == len(wanted)


def test_delay_proxy_forwards_and_counts_requests(upstream: _Upstream) -> None:
    """Requests through the delay proxy reach the server intact and are counted."""
    port = upstream.server_address[1]
    with delay_proxy(("127.0.0.1", port), 0.01, 0.01) as proxy:
        with requests.Session() as session:
            answers = [
                session.post(proxy.url + "/api/v1/query", data={"query": "up"}, timeout=10)
                for _ in range(3)
            ]
        assert [a.content for a in answers] == [SUCCESS] * 3
        assert proxy.counter.take() == (3, 1)


@pytest.mark.prometheus
def test_bench_command_writes_a_results_file(tmp_path: Path) -> None:
    """``python -m bench --quick --only replay`` measures and writes its section."""
    output = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "replay", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = output.read_text()
    assert "## 4. Replay" in text
    assert "| replay of a recording |" in text


def test_instance_data_gives_every_added_instance_the_full_serving_series(tmp_path: Path) -> None:
    """Each added instance has every §6 serving series: 48 counter and histogram series (3 HTTP,
    6 brief, 3 repair, 30 latency histogram, 6 cache), 9 model gauges and its ``up``."""
    path = tmp_path / "data.om"
    write_openmetrics(path, (3,))
    lines = path.read_text().splitlines()
    assert lines[-1] == "# EOF"
    series = {line.rsplit(" ", 2)[0] for line in lines if 'instance="serving-2:8000"' in line}
    gauges = [s for s in series if s.startswith(("llm_model_", "up{"))]
    assert (len(series) - len(gauges), len(gauges)) == (48, 9 + 1)


@pytest.mark.prometheus
def test_instances_bench_decides_go_at_two_instances(tmp_path: Path) -> None:
    """``python -m bench --quick --only instances --instances 1,2`` backfills, decides GO, and
    writes its table."""
    output = tmp_path / "RESULTS.md"
    sizes = ["--only", "instances", "--instances", "1,2"]
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", *sizes, "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = output.read_text()
    assert "## 2b. Scale: serving instances" in text
    assert "| 2 instances |" in text
