"""Join per-group values into answer series (pure; shared by the Prometheus and scrape sources).

Ratios: an absent numerator group with a present, non-zero denominator is a real 0 (a labelled
counter that was never incremented); an absent or zero denominator is no data for that group.
Quantiles: a group with no observations in the window is no data for that group. Groups without
data are left out of the series and named in the notes; when no group is left the answer is
no data with a message that says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pytest_gate.core.query import Labels, SeriesValue


@dataclass(frozen=True)
class Joined:
    """The joined series, notes for the report, and why nothing is left when ``series`` is empty."""

    series: tuple[SeriesValue, ...]
    notes: tuple[str, ...]
    empty_cause: str = ""


def _name(labels: Labels) -> str:
    return ",".join(f"{k}={v}" for k, v in labels) or "all series"


def join_ratio(numerators: dict[Labels, float], denominators: dict[Labels, float]) -> Joined:
    """``numerator / denominator`` per group; ``samples`` is the denominator (the traffic)."""
    series: list[SeriesValue] = []
    notes: list[str] = []
    for labels in sorted(denominators):
        traffic = denominators[labels]
        if math.isnan(traffic) or traffic <= 0:
            notes.append(f"no traffic for {_name(labels)} (denominator {traffic:g}); left out")
            continue
        count = numerators.get(labels)
        if count is None:
            notes.append(f"numerator absent for {_name(labels)}: a real 0 (never incremented)")
            count = 0.0
        series.append(
            SeriesValue(labels=labels, value=count / traffic, samples=traffic, count=count)
        )
    for labels in sorted(set(numerators) - set(denominators)):
        notes.append(f"numerator without a denominator for {_name(labels)}; left out")
    cause = ""
    if not series:
        cause = (
            "no traffic: the denominator is 0 for every group"
            if denominators
            else "no traffic: the denominator has no series"
        )
    return Joined(tuple(series), tuple(notes), cause)


def join_quantile(values: dict[Labels, float], counts: dict[Labels, float]) -> Joined:
    """Quantile per group with its observation count; idle groups (count 0, NaN) are left out.

    A group with a count but no quantile is read as a NaN quantile: VictoriaMetrics drops the NaN
    results Prometheus returns, so the diagnosis ("no observations in the window") is the same on
    both engines.
    """
    series: list[SeriesValue] = []
    notes: list[str] = []
    idle = 0
    for labels in sorted(set(values) | set(counts)):
        value = values.get(labels, math.nan)
        count = counts.get(labels)
        if math.isnan(value) and count is not None and count <= 0:
            notes.append(f"no observations in the window for {_name(labels)}; left out")
            idle += 1
            continue
        samples = count if count is not None and math.isfinite(count) else None
        series.append(SeriesValue(labels=labels, value=value, samples=samples))
    cause = ""
    if not series:
        cause = "no observations in the window" if idle else "empty result (no series matched)"
    return Joined(tuple(series), tuple(notes), cause)
