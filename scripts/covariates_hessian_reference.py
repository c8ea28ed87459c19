#!/usr/bin/env python3
"""Reference Hessians of the BG/NBD and MBG/NBD with time-invariant covariates (Fader & Hardie
2007, note 019), used by tests/hessian.rs.

The data: the first 200 customers of tests/data/covariates_reference.csv (written by
scripts/covariates_reference.py), covariates `bin` and `score`. Customer i has
alpha_i = alpha0 exp(-(g1'z)), a_i = a0 exp(g2'z), b_i = b0 exp(g3'z); the log-likelihood is
Fader, Hardie & Lee (2005) eq. 6 at (r, alpha_i, a_i, b_i) for the BG/NBD, and that of
Batislam, Denizel & Filiztekin (2007) for the MBG/NBD (n = x + 1 chances to drop out). The
total is differentiated twice by mpmath (mp.diff) at 40 digits, at the parameters below, in the
order r, alpha, a, b, purchase.bin, purchase.score, dropout_a.bin, dropout_a.score,
dropout_b.bin, dropout_b.score.

Writes tests/data/covariates_hessian.csv (model, i, j, value; i <= j).
Run from the repository root: python3 scripts/covariates_hessian_reference.py
"""
import csv

import mpmath as mp

mp.mp.dps = 40
ROWS = 200
THETA = {
    "bgnbd": (0.75, 7.5, 0.9, 2.2, 0.45, 0.35, -0.2, 0.1, 0.15, -0.25),
    "mbgnbd": (0.6, 5.0, 0.7, 3.1, 0.3, -0.2, 0.25, 0.15, -0.1, 0.3),
}


def load():
    with open("tests/data/covariates_reference.csv") as fh:
        rows = list(csv.DictReader(fh))[:ROWS]
    return [tuple(mp.mpf(r[k]) for k in ("frequency", "recency", "T", "bin", "score"))
            for r in rows]


def loglik(p, rows, mbg):
    r, al0, a0, b0, g1b, g1s, g2b, g2s, g3b, g3s = p
    total = mp.mpf(0)
    for x, tx, t, zb, zs in rows:
        al = al0 * mp.exp(-(g1b * zb + g1s * zs))
        a = a0 * mp.exp(g2b * zb + g2s * zs)
        b = b0 * mp.exp(g3b * zb + g3s * zs)
        n = x + 1 if mbg else x
        common = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(al)
        beta = mp.log(mp.beta(a, b + n)) - mp.log(mp.beta(a, b))
        term = common + beta - (r + x) * mp.log(al + t)
        if n > 0:
            term += mp.log(1 + a / (b + n - 1) * ((al + t) / (al + tx)) ** (r + x))
        total += term
    return total


def main():
    rows = load()
    out = []
    for model, theta in THETA.items():
        mbg = model == "mbgnbd"
        theta = [mp.mpf(v) for v in theta]
        k = len(theta)
        for i in range(k):
            for j in range(i, k):
                order = [0] * k
                order[i] += 1
                order[j] += 1
                v = mp.diff(lambda *p: loglik(p, rows, mbg), theta, tuple(order))
                out.append([model, i, j, mp.nstr(v, 20)])
                print(model, i, j, mp.nstr(v, 20), flush=True)
    with open("tests/data/covariates_hessian.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "i", "j", "hessian"])
        w.writerows(out)


if __name__ == "__main__":
    main()
