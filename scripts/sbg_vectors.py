"""Reference values for the shifted-beta-geometric (sBG) model, computed with mpmath at 50 digits.

Writes tests/data/sbg_vectors.csv with one row per (alpha, beta, quantity, argument):

  kind,alpha,beta,t,k,value
  pmf      P(T = t)          = B(a+1, b+t-1) / B(a, b)
  survival S(t)              = B(a, b+t) / B(a, b)
  ln_survival ln S(t)        (for large t, where S(t) underflows nowhere but ln matters)
  cond     S(t+k) / S(t)
  del      DEL(d)            = sum_{t>=0} S(t) (1+d)^-t           (t column holds d)
  derl     DERL(d | n-1)     = sum_{t>=n} S(t)/S(n-1) (1+d)^-(t-n) (t column holds d, k holds n-1)

DEL and DERL are computed as explicit discounted sums (mpmath.nsum), independent of the 2F1
closed form used by the crate.  Also writes the sBG fits of Fader & Hardie's (2007) two segments
(maximised with mpmath's findroot on the score equations) as kind=mle rows.

Usage: python3 scripts/sbg_vectors.py > tests/data/sbg_vectors.csv
"""
import sys
import mpmath as mp

mp.mp.dps = 50


def lnB(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def ln_s(a, b, t):
    return lnB(a, b + t) - lnB(a, b)


def ln_pmf(a, b, t):
    return lnB(a + 1, b + t - 1) - lnB(a, b)


def derl_sum(a, b, d, n):
    # sum_{t>=n} S(t)/S(n-1) (1+d)^-(t-n), with S(t)/S(n-1) = prod_{j=n}^{t} (b+j-1)/(a+b+j-1)
    z = 1 / (1 + d)

    def term(k):
        t = n + k
        return mp.exp(ln_s(a, b, t) - ln_s(a, b, n - 1)) * z ** k

    return mp.nsum(term, [0, mp.inf])


def del_sum(a, b, d):
    z = 1 / (1 + d)
    return mp.nsum(lambda t: mp.exp(ln_s(a, b, t)) * z ** t, [0, mp.inf])


def ll(a, b, counts):
    n = len(counts) - 1
    total = mp.mpf(0)
    for t in range(1, n + 1):
        total += (counts[t - 1] - counts[t]) * ln_pmf(a, b, t)
    return total + counts[n] * ln_s(a, b, n)


def mle(counts, start):
    f = lambda a, b: ll(a, b, counts)
    grad = lambda a, b: [mp.diff(lambda x: f(x, b), a), mp.diff(lambda y: f(a, y), b)]
    a, b = mp.findroot(lambda a, b: grad(a, b), start)
    return a, b, f(a, b)


def main():
    out = sys.stdout
    out.write("kind,alpha,beta,t,k,value\n")
    params = [(0.704077, 1.182043), (0.668088, 3.806095), (0.05, 0.3), (2.5, 0.8),
              (12.0, 40.0), (1.0, 1.0), (300.0, 7.5)]
    ts = [1, 2, 3, 7, 12, 50, 1000, 10**6, 4294967295]
    for a, b in params:
        A, B = mp.mpf(a), mp.mpf(b)
        for t in ts:
            out.write(f"pmf,{a},{b},{t},0,{mp.nstr(mp.exp(ln_pmf(A, B, t)), 20)}\n")
            out.write(f"survival,{a},{b},{t},0,{mp.nstr(mp.exp(ln_s(A, B, t)), 20)}\n")
            out.write(f"ln_survival,{a},{b},{t},0,{mp.nstr(ln_s(A, B, t), 20)}\n")
        for t, k in [(0, 5), (7, 1), (7, 5), (100, 30), (10**6, 10**6)]:
            v = mp.exp(ln_s(A, B, t + k) - ln_s(A, B, t))
            out.write(f"cond,{a},{b},{t},{k},{mp.nstr(v, 20)}\n")
        for d in [0.1, 0.01, 0.5]:
            if a > 100:  # geometric in t quickly; fine either way, keep the file small
                pass
            out.write(f"del,{a},{b},{d},0,{mp.nstr(del_sum(A, B, mp.mpf(d)), 20)}\n")
            for n in [1, 2, 3, 4, 5, 6, 20]:
                v = derl_sum(A, B, mp.mpf(d), n)
                out.write(f"derl,{a},{b},{d},{n - 1},{mp.nstr(v, 20)}\n")
    regular = [1000, 631, 468, 382, 326, 289, 262, 241]
    high_end = [1000, 869, 743, 653, 593, 551, 517, 491]
    for name, counts, start in [("regular", regular, (0.7, 1.2)), ("high_end", high_end, (0.67, 3.8))]:
        a, b, v = mle(counts, start)
        out.write(f"mle_{name},{mp.nstr(a, 20)},{mp.nstr(b, 20)},0,0,{mp.nstr(v, 20)}\n")


if __name__ == "__main__":
    main()
