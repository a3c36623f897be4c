"""Waivers: a known, owned failure let through for a while (DESIGN §5). Pure; no I/O.

A ``[[waivers]]`` entry of the gate config names a check (its id or a glob), why the failure is
accepted, who owns it and when the waiver ends::

    [[waivers]]
    check = "test_api_5xx_rate"
    reason = "INC-4711: upstream 503s while the cache warms; fix in PR 812"
    owner = "alice@example.com"
    expires = 2025-07-01

Rules: a waived critical check that did not pass has effect WARNING, never GO (a waived warning
check stays WARNING); a waiver covers only the checks it names, whatever their outcome (fail,
no_data, error, skipped), and never a session-level state; a waiver is valid through its
``expires`` date (UTC) and ignored from the next day on, named in the report and the terminal;
``expires`` more than :data:`MAX_DAYS` days after the evaluation instant's date is a config error.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pytest_gate.config.tomlschema import fail, toml_type
from pytest_gate.core.decision import Outcome

MAX_DAYS = 30
KEYS = ("check", "reason", "owner", "expires")
CHECK_PREFIX = "test_"
POLICY_FIX = (
    f"longer than {MAX_DAYS} days is a policy change: change the threshold in gate.toml "
    f"instead, or set expires at most {MAX_DAYS} days out"
)
EXPIRED = (
    "waiver for {check!r} (owner {owner}) expired on {expires} and is ignored; fix the check, "
    "or add a new waiver with a new date if the failure is still accepted"
)
HELP = {
    "check": 'write the check id or a glob, e.g. check = "test_api_5xx_rate"',
    "reason": 'say why the failure is accepted and what fixes it, e.g. reason = "INC-4711: ..."',
    "owner": 'name who answers for the waiver, e.g. owner = "alice@example.com"',
    "expires": f"write a date at most {MAX_DAYS} days out, e.g. expires = 2025-07-01 (no quotes)",
}


@dataclass(frozen=True)
class Waiver:
    """One validated ``[[waivers]]`` entry."""

    check: str
    reason: str
    owner: str
    expires: date
    index: int

    def names(self, names: Sequence[str]) -> bool:
        """Whether this waiver names a check known by any of ``names`` (exact, or its glob).

        ``*`` and ``?`` are wildcards; brackets are literal, so ``test_p95_latency[fast]`` names
        one parameter of a check rather than a character class.
        """
        pattern = re.sub(r"\[", "[[]", self.check)
        return any(n == self.check or fnmatch.fnmatchcase(n, pattern) for n in names)

    def expired(self, at: float) -> bool:
        """True once the evaluation instant's UTC date is after ``expires``."""
        return day_of(at) > self.expires

    def expired_message(self) -> str:
        """The report's and the terminal's message for this waiver once it has expired."""
        return EXPIRED.format(check=self.check, owner=self.owner, expires=self.expires.isoformat())

    def to_dict(self) -> dict[str, Any]:
        """The waiver as the report shows it."""
        return {
            "check": self.check,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
        }


class WaiverStatus(StrEnum):
    """What a waiver did in one run."""

    APPLIED = "applied"
    UNUSED = "unused"
    EXPIRED = "expired"


@dataclass(frozen=True)
class WaiverUse:
    """One waiver's status in a run and the checks it covered."""

    waiver: Waiver
    status: WaiverStatus
    checks: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The report's ``waivers[]`` entry."""
        return {
            **self.waiver.to_dict(),
            "status": self.status.value,
            "applied": self.status is WaiverStatus.APPLIED,
            "checks": list(self.checks),
        }


@dataclass(frozen=True)
class Waived:
    """The waiver of every covered check (by check id), and every waiver's use."""

    by_check: Mapping[str, Waiver]
    uses: tuple[WaiverUse, ...]

    def expired(self) -> tuple[Waiver, ...]:
        """The waivers that were ignored because they expired."""
        return tuple(u.waiver for u in self.uses if u.status is WaiverStatus.EXPIRED)


def day_of(at: float) -> date:
    """The UTC date of unix time ``at``."""
    return datetime.fromtimestamp(at, tz=UTC).date()


def check_names(check_id: str) -> tuple[str, ...]:
    """Every name a waiver may use for a check: node id, ``test_x[p]`` and ``x[p]``."""
    short = check_id.split("::")[-1]
    return (check_id, short, short.removeprefix(CHECK_PREFIX))


