"""The metric snapshot: every query answered once, at one instant T, within the gate's deadline.

:func:`open_snapshot` picks the one configured source (Prometheus, ``/metrics`` scrape or replay).
:class:`MetricSnapshot` caches answers for the session, fetches planned queries concurrently (the
data phase costs about one round trip, not the sum), and never lets a query outlast the deadline: an
answer that has not arrived when it passes is an ``error`` naming the deadline, and
:attr:`MetricSnapshot.deadline_exceeded` is set. With ``record_path`` every answer is written to a
recording on :meth:`MetricSnapshot.close`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_gate.config.sourcechoice import NO_SOURCE, chosen_sources, too_many_sources
from pytest_gate.core.deadline import Deadline, DeadlineExceeded
from pytest_gate.core.query import (
    LOOKBACK_SECONDS,
    Answer,
    AvgOverTime,
    DataState,
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
from pytest_gate.sources.base import MetricSource, SourceConfigError, failed
from pytest_gate.sources.http import HttpClient
from pytest_gate.sources.prometheus import PrometheusSource

if TYPE_CHECKING:
    from pytest_gate.sources import recorder

__all__ = ["MetricSnapshot", "SourceConfigError", "SourceSettings", "open_snapshot"]

MAX_PARALLEL_QUERIES = 32
GRACE_SECONDS = 0.3
"""How long past the deadline a waiter lets a worker give its own, more precise, answer."""
SCRAPE_CLOCK_TOLERANCE_SECONDS = 300.0
TIME_TOLERANCE_SECONDS = 0.001
DEADLINE_CAUSE = (
    "the gate deadline of {seconds:g} s (--gate-deadline) passed before the answer came"
)


@dataclass(frozen=True)
class SourceSettings:
    """Where metrics come from and how the snapshot behaves (resolved options)."""

    prometheus_url: str | None
    metrics_urls: tuple[str, ...]
    replay_path: Path | None
    record_path: Path | None
    at: float
    deadline_seconds: float
    extra_matchers: tuple[Matcher, ...] = ()
    started_monotonic: float | None = None
    lookback_seconds: int = LOOKBACK_SECONDS
    """``[gate] lookback_seconds``: how far back a counter window's base is looked up."""


