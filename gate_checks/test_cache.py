"""Cache: the hit rate of the modes whose answers are worth caching."""

from __future__ import annotations

import pytest

from pytest_gate import GateConfig, MetricSnapshot, Observer, duration, hit_share

from .queries import CACHED_MODES, cache_counter_ratios


@pytest.mark.warning
@pytest.mark.parametrize("mode", CACHED_MODES)
def test_cache_hit_rate(
    gate: Observer, metrics: MetricSnapshot, gate_config: GateConfig, mode: str
) -> None:
    """Cache hit rate

    hits / (hits + misses) of the mode over the window (default 30m) at or above the floor
    (default 60%); fewer lookups than the floor is no_data.
    """
    check = gate_config.checks.cache_hit_rate
    hits_per_miss, misses_per_hit = cache_counter_ratios(gate_config, mode)
    gate.expect(
        hit_share(metrics.ask(hits_per_miss), metrics.ask(misses_per_hit)),
        ">=",
        check.min_hit_ratio,
        what=f"{mode} cache hit rate ({duration(check.window_seconds)})",
        unit="ratio",
        min_samples=check.min_lookups,
    )
