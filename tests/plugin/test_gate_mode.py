"""Gate mode is explicit (DESIGN §3): outside it the plugin changes nothing, and listing never decides."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugin.conftest import PLUGINS
from tests.plugin.suite import write_check

ROOT = Path(__file__).resolve().parents[2]
UNRELATED = {
    "test_app.py": (
        "import sys\nimport pytest\n\n"
        "@pytest.mark.critical\ndef test_marked():\n    assert 1 + 1 == 2\n\n"
        "def test_a():\n    assert [1, 2] == [1, 3]\n\n"
        "def test_b():\n    raise ValueError('boom')\n\n"
        "@pytest.mark.skipif(sys.platform != 'nowhere', reason='not here')\n"
        "def test_skipped():\n    pass\n\n"
        "@pytest.mark.xfail(reason='known')\ndef test_known():\n    assert 0\n"
    ),
}
UNRELATED_INI = "[pytest]\nmarkers =\n    critical: the project's own meaning\n"
PASSING = (
    "@pytest.mark.critical\ndef test_ok(gate):\n    gate.expect(1, '<=', 2, what='x', unit='s')\n"
)
ENTRY_MODULES = {
    "pytest_gate",
    "pytest_gate.plugin",
    "pytest_gate.config",
    "pytest_gate.config.gatedir",
    "pytest_gate.config.optionspec",
    "pytest_gate.config.registration",
    "pytest_gate.config.sourcechoice",
    "pytest_gate.config.transport",
    "pytest_gate.run",
    "pytest_gate.run.hooks",
}
"""Everything the entry module may import: registering options and markers, nothing more."""
TIMING = re.compile(r" in [0-9.]+s( \([0-9:]+\))?")


def run(pytester: pytest.Pytester, *args: str) -> tuple[int, list[str]]:
    """Run pytest in a subprocess with only the gate's companions loaded; exit code and output."""
    result = pytester.runpytest_subprocess(*args)
    lines = [TIMING.sub("", line) for line in result.outlines]
    return int(result.ret), lines


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Autoloading off, the gate and its companions loaded by name, no gate variables set."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", PLUGINS)
    monkeypatch.delenv("GATE_PROMETHEUS_URL", raising=False)


@pytest.mark.parametrize("extra", [[], ["-rA", "--tb=long"], ["-q"]], ids=["plain", "rA", "q"])
def test_unrelated_project_runs_exactly_as_without_the_plugin(
    pytester: pytest.Pytester, plain_env: None, extra: list[str]
) -> None:
    """A critical marker, failures, a skipif and an xfail: same exit code and output as -p no:gate."""
    pytester.makeini(UNRELATED_INI)  # the project registers its own marker, as it must without us
    pytester.makepyfile(**UNRELATED)
    with_gate = run(pytester, *extra)
    without = run(pytester, "-p", "no:pytest_gate.plugin", *extra)
    assert with_gate[0] == without[0] == 1
    assert with_gate[1] == without[1]
    assert not any("GATE" in line for line in with_gate[1])


