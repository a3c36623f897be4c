"""Pure rendering of the terminal output: header, one line per check, the traffic light.

Functions return ``(text, colour)`` pairs; the plugin writes them through pytest's terminal reporter,
which honours ``NO_COLOR`` and ``--color``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_gate.decision import VERDICTS, Decision, Outcome, Severity, Verdict
from pytest_gate.observe import NEGATIONS, format_value
from pytest_gate.report import CheckRecord
from pytest_gate.waivers import Waiver

COLOURS = {verdict: facts.colour for verdict, facts in VERDICTS.items()}
LABEL_WIDTH = 40
WAIVED_CRITICAL = "waived critical"
CUT = "..."
LIGHTS = {verdict: facts.light for verdict, facts in VERDICTS.items()}
REASON_TEXT = {
    "no_checks": "no gate checks ran (nothing collected, or everything deselected)",
    "collection_error": "a gate check could not be collected",
    "interrupted": "the run was interrupted",
    "internal_error": "pytest hit an internal error",
    "config_error": "the gate config is invalid",
    "usage_error": "a gate option is invalid",
    "deadline": "the gate deadline passed before all data was read",
    "timeout": "a critical check timed out",
    "report_error": "the gate report could not be written",
    "incomplete_selection": "only part of the gate ran and --gate-require-complete is set",
    "strict_warning": "warnings are NO-GO under --gate-strict",
    "all_checks_passed": "all checks passed",
}


def check_label(record: CheckRecord) -> str:
    """Title plus the worst series' labels, e.g. ``VRAM headroom gpu=1``."""
    obs = record.observation or {}
    worst = _worst_series(obs)
    labels = worst.get("labels") if worst else None
    if not isinstance(labels, dict):
        labels = {}
    suffix = " " + ",".join(f"{k}={_short(v)}" for k, v in sorted(labels.items())) if labels else ""
    return record.title + (suffix if record.outcome is Outcome.FAIL else "")


def _short(value: object) -> str:
    """A label value as shown on the one-line verdict: long values (a response body) are cut."""
    text = str(value)
    return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 3] + "..."


def _worst_series(obs: Mapping[str, Any]) -> dict[str, Any] | None:
    series = [s for s in obs.get("series") or [] if isinstance(s, dict)]
    failing = [s for s in series if s.get("passed") is False]
    pool = failing or series
    if not pool:
        return None
    return min(pool, key=lambda s: s["margin"] if isinstance(s.get("margin"), float) else 0.0)


def check_detail(record: CheckRecord) -> str:
    """What a check saw: ``10.23% > 0.50% (margin -9.73%)``, or the cause without a value."""
    obs = record.observation or {}
    value, threshold, op, unit = (obs.get(k) for k in ("value", "threshold", "comparison", "unit"))
    canary = obs.get("canary")
    if isinstance(canary, dict) and canary.get("summary"):
        detail = str(canary["summary"])
    elif (
        isinstance(value, float | int)
        and isinstance(threshold, float | int)
        and op
        and unit is not None
    ):
        shown_op = op if record.outcome is Outcome.PASS else NEGATIONS[str(op)]
        detail = (
            f"{format_value(float(value), str(unit))} {shown_op} "
            f"{format_value(float(threshold), str(unit))}"
        )
        margin = obs.get("margin")
        if isinstance(margin, float | int):
            detail += f" (margin {format_value(float(margin), str(unit))})"
    else:
        cause = obs.get("cause")
        detail = str(cause) if cause else (record.not_applicable_reason or record.message)
        detail = detail.splitlines()[0] if detail else ""
    coverage = obs.get("coverage")
    if isinstance(coverage, dict) and coverage.get("partial"):
        seen = str(coverage.get("summary") or "")
        if seen and seen not in detail:
            detail += f" [{seen}]"
    if record.waiver is not None:
        detail += f" [{waiver_text(record.waiver)}]"
    return detail


def check_line(record: CheckRecord, width: int | None = None) -> tuple[str, str | None]:
    """One line for one check: outcome, severity, title, value op limit and margin, or the cause.

    ``width`` cuts the line to the terminal (``...`` marks the cut); ``None`` keeps it whole.
    """
    effect = record.effect
    colour = COLOURS[effect] if effect else None
    head = f"{record.outcome.value.upper():<14} {record.severity.value:<8} {check_label(record)}"
    detail = check_detail(record)
    text = f"{head}: {detail}" if detail else head
    if width is not None and len(text) > width:
        text = text[: max(width - len(CUT), 0)] + CUT
    return text, colour


