"""The scrape source against real ``/metrics`` servers built with ``prometheus_client``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from pytest_gate.core import query
from pytest_gate.core.query import DataState, Quantile, Ratio, Selector
from pytest_gate.sources.scrape import LIFETIME_NOTE, NO_HISTORY, NO_PROMQL, SELECTOR_NOTE
from pytest_gate.sources.snapshot import MetricSnapshot, SourceConfigError
from tests.sources import dataset
from tests.sources.conftest import FaultServer, SnapshotFactory
from tests.support.prometheus_server import free_port

FIXES = Selector("llm_schema_fix_count_total")
BRIEFS = Selector("llm_brief_total")
LATENCY = Selector("llm_brief_latency_seconds")
BUCKETS = tuple(float(b) for b in dataset.BOUNDS[:-1])


def serving_registry(fixes_per_100: int) -> CollectorRegistry:
    """A serving process' metrics: 100 fast and 50 balanced briefs, one latency histogram."""
    registry = CollectorRegistry()
    briefs = Counter("llm_brief", "Briefs.", ["mode", "status"], registry=registry)
    fixes = Counter("llm_schema_fix_count", "Fixes.", ["mode", "original_model"], registry=registry)
    latency = Histogram(
        "llm_brief_latency_seconds", "Latency.", ["mode"], buckets=BUCKETS, registry=registry
    )
    free = Gauge("nvidia_gpu_memory_free_bytes", "Free.", ["gpu"], registry=registry)
    briefs.labels(mode="fast", status="success").inc(100)
    briefs.labels(mode="balanced", status="success").inc(50)
    fixes.labels(mode="balanced", original_model="qwen_32b").inc(fixes_per_100 / 2)
    for value, count in ((0.3, 2), (0.8, 3), (2.0, 4), (3.0, 1)):
        for _ in range(count):
            latency.labels(mode="fast").observe(value)
    for gpu, value in enumerate(dataset.GPU_FREE_BYTES):
        free.labels(gpu=str(gpu)).set(value)
    return registry


@pytest.fixture(scope="module")
def targets() -> Iterator[dict[str, str]]:
    """Three serving processes on loopback (``prometheus_client``'s own HTTP server).

    ``main`` has 5 fixes in 50 balanced briefs, ``clean`` none, ``bad`` 10 in 50.
    """
    servers = []
    urls: dict[str, str] = {}
    for name, fixes in (("main", 10), ("clean", 0), ("bad", 20)):
        server, thread = start_http_server(0, addr="127.0.0.1", registry=serving_registry(fixes))
        servers.append((server, thread))
        urls[name] = f"http://127.0.0.1:{server.server_port}/metrics"
    yield urls
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def scrape(
    open_source: SnapshotFactory,
) -> Callable[..., MetricSnapshot]:
    """Open a scrape snapshot at the current time."""

    def opener(*urls: str, scenario: str | None = None) -> MetricSnapshot:
        return open_source(metrics_urls=urls, at=time.time(), scenario=scenario)

    return opener


def test_scraped_ratio_uses_lifetime_counters_with_real_zero(
    targets: dict[str, str], scrape: Callable[..., MetricSnapshot]
) -> None:
    """Per-mode ratio from one scrape: fast has no fix series (real 0), balanced 5/50."""
    snapshot = scrape(targets["main"])
    answer = snapshot.ask(Ratio(FIXES, BRIEFS, 1800, by=("mode",)))
    assert {s.describe(): s.value for s in answer.series} == {
        "mode=balanced": pytest.approx(0.1),
        "mode=fast": 0.0,
    }


def test_scraped_answers_say_counters_are_lifetime(
    targets: dict[str, str], scrape: Callable[..., MetricSnapshot]
) -> None:
    """A scraped ratio is marked lifetime, has no window, and the source says so too."""
    snapshot = scrape(targets["main"])
    answer = snapshot.ask(Ratio(FIXES, BRIEFS, 1800))
    assert (LIFETIME_NOTE in answer.notes, answer.window_seconds) == (True, None)
    assert snapshot.describe()["counters"] == "lifetime"


def test_scraped_quantile_interpolates_the_buckets(
    targets: dict[str, str], scrape: Callable[..., MetricSnapshot]
) -> None:
    """The p95 from one scrape's cumulative buckets matches histogram_quantile's 2.85 s."""
    snapshot = scrape(targets["main"])
    answer = snapshot.ask(Quantile(LATENCY, 0.95, 300, by=("mode",)))
    assert [(s.describe(), s.samples) for s in answer.series] == [("mode=fast", 10.0)]
    assert answer.series[0].value == pytest.approx(dataset.P95_FAST)


