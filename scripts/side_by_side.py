"""BG/NBD (or Pareto/NBD) fit + P(alive) + E[Y(39)] written to CSV, whole process: clv's
`examples/fit` against lifetimes (docs/PERFORMANCE.md).

    python -m venv venv && venv/bin/pip install lifetimes
    cargo build --release --example fit
    venv/bin/python scripts/side_by_side.py [--model bgnbd|pnbd] [--fit-only] [--rounds K] [N ...]

For each N (default 10,000, 100,000 and 1,000,000) it simulates BG/NBD customers whose ages
(1..546 days) and purchase times are whole days, in weeks, as a transaction log gives them
(r, alpha, a, b = 0.243, 4.414, 0.793, 2.426), writes `frequency,recency,T`, then runs each
tool as its own process, alternating (so that both see the same load), three rounds, and
prints the median wall time, CPU time and peak memory of each and the ratio of the wall times.
`--model pnbd` fits the Pareto/NBD on the same customers (lifetimes' `ParetoNBDFitter`, its
default Nelder-Mead); `--fit-only` reads the CSV and fits, without predictions or output;
`--rounds K` sets the number of alternating rounds (default 3).
`CLV_FIT=PATH` runs another build of the fit example (or `clv fit`: `CLV_FIT="target/release/clv
fit"`), e.g. an earlier commit's, for a before/after table.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LIFETIMES = r"""
import sys
import pandas as pd
from lifetimes import BetaGeoFitter, ParetoNBDFitter
d = pd.read_csv(sys.argv[1])
fitter = ParetoNBDFitter if sys.argv[3] == "pnbd" else BetaGeoFitter
f = fitter().fit(d["frequency"], d["recency"], d["T"])
if sys.argv[4] == "fit":
    print(-f._negative_log_likelihood_ * len(d))
    sys.exit(0)
d["probability_alive"] = f.conditional_probability_alive(d["frequency"], d["recency"], d["T"])
d["expected_transactions"] = f.conditional_expected_number_of_purchases_up_to_time(
    39, d["frequency"], d["recency"], d["T"])
d.to_csv(sys.argv[2], index=False)
print(-f._negative_log_likelihood_ * len(d))
"""


def customers(n, seed=1):
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    days = rng.integers(1, 547, n).astype(np.float64)
    T = days / 7.0
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    x, t_x, t = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        idx = np.nonzero(alive)[0]
        t[idx] += rng.exponential(1.0 / lam[idx])
        ok = t[idx] <= T[idx]
        alive[idx[~ok]] = False
        go = idx[ok]
        x[go] += 1
        t_x[go] = t[go]
        alive[go[rng.random(go.size) < p[go]]] = False
    t_x_days = np.where(x > 0, np.minimum(np.ceil(t_x * 7.0), days), 0.0)
    return x, t_x_days / 7.0, T


def run(cmd):
    """Wall seconds, CPU seconds and peak resident memory (MiB) of a process. The memory is the
    one GNU time reports (`/usr/bin/time -f %M`): a child's own `ru_maxrss` starts from its
    parent's at the fork, this script's included."""
    timed = os.path.exists("/usr/bin/time")
    full = ["/usr/bin/time", "-f", "maxrss %M"] + cmd if timed else cmd
    start = time.perf_counter()
    p = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    err = p.stderr.read().decode()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[0]} failed: {err}")
    rss = usage.ru_maxrss / 1024
    lines = [l for l in err.splitlines() if l.startswith("maxrss ")]
    if timed and lines:
        rss = int(lines[-1].split()[1]) / 1024
    return wall, usage.ru_utime + usage.ru_stime, rss


def main(sizes, model="bgnbd", fit_only=False, rounds=3):
    fit = os.environ.get("CLV_FIT", os.path.join(ROOT, "target", "release", "examples", "fit"))
    fit = fit.split()
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            x, t_x, T = customers(n)
            path = os.path.join(d, f"rfm_{n}.csv")
            with open(path, "w") as f:
                f.write("frequency,recency,T\n")
                for row in zip(x, t_x, T):
                    f.write("%r,%r,%r\n" % tuple(float(v) for v in row))
            times = {"clv": [], "lifetimes": []}
            task = ["--horizon", "39", "--predictions", os.path.join(d, "clv.csv")]
            for _ in range(rounds):
                times["clv"].append(run([*fit, "--model", model, "--input", path,
                                         *([] if fit_only else task)]))
                times["lifetimes"].append(run([sys.executable, "-c", LIFETIMES, path,
                                               os.path.join(d, "lifetimes.csv"), model,
                                               "fit" if fit_only else "predict"]))
            med = {k: [statistics.median(r[j] for r in v) for j in range(3)]
                   for k, v in times.items()}
            line = f"{model}{' fit' if fit_only else ''} n={n}:"
            for k, (w, c, m) in med.items():
                line += f" {k} {w:.3f} s wall, {c:.2f} s CPU, {m:.0f} MiB;"
            print(line + f" lifetimes/clv {med['lifetimes'][0] / med['clv'][0]:.1f}", flush=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["bgnbd", "pnbd"], default="bgnbd")
    parser.add_argument("--fit-only", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("sizes", nargs="*", type=int)
    a = parser.parse_args()
    main(a.sizes or [10_000, 100_000, 1_000_000], a.model, a.fit_only, a.rounds)
