"""GPUs: each GPU holds no more than what vLLM was configured to take, plus a margin."""

from __future__ import annotations

import pytest

from pytest_gate import GpuSnapshot, Observer, VllmConfig


@pytest.mark.critical
def test_gpu_memory(gate: Observer, gpus: GpuSnapshot, gate_config: VllmConfig) -> None:
    """GPU memory as configured

    vLLM pre-allocates gpu_memory_utilization (default 0.9) of each GPU for weights and KV cache,
    so "20% free" would fail every stock vLLM. This check wants free / total of every GPU at or
    above 1 - gpu_memory_utilization - margin_ratio (default 0.05): another process or a second
    engine on the same GPU is caught; KV-cache pressure is judged by the KV-cache checks.
    """
    check = gate_config.checks.gpu_memory
    gate.expect(
        gpus.headroom(),
        ">=",
        check.min_free_ratio,
        what=f"GPU free / total (vLLM takes {check.gpu_memory_utilization:g})",
        unit="ratio",
        label_keys=gpus.label_keys,
    )
