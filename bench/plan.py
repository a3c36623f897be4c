"""The HTTP requests the gate sends to Prometheus, derived from the gate's own query plan.

The queries come from ``gate_checks.queries.plan`` (what ``pytest_gate_plan`` returns) plus the
GPU snapshot's three exporter gauges; each is rendered to PromQL by ``pytest_gate.sources.promql``
exactly as the Prometheus source does, so the floor process sends the same set of requests.
The latency benchmark checks the count against the requests the gate really sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gate_checks.queries import plan
from pytest_gate.config.gateconfig import GateConfig, load_config
from pytest_gate.core.query import (
    AvgOverTime,
    Exported,
    Gauge,
    Quantile,
    Query,
    RangeSeries,
    Ratio,
    RawPromQL,
    SustainedQuantile,
)
from pytest_gate.gpu.metrics import planned_queries
from pytest_gate.sources import promql

INSTANT_PATH = "/api/v1/query"
RANGE_PATH = "/api/v1/query_range"


@dataclass(frozen=True)
class HttpQuery:
    """One request to the Prometheus HTTP API: path and form fields."""

    path: str
    form: dict[str, str]


def gate_queries(config: GateConfig) -> list[Query]:
    """The default gate's planned queries, then the GPU snapshot's exporter gauges."""
    return list(dict.fromkeys([*plan(config), *planned_queries(config.gpu_exporter)]))


def expressions(query: Query, config: GateConfig) -> tuple[str, ...]:
    """The PromQL instant expressions the Prometheus source sends for ``query``."""
    extra = config.label_matchers
    lookback = config.gate.lookback_seconds
    match query:
        case Ratio():
            return _counted(query, promql.ratio_counters(query), config)
        case Quantile():
            counters = promql.quantile_counters(query.metric, query.window_seconds, query.by)
            return _counted(query, counters, config)
        case SustainedQuantile():
            counters = promql.quantile_counters(query.metric, query.outer_seconds, query.by)
            steps = promql.sustained_quantile(query, extra, lookback)
            return (*_counted(query, counters, config), steps)
        case AvgOverTime():
            return promql.avg_over_time(query, extra)
        case Gauge():
            return (promql.gauge(query, extra),)
        case RawPromQL():
            return (query.expr,)
        case Exported():
            return (promql.exported(query, extra),)
        case RangeSeries():
            return ()


def _counted(
    query: Ratio | Quantile | SustainedQuantile,
    counters: Sequence[promql.CounterWindow],
    config: GateConfig,
) -> tuple[str, ...]:
    """Exact counting's first round (quick sums, series that may have reset) and the coverage."""
    extra, lookback = config.label_matchers, config.gate.lookback_seconds
    sums = [promql.summed(c, extra, lookback) for c in counters]
    probes = dict.fromkeys(
        promql.needs_samples(c.probe_text(extra), c.window_seconds, lookback) for c in counters
    )
    return (*sums, *probes, *promql.coverage(query, extra, lookback))


def http_queries(config_path: Path, at: float, extra: Sequence[Query] = ()) -> list[HttpQuery]:
    """Every request of one healthy gate run (plus ``extra`` queries), evaluated at ``at``."""
    config = load_config(config_path)
    requests: list[HttpQuery] = []
    for query in dict.fromkeys([*gate_queries(config), *extra]):
        for expr in expressions(query, config):
            requests.append(HttpQuery(INSTANT_PATH, {"query": expr, "time": f"{at:.3f}"}))
        if isinstance(query, RangeSeries):
            form = {
                "query": promql.range_series(query, config.label_matchers),
                "start": f"{at - query.window_seconds:.3f}",
                "end": f"{at:.3f}",
                "step": f"{query.step_seconds}",
            }
            requests.append(HttpQuery(RANGE_PATH, form))
    return requests


def write(path: Path, url: str, queries: list[HttpQuery]) -> Path:
    """Write the request list for ``bench/floor.py``."""
    body = {"url": url, "requests": [{"path": q.path, "form": q.form} for q in queries]}
    path.write_text(json.dumps(body, indent=1))
    return path