def test_gate_variable_in_the_environment_does_not_make_a_gate(
    pytester: pytest.Pytester, plain_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exported GATE_PROMETHEUS_URL alone leaves an unrelated suite alone."""
    monkeypatch.setenv("GATE_PROMETHEUS_URL", "http://127.0.0.1:9")
    pytester.makepyfile(**UNRELATED)
    code, lines = run(pytester)
    assert code == 1
    assert not any("GATE" in line for line in lines)


def test_outside_gate_mode_the_gate_machinery_is_not_imported(
    pytester: pytest.Pytester, plain_env: None
) -> None:
    """Only the entry module's few imports load when no gate is asked for (start-up cost)."""
    pytester.makepyfile(**UNRELATED)
    pytester.makeconftest(
        "import sys\n"
        "def pytest_unconfigure():\n"
        "    loaded = sorted(m for m in sys.modules if m.startswith('pytest_gate'))\n"
        "    open('loaded.txt', 'w').write('\\n'.join(loaded))\n"
    )
    run(pytester)
    loaded = set((pytester.path / "loaded.txt").read_text().split())
    assert "pytest_gate.plugin" in loaded
    assert not {"pytest_gate.run.gaterun", "pytest_gate.output.report"} & loaded
    assert not any(name.startswith(("pytest_gate.sources", "pytest_gate.stats")) for name in loaded)


def gate_dir(pytester: pytest.Pytester) -> Path:
    """A gate-checks directory holding the shipped gate.toml and one passing check."""
    directory = pytester.mkdir("checks")
    shutil.copy(ROOT / "gate_checks" / "gate.toml", directory / "gate.toml")
    write_check(directory, "ok", PASSING)
    return directory


def test_directory_holding_gate_toml_is_a_gate(pytester: pytest.Pytester, plain_env: None) -> None:
    """A directory with gate.toml (any name) given on the command line runs as a gate."""
    gate_dir(pytester)
    code, lines = run(pytester, "checks")
    assert code == 0
    assert any(line.startswith("GATE: GO") for line in lines)


def test_collected_gate_directory_without_arguments_is_a_gate(
    pytester: pytest.Pytester, plain_env: None
) -> None:
    """`pytest` from the project root collects the gate directory and enters gate mode."""
    gate_dir(pytester)
    code, lines = run(pytester)
    assert code == 0
    assert any(line.startswith("GATE: GO") for line in lines)


def test_ini_gate_true_makes_a_gate(pytester: pytest.Pytester, plain_env: None) -> None:
    """The ini switch turns a directory without gate.toml into a gate."""
    pytester.makeini("[pytest]\ngate = true\n")
    write_check(pytester.path, "ok", PASSING)
    code, lines = run(pytester)
    assert code == 0
    assert any(line.startswith("GATE: GO") for line in lines)


@pytest.mark.parametrize("listing", ["--co", "--collect-only", "--fixtures", "--markers"])
def test_listing_never_decides(pytester: pytest.Pytester, plain_env: None, listing: str) -> None:
    """--co, --fixtures and --markers on a gate: pytest's exit code 0, no report, no verdict."""
    gate_dir(pytester)
    code, lines = run(pytester, "checks", listing, "--gate-report", "r.json")
    assert code == 0
    assert not (pytester.path / "r.json").exists()
    assert not any("GATE" in line for line in lines)


def test_help_lists_options_with_metavars_defaults_and_variables(
    pytester: pytest.Pytester, plain_env: None
) -> None:
    """--help says what a value is, its default and the real environment variable."""
    result = pytester.runpytest_subprocess("--help")
    text = result.stdout.str()
    assert result.ret == 0
    assert "--gate-report=PATH" in text
    assert "--gate-deadline=SECONDS" in text
    assert "--prometheus-url=URL" in text
    assert "GATE_REPORT" not in text
    assert "GATE_PROMETHEUS_URL" in text
    assert "default: 20" in text


def test_entry_module_imports_quickly() -> None:
    """The entry module imports only what registration needs (checked in a fresh interpreter)."""
    code = (
        "import sys, pytest_gate.plugin\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('pytest_gate'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert set(out.stdout.split()) == ENTRY_MODULES


def test_a_cause_shared_by_several_checks_is_said_once(
    pytester: pytest.Pytester, plain_env: None
) -> None:
    """No metric source: one numbered cause with its fix, the checks' lines point at it."""
    directory = gate_dir(pytester)
    for name in ("a", "b", "c"):
        write_check(
            directory,
            f"m{name}",
            "@pytest.mark.warning\ndef test_m(metrics):\n    pass\n",
        )
    code, lines = run(pytester, "checks")
    assert code == 1
    text = "\n".join(lines)
    assert text.count("no metric source is given") == 1
    assert "gate: cause 1 (3 checks): no metric source is given; pass --prometheus-url" in text
    assert text.count("cause 1 below") == 3


def test_fixtures_of_a_gate_lists_the_gate_fixtures_without_deciding(
    pytester: pytest.Pytester, plain_env: None
) -> None:
    """--fixtures on a gate shows metrics, gpus and gate, and no verdict."""
    gate_dir(pytester)
    code, lines = run(pytester, "checks", "--fixtures")
    text = "\n".join(lines)
    assert code == 0
    assert "metrics [session scope]" in text
    assert "GATE:" not in text
