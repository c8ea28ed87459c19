#!/usr/bin/env python3
"""Reference values for the conditional predictions every transaction model answers
(tests/predictions.rs), computed with mpmath and accepted only when a second evaluation at more
digits agrees to 1e-25 (relative):

  cpmf      P(Y(t) = n | x, t_x, T)      (BG/BB: P(Y(n*) = k | x, t_x, n))
  alive_at  P(alive at T + t | x, t_x, T) (BG/BB: P(alive at n + m | x, t_x, n))

BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007): a customer
with x repeat purchases has had m = x (BG/NBD) or m = x + 1 (MBG/NBD) chances to drop out.
Given alive at T the posterior is lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+m), and from T on
the customer dies only after purchases, so
  P(Y(t) = n | alive)   = FHL eq. 8 at (r+x, alpha+T, a, b+m)   (scripts/bg_nbd_extreme_vectors.py)
  P(Y(t) = n | x,t_x,T) = P(alive) P(Y(t) = n | alive) + [n = 0] (1 - P(alive)),
  P(alive at T + t)     = P(alive) E_p[(1 + p t/(alpha+T))^-(r+x)]
                        = P(alive) 2F1(r+x, a; a+b+m; -t/(alpha+T))
(a customer alive at T with lambda, p survives (T, T+t] with probability E[(1-p)^N],
N ~ Poisson(lambda t), = e^(-lambda p t)). The expectation over p is the logit integral of the
BG/NBD script; the 2F1 form is checked against it at moderate parameters first.

Pareto/NBD (Fader & Hardie note 028): P(alive) times note 012's P(X(t) = n) at
(r+x, alpha+T, s, beta+T) plus [n = 0](1 - P(alive)), from scripts/pareto_nbd_reference.py;
P(alive at T + t) = P(alive) ((beta+T)/(beta+T+t))^s.

BG/BB (Fader, Hardie & Shang 2010): with Bp(u, v) = B(alpha+u, beta+v)/B(alpha, beta) and
Bt(u, v) = B(gamma+u, delta+v)/B(gamma, delta), L = Bp(x, n-x) Bt(0, n)
+ sum_{i=0}^{n-t_x-1} Bp(x, t_x-x+i) Bt(1, t_x+i), P(alive at n+m) = Bp(x, n-x) Bt(0, n+m)/L,
and P(Y(n*) = k) = Bp(x,n-x) Bt(0,n)/L * [C(n*,k) B'p(k, n*-k) B't(0, n*)
+ sum_{i=k}^{n*-1} C(i,k) B'p(k, i-k) B't(1, i)] + [k = 0](1 - P(alive)), the primes at the
posterior (alpha+x, beta+n-x, gamma, delta+n) (FHS eq. 6 restarted at n).

Writes tests/data/prediction_vectors.csv with the columns
  model,kind,p1,p2,p3,p4,x,t_x,T,t,n,value
(p1..p4 the model's parameters in its order; for BG/BB T is n, t is n* or m and n is k).
Run from the crate root, the three parts in parallel if there are cores (each writes its own
file as it goes; an evaluation that takes more than a minute is skipped), then merge:
  python3 scripts/prediction_vectors.py other    # BG/BB and Pareto/NBD (a minute)
  python3 scripts/prediction_vectors.py bgnbd    # about 15 minutes
  python3 scripts/prediction_vectors.py mbgnbd   # about 15 minutes
  python3 scripts/prediction_vectors.py merge
"""
import csv
import os
import random
import signal
import sys

from mpmath import mp, mpf

sys.path.insert(0, os.path.dirname(__file__))
import bg_nbd_extreme_vectors as bg  # noqa: E402
import pareto_nbd_reference as pareto  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "prediction_vectors.csv")


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def stable(f, *args, dps=40):
    """f at `dps` digits, accepted when dps + 15 digits agree to 1e-25 relative (None when
    they do not, or when the two take more than a minute)."""
    signal.alarm(60)
    try:
        mp.dps = dps
        v = f(*[mpf(a) for a in args])
        mp.dps = dps + 15
        w = f(*[mpf(a) for a in args])
    except Timeout:
        print("  skipped", f.__name__, args, flush=True)
        return None
    finally:
        signal.alarm(0)
        mp.dps = dps
    if w == 0:
        return v if v == 0 else None
    return v if abs(v / w - 1) < mpf("1e-25") else None


# BG/NBD family ---------------------------------------------------------------------------


def fam_alive(r, alpha, a, b, e, x, tx, T):
    m = x + e
    if m == 0:
        return mpf(1)
    return 1 / (1 + a / (b + m - 1) * mp.exp((r + x) * mp.log((alpha + T) / (alpha + tx))))


def fam_cpmf(r, alpha, a, b, e, x, tx, T, t, n):
    pa = fam_alive(r, alpha, a, b, e, x, tx, T)
    v = pa * bg.pmf(r + x, alpha + T, a, b + x + e, int(n), t)
    if n == 0:
        v += 1 - pa
    return v


