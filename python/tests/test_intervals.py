"""Predictive intervals, predictive totals and customer-value intervals: the per-customer
counts equal those of the Rust command line `examples/fit --intervals` (its holdout range adds
parameter uncertainty to the predictive total, so it contains ours)."""

import json

import numpy as np
import pandas as pd
import pytest

import clv
from conftest import data_path
from test_rust_equal import cdnow_csv_log, read, same


@pytest.mark.parametrize("flag,model", [("bgnbd", clv.BgNbd), ("pnbd", clv.ParetoNbd)])
def test_predictive_intervals_equal_rust(rust_fit, tmp_path, flag, model):
    path = data_path("cdnow_customers_summary.csv")
    out = tmp_path / "pred.csv"
    rust_fit("--model", flag, "--input", path, "--horizon", "39", "--intervals", "0.9",
             "--predictions", str(out))
    df = pd.read_csv(path)
    f = model.fit(df)
    lo, hi = f.predictive_interval(df, 39, 0.9)
    rust = read(out)
    same(lo, rust.transactions_lower)
    same(hi, rust.transactions_upper)
    iv = f.predictive_intervals(df.set_index("ID"), 39, 0.9, customer_id="ID")
    assert list(iv.index) == list(df.ID) and list(iv.columns) == ["lower", "upper"]
    same(iv.lower, lo)


def test_predictive_total_within_rust_holdout_range(rust_fit, tmp_path):
    log, path = cdnow_csv_log(tmp_path)
    js = json.loads(rust_fit(
        "--model", "bgnbd", "--transactions", str(path), "--calibration-end", "1997-09-30",
        "--holdout-end", "1998-06-30", "--time-unit", "week", "--intervals", "0.9",
    ))
    split = clv.calibration_holdout(log, amount="amount", calibration_end="1997-09-30",
                                    holdout_end="1998-06-30", freq="D", unit="W")
    f = clv.BgNbd.fit(split)
    total = f.predictive_total(split, split.duration_holdout.iloc[0], 0.9)
    # the command line widens the outcome's range by the parameter uncertainty of the total
    assert js["holdout"]["actual_range_lower"] <= total["lower"]
    assert total["upper"] <= js["holdout"]["actual_range_upper"]
    expected = f.conditional_expected_transactions(split, split.duration_holdout.iloc[0]).sum()
    assert abs(total["mean"] - expected) < 1e-9 * expected


def test_bgbb_predictive_interval_and_total(rust_fit, tmp_path):
    path = data_path("donations.csv")
    out = tmp_path / "pred.csv"
    rust_fit("--model", "bgbb", "--input", path, "--horizon", "5", "--intervals", "0.9",
             "--predictions", str(out))
    don = pd.read_csv(path)
    b = clv.BgBb.fit(don, weights="weights")
    lo, hi = b.predictive_interval(don, 5, 0.9)
    rust = read(out)
    same(lo, rust.transactions_lower)
    same(hi, rust.transactions_upper)
    e = b.conditional_expected_transactions(don, 5)
    total = b.predictive_total(don, 5, 0.9, weights="weights")
    assert abs(total["mean"] - float(np.sum(e * don.weights))) < 1e-9 * total["mean"]
    assert total["lower"] < total["mean"] < total["upper"]


def test_customer_value_intervals():
    log = clv.read_cdnow(data_path("CDNOW_sample.txt"))
    cal = clv.summarize(log, amount="amount", calibration_end="1997-09-30", freq="D", unit="W")
    f = clv.BgNbd.fit(cal)
    g = clv.GammaGamma.fit(cal[cal.frequency > 0])
    kw = dict(margin=0.3, discount_rate=0.1, period=52.0, periods=None, horizon=52.0)
    iv = f.customer_value_intervals(g, cal, level=0.9, **kw)
    assert iv.index.name == "customer_id" and list(iv.columns) == ["estimate", "lower", "upper"]
    same(iv.estimate, f.customer_value(g, cal, **kw))
    assert np.all(iv.lower <= iv.estimate) and np.all(iv.estimate <= iv.upper)
    draws = f.customer_value_intervals(g, cal.head(50), level=0.9, draws=200, seed=7, **kw)
    again = f.customer_value_intervals(g, cal.head(50), level=0.9, draws=200, seed=7, **kw)
    same(draws.lower, again.lower)
