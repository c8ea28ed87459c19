#!/usr/bin/env python3
"""Reference values for the Gauss-Legendre rules of `power_rule` (src/numerics/quadrature.rs),
the quadrature of the Pareto/NBD rows with a recent last purchase, computed with mpmath.

For cases (p, s, alpha, beta, t_x, T) across the region the short rows take (reach
e = (T - t_x)/min(alpha + t_x, beta + t_x) from 1e-8 to 1, p = r + x from 1e-3 to 1e4, s from
1e-3 to 1e3, alpha and beta from 1e-3 to 1e8, variation V <= 2) it integrates, by mpmath's
tanh-sinh quadrature at 50 digits, f(w) = ((alpha+T)/(alpha+w))^p ((beta+T)/(beta+w))^(s+1)
over [t_x, T] and f times every product of at most two of the factors
  la = ln((alpha+T)/(alpha+w)), ra = 1/(alpha+w) - 1/(alpha+T), ia = 1/(alpha+w)
and their beta counterparts (28 integrands), and evaluates the n-point Gauss-Legendre rule
(n = 4..16, nodes at 50 digits) on each. The error of each is measured against the yardstick
of the derivation (integral of f times the largest value of each factor on the interval);
`n_min[d]` is the fewest nodes from which on (up to 16) the errors of all integrands of at
most d factors are below 1e-20 of it (17: none). The crate's rule for d factors must never
take fewer.

It also prints the bound of the derivation for the 16-point rule at the corner of the region
(e = 1, V = 2), which the table does not prove below 1e-20 (16 nodes are taken there, as
before).

Prints the Rust array of `SHORT_CASES` in src/numerics/quadrature.rs (the values of
[f, f la, f ra, f lb, f rb] integrals rounded to the nearest double). Run from the repository root:
python3 scripts/pareto_short_quadrature.py
"""
import itertools
import math
import random

import numpy

from mpmath import mp, mpf, exp, log, log1p, quad, legendre, diff, findroot

mp.dps = 50
TOL = mpf("1e-20")
ORDERS = range(4, 17)


def gauss_legendre(n):
    """Nodes and weights of the n-point rule on [-1, 1] at the working precision (Newton's
    method on P_n from numpy's double-precision nodes)."""
    xs, ws = [], []
    for x0 in numpy.polynomial.legendre.leggauss(n)[0]:
        x = findroot(lambda t: legendre(n, t), mpf(float(x0)), tol=mpf(10) ** (-2 * mp.dps + 10))
        dp = diff(lambda t: legendre(n, t), x)
        xs.append(x)
        ws.append(2 / ((1 - x * x) * dp * dp))
    # Exact for polynomials of degree 2n - 1 and distinct nodes: the rule is the right one.
    assert abs(mp.fsum(w * x ** (2 * n - 2) for x, w in zip(xs, ws)) - mpf(2) / (2 * n - 1)) < mpf(10) ** (-mp.dps + 5)
    assert len(set(mp.nstr(x, 30) for x in xs)) == n
    return xs, ws


RULES = {n: gauss_legendre(n) for n in ORDERS}


def factors(p, s, a, b, tx, T):
    """The factors, each with its largest absolute value on [t_x, T] (at t_x), written without
    cancellation (T - w and log1p) so that a reach of 1e-15 keeps its digits."""
    a, b, tx, T = map(mpf, (a, b, tx, T))
    return [
        (lambda w: log1p((T - w) / (a + w)), log1p((T - tx) / (a + tx))),
        (lambda w: (T - w) / ((a + w) * (a + T)), (T - tx) / ((a + tx) * (a + T))),
        (lambda w: 1 / (a + w), 1 / (a + tx)),
        (lambda w: log1p((T - w) / (b + w)), log1p((T - tx) / (b + tx))),
        (lambda w: (T - w) / ((b + w) * (b + T)), (T - tx) / ((b + tx) * (b + T))),
        (lambda w: 1 / (b + w), 1 / (b + tx)),
    ]


