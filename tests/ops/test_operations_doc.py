"""docs/operations.md: every documented command runs in a safe mode, so the page cannot rot.

Safe modes, by the command's first word:
- ``pytest`` (the gate): run for real against a test Prometheus holding contract data, and the
  recording server as the serving URL; any verdict exit (0/1/2) with a consistent report passes.
- ``jq``: run on the report that the page's own gate command wrote.
- ``curl``: run for real; ``$PROMETHEUS_URL`` is the test Prometheus, ``$SERVING_URL`` a recording
  server whose requests are then checked against the real serving app's routes, request schemas
  and admin bearer token.
- ``gate-vram``: the real CLI with a fake NVML (the one fake this project allows) of two GPUs.
- ``promtool``: run for real on the repository's files.
- ``kubectl``: no cluster here; every ``kind/name`` it names must exist in ops/k8s, the namespace
  must be the manifests' one, and, where kubectl is installed, ``--help`` must accept its flags.
- ``export``: sets one of the variables this test provides.
A command with another first word fails the test until it gets a safe mode.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.ops.contract_data import contract_openmetrics
from tests.ops.doc_commands import (
    DocCommand,
    Recorded,
    Recorder,
    heading_anchors,
    link_repo,
    read_commands,
    recording_server,
)
from tests.ops.paths import ALERT_RULES, DASHBOARD, K8S_DIR, OPERATIONS_DOC, RECORDING_RULES, ROOT
from tests.support.fake_pynvml import FakeDevice, FakeNvml, gib
from tests.support.prometheus_server import PrometheusServer

COMMANDS = read_commands(OPERATIONS_DOC.read_text())
VARIABLES = ("PROMETHEUS_URL", "SERVING_URL", "SERVING_ADMIN_TOKEN")
ADMIN_TOKEN = "doc-test-admin-token"
GATE_EXITS = (0, 1, 2)
VRAM_EXITS = (0, 1, 2)  # PASS, WARN, FAIL: a reading was made (3 = no NVML, 64 = usage)
NAMESPACE = "llm-serving"
KUBECTL_KINDS = {
    "deployment": "Deployment", "daemonset": "DaemonSet", "cronjob": "CronJob",
    "scaledobject": "ScaledObject", "hpa": "HorizontalPodAutoscaler", "service": "Service",
    "configmap": "ConfigMap",
}
# Installs the fake NVML from $FAKE_NVML_SPEC, then runs the real gate-vram entry point.
GATE_VRAM_SHIM = (
    'gate-vram() { "$DOC_PYTHON" -c "import sys, tests.support.fake_pynvml as f; '
    "f.install_from_json(sys.argv[1]); from pytest_gate.vram.cli import main; "
    'raise SystemExit(main(sys.argv[2:]))" "$FAKE_NVML_SPEC" "$@"; }\n'
)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """The test Prometheus: contract data, our recording and alert rules evaluated live."""
    workdir = tmp_path_factory.mktemp("doc-prometheus")
    data = contract_openmetrics(end=time.time() - 5)
    with PrometheusServer.start(workdir, openmetrics=data,
                                rule_files=[RECORDING_RULES, ALERT_RULES]) as server:
        server.wait_for("worker_llm:scaling_signal:replicas")
        yield server


@pytest.fixture(scope="module")
def serving() -> Iterator[Recorder]:
    """The recording server standing in for $SERVING_URL."""
    with recording_server() as recorder:
        yield recorder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch directory that resolves the page's relative paths to the repository's files."""
    path = tmp_path_factory.mktemp("doc-workspace")
    link_repo(path, ROOT, ("gate_checks", "serving", "ops"))
    spec = path / "fake_nvml.json"
    spec.write_text(FakeNvml([
        FakeDevice.whole(total_bytes=gib(48), free_bytes=gib(40), name="NVIDIA L40S"),
        FakeDevice.whole(total_bytes=gib(48), free_bytes=gib(36), name="NVIDIA L40S"),
    ]).to_json())
    return path


