"""Reference values of the shifted-beta-geometric (sBG) model over its whole parameter range.

Writes tests/data/sbg_extreme_vectors.csv, one row per (quantity, alpha, beta, t, k):

  kind,alpha,beta,t,k,value
  ln_survival  ln S(t) = ln[(b)_t / (a+b)_t]           (the log-likelihood of a survivor)
  survival     S(t)
  ln_pmf       ln P(T = t) = ln S(t-1) + ln[a / (a+b+t-1)]   (the log-likelihood of a churner)
  pmf          P(T = t)
  cond         S(t+k) / S(t)
  dsa, dsb     d ln S(t) / d alpha, d ln S(t) / d beta
  dpa, dpb     d ln P(T=t) / d alpha, d ln P(T=t) / d beta
  del          DEL(d)          = sum_{t>=0} S(t) (1+d)^-t                 (t column holds d)
  derl         DERL(d | k)     = sum_{t>=k+1} S(t)/S(k) (1+d)^-(t-k-1)    (t holds d, k = renewals)

Parameters: alpha, beta log-uniform on 1e-3..1e8 (fixed seed) plus a grid of corner cases
(1e-3, 1, 1e8 and the cases of issue 9, up to 1e300); t from 1 to 1e7 and 2^32 - 1.

Every value is computed twice, at 50 and at 80 significant digits (plus log10 of the largest
parameter, or of the inverse of the smallest), and written only if the two
agree to 1e-30 relative (values whose magnitude is below 1e-300 are left out).  Log-gamma
differences are taken at the working precision (mpmath.loggamma, digamma); DEL and DERL are
summed term by term for d >= 1e-3 (the terms are positive and fall at least like (1+d)^-k; the tail after
term T_k is below T_k/d), independently of the 2F1 closed form and the crate's algorithms;
for d in {1e-5, 1e-7, 1e-9} (alpha + beta <= 1000 only) and for d = 1e-4 with a few slowly
falling series (up to 4e5 terms in the crate) from mpmath's hyp2f1.

Usage: python3 scripts/sbg_extreme_vectors.py > tests/data/sbg_extreme_vectors.csv
"""
import random
import sys

import mpmath as mp


def ln_s(a, b, t):
    return mp.loggamma(b + t) - mp.loggamma(b) - mp.loggamma(a + b + t) + mp.loggamma(a + b)


def ln_p(a, b, t):
    return ln_s(a, b, t - 1) + mp.log(a) - mp.log(a + b + t - 1)


def grads(a, b, t):
    psi = mp.digamma
    dsa = psi(a + b) - psi(a + b + t)
    dsb = psi(b + t) - psi(b) + psi(a + b) - psi(a + b + t)
    s = t - 1
    dpa = 1 / a - 1 / (a + b + s) + psi(a + b) - psi(a + b + s)
    dpb = psi(b + s) - psi(b) + psi(a + b) - psi(a + b + s) - 1 / (a + b + s)
    return dsa, dsb, dpa, dpb


def disc_sum(a, b, d):
    """sum_k x^k (b)_k/(a+b)_k, x = 1/(1+d)."""
    x = 1 / (1 + d)
    term = mp.mpf(1)
    total = mp.mpf(1)
    k = 0
    eps = mp.mpf("1e-40")
    while True:
        term *= x * (b + k) / (a + b + k)
        total += term
        k += 1
        if term / d < eps * total:
            return total


def quantities(a, b, t_list, d_list, renewals):
    a, b = mp.mpf(a), mp.mpf(b)
    out = []
    for t in t_list:
        t = mp.mpf(t)
        ls = ln_s(a, b, t)
        lp = ln_p(a, b, t)
        out.append(("ln_survival", t, 0, ls))
        out.append(("survival", t, 0, mp.exp(ls)))
        out.append(("ln_pmf", t, 0, lp))
        out.append(("pmf", t, 0, mp.exp(lp)))
        dsa, dsb, dpa, dpb = grads(a, b, t)
        out += [("dsa", t, 0, dsa), ("dsb", t, 0, dsb), ("dpa", t, 0, dpa), ("dpb", t, 0, dpb)]
    for t, k in [(0, 3), (5, 1), (10, 100), (1000, 10**6)]:
        out.append(("cond", t, k, mp.exp(ln_s(a, b, t + k) - ln_s(a, b, t))))
    for d in d_list:
        dd = mp.mpf(d)
        out.append(("del", d, 0, disc_sum(a, b, dd)))
        for r in renewals:
            bb = b + r
            out.append(("derl", d, r, bb / (a + bb) * disc_sum(a, bb + 1, dd)))
    if a + b <= 1000:
        # Small discount rates, where the sums need up to billions of terms: mpmath's 2F1
        # (its own transformations near z = 1).
        for d in [1e-5, 1e-7, 1e-9]:
            x = 1 / (1 + mp.mpf(d))
            out.append(("del", d, 0, mp.hyp2f1(1, b, a + b, x)))
            for r in [0, 5]:
                bb = b + r
                out.append(("derl", d, r, bb / (a + bb) * mp.hyp2f1(1, bb + 1, a + bb + 1, x)))
    return out


