#!/usr/bin/env python3
"""Run the deployment gate and turn its result into a deploy decision for CI.

Usage (the deploy workflow's gate step)::

    python scripts/gate_decide.py --report gate_report.json --allow GO --allow WARNING \\
        --github-output "$GITHUB_OUTPUT" --summary "$GITHUB_STEP_SUMMARY" \\
        -- pytest gate_checks --gate-report gate_report.json --gate-require-complete

Why a script: under ``bash -e`` a gate that exits 1 (WARNING) kills the step before its exit code
can be read, which made the original workflow's manual-review path unreachable. Here the gate runs
as a child process, so every exit code is captured. The decision trusts the JSON report's verdict,
cross-checked against the exit code; anything missing or inconsistent is NO-GO:

- exit code not 0/1/2 (usage error, crash)          -> NO-GO
- no report, unreadable report, unknown verdict     -> NO-GO
- report's verdict disagrees with its exit_code     -> NO-GO
- report's verdict disagrees with the process exit  -> NO-GO
- --require-complete and the report is not complete -> NO-GO

Outputs (GitHub ``key=value`` lines): ``verdict`` (GO/WARNING/NO-GO), ``decision``
(deploy/review/block), ``exit_code`` (the gate's), ``reason``. A Markdown summary of the verdict
and every check that did not pass goes to ``--summary``. This script exits 0 when the verdict is
one of ``--allow`` (default: GO only) and 1 otherwise, 64 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pytest_gate.core.decision import VERDICTS

VERDICT_EXIT = {verdict.value: facts.exit_code for verdict, facts in VERDICTS.items()}
DECISION = {verdict.value: facts.action for verdict, facts in VERDICTS.items()}
LIGHT = {verdict.value: facts.symbol for verdict, facts in VERDICTS.items()}
EXIT_ALLOWED = 0
EXIT_NOT_ALLOWED = 1
EXIT_USAGE = 64
SUMMARY_ROWS = 50


@dataclass(frozen=True)
class CiOutcome:
    """What CI does next: the verdict it trusts and why."""

    verdict: str
    gate_exit_code: int | None
    reason: str
    checks: tuple[Mapping[str, Any], ...] = ()

    @property
    def decision(self) -> str:
        """deploy, review or block."""
        return DECISION[self.verdict]


def _no_go(rc: int | None, reason: str) -> CiOutcome:
    return CiOutcome("NO-GO", rc, reason)


def _reject_constant(token: str) -> float:
    raise ValueError(f"non-standard JSON token {token}")


def _parse_report(text: str) -> dict[str, Any] | str:
    """The report as a dict, or a string saying why it is unusable."""
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        return f"not valid JSON ({exc})"
    if not isinstance(data, dict):
        return "not a JSON object"
    return data


def read_outcome(
    rc: int | None, report_text: str | None, *, report_name: str, require_complete: bool
) -> CiOutcome:
    """Pure: the gate's exit code and report text -> the decision (fail closed)."""
    if rc is None:
        return _no_go(rc, "the gate command could not be started")
    if rc not in VERDICT_EXIT.values():
        return _no_go(rc, f"the gate exited {rc}, which is not a verdict (0/1/2): it crashed or "
                          "was misused; read its log")
    if report_text is None:
        return _no_go(rc, f"no report at {report_name}: the gate did not write one")
    report = _parse_report(report_text)
    if isinstance(report, str):
        return _no_go(rc, f"the report {report_name} is unusable: {report}")
    verdict = report.get("verdict")
    if verdict not in VERDICT_EXIT:
        return _no_go(rc, f"the report {report_name} has no valid verdict ({verdict!r})")
    if report.get("exit_code") != VERDICT_EXIT[verdict]:
        return _no_go(rc, f"the report {report_name} is inconsistent: verdict {verdict} with "
                          f"exit_code {report.get('exit_code')!r}")
    if rc != VERDICT_EXIT[verdict]:
        return _no_go(rc, f"the report {report_name} says {verdict} but the gate exited {rc}; "
                          "the report may be stale or from another run")
    if require_complete and report.get("complete") is not True:
        return _no_go(rc, "the gate ran an incomplete selection of checks (complete is not true)")
    checks = report.get("checks")
    rows = tuple(c for c in checks if isinstance(c, dict)) if isinstance(checks, list) else ()
    reason = report.get("reason")
    return CiOutcome(verdict, rc, str(reason) if reason else f"the gate said {verdict}", rows)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value):
        value = f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_summary(decision: CiOutcome, title: str) -> str:
    """Markdown for the job summary: the verdict, the reason, the checks that did not pass."""
    lines = [
        f"## {title}: {LIGHT[decision.verdict]} {decision.verdict}",
        "",
        f"Decision: **{decision.decision}**. {decision.reason.rstrip('.')}.",
        "",
    ]
    failing = [c for c in decision.checks if c.get("outcome") not in ("pass", "not_applicable")]
    if failing:
        lines += ["| check | severity | outcome | value | threshold | message |",
                  "|---|---|---|---|---|---|"]
        for check in failing[:SUMMARY_ROWS]:
            threshold = f"{_cell(check.get('comparison'))} {_cell(check.get('threshold'))}"
            lines.append("| " + " | ".join([
                _cell(check.get("id")), _cell(check.get("severity")), _cell(check.get("outcome")),
                f"{_cell(check.get('value'))} {_cell(check.get('unit'))}".strip(),
                threshold.strip(), _cell(check.get("message")),
            ]) + " |")
        if len(failing) > SUMMARY_ROWS:
            lines.append(f"\n…and {len(failing) - SUMMARY_ROWS} more in the report artifact.")
    return "\n".join(lines) + "\n"


