"""Canary logic (pure): selections, both sides' counts, the comparison and the p95 ratio."""

from __future__ import annotations

import pytest

from gate_checks.answers import against_baseline, both_values
from pytest_gate.core.query import Answer, DataState, Matcher, SeriesValue
from pytest_gate.stats.canary import (
    SelectionError,
    Side,
    paired,
    parse_selection,
    side_of,
    sides,
)
from pytest_gate.stats.comparison import CanaryComparison, compare


def ratio(value: float, traffic: float, query: str = "q") -> Answer:
    return Answer(query, DataState.OK, (SeriesValue((), value, traffic),), window_seconds=600)


def failed(state: DataState, message: str) -> Answer:
    return Answer("q", state, message=message)


@pytest.mark.parametrize(
    ("text", "matchers"),
    [
        ('revision="v2"', (Matcher("revision", "=", "v2"),)),
        ('{revision="v2"}', (Matcher("revision", "=", "v2"),)),
        (
            ' revision = "v2" , track!="shadow"',
            (Matcher("revision", "=", "v2"), Matcher("track", "!=", "shadow")),
        ),
        ("pod=~'serving-canary-.*'", (Matcher("pod", "=~", "serving-canary-.*"),)),
        ('revision!~"v1|v0"', (Matcher("revision", "!~", "v1|v0"),)),
        (r'name="say \"hi\""', (Matcher("name", "=", 'say "hi"'),)),
    ],
)
def test_selections_are_read_as_promql_label_matchers(
    text: str, matchers: tuple[Matcher, ...]
) -> None:
    """label, one of = != =~ !~, a quoted value; commas between; braces optional."""
    assert parse_selection(text, "--gate-canary") == matchers


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("revision=v2", "cannot read 'revision=v2'"),
        ('revision=="v2"', "cannot read"),
        ('revision="v2",', "ends in a comma"),
        ("", "is empty"),
        ("{}", "is empty"),
        ('pod=~"serving-("', "is not a valid regex"),
        ('2revision="v2"', "cannot read"),
    ],
)
def test_a_bad_selection_says_why_and_how_to_write_it(text: str, why: str) -> None:
    """Unquoted values, doubled operators, trailing commas and bad regexes are refused."""
    with pytest.raises(SelectionError) as excinfo:
        parse_selection(text, "--gate-canary")
    assert why in str(excinfo.value)
    assert "--gate-canary" in str(excinfo.value)


def test_side_counts_are_whole_and_errors_never_exceed_requests() -> None:
    """Extrapolated increases are rounded; a ratio above 1 is capped at the requests."""
    assert side_of("canary", (SeriesValue((), 12.2 / 4000.4, 4000.4),)) == Side("canary", 12, 4000)
    assert side_of("canary", (SeriesValue((), 1.01, 100.0),)).errors == 100


def test_paired_holds_both_sides_and_sides_reads_them_back() -> None:
    """One answer, series side=canary and side=baseline; sides() gives the counts again."""
    both = paired(ratio(12 / 4000, 4000), ratio(3 / 8000, 8000), 500)
    assert both.state is DataState.OK
    assert sides(both) == (Side("canary", 12, 4000), Side("baseline", 3, 8000))


@pytest.mark.parametrize(
    ("canary", "baseline", "state", "named"),
    [
        (ratio(0.0, 100), ratio(0.0, 8000), DataState.NO_DATA, ["canary: 100 requests"]),
        (ratio(0.0, 4000), ratio(0.0, 10), DataState.NO_DATA, ["baseline: 10 requests"]),
        (ratio(0.0, 1), ratio(0.0, 2), DataState.NO_DATA, ["canary: 1", "baseline: 2"]),
        (
            failed(DataState.NO_DATA, "no traffic"),
            ratio(0.0, 8000),
            DataState.NO_DATA,
            ["canary: no traffic"],
        ),
        (
            failed(DataState.NO_DATA, "no traffic"),
            failed(DataState.ERROR, "HTTP 500"),
            DataState.ERROR,
            ["baseline: HTTP 500"],
        ),
    ],
)
def test_a_side_below_its_floor_or_without_data_fails_closed_naming_it(
    canary: Answer, baseline: Answer, state: DataState, named: list[str]
) -> None:
    """Each side has its own floor; an error on either side makes the pair an error."""
    both = paired(canary, baseline, 500)
    assert both.state is state
    for part in named:
        assert part in both.message