def stable(a, b, t_list, d_list, renewals):
    # Enough digits to resolve a + b + t when one of them is huge (e.g. 1e300 + 17).
    extra = max(0, int(mp.ceil(mp.log10(max(a, b, 1.0 / min(a, b), 1.0)))))
    with mp.workdps(50 + extra):
        lo = quantities(a, b, t_list, d_list, renewals)
    with mp.workdps(80 + extra):
        hi = quantities(a, b, t_list, d_list, renewals)
    rows = []
    for (kind, t, k, v1), (_, _, _, v2) in zip(lo, hi):
        if v2 == 0 or abs(v2) < mp.mpf("1e-300") or abs(v2) > mp.mpf("1e300"):
            continue
        if abs(v1 - v2) > mp.mpf("1e-30") * abs(v2):
            print(f"unstable: {kind} {a} {b} {t} {k}", file=sys.stderr)
            continue
        rows.append((kind, t, k, v2))
    return rows


def fmt(v):
    return mp.nstr(v, 25, min_fixed=1, max_fixed=0) if v != 0 else "0"


def main():
    rng = random.Random(20261128)
    pairs = []
    corner = [1e-3, 1.0, 1e8]
    pairs += [(a, b) for a in corner for b in corner]
    pairs += [(1e8, 1.0), (1.0, 1e8), (1e-8, 1e8), (3e7, 3e7), (1e6, 2.5e6), (1e300, 1e300),
              (1e300, 1.0), (1.0, 1e300), (1e-300, 1e-300), (1e-300, 1.0), (1.0, 1e-300)]
    slow_d = [(0.5, 1e6), (0.1, 999.0), (2.0, 5e4), (0.01, 1e5)]
    for _ in range(60):
        a = 10 ** rng.uniform(-3, 8)
        b = 10 ** rng.uniform(-3, 8)
        pairs.append((float(mp.nstr(a, 6)), float(mp.nstr(b, 6))))
    t_list = [1, 2, 3, 8, 9, 17, 64, 100, 1000, 10**5, 10**7, 4294967295]
    out = sys.stdout
    out.write("kind,alpha,beta,t,k,value\n")
    for a, b in pairs:
        # DEL/DERL: d = 0.1 and 0.01 everywhere (a few thousand terms at most); 1e-3 where the
        # terms fall fast enough to sum here (ratio below (1+d)^-1 / 1.1).
        d_list = [0.1, 0.01]
        if a >= 0.1 * (b + 100):
            d_list.append(0.001)
        renewals = [0, 1, 5, 100]
        for kind, t, k, v in stable(a, b, t_list, d_list, renewals):
            out.write(f"{kind},{a!r},{b!r},{fmt(mp.mpf(t))},{k},{fmt(v)}\n")
        out.flush()
    # d = 1e-4 with slowly falling terms (hundreds of thousands of terms): mpmath's 2F1.
    for a, b in slow_d:
        vals = []
        for dps in (50, 80):
            with mp.workdps(dps):
                x = 1 / (1 + mp.mpf(1e-4))
                A, B = mp.mpf(a), mp.mpf(b)
                try:
                    vals.append([("del", 0, mp.hyp2f1(1, B, A + B, x, maxterms=10**7))]
                                + [("derl", r, (B + r) / (A + B + r)
                                    * mp.hyp2f1(1, B + r + 1, A + B + r + 1, x, maxterms=10**7))
                                   for r in (0, 100)])
                except (mp.libmp.NoConvergence, ValueError):
                    print(f"no convergence: {a} {b}", file=sys.stderr)
        if len(vals) == 2:
            for (kind, r, v1), (_, _, v2) in zip(*vals):
                if abs(v1 - v2) <= mp.mpf("1e-30") * abs(v2):
                    out.write(f"{kind},{a!r},{b!r},{fmt(mp.mpf(1e-4))},{r},{fmt(v2)}\n")


if __name__ == "__main__":
    main()
