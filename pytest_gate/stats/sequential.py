"""The canary comparison across the rounds of a watch: what one round hands to the next. Pure.

Each watch round is a separate pytest process (:mod:`pytest_gate.watch.rounds`), so the e-process
of :mod:`pytest_gate.stats.eprocess` must travel between them. It travels as a :class:`WatchState`
inside the check's ``canary`` section of the round's report, which the next round reads back
(``GATE_WATCH_PREVIOUS`` names that report): the report is already the one record of a round, the
parent needs to know nothing about canaries, and a reader of the report sees the whole state.

The increments are disjoint by construction. The first round fixes an **anchor** ``A = T1 - w`` (the
start of its ordinary window ``w``); round ``k`` counts both sides over ``(A, Tk]`` (a window of
``Tk - A`` seconds: exact counts, DESIGN §2) and its increment is those **cumulative counts** minus
the previous round's. A round that failed adds nothing, and the next increment covers its time,
so every request is counted once. Watch rounds are evaluated at whole seconds (the parent passes
``--gate-time``), so every round's window starts exactly at ``A``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_gate.stats.eprocess import (
    E_CAP,
    PSI_GRID,
    Increment,
    Mixture,
    anytime_p_value,
    format_e,
    srm_log_e_value,
)
from pytest_gate.stats.sides import Side

E_PROCESS_TEST = "e_process_fisher_noncentral"


@dataclass(frozen=True)
class WatchState:
    """The e-process after a round: its anchor, cumulative counts, bets and running maxima."""

    anchor: float
    """Unix seconds where the first round's window began; every round counts from here."""
    rounds: int
    canary: Side
    baseline: Side
    mixture: Mixture = field(default_factory=Mixture)
    e_max: float = 1.0
    """The largest e-value of any round so far (the anytime p-value is its reciprocal)."""
    srm_e_max: float = 1.0

    def to_json(self) -> dict[str, Any]:
        """The report's ``canary.state`` (read back by the next round)."""
        return {
            "anchor": self.anchor,
            "rounds": self.rounds,
            "canary": [self.canary.errors, self.canary.requests],
            "baseline": [self.baseline.errors, self.baseline.requests],
            "psi_grid": list(PSI_GRID),
            "log_products": list(self.mixture.log_products),
            "e_max": self.e_max,
            "srm_e_max": self.srm_e_max,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WatchState:
        """The state of :meth:`to_json`; raises ``KeyError``/``TypeError``/``ValueError``."""
        if [float(p) for p in data["psi_grid"]] != list(PSI_GRID):
            raise ValueError("the previous round bet on another grid of odds ratios")
        canary, baseline = data["canary"], data["baseline"]
        return cls(
            anchor=float(data["anchor"]),
            rounds=int(data["rounds"]),
            canary=Side("canary", int(canary[0]), int(canary[1])),
            baseline=Side("baseline", int(baseline[0]), int(baseline[1])),
            mixture=Mixture(tuple(float(v) for v in data["log_products"])),
            e_max=float(data["e_max"]),
            srm_e_max=float(data["srm_e_max"]),
        )


@dataclass(frozen=True)
class CanaryRound:
    """Where this run stands: one-shot, or a watch round with the previous round's state."""

    at: float
    """The evaluation instant T (unix seconds)."""
    watching: bool = False
    previous: WatchState | None = None

    def window_seconds(self, window_seconds: int) -> int:
        """The window to count over: the check's own, or ``T - anchor`` in a watch."""
        if not self.watching or self.previous is None:
            return window_seconds
        return max(1, round(self.at - self.previous.anchor))

    def anchor(self, window_seconds: int) -> float:
        """The e-process's anchor: the previous round's, or the start of this round's window."""
        if self.previous is not None:
            return self.previous.anchor
        return self.at - window_seconds


@dataclass(frozen=True)
class SequentialResult:
    """One round of the e-process: its increment, its e-value now and the state it hands on."""

    increment: Increment
    e_value: float
    state: WatchState

    @property
    def anytime_p_value(self) -> float:
        """The running minimum of ``1/e`` over the rounds, capped at 1."""
        return anytime_p_value(self.state.e_max)


class CountsWentDown(ValueError):
    """The cumulative counts are below the previous round's: no disjoint increment exists."""


def advance(
    now: CanaryRound, canary: Side, baseline: Side, window_seconds: int, srm_e: float
) -> SequentialResult:
    """The e-process after this round's cumulative counts; raises :class:`CountsWentDown`."""
    previous = now.previous
    before = previous or WatchState(
        now.anchor(window_seconds), 0, Side("canary", 0, 0), Side("baseline", 0, 0)
    )
    step = Increment(
        canary.errors - before.canary.errors,
        canary.requests - before.canary.requests,
        baseline.errors - before.baseline.errors,
        baseline.requests - before.baseline.requests,
    )
    problem = step.problem()
    if problem is not None:
        raise CountsWentDown(
            f"the counts since the watch began fell below the previous round's (increment: "
            f"{problem}); a counter was rewritten or the series changed - restart the watch"
        )
    mixture = before.mixture.updated(step)
    e_value = mixture.e_value
    state = WatchState(
        anchor=before.anchor,
        rounds=before.rounds + 1,
        canary=canary,
        baseline=baseline,
        mixture=mixture,
        e_max=max(before.e_max, e_value),
        srm_e_max=max(before.srm_e_max, srm_e),
    )
    return SequentialResult(step, e_value, state)


@dataclass(frozen=True)
class ShareCheck:
    """The sample-ratio test: the canary's share of requests against ``expected_share``."""

    expected_share: float
    canary_requests: int
    total_requests: int
    e_value: float
    e_max: float
    alpha: float

    @property
    def observed_share(self) -> float:
        """The canary's share of the requests counted."""
        return self.canary_requests / self.total_requests if self.total_requests else 0.0

    @property
    def mismatch(self) -> bool:
        """The split is off: the e-value reached ``1/alpha`` in this or an earlier round."""
        return self.e_max >= 1.0 / self.alpha

    def message(self) -> str:
        """``canary share 9.1% of 12000 requests, expected 33.3% (sample ratio mismatch, ...)``."""
        return (
            f"canary share {self.observed_share * 100:.1f}% of {self.total_requests} requests, "
            f"expected {self.expected_share * 100:.1f}% (sample ratio mismatch, e={format_e(self.e_max)}"
            f" >= {1 / self.alpha:g}): the traffic split is broken, not a verdict on the canary; "
            "fix the split or [canary] expected_share"
        )

    def to_json(self) -> dict[str, Any]:
        """The report's ``canary.srm``."""
        return {
            "expected_share": self.expected_share,
            "observed_share": self.observed_share,
            "canary_requests": self.canary_requests,
            "total_requests": self.total_requests,
            "e_value": self.e_value,
            "e_max": self.e_max,
            "anytime_p_value": anytime_p_value(self.e_max),
            "mismatch": self.mismatch,
        }


def share_check(
    canary: Side, baseline: Side, expected_share: float, alpha: float, e_max_before: float
) -> ShareCheck:
    """Test the canary's share of ``canary + baseline`` requests against ``expected_share``."""
    total = canary.requests + baseline.requests
    log_e = srm_log_e_value(canary.requests, total, expected_share)
    e_value = math.exp(min(log_e, math.log(E_CAP)))
    return ShareCheck(
        expected_share, canary.requests, total, e_value, max(e_max_before, e_value), alpha
    )
