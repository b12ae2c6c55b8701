"""Regularised incomplete gamma function, its inverse and a normal quantile, for exact Poisson limits.

scipy is not a dependency of the workbook, so the few special functions the funnel's exact
Poisson (chi-square) limits need are here: P(a, x) by its series and Q(a, x) by its continued
fraction (Press et al., Numerical Recipes 3rd ed. 2007, §6.2 ``gammp``/``gammq``), the inverse
of P in x by Halley's method (§6.2.1 ``invgammp``), and the normal quantile from the standard
library (Wichura 1988, AS 241, as R's ``qnorm``). The chi-square quantile is
``qchisq(p, 2a) = 2·gammaincinv(a, p)``; a Poisson count X with mean μ has
P(X ≤ k) = Q(k + 1, μ).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

_EPS = 1e-16
_TINY = 1e-300
_MAX_TERMS = 100_000


def norm_quantile(p: float) -> float:
    """Standard normal quantile (R ``qnorm``): statistics.NormalDist, Wichura's AS 241."""
    return NormalDist().inv_cdf(p)


def _prefactor(a: float, x: float) -> float:
    return math.exp(-x + a * math.log(x) - math.lgamma(a))


def _p_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    ap = a
    for _ in range(_MAX_TERMS):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total * _prefactor(a, x)


def _q_fraction(a: float, x: float) -> float:
    # Modified Lentz evaluation of the continued fraction for Q(a, x), x >= a + 1.
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            break
    return _prefactor(a, x) * h


def gammainc_p(a: float, x: float) -> float:
    """Regularised lower incomplete gamma P(a, x) = γ(a, x)/Γ(a), a > 0, x ≥ 0."""
    if a <= 0 or x < 0 or math.isnan(a) or math.isnan(x):
        raise ValueError(f"gammainc_p needs a > 0 and x >= 0, got a={a}, x={x}")
    if x == 0:
        return 0.0
    return _p_series(a, x) if x < a + 1.0 else 1.0 - _q_fraction(a, x)


def gammainc_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x) = 1 − P(a, x), computed directly in its tail."""
    if a <= 0 or x < 0 or math.isnan(a) or math.isnan(x):
        raise ValueError(f"gammainc_q needs a > 0 and x >= 0, got a={a}, x={x}")
    if x == 0:
        return 1.0
    return 1.0 - _p_series(a, x) if x < a + 1.0 else _q_fraction(a, x)


def gammaincinv(a: float, p: float) -> float:
    """x with P(a, x) = p (Numerical Recipes ``invgammp``: Halley steps from a Wilson–Hilferty or
    small-a start), iterated to a relative step below 1e-14."""
    if a <= 0 or not 0 <= p <= 1:
        raise ValueError(f"gammaincinv needs a > 0 and 0 <= p <= 1, got a={a}, p={p}")
    if p == 0:
        return 0.0
    if p == 1:
        return math.inf
    a1 = a - 1.0
    gln = math.lgamma(a)
    if a > 1:
        lna1 = math.log(a1)
        afac = math.exp(a1 * (lna1 - 1.0) - gln)
        pp = p if p < 0.5 else 1.0 - p
        t = math.sqrt(-2.0 * math.log(pp))
        x = (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481)) - t
        if p < 0.5:
            x = -x
        x = max(1e-3, a * (1.0 - 1.0 / (9.0 * a) - x / (3.0 * math.sqrt(a))) ** 3)
    else:
        t = 1.0 - a * (0.253 + a * 0.12)
        x = (p / t) ** (1.0 / a) if p < t else 1.0 - math.log(1.0 - (p - t) / (1.0 - t))
    for _ in range(100):
        if x <= 0:
            return 0.0
        # The error is taken from the smaller tail so that p near 1 keeps its precision.
        err = gammainc_p(a, x) - p if p < 0.5 else (1.0 - p) - gammainc_q(a, x)
        if a > 1:
            density = afac * math.exp(-(x - a1) + a1 * (math.log(x) - lna1))
        else:
            density = math.exp(-x + a1 * math.log(x) - gln)
        if density == 0:
            break
        u = err / density
        step = u / (1.0 - 0.5 * min(1.0, u * (a1 / x - 1.0)))
        x -= step
        if x <= 0:
            x = 0.5 * (x + step)
        if abs(step) < 1e-14 * x:
            break
    return x


def solve_increasing(f: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    """Root of f(v) = target for f increasing on [lo, hi] (Illinois regula falsi, relative
    tolerance 1e-13); hi is doubled until it brackets the root."""
    flo, fhi = f(lo) - target, f(hi) - target
    for _ in range(200):
        if fhi >= 0:
            break
        lo, flo = hi, fhi
        hi *= 2.0
        fhi = f(hi) - target
    if flo > 0 or fhi < 0:
        raise ValueError("solve_increasing: the root is not bracketed")
    side = 0
    v = lo
    for _ in range(300):
        v = hi - fhi * (hi - lo) / (fhi - flo) if fhi != flo else 0.5 * (lo + hi)
        fv = f(v) - target
        if fv == 0 or abs(hi - lo) < 1e-13 * max(abs(v), 1e-300):
            return v
        if fv > 0:
            hi, fhi = v, fv
            if side == 1:
                flo /= 2.0
            side = 1
        else:
            lo, flo = v, fv
            if side == -1:
                fhi /= 2.0
            side = -1
    return v
