"""Fisher's exact test for two proportions, one-sided, in pure Python (``math.lgamma``; no SciPy).

The canary checks compare the canary's error count with the baseline's. Errors in an LLM service
are rare events, where normal approximations (z-tests) and rank tests (Mann-Whitney) mislead, so the
comparison is exact: given both sides' requests and the total number of errors, the canary's error
count ``X`` is hypergeometric under "both sides fail alike", and the p-value is ``P(X >= x)``
(the canary is no worse, against: the canary fails more often).

The tail is summed from its largest term with the ratio of successive probabilities and stopped
once further terms cannot change the sum, so huge counts (millions of requests) cost a few thousand
steps; it agrees with ``scipy.stats.fisher_exact(..., alternative="greater")`` (see the tests).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

SMALL_P = 1e-4
"""Below this a p-value is shown in scientific notation."""
NEGLIGIBLE = 1e-17
"""A tail term below this fraction of the sum so far no longer changes a double."""


@dataclass(frozen=True)
class FisherResult:
    """One one-sided Fisher test: the statistic (the canary's errors), its null expectation, the
    sample odds ratio and the p-value ``P(X >= statistic)``."""

    statistic: int
    expected: float
    odds_ratio: float
    p_value: float


LN_2PI = math.log(2 * math.pi)
SMALL_STIRLING = 15
STIRLING = (1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188)
"""Coefficients of the Stirling series of ``log(n!)`` beyond its leading terms."""


def _stirling_error(n: int) -> float:
    """``log(n!) - log(sqrt(2 pi n) (n / e)**n)``, accurate to a few ulps (Loader, 2000)."""
    if n <= SMALL_STIRLING:
        return math.lgamma(n + 1) - (n + 0.5) * math.log(n) + n - 0.5 * LN_2PI
    s0, s1, s2, s3, s4 = STIRLING
    nn = float(n) * n
    if n > 500:
        return (s0 - s1 / nn) / n
    if n > 80:
        return (s0 - (s1 - s2 / nn) / nn) / n
    if n > 35:
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n


def _deviance(x: float, mean: float) -> float:
    """``x log(x / mean) + mean - x`` without cancellation when ``x`` is near ``mean``."""
    if abs(x - mean) < 0.1 * (x + mean):
        v = (x - mean) / (x + mean)
        s = (x - mean) * v
        term, v2, j = 2 * x * v, v * v, 1
        while True:
            term *= v2
            nxt = s + term / (2 * j + 1)
            if nxt == s:
                return nxt
            s, j = nxt, j + 1
    return x * math.log(x / mean) + mean - x


def _log_binomial(x: int, n: int, p: float, q: float) -> float:
    """``log P(Binomial(n, p) = x)`` for ``0 < p < 1`` (``q = 1 - p``), by Loader's saddle point."""
    if x == 0:
        return -_deviance(n, n * q) - n * p if p < 0.1 else n * math.log(q)
    if x == n:
        return -_deviance(n, n * p) - n * q if q < 0.1 else n * math.log(p)
    lc = (
        _stirling_error(n)
        - _stirling_error(x)
        - _stirling_error(n - x)
        - _deviance(x, n * p)
        - _deviance(n - x, n * q)
    )
    return lc - 0.5 * (LN_2PI + math.log(x) + math.log1p(-x / n))


def format_p(p_value: float) -> str:
    """A p-value for people: ``0.21``, ``0.00028``, ``3.1e-12``."""
    if p_value >= SMALL_P or p_value == 0:
        return f"{p_value:.2g}"
    return f"{p_value:.1e}"


def _check(errors: int, requests: int, side: str) -> None:
    if requests < 0 or errors < 0 or errors > requests:
        raise ValueError(
            f"{side}: {errors} errors of {requests} requests is not a proportion; "
            "counts must satisfy 0 <= errors <= requests"
        )


def odds_ratio(x1: int, n1: int, x2: int, n2: int) -> float:
    """``(x1 (n2 - x2)) / ((n1 - x1) x2)``: infinite when only the denominator is 0, NaN when both."""
    top, bottom = x1 * (n2 - x2), (n1 - x1) * x2
    if bottom == 0:
        return math.nan if top == 0 else math.inf
    return top / bottom


def sum_from(first: int, last: int, step: int, ratio_at: Callable[[int], float]) -> float:
    """Sum of the terms from ``first`` to ``last`` (by ``step``), relative to the first term.

    ``ratio_at(x)`` is the next term over the term at ``x``; the terms must fall from ``first`` on
    (past a mode), so the sum stops once a term no longer changes it.
    """
    total, term, x = 1.0, 1.0, first
    while x != last:
        term *= ratio_at(x)
        x += step
        total += term
        if term < total * NEGLIGIBLE:
            break
    return total


def fisher_greater(x1: int, n1: int, x2: int, n2: int) -> FisherResult:
    """One-sided Fisher exact test that side 1's error proportion is above side 2's.

    ``x1`` of ``n1`` requests of the canary failed, ``x2`` of ``n2`` of the baseline. Raises
    ``ValueError`` for counts that are not proportions.
    """
    _check(x1, n1, "canary")
    _check(x2, n2, "baseline")
    total, errors = n1 + n2, x1 + x2
    expected = n1 * errors / total if total else 0.0
    ratio = odds_ratio(x1, n1, x2, n2)
    low, high = max(0, errors - n2), min(errors, n1)
    if x1 <= low:
        return FisherResult(x1, expected, ratio, 1.0)
    ok = total - errors

    def up(x: int) -> float:  # P(x + 1) / P(x)
        return (errors - x) * (n1 - x) / ((x + 1) * (ok - n1 + x + 1))

    def down(x: int) -> float:  # P(x - 1) / P(x)
        return x * (ok - n1 + x) / ((errors - x + 1) * (n1 - x + 1))

    mode = (n1 + 1) * (errors + 1) // (total + 2)
    if x1 > mode:  # terms fall from x1 on: sum the upper tail directly
        log_first = log_hypergeometric_pmf(x1, n1, errors, total)
        p = math.exp(log_first) * sum_from(x1, high, 1, up)
    else:  # the upper tail holds the mode: 1 - the lower tail, which falls from x1 - 1 down
        log_first = log_hypergeometric_pmf(x1 - 1, n1, errors, total)
        p = 1.0 - math.exp(log_first) * sum_from(x1 - 1, low, -1, down)
    return FisherResult(x1, expected, ratio, min(1.0, max(0.0, p)))


def log_hypergeometric_pmf(x: int, n1: int, errors: int, total: int) -> float:
    """``log P(X = x)`` for X hypergeometric: ``n1`` drawn of ``total`` holding ``errors``.

    As three binomial terms at ``p = n1 / total`` (as R's ``dhyper`` does), each accurate, where
    differences of ``lgamma`` of ten million would lose eight digits. Needs ``0 < n1 < total``.
    """
    p, q = n1 / total, (total - n1) / total
    return (
        _log_binomial(x, errors, p, q)
        + _log_binomial(n1 - x, total - errors, p, q)
        - _log_binomial(n1, total, p, q)
    )
