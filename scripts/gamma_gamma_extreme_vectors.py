"""Reference values of the Gamma-Gamma spend model over its whole parameter range.

Writes tests/data/gamma_gamma_extreme_vectors.csv, one row per (p, q, gamma, x, m_x):

  p,q,gamma,frequency,monetary_value,expected_average_spend,mean_spend,log_likelihood

  expected_average_spend  E[M | x, m_x] = p (gamma + x m_x) / (p x + q - 1)  (empty if p x + q <= 1)
  mean_spend              E[M] = p gamma / (q - 1)                          (empty if q <= 1)
  log_likelihood          ln f(m_x | p, q, gamma; x)
                          = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m_x
                            + px ln x - (px+q) ln(gamma + x m_x)      (Fader & Hardie 2013, eq. 1a)

p, q, gamma are log-uniform on 1e-3..1e8 (fixed seed), x in {1, 2, 7, 100, 1e5} and m_x
log-uniform on 1e-300..1e300 (half of the rows) or on 1e-2..1e4; plus corner cases.  Every value
is computed at 50 and at 80 significant digits in exact rational arithmetic of the binary inputs
and written only if both agree to 1e-30 relative.

Usage: python3 scripts/gamma_gamma_extreme_vectors.py > tests/data/gamma_gamma_extreme_vectors.csv
"""
import random
import sys

import mpmath as mp


def values(p, q, g, x, m):
    p, q, g, x, m = (mp.mpf(v) for v in (p, q, g, x, m))
    den = p * x + q - 1
    eas = p * (g + x * m) / den if den > 0 else None
    mean = p * g / (q - 1) if q > 1 else None
    px = p * x
    ll = (mp.loggamma(px + q) - mp.loggamma(px) - mp.loggamma(q) + q * mp.log(g)
          + (px - 1) * mp.log(m) + px * mp.log(x) - (px + q) * mp.log(g + x * m))
    return eas, mean, ll


def fmt(v):
    return "" if v is None else mp.nstr(v, 25, min_fixed=1, max_fixed=0)


def main():
    rng = random.Random(20261128)
    cases = []
    for (p, q, g) in [(6.25, 3.74, 15.44), (1e-3, 1e-3, 1e-3), (1e8, 1e8, 1e8), (1e-3, 1e8, 1.0),
                      (1e8, 1.0 + 2.0**-40, 1e-3), (2.0, 1.5, 1e300), (1.0, 2.0, 1e-300)]:
        for x in [1.0, 3.0, 1e5]:
            for m in [1e-300, 10.0, 1e300]:
                cases.append((p, q, g, x, m))
    for _ in range(600):
        p = float(mp.nstr(10 ** rng.uniform(-3, 8), 7))
        q = float(mp.nstr(10 ** rng.uniform(-3, 8), 7))
        g = float(mp.nstr(10 ** rng.uniform(-3, 8), 7))
        x = rng.choice([1.0, 2.0, 7.0, 100.0, 1e5])
        if rng.random() < 0.5:
            m = float(mp.nstr(10 ** rng.uniform(-300, 300), 7))
        else:
            m = float(mp.nstr(10 ** rng.uniform(-2, 4), 7))
        cases.append((p, q, g, x, m))
    out = sys.stdout
    out.write("p,q,gamma,frequency,monetary_value,expected_average_spend,mean_spend,log_likelihood\n")
    for c in cases:
        with mp.workdps(50):
            lo = values(*c)
        with mp.workdps(80):
            hi = values(*c)
        keep = []
        ok = True
        for a, b in zip(lo, hi):
            if b is None:
                keep.append(None)
                continue
            if abs(a - b) > mp.mpf("1e-30") * abs(b) or abs(b) > mp.mpf("1e307"):
                ok = False
            keep.append(b)
        if not ok:
            print(f"left out: {c}", file=sys.stderr)
            continue
        out.write(",".join(repr(v) for v in c) + "," + ",".join(fmt(v) for v in keep) + "\n")


if __name__ == "__main__":
    main()
