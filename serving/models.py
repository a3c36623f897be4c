"""The model registry for the serving modes, and the loader seam the app talks to.

No web or torch imports. The file format and its parser live once in
:mod:`pytest_gate.modelregistry` (``gate-vram`` reads the same file); format::

    [models.qwen_32b]
    mode = "creative"                       # creative | balanced | fast
    checkpoint = "Qwen/Qwen2.5-32B-Instruct" # hub id, or a path starting with ./ ../ or /
    revision = "main"                       # optional: hub revision, reported in llm_model_info
    quantization = "4bit"                   # none | 4bit | 8bit (applied on CUDA only)
    expected_vram_bytes = "16GiB"           # admission estimate: bytes, or a size string
    repair = false                          # exactly one model repairs invalid briefs
    gpu = 0                                 # optional: pin to this GPU index
    [models.qwen_32b.sha256]                # optional: weight file -> expected SHA-256
    "model.safetensors" = "9f86d0..."
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from pytest_gate import modelregistry
from pytest_gate.modelregistry import ModelRegistry, ModelSpec, RegistryError
from serving.config import MODES

__all__ = ["ModelRegistry", "ModelSpec", "RegistryError", "load_registry", "parse_registry"]


def load_registry(path: Path) -> ModelRegistry:
    """Read and validate a registry file for the serving modes (:mod:`pytest_gate.modelregistry`)."""
    return modelregistry.load_registry(path, MODES)


def parse_registry(data: Mapping[str, Any], base_dir: Path, source: str) -> ModelRegistry:
    """Validate parsed TOML ``data`` for the serving modes and build the registry (pure)."""
    return modelregistry.parse_registry(data, base_dir, source, MODES)


class ModelReleased(RuntimeError):
    """``generate`` was called on a model whose weights were already released (unloaded)."""


class LoadedModel(Protocol):
    """A model in memory that can write (and repair) briefs."""

    @property
    def device(self) -> str:
        """Where the weights live: ``cpu`` or ``cuda:N``."""

    @property
    def footprint_bytes(self) -> int:
        """Bytes taken by weights and buffers on ``device``."""

    def generate(
        self, messages: Sequence[Mapping[str, str]], guided: bool, max_new_tokens: int
    ) -> str:
        """Complete chat ``messages``; with ``guided`` the output follows the brief grammar.

        Raises :class:`ModelReleased` after :meth:`release`.
        """

    def release(self) -> None:
        """Drop the weights and free device memory."""


class ModelLoader(Protocol):
    """Turns a registry entry into a loaded model (the app's backend seam)."""

    def load(self, spec: ModelSpec, device: str) -> LoadedModel:
        """Load ``spec`` onto ``device`` (``cpu`` or ``cuda:N``); raise on failure."""
