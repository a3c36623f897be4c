"""Mutual TLS and extra request headers for Prometheus, checked before the first request.

Reads :data:`~pytest_gate.config.transport.CA_BUNDLE_ENV`, ``CLIENT_CERT_ENV``,
``CLIENT_KEY_ENV`` and ``HEADERS_ENV`` from one environment-shaped mapping (the ini twins already
folded in). Every problem is a :class:`SourceConfigError` that names the variable and the fix and
never shows a header value. ``ssl`` is imported only when a certificate or an https URL needs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_gate.config.transport import (
    CA_BUNDLE_ENV,
    CLIENT_CERT_ENV,
    CLIENT_KEY_ENV,
    HEADERS_ENV,
)
from pytest_gate.sources.base import SourceConfigError

if TYPE_CHECKING:
    import ssl

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name
_VALUE = re.compile(r"^[\x20-\x7e\x80-\xff\t]*$")  # visible Latin-1, space and tab
OWNED_HEADERS = {
    "authorization": "the gate builds Authorization from GATE_PROMETHEUS_TOKEN or "
    "GATE_PROMETHEUS_USER + GATE_PROMETHEUS_PASSWORD; set the credentials there",
    "proxy-authorization": "the gate sends Proxy-Authorization from the user and password in "
    "HTTPS_PROXY / HTTP_PROXY; put them there",
    "host": "Host comes from --prometheus-url; point the URL at the host you mean",
    "content-length": "the gate frames its own requests; drop the line",
    "transfer-encoding": "the gate frames its own requests; drop the line",
    "connection": "the gate manages its own connections; drop the line",
}
HEADER_FIX = f"give one 'Name: value' a line in {HEADERS_ENV}, e.g. 'X-Scope-OrgID: tenant-a'"
TLS_REJECTED_REASONS = frozenset(
    {
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        "SSLV3_ALERT_BAD_CERTIFICATE",
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
        "TLSV1_ALERT_UNKNOWN_CA",
        "TLSV1_ALERT_ACCESS_DENIED",
        "SSLV3_ALERT_CERTIFICATE_REVOKED",
        "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    }
)


@dataclass(frozen=True)
class Transport:
    """What every request to one origin carries besides the credentials."""

    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """Extra request headers, in order (values never shown)."""

    @property
    def header_names(self) -> tuple[str, ...]:
        """The names of the extra headers (safe to show)."""
        return tuple(name for name, _ in self.headers)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The extra header values, for redaction."""
        return tuple(value for _, value in self.headers if value)

    def state(self) -> str:
        """What the gate sent besides credentials, for a refusal message (never a value)."""
        cert = (
            f"a client certificate ({CLIENT_CERT_ENV}) was offered"
            if self.client_cert
            else f"no client certificate was offered ({CLIENT_CERT_ENV} is not set)"
        )
        names = ", ".join(self.header_names)
        headers = (
            f"extra headers {names} were sent ({HEADERS_ENV})"
            if names
            else f"no extra headers were sent ({HEADERS_ENV} is not set; a multi-tenant Mimir or "
            "Cortex wants 'X-Scope-OrgID: <tenant>')"
        )
        return f"{cert}; {headers}"

    def tls_context(self) -> ssl.SSLContext:
        """A verifying TLS context with the CA bundle and the client certificate, if any."""
        import ssl

        context = ssl.create_default_context(cafile=self.ca_bundle)
        if self.client_cert is not None:
            try:
                # an empty password: an encrypted key fails here instead of prompting on a tty
                context.load_cert_chain(self.client_cert, self.client_key, password=b"")
            except ssl.SSLError as error:
                raise SourceConfigError(_cert_problem(error)) from None
            except OSError as error:
                raise SourceConfigError(
                    f"{CLIENT_CERT_ENV} or {CLIENT_KEY_ENV} cannot be read "
                    f"({error.strerror or error}); point them at readable PEM files"
                ) from None
        return context


