#!/usr/bin/env python3
"""Reference values for the BG/NBD (Fader, Hardie & Lee 2005) over its whole parameter space,
computed with mpmath at 40 significant digits and accepted only when a second evaluation at
50 digits agrees to 1e-25 (relative).

Writes (under tests/data/):
  bg_nbd_extreme.csv       case,r,alpha,a,b,x,t_x,T,t,n,p_alive,cond,uncond,pmf,
                           ll,g_r,g_alpha,g_a,g_b,s_r,s_alpha,s_a,s_b
  bg_nbd_extreme_dert.csv  case,r,alpha,a,b,x,t_x,T,delta,p_alive,dert

with
  p_alive  P(alive | x, t_x, T)            (Hardie note 021)
  cond     E[Y(t) | x, t_x, T]             (FHL eq. 10)
  uncond   E[X(t)]                         (FHL eq. 9)
  pmf      P(X(t) = n)                     (FHL eq. 8)
  ll       the log-likelihood of (x, t_x, T) (FHL eq. 6), g_* its gradient (numerical
           differentiation of ll at high precision) and s_* the sum of the absolute values of
           the analytic terms of each gradient component (the scale against which its error is
           measured: the terms cancel near an optimum)
  dert     DERT(delta) = integral of delta e^(-delta t) E[Y(t) | x, t_x, T] dt

The expectations are not taken from the hypergeometric closed forms (whose series need ~a
terms when a, b are large) but from their defining integrals over the posterior of a live
customer, lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x):
  E[Y(t) | alive] = E_p[(1 - (1 + p tau)^-(r+x)) / p],   tau = t/(alpha+T),
  DERT | alive    = E_p[E_lambda[lambda / (lambda p + delta)]],
the inner expectation of the DERT as (k/p) e^c c^k Gamma(-k, c), k = r+x, c = delta(alpha+T)/p.
The expectation over p is integrated (tanh-sinh) in u = logit(p), where the Beta density is
log-concave, with breakpoints at the points where the log-density has dropped by
0.5, 2, 5, ..., 150 from its mode (and where the integrand changes regime); the incomplete
beta function of P(X(t) = n) is the same integral up to logit(t/(alpha+t)).

Parameters are log-uniform over 1e-3..1e8 (with a = 1 +- tiny, a + b < 1 and a, b -> infinity
at a fixed ratio added), x up to 1e5, T up to 1e7, t_x in {0, tiny, uniform, T}. Parameters are
written with 17 significant digits (exact doubles), values with 25. Run from the crate root:
  python3 scripts/bg_nbd_extreme_vectors.py          # both files
  python3 scripts/bg_nbd_extreme_vectors.py main     # bg_nbd_extreme.csv only
  python3 scripts/bg_nbd_extreme_vectors.py dert     # bg_nbd_extreme_dert.csv only
or, on two cores, `shard 0 2` and `shard 1 2` in parallel, then `merge 2` (and, to recompute
only the P(X(t) = n) column, `repmf 0 2` and `repmf 1 2`, then `applypmf 2`).
"""
import csv
import math
import os
import random
import signal
import sys

from mpmath import mp, mpf

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data")
LEVELS = [0.5, 2, 5, 10, 20, 35, 55, 80, 110, 150]


def fmt(v):
    v = mpf(v)
    return "0" if v == 0 else mp.nstr(v, 25, min_fixed=1, max_fixed=0)


def par(v):
    return repr(float(v))


def logit_density(a, b):
    """L(u) = a ln p + b ln q with p = 1/(1+e^-u), q = 1/(1+e^u) (log Beta density in logit p,
    up to -ln B(a, b))."""
    def L(u):
        return -a * mp.log1p(mp.exp(-u)) - b * mp.log1p(mp.exp(u))
    return L


