"""Latency: p95 brief latency per mode, and the sustained creative p95 that blocks a deploy."""

from __future__ import annotations

import pytest

from pytest_gate import GateConfig, MetricSnapshot, Observer, duration, within

from .queries import CREATIVE, LATENCY_MODES, creative_p95_sustained, p95_latency


@pytest.mark.warning
@pytest.mark.parametrize("mode", LATENCY_MODES)
def test_p95_latency(
    gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig, mode: str
) -> None:
    """p95 latency

    p95 brief latency of the mode over the window (default 5m) at or below its limit (defaults
    fast 2.5 s, balanced 3.2 s, creative 4.5 s).
    """
    check = gate_config.checks.p95_latency
    gate.expect(
        metrics.ask(p95_latency(gate_config, mode)),
        "<=",
        check.p95_max_seconds[mode],
        what=f"{mode} p95 ({duration(check.window_seconds)})",
        unit="s",
        min_samples=check.min_requests,
    )


@pytest.mark.critical
def test_creative_p95_sustained(
    gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig
) -> None:
    """Creative p95 latency sustained

    NO-GO only when the creative p95 stayed above its limit (p95_latency's creative limit)
    throughout the sustained window: the lowest p95 of the short inner windows across it is
    compared. A current p95 within the limit passes without needing that history.
    """
    check = gate_config.checks.creative_p95_sustained
    limit = gate_config.checks.p95_latency.p95_max_seconds[CREATIVE]
    sustained = duration(check.sustained_seconds)
    current = metrics.ask(p95_latency(gate_config, CREATIVE))
    if within(current, "<=", limit):
        gate.expect(
            current,
            "<=",
            limit,
            what=f"creative p95 ({duration(gate_config.checks.p95_latency.window_seconds)})",
            unit="s",
            min_samples=check.min_requests,
        )
    else:
        gate.expect(
            metrics.ask(creative_p95_sustained(gate_config)),
            "<=",
            limit,
            what=f"lowest {duration(check.inner_window_seconds)} creative p95 over the last "
            f"{sustained}",
            unit="s",
            min_samples=check.min_requests,
        )
