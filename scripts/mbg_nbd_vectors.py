#!/usr/bin/env python3
"""Reference values for the MBG/NBD (Batislam, Denizel & Filiztekin 2007, with the erratum of
Wagner & Hoppe 2008) over its whole parameter space, computed with mpmath at 40 significant
digits and accepted only when a second evaluation at 50 digits agrees to 1e-25 (relative).

The MBG/NBD is the BG/NBD in which a customer may also drop out at time 0: the individual
likelihood is (1-p)^(x+1) lambda^x e^(-lambda T) + p (1-p)^x lambda^x e^(-lambda t_x), so a
customer with x repeat purchases has had x + 1 chances to drop out. Given alive at T the
posterior is lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x+1): the BG/NBD's posterior
expectations with b + 1 in place of b, taken here from the BG/NBD script
(scripts/bg_nbd_extreme_vectors.py: the defining integrals over p in its logit, not the
hypergeometric closed forms). The closed forms of the paper (with the erratum),

  E[X(t)]           = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]
  E[Y(t) | x,t_x,T] = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
                        2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))] P(alive),

are checked against those integrals at moderate parameters before anything is written.

Writes tests/data/mbg_nbd_vectors.csv with the columns
  case,kind,r,alpha,a,b,x,t_x,T,t,n,p_alive,value,s_r,s_alpha,s_a,s_b
one quantity per row (`kind`):
  cond     E[Y(t) | x, t_x, T]
  uncond   E[X(t)]                          (b/(a+b) . E[Y(t) | alive, x = 0, T = 0])
  pmf      P(X(t) = n)
  ll       ln L(x, t_x, T)
  g_r, g_alpha, g_a, g_b
           the gradient of ll (numerical differentiation at high precision), with s_* the
           sum of the absolute values of the analytic terms of that component (the scale
           against which its error is measured: the terms cancel near an optimum)
  dert     DERT(delta) = integral of delta e^(-delta t) E[Y(t) | x, t_x, T] dt, delta in `t`
and P(alive | x, t_x, T) in every row. Parameters are written with 17 significant digits
(exact doubles), values with 25. Run from the crate root (about an hour on one core; an interrupted run resumes):
  python3 scripts/mbg_nbd_vectors.py
or, on two cores, `python3 scripts/mbg_nbd_vectors.py reverse` alongside (the parameter sets in
reverse order, into mbg_nbd_vectors.reverse.csv), stopping either when they meet, then `merge`.
"""
import csv
import math
import os
import random
import signal
import sys

from mpmath import mp, mpf

sys.path.insert(0, os.path.dirname(__file__))
from bg_nbd_extreme_vectors import (  # noqa: E402
    alive_dert, alive_expectation, beta_expect, customers, fmt, ln_beta, loguniform, par,
    parameter_sets, stable, write)

HEADER = ["case", "kind", "r", "alpha", "a", "b", "x", "t_x", "T", "t", "n", "p_alive", "value",
          "s_r", "s_alpha", "s_a", "s_b"]


def p_alive(r, alpha, a, b, x, tx, T):
    return 1 / (1 + a / (b + x) * mp.exp((r + x) * mp.log((alpha + T) / (alpha + tx))))


def cond(r, alpha, a, b, x, tx, T, t):
    return p_alive(r, alpha, a, b, x, tx, T) * alive_expectation(r, alpha, a, b + 1, x, T, t)


def uncond(r, alpha, a, b, t):
    return b / (a + b) * alive_expectation(r, alpha, a, b + 1, 0, 0, t)


def dert(r, alpha, a, b, x, tx, T, delta):
    return p_alive(r, alpha, a, b, x, tx, T) * alive_dert(r, alpha, a, b + 1, x, T, delta)


