"""The metric questions of the vllm profile, built from its gate.toml (pure; no I/O).

Series, types and labels are vLLM's own (``vllm/v1/metrics/loggers.py``, PrometheusStatLogger):
histograms ``vllm:time_to_first_token_seconds``, ``vllm:inter_token_latency_seconds`` (before its
rename ``vllm:time_per_output_token_seconds``, same buckets), ``vllm:e2e_request_latency_seconds``
and ``vllm:request_queue_time_seconds``; gauges ``vllm:kv_cache_usage_perc`` (before 0.9
``vllm:gpu_cache_usage_perc``) and ``vllm:num_requests_waiting``; counters
``vllm:num_preemptions_total`` and ``vllm:request_success_total{finished_reason}`` (every finished
request, whatever its reason, initialised at 0 for every reason the version knows). All carry
``model_name`` and ``engine``. The API server's ``http_requests_total{handler, method, status}``
comes from prometheus-fastapi-instrumentator with grouped status classes (``status="5xx"``).
"""

from __future__ import annotations

import re

from pytest_gate import (
    AvgOverTime,
    Exported,
    Gauge,
    Matcher,
    Quantile,
    Query,
    Ratio,
    Selector,
    VllmConfig,
)

P99 = 0.99
P95 = 0.95
PER_THOUSAND = 1000.0
TARGET_UP = 1.0
UP_METRIC = "up"
JOB = "job"
STATUS = "status"
HANDLER = "handler"
COUNT_SUFFIX = "_count"
ERROR_REASON = "error"
ABORT_REASON = "abort"


def one_of(label: str, values: tuple[str, ...]) -> Matcher:
    """``label="v"`` for one value, ``label=~"v1|v2"`` for several (values matched literally)."""
    if len(values) == 1:
        return Matcher(label, "=", values[0])
    return Matcher(label, "=~", "|".join(re.escape(v) for v in values))


def by_model(config: VllmConfig) -> tuple[str, ...]:
    """The grouping of every per-model answer: vLLM's ``model_name`` label."""
    return (config.metrics.model_label,)


def lookback(config: VllmConfig) -> int:
    """How far back "exported at all" looks ([gate] lookback_seconds)."""
    return config.gate.lookback_seconds


def engine_exported(config: VllmConfig) -> Exported:
    """Series of the counter every vLLM version exports from start-up: is the engine here at all."""
    return Exported(Selector(config.metrics.request_success), lookback(config))


def histogram_exported(config: VllmConfig, name: str) -> Exported:
    """Series of a histogram (its ``_count``) within the look-back."""
    return Exported(Selector(name + COUNT_SUFFIX), lookback(config))


def exported(config: VllmConfig, selector: Selector) -> Exported:
    """Series of ``selector`` within the look-back."""
    return Exported(selector, lookback(config))


def api_5xx_rate(config: VllmConfig) -> Ratio:
    """5xx responses / all API responses (probes and scrapes left out) over the window."""
    check = config.checks.api_5xx_rate
    requests = Selector(config.metrics.http_requests).where(
        HANDLER, "!~", check.probe_handler_regex
    )
    errors = requests.where(STATUS, "=~", check.error_status_regex)
    return Ratio(errors, requests, check.window_seconds)


def finished(config: VllmConfig) -> Selector:
    """Every finished request (``vllm:request_success_total``, all finish reasons)."""
    return Selector(config.metrics.request_success)


def finished_as(config: VllmConfig, reason: str) -> Selector:
    """Finished requests of one ``finished_reason``."""
    return finished(config).where(config.metrics.finished_reason_label, "=", reason)


def reason_share(config: VllmConfig, reason: str, window_seconds: int) -> Ratio:
    """Requests finished for ``reason`` / all finished requests, per model, over the window."""
    return Ratio(finished_as(config, reason), finished(config), window_seconds, by_model(config))


def engine_errors(config: VllmConfig) -> Ratio:
    """Requests that ended in an engine error / all finished requests, per model."""
    return reason_share(config, ERROR_REASON, config.checks.engine_errors.window_seconds)


def aborted_share(config: VllmConfig) -> Ratio:
    """Requests aborted (client gone, cancelled) / all finished requests, per model."""
    return reason_share(config, ABORT_REASON, config.checks.aborted_share.window_seconds)


