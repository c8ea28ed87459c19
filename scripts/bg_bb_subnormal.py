"""BG/BB predictions whose values lie among the subnormal doubles (below 2.2e-308), where a
correctly rounded result is a multiple of 2^-1074 ≈ 4.94e-324 (tests/bg_bb.rs,
`predictions_in_the_subnormal_range_are_correctly_rounded`).

At (alpha, beta, gamma, delta) = (72254, 14.27, 490.2, 1.265) a customer without transactions in
72 opportunities is alive with probability 2.47e-323; E[Y(1)] and DERT(d) are fractions of
that; printed in units of 2^-1074. Formulas and helpers as in scripts/bg_bb_vectors.py (FHS 2010 eqs. 5, 13, 14), at 60
digits. Run from the repository root: python3 scripts/bg_bb_subnormal.py
"""
import os
import sys

import mpmath as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bg_bb_vectors import hyp2f1_1, likelihood, ratio, survivals  # noqa: E402


def quanta(v):
    """`v` in units of 2^-1074, the spacing of the subnormal doubles."""
    return mp.nstr(v * mp.mpf(2) ** 1074, 20)


def main():
    mp.mp.dps = 60
    a, b, g, d = (mp.mpf(v) for v in ("72254", "14.27", "490.2", "1.265"))
    x, tx, n = 0, 0, 72
    L = mp.fsum(likelihood((a, b, g, d), x, tx, n))
    print("palive", quanta(ratio(a, b, x, n - x) * ratio(g, d, 0, n) / L))
    cond = ratio(a, b, x + 1, n - x) * ratio(g, d, 0, n) * survivals(g, d + n, 1) / L
    print("cond 1", quanta(cond))
    for dd in ("0.01", "0.1", "1", "10"):
        z = mp.mpf(dd)
        v = (ratio(a, b, x + 1, n - x) * ratio(g, d, 0, n + 1) / (1 + z)
             * hyp2f1_1(d + n + 1, g + d + n + 1, 1 / (1 + z)) / L)
        print("dert", dd, quanta(v))


if __name__ == "__main__":
    main()
