"""The metric snapshot: one source, a session cache, concurrent prefetch, fail-closed answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gate.core.deadline import Deadline
from pytest_gate.core.query import Answer, DataState, Gauge, Query, Ratio, Selector
from pytest_gate.sources.snapshot import MetricSnapshot, SourceConfigError
from tests.sources.conftest import FaultServer, SnapshotFactory

UP = Gauge(Selector("up"))


class BrokenSource:
    """A source with a bug: every answer raises."""

    kind = "prometheus"
    url = "http://broken"

    def answer(self, query: Query, at: float, deadline: Deadline) -> Answer:
        raise KeyError("bug")

    def text(self, query: Query) -> str:
        return "up"

    def describe(self) -> dict[str, object]:
        return {"kind": self.kind, "url": self.url}

    def close(self) -> None:
        pass


def test_no_source_is_refused_with_the_options_to_use(open_source: SnapshotFactory) -> None:
    """Without any source the snapshot refuses to open and names the three options."""
    with pytest.raises(SourceConfigError, match=r"--prometheus-url URL .* --gate-replay FILE"):
        open_source()


def test_two_sources_are_refused(open_source: SnapshotFactory) -> None:
    """Prometheus and a scrape at once is ambiguous: refused."""
    with pytest.raises(SourceConfigError, match="pass only one of --prometheus-url"):
        open_source(prometheus_url="http://127.0.0.1:9", metrics_urls=("http://127.0.0.1:9",))


def test_recording_while_replaying_is_refused(open_source: SnapshotFactory, tmp_path: Path) -> None:
    """--gate-record belongs to a live run; combined with --gate-replay it is refused."""
    with pytest.raises(SourceConfigError, match="record during a live run only"):
        open_source(replay_path=tmp_path / "a.json", record_path=tmp_path / "b.json")


def test_repeated_query_is_fetched_once(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """Asking the same question twice costs one request: the session cache answers the second."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/ok/cache")
    first, second = snapshot.ask(UP), snapshot.ask(UP)
    assert (first is second, fault_server.hits["ok/cache"]) == (True, 1)


def test_prefetch_fills_the_cache(fault_server: FaultServer, open_source: SnapshotFactory) -> None:
    """A prefetched query is not fetched again when a check asks it."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/ok/prefetch")
    snapshot.prefetch([UP])
    snapshot.ask(UP)
    assert fault_server.hits["ok/prefetch"] == 1


def test_prefetch_runs_queries_concurrently(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """Six queries are in flight together: the server's six-party barrier opens for all."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/barrier/six/6")
    queries = [Gauge(Selector(f"metric_{i}")) for i in range(6)]
    snapshot.prefetch(queries)
    assert [snapshot.ask(q).state for q in queries] == [DataState.OK] * 6


def test_asked_lists_each_query_once_in_order(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """The report's list of answers has each query once, in the order first asked."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/ok/asked")
    other = Gauge(Selector("other"))
    snapshot.ask(other)
    snapshot.ask(UP)
    snapshot.ask(other)
    assert [a.query_text for a in snapshot.asked()] == ["other", "up"]


def test_a_bug_in_a_source_is_an_error_answer() -> None:
    """An exception inside a source becomes an error answer naming it; it never escapes."""
    snapshot = MetricSnapshot(BrokenSource(), 0.0, Deadline(5))
    answer = snapshot.ask(UP)
    snapshot.close()
    assert (answer.state, "internal error" in answer.message) == (DataState.ERROR, True)


def test_query_after_close_is_an_error(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """A closed snapshot answers new questions with an error, not a hang or a crash."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/ok/closed")
    snapshot.close()
    assert snapshot.ask(UP).state is DataState.ERROR


def test_convenience_builders_ask_the_same_query(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """``snapshot.ratio(...)`` is ``snapshot.ask(Ratio(...))``: same cached answer."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/ok/builders")
    num, den = Selector("a_total"), Selector("b_total")
    assert snapshot.ratio(num, den, 300, by=("mode",)) is snapshot.ask(
        Ratio(num, den, 300, ("mode",))
    )
