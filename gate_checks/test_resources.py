"""Resources: CPU and memory of every pod and container against its limit."""

from __future__ import annotations

import pytest

from pytest_gate import GateConfig, MetricSnapshot, Observer

from .queries import resource_usage

CONTAINER_KEYS = ("namespace", "pod", "container")


@pytest.mark.warning
def test_cpu_usage(gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig) -> None:
    """CPU usage vs limit

    CPU usage / CPU limit of every pod and container (configurable PromQL; default cAdvisor over
    kube-state-metrics) at or below the limit (default 85%).
    """
    check = gate_config.checks.cpu_usage
    gate.expect(
        metrics.ask(resource_usage(check, gate_config)),
        "<=",
        check.max_limit_ratio,
        what="CPU usage / limit",
        unit="ratio",
        label_keys=CONTAINER_KEYS,
    )


@pytest.mark.warning
def test_memory_usage(gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig) -> None:
    """Memory usage vs limit

    Memory working set / memory limit of every pod and container (configurable PromQL; default
    cAdvisor over kube-state-metrics) at or below the limit (default 85%).
    """
    check = gate_config.checks.memory_usage
    gate.expect(
        metrics.ask(resource_usage(check, gate_config)),
        "<=",
        check.max_limit_ratio,
        what="memory usage / limit",
        unit="ratio",
        label_keys=CONTAINER_KEYS,
    )
