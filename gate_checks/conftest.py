"""Wiring of the default gate: the prefetch plan, smoke-check selection and the live-service probes.

- ``pytest_gate_plan`` lists every query the enabled checks ask, so they are fetched concurrently
  before the first check runs.
- Smoke checks (``@pytest.mark.smoke``) talk to the deployed service. They are deselected unless
  the ``-m`` expression names ``smoke`` (``pytest gate_checks -m smoke --serving-url URL``), so a
  pre-deploy run never depends on a live service, and a post-deploy run is only the smoke checks.
- The smoke fixtures below do the HTTP; the checks only compare.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from pytest_gate.config import GateConfig
from pytest_gate.query import Answer, Query

from . import probe
from .queries import plan

SMOKE = "smoke"
BRIEF_PATH = "/v1/brief"
HEALTH_PATH = "/health"
METRICS_PATH = "/metrics"


def pytest_gate_plan(gate_config: GateConfig) -> Iterable[Query]:
    """Every query the default checks will ask (enabled, applicable checks only)."""
    return plan(gate_config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the smoke checks unless ``-m`` asks for them by name."""
    if SMOKE in (config.getoption("markexpr", "") or ""):
        return
    smoke = [item for item in items if item.get_closest_marker(SMOKE) is not None]
    if not smoke:
        return
    config.hook.pytest_deselected(items=smoke)
    items[:] = [item for item in items if item.get_closest_marker(SMOKE) is None]


@pytest.fixture(scope="session")
def served_health(serving_url: str, gate_config: GateConfig) -> Answer:
    """``GET /health`` of the live service: its HTTP status."""
    fetched = probe.fetch("GET", serving_url + HEALTH_PATH, gate_config.smoke.timeout_seconds)
    return probe.health(fetched)


@pytest.fixture(scope="session")
def served_metrics(serving_url: str, gate_config: GateConfig) -> probe.Fetched:
    """``GET /metrics`` of the live service (read by two checks, fetched once)."""
    return probe.fetch("GET", serving_url + METRICS_PATH, gate_config.smoke.timeout_seconds)


@pytest.fixture(scope="session")
def served_models(served_metrics: probe.Fetched, gate_config: GateConfig) -> Answer:
    """Whether every configured model reports loaded on the live ``/metrics``."""
    models = gate_config.checks.models_loaded.models
    return probe.models_loaded(served_metrics, gate_config.metrics.model_loaded, models)


@pytest.fixture(scope="session")
def served_names(served_metrics: probe.Fetched, gate_config: GateConfig) -> Answer:
    """Whether the live ``/metrics`` exposes every serving name of ``[metrics]``."""
    return probe.names_exposed(served_metrics, gate_config.metrics.serving_names())


@pytest.fixture(scope="session")
def served_brief(serving_url: str, gate_config: GateConfig) -> Answer:
    """One real ``POST /v1/brief``, checked field by field against the brief contract."""
    smoke = gate_config.smoke
    payload = {"text": smoke.brief_text, "mode": smoke.brief_mode}
    fetched = probe.fetch("POST", serving_url + BRIEF_PATH, smoke.timeout_seconds, payload)
    return probe.brief_fields(fetched)