def pmf(r, alpha, a, b, n, t):
    z = t / (alpha + t)
    ln_nb = (mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1)
             + r * mp.log(alpha / (alpha + t)) + n * mp.log(z))
    v = mp.exp(ln_beta(a, b + n + 1) - ln_beta(a, b) + ln_nb)
    # P(NB >= n) = I_z(n, r) (1 when n = 0: dropout at time 0)
    tail = 1 if n == 0 else beta_expect(mpf(n), r, lambda p: 1, upper=mp.log(z / (1 - z)))
    return v + mp.exp(ln_beta(a + 1, b + n) - ln_beta(a, b)) * tail


def ll(r, alpha, a, b, x, tx, T):
    """ln L: the two terms of the likelihood (alive at T; dropped out after the last purchase,
    at t_x) as the erratum writes them, summed in mpmath's unbounded exponent range."""
    common = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) - ln_beta(a, b)
    alive = ln_beta(a, b + x + 1) - (r + x) * mp.log(alpha + T)
    dropped = ln_beta(a + 1, b + x) - (r + x) * mp.log(alpha + tx)
    return common + mp.log(mp.exp(alive) + mp.exp(dropped))


def grad_scales(r, alpha, a, b, x, tx, T):
    """Sum of |terms| of each analytic gradient component (r, alpha, a, b)."""
    pa = p_alive(r, alpha, a, b, x, tx, T)
    pi2 = 1 - pa
    dg = mp.digamma
    terms = [
        [dg(r + x) - dg(r), pa * mp.log1p(T / alpha), pi2 * mp.log1p(tx / alpha)],
        [r / alpha, (r + x) * pa / (alpha + T), (r + x) * pi2 / (alpha + tx)],
        [dg(a + b) - dg(a + b + x + 1), pi2 / a],
        [dg(b + x + 1) - dg(b), dg(a + b + x + 1) - dg(a + b), pi2 / (b + x)],
    ]
    return tuple(sum(abs(v) for v in t) for t in terms)


def check_closed_forms():
    """The paper's closed forms (with the erratum) against the posterior integrals."""
    mp.dps = 30
    for (r, alpha, a, b) in [(0.5248, 6.183, 0.8914, 1.614), (2.0, 3.0, 2.5, 4.0),
                             (0.3, 10.0, 0.6, 0.7)]:
        for (x, tx, T, t) in [(0, 0, 0, 39.0), (2, 30.43, 38.86, 39.0), (7, 20.0, 38.0, 5.0)]:
            r_, al, a_, b_ = mpf(r), mpf(alpha), mpf(a), mpf(b)
            z = mpf(t) / (al + T + t)
            closed = ((a_ + b_ + x) / (a_ - 1)
                      * (1 - ((al + T) / (al + T + t)) ** (r_ + x)
                         * mp.hyp2f1(r_ + x, b_ + x + 1, a_ + b_ + x, z))
                      * p_alive(r_, al, a_, b_, x, tx, T))
            got = cond(r_, al, a_, b_, x, mpf(tx), mpf(T), mpf(t))
            assert abs(closed / got - 1) < mpf("1e-20"), (r, alpha, a, b, x, closed, got)
        z = mpf(39) / (al + 39)
        closed = b_ / (a_ - 1) * (1 - (al / (al + 39)) ** r_ * mp.hyp2f1(r_, b_ + 1, a_ + b_, z))
        got = uncond(r_, al, a_, b_, mpf(39))
        assert abs(closed / got - 1) < mpf("1e-20"), (r, alpha, a, b, closed, got)
    print("closed forms agree with the posterior integrals")


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def rows_for(name, r, alpha, a, b, cs, local):
    out = []
    for (x, tx, T) in cs:
        t = 39.0 if name == "cdnow" else loguniform(local, 1e-3, 1e7)
        if T == 0.0:
            T = 39.0 if name == "cdnow" else loguniform(local, 1e-3, 1e7)
        n = local.choice([0, 1, 2, 50])
        delta = loguniform(local, 1e-5, 1e1)
        pa = stable(p_alive, r, alpha, a, b, x, tx, T)
        if pa is None:
            continue
        base = [name, par(r), par(alpha), par(a), par(b), par(x), par(tx), par(T)]
        values = [("cond", t, 0, lambda: stable(cond, r, alpha, a, b, x, tx, T, t)),
                  ("uncond", t, 0, lambda: stable(uncond, r, alpha, a, b, t)),
                  ("pmf", t, n, lambda: stable(pmf, r, alpha, a, b, n, t)),
                  ("ll", 0.0, 0, lambda: stable(ll, r, alpha, a, b, x, tx, T)),
                  ("dert", delta, 0, lambda: stable(dert, r, alpha, a, b, x, tx, T, delta))]
        for kind, tt, nn, f in values:
            signal.alarm(40)
            try:
                v = f()
            except Timeout:
                v = None
            finally:
                signal.alarm(0)
                mp.dps = 40
            if v is None:
                print(f"  skipped: {name} {kind} {(x, tx, T, tt, nn)}", flush=True)
                continue
            out.append([base[0], kind] + base[1:] + [par(tt), str(nn), fmt(pa), fmt(v),
                                                       "", "", "", ""])
        mp.dps = 40
        theta = [mpf(v) for v in (r, alpha, a, b)]
        history = [mpf(v) for v in (x, tx, T)]

        def partial(k):
            def f(v):
                return ll(*(theta[:k] + [v] + theta[k + 1:]), *history)
            return mp.diff(f, theta[k])

        g = [partial(k) for k in range(4)]
        sc = [fmt(v) for v in grad_scales(*theta, *history)]
        for kind, v in zip(["g_r", "g_alpha", "g_a", "g_b"], g):
            out.append([base[0], kind] + base[1:] + ["0.0", "0", fmt(pa), fmt(v)] + sc)
    return out


