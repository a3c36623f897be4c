"""The model registry file: the tiny and production registries load, bad entries are named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from serving.models import ModelRegistry, RegistryError, load_registry, parse_registry

PRODUCTION = Path(__file__).parents[2] / "serving" / "models.toml"


def _entry(mode: str, **extra: Any) -> dict[str, Any]:
    return {"mode": mode, "checkpoint": f"org/{mode}", "expected_vram_bytes": 1024, **extra}


def _three(**overrides: Any) -> dict[str, Any]:
    models = {
        "qwen_32b": _entry("creative"),
        "llama3_8b": _entry("balanced"),
        "mistral_7b": _entry("fast", repair=True),
    }
    for name, changes in overrides.items():
        models[name] = {**models[name], **changes}
    return {"models": models}


def test_production_registry_names_the_three_models() -> None:
    """The bundled registry: qwen_32b creative, llama3_8b balanced, mistral_7b fast + repair."""
    registry = load_registry(PRODUCTION)
    assert [(s.name, s.mode) for s in registry.models] == [
        ("qwen_32b", "creative"),
        ("llama3_8b", "balanced"),
        ("mistral_7b", "fast"),
    ]
    assert registry.repair_model.name == "mistral_7b"


def test_production_registry_sizes_are_16_5_4_gib() -> None:
    """Expected VRAM 16 / 5 / 4 GiB, written as size strings."""
    sizes = [spec.expected_vram_bytes for spec in load_registry(PRODUCTION).models]
    assert sizes == [16 * 2**30, 5 * 2**30, 4 * 2**30]


def test_production_registry_quantizes_to_4bit() -> None:
    """Every production model loads in 4-bit on GPUs."""
    assert {spec.quantization for spec in load_registry(PRODUCTION).models} == {"4bit"}


def test_tiny_registry_pins_weights_and_resolves_paths(tiny_registry: ModelRegistry) -> None:
    """The tiny registry pins a SHA-256 per checkpoint and points at absolute folders."""
    for spec in tiny_registry.models:
        assert spec.is_local and Path(spec.checkpoint).is_dir()
        assert list(spec.sha256) == ["model.safetensors"]
        assert spec.revision_label.startswith("tiny-")


def test_missing_file_says_how_to_build_one(tmp_path: Path) -> None:
    """A registry path that does not exist names the tiny-model builder."""
    with pytest.raises(RegistryError, match=r"python -m serving\.tiny_models"):
        load_registry(tmp_path / "nope.toml")


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    """A file that is not TOML says so."""
    path = tmp_path / "registry.toml"
    path.write_text("[models.qwen_32b\n")
    with pytest.raises(RegistryError, match="not valid TOML"):
        load_registry(path)


BAD_REGISTRIES = {
    "no models": ({"models": {}}, "no \\[models.<name>\\] tables"),
    "unknown top-level key": ({**_three(), "extra": 1}, "unknown top-level keys"),
    "missing key": (
        {"models": {"qwen_32b": {"mode": "creative", "checkpoint": "x"}}},
        "\\[models.qwen_32b\\] lacks expected_vram_bytes",
    ),
    "wrong type": (_three(qwen_32b={"checkpoint": None}), "checkpoint must be a str"),
    "unknown entry key": (_three(qwen_32b={"colour": "red"}), "unknown keys \\['colour'\\]"),
    "unknown mode": (_three(qwen_32b={"mode": "turbo"}), "mode 'turbo' is unknown"),
    "two models for a mode": (_three(qwen_32b={"mode": "fast"}), "mode 'creative' needs exactly"),
    "no repair model": (_three(mistral_7b={"repair": False}), "exactly one model needs repair"),
    "bad quantization": (_three(qwen_32b={"quantization": "3bit"}), "quantization '3bit'"),
    "bad size": (_three(qwen_32b={"expected_vram_bytes": "lots"}), "expected_vram_bytes"),
    "zero size": (_three(qwen_32b={"expected_vram_bytes": 0}), "expected_vram_bytes must be"),
    "short digest": (_three(qwen_32b={"sha256": {"model.safetensors": "abc"}}), "64 hex digits"),
}


@pytest.mark.parametrize(("data", "message"), BAD_REGISTRIES.values(), ids=BAD_REGISTRIES.keys())
def test_bad_registry_names_the_problem(data: dict[str, Any], message: str) -> None:
    """Each defect raises RegistryError naming the entry and the key."""
    with pytest.raises(RegistryError, match=message):
        parse_registry(data, base_dir=Path("."), source="registry.toml")


def test_relative_checkpoint_resolves_against_the_registry_folder(tmp_path: Path) -> None:
    """``./qwen2`` means the folder next to the registry file."""
    data = _three(qwen_32b={"checkpoint": "./qwen2"})
    registry = parse_registry(data, base_dir=tmp_path, source="r.toml")
    assert registry.get("qwen_32b").checkpoint == str(tmp_path / "qwen2")


def test_unknown_model_lookup_lists_known_models() -> None:
    """Asking for a model that is not there names the ones that are."""
    registry = parse_registry(_three(), base_dir=Path("."), source="r.toml")
    with pytest.raises(KeyError, match="qwen_32b, llama3_8b, mistral_7b"):
        registry.get("gpt_5")
