"""Reference Hessians of the BG/NBD and MBG/NBD total log-likelihoods (tests/hessian.rs).

    python scripts/hessian_reference.py

The log-likelihood of Fader, Hardie & Lee (2005) for the BG/NBD, and that of Batislam, Denizel
& Filiztekin (2007) for the MBG/NBD (dropout also at time 0: n = x + 1 chances), summed over a
few customers (x, t_x, T) and differentiated twice by mpmath at 40 digits.
"""

import mpmath as mp

mp.mp.dps = 40

CUSTOMERS = [(0, 0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (7, 29.43, 32.71)]


def loglik(r, alpha, a, b, mbg):
    total = mp.mpf(0)
    for x, t_x, t in CUSTOMERS:
        x, t_x, t = mp.mpf(x), mp.mpf(t_x), mp.mpf(t)
        n = x + 1 if mbg else x
        total += (mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha)
                  - (r + x) * mp.log(alpha + t)
                  + mp.log(mp.beta(a, b + n)) - mp.log(mp.beta(a, b)))
        if n > 0:
            total += mp.log(1 + a / (b + n - 1) * ((alpha + t) / (alpha + t_x)) ** (r + x))
    return total


def hessian(theta, mbg):
    theta = [mp.mpf(v) for v in theta]
    rows = []
    for i in range(4):
        row = []
        for j in range(4):
            order = [0] * 4
            order[i] += 1
            order[j] += 1
            row.append(mp.diff(lambda *p: loglik(*p, mbg), theta, tuple(order)))
        rows.append(row)
    return rows


for name, theta, mbg in [("BG/NBD", (0.243, 4.414, 0.793, 2.426), False),
                         ("MBG/NBD", (0.525, 6.183, 0.891, 1.614), True)]:
    print(name, theta)
    for row in hessian(theta, mbg):
        print("    [" + ", ".join(mp.nstr(v, 17) for v in row) + "],")
