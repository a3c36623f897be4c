"""Generated garbage for label selections, and PromQL quoting of any label value (pure)."""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_gate.core.query import LABEL_NAME, Selector
from pytest_gate.sources import promql
from pytest_gate.stats.canary import SelectionError, parse_selection

FLAG = "--gate-canary"
PIECES = st.sampled_from(
    [
        "revision",
        "=",
        "!=",
        "=~",
        "!~",
        '"',
        "'",
        "\\",
        ",",
        "{",
        "}",
        "v2",
        " ",
        "\n",
        "(",
        "*",
        '"} or vector(1) or x{a="',
        "\udcff",
        "é",
    ]
)
SELECTIONS = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=12).map("".join))


@settings(max_examples=200, deadline=None)
@given(SELECTIONS)
def test_any_selection_parses_or_names_the_option_and_the_fix(text: str) -> None:
    """Garbage ends in SelectionError naming the flag, never another exception; a parsed
    selection renders as PromQL whose every value reads back exactly."""
    try:
        matchers = parse_selection(text, FLAG)
    except SelectionError as exc:
        assert FLAG in str(exc) and ";" in str(exc)
        return
    rendered = promql.vector_selector(Selector("up"), matchers)
    assert rendered.startswith("up{") and rendered.endswith("}")
    for matcher in matchers:
        assert LABEL_NAME.fullmatch(matcher.label)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_a_quoted_label_value_reads_back_exactly_and_has_no_raw_control_character(
    value: str,
) -> None:
    """PromQL's string escapes are Go's: a Python literal with the same escapes reads the same."""
    literal = promql.quote(value)
    assert ast.literal_eval(literal) == value
    assert "\n" not in literal and "\r" not in literal