def test_scraped_gauge_returns_every_gpu(
    targets: dict[str, str], scrape: Callable[..., MetricSnapshot]
) -> None:
    """Every GPU's gauge comes back from a scrape, the low third one included."""
    snapshot = scrape(targets["main"])
    answer = snapshot.ask(query.Gauge(Selector("nvidia_gpu_memory_free_bytes")))
    assert [s.value for s in answer.series] == [float(b) for b in dataset.GPU_FREE_BYTES]


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        (query.SustainedQuantile(LATENCY, 0.95, 60, 300, 30), NO_HISTORY),
        (query.AvgOverTime(Selector("rl_loss"), 7200), NO_HISTORY),
        (query.RangeSeries(Selector("rl_reward_ma"), 7200, 60), NO_HISTORY),
        (query.RawPromQL("sum(up)"), NO_PROMQL),
    ],
)
def test_scrape_cannot_answer_history_or_promql(
    targets: dict[str, str],
    scrape: Callable[..., MetricSnapshot],
    asked: query.Query,
    message: str,
) -> None:
    """Questions needing history or PromQL are no data, pointing at --prometheus-url."""
    snapshot = scrape(targets["main"])
    answer = snapshot.ask(asked)
    assert (answer.state, message in answer.message) == (DataState.NO_DATA, True)


def test_several_urls_label_series_by_instance(
    targets: dict[str, str], scrape: Callable[..., MetricSnapshot]
) -> None:
    """Two targets where one is bad: each gets an ``instance`` label and its own ratio."""
    good = targets["clean"]
    bad = targets["bad"]
    snapshot = scrape(good, bad)
    answer = snapshot.ask(Ratio(FIXES, BRIEFS, 1800, by=("instance",)))
    by_instance = {s.label_map["instance"]: s.value for s in answer.series}
    good_host, bad_host = (u.split("/")[2] for u in (good, bad))
    assert by_instance == {good_host: 0.0, bad_host: pytest.approx(10 / 150)}


def test_unreachable_target_makes_every_answer_an_error(
    targets: dict[str, str], scrape: Callable[..., MetricSnapshot]
) -> None:
    """If one of the targets cannot be scraped, answers are errors naming it (no partial view)."""
    good = targets["clean"]
    down = f"http://127.0.0.1:{free_port()}/metrics"
    snapshot = scrape(good, down)
    answer = snapshot.ask(Ratio(FIXES, BRIEFS, 1800))
    assert (answer.state, down in answer.message) == (DataState.ERROR, True)


def test_body_that_is_not_an_exposition_is_an_error(
    fault_server: FaultServer, scrape: Callable[..., MetricSnapshot]
) -> None:
    """A target serving something other than metrics text is an error."""
    fault_server.exposition = "<html>login page</html>"
    snapshot = scrape(f"{fault_server.url}/metrics/garbage")
    answer = snapshot.ask(query.Gauge(Selector("up")))
    assert (answer.state, "not a metrics exposition" in answer.message) == (DataState.ERROR, True)


def test_target_is_scraped_once_per_session(
    fault_server: FaultServer, scrape: Callable[..., MetricSnapshot]
) -> None:
    """Many questions, one scrape."""
    fault_server.exposition = "# TYPE up gauge\nup 1\n"
    snapshot = scrape(f"{fault_server.url}/metrics/once")
    snapshot.prefetch(query.Gauge(Selector(name)) for name in ("up", "a", "b", "c"))
    snapshot.ask(Ratio(FIXES, BRIEFS, 1800))
    assert fault_server.hits["metrics/once"] == 1


def test_label_selector_is_not_applied_to_a_scrape_and_says_so(
    targets: dict[str, str], scrape: Callable[..., MetricSnapshot]
) -> None:
    """The config's label selector names Prometheus target labels a scrape lacks: noted, unused."""
    snapshot = scrape(targets["main"], scenario="prod")
    answer = snapshot.ask(query.Gauge(Selector("nvidia_gpu_memory_free_bytes")))
    assert (len(answer.series), SELECTOR_NOTE in answer.notes) == (4, True)


def test_scrape_refuses_an_evaluation_time_in_the_past(open_source: SnapshotFactory) -> None:
    """A scrape only sees the present, so --gate-time an hour ago is refused with the fix."""
    with pytest.raises(SourceConfigError, match="use --prometheus-url"):
        open_source(metrics_urls=("http://127.0.0.1:9/metrics",), at=time.time() - 3600)