def fam_survival_if_alive(r, alpha, a, b, e, x, T, t):
    k = r + x
    tau = t / (alpha + T)
    return bg.beta_expect(a, b + x + e, lambda p: mp.exp(-k * mp.log1p(p * tau)),
                          features=[1 / tau, 1 / (k * tau)])


def fam_alive_at(r, alpha, a, b, e, x, tx, T, t):
    return fam_alive(r, alpha, a, b, e, x, tx, T) * fam_survival_if_alive(r, alpha, a, b, e, x,
                                                                          T, t)


def check_survival_closed_form():
    mp.dps = 30
    for (r, alpha, a, b) in [(0.243, 4.414, 0.793, 2.426), (2.0, 3.0, 2.5, 4.0)]:
        for e in (0, 1):
            for (x, T, t) in [(0, 0.5, 39.0), (2, 38.86, 39.0), (7, 38.0, 5.0)]:
                r_, al, a_, b_ = mpf(r), mpf(alpha), mpf(a), mpf(b)
                closed = mp.hyp2f1(r_ + x, a_, a_ + b_ + x + e, -mpf(t) / (al + T))
                got = fam_survival_if_alive(r_, al, a_, b_, e, x, mpf(T), mpf(t))
                assert abs(closed / got - 1) < mpf("1e-20"), (r, alpha, a, b, e, x, closed, got)
    print("P(alive at T+t): 2F1 form agrees with the posterior integral")


def family_rows(rng, model, e, out):
    rows = []
    sets = {s[0]: s for s in bg.parameter_sets(random.Random(11))}
    picked = ["cdnow", "a_one", "a_plus_b_below_1", "a_b_tiny", "a_tiny_b_huge", "a_huge_b_tiny",
              "r_alpha_huge", "all_huge", "all_tiny", "geometric_limit_1e+06", "random_0",
              "random_1", "random_2", "random_3"]
    if True:
        for name in picked:
            _, r, alpha, a, b = sets[name]
            cs = [(2.0, 30.43, 38.86), (0.0, 0.0, 38.86), (10000.0, 9000.0, 10000.0)]
            for _ in range(3):
                x = float(rng.choice([1, 7, 100, 10000]))
                T = bg.loguniform(rng, 1e-3, 1e5)
                cs.append((x, rng.choice([1e-6 * T, rng.uniform(0, T), T]), T))
            for (x, tx, T) in cs:
                t = bg.loguniform(rng, 1e-3, 1e5)
                for n in sorted(set([0, 1, rng.choice([2, 5, 50])])):
                    v = stable(fam_cpmf, r, alpha, a, b, e, x, tx, T, t, n)
                    if v is not None:
                        rows.append([model, "cpmf", r, alpha, a, b, x, tx, T, t, n, v])
                v = stable(fam_alive_at, r, alpha, a, b, e, x, tx, T, t)
                if v is not None:
                    rows.append([model, "alive_at", r, alpha, a, b, x, tx, T, t, 0, v])
            print(model, name, len(rows), flush=True)
            write(out, rows)
    return rows


# Pareto/NBD -------------------------------------------------------------------------------


def pareto_alive(r, alpha, s, beta, x, tx, T):
    ll = pareto.loglik(r, alpha, s, beta, x, tx, T)
    return pareto.p_alive(r, alpha, s, beta, x, tx, T, ll)


def pareto_cpmf(r, alpha, s, beta, x, tx, T, t, n):
    pa = pareto_alive(r, alpha, s, beta, x, tx, T)
    v = pa * pareto.pmf(r + x, alpha + T, s, beta + T, int(n), t)
    if n == 0:
        v += 1 - pa
    return v


def pareto_alive_at(r, alpha, s, beta, x, tx, T, t):
    return pareto_alive(r, alpha, s, beta, x, tx, T) * ((beta + T) / (beta + T + t)) ** s


def pareto_rows(rng):
    rows = []
    for (r, alpha, s, beta) in [(0.5534, 10.5802, 0.6061, 11.6562), (2.0, 5.0, 1.5, 5.0),
                                (0.3, 100.0, 3.0, 1.0), (5.0, 1.0, 0.2, 50.0)]:
        for (x, tx, T) in [(0, 0, 39), (2, 30.43, 38.86), (26, 30.85714, 31), (7, 10, 31)]:
            t = rng.choice([1.0, 13.0, 52.0])
            for n in (0, 1, 3):
                v = stable(pareto_cpmf, r, alpha, s, beta, x, tx, T, t, n, dps=60)
                if v is not None:
                    rows.append(["paretonbd", "cpmf", r, alpha, s, beta, x, tx, T, t, n, v])
            v = stable(pareto_alive_at, r, alpha, s, beta, x, tx, T, t, dps=60)
            if v is not None:
                rows.append(["paretonbd", "alive_at", r, alpha, s, beta, x, tx, T, t, 0, v])
    print("paretonbd", len(rows), flush=True)
    return rows


