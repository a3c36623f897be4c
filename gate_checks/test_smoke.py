"""Post-deploy smoke checks against the live service (``-m smoke --serving-url URL``).

The fixtures in ``conftest.py`` do the HTTP; these checks only compare what came back.
"""

from __future__ import annotations

import pytest

from pytest_gate import Answer, Observer

from .probe import HELD, HTTP_OK, LOADED, PRESENT


@pytest.mark.smoke
@pytest.mark.critical
def test_serving_health(gate: Observer, served_health: Answer) -> None:
    """Serving health

    GET /health answers 200 (the service says every required model is loaded).
    """
    gate.expect(served_health, "==", HTTP_OK, what="GET /health status", unit="")


@pytest.mark.smoke
@pytest.mark.critical
def test_models_loaded(gate: Observer, served_models: Answer) -> None:
    """Models loaded

    The live /metrics reports every configured model loaded (model_loaded == 1).
    """
    gate.expect(served_models, "==", LOADED, what="model loaded", unit="", label_keys=("model",))


@pytest.mark.smoke
@pytest.mark.critical
def test_brief_valid(gate: Observer, served_brief: Answer) -> None:
    """Brief valid

    One real POST /v1/brief returns a brief that holds every rule of the brief contract.
    """
    gate.expect(served_brief, "==", HELD, what="brief contract violated", unit="")


@pytest.mark.smoke
@pytest.mark.critical
def test_metrics_exposed(gate: Observer, served_names: Answer) -> None:
    """Metrics exposed

    The live /metrics exposes every serving metric name the gate reads ([metrics]).
    """
    gate.expect(served_names, "==", PRESENT, what="metric exposed", unit="", label_keys=("name",))
