"""Fixtures for black-box plugin tests."""

from __future__ import annotations

from pathlib import Path

import pytest

PLUGINS = "pytest_gate.plugin,xdist.plugin,pytest_timeout,pytest_jsonreport.plugin"
GATE_INI = "[pytest]\ngate = true\n"


@pytest.fixture
def gate_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty gate-checks directory, with gate mode on (ini ``gate = true``) and a clean
    environment. Tests that write their own ini start it with :data:`GATE_INI`."""
    for name in (
        "GITHUB_STEP_SUMMARY",
        "GATE_PROMETHEUS_URL",
        "GATE_DEADLINE",
        "GATE_GPU_SOURCE",
        "GATE_SERVING_URL",
        "GATE_PUSHGATEWAY_URL",
        "GATE_ENVIRONMENT",
    ):
        monkeypatch.delenv(name, raising=False)
    # Only the plugins these tests exercise: autoloading every installed plugin (schemathesis,
    # hypothesis...) costs seconds in each subprocess and xdist worker.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", PLUGINS)
    pytester.makeini(GATE_INI)
    return pytester.mkdir("gate_checks")
