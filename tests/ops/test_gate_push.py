"""Gate status export: exposition, a real Pushgateway, a real Prometheus and the NoGo alert."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from pytest_gate.output.push import STATUS_VALUES, PushError, build_gate_registry, push_gate_status
from tests.ops.paths import ALERT_RULES, RECORDING_RULES
from tests.ops.real_gate import GATE_CONFIG, run_gate, write_suite
from tests.support.prometheus_server import PrometheusServer, Pushgateway, free_port

pytestmark = pytest.mark.prometheus

CHECKS = [
    ("schema_failure_rate", "critical", True),
    ("cache_hit_rate", "warning", False),
]


def samples(registry_text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(registry_text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pushgateway, PrometheusServer]]:
    """A Pushgateway scraped every second (honor_labels) by a Prometheus loaded with our rules."""
    workdir = tmp_path_factory.mktemp("push-stack")
    with Pushgateway.start(workdir / "pushgateway") as gateway:
        scrape = {
            "job_name": "pushgateway",
            "honor_labels": True,
            "static_configs": [{"targets": [gateway.address]}],
        }
        with PrometheusServer.start(
            workdir / "prometheus",
            rule_files=[RECORDING_RULES, ALERT_RULES],
            extra_scrape_configs=[scrape],
        ) as prometheus:
            yield gateway, prometheus


def wait_until_empty(prometheus: PrometheusServer, promql: str, timeout_seconds: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if not prometheus.query(promql):
            return
        time.sleep(0.2)
    raise AssertionError(f"{promql!r} still returns series after {timeout_seconds}s")


@pytest.mark.parametrize("verdict", sorted(STATUS_VALUES))
def test_status_gauge_encodes_each_verdict(verdict: str) -> None:
    """deployment_gate_status carries 2 for GO, 1 for WARNING, 0 for NO-GO."""
    text = generate_latest(build_gate_registry("prod", verdict, CHECKS)).decode()
    key = ("deployment_gate_status", (("environment", "prod"),))
    assert samples(text)[key] == {"GO": 2, "WARNING": 1, "NO-GO": 0}[verdict]


def test_check_gauges_carry_check_severity_and_environment() -> None:
    """Each check becomes deployment_gate_check_passed{check,severity,environment} 1 or 0."""
    found = samples(generate_latest(build_gate_registry("prod", "WARNING", CHECKS)).decode())
    passed = (("check", "schema_failure_rate"), ("environment", "prod"), ("severity", "critical"),
              ("waived", "false"))
    failed = (("check", "cache_hit_rate"), ("environment", "prod"), ("severity", "warning"),
              ("waived", "false"))
    assert found[("deployment_gate_check_passed", passed)] == 1
    assert found[("deployment_gate_check_passed", failed)] == 0


def test_one_failing_variant_marks_the_whole_check_failed() -> None:
    """Parametrised variants of one check fold into one gauge that fails if any variant failed."""
    checks = [("latency_p95", "warning", True), ("latency_p95", "warning", False),
              ("latency_p95", "warning", True)]
    found = samples(generate_latest(build_gate_registry("prod", "WARNING", checks)).decode())
    key = ("deployment_gate_check_passed",
           (("check", "latency_p95"), ("environment", "prod"), ("severity", "warning"),
            ("waived", "false")))
    assert found[key] == 0


def test_a_waived_check_carries_waived_true() -> None:
    """The checks a waiver covered are pushed with waived="true", the others with "false"."""
    registry = build_gate_registry("prod", "WARNING", CHECKS, waived={"cache_hit_rate"})
    found = samples(generate_latest(registry).decode())
    labels = {dict(k[1])["check"]: dict(k[1])["waived"] for k in found
              if k[0] == "deployment_gate_check_passed"}
    assert labels == {"cache_hit_rate": "true", "schema_failure_rate": "false"}


def test_unknown_verdict_is_refused_with_the_valid_ones_named() -> None:
    """A verdict outside GO/WARNING/NO-GO raises PushError naming the valid verdicts."""
    with pytest.raises(PushError, match=r"unknown verdict 'MAYBE'.*GO, WARNING, NO-GO"):
        build_gate_registry("prod", "MAYBE", CHECKS)


def test_empty_environment_is_refused() -> None:
    """An empty environment label raises PushError instead of pushing an unlabelled status."""
    with pytest.raises(PushError, match="environment label is empty"):
        build_gate_registry(" ", "GO", CHECKS)


def test_no_go_push_reaches_prometheus_and_makes_the_alert_pending(
    stack: tuple[Pushgateway, PrometheusServer],
) -> None:
    """A pushed NO-GO is scraped with job="deployment_gate" and DeploymentGateNoGo goes pending."""
    gateway, prometheus = stack
    push_gate_status(gateway.url, "ci-nogo", "NO-GO", CHECKS, timeout_seconds=5)
    alerts = prometheus.wait_for(
        'ALERTS{alertname="DeploymentGateNoGo", environment="ci-nogo", alertstate="pending"}'
    )
    assert alerts[0]["metric"]["severity"] == "critical"
    assert alerts[0]["metric"]["job"] == "deployment_gate"


def test_go_push_clears_a_pending_no_go_alert(stack: tuple[Pushgateway, PrometheusServer]) -> None:
    """After a GO push replaces a NO-GO, Prometheus reads 2 and the pending alert goes away."""
    gateway, prometheus = stack
    push_gate_status(gateway.url, "ci-flip", "NO-GO", CHECKS, timeout_seconds=5)
    prometheus.wait_for('ALERTS{alertname="DeploymentGateNoGo", environment="ci-flip"}')
    push_gate_status(gateway.url, "ci-flip", "GO", CHECKS, timeout_seconds=5)
    prometheus.wait_for('deployment_gate_status{environment="ci-flip"} == 2')
    wait_until_empty(prometheus, 'ALERTS{alertname="DeploymentGateNoGo", environment="ci-flip"}')


def test_check_results_are_scraped_with_their_labels(
    stack: tuple[Pushgateway, PrometheusServer],
) -> None:
    """deployment_gate_check_passed arrives in Prometheus per check with severity and environment."""
    gateway, prometheus = stack
    push_gate_status(gateway.url, "ci-checks", "WARNING", CHECKS, timeout_seconds=5)
    result = prometheus.wait_for(
        'deployment_gate_check_passed{environment="ci-checks", check="cache_hit_rate"}'
    )
    assert result[0]["metric"]["severity"] == "warning"
    assert result[0]["value"][1] == "0"


def test_a_new_push_replaces_the_checks_of_the_previous_one(
    stack: tuple[Pushgateway, PrometheusServer],
) -> None:
    """A check missing from the next push disappears from the Pushgateway (PUT, not POST)."""
    gateway, _ = stack
    push_gate_status(gateway.url, "ci-replace", "GO", CHECKS, timeout_seconds=5)
    push_gate_status(gateway.url, "ci-replace", "GO", CHECKS[:1], timeout_seconds=5)
    exposed = requests.get(gateway.url + "/metrics", timeout=5).text
    lines = [line for line in exposed.splitlines() if 'environment="ci-replace"' in line]
    assert any('check="schema_failure_rate"' in line for line in lines)
    assert not any('check="cache_hit_rate"' in line for line in lines)


def test_unreachable_pushgateway_raises_a_push_error_naming_the_url() -> None:
    """Nothing listening on the port: PushError says it cannot reach the URL."""
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(PushError, match=f"cannot reach the Pushgateway at {url}"):
        push_gate_status(url, "prod", "GO", CHECKS, timeout_seconds=2)


class _Failing(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        body = b"push rejected: storage full"
        self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def failing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_error_raises_a_push_error_with_status_and_body(failing_server: str) -> None:
    """A 503 from the server becomes PushError with the status and the server's explanation."""
    with pytest.raises(PushError, match=r"HTTP 503.*push rejected: storage full"):
        push_gate_status(failing_server, "prod", "GO", CHECKS, timeout_seconds=5)


