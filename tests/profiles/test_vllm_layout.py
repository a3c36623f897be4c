"""The vllm profile is self-contained: public API imports only, one table per check, shipped."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from tests.profiles.conftest import PROFILE_DIR, ROOT

SEVERITIES = {"critical", "warning"}


def _modules() -> list[Path]:
    return sorted(PROFILE_DIR.glob("*.py"))


def _checks() -> dict[str, set[str]]:
    """Every check function of the profile and its markers."""
    found: dict[str, set[str]] = {}
    for path in _modules():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found[node.name] = {
                    d.attr for d in node.decorator_list if isinstance(d, ast.Attribute)
                }
    return found


def test_profile_imports_only_the_public_api() -> None:
    """Copied anywhere, the profile needs nothing but ``pytest_gate``'s public names."""
    deep = [
        f"{path.name}: {node.module}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and node.level == 0
        and node.module is not None
        and node.module.startswith("pytest_gate.")
    ]
    assert deep == []


def test_every_check_has_its_table_and_one_severity() -> None:
    """Each check's [checks.<name>] table exists (and no table lacks a check); one severity each."""
    config = tomllib.loads((PROFILE_DIR / "gate.toml").read_text())
    checks = _checks()
    assert {name.removeprefix("test_") for name in checks} == set(config["checks"])
    assert {name: len(markers & SEVERITIES) for name, markers in checks.items()} == {
        name: 1 for name in checks
    }


def test_profile_ships_its_gate_toml_as_package_data() -> None:
    """The wheel carries the profile's gate.toml (its modules are package modules already)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["pytest_gate"]
    shipped = {
        p.relative_to(ROOT / "pytest_gate")
        for p in (ROOT / "pytest_gate").glob(next(p for p in patterns if p.endswith(".toml")))
    }
    assert Path("profiles/vllm/gate.toml") in shipped


def test_repository_test_run_does_not_collect_the_profile() -> None:
    """The repository's own pytest run collects tests/ only, never the shipped profile's checks."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