def apply(waivers: Sequence[Waiver], checks: Sequence[tuple[str, Outcome]], at: float) -> Waived:
    """Match the waivers against ``(check id, outcome)`` pairs at evaluation instant ``at``.

    A check that passed or is not_applicable needs no waiver and is never covered. Of several
    active waivers naming one check, the first in the file is that check's waiver.
    """
    open_checks = [
        check_id
        for check_id, outcome in checks
        if outcome not in (Outcome.PASS, Outcome.NOT_APPLICABLE)
    ]
    by_check: dict[str, Waiver] = {}
    uses: list[WaiverUse] = []
    for waiver in waivers:
        if waiver.expired(at):
            uses.append(WaiverUse(waiver, WaiverStatus.EXPIRED))
            continue
        covered = tuple(c for c in open_checks if waiver.names(check_names(c)))
        for check_id in covered:
            by_check.setdefault(check_id, waiver)
        status = WaiverStatus.APPLIED if covered else WaiverStatus.UNUSED
        uses.append(WaiverUse(waiver, status, covered))
    return Waived(by_check, tuple(uses))


def parse(table: object, where: str) -> tuple[Waiver, ...]:
    """The ``[[waivers]]`` array of tables; raises ``ConfigError`` naming the key and the fix."""
    if not isinstance(table, list) or not all(isinstance(t, dict) for t in table):
        fail(
            where,
            "waivers",
            f"expected an array of tables, got {toml_type(table)}",
            "write each waiver as its own [[waivers]] table",
        )
    return tuple(_waiver(entry, index, where) for index, entry in enumerate(table))


def _waiver(entry: dict[str, Any], index: int, where: str) -> Waiver:
    prefix = f"waivers[{index}]"
    for key in entry:
        if key not in KEYS:
            fail(
                where, f"{prefix}.{key}", "unknown key", f"allowed keys here are: {', '.join(KEYS)}"
            )
    text: dict[str, str] = {}
    for key in ("check", "reason", "owner"):
        value = entry.get(key)
        if value is None:
            fail(where, f"{prefix}.{key}", "missing; every waiver needs it", HELP[key])
        if not isinstance(value, str) or not value.strip():
            fail(
                where,
                f"{prefix}.{key}",
                f"expected a non-empty string, got {toml_type(value)}",
                HELP[key],
            )
        text[key] = value.strip()
    if text["check"].replace("*", "").replace("?", "") in ("", CHECK_PREFIX):
        fail(
            where,
            f"{prefix}.check",
            f"{text['check']!r} names every check, which would waive the whole gate",
            'name one check; use * only for its parameters, e.g. "test_p95_latency[*]"',
        )
    return Waiver(
        check=text["check"],
        reason=text["reason"],
        owner=text["owner"],
        expires=_expires(entry.get("expires"), f"{prefix}.expires", where),
        index=index,
    )


def _expires(value: object, key: str, where: str) -> date:
    if value is None:
        fail(where, key, "missing; every waiver ends", HELP["expires"])
    if isinstance(value, datetime) or not isinstance(value, date | str):
        fail(where, key, f"expected a date, got {toml_type(value)}", HELP["expires"])
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(where, key, f"{value!r} is not a date", HELP["expires"])


def blanket_problem(waivers: Sequence[Waiver], check_ids: Sequence[str], where: str) -> str | None:
    """The config error for a waiver that names every collected check, or ``None``.

    Judged on what it matches, not on its spelling: ``t*``, ``*e*`` and ``*_*`` waive a whole gate
    as surely as ``*`` does. A waiver may still name every parameter of one check
    (``test_p95_latency[*]``), so the rule applies when the checks come from more than one check
    function. ``check_ids`` are the node ids of every collected check, deselected ones included.
    """
    functions = {check_names(c)[1].split("[")[0] for c in check_ids}
    if len(functions) < 2:
        return None
    for waiver in waivers:
        if all(waiver.names(check_names(c)) for c in check_ids):
            return (
                f"{where}: waivers[{waiver.index}].check: {waiver.check!r} names every one of "
                f"the {len(check_ids)} checks, which would waive the whole gate; name one "
                'check, using * only for its parameters, e.g. "test_p95_latency[*]"'
            )
    return None


def check_horizon(waivers: Sequence[Waiver], at: float, where: str) -> None:
    """Refuse a waiver that ends more than :data:`MAX_DAYS` days after the evaluation instant."""
    today = day_of(at)
    for waiver in waivers:
        days = (waiver.expires - today).days
        if days > MAX_DAYS:
            fail(
                where,
                f"waivers[{waiver.index}].expires",
                f"{waiver.expires.isoformat()} is {days} days after the evaluation instant "
                f"({today.isoformat()}); a waiver lasts at most {MAX_DAYS} days",
                POLICY_FIX,
            )
