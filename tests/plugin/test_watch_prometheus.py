"""--gate-watch against a real Prometheus fed live by a loopback exporter the test controls.

The exporter's value is changed between rounds; each change waits for the fact that Prometheus
holds the new value, so which rounds can see it is known: the first round started after the change
is the first that may be bad, and the watch must stop ``limit - 1`` rounds after the first bad
one, without running the rest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_gate.watch.policy import FAILURE_LIMIT_REASON
from tests.plugin.suite import load_strict
from tests.support.prometheus_server import PrometheusServer

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

CHECK = '''
import pytest

from pytest_gate.core.query import Gauge, Selector


@pytest.mark.critical
def test_watched_value(gate, metrics) -> None:
    """Watched value"""
    gate.expect(metrics.ask(Gauge(Selector("watched_value"))), "<=", 1.0, what="value", unit="")
'''


class Exporter:
    """A /metrics endpoint serving one gauge whose value the test sets."""

    def __init__(self) -> None:
        self.value = 0.0
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = f"# TYPE watched_value gauge\nwatched_value {exporter.value}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    served = Exporter()
    yield served
    served.server.shutdown()
    served.server.server_close()


def wait_for(fact, what: str, timeout_seconds: float = 120.0):  # type: ignore[no-untyped-def]
    """Poll until ``fact()`` is truthy (facts, not time: the bound only ends a broken run)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        value = fact()
        if value:
            return value
        threading.Event().wait(0.05)
    raise AssertionError(f"{what} not seen within {timeout_seconds} s")


def rounds_done(report: Path) -> int:
    try:
        return len(json.loads(report.read_text())["watch"]["rounds"])
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.parametrize("limit", [1, 2])
def test_breach_in_a_later_round_stops_the_watch_at_the_limit(
    gate_suite: Path,
    pytester: pytest.Pytester,
    exporter: Exporter,
    tmp_path: Path,
    limit: int,
) -> None:
    """Healthy rounds, then a breach that stays: NO-GO at first bad round + limit - 1."""
    (gate_suite / "test_watched.py").write_text(CHECK)
    with PrometheusServer.start(
        tmp_path / "prom", scrape_targets={"app": [exporter.address]}, scrape_interval_seconds=0.2
    ) as prom:
        prom.wait_for("watched_value == 0")
        report = pytester.path / "r.json"
        command = [
            sys.executable, "-m", "pytest", "gate_checks", "--prometheus-url", prom.url,
            "--gate-watch", "600", "--gate-interval", "0.5", "--gate-failure-limit", str(limit),
            "--gate-report", str(report),
        ]  # fmt: skip
        proc = subprocess.Popen(command, cwd=pytester.path, stdout=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: rounds_done(report) >= 2, "two healthy rounds")
            exporter.value = 5.0
            prom.wait_for("watched_value == 5")
            changed_after = rounds_done(
                report
            )  # rounds that may have started before Prometheus had it
            output, _ = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
    final = load_strict(report)
    verdicts = [r["verdict"] for r in final["watch"]["rounds"]]
    first_bad = verdicts.index("NO-GO")
    assert proc.returncode == 2, output
    assert (final["verdict"], final["reason"]) == ("NO-GO", FAILURE_LIMIT_REASON)
    assert verdicts[:2] == ["GO", "GO"]
    assert first_bad <= changed_after + 1  # seen by the first round after Prometheus had it
    assert verdicts[first_bad:] == ["NO-GO"] * limit  # stopped at the limit, nothing after
    assert final["watch"]["stopped_early"] is True
    failing = final["watch"]["rounds"][-1]["failing"]
    assert [(f["title"], f["value"]) for f in failing] == [("Watched value", 5.0)]
