#!/usr/bin/env python3
"""Reference log-likelihoods, gradients and P(alive) of the Pareto/NBD where a fit whose dropout
(or purchase) process is homogeneous ends: one Gamma pair diverging with its mean fixed,
s, beta (or r, alpha) from 1e5 to 1e14 with s/beta (r/alpha) moderate
(tests/pareto_nbd_extreme.rs, `divergent_pairs_match_mpmath_quadrature`).

The values come from the defining integral of 1/P(alive) through `loglik` of
scripts/pareto_nbd_extreme_vectors.py (direct mpmath quadrature, Fader & Hardie 2005, note 009),
at two precisions (35 and 50 digits); a row is kept only when all its values agree to 1e-20
relative. Writes tests/data/pareto_nbd_divergent.csv. Run from the repository root:
python3 scripts/pareto_nbd_divergent_vectors.py 160
"""
import csv
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pareto_nbd_extreme_vectors import loglik  # noqa: E402
from mpmath import mp, mpf  # noqa: E402

OUT = "tests/data/pareto_nbd_divergent.csv"
COLS = ["r", "alpha", "s", "beta", "x", "t_x", "T",
        "log_likelihood", "d_r", "d_alpha", "d_s", "d_beta", "p_alive"]


def logu(rng, lo, hi):
    return 10 ** rng.uniform(lo, hi)


def row(rng, i):
    T = rng.uniform(27.0, 39.0) * rng.choice([1.0, 1.0, 1e-3, 1e3])
    # The diverging pair: shape 1e5..1e14, mean rate (per unit of T) 1e-3..1e1.
    big = logu(rng, 5, 14)
    rate = logu(rng, -3, 1) / T
    small_shape, small_rate = logu(rng, -2, 1.5), logu(rng, -3, 2) * T
    if i % 4 == 3:
        r, al, s, be = big, big / rate, small_shape, small_rate
    elif i % 8 == 1:
        # Both pairs diverging.
        r, al, s, be = big, big / rate, logu(rng, 5, 14), 0.0
        be = s / (logu(rng, -3, 1) / T)
    else:
        r, al, s, be = small_shape, small_rate, big, big / rate
    x = float(rng.choice([0, 1, 2, 3, 5, 8, int(logu(rng, 1, 3))]))
    kind = rng.random()
    if x == 0:
        tx = 0.0
    elif kind < 0.1:
        tx = T * logu(rng, -9, -3)
    elif kind < 0.2:
        tx = T
    elif kind < 0.4:
        tx = T * (1.0 - logu(rng, -9, -0.5))
    else:
        tx = rng.uniform(0.0, 1.0) * T
    return [r, al, s, be, x, tx, T]


def compute(v, dps):
    mp.dps = dps
    ll, g, pa = loglik(*[mpf(u) for u in v])
    return [ll] + g + [pa]


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 160
    rng = random.Random(20261128)
    rows, skipped = [], 0
    for i in range(count):
        v = row(rng, i)
        a = compute(v, 35)
        b = compute(v, 50)
        ok = all(abs(p - q) <= mpf(10) ** -20 * max(abs(q), mpf(10) ** -300) for p, q in zip(a, b))
        if not ok:
            skipped += 1
            print("unstable, skipped:", v, file=sys.stderr)
            continue
        rows.append([repr(float(u)) for u in v] + [mp.nstr(q, 25) for q in b])
        print(i, file=sys.stderr, flush=True)
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLS)
        w.writerows(rows)
    print(f"{len(rows)} rows, {skipped} skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