def _cert_problem(error: BaseException) -> str:
    reason = str(getattr(error, "reason", "") or "")
    if reason == "KEY_VALUES_MISMATCH":
        return (
            f"{CLIENT_KEY_ENV} does not match the certificate in {CLIENT_CERT_ENV}; give the "
            "private key that certificate was issued for"
        )
    return (
        f"{CLIENT_CERT_ENV} / {CLIENT_KEY_ENV} could not be loaded "
        f"({reason or type(error).__name__}); give an unencrypted PEM certificate "
        "(-----BEGIN CERTIFICATE-----) and its PEM private key"
    )


def tls_failure(error: BaseException, transport: Transport) -> str:
    """What a failed TLS connection means and how to fix it (an ``ssl.SSLError``).

    A certificate that did not verify names the CA bundle; an alert that means the server refused
    our client certificate, or a handshake the server ended without one, names the certificate
    variables and whether a certificate was offered.
    """
    verify_message = getattr(error, "verify_message", None)
    if verify_message:
        return (
            f"TLS verification failed ({verify_message}); set {CA_BUNDLE_ENV} to your CA's PEM "
            "file if the server uses a private CA"
        )
    reason = str(getattr(error, "reason", "") or "") or type(error).__name__
    offered = (
        f"the certificate in {CLIENT_CERT_ENV} was offered"
        if transport.client_cert
        else f"none was offered ({CLIENT_CERT_ENV} is not set)"
    )
    fix = (
        f"set {CLIENT_CERT_ENV} and {CLIENT_KEY_ENV} to a certificate and key the server's CA "
        "signed"
    )
    if reason in TLS_REJECTED_REASONS:
        return f"the server refused the TLS client certificate ({reason}); {offered}; {fix}"
    return (
        f"the TLS connection failed ({reason}); if the server demands a client certificate, "
        f"{offered}: {fix}; otherwise check that the URL's port speaks TLS"
    )


def _readable(env: Mapping[str, str], name: str, what: str) -> str | None:
    path = env.get(name, "").strip()
    if not path:
        return None
    if not Path(path).is_file() or not os.access(path, os.R_OK):
        raise SourceConfigError(f"{name}={path!r} is not a readable file; point it at {what}")
    return path


def parse_headers(text: str) -> tuple[tuple[str, str], ...]:
    """``Name: value`` lines into pairs; raises :class:`SourceConfigError` (never shows a value)."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name, value = name.strip(), value.strip()
        where = f"{HEADERS_ENV} line {number}"
        if not colon or not _TOKEN.match(name):
            raise SourceConfigError(f"{where} is not 'Name: value'; {HEADER_FIX}")
        if name.lower() in OWNED_HEADERS:
            raise SourceConfigError(
                f"{where} would override {name}, which the gate may not take from extra "
                f"headers: {OWNED_HEADERS[name.lower()]}"
            )
        if not _VALUE.match(value):
            raise SourceConfigError(
                f"{where} ({name}) has a control character or a character outside Latin-1 in "
                "its value; HTTP header values are visible ASCII (or Latin-1)"
            )
        if name.lower() in seen:
            raise SourceConfigError(f"{where} repeats {name}; give each header once")
        seen.add(name.lower())
        pairs.append((name, value))
    return tuple(pairs)


def transport_from_env(env: Mapping[str, str]) -> Transport:
    """The checked transport settings; raises :class:`SourceConfigError` ("<problem>; <fix>")."""
    ca_bundle = _readable(env, CA_BUNDLE_ENV, "your CA's PEM file")
    cert = _readable(env, CLIENT_CERT_ENV, "your client certificate (PEM)")
    key = _readable(env, CLIENT_KEY_ENV, "the client certificate's private key (PEM)")
    if key is not None and cert is None:
        raise SourceConfigError(
            f"{CLIENT_KEY_ENV} is set without {CLIENT_CERT_ENV}; set both for mutual TLS"
        )
    transport = Transport(ca_bundle, cert, key, parse_headers(env.get(HEADERS_ENV, "")))
    if cert is not None:
        transport.tls_context()  # a bad key or certificate is a config error before any request
    return transport
