"""Proxy variables, extra headers, ini twins and tokens: read right, refused clearly, never shown."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from pytest_gate.config.transport import (
    CA_BUNDLE_ENV,
    CLIENT_CERT_ENV,
    CLIENT_KEY_ENV,
    HEADERS_ENV,
    with_ini,
)
from pytest_gate.core.deadline import Deadline
from pytest_gate.sources.auth import PASSWORD_ENV, TOKEN_ENV, USER_ENV, basic, credentials
from pytest_gate.sources.base import SourceConfigError
from pytest_gate.sources.http import HttpClient, TransportError
from pytest_gate.sources.proxy import parse_proxy, proxy_for
from pytest_gate.sources.transport import parse_headers

PROXY = "http://proxy.corp:3128"


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({"HTTPS_PROXY": PROXY}, ("https", "prom.example.com", 443), "proxy.corp:3128"),
        ({"https_proxy": PROXY}, ("https", "prom.example.com", 443), "proxy.corp:3128"),
        ({"HTTPS_PROXY": PROXY}, ("http", "prom.example.com", 80), None),
        ({"HTTP_PROXY": "proxy.corp:8080"}, ("http", "prom", 9090), "proxy.corp:8080"),
        ({"HTTP_PROXY": "http://a:1", "http_proxy": "http://b:2"}, ("http", "p", 80), "b:2"),
        (
            {"HTTPS_PROXY": PROXY, "NO_PROXY": "prom.example.com"},
            ("https", "prom.example.com", 443),
            None,
        ),
        (
            {"HTTPS_PROXY": PROXY, "NO_PROXY": "example.com"},
            ("https", "prom.example.com", 443),
            None,
        ),
        (
            {"HTTPS_PROXY": PROXY, "NO_PROXY": ".example.com"},
            ("https", "prom.example.com", 443),
            None,
        ),
        (
            {"HTTPS_PROXY": PROXY, "NO_PROXY": "ample.com"},
            ("https", "prom.example.com", 443),
            "proxy.corp:3128",
        ),
        ({"HTTPS_PROXY": PROXY, "no_proxy": "*"}, ("https", "anything", 443), None),
        ({"HTTPS_PROXY": PROXY, "NO_PROXY": "a, prom:9090"}, ("https", "prom", 9090), None),
        (
            {"HTTPS_PROXY": PROXY, "NO_PROXY": "prom:9091"},
            ("https", "prom", 9090),
            "proxy.corp:3128",
        ),
        ({"HTTPS_PROXY": PROXY, "NO_PROXY": "10.0.0.0/8"}, ("https", "10.1.2.3", 443), None),
        (
            {"HTTPS_PROXY": PROXY, "NO_PROXY": "10.0.0.0/8"},
            ("https", "11.1.2.3", 443),
            "proxy.corp:3128",
        ),
        ({"HTTP_PROXY": "http://proxy"}, ("http", "p", 80), "proxy:1080"),
    ],
)
def test_proxy_variables_are_read_as_curl_reads_them(
    env: Mapping[str, str], url: tuple[str, str, int], expected: str | None
) -> None:
    """Scheme-specific variable, lower case first, NO_PROXY hosts, suffixes, ports, CIDR and *."""
    proxy = proxy_for(*url, env)
    assert (None if proxy is None else f"{proxy.host}:{proxy.port}") == expected


def test_proxy_credentials_are_sent_and_never_shown() -> None:
    """``http://user:pass@proxy`` becomes Proxy-Authorization; shown form and repr hide it."""
    proxy = parse_proxy("http://gate:s3cr%40t@proxy.corp:3128", "HTTPS_PROXY")
    assert proxy.authorization == "Basic Z2F0ZTpzM2NyQHQ="
    assert "s3cr" not in proxy.shown and "s3cr" not in repr(proxy)


@pytest.mark.parametrize("value", ["https://proxy:3128", "socks5://proxy:1080", "http://:3128"])
def test_a_proxy_the_gate_cannot_speak_to_is_refused(value: str) -> None:
    """Only http:// proxies (TLS is tunnelled through them): anything else names the variable."""
    with pytest.raises(SourceConfigError, match=r"HTTPS_PROXY .*http://\[user:password@\]"):
        parse_proxy(value, "HTTPS_PROXY")


