#!/usr/bin/env python3
"""Reference Hessians of the Pareto/NBD total log-likelihood (tests/pareto_nbd_hessian.rs).

Independent of the crate's formulation: the log-likelihood of each customer (x, t_x, T) is note
009 eqs. 18-20 of Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related
Expressions" (the A0 *difference* of two 2F1 terms, harmless at 60 digits; `loglik` of
scripts/pareto_nbd_reference.py), summed over a few
customers and differentiated twice by mpmath (mp.diff) in (r, alpha, s, beta). The points cover
alpha > beta, alpha < beta, alpha = beta, a last purchase close to T (the crate's short-interval
rule) and tails with z = |alpha - beta| / (max(alpha, beta) + t_x) within 1e-4 of 1 (the
crate's numerical fallback, or its series with the Euler-form remainder bound where the
exponent of the factor with the smaller offset exceeds 3).

With covariates (Fader & Hardie 2007, note 019): the first 60 customers of
tests/data/covariates_reference.csv, alpha_i = alpha0 exp(-(g1'z)), beta_i = beta0 exp(-(g2'z))
with z = (bin, score), in the order r, alpha0, s, beta0, purchase.bin, purchase.score,
dropout.bin, dropout.score.

Writes tests/data/pareto_nbd_hessian.csv (case, i, j, value; i <= j; the case `covariates`
with the ten parameters). Run from the repository root:
python3 scripts/pareto_nbd_hessian_reference.py
"""
import csv

from mpmath import mp, mpf, diff

from pareto_nbd_reference import loglik

mp.dps = 60

CUSTOMERS = [(0, 0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (7, 29.43, 32.71),
             (26, 30.85714, 31), (5, 10, 10)]

CASES = {
    "cdnow": (0.5534, 10.5802, 0.6061, 11.6562),
    "alpha_below_beta": (1.7, 0.6, 3.1, 40.0),
    "equal_rates": (0.55, 10.0, 0.7, 10.0),
    "z_near_one": (1.2, 800.0, 0.4, 0.01),
    "z_near_one_large_s": (1.2, 800.0, 4.0, 0.01),
    "z_near_one_large_r": (5.0, 0.01, 0.4, 800.0),
}


def total(r, a, s, b):
    return sum(loglik(r, a, s, b, *c) for c in CUSTOMERS)


COVARIATE_ROWS = 60
COVARIATE_THETA = (0.75, 7.5, 0.9, 2.2, 0.45, 0.35, -0.2, 0.1)


def covariate_rows():
    with open("tests/data/covariates_reference.csv") as fh:
        rows = list(csv.DictReader(fh))[:COVARIATE_ROWS]
    return [tuple(mpf(r[k]) for k in ("frequency", "recency", "T", "bin", "score")) for r in rows]


def covariate_total(rows, r, a0, s, b0, g1b, g1s, g2b, g2s):
    total = mpf(0)
    for x, tx, t, zb, zs in rows:
        a = a0 * mp.exp(-(g1b * zb + g1s * zs))
        b = b0 * mp.exp(-(g2b * zb + g2s * zs))
        total += loglik(r, a, s, b, x, tx, t)
    return total


def hessian(name, f, theta):
    """The upper triangle of the Hessian of f at theta, as CSV rows (name, i, j, value)."""
    theta = [mpf(v) for v in theta]
    k = len(theta)
    for i in range(k):
        for j in range(i, k):
            order = [0] * k
            order[i] += 1
            order[j] += 1
            v = mp.nstr(diff(f, theta, tuple(order)), 20)
            print(name, i, j, v, flush=True)
            yield (name, i, j, v)


def main():
    rows = covariate_rows()
    out = list(hessian("covariates", lambda *p: covariate_total(rows, *p), COVARIATE_THETA))
    for name, theta in CASES.items():
        out.extend(hessian(name, total, theta))
    with open("tests/data/pareto_nbd_hessian.csv", "w", newline="") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(["case", "i", "j", "value"])
        wr.writerows(out)


if __name__ == "__main__":
    main()
