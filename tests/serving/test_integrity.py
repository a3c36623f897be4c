"""Weight pins: a SHA-256 mismatch refuses the load, directly and through the admin API."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving.config import Settings
from serving.integrity import IntegrityError
from serving.loader import TransformersLoader
from serving.models import ModelRegistry, load_registry
from tests.serving.live_server import TOKEN, LiveServer, serve

WRONG_DIGEST = "0" * 64


@pytest.fixture
def tampered_registry(tiny_registry_path: Path, tmp_path: Path) -> ModelRegistry:
    """The tiny registry with qwen_32b's weight pin changed (as if the weights were swapped)."""
    registry = load_registry(tiny_registry_path)
    digest = registry.get("qwen_32b").sha256["model.safetensors"]
    text = tiny_registry_path.read_text().replace(digest, WRONG_DIGEST)
    text = text.replace('checkpoint = "./', f'checkpoint = "{tiny_registry_path.parent}/')
    path = tmp_path / "registry.toml"
    path.write_text(text)
    return load_registry(path)


def test_pinned_weights_load(tiny_registry: ModelRegistry) -> None:
    """Matching pins: the model loads and reports where it lives."""
    model = TransformersLoader().load(tiny_registry.get("qwen_32b"), "cpu")
    assert (model.device, model.footprint_bytes > 0) == ("cpu", True)


def test_mismatched_pin_refuses_the_load(tampered_registry: ModelRegistry) -> None:
    """A changed SHA-256 raises IntegrityError naming file, actual and pinned digests."""
    with pytest.raises(
        IntegrityError, match=f"model.safetensors has sha256 .* pins {WRONG_DIGEST}"
    ):
        TransformersLoader().load(tampered_registry.get("qwen_32b"), "cpu")


def test_missing_pinned_file_refuses_the_load(tiny_registry: ModelRegistry) -> None:
    """A pinned file that is not in the checkpoint is an integrity error too."""
    spec = tiny_registry.get("llama3_8b")
    moved = dataclasses.replace(spec, sha256={"model-2.safetensors": WRONG_DIGEST})
    with pytest.raises(IntegrityError, match=r"pinned file model-2\.safetensors is missing"):
        TransformersLoader().load(moved, "cpu")


@pytest.fixture
def tampered_server(tampered_registry: ModelRegistry) -> Iterator[LiveServer]:
    """A server over the tampered registry."""
    with serve(Settings(admin_token=TOKEN, device="cpu"), tampered_registry) as live:
        yield live


def test_server_reports_the_failed_integrity_check(tampered_server: LiveServer) -> None:
    """The tampered model is ``failed`` in /health (503) with the digest reason; others load."""
    health = tampered_server.client.get("/health")
    assert health.status_code == 503
    qwen = health.json()["models"]["qwen_32b"]
    assert qwen["status"] == "failed" and "sha256" in qwen["reason"]
    assert health.json()["missing"] == ["qwen_32b"]


def test_admin_load_with_mismatched_pin_is_409(tampered_server: LiveServer) -> None:
    """POST /admin/model/load of the tampered model answers 409 integrity."""
    response = tampered_server.admin("POST", "/admin/model/load", json={"model": "qwen_32b"})
    assert response.status_code == 409
    assert response.json()["error"] == "integrity"
