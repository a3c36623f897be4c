"""Anytime-valid canary tests: e-processes that stay honest however often a watch looks. Pure.

A watch (``--gate-watch``) looks at the canary every round. Fisher's exact test repeated every
round is a new test each time, and the chance that *some* round crosses alpha grows with the number
of looks (the "peeking" problem; :mod:`bench.canary_sim` measures it). An **e-process** is a
running bet against the null hypothesis whose wealth ``E_t`` starts at 1 and whose expected value
never grows while the null holds (a nonnegative test supermartingale). **Ville's inequality**
(Ville, 1939) then bounds the probability that it *ever* reaches ``1/alpha``:
``P(sup_t E_t >= 1/alpha) <= alpha``. So the gate may say NO-GO at the first round where
``E_t >= 1/alpha``, or continue, or stop, at any round for any reason, and the false NO-GO rate over
the whole watch stays at most alpha; ``min(1, 1 / max_{s<=t} E_s)`` is an anytime-valid p-value
(Grünwald, de Heide and Koolen, "Safe testing", 2020/2024; Ramdas, Grünwald, Vovk and Shafer,
"Game-theoretic statistics and safe anytime-valid inference", Statistical Science 2023).

**Canary worse than baseline.** Round ``k`` contributes its *disjoint increment*: ``n1`` canary and
``n2`` baseline requests, ``m`` errors among them, ``x`` of them the canary's. If every canary
request fails independently with probability ``p1`` and every baseline request with ``p2``, then
given the round's margins ``(n1, n2, m)`` the canary's errors ``X`` follow **Fisher's noncentral
hypergeometric** law with odds ratio ``psi = p1 (1 - p2) / (p2 (1 - p1))``::

    P_psi(X = x) = C(n1, x) C(n2, m - x) psi^x / sum_u C(n1, u) C(n2, m - u) psi^u

(``psi = 1`` is the central hypergeometric law behind Fisher's exact test). The likelihood ratio of
``psi`` against ``1`` is therefore::

    LR_psi(x) = psi^x / E_1[psi^X]

which has expectation exactly 1 when ``psi_true = 1`` and at most 1 when ``psi_true <= 1`` (the
family has monotone likelihood ratio in ``x``, so ``E_psi0[psi^X]`` grows with ``psi0``): the null
"the canary fails no more often" is composite and every point of it is covered. The product over
rounds ``prod_k LR_psi(x_k)`` is a test supermartingale for each fixed ``psi > 1``, and so is any
**mixture of products** ``E_t = sum_j w_j prod_k LR_psi_j(x_k)`` with fixed weights ``w_j`` summing to
1 (a product of mixtures would not be). The gate mixes over a fixed grid :data:`PSI_GRID` of odds
ratios from 1.25 to 16, so it detects a canary at 1.5x as well as at 10x without knowing which in
advance. This is the construction of Lindon, Sanden and Shirikian, "Rapid regression detection in
software deployments through sequential testing" (KDD 2022), and of Lindon and Malek, "Anytime-valid
inference for multinomial count data" (NeurIPS 2022), for counting processes, in the conditional
(Fisher) form that needs no knowledge of the baseline's rate, which changes with load.

``E_1[psi^X]`` is summed in log space from the mode of the tilted terms outwards, each term from the
previous by the ratio of successive probabilities, until further terms cannot change a double; the
mode's own term uses the accurate log-pmf of :mod:`pytest_gate.stats.exact`. The support can hold
millions of values; the sum touches only the few hundred around the mode.

**Sample ratio mismatch.** When the canary should get a known share ``pi0`` of the traffic, the
canary's requests among ``N`` are Binomial(``N``, ``pi0``) if the split works. The beta-binomial
mixture (prior ``Beta(kappa pi0, kappa (1 - pi0))`` on the true share) of the likelihood ratios::

    E = B(a + C, b + N - C) / B(a, b) / (pi0^C (1 - pi0)^(N - C))

is a test martingale in ``N`` (it depends on the data only through the cumulative counts), the
two-sided sample-ratio test of Lindon and Malek (2022) for two arms.

Assumptions: requests fail independently given their side (bursts that hit one side only are a real
difference; bursts that hit both alike are not), the increments are disjoint (each request counted
in one round only), and each round's margins are not chosen by looking at its errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pytest_gate.stats.exact import log_hypergeometric_pmf, sum_from

PSI_GRID: tuple[float, ...] = (1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
"""Odds ratios the mixture bets on, with equal weights (:data:`PSI_WEIGHTS`)."""
PSI_WEIGHTS: tuple[float, ...] = tuple(1.0 / len(PSI_GRID) for _ in PSI_GRID)
SRM_CONCENTRATION = 100.0
"""``a + b`` of the beta prior on the canary's share (centred on the expected share)."""
E_CAP = 1e308
"""E-values are capped here (a double's range); the report never holds ``inf``."""