def level_points(a, b, L, u0):
    """Points on each side of the mode u0 where L has dropped by each of LEVELS."""
    l0 = L(u0)
    width = mp.sqrt(1 / a + 1 / b)
    pts = []
    for side in (-1, 1):
        step = width
        lo = u0
        for d in LEVELS:
            hi = lo + side * step
            while L(hi) - l0 > -d:
                lo, step = hi, step * 2
                hi = lo + side * step
            x, y = lo, hi  # L(x) - l0 > -d >= L(y) - l0
            for _ in range(80):
                m = (x + y) / 2
                if L(m) - l0 > -d:
                    x = m
                else:
                    y = m
            pts.append(y)
            lo = y
            step = width
    return pts


def beta_expect(a, b, F, features=(), upper=None):
    """E[F(p)], p ~ Beta(a, b) (restricted to p <= logistic(upper) when given), integrated in
    u = logit(p)."""
    a, b = mpf(a), mpf(b)
    L = logit_density(a, b)
    ln_b = mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)
    u0 = mp.log(a / b)
    pts = level_points(a, b, L, u0) + [u0]
    for p in features:
        if 0 < p < 1:
            pts.append(mp.log(p / (1 - p)))
    lo, hi = min(pts), max(pts)
    pts = sorted(set(p for p in pts if lo <= p <= hi))
    if upper is not None:
        if upper <= u0:
            # Left of the mode the density increases up to `upper`: truncate relative to its
            # value there (log-concave, so it decays at least at the slope at `upper`).
            slope = a - (a + b) / (1 + mp.exp(-upper))
            pts = [upper - d / slope for d in reversed(LEVELS)]
        else:
            pts = [p for p in pts if p < upper]
        pts.append(upper)

    # mp.quad's tolerance is absolute: scale the integrand to 1 at its largest breakpoint.
    top = max(pts, key=lambda u: L(u))
    ln_scale = L(top) - ln_b + mp.log(F(1 / (1 + mp.exp(-top))))

    def f(u):
        p = 1 / (1 + mp.exp(-u))
        return mp.exp(L(u) - ln_b - ln_scale) * F(p)

    return mp.quad(f, pts) * mp.exp(ln_scale)


def alive_expectation(r, alpha, a, b, x, T, t):
    k = r + x
    tau = t / (alpha + T)

    def F(p):
        return -mp.expm1(-k * mp.log1p(p * tau)) / p

    return beta_expect(a, b + x, F, features=[1 / tau, 1 / (k * tau)])


def alive_dert(r, alpha, a, b, x, T, delta):
    k = r + x
    eps = delta * (alpha + T)

    def F(p):
        c = eps / p
        # E_lambda[lambda/(lambda p + delta)] = (k/p) J(k+1, c), J(m, c) = e^c c^(m-1) Gamma(1-m, c)
        return k / p * laplace_power(k + 1, c)

    return beta_expect(a, b + x, F, features=[eps, eps / k])


def laplace_power(m, c):
    """J(m, c) = integral of e^(-c s) (1+s)^(-m) over s > 0 = e^c c^(m-1) Gamma(1-m, c); the
    quadrature of the definition where mpmath's incomplete gamma function does not converge."""
    try:
        return mp.exp(c) * c ** (m - 1) * mp.gammainc(1 - m, c)
    except (mp.NoConvergence, ValueError):
        pts = sorted(set([mpf(0), 1 / m, 1 / c, 10 / m, 10 / c]))
        return mp.quad(lambda s: mp.exp(-c * s - m * mp.log1p(s)), pts + [mp.inf])


def p_alive(r, alpha, a, b, x, tx, T):
    if x == 0:
        return mpf(1)
    return 1 / (1 + a / (b + x - 1) * mp.exp((r + x) * mp.log((alpha + T) / (alpha + tx))))


def ln_beta(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def pmf(r, alpha, a, b, n, t):
    z = t / (alpha + t)
    ln_nb = (mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1)
             + r * mp.log(alpha / (alpha + t)) + n * mp.log(z))
    v = mp.exp(ln_beta(a, b + n) - ln_beta(a, b) + ln_nb)
    if n > 0:
        # P(NB >= n) = I_z(n, r)
        tail = beta_expect(mpf(n), r, lambda p: 1, upper=mp.log(z / (1 - z)))
        v += mp.exp(ln_beta(a + 1, b + n - 1) - ln_beta(a, b)) * tail
    return v