def comparison(c: tuple[int, int], b: tuple[int, int]) -> CanaryComparison:
    return compare(
        Side("canary", *c), Side("baseline", *b), alpha=0.01, max_ratio=0.005, what="5xx"
    )


def test_the_issue_example_reads_as_the_terminal_line() -> None:
    """canary 12/4000 5xx vs baseline 3/8000, p below 0.01: significant, within the limit."""
    result = comparison((12, 4000), (3, 8000))
    assert (result.significant, result.within_limit, result.passed) == (True, True, False)
    assert result.summary() == "canary 12/4000 5xx vs baseline 3/8000, p=0.00028 < 0.01"


def test_over_the_absolute_limit_fails_even_when_not_worse() -> None:
    """1% against 1%: not significant, but over 0.5%, and the summary says so."""
    result = comparison((40, 4000), (80, 8000))
    assert (result.significant, result.passed) == (False, False)
    assert result.summary().endswith("; canary 1.00% > 0.50% (absolute limit)")


def test_the_report_object_is_json_ready() -> None:
    """to_json gives both sides, the test's name, statistic, p-value and both criteria."""
    data = comparison((0, 4000), (16, 8000)).to_json()
    assert data["canary"] == {"errors": 0, "requests": 4000, "ratio": 0.0}
    assert (data["test"], data["statistic"], data["p_value"]) == ("fisher_exact_one_sided", 0, 1.0)
    assert data["significant"] is False


def p95(value: float, count: float) -> Answer:
    return Answer("p95", DataState.OK, (SeriesValue((), value, count),), window_seconds=600)


def test_against_baseline_divides_and_keeps_the_smaller_side_count() -> None:
    """2.4 s over 0.96 s is 2.5 x; samples is the smaller side's observations."""
    result = against_baseline(p95(2.4, 200), p95(0.96, 400), 50)
    assert result.state is DataState.OK
    assert result.series[0].value == pytest.approx(2.5)
    assert result.series[0].samples == 200
    assert both_values(p95(2.4, 200), p95(0.96, 400), "s") == "canary 2.40 s, baseline 0.96 s"


@pytest.mark.parametrize(
    ("canary", "baseline", "named"),
    [
        (p95(1.0, 20), p95(1.0, 400), "canary: 20 observations"),
        (p95(1.0, 200), p95(0.0, 400), "baseline: a value of 0"),
        (failed(DataState.NO_DATA, "no observations"), p95(1.0, 400), "canary: no observations"),
    ],
)
def test_against_baseline_fails_closed_naming_the_side(
    canary: Answer, baseline: Answer, named: str
) -> None:
    """A short side, a zero baseline or a missing side is no_data, never a ratio."""
    result = against_baseline(canary, baseline, 50)
    assert (result.state, result.series) == (DataState.NO_DATA, ())
    assert named in result.message


def test_the_report_object_reads_back_as_the_same_value() -> None:
    """The one serialisation round-trips: integer counts stay integers, the test stays Fisher's."""
    result = comparison((12, 4000), (3, 8000))
    again = CanaryComparison.from_json(result.to_json())
    assert again == result
    assert isinstance(again.canary.errors, int)


def test_a_ratio_answer_gives_its_exact_count_not_ratio_times_traffic() -> None:
    """The source's numerator count is taken as it is (one whole-number boundary, no ratio)."""
    answer = Answer("q", DataState.OK, (SeriesValue((), 1 / 3, 3.0e9, count=1.0e9),))
    assert side_of("canary", answer.series) == Side("canary", 1_000_000_000, 3_000_000_000)
