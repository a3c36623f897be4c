"""Generated garbage for --gate-replay: a recording, or a RecordingError naming the file; and
whatever a readable recording holds, a check reading it passes only on counted, finite data."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_gate.checks.observe import GateDataError, GateNoData, Observer
from pytest_gate.core.deadline import Deadline
from pytest_gate.core.query import DataState
from pytest_gate.sources.recorder import Recording, RecordingError, read
from pytest_gate.sources.replay import ReplaySource

RECORDING = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "recording_v1.json").read_text()
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["nan", "inf", "-inf", "1e308", "Infinity", "ok", "no_data", "Ratio"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (dict keys and list indexes), the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


PLACES = paths(RECORDING)[1:]


def replaced(place: tuple[Any, ...], value: Any) -> Any:
    document = json.loads(json.dumps(RECORDING))
    target = document
    for step in place[:-1]:
        target = target[step]
    target[place[-1]] = value
    return document


def read_text(directory: Path, text: str) -> Recording | str:
    path = directory / "recording.json"
    path.write_text(text)
    try:
        return read(path)[0]
    except RecordingError as exc:
        assert str(exc).startswith(str(path)), exc
        assert ";" in str(exc) or "point --gate-replay" in str(exc), exc
        return str(exc)


def judge(recording: Recording) -> None:
    """Every recorded answer through the comparison a check makes, with a sample floor."""
    source = ReplaySource(recording, Path("r.json"), "0")
    for query, _ in recording.entries:
        answer = source.answer(query, recording.at, Deadline(5))
        try:
            Observer([]).expect(answer, "<=", 1e9, what="x", unit="s", min_samples=1)
        except (GateNoData, GateDataError, AssertionError):
            continue
        assert answer.state is DataState.OK
        assert all(math.isfinite(s.value) for s in answer.series)
        assert all(s.samples is not None and s.samples >= 1 for s in answer.series)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PLACES), JSON)
def test_any_value_anywhere_in_a_recording_reads_or_names_the_file(
    tmp_path_factory: pytest.TempPathFactory, place: tuple[Any, ...], value: Any
) -> None:
    """One value of a real recording replaced by generated JSON: a RecordingError, or a
    recording whose every answer passes a check only when it is counted and finite."""
    loaded = read_text(tmp_path_factory.mktemp("rec"), json.dumps(replaced(place, value)))
    if isinstance(loaded, Recording):
        judge(loaded)


@settings(max_examples=200, deadline=None)
@given(st.one_of(JSON.map(json.dumps), st.text(max_size=100)))
def test_any_json_document_is_a_recording_error(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """Generated JSON (or text) without the recording's shape is refused, never a traceback."""
    assert isinstance(read_text(tmp_path_factory.mktemp("doc"), text), str)
