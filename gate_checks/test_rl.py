"""RL worker: loss runaway (absolute and against its own baseline) and the reward trend."""

from __future__ import annotations

import pytest

from pytest_gate import GateConfig, MetricSnapshot, Observer, divided, duration, slopes

from .queries import ALGORITHM, LOSS_TYPE, rl_loss_baseline, rl_loss_now, rl_reward_range

SERIES_KEYS = (ALGORITHM, LOSS_TYPE)


@pytest.mark.critical
def test_rl_loss_ceiling(gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig) -> None:
    """RL loss ceiling

    Every algorithm's current loss (loss types of the config, default total_loss) at or below
    the ceiling (default 2.0).
    """
    check = gate_config.checks.rl_loss_ceiling
    gate.expect(
        metrics.ask(rl_loss_now(gate_config, check.loss_types)),
        "<=",
        check.max_loss,
        what="RL loss",
        unit="",
        label_keys=SERIES_KEYS,
    )


@pytest.mark.critical
def test_rl_loss_vs_baseline(
    gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig
) -> None:
    """RL loss vs its baseline

    Every algorithm's current loss at most a multiple (default 3x) of its own average over the
    baseline window (default 2h), so a runaway is caught even below the ceiling.
    """
    check = gate_config.checks.rl_loss_vs_baseline
    window = duration(check.baseline_window_seconds)
    ratio = divided(
        metrics.ask(rl_loss_now(gate_config, check.loss_types)),
        metrics.ask(rl_loss_baseline(gate_config)),
        what=f"{window} baseline",
    )
    gate.expect(
        ratio,
        "<=",
        check.max_baseline_ratio,
        what=f"RL loss / its {window} average",
        unit="x",
        min_samples=check.min_baseline_samples,
        label_keys=SERIES_KEYS,
    )


@pytest.mark.warning
def test_rl_reward_trend(gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig) -> None:
    """RL reward trend

    Robust (Theil-Sen) slope of every algorithm's reward moving average over the window (default
    2h) at or above the floor (default 0 per hour); fewer points than the floor is no_data.
    """
    check = gate_config.checks.rl_reward_trend
    gate.expect(
        slopes(metrics.ask(rl_reward_range(gate_config)), check.min_points),
        ">=",
        check.min_slope_per_hour,
        what=f"reward slope ({duration(check.window_seconds)})",
        unit="/h",
        min_samples=check.min_points,
        label_keys=(ALGORITHM,),
    )
