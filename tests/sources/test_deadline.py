"""The gate's deadline: a hung, black-holed or dripping server costs at most the deadline."""

from __future__ import annotations

import time

import pytest

from pytest_gate.core.deadline import Deadline, DeadlineExceeded
from pytest_gate.core.query import DataState, Gauge, Ratio, Selector
from tests.sources.conftest import FaultServer, SnapshotFactory

DEADLINE_SECONDS = 1.0
UP = Gauge(Selector("up"))


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_deadline_timeout_is_capped_by_what_remains() -> None:
    """A call's timeout is the smaller of its cap and the time left."""
    clock = FakeClock()
    deadline = Deadline(20, clock=clock)
    clock.now += 15
    assert (deadline.timeout(10), deadline.timeout(2)) == (5, 2)


def test_deadline_refuses_a_call_once_expired() -> None:
    """After the deadline no timeout is handed out."""
    clock = FakeClock()
    deadline = Deadline(1, clock=clock)
    clock.now += 1
    with pytest.raises(DeadlineExceeded):
        deadline.timeout(5)


def test_deadline_must_be_positive() -> None:
    """A zero deadline is refused with a message that gives an example."""
    with pytest.raises(ValueError, match=r"use e\.g\. 20"):
        Deadline(0)


@pytest.mark.parametrize("behaviour", ["hang", "drip"])
def test_hung_server_gives_deadline_error_in_time(
    fault_server: FaultServer, open_source: SnapshotFactory, behaviour: str
) -> None:
    """Accept-and-hang and a dripping body both end in an error naming the deadline, in time."""
    snapshot = open_source(
        prometheus_url=f"{fault_server.url}/{behaviour}/deadline",
        deadline_seconds=DEADLINE_SECONDS,
    )
    started = time.monotonic()
    answer = snapshot.ask(UP)
    elapsed = time.monotonic() - started
    assert (answer.state, "deadline" in answer.message) == (DataState.ERROR, True)
    assert elapsed < DEADLINE_SECONDS + 1


def test_black_holed_server_gives_deadline_error_in_time(
    silent_port: int, open_source: SnapshotFactory
) -> None:
    """A port that accepts but never answers ends in a deadline error within deadline + 1 s."""
    snapshot = open_source(
        prometheus_url=f"http://127.0.0.1:{silent_port}", deadline_seconds=DEADLINE_SECONDS
    )
    started = time.monotonic()
    answer = snapshot.ask(UP)
    assert "deadline" in answer.message
    assert time.monotonic() - started < DEADLINE_SECONDS + 1


def test_prefetch_against_hung_server_is_bounded_by_one_deadline(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """Many queries to a hung server cost one deadline together, not one each."""
    snapshot = open_source(
        prometheus_url=f"{fault_server.url}/hang/prefetch", deadline_seconds=DEADLINE_SECONDS
    )
    queries = [Gauge(Selector(f"metric_{i}")) for i in range(6)]
    started = time.monotonic()
    snapshot.prefetch(queries)
    answers = [snapshot.ask(q) for q in queries]
    assert time.monotonic() - started < DEADLINE_SECONDS + 1
    assert {a.state for a in answers} == {DataState.ERROR}


def test_deadline_sets_the_snapshot_flag(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """A deadline error marks the snapshot, so the report can give reason ``deadline``."""
    snapshot = open_source(
        prometheus_url=f"{fault_server.url}/hang/flag", deadline_seconds=DEADLINE_SECONDS
    )
    snapshot.ask(UP)
    assert snapshot.deadline_exceeded


def test_slow_answer_inside_the_deadline_is_ok(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """An answer that is slow but arrives before the deadline is used."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/slow/300", deadline_seconds=3)
    answer = snapshot.ask(UP)
    assert (answer.state, snapshot.deadline_exceeded) == (DataState.OK, False)


def test_slow_answer_past_the_deadline_is_a_deadline_error(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """An answer that would arrive just after the deadline is a deadline error."""
    snapshot = open_source(
        prometheus_url=f"{fault_server.url}/slow/1500", deadline_seconds=DEADLINE_SECONDS
    )
    answer = snapshot.ask(Ratio(Selector("a_total"), Selector("b_total"), 300))
    assert (answer.state, "deadline" in answer.message) == (DataState.ERROR, True)


def test_query_after_the_deadline_is_not_sent(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """Once the deadline has passed, a new query fails at once without a request."""
    snapshot = open_source(
        prometheus_url=f"{fault_server.url}/hang/after", deadline_seconds=DEADLINE_SECONDS
    )
    snapshot.ask(UP)
    answer = snapshot.ask(Gauge(Selector("late_metric")))
    assert "deadline" in answer.message
    assert fault_server.hits["hang/after"] == 1
