"""gate-init writes a profile's gate into a project, never overwriting, and finds profiles by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gate import gateinit

ROOT = Path(__file__).resolve().parents[2]


def test_default_profile_is_the_repository_gate_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gate-init DIR` writes every file of gate_checks/ and says what it wrote and what is next."""
    target = tmp_path / "gate"
    assert gateinit.main([str(target)]) == gateinit.EXIT_OK
    expected = gateinit.files_of(ROOT / "gate_checks")
    assert gateinit.files_of(target) == expected
    assert (target / "gate.toml").read_text() == (ROOT / "gate_checks" / "gate.toml").read_text()
    out = capsys.readouterr().out
    assert f"Wrote the default gate to {target}: {len(expected)} files" in out
    assert f"pytest {target} --prometheus-url" in out


def test_nothing_is_overwritten_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One existing file refuses the whole write (exit 1) and names the file."""
    target = tmp_path / "gate"
    target.mkdir()
    (target / "gate.toml").write_text("# mine\n")
    assert gateinit.main([str(target)]) == gateinit.EXIT_REFUSED
    assert (target / "gate.toml").read_text() == "# mine\n"
    assert [p.name for p in target.iterdir()] == ["gate.toml"]
    assert "already holds gate.toml; nothing was written" in capsys.readouterr().err


def test_any_installed_profile_is_found_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory with gate.toml under pytest_gate/profiles/ is a profile (how vllm ships)."""
    profiles = tmp_path / "profiles"
    (profiles / "engine-x").mkdir(parents=True)
    (profiles / "engine-x" / "gate.toml").write_text("[gate]\n")
    (profiles / "engine-x" / "test_engine.py").write_text("def test_x():\n    pass\n")
    (profiles / "engine-x" / "__pycache__").mkdir()
    (profiles / "engine-x" / "__pycache__" / "x.pyc").write_bytes(b"")
    monkeypatch.setattr(gateinit, "PROFILES_DIR", profiles)
    assert gateinit.profiles() == ["default", "engine-x"]
    target = tmp_path / "project" / "gate_checks"
    assert gateinit.main([str(target), "--profile", "engine-x"]) == gateinit.EXIT_OK
    assert sorted(p.name for p in target.iterdir()) == ["gate.toml", "test_engine.py"]
    assert "Wrote the engine-x gate" in capsys.readouterr().out


def test_an_unknown_profile_lists_the_installed_ones(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt profile is a usage error naming the choices."""
    assert gateinit.main(["x", "--profile", "nope"]) == gateinit.EXIT_USAGE
    assert "no profile 'nope'; pick one of: default" in capsys.readouterr().err
