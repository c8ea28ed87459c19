"""Reference values quoted by the integration tests, recomputed independently of the crate.

Writes tests/data/reference_values.csv (`name,value`), one row per number, and prints the same
rows. Everything is computed from the data files shipped in data/, with mpmath at 30 digits:
scipy's Nelder-Mead only gives the start of Newton's method on the score equations (and the
Pareto/NBD maximum itself, whose LL the tests quote to 0.01):

  cdnow_*            the CDNOW transaction log (data/CDNOW_sample.txt) rebuilt as in Fader,
                     Hardie & Lee (2005, Marketing Science): same-day purchases merged, repeat
                     transactions are the purchase days after the first, time in weeks,
                     calibration ends 1997-09-30, holdout 1997-10-01 .. 1998-06-30. Counts of
                     repeat transactions and zero-repeaters, weekly cumulative repeat
                     transactions in tracking weeks (weeks since 1997-01-01).
  gg_*               Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary
                     value", eq. 1a: the density of the mean spend) on the CDNOW repeaters of
                     data/cdnow_customers_summary_with_transactions.csv: MLE, maximum LL,
                     standard errors from the observed information (inverse Hessian of the
                     total LL, numerical derivatives at 30 digits), E[M] = p gamma / (q - 1).
  sbg_*              shifted-beta-geometric (Fader & Hardie 2007, "How to project customer
                     retention") on the Regular and High End cohorts, years 0-7: standard
                     errors from the observed information at the MLE (the MLE as in
                     scripts/sbg_vectors.py).
  bgnbd_dert_*       BG/NBD discounted expected residual transactions at the published
                     parameters (0.243, 4.414, 0.793, 2.426), delta = 0.00288 per week:
                     DERT = delta * int_0^inf exp(-delta t) E[Y(t) | x, t_x, T] dt (integration
                     by parts of int exp(-delta t) dE[Y(t)]), with E[Y(t) | x, t_x, T] from
                     Fader, Hardie & Lee (2005, Marketing Science) eq. 10 -- independent of the
                     crate's one-dimensional representation.
  bgnbd_csv_*        BG/NBD (FHL 2005 eq. 6) on data/cdnow_customers_summary.csv (t_x and T
                     rounded to 2 decimals): MLE, maximum LL, observed-information standard
                     errors, and the gradient of the total LL at (0.5, 3, 1.2, 2.5).
  bgnbd_exact_*      BG/NBD on the exact-week rebuild: LL at the published parameters (FHL's
                     (0.243, 4.414, 0.793, 2.426) and the BTYD vignette's (0.2425982,
                     4.413684, 0.7929899, 2.426167)), MLE and maximum LL, and forecasts
                     of weeks 40-78 at the MLE: conditional sum_i E[Y(39) | x_i, t_x, T_i]
                     (eq. 10) and unconditional sum_i E[X(T_i + 39)] - E[X(T_i)] (eq. 9).
  pnbd_exact_*       Pareto/NBD (Schmittlein, Morrison & Colombo 1987; likelihood of Fader &
                     Hardie's note 009, all-positive form) on the exact-week rebuild: MLE,
                     maximum LL, and the conditional forecast sum_i E[Y(39) | x_i, t_x, T_i]
                     (note 009 eq. 41 times P(alive)).

The tests cite these rows by name. Each value agrees with the number the test quotes within
that test's tolerance.

Run: python3 scripts/reference_values.py   (about three minutes)
"""
import csv
import datetime
import os

import mpmath as mp
import numpy as np
from scipy import optimize, special

# The likelihoods of the other reference scripts (run from scripts/, so they import directly).
from bg_nbd_extreme_vectors import ll as bgnbd_ll_one
from sbg_vectors import ll as sbg_ll

mp.mp.dps = 30
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "tests", "data", "reference_values.csv")

ROWS = []


def emit(name, value):
    if isinstance(value, int):
        text = str(value)
    else:
        text = mp.nstr(mp.mpf(value), 12)
    ROWS.append((name, text))
    print(f"{name},{text}", flush=True)


# ---------------------------------------------------------------- generic ML helpers (mpmath)

def hessian(f, theta):
    """Hessian of f at theta by mpmath's high-precision numerical differentiation."""
    k = len(theta)
    h = mp.matrix(k, k)
    for i in range(k):
        for j in range(i, k):
            order = [0] * k
            order[i] += 1
            order[j] += 1
            h[i, j] = h[j, i] = mp.diff(lambda *t: f(t), theta, tuple(order))
    return h


