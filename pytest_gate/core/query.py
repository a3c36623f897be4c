"""The semantic metric API: what a check may ask a metric source, and what it gets back.

Checks ask for meanings (a ratio of two counters over a window, a histogram quantile, a gauge's
series), never raw HTTP. Each source (Prometheus, ``/metrics`` scrape, replay) answers the same
frozen, hashable query objects, so a session-wide cache can answer a repeated query once, and a
recording can be keyed on them. Every :class:`Answer` carries its per-series values, the query text,
the window, the sample count and a data-quality :class:`DataState`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pytest_gate.core.durations import duration


class DataState(StrEnum):
    """Data quality of an answer; anything but ``OK`` can never become a pass."""

    OK = "ok"
    NO_DATA = "no_data"
    ERROR = "error"


MATCH_OPERATORS = ("=", "!=", "=~", "!~")
LOOKBACK_SECONDS = 3600
"""Default ``[gate] lookback_seconds``: how far before a counter window's start its base is sought."""
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


@dataclass(frozen=True)
class Matcher:
    """One label matcher, e.g. ``Matcher("status", "=~", "5..")``."""

    label: str
    op: str
    value: str

    def __post_init__(self) -> None:
        if self.op not in MATCH_OPERATORS:
            raise ValueError(f"unknown matcher operator {self.op!r}; use one of {MATCH_OPERATORS}")
        if not isinstance(self.label, str) or not LABEL_NAME.fullmatch(self.label):
            raise ValueError(f"{self.label!r} is not a label name; use letters, digits and _")
        if not isinstance(self.value, str):
            raise ValueError(f"label value {self.value!r} is not a string")


def equal_matchers(equals: Mapping[str, str]) -> tuple[Matcher, ...]:
    """``=`` matchers for each label and value, sorted by label (one order for every query)."""
    return tuple(Matcher(k, "=", v) for k, v in sorted(equals.items()))


@dataclass(frozen=True)
class Selector:
    """A metric name with label matchers, e.g. ``http_requests_total{status=~"5.."}``."""

    metric: str
    matchers: tuple[Matcher, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str) or not METRIC_NAME.fullmatch(self.metric):
            raise ValueError(f"{self.metric!r} is not a metric name; use letters, digits, _ and :")

    @classmethod
    def of(cls, metric: str, **equals: str) -> Selector:
        """Build a selector with ``=`` matchers only: ``Selector.of("up", job="serving")``."""
        return cls(metric, equal_matchers(equals))

    def where(self, label: str, op: str, value: str) -> Selector:
        """Return a copy with one more matcher."""
        return Selector(self.metric, (*self.matchers, Matcher(label, op, value)))


@dataclass(frozen=True)
class Ratio:
    """What the numerator counted over what the denominator counted in the window, per ``by`` group.

    Both are exact window counts (DESIGN §2: from each series' base, resets and births counted,
    never an engine's ``increase()``).

    Numerator and denominator are fetched separately: an absent numerator with a present, non-zero
    denominator is a real 0; an absent or zero denominator is no data. ``samples`` of each series is
    the denominator's count (the traffic), so a floor on it can be applied.
    """

    numerator: Selector
    denominator: Selector
    window_seconds: int
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quantile:
    """The histogram quantile of the buckets' exact window counts, per group of ``by`` labels.

    ``metric`` is the histogram's base name (without ``_bucket``). ``samples`` of each series is the
    observation count over the window.
    """

    metric: Selector
    quantile: float
    window_seconds: int
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class SustainedQuantile:
    """The minimum, over the last ``outer_seconds``, of the quantile over ``inner_seconds`` windows.

    Above a limit means "above throughout the outer window" (evaluated every ``step_seconds``).
    A single ``/metrics`` scrape cannot answer this (no history): such sources answer no_data.
    """

    metric: Selector
    quantile: float
    inner_seconds: int
    outer_seconds: int
    step_seconds: int
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gauge:
    """Every series' current value of a gauge (or ``up``)."""

    selector: Selector


@dataclass(frozen=True)
class AvgOverTime:
    """``avg_over_time(selector[window])`` per series (baselines)."""

    selector: Selector
    window_seconds: int


@dataclass(frozen=True)
class RangeSeries:
    """Every series' points over the last ``window_seconds`` at ``step_seconds`` (trends)."""

    selector: Selector
    window_seconds: int
    step_seconds: int


@dataclass(frozen=True)
class RawPromQL:
    """An instant PromQL expression for custom checks (Prometheus and replay sources only)."""

    expr: str


@dataclass(frozen=True)
class Exported:
    """How many series of ``selector`` the source holds within the last ``lookback_seconds``.

    Tells "the engine does not export this metric at all" (0 series: a criterion that cannot be
    judged here, not_applicable) apart from "exported, but nothing happened" (a real zero). The
    answer is one series without labels whose value is the count; 0 is a real count, never
    no_data. A ``/metrics`` scrape counts the series of its one exposition.
    """

    selector: Selector
    lookback_seconds: int


