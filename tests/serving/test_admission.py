"""VRAM admission control through the fake NVML (the pynvml boundary): refuse, admit, unload."""

from __future__ import annotations

from collections.abc import Iterator

import pynvml
import pytest

from pytest_gate.gpu.nvml import read_gpus
from serving.admission import AdmissionController, AdmissionRefused
from serving.config import Settings
from serving.models import ModelRegistry, ModelSpec
from tests.serving.live_server import TOKEN, LiveServer, serve
from tests.support.fake_pynvml import FakeDevice, FakeNvml, gib, install


def _spec(estimate_gib: float, gpu: int | None = None) -> ModelSpec:
    return ModelSpec("qwen_32b", "creative", "org/qwen", gib(estimate_gib), gpu=gpu)


def _controller(device: str = "auto") -> AdmissionController:
    return AdmissionController(
        read_gpus, min_headroom_ratio=0.20, device=device, cuda_available=lambda: True
    )


@pytest.fixture
def one_gpu(monkeypatch: pytest.MonkeyPatch) -> FakeNvml:
    """One 80 GiB GPU with 40 GiB free."""
    return install(monkeypatch, FakeNvml([FakeDevice.whole(gib(80), gib(40))]))


def test_load_that_keeps_20_percent_headroom_is_admitted(one_gpu: FakeNvml) -> None:
    """40 GiB free - 16 GiB estimate = 24 GiB of 80 (30%): admitted onto GPU 0."""
    placement = _controller().place(_spec(16))
    assert placement.device == "cuda:0"
    assert placement.projected_headroom_ratio == pytest.approx(0.30)


def test_load_exactly_at_20_percent_is_admitted(one_gpu: FakeNvml) -> None:
    """Headroom exactly at the minimum is on the good side."""
    assert _controller().place(_spec(24)).projected_headroom_ratio == pytest.approx(0.20)


def test_load_below_20_percent_is_refused_with_numbers(one_gpu: FakeNvml) -> None:
    """40 GiB free - 32 GiB estimate leaves 10%: refused, with free/total/estimate per GPU."""
    controller = _controller()
    with pytest.raises(
        AdmissionRefused, match=r"10\.0% VRAM headroom.*below the 20% minimum"
    ) as refused:
        controller.place(_spec(32))
    (detail,) = refused.value.details
    assert (detail["free_bytes"], detail["total_bytes"], detail["estimate_bytes"]) == (
        gib(40),
        gib(80),
        gib(32),
    )
    assert controller.status()["refused"] == 1


def test_best_gpu_is_the_one_with_most_projected_headroom(monkeypatch: pytest.MonkeyPatch) -> None:
    """Of a fuller and an emptier GPU, the load goes to the emptier one."""
    install(
        monkeypatch,
        FakeNvml([FakeDevice.whole(gib(80), gib(20)), FakeDevice.whole(gib(80), gib(60))]),
    )
    assert _controller().place(_spec(16)).device == "cuda:1"


def test_pinned_gpu_is_used_even_when_another_is_emptier(monkeypatch: pytest.MonkeyPatch) -> None:
    """``gpu = 0`` in the registry keeps the model on GPU 0."""
    install(
        monkeypatch,
        FakeNvml([FakeDevice.whole(gib(80), gib(40)), FakeDevice.whole(gib(80), gib(60))]),
    )
    assert _controller().place(_spec(16, gpu=0)).device == "cuda:0"


def test_pinned_gpu_that_does_not_exist_is_refused(one_gpu: FakeNvml) -> None:
    """A pin to a missing GPU is refused and says which GPUs exist."""
    with pytest.raises(AdmissionRefused, match=r"pinned gpu 3 is not present .*\[0\]"):
        _controller().place(_spec(1, gpu=3))


def test_unload_removes_the_model_from_the_accounting(one_gpu: FakeNvml) -> None:
    """record_load accounts the measured bytes on the GPU; record_unload forgets them."""
    controller = _controller()
    spec = _spec(16)
    controller.record_load(spec, controller.place(spec), gib(15))
    assert controller.status()["models"]["qwen_32b"]["vram_bytes"] == gib(15)
    controller.record_unload("qwen_32b")
    assert controller.status()["models"] == {}


def test_free_memory_is_read_fresh_for_every_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second load sees the memory the first one took (no double counting, no stale value)."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(80), [gib(60), gib(30)])]))
    controller = _controller()
    controller.place(_spec(16))
    with pytest.raises(AdmissionRefused):
        controller.place(_spec(16))


def test_without_nvml_models_run_on_cpu_and_status_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NVML missing: CPU placement, and the status names the NVML cause."""
    install(monkeypatch, FakeNvml([], init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND))
    controller = _controller()
    assert controller.place(_spec(16)).device == "cpu"
    assert controller.status()["mode"] == "cpu"
    assert "libnvidia-ml.so.1" in controller.status()["detail"]


def test_gpus_without_cuda_in_torch_run_on_cpu(one_gpu: FakeNvml) -> None:
    """NVML sees a GPU but torch has no CUDA: CPU, and the status says so."""
    controller = AdmissionController(
        read_gpus, min_headroom_ratio=0.2, cuda_available=lambda: False
    )
    assert controller.place(_spec(16)).device == "cpu"
    assert "no CUDA" in controller.status()["detail"]


def test_cuda_required_without_a_gpu_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """SERVING_DEVICE=cuda on a machine without GPUs refuses instead of silently using CPU."""
    install(monkeypatch, FakeNvml([]))
    with pytest.raises(AdmissionRefused, match="SERVING_DEVICE=cuda but no GPU is usable"):
        _controller(device="cuda").place(_spec(1))


@pytest.fixture
def full_gpu_server(
    monkeypatch: pytest.MonkeyPatch, tiny_registry: ModelRegistry
) -> Iterator[LiveServer]:
    """A server whose only GPU has 4 of 24 GiB free: every load falls under 20% headroom."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(24), gib(4))]))
    settings = Settings(admin_token=TOKEN, device="cuda")
    with serve(settings, tiny_registry, cuda_available=lambda: True) as live:
        yield live


def test_refused_loads_leave_health_503_with_reasons(full_gpu_server: LiveServer) -> None:
    """The server starts, /health is 503 and each model is ``refused`` with the reason."""
    health = full_gpu_server.client.get("/health")
    assert health.status_code == 503
    statuses = {info["status"] for info in health.json()["models"].values()}
    assert statuses == {"refused"}
    assert health.json()["admission"]["refused"] == 3


def test_admin_load_refused_by_admission_is_409(full_gpu_server: LiveServer) -> None:
    """POST /admin/model/load answers 409 admission_refused with the per-GPU numbers."""
    response = full_gpu_server.admin("POST", "/admin/model/load", json={"model": "mistral_7b"})
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "admission_refused"
    assert body["gpus"][0]["free_bytes"] == gib(4)
