"""Answers with ``warnings`` are errors, ``infos`` are notes: a real Prometheus behind a front.

The front (``tests/support/api_front.py``) adds the remarks Thanos, Mimir and Prometheus 2.50+ really send
(Thanos' ``No StoreAPIs matched for this query`` from its querier's store proxy; Prometheus'
``PromQL info: metric might not be a counter ...`` annotation) to answers a real Prometheus
computed from backfilled data.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_gate.core.query import DataState, Gauge, RangeSeries, Ratio, Selector
from tests.sources.conftest import SnapshotFactory
from tests.support.api_front import ApiFront
from tests.support.prometheus_server import PrometheusServer

pytestmark = pytest.mark.prometheus

THANOS_PARTIAL = "No StoreAPIs matched for this query"
STORE_DOWN = (
    'fetch series for {cluster="eu-1"} Addr: 10.0.3.7:10901: rpc error: code = Unavailable '
    "desc = connection refused"
)
NOT_A_COUNTER = (
    "PromQL info: metric might not be a counter, name does not end in "
    '_total/_sum/_count/_bucket: "up" (1:6)'
)
GPU_FREE = Gauge(Selector("nvidia_gpu_memory_free_bytes"))
BRIEF_RATIO = Ratio(Selector("llm_schema_fix_count_total"), Selector("llm_brief_total"), 1800)


@pytest.fixture(scope="module")
def front(prometheus: PrometheusServer) -> Iterator[ApiFront]:
    """The front before the session's backfilled Prometheus."""
    with ApiFront.before(prometheus.url) as server:
        yield server


def test_an_answer_with_warnings_is_an_error_quoting_them(
    front: ApiFront, prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """The same data that is OK straight from Prometheus is an error once warnings come with it."""
    url = front.route("two-warnings", warnings=(THANOS_PARTIAL, STORE_DOWN))
    direct = open_source(prometheus_url=prometheus.url, scenario="gpu").ask(GPU_FREE)
    partial = open_source(prometheus_url=url, scenario="gpu").ask(GPU_FREE)
    assert direct.state is DataState.OK
    assert partial.state is DataState.ERROR, partial.message
    assert "2 warnings" in partial.message and "may be partial" in partial.message
    assert THANOS_PARTIAL in partial.message and "10.0.3.7:10901" in partial.message


def test_a_warning_on_one_part_of_a_ratio_makes_the_ratio_an_error(
    front: ApiFront, open_source: SnapshotFactory
) -> None:
    """Only the denominator's query comes back partial: the whole ratio is an error, not a value."""
    url = front.route("denominator", warnings=(THANOS_PARTIAL,), when="sum(((last_over_time(llm_brief_total")
    answer = open_source(prometheus_url=url, scenario="ratio").ask(BRIEF_RATIO)
    assert front.edited["denominator"] >= 1
    assert (answer.state, THANOS_PARTIAL in answer.message) == (DataState.ERROR, True), (
        answer.message
    )


def test_an_empty_answer_with_warnings_is_an_error_not_no_data(
    front: ApiFront, open_source: SnapshotFactory
) -> None:
    """Nothing matched and a store was missing: the gap may be the missing store's, so an error."""
    url = front.route("empty", warnings=(THANOS_PARTIAL,))
    answer = open_source(prometheus_url=url, scenario="no-such-scenario").ask(GPU_FREE)
    assert answer.state is DataState.ERROR, answer.message


def test_a_range_answer_with_warnings_is_an_error(
    front: ApiFront, open_source: SnapshotFactory
) -> None:
    """Trends from /api/v1/query_range follow the same rule."""
    url = front.route("range", warnings=(THANOS_PARTIAL,))
    answer = open_source(prometheus_url=url, scenario="rl").ask(
        RangeSeries(Selector("rl_reward_ma"), 3600, 60)
    )
    assert (answer.state, THANOS_PARTIAL in answer.message) == (DataState.ERROR, True)


def test_infos_are_notes_and_leave_the_answer_as_it_was(
    front: ApiFront, prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """An ``infos`` remark is recorded in the notes; state and values are Prometheus' own."""
    url = front.route("infos", infos=(NOT_A_COUNTER,))
    direct = open_source(prometheus_url=prometheus.url, scenario="gpu").ask(GPU_FREE)
    noted = open_source(prometheus_url=url, scenario="gpu").ask(GPU_FREE)
    assert (noted.state, noted.series) == (DataState.OK, direct.series)
    assert f"Prometheus info: {NOT_A_COUNTER}" in noted.notes
