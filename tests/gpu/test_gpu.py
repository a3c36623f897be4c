"""GpuMemory and the headroom rule (pure)."""

from __future__ import annotations

import math

import pytest

from pytest_gate.gpu.memory import FAIL, PASS, WARN, GpuMemory, classify_headroom, worst_status

GIB = 1024**3


def memory(total: int = 80 * GIB, free: int = 40 * GIB, **kwargs: object) -> GpuMemory:
    fields: dict[str, object] = {
        "index": 0,
        "uuid": "GPU-0",
        "name": "NVIDIA H100",
        "total_bytes": total,
        "used_bytes": total - free,
        "free_bytes": free,
        "reserved_bytes": None,
    }
    fields.update(kwargs)
    return GpuMemory(**fields)  # type: ignore[arg-type]


def test_headroom_ratio_is_free_over_total() -> None:
    """Headroom is free bytes divided by total bytes."""
    assert memory(total=100, free=27).headroom_ratio == pytest.approx(0.27)


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (0.268, PASS),
        (0.25, PASS),
        (0.2499, WARN),
        (0.22, WARN),
        (0.20, WARN),
        (0.1999, FAIL),
        (0.12, FAIL),
        (0.0, FAIL),
    ],
    ids=[
        "26.8%",
        "at-warn-line",
        "just-under-warn",
        "22%",
        "at-threshold",
        "just-under",
        "12%",
        "0%",
    ],
)
def test_classify_headroom_follows_the_20_and_25_percent_lines(ratio: float, expected: str) -> None:
    """Below 20% fails, below 25% warns, a ratio exactly on a line is on its good side."""
    assert classify_headroom(ratio, 0.20, 0.25) == expected


def test_nan_headroom_fails_rather_than_passing() -> None:
    """A NaN ratio can never pass."""
    assert classify_headroom(math.nan, 0.20, 0.25) == FAIL


def test_warn_line_below_threshold_is_rejected() -> None:
    """A warning line under the failure line is a configuration error, not a silent rule."""
    with pytest.raises(ValueError, match="warning line"):
        classify_headroom(0.5, 0.20, 0.10)


def test_worst_status_picks_fail_over_warn_over_pass() -> None:
    """The worst device decides."""
    assert worst_status([PASS, WARN, PASS]) == WARN
    assert worst_status([WARN, FAIL, PASS]) == FAIL


def test_worst_status_of_nothing_fails() -> None:
    """No devices means no evidence of headroom: fail closed."""
    assert worst_status([]) == FAIL


@pytest.mark.parametrize(
    "fields",
    [
        {"total": 0, "free": 0},
        {"free": -1},
        {"reserved_bytes": -5},
        {"total": 10, "free": 11},
    ],
    ids=["zero-total", "negative-free", "negative-reserved", "free-over-total"],
)
def test_impossible_readings_are_rejected(fields: dict[str, int]) -> None:
    """A reading NVML cannot produce raises instead of becoming a headroom figure."""
    with pytest.raises(ValueError, match="GPU 0"):
        memory(**fields)


def test_label_names_the_mig_device_when_there_is_one() -> None:
    """Whole GPUs read ``GPU n``; MIG devices ``GPU n MIG m``."""
    assert memory(index=2).label == "GPU 2"
    assert memory(index=0, mig_index=1).label == "GPU 0 MIG 1"
