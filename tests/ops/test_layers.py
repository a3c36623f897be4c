"""scripts/layers.py: the package import graph points down only, within eight floors."""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.ops.paths import LAYERS


@pytest.fixture(scope="module")
def layers() -> ModuleType:
    """The script as a module (it is not a package member)."""
    spec = importlib.util.spec_from_file_location("layers", LAYERS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["layers"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def _tree(root: Path, modules: dict[str, str]) -> Path:
    """A fake ``pytest_gate`` under ``root``: path -> source."""
    for relative, source in modules.items():
        path = root / "pytest_gate" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


def test_the_repository_follows_the_order(layers: ModuleType) -> None:
    """No cycle, no arrow up, at most eight floors, every package placed in the order."""
    text, problems = layers.check()
    assert problems == []
    assert text.splitlines()[0].startswith("plugin")


def test_the_script_exits_0_and_prints_the_graph() -> None:
    """``python scripts/layers.py`` is what .ci/run runs."""
    result = subprocess.run(
        [sys.executable, str(LAYERS)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "core      floor 1" in result.stdout
    assert "OK: no cycle, no arrow up" in result.stdout


def test_an_arrow_up_and_a_cycle_fail(layers: ModuleType, tmp_path: Path) -> None:
    """core importing output points up; output and core then form a cycle."""
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "core/__init__.py": "",
            "core/decision.py": "from pytest_gate.output.terminal import LIGHTS\n",
            "output/__init__.py": "",
            "output/terminal.py": "from ..core import decision\nLIGHTS = {}\n",
        },
    )
    graph = layers.arrows(root)
    assert layers.bad_arrows(graph) == ["core -> output points up (pytest_gate/core/decision.py)"]
    assert layers.cycles(graph) == [["core", "output", "core"]]


def test_a_package_importing_the_public_api_back_fails(layers: ModuleType, tmp_path: Path) -> None:
    """``from pytest_gate import Observer`` inside the plugin points at the top."""
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "run/__init__.py": "",
            "run/fixtures.py": "from pytest_gate import Observer, __version__\n",
        },
    )
    problems = layers.bad_arrows(layers.arrows(root))
    assert problems == ["run imports the public API back (pytest_gate/run/fixtures.py)"]


def test_an_unknown_package_and_too_many_floors_fail(layers: ModuleType) -> None:
    """A package missing from LAYERS is named; nine floors are one too many."""
    arrow = layers.Arrow
    order = [
        name
        for names in reversed(layers.LAYERS)
        for name in names
        if name not in ("gpu", "contract")
    ]
    graph = [arrow(a, b, "x.py") for a, b in itertools.pairwise(order)]
    assert len(order) == 9
    assert layers.problems_of(graph) == ["9 floors; at most 8"]
    assert layers.problems_of(graph[1:]) == []
    assert layers.bad_arrows([arrow("newpkg", "core", "x.py")]) == [
        "package 'newpkg' is not in scripts/layers.py LAYERS (x.py)"
    ]


def test_a_shipped_check_suite_imports_only_the_public_api(
    layers: ModuleType, tmp_path: Path
) -> None:
    """profiles/ may import pytest_gate itself, never a deep path, and nothing may import it."""
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "profiles/__init__.py": "",
            "profiles/vllm/test_x.py": "from pytest_gate import Observer\n",
            "profiles/vllm/answers.py": "from pytest_gate.core.query import Answer\n",
            "core/__init__.py": "",
            "core/query.py": "",
        },
    )
    problems = layers.bad_arrows(layers.arrows(root))
    assert problems == [
        "profiles -> core: check suites import only the public API and nothing imports them "
        "(pytest_gate/profiles/vllm/answers.py)"
    ]
