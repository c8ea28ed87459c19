#!/usr/bin/env python3
"""Reference values for the Pareto/NBD over its whole parameter range
(tests/pareto_nbd_extreme.rs), computed with mpmath by direct quadrature.

Parameters r, alpha, s, beta are drawn log-uniformly from 1e-3..1e8; customers have x up to 1e5,
T up to 1e7 and t_x in {0 (x = 0), tiny, uniform, T}. Every quantity is computed from its
defining integral, independently of the crate's series:

* 1/P(alive) = B = 1 + s/(beta+T) * int_{t_x}^T ((alpha+T)/(alpha+w))^(r+x) ((beta+T)/(beta+w))^(s+1) dw
  (Fader & Hardie 2005, note 009: the likelihood is Gamma-ratio * (alpha/(alpha+T))^r ...
  * B), and the gradient by differentiating under the integral sign;
* E[Y(t) | x, t_x, T] (note 009 eq. 41) and E[X(t)] in closed form;
* DERT = P(alive) (r+x)/(alpha+T) (beta+T) J(s, delta (beta+T)) with
  J(s, z) = int_0^inf exp(-z y) (1+y)^(-s) dy (Fader, Hardie & Lee 2005);
* P(X(t) = n) (note 012) as the alive term plus int_0^t s beta^s (beta+tau)^-(s+1) NBD(n; tau) dtau,
  and the conditional PMF (note 028) with the posterior parameters.

Each integral is split at points placed on the integrand's own scale (geometric from the peak),
and every row is computed at two precisions (35 and 50 digits; the named cases at 50 and 70); a
row is kept only when all its values agree to 1e-20 relative.

Writes tests/data/pareto_nbd_extreme.csv (300 random rows) and, with the argument `cases`,
tests/data/pareto_nbd_extreme_cases.csv (the named cases below). Run from the repository root:
python3 scripts/pareto_nbd_extreme_vectors.py 300 && python3 scripts/pareto_nbd_extreme_vectors.py cases
"""
import csv
import random
import sys

from mpmath import mp, mpf, log, log1p, exp, quad, loggamma, psi, inf, sqrt

OUT = sys.argv[2] if len(sys.argv) > 2 else "tests/data/pareto_nbd_extreme.csv"


def geometric_points(a, b, h):
    """a, a+h, a+2h, a+4h, ... up to b (b may be inf)."""
    pts = [a]
    step = h
    while a + step < b:
        pts.append(a + step)
        step *= 2
    pts.append(b)
    return pts


def bracket(r, al, s, be, x, tx, T):
    """B = 1/P(alive) and its partial derivatives in (r, alpha, s, beta)."""
    p = r + x
    if tx == T:
        return mpf(1), [mpf(0)] * 4

    def lnf(w):
        return p * log((al + T) / (al + w)) + (s + 1) * log((be + T) / (be + w))

    f0 = lnf(tx)
    h = 1 / (p / (al + tx) + (s + 1) / (be + tx))
    pts = geometric_points(tx, T, h / 64)

    def integral(g):
        return quad(lambda w: exp(lnf(w) - f0) * g(w), pts)

    i0 = integral(lambda w: 1)
    i_r = integral(lambda w: log((al + T) / (al + w)))
    i_a = integral(lambda w: p * (1 / (al + T) - 1 / (al + w)))
    i_s = integral(lambda w: log((be + T) / (be + w)))
    i_b = integral(lambda w: (s + 1) * (1 / (be + T) - 1 / (be + w)))
    c = exp(f0) / (be + T)
    B = 1 + s * c * i0
    dB = [s * c * i_r, s * c * i_a, c * i0 + s * c * i_s, -s * c * i0 / (be + T) + s * c * i_b]
    return B, dB


def loglik(r, al, s, be, x, tx, T):
    B, dB = bracket(r, al, s, be, x, tx, T)
    p = r + x
    ll = (loggamma(r + x) - loggamma(r) + r * log(al) + s * log(be) - p * log(al + T)
          - s * log(be + T) + log(B))
    g = [psi(0, r + x) - psi(0, r) + log(al) - log(al + T) + dB[0] / B,
         r / al - p / (al + T) + dB[1] / B,
         log(be) - log(be + T) + dB[2] / B,
         s / be - s / (be + T) + dB[3] / B]
    return ll, g, 1 / B


