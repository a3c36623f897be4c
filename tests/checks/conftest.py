"""One backfilled Prometheus and one VictoriaMetrics holding every golden scenario, and the gate
run against each.

Each scenario is run twice per engine as the real gate suite in a subprocess: live against the
engine while recording (``--gate-record``), then offline from that recording (``--gate-replay``). The runs of the
scenarios the session selected start together on first use, a few at a time, so the whole set
costs about the slowest runs rather than their sum.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.checks.deployment import Scenario, T
from tests.checks.scenarios import BY_NAME, openmetrics
from tests.support.prometheus_server import PrometheusServer
from tests.support.selection import selected_scenarios
from tests.support.victoria_server import VictoriaMetrics
from tests.support.victoria_server import available as victoria_available

ROOT = Path(__file__).resolve().parents[2]
GATE_DIR = ROOT / "gate_checks"
DEFAULT_CONFIG = GATE_DIR / "gate.toml"
PARALLEL_RUNS = 4
RUN_TIMEOUT_SECONDS = 120
GATE_ENV_VARS = (
    "GATE_PROMETHEUS_URL",
    "GATE_DEADLINE",
    "GATE_GPU_SOURCE",
    "GATE_SERVING_URL",
    "GATE_PUSHGATEWAY_URL",
    "GATE_ENVIRONMENT",
    "GITHUB_STEP_SUMMARY",
)


@dataclass(frozen=True)
class GateRun:
    """One gate subprocess: its exit code, its JSON report and its output."""

    exit_code: int
    report: dict[str, Any]
    output: str

    def checks(self) -> dict[str, dict[str, Any]]:
        """The report's checks keyed by ``test_name[param]`` (the node id after ``::``)."""
        return {c["id"].split("::")[-1]: c for c in self.report["checks"]}


@dataclass(frozen=True)
class ScenarioRuns:
    """The live (recording) run and the offline replay of one scenario."""

    live: GateRun
    replay: GateRun


def scenario_config(directory: Path, scenario: Scenario) -> Path:
    """The shipped gate.toml with the scenario's namespace as label selector, and its edits."""
    text = DEFAULT_CONFIG.read_text()
    selector = f'label_selector = {{ namespace = "{scenario.namespace}" }}'
    for old, new in (("label_selector = {}", selector), *scenario.config_edits):
        assert old in text, f"{old!r} is not in {DEFAULT_CONFIG}"
        text = text.replace(old, new, 1)
    path = directory / f"{scenario.name}.toml"
    path.write_text(text)
    return path


def gate_env() -> dict[str, str]:
    """The environment of a gate subprocess: no inherited gate settings, only our plugin."""
    env = {k: v for k, v in os.environ.items() if k not in GATE_ENV_VARS}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTEST_PLUGINS"] = "pytest_gate.plugin"
    return env


def run_gate(args: list[str], report: Path) -> GateRun:
    """Run ``pytest gate_checks`` with ``args`` and read its report."""
    command = [sys.executable, "-m", "pytest", str(GATE_DIR), "-p", "no:cacheprovider", *args]
    command += ["--gate-report", str(report)]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=gate_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    output = done.stdout + done.stderr
    assert report.is_file(), f"no report from {' '.join(command)}:\n{output}"
    return GateRun(done.returncode, json.loads(report.read_text()), output)


def run_scenario(url: str, directory: Path, scenario: Scenario) -> ScenarioRuns:
    """Live against Prometheus while recording, then offline from the recording."""
    config = scenario_config(directory, scenario)
    recording = directory / f"{scenario.name}.recording.json"
    common = ["--gate-config", str(config), "--gate-time", str(T), "--gpu-source", "prometheus"]
    live = run_gate(
        [*common, "--prometheus-url", url, "--gate-record", str(recording)],
        directory / f"{scenario.name}.live.json",
    )
    replay = run_gate(
        [*common, "--gate-replay", str(recording)], directory / f"{scenario.name}.replay.json"
    )
    return ScenarioRuns(live, replay)


class ScenarioRunner:
    """Starts every selected scenario's runs together on first use; hands out the results."""

    def __init__(self, url: str, directory: Path, names: list[str]) -> None:
        self._url = url
        self._directory = directory
        self._names = names
        self._futures: dict[str, Future[ScenarioRuns]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL_RUNS)

    def runs(self, name: str) -> ScenarioRuns:
        """The runs of scenario ``name`` (waits for them)."""
        with self._lock:
            if not self._futures:
                for wanted in dict.fromkeys([name, *self._names]):
                    self._futures[wanted] = self._pool.submit(
                        run_scenario, self._url, self._directory, BY_NAME[wanted]
                    )
            if name not in self._futures:
                self._futures[name] = self._pool.submit(
                    run_scenario, self._url, self._directory, BY_NAME[name]
                )
        return self._futures[name].result()

    def recording(self, name: str) -> Path:
        """The recording the live run of scenario ``name`` wrote (after :meth:`runs`)."""
        self.runs(name)
        return self._directory / f"{name}.recording.json"

    def close(self) -> None:
        """Stop the pool (waits for runs in flight)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def golden_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus backfilled with every golden scenario."""
    with PrometheusServer.start(
        tmp_path_factory.mktemp("golden-prometheus"), openmetrics=openmetrics()
    ) as server:
        yield server


@pytest.fixture(scope="session")
def golden_victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    """A real VictoriaMetrics holding every golden scenario (imported through its import API)."""
    if not victoria_available():
        pytest.skip("victoria-metrics is not installed (scripts/install.sh installs it)")
    with VictoriaMetrics.start(
        tmp_path_factory.mktemp("golden-victoria"), openmetrics=openmetrics()
    ) as server:
        yield server


ENGINES = (
    pytest.param("prometheus", marks=pytest.mark.prometheus),
    pytest.param("victoria-metrics", marks=pytest.mark.victoria),
)
"""The query engines every golden scenario runs on: same data, same verdicts."""
ENGINE_SERVERS = {"prometheus": "golden_prometheus", "victoria-metrics": "golden_victoria"}


@pytest.fixture(scope="session", params=ENGINES)
def scenario_runner(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScenarioRunner]:
    """Runs the gate for the scenarios this session selected, on one engine (the parameter)."""
    engine: str = request.param
    server = request.getfixturevalue(ENGINE_SERVERS[engine])
    runner = ScenarioRunner(
        server.url,
        tmp_path_factory.mktemp(f"golden-runs-{engine}"),
        selected_scenarios(request.session, BY_NAME),
    )
    yield runner
    runner.close()
