#!/usr/bin/env python3
"""Reference values for the Pareto/NBD (tests/pareto_nbd_reference.rs), computed with mpmath.

Independent of the crate's formulation: the log-likelihood uses note 009 eqs. 18-20 (the A0
*difference* of two 2F1 terms, harmless at 60 digits), DERT uses Tricomi's U (mpmath.hyperu),
P(X(t) = n) uses note 012's closed form with a finite sum of 2F1 terms, and the gradient is
mpmath's numerical derivative of the log-likelihood.

Writes tests/data/pareto_nbd_reference.csv, tests/data/pareto_nbd_gradient.csv and
tests/data/pareto_nbd_pmf.csv. Run from the repository root: python3 scripts/pareto_nbd_reference.py
"""
import csv
import random

from mpmath import log1p, mp, mpf, loggamma, log, exp, hyp2f1, hyperu, diff, beta as B, gamma, factorial

mp.dps = 60


def loglik(r, a, s, b, x, tx, T):
    r, a, s, b, x, tx, T = map(mpf, (r, a, s, b, x, tx, T))
    w = r + s + x
    if a >= b:
        m, d, b1 = a, a - b, s + 1
    else:
        m, d, b1 = b, b - a, r + x
    f1 = hyp2f1(w, b1, w + 1, d / (m + tx), maxterms=10**7) / (m + tx) ** w
    f2 = hyp2f1(w, b1, w + 1, d / (m + T), maxterms=10**7) / (m + T) ** w
    a0 = f1 - f2
    e1 = (a + T) ** (-(r + x)) * (b + T) ** (-s)
    return loggamma(r + x) - loggamma(r) + r * log(a) + s * log(b) + log(e1 + s / w * a0)


def p_alive(r, a, s, b, x, tx, T, ll):
    r, a, s, b, x, T = map(mpf, (r, a, s, b, x, T))
    return exp(loggamma(r + x) - loggamma(r) + r * log(a) + s * log(b)
               - (r + x) * log(a + T) - s * log(b + T) - ll)


def cond_exp(r, a, s, b, x, T, t, pa):
    r, a, s, b, x, T, t = map(mpf, (r, a, s, b, x, T, t))
    if s == 1:
        return (r + x) * (b + T) / (a + T) * log(1 + t / (b + T)) * pa
    return (r + x) * (b + T) / ((a + T) * (s - 1)) * (1 - ((b + T) / (b + T + t)) ** (s - 1)) * pa


def dert(r, a, s, b, x, T, delta, ll):
    r, a, s, b, x, T, delta = map(mpf, (r, a, s, b, x, T, delta))
    return exp(r * log(a) + s * log(b) + (s - 1) * log(delta) + loggamma(r + x + 1)
               + log(hyperu(s, s, delta * (b + T))) - loggamma(r) - (r + x + 1) * log(a + T) - ll)


def pmf(r, a, s, b, n, t):
    r, a, s, b, t = map(mpf, (r, a, s, b, t))
    first = (gamma(r + n) / (gamma(r) * factorial(n)) * (a / (a + t)) ** r
             * (t / (a + t)) ** n * (b / (b + t)) ** s)
    if a >= b:
        m, d, bb = a, a - b, s + 1
    else:
        m, d, bb = b, b - a, r + n
    b1 = hyp2f1(r + s, bb, r + s + n + 1, d / m) / m ** (r + s)
    tot = 0
    for i in range(n + 1):
        b2 = hyp2f1(r + s + i, bb, r + s + n + 1, d / (m + t)) / (m + t) ** (r + s + i)
        tot += gamma(r + s + i) / (gamma(r + s) * factorial(i)) * t ** i * b2
    return first + a ** r * b ** s * B(r + n, s + 1) / B(r, s) * (b1 - tot)


def main():
    rng = random.Random(20240601)
    grid = [1e-3, 1.0, 1e3]
    points = []
    # CDNOW-like points and alpha = beta.
    for p in [(0.5534, 10.5802, 0.6061, 11.6562), (0.55, 10.0, 0.7, 10.0), (2.0, 5.0, 1.5, 5.0)]:
        for (x, tx, T) in [(0, 0, 39), (2, 30.43, 38.86), (26, 30.85714, 31), (7, 29.86, 31), (5, 10, 10)]:
            points.append(p + (x, tx, T))
    # A sample of the extreme sweep: x in {0,1,10,300,1000,10000}, t_x in {0, T/2, T},
    # T in {1, 39, 1000, 10000}, parameters in {1e-3, 1, 1e3} (alpha = beta included).
    for _ in range(160):
        r, a, s, b = (rng.choice(grid) for _ in range(4))
        if rng.random() < 0.2:
            b = a
        x = rng.choice([0, 1, 10, 300, 1000, 10000])
        T = rng.choice([1.0, 39.0, 1000.0, 10000.0])
        tx = 0.0 if x == 0 else rng.choice([0.0, T / 2, T])
        points.append((r, a, s, b, x, tx, T))
    with open("tests/data/pareto_nbd_reference.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["r", "alpha", "s", "beta", "x", "t_x", "T", "log_likelihood",
                      "p_alive", "cond_exp_39", "dert_0.01"])
        for (r, a, s, b, x, tx, T) in points:
            ll = loglik(r, a, s, b, x, tx, T)
            pa = p_alive(r, a, s, b, x, tx, T, ll)
            ce = cond_exp(r, a, s, b, x, T, 39, pa)
            de = dert(r, a, s, b, x, T, 0.01, ll)
            out.writerow([repr(float(v)) for v in (r, a, s, b, x, tx, T)]
                         + [mp.nstr(v, 20) for v in (ll, pa, ce, de)])
    # Gradient at a subset (mpmath numerical differentiation at 60 digits).
    with open("tests/data/pareto_nbd_gradient.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["r", "alpha", "s", "beta", "x", "t_x", "T", "d_r", "d_alpha", "d_s", "d_beta"])
        sub = points[:15] + [p for p in points[15:] if p[4] <= 1000][:45]
        for (r, a, s, b, x, tx, T) in sub:
            g = []
            for k in range(4):
                def f(v, k=k):
                    th = [mpf(r), mpf(a), mpf(s), mpf(b)]
                    th[k] = v
                    return loglik(*th, x, tx, T)
                g.append(diff(f, mpf([r, a, s, b][k])))
            out.writerow([repr(float(v)) for v in (r, a, s, b, x, tx, T)]
                         + [mp.nstr(v, 20) for v in g])
    with open("tests/data/pareto_nbd_pmf.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["r", "alpha", "s", "beta", "n", "t", "p"])
        for p in [(0.5534, 10.5802, 0.6061, 11.6562), (0.55, 10.0, 0.7, 10.0),
                  (2.0, 3.0, 0.5, 8.0), (0.2, 1.0, 2.0, 0.5), (5.0, 100.0, 0.05, 1.0)]:
            for t in [1.0, 39.0, 500.0]:
                for n in [0, 1, 2, 5, 10, 30]:
                    v = pmf(*p, n, t)
                    out.writerow([repr(float(q)) for q in p] + [n, repr(t), mp.nstr(v, 20)])


if __name__ == "__main__":
    main()