def j_integral(s, z):
    h = 1 / (z + s)
    pts = geometric_points(mpf(0), 2 ** 60 * h, h / 64)[:-1] + [inf]
    return quad(lambda y: exp(-z * y - s * log1p(y)), pts)


def cond_exp(r, al, s, be, x, T, t, pa):
    p, b = r + x, be + T
    return p * b / ((al + T) * (s - 1)) * (1 - (b / (b + t)) ** (s - 1)) * pa


def exp_x(r, al, s, be, t):
    return r * be / (al * (s - 1)) * (1 - (be / (be + t)) ** (s - 1))


def pmf(r, al, s, be, n, t):
    """P(X(t) = n) for a new customer."""
    lnc = loggamma(r + n) - loggamma(r) - loggamma(n + 1)
    alive = exp(lnc + r * log(al / (al + t)) + n * log(t / (al + t)) + s * log(be / (be + t)))

    # Dead at tau < t, in rho = ln tau.
    def phi(rho):
        tau = exp(rho)
        return (lnc + r * log(al) + log(s) + s * log(be) + (n + 1) * rho
                - (r + n) * log(al + tau) - (s + 1) * log(be + tau))

    def dphi(rho):
        tau = exp(rho)
        return (n + 1) - (r + n) * tau / (al + tau) - (s + 1) * tau / (be + tau)

    hi = log(t)
    lo = hi - 200 - 5 * abs(log(al)) - 5 * abs(log(be)) - abs(hi)
    # Mode by bisection on the derivative (phi is concave in rho).
    if dphi(hi) >= 0:
        mode = hi
    else:
        a, b = lo, hi
        for _ in range(400):
            m = (a + b) / 2
            if dphi(m) > 0:
                a = m
            else:
                b = m
        mode = (a + b) / 2
    eps = mpf(10) ** (-8)
    curv = -(dphi(mode + eps) - dphi(mode - eps)) / (2 * eps)
    sig = 1 / sqrt(curv) if curv > 0 else mpf(1)
    pts = sorted({min(max(mode + sig * k, lo), hi)
                  for k in [-4096, -1024, -256, -64, -16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16, 64, 256,
                            1024, 4096]} | {lo, hi})
    top = phi(mode)
    dead = exp(top) * quad(lambda rho: exp(phi(rho) - top), pts)
    return alive + dead


def logu(rng, lo, hi):
    return 10 ** rng.uniform(lo, hi)


def row(rng, i):
    r, al, s, be = (logu(rng, -3, 8) for _ in range(4))
    kind = i % 4
    xr = rng.random()
    x = 0.0 if kind == 0 else (1.0 if xr < 0.2 else float(round(logu(rng, 0, 5))))
    T = logu(rng, -2, 7)
    if x == 0:
        tx = 0.0
    elif kind == 1:
        tx = T * 1e-9
    elif kind == 2:
        tx = T * rng.random()
    else:
        tx = T
    t = logu(rng, -2, 7)
    delta = rng.choice([1e-15, 1e-12, 1e6, logu(rng, -6, 3)])
    n = rng.choice([0, 1, 2, int(logu(rng, 0, 3))])
    return [r, al, s, be, x, tx, T, t, delta, n]


def compute(v, dps):
    mp.dps = dps
    r, al, s, be, x, tx, T, t, delta, n = [mpf(u) for u in v[:9]] + [int(v[9])]
    ll, g, pa = loglik(r, al, s, be, x, tx, T)
    ce = cond_exp(r, al, s, be, x, T, t, pa)
    dert = pa * (r + x) / (al + T) * (be + T) * j_integral(s, delta * (be + T))
    ex = exp_x(r, al, s, be, t)
    pm = pmf(r, al, s, be, n, t)
    post = pmf(r + x, al + T, s, be + T, n, t)
    cpm = pa * post + (1 - pa if n == 0 else 0)
    return [ll] + g + [pa, ce, dert, ex, pm, cpm]


COLS = ["r", "alpha", "s", "beta", "x", "t_x", "T", "t", "delta", "n",
        "log_likelihood", "d_r", "d_alpha", "d_s", "d_beta", "p_alive", "cond_exp", "dert",
        "exp_x", "pmf", "cond_pmf"]


