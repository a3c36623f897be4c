"""The transport settings for Prometheus: environment variables and their ini twins.

DESIGN §5 ("Transport as real deployments need it"): a CA bundle, a client certificate and key
for mutual TLS, and extra request headers (``X-Scope-OrgID: tenant-a``). Each comes from its
environment variable or, when that is unset, from its ini twin; :func:`with_ini` folds the ini
values into one mapping shaped like the environment, which :mod:`pytest_gate.sources.transport`
reads. The proxy variables (``HTTPS_PROXY``, ``NO_PROXY``, ...) have no ini twin: they are the
machine's, read as curl reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest

CA_BUNDLE_ENV = "GATE_PROMETHEUS_CA_BUNDLE"
CLIENT_CERT_ENV = "GATE_PROMETHEUS_CLIENT_CERT"
CLIENT_KEY_ENV = "GATE_PROMETHEUS_CLIENT_KEY"
HEADERS_ENV = "GATE_PROMETHEUS_HEADERS"


@dataclass(frozen=True)
class TransportIni:
    """One transport setting: its ini name, the variable it stands in for, help and ini type."""

    ini: str
    env: str
    help: str
    kind: str = "string"  # string | linelist


TRANSPORT_INI = (
    TransportIni(
        "gate_prometheus_ca_bundle",
        CA_BUNDLE_ENV,
        f"PEM file of the CA that signed Prometheus's certificate (env {CA_BUNDLE_ENV}).",
    ),
    TransportIni(
        "gate_prometheus_client_cert",
        CLIENT_CERT_ENV,
        f"PEM client certificate for mutual TLS with Prometheus (env {CLIENT_CERT_ENV}).",
    ),
    TransportIni(
        "gate_prometheus_client_key",
        CLIENT_KEY_ENV,
        f"PEM private key of the client certificate (env {CLIENT_KEY_ENV}).",
    ),
    TransportIni(
        "gate_prometheus_headers",
        HEADERS_ENV,
        "Extra request headers for Prometheus, one 'Name: value' a line, e.g. "
        f"'X-Scope-OrgID: tenant-a' (env {HEADERS_ENV}, one a line).",
        kind="linelist",
    ),
)


def add_transport_ini(parser: pytest.Parser) -> None:
    """Register the ini twins of the transport variables."""
    for setting in TRANSPORT_INI:
        kind = setting.kind
        parser.addini(setting.ini, setting.help, type=kind, default=None)  # type: ignore[arg-type]


def with_ini(getini: Callable[[str], object], env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with each unset transport variable filled from its ini twin (env wins over ini)."""
    merged = dict(env)
    for setting in TRANSPORT_INI:
        if merged.get(setting.env):
            continue
        value = getini(setting.ini)
        if isinstance(value, list):
            value = "\n".join(str(line) for line in value)
        if value:
            merged[setting.env] = str(value)
    return merged