def log_tilted_mean(n1: int, n2: int, m: int, psi: float) -> float:
    """``log E_1[psi^X]`` for ``X`` central hypergeometric (``m`` errors among ``n1 + n2``)."""
    low, high = max(0, m - n2), min(m, n1)
    if low == high or psi == 1.0:
        return low * math.log(psi)
    ok = n2 - m

    def up(u: int) -> float:  # t(u + 1) / t(u)
        return psi * (m - u) * (n1 - u) / ((u + 1) * (ok + u + 1))

    def down(u: int) -> float:  # t(u - 1) / t(u)
        return u * (ok + u) / ((m - u + 1) * (n1 - u + 1)) / psi

    mode = _mode(low, high, up)
    head = log_hypergeometric_pmf(mode, n1, m, n1 + n2) + mode * math.log(psi)
    above = sum_from(mode, high, 1, up)
    below = sum_from(mode, low, -1, down)
    return head + math.log(above + below - 1.0)


def _mode(low: int, high: int, up: Callable[[int], float]) -> int:
    """The first ``u`` whose next term is smaller (the terms are log-concave in ``u``)."""
    lo, hi = low, high
    while lo < hi:
        mid = (lo + hi) // 2
        if up(mid) >= 1.0:
            lo = mid + 1
        else:
            hi = mid
    return lo


def log_likelihood_ratio(x: int, n1: int, n2: int, m: int, psi: float) -> float:
    """``log LR_psi(x) = x log psi - log E_1[psi^X]`` of one round's increment."""
    return x * math.log(psi) - log_tilted_mean(n1, n2, m, psi)


def log_noncentral_pmf(x: int, n1: int, n2: int, m: int, psi: float) -> float:
    """``log P_psi(X = x)``, Fisher's noncentral hypergeometric (SciPy's ``nchypergeom_fisher``)."""
    low, high = max(0, m - n2), min(m, n1)
    if not low <= x <= high:
        return -math.inf
    if low == high:
        return 0.0
    central = log_hypergeometric_pmf(x, n1, m, n1 + n2)
    return central + log_likelihood_ratio(x, n1, n2, m, psi)


def log_sum_exp(values: Sequence[float]) -> float:
    """``log(sum(exp(v)))`` without overflow."""
    top = max(values)
    if top == -math.inf:
        return top
    return top + math.log(sum(math.exp(v - top) for v in values))


@dataclass(frozen=True)
class Increment:
    """One round's disjoint counts: the canary's and the baseline's errors and requests."""

    canary_errors: int
    canary_requests: int
    baseline_errors: int
    baseline_requests: int

    def problem(self) -> str | None:
        """Why these are not counts of one round (negative, or more errors than requests)."""
        for side, errors, requests in (
            ("canary", self.canary_errors, self.canary_requests),
            ("baseline", self.baseline_errors, self.baseline_requests),
        ):
            if requests < 0 or errors < 0 or errors > requests:
                return f"{side} {errors} errors of {requests} requests"
        return None


@dataclass(frozen=True)
class Mixture:
    """The e-process's state: ``log prod_k LR_psi_j`` for every ``psi_j`` of the grid."""

    log_products: tuple[float, ...] = tuple(0.0 for _ in PSI_GRID)

    @property
    def log_e_value(self) -> float:
        """``log sum_j w_j prod_k LR_psi_j``."""
        return log_sum_exp(
            [math.log(w) + s for w, s in zip(PSI_WEIGHTS, self.log_products, strict=True)]
        )

    @property
    def e_value(self) -> float:
        """The e-value now (capped at the largest double, never ``inf``)."""
        return math.exp(min(self.log_e_value, math.log(E_CAP)))

    def updated(self, step: Increment) -> Mixture:
        """The state after one more round (an increment without errors changes nothing)."""
        n1, n2 = step.canary_requests, step.baseline_requests
        m = step.canary_errors + step.baseline_errors
        if m == 0 or n1 == 0 or n2 == 0:
            return self
        return Mixture(
            tuple(
                s + log_likelihood_ratio(step.canary_errors, n1, n2, m, psi)
                for s, psi in zip(self.log_products, PSI_GRID, strict=True)
            )
        )


def srm_log_e_value(canary_requests: int, total_requests: int, expected_share: float) -> float:
    """``log E`` of the beta-binomial sample-ratio test of the canary's share (two-sided)."""
    a = SRM_CONCENTRATION * expected_share
    b = SRM_CONCENTRATION * (1.0 - expected_share)
    c, rest = canary_requests, total_requests - canary_requests
    mixture = _log_beta(a + c, b + rest) - _log_beta(a, b)
    null = c * math.log(expected_share) + rest * math.log1p(-expected_share)
    return mixture - null


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def format_e(e_value: float) -> str:
    """An e-value for people: ``0.38``, ``463``, ``2.1e+07``, ``1e+308 (capped)`` at the cap."""
    return f"{E_CAP:.0e} (capped)" if e_value >= E_CAP else f"{e_value:.3g}"


def anytime_p_value(e_max: float) -> float:
    """``min(1, 1 / max_s E_s)``: the anytime-valid p-value of the largest e-value so far."""
    return 1.0 if e_max <= 1.0 else 1.0 / e_max