def render_outputs(decision: CiOutcome) -> str:
    """GitHub step outputs as key=value lines (values kept to one line)."""
    values = {
        "verdict": decision.verdict,
        "decision": decision.decision,
        "exit_code": "" if decision.gate_exit_code is None else str(decision.gate_exit_code),
        "reason": decision.reason.replace("\n", " "),
    }
    return "".join(f"{key}={value}\n" for key, value in values.items())


def run_gate(command: Sequence[str], *, own_summary: bool) -> int | None:
    """Run the gate command; its output goes straight to this process's stdout/stderr.

    With ``own_summary`` the child does not see GITHUB_STEP_SUMMARY, so the job summary holds
    this script's decision once instead of the plugin's table followed by ours.
    """
    env = dict(os.environ)
    if own_summary:
        env.pop("GITHUB_STEP_SUMMARY", None)
    try:
        return subprocess.run(list(command), env=env, check=False).returncode
    except OSError as exc:
        print(f"gate_decide: cannot start {command[0]!r}: {exc}", file=sys.stderr)
        return None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Command-line interface."""
    parser = _Parser(
        prog="gate_decide.py",
        description="Run the gate command after --, trust its report, emit the deploy decision.",
    )
    parser.add_argument("--report", type=Path, required=True,
                        help="the --gate-report path the gate command writes")
    parser.add_argument("--allow", action="append", choices=sorted(VERDICT_EXIT),
                        help="a verdict this step accepts (repeatable; default GO)")
    parser.add_argument("--require-complete", action="store_true",
                        help="also demand complete: true in the report")
    parser.add_argument("--github-output", type=Path, help="append key=value outputs here")
    parser.add_argument("--summary", type=Path, help="append the Markdown summary here")
    parser.add_argument("--title", default="Deployment gate", help="summary heading")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the gate command")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        parser.error("no gate command given; put it after --, e.g. -- pytest gate_checks ...")
    if args.report.is_dir():
        parser.error(f"--report {args.report} is a directory; give the report file's path")
    allowed = set(args.allow or ["GO"])
    args.report.unlink(missing_ok=True)  # a stale report must never speak for this run
    rc = run_gate(command, own_summary=args.summary is not None)
    text = args.report.read_text(encoding="utf-8") if args.report.is_file() else None
    decision = read_outcome(rc, text, report_name=str(args.report),
                      require_complete=args.require_complete)
    if args.github_output:
        with args.github_output.open("a", encoding="utf-8") as out:
            out.write(render_outputs(decision))
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as out:
            out.write(render_summary(decision, args.title))
    print(f"gate_decide: {decision.verdict} -> {decision.decision} ({decision.reason})")
    return EXIT_ALLOWED if decision.verdict in allowed else EXIT_NOT_ALLOWED


if __name__ == "__main__":
    sys.exit(main())
