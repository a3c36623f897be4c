"""GPUs: memory headroom on every GPU (NVML on this machine, or the GPU exporter's metrics)."""

from __future__ import annotations

import pytest

from pytest_gate import GateConfig, GpuSnapshot, Observer


@pytest.mark.critical
def test_vram_headroom(gate: Observer, gpus: GpuSnapshot, gate_config: GateConfig) -> None:
    """VRAM headroom

    free / total memory of every GPU at or above the NO-GO line (default 20%). Without GPU data
    while the deployment requires GPUs, the check is no_data (NO-GO).
    """
    gate.expect(
        gpus.headroom(),
        ">=",
        gate_config.checks.vram_headroom.min_free_ratio,
        what="GPU free / total",
        unit="ratio",
        label_keys=gpus.label_keys,
    )


@pytest.mark.warning
def test_vram_headroom_margin(gate: Observer, gpus: GpuSnapshot, gate_config: GateConfig) -> None:
    """VRAM headroom margin

    free / total memory of every GPU at or above the warning line (default 25%), so a GPU that
    approaches the NO-GO line is flagged first.
    """
    gate.expect(
        gpus.headroom(),
        ">=",
        gate_config.checks.vram_headroom_margin.min_free_ratio,
        what="GPU free / total",
        unit="ratio",
        label_keys=gpus.label_keys,
    )