# BG/BB ------------------------------------------------------------------------------------


def ln_b(u, v):
    return mp.loggamma(u) + mp.loggamma(v) - mp.loggamma(u + v)


def bb_terms(al, be, ga, de, x, tx, n):
    """ln of the alive term and of every dropout term of L."""
    lp = lambda u, v: ln_b(al + u, be + v) - ln_b(al, be)  # noqa: E731
    lt = lambda u, v: ln_b(ga + u, de + v) - ln_b(ga, de)  # noqa: E731
    alive = lp(x, n - x) + lt(0, n)
    dropped = [lp(x, tx - x + i) + lt(1, tx + i) for i in range(int(n - tx))]
    return alive, dropped


def bb_alive_in(al, be, ga, de, x, tx, n, m):
    alive, dropped = bb_terms(al, be, ga, de, x, tx, n)
    ln_l = mp.log(mp.exp(alive) + mp.fsum(mp.exp(d) for d in dropped))
    surv = ln_b(ga, de + n + m) - ln_b(ga, de + n)
    return mp.exp(alive + surv - ln_l)


def bb_new_pmf(al, be, ga, de, k, n):
    if k > n:
        return mpf(0)
    lp = lambda u, v: ln_b(al + u, be + v) - ln_b(al, be)  # noqa: E731
    lt = lambda u, v: ln_b(ga + u, de + v) - ln_b(ga, de)  # noqa: E731
    v = mp.binomial(n, k) * mp.exp(lp(k, n - k) + lt(0, n))
    for i in range(int(k), int(n)):
        v += mp.binomial(i, k) * mp.exp(lp(k, i - k) + lt(1, i))
    return v


def bb_cpmf(al, be, ga, de, x, tx, n, n_star, k):
    alive, dropped = bb_terms(al, be, ga, de, x, tx, n)
    total = mp.exp(alive) + mp.fsum(mp.exp(d) for d in dropped)
    pa = mp.exp(alive) / total
    v = pa * bb_new_pmf(al + x, be + n - x, ga, de + n, k, n_star)
    if k == 0:
        v += mp.fsum(mp.exp(d) for d in dropped) / total
    return v


def bgbb_rows(rng):
    rows = []
    for (al, be, ga, de) in [(1.204, 0.750, 0.657, 2.783), (0.01, 30.0, 5.0, 0.2),
                             (1e6, 1e-3, 1e-3, 1e6), (1e-3, 1e-3, 1e3, 1e3), (3.0, 2.0, 1.0, 1.0)]:
        for (x, tx, n) in [(0, 0, 6), (3, 5, 6), (6, 6, 6), (1, 1, 1000), (500, 990, 1000)]:
            for n_star in (1, 5, 100):
                for k in sorted(set([0, 1, min(n_star, rng.choice([2, 5, 50]))])):
                    v = stable(bb_cpmf, al, be, ga, de, x, tx, n, n_star, k)
                    if v is not None:
                        rows.append(["bgbb", "cpmf", al, be, ga, de, x, tx, n, n_star, k, v])
            for m in (0, 1, 10, 1000):
                v = stable(bb_alive_in, al, be, ga, de, x, tx, n, m)
                if v is not None:
                    rows.append(["bgbb", "alive_at", al, be, ga, de, x, tx, n, m, 0, v])
    print("bgbb", len(rows), flush=True)
    return rows


def write(name, rows):
    with open(name, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for row in rows:
            w.writerow(row[:2] + [bg.par(v) for v in row[2:10]] + [str(int(row[10])),
                                                                   bg.fmt(row[11])])
    print(f"{name}: {len(rows)} rows", flush=True)


HEADER = ["model", "kind", "p1", "p2", "p3", "p4", "x", "t_x", "T", "t", "n", "value"]
PARTS = ["other", "bgnbd", "mbgnbd"]


def main():
    signal.signal(signal.SIGALRM, _alarm)
    part = sys.argv[1] if len(sys.argv) > 1 else "merge"
    if part == "merge":
        lines = []
        for p in PARTS:
            name = f"{OUT}.{p}"
            with open(name) as f:
                lines += f.read().splitlines()[1:]
            os.remove(name)
        with open(OUT, "w") as f:
            f.write("\n".join([",".join(HEADER)] + lines) + "\n")
        print(f"{OUT}: {len(lines)} rows")
        return
    out = f"{OUT}.{part}"
    if part == "other":
        check_survival_closed_form()
        rng = random.Random(20261128)
        write(out, bgbb_rows(rng) + pareto_rows(rng))
    else:
        e = {"bgnbd": 0, "mbgnbd": 1}[part]
        family_rows(random.Random(20261128 + e), part, e, out)


if __name__ == "__main__":
    main()
