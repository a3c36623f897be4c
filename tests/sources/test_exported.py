"""The presence question ``Exported``: how many series of a metric the source holds, 0 included,
on a real Prometheus, a real ``/metrics`` scrape and a recording."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server

from pytest_gate.core.query import DataState, Exported, Selector
from pytest_gate.sources import promql
from pytest_gate.sources.recorder import query_from_json, query_json
from tests.sources.conftest import FaultServer, SnapshotFactory
from tests.support.prometheus_server import PrometheusServer

LOOKBACK_SECONDS = 3600
GPU_FREE = Selector("nvidia_gpu_memory_free_bytes")
NEVER = Selector("vllm:request_success_total", ())


def counted(answer: object) -> tuple[DataState, list[float]]:
    return answer.state, [s.value for s in answer.series]  # type: ignore[attr-defined]


@pytest.mark.prometheus
def test_prometheus_counts_the_series_of_an_exported_metric(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """Four GPUs' gauges are four series within the look-back."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="gpu")
    assert counted(snapshot.ask(Exported(GPU_FREE, LOOKBACK_SECONDS))) == (DataState.OK, [4.0])


@pytest.mark.prometheus
def test_prometheus_metric_never_exported_is_a_real_zero_not_no_data(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A name the source has never held answers 0 series, as an OK answer."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="gpu")
    assert counted(snapshot.ask(Exported(NEVER, LOOKBACK_SECONDS))) == (DataState.OK, [0.0])


@pytest.mark.prometheus
def test_prometheus_matchers_narrow_the_count(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """A label matcher counts only the series it selects (one GPU of four)."""
    snapshot = open_source(prometheus_url=prometheus.url, scenario="gpu")
    one = Exported(GPU_FREE.where("gpu", "=", "2"), LOOKBACK_SECONDS)
    assert counted(snapshot.ask(one)) == (DataState.OK, [1.0])


def test_promql_counts_series_with_a_sample_in_the_look_back() -> None:
    """The PromQL: count(last_over_time(x{...}[1h]))."""
    text = promql.exported(Exported(NEVER.where("finished_reason", "=", "error"), 3600), ())
    assert text == 'count(last_over_time(vllm:request_success_total{finished_reason="error"}[1h]))'


def test_exported_survives_a_recording_round_trip() -> None:
    """The query is recorded and read back equal (replay answers it as recorded)."""
    asked = Exported(GPU_FREE.where("gpu", "=~", "0|1"), LOOKBACK_SECONDS)
    assert query_from_json(query_json(asked)) == asked


VLLM_EXPOSITION = """\
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 12.0
vllm:request_success_total{engine="0",finished_reason="length",model_name="m"} 3.0
vllm:request_success_total{engine="0",finished_reason="abort",model_name="m"} 0.0
"""


def test_scrape_counts_the_series_of_its_one_exposition(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """A /metrics scrape counts the series it holds now; an absent reason is 0 series."""
    fault_server.exposition = VLLM_EXPOSITION
    snapshot = open_source(metrics_urls=(fault_server.url + "/metrics",), at=time.time())
    every = Exported(Selector("vllm:request_success_total"), LOOKBACK_SECONDS)
    error = Exported(every.selector.where("finished_reason", "=", "error"), LOOKBACK_SECONDS)
    assert counted(snapshot.ask(every)) == (DataState.OK, [3.0])
    assert counted(snapshot.ask(error)) == (DataState.OK, [0.0])


def test_replay_gives_back_the_recorded_count(
    prometheus: PrometheusServer, open_source: SnapshotFactory, tmp_path: Path
) -> None:
    """Recorded live, replayed offline: the same count."""
    recording = tmp_path / "rec.json"
    live = open_source(prometheus_url=prometheus.url, scenario="gpu", record_path=recording)
    asked = Exported(GPU_FREE, LOOKBACK_SECONDS)
    recorded = counted(live.ask(asked))
    live.close()
    replayed = open_source(replay_path=recording, scenario="gpu")
    assert counted(replayed.ask(asked)) == recorded == (DataState.OK, [4.0])


def test_scrape_of_a_prometheus_client_exporter_keeps_colon_names(
    open_source: SnapshotFactory,
) -> None:
    """vLLM serves /metrics with prometheus_client: ``vllm:`` names arrive as they are named."""
    registry = CollectorRegistry()
    done = Counter("vllm:request_success", "Finished.", ["finished_reason"], registry=registry)
    for reason in ("stop", "length", "abort"):
        done.labels(finished_reason=reason)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        snapshot = open_source(metrics_urls=(url,), at=time.time())
        every = Exported(Selector("vllm:request_success_total"), LOOKBACK_SECONDS)
        assert counted(snapshot.ask(every)) == (DataState.OK, [3.0])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
