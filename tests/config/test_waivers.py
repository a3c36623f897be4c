"""Waivers (pure): parsing with key and fix, the 30-day horizon, matching, expiry, the decision."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pytest_gate.config.gateconfig import ConfigError, load_config
from pytest_gate.config.waivers import (
    MAX_DAYS,
    POLICY_FIX,
    Waiver,
    WaiverStatus,
    apply,
    blanket_problem,
    check_horizon,
    parse,
)
from pytest_gate.core.decision import CheckResult, Outcome, Severity, Verdict, decide, effect_of

DEFAULT_TOML = Path(__file__).resolve().parents[2] / "gate_checks" / "gate.toml"
T = datetime(2025, 6, 15, 15, 0, tzinfo=UTC).timestamp()
API = "gate_checks/test_errors.py::test_api_5xx_rate"
P95_FAST = "gate_checks/test_latency.py::test_p95_latency[fast]"
P95_SLOW = "gate_checks/test_latency.py::test_p95_latency[balanced]"
GOOD = {
    "check": "test_api_5xx_rate",
    "reason": "INC-4711: upstream 503s while the cache warms",
    "owner": "alice@example.com",
    "expires": date(2025, 7, 1),
}


def waiver(check: str = "test_api_5xx_rate", expires: date = date(2025, 7, 1)) -> Waiver:
    return Waiver(check, "INC-4711", "alice@example.com", expires, index=0)


def parse_error(entry: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as excinfo:
        parse([entry], "gate.toml")
    return str(excinfo.value)


def test_a_complete_entry_parses_into_a_waiver() -> None:
    """check, reason, owner and a TOML date give one frozen Waiver."""
    [parsed] = parse([GOOD], "gate.toml")
    assert (parsed.check, parsed.owner, parsed.expires) == (
        "test_api_5xx_rate",
        "alice@example.com",
        date(2025, 7, 1),
    )


@pytest.mark.parametrize("key", ["owner", "reason", "check"])
def test_an_entry_without_owner_reason_or_check_names_the_key_and_the_fix(key: str) -> None:
    """A missing owner (or reason, or check) is a config error naming waivers[0].<key>."""
    entry = {k: v for k, v in GOOD.items() if k != key}
    message = parse_error(entry)
    assert f"gate.toml: waivers[0].{key}: missing" in message
    assert f"{key} = " in message  # the fix shows how to write it


@pytest.mark.parametrize("key", ["owner", "reason"])
def test_a_blank_owner_or_reason_is_refused(key: str) -> None:
    """An owner or reason of only spaces is as good as none."""
    assert f"waivers[0].{key}: expected a non-empty string" in parse_error({**GOOD, key: "  "})


@pytest.mark.parametrize("pattern", ["*", "**", "test_*", "?*"])
def test_a_glob_that_names_every_check_is_refused(pattern: str) -> None:
    """A waiver may never cover the whole gate."""
    assert "names every check, which would waive the whole gate" in parse_error(
        {**GOOD, "check": pattern}
    )


def test_an_unknown_key_is_refused_with_the_allowed_ones() -> None:
    """A typo such as 'owners' is named, with the allowed keys."""
    message = parse_error({**GOOD, "owners": "bob"})
    assert "waivers[0].owners: unknown key; allowed keys here are: check, reason, owner" in message


@pytest.mark.parametrize(
    "expires", ["next week", datetime(2025, 7, 1, 12, 0, tzinfo=UTC), 20250701]
)
def test_expires_must_be_a_date(expires: object) -> None:
    """Free text, a date-time or a number is refused, with an example date."""
    assert "expires = 2025-07-01" in parse_error({**GOOD, "expires": expires})


def test_expires_as_a_quoted_iso_date_is_read() -> None:
    """expires = "2025-07-01" (quoted) means the same date."""
    [parsed] = parse([{**GOOD, "expires": "2025-07-01"}], "gate.toml")
    assert parsed.expires == date(2025, 7, 1)


def test_waivers_as_a_plain_table_is_refused() -> None:
    """[waivers] instead of [[waivers]] says to write an array of tables."""
    with pytest.raises(ConfigError, match=r"waivers: expected an array of tables.*\[\[waivers\]\]"):
        parse({"check": "x"}, "gate.toml")


def test_exactly_thirty_days_out_is_allowed() -> None:
    """A waiver ending 30 days after T's date passes the horizon."""
    check_horizon([waiver(expires=date(2025, 7, 15))], T, "gate.toml")


def test_more_than_thirty_days_out_is_a_policy_change() -> None:
    """31 days out is a config error that says to change the threshold instead."""
    with pytest.raises(ConfigError) as excinfo:
        check_horizon([waiver(expires=date(2025, 7, 16))], T, "gate.toml")
    message = str(excinfo.value)
    assert "2025-07-16 is 31 days after the evaluation instant (2025-06-15)" in message
    assert "longer than 30 days is a policy change: change the threshold" in message
    assert POLICY_FIX in message
    assert MAX_DAYS == 30


def test_the_shipped_config_with_a_waiver_loads(tmp_path: Path) -> None:
    """[[waivers]] appended to the shipped gate.toml is read by load_config."""
    path = tmp_path / "gate.toml"
    path.write_text(
        DEFAULT_TOML.read_text()
        + '\n[[waivers]]\ncheck = "test_api_5xx_rate"\nreason = "INC-4711"\n'
        'owner = "alice@example.com"\nexpires = 2025-07-01\n'
    )
    assert [w.owner for w in load_config(path).waivers] == ["alice@example.com"]
    assert load_config(DEFAULT_TOML).waivers == ()


