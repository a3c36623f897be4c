"""Exact window counting on a real Prometheus and VictoriaMetrics: a pod that restarts mid-window.

Pod ``a`` observes 10 fast requests per 30 s scrape; pod ``b`` 10 slower ones, and restarts 150 s
before T (its counters read 0 there). Over the 5m window the exact counts are a: 100 under 1 s,
b: 40 before its restart and 50 after. Only ``b``'s series are fetched raw (the second round).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_gate.core.deadline import Deadline
from pytest_gate.core.query import Answer, DataState, Matcher, Quantile, Ratio, Selector
from pytest_gate.sources.http import HttpClient
from pytest_gate.sources.prometheus import PrometheusSource
from tests.support.prometheus_server import OpenMetrics, PrometheusServer
from tests.support.victoria_server import VictoriaMetrics
from tests.support.victoria_server import available as victoria_available

T = 1_700_000_000.0
STEP_SECONDS = 30
TIMES = [T - 900 + STEP_SECONDS * k for k in range(900 // STEP_SECONDS + 1)]
RESTART = T - 150
LATENCY = Selector("lat_seconds")
ERRORS = Selector("req_total", (Matcher("status", "=", "500"),))
REQUESTS = Selector("req_total")


def _runs(t: float) -> int:
    """Scrapes of pod b since its (re)start: it restarted at ``RESTART``, reading 0 there."""
    if t >= RESTART:
        return round((t - RESTART) / STEP_SECONDS)
    return round((t - TIMES[0]) / STEP_SECONDS) + 1


def data() -> OpenMetrics:
    om = OpenMetrics()
    for index, t in enumerate(TIMES):
        done_a, done_b = 10.0 * (index + 1), 10.0 * _runs(t)
        for le, a, b in (("1.0", done_a, 0.0), ("2.0", done_a, done_b), ("+Inf", done_a, done_b)):
            om.sample("lat_seconds_bucket", {"instance": "a", "le": le}, a, t, kind="histogram")
            om.sample("lat_seconds_bucket", {"instance": "b", "le": le}, b, t, kind="histogram")
        om.sample("lat_seconds_count", {"instance": "a"}, done_a, t, kind="histogram")
        om.sample("lat_seconds_count", {"instance": "b"}, done_b, t, kind="histogram")
        om.sample("req_total", {"instance": "a", "status": "200"}, done_a, t, kind="counter")
        om.sample("req_total", {"instance": "b", "status": "500"}, done_b / 10, t, kind="counter")
    return om


@pytest.fixture(scope="module", params=["prometheus", "victoria-metrics"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a real engine holding :func:`data`."""
    workdir = tmp_path_factory.mktemp(request.param)
    if request.param == "prometheus":
        with PrometheusServer.start(workdir, openmetrics=data()) as prometheus:
            yield prometheus.url
        return
    if not victoria_available():
        pytest.skip("victoria-metrics is not installed (scripts/install.sh installs it)")
    with VictoriaMetrics.start(workdir, openmetrics=data()) as victoria:
        yield victoria.url


def answer(url: str, query: Quantile | Ratio) -> Answer:
    source = PrometheusSource(HttpClient.plain(url, "--prometheus-url"))
    try:
        return source.answer(query, T, Deadline(30.0))
    finally:
        source.close()


def test_histogram_of_a_restarted_pod_counts_both_runs(engine: str) -> None:
    """p50 from exact buckets: 100 under 1 s of 190; the restart's lost 40 would make it 0.75 s."""
    result = answer(engine, Quantile(LATENCY, 0.5, 300))
    assert result.state is DataState.OK, result.message
    [series] = result.series
    assert (series.value, series.samples) == (0.95, 190.0)
    assert any("reset in the window" in note for note in result.notes)


def test_ratio_of_a_restarted_series_counts_before_and_after(engine: str) -> None:
    """b's errors: 4 before its restart and 5 after, against a's 100 and b's 9 requests."""
    result = answer(engine, Ratio(ERRORS, REQUESTS, 300))
    assert result.state is DataState.OK, result.message
    [series] = result.series
    assert (series.value * series.samples, series.samples) == (pytest.approx(9.0), 109.0)
