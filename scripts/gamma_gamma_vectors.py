"""Reference values for the Gamma-Gamma spend model, computed independently with mpmath.

Writes tests/data/gamma_gamma_vectors.csv with, for a few (p, q, gamma, x, m_x):
  * log_likelihood: ln f(m_x | p, q, gamma; x), the density of the mean of x Gamma(p, nu) values
    mixed over nu ~ Gamma(q, gamma), by numerical integration over nu (not the closed form);
  * expected_average_spend: E[M | x, m_x] = p E[1/nu | x, m_x], the posterior mean by numerical
    integration over nu (not the credibility formula);
and prints the total log-likelihood of the CDNOW repeat customers at a parameter point.

Run: python3 scripts/gamma_gamma_vectors.py
"""
import csv
import os

import mpmath as mp

mp.mp.dps = 40
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def density_of_mean_given_nu(m, x, p, nu):
    # mean of x iid Gamma(p, rate nu) values is Gamma(p x, rate nu x)
    k, rate = p * x, nu * x
    return mp.exp(k * mp.log(rate) + (k - 1) * mp.log(m) - rate * m - mp.loggamma(k))


def prior(nu, q, g):
    return mp.exp(q * mp.log(g) + (q - 1) * mp.log(nu) - g * nu - mp.loggamma(q))


def marginal(m, x, p, q, g):
    f = lambda nu: density_of_mean_given_nu(m, x, p, nu) * prior(nu, q, g)
    return mp.quad(f, [0, mp.mpf(1) / (m * x + g), 1, mp.inf])


def conditional_spend(m, x, p, q, g):
    f = lambda nu: density_of_mean_given_nu(m, x, p, nu) * prior(nu, q, g)
    num = mp.quad(lambda nu: p / nu * f(nu), [0, mp.mpf(1) / (m * x + g), 1, mp.inf])
    return num / marginal(m, x, p, q, g)


def closed_form_ll(m, x, p, q, g):
    px = p * x
    return (mp.loggamma(px + q) - mp.loggamma(px) - mp.loggamma(q) + q * mp.log(g)
            + (px - 1) * mp.log(m) + px * mp.log(x) - (px + q) * mp.log(g + m * x))


CASES = [
    # (p, q, gamma, x, m_x): CDNOW customers 1-4 with repeat purchases at the published MLE,
    # and a few off-optimum points.
    (6.25, 3.74, 15.44, 2, 22.35),
    (6.25, 3.74, 15.44, 1, 11.77),
    (6.25, 3.74, 15.44, 29, 27.86),
    (6.25, 3.74, 15.44, 6, 127.20),
    (0.8, 0.6, 3.0, 1, 5.0),
    (2.5, 1.5, 40.0, 12, 250.0),
    (15.0, 9.0, 2.0, 3, 0.75),
]

rows = []
for p, q, g, x, m in CASES:
    p, q, g, x, m = map(mp.mpf, (p, q, g, x, m))
    ll = mp.log(marginal(m, x, p, q, g))
    assert abs(ll - closed_form_ll(m, x, p, q, g)) < mp.mpf(10) ** -20
    e = conditional_spend(m, x, p, q, g)
    rows.append([mp.nstr(v, 20) for v in (p, q, g, x, m, ll, e)])

out = os.path.join(ROOT, "tests", "data", "gamma_gamma_vectors.csv")
with open(out, "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["p", "q", "gamma", "frequency", "monetary_value", "log_likelihood",
                "expected_average_spend"])
    w.writerows(rows)
print("wrote", out)

# Total log-likelihood of the CDNOW repeat customers (closed form; the per-row form was checked
# against the integral above).
with open(os.path.join(ROOT, "data", "cdnow_customers_summary_with_transactions.csv")) as fh:
    data = [(mp.mpf(r["x"]), mp.mpf(r["zbar"])) for r in csv.DictReader(fh) if float(r["x"]) > 0]
for params in [(6.248803, 3.744588, 15.447746), (6.25, 3.74, 15.44)]:
    p, q, g = map(mp.mpf, params)
    total = mp.fsum(closed_form_ll(m, x, p, q, g) for x, m in data)
    print(len(data), "customers; LL at", params, "=", mp.nstr(total, 15))
