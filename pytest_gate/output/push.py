"""Push the gate's verdict to a Prometheus Pushgateway (``--gate-pushgateway URL``).

Two gauges, as DESIGN §6 defines them:

- ``deployment_gate_status{environment}``: 2 GO, 1 WARNING, 0 NO-GO;
- ``deployment_gate_check_passed{check,severity,environment,waived}``: 1 passed, 0 did not;
  ``waived`` is ``"true"`` when a ``[[waivers]]`` entry covered the check in this run.

The exposition is built on an explicit :class:`~prometheus_client.CollectorRegistry` (never the
global one) and pushed with ``PUT`` under the grouping key ``job="deployment_gate"`` and
``environment``, so each push replaces the previous one for that environment: a check that was
removed from the suite does not linger as a stale series. Every failure becomes a
:class:`PushError` whose message says what went wrong and how to fix it; the caller reports it and
never lets it change the verdict.

The push goes through the gate's own HTTP client (:mod:`pytest_gate.sources.http`), so it honours
the proxy variables exactly as the queries do, sends a ``user:password@`` of the URL as basic auth
to that origin only, and never shows it.
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Sequence
from urllib.parse import quote_plus, urlsplit

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from pytest_gate.core.deadline import Deadline, DeadlineExceeded
from pytest_gate.core.decision import GAUGE_VALUES
from pytest_gate.core.urls import redact
from pytest_gate.sources.base import SourceConfigError
from pytest_gate.sources.http import HttpClient, TransportError

JOB_NAME = "deployment_gate"
"""The ``job`` grouping key every push uses (the alert rules select on it)."""

STATUS_VALUES: dict[str, int] = {verdict.value: value for verdict, value in GAUGE_VALUES.items()}
"""Verdict to ``deployment_gate_status`` value."""

WAIVED_VALUES = {True: "true", False: "false"}
"""The ``waived`` label of ``deployment_gate_check_passed``."""

_HTTP_BODY_CHARS = 300


class PushError(Exception):
    """The gate status could not be pushed; the message names the problem and the fix."""


def build_gate_registry(
    environment: str,
    verdict: str,
    checks: Sequence[tuple[str, str, bool]],
    waived: Collection[str] = (),
) -> CollectorRegistry:
    """Build the gate status exposition on a fresh registry.

    ``checks`` holds ``(check, severity, passed)``. A check named more than once (the variants of a
    parametrised check) counts as passed only when every variant passed, so one failing variant is
    never hidden behind a passing one. ``waived`` names the checks a waiver covered.
    """
    if verdict not in STATUS_VALUES:
        raise PushError(f"unknown verdict {verdict!r}; expected one of {', '.join(STATUS_VALUES)}")
    if not environment.strip():
        raise PushError("the environment label is empty; give the gate an environment name")
    registry = CollectorRegistry(auto_describe=True)
    status = Gauge(
        "deployment_gate_status",
        "Verdict of the last deployment gate run: 2 GO, 1 WARNING, 0 NO-GO.",
        ["environment"],
        registry=registry,
    )
    status.labels(environment=environment).set(STATUS_VALUES[verdict])
    passed = Gauge(
        "deployment_gate_check_passed",
        "1 when the check passed in the last deployment gate run, else 0.",
        ["check", "severity", "environment", "waived"],
        registry=registry,
    )
    for (check, severity), ok in _fold_variants(checks).items():
        flag = WAIVED_VALUES[check in waived]
        passed.labels(check=check, severity=severity, environment=environment, waived=flag).set(
            int(ok)
        )
    return registry


def push_gate_status(
    url: str,
    environment: str,
    verdict: str,
    checks: Sequence[tuple[str, str, bool]],
    timeout_seconds: float,
    waived: Collection[str] = (),
) -> None:
    """Push the verdict and per-check results to the Pushgateway at ``url``.

    Raises :class:`PushError` (never anything else) when the inputs are unusable or the push fails.
    """
    if timeout_seconds <= 0:
        raise PushError(
            f"push timeout {timeout_seconds} s is not positive; give a timeout above 0 seconds"
        )
    gateway = _checked_gateway(url)
    registry = build_gate_registry(environment, verdict, checks, waived)
    shown = redact(gateway)
    body = generate_latest(registry)
    path = f"/metrics/{_grouping('job', JOB_NAME)}/{_grouping('environment', environment)}"
    try:
        client = HttpClient.plain(gateway, "--gate-pushgateway")
    except SourceConfigError as exc:
        raise PushError(str(exc)) from None
    try:
        response = client.put(path, body, CONTENT_TYPE_LATEST, Deadline(timeout_seconds))
    except (DeadlineExceeded, TransportError) as exc:
        if isinstance(exc, DeadlineExceeded) or "timed out" in str(exc):
            raise PushError(
                f"Pushgateway at {shown} did not answer within {timeout_seconds:g} s; check that "
                "it is up and reachable, or raise the push timeout"
            ) from None
        raise PushError(
            f"cannot reach the Pushgateway at {shown}: {exc}; check the host and port "
            "given to --gate-pushgateway"
        ) from None
    finally:
        client.close()
    if not 200 <= response.status < 300:
        text = client.redact(response.body.decode("utf-8", "replace")).strip()
        said = f" ({text[:_HTTP_BODY_CHARS]})" if text else ""
        raise PushError(
            f"Pushgateway at {shown} answered HTTP {response.status} {response.reason}{said}; "
            "check that the URL points at a Pushgateway (default port 9091) and that it accepts "
            "pushes"
        )


def _grouping(key: str, value: str) -> str:
    """One grouping-key path segment, as the Pushgateway API and prometheus_client write it."""
    if not value:
        return f"{key}@base64/="
    if "/" in value:
        return f"{key}@base64/" + base64.urlsafe_b64encode(value.encode()).decode("ascii")
    return f"{key}/{quote_plus(value)}"


def _checked_gateway(url: str) -> str:
    """Accept ``http(s)://host:port[/path]`` or a bare ``host:port``; reject anything else."""
    candidate = url.strip()
    if not candidate:
        raise PushError("the Pushgateway URL is empty; pass --gate-pushgateway http://host:9091")
    if "://" not in candidate:
        candidate = "http://" + candidate
    try:
        parts = urlsplit(candidate)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise PushError(
            f"Pushgateway URL {redact(url)!r} is malformed ({exc}); "
            "pass --gate-pushgateway http://host:9091"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PushError(
            f"Pushgateway URL {redact(url)!r} is not an http(s) URL with a host; "
            "pass --gate-pushgateway http://host:9091"
        )
    return candidate


def _fold_variants(checks: Sequence[tuple[str, str, bool]]) -> dict[tuple[str, str], bool]:
    folded: dict[tuple[str, str], bool] = {}
    for check, severity, ok in checks:
        key = (check, severity)
        folded[key] = folded.get(key, True) and bool(ok)
    return folded
