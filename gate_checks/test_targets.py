"""Scrape targets: every target of the jobs the enabled checks read is up, one check per part."""

from __future__ import annotations

import pytest

from pytest_gate import Answer, Observer

from .queries import INSTANCE, JOB, TARGET_PARTS, TARGET_UP


@pytest.mark.critical
@pytest.mark.parametrize("part", TARGET_PARTS)
def test_scrape_targets_up(gate: Observer, part: str, targets_up: Answer) -> None:
    """Scrape targets up

    up == 1 for every target of the part's job (serving, worker-rl, the GPU exporter, the extra
    jobs), so a dead exporter never leaves a check judging only what it still sees; a job without
    any target is no_data.
    """
    gate.expect(
        targets_up,
        "==",
        TARGET_UP,
        what=f"{part} scrape target up",
        unit="",
        label_keys=(JOB, INSTANCE),
    )
