"""The default gate through real transport: a forward proxy (tinyproxy) and a TLS front (nginx).

One backfilled Prometheus holds the healthy golden scenario; tinyproxy runs open and with
``BasicAuth``; nginx terminates TLS before Prometheus, demanding a client certificate from the
test's CA and ``X-Scope-OrgID: tenant-a``. Each test runs ``pytest gate_checks`` as CI would and
reads its report; the proxies' and nginx's own logs prove which way the requests went.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_gate.core.deadline import Deadline
from pytest_gate.sources.http import HttpClient
from tests.checks.deployment import T, write
from tests.checks.scenarios import BY_NAME
from tests.support.nginx_front import TENANT, NginxFront, Pki
from tests.support.nginx_front import available as nginx_available
from tests.support.prometheus_server import OpenMetrics, PrometheusServer, Pushgateway, free_port
from tests.support.tinyproxy_server import TinyProxy
from tests.support.tinyproxy_server import available as tinyproxy_available

ROOT = Path(__file__).resolve().parents[2]
GATE_DIR = ROOT / "gate_checks"
SCENARIO = BY_NAME["healthy"]
PROXY_AUTH = ("gate", "pr0xy-s3cret")
RUN_TIMEOUT_SECONDS = 120
DROPPED_ENV = ("GATE_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "GITHUB_STEP_SUMMARY")

pytestmark = pytest.mark.skipif(
    not (tinyproxy_available() and nginx_available()),
    reason="tinyproxy, nginx or openssl is not installed (scripts/install.sh installs them)",
)


@dataclass(frozen=True)
class GateRun:
    """One ``pytest gate_checks`` run: exit code, report and everything it printed."""

    exit_code: int
    report: dict[str, Any]
    output: str
    report_text: str

    def problems(self) -> str:
        """Every message of the report (session messages and check messages), one a line."""
        checks = [str(c.get("message", "")) for c in self.report["checks"]]
        return "\n".join([*self.report.get("messages", []), *checks])


@dataclass(frozen=True)
class Servers:
    """Everything the module's tests talk to."""

    prometheus: PrometheusServer
    proxy: TinyProxy
    auth_proxy: TinyProxy
    front: NginxFront
    pki: Pki
    config: Path
    pushgateway: Pushgateway


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Prometheus with healthy data, an open and an authenticating tinyproxy, the nginx front."""
    root = tmp_path_factory.mktemp("transport")
    om = OpenMetrics()
    write(om, SCENARIO)
    text = (GATE_DIR / "gate.toml").read_text()
    selector = f'label_selector = {{ namespace = "{SCENARIO.namespace}" }}'
    config = root / "gate.toml"
    config.write_text(text.replace("label_selector = {}", selector, 1))
    pki = Pki.make(root / "pki")
    with (
        PrometheusServer.start(root / "prometheus", openmetrics=om) as prometheus,
        TinyProxy.start(root / "proxy") as proxy,
        TinyProxy.start(root / "auth-proxy", auth=PROXY_AUTH) as auth_proxy,
        NginxFront.start(root / "nginx", pki, upstream=prometheus.url) as front,
        Pushgateway.start(root / "pushgateway") as pushgateway,
    ):
        yield Servers(prometheus, proxy, auth_proxy, front, pki, config, pushgateway)


def run_gate(
    servers: Servers, url: str, env: Mapping[str, str], tmp_path: Path, *options: str
) -> GateRun:
    """Run the default gate against ``url`` with ``env`` added to a clean environment."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith(DROPPED_ENV)}
    clean |= {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_PLUGINS": "pytest_gate.plugin", **env}
    report = tmp_path / "report.json"
    command = [
        sys.executable, "-m", "pytest", str(GATE_DIR), "-p", "no:cacheprovider",
        "--gate-config", str(servers.config), "--gate-time", str(T),
        "--gpu-source", "prometheus", "--prometheus-url", url, "--gate-report", str(report),
        *options,
    ]  # fmt: skip
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    output = done.stdout + done.stderr
    assert report.is_file(), f"no report:\n{output}"
    text = report.read_text()
    return GateRun(done.returncode, json.loads(text), output, text)


def tls_env(pki: Pki, *, cert: bool = True, tenant: bool = True) -> dict[str, str]:
    """CA bundle, client certificate and tenant header for the nginx front."""
    env = {"GATE_PROMETHEUS_CA_BUNDLE": str(pki.ca_cert)}
    if cert:
        env |= {
            "GATE_PROMETHEUS_CLIENT_CERT": str(pki.client_cert),
            "GATE_PROMETHEUS_CLIENT_KEY": str(pki.client_key),
        }
    if tenant:
        env["GATE_PROMETHEUS_HEADERS"] = f"X-Scope-OrgID: {TENANT}"
    return env


def test_the_gate_says_go_and_pushes_through_a_forward_proxy(
    servers: Servers, tmp_path: Path
) -> None:
    """HTTP_PROXY: the queries and the push go to tinyproxy in absolute form; GO is pushed."""
    url, gateway = servers.prometheus.url, servers.pushgateway.url
    options = ("--gate-pushgateway", gateway, "--gate-environment", "via-proxy")
    run = run_gate(servers, url, {"HTTP_PROXY": servers.proxy.url}, tmp_path, *options)
    assert (run.exit_code, run.report["verdict"]) == (0, "GO"), run.output
    servers.proxy.wait_logged(f"POST {url}/api/v1/query")
    servers.proxy.wait_logged(f"PUT {gateway}/metrics/job/deployment_gate/environment/via-proxy")
    exposed = requests.get(gateway + "/metrics", timeout=5).text
    assert (
        'deployment_gate_status{environment="via-proxy",instance="",job="deployment_gate"} 2'
        in (exposed)
    )


def test_no_proxy_sends_the_queries_directly(servers: Servers, tmp_path: Path) -> None:
    """NO_PROXY naming the host: GO, and the proxy (given a bad port) is never asked."""
    env = {"HTTP_PROXY": f"http://127.0.0.1:{free_port()}", "NO_PROXY": "localhost,127.0.0.1"}
    run = run_gate(servers, servers.prometheus.url, env, tmp_path)
    assert (run.exit_code, run.report["verdict"]) == (0, "GO"), run.output


def test_the_gate_says_go_through_an_authenticating_proxy(servers: Servers, tmp_path: Path) -> None:
    """The proxy URL's user and password become Proxy-Authorization and are never shown."""
    env = {"HTTP_PROXY": servers.auth_proxy.url_with_auth}
    run = run_gate(servers, servers.prometheus.url, env, tmp_path)
    assert (run.exit_code, run.report["verdict"]) == (0, "GO"), run.output
    servers.auth_proxy.wait_logged(f"POST {servers.prometheus.url}/api/v1/query")
    assert PROXY_AUTH[1] not in run.output + run.report_text


def test_a_proxy_that_wants_credentials_is_a_no_go_saying_where_they_go(
    servers: Servers, tmp_path: Path
) -> None:
    """Without the proxy's credentials: NO-GO, and the message says where they go.

    tinyproxy answers a POST without credentials with 407 and closes before reading the body, so
    the answer may arrive as the 407 or as a reset; the fix is named either way."""
    run = run_gate(
        servers, servers.prometheus.url, {"HTTP_PROXY": servers.auth_proxy.url}, tmp_path
    )
    assert (run.exit_code, run.report["verdict"]) == (2, "NO-GO"), run.output
    assert "HTTP_PROXY=http://user:password@proxy-host:" in run.problems()


def test_a_proxy_that_is_down_is_a_no_go_naming_it(servers: Servers, tmp_path: Path) -> None:
    """HTTP_PROXY pointing at nothing: NO-GO naming the proxy and the variable."""
    proxy = f"http://127.0.0.1:{free_port()}"
    run = run_gate(servers, servers.prometheus.url, {"HTTP_PROXY": proxy}, tmp_path)
    assert (run.exit_code, run.report["verdict"]) == (2, "NO-GO"), run.output
    assert f"connection refused (through the proxy {proxy} from HTTP_PROXY" in run.problems()


def test_the_gate_says_go_through_mutual_tls_a_tenant_header_and_a_tunnel(
    servers: Servers, tmp_path: Path
) -> None:
    """HTTPS_PROXY with auth opens a CONNECT tunnel to nginx, which gets the certificate and
    tenant it demands; the tenant value appears nowhere in the output or the report."""
    env = tls_env(servers.pki) | {"HTTPS_PROXY": servers.auth_proxy.url_with_auth}
    recording = tmp_path / "recording.json"
    run = run_gate(servers, servers.front.url, env, tmp_path, "--gate-record", str(recording))
    assert (run.exit_code, run.report["verdict"]) == (0, "GO"), run.output
    servers.auth_proxy.wait_logged(f"CONNECT {servers.front.url.removeprefix('https://')}")
    assert TENANT not in run.output + run.report_text + recording.read_text()
    assert PROXY_AUTH[1] not in run.output + run.report_text


def test_the_transport_ini_twins_reach_the_front(servers: Servers, tmp_path: Path) -> None:
    """gate_prometheus_ca_bundle, _client_cert, _client_key and _headers from ini: GO."""
    pki = servers.pki
    ini = {
        "gate_prometheus_ca_bundle": pki.ca_cert,
        "gate_prometheus_client_cert": pki.client_cert,
        "gate_prometheus_client_key": pki.client_key,
        "gate_prometheus_headers": f"X-Scope-OrgID: {TENANT}",
    }
    options = [arg for name, value in ini.items() for arg in ("-o", f"{name}={value}")]
    run = run_gate(servers, servers.front.url, {}, tmp_path, *options)
    assert (run.exit_code, run.report["verdict"]) == (0, "GO"), run.output


def test_without_the_client_certificate_the_front_refuses_and_the_gate_says_why(
    servers: Servers, tmp_path: Path
) -> None:
    """No certificate: nginx answers 403; NO-GO naming GATE_PROMETHEUS_CLIENT_CERT."""
    run = run_gate(servers, servers.front.url, tls_env(servers.pki, cert=False), tmp_path)
    assert (run.exit_code, run.report["verdict"]) == (2, "NO-GO"), run.output
    assert "HTTP 403" in run.problems()
    assert "no client certificate was offered (GATE_PROMETHEUS_CLIENT_CERT" in run.problems()


def test_a_certificate_from_another_ca_is_refused_by_the_front(
    servers: Servers, tmp_path: Path
) -> None:
    """A stranger's certificate: 403 and NO-GO that says a certificate was offered."""
    env = tls_env(servers.pki) | {
        "GATE_PROMETHEUS_CLIENT_CERT": str(servers.pki.stranger_cert),
        "GATE_PROMETHEUS_CLIENT_KEY": str(servers.pki.stranger_key),
    }
    run = run_gate(servers, servers.front.url, env, tmp_path)
    assert (run.exit_code, run.report["verdict"]) == (2, "NO-GO"), run.output
    assert "HTTP 403" in run.problems()
    assert "a client certificate (GATE_PROMETHEUS_CLIENT_CERT) was offered" in run.problems()


def test_without_the_tenant_header_the_front_refuses_and_the_gate_says_why(
    servers: Servers, tmp_path: Path
) -> None:
    """No X-Scope-OrgID: nginx answers 401; NO-GO naming GATE_PROMETHEUS_HEADERS."""
    run = run_gate(servers, servers.front.url, tls_env(servers.pki, tenant=False), tmp_path)
    assert (run.exit_code, run.report["verdict"]) == (2, "NO-GO"), run.output
    assert "HTTP 401" in run.problems() and "X-Scope-OrgID: <tenant>" in run.problems()


def test_a_key_that_does_not_match_is_a_no_go_naming_the_variable(
    servers: Servers, tmp_path: Path
) -> None:
    """A mismatched key is NO-GO before any request, naming GATE_PROMETHEUS_CLIENT_KEY."""
    env = tls_env(servers.pki) | {"GATE_PROMETHEUS_CLIENT_KEY": str(servers.pki.stranger_key)}
    run = run_gate(servers, servers.front.url, env, tmp_path)
    assert (run.exit_code, run.report["verdict"]) == (2, "NO-GO"), run.output
    assert "GATE_PROMETHEUS_CLIENT_KEY does not match" in run.problems()


def test_a_tunnel_refused_for_want_of_credentials_names_the_variable(
    servers: Servers, tmp_path: Path
) -> None:
    """HTTPS_PROXY without the proxy's credentials: CONNECT gets 407; NO-GO says where they go."""
    env = tls_env(servers.pki) | {"HTTPS_PROXY": servers.auth_proxy.url}
    run = run_gate(servers, servers.front.url, env, tmp_path)
    assert (run.exit_code, run.report["verdict"]) == (2, "NO-GO"), run.output
    assert f"the proxy {servers.auth_proxy.url} (HTTPS_PROXY) refused the tunnel (407" in (
        run.problems()
    )
    assert "HTTPS_PROXY=http://user:password@proxy-host:port" in run.problems()


@pytest.mark.parametrize(("with_auth", "status"), [(False, 407), (True, 200)])
def test_a_scrape_goes_through_the_authenticating_proxy(
    servers: Servers, with_auth: bool, status: int
) -> None:
    """A ``--metrics-url`` GET through the proxy: 407 without its credentials, 200 with them."""
    proxy = servers.auth_proxy.url_with_auth if with_auth else servers.auth_proxy.url
    client = HttpClient.plain(
        servers.prometheus.url + "/metrics", "--metrics-url", {"HTTP_PROXY": proxy}
    )
    assert client.get("", Deadline(10), {}).status == status
    client.close()
    servers.auth_proxy.wait_logged(f"GET {servers.prometheus.url}/metrics")
