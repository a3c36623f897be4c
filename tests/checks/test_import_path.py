"""The default gate imports nothing of the serving stack (torch, transformers, FastAPI)."""

from __future__ import annotations

import subprocess
import sys

from tests.checks.conftest import GATE_DIR, ROOT

HEAVY = ("torch", "transformers", "fastapi", "pydantic", "serving")


def test_importing_every_gate_module_loads_no_serving_dependency() -> None:
    """Every module of gate_checks imports without torch, transformers, FastAPI or serving."""
    modules = sorted(p.stem for p in GATE_DIR.glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('gate_checks.' + name)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
