"""The pure modules: decision table, observer comparisons, report sanitising, time parsing."""

from __future__ import annotations

import json
import math

import pytest

from pytest_gate.checks.observe import (
    UNKNOWN_COMPARISON,
    GateDataError,
    GateNoData,
    Observation,
    ObservedSeries,
    Observer,
    format_value,
)
from pytest_gate.config.options import BAD_TIME, OptionError, parse_time
from pytest_gate.core.deadline import Deadline
from pytest_gate.core.decision import (
    CheckResult,
    Outcome,
    SessionState,
    Severity,
    Verdict,
    decide,
    effect_of,
)
from pytest_gate.core.durations import duration
from pytest_gate.core.query import Answer, DataState, SeriesValue
from pytest_gate.core.urls import redact
from pytest_gate.output.report import CheckRecord, dumps_strict, sanitize
from pytest_gate.output.terminal import check_label

C, W = Severity.CRITICAL, Severity.WARNING


@pytest.mark.parametrize(
    ("outcome", "severity", "effect"),
    [
        (Outcome.PASS, C, Verdict.GO),
        (Outcome.PASS, W, Verdict.GO),
        (Outcome.FAIL, C, Verdict.NO_GO),
        (Outcome.FAIL, W, Verdict.WARNING),
        (Outcome.NO_DATA, C, Verdict.NO_GO),
        (Outcome.NO_DATA, W, Verdict.WARNING),
        (Outcome.ERROR, C, Verdict.NO_GO),
        (Outcome.ERROR, W, Verdict.WARNING),
        (Outcome.SKIPPED, C, Verdict.NO_GO),
        (Outcome.SKIPPED, W, Verdict.WARNING),
        (Outcome.NOT_APPLICABLE, C, None),
        (Outcome.NOT_APPLICABLE, W, None),
    ],
)
def test_effect_table(outcome: Outcome, severity: Severity, effect: Verdict | None) -> None:
    """effect_of is exactly DESIGN §3's table."""
    assert effect_of(outcome, severity) == effect


@pytest.mark.parametrize("state", [s for s in SessionState if s is not SessionState.OK])
def test_every_session_state_is_no_go(state: SessionState) -> None:
    """Any session-level state beats passing checks."""
    decision = decide([CheckResult("a", C, Outcome.PASS)], session_states=[state])
    assert (decision.verdict, decision.exit_code, decision.reason) == (
        Verdict.NO_GO,
        2,
        state.value,
    )


def test_warnings_plus_one_critical_is_no_go() -> None:
    """The worst effect decides."""
    checks = [
        CheckResult("w1", W, Outcome.FAIL),
        CheckResult("w2", W, Outcome.NO_DATA),
        CheckResult("c", C, Outcome.ERROR),
    ]
    assert decide(checks).exit_code == 2


def test_only_not_applicable_checks_is_no_go() -> None:
    """Nothing checked is never GO."""
    assert decide([CheckResult("a", C, Outcome.NOT_APPLICABLE)]).reason == "no_checks"


def _answer(
    *values: float, state: DataState = DataState.OK, samples: float | None = None
) -> Answer:
    series = tuple(SeriesValue((("i", str(i)),), v, samples) for i, v in enumerate(values))
    return Answer("q", state, series, 300, message="boom" if state is not DataState.OK else "")


def test_observer_worst_series_decides() -> None:
    """One bad series among good ones fails the comparison and is named."""
    sink: list[tuple[str, object]] = []
    with pytest.raises(AssertionError, match=r"lat 5\.00 s > 4\.50 s \(i=1\)"):
        Observer(sink).expect(_answer(1.0, 5.0, 2.0), "<=", 4.5, what="lat", unit="s")
    observation = sink[-1][1]
    assert isinstance(observation, dict) and observation["value"] == 5.0


@pytest.mark.parametrize("value", [math.nan])
def test_observer_nan_is_no_data(value: float) -> None:
    """NaN never passes: it is no_data."""
    with pytest.raises(GateNoData, match="NaN"):
        Observer([]).expect(_answer(value), "<=", 1.0, what="x", unit="s")


def test_observer_infinity_is_error() -> None:
    """+Inf is a data error."""
    with pytest.raises(GateDataError, match="infinite"):
        Observer([]).expect(_answer(math.inf), "<=", 1.0, what="x", unit="s")


def test_observer_empty_answer_is_no_data() -> None:
    """An empty result is no_data, never a pass."""
    with pytest.raises(GateNoData, match="empty result"):
        Observer([]).expect(_answer(), ">=", 0.0, what="x", unit="s")