class MetricSnapshot:
    """Answers for one gate session, all at instant :attr:`at`, cached and deadline-bound."""

    def __init__(
        self,
        source: MetricSource,
        at: float,
        deadline: Deadline,
        *,
        record_path: Path | None = None,
        extra_matchers: tuple[Matcher, ...] = (),
        replayed: recorder.Recording | None = None,
    ) -> None:
        self.source = source
        self.at = at
        self.deadline = deadline
        self.deadline_exceeded = replayed.deadline_exceeded if replayed else False
        self.recording_sha256: str | None = None
        self._record_path = record_path
        self._extra = extra_matchers
        self._extras: dict[str, Any] = dict(replayed.extras) if replayed else {}
        self._lock = threading.Lock()
        self._futures: dict[Query, Future[Answer]] = {}
        self._final: dict[Query, Answer] = {}
        self._pool = ThreadPoolExecutor(MAX_PARALLEL_QUERIES, thread_name_prefix="gate-query")
        self._closed = False

    def describe(self) -> dict[str, object]:
        """The source's description, plus the recording written by this session (if any)."""
        described = dict(self.source.describe())
        if self._record_path is not None:
            described["recording"] = {
                "path": str(self._record_path),
                "sha256": self.recording_sha256,
            }
        return described

    def ask(self, query: Query) -> Answer:
        """The answer to ``query`` (cached); never raises for a data problem."""
        return self._result(query, self._future(query))

    def start(self, queries: Iterable[Query]) -> None:
        """Send ``queries`` now, concurrently, without waiting: later asks find them under way."""
        for query in dict.fromkeys(queries):
            self._future(query)

    def prefetch(self, queries: Iterable[Query]) -> None:
        """Fetch ``queries`` concurrently into the cache and wait for them (deadline-bound)."""
        pending = [(q, self._future(q)) for q in dict.fromkeys(queries)]
        for query, future in pending:
            self._result(query, future)

    def asked(self) -> list[Answer]:
        """Every answer of this session, in the order the queries were first asked."""
        return [answer for _, answer in self._answered()]

    def record_extra(self, key: str, value: Any) -> None:
        """Keep a JSON-ready ``value`` in the recording (e.g. the NVML reading)."""
        with self._lock:
            self._extras[key] = value

    def recorded_extra(self, key: str) -> Any:
        """A value kept by :meth:`record_extra` in the replayed recording, else ``None``."""
        if self.source.kind != "replay":
            return None
        return self._extras.get(key)

    def close(self) -> None:
        """Write the recording (with ``record_path``), then release threads and connections."""
        if self._closed:
            return
        try:
            self._write_recording()
        finally:
            self._closed = True
            self._pool.shutdown(wait=False, cancel_futures=True)
            self.source.close()

    def _write_recording(self) -> None:
        """Write the recording when ``record_path`` was given (a ``RecordingWriteError`` if not)."""
        if self._record_path is not None:
            entries = tuple(self._answered())
            from pytest_gate.sources import recorder  # only a recording run writes one

            self.recording_sha256 = recorder.write(
                self._record_path,
                recorder.Recording(
                    at=self.at,
                    source=self.source.describe(),
                    extra_matchers=self._extra,
                    entries=entries,
                    deadline_exceeded=self.deadline_exceeded,
                    extras=dict(self._extras),
                ),
            )

    # Convenience builders: each builds the query and asks it.
    def ratio(
        self, num: Selector, den: Selector, window_seconds: int, by: tuple[str, ...] = ()
    ) -> Answer:
        """``num / den`` counted exactly over the window, per ``by`` group."""
        return self.ask(Ratio(num, den, window_seconds, by))

    def quantile(
        self, metric: Selector, quantile: float, window_seconds: int, by: tuple[str, ...] = ()
    ) -> Answer:
        """Histogram quantile over the window, per ``by`` group."""
        return self.ask(Quantile(metric, quantile, window_seconds, by))

    def sustained_quantile(
        self,
        metric: Selector,
        quantile: float,
        inner_seconds: int,
        outer_seconds: int,
        step_seconds: int,
        by: tuple[str, ...] = (),
    ) -> Answer:
        """Minimum over the outer window of the inner-window quantile."""
        return self.ask(
            SustainedQuantile(metric, quantile, inner_seconds, outer_seconds, step_seconds, by)
        )

    def gauge(self, selector: Selector) -> Answer:
        """Every series' current value."""
        return self.ask(Gauge(selector))

    def avg_over_time(self, selector: Selector, window_seconds: int) -> Answer:
        """Average per series over the window."""
        return self.ask(AvgOverTime(selector, window_seconds))

    def range(self, selector: Selector, window_seconds: int, step_seconds: int) -> Answer:
        """Points per series over the window."""
        return self.ask(RangeSeries(selector, window_seconds, step_seconds))

    def promql(self, expr: str) -> Answer:
        """A raw PromQL instant query (Prometheus and replay sources)."""
        return self.ask(RawPromQL(expr))

    def _answered(self) -> list[tuple[Query, Answer]]:
        with self._lock:
            pending = list(self._futures.items())
        return [(q, self._result(q, f)) for q, f in pending]

    def _future(self, query: Query) -> Future[Answer]:
        with self._lock:
            future = self._futures.get(query)
            if future is None:
                if self._closed:
                    future = Future()
                    future.set_result(self._failure(query, "the metric snapshot is closed"))
                else:
                    future = self._pool.submit(self._evaluate, query)
                self._futures[query] = future
            return future

    def _evaluate(self, query: Query) -> Answer:
        try:
            if self.deadline.expired:
                raise DeadlineExceeded(DEADLINE_CAUSE.format(seconds=self.deadline.seconds))
            return self.source.answer(query, self.at, self.deadline)
        except DeadlineExceeded as error:
            return self._deadline_answer(query, str(error))
        except Exception as error:  # a bug in a source fails the check closed, not the session
            return self._failure(
                query, f"internal error in the {self.source.kind} source: {error!r}"
            )

    def _result(self, query: Query, future: Future[Answer]) -> Answer:
        with self._lock:
            final = self._final.get(query)
        if final is not None:
            return final
        try:
            answer = future.result(timeout=max(0.0, self.deadline.remaining()) + GRACE_SECONDS)
        except (FutureTimeout, CancelledError):
            answer = self._deadline_answer(
                query, DEADLINE_CAUSE.format(seconds=self.deadline.seconds)
            )
        with self._lock:
            return self._final.setdefault(query, answer)

    def _deadline_answer(self, query: Query, cause: str) -> Answer:
        self.deadline_exceeded = True
        return failed(
            self.source.text(query),
            DataState.ERROR,
            cause,
            source=self.source.kind,
            deadline_exceeded=True,
        )

    def _failure(self, query: Query, cause: str) -> Answer:
        return failed(self.source.text(query), DataState.ERROR, cause, source=self.source.kind)