def gradient(f, theta):
    k = len(theta)
    g = []
    for i in range(k):
        order = [0] * k
        order[i] = 1
        g.append(mp.diff(lambda *t: f(t), theta, tuple(order)))
    return mp.matrix(g)


def newton_polish(f, theta, steps=6):
    """Newton steps on the score equations from a nearby start; returns the MLE."""
    theta = mp.matrix([mp.mpf(v) for v in theta])
    for _ in range(steps):
        g = gradient(f, list(theta))
        step = mp.lu_solve(hessian(f, list(theta)), g)
        theta = theta - step
        if mp.norm(step) < mp.mpf(10) ** (-20):
            break
    return list(theta)


def standard_errors(f, theta):
    """Observed-information standard errors: sqrt(diag((-H)^-1)) of the total LL."""
    cov = mp.inverse(-hessian(f, theta))
    return [mp.sqrt(cov[i, i]) for i in range(len(theta))]


def scipy_start(f_float, x0):
    """Maximise a float LL in log-parameters with Nelder-Mead, a start for newton_polish."""
    res = optimize.minimize(lambda u: -f_float(np.exp(u)), np.log(x0), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000,
                                     "maxfev": 40000})
    return list(np.exp(res.x))


# ---------------------------------------------------------------- CDNOW rebuild

CAL_END = datetime.date(1997, 9, 30)
HOLDOUT_END = datetime.date(1998, 6, 30)
TRACK_START = datetime.date(1997, 1, 1)


def cdnow_log():
    rows = []
    with open(os.path.join(ROOT, "data", "CDNOW_sample.txt")) as fh:
        for line in fh:
            f = line.split()
            if f:
                d = datetime.datetime.strptime(f[2], "%Y%m%d").date()
                rows.append((f[0], d))
    return rows


def cdnow_rebuild():
    rows = cdnow_log()
    emit("cdnow_log_rows", len(rows))
    days = {}
    for cid, d in rows:
        days.setdefault(cid, set()).add(d)
    emit("cdnow_customers", len(days))
    customers = []  # (x, t_x, T) in exact weeks
    holdout = 0
    weekly = [0] * 78
    for cid in days:
        ds = sorted(days[cid])
        first = ds[0]
        repeats = ds[1:]
        cal = [d for d in repeats if d <= CAL_END]
        x = len(cal)
        t_x = (cal[-1] - first).days / 7 if cal else 0.0
        T = (CAL_END - first).days / 7
        customers.append((x, mp.mpf((cal[-1] - first).days) / 7 if cal else mp.mpf(0),
                          mp.mpf((CAL_END - first).days) / 7))
        holdout += sum(1 for d in repeats if CAL_END < d <= HOLDOUT_END)
        for d in repeats:
            if d <= HOLDOUT_END:
                weekly[(d - TRACK_START).days // 7] += 1
        assert t_x <= T
    emit("cdnow_calibration_repeat_total", sum(c[0] for c in customers))
    emit("cdnow_zero_repeaters", sum(1 for c in customers if c[0] == 0))
    emit("cdnow_holdout_repeat_total", holdout)
    cum = np.cumsum(weekly)
    for week in range(20, 26):
        emit(f"cdnow_cumulative_week_{week}", int(cum[week - 1]))
    emit("cdnow_cumulative_week_39", int(cum[38]))
    emit("cdnow_cumulative_week_78", int(cum[77]))
    return customers


def compress(rows):
    counts = {}
    for r in rows:
        counts[r] = counts.get(r, 0) + 1
    return [(k, w) for k, w in counts.items()]


# ---------------------------------------------------------------- Gamma-Gamma

def gamma_gamma():
    rows = []
    with open(os.path.join(ROOT, "data", "cdnow_customers_summary_with_transactions.csv")) as fh:
        for rec in csv.DictReader(fh):
            x = int(rec["x"])
            if x > 0:
                rows.append((x, mp.mpf(rec["zbar"])))
    data = compress(rows)

    def ll(th):
        p, q, g = th
        total = mp.mpf(0)
        for (x, m), w in data:
            px = p * x
            total += w * (mp.loggamma(px + q) - mp.loggamma(px) - mp.loggamma(q) + q * mp.log(g)
                          + (px - 1) * mp.log(m) + px * mp.log(x) - (px + q) * mp.log(g + m * x))
        return total

    xs = np.array([float(x) for (x, _), _ in data])
    ms = np.array([float(m) for (_, m), _ in data])
    ws = np.array([w for _, w in data], dtype=float)

    def ll_float(th):
        p, q, g = th
        px = p * xs
        return float(np.sum(ws * (special.gammaln(px + q) - special.gammaln(px)
                                  - special.gammaln(q) + q * np.log(g) + (px - 1) * np.log(ms)
                                  + px * np.log(xs) - (px + q) * np.log(g + ms * xs))))

    emit("gg_n_customers", int(ws.sum()))
    theta = newton_polish(ll, scipy_start(ll_float, [1.0, 1.0, 1.0]))
    for name, v in zip(["p", "q", "gamma"], theta):
        emit(f"gg_mle_{name}", v)
    emit("gg_max_ll", ll(theta))
    for name, v in zip(["p", "q", "gamma"], standard_errors(ll, theta)):
        emit(f"gg_se_{name}", v)
    p, q, g = theta
    emit("gg_mean_spend", p * g / (q - 1))


# ---------------------------------------------------------------- sBG

def sbg():
    segments = {
        "regular": [1000, 631, 468, 382, 326, 289, 262, 241],
        "high_end": [1000, 869, 743, 653, 593, 551, 517, 491],
    }
    for name, counts in segments.items():
        ll = lambda th, counts=counts: sbg_ll(th[0], th[1], counts)
        theta = newton_polish(ll, [0.7, 1.2] if name == "regular" else [0.67, 3.8])
        emit(f"sbg_{name}_mle_alpha", theta[0])
        emit(f"sbg_{name}_mle_beta", theta[1])
        emit(f"sbg_{name}_max_ll", ll(theta))
        se = standard_errors(ll, theta)
        emit(f"sbg_{name}_se_alpha", se[0])
        emit(f"sbg_{name}_se_beta", se[1])


# ---------------------------------------------------------------- BG/NBD

def bgnbd_ll(data):
    return lambda th: mp.fsum(w * bgnbd_ll_one(*th, x, tx, T) for (x, tx, T), w in data)


def bgnbd_ll_float(data):
    x = np.array([float(k[0]) for k, _ in data])
    tx = np.array([float(k[1]) for k, _ in data])
    T = np.array([float(k[2]) for k, _ in data])
    w = np.array([v for _, v in data], dtype=float)

    def f(th):
        r, al, a, b = th
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(al)
        a2 = special.betaln(a, b + x) - special.betaln(a, b)
        a3 = -(r + x) * np.log(al + T)
        a4 = np.where(x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1)
                      - (r + x) * np.log(al + tx), -np.inf)
        return float(np.sum(w * (a1 + a2 + np.logaddexp(a3, a4))))

    return f