def ll(r, alpha, a, b, x, tx, T):
    a1 = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha)
    a2 = ln_beta(a, b + x) - ln_beta(a, b)
    a3 = -(r + x) * mp.log(alpha + T)
    if x == 0:
        return a1 + a2 + a3
    a4 = mp.log(a) - mp.log(b + x - 1) - (r + x) * mp.log(alpha + tx)
    m = max(a3, a4)
    return a1 + a2 + m + mp.log(mp.exp(a3 - m) + mp.exp(a4 - m))


def grad_scales(r, alpha, a, b, x, tx, T):
    """Sum of |terms| of each analytic gradient component (FHL 2005 eq. 6 differentiated)."""
    pa = p_alive(r, alpha, a, b, x, tx, T)
    pi2 = 1 - pa
    dg = mp.digamma
    s_r = abs(dg(r + x) - dg(r)) + abs(pa * mp.log1p(T / alpha)) + abs(pi2 * mp.log1p(tx / alpha))
    s_alpha = abs(r / alpha) + abs((r + x) * (pa / (alpha + T) + pi2 / (alpha + tx)))
    s_a = abs(dg(a + b) - dg(a + b + x)) + abs(pi2 / a)
    s_b = (abs(dg(b + x) - dg(b)) + abs(dg(a + b + x) - dg(a + b))
           + (abs(pi2 / (b + x - 1)) if x > 0 else 0))
    return s_r, s_alpha, s_a, s_b


def loguniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def parameter_sets(rng):
    sets = [
        ("issue_a7930", 0.243, 4.414, 7930.0, 24260.0),
        ("issue_a793", 0.243, 4.414, 793.0, 2426.0),
        ("cdnow", 0.243, 4.414, 0.793, 2.426),
        ("fit_8_customers", 0.243, 4.414, 3.7e6, 8.7e6),
        ("a_one", 0.243, 4.414, 1.0, 2.426),
        ("a_one_plus_1e-12", 0.243, 4.414, 1.0 + 1e-12, 2.426),
        ("a_one_minus_1e-9", 0.243, 4.414, 1.0 - 1e-9, 2.426),
        ("a_one_plus_1e-5", 2.0, 0.5, 1.0 + 1e-5, 40.0),
        ("a_plus_b_below_1", 0.243, 4.414, 0.3, 0.4),
        ("a_b_tiny", 1.0, 1.0, 1e-3, 1e-3),
        ("a_tiny_b_huge", 0.5, 10.0, 1e-3, 1e8),
        ("a_huge_b_tiny", 0.5, 10.0, 1e8, 1e-3),
        ("r_alpha_huge", 1e8, 1e8, 0.8, 2.4),
        ("all_huge", 1e8, 1e8, 1e8, 1e8),
        ("all_tiny", 1e-3, 1e-3, 1e-3, 1e-3),
    ]
    for s in [1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8]:
        sets.append((f"geometric_limit_{s:g}", 0.243, 4.414, 0.3 * s, 0.7 * s))
        sets.append((f"geometric_limit_small_p_{s:g}", 2.0, 30.0, 1e-2 * s, s))
    for i in range(25):
        sets.append((f"random_{i}",) + tuple(loguniform(rng, 1e-3, 1e8) for _ in range(4)))
    return sets


def customers(rng, k, fixed=True):
    out = [(0.0, 0.0, 0.0), (2.0, 30.43, 38.86), (0.0, 0.0, 38.86)] if fixed else [(2.0, 30.43, 38.86)]
    for _ in range(k):
        x = float(rng.choice([0, 1, 2, 7, 100, 10000, 100000,
                              round(loguniform(rng, 1, 1e5))]))
        T = loguniform(rng, 1e-3, 1e7)
        if x == 0:
            tx = 0.0
        else:
            tx = rng.choice([1e-9 * T, rng.uniform(0, T), T])
        out.append((x, tx, T))
    return out


def stable(f, *args):
    """f at 40 digits, accepted when 50 digits agree to 1e-25 relative."""
    mp.dps = 40
    v = f(*[mpf(a) for a in args])
    mp.dps = 50
    w = f(*[mpf(a) for a in args])
    mp.dps = 40
    if w == 0:
        return v if v == 0 else None
    return v if abs(v / w - 1) < mpf("1e-25") else None