@pytest.fixture(scope="module")
def shell(
    workspace: Path, prometheus: PrometheusServer, serving: Recorder
) -> functools.partial[subprocess.CompletedProcess[str]]:
    """``shell(command)``: the command in bash -euo pipefail, with the page's variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATE_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTEST_PLUGINS="pytest_gate.plugin",
        HF_HUB_OFFLINE="1",
        DOC_PYTHON=sys.executable,
        FAKE_NVML_SPEC=str(workspace / "fake_nvml.json"),
        PROMETHEUS_URL=prometheus.url,
        SERVING_URL=serving.url,
        SERVING_ADMIN_TOKEN=ADMIN_TOKEN,
    )
    return functools.partial(_run, workspace, env)


def _run(workspace: Path, env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    script = "set -euo pipefail\n" + GATE_VRAM_SHIM + command + "\n"
    return subprocess.run(["bash", "-c", script], cwd=workspace, env=env, capture_output=True,
                          text=True, timeout=180, check=False)


# Served by the app but left out of its OpenAPI schema (DESIGN §8: GET /metrics).
ROUTES_OUTSIDE_SCHEMA = frozenset({("GET", "/metrics")})


@functools.cache
def serving_api() -> tuple[dict[str, Any], frozenset[tuple[str, str]]]:
    """The real serving app's OpenAPI document and every (METHOD, path) it serves."""
    from serving.app import create_app
    from serving.config import Settings
    from serving.loader import TransformersLoader
    from serving.models import load_registry

    settings = Settings(admin_token=ADMIN_TOKEN, device="cpu")
    app = create_app(settings, load_registry(ROOT / "serving" / "models.toml"),
                     TransformersLoader(settings.max_prompt_tokens))
    openapi = app.openapi()
    routes = frozenset(
        (method.upper(), path) for path, operations in openapi["paths"].items()
        for method in operations
    )
    return openapi, routes | ROUTES_OUTSIDE_SCHEMA


def check_serving_request(request: Recorded) -> None:
    """The request is one the serving app routes, with a valid body, params and admin token."""
    openapi, routes = serving_api()
    assert (request.method, request.path) in routes, f"no route {request.method} {request.path}"
    operation = openapi["paths"].get(request.path, {}).get(request.method.lower(), {})
    params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    assert set(request.query) <= params, f"unknown query parameters {set(request.query) - params}"
    if request.path.startswith("/admin/"):
        assert request.headers.get("authorization") == f"Bearer {ADMIN_TOKEN}"
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body_schema is None:
        assert not request.body, f"{request.path} takes no body"
        return
    assert request.headers.get("content-type", "").startswith("application/json"), (
        f"{request.path}: the body must be sent with Content-Type: application/json")
    schema = {**body_schema["schema"], "components": openapi["components"]}
    jsonschema.validate(json.loads(request.body), schema)


def kubectl_objects() -> dict[str, set[str]]:
    objects: dict[str, set[str]] = {}
    for path in K8S_DIR.rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            assert doc["metadata"].get("namespace", NAMESPACE) in (NAMESPACE, "monitoring")
            objects.setdefault(doc["kind"], set()).add(doc["metadata"]["name"])
    return objects


def report_written(command: str, workspace: Path) -> dict[str, Any] | None:
    match = re.search(r"--gate-report\s+(\S+)", command)
    if not match:
        return None
    data: dict[str, Any] = json.loads((workspace / match[1]).read_text())
    return data


@pytest.fixture(scope="module")
def gate_report_from_the_page(
    shell: functools.partial[subprocess.CompletedProcess[str]], workspace: Path
) -> Path:
    """gate_report.json as the page's first gate command writes it (what its jq lines read)."""
    [first] = [c for c in COMMANDS if c.program == "pytest" and "gate_report.json" in c.text][:1]
    shell(first.text)
    return workspace / "gate_report.json"


def test_the_page_has_commands_for_every_tool() -> None:
    """The page documents the gate, gate-vram, the admin API, Prometheus and kubectl."""
    assert {"pytest", "gate-vram", "curl", "kubectl", "promtool", "jq"} <= {
        c.program for c in COMMANDS}


def test_every_alert_runbook_link_points_at_a_heading_of_the_page() -> None:
    """Each runbook_url anchor of the alert rules is a heading of docs/operations.md."""
    anchors = heading_anchors(OPERATIONS_DOC.read_text())
    groups = yaml.safe_load(ALERT_RULES.read_text())["groups"]
    links = {rule["annotations"]["runbook_url"] for g in groups for rule in g["rules"]}
    missing = {link for link in links if link.split("#", 1)[1] not in anchors}
    assert missing == set()


