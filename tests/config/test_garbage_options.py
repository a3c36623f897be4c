"""Generated garbage for every gate option: a resolved value or an OptionError naming the option.

Pure: :func:`resolve_options` is fed a stand-in for ``pytest.Config`` (no pytest run per example).
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_gate.config.options import OPTION_SPECS, GateOptions, OptionError, resolve_options
from pytest_gate.core.instants import LATEST_INSTANT_SECONDS, MAX_SPAN_SECONDS

NOW = 1_764_313_200.0
FLAGS = tuple(spec.flag for spec in OPTION_SPECS)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1e308", "-0", "1_000", "0x10", "١٢", "²", "20ms", "1764313200000", " 5 "]),
)
VALUES = st.one_of(st.text(max_size=40), NUMBERS)


class Options:
    """What ``resolve_options`` reads of a ``pytest.Config``: CLI values, no ini."""

    def __init__(self, cli: dict[str, Any]) -> None:
        self.cli = cli

    def getoption(self, dest: str) -> Any:
        return self.cli.get(dest)

    def getini(self, name: str) -> Any:
        return None


def resolve(cli: dict[str, Any], env: dict[str, str] | None = None) -> GateOptions:
    return resolve_options(cast(pytest.Config, Options(cli)), env=env or {}, now=NOW)


@st.composite
def command_lines(draw: st.DrawFn) -> dict[str, Any]:
    specs = draw(st.lists(st.sampled_from(OPTION_SPECS), max_size=6, unique=True))
    cli: dict[str, Any] = {}
    for spec in specs:
        if spec.kind == "list":
            cli[spec.dest] = draw(st.lists(VALUES, max_size=3))
        elif spec.kind == "bool":
            cli[spec.dest] = draw(st.one_of(st.booleans(), VALUES))
        else:
            cli[spec.dest] = draw(VALUES)
    return cli


@settings(max_examples=200, deadline=None)
@given(command_lines())
def test_any_command_line_resolves_or_names_the_option(cli: dict[str, Any]) -> None:
    """Garbage values end in OptionError naming a flag, never another exception."""
    try:
        options = resolve(cli)
    except OptionError as exc:
        message = str(exc)
        assert any(flag in message for flag in FLAGS), message
        assert ";" in message, f"no fix in {message!r}"
        return
    assert 0 < options.at <= LATEST_INSTANT_SECONDS
    assert 0 < options.deadline_seconds <= MAX_SPAN_SECONDS
    assert 0 < options.interval_seconds <= MAX_SPAN_SECONDS
    assert options.watch_seconds is None or 0 < options.watch_seconds <= MAX_SPAN_SECONDS


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([s for s in OPTION_SPECS if s.env]), VALUES)
def test_any_environment_value_resolves_or_names_the_option(spec: Any, value: str) -> None:
    """The same for every GATE_* variable (environment values are text)."""
    try:
        resolve({}, env={spec.env: value})
    except OptionError as exc:
        assert spec.flag in str(exc)


@pytest.mark.parametrize(
    ("dest", "value", "words"),
    [
        ("gate_time", "1764313200000", "looks like milliseconds; give seconds (1764313200.000)"),
        ("gate_time", "1e308", "is after the year 9999"),
        ("gate_time", "9999-12-31T23:59:59-01:00", "neither RFC 3339 nor unix seconds"),
        ("gate_time", "0001-01-01T00:00:00+01:00", "neither RFC 3339 nor unix seconds"),
        ("gate_deadline", "1e308", "--gate-deadline '1e308' is more than 604800 seconds"),
        ("gate_deadline", "nan", "--gate-deadline 'nan' is not a positive number of seconds"),
        ("gate_interval", "inf", "--gate-interval 'inf' is not a positive number"),
        ("gate_failure_limit", "9" * 5000, "is not a whole number of rounds"),
        ("gate_failure_limit", "²", "is not a whole number of rounds"),
        ("gate_report", "", "--gate-report is given an empty path"),
        ("gate_record", " ", "--gate-record is given an empty path"),
        ("gate_replay", "", "--gate-replay is given an empty path"),
        ("gate_config", "", "--gate-config is given an empty path"),
        ("gate_strict", "maybe", "--gate-strict 'maybe' is not a boolean"),
        ("gate_gpu_source", "cuda", "--gpu-source"),
    ],
)
def test_each_bad_option_value_names_the_option_and_the_fix(
    dest: str, value: str, words: str
) -> None:
    """The cases found by hand, one row each."""
    with pytest.raises(OptionError, match=None) as caught:
        resolve({dest: value})
    assert words in str(caught.value)
