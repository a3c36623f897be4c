"""Session-level states are NO-GO, each with its own reason, and the exit status survives plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gate.config.options import BAD_SECONDS, BAD_TIME
from pytest_gate.config.sourcechoice import BAD_GPU_SOURCE, TWO_SOURCES
from pytest_gate.output.report import REPORT_WRITE_FAILED
from pytest_gate.run.lifecycle import BOTH_MARKERS, CONFIG_NOT_FOUND, RECORD_WITH_XDIST
from tests.plugin.suite import load_strict, write_check

PASSING = (
    "@pytest.mark.critical\ndef test_ok(gate):\n    gate.expect(1, '<=', 2, what='x', unit='s')\n"
)
WARN_FAIL = "@pytest.mark.warning\ndef test_warn():\n    assert 0, 'slow'\n"


def test_zero_checks_collected_is_no_go(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """pytest's exit 5 (nothing collected) becomes NO-GO with reason no_checks."""
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["reason"] == "no_checks"


def test_everything_deselected_is_no_go(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """A -k that matches nothing is NO-GO, and the deselected checks are listed."""
    write_check(gate_suite, "ok", PASSING)
    result = pytester.runpytest("gate_checks", "-k", "nomatch", "--gate-report", "r.json")
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "no_checks"
    assert report["complete"] is False
    assert report["selection"]["deselected"] == ["gate_checks/test_ok.py::test_ok"]


def test_collection_error_is_no_go(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """A check module that cannot be imported makes the gate NO-GO, even beside passing checks."""
    write_check(gate_suite, "ok", PASSING)
    (gate_suite / "test_broken.py").write_text("import nonexistent_module_xyz\n")
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["reason"] == "collection_error"


def test_both_severity_markers_is_a_collection_error_naming_the_check(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A check marked critical and warning is refused by name."""
    write_check(
        gate_suite, "both", "@pytest.mark.critical\n@pytest.mark.warning\ndef test_b():\n    pass\n"
    )
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "collection_error"
    nodeid = "gate_checks/test_both.py::test_b"
    assert report["checks"][0]["message"] == BOTH_MARKERS.format(nodeid=nodeid)


def test_keyboard_interrupt_is_no_go(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """Ctrl-C during a check gives NO-GO with reason interrupted, and the report is written."""
    write_check(gate_suite, "ok", PASSING)
    write_check(
        gate_suite, "zz", "@pytest.mark.warning\ndef test_stop():\n    raise KeyboardInterrupt\n"
    )
    result = pytester.runpytest_subprocess("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["reason"] == "interrupted"


def test_exitfirst_stop_is_no_go_even_after_a_warning(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """-x stops after a warning failure: the unrun critical check must not leave a WARNING."""
    write_check(gate_suite, "a", WARN_FAIL)
    write_check(gate_suite, "b", PASSING)
    result = pytester.runpytest("gate_checks", "-x", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["reason"] == "interrupted"


def test_internal_error_is_no_go(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """An internal error in another plugin's hook still ends as NO-GO (exit 2)."""
    write_check(gate_suite, "ok", PASSING)
    pytester.makeconftest(
        "def pytest_runtest_logfinish(nodeid, location):\n    raise RuntimeError('plugin bug')\n"
    )
    result = pytester.runpytest_subprocess("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["reason"] == "internal_error"
    result.stdout.fnmatch_lines(["*GATE: NO-GO (exit 2)*"])


def test_missing_explicit_config_is_no_go_with_message(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """--gate-config naming a missing file is NO-GO, reason config_error, with the fix."""
    write_check(gate_suite, "ok", PASSING)
    result = pytester.runpytest(
        "gate_checks", "--gate-config", "nope.toml", "--gate-report", "r.json"
    )
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "config_error"
    assert CONFIG_NOT_FOUND.format(path="nope.toml") in report["messages"]
    result.stdout.fnmatch_lines(["*gate: " + CONFIG_NOT_FOUND.format(path="nope.toml")])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gate-time", "yesterday"], BAD_TIME.format(value="yesterday")),
        (["--gate-deadline", "-3"], BAD_SECONDS.format(name="--gate-deadline", value="-3", example="20")),
        (
            ["--gpu-source", "magic"],
            BAD_GPU_SOURCE.format(value="magic", choices="auto, nvml, prometheus, none"),
        ),
        (
            ["--prometheus-url", "http://p:9090", "--gate-replay", "x.json"],
            TWO_SOURCES.format(names="--prometheus-url, --gate-replay"),
        ),
    ],
)
def test_bad_option_is_no_go_with_a_message(
    pytester: pytest.Pytester, gate_suite: Path, args: list[str], message: str
) -> None:
    """A bad gate option is NO-GO (exit 2), reason usage_error, the message names the fix."""
    write_check(gate_suite, "ok", PASSING)
    result = pytester.runpytest("gate_checks", *args, "--gate-report", "r.json")
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "usage_error"
    assert message in report["messages"]


def test_unwritable_report_is_no_go_with_message(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A report that cannot be written is NO-GO with a message, not a traceback."""
    write_check(gate_suite, "ok", PASSING)
    target = pytester.path / "missing-dir" / "r.json"
    result = pytester.runpytest("gate_checks", "--gate-report", str(target))
    assert result.ret == 2
    expected = REPORT_WRITE_FAILED.format(path=target, cause="No such file or directory")
    result.stdout.fnmatch_lines(["*gate: " + expected + "*", "*GATE: NO-GO (exit 2)*report*"])
    assert "Traceback" not in result.stdout.str()


def test_record_with_xdist_is_refused(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """--gate-record with -n is a usage error (workers would overwrite each other's recording)."""
    write_check(gate_suite, "ok", PASSING)
    result = pytester.runpytest_subprocess(
        "gate_checks", "-n", "2", "--gate-record", "rec.json", "--gate-report", "r.json"
    )
    assert result.ret == 2
    assert RECORD_WITH_XDIST in load_strict(pytester.path / "r.json")["messages"]
