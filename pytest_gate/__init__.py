"""pytest-gate: a Go/No-Go deployment gate for LLM serving stacks, as a pytest plugin.

This module is the public API: what gate checks and users' own checks import. Everything else is
internal and may move. Names load on first use (PEP 562), so importing the plugin's entry module,
which imports this package, costs nothing in a pytest run that is not a gate run.

    from pytest_gate import GateConfig, MetricSnapshot, Observer, Selector, duration
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # questions a check asks, and the answers it gets
    "Selector": "pytest_gate.core.query",
    "Matcher": "pytest_gate.core.query",
    "Ratio": "pytest_gate.core.query",
    "Quantile": "pytest_gate.core.query",
    "SustainedQuantile": "pytest_gate.core.query",
    "Gauge": "pytest_gate.core.query",
    "AvgOverTime": "pytest_gate.core.query",
    "RangeSeries": "pytest_gate.core.query",
    "RawPromQL": "pytest_gate.core.query",
    "Exported": "pytest_gate.core.query",
    "Query": "pytest_gate.core.query",
    "Answer": "pytest_gate.core.query",
    "SeriesValue": "pytest_gate.core.query",
    "Labels": "pytest_gate.core.query",
    "DataState": "pytest_gate.core.query",
    "Coverage": "pytest_gate.core.query",
    "duration": "pytest_gate.core.durations",
    "quote": "pytest_gate.sources.promql",
    # where answers come from
    "MetricSnapshot": "pytest_gate.sources.snapshot",
    "GpuSnapshot": "pytest_gate.gpu.source",
    "Fetched": "pytest_gate.sources.service",
    "ServiceClient": "pytest_gate.sources.service",
    "read_exposition": "pytest_gate.sources.exposition",
    # a smoke check's own HTTP calls, within the gate's deadline (the ``gate_deadline`` fixture)
    "HttpClient": "pytest_gate.sources.http",
    "HttpResponse": "pytest_gate.sources.http",
    "TransportError": "pytest_gate.sources.http",
    "Deadline": "pytest_gate.core.deadline",
    "DeadlineExceeded": "pytest_gate.core.deadline",
    "schema_violations": "pytest_gate.contract.structured",
    # the gate's configuration
    "GateConfig": "pytest_gate.config.gateconfig",
    "VllmConfig": "pytest_gate.config.vllmconfig",
    # comparing with a threshold (the ``gate`` fixture)
    "Observer": "pytest_gate.checks.observe",
    "GateNoData": "pytest_gate.checks.observe",
    "GateDataError": "pytest_gate.checks.observe",
    # answers derived from answers (pure; a failed state stays failed)
    "within": "pytest_gate.checks.answers",
    "divided": "pytest_gate.checks.answers",
    "requiring": "pytest_gate.checks.answers",
    "hit_share": "pytest_gate.checks.answers",
    "against_baseline": "pytest_gate.checks.answers",
    "both_values": "pytest_gate.checks.answers",
    # canary selections
    "CanaryRound": "pytest_gate.stats.sequential",
    "CanarySelection": "pytest_gate.stats.canary",
    "narrowed": "pytest_gate.stats.canary",
    "paired": "pytest_gate.stats.canary",
    # statistics and per-check settings a check may need
    "slopes": "pytest_gate.stats.trend",
    "MODES": "pytest_gate.config.checkconfig",
    "ResourceUsage": "pytest_gate.config.checkconfig",
}

__all__ = [
    "MODES",
    "Answer",
    "AvgOverTime",
    "CanaryRound",
    "CanarySelection",
    "Coverage",
    "DataState",
    "Deadline",
    "DeadlineExceeded",
    "Exported",
    "Fetched",
    "GateConfig",
    "GateDataError",
    "GateNoData",
    "Gauge",
    "GpuSnapshot",
    "HttpClient",
    "HttpResponse",
    "Labels",
    "Matcher",
    "MetricSnapshot",
    "Observer",
    "Quantile",
    "Query",
    "RangeSeries",
    "Ratio",
    "RawPromQL",
    "ResourceUsage",
    "Selector",
    "SeriesValue",
    "ServiceClient",
    "SustainedQuantile",
    "TransportError",
    "VllmConfig",
    "__version__",
    "against_baseline",
    "both_values",
    "divided",
    "duration",
    "hit_share",
    "narrowed",
    "paired",
    "quote",
    "read_exposition",
    "requiring",
    "schema_violations",
    "slopes",
    "within",
]


def __getattr__(name: str) -> Any:
    """Load a public name from the module that defines it, on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_gate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from pytest_gate.checks.answers import (
        against_baseline,
        both_values,
        divided,
        hit_share,
        requiring,
        within,
    )
    from pytest_gate.checks.observe import GateDataError, GateNoData, Observer
    from pytest_gate.config.checkconfig import MODES, ResourceUsage
    from pytest_gate.config.gateconfig import GateConfig
    from pytest_gate.config.vllmconfig import VllmConfig
    from pytest_gate.contract.structured import schema_violations
    from pytest_gate.core.deadline import Deadline, DeadlineExceeded
    from pytest_gate.core.durations import duration
    from pytest_gate.core.query import (
        Answer,
        AvgOverTime,
        Coverage,
        DataState,
        Exported,
        Gauge,
        Labels,
        Matcher,
        Quantile,
        Query,
        RangeSeries,
        Ratio,
        RawPromQL,
        Selector,
        SeriesValue,
        SustainedQuantile,
    )
    from pytest_gate.gpu.source import GpuSnapshot
    from pytest_gate.sources.exposition import read_exposition
    from pytest_gate.sources.http import HttpClient, HttpResponse, TransportError
    from pytest_gate.sources.promql import quote
    from pytest_gate.sources.service import Fetched, ServiceClient
    from pytest_gate.sources.snapshot import MetricSnapshot
    from pytest_gate.stats.canary import CanarySelection, narrowed, paired
    from pytest_gate.stats.sequential import CanaryRound
    from pytest_gate.stats.trend import slopes
