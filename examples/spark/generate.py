"""A synthetic transaction log in Parquet (`customer_id` string, `date` date, `amount` double),
drawn from BG/NBD-like behaviour in days: purchases at Poisson times until a dropout after each
purchase; whole-dollar amounts (sums are exact in any order).

    python examples/spark/generate.py OUT.parquet [CUSTOMERS] [SEED]
"""

import sys

import numpy as np

START = np.datetime64("1997-01-01")
DAYS = 546  # to 1998-06-30
CALIBRATION_END = "1997-09-30"


def generate(n_customers, seed=0):
    """The log as a dict of numpy columns: customer_id (str), day (int32 days since
    1970-01-01), amount (float64)."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 84, n_customers)
    rate = rng.gamma(0.55, 1.0 / 6.0, n_customers)  # purchases per day while alive
    dropout = rng.beta(0.8, 2.5, n_customers)
    window = DAYS - first
    potential = rng.poisson(rate * window)
    lifetime = rng.geometric(np.clip(dropout, 1e-9, 1.0))  # purchases before dropping out
    repeats = np.minimum(potential, lifetime)
    counts = repeats + 1
    cust = np.repeat(np.arange(n_customers), counts)
    offset = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # repeat purchases: uniform order statistics of the window, the first `repeats` of the
    # `potential` points (drawn as the `repeats` smallest of uniform draws, approximately)
    u = rng.random(len(cust))
    pos = np.arange(len(cust)) - offset[cust]
    day = first[cust] + np.where(pos == 0, 0, np.floor(u * window[cust])).astype(np.int64)
    epoch = (START - np.datetime64("1970-01-01")).astype(np.int64)
    amount = rng.integers(1, 120, len(cust)).astype(np.float64)
    ids = np.char.add("c", np.arange(n_customers).astype(str))
    return {"customer_id": ids[cust], "day": (day + epoch).astype(np.int32), "amount": amount}


def write(path, log):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "customer_id": pa.array(log["customer_id"]),
        "date": pa.array(log["day"], type=pa.int32()).cast(pa.date32()),
        "amount": pa.array(log["amount"]),
    })
    pq.write_table(table, path)
    return table.num_rows


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300_000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    print(write(sys.argv[1], generate(n, seed)), "transactions")
