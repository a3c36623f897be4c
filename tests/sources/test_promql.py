"""PromQL rendering of each query type (pure)."""

from __future__ import annotations

import pytest

from pytest_gate.core.query import (
    AvgOverTime,
    Gauge,
    Matcher,
    Quantile,
    RangeSeries,
    Ratio,
    RawPromQL,
    Selector,
    SustainedQuantile,
)
from pytest_gate.sources import promql

PROD = (Matcher("namespace", "=", "prod"),)
LATENCY = Selector.of("llm_brief_latency_seconds", mode="creative")


@pytest.mark.parametrize(
    ("seconds", "text"), [(45, "45s"), (60, "1m"), (1800, "30m"), (7200, "2h"), (5400, "90m")]
)
def test_durations_use_the_largest_whole_unit(seconds: int, text: str) -> None:
    """Windows render as PromQL durations in the largest unit that divides them."""
    assert promql.span(seconds) == text


def test_a_window_must_be_positive() -> None:
    """A zero window is a programming error, not an empty PromQL range."""
    with pytest.raises(ValueError, match="not positive"):
        promql.span(0)


def test_label_selector_is_merged_into_the_selector() -> None:
    """The config's matchers follow the query's own."""
    selector = Selector("http_requests_total").where("status", "=~", "5..")
    assert promql.vector_selector(selector, PROD) == (
        'http_requests_total{status=~"5..",namespace="prod"}'
    )


def test_label_values_are_escaped() -> None:
    """Quotes and backslashes in label values cannot break out of the string."""
    selector = Selector.of("up", job='a"b\\c')
    assert promql.vector_selector(selector, ()) == 'up{job="a\\"b\\\\c"}'


def counted(selector: str, window: str) -> str:
    """The counted-from-zero increase of one selector, written out by hand."""
    return (
        f"(increase({selector}[{window}]) and {selector} offset {window}) "
        f"or (last_over_time({selector}[{window}]) unless {selector} offset {window})"
    )


def test_counters_born_inside_the_window_count_from_zero() -> None:
    """Present at the start: increase(); absent at the start: the last value in the window."""
    assert promql.counted('c_total{a="b"}', 300) == counted('c_total{a="b"}', "5m")


def test_ratio_renders_two_separate_sums() -> None:
    """Numerator and denominator are separate ``sum by`` queries over the same window."""
    query = Ratio(Selector("fixes_total"), Selector("briefs_total"), 1800, by=("mode",))
    fixes = counted('fixes_total{namespace="prod"}', "30m")
    briefs = counted('briefs_total{namespace="prod"}', "30m")
    assert promql.ratio(query, PROD) == (f"sum by (mode) ({fixes})", f"sum by (mode) ({briefs})")


def test_quantile_sums_by_le_and_the_grouping() -> None:
    """Quantiles sum bucket increases by ``le`` and the requested labels, and count observations."""
    query = Quantile(LATENCY, 0.95, 300, by=("instance",))
    buckets = counted('llm_brief_latency_seconds_bucket{mode="creative"}', "5m")
    count = counted('llm_brief_latency_seconds_count{mode="creative"}', "5m")
    assert promql.quantile(query, ()) == (
        f"histogram_quantile(0.95, sum by (le, instance) ({buckets}))",
        f"sum by (instance) ({count})",
    )


def test_sustained_quantile_is_a_min_over_time_subquery() -> None:
    """Sustained means the minimum of short-window quantiles over the outer window."""
    query = SustainedQuantile(LATENCY, 0.95, 60, 300, 30)
    buckets = counted('llm_brief_latency_seconds_bucket{mode="creative"}', "1m")
    assert promql.sustained_quantile(query, ())[0] == (
        f"min_over_time((histogram_quantile(0.95, sum by (le) ({buckets})))[5m:30s])"
    )


@pytest.mark.parametrize(
    ("query", "selector", "window"),
    [
        (Ratio(Selector("f_total"), Selector("b_total"), 1800), 'b_total{namespace="prod"}', "30m"),
        (Quantile(LATENCY, 0.95, 300), "llm_brief_latency_seconds_count", "5m"),
        (SustainedQuantile(LATENCY, 0.95, 60, 900, 30), "llm_brief_latency_seconds_count", "15m"),
    ],
)
def test_coverage_reads_the_traffic_series(
    query: Ratio | Quantile | SustainedQuantile, selector: str, window: str
) -> None:
    """Coverage reads the denominator (or ``_count``) over the outer window: raw and born."""
    raw, born = promql.coverage(query, PROD)
    if not selector.endswith("}"):
        selector += '{mode="creative",namespace="prod"}'
    assert raw == f"{selector}[{window}]"
    assert born == f"count_over_time({selector}[{window}]) unless {selector} offset {window}"


def test_avg_over_time_also_counts_its_points() -> None:
    """An average comes with the count of points behind it."""
    query = AvgOverTime(Selector("rl_loss"), 7200)
    assert promql.avg_over_time(query, ()) == (
        "avg_over_time(rl_loss[2h])",
        "count_over_time(rl_loss[2h])",
    )


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (Gauge(Selector("up")), 'up{namespace="prod"}'),
        (RangeSeries(Selector("r"), 7200, 60), 'r{namespace="prod"} over 2h step 1m'),
        (RawPromQL("sum(up)"), "sum(up)"),
    ],
)
def test_display_names_each_query(query: Gauge | RangeSeries | RawPromQL, text: str) -> None:
    """Gauges and ranges get the label selector; raw PromQL is shown (and sent) as written."""
    assert promql.display(query, PROD) == text
