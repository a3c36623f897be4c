"""On a GPU machine: the tiny models load on CUDA through real NVML admission and serve briefs."""

from __future__ import annotations

import pytest

from pytest_gate.gpu.nvml import nvml_available
from serving.brief import Brief
from serving.config import Settings
from serving.models import ModelRegistry
from tests.serving.live_server import TOKEN, serve


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not (nvml_available() and _cuda()), reason="needs an NVIDIA GPU and CUDA torch"
    ),
]


def test_tiny_models_load_on_cuda_and_answer(tiny_registry: ModelRegistry) -> None:
    """Real NVML admits the loads, the weights sit on CUDA, VRAM is measured and briefs are valid."""
    with serve(Settings(admin_token=TOKEN, device="cuda"), tiny_registry) as live:
        health = live.client.get("/health").json()
        response = live.brief("a bright citrus cologne", "creative")
        vram = live.metric("llm_model_vram_bytes", model="qwen_32b")
    assert health["admission"]["mode"] == "gpu"
    assert {info["device"] for info in health["models"].values()} <= {
        f"cuda:{n}" for n in range(16)
    }
    assert vram > 0
    Brief.model_validate(response.json()["brief"])