def bgnbd_expected_x(th, t):
    """FHL (2005) eq. 9."""
    r, al, a, b = th
    return (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r
                                    * mp.hyp2f1(r, b, a + b - 1, t / (al + t)))


def bgnbd_conditional(th, t, x, tx, T):
    """FHL (2005) eq. 10."""
    r, al, a, b = th
    num = (a + b + x - 1) / (a - 1) * (
        1 - ((al + T) / (al + T + t)) ** (r + x)
        * mp.hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t)))
    den = 1 + (a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x) if x > 0 else 0)
    return num / den


def bgnbd_dert():
    th = [mp.mpf(v) for v in ("0.243", "4.414", "0.793", "2.426")]
    delta = mp.mpf("0.00288")
    for label, (x, tx, T) in [("x2", (2, "30.43", "38.86")), ("x0", (0, "0", "38.86")),
                              ("x10", (10, "35", "38.86"))]:
        tx, T = mp.mpf(tx), mp.mpf(T)
        f = lambda t: mp.exp(-delta * t) * bgnbd_conditional(th, t, x, tx, T)
        v = delta * mp.quad(f, [0, 10, 100, 1000, 10000, mp.inf])
        emit(f"bgnbd_dert_{label}", v)


def bgnbd_csv():
    rows = []
    with open(os.path.join(ROOT, "data", "cdnow_customers_summary.csv")) as fh:
        for rec in csv.DictReader(fh):
            rows.append((int(rec["frequency"]), mp.mpf(rec["recency"]), mp.mpf(rec["T"])))
    data = compress(rows)
    ll = bgnbd_ll(data)
    g = gradient(ll, [mp.mpf("0.5"), mp.mpf(3), mp.mpf("1.2"), mp.mpf("2.5")])
    for name, v in zip(["r", "alpha", "a", "b"], g):
        emit(f"bgnbd_csv_gradient_{name}", v)
    theta = newton_polish(ll, scipy_start(bgnbd_ll_float(data), [0.243, 4.414, 0.793, 2.426]))
    for name, v in zip(["r", "alpha", "a", "b"], theta):
        emit(f"bgnbd_csv_mle_{name}", v)
    emit("bgnbd_csv_max_ll", ll(theta))
    for name, v in zip(["r", "alpha", "a", "b"], standard_errors(ll, theta)):
        emit(f"bgnbd_csv_se_{name}", v)


