"""The Spark job on `local[2]` over a generated log of more than 1,000,000 transactions equals
the single-machine path (clv.summarize, fit on every customer, predict) exactly: parameters,
log-likelihoods and every customer's P(alive), expected transactions and expected spend, to the
last bit (and CLV to 1e-12, see below)."""

import json
import os
import sys

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import clv  # noqa: E402
import clv_spark  # noqa: E402
import generate  # noqa: E402

CUSTOMERS = int(os.environ.get("CLV_SPARK_CUSTOMERS", "150000"))


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (
        pyspark.sql.SparkSession.builder.master("local[2]")
        .appName("clv-test")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "2g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


def same(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    bad = np.flatnonzero(a.view(np.int64) != b.view(np.int64))
    assert bad.size == 0, (bad[:5], a[bad[:5]], b[bad[:5]])


def test_spark_equals_single_machine(spark, tmp_path):
    path = str(tmp_path / "log.parquet")
    n_rows = generate.write(path, generate.generate(CUSTOMERS, seed=3))
    assert n_rows >= 1_000_000

    (bgnbd, gg), scored, sizes = clv_spark.run(spark, path, generate.CALIBRATION_END)

    # the single-machine path: the same Parquet, the Rust summary, fits on every customer
    log = pd.read_parquet(path)
    summary = clv.summarize(log, amount="amount", calibration_end=generate.CALIBRATION_END,
                            freq="D", unit="W")
    f = clv.BgNbd.fit(summary)
    g = clv.GammaGamma.fit(summary)
    assert sizes["customers"] == len(summary)
    assert f.converged and g.converged
    assert bgnbd.params == f.params and bgnbd.log_likelihood == f.log_likelihood
    assert bgnbd.std_errors == f.std_errors and bgnbd.n_distinct == f.n_distinct
    assert gg.params == g.params and gg.log_likelihood == g.log_likelihood

    scored = scored.set_index("customer_id").loc[summary.index]
    same(scored.probability_alive, f.probability_alive(summary))
    same(scored.expected_transactions,
         f.conditional_expected_transactions(summary, clv_spark.HORIZON))
    same(scored.expected_spend, g.expected_average_spend(summary))
    # CLV: the Rust batch DERT of BG/NBD interpolates the value given alive over the ages of
    # the customers sharing a frequency in the batch (piecewise Chebyshev, ~1e-13 relative), so
    # a customer's value depends on the other rows of its batch (a Spark partition) at that level
    value = f.customer_value(g, summary, margin=clv_spark.MARGIN,
                             discount_rate=clv_spark.DISCOUNT_RATE, period=clv_spark.PERIOD)
    np.testing.assert_allclose(scored.clv.to_numpy(), value, rtol=1e-12, atol=0)
    sizes["transactions"] = n_rows
    print("\nspark sizes:", json.dumps(sizes))
