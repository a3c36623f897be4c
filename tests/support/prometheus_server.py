"""A real Prometheus server on loopback for tests, with backfilled or scraped data.

Usage::

    om = OpenMetrics()
    om.sample("http_requests_total", {"status": "200"}, value=10, ts=now - 60)
    with PrometheusServer.start(tmp_path, openmetrics=om) as prom:
        requests.get(prom.url + "/api/v1/query", params={"query": "up"})

Facts that shaped this module (measured on Prometheus 2.42, Debian):
- OpenMetrics timestamps are seconds; the file must end with ``# EOF``; samples of one series must be
  in time order (out-of-order samples are dropped silently), so :class:`OpenMetrics` sorts them.
- ``promtool tsdb create-blocks-from openmetrics`` runs before the server starts, in a fresh data dir.
- A scrape target is first scraped only after the first scrape interval.
"""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

PROMETHEUS_BIN = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL_BIN = shutil.which("promtool") or "/usr/bin/promtool"
PUSHGATEWAY_BIN = shutil.which("prometheus-pushgateway") or "/usr/bin/prometheus-pushgateway"
READY_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _format_labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    body = ",".join(
        '{}="{}"'.format(k, v.replace("\\", "\\\\").replace('"', '\\"'))
        for k, v in sorted(labels.items())
    )
    return "{" + body + "}"


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


@dataclass
class OpenMetrics:
    """Builds an OpenMetrics text file for ``promtool tsdb create-blocks-from openmetrics``."""

    types: dict[str, str] = field(default_factory=dict)
    samples: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    def sample(
        self, name: str, labels: Mapping[str, str], value: float, ts: float, kind: str = "gauge"
    ) -> None:
        """Add one sample of ``name{labels}`` at unix time ``ts`` (seconds)."""
        family = name
        for suffix in ("_total", "_bucket", "_count", "_sum"):
            if kind in ("counter", "histogram") and name.endswith(suffix):
                family = name[: -len(suffix)]
        self.types.setdefault(family, kind)
        line = f"{name}{_format_labels(labels)} {_format_value(value)}"
        self.samples.setdefault(family, []).append((float(ts), line))

    def series(
        self,
        name: str,
        labels: Mapping[str, str],
        points: Sequence[tuple[float, float]],
        kind: str = "gauge",
    ) -> None:
        """Add a whole series as ``(ts, value)`` points."""
        for ts, value in points:
            self.sample(name, labels, value, ts, kind)

    def text(self) -> str:
        """Render the file, sorted by family, then by time (promtool needs time order)."""
        lines: list[str] = []
        for family in sorted(self.samples):
            kind = self.types[family]
            lines.append(f"# TYPE {family} {kind}")
            for ts, line in sorted(self.samples[family], key=lambda item: item[0]):
                lines.append(f"{line} {ts:.3f}")
        lines.append("# EOF")
        return "\n".join(lines) + "\n"


def wait_ready(
    url: str,
    proc: subprocess.Popen[bytes],
    log: Path,
    session: requests.Session | None = None,
) -> None:
    """Poll ``url`` until it answers 200; fail with the log tail if the process exits first.

    ``session`` asks through it (e.g. one that trusts a test CA); default plain ``requests``.
    """
    get = requests.get if session is None else session.get
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} not ready after {READY_TIMEOUT_SECONDS}s")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc``, then kill it if it does not exit within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class PrometheusServer:
    """A running Prometheus process; use :meth:`start` as a context manager."""

    url: str
    data_dir: Path
    proc: subprocess.Popen[bytes]

    @classmethod
    @contextmanager
    def start(
        cls,
        workdir: Path,
        *,
        openmetrics: OpenMetrics | str | None = None,
        scrape_targets: Mapping[str, Sequence[str]] | None = None,
        rule_files: Sequence[Path] = (),
        scrape_interval_seconds: float = 1.0,
        extra_scrape_configs: Sequence[Mapping[str, Any]] = (),
    ) -> Iterator[PrometheusServer]:
        """Backfill ``openmetrics`` (if any), then start Prometheus scraping ``scrape_targets``.

        ``scrape_targets`` maps a job name to ``host:port`` targets.
        """
        workdir.mkdir(parents=True, exist_ok=True)
        data_dir = workdir / "data"
        data_dir.mkdir(exist_ok=True)
        if openmetrics is not None:
            text = openmetrics.text() if isinstance(openmetrics, OpenMetrics) else openmetrics
            backfill(text, data_dir, workdir)
        config: dict[str, Any] = {
            "global": {
                "scrape_interval": f"{round(scrape_interval_seconds * 1000)}ms",
                "evaluation_interval": f"{round(scrape_interval_seconds * 1000)}ms",
            },
            "rule_files": [str(p) for p in rule_files],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": list(targets)}]}
                for job, targets in (scrape_targets or {}).items()
            ]
            + [dict(c) for c in extra_scrape_configs],
        }
        config_path = workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config))
        port = free_port()
        log = workdir / "prometheus.log"
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                [
                    PROMETHEUS_BIN,
                    f"--config.file={config_path}",
                    f"--storage.tsdb.path={data_dir}",
                    "--storage.tsdb.retention.time=3650d",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--web.enable-lifecycle",
                    "--web.enable-admin-api",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        server = cls(url=f"http://127.0.0.1:{port}", data_dir=data_dir, proc=proc)
        try:
            wait_ready(server.url + "/-/ready", proc, log)
            yield server
        finally:
            stop_process(proc)

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """Run an instant query and return ``data.result`` (raises on an error status)."""
        params: dict[str, str] = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        body = requests.get(self.url + "/api/v1/query", params=params, timeout=10).json()
        if body.get("status") != "success":
            raise RuntimeError(f"query {promql!r} failed: {body}")
        return list(body["data"]["result"])

    def wait_for(self, promql: str, timeout_seconds: float = 30.0) -> list[dict[str, Any]]:
        """Poll until ``promql`` returns at least one series (for live scrapes)."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            result = self.query(promql)
            if result:
                return result
            time.sleep(0.2)
        raise AssertionError(f"{promql!r} returned nothing within {timeout_seconds}s")


def backfill(text: str, data_dir: Path, workdir: Path) -> None:
    """Write ``text`` as TSDB blocks into ``data_dir`` with promtool (before the server starts)."""
    source = workdir / "backfill.om"
    source.write_text(text)
    result = subprocess.run(
        [PROMTOOL_BIN, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"promtool backfill failed: {result.stdout}{result.stderr}")


@dataclass
class Pushgateway:
    """A running Pushgateway process; use :meth:`start` as a context manager."""

    url: str
    address: str

    @classmethod
    @contextmanager
    def start(cls, workdir: Path) -> Iterator[Pushgateway]:
        """Start ``prometheus-pushgateway`` on a free loopback port."""
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        address = f"127.0.0.1:{port}"
        log = workdir / "pushgateway.log"
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                [PUSHGATEWAY_BIN, f"--web.listen-address={address}"],
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_ready(f"http://{address}/-/ready", proc, log)
            yield cls(url=f"http://{address}", address=address)
        finally:
            stop_process(proc)
