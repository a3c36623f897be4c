"""Scrape targets: every target of the gated jobs is up, and every gated job has targets."""

from __future__ import annotations

import pytest

from pytest_gate import MetricSnapshot, Observer, VllmConfig

from .answers import requiring
from .queries import JOB, TARGET_UP, scrape_targets


@pytest.mark.critical
def test_scrape_targets_up(
    gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig
) -> None:
    """Scrape targets up

    up == 1 for every target of the configured jobs (default "vllm"); a job without any target
    is no_data.
    """
    jobs = gate_config.checks.scrape_targets_up.jobs
    gate.expect(
        requiring(metrics.ask(scrape_targets(gate_config)), JOB, jobs),
        "==",
        TARGET_UP,
        what="scrape target up",
        unit="",
        label_keys=(JOB, "instance"),
    )
