"""Every query type against a real Prometheus holding backfilled history with known numbers."""

from __future__ import annotations

import math

import pytest

from pytest_gate.core.query import (
    AvgOverTime,
    DataState,
    Gauge,
    Quantile,
    RangeSeries,
    Ratio,
    RawPromQL,
    Selector,
    SustainedQuantile,
)
from tests.sources import dataset
from tests.sources.conftest import SnapshotFactory
from tests.support.prometheus_server import PrometheusServer

pytestmark = pytest.mark.prometheus

FIXES = Selector("llm_schema_fix_count_total")
BRIEFS = Selector("llm_brief_total")
LATENCY = Selector("llm_brief_latency_seconds")


def values(answer: object) -> dict[str, float]:
    """``{"mode=fast": 0.0, ...}`` of an answer's series."""
    return {s.describe(): s.value for s in answer.series}  # type: ignore[attr-defined]


def test_ratio_per_group_gives_real_zero_for_absent_numerator(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A group whose numerator series is absent but which has traffic is a real 0, not no data."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="ratio")
    answer = snapshot.ask(Ratio(FIXES, BRIEFS, 1800, by=("mode",)))
    assert answer.state is DataState.OK
    assert values(answer) == {"mode=balanced": pytest.approx(0.1), "mode=fast": 0.0}


def test_ratio_samples_are_the_denominator_increase(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Each ratio series carries its traffic (the denominator's increase) as samples."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="ratio")
    answer = snapshot.ask(Ratio(FIXES, BRIEFS, 1800, by=("mode",)))
    assert {s.describe(): s.samples for s in answer.series} == {
        "mode=balanced": pytest.approx(1800.0),
        "mode=fast": pytest.approx(3600.0),
    }


def test_ratio_leaves_out_a_group_without_traffic_and_says_so(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A group whose denominator did not increase is left out and named in the notes."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="ratio")
    answer = snapshot.ask(Ratio(FIXES, BRIEFS, 1800, by=("mode",)))
    assert "mode=creative" not in values(answer)
    assert any("no traffic for mode=creative" in note for note in answer.notes)


def test_ratio_without_grouping_sums_every_series(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Without ``by`` the ratio is the sum of numerators over the sum of denominators."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="ratio")
    answer = snapshot.ask(Ratio(FIXES, BRIEFS, 1800))
    assert answer.series[0].value == pytest.approx(180 / 5400)


def test_ratio_with_no_traffic_anywhere_is_no_data(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """0/0 (the denominator never increased) is no data, never a 0 that passes."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="idle")
    answer = snapshot.ask(Ratio(FIXES, BRIEFS, 1800, by=("mode",)))
    assert answer.state is DataState.NO_DATA
    assert "no traffic" in answer.message


def test_ratio_with_absent_denominator_is_no_data(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A denominator with no series at all is no data, and the message names the query."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="ratio")
    answer = snapshot.ask(Ratio(FIXES, Selector("never_exported_total"), 1800))
    assert answer.state is DataState.NO_DATA
    assert "never_exported_total" in answer.message


def test_ratio_per_instance_shows_the_bad_instance(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Two instances where only one errors: both are reported, neither reduced to result[0]."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="http")
    requests_total = Selector("http_requests_total")
    answer = snapshot.ask(
        Ratio(requests_total.where("status", "=~", "5.."), requests_total, 300, by=("instance",))
    )
    assert values(answer) == {"instance=a": 0.0, "instance=b": pytest.approx(0.1)}


def test_quantile_interpolates_like_histogram_quantile(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """p95 per mode matches the interpolation worked out by hand from the bucket rates."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="latency")
    selected = LATENCY.where("mode", "=~", "fast|balanced|creative_high")
    answer = snapshot.ask(Quantile(selected, 0.95, 300, by=("mode",)))
    assert values(answer) == {
        "mode=balanced": pytest.approx(dataset.P95_LOW),
        "mode=creative_high": pytest.approx(dataset.P95_HIGH),
        "mode=fast": pytest.approx(dataset.P95_FAST),
    }


def test_quantile_samples_are_observations_in_the_window(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """The sample count of a quantile is the number of observations over the window."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="latency")
    answer = snapshot.ask(Quantile(LATENCY.where("mode", "=", "fast"), 0.95, 300))
    assert answer.series[0].samples == pytest.approx(10 * 300)


def test_quantile_of_an_idle_histogram_is_no_data(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A histogram with no observations in the window is no data, not NaN."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="latency")
    answer = snapshot.ask(Quantile(LATENCY.where("mode", "=", "idle"), 0.95, 300))
    assert answer.state is DataState.NO_DATA
    assert "no observations" in answer.message


def test_sustained_quantile_is_the_minimum_over_the_outer_window(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """High throughout gives the high p95; a two-minute spike does not count as sustained."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="latency")
    selected = LATENCY.where("mode", "=~", "creative_.*")
    answer = snapshot.ask(SustainedQuantile(selected, 0.95, 60, 300, 30, by=("mode",)))
    assert values(answer) == {
        "mode=creative_high": pytest.approx(dataset.P95_HIGH),
        "mode=creative_spike": pytest.approx(dataset.P95_LOW),
    }


def test_spike_is_above_the_limit_in_the_short_window(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """The spike the sustained query discounts is visible in a one-minute quantile at T."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="latency")
    answer = snapshot.ask(Quantile(LATENCY.where("mode", "=", "creative_spike"), 0.95, 60))
    assert answer.series[0].value == pytest.approx(dataset.P95_HIGH)


def test_gauge_returns_every_gpu(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Four GPUs give four series; the third one's low free memory is among them."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="gpu")
    answer = snapshot.ask(Gauge(Selector("nvidia_gpu_memory_free_bytes")))
    free = {s.label_map["gpu"]: s.value for s in answer.series}
    assert free == {str(i): float(b) for i, b in enumerate(dataset.GPU_FREE_BYTES)}


def test_gauge_reports_every_instance(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """``up`` for two instances returns both, the down one included."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="up")
    answer = snapshot.ask(Gauge(Selector.of("up", job="serving")))
    assert {s.label_map["instance"]: s.value for s in answer.series} == {"a": 1.0, "b": 0.0}


def test_stale_gauge_is_no_data(prometheus: PrometheusServer, open_source: SnapshotFactory) -> None:
    """A gauge last written ten minutes before T is stale: no data."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="stale")
    answer = snapshot.ask(Gauge(Selector("llm_model_loaded")))
    assert answer.state is DataState.NO_DATA


def test_nan_gauge_is_no_data(prometheus: PrometheusServer, open_source: SnapshotFactory) -> None:
    """A NaN value is no data, never a pass."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="special")
    answer = snapshot.ask(Gauge(Selector.of("rl_loss", algorithm="nan")))
    assert answer.state is DataState.NO_DATA
    assert "NaN" in answer.message


def test_infinite_gauge_is_an_error(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A +Inf value is an error."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="special")
    answer = snapshot.ask(Gauge(Selector.of("rl_loss", algorithm="inf")))
    assert answer.state is DataState.ERROR


def test_avg_over_time_gives_the_mean_and_its_points(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Two hours of 1.0 then 3.0 in equal halves average 2.0 over 480 points."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="rl")
    answer = snapshot.ask(AvgOverTime(Selector.of("rl_loss", loss_type="total_loss"), 7200))
    assert answer.series[0].value == pytest.approx(2.0)
    assert answer.series[0].samples == 480.0


def test_range_series_spans_the_window_ending_at_t(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A 2h range at 60 s steps has 121 points from T-2h to T, each the latest sample."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="rl")
    answer = snapshot.ask(RangeSeries(Selector("rl_reward_ma"), 7200, 60))
    points = answer.series[0].points
    assert len(points) == 121
    assert (points[0][0], points[-1][0]) == (dataset.T - 7200, dataset.T)
    assert [v for _, v in points] == pytest.approx([dataset.reward_at(t) for t, _ in points])


def test_raw_promql_vector(prometheus: PrometheusServer, open_source: SnapshotFactory) -> None:
    """Raw PromQL returning a vector gives its series."""
    snapshot = open_source(prometheus_url=prometheus.url)
    answer = snapshot.ask(RawPromQL('sum by (instance) (up{scenario="up"})'))
    assert values(answer) == {"instance=a": 1.0, "instance=b": 0.0}


def test_raw_promql_scalar(prometheus: PrometheusServer, open_source: SnapshotFactory) -> None:
    """Raw PromQL returning a scalar gives one unlabelled series."""
    snapshot = open_source(prometheus_url=prometheus.url)
    answer = snapshot.ask(RawPromQL('scalar(sum(up{scenario="up"}))'))
    assert [(s.labels, s.value) for s in answer.series] == [((), 1.0)]


def test_raw_promql_syntax_error_names_prometheus_cause(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A PromQL syntax error is an error whose message carries Prometheus' explanation."""
    snapshot = open_source(prometheus_url=prometheus.url)
    answer = snapshot.ask(RawPromQL("sum(up"))
    assert answer.state is DataState.ERROR
    assert "bad_data" in answer.message


def test_label_selector_is_applied_to_every_query(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """The config's label selector narrows a query: another scenario's series are not seen."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="gpu_partial")
    answer = snapshot.ask(Gauge(Selector("nvidia_gpu_memory_free_bytes")))
    assert sorted(s.label_map["gpu"] for s in answer.series) == ["0", "2", "3"]


def test_every_query_is_evaluated_at_t(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """An instant long after the backfilled data sees nothing: T is really sent."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="gpu", at=dataset.T + 3600)
    answer = snapshot.ask(Gauge(Selector("nvidia_gpu_memory_free_bytes")))
    assert answer.state is DataState.NO_DATA


def test_answers_never_hold_non_finite_samples(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Sample counts are finite numbers or absent, never NaN."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="latency")
    answer = snapshot.ask(Quantile(LATENCY, 0.95, 300, by=("mode",)))
    assert all(s.samples is not None and math.isfinite(s.samples) for s in answer.series)
