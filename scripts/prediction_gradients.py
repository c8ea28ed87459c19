#!/usr/bin/env python3
"""Reference values and gradients of the predictions that delta-method intervals differentiate
analytically (tests/prediction_gradients.rs): P(alive | x, t_x, T) and E[Y(t) | x, t_x, T] of
the BG/NBD, the MBG/NBD and the Pareto/NBD, with their derivatives with respect to the
log-parameters ln(theta), computed with mpmath at 50 digits.

Closed forms (the derivatives by mpmath's differentiation at that precision):
  BG/NBD family (Fader, Hardie & Lee 2005, eqs. 10 and Hardie's note 021; MBG/NBD of Batislam,
  Denizel & Filiztekin 2007 with m = x + 1 chances to drop out instead of m = x):
    P(alive) = 1 / (1 + [m > 0] a/(b+m-1) ((alpha+T)/(alpha+t_x))^(r+x))
    E[Y(t)]  = P(alive) (a+b+m-1)/(a-1)
               [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+m; a+b+m-1; t/(alpha+T+t))]
  Pareto/NBD (Fader & Hardie, note 009):
    P(alive) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0),
    A0 = F(t_x)/(M+t_x)^w - F(T)/(M+T)^w, w = r+s+x, with M = max(alpha, beta) and
    F(u) = 2F1(w, s+1; w+1; (alpha-beta)/(alpha+u)) if alpha >= beta,
           2F1(w, r+x; w+1; (beta-alpha)/(beta+u)) otherwise;
    E[Y(t)]  = P(alive) (r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
  Each value is accepted when a second evaluation at 65 digits agrees to 1e-20 (relative to the
  largest of the value and its gradient).

Parameters: the CDNOW estimates of each model, and parameter sets with each parameter drawn
log-uniformly from 1e-3 to 1e3 (seeded); customers with x in {0, 1, 2, 7, 50}, T log-uniform
in [1, 1000], t_x uniform in [0, T] (0 when x = 0), t = 39 or log-uniform in [0.1, 1000].

Writes tests/data/prediction_gradients.csv with the columns
  model,kind,p1,p2,p3,p4,x,t_x,T,t,value,d1,d2,d3,d4
(p1..p4 the model's parameters in its order, d1..d4 the derivatives in their logarithms).
Run from the crate root: python3 scripts/prediction_gradients.py (a few minutes).
"""
import csv
import os
import random

from mpmath import mp, mpf

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "prediction_gradients.csv")


def fam_alive(extra):
    def f(r, alpha, a, b, x, tx, T, t):
        m = x + extra
        if m == 0:
            return mpf(1)
        return 1 / (1 + a / (b + m - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))
    return f


def fam_expected(extra):
    alive = fam_alive(extra)

    def f(r, alpha, a, b, x, tx, T, t):
        m = x + extra
        z = t / (alpha + T + t)
        g = (a + b + m - 1) / (a - 1) * (
            1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * mp.hyp2f1(r + x, b + m, a + b + m - 1, z))
        return alive(r, alpha, a, b, x, tx, T, t) * g
    return f


def pnbd_alive(r, alpha, s, beta, x, tx, T, t):
    if tx == T:
        return mpf(1)
    w = r + s + x
    if alpha >= beta:
        F = lambda u: mp.hyp2f1(w, s + 1, w + 1, (alpha - beta) / (alpha + u)) / (alpha + u) ** w
    else:
        F = lambda u: mp.hyp2f1(w, r + x, w + 1, (beta - alpha) / (beta + u)) / (beta + u) ** w
    a0 = F(tx) - F(T)
    return 1 / (1 + s / w * (alpha + T) ** (r + x) * (beta + T) ** s * a0)


def pnbd_expected(r, alpha, s, beta, x, tx, T, t):
    bt = beta + T
    h = (r + x) * bt / ((alpha + T) * (s - 1)) * (1 - (bt / (bt + t)) ** (s - 1))
    return pnbd_alive(r, alpha, s, beta, x, tx, T, t) * h


MODELS = {
    "bgnbd": ((0.243, 4.414, 0.793, 2.426), {"alive": fam_alive(0), "expected": fam_expected(0)}),
    "mbgnbd": ((0.5248, 6.1830, 0.8914, 1.6140),
               {"alive": fam_alive(1), "expected": fam_expected(1)}),
    "pnbd": ((0.5534, 10.5802, 0.6061, 11.6562),
             {"alive": pnbd_alive, "expected": pnbd_expected}),
}


def with_gradient(f, params, cust):
    """f and its derivatives in the logarithms of the four parameters, at mp.dps digits."""
    u = [mp.log(mpf(p)) for p in params]
    c = [mpf(v) for v in cust]

    def at(*v):
        return f(*[mp.exp(e) for e in v], *c)
    value = at(*u)
    grad = []
    for i in range(4):
        n = [0, 0, 0, 0]
        n[i] = 1
        grad.append(mp.diff(at, u, tuple(n)))
    return value, grad


def stable(f, params, cust):
    mp.dps = 50
    v, g = with_gradient(f, params, cust)
    mp.dps = 65
    w, h = with_gradient(f, params, cust)
    mp.dps = 50
    scale = max([abs(w)] + [abs(e) for e in h])
    if scale == 0:
        return v, g
    if max([abs(v - w)] + [abs(a - b) for a, b in zip(g, h)]) <= mpf("1e-20") * scale:
        return v, g
    return None


def main():
    rng = random.Random(12)
    rows = []
    for model, (cdnow, kinds) in MODELS.items():
        sets = [cdnow] + [tuple(10 ** rng.uniform(-3, 3) for _ in range(4)) for _ in range(40)]
        for params in sets:
            # a = 1 (BG/NBD family) and s = 1 (Pareto/NBD): removable singularities of the forms
            if abs(params[2] - 1) < 1e-2:
                continue
            custs = [(2.0, 30.43, 38.86, 39.0)]
            for _ in range(2):
                x = float(rng.choice([0, 1, 2, 7, 50]))
                T = 10 ** rng.uniform(0, 3)
                tx = 0.0 if x == 0 else rng.uniform(0, T)
                t = rng.choice([39.0, 10 ** rng.uniform(-1, 3)])
                custs.append((x, tx, T, t))
            for cust in custs:
                for kind, f in kinds.items():
                    got = stable(f, params, cust)
                    if got is None:
                        print("  skipped", model, kind, params, cust, flush=True)
                        continue
                    v, g = got
                    rows.append([model, kind, *params, *cust] +
                                [mp.nstr(e, 25) for e in [v] + g])
        print(model, len(rows), flush=True)
    with open(OUT, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "kind", "p1", "p2", "p3", "p4", "x", "t_x", "T", "t", "value",
                    "d1", "d2", "d3", "d4"])
        for row in rows:
            w.writerow([repr(e) if isinstance(e, float) else e for e in row])


if __name__ == "__main__":
    main()
