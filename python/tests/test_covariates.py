"""Models with covariates: the fit, its names, the likelihood-ratio test and the predictions
equal those of the Rust command line `examples/fit` with `--purchase-covariates` /
`--dropout-covariates` to the last bit; categorical columns become the indicators of
`clv::data::categorical`."""

import json

import numpy as np
import pandas as pd
import pytest

import clv
from conftest import data_path
from test_rust_equal import check_fit, read, same

FLAGS = [("bgnbd", clv.BgNbd, "dropout_a"), ("mbgnbd", clv.MbgNbd, "dropout_a"),
         ("pnbd", clv.ParetoNbd, "dropout")]


def with_covariates():
    """CDNOW's customers with a binary, a continuous and a categorical covariate."""
    df = pd.read_csv(data_path("cdnow_customers_summary.csv"))
    i = np.arange(len(df))
    df["even"] = (i % 2).astype(float)
    df["size"] = np.round(np.sin(i * 0.37) + 0.1 * (i % 7), 3)
    df["channel"] = np.array(["web", "store", "app"])[i % 3]
    return df


def check(py, js):
    check_fit(py, js)
    assert py.lr_test == js["lr_test"]


@pytest.mark.parametrize("flag,model,dropout", FLAGS)
def test_numeric_covariates_equal_rust(rust_fit, tmp_path, flag, model, dropout):
    df = with_covariates()
    inp, out = tmp_path / "in.csv", tmp_path / "pred.csv"
    df[["ID", "frequency", "recency", "T", "even", "size"]].to_csv(inp, index=False)
    js = json.loads(rust_fit("--model", flag, "--input", str(inp), "--purchase-covariates",
                             "even,size", "--dropout-covariates", "even", "--horizon", "39",
                             "--predictions", str(out)))
    f = model.fit(df, purchase_covariates=["even", "size"], dropout_covariates=["even"])
    assert list(f.params)[4:6] == ["purchase.even", "purchase.size"]
    assert any(k.startswith(dropout + ".") for k in f.params)
    check(f, js)
    rust = read(out)
    same(f.probability_alive(df), rust.probability_alive)
    same(f.conditional_expected_transactions(df, 39), rust.expected_transactions)


@pytest.mark.parametrize("flag,model,dropout", FLAGS[:1] + FLAGS[2:])
def test_categorical_covariates_are_indicators(rust_fit, tmp_path, flag, model, dropout):
    df = with_covariates()
    # the Rust side gets the indicator columns (reference: the first level, "app")
    inp, out = tmp_path / "in.csv", tmp_path / "pred.csv"
    ind = df.assign(channel_store=(df.channel == "store").astype(float),
                    channel_web=(df.channel == "web").astype(float))
    ind[["frequency", "recency", "T", "channel_store", "channel_web", "size"]].to_csv(
        inp, index=False)
    js = json.loads(rust_fit("--model", flag, "--input", str(inp), "--purchase-covariates",
                             "channel_store,channel_web", "--dropout-covariates", "size",
                             "--horizon", "39", "--predictions", str(out)))
    f = model.fit(df, purchase_covariates=["channel"], dropout_covariates=["size"])
    assert f.covariate_columns == ["channel_store", "channel_web", "size"]
    check(f, js)
    rust = read(out)
    same(f.probability_alive(df), rust.probability_alive)
    same(f.conditional_expected_transactions(df, 39), rust.expected_transactions)
    # a named reference level
    g = model.fit(df, purchase_covariates=["channel"], references={"channel": "web"})
    assert [k for k in g.params if k.startswith("purchase.")] == [
        "purchase.channel_app", "purchase.channel_store"]


def test_customer_model_of_a_row_and_of_a_new_customer():
    df = with_covariates()
    f = clv.ParetoNbd.fit(df, purchase_covariates=["channel", "size"],
                          dropout_covariates=["even"])
    # the model of row 4 predicts what the batch predicts for row 4
    row = df.iloc[[4]]
    m = f.customer_model({"channel": row.channel.iloc[0], "size": row["size"].iloc[0],
                          "even": row.even.iloc[0]})
    assert isinstance(m, clv.ParetoNbd)
    same(m.probability_alive(row), f.probability_alive(df)[[4]])
    same(m.conditional_expected_transactions(row, 39), f.conditional_expected_transactions(df, 39)[[4]])
    # a new customer described only by covariates; the reference level has base alpha
    new = f.customer_model(channel="app", size=0.0, even=0.0)
    assert new.params == {k: f.params[k] for k in ("r", "alpha", "s", "beta")}
    assert new.expected_transactions(52)[0] > 0
    with pytest.raises(clv.ClvError):
        f.customer_model(channel="phone", size=0.0, even=0.0)
    # a level the fit did not see is bad input naming the row
    bad = df.copy()
    bad.loc[7, "channel"] = "phone"
    with pytest.raises(clv.InvalidDataError) as e:
        f.probability_alive(bad)
    assert e.value.row == 8


