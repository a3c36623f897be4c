"""The canary e-process (pure): Fisher's noncentral law, a fair bet under the null, monotone."""

from __future__ import annotations

import math

import pytest
from scipy.stats import betabinom, binom, hypergeom, nchypergeom_fisher

from pytest_gate.stats.eprocess import (
    PSI_GRID,
    Increment,
    Mixture,
    anytime_p_value,
    log_likelihood_ratio,
    log_noncentral_pmf,
    srm_log_e_value,
)


@pytest.mark.parametrize(
    ("x", "n1", "n2", "m", "psi"),
    [
        (3, 10, 20, 5, 2.0),
        (0, 10, 20, 5, 0.5),
        (12, 4000, 8000, 15, 3.0),
        (1, 1, 1, 1, 4.0),
        (40, 1000, 50, 60, 8.0),
        (200, 100_000, 200_000, 700, 1.25),
        (2_000, 1_000_000, 2_000_000, 5_000, 1.5),
    ],
)
def test_pmf_matches_scipy_nchypergeom_fisher(x: int, n1: int, n2: int, m: int, psi: float) -> None:
    """log P_psi(X = x) agrees with SciPy's nchypergeom_fisher, large supports included."""
    reference = nchypergeom_fisher.pmf(x, n1 + n2, n1, m, psi)
    assert math.exp(log_noncentral_pmf(x, n1, n2, m, psi)) == pytest.approx(reference, rel=1e-8)


@pytest.mark.parametrize("psi", PSI_GRID)
def test_each_bet_is_exactly_fair_under_the_null(psi: float) -> None:
    """E_1[LR_psi(X)] = 1, by enumerating the whole support of a small round."""
    n1, n2, m = 7, 13, 6
    mean = sum(
        hypergeom.pmf(x, n1 + n2, n1, m) * math.exp(log_likelihood_ratio(x, n1, n2, m, psi))
        for x in range(m + 1)
    )
    assert mean == pytest.approx(1.0, abs=1e-12)


def test_the_mixture_over_two_rounds_is_exactly_fair_under_the_null() -> None:
    """E_1[E_2] = 1 for the mixture of products over two rounds (all outcomes enumerated)."""
    mean = 0.0
    for x1 in range(5):
        for x2 in range(6):
            weight = hypergeom.pmf(x1, 14, 5, 4) * hypergeom.pmf(x2, 9, 6, 5)
            state = Mixture().updated(Increment(x1, 5, 4 - x1, 9))
            state = state.updated(Increment(x2, 6, 5 - x2, 3))
            mean += weight * state.e_value
    assert mean == pytest.approx(1.0, abs=1e-12)


def test_a_better_canary_loses_the_bet_on_average() -> None:
    """Under psi = 0.5 (canary better) the expected e-value is below 1: the null is composite."""
    n1, n2, m = 30, 60, 9
    mean = sum(
        math.exp(log_noncentral_pmf(x, n1, n2, m, 0.5))
        * Mixture().updated(Increment(x, n1, m - x, n2)).e_value
        for x in range(m + 1)
    )
    assert mean < 1.0


def test_more_canary_errors_mean_more_evidence() -> None:
    """With the round's margins fixed, the e-value grows with the canary's share of the errors."""
    values = [Mixture().updated(Increment(x, 1000, 10 - x, 2000)).e_value for x in range(11)]
    assert values == sorted(values)
    assert values[0] < 1.0 < values[-1]


def test_a_round_without_errors_changes_nothing() -> None:
    """No errors in a round: nothing to bet on, the state stays as it was."""
    state = Mixture().updated(Increment(3, 1000, 1, 2000))
    assert state.updated(Increment(0, 500, 0, 1000)) == state


def test_evidence_accumulates_over_rounds() -> None:
    """A canary twice as bad, round after round: the e-value passes 20 and keeps growing."""
    state, seen = Mixture(), []
    for _ in range(12):
        state = state.updated(Increment(4, 1000, 4, 2000))
        seen.append(state.e_value)
    assert seen[-1] > 20 and seen[-1] > seen[5]


def test_srm_e_value_is_the_beta_binomial_over_the_binomial() -> None:
    """The sample-ratio e-value is the beta-binomial likelihood over the binomial one."""
    c, n, share = 420, 1500, 1 / 3
    reference = betabinom.pmf(c, n, 100 * share, 100 * (1 - share)) / binom.pmf(c, n, share)
    assert math.exp(srm_log_e_value(c, n, share)) == pytest.approx(reference, rel=1e-9)


def test_srm_stays_small_on_the_expected_split_and_grows_off_it() -> None:
    """A third of 30,000 requests: no evidence; a tenth: overwhelming evidence."""
    assert srm_log_e_value(10_000, 30_000, 1 / 3) < 0.0
    assert srm_log_e_value(3_000, 30_000, 1 / 3) > math.log(1e6)


def test_anytime_p_value_is_one_over_the_largest_e_value_capped_at_one() -> None:
    """min(1, 1/max e)."""
    assert (anytime_p_value(0.5), anytime_p_value(200.0)) == (1.0, 0.005)
