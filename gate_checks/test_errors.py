"""API errors: the share of requests answered with a server error."""

from __future__ import annotations

import pytest

from pytest_gate import GateConfig, MetricSnapshot, Observer, duration

from .queries import api_5xx_rate


@pytest.mark.critical
def test_api_5xx_rate(gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig) -> None:
    """API 5xx rate

    5xx responses / all responses over the window (default 5m) must stay at or below the limit
    (default 0.5%); fewer requests than the floor is no_data.
    """
    check = gate_config.checks.api_5xx_rate
    gate.expect(
        metrics.ask(api_5xx_rate(gate_config)),
        "<=",
        check.max_ratio,
        what=f"5xx rate ({duration(check.window_seconds)})",
        unit="ratio",
        min_samples=check.min_requests,
    )
