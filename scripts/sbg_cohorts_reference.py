"""Reference values of tests/sbg_cohorts.rs: the sBG fitted to Fader & Hardie's (2007) Regular
and High End segments (years 0-7 of data/sbg_retention_cohorts.csv) separately and pooled, and
the likelihood-ratio test of pooled against separate.

The sBG log-likelihood of survivor counts n_0 >= n_1 >= ... >= n_7 is
    LL = sum_{t=1..7} (n_{t-1} - n_t) ln P(T = t) + n_7 ln S(7),
    P(T = t) = B(a + 1, b + t - 1) / B(a, b),   S(t) = B(a, b + t) / B(a, b)
(Fader & Hardie 2007, eqs. 3-4 and 7). It is maximised with mpmath at 30 digits: findroot on
the gradient in (ln a, ln b), from a scipy Nelder-Mead start. D = 2 (LL_r + LL_h - LL_pooled),
and its p-value is scipy.stats.chi2.sf(D, 2) (also exp(-D/2), the exact chi-square tail with
two degrees of freedom).

Run: python3 scripts/sbg_cohorts_reference.py  (prints the constants of the test)
"""
import csv
import os

from mpmath import mp, mpf, loggamma, diff, findroot, exp
from scipy.optimize import minimize
from scipy.stats import chi2

mp.dps = 30
HERE = os.path.dirname(os.path.abspath(__file__))


def segments():
    with open(os.path.join(HERE, "..", "data", "sbg_retention_cohorts.csv")) as f:
        rows = list(csv.DictReader(f))[:8]
    return ([int(r["regular_alive"]) for r in rows], [int(r["high_end_alive"]) for r in rows])


def betaln(a, b):
    return loggamma(a) + loggamma(b) - loggamma(a + b)


def loglik(a, b, cohorts):
    total = mpf(0)
    for n in cohorts:
        base = betaln(a, b)
        for t in range(1, len(n)):
            total += (n[t - 1] - n[t]) * (betaln(a + 1, b + t - 1) - base)
        total += n[-1] * (betaln(a, b + len(n) - 1) - base)
    return total


def fit(cohorts):
    start = minimize(lambda u: -float(loglik(mpf(exp(u[0])), mpf(exp(u[1])), cohorts)),
                     [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12}).x
    f = lambda u, v: loglik(exp(u), exp(v), cohorts)
    u, v = findroot([lambda u, v: diff(f, (u, v), (1, 0)), lambda u, v: diff(f, (u, v), (0, 1))],
                    (mpf(start[0]), mpf(start[1])))
    return exp(u), exp(v), f(u, v)


def main():
    regular, high_end = segments()
    fits = {"REGULAR": fit([regular]), "HIGH_END": fit([high_end]),
            "POOLED": fit([regular, high_end])}
    for name, (a, b, ll) in fits.items():
        print(f"MPMATH_{name}: ({mp.nstr(a, 15)}, {mp.nstr(b, 15)}, {mp.nstr(ll, 15)})")
    d = 2 * (fits["REGULAR"][2] + fits["HIGH_END"][2] - fits["POOLED"][2])
    print(f"D = {mp.nstr(d, 15)}")
    print(f"chi2.sf(D, 2) = {chi2.sf(float(d), 2)!r}; exp(-D/2) = {mp.nstr(exp(-d / 2), 16)}")


if __name__ == "__main__":
    main()
