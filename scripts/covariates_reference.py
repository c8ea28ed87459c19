#!/usr/bin/env python3
"""Independent reference for the Pareto/NBD and BG/NBD with time-invariant covariates
(Fader & Hardie 2007, "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD
models", note 019), used by tests/covariates_reference.rs.

The data: 1,000 customers simulated here with numpy (seed 20071), a binary covariate `bin`
(P = 0.4) and a continuous one `score` ~ N(0, 1); purchases from a Pareto/NBD with
alpha_i = 8 exp(-(0.5 bin + 0.3 score)), beta_i = 12 exp(-(-0.4 bin + 0.25 score)), r = 0.8,
s = 0.7, over ages T ~ U(26, 52).

The likelihoods, per customer, with the covariates entering as in note 019:
  Pareto/NBD: alpha_i = alpha0 exp(-g1'z), beta_i = beta0 exp(-g2'z); note 009 eqs. 18-20 (the
              A0 difference of two 2F1 terms), at 50 digits with mpmath.
  BG/NBD:     alpha_i = alpha0 exp(-g1'z), a_i = a0 exp(g2'z), b_i = b0 exp(g3'z); Fader, Hardie
              & Lee (2005) eq. 6, at 50 digits.
Parameter order: r, alpha, s|a, beta|b, then purchase.bin, purchase.score, then the dropout
coefficients (dropout.bin, dropout.score; or dropout_a.bin, dropout_a.score, dropout_b.bin,
dropout_b.score).

The maximum-likelihood estimate is found with scipy.optimize (L-BFGS-B on log base parameters
and raw coefficients, float64 likelihood with scipy.special.hyp2f1), and its log-likelihood
evaluated at 50 digits.

Writes tests/data/covariates_reference.csv (the data) and
tests/data/covariates_reference_values.csv (model, what, log-likelihood, parameters).
Run from the repository root: python3 scripts/covariates_reference.py
"""
import csv

import numpy as np
from mpmath import mp, mpf, loggamma, log, exp, hyp2f1, beta as mbeta
from scipy.optimize import minimize
from scipy.special import gammaln, betaln, hyp2f1 as sp_hyp2f1

mp.dps = 50

N = 1000
SEED = 20071


def simulate():
    rng = np.random.default_rng(SEED)
    rows = []
    for i in range(N):
        b = 1.0 if rng.random() < 0.4 else 0.0
        z = float(np.round(rng.standard_normal(), 6))
        T = float(np.round(26.0 + 26.0 * rng.random(), 4))
        alpha = 8.0 * np.exp(-(0.5 * b + 0.3 * z))
        beta = 12.0 * np.exp(-(-0.4 * b + 0.25 * z))
        lam = rng.gamma(0.8, 1.0 / alpha)
        mu = rng.gamma(0.7, 1.0 / beta)
        life = rng.exponential(1.0 / mu)
        end = min(life, T)
        t, x, tx = 0.0, 0, 0.0
        while True:
            t += rng.exponential(1.0 / lam)
            if t > end:
                break
            x += 1
            tx = t
        rows.append((f"c{i + 1}", x, float(np.round(tx, 4)) if x > 0 else 0.0, T, b, z))
    return rows


def pnbd_ll_mp(p, row):
    r, a0, s, b0, g1b, g1s, g2b, g2s = map(mpf, p)
    _, x, tx, T, zb, zs = row
    x, tx, T, zb, zs = map(mpf, (x, tx, T, zb, zs))
    a = a0 * exp(-(g1b * zb + g1s * zs))
    b = b0 * exp(-(g2b * zb + g2s * zs))
    w = r + s + x
    if a >= b:
        m, d, b1 = a, a - b, s + 1
    else:
        m, d, b1 = b, b - a, r + x
    f1 = hyp2f1(w, b1, w + 1, d / (m + tx)) / (m + tx) ** w
    f2 = hyp2f1(w, b1, w + 1, d / (m + T)) / (m + T) ** w
    a_0 = f1 - f2
    e1 = (a + T) ** (-(r + x)) * (b + T) ** (-s)
    return loggamma(r + x) - loggamma(r) + r * log(a) + s * log(b) + log(e1 + s / w * a_0)


def bg_ll_mp(p, row):
    r, a0, aa0, bb0, g1b, g1s, g2b, g2s, g3b, g3s = map(mpf, p)
    _, x, tx, T, zb, zs = row
    x, tx, T, zb, zs = map(mpf, (x, tx, T, zb, zs))
    al = a0 * exp(-(g1b * zb + g1s * zs))
    a = aa0 * exp(g2b * zb + g2s * zs)
    b = bb0 * exp(g3b * zb + g3s * zs)
    common = exp(loggamma(r + x) - loggamma(r) + r * log(al))
    l = mbeta(a, b + x) / mbeta(a, b) * common / (al + T) ** (r + x)
    if x > 0:
        l += mbeta(a + 1, b + x - 1) / mbeta(a, b) * common / (al + tx) ** (r + x)
    return log(l)


