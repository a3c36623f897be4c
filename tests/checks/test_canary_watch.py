"""Canary comparisons under ``--gate-watch`` against a real Prometheus scraping a live exporter.

The exporter serves ``http_requests_total`` for a canary (revision v2) and a baseline (v1). The
test starts every counter at 0, waits until Prometheus holds that, adds a first batch of requests,
and starts ``pytest gate_checks -m canary --gate-watch ...``; after each round it adds one more
batch and waits until Prometheus holds it, so the e-process sees new, disjoint counts round by
round. Every wait is for a fact (a round in the report, a value in Prometheus), never for time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.checks.canary_data import BASELINE_ARGS, BASELINE_REVISION, CANARY_ARGS, CANARY_REVISION
from tests.checks.conftest import DEFAULT_CONFIG, GATE_DIR, ROOT, gate_env
from tests.support.prometheus_server import PrometheusServer

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

CHECK = "test_canary_5xx_rate"
ALPHA = 0.01
WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Batch:
    """Requests and 5xx added to each side between two rounds."""

    canary_requests: int
    canary_errors: int
    baseline_requests: int
    baseline_errors: int


class Exporter:
    """A /metrics endpoint serving both sides' request counters, which the test increments."""

    def __init__(self) -> None:
        self.counts = {(rev, status): 0 for rev in (CANARY_REVISION, BASELINE_REVISION)
                       for status in ("200", "500")}  # fmt: skip
        self.lock = threading.Lock()
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exporter.exposition().encode()
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

    def exposition(self) -> str:
        with self.lock:
            lines = ["# TYPE http_requests_total counter"]
            lines += [
                f'http_requests_total{{handler="/v1/brief",revision="{rev}",status="{status}"}} '
                f"{value}"
                for (rev, status), value in sorted(self.counts.items())
            ]
        return "\n".join(lines) + "\n"

    def add(self, batch: Batch) -> int:
        """Add one batch; returns the canary's new request total (to wait for)."""
        with self.lock:
            c, b = CANARY_REVISION, BASELINE_REVISION
            self.counts[(c, "500")] += batch.canary_errors
            self.counts[(c, "200")] += batch.canary_requests - batch.canary_errors
            self.counts[(b, "500")] += batch.baseline_errors
            self.counts[(b, "200")] += batch.baseline_requests - batch.baseline_errors
            return self.counts[(c, "200")] + self.counts[(c, "500")]


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    served = Exporter()
    yield served
    served.server.shutdown()
    served.server.server_close()


def wait_for(fact: Callable[[], Any], what: str) -> Any:
    """Poll until ``fact()`` is truthy (the bound only ends a broken run)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = fact()
        if value:
            return value
        threading.Event().wait(0.05)
    raise AssertionError(f"{what} not seen within {WAIT_SECONDS} s")


def rounds_done(report: Path) -> int:
    try:
        return len(json.loads(report.read_text())["watch"]["rounds"])
    except (OSError, ValueError, KeyError):
        return 0


def held(prom: PrometheusServer, canary_requests: int) -> None:
    """Wait until Prometheus has scraped the canary's request total ``canary_requests``."""
    total = f'sum(http_requests_total{{revision="{CANARY_REVISION}"}})'
    prom.wait_for(f"{total} == {canary_requests}", timeout_seconds=WAIT_SECONDS)


