"""GPU memory readings and the headroom rule, as plain data (no NVML here).

``nvml.py`` produces :class:`GpuMemory` values; ``gate-vram`` and the serving admission control
consume them (the gate's VRAM checks read the same quantities from a GPU snapshot). The rule is
DESIGN §7: free / total at or above the threshold on every GPU passes, below the warning line
warns, below the threshold fails. The default lines live here once: :data:`MIN_HEADROOM_RATIO`
and :data:`WARN_HEADROOM_RATIO` (``gate.toml`` ships the same values; a test holds them equal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_HEADROOM_RATIO = 0.20
"""Below this free / total on any GPU: FAIL (the gate: NO-GO; admission: refuse the load)."""
WARN_HEADROOM_RATIO = 0.25
"""Below this free / total on any GPU: WARN (the gate: WARNING)."""

PASS = "PASS"
WARN = "WARN"
FAIL = "FAIL"

STATUS_ORDER = (PASS, WARN, FAIL)
"""Statuses from best to worst; ``worst_status`` picks by this order."""


@dataclass(frozen=True)
class GpuMemory:
    """One device's memory as NVML reported it, in bytes.

    ``reserved_bytes`` is ``None`` when the driver only offers memory info v1, which has no
    reserved figure (never 0 in its place). ``mig_index`` is the MIG device number on GPU
    ``index`` (as ``nvidia-smi -L`` lists it) and ``None`` for a whole GPU.
    """

    index: int
    uuid: str
    name: str
    total_bytes: int
    used_bytes: int
    free_bytes: int
    reserved_bytes: int | None
    mig_index: int | None = None

    def __post_init__(self) -> None:
        if self.total_bytes <= 0:
            raise ValueError(f"GPU {self.index}: total memory {self.total_bytes} B is not positive")
        for field_name in ("used_bytes", "free_bytes", "reserved_bytes"):
            value = getattr(self, field_name)
            if value is not None and value < 0:
                raise ValueError(f"GPU {self.index}: {field_name} {value} is negative")
        if self.free_bytes > self.total_bytes:
            raise ValueError(
                f"GPU {self.index}: free memory {self.free_bytes} B exceeds total "
                f"{self.total_bytes} B"
            )

    @property
    def headroom_ratio(self) -> float:
        """Free memory as a fraction of total memory (0.268 means 26.8% free)."""
        return self.free_bytes / self.total_bytes

    @property
    def label(self) -> str:
        """Short human name: ``GPU 2`` or ``GPU 0 MIG 1``."""
        if self.mig_index is None:
            return f"GPU {self.index}"
        return f"GPU {self.index} MIG {self.mig_index}"


def classify_headroom(ratio: float, threshold_ratio: float, warn_ratio: float) -> str:
    """Return ``PASS``, ``WARN`` or ``FAIL`` for a headroom ``ratio``.

    ``ratio < threshold_ratio`` fails, ``ratio < warn_ratio`` warns, anything else passes; a ratio
    exactly at a line is on the good side of it. A NaN ratio fails (it must never pass).
    """
    if warn_ratio < threshold_ratio:
        raise ValueError(
            f"warn ratio {warn_ratio} is below threshold ratio {threshold_ratio}; "
            "the warning line must be at or above the threshold"
        )
    if math.isnan(ratio) or ratio < threshold_ratio:
        return FAIL
    if ratio < warn_ratio:
        return WARN
    return PASS


def worst_status(statuses: list[str]) -> str:
    """Return the worst of ``statuses`` (``FAIL`` > ``WARN`` > ``PASS``); empty input fails."""
    if not statuses:
        return FAIL
    return max(statuses, key=STATUS_ORDER.index)
