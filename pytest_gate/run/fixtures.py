"""The fixtures gate checks use. The plugin's I/O starts here and nowhere else.

- ``gate_config``: the validated gate.toml (session).
- ``metrics``: the metric snapshot at the evaluation instant T (session); queries listed by
  ``pytest_gate_plan`` are fetched concurrently when it is first used.
- ``gpus``: the GPU snapshot (NVML or exporter metrics; session).
- ``serving_url``: the deployed service's base URL for smoke checks (session).
- ``service``: the gate's HTTP client for that service, inside the gate's deadline (session).
- ``gate_deadline``: the gate's deadline, for a smoke check's own HTTP calls (session).
- ``canary_selection``: the canary's and the baseline's label matchers (session).
- ``canary_round``: one-shot, or the watch round with the previous round's e-process (function).
- ``gate``: the comparison helper of one check (function).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_gate.checks.observe import Findings, GateDataError, GateNoData, Observer
from pytest_gate.config.options import GateOptions
from pytest_gate.config.transport import with_ini
from pytest_gate.core.deadline import Deadline
from pytest_gate.core.decision import SessionState
from pytest_gate.run.outcomes import FINDINGS
from pytest_gate.run.session import GATE_SESSION, GateSession
from pytest_gate.stats.canary import CanarySelection
from pytest_gate.stats.sequential import CanaryRound

if TYPE_CHECKING:
    from pytest_gate.config.profiles import AnyGateConfig
    from pytest_gate.core.query import Query
    from pytest_gate.gpu.source import GpuSnapshot
    from pytest_gate.sources.service import ServiceClient
    from pytest_gate.sources.snapshot import MetricSnapshot

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
def gate_config(pytestconfig: pytest.Config) -> AnyGateConfig:
    """The validated gate config (thresholds, windows, metric names, deployment shape)."""
    state = pytestconfig.stash[GATE_SESSION]
    if state.gate_config is None:
        raise GateDataError(NO_CONFIG.format(path=state.config_path))
    return state.gate_config


def open_metrics(config: pytest.Config) -> tuple[MetricSnapshot | None, list[Query], str]:
    """Open the metric snapshot and send every planned query, without waiting for answers.

    Returns the snapshot (``None`` when it cannot be opened), the planned queries and the
    problem that kept it closed. Called as soon as the gate is set up (before collection, so the
    network time overlaps it) and otherwise by the ``metrics`` fixture.
    """
    from pytest_gate.core.query import LOOKBACK_SECONDS
    from pytest_gate.gpu.metrics import planned_queries
    from pytest_gate.gpu.source import needs_metrics
    from pytest_gate.sources.snapshot import SourceConfigError, SourceSettings, open_snapshot

    state = config.stash[GATE_SESSION]
    options = state.options
    assert options is not None  # checks run only with valid options
    gate_cfg = state.gate_config
    settings = SourceSettings(
        prometheus_url=options.prometheus_url,
        metrics_urls=options.metrics_urls,
        replay_path=options.replay,
        record_path=options.record,
        at=options.at,
        deadline_seconds=options.deadline_seconds,
        extra_matchers=gate_cfg.label_matchers if gate_cfg is not None else (),
        started_monotonic=state.started,
        lookback_seconds=gate_cfg.gate.lookback_seconds
        if gate_cfg is not None
        else LOOKBACK_SECONDS,
    )
    try:
        snapshot = open_snapshot(settings, env=with_ini(config.getini, os.environ))
    except SourceConfigError as exc:
        return None, [], str(exc)
    planned: list[Query] = []
    if gate_cfg is not None:
        planned = [q for batch in config.hook.pytest_gate_plan(gate_config=gate_cfg) for q in batch]
        if needs_metrics(options.gpu_source):  # the exporter gauges join the first wave
            planned += planned_queries(gate_cfg.gpu_exporter)
    snapshot.start(planned)
    return snapshot, planned, ""


def start_metrics_early(config: pytest.Config) -> None:
    """Send the query wave before collection when this process will run checks with a source."""
    state = config.stash[GATE_SESSION]
    options = state.options
    if (
        options is None
        or state.states
        or not (options.prometheus_url or options.metrics_urls or options.replay)
    ):
        return
    state.early_metrics = open_metrics(config)


def close_early_metrics(config: pytest.Config) -> None:
    """Close a snapshot opened early that no check asked for (e.g. ``-m smoke``)."""
    state = config.stash[GATE_SESSION]
    if state.early_metrics is not None and state.early_metrics[0] is not None:
        close_snapshot(state, state.early_metrics[0])
    state.early_metrics = None


def close_snapshot(state: GateSession, snapshot: MetricSnapshot) -> None:
    """Close ``snapshot``; a recording that cannot be written is the session's ``record_error``
    (never an error of the check that happened to run last)."""
    from pytest_gate.sources.recorder import RecordingWriteError

    try:
        snapshot.close()
    except RecordingWriteError as exc:
        state.fail(SessionState.RECORD_ERROR, str(exc))


@pytest.fixture(scope="session")
def metrics(pytestconfig: pytest.Config, gate_options: GateOptions) -> Iterator[MetricSnapshot]:
    """The metric snapshot at the evaluation instant T; everything planned is prefetched."""
    state = pytestconfig.stash[GATE_SESSION]
    opened = state.early_metrics or open_metrics(pytestconfig)
    state.early_metrics = None
    snapshot, planned, problem = opened
    if snapshot is None:
        raise GateDataError(problem)
    snapshot.prefetch(planned)
    try:
        yield snapshot
    finally:
        close_snapshot(state, snapshot)


@pytest.fixture(scope="session")
def gpus(
    request: pytest.FixtureRequest, gate_options: GateOptions, gate_config: AnyGateConfig
) -> GpuSnapshot:
    """The GPU snapshot: NVML on this machine, or the GPU exporter's metrics in the source."""
    from pytest_gate.gpu.source import needs_metrics, open_gpu_snapshot

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
def gate_deadline(pytestconfig: pytest.Config, gate_options: GateOptions) -> Deadline:
    """The gate's one deadline (``--gate-deadline``), started with the session: for a smoke
    check's own HTTP calls through the gate's client."""
    started = pytestconfig.stash[GATE_SESSION].started
    return Deadline(gate_options.deadline_seconds, started=started)


@pytest.fixture(scope="session")
def service(serving_url: str, gate_deadline: Deadline) -> Iterator[ServiceClient]:
    """The deployed service, through the gate's own HTTP client and within ``--gate-deadline``."""
    from pytest_gate.sources.service import ServiceClient

    client = ServiceClient(serving_url, gate_deadline)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def canary_selection(gate_options: GateOptions) -> CanarySelection:
    """The canary and baseline label selections (``--gate-canary``, ``--gate-baseline``)."""
    if not gate_options.canary:
        raise GateNoData(NO_CANARY)
    return CanarySelection(gate_options.canary, gate_options.baseline)


@pytest.fixture
def canary_round(request: pytest.FixtureRequest, gate_options: GateOptions) -> CanaryRound:
    """This run's place in a watch, for the canary comparison of the requesting check."""
    from pytest_gate.watch.carry import CarryError
    from pytest_gate.watch.carry import canary_round as place

    try:
        return place(gate_options.at, request.node.nodeid, os.environ)
    except CarryError as exc:
        raise GateDataError(str(exc)) from None


@pytest.fixture
def gate(request: pytest.FixtureRequest) -> Observer:
    """The comparison helper: ``gate.expect(answer, "<=", limit, what=..., unit=...)``."""
    findings = request.node.stash.setdefault(FINDINGS, Findings())
    return Observer(findings)
