"""Decode Prometheus HTTP API responses into series, or a named failure (pure; no I/O).

HTTP errors, bodies that are not JSON, ``status: error``, unexpected result types and malformed
results all raise :class:`ResultError`, whose message is a short cause; the source adds the query.
A successful answer that carries ``warnings`` raises too (DESIGN §2 "Responses with warnings"):
Thanos and Mimir answer ``status: success`` with warnings when a store did not answer, so its data
may be partial and must never decide a check. ``infos`` are kept for the report only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from pytest_gate.core.query import Labels
from pytest_gate.sources.http import HttpResponse

MAX_NOTE_CHARS = 300
"""Longest warning or info quoted from a response (Thanos repeats whole store addresses)."""


class ResultError(Exception):
    """The response cannot be used; ``str()`` is the cause."""


@dataclass(frozen=True)
class ApiResult:
    """The ``data`` of a successful API answer."""

    result_type: str
    result: Any
    infos: tuple[str, ...] = ()


def _snippet(body: bytes) -> str:
    text = body[:80].decode("utf-8", "replace").replace("\n", " ").strip()
    return text or "(empty body)"


def decode(response: HttpResponse, expected: tuple[str, ...]) -> ApiResult:
    """Check status, JSON, ``status`` and ``resultType``; return the API's ``data``."""
    try:
        body = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    except RecursionError:
        raise ResultError(
            "the response nests JSON too deep to be a Prometheus API answer; check that the URL "
            "points at Prometheus"
        ) from None
    ok_status = 200 <= response.status < 300
    if isinstance(body, dict) and body.get("status") == "error":
        kind = body.get("errorType", "error")
        raise ResultError(
            f"Prometheus answered HTTP {response.status} with {kind}: {body.get('error', '')}"
        )
    if not ok_status:
        raise ResultError(f"HTTP {response.status} {response.reason}: {_snippet(response.body)}")
    if body is None:
        raise ResultError(
            f"the response is not JSON (Content-Type {response.content_type or 'missing'}; "
            f"body starts {_snippet(response.body)!r})"
        )
    if not isinstance(body, dict) or body.get("status") != "success":
        raise ResultError(f"the response is not a Prometheus API answer: {_snippet(response.body)}")
    data = body.get("data")
    if not isinstance(data, dict) or "resultType" not in data or "result" not in data:
        raise ResultError("the response has no data.resultType/data.result")
    result_type = data["resultType"]
    if result_type not in expected:
        raise ResultError(
            f"unexpected result type {result_type!r} (expected {' or '.join(expected)})"
        )
    warnings = _texts(body.get("warnings"))
    if warnings:
        raise ResultError(partial_cause(warnings))
    return ApiResult(result_type, data["result"], _texts(body.get("infos")))


def _texts(raw: Any) -> tuple[str, ...]:
    if not raw:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    return tuple(str(item)[:MAX_NOTE_CHARS] for item in items)


def partial_cause(warnings: tuple[str, ...]) -> str:
    """Why an answer with ``warnings`` is an error, the warnings quoted."""
    count = f"{len(warnings)} warning" + ("s" if len(warnings) != 1 else "")
    return (
        f"the answer carries {count}, so its data may be partial (a store, querier or "
        f"replica did not answer): {'; '.join(warnings)}"
    )


def sample_value(raw: Any) -> float:
    """A Prometheus sample value (a string such as ``"1.5"``, ``"NaN"``, ``"+Inf"``)."""
    try:
        value = float(raw)
    except (TypeError, ValueError) as error:
        raise ResultError(f"malformed sample value {raw!r}") from error
    return value


def _labels(item: Any) -> Labels:
    metric = item.get("metric") if isinstance(item, dict) else None
    if not isinstance(metric, dict):
        raise ResultError(f"malformed series (no metric labels): {str(item)[:80]}")
    return tuple(sorted((str(k), str(v)) for k, v in metric.items() if k != "__name__"))


def _pair(raw: Any) -> tuple[float, float]:
    if not isinstance(raw, list) or len(raw) != 2:
        raise ResultError(f"malformed sample {str(raw)[:80]}")
    try:
        timestamp = float(raw[0])
    except (TypeError, ValueError) as error:
        raise ResultError(f"malformed sample timestamp {raw[0]!r}") from error
    return timestamp, sample_value(raw[1])


def vector(data: ApiResult) -> dict[Labels, float]:
    """``{labels: value}`` of an instant vector (``__name__`` dropped); a scalar is ``{(): v}``."""
    if data.result_type == "scalar":
        return {(): _pair(data.result)[1]}
    if not isinstance(data.result, list):
        raise ResultError("malformed vector result (not a list)")
    values: dict[Labels, float] = {}
    for item in data.result:
        labels = _labels(item)
        if labels in values:
            raise ResultError(f"two series with the labels {dict(labels)} once names are dropped")
        values[labels] = _pair(item.get("value"))[1]
    return values


def matrix(data: ApiResult) -> dict[Labels, tuple[tuple[float, float], ...]]:
    """``{labels: ((t, v), ...)}`` of a range result, points in time order."""
    if not isinstance(data.result, list):
        raise ResultError("malformed matrix result (not a list)")
    series: dict[Labels, tuple[tuple[float, float], ...]] = {}
    for item in data.result:
        raw = item.get("values") if isinstance(item, dict) else None
        if not isinstance(raw, list):
            raise ResultError(f"malformed matrix series: {str(item)[:80]}")
        points = tuple(sorted(_pair(p) for p in raw))
        series[_labels(item)] = points
    return series


def finite_or_none(value: float) -> float | None:
    """``value`` when finite, else ``None`` (for sample counts, never a fake 0)."""
    return value if math.isfinite(value) else None
