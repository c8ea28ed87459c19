"""Python vs Rust time of a BG/NBD fit and batch predictions on 1,000,000 simulated customers.

    python python/benches/timing.py [N]

Writes the columns for the Rust program (`python/examples/timing.rs`), runs both (best of 3
each), checks they agree to the last bit and prints the times.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import clv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def customers(n):
    """Simulated BG/NBD customers with ages and purchase times in whole days (as a log gives
    them), measured in weeks."""
    truth = clv.BgNbd.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    days = np.random.default_rng(1).integers(1, 547, n).astype(np.float64)
    sim = truth.simulate(days / 7.0, seed=2)
    x = sim["frequency"].to_numpy()
    t_x_days = np.where(x > 0, np.minimum(np.ceil(sim["recency"].to_numpy() * 7.0), days), 0.0)
    return {"frequency": x, "recency": t_x_days / 7.0, "T": days / 7.0}


def rust(d):
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "-p", "clv-python", "--example", "timing", "--", d, "1"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    r["p"] = np.fromfile(os.path.join(d, "p_alive.f64"), dtype="<f8")
    r["y"] = np.fromfile(os.path.join(d, "expected.f64"), dtype="<f8")
    return r


def python(cols):
    start = time.perf_counter()
    f = clv.BgNbd.fit(cols)
    mid = time.perf_counter()
    p = f.probability_alive(cols)
    y = f.conditional_expected_transactions(cols, 39)
    end = time.perf_counter()
    return {"fit_s": mid - start, "predict_s": end - mid, "log_likelihood": f.log_likelihood,
            "n_distinct": f.n_distinct, "p": p, "y": y}


def main(n, rounds=3):
    cols = {k: np.ascontiguousarray(v) for k, v in customers(n).items()}
    best = {"python": None, "rust": None}
    with tempfile.TemporaryDirectory() as d:
        for name, key in (("x", "frequency"), ("t_x", "recency"), ("T", "T")):
            cols[key].astype("<f8").tofile(os.path.join(d, name + ".f64"))
        for _ in range(rounds):  # interleaved, so that both see the same load
            for side, run in (("rust", lambda: rust(d)), ("python", lambda: python(cols))):
                r = run()
                total = r["fit_s"] + r["predict_s"]
                if best[side] is None or total < best[side]["fit_s"] + best[side]["predict_s"]:
                    best[side] = r
    py, rs = best["python"], best["rust"]
    assert py["log_likelihood"] == rs["log_likelihood"]
    assert np.array_equal(py["p"].view(np.int64), rs["p"].view(np.int64))
    assert np.array_equal(py["y"].view(np.int64), rs["y"].view(np.int64))
    summary = {"customers": n, "distinct_rows": py["n_distinct"]}
    for side, r in (("python", py), ("rust", rs)):
        summary[side] = {"fit_s": round(r["fit_s"], 4), "predict_s": round(r["predict_s"], 4),
                         "total_s": round(r["fit_s"] + r["predict_s"], 4)}
    summary["python_over_rust"] = round(summary["python"]["total_s"] / summary["rust"]["total_s"], 4)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