def test_extra_headers_are_one_name_value_a_line() -> None:
    """Blank lines are skipped, values trimmed, order kept."""
    text = "X-Scope-OrgID: tenant-a\n\n  X-Team :  infra \r\n"
    assert parse_headers(text) == (("X-Scope-OrgID", "tenant-a"), ("X-Team", "infra"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Authorization: Bearer hunter2-value", "would override Authorization"),
        ("authorization: Basic hunter2-value", "would override authorization"),
        ("Host: hunter2-value.evil", "would override Host"),
        ("Proxy-Authorization: hunter2-value", "would override Proxy-Authorization"),
        ("hunter2-value", "line 1 is not 'Name: value'"),
        ("X Bad: hunter2-value", "line 1 is not 'Name: value'"),
        ("X-Scope-OrgID: hunter2-value\nX-Scope-OrgID: hunter2-value", "line 2 repeats"),
        ("X-Scope-OrgID: hunter2-value\x00", "control character"),
        ("X-Scope-OrgID: hunter2-value\u2603", "outside Latin-1"),
    ],
)
def test_bad_extra_headers_are_refused_without_showing_the_value(text: str, problem: str) -> None:
    """Each bad line names the variable, the line and the problem, never the value."""
    with pytest.raises(SourceConfigError, match=HEADERS_ENV) as info:
        parse_headers(text)
    assert problem in str(info.value)
    assert "hunter2" not in str(info.value)


def test_ini_twins_fill_unset_variables_and_the_environment_wins() -> None:
    """``gate_prometheus_headers`` (a line list) and the rest apply only where env is unset."""
    ini = {
        "gate_prometheus_headers": ["X-Scope-OrgID: tenant-a", "X-Team: infra"],
        "gate_prometheus_ca_bundle": "/ini/ca.pem",
        "gate_prometheus_client_cert": "",
        "gate_prometheus_client_key": None,
    }
    merged = with_ini(ini.__getitem__, {CA_BUNDLE_ENV: "/env/ca.pem"})
    assert merged[HEADERS_ENV] == "X-Scope-OrgID: tenant-a\nX-Team: infra"
    assert merged[CA_BUNDLE_ENV] == "/env/ca.pem"
    assert CLIENT_CERT_ENV not in merged and CLIENT_KEY_ENV not in merged


def test_a_token_with_a_trailing_newline_is_sent_without_it() -> None:
    """A token read from a file keeps its newline in the variable; the header does not."""
    sent = credentials(None, None, {TOKEN_ENV: "abc.def-ghi\n"})
    assert sent.authorization == "Bearer abc.def-ghi"
    assert "abc.def-ghi\n" in sent.secrets


def test_a_password_keeps_its_spaces_and_loses_a_file_s_line_break() -> None:
    """Basic auth: only the trailing line break a file adds is dropped."""
    env = {USER_ENV: "gate\n", PASSWORD_ENV: " pass word \r\n"}
    assert credentials(None, None, env).authorization == basic("gate", " pass word ")


@pytest.mark.parametrize(
    "token", ["abc\ndef-hunter2", "t\u00f6ken-hunter2", "tok\u2603hunter2", "a b hunter2"]
)
def test_a_token_that_cannot_be_a_header_is_refused_unseen(token: str) -> None:
    """A newline inside, a non-ASCII character or a space: refused, naming the variable only."""
    with pytest.raises(SourceConfigError, match=TOKEN_ENV) as info:
        credentials(None, None, {TOKEN_ENV: token})
    assert "hunter2" not in str(info.value) and "\\n" not in str(info.value)


@pytest.mark.parametrize(("scheme", "variable"), [("https", "HTTPS_PROXY"), ("http", "HTTP_PROXY")])
def test_a_host_that_does_not_resolve_without_a_proxy_suggests_one(
    scheme: str, variable: str
) -> None:
    """No proxy set and the name does not resolve (RFC 2606 .invalid): the message names the fix."""
    client = HttpClient.from_env(f"{scheme}://prometheus.invalid:9090", "--prometheus-url", {})
    with pytest.raises(TransportError, match="host name could not be resolved") as info:
        client.get("/api/v1/query", Deadline(5), {})
    client.close()
    assert f"set {variable}=http://proxy-host:port" in str(info.value)
