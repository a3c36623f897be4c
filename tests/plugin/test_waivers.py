"""[[waivers]] through a real pytest run: effect, report, terminal, expiry and config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gate.config.waivers import EXPIRED, POLICY_FIX
from tests.plugin.suite import load_strict, write_check

SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "gate_checks" / "gate.toml"
T = "2025-06-15T15:00:00Z"
FAILING_5XX = (
    '@pytest.mark.critical\ndef test_api_5xx_rate(gate):\n    """API 5xx rate"""\n'
    "    gate.expect(0.02, '<=', 0.005, what='5xx rate', unit='ratio')\n"
)
NO_DATA_SCHEMA = (
    '@pytest.mark.critical\ndef test_schema_failure_rate(gate):\n    """Schema failure rate"""\n'
    "    from pytest_gate.core.query import Answer, DataState\n"
    "    gate.expect(Answer('q', DataState.OK), '<=', 0.0, what='repairs', unit='ratio')\n"
)
PASSING = (
    "@pytest.mark.critical\ndef test_ok(gate):\n    gate.expect(1, '<=', 2, what='x', unit='s')\n"
)


def waiver_toml(
    check: str = "test_api_5xx_rate",
    expires: str = "2025-07-01",
    owner: str | None = "alice@example.com",
) -> str:
    owner_line = f'owner = "{owner}"\n' if owner is not None else ""
    return (
        f'\n[[waivers]]\ncheck = "{check}"\nreason = "INC-4711: upstream 503s while the cache '
        f'warms"\n{owner_line}expires = {expires}\n'
    )


def with_waivers(gate_suite: Path, *waivers: str) -> None:
    """The shipped gate.toml plus the given [[waivers]] tables, in the gate-checks directory."""
    (gate_suite / "gate.toml").write_text(SHIPPED_CONFIG.read_text() + "".join(waivers))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("gate_checks", "--gate-time", T, "--gate-report", "r.json", *args)


def report(pytester: pytest.Pytester) -> dict[str, object]:
    return load_strict(pytester.path / "r.json")


def test_waived_critical_failure_is_a_warning_with_exit_1(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """The waived 5xx failure exits 1; its effect is WARNING and its waiver is in the report."""
    write_check(gate_suite, "errors", FAILING_5XX)
    with_waivers(gate_suite, waiver_toml())
    result = run(pytester)
    assert result.ret == 1
    data = report(pytester)
    [check] = data["checks"]  # type: ignore[misc]
    assert (data["verdict"], data["reason"]) == ("WARNING", "waived_critical_fail")
    assert (check["outcome"], check["effect"], check["waived"]) == ("fail", "WARNING", True)
    assert check["waiver"]["owner"] == "alice@example.com"
    assert data["waivers"] == [
        {
            "check": "test_api_5xx_rate",
            "reason": "INC-4711: upstream 503s while the cache warms",
            "owner": "alice@example.com",
            "expires": "2025-07-01",
            "status": "applied",
            "applied": True,
            "checks": ["gate_checks/test_errors.py::test_api_5xx_rate"],
        }
    ]


def test_terminal_names_the_waiver_on_the_check_line_and_the_light(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """The check line says who waived it until when; the light counts a waived critical check."""
    write_check(gate_suite, "errors", FAILING_5XX)
    with_waivers(gate_suite, waiver_toml())
    result = run(pytester)
    result.stdout.fnmatch_lines(
        [
            "FAIL*critical*API 5xx rate: *[[]waived until 2025-07-01 by alice@example.com: INC-4711*",
            "GATE: WARNING (exit 1) [[]YELLOW] - 1 waived critical check failed: API 5xx rate",
        ]
    )


def test_without_the_waiver_the_same_failure_is_no_go(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """The same suite and config without [[waivers]] exits 2: the waiver is what made it a 1."""
    write_check(gate_suite, "errors", FAILING_5XX)
    with_waivers(gate_suite)
    assert run(pytester).ret == 2
    assert report(pytester)["waivers"] == []


def test_a_waiver_never_covers_a_check_it_does_not_name(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """The 5xx waiver lets the 5xx failure through, but the unnamed schema no_data stays NO-GO."""
    write_check(gate_suite, "errors", FAILING_5XX)
    write_check(gate_suite, "schema", NO_DATA_SCHEMA)
    with_waivers(gate_suite, waiver_toml())
    assert run(pytester).ret == 2
    checks = {c["id"].split("::")[-1]: c for c in report(pytester)["checks"]}  # type: ignore[attr-defined]
    assert checks["test_schema_failure_rate"]["effect"] == "NO-GO"
    assert checks["test_schema_failure_rate"]["waived"] is False
    assert checks["test_api_5xx_rate"]["effect"] == "WARNING"


def test_a_waiver_covers_the_no_data_of_the_check_it_names(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """Named by a glob, the schema check's no_data is waived to WARNING."""
    write_check(gate_suite, "schema", NO_DATA_SCHEMA)
    with_waivers(gate_suite, waiver_toml(check="test_schema_*"))
    assert run(pytester).ret == 1
    assert report(pytester)["reason"] == "waived_critical_no_data"


