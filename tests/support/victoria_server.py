"""A real VictoriaMetrics (single-node, Debian ``victoria-metrics``) on loopback, for tests.

Usage::

    with VictoriaMetrics.start(tmp_path, openmetrics=om) as vm:
        requests.get(vm.url + "/api/v1/query", params={"query": "up"})

Facts that shaped this module (measured on VictoriaMetrics 1.79, Debian):
- Samples are imported through ``/api/v1/import/prometheus`` (text format, timestamps in ms); a
  retention long enough for the test's fixed instant must be set, or old samples are dropped.
- Imported samples become searchable after ``/internal/force_flush``; the harness then waits for
  the fact (every imported series is found), not for a time.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.prometheus_server import OpenMetrics, free_port, stop_process, wait_ready

VICTORIA_BIN = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
READY_TIMEOUT_SECONDS = 30.0
IMPORT_PATH = "/api/v1/import/prometheus"


def available() -> bool:
    """True when the VictoriaMetrics binary is installed."""
    return Path(VICTORIA_BIN).is_file()


def import_lines(om: OpenMetrics) -> str:
    """The samples of ``om`` as Prometheus text lines with millisecond timestamps."""
    lines = [
        f"{line} {round(ts * 1000)}"
        for family in sorted(om.samples)
        for ts, line in sorted(om.samples[family], key=lambda item: item[0])
    ]
    return "\n".join(lines) + "\n"


def _series_count(url: str) -> int:
    body = requests.get(
        url + "/api/v1/series/count", timeout=5
    ).json()  # counts every series in the index
    data = body.get("data") if isinstance(body, dict) else None
    return int(data[0]) if isinstance(data, list) and data else 0


@dataclass
class VictoriaMetrics:
    """A running VictoriaMetrics process; use :meth:`start` as a context manager."""

    url: str
    proc: subprocess.Popen[bytes]

    @classmethod
    @contextmanager
    def start(cls, workdir: Path, *, openmetrics: OpenMetrics) -> Iterator[VictoriaMetrics]:
        """Start VictoriaMetrics on a free loopback port and import ``openmetrics`` into it."""
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        log = workdir / "victoria-metrics.log"
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                [
                    VICTORIA_BIN,
                    f"-storageDataPath={workdir / 'data'}",
                    f"-httpListenAddr=127.0.0.1:{port}",
                    "-retentionPeriod=100y",
                    "-search.disableCache",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        server = cls(url=f"http://127.0.0.1:{port}", proc=proc)
        try:
            wait_ready(server.url + "/health", proc, log)
            server._import(openmetrics)
            yield server
        finally:
            stop_process(proc)

    def _import(self, om: OpenMetrics) -> None:
        text = import_lines(om)
        expected = len({line.rsplit(" ", 2)[0] for line in text.splitlines()})
        response = requests.post(self.url + IMPORT_PATH, data=text.encode(), timeout=60)
        response.raise_for_status()
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            requests.get(self.url + "/internal/force_flush", timeout=10)
            if _series_count(self.url) >= expected:
                return
            time.sleep(0.2)
        raise RuntimeError(f"victoria-metrics did not index {expected} series")
