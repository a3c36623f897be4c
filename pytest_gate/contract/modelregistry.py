"""The model registry file (``models.toml``), parsed once for ``gate-vram`` and the serving stack.

Dependency-free, so the gate can read it without the serving extra. Format::

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

:func:`load_registry` validates all of it (the serving stack); :func:`expected_vram` reads only
what ``gate-vram --plan`` needs, ``expected_vram_bytes`` per model, with the same rules for it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gate.contract.sizes import SIZE_HELP, parse_bytes
from pytest_gate.core.readfile import FileReadError, read_limited

VRAM_KEY = "expected_vram_bytes"
MAX_REGISTRY_BYTES = 4 * 1024 * 1024
"""A model registry is a few KiB; a larger file is the wrong one."""
QUANTIZATIONS = ("none", "4bit", "8bit")
REQUIRED_KEYS = frozenset({"mode", "checkpoint", VRAM_KEY})
OPTIONAL_KEYS = frozenset({"revision", "quantization", "repair", "gpu", "sha256"})
BUILD_ONE = "build a tiny one with `python -m serving.tiny_models DIR`"


class RegistryError(ValueError):
    """The registry file is unusable; the message names the file, the entry, the key and the fix."""


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


def read_toml(path: Path) -> dict[str, Any]:
    """The registry file's TOML; a missing, unreadable or malformed file is a RegistryError."""
    try:
        raw = read_limited(path, MAX_REGISTRY_BYTES, "--registry")
    except FileReadError as error:
        if error.missing:
            raise RegistryError(
                f"model registry {path} does not exist; pass --registry PATH with an existing "
                f"file ({BUILD_ONE})"
            ) from None
        raise RegistryError(f"model registry {error} ({BUILD_ONE})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise RegistryError(
            f"model registry {path} is not UTF-8 text ({error.reason} at byte {error.start}); "
            "save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(f"model registry {path} is not valid TOML: {error}") from None
    except RecursionError:
        raise RegistryError(
            f"model registry {path} nests tables or arrays too deep to be a model registry; "
            f"remove the nesting ({BUILD_ONE})"
        ) from None


def model_tables(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The ``[models.<name>]`` tables; none at all is a RegistryError."""
    tables = data.get("models")
    if not isinstance(tables, dict) or not tables:
        raise RegistryError(
            f"{source}: no [models.<name>] tables; add one per model with {VRAM_KEY}"
        )
    return tables


def vram_bytes(value: Any, where: str) -> int:
    """``expected_vram_bytes``: a positive integer of bytes, or a size string such as ``"16GiB"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        try:
            return parse_bytes(value)
        except ValueError as error:
            raise RegistryError(f"{where} {VRAM_KEY}: {error}") from None
    raise RegistryError(
        f"{where} {VRAM_KEY} must be a positive number of bytes or {SIZE_HELP}, got {value!r}"
    )


def expected_vram(path: Path) -> dict[str, int]:
    """``{model: expected VRAM bytes}`` of the registry at ``path`` (``gate-vram --plan``).

    Only ``expected_vram_bytes`` is read; the serving stack's other keys are its own business.
    """
    tables = model_tables(read_toml(path), str(path))
    sizes: dict[str, int] = {}
    for name, entry in tables.items():
        where = f"{path}: [models.{name}]"
        if not isinstance(entry, dict) or VRAM_KEY not in entry:
            raise RegistryError(f"{where} lacks {VRAM_KEY}; add it ({SIZE_HELP})")
        sizes[name] = vram_bytes(entry[VRAM_KEY], where)
    return sizes


def load_registry(path: Path, modes: Sequence[str]) -> ModelRegistry:
    """Read and validate a registry file; relative checkpoint paths resolve against its folder."""
    return parse_registry(read_toml(path), base_dir=path.parent, source=str(path), modes=modes)


def parse_registry(
    data: Mapping[str, Any], base_dir: Path, source: str, modes: Sequence[str]
) -> ModelRegistry:
    """Validate parsed TOML ``data`` and build the registry: one model per mode (pure)."""
    unknown = set(data) - {"models"}
    if unknown:
        raise RegistryError(f"{source}: unknown top-level keys {sorted(unknown)}; only [models.*]")
    tables = model_tables(data, source)
    specs = tuple(
        _parse_entry(name, table, base_dir, source, modes) for name, table in tables.items()
    )
    _check_coverage(specs, source, modes)
    return ModelRegistry(models=specs, source=source)


def _parse_entry(
    name: str, table: Any, base_dir: Path, source: str, modes: Sequence[str]
) -> ModelSpec:
    where = f"{source}: [models.{name}]"
    if not isinstance(table, dict):
        raise RegistryError(f"{where} must be a table")
    missing = REQUIRED_KEYS - set(table)
    if missing:
        raise RegistryError(f"{where} lacks {', '.join(sorted(missing))}")
    unknown = set(table) - REQUIRED_KEYS - OPTIONAL_KEYS
    if unknown:
        raise RegistryError(f"{where} has unknown keys {sorted(unknown)}")
    mode = _typed(table, "mode", str, where)
    if mode not in modes:
        raise RegistryError(f"{where} mode {mode!r} is unknown; use one of {', '.join(modes)}")
    quantization = _typed(table, "quantization", str, where, "none")
    if quantization not in QUANTIZATIONS:
        raise RegistryError(f"{where} quantization {quantization!r}; use one of {QUANTIZATIONS}")
    vram = vram_bytes(table[VRAM_KEY], where)
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


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdefABCDEF" for ch in text)


def _check_coverage(specs: tuple[ModelSpec, ...], source: str, modes: Sequence[str]) -> None:
    for mode in modes:
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
