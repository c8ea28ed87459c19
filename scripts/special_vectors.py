#!/usr/bin/env python3
"""Reference values for `clv::special` and the BG/NBD predictions, computed with mpmath.

Writes (under tests/data/):
  hyp2f1.csv       regime,a,b,c,z,value           2F1(a, b; c; z)
  ln_hyp2f1.csv    regime,a,b,c,z,value           ln 2F1(a, b; c; z)
  upper_gamma.csv  a,z,value                      ln Gamma(a, z) (upper incomplete)
  bg_nbd.csv       r,alpha,a,b,x,t_x,T,t,cond,p_alive,uncond
                   E[Y(t) | x, t_x, T] (FHL 2005 eq. 10), P(alive) (Hardie note 021) and
                   E[X(t)] (FHL eq. 9), all evaluated directly at high precision.

Every number is written with 20 significant digits. Run from the crate root:
  python3 scripts/special_vectors.py
"""
import csv
import os
import sys

from mpmath import mp, mpf

mp.dps = 40
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data")
DIGITS = 20


def s(v):
    return mp.nstr(mpf(v), DIGITS, min_fixed=-1, max_fixed=-1) if v != 0 else "0"


_calls = [0]


def hyp(a, b, c, z):
    """2F1 at the current precision, trusted only when a second evaluation with twice the
    working digits agrees to the current precision: mpmath's hyp2f1 is not reliable for every
    argument (at 40 digits it returns -3.2e40 for 2F1(999.999, -1e-9; 1300; 0.9) = 0.99999999882)."""
    _calls[0] += 1
    if _calls[0] % 500 == 0:
        print(f"  {_calls[0]} evaluations", flush=True)
    a, b, c, z = mpf(a), mpf(b), mpf(c), mpf(z)
    base = mp.dps
    prev = mp.hyp2f1(a, b, c, z, maxterms=10**6)
    for extra in (40, 120, 300):
        with mp.workdps(base + extra):
            v = mp.hyp2f1(a, b, c, z, maxterms=10**6)
        if abs(v - prev) <= mpf(10) ** (8 - base) * abs(v):
            return +v
        prev = v
    raise ValueError(f"2F1({a}, {b}; {c}; {z}) not stable in precision")


def zs_model():
    return [mpf(0), mpf("0.1"), mpf("0.5"), mpf("0.9"), mpf("0.99"), 1 - mpf("1e-6"), 1 - mpf("1e-10")]


def hyp2f1_rows():
    rows = []
    # BG/NBD Euler form 2F1(a+b-1-r, a-1; a+b+x-1; z)
    rs = ["1e-3", "0.243", "1", "1e3"]
    as_ = ["1e-3", "0.793", "0.999999999", "1.000000001", "3.5", "1e3"]
    bs = ["1e-3", "2.426", "1e3"]
    xs = [0, 1, 10, 300, 1000, 10000]
    for r in rs:
        for a in as_:
            for b in bs:
                for x in xs:
                    r_, a_, b_ = mpf(r), mpf(a), mpf(b)
                    # the arguments exactly as f64 computes them
                    A = float(a_) + float(b_) - 1.0 - float(r_)
                    B = float(a_) - 1.0
                    C = float(a_) + float(b_) + x - 1.0
                    if C <= 0 and C == int(C):
                        continue
                    for z in zs_model():
                        zf = float(z)
                        rows.append(("bgnbd", A, B, C, zf, hyp(mpf(A), mpf(B), mpf(C), mpf(zf))))
    # sBG DEL/DERL and BG/BB DERT: 2F1(1, beta+n; alpha+beta+n; 1/(1+d))
    ps = ["1e-3", "0.668", "1.182", "3.806", "1e2", "1e3"]
    for al in ps:
        for be in ps:
            for n in [0, 1, 7, 100]:
                for d in ["1e-3", "0.01", "0.1", "1"]:
                    B = float(mpf(be)) + n
                    C = float(mpf(al)) + float(mpf(be)) + n
                    zf = 1.0 / (1.0 + float(mpf(d)))
                    rows.append(("sbg", 1.0, B, C, zf, hyp(1, mpf(B), mpf(C), mpf(zf))))
    return rows


