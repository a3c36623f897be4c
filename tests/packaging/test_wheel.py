"""The wheel a user installs: one top-level package with the default gate, and it runs (DESIGN §10).

Builds the wheel from this checkout (no build isolation: no network for build tools), installs it
into a fresh virtual environment without extras, writes the default gate with ``gate-init`` and
runs that gate against a real Prometheus holding the healthy golden scenario: GO.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.checks.deployment import T
from tests.checks.scenarios import BY_NAME, write
from tests.support.prometheus_server import OpenMetrics, PrometheusServer

ROOT = Path(__file__).resolve().parents[2]
PIP_TIMEOUT_SECONDS = 300
GATE_TIMEOUT_SECONDS = 120
HEALTHY = BY_NAME["healthy"]
SOURCE_FILES = ("pyproject.toml", "setup.py", "README.md", "LICENSE")
SOURCE_DIRS = ("pytest_gate", "gate_checks", "serving", "quickstart", "tests")
"""What the wheel is built from: the packages, and the top-level ones it must leave out."""

pytestmark = [pytest.mark.slow, pytest.mark.prometheus]


@dataclass(frozen=True)
class LeanInstall:
    """The built wheel and a fresh venv with only it (and its runtime dependencies)."""

    wheel: Path
    venv: Path

    @property
    def bin(self) -> Path:
        """The venv's scripts directory."""
        return self.venv / "bin"


def clean_env() -> dict[str, str]:
    """No gate variables, no PYTHONPATH pointing back at this checkout, autoload on."""
    drop = ("PYTHONPATH", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_ADDOPTS")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("GATE_")}


def run(command: list[str | Path], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def lean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LeanInstall]:
    """``pip wheel .`` then a fresh venv with the wheel installed, no extras."""
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"  # a copy: no build/ leftovers of the checkout, nothing written there
    source.mkdir()
    for name in SOURCE_FILES:
        shutil.copy(ROOT / name, source / name)
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip"]
    built = run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, source],
        out,
        PIP_TIMEOUT_SECONDS,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = out.glob("pytest_gate-*.whl")
    venv = out / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", venv], out, PIP_TIMEOUT_SECONDS)
    assert made.returncode == 0, made.stderr
    installed = run(
        [*pip, "--python", venv / "bin" / "python", "install", "-q", wheel],
        out,
        PIP_TIMEOUT_SECONDS,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    yield LeanInstall(wheel, venv)


def test_wheel_holds_one_top_level_package_and_the_default_gate(lean: LeanInstall) -> None:
    """pytest_gate only (no serving/, quickstart/), with gate_checks/ as profiles/default."""
    names = zipfile.ZipFile(lean.wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"pytest_gate"}
    shipped = {
        n.removeprefix("pytest_gate/profiles/default/")
        for n in names
        if n.startswith("pytest_gate/profiles/default/")
    }
    repository = {
        p.name for p in (ROOT / "gate_checks").iterdir() if p.is_file() and p.suffix != ".pyc"
    }
    assert shipped == repository
    profiles = {p.parent.name for p in (ROOT / "pytest_gate" / "profiles").glob("*/gate.toml")}
    assert {f"pytest_gate/profiles/{name}/gate.toml" for name in profiles} <= set(names)


def test_wheel_metadata_is_honest_for_users(lean: LeanInstall) -> None:
    """No HTTP library for one check, ranges not pins in extras, a bounded uvicorn, classifiers."""
    archive = zipfile.ZipFile(lean.wheel)
    metadata = archive.read(next(n for n in archive.namelist() if n.endswith("METADATA"))).decode()
    requires = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    runtime = [r for r in requires if "extra ==" not in r]
    assert not any(r.startswith("requests") for r in runtime)
    assert not any("==" in r.split(";")[0] for r in requires)
    uvicorn = next(r for r in requires if r.startswith("uvicorn"))
    assert "<" in uvicorn
    assert "Classifier: Framework :: Pytest" in metadata


def test_gate_init_then_the_written_gate_decides_go_on_healthy_data(
    lean: LeanInstall, tmp_path: Path
) -> None:
    """A user's path: gate-init, edit the selector, pytest against Prometheus: GO (exit 0)."""
    project = tmp_path / "project"
    project.mkdir()
    wrote = run([lean.bin / "gate-init"], project, GATE_TIMEOUT_SECONDS)
    assert wrote.returncode == 0, wrote.stderr
    assert "Next: edit gate_checks/gate.toml" in wrote.stdout
    again = run([lean.bin / "gate-init"], project, GATE_TIMEOUT_SECONDS)
    assert again.returncode == 1
    assert "nothing was written" in again.stderr
    config = project / "gate_checks" / "gate.toml"
    selector = f'label_selector = {{ namespace = "{HEALTHY.namespace}" }}'
    config.write_text(config.read_text().replace("label_selector = {}", selector, 1))
    om = OpenMetrics()
    write(om, HEALTHY)
    with PrometheusServer.start(tmp_path / "prometheus", openmetrics=om) as prometheus:
        gate = run(
            [
                lean.bin / "python",
                "-m",
                "pytest",
                "gate_checks",
                "-p",
                "no:cacheprovider",
                "--prometheus-url",
                prometheus.url,
                "--gate-time",
                str(T),
                "--gpu-source",
                "prometheus",
                "--gate-report",
                "report.json",
            ],
            project,
            GATE_TIMEOUT_SECONDS,
        )
    output = gate.stdout + gate.stderr
    assert gate.returncode == 0, output
    report = json.loads((project / "report.json").read_text())
    assert report["verdict"] == "GO"
    assert report["summary"]["pass"] >= 10
