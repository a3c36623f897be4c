"""Exact window counts from a Prometheus-compatible engine (DESIGN §2 "Exact window counting").

:func:`count_windows` is the one entry point for every counter answer (ratios, histogram buckets
and counts, canary counts, any counter selector): per :class:`~pytest_gate.sources.promql.
CounterWindow` it asks the engine for the ``sum by`` of the per-series quick counts
(:func:`~pytest_gate.sources.promql.counted`, no ``increase()``) and for the series that may have
reset (:func:`~pytest_gate.sources.promql.needs_samples`), all in one round. Only when some series
reset does a second round fetch those series' raw samples and bases, and
:mod:`~pytest_gate.sources.counting` adds what their exact counts differ by. The common case costs
two small vector answers per counter; a restarted pod costs its own series' raw samples, never the
whole fleet's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pytest_gate.core.query import LOOKBACK_SECONDS, Labels, Matcher
from pytest_gate.sources import promql
from pytest_gate.sources.counting import corrections, regrouped
from pytest_gate.sources.promql import CounterWindow
from pytest_gate.sources.promresult import ApiResult, matrix, vector

Fetch = Callable[[Sequence[tuple[str, str]]], list[ApiResult]]
"""Sends ``(expression, expected result type)`` pairs as instant queries at T, together."""


@dataclass(frozen=True)
class WindowCounts:
    """Exact counts of one :class:`CounterWindow`, per ``by`` group."""

    sums: dict[Labels, float]
    recounted: tuple[Labels, ...] = ()
    """The series that reset in the window and were counted from their raw samples."""

    def note(self, counter: CounterWindow) -> tuple[str, ...]:
        """A report note naming how many series were recounted from raw samples (if any)."""
        if not self.recounted:
            return ()
        name = counter.selector.metric + counter.suffix
        return (
            f"{len(self.recounted)} {name} series reset in the window; counted exactly from "
            "their raw samples",
        )


def count_windows(
    counters: Sequence[CounterWindow],
    at: float,
    fetch: Fetch,
    *,
    extra: tuple[Matcher, ...] = (),
    lookback_seconds: int = LOOKBACK_SECONDS,
    alongside: Sequence[tuple[str, str]] = (),
) -> tuple[list[WindowCounts], list[ApiResult]]:
    """The exact counts of ``counters`` at ``at``, and the answers to ``alongside`` (sent with them).

    Raises :class:`~pytest_gate.sources.promresult.ResultError` for a malformed answer; transport
    errors come from ``fetch``.
    """
    first: list[tuple[str, str]] = []
    for counter in counters:
        first.append((promql.summed(counter, extra, lookback_seconds), "vector"))
        selector = counter.text(extra)
        first.append(
            (promql.needs_samples(selector, counter.window_seconds, lookback_seconds), "vector")
        )
    answers = fetch([*first, *alongside])
    quick = [vector(answers[2 * i]) for i in range(len(counters))]
    needing = [tuple(sorted(vector(answers[2 * i + 1]))) for i in range(len(counters))]
    second: list[tuple[str, str]] = []
    for counter, series in zip(counters, needing, strict=True):
        if series:
            text = promql.narrowed(counter.selector, extra, counter.suffix, series)
            raw, base = promql.samples_of(text, counter.window_seconds, lookback_seconds)
            second += [(raw, "matrix"), (base, "vector")]
    samples = iter(fetch(second) if second else [])
    counts: list[WindowCounts] = []
    for counter, sums, series in zip(counters, quick, needing, strict=True):
        if not series:
            counts.append(WindowCounts(sums))
            continue
        points, bases = matrix(next(samples)), vector(next(samples))
        fixes = _fixes(points, bases, set(series), at - counter.window_seconds)
        counts.append(WindowCounts(regrouped(sums, fixes, counter.by), series))
    return counts, answers[2 * len(counters) :]


def _fixes(
    raw: Mapping[Labels, tuple[tuple[float, float], ...]],
    bases: Mapping[Labels, float],
    wanted: set[Labels],
    start: float,
) -> dict[Labels, float]:
    """Corrections of the wanted series only (the narrowed selector may match a few more)."""
    chosen = {labels: points for labels, points in raw.items() if labels in wanted}
    return corrections(bases, chosen, start)
