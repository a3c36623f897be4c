"""Issue 25 item 4: false NO-GO rate of Fisher repeated every watch round against the e-process.

A simulated watch is what ``--gate-watch 900 --gate-interval 60 -m canary`` sees: 16 rounds one
minute apart, each judging the 10-minute window before it, so the first round also sees the 9
minutes before the watch. Every minute ``N`` requests arrive (drawn per watch between 300 and
3,000), a third of them to the canary (binomial split); the baseline fails with a rate drawn per
watch log-uniformly between 0.05 % and 1 %, the canary with ``r`` times that rate (``r = 1``: the
null; 2 and 5: a worse canary).

- **Fisher repeated**: the gate's one-shot test on each round's 10-minute window (overlapping
  windows, alpha 0.01, at least 500 requests per side); a NO-GO in any round ends the watch NO-GO.
- **e-process**: the gate's own code (:mod:`pytest_gate.stats.sequential`): round 1 counts the
  first window, each later round adds its minute; NO-GO when the e-value reaches 1/alpha.

The random draws use NumPy (bench only); the tests run the gate's pure-Python statistics. Wilson
95 % intervals; rounds to detection are the median over the watches that ended NO-GO.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.report import Section, Table, Target
from pytest_gate.stats.exact import fisher_greater
from pytest_gate.stats.sequential import CanaryRound, advance
from pytest_gate.stats.sides import Side

ALPHA = 0.01
ROUNDS = 16
WINDOW_MINUTES = 10
CANARY_SHARE = 1 / 3
MIN_REQUESTS = 500
RATE_RANGE = (0.0005, 0.01)
REQUESTS_PER_MINUTE = (300, 3_000)
RATIOS = (1.0, 2.0, 5.0)
DEFAULT_WATCHES = 2_000
Z95 = 1.959963984540054
COMMAND = "python -m bench.canary_sim --watches 2000 --seed 25"


@dataclass(frozen=True)
class Outcome:
    """How one test ended one watch: NO-GO or not, and in which round."""

    no_go: bool
    round: int | None


@dataclass(frozen=True)
class Minutes:
    """One simulated watch's per-minute counts (the 9 minutes before it, then 16 rounds)."""

    canary_errors: np.ndarray
    canary_requests: np.ndarray
    baseline_errors: np.ndarray
    baseline_requests: np.ndarray


def simulate(rng: np.random.Generator, ratio: float) -> Minutes:
    """Per-minute counts of one watch under the canary/baseline error-rate ``ratio``."""
    minutes = WINDOW_MINUTES - 1 + ROUNDS
    low, high = (math.log(v) for v in RATE_RANGE)
    rate = math.exp(rng.uniform(low, high))
    total = rng.integers(REQUESTS_PER_MINUTE[0], REQUESTS_PER_MINUTE[1] + 1)
    canary = rng.binomial(total, CANARY_SHARE, size=minutes)
    baseline = total - canary
    return Minutes(
        rng.binomial(canary, min(1.0, rate * ratio)),
        canary,
        rng.binomial(baseline, rate),
        baseline,
    )


def window(counts: np.ndarray, end: int, start: int) -> int:
    """The sum of minutes ``start .. end - 1``."""
    return int(counts[start:end].sum())


def fisher_repeated(watch: Minutes) -> Outcome:
    """The one-shot Fisher test on each round's 10-minute window; the first p < alpha is NO-GO."""
    for number in range(1, ROUNDS + 1):
        end = WINDOW_MINUTES - 1 + number
        start = end - WINDOW_MINUTES
        cr, br = (
            window(watch.canary_requests, end, start),
            window(watch.baseline_requests, end, start),
        )
        if min(cr, br) < MIN_REQUESTS:
            continue
        test = fisher_greater(
            window(watch.canary_errors, end, start),
            cr,
            window(watch.baseline_errors, end, start),
            br,
        )
        if test.p_value < ALPHA:
            return Outcome(True, number)
    return Outcome(False, None)


