"""The operations dashboard: its structure, and every panel query against a real Prometheus."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ops.contract_data import EXPECTED_HIT_RATE, GPUS, MODELS, contract_openmetrics
from tests.ops.paths import DASHBOARD, RECORDING_RULES
from tests.support.prometheus_server import PrometheusServer

# What Grafana would put in for its variables when the query runs.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$environment": ".*"}
LEGEND_LABEL = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def panels() -> dict[int, dict[str, Any]]:
    return {panel["id"]: panel for panel in dashboard()["panels"]}


def panel_targets() -> list[tuple[int, str, str, str]]:
    return [
        (panel["id"], target["refId"], target["expr"], target.get("legendFormat", ""))
        for panel in dashboard()["panels"]
        for target in panel["targets"]
    ]


def as_promql(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unsubstituted Grafana variable in {expr!r}"
    return expr


def mapping_texts(panel: dict[str, Any]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for mapping in panel["fieldConfig"]["defaults"]["mappings"]:
        for value, shown in mapping["options"].items():
            texts[value] = shown["text"]
    return texts


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A Prometheus holding 40 minutes of contract data, evaluating the recording rules live."""
    data = contract_openmetrics(end=time.time() - 5)
    workdir = tmp_path_factory.mktemp("dashboard-prometheus")
    with PrometheusServer.start(workdir, openmetrics=data, rule_files=[RECORDING_RULES]) as server:
        for recorded in ("cache_hit_rate", "gpu:memory_headroom:ratio",
                         "worker_rl:scaling_signal:replicas"):
            server.wait_for(recorded)
        yield server


def test_dashboard_panel_ids_are_unique() -> None:
    """No two panels share an id (Grafana links and the docs refer to panels by id)."""
    ids = [panel["id"] for panel in dashboard()["panels"]]
    assert len(ids) == len(set(ids))


def test_panel_22_is_the_cache_hit_rate_with_a_60_percent_red_green_threshold() -> None:
    """Panel 22 colours the hit rate red below 60% and green from 60% on, as a background."""
    panel = panels()[22]
    defaults = panel["fieldConfig"]["defaults"]
    assert panel["title"] == "Cache hit rate by mode"
    assert defaults["thresholds"]["steps"] == [
        {"color": "red", "value": None}, {"color": "green", "value": 0.6}]
    assert panel["options"]["colorMode"] == "background"


def test_panel_22_applies_the_threshold_to_fast_and_balanced_only() -> None:
    """The thresholded query selects fast and balanced; creative is drawn in a fixed colour."""
    panel = panels()[22]
    by_ref = {target["refId"]: target["expr"] for target in panel["targets"]}
    assert by_ref["A"] == 'cache_hit_rate{mode=~"fast|balanced"}'
    override = panel["fieldConfig"]["overrides"][0]
    assert override["matcher"] == {"id": "byFrameRefID", "options": "B"}
    assert override["properties"][0]["value"]["mode"] == "fixed"


def test_panel_23_maps_0_1_2_to_no_go_warning_go() -> None:
    """Panel 23 shows the gate status through value mappings 0 NO-GO, 1 WARNING, 2 GO."""
    panel = panels()[23]
    assert panel["title"] == "Deployment gate status"
    assert mapping_texts(panel) == {"0": "NO-GO", "1": "WARNING", "2": "GO"}


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("panel_id", "ref_id", "expr", "legend"),
    panel_targets(),
    ids=[f"panel{pid}-{ref}" for pid, ref, _, _ in panel_targets()],
)
def test_panel_query_returns_series_with_its_legend_labels(
    prometheus: PrometheusServer, panel_id: int, ref_id: str, expr: str, legend: str
) -> None:
    """The panel's PromQL returns series, and each carries every label its legend names."""
    result = prometheus.query(as_promql(expr))
    assert result, f"panel {panel_id} {ref_id} returned nothing: {expr}"
    for label in LEGEND_LABEL.findall(legend):
        missing = [series["metric"] for series in result if label not in series["metric"]]
        assert not missing, f"panel {panel_id} {ref_id}: no {label!r} label in {missing}"


@pytest.mark.prometheus
def test_panel_23_query_can_show_go(prometheus: PrometheusServer) -> None:
    """With GO pushed for production, the gate panel's query returns 2, which maps to GO."""
    expr = as_promql(panels()[23]["targets"][0]["expr"])
    values = {s["metric"]["environment"]: s["value"][1] for s in prometheus.query(expr)}
    assert mapping_texts(panels()[23])[values["production"]] == "GO"
    assert mapping_texts(panels()[23])[values["staging"]] == "NO-GO"


@pytest.mark.prometheus
def test_panel_22_shows_each_mode_hit_rate(prometheus: PrometheusServer) -> None:
    """Panel 22's queries return the hit rate per mode computed from the counters."""
    shown = {}
    for target in panels()[22]["targets"]:
        for series in prometheus.query(as_promql(target["expr"])):
            shown[series["metric"]["mode"]] = float(series["value"][1])
    assert shown == pytest.approx(EXPECTED_HIT_RATE, rel=1e-6)


@pytest.mark.prometheus
def test_error_panel_reads_a_real_zero_when_no_5xx_series_exists(
    prometheus: PrometheusServer,
) -> None:
    """Traffic without any 5xx series is a 0 error ratio, not an empty panel."""
    [series] = prometheus.query(as_promql(panels()[25]["targets"][0]["expr"]))
    assert float(series["value"][1]) == 0.0


@pytest.mark.prometheus
def test_vram_panel_shows_one_series_per_gpu(prometheus: PrometheusServer) -> None:
    """The headroom panel lists every GPU with its free/total ratio, not just the first."""
    result = prometheus.query(as_promql(panels()[27]["targets"][0]["expr"]))
    shown = {s["metric"]["gpu"]: float(s["value"][1]) for s in result}
    assert shown == pytest.approx({g.gpu: g.free_bytes / g.total_bytes for g in GPUS})


@pytest.mark.prometheus
def test_models_panel_lists_every_model(prometheus: PrometheusServer) -> None:
    """The models panel returns one series per model of the registry."""
    result = prometheus.query(as_promql(panels()[28]["targets"][0]["expr"]))
    assert sorted(s["metric"]["model"] for s in result) == sorted(MODELS)
