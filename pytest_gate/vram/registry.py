"""The models a plan considers: a TOML model registry and ``--model NAME=BYTES`` options.

The registry is the serving stack's model file: one ``[models.<name>]`` table per model with at
least ``expected_vram_bytes`` (an integer, or a size string such as ``"16GiB"``); other keys are
the serving side's and are ignored here.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pytest_gate.vram.sizes import SIZE_HELP, parse_bytes

VRAM_KEY = "expected_vram_bytes"


class RegistryError(ValueError):
    """The registry file or a ``--model`` value is unusable; the message names the fix."""


def _size(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise RegistryError(f"{where} is {value!r}; write {SIZE_HELP}")
    if isinstance(value, int):
        if value <= 0:
            raise RegistryError(f"{where} is {value}; it must be a positive number of bytes")
        return value
    if isinstance(value, str):
        try:
            return parse_bytes(value)
        except ValueError as error:
            raise RegistryError(f"{where}: {error}") from error
    raise RegistryError(f"{where} is {value!r}; write {SIZE_HELP}")


def load_registry(path: Path) -> dict[str, int]:
    """Return ``{model name: expected VRAM bytes}`` from the registry file at ``path``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RegistryError(
            f"cannot read model registry {path}: {error.strerror}; pass an existing file to "
            "--registry"
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(f"model registry {path} is not valid TOML: {error}") from error
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise RegistryError(
            f"model registry {path} has no [models.<name>] tables; add one per model with "
            f"{VRAM_KEY}"
        )
    sizes: dict[str, int] = {}
    for name, entry in models.items():
        if not isinstance(entry, dict) or VRAM_KEY not in entry:
            raise RegistryError(
                f"model registry {path}: [models.{name}] lacks {VRAM_KEY}; add it ({SIZE_HELP})"
            )
        sizes[name] = _size(entry[VRAM_KEY], f"{path}: models.{name}.{VRAM_KEY}")
    return sizes


def parse_model_option(text: str) -> tuple[str, int]:
    """Parse one ``--model NAME=BYTES`` value."""
    name, sep, size = text.partition("=")
    if not sep or not name.strip():
        raise RegistryError(f"--model {text!r} is not NAME=BYTES; write e.g. qwen_32b=16GiB")
    return name.strip(), _size(size.strip(), f"--model {name.strip()}")
