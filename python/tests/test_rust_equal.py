"""Python results equal those of the Rust API to the last bit: the Rust side is the contract
command line `examples/fit` (JSON with shortest round-trip floats, predictions CSV with `{:?}`)."""

import io
import json

import numpy as np
import pandas as pd
import pytest

import clv
from conftest import data_path


def same(a, b):
    """Bitwise equality of two float arrays (NaN nowhere)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    assert np.array_equal(a.view(np.int64), b.view(np.int64)), np.flatnonzero(a != b)[:10]


def read(path):
    """A CSV written by the Rust command line, numbers parsed exactly (Python's float)."""
    df = pd.read_csv(path, dtype=str)
    for c in df.columns:
        if c not in ("customer_id", "cohort"):
            df[c] = np.array([float(v) for v in df[c]])
    return df


def check_fit(py, js):
    assert py.params == js["params"]
    assert py.log_likelihood == js["log_likelihood"]
    assert py.std_errors == js["std_errors"]
    assert py.converged == js["converged"] and py.status == js["status"]
    assert py.n_customers == js["n_customers"] and py.n_distinct == js["n_distinct"]


@pytest.mark.parametrize(
    "flag,model", [("bgnbd", clv.BgNbd), ("mbgnbd", clv.MbgNbd), ("pnbd", clv.ParetoNbd)]
)
def test_summary_fit_and_predictions(rust_fit, tmp_path, flag, model):
    path = data_path("cdnow_customers_summary.csv")
    out = tmp_path / "pred.csv"
    js = json.loads(rust_fit("--model", flag, "--input", path, "--horizon", "39",
                             "--predictions", str(out)))
    df = pd.read_csv(path)
    f = model.fit(df)
    check_fit(f, js)
    rust = read(out)
    same(f.probability_alive(df), rust.probability_alive)
    same(f.conditional_expected_transactions(df, 39), rust.expected_transactions)
    # the saved fit, read back by the Rust command line, predicts the same
    saved = tmp_path / "fit.json"
    f.save(saved)
    out2 = tmp_path / "pred2.csv"
    rust_fit("--model", flag, "--input", path, "--params", str(saved), "--predictions", str(out2))
    same(read(out2).probability_alive, rust.probability_alive)


def test_gamma_gamma(rust_fit, tmp_path):
    d = pd.read_csv(data_path("cdnow_customers_summary_with_transactions.csv"))
    inp = tmp_path / "spend.csv"
    d.rename(columns={"x": "frequency", "zbar": "monetary_value"})[
        ["frequency", "monetary_value"]
    ].to_csv(inp, index=False)
    out = tmp_path / "pred.csv"
    js = json.loads(rust_fit("--model", "gg", "--input", str(inp), "--predictions", str(out)))
    g = clv.GammaGamma.fit(d, frequency="x", monetary_value="zbar")
    check_fit(g, js)
    rust = read(out)
    same(g.expected_average_spend(d), rust.expected_average_spend)


def test_bgbb(rust_fit, tmp_path):
    path = data_path("donations.csv")
    out = tmp_path / "pred.csv"
    js = json.loads(rust_fit("--model", "bgbb", "--input", path, "--horizon", "5",
                             "--predictions", str(out)))
    don = pd.read_csv(path)
    b = clv.BgBb.fit(don, weights="weights")
    check_fit(b, js)
    rust = read(out)
    same(b.probability_alive(don), rust.probability_alive)
    same(b.conditional_expected_transactions(don, 5), rust.expected_transactions)


def test_sbg(rust_fit, tmp_path):
    coh = pd.read_csv(data_path("sbg_retention_cohorts.csv"))
    inp = tmp_path / "cohort.csv"
    pd.DataFrame({"period": coh.year, "alive": coh.regular_alive}).to_csv(inp, index=False)
    out = tmp_path / "pred.csv"
    js = json.loads(rust_fit("--model", "sbg", "--input", str(inp), "--horizon", "12",
                             "--predictions", str(out)))
    s = clv.Sbg.fit(pd.DataFrame({"alive": coh.regular_alive}))
    check_fit(s, js)
    rust = read(out)
    same(s.survival(rust.period), rust.survival)
    same(s.retention_rate(rust.period), rust.retention_rate)


def cdnow_csv_log(tmp_path):
    log = clv.read_cdnow(data_path("CDNOW_sample.txt"))
    path = tmp_path / "cdnow.csv"
    out = log.assign(date=log.date.dt.strftime("%Y-%m-%d"))[["customer_id", "date", "amount"]]
    out.to_csv(path, index=False)
    return log, path


def test_transaction_log_calibration_holdout(rust_fit, tmp_path):
    log, path = cdnow_csv_log(tmp_path)
    out = tmp_path / "pred.csv"
    js = json.loads(rust_fit(
        "--model", "bgnbd", "--transactions", str(path), "--calibration-end", "1997-09-30",
        "--holdout-end", "1998-06-30", "--time-unit", "week", "--horizon", "39",
        "--predictions", str(out),
    ))
    split = clv.calibration_holdout(log, amount="amount", calibration_end="1997-09-30",
                                    holdout_end="1998-06-30", freq="D", unit="W")
    f = clv.BgNbd.fit(split)
    check_fit(f, js)
    rust = read(out)
    assert list(split.index) == list(rust.customer_id)
    same(f.probability_alive(split), rust.probability_alive)
    same(f.conditional_expected_transactions(split, 39), rust.expected_transactions)
    assert split.frequency_holdout.sum() == js["holdout"]["actual"]
