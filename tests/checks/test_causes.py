"""An answer keeps its cause apart from its query: the terminal's line shows the cause only."""

from __future__ import annotations

import pytest

from pytest_gate import DataState, GateNoData, Observer, hit_share
from pytest_gate.sources import base
from pytest_gate.sources.recorder import answer_from_json, answer_json

LONG = 'sum(increase(llm_cache_hits_total{mode=~"fast|creative"}[30m]))' * 8


def test_a_derived_answer_shows_its_cause_without_the_long_query() -> None:
    """No cache traffic: the one-line cause is short; the report's message still names the query."""
    no_traffic = base.failed(LONG, DataState.NO_DATA, "no traffic", source="prometheus")
    share = hit_share(no_traffic, no_traffic)
    observer = Observer()
    with pytest.raises(GateNoData) as info:
        observer.expect(share, ">=", 0.6, what="fast hit rate", unit="ratio")
    observation = observer.findings.observation
    assert observation is not None
    assert observation.cause == "fast hit rate: no cache lookups: no traffic"
    assert LONG in str(info.value)


def test_a_source_answer_keeps_message_and_cause() -> None:
    """The message names the cause, then the query; the cause is the cause alone."""
    answer = base.failed("up", DataState.ERROR, "HTTP 500", source="prometheus")
    assert (answer.message, answer.cause, answer.why) == (
        "HTTP 500 (query: up)",
        "HTTP 500",
        "HTTP 500",
    )


def test_a_recording_keeps_the_cause_and_reads_an_older_one_without_it() -> None:
    """Recorded answers carry the cause; one recorded before it existed gets it from the message."""
    answer = base.failed("up", DataState.NO_DATA, "stale", source="prometheus")
    assert answer_from_json(answer_json(answer)) == answer
    older = answer_json(answer)
    del older["cause"]
    assert answer_from_json(older).cause == "stale"
