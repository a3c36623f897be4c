"""Kubernetes manifests: schema-valid offline, probes and GPUs right, KEDA and HPA wired to rules."""

from __future__ import annotations

import functools
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from pytest_gate.config.options import OPTION_SPECS
from serving import __main__ as serving_main
from tests.ops.paths import K8S_DIR, PROMETHEUS_CONFIG, RECORDING_RULES, WORKFLOW

KUBERNETES_VERSION = "1.30"
SERVICES = ("app", "worker-llm", "worker-rl")
WORKERS = ("worker-llm", "worker-rl")
REPLICA_RANGES = {"app": (2, 10), "worker-llm": (2, 8), "worker-rl": (1, 4)}
FORMULA_TOKEN = re.compile(r"\s*(?:[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[?:<>=(),])")


@functools.cache
def documents() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Every manifest document, parsed once per session (tests only read them)."""
    found = []
    for path in sorted(K8S_DIR.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            found.append((str(path.relative_to(K8S_DIR)), doc))
    return tuple(found)


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in documents() if doc["kind"] == kind}


def core_documents() -> list[tuple[str, dict[str, Any]]]:
    return [(path, doc) for path, doc in documents() if not doc["apiVersion"].startswith("keda.sh/")]


@functools.cache
def recorded_names() -> frozenset[str]:
    groups = yaml.safe_load(RECORDING_RULES.read_text())["groups"]
    return frozenset(rule["record"] for group in groups for rule in group["rules"])


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


def expr_formula_value(formula: str, values: dict[str, float]) -> float:
    """Evaluate a KEDA (expr-lang) formula of the form ``cond ? a : b`` with min/max."""
    assert "".join(FORMULA_TOKEN.findall(formula)).replace(" ", "") == formula.replace(" ", ""), (
        f"formula {formula!r} uses syntax outside the tested subset")
    match = re.fullmatch(r"(.+?)\?(.+?):(.+)", formula)
    python = f"({match[2]}) if ({match[1]}) else ({match[3]})" if match else formula
    # eval is safe here: the token check above admits only names, numbers and ?:<>=(),
    result = eval(python, {"__builtins__": {}, "min": min, "max": max}, dict(values))
    return float(result)


def test_every_manifest_parses_as_yaml_with_kind_and_name() -> None:
    """Every YAML document under ops/k8s has apiVersion, kind and metadata.name."""
    docs = documents()
    assert len(docs) >= 10
    for path, doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(doc), path
        assert doc["metadata"]["name"], path


@pytest.mark.parametrize(
    "doc", [doc for _, doc in core_documents()],
    ids=[f"{path}:{doc['kind']}/{doc['metadata']['name']}" for path, doc in core_documents()],
)
def test_core_kinds_validate_against_the_kubernetes_schema(doc: dict[str, Any]) -> None:
    """Each core object is valid for Kubernetes 1.30 in strict mode (no unknown fields)."""
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_strict_schema_validation_catches_a_misspelt_field() -> None:
    """The validator is not vacuous: a Deployment with 'replica' instead of 'replicas' fails."""
    deployment = of_kind("Deployment")["app"]
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_the_namespace_is_applied_before_the_objects_in_it() -> None:
    """kubectl apply -f base/ goes alphabetically, so the Namespace file sorts first."""
    first = sorted((K8S_DIR / "base").glob("*.yaml"))[0]
    assert [doc["kind"] for doc in yaml.safe_load_all(first.read_text())] == ["Namespace"]


@pytest.mark.parametrize("name", SERVICES)
def test_services_have_health_readiness_and_livez_liveness(name: str) -> None:
    """Each Deployment is ready on /health and alive on /livez."""
    spec = container(of_kind("Deployment")[name])
    assert spec["readinessProbe"]["httpGet"]["path"] == "/health"
    assert spec["livenessProbe"]["httpGet"]["path"] == "/livez"


@pytest.mark.parametrize("name", WORKERS)
def test_workers_request_a_gpu(name: str) -> None:
    """worker-llm and worker-rl request and limit one nvidia.com/gpu."""
    resources = container(of_kind("Deployment")[name])["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == "1"
    assert resources["limits"]["nvidia.com/gpu"] == "1"


def test_app_requests_no_gpu() -> None:
    """The app tier runs on CPU nodes."""
    resources = container(of_kind("Deployment")["app"])["resources"]
    assert "nvidia.com/gpu" not in {**resources["requests"], **resources["limits"]}


def test_images_the_workflow_sets_name_a_container_of_that_deployment() -> None:
    """Each `kubectl set image deployment/X C=...` of the deploy workflow names a real container."""
    commands = re.findall(r"set image deployment/([\w-]+) \"([\w-]+)=", WORKFLOW.read_text())
    assert commands
    for deployment, container_name in commands:
        assert container(of_kind("Deployment")[deployment])["name"] == container_name


def test_serving_deployment_runs_the_real_serving_cli() -> None:
    """worker-llm's command line is accepted by the serving entry point's own parser."""
    spec = container(of_kind("Deployment")["worker-llm"])
    assert spec["command"] == ["python", "-m", "serving"]
    args = serving_main.parse_args(spec["args"])
    assert (args.host, args.port) == ("0.0.0.0", spec["ports"][0]["containerPort"])


def test_app_proxies_to_the_worker_llm_service_and_answers_livez_itself() -> None:
    """app's nginx answers /livez locally and proxies everything else to the worker-llm Service."""
    conf = of_kind("ConfigMap")["app-nginx"]["data"]["default.conf"]
    upstream = re.search(r"server ([\w.-]+):(\d+);", conf)
    assert upstream is not None
    service, namespace = upstream[1].split(".")[:2]
    ports = [p["port"] for p in of_kind("Service")[service]["spec"]["ports"]]
    assert (service, namespace, int(upstream[2]) in ports) == ("worker-llm", "llm-serving", True)
    assert re.search(r"location = /livez \{[^}]*return 200", conf)
    listen = re.search(r"listen (\d+);", conf)
    assert listen is not None
    assert int(listen[1]) == container(of_kind("Deployment")["app"])["ports"][0]["containerPort"]


