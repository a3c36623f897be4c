"""Auth from the environment, credentials never reported, TLS verification on by default."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pytest_gate.core.query import DataState, Gauge, Selector
from pytest_gate.sources.snapshot import SourceConfigError
from tests.sources.conftest import FaultServer, SnapshotFactory
from tests.support.prometheus_server import free_port

UP = Gauge(Selector("up"))
SECRET = "s3cr3t-p@ss"


def last_authorization(server: FaultServer) -> str:
    """The Authorization header of the server's latest request."""
    return server.headers_seen[-1].get("Authorization", "")


def test_bearer_token_comes_from_the_environment(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """GATE_PROMETHEUS_TOKEN is sent as a bearer token."""
    snapshot = open_source(
        prometheus_url=f"{fault_server.url}/auth/bearer", env={"GATE_PROMETHEUS_TOKEN": SECRET}
    )
    snapshot.ask(UP)
    assert last_authorization(fault_server) == f"Bearer {SECRET}"


def test_basic_auth_comes_from_the_environment(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """GATE_PROMETHEUS_USER and GATE_PROMETHEUS_PASSWORD are sent as basic auth."""
    env = {"GATE_PROMETHEUS_USER": "gate", "GATE_PROMETHEUS_PASSWORD": SECRET}
    snapshot = open_source(prometheus_url=f"{fault_server.url}/auth/basic", env=env)
    snapshot.ask(UP)
    expected = base64.b64encode(f"gate:{SECRET}".encode()).decode()
    assert last_authorization(fault_server) == f"Basic {expected}"


def test_credentials_in_the_url_are_used_as_basic_auth(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """``http://user:pass@host`` sends basic auth (the password may be percent-encoded)."""
    url = fault_server.url.replace("http://", "http://gate:s3cr3t-p%40ss@") + "/auth/url"
    snapshot = open_source(prometheus_url=url)
    snapshot.ask(UP)
    expected = base64.b64encode(f"gate:{SECRET}".encode()).decode()
    assert last_authorization(fault_server) == f"Basic {expected}"


def test_credentials_in_the_url_are_not_reported(
    fault_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """The reported source URL has no user or password in it."""
    url = fault_server.url.replace("http://", "http://gate:s3cr3t-p%40ss@") + "/auth/url"
    snapshot = open_source(prometheus_url=url)
    assert snapshot.describe()["url"] == fault_server.url + "/auth/url"


def test_credentials_never_appear_in_failure_messages(open_source: SnapshotFactory) -> None:
    """A failure against a URL with credentials does not leak them into the message."""
    url = f"http://gate:{SECRET}@127.0.0.1:{free_port()}"
    snapshot = open_source(prometheus_url=url)
    answer = snapshot.ask(UP)
    assert answer.state is DataState.ERROR
    assert SECRET not in answer.message and "gate:" not in answer.message


def test_credentials_never_appear_in_a_recording(
    fault_server: FaultServer, open_source: SnapshotFactory, tmp_path: Path
) -> None:
    """A recording made with credentials in the URL holds neither user nor password."""
    url = fault_server.url.replace("http://", f"http://gate:{SECRET}@") + "/auth/recorded"
    path = tmp_path / "recording.json"
    snapshot = open_source(prometheus_url=url, record_path=path)
    snapshot.ask(UP)
    snapshot.close()
    assert SECRET not in path.read_text()


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"GATE_PROMETHEUS_USER": "gate"}, "only one of GATE_PROMETHEUS_USER"),
        (
            {
                "GATE_PROMETHEUS_TOKEN": "t",
                "GATE_PROMETHEUS_USER": "u",
                "GATE_PROMETHEUS_PASSWORD": "p",
            },
            "both a bearer token",
        ),
        ({"GATE_PROMETHEUS_CA_BUNDLE": "/nonexistent/ca.pem"}, "not a readable file"),
    ],
)
def test_inconsistent_auth_settings_are_refused(
    open_source: SnapshotFactory, env: dict[str, str], problem: str
) -> None:
    """Half-set or conflicting auth settings fail at start with a message naming the fix."""
    with pytest.raises(SourceConfigError, match=problem):
        open_source(prometheus_url="http://127.0.0.1:9", env=env)


def test_url_without_scheme_is_refused(open_source: SnapshotFactory) -> None:
    """A URL that is not http(s) fails at start with an example of a good one."""
    with pytest.raises(SourceConfigError, match=r"give e\.g\. http://prometheus:9090"):
        open_source(prometheus_url="prometheus:9090")


def test_self_signed_certificate_is_rejected_by_default(
    tls_server: FaultServer, open_source: SnapshotFactory
) -> None:
    """TLS verification is on: an untrusted certificate is an error with the CA-bundle hint."""
    snapshot = open_source(prometheus_url=f"{tls_server.url}/ok/tls")
    answer = snapshot.ask(UP)
    assert answer.state is DataState.ERROR
    assert "GATE_PROMETHEUS_CA_BUNDLE" in answer.message


def test_ca_bundle_from_the_environment_is_trusted(
    tls_server: FaultServer, tls_cert: Path, open_source: SnapshotFactory
) -> None:
    """GATE_PROMETHEUS_CA_BUNDLE makes a private CA's certificate verify."""
    snapshot = open_source(
        prometheus_url=f"{tls_server.url}/ok/tls-trusted",
        env={"GATE_PROMETHEUS_CA_BUNDLE": str(tls_cert)},
    )
    assert snapshot.ask(UP).state is DataState.OK


def test_describe_is_json_ready(fault_server: FaultServer, open_source: SnapshotFactory) -> None:
    """The source description serialises to strict JSON for the report."""
    snapshot = open_source(prometheus_url=f"{fault_server.url}/ok/describe")
    assert json.loads(json.dumps(snapshot.describe(), allow_nan=False))["kind"] == "prometheus"
