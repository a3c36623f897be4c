"""Render the semantic queries as PromQL (pure; no I/O).

The config's label selector (``extra`` matchers, e.g. ``namespace="prod"``) is merged into every
selector. Each function returns the expressions a Prometheus source sends: the value expression
first, then the one that counts samples where the query type has one.

Counters are counted exactly (DESIGN §2, :mod:`pytest_gate.sources.counting`), never with an
engine's ``increase()``: per series, before any aggregation, :func:`counted` is the last value in
the window minus the base (the last sample at or before the window's start, looked up
``lookback_seconds`` back), or the last value for a series born inside the window or below its base.
That is exact for every series that did not reset; :func:`needs_samples` names the ones that may
have, and the source corrects those from their raw samples (:func:`samples_of`). The expressions
work alike on Prometheus 2.x and VictoriaMetrics, and inside subqueries (``offset`` is relative to
each step).
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_gate.core.durations import duration
from pytest_gate.core.query import (
    LOOKBACK_SECONDS,
    AvgOverTime,
    Exported,
    Gauge,
    Labels,
    Matcher,
    Quantile,
    Query,
    RangeSeries,
    Ratio,
    RawPromQL,
    Selector,
    SustainedQuantile,
)

BASE_STEP = "4m"


def span(seconds: int) -> str:
    """A query window in PromQL syntax (:func:`~pytest_gate.core.durations.duration`); must be > 0."""
    if seconds <= 0:
        raise ValueError(f"window of {seconds} s is not positive")
    return duration(seconds)


def quote(value: str) -> str:
    """A PromQL double-quoted string literal that holds ``value`` exactly, whatever it contains.

    Backslash and double quote are escaped, and so is every control character (``\\n`` would end
    the string in PromQL's lexer): a label value can never close the string and add PromQL.
    """
    return '"' + "".join(ESCAPES.get(c) or _control(c) for c in value) + '"'


ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _control(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x20 or code == 0x7F else character


def merged(selector: Selector, extra: tuple[Matcher, ...]) -> tuple[Matcher, ...]:
    """The selector's matchers followed by the config's, without duplicates."""
    matchers = list(selector.matchers)
    matchers.extend(m for m in extra if m not in matchers)
    return tuple(matchers)


def vector_selector(selector: Selector, extra: tuple[Matcher, ...], suffix: str = "") -> str:
    """``metric<suffix>{matchers}`` with the config's matchers merged in."""
    matchers = merged(selector, extra)
    body = ",".join(f"{m.label}{m.op}{quote(m.value)}" for m in matchers)
    name = selector.metric + suffix
    return f"{name}{{{body}}}" if body else name


def _sum(by: tuple[str, ...], inner: str) -> str:
    if not by:
        return f"sum({inner})"
    return f"sum by ({', '.join(by)}) ({inner})"


def base(selector: str, window_seconds: int, lookback_seconds: int) -> str:
    """Per series, the value of its last sample at or before the window's start (the base)."""
    return f"last_over_time({selector}[{span(lookback_seconds)}] offset {span(window_seconds)})"


def base_time(selector: str, window_seconds: int, lookback_seconds: int) -> str:
    """Per series, the unix time of its base sample.

    ``timestamp()`` of a plain selector is the sample's own time, but only within the engine's
    5-minute staleness look-back; the subquery (4-minute steps, each looking back at least a step)
    finds older ones. Both engines answer it alike.
    """
    window, lookback = span(window_seconds), span(lookback_seconds)
    return (
        f"timestamp({selector} offset {window}) "
        f"or max_over_time(timestamp({selector})[{lookback}:{BASE_STEP}] offset {window})"
    )


def counted(selector: str, window_seconds: int, lookback_seconds: int = LOOKBACK_SECONDS) -> str:
    """Per-series quick count (:func:`~pytest_gate.sources.counting.quick_count`), no ``increase()``.

    ``((last - base) >= 0) or last``: the last value in the window minus the base; the last value
    where there is no base (born inside the window) or where it fell below the base (a reset).
    """
    last = f"last_over_time({selector}[{span(window_seconds)}])"
    return f"(({last} - {base(selector, window_seconds, lookback_seconds)}) >= 0) or {last}"


def needs_samples(selector: str, window_seconds: int, lookback_seconds: int) -> str:
    """The series whose quick count may be short: a reset in the window, or a value below the base.

    Usually empty, so raw samples are fetched only for the few series that restarted.
    """
    window = span(window_seconds)
    below = (
        f"min_over_time({selector}[{window}]) < {base(selector, window_seconds, lookback_seconds)}"
    )
    return f"(resets({selector}[{window}]) > 0) or ({below})"


def narrowed(
    selector: Selector, extra: tuple[Matcher, ...], suffix: str, series: tuple[Labels, ...]
) -> str:
    """``selector`` narrowed to ``series`` (one regex matcher per label; a superset to filter)."""
    names = sorted({name for labels in series for name, _ in labels})
    matchers = list(selector.matchers)
    for name in names:
        values = sorted({dict(labels).get(name, "") for labels in series})
        matchers.append(Matcher(name, "=~", "|".join(_literal(v) for v in values)))
    return vector_selector(Selector(selector.metric, tuple(matchers)), extra, suffix)


def _literal(value: str) -> str:
    """``value`` as an RE2 regex matching exactly it (only RE2's metacharacters escaped)."""
    return "".join("\\" + c if c in REGEX_SPECIALS else c for c in value)


REGEX_SPECIALS = frozenset("\\.+*?()|[]{}^$")


def samples_of(selector: str, window_seconds: int, lookback_seconds: int) -> tuple[str, str]:
    """Raw samples in the window and the base, for the series that need exact counting."""
    return raw_samples(selector, window_seconds), base(selector, window_seconds, lookback_seconds)


def raw_samples(selector: str, window_seconds: int) -> str:
    """``x[w]``: every raw sample in the window (an instant query answers a matrix)."""
    return f"{selector}[{span(window_seconds)}]"


def traffic(query: Ratio | Quantile | SustainedQuantile) -> tuple[Selector, str, int]:
    """The query's traffic series (a ratio's denominator, a histogram's ``_count``): selector,
    metric suffix and window."""
    match query:
        case Ratio():
            return query.denominator, "", query.window_seconds
        case Quantile():
            return query.metric, "_count", query.window_seconds
        case SustainedQuantile():
            return query.metric, "_count", query.outer_seconds


def coverage(
    query: Ratio | Quantile | SustainedQuantile,
    extra: tuple[Matcher, ...],
    lookback_seconds: int = LOOKBACK_SECONDS,
) -> tuple[str, str, str]:
    """The traffic series' raw samples in the window, their recent bases' times (at most 5
    minutes before the window), and the series whose base is older (their times cost a subquery,
    :func:`base_time`, sent for those series only)."""
    metric, suffix, window = traffic(query)
    selector = vector_selector(metric, extra, suffix)
    recent = f"timestamp({selector} offset {span(window)})"
    older = f"{base(selector, window, lookback_seconds)} unless {selector} offset {span(window)}"
    return raw_samples(selector, window), recent, older


@dataclass(frozen=True)
class CounterWindow:
    """One counter selector counted over a window, summed ``by`` labels: the unit of exact counting.

    ``suffix`` is appended to the selector's metric (``_bucket``, ``_count`` of a histogram).
    """

    selector: Selector
    window_seconds: int
    by: tuple[str, ...] = ()
    suffix: str = ""
    reset_probe: str | None = None
    """The suffix of the series whose resets stand for these (a histogram's buckets reset with
    its ``_count``): only those are checked for resets, which is cheaper than every bucket."""
    probe_selector: Selector | None = None
    """Series that include these (a ratio's denominator for its numerator): checked for resets
    once, for both."""

    def text(self, extra: tuple[Matcher, ...]) -> str:
        """The vector selector with the config's matchers merged in."""
        return vector_selector(self.selector, extra, self.suffix)

    def probe_text(self, extra: tuple[Matcher, ...]) -> str:
        """The selector checked for resets: the probe series, or these series themselves."""
        probe = self.suffix if self.reset_probe is None else self.reset_probe
        return vector_selector(self.probe_selector or self.selector, extra, probe)


def summed(counter: CounterWindow, extra: tuple[Matcher, ...], lookback_seconds: int) -> str:
    """``sum by (<by>)`` of the per-series quick counts of :func:`counted`."""
    return _sum(counter.by, counted(counter.text(extra), counter.window_seconds, lookback_seconds))


def ratio_counters(query: Ratio) -> tuple[CounterWindow, CounterWindow]:
    """A ratio's numerator and denominator as counters (joined in Python)."""
    numerator, denominator = query.numerator, query.denominator
    inside = numerator.metric == denominator.metric and set(denominator.matchers) <= set(
        numerator.matchers
    )  # 5xx of all requests: the numerator's series are some of the denominator's
    return (
        CounterWindow(
            numerator,
            query.window_seconds,
            query.by,
            probe_selector=denominator if inside else None,
        ),
        CounterWindow(denominator, query.window_seconds, query.by),
    )


def quantile_counters(
    metric: Selector, window_seconds: int, by: tuple[str, ...]
) -> tuple[CounterWindow, CounterWindow]:
    """A histogram's buckets (summed by ``le`` and ``by``) and its observation count."""
    return (
        CounterWindow(metric, window_seconds, ("le", *by), "_bucket", reset_probe="_count"),
        CounterWindow(metric, window_seconds, by, "_count"),
    )


def ratio(
    query: Ratio, extra: tuple[Matcher, ...], lookback_seconds: int = LOOKBACK_SECONDS
) -> tuple[str, str]:
    """Numerator and denominator, each ``sum by (<by>)`` of exact per-series counts."""
    numerator, denominator = ratio_counters(query)
    return summed(numerator, extra, lookback_seconds), summed(denominator, extra, lookback_seconds)


def _histogram_quantile(
    metric: Selector,
    quantile: float,
    window_seconds: int,
    by: tuple[str, ...],
    extra: tuple[Matcher, ...],
    lookback_seconds: int,
) -> str:
    # Counts, not rates: a quantile does not change when every bucket is scaled alike, and
    # counting from zero needs counts.
    buckets, _ = quantile_counters(metric, window_seconds, by)
    return f"histogram_quantile({quantile!r}, {summed(buckets, extra, lookback_seconds)})"


def quantile(
    query: Quantile, extra: tuple[Matcher, ...], lookback_seconds: int = LOOKBACK_SECONDS
) -> str:
    """The quantile over the window, as text (the source computes it from the exact buckets)."""
    return _histogram_quantile(
        query.metric, query.quantile, query.window_seconds, query.by, extra, lookback_seconds
    )


def sustained_quantile(
    query: SustainedQuantile, extra: tuple[Matcher, ...], lookback_seconds: int = LOOKBACK_SECONDS
) -> str:
    """``min_over_time`` of the inner-window quantile over the outer window.

    Each step uses the quick counts (no raw samples per step): a series that reset inside an inner
    window counts from its last reset there. The observation count over the outer window is exact.
    """
    inner = _histogram_quantile(
        query.metric, query.quantile, query.inner_seconds, query.by, extra, lookback_seconds
    )
    outer = f"{span(query.outer_seconds)}:{span(query.step_seconds)}"
    return f"min_over_time(({inner})[{outer}])"


def gauge(query: Gauge, extra: tuple[Matcher, ...]) -> str:
    """The plain selector: every series' current value."""
    return vector_selector(query.selector, extra)


def avg_over_time(query: AvgOverTime, extra: tuple[Matcher, ...]) -> tuple[str, str]:
    """``avg_over_time(x[w])`` and ``count_over_time(x[w])`` (the points behind each average)."""
    window = f"[{span(query.window_seconds)}]"
    selector = vector_selector(query.selector, extra)
    return f"avg_over_time({selector}{window})", f"count_over_time({selector}{window})"


def range_series(query: RangeSeries, extra: tuple[Matcher, ...]) -> str:
    """The selector sent to ``/api/v1/query_range``."""
    return vector_selector(query.selector, extra)


def exported(query: Exported, extra: tuple[Matcher, ...]) -> str:
    """``count(last_over_time(x[L]))``: the series of ``x`` with a sample in the look-back."""
    selector = vector_selector(query.selector, extra)
    return f"count(last_over_time({selector}[{span(query.lookback_seconds)}]))"


def display(
    query: Query, extra: tuple[Matcher, ...], lookback_seconds: int = LOOKBACK_SECONDS
) -> str:
    """One line naming the query for messages and the report."""
    match query:
        case Ratio():
            numerator, denominator = ratio(query, extra, lookback_seconds)
            return f"({numerator}) / ({denominator})"
        case Quantile():
            return quantile(query, extra, lookback_seconds)
        case SustainedQuantile():
            return sustained_quantile(query, extra, lookback_seconds)
        case Gauge():
            return gauge(query, extra)
        case AvgOverTime():
            return avg_over_time(query, extra)[0]
        case RangeSeries():
            step = span(query.step_seconds)
            return f"{range_series(query, extra)} over {span(query.window_seconds)} step {step}"
        case RawPromQL():
            return query.expr
        case Exported():
            return exported(query, extra)