def main():
    """The CDNOW estimate and extreme parameter sets; sets already in the file are kept (the
    run can be resumed)."""
    signal.signal(signal.SIGALRM, _alarm)
    check_closed_forms()
    rng = random.Random(11)
    sets = {s[0]: s for s in parameter_sets(rng)}
    picked = ["a_one", "a_one_minus_1e-9", "a_plus_b_below_1", "a_b_tiny", "a_tiny_b_huge",
              "a_huge_b_tiny", "r_alpha_huge", "all_huge", "all_tiny", "fit_8_customers",
              "geometric_limit_1e+08", "random_0", "random_1", "random_2"]
    sets = [("cdnow", 0.5248, 6.183, 0.8914, 1.614)] + [sets[n] for n in picked]
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    name_of = {"reverse": "mbg_nbd_vectors.reverse.csv"}.get(mode, "mbg_nbd_vectors.csv")
    if mode == "merge":
        rows = read_rows("mbg_nbd_vectors.csv")
        done = {row[0] for row in rows}
        rows += [row for row in read_rows("mbg_nbd_vectors.reverse.csv") if row[0] not in done]
        os.remove(os.path.join(os.path.dirname(__file__), "..", "tests", "data",
                               "mbg_nbd_vectors.reverse.csv"))
        write("mbg_nbd_vectors.csv", HEADER, rows)
        return
    rows = read_rows(name_of)
    done = {row[0] for row in rows}
    order = list(enumerate(sets))
    if mode == "reverse":
        order.reverse()
    for i, (name, r, alpha, a, b) in order:
        if name in done:
            continue
        local = random.Random(2000 + i)
        cs = customers(local, 2, fixed=(i == 0))
        # a customer with 10,000 repeat purchases in every set
        cs.append((10000.0, local.uniform(0.5, 1.0) * 1000.0, 1000.0))
        rows += rows_for(name, r, alpha, a, b, cs, local)
        print(f"  {name}: {len(rows)} rows", flush=True)
        write(name_of, HEADER, rows)


def read_rows(name):
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "data", name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.reader(f))[1:]


if __name__ == "__main__":
    main()
