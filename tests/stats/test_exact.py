"""The exact test against references: SciPy's Fisher test and exact rational arithmetic.

SciPy is a test-only dependency; the gate computes with ``math`` alone (``test_no_heavy_import``).
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from fractions import Fraction

import pytest
from scipy.stats import fisher_exact

from pytest_gate.stats.exact import fisher_greater

CASES = [
    # zeros
    (0, 4000, 0, 8000),
    (0, 1, 0, 1),
    (0, 4000, 16, 8000),
    (5, 10, 0, 10),
    (1, 1, 0, 1),
    (0, 1, 1, 1),
    (7, 10, 0, 1),
    (4000, 4000, 0, 8000),
    (4000, 4000, 8000, 8000),
    # tiny counts
    (1, 2, 0, 3),
    (3, 5, 4, 5),
    (2, 3, 1, 9),
    (1, 20, 0, 20),
    # the issue's example, and its neighbours
    (12, 4000, 3, 8000),
    (6, 4000, 6, 8000),
    (2, 4000, 4, 8000),
    (3, 4000, 6, 8000),
    (40, 4000, 80, 8000),
    # huge counts
    (1000, 10**6, 100, 10**6),
    (100_000, 10**7, 90_000, 10**7),
    (100_000, 10**7, 100_000, 10**7),
    (1, 10**7, 0, 10**7),
    (25, 2_000_000, 30, 5_000_000),
    (3_000_000, 10**7, 2_990_000, 10**7),
]


def exact_p(x1: int, n1: int, x2: int, n2: int) -> Fraction:
    """P(X >= x1) for the hypergeometric X, in exact rational arithmetic."""
    total, errors = n1 + n2, x1 + x2
    upper = min(errors, n1)
    tail = sum(
        math.comb(errors, x) * math.comb(total - errors, n1 - x) for x in range(x1, upper + 1)
    )
    return Fraction(tail, math.comb(total, n1))


@pytest.mark.parametrize("case", CASES, ids=[f"{a}/{b}-vs-{c}/{d}" for a, b, c, d in CASES])
def test_p_value_and_odds_ratio_match_scipy(case: tuple[int, int, int, int]) -> None:
    """p-value and odds ratio equal scipy.stats.fisher_exact(alternative="greater")."""
    x1, n1, x2, n2 = case
    ours = fisher_greater(*case)
    reference = fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="greater")
    assert ours.p_value == pytest.approx(reference.pvalue, rel=1e-6, abs=1e-300)
    if math.isnan(reference.statistic):
        assert math.isnan(ours.odds_ratio)
    else:
        assert ours.odds_ratio == pytest.approx(reference.statistic, rel=1e-12)
    assert ours.statistic == x1
    assert ours.expected == pytest.approx(n1 * (x1 + x2) / (n1 + n2))


SMALL = [c for c in CASES if c[1] + c[3] <= 20_000]


@pytest.mark.parametrize("case", SMALL, ids=[f"{a}/{b}-vs-{c}/{d}" for a, b, c, d in SMALL])
def test_p_value_matches_exact_arithmetic_closely(case: tuple[int, int, int, int]) -> None:
    """Where exact rationals are affordable, the p-value agrees to 1e-12 (relative)."""
    assert fisher_greater(*case).p_value == pytest.approx(float(exact_p(*case)), rel=1e-12)


def test_one_error_among_millions_is_exactly_the_canary_share() -> None:
    """With a single error in all, P(it is the canary's) is n1 / (n1 + n2) exactly."""
    assert fisher_greater(1, 3_000_000, 0, 7_000_000).p_value == pytest.approx(0.3, rel=1e-13)


def test_huge_counts_take_milliseconds() -> None:
    """Ten million requests a side still decide in well under a tenth of a second."""
    started = time.perf_counter()
    for case in CASES:
        fisher_greater(*case)
    assert time.perf_counter() - started < 0.1


def test_the_issue_example_is_significant_at_one_percent() -> None:
    """Canary 12/4000 vs baseline 3/8000: p about 0.0003, below alpha 0.01."""
    assert fisher_greater(12, 4000, 3, 8000).p_value == pytest.approx(0.0002827, rel=1e-3)


@pytest.mark.parametrize("case", [(5, 4, 0, 10), (-1, 10, 0, 10), (0, 10, 11, 10)])
def test_counts_that_are_not_proportions_are_refused(case: tuple[int, int, int, int]) -> None:
    """More errors than requests, or a negative count, raises ValueError naming the side."""
    with pytest.raises(ValueError, match="is not a proportion"):
        fisher_greater(*case)


def test_no_heavy_import() -> None:
    """Importing the plugin and the exact test loads neither SciPy nor NumPy."""
    code = (
        "import sys, pytest_gate.plugin, pytest_gate.stats.exact, pytest_gate.stats.canary;"
        "print(sorted(m for m in ('scipy', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
