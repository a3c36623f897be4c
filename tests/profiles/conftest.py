"""The vllm profile copied out of the package, as ``gate-init DIR --profile vllm`` writes it, and
run as ``pytest DIR`` against a real backfilled Prometheus and a real VictoriaMetrics.

Each scenario is one gate subprocess per engine; the runs of the selected scenarios start
together on first use, a few at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.profiles.vllm_data import MODELS, T
from tests.profiles.vllm_scenarios import BY_NAME, VllmScenario, openmetrics
from tests.support.prometheus_server import PrometheusServer
from tests.support.selection import selected_scenarios
from tests.support.victoria_server import VictoriaMetrics
from tests.support.victoria_server import available as victoria_available

ROOT = Path(__file__).resolve().parents[2]
PROFILE_DIR = ROOT / "pytest_gate" / "profiles" / "vllm"
SHIPPED_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
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


def copy_profile(destination: Path) -> Path:
    """The profile directory as a project would hold it (no caches)."""
    target = destination / "vllm_gate"
    shutil.copytree(PROFILE_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def profile_config(directory: Path, name: str, edits: tuple[tuple[str, str], ...]) -> Path:
    """The shipped profile gate.toml with ``edits`` (old, new) applied, written as ``name``."""
    text = (PROFILE_DIR / "gate.toml").read_text()
    for old, new in edits:
        assert old in text, f"{old!r} is not in the shipped gate.toml"
        text = text.replace(old, new, 1)
    path = directory / name
    path.write_text(text)
    return path


def scenario_edits(scenario: VllmScenario) -> tuple[tuple[str, str], ...]:
    """Select the scenario's namespace and name its two models."""
    models = ", ".join(f'"{m}"' for m in MODELS)
    return (
        ("label_selector = {}", f'label_selector = {{ namespace = "{scenario.namespace}" }}'),
        (f'models = ["{SHIPPED_MODEL}"]', f"models = [{models}]"),
        (f'chat_model = "{SHIPPED_MODEL}"', f'chat_model = "{MODELS[0]}"'),
    )


def gate_env() -> dict[str, str]:
    """No inherited gate settings, only our plugin."""
    env = {k: v for k, v in os.environ.items() if k not in GATE_ENV_VARS}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTEST_PLUGINS"] = "pytest_gate.plugin"
    return env


def run_profile(gate_dir: Path, args: list[str], report: Path) -> GateRun:
    """``pytest DIR <args>`` in DIR's parent, as a user runs a copied profile."""
    command = [sys.executable, "-m", "pytest", str(gate_dir), "-p", "no:cacheprovider", *args]
    command += ["--gate-report", str(report)]
    done = subprocess.run(
        command,
        cwd=gate_dir.parent,
        env=gate_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    output = done.stdout + done.stderr
    assert report.is_file(), f"no report from {' '.join(command)}:\n{output}"
    return GateRun(done.returncode, json.loads(report.read_text()), output)


class ProfileRunner:
    """Runs the copied profile for every selected scenario on one engine, a few at a time."""

    def __init__(self, url: str, directory: Path, names: list[str]) -> None:
        self._url = url
        self._directory = directory
        self._gate_dir = copy_profile(directory)
        self._names = names
        self._futures: dict[str, Future[GateRun]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL_RUNS)

    def run(self, name: str) -> GateRun:
        """The run of scenario ``name`` (waits for it)."""
        with self._lock:
            for wanted in dict.fromkeys([name, *self._names]):
                if wanted not in self._futures:
                    self._futures[wanted] = self._pool.submit(self._scenario, BY_NAME[wanted])
        return self._futures[name].result()

    def _scenario(self, scenario: VllmScenario) -> GateRun:
        config = profile_config(self._directory, f"{scenario.name}.toml", scenario_edits(scenario))
        recording = self._directory / f"{scenario.name}.recording.json"
        args = ["--gate-config", str(config), "--gate-time", str(T), "--gpu-source", "prometheus"]
        args += ["--prometheus-url", self._url, "--gate-record", str(recording)]
        return run_profile(self._gate_dir, args, self._directory / f"{scenario.name}.json")

    def replay(self, name: str) -> GateRun:
        """Scenario ``name`` replayed offline from the recording of its live run."""
        self.run(name)
        config = self._directory / f"{name}.toml"
        recording = self._directory / f"{name}.recording.json"
        args = ["--gate-config", str(config), "--gpu-source", "prometheus"]
        args += ["--gate-replay", str(recording)]
        return run_profile(self._gate_dir, args, self._directory / f"{name}.replay.json")

    def close(self) -> None:
        """Stop the pool (waits for runs in flight)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def vllm_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus backfilled with every vLLM scenario."""
    with PrometheusServer.start(
        tmp_path_factory.mktemp("vllm-prometheus"), openmetrics=openmetrics()
    ) as server:
        yield server


@pytest.fixture(scope="session")
def vllm_victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    """A real VictoriaMetrics holding every vLLM scenario."""
    if not victoria_available():
        pytest.skip("victoria-metrics is not installed (scripts/install.sh installs it)")
    with VictoriaMetrics.start(
        tmp_path_factory.mktemp("vllm-victoria"), openmetrics=openmetrics()
    ) as server:
        yield server


ENGINES = (
    pytest.param("prometheus", marks=pytest.mark.prometheus),
    pytest.param("victoria-metrics", marks=pytest.mark.victoria),
)
ENGINE_SERVERS = {"prometheus": "vllm_prometheus", "victoria-metrics": "vllm_victoria"}


@pytest.fixture(scope="session", params=ENGINES)
def profile_runner(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProfileRunner]:
    """Runs the copied vllm profile for the selected scenarios on one engine (the parameter)."""
    engine: str = request.param
    server = request.getfixturevalue(ENGINE_SERVERS[engine])
    runner = ProfileRunner(
        server.url, tmp_path_factory.mktemp(f"vllm-runs-{engine}"), selected_scenarios(request.session, BY_NAME)
    )
    yield runner
    runner.close()
