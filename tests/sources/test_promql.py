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


def counted(selector: str, window: str, lookback: str = "1h") -> str:
    """The quick exact count of one selector, written out by hand (no ``increase()``)."""
    last = f"last_over_time({selector}[{window}])"
    base = f"last_over_time({selector}[{lookback}] offset {window})"
    return f"(({last} - {base}) >= 0) or {last}"


def test_counters_count_from_the_base_without_increase() -> None:
    """Last value minus the base found in the look-back; the last value where born or reset."""
    assert promql.counted('c_total{a="b"}', 300) == counted('c_total{a="b"}', "5m")
    assert promql.counted("c_total", 300, 7200) == counted("c_total", "5m", "2h")


def test_series_that_may_have_reset_are_named_for_raw_samples() -> None:
    """A reset in the window, or any value below the base, asks for that series' raw samples."""
    base = "last_over_time(c_total[1h] offset 30m)"
    assert promql.needs_samples("c_total", 1800, 3600) == (
        f"(resets(c_total[30m]) > 0) or (min_over_time(c_total[30m]) < {base})"
    )


def test_narrowed_selector_names_only_the_series_that_reset() -> None:
    """One regex matcher per label over the wanted series' values; absent labels match empty."""
    series = ((("instance", "a:1"), ("le", "0.5")), (("instance", "b.2"),))
    text = promql.narrowed(Selector("h"), PROD, "_bucket", series)
    assert text == 'h_bucket{instance=~"a:1|b\\\\.2",le=~"|0\\\\.5",namespace="prod"}'


def test_ratio_renders_two_separate_sums() -> None:
    """Numerator and denominator are separate ``sum by`` queries over the same window."""
    query = Ratio(Selector("fixes_total"), Selector("briefs_total"), 1800, by=("mode",))
    fixes = counted('fixes_total{namespace="prod"}', "30m")
    briefs = counted('briefs_total{namespace="prod"}', "30m")
    assert promql.ratio(query, PROD) == (f"sum by (mode) ({fixes})", f"sum by (mode) ({briefs})")


def test_quantile_sums_bucket_counts_by_le_and_the_grouping() -> None:
    """Quantiles sum exact bucket counts by ``le`` and the requested labels."""
    query = Quantile(LATENCY, 0.95, 300, by=("instance",))
    buckets = counted('llm_brief_latency_seconds_bucket{mode="creative"}', "5m")
    assert promql.quantile(query, ()) == (
        f"histogram_quantile(0.95, sum by (le, instance) ({buckets}))"
    )


def test_sustained_quantile_is_a_min_over_time_subquery() -> None:
    """Sustained means the minimum of short-window quantiles over the outer window."""
    query = SustainedQuantile(LATENCY, 0.95, 60, 300, 30)
    buckets = counted('llm_brief_latency_seconds_bucket{mode="creative"}', "1m")
    assert promql.sustained_quantile(query, ()) == (
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
    """Coverage reads the denominator (or ``_count``) over the outer window: raw and bases."""
    raw, recent, older = promql.coverage(query, PROD)
    if not selector.endswith("}"):
        selector += '{mode="creative",namespace="prod"}'
    assert raw == f"{selector}[{window}]"
    assert recent == f"timestamp({selector} offset {window})"
    assert older == (
        f"last_over_time({selector}[1h] offset {window}) unless {selector} offset {window}"
    )


def test_an_old_base_time_takes_a_subquery() -> None:
    """Bases more than 5 minutes before the window are found by a subquery at 4m steps."""
    assert promql.base_time("x", 1800, 3600) == (
        "timestamp(x offset 30m) or max_over_time(timestamp(x)[1h:4m] offset 30m)"
    )


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


def test_a_numerator_inside_its_denominator_is_checked_for_resets_through_it() -> None:
    """5xx of all requests: one reset check on the requests serves both sides of the ratio."""
    requests = Selector("req_total").where("handler", "!~", "/health")
    errors = requests.where("status", "=~", "5..")
    numerator, denominator = promql.ratio_counters(Ratio(errors, requests, 300))
    assert numerator.probe_text(PROD) == denominator.probe_text(PROD)
    fixes, _briefs = promql.ratio_counters(Ratio(Selector("fixes_total"), Selector("b_total"), 300))
    assert fixes.probe_text(()) == "fixes_total"
