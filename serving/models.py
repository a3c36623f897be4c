"""Model registry (a TOML file) and the loader seam the app talks to; no web or torch imports.

Registry format::

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

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pytest_gate.vram.sizes import SIZE_HELP, parse_bytes
from serving.config import MODES

QUANTIZATIONS = ("none", "4bit", "8bit")
_REQUIRED_KEYS = frozenset({"mode", "checkpoint", "expected_vram_bytes"})
_OPTIONAL_KEYS = frozenset({"revision", "quantization", "repair", "gpu", "sha256"})


class RegistryError(ValueError):
    """The registry file is unusable; the message names the entry, the key and the fix."""


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry."""

    name: str
    mode: str
    checkpoint: str
    expected_vram_bytes: int
    revision: str | None = None
    quantization: str = "none"
    repair: bool = False
    gpu: int | None = None
    sha256: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        """True when ``checkpoint`` is a filesystem path rather than a hub id."""
        return self.checkpoint.startswith(("/", "./", "../"))

    @property
    def revision_label(self) -> str:
        """The revision as reported in metrics and cache keys ("unpinned" when not set)."""
        return self.revision or "unpinned"


@dataclass(frozen=True)
class ModelRegistry:
    """The models the server runs: one per mode, one of them also repairs invalid briefs."""

    models: tuple[ModelSpec, ...]
    source: str = "<memory>"

    @property
    def names(self) -> tuple[str, ...]:
        """Model names in registry order."""
        return tuple(spec.name for spec in self.models)

    def get(self, name: str) -> ModelSpec:
        """Return the model called ``name``; KeyError names the known models."""
        for spec in self.models:
            if spec.name == name:
                return spec
        raise KeyError(f"unknown model {name!r}; known models: {', '.join(self.names)}")

    def for_mode(self, mode: str) -> ModelSpec:
        """Return the model serving ``mode``."""
        for spec in self.models:
            if spec.mode == mode:
                return spec
        raise KeyError(f"no model serves mode {mode!r}")

    @property
    def repair_model(self) -> ModelSpec:
        """The schema-repair model."""
        return next(spec for spec in self.models if spec.repair)


def load_registry(path: Path) -> ModelRegistry:
    """Read and validate a registry file; relative checkpoint paths resolve against its folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(
            f"model registry {path} does not exist; pass --registry PATH (build a tiny one with "
            "`python -m serving.tiny_models DIR`)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"model registry {path} is not valid TOML: {exc}") from None
    return parse_registry(data, base_dir=path.parent, source=str(path))


def parse_registry(data: Mapping[str, Any], base_dir: Path, source: str) -> ModelRegistry:
    """Validate parsed TOML ``data`` and build the registry (pure)."""
    unknown = set(data) - {"models"}
    if unknown:
        raise RegistryError(f"{source}: unknown top-level keys {sorted(unknown)}; only [models.*]")
    tables = data.get("models")
    if not isinstance(tables, dict) or not tables:
        raise RegistryError(f"{source}: no [models.<name>] tables; add one per mode")
    specs = tuple(_parse_entry(name, table, base_dir, source) for name, table in tables.items())
    _check_coverage(specs, source)
    return ModelRegistry(models=specs, source=source)


def _parse_entry(name: str, table: Any, base_dir: Path, source: str) -> ModelSpec:
    where = f"{source}: [models.{name}]"
    if not isinstance(table, dict):
        raise RegistryError(f"{where} must be a table")
    missing = _REQUIRED_KEYS - set(table)
    if missing:
        raise RegistryError(f"{where} lacks {', '.join(sorted(missing))}")
    unknown = set(table) - _REQUIRED_KEYS - _OPTIONAL_KEYS
    if unknown:
        raise RegistryError(f"{where} has unknown keys {sorted(unknown)}")
    mode = _typed(table, "mode", str, where)
    if mode not in MODES:
        raise RegistryError(f"{where} mode {mode!r} is unknown; use one of {', '.join(MODES)}")
    quantization = _typed(table, "quantization", str, where, "none")
    if quantization not in QUANTIZATIONS:
        raise RegistryError(f"{where} quantization {quantization!r}; use one of {QUANTIZATIONS}")
    vram = _vram_bytes(table["expected_vram_bytes"], where)
    checkpoint = _typed(table, "checkpoint", str, where)
    if checkpoint.startswith(("./", "../")):
        checkpoint = str((base_dir / checkpoint).resolve())
    sha256 = _typed(table, "sha256", dict, where, {})
    for filename, digest in sha256.items():
        if not (isinstance(digest, str) and len(digest) == 64 and _is_hex(digest)):
            raise RegistryError(f"{where} sha256 of {filename!r} must be 64 hex digits")
    return ModelSpec(
        name=name,
        mode=mode,
        checkpoint=checkpoint,
        expected_vram_bytes=vram,
        revision=_typed(table, "revision", str, where, None),
        quantization=quantization,
        repair=_typed(table, "repair", bool, where, False),
        gpu=_typed(table, "gpu", int, where, None),
        sha256={k: v.lower() for k, v in sha256.items()},
    )


def _typed(table: Mapping[str, Any], key: str, kind: type, where: str, *default: Any) -> Any:
    if key not in table and default:
        return default[0]
    value = table[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise RegistryError(f"{where} {key} must be a {kind.__name__}, got {value!r}")
    return value


def _vram_bytes(value: Any, where: str) -> int:
    """An integer of bytes, or a size string such as ``"16GiB"`` (as ``gate-vram`` reads it)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        try:
            return parse_bytes(value)
        except ValueError as error:
            raise RegistryError(f"{where} expected_vram_bytes: {error}") from None
    raise RegistryError(f"{where} expected_vram_bytes must be {SIZE_HELP}, got {value!r}")


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdefABCDEF" for ch in text)


def _check_coverage(specs: tuple[ModelSpec, ...], source: str) -> None:
    for mode in MODES:
        serving = [spec.name for spec in specs if spec.mode == mode]
        if len(serving) != 1:
            raise RegistryError(
                f"{source}: mode {mode!r} needs exactly one model, found {serving or 'none'}"
            )
    repairers = [spec.name for spec in specs if spec.repair]
    if len(repairers) != 1:
        raise RegistryError(
            f"{source}: exactly one model needs repair = true, found {repairers or 'none'}"
        )


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
