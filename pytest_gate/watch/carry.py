"""What a watch round carries to the next: the canary e-process, read from the previous report.

The parent (:mod:`pytest_gate.watch.rounds`) names the latest readable round report in
``GATE_WATCH_PREVIOUS``; a canary check of the next round finds its own entry there (by node id)
and continues the e-process from its ``canary.state`` (:mod:`pytest_gate.stats.sequential`). A
round without that variable is a one-shot run, or the first round of a watch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_gate.stats.sequential import CanaryRound, WatchState

ROUND_ENV = "GATE_WATCH_ROUND"
PREVIOUS_ENV = "GATE_WATCH_PREVIOUS"
UNREADABLE = (
    "the previous watch round's canary state cannot be read from {path} ({cause}); the e-process "
    "cannot continue honestly - restart the watch"
)


class CarryError(ValueError):
    """The previous round's report exists but its canary state cannot be read."""


def canary_round(at: float, check_id: str, env: Mapping[str, str]) -> CanaryRound:
    """This run's place in a watch: one-shot, or a round with the previous round's state."""
    if ROUND_ENV not in env:
        return CanaryRound(at)
    path = env.get(PREVIOUS_ENV)
    if not path:
        return CanaryRound(at, watching=True)
    try:
        report: Any = json.loads(Path(path).read_text(encoding="utf-8"))
        return CanaryRound(at, watching=True, previous=state_of(report, check_id))
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise CarryError(UNREADABLE.format(path=path, cause=error)) from None


def state_of(report: Mapping[str, Any], check_id: str) -> WatchState | None:
    """The e-process state of check ``check_id`` in a round's report, if it has one."""
    for check in report.get("checks", []):
        if check.get("id") != check_id:
            continue
        canary = check.get("canary")
        if isinstance(canary, Mapping) and canary.get("state") is not None:
            return WatchState.from_json(canary["state"])
    return None
