"""pytest-json-report and pytest-timeout ship with the gate: dependencies, not dev tools.

A user's ``pip install pytest-gate`` brings both, and a plain ``pytest gate_checks`` (plugin
autoload on, as after that install) has ``--json-report`` carrying the gate section and
``--timeout`` ending a hanging check with the gate's verdict.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from tests.plugin.suite import load_strict, write_check

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
SHIPPED = ("pytest-json-report", "pytest-timeout")


def requirement_names(requirements: list[str]) -> set[str]:
    """``{"pytest-timeout", ...}`` of requirement strings like ``pytest-timeout>=2.3``."""
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_json_report_and_timeout_are_dependencies_of_the_plugin() -> None:
    """Both are in [project] dependencies (installed with the plugin), not only in the dev extra."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    assert set(SHIPPED) <= requirement_names(project["dependencies"])
    assert not set(SHIPPED) & requirement_names(project["optional-dependencies"]["dev"])


def test_plain_pytest_has_json_report_and_timeout_with_the_gate(
    pytester: pytest.Pytester, gate_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With autoload on, --timeout ends a hanging warning check (WARNING, reason kept) and
    --json-report carries the gate section beside pytest's own exit code."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.delenv("PYTEST_PLUGINS")
    write_check(
        gate_suite,
        "hang",
        "import time\n@pytest.mark.warning\ndef test_hang():\n    time.sleep(30)\n",
    )
    result = pytester.runpytest_subprocess(
        "gate_checks",
        *("--timeout", "1", "--gate-report", "r.json"),
        *("--json-report", "--json-report-file", "pj.json"),
    )
    assert result.ret == 1, result.stdout.str()[-2000:]
    data = json.loads((pytester.path / "pj.json").read_text())
    assert (data["gate"]["verdict"], data["gate_exitcode"]) == ("WARNING", 1)
    hang = next(c for c in load_strict(pytester.path / "r.json")["checks"])
    assert (hang["outcome"], "Timeout" in hang["message"]) == ("error", True), hang["message"]