def test_silent_server_raises_a_push_error_after_the_timeout() -> None:
    """A server that accepts but never answers ends in PushError naming the timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(PushError, match=r"did not answer within 0\.3 s"):
            push_gate_status(url, "prod", "GO", CHECKS, timeout_seconds=0.3)


@pytest.mark.parametrize("url", ["", "ftp://host:9091", "http://host:notaport"])
def test_malformed_url_raises_a_push_error_with_the_fix(url: str) -> None:
    """An empty, non-http or malformed URL raises PushError telling how to write it."""
    with pytest.raises(PushError, match="--gate-pushgateway http://host:9091"):
        push_gate_status(url, "prod", "GO", CHECKS, timeout_seconds=1)


def test_credentials_in_the_url_never_appear_in_a_push_error(failing_server: str) -> None:
    """A URL with user:password is sent as basic auth; the PushError never shows the password."""
    url = failing_server.replace("http://", "http://ops:s3cret@")
    with pytest.raises(PushError, match="HTTP 503") as excinfo:
        push_gate_status(url, "prod", "GO", CHECKS, 1)
    assert "s3cret" not in str(excinfo.value) and "ops" not in str(excinfo.value)


def test_non_positive_timeout_is_refused() -> None:
    """A zero timeout raises PushError instead of blocking forever or failing obscurely."""
    with pytest.raises(PushError, match="timeout 0 s is not positive"):
        push_gate_status("http://127.0.0.1:9091", "prod", "GO", CHECKS, timeout_seconds=0)


def test_bare_host_and_port_is_accepted(stack: tuple[Pushgateway, PrometheusServer]) -> None:
    """host:port without a scheme pushes over http, as prometheus_client does."""
    gateway, _ = stack
    push_gate_status(gateway.address, "ci-bare", "GO", CHECKS, timeout_seconds=5)
    exposed = requests.get(gateway.url + "/metrics", timeout=5).text
    assert 'deployment_gate_status{environment="ci-bare",instance="",job="deployment_gate"} 2' in exposed




def test_gate_run_with_gate_pushgateway_makes_the_no_go_alert_pending(
    stack: tuple[Pushgateway, PrometheusServer], tmp_path: Path
) -> None:
    """A real gate run with --gate-pushgateway pushes NO-GO and Prometheus's rule goes pending."""
    gateway, prometheus = stack
    write_suite(tmp_path, warning_ok=True, critical_ok=False)
    result = run_gate(tmp_path, "--gate-pushgateway", gateway.url, "--gate-environment", "ci-run")
    assert result.returncode == 2, result.stdout + result.stderr
    prometheus.wait_for('ALERTS{alertname="DeploymentGateNoGo", environment="ci-run"}')
    [failed] = prometheus.wait_for(
        'deployment_gate_check_passed{environment="ci-run", check="api_5xx_rate"}')
    assert (failed["metric"]["severity"], failed["value"][1]) == ("critical", "0")


