"""Each way a Prometheus answer can go wrong, served by a real loopback server, gets its state."""

from __future__ import annotations

import pytest

from pytest_gate.core.query import DataState, Gauge, RangeSeries, Ratio, RawPromQL, Selector
from tests.sources.conftest import FaultServer, SnapshotFactory
from tests.support.prometheus_server import free_port

UP = Gauge(Selector("up"))


@pytest.mark.parametrize(
    ("behaviour", "state", "cause"),
    [
        ("http500", DataState.ERROR, "HTTP 500"),
        ("badjson", DataState.ERROR, "not JSON"),
        ("error", DataState.ERROR, "execution: query timed out"),
        ("matrix", DataState.ERROR, "unexpected result type 'matrix'"),
        ("string", DataState.ERROR, "unexpected result type 'string'"),
        ("inf", DataState.ERROR, "infinite value"),
        ("nan", DataState.NO_DATA, "NaN value"),
        ("empty", DataState.NO_DATA, "empty result"),
    ],
)
def test_fault_gives_documented_state_and_cause(
    fault_server: FaultServer,
    open_source: SnapshotFactory,
    behaviour: str,
    state: DataState,
    cause: str,
) -> None:
    """HTTP error, bad JSON, status:error, wrong type, ±Inf, NaN and empty map as documented."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/{behaviour}/{behaviour}")
    answer = snapshot.ask(UP)
    assert (answer.state, cause in answer.message) == (state, True), answer.message


def test_fault_message_names_the_query(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """The message of a failed answer names the query it belongs to."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/http500/named")
    answer = snapshot.ask(Gauge(Selector.of("llm_model_loaded", model="qwen_32b")))
    assert 'llm_model_loaded{model="qwen_32b"}' in answer.message


def test_connection_refused_is_an_error(open_source: SnapshotFactory) -> None:
    """Nothing listening on the port is an error that says the connection was refused."""
    snapshot = open_source(prometheus_url=f"http://127.0.0.1:{free_port()}")
    answer = snapshot.ask(UP)
    assert answer.state is DataState.ERROR
    assert "connection refused" in answer.message


def test_dropped_connection_is_retried(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """A connection closed without a response is a transport error, retried once: OK on retry."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/reset-once/retried")
    answer = snapshot.ask(UP)
    assert (answer.state, fault_server.hits["reset-once/retried"]) == (DataState.OK, 2)


def test_http_error_is_not_retried(fault_server: FaultServer, open_source: SnapshotFactory) -> None:
    """An HTTP 500 is an answer, not a transport error: it is asked exactly once."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/http500/once")
    snapshot.ask(UP)
    assert fault_server.hits["http500/once"] == 1


def test_ratio_with_a_failing_server_is_an_error(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """A ratio whose parts cannot be fetched is an error, never a 0."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/badjson/ratio")
    answer = snapshot.ask(Ratio(Selector("a_total"), Selector("b_total"), 300))
    assert answer.state is DataState.ERROR


def test_range_query_hits_query_range(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """A trend is fetched from /api/v1/query_range and keeps its points."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/ok/range")
    answer = snapshot.ask(RangeSeries(Selector("rl_reward_ma"), 3600, 60))
    assert [v for _, v in answer.series[0].points] == [1.0, 2.0]


def test_raw_promql_of_unexpected_type_is_an_error(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """Raw PromQL accepts vectors and scalars; a string result is an error."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/string/raw")
    assert snapshot.ask(RawPromQL('"hello"')).state is DataState.ERROR
