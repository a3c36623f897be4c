"""The model registry for the serving modes, and the loader seam the app talks to.

No web or torch imports. The file format (documented there) and its parser live once in
:mod:`pytest_gate.contract.modelregistry`; ``gate-vram`` reads the same file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from pytest_gate.contract import modelregistry
from pytest_gate.contract.modelregistry import ModelRegistry, ModelSpec, RegistryError
from serving.config import MODES

__all__ = ["ModelRegistry", "ModelSpec", "RegistryError", "load_registry", "parse_registry"]


def load_registry(path: Path) -> ModelRegistry:
    """Read and validate a registry file for the serving modes (:mod:`pytest_gate.contract.modelregistry`)."""
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