def watch(
    exporter: Exporter, tmp_path: Path, batch: Batch, watch_seconds: int, config_extra: str = ""
) -> tuple[int, dict[str, Any], str]:
    """Run the watch with one batch before it and one after each round; exit, report, output."""
    config = tmp_path / "gate.toml"
    config.write_text(DEFAULT_CONFIG.read_text() + config_extra)
    report = tmp_path / "report.json"
    with PrometheusServer.start(
        tmp_path / "prom",
        scrape_targets={"serving": [exporter.address]},
        scrape_interval_seconds=0.2,
    ) as prom:
        held(prom, 0)
        held(prom, exporter.add(batch))
        command = [
            sys.executable, "-m", "pytest", str(GATE_DIR), "-p", "no:cacheprovider",
            "-m", "canary", "-k", CHECK, "--gate-config", str(config), *CANARY_ARGS,
            *BASELINE_ARGS, "--prometheus-url", prom.url, "--gate-watch", str(watch_seconds),
            "--gate-interval", "1", "--gate-report", str(report),
        ]  # fmt: skip
        proc = subprocess.Popen(
            command, cwd=ROOT, env=gate_env(), stdout=subprocess.PIPE, text=True
        )
        try:
            seen = 0
            while proc.poll() is None:
                now = rounds_done(report)
                if now > seen:
                    seen = now
                    held(prom, exporter.add(batch))
                threading.Event().wait(0.05)
            output, _ = proc.communicate(timeout=WAIT_SECONDS)
        finally:
            if proc.poll() is None:
                proc.kill()
    return proc.returncode, json.loads(report.read_text()), output


def canary_of(report: dict[str, Any]) -> dict[str, Any]:
    (check,) = [c for c in report["checks"] if c["id"].endswith(CHECK)]
    assert isinstance(check["canary"], dict)
    return check


def test_worse_canary_under_watch_is_no_go_once_the_e_value_passes_one_over_alpha(
    exporter: Exporter, tmp_path: Path
) -> None:
    """0.4% against 0.05% (within the 0.5% limit): the e-process reaches 1/alpha, NO-GO."""
    code, report, output = watch(exporter, tmp_path, Batch(1000, 4, 2000, 1), 600)
    check = canary_of(report)
    canary = check["canary"]
    assert (code, report["verdict"], check["outcome"]) == (2, "NO-GO", "fail"), output
    assert canary["test"] == "e_process_fisher_noncentral"
    assert canary["e_max"] >= 1 / ALPHA and canary["anytime_p_value"] <= ALPHA
    assert canary["significant"] is True and canary["within_limit"] is True
    assert canary["round"] == len(report["watch"]["rounds"]) >= 2
    assert canary["canary"]["requests"] >= 2000  # cumulative: more than one batch
    assert f"Canary 5xx vs baseline e={canary['e_value']:.3g} (NO-GO at 100)" in output


def test_equal_canary_under_watch_stays_go_with_e_values_reported(
    exporter: Exporter, tmp_path: Path
) -> None:
    """0.2% on both sides, round after round: every round GO, the e-value stays below 1."""
    code, report, output = watch(exporter, tmp_path, Batch(1000, 2, 2000, 4), 4)
    check = canary_of(report)
    canary = check["canary"]
    rounds = report["watch"]["rounds"]
    assert (code, report["verdict"]) == (0, "GO"), output
    assert [r["verdict"] for r in rounds] == ["GO"] * 5
    assert canary["round"] == 5 and canary["e_max"] < 1 / ALPHA
    assert canary["anytime_p_value"] == pytest.approx(min(1.0, 1 / canary["e_max"]))
    assert canary["canary"]["requests"] > canary["increment"]["canary"]["requests"]
    assert [c["e_value"] for r in rounds for c in r["canary"]] == pytest.approx(
        [float(line.split(" e=")[1].split()[0]) for line in output.splitlines() if " e=" in line],
        rel=1e-2,
    )


def test_broken_traffic_split_is_no_data_naming_both_shares(
    exporter: Exporter, tmp_path: Path
) -> None:
    """expected_share 1/3 but the canary gets 1 request in 21: no_data, NO-GO, shares named."""
    extra = "\n[canary]\nexpected_share = 0.3333\n"
    code, report, output = watch(exporter, tmp_path, Batch(600, 1, 12000, 24), 600, extra)
    check = canary_of(report)
    srm = check["canary"]["srm"]
    assert (code, report["verdict"], check["outcome"]) == (2, "NO-GO", "no_data"), output
    assert srm["mismatch"] is True and srm["expected_share"] == 0.3333
    assert srm["observed_share"] == pytest.approx(1 / 21, rel=0.05)
    assert "expected 33.3%" in check["message"] and "canary share 4.8%" in check["message"]
