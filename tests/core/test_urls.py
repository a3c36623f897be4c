"""URL redaction for the report and the terminal."""

from __future__ import annotations

import pytest

from pytest_gate.core.urls import redact


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:secret@prom:9090/api?token=x", "http://prom:9090/api"),
        ("https://[::1]:9090/", "https://[::1]:9090/"),
        ("http://u:p@[fd00::5]:80", "http://[fd00::5]:80"),
        ("pushgw:9091/x?job=a#f", "pushgw:9091/x"),
    ],
)
def test_redact_drops_credentials_and_query_and_keeps_ipv6(url: str, shown: str) -> None:
    """Credentials and query strings never reach the report; IPv6 hosts keep their brackets."""
    assert redact(url) == shown
