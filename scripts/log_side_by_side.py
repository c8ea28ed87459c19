"""Transaction log -> per-customer summary, whole process: `clv summarize` against lifetimes'
`summary_data_from_transaction_data` (docs/PERFORMANCE.md, "Input side").

    python -m venv venv && venv/bin/pip install lifetimes==0.11.3
    cargo build --release -p clv-cli
    venv/bin/python scripts/log_side_by_side.py [--rounds 3] [--keep DIR] [N_TRANSACTIONS ...]

For each size (default 10,000,000 transactions) it writes a log of N transactions of N/10
customers, `customer_id,date,amount`: ids such as `c0001234` in a shuffled order, ISO dates
over two years in time order (customers interleaved, as an export by date gives them), a
tenth of the transactions on a day the customer already bought on, amounts with cents. Then it
runs each tool as its own process, alternating (so that both see the same load), and prints
the median wall time, CPU time and peak resident memory of each, and the ratio of the wall
times. Both summarise daily periods in days at the last date of the log; the summaries are
checked to agree (same customers, frequency, recency, T and monetary value to 1e-9).
"""

import argparse
import os
import statistics
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from side_by_side import run  # noqa: E402 (wall, CPU and peak memory of a process)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LIFETIMES = r"""
import sys
import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
d = pd.read_csv(sys.argv[1])
s = summary_data_from_transaction_data(d, "customer_id", "date", monetary_value_col="amount",
                                       observation_period_end=d["date"].max(), freq="D")
s.to_csv(sys.argv[2])
"""


def write_log(path, n, seed=1):
    """A log of `n` transactions of `n // 10` customers (see the module docs)."""
    rng = np.random.default_rng(seed)
    n_cust = max(n // 10, 1)
    start = np.datetime64("2023-01-01")
    first = rng.integers(0, 640, n_cust)
    # every customer buys at least once (on its first day); the others are spread over the
    # days after it, a tenth of them again on a day already bought on
    cust = np.concatenate([np.arange(n_cust), rng.integers(0, n_cust, n - n_cust)])
    offset = np.zeros(n, dtype=np.int64)
    rest = slice(n_cust, n)
    offset[rest] = rng.integers(0, 90, n - n_cust)
    offset[rest] = np.where(rng.random(n - n_cust) < 0.1, 0, offset[rest])
    day = np.minimum(first[cust] + offset, 729)
    order = np.argsort(day, kind="stable")
    cust, day = cust[order], day[order]
    names = rng.permutation(n_cust) + 1
    cents = rng.integers(100, 20_000, n)
    dates = (start + day.astype("timedelta64[D]")).astype(str)
    with open(path, "w") as f:
        f.write("customer_id,date,amount\n")
        step = 1_000_000
        for lo in range(0, n, step):
            hi = min(lo + step, n)
            rows = [
                f"c{names[c]:07d},{d},{a // 100}.{a % 100:02d}\n"
                for c, d, a in zip(cust[lo:hi], dates[lo:hi], cents[lo:hi])
            ]
            f.write("".join(rows))


def check(clv_csv, lifetimes_csv):
    """The two summaries agree."""
    import pandas as pd

    a = pd.read_csv(clv_csv, dtype={"customer_id": str}).set_index("customer_id").sort_index()
    b = pd.read_csv(lifetimes_csv, dtype={"customer_id": str}).set_index("customer_id").sort_index()
    assert list(a.index) == list(b.index), "different customers"
    for col in ["frequency", "recency", "T", "monetary_value"]:
        assert np.allclose(a[col], b[col], rtol=1e-9, atol=1e-9), col


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[10_000_000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", help="directory to keep (and reuse) the generated logs in")
    ap.add_argument("--clv", default=os.path.join(ROOT, "target", "release", "clv"))
    ap.add_argument("--no-lifetimes", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = args.keep or tmp
        for n in args.sizes:
            path = os.path.join(d, f"log_{n}.csv")
            if not os.path.exists(path):
                write_log(path, n)
            out = {"clv": os.path.join(tmp, "clv.csv"), "lifetimes": os.path.join(tmp, "lt.csv")}
            cmds = {
                "clv": [args.clv, "summarize", "--transactions", path, "--time-unit", "day",
                        "--quiet", "--output", out["clv"]],
                "lifetimes": [sys.executable, "-c", LIFETIMES, path, out["lifetimes"]],
            }
            if args.no_lifetimes:
                del cmds["lifetimes"]
            times = {k: [] for k in cmds}
            for _ in range(args.rounds):
                for k, cmd in cmds.items():
                    times[k].append(run(cmd))
            if not args.no_lifetimes:
                check(out["clv"], out["lifetimes"])
            med = {k: [statistics.median(r[j] for r in v) for j in range(3)]
                   for k, v in times.items()}
            line = f"n={n} ({os.path.getsize(path) / 1e6:.0f} MB):"
            for k, (w, c, m) in med.items():
                line += f" {k} {w:.2f} s wall, {c:.2f} s CPU, {m:.0f} MiB;"
            if "lifetimes" in med:
                line += f" lifetimes/clv {med['lifetimes'][0] / med['clv'][0]:.1f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