def test_prometheus_dns_sd_names_resolve_to_headless_services() -> None:
    """Each DNS SD name of the scrape config is a headless Service of the manifests, same port."""
    services = of_kind("Service")
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    checked = 0
    for job in config["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            for name in sd["names"]:
                service_name, namespace = name.split(".")[:2]
                if namespace != "llm-serving":
                    continue
                service = services[service_name]
                assert service["spec"]["clusterIP"] == "None", name
                assert sd["port"] in [p["port"] for p in service["spec"]["ports"]], name
                checked += 1
    assert checked == 4


# --- KEDA -----------------------------------------------------------------------------------

def scaled_objects() -> dict[str, dict[str, Any]]:
    return of_kind("ScaledObject")


@pytest.mark.parametrize("name", SERVICES)
def test_scaled_object_has_the_required_keda_fields(name: str) -> None:
    """scaleTargetRef names the Deployment; triggers are named prometheus triggers with a query."""
    spec = scaled_objects()[name]["spec"]
    assert spec["scaleTargetRef"]["name"] == name
    assert name in of_kind("Deployment")
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == REPLICA_RANGES[name]
    for trigger in spec["triggers"]:
        assert trigger["type"] == "prometheus"
        assert trigger["name"]
        assert {"serverAddress", "query", "threshold"} <= set(trigger["metadata"])


@pytest.mark.parametrize("name", SERVICES)
def test_scaled_object_holds_replicas_when_metrics_are_down(name: str) -> None:
    """An empty answer is an error (not 0), and the fallback keeps the current replica count."""
    spec = scaled_objects()[name]["spec"]
    fallback = spec["fallback"]
    assert fallback["behavior"] == "currentReplicas"
    assert fallback["failureThreshold"] >= 1
    assert fallback["replicas"] == REPLICA_RANGES[name][0]
    assert all(t["metadata"]["ignoreNullValues"] == "false" for t in spec["triggers"])


@pytest.mark.parametrize("name", SERVICES)
def test_scaled_object_queries_are_recording_rules(name: str) -> None:
    """Every trigger query is a series recorded by ops/prometheus/rules/recording.yml."""
    for trigger in scaled_objects()[name]["spec"]["triggers"]:
        assert trigger["metadata"]["query"] in recorded_names()


@pytest.mark.parametrize("name", WORKERS)
def test_worker_formula_uses_exactly_its_trigger_names(name: str) -> None:
    """The scalingModifiers formula references every trigger by name and nothing else."""
    spec = scaled_objects()[name]["spec"]
    modifiers = spec["advanced"]["scalingModifiers"]
    names = {t["name"] for t in spec["triggers"]}
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", modifiers["formula"])) - {"min", "max"}
    assert used == names
    assert modifiers["target"] == "1"
    assert modifiers["metricType"] == "AverageValue"


@pytest.mark.parametrize("name", WORKERS)
@pytest.mark.parametrize(
    ("headroom", "expected"), [(0.15, 2.0), (0.30, 8.0)], ids=["headroom-15", "headroom-30"]
)
def test_worker_formula_caps_scale_up_below_20_percent_headroom(
    name: str, headroom: float, expected: float
) -> None:
    """Load 8 with 2 running: headroom 15% holds 2 replicas, 30% lets 8 through."""
    formula = scaled_objects()[name]["spec"]["advanced"]["scalingModifiers"]["formula"]
    assert expr_formula_value(formula, {"load": 8, "current": 2, "headroom": headroom}) == expected


@pytest.mark.parametrize("name", WORKERS)
def test_worker_formula_lets_scale_down_through_under_low_headroom(name: str) -> None:
    """Low headroom never blocks a scale-down: load 1 with 3 running gives 1."""
    formula = scaled_objects()[name]["spec"]["advanced"]["scalingModifiers"]["formula"]
    assert expr_formula_value(formula, {"load": 1, "current": 3, "headroom": 0.1}) == 1.0


# --- HPA + prometheus-adapter ------------------------------------------------------------------

def adapter_rules() -> list[dict[str, Any]]:
    config_map = of_kind("ConfigMap")["prometheus-adapter-scaling-signals"]
    rules: list[dict[str, Any]] = yaml.safe_load(config_map["data"]["config.yaml"])["externalRules"]
    return rules


def adapter_metric_name(series: str) -> str | None:
    for rule in adapter_rules():
        selector = re.search(r'__name__=~"(.+?)"', rule["seriesQuery"])
        assert selector is not None
        if re.fullmatch(selector[1], series):
            renamed = re.sub(rule["name"]["matches"], rule["name"]["as"].replace("${1}", r"\1"),
                             series)
            return renamed
    return None


@pytest.mark.parametrize("name", SERVICES)
def test_hpa_external_metric_is_served_from_the_scaling_signal_rule(name: str) -> None:
    """The HPA's external metric is what the adapter names the service's scaling-signal rule."""
    series = f"{name.replace('-', '_')}:scaling_signal:replicas"
    assert series in recorded_names()
    [metric] = of_kind("HorizontalPodAutoscaler")[name]["spec"]["metrics"]
    assert metric["external"]["metric"]["name"] == adapter_metric_name(series)
    assert metric["external"]["target"] == {"type": "AverageValue", "averageValue": "1"}


def test_adapter_serves_signals_cluster_wide() -> None:
    """The recorded signals carry no namespace label, so the adapter rule is not namespaced."""
    assert all(rule["resources"] == {"namespaced": False} for rule in adapter_rules())


@pytest.mark.parametrize("name", SERVICES)
def test_hpa_and_keda_agree_on_bounds_and_behaviour(name: str) -> None:
    """Both autoscaling alternatives use the same replica range and scale-up/down behaviour."""
    hpa = of_kind("HorizontalPodAutoscaler")[name]["spec"]
    keda = scaled_objects()[name]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (
        keda["minReplicaCount"], keda["maxReplicaCount"])
    assert hpa["behavior"] == keda["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]


# --- the gate CronJob ------------------------------------------------------------------------

def cronjob_script() -> str:
    job = of_kind("CronJob")["deployment-gate"]
    [gate] = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert gate["command"] == ["/bin/sh", "-c"]
    return str(gate["args"][0])


def test_cronjob_runs_the_gate_and_pushes_its_status() -> None:
    """The CronJob runs pytest gate_checks with a report, complete selection and a Pushgateway."""
    script = cronjob_script()
    assert script.startswith("python -m pytest gate_checks")
    for flag in ("--gate-report", "--gate-require-complete", "--gate-pushgateway",
                 "--gate-environment"):
        assert flag in script


def test_cronjob_uses_only_options_the_plugin_defines() -> None:
    """Every --option of the CronJob's gate command exists in pytest_gate's option table."""
    known = {spec.flag for spec in OPTION_SPECS} | {"-m", "-p"}  # python -m, pytest -p
    used = set(re.findall(r"(?<!\S)(--?[a-z][a-z-]*)", cronjob_script().split(";")[0]))
    assert used - known == set()


@pytest.mark.parametrize(("gate_exit", "job_exit"), [(0, 0), (1, 0), (2, 0), (3, 3), (4, 4)])
def test_cronjob_succeeds_on_any_verdict_and_fails_on_a_crash(
    tmp_path: Path, gate_exit: int, job_exit: int
) -> None:
    """The container's shell script exits 0 for GO/WARNING/NO-GO and passes other codes on."""
    fake_python = tmp_path / "python"
    fake_python.write_text(f"#!/bin/sh\nexit {gate_exit}\n")
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["/bin/sh", "-c", cronjob_script()], env=env, check=False, timeout=30)
    assert result.returncode == job_exit
