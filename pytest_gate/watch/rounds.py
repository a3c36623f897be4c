"""Run a watch (``--gate-watch``): each round is one complete gate run in a child pytest process.

Why child processes: every round is then exactly a one-shot gate run: a fresh instant T, fresh
snapshots and fixtures, its own deadline, and pytest-xdist / pytest-timeout behaving as they do in
a single run, without reaching into pytest's internals to re-run a session's items. A round costs
one pytest start-up (well under a second), small beside an interval of a minute.

The child gets the parent's own command line without the watch options and without
``--gate-report`` (it writes its round's report into a temporary directory); the parent reads that
report, prints one line, rewrites the combined report, and waits for the next round's start.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gate.watch.carry import PREVIOUS_ENV, ROUND_ENV
from pytest_gate.watch.policy import (
    Round,
    WatchPlan,
    round_from_report,
    should_stop,
    unreadable_round,
)

WATCH_FLAGS = ("--gate-watch", "--gate-interval", "--gate-failure-limit", "--gate-report")
WATCH_INI = ("gate_watch", "gate_interval", "gate_failure_limit", "gate_report")
WATCH_ENV = ("GATE_WATCH", "GATE_INTERVAL", "GATE_FAILURE_LIMIT", "GITHUB_STEP_SUMMARY")
SLACK_SECONDS = 60.0


@dataclass
class WatchRun:
    """The rounds so far, and whether the watch was interrupted."""

    plan: WatchPlan
    rounds: list[Round] = field(default_factory=list)
    interrupted: bool = False
    last_report: dict[str, Any] | None = None
    """The latest round's own report, which the combined report is built on."""


def child_args(args: Sequence[str]) -> list[str]:
    """The command line of one round: the parent's, without the watch options and the report."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in WATCH_FLAGS:
            skip = True
            continue
        if any(arg.startswith(flag + "=") for flag in WATCH_FLAGS):
            continue
        kept.append(arg)
    for name in WATCH_INI:
        kept += ["-o", f"{name}="]
    return kept


def child_env(number: int, previous: Path | None = None) -> dict[str, str]:
    """The environment of one round: no watch settings, no step summary (the parent writes it).

    ``previous`` is the latest readable round report: the canary e-process continues from it.
    """
    env = {k: v for k, v in os.environ.items() if k not in WATCH_ENV and k != PREVIOUS_ENV}
    env[ROUND_ENV] = str(number)
    if previous is not None:
        env[PREVIOUS_ENV] = str(previous)
    return env


def round_time(args: Sequence[str], clock: Callable[[], float] = time.time) -> list[str]:
    """``--gate-time`` at the next whole second, unless the command line fixes T or replays.

    The next second, not this one: a round must see everything that happened before it started (a
    T rounded down could predate a change the previous round's observer already saw). Whole seconds make every canary window of the watch start exactly at its anchor (windows are
    whole seconds), so the e-process's increments are disjoint (:mod:`pytest_gate.stats.sequential`).
    """
    fixed = ("--gate-time", "--gate-replay")
    if any(arg in fixed or arg.startswith(tuple(f + "=" for f in fixed)) for arg in args):
        return []
    return ["--gate-time", str(math.ceil(clock()))]


def run_round(
    number: int,
    args: Sequence[str],
    cwd: Path,
    directory: Path,
    timeout_seconds: float,
    previous: Path | None = None,
) -> tuple[Round, dict[str, Any] | None]:
    """One complete gate run and its report; without a readable report it is a NO-GO round."""
    report = directory / f"round-{number}.json"
    command = [sys.executable, "-m", "pytest", *child_args(args), *round_time(args)]
    command += ["--gate-report", str(report)]
    try:
        subprocess.run(
            command,
            cwd=cwd,
            env=child_env(number, previous),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return unreadable_round(number, "", f"the round ran past {timeout_seconds:g} s"), None
    try:
        data: Any = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        cause = f"the round wrote no readable report ({error})"
        return unreadable_round(number, "", cause), None
    if not isinstance(data, dict):
        return unreadable_round(number, "", "the round's report is not a JSON object"), None
    return round_from_report(number, data), data


def watch(
    plan: WatchPlan,
    args: Sequence[str],
    cwd: Path,
    deadline_seconds: float,
    on_round: Callable[[WatchRun], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> WatchRun:
    """Run the rounds; ``on_round`` sees the run after each one. Ctrl-C ends it, rounds kept."""
    run = WatchRun(plan)
    started = clock()
    timeout = deadline_seconds * 2 + SLACK_SECONDS
    previous: Path | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="gate-watch-") as directory:
            for number in range(1, plan.rounds + 1):
                wait = started + plan.start_offset(number) - clock()
                if wait > 0:
                    sleep(wait)
                item, report = run_round(number, args, cwd, Path(directory), timeout, previous)
                if report is not None:
                    previous = Path(directory) / f"round-{number}.json"
                run.rounds.append(item)
                run.last_report = report if report is not None else run.last_report
                on_round(run)
                if should_stop(run.rounds, plan):
                    break
    except KeyboardInterrupt:
        run.interrupted = True
    return run