def main_rows(rng, shard=0, shards=1, partial=None):
    rows = []
    for i, (name, r, alpha, a, b) in enumerate(parameter_sets(rng)):
        issue = name.startswith("issue") or name == "cdnow"
        cs = customers(rng, 3, fixed=issue)
        local = random.Random(1000 + i)
        if i % shards != shard:
            continue
        for (x, tx, T) in cs:
            t = 39.0 if name.startswith("issue") else loguniform(local, 1e-3, 1e7)
            if T == 0.0:
                T = 39.0 if name.startswith("issue") else loguniform(local, 1e-3, 1e7)
            n = local.choice([0, 1, 2, 50])
            # also near the mean of X(t) at times
            args = (r, alpha, a, b)
            pa = stable(p_alive, r, alpha, a, b, x, tx, T)
            cond = stable(alive_expectation, r, alpha, a, b, x, T, t)
            unc = stable(alive_expectation, r, alpha, a, b, 0, 0, t)
            pm = stable(pmf, r, alpha, a, b, n, t)
            lv = stable(ll, r, alpha, a, b, x, tx, T)
            if None in (pa, cond, unc, pm, lv):
                print(f"  unstable, skipped: {name} {(x, tx, T, t, n)}", flush=True)
                continue
            mp.dps = 40
            mr, mal, ma, mb = mpf(r), mpf(alpha), mpf(a), mpf(b)
            mx, mtx, mT = mpf(x), mpf(tx), mpf(T)
            g = [mp.diff(lambda v: ll(v, mal, ma, mb, mx, mtx, mT), mr),
                 mp.diff(lambda v: ll(mr, v, ma, mb, mx, mtx, mT), mal),
                 mp.diff(lambda v: ll(mr, mal, v, mb, mx, mtx, mT), ma),
                 mp.diff(lambda v: ll(mr, mal, ma, v, mx, mtx, mT), mb)]
            sc = grad_scales(mr, mal, ma, mb, mx, mtx, mT)
            rows.append([name, par(r), par(alpha), par(a), par(b), par(x), par(tx), par(T),
                         par(t), str(n), fmt(pa), fmt(pa * cond), fmt(unc), fmt(pm), fmt(lv)]
                        + [fmt(v) for v in g] + [fmt(v) for v in sc])
            print(f"  {name}: {len(rows)} rows", flush=True)
            if partial:
                write(partial, MAIN_HEADER, rows)
    return rows


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def dert_rows(rng, partial=None, start=0):
    """DERT references; a row whose two evaluations take more than 120 s (mpmath's incomplete
    gamma function of large negative order can be very slow) is skipped."""
    signal.signal(signal.SIGALRM, _alarm)
    rows = []
    sets = parameter_sets(rng)
    picked = sets[:15] + [sets[i] for i in range(15, len(sets), 4)]
    if start > 0:
        with open(os.path.join(OUT, partial)) as f:
            rows = list(csv.reader(f))[1:]
    for i, (name, r, alpha, a, b) in enumerate(picked):
        for (x, tx, T) in customers(rng, 1)[1:]:
            delta = loguniform(rng, 1e-5, 1e1)
            if i < start:
                continue
            signal.alarm(120)
            try:
                pa = stable(p_alive, r, alpha, a, b, x, tx, T)
                d = stable(alive_dert, r, alpha, a, b, x, T, delta)
            except Timeout:
                print(f"  too slow, skipped: {name} {(x, tx, T, delta)}", flush=True)
                continue
            finally:
                signal.alarm(0)
                mp.dps = 40
            if None in (pa, d):
                print(f"  unstable, skipped: {name} {(x, tx, T, delta)}", flush=True)
                continue
            rows.append([name, par(r), par(alpha), par(a), par(b), par(x), par(tx), par(T),
                         par(delta), fmt(pa), fmt(pa * d)])
            print(f"  dert {name}: {len(rows)} rows", flush=True)
            if partial:
                write(partial, DERT_HEADER, rows)
    return rows