def test_gate_run_pushes_a_waived_check_with_waived_true(
    stack: tuple[Pushgateway, PrometheusServer], tmp_path: Path
) -> None:
    """A real run whose critical failure a waiver covers pushes WARNING and waived="true"."""
    gateway, prometheus = stack
    write_suite(tmp_path, warning_ok=True, critical_ok=False)
    config = tmp_path / "waived.toml"
    config.write_text(GATE_CONFIG.read_text() + '\n[[waivers]]\ncheck = "test_api_5xx_rate"\n'
                      'reason = "INC-4711"\nowner = "alice@example.com"\nexpires = 2025-07-01\n')
    result = run_gate(tmp_path, "--gate-config", str(config), "--gate-time",
                      "2025-06-15T15:00:00Z", "--gate-pushgateway", gateway.url,
                      "--gate-environment", "ci-waived")
    assert result.returncode == 1, result.stdout + result.stderr
    [pushed] = prometheus.wait_for(
        'deployment_gate_check_passed{environment="ci-waived", check="api_5xx_rate"}')
    assert (pushed["metric"]["waived"], pushed["value"][1]) == ("true", "0")
    prometheus.wait_for('deployment_gate_status{environment="ci-waived"} == 1')


def test_gate_run_keeps_its_verdict_when_the_push_fails(tmp_path: Path) -> None:
    """An unreachable Pushgateway is reported and the exit code stays the verdict's (WARNING)."""
    write_suite(tmp_path, warning_ok=False, critical_ok=True)
    url = f"http://127.0.0.1:{free_port()}"
    result = run_gate(tmp_path, "--gate-pushgateway", url, "--gate-environment", "ci-down")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"not pushed to {url}" in result.stdout + result.stderr


def test_dry_run_pushes_the_verdict_it_decided_and_exits_0(
    stack: tuple[Pushgateway, PrometheusServer], tmp_path: Path
) -> None:
    """--gate-dry-run pushes NO-GO (0) as usual, so dashboards see it, and the run exits 0."""
    gateway, prometheus = stack
    write_suite(tmp_path, warning_ok=True, critical_ok=False)
    result = run_gate(tmp_path, "--gate-pushgateway", gateway.url, "--gate-environment",
                      "ci-dry", "--gate-dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    prometheus.wait_for('deployment_gate_status{environment="ci-dry"} == 0')