def preemptions(config: VllmConfig) -> Ratio:
    """Preemptions / finished requests, per model (the check shows it per 1,000 requests)."""
    window = config.checks.preemptions.window_seconds
    return Ratio(Selector(config.metrics.preemptions), finished(config), window, by_model(config))


def ttft_p99(config: VllmConfig) -> Quantile:
    """p99 time to first token per model over the window."""
    check = config.checks.ttft_p99
    metric = Selector(config.metrics.time_to_first_token)
    return Quantile(metric, P99, check.window_seconds, by_model(config))


def inter_token_p99(config: VllmConfig, name: str) -> Quantile:
    """p99 inter-token latency per model over the window, from histogram ``name``."""
    window = config.checks.inter_token_latency_p99.window_seconds
    return Quantile(Selector(name), P99, window, by_model(config))


def e2e_p95(config: VllmConfig) -> Quantile:
    """p95 end-to-end request latency per model over the window."""
    window = config.checks.e2e_latency_p95.window_seconds
    return Quantile(Selector(config.metrics.e2e_latency), P95, window, by_model(config))


def queue_p95(config: VllmConfig) -> Quantile:
    """p95 time requests spent waiting for the scheduler, per model, over the window."""
    window = config.checks.queue_time_p95.window_seconds
    return Quantile(Selector(config.metrics.queue_time), P95, window, by_model(config))


def kv_cache_now(name: str) -> Gauge:
    """KV-cache usage (0..1) of every engine now, from gauge ``name``."""
    return Gauge(Selector(name))


def kv_cache_average(config: VllmConfig, name: str) -> AvgOverTime:
    """KV-cache usage of every engine averaged over the window."""
    window = config.checks.kv_cache_usage_average.window_seconds
    return AvgOverTime(Selector(name), window)


def waiting_average(config: VllmConfig) -> AvgOverTime:
    """Requests waiting for the scheduler, averaged over the window, per engine."""
    window = config.checks.requests_waiting.window_seconds
    return AvgOverTime(Selector(config.metrics.requests_waiting), window)


def scrape_targets(config: VllmConfig) -> Gauge:
    """``up`` of every target of the gated jobs."""
    jobs = config.checks.scrape_targets_up.jobs
    return Gauge(Selector(UP_METRIC, (one_of(JOB, jobs),)))


def plan(config: VllmConfig) -> list[Query]:
    """Every query the enabled checks ask, presence questions included, once."""
    m = config.metrics
    itl = m.inter_token_latency
    kv = m.kv_cache_usage
    itl_queries: list[Query] = [histogram_exported(config, n) for n in itl]
    itl_queries += [inter_token_p99(config, n) for n in itl]
    kv_queries: list[Query] = [exported(config, Selector(n)) for n in kv]
    kv_queries += [kv_cache_now(n) for n in kv]
    wanted: dict[str, list[Query]] = {
        "api_5xx_rate": [api_5xx_rate(config)],
        "ttft_p99": [histogram_exported(config, m.time_to_first_token), ttft_p99(config)],
        "inter_token_latency_p99": itl_queries,
        "engine_errors": [
            exported(config, finished_as(config, ERROR_REASON)),
            engine_errors(config),
        ],
        "e2e_latency_p95": [histogram_exported(config, m.e2e_latency), e2e_p95(config)],
        "queue_time_p95": [histogram_exported(config, m.queue_time), queue_p95(config)],
        "kv_cache_usage": kv_queries,
        "kv_cache_usage_average": [kv_cache_average(config, n) for n in kv],
        "requests_waiting": [
            exported(config, Selector(m.requests_waiting)),
            waiting_average(config),
        ],
        "preemptions": [exported(config, Selector(m.preemptions)), preemptions(config)],
        "aborted_share": [
            exported(config, finished_as(config, ABORT_REASON)),
            aborted_share(config),
        ],
        "scrape_targets_up": [scrape_targets(config)],
    }
    applicable = [
        query
        for name, queries in wanted.items()
        if config.check_enablement(name) is None
        for query in queries
    ]
    if applicable:
        applicable.insert(0, engine_exported(config))
    return list(dict.fromkeys(applicable))
