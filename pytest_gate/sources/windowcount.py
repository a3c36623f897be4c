"""Exact window counts from a Prometheus-compatible engine (DESIGN §2 "Exact window counting").

:func:`count_windows` is the one entry point for every counter answer (ratios, histogram buckets
and counts, canary counts, any counter selector): per :class:`~pytest_gate.sources.promql.
CounterWindow` it asks the engine for the ``sum by`` of the per-series quick counts
(:func:`~pytest_gate.sources.promql.counted`, no ``increase()``) and for the series that may have
reset (:func:`~pytest_gate.sources.promql.needs_samples`), all in one round. Only when some series
reset does a second round fetch those series' raw samples and bases (a histogram's buckets are
checked through its ``_count``: they reset together, and there are far fewer), and
:mod:`~pytest_gate.sources.counting` adds what their exact counts differ by. The common case costs
two small vector answers per counter; a restarted pod costs its own series' raw samples, never the
whole fleet's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pytest_gate.core.query import LOOKBACK_SECONDS, Labels, Matcher
from pytest_gate.sources import promql
from pytest_gate.sources.counting import Points, corrections, regrouped
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
    first = [(promql.summed(c, extra, lookback_seconds), "vector") for c in counters]
    probes = list(
        dict.fromkeys(
            promql.needs_samples(c.probe_text(extra), c.window_seconds, lookback_seconds)
            for c in counters
        )
    )
    answers = fetch([*first, *((p, "vector") for p in probes), *alongside])
    quick = [vector(a) for a in answers[: len(counters)]]
    probed = {
        p: tuple(sorted(vector(a))) for p, a in zip(probes, answers[len(counters) :], strict=False)
    }
    needing = [
        probed[promql.needs_samples(c.probe_text(extra), c.window_seconds, lookback_seconds)]
        for c in counters
    ]
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
        chosen = _chosen(points, series, probed=counter.reset_probe is not None)
        fixes = corrections(bases, chosen, at - counter.window_seconds)
        counts.append(WindowCounts(regrouped(sums, fixes, counter.by), tuple(sorted(chosen))))
    return counts, answers[len(counters) + len(probes) :]


def _chosen(
    raw: Mapping[Labels, Points], series: tuple[Labels, ...], *, probed: bool
) -> dict[Labels, Points]:
    """The raw series that reset (the narrowed selector may match a few more): those named, or
    with a probe, those whose labels without their own extras (``le``) name a probe series."""
    wanted = set(series)
    if not probed:
        return {labels: points for labels, points in raw.items() if labels in wanted}
    names = {name for labels in series for name, _ in labels}
    return {
        labels: points
        for labels, points in raw.items()
        if tuple(pair for pair in labels if pair[0] in names) in wanted
    }
