"""Serving fixtures: tiny checkpoints built once per session, live servers on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Nothing in the serving tests may download: a mistyped checkpoint id must fail fast. Set before
# anything imports huggingface_hub, which reads these once.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from serving.config import Settings
from serving.models import ModelRegistry, load_registry
from serving.tiny_models import build_tiny_models
from tests.serving.live_server import TOKEN, LiveServer, serve


@pytest.fixture(scope="session")
def tiny_registry_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``registry.toml`` of three tiny random checkpoints (Qwen2, Llama, Mistral)."""
    import torch

    # Tiny models decode faster on one thread than on two competing ones (measured here).
    torch.set_num_threads(1)
    return build_tiny_models(tmp_path_factory.mktemp("tiny_models"))


@pytest.fixture(scope="session")
def tiny_registry(tiny_registry_path: Path) -> ModelRegistry:
    """The tiny registry, parsed."""
    return load_registry(tiny_registry_path)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Default settings with the test admin token, on CPU."""
    return Settings(admin_token=TOKEN, device="cpu")


@pytest.fixture(scope="session")
def server(tiny_registry: ModelRegistry, settings: Settings) -> Iterator[LiveServer]:
    """A live server with the tiny models, shared by the tests that do not change its state."""
    with serve(settings, tiny_registry) as live:
        yield live
