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
"""

from __future__ import annotations

import urllib.error
from collections.abc import Collection, Sequence
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from pytest_gate.core.decision import GAUGE_VALUES
from pytest_gate.core.urls import redact

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
    try:
        push_to_gateway(
            gateway,
            job=JOB_NAME,
            registry=registry,
            grouping_key={"environment": environment},
            timeout=timeout_seconds,
        )
    except urllib.error.HTTPError as exc:
        body = _read_body(exc)
        raise PushError(
            f"Pushgateway at {shown} answered HTTP {exc.code} {exc.reason}{body}; check that the "
            "URL points at a Pushgateway (default port 9091) and that it accepts pushes"
        ) from None
    except TimeoutError:
        raise PushError(
            f"Pushgateway at {shown} did not answer within {timeout_seconds:g} s; check that it "
            "is up and reachable, or raise the push timeout"
        ) from None
    except urllib.error.URLError as exc:
        raise PushError(
            f"cannot reach the Pushgateway at {shown}: {exc.reason}; check the host and port "
            "given to --gate-pushgateway"
        ) from None
    except (OSError, ValueError) as exc:
        raise PushError(
            f"pushing to the Pushgateway at {shown} failed: {exc}; check the URL given to "
            "--gate-pushgateway"
        ) from None


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
    if parts.username is not None or parts.password is not None:
        raise PushError(
            "Pushgateway URL carries credentials, which this client does not send; "
            "put an authenticating proxy in front or use an unauthenticated in-cluster URL"
        )
    return candidate


def _fold_variants(checks: Sequence[tuple[str, str, bool]]) -> dict[tuple[str, str], bool]:
    folded: dict[tuple[str, str], bool] = {}
    for check, severity, ok in checks:
        key = (check, severity)
        folded[key] = folded.get(key, True) and bool(ok)
    return folded


def _read_body(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f" ({text[:_HTTP_BODY_CHARS]})" if text else ""
