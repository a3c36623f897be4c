"""The recording file (``--gate-record`` / ``--gate-replay``): format, encoding, atomic write.

A recording holds the evaluation instant T, the live source's description, the config's label
selector, and every query the gate asked with the complete answer it got (state, message, every
series with its exact values). Values are stored as ``repr`` strings, which round-trip every float
exactly (NaN and ±Inf included) and keep the file strict JSON. The file is versioned; a reader
rejects a version it does not know with a message that says what to do. Version 2 adds each
answer's window coverage; version 3 the gaps it bridged (longest gap, base age). Version 1 and 2
files are still read (their answers replay as recorded; the coverage lacks what they lack).
"""

from __future__ import annotations

import hashlib
import json
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pytest_gate.core.atomicfile import write_atomic
from pytest_gate.core.instants import instant_problem
from pytest_gate.core.query import (
    Answer,
    Coverage,
    DataState,
    Labels,
    Matcher,
    Query,
    Selector,
    SeriesValue,
)
from pytest_gate.core.readfile import FileReadError, nesting_depth, read_limited
from pytest_gate.sources.base import SourceConfigError

FORMAT = "pytest-gate-recording"
VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
MAX_RECORDING_BYTES = 512 * 1024 * 1024
"""Far above a 1,000-GPU recording; a larger file is not one (``/dev/zero`` is refused anyway)."""
MAX_DEPTH = 16
"""A recording nests about 6 deep; deeper JSON is not a recording."""
QUERY_TYPES: dict[str, type] = {t.__name__: t for t in typing.get_args(Query)}


class RecordingError(SourceConfigError):
    """A recording cannot be read; the message is ``"<path>: <problem>; <fix>"``."""


class RecordingWriteError(Exception):
    """The recording could not be written; the message names the path, the cause and the fix."""


RECORD_WRITE_FAILED = (
    "cannot write the recording to {path}: {cause}; pick a writable --gate-record path"
)


@dataclass(frozen=True)
class Recording:
    """The content of a recording file."""

    at: float
    source: dict[str, object]
    extra_matchers: tuple[Matcher, ...]
    entries: tuple[tuple[Query, Answer], ...]
    deadline_exceeded: bool = False
    extras: dict[str, Any] = field(default_factory=dict)


def _selector_json(selector: Selector) -> dict[str, Any]:
    return {"metric": selector.metric, "matchers": [_matcher_json(m) for m in selector.matchers]}


def _matcher_json(matcher: Matcher) -> list[str]:
    return [matcher.label, matcher.op, matcher.value]


def query_json(query: Query) -> dict[str, Any]:
    """A JSON object for ``query``: ``{"type": "Ratio", "numerator": {...}, ...}``."""
    encoded: dict[str, Any] = {"type": type(query).__name__}
    for f in fields(query):
        value = getattr(query, f.name)
        encoded[f.name] = _selector_json(value) if isinstance(value, Selector) else value
    return encoded


def _selector(data: Any) -> Selector:
    return Selector(str(data["metric"]), tuple(Matcher(*m) for m in data["matchers"]))


def query_from_json(data: Any) -> Query:
    """The query of :func:`query_json`; raises ``KeyError``/``TypeError``/``ValueError``."""
    cls = QUERY_TYPES[data["type"]]
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        raw = data[f.name]
        hint = hints[f.name]
        if hint is Selector:
            kwargs[f.name] = _selector(raw)
        elif typing.get_origin(hint) is tuple:
            kwargs[f.name] = tuple(str(v) for v in raw)
        else:
            kwargs[f.name] = hint(raw)
    query: Query = cls(**kwargs)
    return query


def _number(value: float | None) -> str | None:
    return None if value is None else repr(float(value))


def _labels(data: Any) -> Labels:
    return tuple((str(k), str(v)) for k, v in data)


def coverage_json(coverage: Coverage | None) -> dict[str, Any] | None:
    """Strict JSON for ``coverage`` (floats as ``repr`` strings, like every recorded value)."""
    if coverage is None:
        return None
    data = coverage.to_json()
    data["oldest_age_seconds"] = _number(coverage.oldest_age_seconds)
    data["interval_seconds"] = _number(coverage.interval_seconds)
    data["longest_gap_seconds"] = _number(coverage.longest_gap_seconds)
    data["base_age_seconds"] = _number(coverage.base_age_seconds)
    return data


def coverage_from_json(data: Any) -> Coverage | None:
    """The coverage of :func:`coverage_json`; raises ``KeyError``/``TypeError``/``ValueError``."""
    return None if data is None else Coverage.from_json(data)