def write(name, header, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    print(f"{path}: {len(rows)} rows")


DERT_HEADER = ["case", "r", "alpha", "a", "b", "x", "t_x", "T", "delta", "p_alive", "dert"]
MAIN_HEADER = ["case", "r", "alpha", "a", "b", "x", "t_x", "T", "t", "n", "p_alive", "cond",
               "uncond", "pmf", "ll", "g_r", "g_alpha", "g_a", "g_b",
               "s_r", "s_alpha", "s_a", "s_b"]


def main():
    only = set(sys.argv[1:])
    if "merge" in only:
        # python3 scripts/bg_nbd_extreme_vectors.py merge N: the N shards into bg_nbd_extreme.csv
        rows = []
        for k in range(int(sys.argv[2])):
            path = os.path.join(OUT, f"bg_nbd_extreme.shard{k}.csv")
            with open(path) as f:
                rows += list(csv.reader(f))[1:]
            os.remove(path)
        write("bg_nbd_extreme.csv", MAIN_HEADER, rows)
        return
    if "repmf" in only:
        # python3 scripts/bg_nbd_extreme_vectors.py repmf K N: recompute the pmf column of
        # rows i % N == K of bg_nbd_extreme.csv into bg_nbd_extreme.pmfK.csv (row index, pmf)
        k, n = int(sys.argv[2]), int(sys.argv[3])
        with open(os.path.join(OUT, "bg_nbd_extreme.csv")) as f:
            rows = list(csv.reader(f))[1:]
        out = []
        for i, row in enumerate(rows):
            if i % n != k:
                continue
            r, alpha, a, b = (float(v) for v in row[1:5])
            t, m = float(row[8]), int(row[9])
            pm = stable(pmf, r, alpha, a, b, m, t)
            out.append([str(i), "nan" if pm is None else fmt(pm)])
            print(f"  pmf {i}", flush=True)
        write(f"bg_nbd_extreme.pmf{k}.csv", ["row", "pmf"], out)
        return
    if "applypmf" in only:
        # python3 scripts/bg_nbd_extreme_vectors.py applypmf N: the recomputed pmf column of the
        # N files of `repmf` into bg_nbd_extreme.csv (rows whose pmf was not stable are dropped)
        with open(os.path.join(OUT, "bg_nbd_extreme.csv")) as f:
            rows = list(csv.reader(f))[1:]
        new = {}
        for k in range(int(sys.argv[2])):
            path = os.path.join(OUT, f"bg_nbd_extreme.pmf{k}.csv")
            with open(path) as f:
                for i, v in list(csv.reader(f))[1:]:
                    new[int(i)] = v
            os.remove(path)
        out = []
        for i, row in enumerate(rows):
            if new.get(i, "nan") == "nan":
                print(f"  row {i} dropped (pmf not stable)")
                continue
            row[13] = new[i]
            out.append(row)
        write("bg_nbd_extreme.csv", MAIN_HEADER, out)
        return
    if "shard" in only:
        # python3 scripts/bg_nbd_extreme_vectors.py shard K N: rows of parameter sets i % N == K
        k, n = int(sys.argv[2]), int(sys.argv[3])
        name = f"bg_nbd_extreme.shard{k}.csv"
        write(name, MAIN_HEADER, main_rows(random.Random(9), k, n, partial=name))
        return
    if not only or "main" in only:
        write("bg_nbd_extreme.csv",
              ["case", "r", "alpha", "a", "b", "x", "t_x", "T", "t", "n", "p_alive", "cond",
               "uncond", "pmf", "ll", "g_r", "g_alpha", "g_a", "g_b",
               "s_r", "s_alpha", "s_a", "s_b"],
              main_rows(random.Random(9)))
    if not only or "dert" in only:
        # `dert K` resumes at the K-th parameter set, keeping the rows already in the file.
        start = int(sys.argv[2]) if len(sys.argv) > 2 else 0
        write("bg_nbd_extreme_dert.csv", DERT_HEADER,
              dert_rows(random.Random(10), partial="bg_nbd_extreme_dert.csv", start=start))


if __name__ == "__main__":
    main()
