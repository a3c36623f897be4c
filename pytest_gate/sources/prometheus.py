"""The Prometheus HTTP API source: every query as PromQL, evaluated at the one instant T.

Instant queries go to ``/api/v1/query`` with ``time=T``; trends to ``/api/v1/query_range`` from
``T - window`` to ``T``. A query that needs two expressions (a ratio's numerator and denominator, a
quantile and its observation count) sends both at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pytest_gate.core.deadline import Deadline
from pytest_gate.core.query import (
    LOOKBACK_SECONDS,
    Answer,
    AvgOverTime,
    DataState,
    Exported,
    Gauge,
    Labels,
    Matcher,
    Quantile,
    Query,
    RangeSeries,
    Ratio,
    RawPromQL,
    SeriesValue,
    SustainedQuantile,
)
from pytest_gate.sources import promql
from pytest_gate.sources.auth import refusal
from pytest_gate.sources.base import failed, succeeded
from pytest_gate.sources.coverage import applied, measure
from pytest_gate.sources.http import HttpClient, HttpResponse, TransportError
from pytest_gate.sources.joins import Joined, join_quantile, join_ratio
from pytest_gate.sources.promql import CounterWindow
from pytest_gate.sources.promresult import (
    ApiResult,
    ResultError,
    decode,
    finite_or_none,
    matrix,
    vector,
)
from pytest_gate.sources.windowcount import WindowCounts, count_windows
from pytest_gate.stats.histogram import bucket_quantiles

INSTANT_PATH = "/api/v1/query"
RANGE_PATH = "/api/v1/query_range"


def _window(query: Query) -> int | None:
    match query:
        case SustainedQuantile():
            return query.outer_seconds
        case Ratio() | Quantile() | AvgOverTime() | RangeSeries():
            return query.window_seconds
        case _:
            return None


@dataclass(frozen=True)
class Traffic:
    """A counter answer's traffic series: raw samples in the window, bases' times, the answers."""

    samples: dict[Labels, tuple[tuple[float, float], ...]]
    base_times: dict[Labels, float]
    data: tuple[ApiResult, ...]


def _infos(data: tuple[ApiResult, ...]) -> tuple[str, ...]:
    """The ``infos`` of the answers behind one query, as report notes (they never decide)."""
    return tuple(f"Prometheus info: {i}" for d in data for i in d.infos)


class PrometheusSource:
    """Answers queries from a Prometheus server's HTTP API."""

    kind = "prometheus"

    def __init__(
        self,
        client: HttpClient,
        extra_matchers: tuple[Matcher, ...] = (),
        lookback_seconds: int = LOOKBACK_SECONDS,
    ) -> None:
        self.url = client.url
        self._client = client
        self._extra = extra_matchers
        self._lookback = lookback_seconds
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="gate-prometheus")

    def text(self, query: Query) -> str:
        """The PromQL of ``query`` with the config's label selector merged in."""
        return promql.display(query, self._extra, self._lookback)

    def describe(self) -> dict[str, object]:
        """Kind and credential-free URL."""
        return {"kind": self.kind, "url": self.url}

    def answer(self, query: Query, at: float, deadline: Deadline) -> Answer:
        """Answer ``query`` at ``at``; transport and API problems become ``error`` answers."""
        text = self.text(query)
        window = _window(query)
        try:
            return self._answer(query, text, window, at, deadline)
        except TransportError as error:
            cause = f"Prometheus at {self.url} could not be reached: {error}"
            return failed(text, DataState.ERROR, cause, source=self.kind, window_seconds=window)
        except ResultError as error:
            cause = f"Prometheus at {self.url}: {self._client.redact(str(error))}"
            return failed(text, DataState.ERROR, cause, source=self.kind, window_seconds=window)

    def close(self) -> None:
        """Stop the helper threads and close connections."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def _answer(
        self, query: Query, text: str, window: int | None, at: float, deadline: Deadline
    ) -> Answer:
        match query:
            case Ratio():
                counters = promql.ratio_counters(query)
                (num, den), traffic, _ = self._counted(query, counters, at, deadline)
                joined = join_ratio(num.sums, den.sums)
                notes = num.note(counters[0]) + den.note(counters[1])
                answer = self._joined(text, joined, window, *traffic.data, notes=notes)
                return self._covered(answer, traffic, at, query.window_seconds)
            case Quantile() | SustainedQuantile():
                return self._quantile(query, text, at, deadline)
            case AvgOverTime():
                value, count = self._instants(
                    promql.avg_over_time(query, self._extra), at, deadline
                )
                counts = vector(count)
                series = tuple(
                    SeriesValue(labels, v, finite_or_none(counts.get(labels, float("nan"))))
                    for labels, v in sorted(vector(value).items())
                )
                return self._ok(text, series, window, value, count)
            case Gauge():
                (value,) = self._instants((promql.gauge(query, self._extra),), at, deadline)
                series = tuple(SeriesValue(k, v) for k, v in sorted(vector(value).items()))
                return self._ok(text, series, window, value)
            case RawPromQL():
                (value,) = self._instants((query.expr,), at, deadline, ("vector", "scalar"))
                series = tuple(SeriesValue(k, v) for k, v in sorted(vector(value).items()))
                return self._ok(text, series, window, value)
            case Exported():
                (found,) = self._instants((promql.exported(query, self._extra),), at, deadline)
                held = float(sum(vector(found).values()))
                return self._ok(text, (SeriesValue((), held),), window, found)
            case RangeSeries():
                data = self._range(query, at, deadline)
                series = tuple(
                    SeriesValue(labels, points[-1][1], float(len(points)), points)
                    for labels, points in sorted(matrix(data).items())
                    if points
                )
                return self._ok(text, series, window, data)

    def _counted(
        self,
        query: Ratio | Quantile | SustainedQuantile,
        counters: tuple[CounterWindow, ...],
        at: float,
        deadline: Deadline,
        alongside: tuple[tuple[str, str], ...] = (),
    ) -> tuple[list[WindowCounts], Traffic, list[ApiResult]]:
        """Exact counts of ``counters``; the traffic series' raw samples and bases' times (for the
        coverage); the answers to ``alongside``. One round, a second for resets or old bases."""
        raw, recent, older = promql.coverage(query, self._extra, self._lookback)
        counts, rest = count_windows(
            counters,
            at,
            lambda pairs: self._instants(
                tuple(e for e, _ in pairs), at, deadline, each=tuple(k for _, k in pairs)
            ),
            extra=self._extra,
            lookback_seconds=self._lookback,
            alongside=((raw, "matrix"), (recent, "vector"), (older, "vector"), *alongside),
        )
        data = rest[:3]
        bases = vector(rest[1])
        late = tuple(sorted(vector(rest[2])))
        if late:  # a gap before the window's start: those bases' times take a subquery
            metric, suffix, window = promql.traffic(query)
            narrowed = promql.narrowed(metric, self._extra, suffix, late)
            expr = promql.base_time(narrowed, window, self._lookback)
            (old,) = self._instants((expr,), at, deadline, each=("vector",))
            bases.update((k, v) for k, v in vector(old).items() if k in set(late))
            data.append(old)
        return counts, Traffic(matrix(rest[0]), bases, tuple(data)), rest[3:]

    def _quantile(
        self, query: Quantile | SustainedQuantile, text: str, at: float, deadline: Deadline
    ) -> Answer:
        """Buckets and observations counted exactly; the quantile from the exact buckets, or (for
        a sustained one) the engine's ``min_over_time`` of the per-step quantiles."""
        sustained: tuple[tuple[str, str], ...] = ()
        if isinstance(query, Quantile):
            window = query.window_seconds
        else:
            window = query.outer_seconds
            sustained = ((promql.sustained_quantile(query, self._extra, self._lookback), "vector"),)
        counters = promql.quantile_counters(query.metric, window, query.by)
        (buckets, observations), traffic, steps = self._counted(
            query, counters, at, deadline, sustained
        )
        if steps:
            values = vector(steps[0])
        else:
            values = bucket_quantiles(buckets.sums, query.quantile, query.by)
        joined = join_quantile(values, observations.sums)
        notes = buckets.note(counters[0]) + observations.note(counters[1])
        answer = self._joined(text, joined, window, *traffic.data, *steps, notes=notes)
        return self._covered(answer, traffic, at, window)

    def _covered(self, answer: Answer, traffic: Traffic, at: float, window: int) -> Answer:
        # timestamp() looks back up to 5 minutes past each step: keep bases inside the look-back
        oldest = at - window - self._lookback
        bases = {labels: t for labels, t in traffic.base_times.items() if t >= oldest}
        return applied(answer, measure(traffic.samples, bases, at, window), "Prometheus")

    def _ok(
        self,
        text: str,
        series: tuple[SeriesValue, ...],
        window: int | None,
        *data: ApiResult,
        notes: tuple[str, ...] = (),
    ) -> Answer:
        return succeeded(
            text, series, source=self.kind, window_seconds=window, notes=_infos(data) + notes
        )

    def _joined(
        self,
        text: str,
        joined: Joined,
        window: int | None,
        *data: ApiResult,
        notes: tuple[str, ...] = (),
    ) -> Answer:
        if joined.series:
            return self._ok(text, joined.series, window, *data, notes=joined.notes + notes)
        return failed(
            text,
            DataState.NO_DATA,
            joined.empty_cause,
            source=self.kind,
            window_seconds=window,
            notes=_infos(data) + joined.notes + notes,
        )

    def _instants(
        self,
        exprs: tuple[str, ...],
        at: float,
        deadline: Deadline,
        expected: tuple[str, ...] = ("vector",),
        *,
        each: tuple[str, ...] | None = None,
    ) -> list[ApiResult]:
        """Every expression at ``at``, sent together; each result must be of an ``expected`` type,
        or, with ``each``, of the type at its own position."""
        kinds = [(t,) for t in each] if each is not None else [expected] * len(exprs)
        if len(exprs) == 1:
            return [self._instant(exprs[0], at, deadline, kinds[0])]
        futures = [
            self._pool.submit(self._instant, e, at, deadline, k)
            for e, k in zip(exprs, kinds, strict=True)
        ]
        return [f.result() for f in futures]

    def _instant(
        self, expr: str, at: float, deadline: Deadline, expected: tuple[str, ...]
    ) -> ApiResult:
        form = {"query": expr, "time": f"{at:.3f}"}
        return self._decode(self._client.post_form(INSTANT_PATH, form, deadline), expected)

    def _range(self, query: RangeSeries, at: float, deadline: Deadline) -> ApiResult:
        form = {
            "query": promql.range_series(query, self._extra),
            "start": f"{at - query.window_seconds:.3f}",
            "end": f"{at:.3f}",
            "step": f"{query.step_seconds}",
        }
        return self._decode(self._client.post_form(RANGE_PATH, form, deadline), ("matrix",))

    def _decode(self, response: HttpResponse, expected: tuple[str, ...]) -> ApiResult:
        """A 401, 403 or redirect says which credentials to set; anything else is decoded."""
        refused = refusal(
            response.status,
            response.reason,
            response.location,
            self.url,
            self._client.credentials,
            self._client.transport.state(),
        )
        if refused is not None:
            raise ResultError(refused)
        return decode(response, expected)
