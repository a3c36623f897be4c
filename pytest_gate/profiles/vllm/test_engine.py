"""Engine pressure: KV-cache usage now and averaged, waiting requests, preemptions per 1,000
finished requests."""

from __future__ import annotations

import pytest

from pytest_gate import MetricSnapshot, Observer, Selector, VllmConfig, duration

from .answers import first_exported, scaled
from .queries import (
    PER_THOUSAND,
    engine_exported,
    exported,
    kv_cache_average,
    kv_cache_now,
    preemptions,
    waiting_average,
)

ENGINE_LABEL = "engine"


@pytest.mark.warning
def test_kv_cache_usage(gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig) -> None:
    """KV-cache usage

    vllm:kv_cache_usage_perc (before 0.9: vllm:gpu_cache_usage_perc; 1 = full) of every engine
    now below the limit (default 0.95): a full cache preempts requests.
    """
    check = gate_config.checks.kv_cache_usage
    name, presence = first_exported(
        metrics, gate_config, gate_config.metrics.kv_cache_usage, histogram=False
    )
    gate.require_exported(presence, what=name, engine=metrics.ask(engine_exported(gate_config)))
    gate.expect(
        metrics.ask(kv_cache_now(name)),
        "<",
        check.max_value,
        what=f"{name} now",
        unit="ratio",
        label_keys=(gate_config.metrics.model_label, ENGINE_LABEL),
    )


@pytest.mark.warning
def test_kv_cache_usage_average(
    gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig
) -> None:
    """KV-cache usage averaged

    The KV-cache usage of every engine averaged over the window (default 5m) below the limit
    (default 0.95).
    """
    check = gate_config.checks.kv_cache_usage_average
    name, presence = first_exported(
        metrics, gate_config, gate_config.metrics.kv_cache_usage, histogram=False
    )
    gate.require_exported(presence, what=name, engine=metrics.ask(engine_exported(gate_config)))
    gate.expect(
        metrics.ask(kv_cache_average(gate_config, name)),
        "<",
        check.max_value,
        what=f"{name} averaged ({duration(check.window_seconds)})",
        unit="ratio",
        min_samples=check.min_samples,
        label_keys=(gate_config.metrics.model_label, ENGINE_LABEL),
    )


@pytest.mark.warning
def test_requests_waiting(gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig) -> None:
    """Waiting requests

    vllm:num_requests_waiting of every engine averaged over the window (default 5m) at or below
    the limit (default 10 requests).
    """
    check = gate_config.checks.requests_waiting
    name = gate_config.metrics.requests_waiting
    gate.require_exported(
        metrics.ask(exported(gate_config, Selector(name))),
        what=name,
        engine=metrics.ask(engine_exported(gate_config)),
    )
    gate.expect(
        metrics.ask(waiting_average(gate_config)),
        "<=",
        check.max_value,
        what=f"{name} averaged ({duration(check.window_seconds)})",
        unit="",
        min_samples=check.min_samples,
        label_keys=(gate_config.metrics.model_label, ENGINE_LABEL),
    )


@pytest.mark.warning
def test_preemptions(gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig) -> None:
    """Preemptions per 1,000 requests

    vllm:num_preemptions_total per 1,000 finished requests (vllm:request_success_total) per model
    over the window (default 5m) at or below the limit (default 10).
    """
    check = gate_config.checks.preemptions
    name = gate_config.metrics.preemptions
    gate.require_exported(
        metrics.ask(exported(gate_config, Selector(name))),
        what=name,
        engine=metrics.ask(engine_exported(gate_config)),
    )
    gate.expect(
        scaled(metrics.ask(preemptions(gate_config)), PER_THOUSAND),
        "<=",
        check.max_per_1000_requests,
        what=f"{name} per 1,000 requests ({duration(check.window_seconds)})",
        unit="",
        min_samples=check.min_requests,
        label_keys=(gate_config.metrics.model_label,),
    )