def _replay(settings: SourceSettings, deadline: Deadline) -> MetricSnapshot:
    assert settings.replay_path is not None
    if settings.record_path is not None:
        raise SourceConfigError(
            "--gate-record and --gate-replay are both given; record during a live run only"
        )
    from pytest_gate.sources import recorder
    from pytest_gate.sources.replay import ReplaySource

    recording, sha256 = recorder.read(settings.replay_path)
    if abs(settings.at - recording.at) > TIME_TOLERANCE_SECONDS:
        raise SourceConfigError(
            f"{settings.replay_path}: recorded at T={recording.at:.3f} but --gate-time asks for "
            f"T={settings.at:.3f}; drop --gate-time to replay at the recorded instant"
        )
    if set(recording.extra_matchers) != set(settings.extra_matchers):
        raise SourceConfigError(
            f"{settings.replay_path}: recorded with label selector "
            f"{_selector_text(recording.extra_matchers)} but the config now gives "
            f"{_selector_text(settings.extra_matchers)}; replay with the config it was recorded "
            "with, or record again"
        )
    source = ReplaySource(recording, settings.replay_path, sha256)
    return MetricSnapshot(
        source,
        recording.at,
        deadline,
        extra_matchers=recording.extra_matchers,
        replayed=recording,
    )


def _selector_text(matchers: tuple[Matcher, ...]) -> str:
    return "{" + ",".join(f'{m.label}{m.op}"{m.value}"' for m in matchers) + "}"


def open_snapshot(
    settings: SourceSettings,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> MetricSnapshot:
    """Open the one configured source; raises :class:`SourceConfigError` ("<problem>; <fix>")."""
    chosen = chosen_sources(settings.prometheus_url, settings.metrics_urls, settings.replay_path)
    if not chosen:
        raise SourceConfigError(NO_SOURCE)
    if (problem := too_many_sources(chosen)) is not None:
        raise SourceConfigError(problem)
    deadline = Deadline(settings.deadline_seconds, started=settings.started_monotonic)
    if settings.replay_path is not None:
        return _replay(settings, deadline)
    source: MetricSource
    if settings.prometheus_url:
        client = HttpClient.from_env(settings.prometheus_url, "--prometheus-url", env)
        source = PrometheusSource(client, settings.extra_matchers, settings.lookback_seconds)
    else:
        offset = settings.at - clock()
        if abs(offset) > SCRAPE_CLOCK_TOLERANCE_SECONDS:
            raise SourceConfigError(
                f"--gate-time is {offset:+.0f} s from now but a /metrics scrape only sees the "
                "present; drop --gate-time or use --prometheus-url"
            )
        clients = [HttpClient.plain(url, "--metrics-url") for url in settings.metrics_urls]
        from pytest_gate.sources.scrape import ScrapeSource  # prometheus_client: only for a scrape

        source = ScrapeSource(clients, settings.extra_matchers)
    return MetricSnapshot(
        source,
        settings.at,
        deadline,
        record_path=settings.record_path,
        extra_matchers=settings.extra_matchers,
    )