def case(p, s, a, b, tx, T):
    p, s, a, b, tx, T = map(mpf, (p, s, a, b, tx, T))
    q = s + 1
    f = lambda w: exp(p * log1p((T - w) / (a + w)) + q * log1p((T - w) / (b + w)))
    fac = factors(p, s, a, b, tx, T)
    combos = [()] + [(i,) for i in range(6)] + list(itertools.combinations_with_replacement(range(6), 2))
    m, h = (tx + T) / 2, (T - tx) / 2
    # Each integrand divided by its scale (the product of the factors' largest values) on
    # u in [-1, 1], w = m + h u: of order 1, so quad's absolute tolerance is a relative one.
    scaled = []
    for combo in combos:
        scale = mp.fprod(fac[i][1] for i in combo)
        scaled.append((combo, scale, lambda u, c=combo, sc=scale: f(m + h * u) * mp.fprod(fac[i][0](m + h * u) for i in c) / sc))
    values = [quad(g, [-1, 1]) for _, _, g in scaled]
    f_int = values[0]
    # Fewest nodes within TOL for the integrands of at most d factors, d = 0, 1, 2.
    n_min = [17, 17, 17]
    for n in reversed(ORDERS):
        xs, ws = RULES[n]
        worst = [mpf(0)] * 3
        for (combo, scale, g), exact in zip(scaled, values):
            approx = mp.fsum(wi * g(xi) for xi, wi in zip(xs, ws))
            for d in range(len(combo), 3):
                worst[d] = max(worst[d], abs(approx - exact) / f_int)
        for d in range(3):
            if worst[d] <= TOL and n_min[d] == n + 1:
                n_min[d] = n
    values = [h * v * sc for v, (_, sc, _) in zip(values, scaled)]
    first = [values[0], values[combos.index((0,))], values[combos.index((1,))],
             values[combos.index((3,))], values[combos.index((4,))]]
    return n_min, first


def variation(p, s, a, b, tx, T):
    d = T - tx
    return p * math.log1p(d / (a + tx)) + (s + 1) * math.log1p(d / (b + tx))


def corner_bound():
    """min over rho of (32/15) exp((1 + lam) V) kappa^2 rho^(2 - 32)/(rho^2 - 1) at e = 1, V = 2."""
    best = mpf("inf")
    e, v, n = mpf(1), mpf(2), 16
    a_lim = 1 + 2 / e
    rho_lim = a_lim + mp.sqrt(a_lim ** 2 - 1)
    for i in range(1, 2000):
        rho = rho_lim ** (mpf(i) / 2000)
        A = (rho + 1 / rho) / 2
        ek = e * (A - 1) / 2
        lam = -log(1 - ek) / log(1 + e)
        kap = max(1 + lam, (1 + A) / (2 * (1 - ek)))
        best = min(best, mpf(32) / 15 * mp.exp((1 + lam) * v) * kap ** 2 * rho ** (2 - 2 * n) / (rho ** 2 - 1))
    return best


def draw(rng):
    lu = lambda lo, hi: math.exp(rng.uniform(math.log(lo), math.log(hi)))
    while True:
        p, s = lu(1e-3, 1e4), lu(1e-3, 1e3)
        a, b = lu(1e-3, 1e8), lu(1e-3, 1e8)
        tx = 0.0 if rng.random() < 0.2 else lu(1e-3, 1e4)
        e = lu(1e-8, 1.0)
        T = tx + e * min(a + tx, b + tx)
        if T > tx and variation(p, s, a, b, tx, T) <= 2.0:
            return p, s, a, b, tx, T


def main():
    rng = random.Random(20261128)
    cases = [
        # The corner: reach 1 with V near 2, and near the fitted CDNOW / simulated estimates.
        (0.5, 0.78, 10.2, 24.1, 3.0, 3.0 + 0.99 * 13.2),
        (0.3, 0.001, 1.0, 1.0, 0.0, 1.0),
        (1.2, 0.001, 1.0, 1.0, 0.0, 1.0),
        (0.55, 0.61, 10.58, 11.66, 30.0, 38.0),
        (2.55, 0.61, 10.58, 11.66, 30.0, 31.0),
        (20.55, 0.61, 10.58, 11.66, 60.0, 60.5),
        (10000.5, 0.78, 10.2, 24.1, 70.0, 70.0 + 1e-5),
        (0.001, 999.0, 1e8, 1e8, 0.0, 1e-3),
        (0.5, 0.78, 10.2, 24.1, 70.0, 70.0 + 1e-7 * 80.2),
    ]
    cases = [c for c in cases if variation(*c) <= 2.0]
    while len(cases) < 48:
        cases.append(draw(rng))
    print("// corner bound of the 16-point rule (e = 1, V = 2): %s" % mp.nstr(corner_bound(), 3))
    print("const SHORT_CASES: [ShortCase; %d] = [" % len(cases))
    for c in cases:
        n_min, first = case(*c)
        vals = ", ".join(repr(float(v)) for v in first)
        args = ", ".join(repr(float(v)) for v in c)
        print("    ([%s], %s, [%s])," % (args, n_min, vals))
    print("];")


if __name__ == "__main__":
    main()