def answer_json(answer: Answer) -> dict[str, Any]:
    """A strict-JSON object holding every field of ``answer`` exactly."""
    return {
        "coverage": coverage_json(answer.coverage),
        "deadline_exceeded": answer.deadline_exceeded,
        "query_text": answer.query_text,
        "state": answer.state.value,
        "window_seconds": answer.window_seconds,
        "message": answer.message,
        "source": answer.source,
        "notes": list(answer.notes),
        "series": [
            {
                "labels": [list(pair) for pair in s.labels],
                "value": _number(s.value),
                "samples": _number(s.samples),
                "points": [[t, _number(v)] for t, v in s.points],
                "count": _number(s.count),
            }
            for s in answer.series
        ],
    }


def answer_from_json(data: Any) -> Answer:
    """The answer of :func:`answer_json`; raises ``KeyError``/``TypeError``/``ValueError``."""
    series = tuple(
        SeriesValue(
            labels=_labels(s["labels"]),
            value=float(s["value"]),
            samples=None if s["samples"] is None else float(s["samples"]),
            points=tuple((float(t), float(v)) for t, v in s["points"]),
            count=None if s.get("count") is None else float(s["count"]),
        )
        for s in data["series"]
    )
    window = data["window_seconds"]
    return Answer(
        query_text=str(data["query_text"]),
        state=DataState(data["state"]),
        series=series,
        window_seconds=None if window is None else int(window),
        message=str(data["message"]),
        source=str(data["source"]),
        notes=tuple(str(n) for n in data["notes"]),
        coverage=coverage_from_json(data.get("coverage")),
        deadline_exceeded=bool(data.get("deadline_exceeded", False)),
    )


def encode(recording: Recording) -> bytes:
    """The file's bytes (strict JSON, UTF-8, stable key order)."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "at": recording.at,
        "source": recording.source,
        "label_selector": [_matcher_json(m) for m in recording.extra_matchers],
        "deadline_exceeded": recording.deadline_exceeded,
        "entries": [
            {"query": query_json(q), "answer": answer_json(a)} for q, a in recording.entries
        ],
        "extras": recording.extras,
    }
    return (json.dumps(document, indent=1, allow_nan=False, sort_keys=True) + "\n").encode()


def write(path: Path, recording: Recording) -> str:
    """Write ``recording`` to ``path`` atomically (temp file + rename); return its sha256.

    Raises :class:`RecordingWriteError` when the file cannot be written.
    """
    data = encode(recording)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError as exc:
        raise RecordingWriteError(
            RECORD_WRITE_FAILED.format(path=path, cause=exc.strerror or exc)
        ) from None
    return hashlib.sha256(data).hexdigest()


def _document(path: Path, data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise RecordingError(
            f"{path}: not a JSON recording ({error}); record one with --gate-record PATH"
        ) from error
    except RecursionError:
        document = None
    if document is None or nesting_depth(document, MAX_DEPTH + 1) > MAX_DEPTH:
        raise RecordingError(
            f"{path}: JSON nested more than {MAX_DEPTH} deep is not a pytest-gate recording; "
            "record one with --gate-record PATH"
        )
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RecordingError(
            f'{path}: not a pytest-gate recording (no "format": "{FORMAT}"); '
            "record one with --gate-record PATH"
        )
    if document.get("version") not in READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise RecordingError(
            f"{path}: recording version {document.get('version')!r} is not supported "
            f"(this pytest-gate reads versions {readable}); record it again with --gate-record"
        )
    return document


def recorded_instant(value: object) -> float:
    """The recording's ``at``: unix seconds of a real instant; raises ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f'"at" is {value!r}, not unix seconds')
    seconds = float(value)
    problem = instant_problem(seconds)
    if problem is not None:
        raise ValueError(f'"at" {value!r} {problem}')
    return seconds


def read(path: Path) -> tuple[Recording, str]:
    """Load a recording and its sha256; raises :class:`RecordingError` with a clear message."""
    try:
        data = read_limited(path, MAX_RECORDING_BYTES, "--gate-replay")
    except FileReadError as error:
        raise RecordingError(f"{path}: the recording {error.problem}") from None
    document = _document(path, data)
    try:
        entries = tuple(
            (query_from_json(e["query"]), answer_from_json(e["answer"]))
            for e in document["entries"]
        )
        recording = Recording(
            at=recorded_instant(document["at"]),
            source=dict(document["source"]),
            extra_matchers=tuple(Matcher(*m) for m in document["label_selector"]),
            entries=entries,
            deadline_exceeded=bool(document["deadline_exceeded"]),
            extras=dict(document.get("extras") or {}),
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise RecordingError(
            f"{path}: malformed recording ({type(error).__name__}: {error}); "
            "record it again with --gate-record"
        ) from error
    return recording, hashlib.sha256(data).hexdigest()