def bgnbd_exact(customers):
    data = compress(customers)
    ll = bgnbd_ll(data)
    published = [mp.mpf(v) for v in ("0.243", "4.414", "0.793", "2.426")]
    emit("bgnbd_exact_ll_published", ll(published))
    btyd = [mp.mpf(v) for v in ("0.2425982", "4.413684", "0.7929899", "2.426167")]
    emit("bgnbd_exact_ll_btyd", ll(btyd))
    theta = newton_polish(ll, scipy_start(bgnbd_ll_float(data), [0.243, 4.414, 0.793, 2.426]))
    for name, v in zip(["r", "alpha", "a", "b"], theta):
        emit(f"bgnbd_exact_mle_{name}", v)
    emit("bgnbd_exact_max_ll", ll(theta))
    cond = mp.fsum(w * bgnbd_conditional(theta, 39, x, tx, T) for (x, tx, T), w in data)
    emit("bgnbd_exact_conditional_weeks_40_78", cond)
    ages = compress([T for _, _, T in customers])
    uncond = mp.fsum(w * (bgnbd_expected_x(theta, T + 39) - bgnbd_expected_x(theta, T))
                     for T, w in ages)
    emit("bgnbd_exact_unconditional_weeks_40_78", uncond)


# ---------------------------------------------------------------- Pareto/NBD

def pnbd_row(th, x, tx, T, hyp=mp.hyp2f1, log=mp.log, lgam=mp.loggamma, lae=None):
    """ln L, all-positive form (note 009 eqs. 22-23 rearranged), and ln of its first term."""
    r, al, s, be = th
    m, d, w = max(al, be), abs(al - be), r + s + x
    b1, b2 = (s + 1, s) if al >= be else (r + x, r + x + 1)
    head = lgam(r + x) - lgam(r) + r * log(al) + s * log(be)
    u1 = log(s) - log(w) + log(hyp(w, b1, w + 1, d / (m + tx)))
    u2 = (log(r + x) - log(w) + log(hyp(w, b2, w + 1, d / (m + T)))
          + w * (log(m + tx) - log(m + T)))
    hi = max(u1, u2)
    ln_l = head - w * log(m + tx) + hi + log(mp.exp(u1 - hi) + mp.exp(u2 - hi)) \
        if lae is None else head - w * log(m + tx) + lae(u1, u2)
    first = head - (r + x) * log(al + T) - s * log(be + T)
    return ln_l, first


def pnbd_exact(customers):
    data = compress(customers)
    xs = [(float(x), float(tx), float(T), w) for (x, tx, T), w in data]

    def ll_float(th):
        th = [float(v) for v in th]
        return sum(w * pnbd_row(th, x, tx, T, hyp=special.hyp2f1, log=np.log,
                                lgam=special.gammaln, lae=np.logaddexp)[0]
                   for x, tx, T, w in xs)

    ll = lambda th: mp.fsum(w * pnbd_row(th, x, tx, T)[0] for (x, tx, T), w in data)
    # Nelder-Mead only: Newton steps with 30-digit 2F1 over every pattern would take long, and
    # the tests quote the maximum LL to 0.01 and the forecast to units.
    theta = [mp.mpf(v) for v in scipy_start(ll_float, [0.553, 10.58, 0.606, 11.66])]
    for name, v in zip(["r", "alpha", "s", "beta"], theta):
        emit(f"pnbd_exact_mle_{name}", v)
    emit("pnbd_exact_max_ll", ll(theta))
    r, al, s, be = theta
    t = 39
    total = mp.mpf(0)
    for (x, tx, T), w in data:
        ln_l, first = pnbd_row(theta, x, tx, T)
        alive = mp.exp(first - ln_l)
        total += w * (r + x) * (be + T) / ((al + T) * (s - 1)) * (
            1 - ((be + T) / (be + T + t)) ** (s - 1)) * alive
    emit("pnbd_exact_conditional_weeks_40_78", total)


def main():
    customers = cdnow_rebuild()
    gamma_gamma()
    sbg()
    bgnbd_dert()
    bgnbd_csv()
    bgnbd_exact(customers)
    pnbd_exact(customers)
    with open(OUT, "w", newline="") as fh:
        fh.write("name,value\n")
        for name, value in ROWS:
            fh.write(f"{name},{value}\n")


if __name__ == "__main__":
    main()
