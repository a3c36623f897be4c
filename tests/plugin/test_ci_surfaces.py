"""CI surfaces: strict, require-complete, option precedence, GitHub summary, terminal output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin.suite import load_strict, write_check

PASSING = (
    "@pytest.mark.critical\ndef test_ok(gate):\n    gate.expect(1, '<=', 2, what='x', unit='s')\n"
)
WARN_FAIL = (
    '@pytest.mark.warning\ndef test_warn(gate):\n    """Fast p95"""\n'
    "    gate.expect(2.9, '<=', 2.5, what='fast p95', unit='s')\n"
)


def test_strict_turns_warning_into_no_go(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """--gate-strict makes a WARNING exit 2 with reason strict_warning."""
    write_check(gate_suite, "warn", WARN_FAIL)
    result = pytester.runpytest("gate_checks", "--gate-strict", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["reason"] == "strict_warning"


def test_strict_from_ini(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """The ini twin gate_strict works like the flag."""
    write_check(gate_suite, "warn", WARN_FAIL)
    pytester.makeini("[pytest]\ngate = true\ngate_strict = true\n")
    assert pytester.runpytest("gate_checks").ret == 2


def test_partial_selection_is_incomplete(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """-k selecting part of the gate is reported complete: false but still decides."""
    write_check(gate_suite, "ok", PASSING)
    write_check(gate_suite, "warn", WARN_FAIL)
    result = pytester.runpytest("gate_checks", "-k", "ok", "--gate-report", "r.json")
    assert result.ret == 0
    assert load_strict(pytester.path / "r.json")["complete"] is False


def test_full_run_is_complete(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """A run of the whole directory is complete: true."""
    write_check(gate_suite, "ok", PASSING)
    pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert load_strict(pytester.path / "r.json")["complete"] is True


@pytest.mark.parametrize(
    "selection", [["-k", "ok"], ["-m", "critical"], ["gate_checks/test_ok.py::test_ok"]]
)
def test_require_complete_makes_partial_run_no_go(
    pytester: pytest.Pytester, gate_suite: Path, selection: list[str]
) -> None:
    """--gate-require-complete: -k, -m or a node id is NO-GO, reason incomplete_selection."""
    write_check(gate_suite, "ok", PASSING)
    args = selection if "::" in selection[0] else ["gate_checks", *selection]
    result = pytester.runpytest(*args, "--gate-require-complete", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["reason"] == "incomplete_selection"


def test_cli_beats_env_beats_ini(
    pytester: pytest.Pytester, gate_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--gate-environment on the CLI wins over GATE_ENVIRONMENT, which wins over the ini."""
    write_check(
        gate_suite,
        "env",
        "@pytest.mark.critical\ndef test_env(gate_options):\n"
        "    with open('env.txt', 'w') as f:\n        f.write(gate_options.environment)\n",
    )
    pytester.makeini("[pytest]\ngate = true\ngate_environment = from-ini\n")
    pytester.runpytest("gate_checks")
    assert (pytester.path / "env.txt").read_text() == "from-ini"
    monkeypatch.setenv("GATE_ENVIRONMENT", "from-env")
    pytester.runpytest("gate_checks")
    assert (pytester.path / "env.txt").read_text() == "from-env"
    pytester.runpytest("gate_checks", "--gate-environment", "from-cli")
    assert (pytester.path / "env.txt").read_text() == "from-cli"


def test_report_path_from_ini(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """gate_report in the ini writes the report."""
    write_check(gate_suite, "ok", PASSING)
    pytester.makeini("[pytest]\ngate = true\ngate_report = ini-report.json\n")
    pytester.runpytest("gate_checks")
    assert load_strict(pytester.path / "ini-report.json")["verdict"] == "GO"


def test_gate_time_is_the_reported_instant(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """--gate-time (unix seconds) is the report's evaluated_at."""
    write_check(gate_suite, "ok", PASSING)
    pytester.runpytest("gate_checks", "--gate-time", "1790000000", "--gate-report", "r.json")
    assert load_strict(pytester.path / "r.json")["evaluated_at"] == "2026-09-21T14:13:20.000Z"


def test_report_has_every_documented_field(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """The report carries every top-level and per-check field of DESIGN §4."""
    write_check(gate_suite, "warn", WARN_FAIL)
    pytester.runpytest(
        "gate_checks",
        "--gate-report",
        "r.json",
        "--prometheus-url",
        "http://user:secret@prom:9090/",
    )
    report = load_strict(pytester.path / "r.json")
    assert set(report) >= {
        "schema_version",
        "verdict",
        "exit_code",
        "reason",
        "complete",
        "evaluated_at",
        "source",
        "config",
        "selection",
        "plugin_version",
        "duration_s",
        "summary",
        "checks",
    }
    assert set(report["checks"][0]) >= {
        "id",
        "title",
        "severity",
        "outcome",
        "effect",
        "value",
        "threshold",
        "comparison",
        "unit",
        "margin",
        "series",
        "query",
        "window",
        "samples",
        "message",
        "duration_s",
    }
    assert report["source"]["url"] == "http://prom:9090/"
    assert "secret" not in (pytester.path / "r.json").read_text()
    assert report["checks"][0]["title"] == "Fast p95"


def test_github_step_summary_gets_a_table(
    pytester: pytest.Pytester, gate_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With GITHUB_STEP_SUMMARY set, a Markdown table of verdict and checks is appended."""
    summary = pytester.path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_check(gate_suite, "warn", WARN_FAIL)
    pytester.runpytest("gate_checks")
    text = summary.read_text()
    assert text.startswith("earlier step\n")
    assert "Deployment gate: WARNING (exit 1)" in text
    assert "| Fast p95 | warning | fail | 2.90 s | <= 2.50 s |" in text


def test_terminal_shows_check_lines_and_traffic_light(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """Each check gets a line with value, operator and threshold; the light names the failure."""
    write_check(gate_suite, "ok", PASSING)
    write_check(gate_suite, "warn", WARN_FAIL)
    result = pytester.runpytest("gate_checks")
    result.stdout.fnmatch_lines(
        [
            "*PASS*critical*test_ok: 1.00 s <= 2.00 s (margin 1.00 s)",
            "*FAIL*warning*Fast p95: 2.90 s > 2.50 s*",
            "GATE: WARNING (exit 1) [[]YELLOW] - 1 warning check failed: Fast p95",
        ]
    )


def test_quiet_shows_only_the_traffic_light(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """-q drops the per-check lines but keeps the verdict line."""
    write_check(gate_suite, "ok", PASSING)
    result = pytester.runpytest("gate_checks", "-q")
    assert "deployment gate" not in result.stdout.str()
    result.stdout.fnmatch_lines(["GATE: GO (exit 0) [[]GREEN]*"])


def test_no_color_is_honoured(
    pytester: pytest.Pytester, gate_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR keeps escape codes out even when colour would be forced."""
    monkeypatch.setenv("NO_COLOR", "1")
    write_check(gate_suite, "ok", PASSING)
    result = pytester.runpytest_subprocess("gate_checks")
    assert "\x1b[" not in result.stdout.str()
    monkeypatch.delenv("NO_COLOR")
    forced = pytester.runpytest_subprocess("gate_checks", "--color=yes")
    assert "\x1b[" in forced.stdout.str()
