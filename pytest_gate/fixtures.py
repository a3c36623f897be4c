"""The fixtures gate checks use. The plugin's I/O starts here and nowhere else.

- ``gate_config``: the validated gate.toml (session).
- ``metrics``: the metric snapshot at the evaluation instant T (session); queries listed by
  ``pytest_gate_plan`` are fetched concurrently when it is first used.
- ``gpus``: the GPU snapshot (NVML or exporter metrics; session).
- ``serving_url``: the deployed service's base URL for smoke checks (session).
- ``canary_selection``: the canary's and the baseline's label matchers (session).
- ``gate``: the comparison helper of one check (function).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_gate.canary import CanarySelection
from pytest_gate.observe import GateDataError, GateNoData, Observer
from pytest_gate.options import GateOptions
from pytest_gate.session import GATE_SESSION

if TYPE_CHECKING:
    from pytest_gate.config import GateConfig
    from pytest_gate.gpusource import GpuSnapshot
    from pytest_gate.snapshot import MetricSnapshot

NO_CONFIG = (
    "no gate config loaded ({path}); pass --gate-config PATH or create gate_checks/gate.toml"
)
NO_CANARY = (
    "no canary selection: the canary checks compare two label selections of the same metrics; "
    "pass --gate-canary 'revision=\"v2\"' --gate-baseline 'revision=\"v1\"' (or set the ini "
    "options gate_canary and gate_baseline)"
)
NO_SERVING_URL = (
    "no serving URL: the smoke checks need the deployed service; pass --serving-url URL "
    "(or set GATE_SERVING_URL)"
)


@pytest.fixture(scope="session")
def gate_options(pytestconfig: pytest.Config) -> GateOptions:
    """The resolved gate options of this run."""
    options = pytestconfig.stash[GATE_SESSION].options
    if options is None:
        raise GateDataError("the gate options are invalid (see the message above)")
    return options


@pytest.fixture(scope="session")
def gate_config(pytestconfig: pytest.Config) -> GateConfig:
    """The validated gate config (thresholds, windows, metric names, deployment shape)."""
    state = pytestconfig.stash[GATE_SESSION]
    if state.gate_config is None:
        raise GateDataError(NO_CONFIG.format(path=state.config_path))
    return state.gate_config


@pytest.fixture(scope="session")
def metrics(pytestconfig: pytest.Config, gate_options: GateOptions) -> Iterator[MetricSnapshot]:
    """The metric snapshot at the evaluation instant T; everything planned is prefetched."""
    from pytest_gate.gpumetrics import planned_queries
    from pytest_gate.gpusource import needs_metrics
    from pytest_gate.snapshot import SourceConfigError, SourceSettings, open_snapshot

    state = pytestconfig.stash[GATE_SESSION]
    gate_cfg = state.gate_config
    settings = SourceSettings(
        prometheus_url=gate_options.prometheus_url,
        metrics_urls=gate_options.metrics_urls,
        replay_path=gate_options.replay,
        record_path=gate_options.record,
        at=gate_options.at,
        deadline_seconds=gate_options.deadline_seconds,
        extra_matchers=gate_cfg.label_matchers if gate_cfg is not None else (),
        started_monotonic=state.started,
    )
    try:
        snapshot = open_snapshot(settings)
    except SourceConfigError as exc:
        raise GateDataError(str(exc)) from None
    if gate_cfg is not None:
        planned = [
            q for batch in pytestconfig.hook.pytest_gate_plan(gate_config=gate_cfg) for q in batch
        ]
        if needs_metrics(gate_options.gpu_source):  # the exporter gauges join the first wave
            planned += planned_queries(gate_cfg.gpu_exporter)
        snapshot.prefetch(planned)
    try:
        yield snapshot
    finally:
        snapshot.close()


@pytest.fixture(scope="session")
def gpus(
    request: pytest.FixtureRequest, gate_options: GateOptions, gate_config: GateConfig
) -> GpuSnapshot:
    """The GPU snapshot: NVML on this machine, or the GPU exporter's metrics in the source."""
    from pytest_gate.gpusource import needs_metrics, open_gpu_snapshot

    mode = gate_options.gpu_source
    recorded = bool(gate_options.record or gate_options.replay)
    wanted = needs_metrics(mode, record_or_replay=recorded)
    snapshot = request.getfixturevalue("metrics") if wanted else None
    return open_gpu_snapshot(mode, snapshot, gate_config.gpu_exporter)


@pytest.fixture(scope="session")
def serving_url(gate_options: GateOptions) -> str:
    """Base URL of the deployed serving API (``--serving-url``); missing is no_data."""
    if not gate_options.serving_url:
        raise GateNoData(NO_SERVING_URL)
    return gate_options.serving_url.rstrip("/")


@pytest.fixture(scope="session")
def canary_selection(gate_options: GateOptions) -> CanarySelection:
    """The canary and baseline label selections (``--gate-canary``, ``--gate-baseline``)."""
    if not gate_options.canary:
        raise GateNoData(NO_CANARY)
    return CanarySelection(gate_options.canary, gate_options.baseline)


@pytest.fixture
def gate(request: pytest.FixtureRequest) -> Observer:
    """The comparison helper: ``gate.expect(answer, "<=", limit, what=..., unit=...)``."""
    return Observer(request.node.user_properties)
