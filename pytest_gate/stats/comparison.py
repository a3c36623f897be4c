"""The canary 5xx comparison as one typed value: counts, the test that judged them, both criteria.

:func:`compare` runs the one-sided exact test of :mod:`pytest_gate.stats.exact` in a one-shot run,
or one more round of the anytime-valid e-process of :mod:`pytest_gate.stats.eprocess` in a watch
round (:mod:`pytest_gate.stats.sequential`), plus the sample-ratio test when an expected share is
set. The criterion holds when the canary is not significantly worse and within the absolute limit.
:class:`CanaryComparison` keeps whole-number counts throughout; :meth:`CanaryComparison.to_json` is
its one serialisation (the report's ``checks[].canary``) and ``from_json`` reads it back. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_gate.stats.eprocess import Increment, format_e
from pytest_gate.stats.exact import FisherResult, fisher_greater, format_p
from pytest_gate.stats.sequential import (
    E_PROCESS_TEST,
    CanaryRound,
    SequentialResult,
    ShareCheck,
    WatchState,
    advance,
    share_check,
)
from pytest_gate.stats.sides import BASELINE, CANARY, Side

TEST_NAME = "fisher_exact_one_sided"


@dataclass(frozen=True)
class CanaryComparison:
    """Canary against baseline: the counts judged, the test that judged them, and both criteria.

    One-shot runs carry the Fisher test (``fisher``); watch rounds the e-process (``sequential``),
    over the counts since the watch began. ``share`` is the sample-ratio test when
    ``[canary] expected_share`` is set. :meth:`to_json` is the report's ``checks[].canary``.
    """

    canary: Side
    baseline: Side
    alpha: float
    max_ratio: float
    what: str
    fisher: FisherResult | None = None
    sequential: SequentialResult | None = None
    share: ShareCheck | None = None

    @property
    def p_value(self) -> float:
        """Fisher's p-value, or the e-process's anytime-valid p-value (running min of 1/e)."""
        if self.sequential is not None:
            return self.sequential.anytime_p_value
        assert self.fisher is not None
        return self.fisher.p_value

    @property
    def significant(self) -> bool:
        """The canary fails significantly more often (Fisher ``p < alpha``; ``e >= 1/alpha``)."""
        if self.sequential is not None:
            return self.sequential.state.e_max >= 1.0 / self.alpha
        return self.p_value < self.alpha

    @property
    def within_limit(self) -> bool:
        """The canary's own ratio is within the absolute limit."""
        return self.canary.ratio <= self.max_ratio

    @property
    def passed(self) -> bool:
        """Both criteria hold."""
        return not self.significant and self.within_limit

    def summary(self) -> str:
        """``canary 12/4000 5xx vs baseline 3/8000, p=0.00028 < 0.01`` (+ the limit if breached).

        A watch round shows the e-value against ``1/alpha`` and the counts since the watch began.
        """
        c, b = self.canary, self.baseline
        text = f"{CANARY} {c.errors}/{c.requests} {self.what} vs {BASELINE} {b.errors}/{b.requests}"
        if self.sequential is not None:
            e, bar = self.sequential.state.e_max, 1.0 / self.alpha
            op = ">=" if self.significant else "<"
            text += (
                f" since the watch began, e={format_e(self.sequential.e_value)} (max {format_e(e)}) {op} "
                f"{bar:g}, anytime p={format_p(self.p_value)}"
            )
        else:
            op = "<" if self.significant else ">="
            text += f", p={format_p(self.p_value)} {op} {self.alpha:g}"
        if not self.within_limit:
            text += (
                f"; {CANARY} {c.ratio * 100:.2f}% > {self.max_ratio * 100:.2f}% (absolute limit)"
            )
        return text

    def to_json(self) -> dict[str, Any]:
        """The report's ``canary`` object of the check (the one serialisation of this value)."""
        data: dict[str, Any] = {
            CANARY: self.canary.to_json(),
            BASELINE: self.baseline.to_json(),
            "test": E_PROCESS_TEST if self.sequential is not None else TEST_NAME,
            "cumulative": self.sequential is not None,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "significant": self.significant,
            "max_ratio": self.max_ratio,
            "within_limit": self.within_limit,
            "expected_share": None if self.share is None else self.share.expected_share,
            "srm": None if self.share is None else self.share.to_json(),
            "what": self.what,
            "summary": self.summary(),
        }
        if self.fisher is not None:
            data.update(
                statistic=self.fisher.statistic,
                expected_errors=self.fisher.expected,
                odds_ratio=self.fisher.odds_ratio,
            )
        if self.sequential is not None:
            step = self.sequential.increment
            data.update(
                e_value=self.sequential.e_value,
                e_max=self.sequential.state.e_max,
                anytime_p_value=self.sequential.anytime_p_value,
                round=self.sequential.state.rounds,
                increment={
                    CANARY: {"errors": step.canary_errors, "requests": step.canary_requests},
                    BASELINE: {"errors": step.baseline_errors, "requests": step.baseline_requests},
                },
                state=self.sequential.state.to_json(),
            )
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CanaryComparison:
        """The comparison of :meth:`to_json` (raises ``KeyError``/``TypeError``/``ValueError``)."""
        canary, baseline = (
            Side(name, int(data[name]["errors"]), int(data[name]["requests"]))
            for name in (CANARY, BASELINE)
        )
        fisher = sequential = share = None
        if "statistic" in data:
            fisher = FisherResult(
                int(data["statistic"]),
                float(data["expected_errors"]),
                float(data["odds_ratio"]),
                float(data["p_value"]),
            )
        if "state" in data:
            step = data["increment"]
            sequential = SequentialResult(
                Increment(
                    int(step[CANARY]["errors"]),
                    int(step[CANARY]["requests"]),
                    int(step[BASELINE]["errors"]),
                    int(step[BASELINE]["requests"]),
                ),
                float(data["e_value"]),
                WatchState.from_json(data["state"]),
            )
        if data.get("srm") is not None:
            srm = data["srm"]
            share = ShareCheck(
                float(srm["expected_share"]),
                int(srm["canary_requests"]),
                int(srm["total_requests"]),
                float(srm["e_value"]),
                float(srm["e_max"]),
                float(data["alpha"]),
            )
        return cls(
            canary,
            baseline,
            float(data["alpha"]),
            float(data["max_ratio"]),
            str(data["what"]),
            fisher,
            sequential,
            share,
        )


