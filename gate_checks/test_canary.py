"""Canary versus baseline (``-m canary --gate-canary ... --gate-baseline ...``).

Canary and baseline are two label selections of the same metrics; each check asks the ordinary
query once per side over the same window.
"""

from __future__ import annotations

import pytest

from pytest_gate import (
    CanaryRound,
    CanarySelection,
    GateConfig,
    MetricSnapshot,
    Observer,
    duration,
    paired,
)

from .answers import against_baseline, both_values
from .queries import LATENCY_MODES, canary_5xx_rate, canary_p95, canary_schema_repairs


@pytest.mark.canary
@pytest.mark.critical
def test_canary_5xx_rate(
    gate: Observer,
    canary_metrics: MetricSnapshot,
    gate_config: GateConfig,
    canary_selection: CanarySelection,
    canary_round: CanaryRound,
) -> None:
    """Canary 5xx vs baseline

    The canary's 5xx ratio over the window (default 10m) is not significantly above the
    baseline's (one-sided Fisher exact test, alpha 0.01; under --gate-watch the anytime-valid
    e-process over the counts since the watch began) and within the API 5xx limit; fewer requests
    than the floor on either side, or a traffic split off [canary] expected_share, is no_data.
    """
    check = gate_config.checks.canary_5xx_rate
    window = canary_round.window_seconds(check.window_seconds)
    gate.expect_not_worse(
        paired(
            canary_metrics.ask(canary_5xx_rate(gate_config, canary_selection.canary, window)),
            canary_metrics.ask(canary_5xx_rate(gate_config, canary_selection.baseline, window)),
            check.min_requests,
        ),
        alpha=check.alpha,
        max_ratio=gate_config.checks.api_5xx_rate.max_ratio,
        what="5xx",
        now=canary_round,
        expected_share=gate_config.canary.expected_share,
    )


@pytest.mark.canary
@pytest.mark.critical
def test_canary_schema_repairs(
    gate: Observer,
    canary_metrics: MetricSnapshot,
    gate_config: GateConfig,
    canary_selection: CanarySelection,
) -> None:
    """Canary schema repairs

    Schema repairs / briefs of the canary over the window (default 30m) at most the schema limit
    (zero by default); fewer canary briefs than the floor is no_data.
    """
    check = gate_config.checks.canary_schema_repairs
    gate.expect(
        canary_metrics.ask(canary_schema_repairs(gate_config, canary_selection.canary)),
        "<=",
        gate_config.checks.schema_failure_rate.max_ratio,
        what=f"canary schema repairs / briefs ({duration(check.window_seconds)})",
        unit="ratio",
        min_samples=check.min_briefs,
    )


@pytest.mark.canary
@pytest.mark.warning
@pytest.mark.parametrize("mode", LATENCY_MODES)
def test_canary_p95_latency(
    gate: Observer,
    canary_metrics: MetricSnapshot,
    gate_config: GateConfig,
    canary_selection: CanarySelection,
    mode: str,
) -> None:
    """Canary p95 vs baseline

    The canary's p95 brief latency of the mode at most 1.25 x the baseline's over the same window
    (default 10m); fewer briefs than the floor on either side is no_data.
    """
    check = gate_config.checks.canary_p95_latency
    canary = canary_metrics.ask(canary_p95(gate_config, mode, canary_selection.canary))
    baseline = canary_metrics.ask(canary_p95(gate_config, mode, canary_selection.baseline))
    pair = both_values(canary, baseline, "s")
    gate.expect(
        against_baseline(canary, baseline, check.min_requests),
        "<=",
        check.max_baseline_ratio,
        what=f"{mode} canary p95 / baseline p95 ({duration(check.window_seconds)}"
        + (f"; {pair})" if pair else ")"),
        unit="x",
    )