def test_an_expired_waiver_is_ignored_and_named_in_report_and_terminal(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A waiver that ended the day before T does nothing: NO-GO, status expired, message shown."""
    write_check(gate_suite, "errors", FAILING_5XX)
    with_waivers(gate_suite, waiver_toml(expires="2025-06-14"))
    result = run(pytester)
    assert result.ret == 2
    data = report(pytester)
    message = EXPIRED.format(
        check="test_api_5xx_rate", owner="alice@example.com", expires="2025-06-14"
    )
    assert data["waivers"][0]["status"] == "expired"  # type: ignore[index]
    assert data["waivers"][0]["applied"] is False  # type: ignore[index]
    assert message in data["messages"]  # type: ignore[operator]
    result.stdout.fnmatch_lines([f"gate: {message}".replace("[", "[[]")])


def test_a_waiver_of_a_passing_check_is_listed_unused(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """Nothing to cover: GO, and the report lists the waiver as unused."""
    write_check(gate_suite, "ok", PASSING)
    with_waivers(gate_suite, waiver_toml(check="test_ok"))
    assert run(pytester).ret == 0
    assert report(pytester)["waivers"][0]["status"] == "unused"  # type: ignore[index]


def test_a_waiver_without_owner_is_a_config_error_naming_the_fix(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """No owner: NO-GO config_error, no check runs, the message names waivers[0].owner."""
    write_check(gate_suite, "errors", FAILING_5XX)
    with_waivers(gate_suite, waiver_toml(owner=None))
    result = run(pytester)
    assert result.ret == 2
    data = report(pytester)
    assert data["reason"] == "config_error"
    assert any("waivers[0].owner: missing" in m for m in data["messages"])  # type: ignore[attr-defined]


def test_a_waiver_longer_than_30_days_is_a_config_error(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """Expiring 31 days after T is refused: a longer waiver is a policy change."""
    write_check(gate_suite, "errors", FAILING_5XX)
    with_waivers(gate_suite, waiver_toml(expires="2025-07-16"))
    result = run(pytester)
    assert result.ret == 2
    data = report(pytester)
    assert data["reason"] == "config_error"
    [message] = data["messages"]  # type: ignore[misc]
    assert "waivers[0].expires: 2025-07-16 is 31 days after the evaluation instant" in message
    assert message.endswith(POLICY_FIX)
    result.stdout.fnmatch_lines(["*longer than 30 days is a policy change: change the threshold*"])


def test_strict_makes_a_waived_failure_no_go(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """--gate-strict still turns the waived WARNING into NO-GO."""
    write_check(gate_suite, "errors", FAILING_5XX)
    with_waivers(gate_suite, waiver_toml())
    assert run(pytester, "--gate-strict").ret == 2
