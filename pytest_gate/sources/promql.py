"""Render the semantic queries as PromQL (pure; no I/O).

The config's label selector (``extra`` matchers, e.g. ``namespace="prod"``) is merged into every
selector. Each function returns the expressions a Prometheus source sends: the value expression
first, then the one that counts samples where the query type has one.

Counters are **counted from zero** when born inside the window (DESIGN §2): per series, before any
aggregation, a series that has a sample at the window's start contributes ``increase()``; a series
that has none (a new pod, a late first scrape) contributes its last value in the window, since
everything it carries happened inside the window. ``increase()`` alone would lose the value of the
first sample, and a series with a single sample would vanish. The same expression works on
Prometheus 2.x and VictoriaMetrics, and inside subqueries (``offset`` is relative to each step).
"""

from __future__ import annotations

from pytest_gate.core.durations import duration
from pytest_gate.core.query import (
    AvgOverTime,
    Exported,
    Gauge,
    Matcher,
    Quantile,
    Query,
    RangeSeries,
    Ratio,
    RawPromQL,
    Selector,
    SustainedQuantile,
)


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


def counted(selector: str, window_seconds: int) -> str:
    """Per-series increase over the window, counting a series born inside the window from zero.

    ``(increase(x[w]) and x offset w) or (last_over_time(x[w]) unless x offset w)``: series
    present at the window's start keep ``increase()`` (resets handled as it does); the others
    contribute their last value in the window.
    """
    window = span(window_seconds)
    at_start = f"{selector} offset {window}"
    return (
        f"(increase({selector}[{window}]) and {at_start}) "
        f"or (last_over_time({selector}[{window}]) unless {at_start})"
    )


def raw_samples(selector: str, window_seconds: int) -> str:
    """``x[w]``: every raw sample in the window (an instant query answers a matrix)."""
    return f"{selector}[{span(window_seconds)}]"


def born_inside(selector: str, window_seconds: int) -> str:
    """The series with no sample at the window's start: they began inside the window."""
    window = span(window_seconds)
    return f"count_over_time({selector}[{window}]) unless {selector} offset {window}"


def coverage(
    query: Ratio | Quantile | SustainedQuantile, extra: tuple[Matcher, ...]
) -> tuple[str, str]:
    """The raw samples and the born-inside series of the query's traffic series.

    The traffic is a ratio's denominator or a histogram's ``_count``, over the query's window.
    """
    match query:
        case Ratio():
            selector, window = vector_selector(query.denominator, extra), query.window_seconds
        case Quantile():
            selector, window = vector_selector(query.metric, extra, "_count"), query.window_seconds
        case SustainedQuantile():
            selector, window = vector_selector(query.metric, extra, "_count"), query.outer_seconds
    return raw_samples(selector, window), born_inside(selector, window)


def ratio(query: Ratio, extra: tuple[Matcher, ...]) -> tuple[str, str]:
    """Numerator and denominator, each ``sum by (<by>) (increase(x[w]))``, joined in Python."""
    numerator = counted(vector_selector(query.numerator, extra), query.window_seconds)
    denominator = counted(vector_selector(query.denominator, extra), query.window_seconds)
    return _sum(query.by, numerator), _sum(query.by, denominator)


def _histogram_quantile(
    metric: Selector,
    quantile: float,
    window_seconds: int,
    by: tuple[str, ...],
    extra: tuple[Matcher, ...],
) -> str:
    # Increases, not rates: a quantile does not change when every bucket is scaled alike, and
    # counting from zero needs counts.
    buckets = counted(vector_selector(metric, extra, "_bucket"), window_seconds)
    return f"histogram_quantile({quantile!r}, {_sum(('le', *by), buckets)})"


def _observations(
    metric: Selector, window_seconds: int, by: tuple[str, ...], extra: tuple[Matcher, ...]
) -> str:
    return _sum(by, counted(vector_selector(metric, extra, "_count"), window_seconds))


def quantile(query: Quantile, extra: tuple[Matcher, ...]) -> tuple[str, str]:
    """The quantile (``sum by (le, <by>)``) and the observation count over the window."""
    value = _histogram_quantile(query.metric, query.quantile, query.window_seconds, query.by, extra)
    return value, _observations(query.metric, query.window_seconds, query.by, extra)


def sustained_quantile(query: SustainedQuantile, extra: tuple[Matcher, ...]) -> tuple[str, str]:
    """``min_over_time`` of the inner-window quantile over the outer window, and the count."""
    inner = _histogram_quantile(query.metric, query.quantile, query.inner_seconds, query.by, extra)
    outer = f"{span(query.outer_seconds)}:{span(query.step_seconds)}"
    value = f"min_over_time(({inner})[{outer}])"
    return value, _observations(query.metric, query.outer_seconds, query.by, extra)


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


def display(query: Query, extra: tuple[Matcher, ...]) -> str:
    """One line naming the query for messages and the report."""
    match query:
        case Ratio():
            numerator, denominator = ratio(query, extra)
            return f"({numerator}) / ({denominator})"
        case Quantile():
            return quantile(query, extra)[0]
        case SustainedQuantile():
            return sustained_quantile(query, extra)[0]
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
