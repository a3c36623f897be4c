"""Every row of the outcome table (DESIGN §3), for both severities, through a real pytest run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin.suite import load_strict, write_check

BODIES = {
    "pass": "    gate.expect(0.1, '<=', 0.5, what='error rate', unit='ratio')\n",
    "fail": "    gate.expect(0.9, '<=', 0.5, what='error rate', unit='ratio')\n",
    "no_data": (
        "    from pytest_gate.core.query import Answer, DataState\n"
        "    gate.expect(Answer('rate(x[5m])', DataState.OK), '<=', 0.5, what='rate', unit='ratio')\n"
    ),
    "error": (
        "    from pytest_gate.core.query import Answer, DataState\n"
        "    gate.expect(Answer('q', DataState.ERROR, message='HTTP 500'), '<=', 1, what='x',"
        " unit='s')\n"
    ),
    "skipped": "    pytest.skip('no idea')\n",
    "not_applicable": "    gate.not_applicable('no RL worker in this deployment')\n",
}
EXPECTED_EXIT = {
    ("pass", "critical"): 0,
    ("pass", "warning"): 0,
    ("fail", "critical"): 2,
    ("fail", "warning"): 1,
    ("no_data", "critical"): 2,
    ("no_data", "warning"): 1,
    ("error", "critical"): 2,
    ("error", "warning"): 1,
    ("skipped", "critical"): 2,
    ("skipped", "warning"): 1,
}


def _suite(gate_suite: Path, outcome: str, severity: str) -> None:
    write_check(
        gate_suite,
        "subject",
        f'@pytest.mark.{severity}\ndef test_subject(gate):\n    """Subject check"""\n'
        + BODIES[outcome],
    )


@pytest.mark.parametrize(("outcome", "severity"), sorted(EXPECTED_EXIT))
def test_outcome_and_severity_map_to_exit_code(
    pytester: pytest.Pytester, gate_suite: Path, outcome: str, severity: str
) -> None:
    """Each outcome of a critical or warning check gives the exit code of the table."""
    _suite(gate_suite, outcome, severity)
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == EXPECTED_EXIT[(outcome, severity)]
    report = load_strict(pytester.path / "r.json")
    assert report["checks"][0]["outcome"] == outcome
    assert report["exit_code"] == result.ret


@pytest.mark.parametrize("severity", ["critical", "warning"])
def test_not_applicable_alone_is_no_go_because_nothing_was_checked(
    pytester: pytest.Pytester, gate_suite: Path, severity: str
) -> None:
    """A run whose only check is not_applicable has checked nothing: NO-GO, reason no_checks."""
    _suite(gate_suite, "not_applicable", severity)
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "no_checks"
    assert report["checks"][0]["effect"] is None
    assert report["checks"][0]["message"] == "no RL worker in this deployment"


def test_not_applicable_beside_a_pass_is_go(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """A not_applicable check has no effect on the verdict."""
    write_check(
        gate_suite,
        "two",
        "@pytest.mark.critical\ndef test_na(gate):\n    gate.not_applicable('absent')\n\n"
        "@pytest.mark.critical\ndef test_ok(gate):\n    gate.expect(1, '>=', 1, what='x', unit='')\n",
    )
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 0
    report = load_strict(pytester.path / "r.json")
    assert report["summary"]["not_applicable"] == 1
    assert report["selection"]["not_applicable"] == ["gate_checks/test_two.py::test_na"]


def test_unmarked_check_counts_as_critical(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """In gate mode a failing check without a severity marker is NO-GO."""
    write_check(gate_suite, "plain", "def test_plain():\n    assert 1 == 2\n")
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["checks"][0]["severity"] == "critical"


def test_plain_assert_failure_is_fail_with_null_fields(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A plain assert still works; value and threshold are then null."""
    write_check(
        gate_suite, "plain", "@pytest.mark.warning\ndef test_plain():\n    assert 3 < 2, 'three'\n"
    )
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 1
    check = load_strict(pytester.path / "r.json")["checks"][0]
    assert (check["outcome"], check["value"], check["threshold"]) == ("fail", None, None)
    assert "three" in check["message"]


def test_exception_in_check_is_error(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """An unexpected exception in a critical check is error, NO-GO, with the exception named."""
    write_check(gate_suite, "boom", "@pytest.mark.critical\ndef test_boom():\n    {}['missing']\n")
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    check = load_strict(pytester.path / "r.json")["checks"][0]
    assert check["outcome"] == "error"
    assert check["message"].startswith("KeyError")


def test_fixture_error_is_error(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """A failing fixture (setup) makes a warning check error, WARNING."""
    write_check(
        gate_suite,
        "fx",
        "@pytest.fixture\ndef broken():\n    raise RuntimeError('cannot reach')\n\n"
        "@pytest.mark.warning\ndef test_fx(broken):\n    pass\n",
    )
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 1
    assert load_strict(pytester.path / "r.json")["checks"][0]["outcome"] == "error"


def test_xfail_in_a_check_fails_closed(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """An xfail marker cannot hide a critical check: it counts as skipped, NO-GO."""
    write_check(
        gate_suite,
        "xf",
        "@pytest.mark.critical\n@pytest.mark.xfail\ndef test_xf():\n    assert 0\n",
    )
    result = pytester.runpytest("gate_checks")
    assert result.ret == 2


def test_observed_fields_are_recorded(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """The helper records value, threshold, comparison, unit, margin and every series."""
    write_check(
        gate_suite,
        "gpu",
        "from pytest_gate.core.query import Answer, DataState, SeriesValue\n"
        '@pytest.mark.critical\ndef test_gpu(gate):\n    """VRAM headroom"""\n'
        "    series = tuple(SeriesValue((('gpu', str(i)),), v) for i, v in enumerate([0.4, 0.12, 0.3]))\n"
        "    gate.expect(Answer('free/total', DataState.OK, series, 300), '>=', 0.2,"
        " what='VRAM headroom', unit='ratio', label_keys=('gpu',))\n",
    )
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    check = load_strict(pytester.path / "r.json")["checks"][0]
    assert check["value"] == pytest.approx(0.12)
    assert check["threshold"] == 0.2
    assert check["comparison"] == ">="
    assert check["unit"] == "ratio"
    assert check["margin"] == pytest.approx(-0.08)
    assert check["window"] == "5m"
    assert [s["labels"]["gpu"] for s in check["series"]] == ["0", "1", "2"]
    assert check["message"] == "VRAM headroom 12.00% < 20.00% (gpu=1)"
    result.stdout.fnmatch_lines(
        ["*GATE: NO-GO (exit 2)*1 critical check failed: VRAM headroom gpu=1*"]
    )
