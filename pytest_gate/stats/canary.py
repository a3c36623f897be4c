"""Canary versus baseline (DESIGN §7): the two label selections, and the 5xx comparison. Pure.

Canary and baseline are two label selections of the same metrics, given as PromQL label matchers
(``--gate-canary 'revision="v2"' --gate-baseline 'revision="v1"'``). Each canary query is the
ordinary query (the same :class:`~pytest_gate.core.query.Ratio` or
:class:`~pytest_gate.core.query.Quantile`, so it inherits window coverage) with one side's matchers
added. The 5xx comparison counts both sides' errors and requests and runs the one-sided exact test
of :mod:`pytest_gate.stats.exact`; the criterion holds when the canary is not significantly worse and
within the absolute limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_gate.core.query import Answer, DataState, Matcher, Selector, SeriesValue
from pytest_gate.stats.exact import FisherResult, fisher_greater, format_p

CANARY, BASELINE = "canary", "baseline"
SIDE_LABEL = "side"
TEST_NAME = "fisher_exact_one_sided"
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


@dataclass(frozen=True)
class Side:
    """One side's whole errors and requests over the window."""

    name: str
    errors: int
    requests: int

    @property
    def ratio(self) -> float:
        """errors / requests (requests is never 0 once a sample floor was applied)."""
        return self.errors / self.requests if self.requests else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report's view of one side."""
        return {"errors": self.errors, "requests": self.requests, "ratio": self.ratio}


def side_of(name: str, series: Sequence[SeriesValue]) -> Side:
    """Whole counts from the series of an error ratio (value x traffic, traffic as ``samples``).

    The counts are exact window counts (DESIGN §2: integer counters give integer counts); value x
    traffic is rounded only to undo float rounding, and errors never exceed requests.
    """
    requests = sum(s.samples or 0.0 for s in series)
    errors = sum(s.value * (s.samples or 0.0) for s in series)
    whole = round(requests)
    return Side(name, min(max(round(errors), 0), whole), whole)


@dataclass(frozen=True)
class ProportionComparison:
    """Canary against baseline: both sides' counts, the exact test, and both criteria."""

    canary: Side
    baseline: Side
    test: FisherResult
    alpha: float
    max_ratio: float
    what: str

    @property
    def significant(self) -> bool:
        """The canary fails significantly more often than the baseline (p < alpha)."""
        return self.test.p_value < self.alpha

    @property
    def within_limit(self) -> bool:
        """The canary's own ratio is within the absolute limit."""
        return self.canary.ratio <= self.max_ratio

    @property
    def passed(self) -> bool:
        """Both criteria hold."""
        return not self.significant and self.within_limit

    def summary(self) -> str:
        """``canary 12/4000 5xx vs baseline 3/8000, p=0.00028 < 0.01`` (+ the limit if breached)."""
        c, b = self.canary, self.baseline
        op = "<" if self.significant else ">="
        text = (
            f"{CANARY} {c.errors}/{c.requests} {self.what} vs {BASELINE} {b.errors}/{b.requests}, "
            f"p={format_p(self.test.p_value)} {op} {self.alpha:g}"
        )
        if not self.within_limit:
            text += (
                f"; {CANARY} {c.ratio * 100:.2f}% > {self.max_ratio * 100:.2f}% (absolute limit)"
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        """The report's ``canary`` object of the check."""
        return {
            CANARY: self.canary.to_dict(),
            BASELINE: self.baseline.to_dict(),
            "test": TEST_NAME,
            "statistic": self.test.statistic,
            "expected_errors": self.test.expected,
            "odds_ratio": self.test.odds_ratio,
            "p_value": self.test.p_value,
            "alpha": self.alpha,
            "significant": self.significant,
            "max_ratio": self.max_ratio,
            "within_limit": self.within_limit,
            "summary": self.summary(),
        }


def compare(
    canary: Side, baseline: Side, *, alpha: float, max_ratio: float, what: str
) -> ProportionComparison:
    """Run the one-sided exact test of the canary against the baseline."""
    test = fisher_greater(canary.errors, canary.requests, baseline.errors, baseline.requests)
    return ProportionComparison(canary, baseline, test, alpha, max_ratio, what)


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
        series.append(SeriesValue(((SIDE_LABEL, name),), side.ratio, float(side.requests)))
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
