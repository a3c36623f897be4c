"""Pure rendering of the terminal output: header, one line per check, the traffic light.

Functions return ``(text, colour)`` pairs; the plugin writes them through pytest's terminal reporter,
which honours ``NO_COLOR`` and ``--color``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_gate.checks.observation import NEGATIONS, format_value
from pytest_gate.config.waivers import Waiver
from pytest_gate.core.decision import (
    COLOURS,
    LIGHTS,
    VERDICTS,
    Decision,
    Outcome,
    Reason,
    Severity,
    Verdict,
)
from pytest_gate.core.urls import scrub_userinfo
from pytest_gate.output.report import CheckRecord

LABEL_WIDTH = 40
WAIVED_CRITICAL = "waived critical"
CUT = "..."


def check_label(record: CheckRecord) -> str:
    """Title plus the worst series' labels, e.g. ``VRAM headroom gpu=1``."""
    obs = record.observation
    worst = obs.worst_series() if obs is not None else None
    labels = worst.labels if worst is not None else ()
    suffix = " " + ",".join(f"{k}={_short(v)}" for k, v in sorted(labels)) if labels else ""
    return record.title + (suffix if record.outcome is Outcome.FAIL else "")


def _short(value: object) -> str:
    """A label value as shown on the one-line verdict: long values (a response body) are cut."""
    text = str(value)
    return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 3] + "..."


def check_detail(record: CheckRecord) -> str:
    """What a check saw: ``10.23% > 0.50% (margin -9.73%)``, or the cause without a value."""
    obs = record.observation
    if obs is not None and obs.summary:
        detail = obs.summary
    elif obs is not None and obs.value is not None:
        shown_op = obs.comparison if record.outcome is Outcome.PASS else NEGATIONS[obs.comparison]
        detail = (
            f"{format_value(obs.value, obs.unit)} {shown_op} "
            f"{format_value(obs.threshold, obs.unit)}"
        )
        if obs.margin is not None:
            detail += f" (margin {format_value(obs.margin, obs.unit)})"
    else:
        cause = obs.cause if obs is not None else None
        detail = cause or record.not_applicable_reason or record.message
        detail = detail.splitlines()[0] if detail else ""
    coverage = obs.coverage if obs is not None else None
    if coverage is not None and (coverage.partial or coverage.bridged):
        seen = coverage.summary()
        if seen and seen not in detail:
            detail += f" [{seen}]"
    if record.waiver is not None:
        detail += f" [{waiver_text(record.waiver)}]"
    return detail


def shared_causes(records: Sequence[CheckRecord]) -> list[str]:
    """Causes that several checks share (no metric source, no GPU data...), in first-seen order.

    The terminal says each once, numbered, with its fix, and the checks' lines point at it.
    """
    counts: dict[str, int] = {}
    for record in records:
        obs = record.observation
        if record.outcome in (Outcome.NO_DATA, Outcome.ERROR) and (
            obs is None or obs.value is None
        ):
            detail = check_detail(record)
            counts[detail] = counts.get(detail, 0) + 1
    return [detail for detail, count in counts.items() if count >= SHARED_CAUSE_MIN]


def shared_cause_lines(causes: Sequence[str], records: Sequence[CheckRecord]) -> list[str]:
    """``cause 1 (16 checks): no metric source is given; pass ...`` once per shared cause."""
    details = [check_detail(r) for r in records]
    return [
        scrub_userinfo(f"cause {index} ({details.count(cause)} checks): {cause}")
        for index, cause in enumerate(causes, start=1)
    ]


def check_line(
    record: CheckRecord, width: int | None = None, causes: Sequence[str] = ()
) -> tuple[str, str | None]:
    """One line for one check: outcome, severity, title, value op limit and margin, or the cause.

    ``width`` cuts the line to the terminal (``...`` marks the cut); ``None`` keeps it whole. A
    cause listed in ``causes`` (see :func:`shared_causes`) is named by its number, not repeated.
    """
    effect = record.effect
    colour = COLOURS[effect] if effect else None
    head = f"{record.outcome.value.upper():<14} {record.severity.value:<8} {check_label(record)}"
    detail = check_detail(record)
    if detail in causes:
        detail = f"cause {causes.index(detail) + 1} below"
    text = scrub_userinfo(f"{head}: {detail}" if detail else head)
    if width is not None and len(text) > width:
        text = text[: max(width - len(CUT), 0)] + CUT
    return text, colour


SHARED_CAUSE_MIN = 2
"""A cause shared by this many checks is said once."""


def detail_lines(record: CheckRecord) -> list[str]:
    """``-v``: the query, every series' value and the window coverage, indented under the line."""
    obs = record.observation
    if obs is None:
        return []
    lines = [f"    query: {obs.query}"] if obs.query else []
    for series in obs.series:
        name = ",".join(f"{k}={v}" for k, v in sorted(series.labels)) or "all series"
        behind = f" ({series.samples:g} samples)" if series.samples is not None else ""
        lines.append(f"    {name}: {format_value(series.value, obs.unit)}{behind}")
    if obs.coverage is not None and obs.coverage.summary():
        lines.append(f"    coverage: {obs.coverage.summary()}")
    return [scrub_userinfo(line) for line in lines]


def waiver_text(waiver: Waiver) -> str:
    """``waived until 2025-07-01 by alice@example.com: INC-4711 ...`` for a covered check."""
    return f"waived until {waiver.expires.isoformat()} by {waiver.owner}: {waiver.reason}"


def traffic_light(decision: Decision, checks: Sequence[CheckRecord]) -> tuple[str, str]:
    """``GATE: NO-GO (exit 2) - 2 critical checks failed: schema failure rate, VRAM headroom gpu=1``."""
    verdict = decision.verdict
    head = f"GATE: {verdict.value} (exit {decision.exit_code}) [{LIGHTS[verdict]}]"
    deciding = [c for c in checks if c.effect is verdict]
    if verdict is Verdict.GO or not deciding or isinstance(decision.reason, Reason):
        reason = decision.reason
        why = reason.text if isinstance(reason, Reason) else reason
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
        obs = c.observation
        shown = (
            format_value(obs.value, obs.unit) if obs is not None and obs.value is not None else ""
        )
        limit = (
            f"{obs.comparison} {format_value(obs.threshold, obs.unit)}" if obs is not None else ""
        )
        waived = f"[{waiver_text(c.waiver)}]" if c.waiver is not None else ""
        why = waived if shown else check_detail(c)  # the detail names the waiver itself
        message = why.replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {check_label(c)} | {c.severity.value} | {c.outcome.value} | {shown} | {limit} "
            f"| {message} |"
        )
    return scrub_userinfo("\n".join(lines) + "\n")
