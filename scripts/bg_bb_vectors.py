"""Reference values of the BG/BB model (Fader, Hardie & Shang 2010, Marketing Science 29(6)).

Writes tests/data/bg_bb_vectors.csv, one row per quantity:

  kind,alpha,beta,gamma,delta,x,t_x,n,arg,value
  ll        ln L(x, t_x, n)                                       (FHS eq. 5)
  dll_a..d  d ln L / d alpha, beta, gamma, delta                   (analytic, digamma)
  gscale    max_k sum_j pi_j |theta_k d c_j / d theta_k|: the size of the terms the gradient in
            the log-parameters sums (c_j the log of likelihood term j, pi_j its share of L)
  palive    P(alive at opportunity n + arg | x, t_x, n)            (arg = 0, 1)
  cond      E[Y(arg) | x, t_x, n], the next arg opportunities      (FHS eq. 13)
  dert      DERT(d = arg | x, t_x, n)                              (FHS eq. 14, 2F1 closed form)
  ex        E[X(n)] of a new customer                              (FHS eq. 7)
  pmf       P(X(n) = x) of a new customer                          (FHS eq. 6)

The likelihood is summed term by term (one term per dropout time) with Beta-function ratios
written as rising factorials, B(a+u, b+v)/B(a, b) = (a)_u (b)_v / (a+b)_(u+v); E[X(n)] and
E[Y] from the paper's Gamma-function closed forms; DERT from its 2F1 closed form, the 2F1
series summed term by term with a rigorous tail bound. Every value is
computed at 40 and at 60 significant digits and written only if the two agree to 1e-25 relative
(values below 1e-280 in magnitude are left out).

Parameters: the donations MLE, gamma = 1 and gamma = 1 +- 1e-8 (where the closed forms divide by
gamma - 1), corners in 1e-3..1e6 and log-uniform draws (fixed seed); n from 1 to 1,000.

Usage: python3 scripts/bg_bb_vectors.py > tests/data/bg_bb_vectors.csv
"""
import random

import mpmath as mp


def ratio(a, b, u, v):
    return mp.rf(a, u) * mp.rf(b, v) / mp.rf(a + b, u + v)


def dratio(a, b, u, v):
    """Gradient of ln[(a)_u (b)_v / (a+b)_(u+v)] in (a, b)."""
    s = mp.psi(0, a + b) - mp.psi(0, a + b + u + v)
    return (mp.psi(0, a + u) - mp.psi(0, a) + s, mp.psi(0, b + v) - mp.psi(0, b) + s)


def terms(p, x, tx, n):
    a, b, g, d = p
    out = [(x, n - x, 0, n)]
    for i in range(n - tx):
        out.append((x, tx - x + i, 1, tx + i))
    return out


def survivals(g, d, m):
    """E[(1-theta)^1 + ... + (1-theta)^m] for theta ~ Beta(g, d): the paper's closed form
    d/(g-1) [1 - Gamma(g+d) Gamma(1+d+m) / (Gamma(1+d) Gamma(g+d+m))], summed term by term at
    g = 1."""
    if g == 1:
        return mp.fsum(mp.rf(d, s) / mp.rf(g + d, s) for s in range(1, m + 1))
    return d / (g - 1) * (1 - mp.gamma(g + d) / mp.gamma(1 + d)
                          * mp.gamma(1 + d + m) / mp.gamma(g + d + m))


def hyp2f1_1(b, c, z):
    """2F1(1, b; c; z) = sum_k z^k (b)_k / (c)_k for 0 < z < 1 and c > b > 0, summed term by
    term: the terms are positive and fall at least like z^k, so the tail after term t_k is below
    t_k z / (1 - z). (mpmath's hyp2f1 does not converge for some of these arguments.)"""
    total, term, k = mp.mpf(1), mp.mpf(1), 0
    eps = mp.mpf(10) ** (-mp.mp.dps - 5)
    while True:
        term *= z * (b + k) / (c + k)
        total += term
        k += 1
        if term * z / (1 - z) < eps * total:
            return total


def likelihood(p, x, tx, n):
    a, b, g, d = p
    vals = [ratio(a, b, u, v) * ratio(g, d, e, m) for (u, v, e, m) in terms(p, x, tx, n)]
    return vals