# Named cases for the regression tests: (name, r, alpha, s, beta, x, t_x, T, t, delta, n).
W = 604800.0  # seconds per week
CASES = [
    # The CDNOW estimates (weeks) with times in seconds: alpha, beta ~ 7e6.
    ("cdnow_seconds", 0.5534, 10.5802 * W, 0.6061, 11.6562 * W, 2.0, 30.43 * W, 38.86 * W,
     39.0 * W, 0.00288 / W, 1),
    ("cdnow_weeks", 0.5534, 10.5802, 0.6061, 11.6562, 2.0, 30.43, 38.86, 39.0, 0.00288, 1),
    # Dropout shape and rate near 1e8 (the old s ln(beta+T) cancellation).
    ("large_s_beta", 0.5, 10.0, 1e8, 3e8, 3.0, 10.0, 40.0, 52.0, 0.01, 2),
    ("all_large", 1e7, 1e8, 1e6, 1e7, 5.0, 20.0, 40.0, 52.0, 0.01, 0),
    ("large_r_alpha", 3e7, 2e8, 0.7, 15.0, 12.0, 35.0, 39.0, 39.0, 0.01, 1),
    # DERT at extreme discount rates with s = 1e8 (bound violated, > 1 s before).
    ("dert_delta_1e6", 1e3, 1e3, 1e8, 1e8, 2.0, 30.43, 38.86, 39.0, 1e6, 0),
    ("dert_delta_1e-12", 1e3, 1e3, 1e8, 1e8, 2.0, 30.43, 38.86, 39.0, 1e-12, 0),
    ("dert_delta_1e-15", 1e3, 1e3, 1e8, 1e8, 2.0, 30.43, 38.86, 39.0, 1e-15, 0),
    ("dert_small_s_delta_1e6", 0.5534, 10.5802, 1e-3, 11.6562, 2.0, 30.43, 38.86, 39.0, 1e6, 0),
    # Recency tiny and at T, age up to 1e7.
    ("recency_tiny", 0.24, 4.4, 0.8, 3.3, 4.0, 1e-9, 1e7, 1e3, 1e-3, 0),
    ("recency_at_T_large_x", 2.0, 0.5, 1e-3, 1e8, 1e5, 1e7, 1e7, 10.0, 0.1, 0),
    # Offsets ten orders apart: beta + u once formed as (alpha + u) - (alpha - beta).
    ("far_offsets_no_purchase", 1.0, 68090198.48330614, 355.9694673653442, 0.004368535130398565,
     0.0, 0.0, 1.0, 2.0, 0.01, 0),
    ("far_offsets_repeat", 1.0, 68090198.48330614, 355.9694673653442, 0.004368535130398565,
     3.0, 0.25, 1.0, 2.0, 0.01, 1),
    ("far_offsets_swapped", 355.9694673653442, 0.004368535130398565, 1.5, 68090198.48330614,
     3.0, 0.25, 1.0, 2.0, 0.01, 1),
]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "cases":
        out = sys.argv[2] if len(sys.argv) > 2 else "tests/data/pareto_nbd_extreme_cases.csv"
        with open(out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["name"] + COLS)
            for c in CASES:
                v = list(c[1:])
                # Higher precisions than the random rows: a log-likelihood near 0 is formed
                # from terms of order 1e3 here.
                a = compute(v, 50)
                b = compute(v, 70)
                for p, q in zip(a, b):
                    assert abs(p - q) <= mpf(10) ** -20 * max(abs(q), mpf(10) ** -300), c
                w.writerow([c[0]] + [repr(float(u)) for u in v[:9]] + [v[9]]
                           + [mp.nstr(q, 25) for q in b])
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 240
    rng = random.Random(20261128)
    rows = []
    skipped = 0
    for i in range(count):
        v = row(rng, i)
        a = compute(v, 35)
        b = compute(v, 50)
        ok = all(abs(p - q) <= mpf(10) ** -20 * max(abs(q), mpf(10) ** -300) for p, q in zip(a, b))
        if not ok:
            skipped += 1
            print("unstable, skipped:", v, file=sys.stderr)
            continue
        rows.append(v[:9] + [v[9]] + [mp.nstr(q, 25) for q in b])
        print(i, file=sys.stderr, flush=True)
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLS)
        for v in rows:
            w.writerow([repr(float(u)) if not isinstance(u, str) else u for u in v[:9]] + [v[9]] + v[10:])
    print(f"{len(rows)} rows, {skipped} skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