Query = (
    Ratio | Quantile | SustainedQuantile | Gauge | AvgOverTime | RangeSeries | RawPromQL | Exported
)


@dataclass(frozen=True)
class SeriesValue:
    """One series of an answer: its labels, its value and, for trends, its points."""

    labels: Labels
    value: float
    samples: float | None = None
    points: tuple[tuple[float, float], ...] = ()
    count: float | None = None
    """A ratio's numerator (the errors behind an error ratio), where the source counted it."""

    @property
    def label_map(self) -> dict[str, str]:
        """The labels as a dict."""
        return dict(self.labels)

    def describe(self, keys: tuple[str, ...] = ()) -> str:
        """``gpu=1,mode=fast``: the given label keys (all when empty), for messages and reports."""
        labels = self.label_map
        shown = keys or tuple(sorted(labels))
        return ",".join(f"{k}={labels[k]}" for k in shown if k in labels)


def labels_from_json(data: Any) -> Labels:
    """A label set from JSON: a list of ``[name, value]`` pairs, or an object."""
    pairs = data.items() if isinstance(data, Mapping) else data
    return tuple(sorted((str(k), str(v)) for k, v in pairs))


def group_key(labels: Labels, by: tuple[str, ...]) -> Labels:
    """The ``by`` labels of a series (like ``sum by``), dropping absent ones."""
    mapping = dict(labels)
    return tuple(sorted((k, mapping[k]) for k in by if k in mapping))


def labels_of(mapping: Mapping[str, str]) -> Labels:
    """Canonical (sorted, hashable) form of a label mapping."""
    return tuple(sorted(mapping.items()))


Labels = tuple[tuple[str, str], ...]
PARTIAL_INTERVALS = 1.5
"""A window is partly covered when its oldest sample is more than this many scrape intervals late."""
BRIDGED_INTERVALS = 2.5
"""A gap counts as bridged (and is said so) when it is longer than this many scrape intervals."""