def ln_hyp2f1_rows():
    rows = []
    zs = [mpf(0), mpf("1e-6"), mpf("0.1"), mpf("0.5"), mpf("0.9"), mpf("0.99"), mpf("0.999"),
          1 - mpf("1e-6"), 1 - mpf("1e-10")]
    ps = ["1e-3", "0.1", "0.553", "1", "10", "1e3"]
    for r in ps:
        for sv in ps:
            for x in [0, 1, 10, 300, 1000, 10000]:
                w = float(mpf(r)) + float(mpf(sv)) + x
                for b, branch in [(float(mpf(sv)) + 1.0, "pnbd_ab"), (float(mpf(r)) + x, "pnbd_ba")]:
                    for z in zs:
                        zf = float(z)
                        # Euler's transformation (DLMF 15.8.1), exact:
                        # 2F1(w, b; w+1; z) = (1-z)^(1-b) 2F1(1, w+1-b; w+1; z); mpmath's direct
                        # evaluation takes seconds per point for b near 10^4.
                        W, B, Z = mpf(w), mpf(b), mpf(zf)
                        v = (1 - B) * mp.log(1 - Z) + mp.log(hyp(1, W + 1 - B, W + 1, Z))
                        rows.append((branch, w, b, w + 1.0, zf, v))
    gs = ["1e-3", "0.5", "2", "50", "1e3"]
    for a in gs:
        for b in gs:
            for c in gs:
                for z in [mpf("0.1"), mpf("0.9"), mpf("0.999"), 1 - mpf("1e-10")]:
                    af, bf, cf, zf = float(mpf(a)), float(mpf(b)), float(mpf(c)), float(z)
                    v = mp.log(hyp(mpf(af), mpf(bf), mpf(cf), mpf(zf)))
                    rows.append(("positive", af, bf, cf, zf, v))
    return rows


def upper_gamma_rows():
    rows = []
    a_s = ["-999.5", "-50.5", "-20", "-10.3", "-3", "-2.5", "-1", "-0.5", "-1e-10", "0", "1e-10",
           "1e-3", "0.3", "0.5", "0.9", "1", "2.5", "10", "100", "1000"]
    z_s = ["1e-8", "1e-4", "0.01", "0.1", "0.5", "0.9", "0.999", "1", "1.5", "3", "10", "50",
           "300", "1000"]
    for a in a_s:
        for z in z_s:
            af, zf = float(mpf(a)), float(mpf(z))
            rows.append((af, zf, ln_upper_gamma_ref(mpf(af), mpf(zf))))
    return rows


def ln_upper_gamma_ref(a, z):
    """ln Gamma(a, z). For a <= 0 independently of mpmath's gammainc, which is wrong for some
    large negative a (a = -999.5, z = 300: it gives ln = -5907.53 where the integral and the
    continued fraction give -6008.10):
      z >= 1: the Legendre continued fraction, evaluated backwards at 60 digits with the depth
              doubled until the value is stable;
      z < 1:  the recurrence Gamma(al-1, z) = (Gamma(al, z) - z^(al-1) e^-z)/(al-1) down from
              al in (0, 1) (from E1 = Gamma(0, z) for integer a) at 100 digits."""
    direct = mp.log(mp.gammainc(a, z))
    if a > 0:
        return direct
    if z >= 1:
        with mp.workdps(60):
            def cf(n):
                t = mpf(0)
                for i in range(n, 0, -1):
                    t = -i * (i - a) / (z + 2 * i + 1 - a + t)
                return -z + a * mp.log(z) - mp.log(z + 1 - a + t)
            n, v = 50, cf(50)
            while True:
                n *= 2
                w = cf(n)
                if abs(w - v) < mpf("1e-45") * max(1, abs(w)):
                    break
                v = w
            v = w
    else:
        with mp.workdps(100):
            if a == int(a):
                al, g = mpf(0), mp.e1(z)
            else:
                al = a - mp.floor(a)
                g = mp.gammainc(al, z)
            while al > a:
                g = (g - z ** (al - 1) * mp.exp(-z)) / (al - 1)
                al -= 1
            v = mp.log(g)
    if abs(v - direct) > mpf("1e-25") * max(1, abs(v)):
        print(f"  mpmath gammainc({a}, {z}) disagrees: {direct} vs {v}")
    return +v


