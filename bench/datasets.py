"""The metric data the gate benchmarks query: the golden scenarios' builder, reused by import.

One Prometheus holds every data set, each under its own ``namespace`` label (the gate selects one
through ``[gate] label_selector``): the healthy deployment (2 GPUs) and the same deployment with
64 and 1,000 GPUs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tests.checks.conftest import scenario_config
from tests.checks.deployment import Scenario, write
from tests.checks.deployment import T as DATA_T
from tests.checks.scenarios import BY_NAME
from tests.support.prometheus_server import OpenMetrics

T = DATA_T
"""The evaluation instant every live and replayed gate run uses (``--gate-time``)."""
HEALTHY_FREE_RATIO = 0.40


def healthy(gpus: int = 2) -> Scenario:
    """The golden healthy deployment with ``gpus`` GPUs (2 is the golden scenario itself)."""
    if gpus == 2:
        return BY_NAME["healthy"]
    return Scenario(f"bench-gpus-{gpus}", "GO", gpu_free_ratios=(HEALTHY_FREE_RATIO,) * gpus)


def openmetrics(gpu_counts: Iterable[int]) -> OpenMetrics:
    """One backfill file holding the healthy deployment at each GPU count."""
    om = OpenMetrics()
    for count in sorted(set(gpu_counts)):
        write(om, healthy(count))
    return om


def config_for(directory: Path, gpus: int = 2) -> Path:
    """The shipped gate.toml selecting the data set with ``gpus`` GPUs."""
    return scenario_config(directory, healthy(gpus))
