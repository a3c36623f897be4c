"""After the final decision: push the verdict to a Pushgateway and write the GitHub step summary.

Both are called only once every session state is decided (an unwritable report included), so what
they say is what the run exits with.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_gate.core.decision import Outcome, Verdict
from pytest_gate.core.urls import redact
from pytest_gate.output.report import CheckRecord, ReportWriteError, write_report
from pytest_gate.run.session import GateSession

PUSH_FAILED = "gate status not pushed to {url}: {cause} (the verdict is unchanged)"
SUMMARY_FAILED = "cannot append to GITHUB_STEP_SUMMARY ({path}): {cause}"
PushedCheck = tuple[str, str, str, bool]
"""A check as the push sees it: node id, severity, outcome and whether a waiver covers it."""


def check_key(check_id: str) -> str:
    """A short, stable name for a check: ``p95_latency[fast]`` (for pushed metric labels)."""
    return check_id.split("::")[-1].removeprefix("test_")


def pushed_checks(checks: Sequence[CheckRecord]) -> list[PushedCheck]:
    """What the push says of each check of a one-shot run."""
    return [(c.id, c.severity.value, c.outcome.value, c.waiver is not None) for c in checks]


def push_final(state: GateSession, verdict: Verdict, checks: Sequence[PushedCheck]) -> bool:
    """Push the final verdict where a Pushgateway is set; ``False`` (and a session message) when
    it could not be pushed. Called only once every session state is decided."""
    options = state.options
    if options is None or not options.pushgateway:
        return True
    from pytest_gate.output.push import PushError, push_gate_status

    url, environment = options.pushgateway, options.environment
    rows = [
        (check_key(check_id), severity, outcome == Outcome.PASS.value)
        for check_id, severity, outcome, _ in checks
        if outcome != Outcome.NOT_APPLICABLE.value
    ]
    waived = frozenset(check_key(check_id) for check_id, _, _, is_waived in checks if is_waived)
    try:
        push_gate_status(url, environment, verdict.value, rows, timeout_seconds=5.0, waived=waived)
    except PushError as exc:
        shown = redact(url if "://" in url else "http://" + url)
        state.messages.append(PUSH_FAILED.format(url=shown, cause=exc))
        return False
    return True


def rewrite_report(state: GateSession, target: Path, report: dict[str, Any]) -> None:
    """Write the report again with a later message; the first, sound file stays if this fails."""
    try:
        write_report(target, report)
    except ReportWriteError as exc:
        state.messages.append(str(exc))


def append_step_summary(state: GateSession, text: str) -> None:
    """Append ``text`` to ``$GITHUB_STEP_SUMMARY`` where it is set (a failure is a session message)."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        state.messages.append(SUMMARY_FAILED.format(path=path, cause=exc.strerror or exc))