def quantities(p, hist, news):
    a, b, g, d = [mp.mpf(v) for v in p]
    pp = (a, b, g, d)
    out = []
    for (x, tx, n) in hist:
        vals = likelihood(pp, x, tx, n)
        L = mp.fsum(vals)
        out.append(("ll", x, tx, n, 0, mp.log(L)))
        grads = [mp.mpf(0)] * 4
        mags = [mp.mpf(0)] * 4
        for w, (u, v, e, m) in zip(vals, terms(pp, x, tx, n)):
            ga, gb = dratio(a, b, u, v)
            gg, gd = dratio(g, d, e, m)
            for k, gv in enumerate((ga, gb, gg, gd)):
                grads[k] += w / L * gv
                mags[k] += w / L * abs(pp[k] * gv)
        for k, name in enumerate(("dll_a", "dll_b", "dll_g", "dll_d")):
            out.append((name, x, tx, n, 0, grads[k]))
        out.append(("gscale", x, tx, n, 0, max(mags)))
        for m in (0, 1):
            out.append(("palive", x, tx, n, m, ratio(a, b, x, n - x) * ratio(g, d, 0, n + m) / L))
        for ns in (1, 10, 100):
            # FHS eq. 13 = P(alive at n) (a+x)/(a+b+n) S(n*; g, d+n)
            v = (ratio(a, b, x + 1, n - x) * ratio(g, d, 0, n) * survivals(g, d + n, ns) / L)
            out.append(("cond", x, tx, n, ns, v))
        for dd in ("0.1", "0.01"):
            dd = mp.mpf(dd)
            v = (ratio(a, b, x + 1, n - x) * ratio(g, d, 0, n + 1) / (1 + dd)
                 * hyp2f1_1(d + n + 1, g + d + n + 1, 1 / (1 + dd)) / L)
            out.append(("dert", x, tx, n, dd, v))
    for n in news:
        v = a / (a + b) * survivals(g, d, n)
        out.append(("ex", 0, 0, n, 0, v))
        for x in sorted({0, 1, n // 2, n}):
            s = mp.binomial(n, x) * ratio(a, b, x, n - x) * ratio(g, d, 0, n)
            for i in range(x, n):
                s += mp.binomial(i, x) * ratio(a, b, x, i - x) * ratio(g, d, 1, i)
            out.append(("pmf", x, 0, n, 0, s))
    return out


def histories(n):
    h = {(0, 0, n), (1, 1, n), (n, n, n), (1, n, n)}
    if n >= 3:
        h |= {(n // 3, n // 2, n), (n // 2, n - 1, n)}
    return sorted(h)


def main():
    rng = random.Random(20101106)
    params = [
        (1.203522, 0.749716, 0.656718, 2.783442),
        (1.0, 1.0, 1.0, 1.0),
        (1.2, 0.75, 1.0 + 1e-8, 2.8),
        (1.2, 0.75, 1.0 - 1e-8, 2.8),
        (1e-3, 1e-3, 1e-3, 1e-3),
        (1e3, 1e3, 1e3, 1e3),
        (1e-3, 1e3, 1e3, 1e-3),
        (1e3, 1e-3, 1e-3, 1e3),
        (1e6, 2e6, 3e-2, 1e5),
        (0.5, 5.0, 1.5, 0.2),
    ]
    for _ in range(6):
        params.append(tuple(float("%.6g" % 10 ** rng.uniform(-3, 6)) for _ in range(4)))
    ns = [1, 6, 30, 200, 1000]
    print("kind,alpha,beta,gamma,delta,x,t_x,n,arg,value")
    for p in params:
        hist = [h for n in ns for h in histories(n)]
        mp.mp.dps = 40
        lo = quantities(p, hist, ns)
        mp.mp.dps = 60
        hi = quantities(p, hist, ns)
        for r_lo, r_hi in zip(lo, hi):
            kind, x, tx, n, arg, v = r_hi
            if v == 0 or abs(v) < mp.mpf("1e-280"):
                continue
            if abs(r_lo[5] - v) > mp.mpf("1e-25") * abs(v):
                continue
            print("%s,%r,%r,%r,%r,%d,%d,%d,%s,%s" % (
                kind, p[0], p[1], p[2], p[3], x, tx, n, mp.nstr(mp.mpf(arg), 17),
                mp.nstr(v, 20)))


if __name__ == "__main__":
    main()