def pnbd_ll_np(p, d):
    r, a0, s, b0, g1b, g1s, g2b, g2s = p
    x, tx, T, zb, zs = d
    a = a0 * np.exp(-(g1b * zb + g1s * zs))
    b = b0 * np.exp(-(g2b * zb + g2s * zs))
    w = r + s + x
    ge = a >= b
    m = np.where(ge, a, b)
    dd = np.abs(a - b)
    b1 = np.where(ge, s + 1, r + x)
    l1 = np.log(sp_hyp2f1(w, b1, w + 1, dd / (m + tx))) - w * np.log(m + tx)
    l2 = np.log(sp_hyp2f1(w, b1, w + 1, dd / (m + T))) - w * np.log(m + T)
    # A0 = e^l1 - e^l2 >= 0 (l1 >= l2), 0 when tx = T.
    la0 = l1 + np.log1p(-np.exp(np.minimum(l2 - l1, 0.0)) + 0.0)
    le1 = -(r + x) * np.log(a + T) - s * np.log(b + T)
    with np.errstate(divide="ignore"):
        lterm = np.logaddexp(le1, np.log(s / w) + la0)
    return np.sum(gammaln(r + x) - gammaln(r) + r * np.log(a) + s * np.log(b) + lterm)


def bg_ll_np(p, d):
    r, a0, aa0, bb0, g1b, g1s, g2b, g2s, g3b, g3s = p
    x, tx, T, zb, zs = d
    al = a0 * np.exp(-(g1b * zb + g1s * zs))
    a = aa0 * np.exp(g2b * zb + g2s * zs)
    b = bb0 * np.exp(g3b * zb + g3s * zs)
    c = gammaln(r + x) - gammaln(r) + r * np.log(al)
    t1 = betaln(a, b + x) - betaln(a, b) + c - (r + x) * np.log(al + T)
    xp = np.maximum(x, 1)
    t2 = betaln(a + 1, b + xp - 1) - betaln(a, b) + c - (r + x) * np.log(al + tx)
    t2 = np.where(x > 0, t2, -np.inf)
    return np.sum(np.logaddexp(t1, t2))


def mle(ll, start, d):
    k = len(start)

    def to_p(u):
        return np.concatenate([np.exp(u[:4]), u[4:]])

    def f(u):
        v = -ll(to_p(u), d)
        return v if np.isfinite(v) else 1e300

    u0 = np.concatenate([np.log(start[:4]), start[4:]])
    res = minimize(f, u0, method="L-BFGS-B", options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-9})
    res = minimize(f, res.x, method="Nelder-Mead",
                   options={"maxiter": 40000, "xatol": 1e-10, "fatol": 1e-12})
    res = minimize(f, res.x, method="L-BFGS-B", options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-9})
    assert len(res.x) == k
    return to_p(res.x)


def main():
    rows = simulate()
    with open("tests/data/covariates_reference.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "frequency", "recency", "T", "bin", "score"])
        for row in rows:
            w.writerow([row[0], row[1], repr(row[2]), repr(row[3]), repr(row[4]), repr(row[5])])
    d = tuple(np.array([row[j] for row in rows], dtype=float) for j in range(1, 6))
    out = []
    fixed = {
        "pnbd": [0.75, 7.5, 0.65, 11.0, 0.45, 0.35, -0.3, 0.2],
        "bgnbd": [0.75, 7.5, 0.9, 2.2, 0.45, 0.35, -0.2, 0.1, 0.15, -0.25],
    }
    lls = {"pnbd": (pnbd_ll_mp, pnbd_ll_np), "bgnbd": (bg_ll_mp, bg_ll_np)}
    for model, p in fixed.items():
        exact, fast = lls[model]
        total = sum(exact(p, row) for row in rows)
        out.append([model, "fixed", mp.nstr(total, 20)] + [repr(v) for v in p])
        print(model, "fixed", mp.nstr(total, 20), "float:", fast(np.array(p), d))
        est = mle(fast, np.array(p), d)
        total = sum(exact(list(est), row) for row in rows)
        out.append([model, "scipy_mle", mp.nstr(total, 20)] + [repr(float(v)) for v in est])
        print(model, "scipy mle", mp.nstr(total, 20), list(est))
    with open("tests/data/covariates_reference_values.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "what", "log_likelihood", "params..."])
        w.writerows(out)


if __name__ == "__main__":
    main()