@pytest.mark.parametrize(
    ("pattern", "check_id", "named"),
    [
        ("test_api_5xx_rate", API, True),
        ("api_5xx_rate", API, True),
        (API, API, True),
        ("test_api_*", API, True),
        ("test_api_5xx", API, False),
        ("test_p95_latency[fast]", P95_FAST, True),
        ("test_p95_latency[fast]", P95_SLOW, False),
        ("test_p95_latency[*]", P95_SLOW, True),
        ("p95_latency*", P95_FAST, True),
        ("test_schema_failure_rate", API, False),
    ],
)
def test_a_waiver_names_checks_by_id_short_name_or_glob(
    pattern: str, check_id: str, named: bool
) -> None:
    """Exact node id, test name, check name or a * glob; brackets are literal parameter ids."""
    used = apply([waiver(pattern)], [(check_id, Outcome.FAIL)], T)
    assert (check_id in used.by_check) is named


def test_a_waiver_is_valid_through_its_date_and_expired_the_day_after() -> None:
    """expires = 2025-06-15 still applies at T on that date; 2025-06-14 is expired and listed."""
    today = apply([waiver(expires=date(2025, 6, 15))], [(API, Outcome.FAIL)], T)
    yesterday = apply([waiver(expires=date(2025, 6, 14))], [(API, Outcome.FAIL)], T)
    assert today.uses[0].status is WaiverStatus.APPLIED
    assert yesterday.uses[0].status is WaiverStatus.EXPIRED
    assert dict(yesterday.by_check) == {}
    assert (
        yesterday.expired()[0]
        .expired_message()
        .startswith(
            "waiver for 'test_api_5xx_rate' (owner alice@example.com) expired on 2025-06-14"
        )
    )


@pytest.mark.parametrize("outcome", [Outcome.PASS, Outcome.NOT_APPLICABLE])
def test_a_passing_or_not_applicable_check_is_not_covered(outcome: Outcome) -> None:
    """A waiver whose check passed is listed as unused, covering nothing."""
    used = apply([waiver()], [(API, outcome)], T)
    assert (dict(used.by_check), used.uses[0].status) == ({}, WaiverStatus.UNUSED)


@pytest.mark.parametrize("outcome", [Outcome.FAIL, Outcome.NO_DATA, Outcome.ERROR, Outcome.SKIPPED])
def test_a_waived_critical_check_is_a_warning_never_go(outcome: Outcome) -> None:
    """Whatever the named critical check's outcome, its waived effect is WARNING."""
    assert effect_of(outcome, Severity.CRITICAL, waived=True) is Verdict.WARNING
    decision = decide([CheckResult(API, Severity.CRITICAL, outcome, waived=True)])
    assert (decision.verdict, decision.reason) == (
        Verdict.WARNING,
        f"waived_critical_{outcome.value}",
    )


def test_a_waiver_does_not_hide_the_no_data_of_a_check_it_does_not_name() -> None:
    """The 5xx waiver covers the 5xx failure; an unnamed critical no_data keeps the run NO-GO."""
    schema = "gate_checks/test_schema.py::test_schema_failure_rate"
    checks = [(API, Outcome.FAIL), (schema, Outcome.NO_DATA)]
    used = apply([waiver()], checks, T)
    assert set(used.by_check) == {API}
    decision = decide(
        [CheckResult(c, Severity.CRITICAL, o, waived=c in used.by_check) for c, o in checks]
    )
    assert (decision.verdict, decision.reason) == (Verdict.NO_GO, "critical_no_data")


def test_strict_still_turns_a_waived_warning_into_no_go() -> None:
    """--gate-strict applies after waivers: a waived critical failure is NO-GO under strict."""
    decision = decide([CheckResult(API, Severity.CRITICAL, Outcome.FAIL, waived=True)], strict=True)
    assert decision.verdict is Verdict.NO_GO


def test_a_waived_warning_check_stays_a_warning() -> None:
    """A waiver never improves a warning check: still WARNING, reason warning_fail."""
    decision = decide([CheckResult(P95_FAST, Severity.WARNING, Outcome.FAIL, waived=True)])
    assert (decision.verdict, decision.reason) == (Verdict.WARNING, "warning_fail")


SHIPPED_IDS = [
    API,
    P95_FAST,
    P95_SLOW,
    "gate_checks/test_gpu.py::test_vram_headroom",
    "gate_checks/test_targets.py::test_scrape_targets_up",
    "gate_checks/test_rl.py::test_rl_reward_trend",
]


@pytest.mark.parametrize("pattern", ["t*", "*e*", "*_*", "*t?*", "gate_checks/*"])
def test_a_glob_matching_every_collected_check_is_a_config_error_whatever_its_spelling(
    pattern: str,
) -> None:
    """Judged by what it matches: ``t*``, ``*e*`` and ``*_*`` waive the whole gate too."""
    problem = blanket_problem([waiver(pattern)], SHIPPED_IDS, "gate.toml")
    assert problem is not None
    assert f"gate.toml: waivers[0].check: {pattern!r} names every one of the 6 checks" in problem
    assert 'name one check, using * only for its parameters, e.g. "test_p95_latency[*]"' in problem


@pytest.mark.parametrize("pattern", ["test_p95_latency[*]", "*latency*", "test_api_5xx_rate"])
def test_a_glob_that_leaves_a_check_out_is_accepted(pattern: str) -> None:
    """Naming some checks, or every parameter of one check, is what waivers are for."""
    assert blanket_problem([waiver(pattern)], SHIPPED_IDS, "gate.toml") is None


def test_every_parameter_of_the_only_collected_check_may_be_waived() -> None:
    """``pytest gate_checks/test_latency.py::test_p95_latency`` with its own waiver is fine."""
    assert blanket_problem([waiver("test_p95_latency[*]")], [P95_FAST, P95_SLOW], "g") is None
