"""Talk to the live service for the smoke checks, and turn what it said into answers.

The HTTP happens in the fixtures of ``conftest.py`` (checks do no I/O); everything after the
response is pure. A transport failure is an ``error`` answer; a service that answers but answers
wrong gives a value that breaches its check, with the cause in the series labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pytest_gate import Answer, DataState, Labels, SeriesValue
from pytest_gate.contract.brief_schema import brief_of, violations

HTTP_OK = 200
LOADED = 1.0
PRESENT = 1.0
ABSENT = 0.0
VIOLATED = 1.0
HELD = 0.0
BODY_EXCERPT_CHARS = 200
SOURCE = "serving"
RESPONSE_FIELD = "(response)"


@dataclass(frozen=True)
class Fetched:
    """One HTTP exchange: the status and body, or the transport error."""

    method: str
    url: str
    status: int | None
    body: str
    error: str = ""

    @property
    def what(self) -> str:
        """``GET http://host/health`` for messages."""
        return f"{self.method} {self.url}"


def fetch(method: str, url: str, timeout_seconds: float, payload: Any = None) -> Fetched:
    """Send one request; a transport failure comes back as ``error``, never as an exception."""
    import requests  # only smoke runs talk to the service: keep it off every gate's start-up

    try:
        response = requests.request(method, url, json=payload, timeout=timeout_seconds)
    except requests.RequestException as exc:
        return Fetched(method, url, None, "", f"{type(exc).__name__}: {exc}")
    return Fetched(method, url, response.status_code, response.text)


def _failed(fetched: Fetched, state: DataState, cause: str) -> Answer:
    return Answer(
        query_text=fetched.what,
        state=state,
        message=f"{cause} ({fetched.what})",
        source=SOURCE,
    )


def _ok(fetched: Fetched, series: list[SeriesValue]) -> Answer:
    return Answer(query_text=fetched.what, state=DataState.OK, series=tuple(series), source=SOURCE)


def _excerpt(body: str) -> str:
    flat = " ".join(body.split())
    return flat[:BODY_EXCERPT_CHARS]


def health(fetched: Fetched) -> Answer:
    """The HTTP status of ``/health`` as the value (200 is healthy)."""
    if fetched.error or fetched.status is None:
        return _failed(fetched, DataState.ERROR, f"no answer: {fetched.error}")
    labels: Labels = (("endpoint", "/health"),)
    if fetched.status != HTTP_OK:
        labels = (*labels, ("body", _excerpt(fetched.body)))
    return _ok(fetched, [SeriesValue(labels, float(fetched.status))])


def _samples(fetched: Fetched) -> list[tuple[str, dict[str, str], float]] | Answer:
    if fetched.error or fetched.status is None:
        return _failed(fetched, DataState.ERROR, f"no answer: {fetched.error}")
    if fetched.status != HTTP_OK:
        return _failed(fetched, DataState.ERROR, f"HTTP {fetched.status}: {_excerpt(fetched.body)}")
    try:
        # Imported here: only the smoke checks parse /metrics; a pre-deploy run need not pay it.
        from prometheus_client.parser import text_string_to_metric_families

        families = list(text_string_to_metric_families(fetched.body))
    except ValueError as exc:
        return _failed(fetched, DataState.ERROR, f"not a metrics exposition: {exc}")
    found: list[tuple[str, dict[str, str], float]] = []
    for family in families:
        found.append((family.name, {}, float("nan")))
        found.extend((s.name, dict(s.labels), float(s.value)) for s in family.samples)
    return found


def models_loaded(fetched: Fetched, metric: str, models: tuple[str, ...]) -> Answer:
    """``metric{model=...}`` for every listed model; a model with no series is no_data."""
    samples = _samples(fetched)
    if isinstance(samples, Answer):
        return samples
    values = {labels.get("model"): value for name, labels, value in samples if name == metric}
    absent = [m for m in models if m not in values]
    if absent:
        cause = f"{metric} has no series for model {', '.join(absent)}"
        return _failed(fetched, DataState.NO_DATA, cause)
    return _ok(fetched, [SeriesValue((("model", m),), float(values[m])) for m in models])


def names_exposed(fetched: Fetched, names: tuple[str, ...]) -> Answer:
    """1 for every contract name the exposition has (as a family or a sample), else 0."""
    samples = _samples(fetched)
    if isinstance(samples, Answer):
        return samples
    seen = {name for name, _, _ in samples}
    return _ok(
        fetched,
        [SeriesValue((("name", n),), PRESENT if n in seen else ABSENT) for n in names],
    )


def brief_fields(fetched: Fetched) -> Answer:
    """One series per brief field: 0 when it holds, 1 (with the problem as a label) when not."""
    if fetched.error or fetched.status is None:
        return _failed(fetched, DataState.ERROR, f"no answer: {fetched.error}")
    if fetched.status != HTTP_OK:
        problem = f"HTTP {fetched.status}: {_excerpt(fetched.body)}"
        return _ok(fetched, [_field(RESPONSE_FIELD, problem)])
    try:
        body = json.loads(fetched.body)
    except ValueError as exc:
        return _ok(fetched, [_field(RESPONSE_FIELD, f"not JSON ({exc})")])
    checked = violations(brief_of(body))
    return _ok(fetched, [_field(name, problem) for name, problem in checked.items()])


def _field(name: str, problem: str | None) -> SeriesValue:
    if problem is None:
        return SeriesValue((("field", name),), HELD)
    return SeriesValue((("field", name), ("problem", problem)), VIOLATED)