def e_process(watch: Minutes) -> Outcome:
    """The gate's e-process over the counts since the first window began."""
    now = CanaryRound(at=0.0, watching=True)
    for number in range(1, ROUNDS + 1):
        end = WINDOW_MINUTES - 1 + number
        canary = Side(
            "canary", window(watch.canary_errors, end, 0), window(watch.canary_requests, end, 0)
        )
        baseline = Side(
            "baseline",
            window(watch.baseline_errors, end, 0),
            window(watch.baseline_requests, end, 0),
        )
        result = advance(now, canary, baseline, WINDOW_MINUTES * 60, 1.0)
        if result.state.e_max >= 1.0 / ALPHA:
            return Outcome(True, number)
        now = CanaryRound(at=float(number * 60), watching=True, previous=result.state)
    return Outcome(False, None)


def wilson(hits: int, n: int) -> tuple[float, float]:
    """The Wilson score 95 % interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = hits / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Row:
    """One scenario and one test: NO-GO share with its interval, median rounds to NO-GO."""

    ratio: float
    test: str
    no_go: int
    watches: int
    median_round: float | None

    def cells(self) -> tuple[str, ...]:
        """The table row."""
        low, high = wilson(self.no_go, self.watches)
        what = "null (equal rates)" if self.ratio == 1.0 else f"canary {self.ratio:g}x baseline"
        rounds = "-" if self.median_round is None else f"{self.median_round:g}"
        share = f"{self.no_go / self.watches * 100:.2f}% [{low * 100:.2f}, {high * 100:.2f}]"
        return (what, self.test, f"{self.no_go}/{self.watches}", share, rounds)


def measure(watches: int, seed: int) -> list[Row]:
    """Every scenario, both tests on the same simulated watches."""
    rows: list[Row] = []
    for ratio in RATIOS:
        rng = np.random.default_rng([seed, int(ratio * 10)])
        results: dict[str, list[Outcome]] = {"Fisher repeated every round": [], "e-process": []}
        for _ in range(watches):
            watch = simulate(rng, ratio)
            results["Fisher repeated every round"].append(fisher_repeated(watch))
            results["e-process"].append(e_process(watch))
        for name, outcomes in results.items():
            rounds = [o.round for o in outcomes if o.round is not None]
            median = float(np.median(rounds)) if rounds else None
            rows.append(Row(ratio, name, sum(o.no_go for o in outcomes), watches, median))
    return rows


def section(rows: Sequence[Row], watches: int, seconds: float) -> Section:
    """The results as a RESULTS.md section."""
    table = Table(
        ("scenario", "test", "NO-GO watches", "NO-GO rate [Wilson 95%]", "median round of NO-GO"),
        tuple(row.cells() for row in rows),
    )
    null = next(r for r in rows if r.ratio == 1.0 and r.test == "e-process")
    low, high = wilson(null.no_go, null.watches)
    return Section(
        name="canary_sim",
        title="9. Canary comparisons under watching: false NO-GO rate (issue 25)",
        intro=(
            f"{watches} simulated watches per scenario of {ROUNDS} rounds (1-minute interval, "
            f"{WINDOW_MINUTES}-minute window), a third of the traffic to the canary, baseline error "
            "rates log-uniform in 0.05%-1%, 300-3,000 requests a minute, alpha 0.01. A NO-GO "
            f"under the null is a false NO-GO. Simulated in {seconds:.0f} s."
        ),
        tables=[table],
        targets=[
            Target(
                "the e-process's false NO-GO rate <= alpha (0.01)",
                f"{null.no_go / null.watches * 100:.2f}% [{low * 100:.2f}, {high * 100:.2f}]",
                null.no_go / null.watches <= ALPHA,
            )
        ],
        commands=[COMMAND],
    )


def run(bench: object) -> Section:
    """``python -m bench --only canary_sim``."""
    started = time.monotonic()
    rows = measure(DEFAULT_WATCHES, 25)
    return section(rows, DEFAULT_WATCHES, time.monotonic() - started)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the section (Markdown) for bench/RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.canary_sim", description=__doc__)
    parser.add_argument("--watches", type=int, default=DEFAULT_WATCHES)
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows = measure(args.watches, args.seed)
    print(section(rows, args.watches, time.monotonic() - started).markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