def bg_nbd_rows():
    mp.dps = 60
    rows = []
    base = (0.243, 4.414, 0.793, 2.426)
    sets = [
        base,
        (0.243, 4.414, 1.0, 2.426),
        (0.243, 4.414, 1.0 + 1e-9, 2.426),
        (0.243, 4.414, 1.0 - 1e-9, 2.426),
        (0.243, 4.414, 0.3, 0.4),  # a + b < 1
        (1e-3, 4.414, 0.793, 2.426),
        (0.243, 1e3, 0.793, 2.426),
        (0.243, 4.414, 0.793, 1e3),
    ]

    def bracket(r, al, a, b, x, T, t):
        # (a+b+x-1)/(a-1) [1 - ((al+T)/(al+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(al+T+t))]
        # (FHL eq. 10 numerator); at a = 1 the removable singularity is evaluated at 1 +- 1e-30.
        if a == 1:
            e = mpf("1e-30")
            return (bracket(r, al, a + e, b, x, T, t) + bracket(r, al, a - e, b, x, T, t)) / 2
        z = t / (al + T + t)
        c = a + b + x - 1
        # Euler form, 2F1(a+b-1-r, a-1; a+b+x-1; z) (1-z)^(a-1): parameters stay small for large x
        f = hyp(c - r - x, a - 1, c, z)
        return c / (a - 1) * (1 - (1 - z) ** (a - 1) * f)

    for (r, al, a, b) in sets:
        r, al, a, b = mpf(r), mpf(al), mpf(a), mpf(b)
        for T in [1, 39, 1000, 10000]:
            for x in [0, 1, 10, 300, 1000, 10000]:
                for tx in ([0] if x == 0 else [0, mpf(T) / 2, T]):
                    tx = mpf(tx)
                    if x > 0:
                        odds = a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x)
                        p_alive = 1 / (1 + odds)
                    else:
                        p_alive = mpf(1)
                    for t in [1, 39, 1000]:
                        cond = bracket(r, al, a, b, x, T, t) * p_alive
                        uncond = bracket(r, al, a, b, 0, 0, t)
                        rows.append((float(r), float(al), float(a), float(b), x, float(tx), T, t,
                                     cond, p_alive, uncond))
    return rows


def check_bg_nbd_forms():
    """Cross-checks eq. 10 in the Euler form against the untransformed 2F1 and the posterior
    integral E_p[(1 - (1 + p tau)^-(r+x))/p], p ~ Beta(a, b+x), at a few points."""
    mp.dps = 40
    for (r, al, a, b, x, T, t) in [(0.243, 4.414, 0.793, 2.426, 2, 38.86, 39),
                                   (0.243, 4.414, 0.3, 0.4, 0, 0, 39),
                                   (1e-3, 4.414, 0.793, 2.426, 10, 39, 1000)]:
        r, al, a, b = mpf(r), mpf(al), mpf(a), mpf(b)
        z = t / (al + T + t)
        c = a + b + x - 1
        direct = c / (a - 1) * (1 - (1 - z) ** (r + x) * mp.hyp2f1(r + x, b + x, c, z))
        euler = c / (a - 1) * (1 - (1 - z) ** (a - 1) * mp.hyp2f1(c - r - x, a - 1, c, z))
        tau = t / (al + T)
        integral = mp.quad(lambda p: (1 - (1 + p * tau) ** (-(r + x))) / p
                           * p ** (a - 1) * (1 - p) ** (b + x - 1), [0, mpf(1) / 2, 1]) / mp.beta(a, b + x)
        assert abs(direct / euler - 1) < mpf("1e-25"), (direct, euler)
        assert abs(integral / euler - 1) < mpf("1e-12"), (integral, euler)


def write(name, header, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow([s(v) if not isinstance(v, str) else v for v in row])
    print(f"{path}: {len(rows)} rows")


def main():
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[1:])  # e.g. `upper_gamma bg_nbd` to rebuild some files only
    if not only or "bg_nbd" in only:
        check_bg_nbd_forms()
    if not only or "upper_gamma" in only:
        write("upper_gamma.csv", ["a", "z", "value"], upper_gamma_rows())
    if not only or "ln_hyp2f1" in only:
        write("ln_hyp2f1.csv", ["regime", "a", "b", "c", "z", "value"], ln_hyp2f1_rows())
    if not only or "hyp2f1" in only:
        write("hyp2f1.csv", ["regime", "a", "b", "c", "z", "value"], hyp2f1_rows())
    if not only or "bg_nbd" in only:
        write("bg_nbd.csv",
              ["r", "alpha", "a", "b", "x", "t_x", "T", "t", "cond", "p_alive", "uncond"],
              bg_nbd_rows())


if __name__ == "__main__":
    main()