@dataclass(frozen=True)
class Coverage:
    """How much of its window a counter answer saw (DESIGN §2, "Window coverage").

    Read from the raw samples of the traffic series (a ratio's denominator, a histogram's
    ``_count``) in the window ending at T. ``born_inside`` holds the labels of the series whose
    first sample lies inside the window (counted from zero); ``sparse`` those with fewer than two
    samples in it.
    """

    window_seconds: int
    series: int
    samples: int
    fewest_samples: int
    oldest_age_seconds: float | None
    interval_seconds: float | None
    born_inside: tuple[Labels, ...] = ()
    sparse: tuple[Labels, ...] = ()
    longest_gap_seconds: float | None = None
    """The longest time between two samples of one series, from its base to its last sample."""
    base_age_seconds: float | None = None
    """The age at T of the oldest base (the last sample at or before the window's start)."""

    @property
    def partial(self) -> bool:
        """True when the oldest sample is well inside the window and no base bridges the start."""
        if self.oldest_age_seconds is None:
            return True
        if self.base_age_seconds is not None:
            return False
        slack = PARTIAL_INTERVALS * (self.interval_seconds or 0.0)
        return self.oldest_age_seconds + slack < self.window_seconds

    @property
    def bridged(self) -> bool:
        """True when a gap in scrapes (longer than a few intervals) was bridged from a base."""
        if self.longest_gap_seconds is None or self.interval_seconds is None:
            return False
        return self.longest_gap_seconds > BRIDGED_INTERVALS * self.interval_seconds

    def to_json(self) -> dict[str, Any]:
        """Every field as strict JSON (label sets as lists of pairs), exactly."""
        return {
            "window_seconds": self.window_seconds,
            "series": self.series,
            "samples": self.samples,
            "fewest_samples": self.fewest_samples,
            "oldest_age_seconds": self.oldest_age_seconds,
            "interval_seconds": self.interval_seconds,
            "born_inside": [[list(pair) for pair in labels] for labels in self.born_inside],
            "sparse": [[list(pair) for pair in labels] for labels in self.sparse],
            "longest_gap_seconds": self.longest_gap_seconds,
            "base_age_seconds": self.base_age_seconds,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Coverage:
        """The coverage of :meth:`to_json`; raises ``KeyError``/``TypeError``/``ValueError``."""
        age, interval = data["oldest_age_seconds"], data["interval_seconds"]
        return cls(
            window_seconds=int(data["window_seconds"]),
            series=int(data["series"]),
            samples=int(data["samples"]),
            fewest_samples=int(data["fewest_samples"]),
            oldest_age_seconds=None if age is None else float(age),
            interval_seconds=None if interval is None else float(interval),
            born_inside=tuple(labels_from_json(labels) for labels in data["born_inside"]),
            sparse=tuple(labels_from_json(labels) for labels in data["sparse"]),
            longest_gap_seconds=_optional_float(data.get("longest_gap_seconds")),
            base_age_seconds=_optional_float(data.get("base_age_seconds")),
        )

    def combined(self, other: Coverage | None) -> Coverage:
        """The coverage of an answer derived from this one and ``other`` (the weaker of both)."""
        if other is None:
            return self
        ages = [a for a in (self.oldest_age_seconds, other.oldest_age_seconds) if a is not None]
        intervals = [i for i in (self.interval_seconds, other.interval_seconds) if i is not None]
        return Coverage(
            window_seconds=max(self.window_seconds, other.window_seconds),
            series=self.series + other.series,
            samples=self.samples + other.samples,
            fewest_samples=min(self.fewest_samples, other.fewest_samples),
            oldest_age_seconds=min(ages) if ages else None,
            interval_seconds=max(intervals) if intervals else None,
            born_inside=tuple(dict.fromkeys(self.born_inside + other.born_inside)),
            sparse=tuple(dict.fromkeys(self.sparse + other.sparse)),
            longest_gap_seconds=_larger(self.longest_gap_seconds, other.longest_gap_seconds),
            base_age_seconds=_larger(self.base_age_seconds, other.base_age_seconds),
        )

    def summary(self) -> str:
        """One short clause for the terminal and messages; empty for a fully covered window.

        ``5m window covered from 4s ago; 9 new series (...) counted from zero (job=serving,...)``.
        """
        parts: list[str] = []
        if self.partial:
            window = duration(self.window_seconds)
            if self.oldest_age_seconds is None:
                parts.append(f"{window} window has no samples")
            else:
                age = duration(self.oldest_age_seconds)
                parts.append(f"{window} window covered from {age} ago")
        if self.bridged and self.longest_gap_seconds is not None:
            gap = duration(self.longest_gap_seconds)
            parts.append(f"a {gap} gap in scrapes bridged from the last sample before it")
        if self.born_inside:
            parts.append(
                f"{len(self.born_inside)} new series (no sample in the look-back before the "
                f"window) counted from zero "
                f"({targets_text(self.born_inside)})"
            )
        return "; ".join(parts)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _larger(a: float | None, b: float | None) -> float | None:
    known = [v for v in (a, b) if v is not None]
    return max(known) if known else None


TARGET_LABELS = ("job", "instance")
SHOWN_TARGETS = 3


def target_of(labels: Labels) -> str:
    """``job=serving,instance=10.0.0.7:8000`` where the series has them, else every label."""
    mapping = dict(labels)
    target = [(k, mapping[k]) for k in TARGET_LABELS if k in mapping]
    return ",".join(f"{k}={v}" for k, v in (target or labels)) or "all series"


def targets_text(series: tuple[Labels, ...]) -> str:
    """The distinct targets of ``series``, the first few by name: ``job=a,instance=b; ...``."""
    names = list(dict.fromkeys(target_of(labels) for labels in series))
    shown = "; ".join(names[:SHOWN_TARGETS])
    if len(names) > SHOWN_TARGETS:
        shown += f"; and {len(names) - SHOWN_TARGETS} more"
    return shown


def query_suffix(query_text: str) -> str:
    """`` (query: <text>)``: how a failed answer's message names its query, once."""
    return f" (query: {query_text})" if query_text else ""


@dataclass(frozen=True)
class Answer:
    """What a source returns for one query at the evaluation instant."""

    query_text: str
    state: DataState
    series: tuple[SeriesValue, ...] = ()
    window_seconds: int | None = None
    message: str = ""
    source: str = ""
    notes: tuple[str, ...] = field(default=())
    coverage: Coverage | None = None
    deadline_exceeded: bool = False
    """True when the gate's deadline passed before this answer came (reason ``deadline``)."""
    cause: str = ""
    """Why the answer failed, without the query; empty where ``message`` is the cause alone.

    A source's ``message`` names the cause, then the query; the terminal's one line shows only
    the cause (:attr:`why`), the report's message both. An answer built with only a message in
    that form (an older recording, a user's own source) gets its cause here, once.
    """

    def __post_init__(self) -> None:
        suffix = query_suffix(self.query_text)
        if not self.cause and suffix and self.message.endswith(suffix):
            object.__setattr__(self, "cause", self.message[: -len(suffix)])

    @property
    def why(self) -> str:
        """The cause of a failed answer, never the query it concerns."""
        return self.cause or self.message

    @property
    def samples(self) -> float | None:
        """Total samples over all series, where the source counted them."""
        counted = [s.samples for s in self.series if s.samples is not None]
        return sum(counted) if counted else None

    def with_state(self, state: DataState, message: str, cause: str = "") -> Answer:
        """The same answer in another data-quality state, with the message that explains it
        (and its ``cause`` alone where the message also names the query)."""
        return dataclasses.replace(self, state=state, message=message, cause=cause)

    def checked(self) -> Answer:
        """Turn an OK answer with no series or a NaN/±Inf value into the right failed state."""
        if self.state is not DataState.OK:
            return self
        if not self.series:
            return self.with_state(DataState.NO_DATA, "empty result (no series matched)")
        for s in self.series:
            if math.isnan(s.value):
                return self.with_state(DataState.NO_DATA, f"NaN value ({s.describe()})")
            if math.isinf(s.value):
                return self.with_state(DataState.ERROR, f"infinite value ({s.describe()})")
        return self
