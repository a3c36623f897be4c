"""VRAM admission control: place a model on the GPU with the most projected headroom, or refuse.

Rule (DESIGN §8): a load onto a GPU is admitted only when ``(free - estimate) / total`` stays at or
above the minimum headroom ratio (20%). ``free`` is read from NVML right before the load, so models
already loaded are counted once, through the memory they really hold. Without a GPU the models run
on CPU, and the status says so and why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_gate.gpu.memory import GpuMemory
from pytest_gate.gpu.nvml import NvmlUnavailable
from serving.models import ModelSpec

GpuReader = Callable[[], list[GpuMemory]]
CPU = "cpu"


@dataclass(frozen=True)
class Placement:
    """Where a model goes: ``cpu`` or ``cuda:N`` (with the GPU reading that admitted it)."""

    device: str
    gpu: GpuMemory | None = None
    projected_headroom_ratio: float | None = None

    @property
    def gpu_label(self) -> str | None:
        """The ``gpu`` metric label (NVML index, as the VRAM exporter writes it)."""
        return None if self.gpu is None else str(self.gpu.index)


class AdmissionRefused(RuntimeError):
    """A load would leave too little VRAM headroom (or no usable GPU); ``details`` say how much."""

    def __init__(self, model: str, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(f"{model}: {message}")
        self.model = model
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """Structured form for API responses and the admission status."""
        return {
            "error": "admission_refused",
            "model": self.model,
            "message": str(self),
            "gpus": self.details,
        }


def _no_cuda_index(gpu: GpuMemory) -> int:
    return gpu.index


class AdmissionController:
    """Decides placements and keeps the accounting of what was loaded where."""

    def __init__(
        self,
        reader: GpuReader,
        *,
        min_headroom_ratio: float,
        device: str = "auto",
        cuda_available: Callable[[], bool] = lambda: False,
        cuda_index: Callable[[GpuMemory], int] = _no_cuda_index,
    ) -> None:
        self._reader = reader
        self._min_ratio = min_headroom_ratio
        self._device = device
        self._cuda_available = cuda_available
        self._cuda_index = cuda_index
        self._lock = threading.Lock()
        self._mode = "unknown"
        self._detail = "no load attempted yet"
        self._admitted = 0
        self._refused = 0
        self._last_refusal: dict[str, Any] | None = None
        self._accounted: dict[str, dict[str, Any]] = {}

    def place(self, spec: ModelSpec) -> Placement:
        """Choose where ``spec`` loads, or raise :class:`AdmissionRefused`."""
        try:
            placement = self._decide(spec)
        except AdmissionRefused as refusal:
            with self._lock:
                self._refused += 1
                self._last_refusal = refusal.to_dict()
            raise
        with self._lock:
            self._admitted += 1
        return placement

    def _decide(self, spec: ModelSpec) -> Placement:
        if self._device == CPU:
            return self._on_cpu("SERVING_DEVICE=cpu; VRAM admission does not apply")
        try:
            gpus = self._reader()
        except NvmlUnavailable as error:
            return self._without_gpu(spec, str(error))
        if not gpus:
            return self._without_gpu(spec, "NVML lists no GPU")
        if self._device == "auto" and not self._cuda_available():
            return self._on_cpu(f"NVML sees {len(gpus)} GPU(s) but this torch build has no CUDA")
        with self._lock:
            self._mode = "gpu"
            self._detail = (
                f"VRAM admission on {len(gpus)} GPU(s), min headroom {self._min_ratio:.0%}"
            )
        candidates = [gpu for gpu in gpus if spec.gpu is None or gpu.index == spec.gpu]
        if not candidates:
            raise AdmissionRefused(
                spec.name,
                f"pinned gpu {spec.gpu} is not present (NVML lists "
                f"{sorted({gpu.index for gpu in gpus})}); fix `gpu` in the registry",
                [],
            )
        details = [self._projection(spec, gpu) for gpu in candidates]
        best_index = max(range(len(details)), key=lambda i: details[i]["projected_headroom_ratio"])
        best, ratio = candidates[best_index], details[best_index]["projected_headroom_ratio"]
        if ratio < self._min_ratio:
            raise AdmissionRefused(
                spec.name,
                f"loading {spec.expected_vram_bytes} B would leave {ratio:.1%} VRAM headroom on "
                f"the best GPU ({best.label}), below the {self._min_ratio:.0%} minimum; free "
                "memory (unload a model) or move it to a larger GPU",
                details,
            )
        return Placement(f"cuda:{self._cuda_index(best)}", best, ratio)

    def _projection(self, spec: ModelSpec, gpu: GpuMemory) -> dict[str, Any]:
        ratio = (gpu.free_bytes - spec.expected_vram_bytes) / gpu.total_bytes
        return {
            "gpu": gpu.index,
            "uuid": gpu.uuid,
            "free_bytes": gpu.free_bytes,
            "total_bytes": gpu.total_bytes,
            "estimate_bytes": spec.expected_vram_bytes,
            "projected_headroom_ratio": round(ratio, 6),
            "min_headroom_ratio": self._min_ratio,
        }

    def _without_gpu(self, spec: ModelSpec, why: str) -> Placement:
        if self._device == "cuda":
            raise AdmissionRefused(
                spec.name,
                f"SERVING_DEVICE=cuda but no GPU is usable ({why}); "
                "fix the GPU or set SERVING_DEVICE=auto to run on CPU",
                [],
            )
        return self._on_cpu(f"{why}; VRAM admission does not apply")

    def _on_cpu(self, detail: str) -> Placement:
        with self._lock:
            self._mode = CPU
            self._detail = f"models run on CPU: {detail}"
        return Placement(CPU)

    def record_load(self, spec: ModelSpec, placement: Placement, measured_bytes: int) -> None:
        """Account a finished load with the memory it really takes."""
        with self._lock:
            self._accounted[spec.name] = {
                "device": placement.device,
                "gpu": placement.gpu_label,
                "vram_bytes": measured_bytes if placement.gpu is not None else 0,
                "estimate_bytes": spec.expected_vram_bytes,
            }

    def record_unload(self, name: str) -> None:
        """Forget a model's accounting after it was unloaded."""
        with self._lock:
            self._accounted.pop(name, None)

    def status(self) -> dict[str, Any]:
        """Mode (gpu / cpu), why, counts, the last refusal and what is accounted where."""
        with self._lock:
            return {
                "mode": self._mode,
                "detail": self._detail,
                "min_headroom_ratio": self._min_ratio,
                "admitted": self._admitted,
                "refused": self._refused,
                "last_refusal": self._last_refusal,
                "models": {name: dict(entry) for name, entry in self._accounted.items()},
            }
