"""A recording for --gate-replay as an untrusted input: bounded, regular, shallow, sane numbers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from pytest_gate.sources.recorder import MAX_DEPTH, RecordingError, read

RECORDING = Path(__file__).resolve().parents[1] / "data" / "recording_v1.json"


def recording_error(path: Path) -> str:
    with pytest.raises(RecordingError) as caught:
        read(path)
    return str(caught.value)


def variant(tmp_path: Path, change: Any) -> Path:
    document = json.loads(RECORDING.read_text())
    change(document)
    path = tmp_path / "recording.json"
    path.write_text(json.dumps(document))
    return path


def test_dev_zero_is_refused_instead_of_exhausting_memory() -> None:
    """``--gate-replay /dev/zero`` used to be killed for memory."""
    assert "the recording is a character device, not a regular file; point --gate-replay" in (
        recording_error(Path("/dev/zero"))
    )


def test_a_fifo_is_refused_instead_of_hanging(tmp_path: Path) -> None:
    """No writer ever comes; the read does not wait for one."""
    fifo = tmp_path / "recording.json"
    os.mkfifo(fifo)
    assert "is a FIFO (named pipe)" in recording_error(fifo)


@pytest.mark.parametrize("depth", [1200, 100_000, MAX_DEPTH + 1])
def test_deeply_nested_json_is_refused_not_a_recursion_traceback(
    tmp_path: Path, depth: int
) -> None:
    """JSON nested 1,000+ deep used to end in a RecursionError traceback."""
    path = tmp_path / "recording.json"
    path.write_text("[" * depth + "]" * depth)
    assert f"JSON nested more than {MAX_DEPTH} deep is not a pytest-gate recording" in (
        recording_error(path)
    )


@pytest.mark.parametrize(
    ("at", "words"),
    [
        (1e308, '"at" 1e+308 is after the year 9999'),
        (1_699_999_200_000, "looks like milliseconds"),
        (-1, "is not a positive, finite number"),
        (None, '"at" is None, not unix seconds'),
        (True, '"at" is True, not unix seconds'),
        ("Infinity", "is not a positive, finite number"),
    ],
)
def test_an_impossible_instant_is_a_malformed_recording(
    tmp_path: Path, at: object, words: str
) -> None:
    """``"at": 1e308`` used to reach a datetime overflow traceback."""
    message = recording_error(variant(tmp_path, lambda d: d.update(at=at)))
    assert "malformed recording" in message and words in message
    assert message.endswith("record it again with --gate-record")


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["entries"][0]["answer"].update(window_seconds="Infinity"),
        lambda d: d["entries"][0]["answer"].update(coverage=[1, 2]),
        lambda d: d["entries"][0]["answer"]["series"][0].update(value=None),
        lambda d: d["entries"][0]["query"].update(window_seconds=1e400),
        lambda d: d["entries"][0]["query"]["metric"].update(metric='up} or vector(1) or x{a="'),
        lambda d: d["entries"][0]["query"]["metric"]["matchers"][0].__setitem__(0, 'a"}'),
        lambda d: d.update(label_selector=[["ns", "==", "prod"]]),
    ],
    ids=[
        "window-inf",
        "coverage-list",
        "value-null",
        "window-1e400",
        "metric-injection",
        "label-injection",
        "bad-operator",
    ],
)
def test_malformed_entries_are_a_message_not_a_traceback(tmp_path: Path, change: Any) -> None:
    """Overflowing numbers, wrong shapes and injected names are each a malformed recording."""
    assert "malformed recording" in recording_error(variant(tmp_path, change))
