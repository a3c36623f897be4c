"""The replay source (``--gate-replay``): answers from a recording, offline.

Each recorded query gets back exactly the answer recorded for it (same state, message, series and
values), so the replayed gate reaches the same verdict with the same check values. A query that was
not recorded is no data, saying so.
"""

from __future__ import annotations

from pathlib import Path

from pytest_gate.core.deadline import Deadline
from pytest_gate.core.query import Answer, DataState, Query
from pytest_gate.sources import promql
from pytest_gate.sources.base import failed
from pytest_gate.sources.recorder import Recording, RecordingError, read

__all__ = ["RecordingError", "ReplayError", "ReplaySource", "recorded_time"]

ReplayError = RecordingError
"""The error for a recording that cannot be replayed (a ``SourceConfigError``)."""


class ReplaySource:
    """Answers every query from a :class:`~pytest_gate.sources.recorder.Recording`."""

    kind = "replay"

    def __init__(self, recording: Recording, path: Path, sha256: str) -> None:
        self.url = str(path)
        self.recording = recording
        self.sha256 = sha256
        self._answers: dict[Query, Answer] = dict(recording.entries)

    def describe(self) -> dict[str, object]:
        """Kind, file, its sha256, and the source and instant it was recorded from."""
        return {
            "kind": self.kind,
            "url": self.url,
            "sha256": self.sha256,
            "recorded_source": self.recording.source,
            "recorded_at": self.recording.at,
        }

    def text(self, query: Query) -> str:
        """The recorded query text, or the PromQL with the recorded label selector."""
        recorded = self._answers.get(query)
        if recorded is not None:
            return recorded.query_text
        return promql.display(query, self.recording.extra_matchers)

    def answer(self, query: Query, at: float, deadline: Deadline) -> Answer:
        """The recorded answer; no data when ``query`` was not recorded."""
        recorded = self._answers.get(query)
        if recorded is not None:
            return recorded
        return failed(
            self.text(query),
            DataState.NO_DATA,
            f"this query was not recorded in {self.url}; record again with --gate-record "
            "running the same checks",
            source=self.kind,
        )

    def close(self) -> None:
        """Nothing to release."""


def recorded_time(path: Path) -> float:
    """The evaluation instant T stored in the recording at ``path``.

    Raises :class:`RecordingError` (a ``SourceConfigError``) with a clear message for a bad file.
    """
    recording, _sha256 = read(path)
    return recording.at
