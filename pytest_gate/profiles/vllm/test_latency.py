"""Latency per model: p99 time to first token and inter-token latency (critical), p95 end-to-end
and queue time (warning), from vLLM's histograms."""

from __future__ import annotations

import pytest

from pytest_gate import MetricSnapshot, Observer, VllmConfig, duration

from .answers import first_exported
from .queries import (
    e2e_p95,
    engine_exported,
    histogram_exported,
    inter_token_p99,
    queue_p95,
    ttft_p99,
)


@pytest.mark.critical
def test_ttft_p99(gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig) -> None:
    """p99 time to first token

    p99 of vllm:time_to_first_token_seconds per model over the window (default 5m) at or below
    the limit (default 2.0 s, MLPerf server scenario for an 8B model).
    """
    check = gate_config.checks.ttft_p99
    name = gate_config.metrics.time_to_first_token
    gate.require_exported(
        metrics.ask(histogram_exported(gate_config, name)),
        what=name,
        engine=metrics.ask(engine_exported(gate_config)),
    )
    gate.expect(
        metrics.ask(ttft_p99(gate_config)),
        "<=",
        check.max_seconds,
        what=f"p99 {name} ({duration(check.window_seconds)})",
        unit="s",
        min_samples=check.min_observations,
        label_keys=(gate_config.metrics.model_label,),
    )


@pytest.mark.critical
def test_inter_token_latency_p99(
    gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig
) -> None:
    """p99 inter-token latency

    p99 of vllm:inter_token_latency_seconds (older versions: vllm:time_per_output_token_seconds,
    the first exported name of [metrics] inter_token_latency) per model over the window (default
    5m) at or below the limit (default 0.1 s, MLPerf server scenario for an 8B model).
    """
    check = gate_config.checks.inter_token_latency_p99
    name, presence = first_exported(
        metrics, gate_config, gate_config.metrics.inter_token_latency, histogram=True
    )
    gate.require_exported(presence, what=name, engine=metrics.ask(engine_exported(gate_config)))
    gate.expect(
        metrics.ask(inter_token_p99(gate_config, name)),
        "<=",
        check.max_seconds,
        what=f"p99 {name} ({duration(check.window_seconds)})",
        unit="s",
        min_samples=check.min_observations,
        label_keys=(gate_config.metrics.model_label,),
    )


@pytest.mark.warning
def test_e2e_latency_p95(gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig) -> None:
    """p95 end-to-end latency

    p95 of vllm:e2e_request_latency_seconds per model over the window (default 5m) at or below
    the limit (default 20 s; it grows with output length, set it for your prompts).
    """
    check = gate_config.checks.e2e_latency_p95
    name = gate_config.metrics.e2e_latency
    gate.require_exported(
        metrics.ask(histogram_exported(gate_config, name)),
        what=name,
        engine=metrics.ask(engine_exported(gate_config)),
    )
    gate.expect(
        metrics.ask(e2e_p95(gate_config)),
        "<=",
        check.max_seconds,
        what=f"p95 {name} ({duration(check.window_seconds)})",
        unit="s",
        min_samples=check.min_observations,
        label_keys=(gate_config.metrics.model_label,),
    )


@pytest.mark.warning
def test_queue_time_p95(gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig) -> None:
    """p95 queue time

    p95 of vllm:request_queue_time_seconds (time in the WAITING phase) per model over the window
    (default 5m) at or below the limit (default 0.5 s).
    """
    check = gate_config.checks.queue_time_p95
    name = gate_config.metrics.queue_time
    gate.require_exported(
        metrics.ask(histogram_exported(gate_config, name)),
        what=name,
        engine=metrics.ask(engine_exported(gate_config)),
    )
    gate.expect(
        metrics.ask(queue_p95(gate_config)),
        "<=",
        check.max_seconds,
        what=f"p95 {name} ({duration(check.window_seconds)})",
        unit="s",
        min_samples=check.min_observations,
        label_keys=(gate_config.metrics.model_label,),
    )
