"""The scrape source: one fetch of one or more ``/metrics`` endpoints, answered in Python.

Counters and histograms in a single scrape are lifetime totals since the process started, so ratios
and quantiles are over the process' lifetime, not the query's window; every answer and
:meth:`ScrapeSource.describe` says so. A single scrape has no history: sustained quantiles, averages
over time and trends are no data (a check can still decide when that part cannot change its
outcome), and raw PromQL cannot be evaluated. With several URLs every series gets an ``instance``
label. The config's label selector is not applied: the chosen URLs are the selection.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from pytest_gate.core.deadline import Deadline
from pytest_gate.core.query import (
    Answer,
    DataState,
    Exported,
    Gauge,
    Matcher,
    Quantile,
    Query,
    Ratio,
    RawPromQL,
    SeriesValue,
)
from pytest_gate.sources import exposition, promql
from pytest_gate.sources.auth import PROXY_AUTH_STATUS, PROXY_HINT
from pytest_gate.sources.base import failed, succeeded
from pytest_gate.sources.http import HttpClient, TransportError
from pytest_gate.sources.joins import Joined, join_quantile, join_ratio

LIFETIME_NOTE = "lifetime counters since process start (a single /metrics scrape has no window)"
NO_HISTORY = "the scrape source has no history; use --prometheus-url"
NO_PROMQL = "the scrape source cannot evaluate PromQL; use --prometheus-url"
SELECTOR_NOTE = (
    "the config's label selector is not applied to a direct scrape "
    "(the --metrics-url targets are the selection)"
)
ACCEPT = (
    "text/plain;version=0.0.4;q=1.0, "
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5, */*;q=0.1"
)
"""What a scrape asks for. prometheus_client (0.2x) answers OpenMetrics whenever it is listed, and
without ``escaping=allow-utf-8`` it rewrites names it deems non-legacy: vLLM's and SGLang's
``vllm:x`` came back as ``vllm_x``."""


def _instance(url: str) -> str:
    return urlsplit(url).netloc


class ScrapeSource:
    """Answers ratios, quantiles and gauges from one scrape of each ``--metrics-url``."""

    kind = "scrape"

    def __init__(self, clients: list[HttpClient], extra_matchers: tuple[Matcher, ...] = ()) -> None:
        if not clients:
            raise ValueError("the scrape source needs at least one URL")
        self._clients = clients
        self.url = ", ".join(c.url for c in clients)
        self._notes = (SELECTOR_NOTE,) if extra_matchers else ()
        self._lock = threading.Lock()
        self._fetched = False
        self._samples: list[exposition.Sample] = []
        self._failure = ""

    def describe(self) -> dict[str, object]:
        """Kind, URLs and the fact that counters are lifetime totals."""
        described: dict[str, object] = {
            "kind": self.kind,
            "url": self.url,
            "counters": "lifetime",
            "note": LIFETIME_NOTE,
        }
        if self._notes:
            described["label_selector"] = SELECTOR_NOTE
        return described

    def text(self, query: Query) -> str:
        """What is computed from the scrape, in PromQL terms."""
        match query:
            case Ratio():
                num = promql.vector_selector(query.numerator, ())
                den = promql.vector_selector(query.denominator, ())
                by = f" by ({', '.join(query.by)})" if query.by else ""
                return f"sum{by} ({num}) / sum{by} ({den}) [lifetime, /metrics]"
            case Quantile():
                buckets = promql.vector_selector(query.metric, (), "_bucket")
                by = ", ".join(("le", *query.by))
                return (
                    f"histogram_quantile({query.quantile!r}, sum by ({by}) ({buckets})) "
                    "[lifetime, /metrics]"
                )
            case _:
                return promql.display(query, ())

    def answer(self, query: Query, at: float, deadline: Deadline) -> Answer:
        """Answer from the session's single scrape (fetched on the first call)."""
        text = self.text(query)
        if isinstance(query, RawPromQL):
            return failed(text, DataState.NO_DATA, NO_PROMQL, source=self.kind, notes=self._notes)
        if not isinstance(query, Ratio | Quantile | Gauge | Exported):
            return failed(text, DataState.NO_DATA, NO_HISTORY, source=self.kind, notes=self._notes)
        samples = self._scrape(deadline)
        if self._failure:
            return failed(text, DataState.ERROR, self._failure, source=self.kind)
        match query:
            case Ratio():
                numerators = exposition.sum_by(
                    exposition.select(samples, query.numerator), query.by
                )
                denominators = exposition.sum_by(
                    exposition.select(samples, query.denominator), query.by
                )
                return self._joined(text, join_ratio(numerators, denominators))
            case Quantile():
                buckets = exposition.select(samples, query.metric, "_bucket")
                values, counts = exposition.histogram_quantiles(buckets, query.quantile, query.by)
                return self._joined(text, join_quantile(values, counts))
            case Gauge():
                series = tuple(
                    SeriesValue(s.labels, s.value)
                    for s in sorted(
                        exposition.select(samples, query.selector), key=lambda s: s.labels
                    )
                )
                return succeeded(text, series, source=self.kind, notes=self._notes)
            case Exported():
                count = float(len(exposition.select(samples, query.selector)))
                return succeeded(
                    text, (SeriesValue((), count),), source=self.kind, notes=self._notes
                )

    def close(self) -> None:
        """Close connections."""
        for client in self._clients:
            client.close()

    def _joined(self, text: str, joined: Joined) -> Answer:
        notes = (LIFETIME_NOTE, *self._notes, *joined.notes)
        if not joined.series:
            return failed(
                text, DataState.NO_DATA, joined.empty_cause, source=self.kind, notes=notes
            )
        return succeeded(text, joined.series, source=self.kind, notes=notes)

    def _scrape(self, deadline: Deadline) -> list[exposition.Sample]:
        with self._lock:
            if not self._fetched:
                self._fetch_all(deadline)
                self._fetched = True
            return self._samples

    def _fetch_all(self, deadline: Deadline) -> None:
        label = len(self._clients) > 1
        with ThreadPoolExecutor(max_workers=len(self._clients)) as pool:
            futures = [pool.submit(self._fetch, c, deadline, label) for c in self._clients]
            results = [f.result() for f in futures]
        failures = [r for r in results if isinstance(r, str)]
        if failures:
            self._failure = "; ".join(failures)
            return
        self._samples = [s for r in results if not isinstance(r, str) for s in r]

    def _fetch(
        self, client: HttpClient, deadline: Deadline, label: bool
    ) -> list[exposition.Sample] | str:
        try:
            response = client.get("", deadline, {"Accept": ACCEPT})
        except TransportError as error:
            return f"scrape of {client.url} failed: {error}"
        if not 200 <= response.status < 300:
            hint = f"; {PROXY_HINT}" if response.status == PROXY_AUTH_STATUS else ""
            return f"scrape of {client.url} failed: HTTP {response.status} {response.reason}{hint}"
        instance = _instance(client.url) if label else None
        try:
            text = response.body.decode("utf-8")
            return exposition.parse(text, response.content_type, instance)
        except (UnicodeDecodeError, ValueError) as error:
            return (
                f"scrape of {client.url} is not a metrics exposition: {client.redact(str(error))}"
            )