def detail_lines(record: CheckRecord) -> list[str]:
    """``-v``: the query, every series' value and the window coverage, indented under the line."""
    obs = record.observation or {}
    lines: list[str] = []
    if obs.get("query"):
        lines.append(f"    query: {obs['query']}")
    unit = str(obs.get("unit") or "")
    for series in obs.get("series") or []:
        if not isinstance(series, dict) or not isinstance(series.get("value"), float | int):
            continue
        labels = series.get("labels") or {}
        name = ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "all series"
        samples = series.get("samples")
        behind = f" ({samples:g} samples)" if isinstance(samples, float | int) else ""
        lines.append(f"    {name}: {format_value(float(series['value']), unit)}{behind}")
    coverage = obs.get("coverage")
    if isinstance(coverage, dict) and coverage.get("summary"):
        lines.append(f"    coverage: {coverage['summary']}")
    return lines


def waiver_text(waiver: Waiver) -> str:
    """``waived until 2025-07-01 by alice@example.com: INC-4711 ...`` for a covered check."""
    return f"waived until {waiver.expires.isoformat()} by {waiver.owner}: {waiver.reason}"


def traffic_light(decision: Decision, checks: Sequence[CheckRecord]) -> tuple[str, str]:
    """``GATE: NO-GO (exit 2) - 2 critical checks failed: schema failure rate, VRAM headroom gpu=1``."""
    verdict = decision.verdict
    head = f"GATE: {verdict.value} (exit {decision.exit_code}) [{LIGHTS[verdict]}]"
    deciding = [c for c in checks if c.effect is verdict]
    if verdict is Verdict.GO or not deciding or decision.reason in REASON_TEXT:
        why = REASON_TEXT.get(decision.reason, decision.reason)
        if verdict is not Verdict.GO and deciding:
            why += ": " + ", ".join(check_label(c) for c in deciding)
        return f"{head} - {why}", COLOURS[verdict]
    severity = Severity.CRITICAL if verdict is Verdict.NO_GO else Severity.WARNING
    kinds = sorted(
        {
            WAIVED_CRITICAL if c.waiver and c.severity is Severity.CRITICAL else c.severity.value
            for c in deciding
        }
    )
    shown_severity = "/".join(kinds) if WAIVED_CRITICAL in kinds else severity.value
    count = len(deciding)
    noun = "check" if count == 1 else "checks"
    states = sorted({c.outcome.value.replace("_", " ") for c in deciding})
    verb = "failed" if states == ["fail"] else "/".join(states)
    names = ", ".join(check_label(c) for c in deciding)
    return f"{head} - {count} {shown_severity} {noun} {verb}: {names}", COLOURS[verdict]


def github_summary(
    decision: Decision, checks: Sequence[CheckRecord], evaluated_at: str, *, dry_run: bool = False
) -> str:
    """A Markdown table for ``$GITHUB_STEP_SUMMARY``: the terminal's rows (a dry run exits 0)."""
    light = VERDICTS[decision.verdict].symbol
    said = f"{decision.verdict.value} (exit {decision.exit_code})"
    heading = f"dry run: would be {said}; exits 0" if dry_run else said
    lines = [
        f"## {light} Deployment gate{' ' if dry_run else ': '}{heading}",
        "",
        f"Reason: `{decision.reason}` · evaluated at {evaluated_at}",
        "",
        "| check | severity | outcome | value | threshold | message |",
        "|---|---|---|---|---|---|",
    ]
    for c in checks:
        obs = c.observation or {}
        value, threshold, unit = obs.get("value"), obs.get("threshold"), str(obs.get("unit") or "")
        shown = format_value(float(value), unit) if isinstance(value, float | int) else ""
        limit = (
            f"{obs.get('comparison')} {format_value(float(threshold), unit)}"
            if isinstance(threshold, float | int)
            else ""
        )
        waived = f"[{waiver_text(c.waiver)}]" if c.waiver is not None else ""
        why = waived if shown else check_detail(c)  # the detail names the waiver itself
        message = why.replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {check_label(c)} | {c.severity.value} | {c.outcome.value} | {shown} | {limit} "
            f"| {message} |"
        )
    return "\n".join(lines) + "\n"
