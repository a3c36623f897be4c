"""Durations written one way everywhere."""

from __future__ import annotations

import pytest

from pytest_gate.core.durations import duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1800, "30m"), (7200, "2h"), (45, "45s"), (90, "1m30s"), (185.4, "3m5s"), (0, "0s")],
)
def test_durations_are_written_one_way_everywhere(seconds: float, text: str) -> None:
    """Windows, ages and messages: one PromQL-valid form (the report's ``window`` too)."""
    assert duration(seconds) == text
