"""Command lines: ``python -m serving.tiny_models DIR`` and ``python -m serving`` input errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving import tiny_models
from serving.__main__ import main
from serving.models import load_registry
from serving.tiny_models import WEIGHTS_FILE

ONE_MB = 1_000_000


def test_tiny_models_are_small_real_checkpoints(tiny_registry_path: Path) -> None:
    """Each tiny checkpoint is under 1 MB and holds config, weights and a tokenizer."""
    for family in ("qwen2", "llama", "mistral"):
        folder = tiny_registry_path.parent / family
        assert {"config.json", WEIGHTS_FILE, "tokenizer.json"} <= {p.name for p in folder.iterdir()}
        assert sum(p.stat().st_size for p in folder.iterdir()) < ONE_MB


def test_tiny_models_cli_writes_a_loadable_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The module's CLI prints the registry path, and that registry loads."""
    assert tiny_models.main([str(tmp_path / "tm")]) == 0
    registry = load_registry(Path(capsys.readouterr().out.strip()))
    assert registry.names == ("qwen_32b", "llama3_8b", "mistral_7b")


def test_serving_with_missing_registry_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong --registry path: exit 2 and a message naming the fix, no traceback."""
    code = main(["--registry", str(tmp_path / "missing.toml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "does not exist; pass --registry PATH" in err


def test_serving_with_bad_setting_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad SERVING_* variable: exit 2 naming the variable."""
    monkeypatch.setenv("SERVING_WORKERS", "many")
    code = main(["--registry", str(tmp_path / "r.toml")])
    assert code == 2
    assert "SERVING_WORKERS='many' is not an integer" in capsys.readouterr().err
