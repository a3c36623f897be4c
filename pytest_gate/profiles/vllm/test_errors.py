"""Errors: API 5xx share, engine errors and aborted requests among finished requests."""

from __future__ import annotations

import pytest

from pytest_gate import MetricSnapshot, Observer, VllmConfig, duration

from .queries import (
    ABORT_REASON,
    ERROR_REASON,
    aborted_share,
    engine_errors,
    engine_exported,
    exported,
    finished_as,
)
from .queries import api_5xx_rate as api_5xx_query


@pytest.mark.critical
def test_api_5xx_rate(gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig) -> None:
    """API 5xx rate

    http_requests_total{status="5xx"} / all API requests of vLLM's API server over the window
    (default 5m) at or below the limit (default 0.5%); probes and scrapes are left out.
    """
    check = gate_config.checks.api_5xx_rate
    gate.expect(
        metrics.ask(api_5xx_query(gate_config)),
        "<=",
        check.max_ratio,
        what=f"5xx rate of {gate_config.metrics.http_requests} ({duration(check.window_seconds)})",
        unit="ratio",
        min_samples=check.min_requests,
    )


@pytest.mark.critical
def test_engine_errors(gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig) -> None:
    """Engine errors

    Requests finished with finished_reason="error" / all finished requests per model over the
    window (default 5m) at or below the limit. Versions whose request_success counter has no
    "error" reason make this check not_applicable, never a pass.
    """
    check = gate_config.checks.engine_errors
    name = gate_config.metrics.request_success
    what = f'{name}{{finished_reason="{ERROR_REASON}"}} share'
    gate.require_exported(
        metrics.ask(exported(gate_config, finished_as(gate_config, ERROR_REASON))),
        what=what,
        engine=metrics.ask(engine_exported(gate_config)),
    )
    gate.expect(
        metrics.ask(engine_errors(gate_config)),
        "<=",
        check.max_ratio,
        what=f"{what} ({duration(check.window_seconds)})",
        unit="ratio",
        min_samples=check.min_requests,
        label_keys=(gate_config.metrics.model_label,),
    )


@pytest.mark.warning
def test_aborted_share(gate: Observer, metrics: MetricSnapshot, gate_config: VllmConfig) -> None:
    """Aborted requests

    Requests finished with finished_reason="abort" (client gone, cancelled, timed out) / all
    finished requests per model over the window (default 5m) at or below the limit (default 5%).
    """
    check = gate_config.checks.aborted_share
    name = gate_config.metrics.request_success
    what = f'{name}{{finished_reason="{ABORT_REASON}"}} share'
    gate.require_exported(
        metrics.ask(exported(gate_config, finished_as(gate_config, ABORT_REASON))),
        what=what,
        engine=metrics.ask(engine_exported(gate_config)),
    )
    gate.expect(
        metrics.ask(aborted_share(gate_config)),
        "<=",
        check.max_ratio,
        what=f"{what} ({duration(check.window_seconds)})",
        unit="ratio",
        min_samples=check.min_requests,
        label_keys=(gate_config.metrics.model_label,),
    )
