"""Canary versus baseline (DESIGN §7): the two label selections and both sides' counts. Pure.

Canary and baseline are two label selections of the same metrics, given as PromQL label matchers
(``--gate-canary 'revision="v2"' --gate-baseline 'revision="v1"'``). Each canary query is the
ordinary query (the same :class:`~pytest_gate.core.query.Ratio` or
:class:`~pytest_gate.core.query.Quantile`, so it inherits window coverage) with one side's matchers
added. The 5xx comparison counts both sides' errors and requests (whole numbers, :func:`whole`);
the comparison itself is :mod:`pytest_gate.stats.comparison`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_gate.core.query import Answer, DataState, Matcher, Selector, SeriesValue
from pytest_gate.stats.sides import BASELINE as BASELINE
from pytest_gate.stats.sides import CANARY as CANARY
from pytest_gate.stats.sides import Side

SIDE_LABEL = "side"
MATCHER = re.compile(
    r"\s*(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')\s*(?P<end>,|$)"
)
ESCAPE = re.compile(r"\\(.)")
EXAMPLE = "'revision=\"v2\"' (label, one of = != =~ !~, a quoted value; several joined by commas)"


class SelectionError(ValueError):
    """A canary or baseline selection cannot be read; the message says why and how to write it."""


def parse_selection(text: str, flag: str) -> tuple[Matcher, ...]:
    """``revision="v2",track!="shadow"`` (braces optional) as matchers; raises SelectionError."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise SelectionError(
            f"{flag} {text!r} is not valid UTF-8 text; write it like {EXAMPLE}"
        ) from None
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1].strip()
    matchers: list[Matcher] = []
    position = 0
    while position < len(body):
        found = MATCHER.match(body, position)
        if found is None or found.end() == position:
            rest = body[position:].strip()
            raise SelectionError(
                f"{flag} {text!r} is not a label selection (cannot read {rest!r}); "
                f"write it like {EXAMPLE}"
            )
        value = ESCAPE.sub(r"\1", found["value"][1:-1])
        if found["op"] in ("=~", "!~"):
            _check_regex(value, text, flag)
        matchers.append(Matcher(found["label"], found["op"], value))
        position = found.end()
        if found["end"] == "," and position >= len(body):
            raise SelectionError(f"{flag} {text!r} ends in a comma; write it like {EXAMPLE}")
    if not matchers:
        raise SelectionError(f"{flag} is empty; write it like {EXAMPLE}")
    return tuple(matchers)


def _check_regex(value: str, text: str, flag: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise SelectionError(
            f"{flag} {text!r}: {value!r} is not a valid regex ({exc}); fix the pattern"
        ) from None


def selection_text(matchers: Sequence[Matcher]) -> str:
    """The matchers as PromQL: ``revision="v2"``."""
    return ",".join(f'{m.label}{m.op}"{m.value}"' for m in matchers)


def narrowed(selector: Selector, matchers: Sequence[Matcher]) -> Selector:
    """``selector`` restricted to one side: its matchers plus the side's."""
    return Selector(selector.metric, (*selector.matchers, *matchers))


@dataclass(frozen=True)
class CanarySelection:
    """The canary's and the baseline's label matchers (``--gate-canary``, ``--gate-baseline``)."""

    canary: tuple[Matcher, ...]
    baseline: tuple[Matcher, ...]


def whole(count: float) -> int:
    """A count as an integer: the one place where a source's float count becomes a whole number.

    Exact window counting (DESIGN §2) gives integer-valued floats, which this keeps exactly; a
    source that extrapolates (``increase()``) gives fractions, rounded here and nowhere else.
    """
    return max(round(count), 0)


def side_of(name: str, series: Sequence[SeriesValue]) -> Side:
    """Whole errors and requests from the series of an error ratio (traffic as ``samples``).

    Errors are the series' ``count`` where the source gave it (else ratio x traffic) and never
    exceed the requests.
    """
    requests = whole(sum(s.samples or 0.0 for s in series))
    errors = whole(
        sum(s.count if s.count is not None else s.value * (s.samples or 0.0) for s in series)
    )
    return Side(name, min(errors, requests), requests)


def paired(canary: Answer, baseline: Answer, min_requests: float) -> Answer:
    """Both sides of an error ratio in one answer: a ``side=canary`` and a ``side=baseline`` series.

    Each series' value is the side's error ratio and its ``samples`` the side's requests. A side
    whose answer failed, or whose requests are below ``min_requests``, makes the answer no_data
    (error if either side is an error) naming that side; each side's coverage is kept.
    """
    problems: list[str] = []
    states: list[DataState] = []
    series: list[SeriesValue] = []
    for name, answer in ((CANARY, canary.checked()), (BASELINE, baseline.checked())):
        if answer.state is not DataState.OK:
            problems.append(f"{name}: {answer.message}")
            states.append(answer.state)
            continue
        side = side_of(name, answer.series)
        if side.requests < min_requests:
            problems.append(
                f"{name}: {side.requests} requests in the window, fewer than the floor of "
                f"{min_requests:g}"
            )
            states.append(DataState.NO_DATA)
        series.append(
            SeriesValue(
                ((SIDE_LABEL, name),), side.ratio, float(side.requests), count=float(side.errors)
            )
        )
    state = DataState.ERROR if DataState.ERROR in states else states[0] if states else DataState.OK
    coverage = canary.coverage.combined(baseline.coverage) if canary.coverage else baseline.coverage
    return Answer(
        query_text=f"{CANARY}: {canary.query_text}; {BASELINE}: {baseline.query_text}",
        state=state,
        series=tuple(series),
        window_seconds=canary.window_seconds,
        message="; ".join(problems),
        source=canary.source,
        notes=canary.notes + baseline.notes,
        coverage=coverage,
    )


def sides(answer: Answer) -> tuple[Side, Side]:
    """The canary's and the baseline's counts from a :func:`paired` answer."""
    by_name = {s.label_map.get(SIDE_LABEL): s for s in answer.series}
    canary, baseline = (by_name[name] for name in (CANARY, BASELINE))
    return side_of(CANARY, (canary,)), side_of(BASELINE, (baseline,))
