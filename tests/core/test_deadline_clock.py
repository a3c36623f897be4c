"""The deadline's clock."""

from __future__ import annotations

import pytest

from pytest_gate.core.deadline import Deadline


def test_deadline_can_start_before_it_is_created() -> None:
    """The gate's budget starts when pytest configures the plugin, not when the source opens."""
    now = [100.0]
    deadline = Deadline(5.0, lambda: now[0], started=97.0)
    assert deadline.remaining() == pytest.approx(2.0)
    now[0] = 102.5
    assert deadline.expired
