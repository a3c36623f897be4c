"""The gate's exit status holds under xdist, pytest-timeout, --max-warnings and json-report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugin.suite import load_strict, write_check

PASSING = (
    "@pytest.mark.critical\ndef test_ok(gate):\n    gate.expect(1, '<=', 2, what='x', unit='s')\n"
)
WARN_FAIL = "@pytest.mark.warning\ndef test_warn():\n    assert 0, 'slow'\n"


def test_xdist_controller_sees_every_check(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """Under -n 2 a warning failure among passes is WARNING, with every check in the report."""
    for i in range(4):
        write_check(gate_suite, f"ok{i}", PASSING)
    write_check(gate_suite, "warn", WARN_FAIL)
    result = pytester.runpytest_subprocess("gate_checks", "-n", "2", "--gate-report", "r.json")
    assert result.ret == 1
    report = load_strict(pytester.path / "r.json")
    assert report["summary"]["pass"] == 4
    assert report["summary"]["fail"] == 1


def test_xdist_workers_share_the_evaluation_instant(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """Every worker evaluates at the controller's T."""
    write_check(
        gate_suite,
        "t",
        "import pytest\n@pytest.mark.parametrize('i', range(4))\n@pytest.mark.critical\n"
        "def test_t(gate_options, i):\n    print('T=%r' % gate_options.at)\n"
        "    with open('t-%d.txt' % i, 'w') as f:\n        f.write(repr(gate_options.at))\n",
    )
    result = pytester.runpytest_subprocess("gate_checks", "-n", "2")
    assert result.ret == 0
    seen = {(pytester.path / f"t-{i}.txt").read_text() for i in range(4)}
    assert len(seen) == 1


def test_xdist_collection_error_on_worker_is_no_go(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A collection error on a worker never becomes exit 0."""
    write_check(gate_suite, "ok", PASSING)
    (gate_suite / "test_broken.py").write_text("raise ImportError('bad check module')\n")
    result = pytester.runpytest_subprocess("gate_checks", "-n", "2", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["verdict"] == "NO-GO"


def test_xdist_with_no_checks_is_no_go(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """-n 2 with nothing collected is NO-GO, not pytest's 5."""
    result = pytester.runpytest_subprocess("gate_checks", "-n", "2")
    assert result.ret == 2


def test_hanging_critical_check_under_timeout_is_no_go_reason_timeout(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A hanging critical check under pytest-timeout (even --timeout-method=thread) is NO-GO."""
    write_check(gate_suite, "ok", PASSING)
    write_check(
        gate_suite,
        "hang",
        "import time\n@pytest.mark.critical\ndef test_hang():\n    time.sleep(30)\n",
    )
    result = pytester.runpytest_subprocess(
        "gate_checks", "--timeout", "1", "--timeout-method", "thread", "--gate-report", "r.json"
    )
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "timeout"
    hang = next(c for c in report["checks"] if c["id"].endswith("test_hang"))
    assert hang["outcome"] == "error"


def test_hanging_warning_check_under_timeout_is_warning(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A warning check that times out is error, WARNING (not a lost run)."""
    write_check(
        gate_suite,
        "hang",
        "import time\n@pytest.mark.warning\ndef test_hang():\n    time.sleep(30)\n",
    )
    result = pytester.runpytest_subprocess("gate_checks", "--timeout", "1")
    assert result.ret == 1


def test_max_warnings_does_not_override_the_verdict(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """--max-warnings 0 with a Python warning still exits with the gate's code."""
    write_check(
        gate_suite,
        "w",
        "import warnings\n@pytest.mark.critical\ndef test_w():\n"
        "    warnings.warn('deprecated thing')\n",
    )
    result = pytester.runpytest("gate_checks", "--max-warnings", "0")
    assert result.ret == 0


def test_json_report_carries_the_gate_section(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """pytest-json-report gets a gate section and the gate's exit code beside pytest's own."""
    write_check(gate_suite, "warn", WARN_FAIL)
    result = pytester.runpytest("gate_checks", "--json-report", "--json-report-file", "pj.json")
    assert result.ret == 1
    data = json.loads((pytester.path / "pj.json").read_text())
    assert data["exitcode"] == 1
    assert data["gate_exitcode"] == 1
    assert data["gate"]["verdict"] == "WARNING"


def test_outside_gate_mode_pytest_behaves_as_usual(pytester: pytest.Pytester) -> None:
    """A plain test directory keeps pytest's own exit codes (1 failed, 5 nothing collected)."""
    pytester.makepyfile(test_plain="def test_a():\n    assert 0\n")
    assert pytester.runpytest().ret == 1
    empty = pytester.mkdir("empty")
    assert pytester.runpytest(str(empty)).ret == 5


def test_outside_gate_mode_xdist_prints_no_gate_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under -n 2 a plain test run stays a plain run: no traffic light, pytest's exit code."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", "pytest_gate.plugin,xdist.plugin")
    pytester.makepyfile(test_plain="def test_a():\n    assert 0\n")
    result = pytester.runpytest_subprocess("-n", "2")
    assert result.ret == 1
    assert "GATE:" not in result.stdout.str()
