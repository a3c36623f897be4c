"""Schema: briefs that needed the repair model."""

from __future__ import annotations

import pytest

from pytest_gate import GateConfig, MetricSnapshot, Observer, duration

from .queries import schema_failure_rate


@pytest.mark.critical
def test_schema_failure_rate(
    gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig
) -> None:
    """Schema failure rate

    Schema repairs / briefs over the window (default 30m), zero tolerance by default. A repair
    counter that was never incremented while briefs flow is a real 0; no briefs is no_data.
    """
    check = gate_config.checks.schema_failure_rate
    gate.expect(
        metrics.ask(schema_failure_rate(gate_config)),
        "<=",
        check.max_ratio,
        what=f"schema repairs / briefs ({duration(check.window_seconds)})",
        unit="ratio",
        min_samples=check.min_briefs,
    )
