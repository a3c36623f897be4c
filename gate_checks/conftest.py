"""Wiring of the default gate: the prefetch plan, smoke-check selection and the live-service probes.

- ``pytest_gate_plan`` lists every query the enabled checks ask, so they are fetched concurrently
  before the first check runs.
- Smoke checks (``@pytest.mark.smoke``) talk to the deployed service. They are deselected unless
  the ``-m`` expression names ``smoke`` (``pytest gate_checks -m smoke --serving-url URL``), so a
  pre-deploy run never depends on a live service, and a post-deploy run is only the smoke checks.
- Canary checks (``@pytest.mark.canary``) compare a canary with its baseline; like the smoke
  checks they run only when ``-m`` names ``canary`` (``-m canary --gate-canary ...
  --gate-baseline ...``), and their queries are fetched together on first use.
- The smoke fixtures below do the HTTP through the gate's ``service`` client (inside
  ``--gate-deadline``); the checks only compare.
- ``targets_up`` answers the scrape-targets check of one part, or ends it as not_applicable when
  no enabled check reads that part here (the GPU snapshot is opened only for the GPU exporter).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from pytest_gate import (
    Answer,
    CanarySelection,
    Fetched,
    GateConfig,
    MetricSnapshot,
    Observer,
    Query,
    ServiceClient,
    requiring,
)

from . import probe
from .queries import GPU_EXPORTER_PART, JOB, canary_plan, plan, scrape_targets, target_jobs

SMOKE = "smoke"
CANARY = "canary"
ON_REQUEST = (SMOKE, CANARY)
"""Markers of checks that run only when the ``-m`` expression names them."""
BRIEF_PATH = "/v1/brief"
HEALTH_PATH = "/health"
METRICS_PATH = "/metrics"


def pytest_gate_plan(gate_config: GateConfig) -> Iterable[Query]:
    """Every query the default checks will ask (enabled, applicable checks only)."""
    return plan(gate_config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the smoke and canary checks unless ``-m`` asks for them by name."""
    expression = config.getoption("markexpr", "") or ""
    for marker in ON_REQUEST:
        if marker in expression:
            continue
        left_out = [item for item in items if item.get_closest_marker(marker) is not None]
        if not left_out:
            continue
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.get_closest_marker(marker) is None]


@pytest.fixture(scope="session")
def canary_metrics(
    canary_selection: CanarySelection, metrics: MetricSnapshot, gate_config: GateConfig
) -> MetricSnapshot:
    """The metric snapshot with every canary query of both sides fetched concurrently."""
    metrics.prefetch(canary_plan(gate_config, canary_selection))
    return metrics


@pytest.fixture(scope="session")
def served_health(service: ServiceClient, gate_config: GateConfig) -> Answer:
    """``GET /health`` of the live service: its HTTP status."""
    return probe.health(service.get(HEALTH_PATH, gate_config.smoke.timeout_seconds))


@pytest.fixture(scope="session")
def served_metrics(service: ServiceClient, gate_config: GateConfig) -> Fetched:
    """``GET /metrics`` of the live service (read by two checks, fetched once)."""
    return service.get(METRICS_PATH, gate_config.smoke.timeout_seconds)


@pytest.fixture(scope="session")
def served_models(served_metrics: Fetched, gate_config: GateConfig) -> Answer:
    """Whether every configured model reports loaded on the live ``/metrics``."""
    models = gate_config.checks.models_loaded.models
    return probe.models_loaded(served_metrics, gate_config.metrics.model_loaded, models)


@pytest.fixture(scope="session")
def served_names(served_metrics: Fetched, gate_config: GateConfig) -> Answer:
    """Whether the live ``/metrics`` exposes every serving name of ``[metrics]``."""
    return probe.names_exposed(served_metrics, gate_config.metrics.serving_names())


@pytest.fixture(scope="session")
def served_brief(service: ServiceClient, gate_config: GateConfig) -> Answer:
    """One real ``POST /v1/brief``, checked field by field against the brief contract."""
    smoke = gate_config.smoke
    payload = {"text": smoke.brief_text, "mode": smoke.brief_mode}
    return probe.brief_fields(service.post_json(BRIEF_PATH, payload, smoke.timeout_seconds))


@pytest.fixture
def targets_up(
    part: str, gate: Observer, gate_config: GateConfig, request: pytest.FixtureRequest
) -> Answer:
    """``up`` of every target of one part's jobs; a job without targets makes it no_data.

    A part that no enabled check reads here ends the check as not_applicable with the reason.
    """
    gpu_source = None
    if part == GPU_EXPORTER_PART and target_jobs(gate_config, part).jobs:
        gpu_source = request.getfixturevalue("gpus").source
    gated = target_jobs(gate_config, part, gpu_source)
    if not gated.jobs:
        gate.not_applicable(gated.reason)
    metrics: MetricSnapshot = request.getfixturevalue("metrics")
    return requiring(metrics.ask(scrape_targets(gated.jobs)), JOB, gated.jobs)
