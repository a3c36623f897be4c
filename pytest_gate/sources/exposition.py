"""Compute answers from one ``/metrics`` exposition (pure; no I/O).

Parsing uses ``prometheus_client``'s parsers (text format 0.0.4, or OpenMetrics by content type).
Label matching follows PromQL (a missing label equals ``""``, regexes are fully anchored), and
:func:`bucket_quantile` is Prometheus' ``histogram_quantile`` interpolation, applied to the
lifetime cumulative buckets.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as text_families

from pytest_gate.core.query import Labels, Matcher, Selector, group_key
from pytest_gate.stats.histogram import bucket_quantile

OPENMETRICS_TYPE = "application/openmetrics-text"


@dataclass(frozen=True)
class Sample:
    """One exposed sample: its full name (``x_total``, ``x_bucket``), labels and value."""

    name: str
    labels: Labels
    value: float


def parse(text: str, content_type: str, instance: str | None = None) -> list[Sample]:
    """Every sample of an exposition; ``instance`` (when given) is added as a label.

    Raises ``ValueError`` for a body the parser rejects.
    """
    parser = openmetrics_families if OPENMETRICS_TYPE in content_type else text_families
    samples: list[Sample] = []
    for family in parser(text):
        for sample in family.samples:
            labels = dict(sample.labels)
            if instance is not None:
                if "instance" in labels:
                    labels["exported_instance"] = labels["instance"]
                labels["instance"] = instance
            samples.append(Sample(sample.name, tuple(sorted(labels.items())), float(sample.value)))
    return samples


def read_exposition(text: str, content_type: str = "") -> tuple[list[Sample], frozenset[str]]:
    """Every sample of an exposition and every metric family name it declares.

    A family's name differs from its samples' names for counters and histograms (``x`` exposes
    ``x_total``; ``h`` exposes ``h_bucket``, ``h_sum``, ``h_count``). Raises ``ValueError`` for a
    body the parser rejects.
    """
    parser = openmetrics_families if OPENMETRICS_TYPE in content_type else text_families
    samples: list[Sample] = []
    names: set[str] = set()
    for family in parser(text):
        names.add(family.name)
        samples.extend(
            Sample(s.name, tuple(sorted(s.labels.items())), float(s.value)) for s in family.samples
        )
    return samples, frozenset(names)


def _matches(labels: dict[str, str], matcher: Matcher) -> bool:
    value = labels.get(matcher.label, "")
    if matcher.op == "=":
        return value == matcher.value
    if matcher.op == "!=":
        return value != matcher.value
    found = re.fullmatch(matcher.value, value) is not None
    return found if matcher.op == "=~" else not found


def select(samples: Iterable[Sample], selector: Selector, suffix: str = "") -> list[Sample]:
    """The samples named ``selector.metric + suffix`` whose labels satisfy every matcher."""
    name = selector.metric + suffix
    return [
        s
        for s in samples
        if s.name == name and all(_matches(dict(s.labels), m) for m in selector.matchers)
    ]


def sum_by(samples: Iterable[Sample], by: tuple[str, ...]) -> dict[Labels, float]:
    """``sum by (<by>) (samples)``."""
    sums: dict[Labels, float] = defaultdict(float)
    for sample in samples:
        sums[group_key(sample.labels, by)] += sample.value
    return dict(sums)


def histogram_quantiles(
    buckets: Iterable[Sample], q: float, by: tuple[str, ...]
) -> tuple[dict[Labels, float], dict[Labels, float]]:
    """Quantile and observation count (the ``+Inf`` bucket) per ``by`` group of bucket samples."""
    grouped: dict[Labels, list[tuple[float, float]]] = defaultdict(list)
    for sample in buckets:
        labels = dict(sample.labels)
        if "le" not in labels:
            continue
        grouped[group_key(sample.labels, by)].append((float(labels["le"]), sample.value))
    values = {key: bucket_quantile(q, points) for key, points in grouped.items()}
    counts = {
        key: sum(count for bound, count in points if math.isinf(bound))
        for key, points in grouped.items()
    }
    return values, counts