def compare(
    canary: Side,
    baseline: Side,
    *,
    alpha: float,
    max_ratio: float,
    what: str,
    now: CanaryRound | None = None,
    window_seconds: int = 0,
    expected_share: float | None = None,
) -> CanaryComparison:
    """Judge the canary: Fisher's exact test once, or one more round of the watch's e-process.

    Raises :class:`~pytest_gate.stats.sequential.CountsWentDown` when a watch round's counts are
    below the previous round's.
    """
    previous = now.previous if now is not None else None
    share = None
    if expected_share is not None:
        before = previous.srm_e_max if previous is not None else 1.0
        share = share_check(canary, baseline, expected_share, alpha, before)
    if now is not None and now.watching:
        srm_e = share.e_value if share is not None else 1.0
        sequential = advance(now, canary, baseline, window_seconds, srm_e)
        return CanaryComparison(
            canary, baseline, alpha, max_ratio, what, sequential=sequential, share=share
        )
    fisher = fisher_greater(canary.errors, canary.requests, baseline.errors, baseline.requests)
    return CanaryComparison(canary, baseline, alpha, max_ratio, what, fisher=fisher, share=share)


def carried(
    now: CanaryRound | None, alpha: float, max_ratio: float, what: str
) -> CanaryComparison | None:
    """The previous round's e-process unchanged, for a watch round that could not count.

    Recorded with the round's no_data or error, so the next round continues the same e-process
    (a fresh start after every failed round would test anew each time and void the guarantee).
    """
    if now is None or now.previous is None:
        return None
    state = now.previous
    nothing = Increment(0, 0, 0, 0)
    sequential = SequentialResult(nothing, state.mixture.e_value, state)
    return CanaryComparison(
        state.canary, state.baseline, alpha, max_ratio, what, sequential=sequential
    )