def test_every_panel_the_page_names_exists_with_that_title() -> None:
    """'panel N "Title"' in the page matches the dashboard's panel N."""
    titles = {p["id"]: p["title"] for p in json.loads(DASHBOARD.read_text())["panels"]}
    named = re.findall(r'panel (\d+) "([^"]+)"', OPERATIONS_DOC.read_text())
    assert named
    assert all(titles.get(int(pid)) == title for pid, title in named), named


def test_commands_use_only_the_documented_variables() -> None:
    """Every $VARIABLE a command reads is one of the page's exports."""
    used = {v for c in COMMANDS for v in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", c.text)}
    assert used <= set(VARIABLES)
    exported = {c.text.split("=", 1)[0].split()[1] for c in COMMANDS if c.program == "export"}
    assert exported == set(VARIABLES)


@pytest.mark.prometheus
@pytest.mark.parametrize("command", COMMANDS, ids=[c.test_id for c in COMMANDS])
def test_documented_command_runs_in_its_safe_mode(
    command: DocCommand,
    shell: functools.partial[subprocess.CompletedProcess[str]],
    serving: Recorder,
    workspace: Path,
    request: pytest.FixtureRequest,
) -> None:
    """The command runs (or, for kubectl, resolves) and does what the page says it does."""
    serving.take()
    program = command.program
    if program == "export":
        assert command.text.split("=", 1)[0].split()[1] in VARIABLES
        return
    if program == "kubectl":
        check_kubectl(command.text)
        return
    if program == "jq":
        request.getfixturevalue("gate_report_from_the_page")
    result = shell(shortened_watch(command.text))
    output = result.stdout + result.stderr
    if program == "pytest":
        assert result.returncode in GATE_EXITS, output
        assert "GATE:" in result.stdout, output
        report = report_written(command.text, workspace)
        if report is not None:
            assert report["exit_code"] == result.returncode
    elif program == "gate-vram":
        assert result.returncode in VRAM_EXITS, output
    elif program in ("curl", "jq", "promtool"):
        assert result.returncode == 0, output
    else:
        pytest.fail(f"no safe mode for {program!r}: teach tests/ops/test_operations_doc.py one")
    for recorded in serving.take():
        check_serving_request(recorded)


def shortened_watch(text: str) -> str:
    """The command with a 15-minute ``--gate-watch`` cut to three quick rounds (same options)."""
    text = re.sub(r"--gate-watch \S+", "--gate-watch 0.02", text)
    return re.sub(r"--gate-interval \S+", "--gate-interval 0.01", text)


def check_kubectl(text: str) -> None:
    """Namespace and named objects exist in ops/k8s; flags accepted by kubectl --help if present."""
    words = shlex.split(text)
    assert words[1:3] == ["-n", NAMESPACE], f"{text}: use -n {NAMESPACE}"
    objects = kubectl_objects()
    for kind, name in re.findall(r"(?:^|[\s=])([a-z]+)/([\w-]+)", text):
        if kind in KUBECTL_KINDS:
            assert name in objects.get(KUBECTL_KINDS[kind], set()), f"{text}: no {kind}/{name}"
    kubectl = shutil.which("kubectl")
    if kubectl is not None:
        result = subprocess.run([kubectl, *words[1:], "--help"], capture_output=True, text=True,
                                timeout=60, check=False)
        assert result.returncode == 0, result.stderr


def test_admin_request_check_rejects_a_body_without_json_content_type() -> None:
    """The serving check is not vacuous: a form-encoded admin body (the seed's curl) is refused."""
    request = Recorded("POST", "/admin/model/unload", {}, {
        "authorization": f"Bearer {ADMIN_TOKEN}",
        "content-type": "application/x-www-form-urlencoded"}, b'{"model": "llama3_8b"}')
    with pytest.raises(AssertionError, match="Content-Type: application/json"):
        check_serving_request(request)


def test_admin_request_check_rejects_a_body_the_schema_refuses() -> None:
    """A mode outside the enum fails the request-schema validation."""
    request = Recorded("POST", "/admin/mode/set", {}, {
        "authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"},
        b'{"mode": "turbo"}')
    with pytest.raises(jsonschema.ValidationError):
        check_serving_request(request)
