"""What every metric source offers, and the two ways an answer can fail.

A source answers the semantic queries of :mod:`pytest_gate.core.query` at one instant within the gate's
deadline. It never raises for a data problem: an unreachable server, a bad body or an empty result
come back as an :class:`~pytest_gate.core.query.Answer` whose state is ``error`` or ``no_data`` and whose
message names the cause, then the query (:func:`query_suffix`); ``cause`` keeps the cause alone.
"""

from __future__ import annotations

from typing import Protocol

from pytest_gate.core.deadline import Deadline
from pytest_gate.core.query import Answer, DataState, Query, SeriesValue
from pytest_gate.core.query import query_suffix as query_suffix


class SourceConfigError(Exception):
    """A source cannot be set up as configured; the message is ``"<problem>; <fix>"``."""


class MetricSource(Protocol):
    """A metric source: Prometheus HTTP API, a ``/metrics`` scrape or a replayed recording."""

    kind: str
    """``"prometheus"``, ``"scrape"`` or ``"replay"``."""
    url: str
    """Where the data comes from, with any credentials removed."""

    def answer(self, query: Query, at: float, deadline: Deadline) -> Answer:
        """Answer ``query`` at unix time ``at`` before ``deadline``; never raises for data."""

    def text(self, query: Query) -> str:
        """The query as this source evaluates it (PromQL where there is any), for messages."""

    def describe(self) -> dict[str, object]:
        """``kind``, ``url`` and what the report must say about this source."""

    def close(self) -> None:
        """Release connections and threads."""


def failed(
    query_text: str,
    state: DataState,
    cause: str,
    *,
    source: str,
    window_seconds: int | None = None,
    notes: tuple[str, ...] = (),
    deadline_exceeded: bool = False,
) -> Answer:
    """An answer in a failed ``state`` whose message is the cause, then the query it concerns."""
    return Answer(
        query_text=query_text,
        state=state,
        window_seconds=window_seconds,
        message=cause + query_suffix(query_text),
        cause=cause,
        source=source,
        notes=notes,
        deadline_exceeded=deadline_exceeded,
    )


def succeeded(
    query_text: str,
    series: tuple[SeriesValue, ...],
    *,
    source: str,
    window_seconds: int | None = None,
    notes: tuple[str, ...] = (),
) -> Answer:
    """An OK answer, passed through :meth:`Answer.checked` (empty/NaN -> no_data, Inf -> error)."""
    answer = Answer(
        query_text=query_text,
        state=DataState.OK,
        series=series,
        window_seconds=window_seconds,
        source=source,
        notes=notes,
    ).checked()
    if answer.state is DataState.OK:
        return answer
    return answer.with_state(
        answer.state, answer.message + query_suffix(query_text), cause=answer.message
    )