def test_observer_error_state_is_error_naming_the_query() -> None:
    """An ERROR answer raises GateDataError with the query text."""
    with pytest.raises(GateDataError, match=r"x: boom \[query: q\]"):
        Observer([]).expect(_answer(1.0, state=DataState.ERROR), "<=", 2.0, what="x", unit="s")


def test_observer_sample_floor_is_no_data() -> None:
    """Fewer samples than the floor is no_data even when the value would pass."""
    with pytest.raises(GateNoData, match="fewer samples than the floor of 50"):
        Observer([]).expect(_answer(0.1, samples=3), "<=", 1.0, what="x", unit="s", min_samples=50)


def test_observer_rejects_unknown_comparison() -> None:
    """A typo in the operator is a clear error."""
    with pytest.raises(
        ValueError, match=UNKNOWN_COMPARISON.format(op="=<").replace("(", r"\(").replace(")", r"\)")
    ):
        Observer([]).expect(1.0, "=<", 2.0, what="x", unit="s")


def test_sanitize_removes_nan_and_infinity() -> None:
    """The report never contains NaN/Infinity tokens."""
    text = dumps_strict(sanitize({"a": math.nan, "b": [math.inf, 1.5], "c": {"d": -math.inf}}))
    assert json.loads(text) == {"a": None, "b": [None, 1.5], "c": {"d": None}}


def test_dumps_strict_refuses_raw_nan() -> None:
    """The writer itself refuses a NaN that escaped sanitising."""
    with pytest.raises(ValueError):
        dumps_strict({"a": math.nan})


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1800, "30m"), (7200, "2h"), (45, "45s"), (90, "1m30s"), (185.4, "3m5s"), (0, "0s")],
)
def test_durations_are_written_one_way_everywhere(seconds: float, text: str) -> None:
    """Windows, ages and messages: one PromQL-valid form (the report's ``window`` too)."""
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1790000000", 1790000000.0),
        ("2026-09-21T14:13:20Z", 1790000000.0),
        ("2026-09-21T16:13:20+02:00", 1790000000.0),
    ],
)
def test_parse_time_accepts_rfc3339_and_unix(text: str, expected: float) -> None:
    """--gate-time takes unix seconds or RFC 3339 with a zone."""
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-09-21T14:13:20", "-5", "nan"])
def test_parse_time_rejects_ambiguous_or_bad(text: str) -> None:
    """A time without a zone, or not a time, is refused with the fix."""
    with pytest.raises(OptionError) as info:
        parse_time(text)
    assert str(info.value) == BAD_TIME.format(value=text)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:secret@prom:9090/api?token=x", "http://prom:9090/api"),
        ("https://[::1]:9090/", "https://[::1]:9090/"),
        ("http://u:p@[fd00::5]:80", "http://[fd00::5]:80"),
        ("pushgw:9091/x?job=a#f", "pushgw:9091/x"),
    ],
)
def test_redact_drops_credentials_and_query_and_keeps_ipv6(url: str, shown: str) -> None:
    """Credentials and query strings never reach the report; IPv6 hosts keep their brackets."""
    assert redact(url) == shown


def test_deadline_can_start_before_it_is_created() -> None:
    """The gate's budget starts when pytest configures the plugin, not when the source opens."""
    now = [100.0]
    deadline = Deadline(5.0, lambda: now[0], started=97.0)
    assert deadline.remaining() == pytest.approx(2.0)
    now[0] = 102.5
    assert deadline.expired


def test_traffic_light_cuts_long_label_values() -> None:
    """A response body in a label does not flood the one-line verdict."""
    record = CheckRecord(
        id="x::test_health",
        title="Serving health",
        severity=C,
        outcome=Outcome.FAIL,
        observation=Observation(
            what="health",
            value=503.0,
            threshold=200.0,
            comparison="==",
            unit="",
            margin=-303.0,
            series=(ObservedSeries((("body", "b" * 500),), 503.0, margin=-1.0, passed=False),),
            query=None,
            window_seconds=None,
            samples=None,
            passed=False,
            state=DataState.OK,
        ),
    )
    label = check_label(record)
    assert label == "Serving health body=" + "b" * 37 + "..."


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(503, "", "503"), (0.5, "", "0.50"), (2.5, "s", "2.50 s"), (0.125, "ratio", "12.50%")],
)
def test_format_value(value: float, unit: str, text: str) -> None:
    """Counts and codes print as integers, other values with two decimals and their unit."""
    assert format_value(value, unit) == text
