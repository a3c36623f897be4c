"""Prometheus' ``histogram_quantile``, computed from bucket counts (pure).

The scrape source applies it to lifetime buckets; the Prometheus source to the exact window counts
of the buckets (DESIGN §2), so no engine's extrapolation enters a quantile.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

from pytest_gate.core.query import Labels, group_key


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' ``histogram_quantile`` over ``(upper_bound, cumulative_count)`` buckets."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    merged: dict[float, float] = defaultdict(float)
    for bound, count in buckets:
        merged[bound] += count
    ordered = sorted(merged.items())
    if not ordered or not math.isinf(ordered[-1][0]) or len(ordered) < 2:
        return math.nan
    monotonic: list[tuple[float, float]] = []
    highest = -math.inf
    for bound, count in ordered:
        highest = max(highest, count)
        monotonic.append((bound, highest))
    observations = monotonic[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next((i for i, (_, c) in enumerate(monotonic[:-1]) if c >= rank), len(monotonic) - 1)
    if b == len(monotonic) - 1:
        return monotonic[-2][0]
    if b == 0 and monotonic[0][0] <= 0:
        return monotonic[0][0]
    start, end, count = 0.0, monotonic[b][0], monotonic[b][1]
    if b > 0:
        start = monotonic[b - 1][0]
        count -= monotonic[b - 1][1]
        rank -= monotonic[b - 1][1]
    return start + (end - start) * (rank / count)


def bucket_quantiles(
    buckets: Mapping[Labels, float], q: float, by: tuple[str, ...]
) -> dict[Labels, float]:
    """The quantile per ``by`` group of bucket counts keyed by labels that hold ``le``."""
    grouped: dict[Labels, list[tuple[float, float]]] = defaultdict(list)
    for labels, count in buckets.items():
        bound = dict(labels).get("le")
        if bound is not None:
            grouped[group_key(labels, by)].append((float(bound), count))
    return {key: bucket_quantile(q, points) for key, points in grouped.items()}
