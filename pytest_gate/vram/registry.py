"""The models a plan considers: a TOML model registry and ``--model NAME=BYTES`` options.

The registry is the serving stack's model file, parsed by :mod:`pytest_gate.contract.modelregistry`: one
``[models.<name>]`` table per model with at least ``expected_vram_bytes`` (an integer, or a size
string such as ``"16GiB"``); other keys are the serving side's and are ignored here.
"""

from __future__ import annotations

from pathlib import Path

from pytest_gate.contract.modelregistry import RegistryError, expected_vram, vram_bytes

__all__ = ["RegistryError", "load_registry", "parse_model_option"]


def load_registry(path: Path) -> dict[str, int]:
    """Return ``{model name: expected VRAM bytes}`` from the registry file at ``path``."""
    return expected_vram(path)


def parse_model_option(text: str) -> tuple[str, int]:
    """Parse one ``--model NAME=BYTES`` value."""
    name, sep, size = text.partition("=")
    if not sep or not name.strip():
        raise RegistryError(f"--model {text!r} is not NAME=BYTES; write e.g. qwen_32b=16GiB")
    return name.strip(), vram_bytes(size.strip(), f"--model {name.strip()}")
