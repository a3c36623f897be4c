"""Turn what the live service said to the smoke checks into answers (pure).

The HTTP happens in the fixtures of ``conftest.py`` through the gate's ``service`` client (its
own HTTP client, inside ``--gate-deadline``); checks do no I/O. A transport failure is an ``error`` answer; a service that answers but answers
wrong gives a value that breaches its check, with the cause in the series labels.
"""

from __future__ import annotations

import json

from pytest_gate import Answer, DataState, Fetched, Labels, SeriesValue, read_exposition
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
        samples, families = read_exposition(fetched.body, fetched.content_type)
    except ValueError as exc:
        return _failed(fetched, DataState.ERROR, f"not a metrics exposition: {exc}")
    found: list[tuple[str, dict[str, str], float]] = [
        (name, {}, float("nan")) for name in sorted(families)
    ]
    found.extend((s.name, dict(s.labels), s.value) for s in samples)
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