def test_intervals_and_other_predictions_with_covariates():
    df = with_covariates().head(300)
    f = clv.BgNbd.fit(df, purchase_covariates=["even"], dropout_covariates=["size"])
    lo, hi = f.predictive_interval(df, 39, 0.9)
    e = f.conditional_expected_transactions(df, 39)
    assert np.all(lo <= hi) and np.any(hi > 0) and np.all(e >= 0)
    for i in (0, 5, 17):
        m = f.customer_model(even=df.even.iloc[i], size=df["size"].iloc[i])
        l1, h1 = m.predictive_interval(df.iloc[[i]], 39, 0.9)
        assert (l1[0], h1[0]) == (lo[i], hi[i])
        same(m.probability_alive_at(df.iloc[[i]], 10), f.probability_alive_at(df, 10)[[i]])
        same(m.discounted_expected_residual_transactions(df.iloc[[i]], 0.01),
             f.discounted_expected_residual_transactions(df, 0.01)[[i]])
    p = f.predict(df.set_index("ID"), 39)
    assert list(p.columns) == ["probability_alive", "expected_transactions"]
    assert json.loads(f.to_json())["params"] == f.params


def test_zero_covariate_fit_is_the_plain_fit():
    df = pd.read_csv(data_path("cdnow_customers_summary.csv"))
    df["zero"] = 0.0
    df["one"] = np.arange(len(df)) % 2
    plain = clv.ParetoNbd.fit(df)
    f = clv.ParetoNbd.fit(df, purchase_covariates=["one"])
    t = f.lr_test
    assert t["df"] == 1 and t["statistic"] >= 0 and 0 <= t["p_value"] <= 1
    assert abs(2 * (f.log_likelihood - plain.log_likelihood) - t["statistic"]) < 1e-6


def test_gamma_gamma_and_sbg_with_covariates():
    d = pd.read_csv(data_path("cdnow_customers_summary_with_transactions.csv"))
    d = d[d.x > 0].reset_index(drop=True)
    d["big"] = np.where(np.arange(len(d)) % 2 == 0, "yes", "no")
    g = clv.GammaGamma.fit(d, frequency="x", monetary_value="zbar", spend_covariates=["big"])
    assert list(g.params) == ["p", "q", "gamma", "spend.big_yes"]
    assert g.lr_test["df"] == 1
    spend = g.expected_average_spend(d)
    m = g.customer_model(big=d.big.iloc[3])
    same(m.expected_average_spend(d.iloc[[3]], frequency="x", monetary_value="zbar"),
         spend[[3]])

    rng = np.random.default_rng(3)
    n = 2000
    z = rng.integers(0, 2, n).astype(float)
    p = 1 / (1 + np.exp(1.0 + 0.8 * z))  # churn probability per period
    life = rng.geometric(p)
    dur = np.minimum(life, 8)
    lifetimes = pd.DataFrame({"duration": dur, "churned": (life <= 8).astype(float), "z": z})
    s = clv.Sbg.fit(lifetimes, covariates=["z"])
    assert list(s.params) == ["alpha", "beta", "retention.z"]
    assert s.params["retention.z"] > 0  # z = 1 churns less: stays longer
    assert isinstance(s.customer_model(z=1.0), clv.Sbg)


def test_parameter_intervals_with_covariates():
    df = with_covariates().head(400)
    f = clv.ParetoNbd.fit(df, purchase_covariates=["channel"], dropout_covariates=["even"])
    for what, kw, pred in [
        ("probability_alive", {}, f.probability_alive(df)),
        ("conditional_expected_transactions", {"t": 39}, f.conditional_expected_transactions(df, 39)),
        ("discounted_expected_residual_transactions", {"delta": 0.01},
         f.discounted_expected_residual_transactions(df, 0.01)),
    ]:
        iv = f.prediction_intervals(df, what, level=0.9, **kw)
        same(iv.estimate, pred)
        assert np.all(iv.lower <= iv.estimate) and np.all(iv.estimate <= iv.upper)
    a = f.prediction_intervals(df, draws=100, seed=3)
    b = f.prediction_intervals(df, draws=100, seed=3)
    same(a.lower, b.lower)
    assert np.all(a.lower <= a.upper)


def test_spend_covariates_bad_input_names_row_and_field():
    d = pd.read_csv(data_path("cdnow_customers_summary_with_transactions.csv"))
    d = d[d.x > 0].reset_index(drop=True)
    d["size"] = np.round(np.sin(np.arange(len(d)) * 0.37), 3)
    g = clv.GammaGamma.fit(d, frequency="x", monetary_value="zbar", spend_covariates=["size"])
    bad = d.copy()
    bad.loc[6, "size"] = np.nan  # row 7
    with pytest.raises(clv.InvalidDataError) as e:
        g.expected_average_spend(bad)
    assert (e.value.row, e.value.field) == (7, "size")
    bad = d.copy()
    bad.loc[2, "zbar"] = np.inf  # row 3
    with pytest.raises(clv.InvalidDataError) as e:
        g.expected_average_spend(bad)
    assert (e.value.row, e.value.field) == (3, "monetary_value")
    # columns of different lengths are an error, not a guess
    x, m = d.x.to_numpy(float), d.zbar.to_numpy(float)
    z = [d["size"].tolist()]
    with pytest.raises(clv.ClvError):
        g._inner.expected_average_spend(x, m[:-1], z)
    with pytest.raises(clv.ClvError):
        g._inner.expected_average_spend(x, m, [z[0][:-1]])
