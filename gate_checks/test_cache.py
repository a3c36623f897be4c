"""Cache: the hit rate of the modes whose answers are worth caching."""

from __future__ import annotations

import pytest

from pytest_gate.config import GateConfig
from pytest_gate.observe import Observer
from pytest_gate.snapshot import MetricSnapshot
from pytest_gate.sources.promql import duration

from .queries import CACHED_MODES, cache_hit_rate


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
    gate.expect(
        metrics.ask(cache_hit_rate(gate_config, mode)),
        ">=",
        check.min_hit_ratio,
        what=f"{mode} cache hit rate ({duration(check.window_seconds)})",
        unit="ratio",
        min_samples=check.min_lookups,
    )
