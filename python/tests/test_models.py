"""The Python API: the minimal contract, columns, errors, JSON, every model."""

import json

import numpy as np
import pandas as pd
import pytest

import clv
from conftest import data_path


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(data_path("cdnow_customers_summary.csv"))


@pytest.mark.parametrize("model", [clv.BgNbd, clv.MbgNbd, clv.ParetoNbd])
def test_contract(cdnow, model):
    f = model.fit(cdnow)
    assert isinstance(f.params, dict) and list(f.params) == f.param_names
    assert isinstance(f.std_errors, dict) and list(f.std_errors) == f.param_names
    assert f.converged is True and f.status == "converged"
    assert np.isfinite(f.log_likelihood) and f.log_likelihood < 0
    p = f.probability_alive(cdnow)
    y = f.conditional_expected_transactions(cdnow, 39)
    for a in (p, y):
        assert isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == (len(cdnow),)
    assert ((0 <= p) & (p <= 1)).all() and (y >= 0).all()
    # row order: the prediction of row i is that of the customer in row i alone
    for i in (0, 7, 2356):
        one = cdnow.iloc[[i]]
        assert f.probability_alive(one)[0] == p[i]
        assert f.conditional_expected_transactions(one, 39)[0] == y[i]


def test_bgnbd_reference_values(cdnow):
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426
    p = clv.BgNbd.fit(cdnow).params
    assert abs(p["r"] - 0.243) < 1e-3 and abs(p["alpha"] - 4.414) < 1e-3
    assert abs(p["a"] - 0.793) < 1e-3 and abs(p["b"] - 2.426) < 1e-3


def test_column_names_and_inputs(cdnow):
    f = clv.BgNbd.fit(cdnow)
    renamed = cdnow.rename(columns={"frequency": "x", "recency": "t_x"})
    g = clv.BgNbd.fit(renamed, frequency="x", recency="t_x")
    assert g.params == f.params
    # the names given to fit are remembered for predictions
    np.testing.assert_array_equal(g.probability_alive(renamed), f.probability_alive(cdnow))
    # a plain mapping of numpy arrays, and a numpy structured array
    cols = {k: cdnow[k].to_numpy() for k in ("frequency", "recency", "T")}
    assert clv.BgNbd.fit(cols).params == f.params
    rec = cdnow[["frequency", "recency", "T"]].to_records(index=False)
    np.testing.assert_array_equal(f.probability_alive(rec), f.probability_alive(cdnow))
    # integer columns and non-contiguous slices are converted, not refused
    sl = cdnow.iloc[::2]
    np.testing.assert_array_equal(f.probability_alive(sl), f.probability_alive(cdnow)[::2])


def test_polars_if_installed(cdnow):
    pl = pytest.importorskip("polars")
    f = clv.BgNbd.fit(cdnow)
    g = clv.BgNbd.fit(pl.from_pandas(cdnow))
    assert g.params == f.params


def test_weights_equal_repeated_rows(cdnow):
    f = clv.BgNbd.fit(cdnow)
    compressed = cdnow.groupby(["frequency", "recency", "T"], as_index=False).size()
    g = clv.BgNbd.fit(compressed, weights="size")
    assert g.params == f.params and g.log_likelihood == f.log_likelihood
    assert g.n_customers == len(cdnow) and g.n_distinct == f.n_distinct


def test_summary_and_intervals(cdnow):
    f = clv.BgNbd.fit(cdnow)
    s = f.summary()
    assert list(s.index) == ["r", "alpha", "a", "b"]
    assert list(s.columns) == ["estimate", "std_error", "lower_95", "upper_95"]
    assert (s.lower_95 < s.estimate).all() and (s.estimate < s.upper_95).all()
    assert s.attrs["status"] == "converged" and s.attrs["n_customers"] == len(cdnow)
    ci = f.confidence_intervals(0.9)
    assert (ci.lower > s.lower_95).all() and (ci.upper < s.upper_95).all()
    iv = f.prediction_intervals(cdnow.head(20), "conditional_expected_transactions", t=39, level=0.9)
    assert ((iv.lower <= iv.estimate) & (iv.estimate <= iv.upper)).all()
    boot = f.prediction_intervals(cdnow.head(5), "probability_alive", level=0.9, draws=200, seed=1)
    assert ((boot.lower <= boot.upper) & (boot.upper <= 1)).all()
    lo, hi = f.predictive_interval(cdnow.head(10), 39, 0.9)
    assert (lo <= hi).all()


def test_predict_keyed_by_customer_id(cdnow):
    df = cdnow.rename(columns={"ID": "customer_id"})
    f = clv.BgNbd.fit(df)
    out = f.predict(df, 39)
    assert out.index.name == "customer_id" and list(out.index[:3]) == [1, 2, 3]
    np.testing.assert_array_equal(out.probability_alive.to_numpy(), f.probability_alive(df))


def test_every_prediction_runs(cdnow):
    f = clv.ParetoNbd.fit(cdnow)
    head = cdnow.head(50)
    assert (f.probability_alive_at(head, 10) <= f.probability_alive(head) + 1e-15).all()
    pmf = sum(f.conditional_probability_of_transactions(head, n, 39) for n in range(200))
    np.testing.assert_allclose(pmf, 1.0, atol=1e-9)
    assert f.discounted_expected_residual_transactions(head, 0.01).min() > 0
    assert f.conditional_probability_of_transactions_table(2, 30.43, 38.86, 3, [13, 52]).shape == (2, 4)
    assert f.expected_transactions([1.0, 10.0]).shape == (2,)
    assert 0 < f.probability_of_transactions(0, 39) < 1
    assert len(f.probability_alive_path([0.0, 2.0, 5.0], [3.0, 10.0])) == 2


def test_json_round_trip(tmp_path, cdnow):
    f = clv.BgNbd.fit(cdnow)
    doc = json.loads(f.to_json())
    assert doc["model"] == "bgnbd" and doc["params"] == f.params
    path = tmp_path / "fit.json"
    f.save(path)
    g = clv.load(path)
    assert isinstance(g, clv.BgNbd) and g.params == f.params
    assert g.log_likelihood == f.log_likelihood and g.std_errors == f.std_errors
    np.testing.assert_array_equal(g.probability_alive(cdnow), f.probability_alive(cdnow))
    m = clv.BgNbd.from_params(f.params)
    np.testing.assert_array_equal(m.probability_alive(cdnow), f.probability_alive(cdnow))
    with pytest.raises(clv.ClvError):
        m.log_likelihood  # a model built from parameters has no fit


def test_errors_name_row_and_field(cdnow):
    bad = cdnow.copy()
    bad.loc[4, "recency"] = 99.0  # row 5
    with pytest.raises(clv.InvalidDataError) as e:
        clv.BgNbd.fit(bad)
    assert (e.value.row, e.value.field) == (5, "recency")
    assert isinstance(e.value, ValueError) and "row 5" in str(e.value)
    with pytest.raises(clv.ClvError, match="no column"):
        clv.BgNbd.fit(cdnow.drop(columns="T"))
    with pytest.raises(clv.InvalidParameterError):
        clv.BgNbd.fit(cdnow).conditional_expected_transactions(cdnow, -1)
    with pytest.raises(clv.InvalidDataError) as e:
        clv.BgNbd.fit(cdnow).probability_alive(cdnow.assign(T=np.nan))
    assert (e.value.row, e.value.field) == (1, "T")


def test_gamma_gamma_and_value():
    d = pd.read_csv(data_path("cdnow_customers_summary_with_transactions.csv"))
    gg = clv.GammaGamma.fit(d, frequency="x", monetary_value="zbar")
    assert gg.converged and set(gg.params) == {"p", "q", "gamma"}
    spend = gg.expected_average_spend(d)
    assert spend.shape == (len(d),)
    assert spend[d.x.to_numpy() == 0][0] == gg.mean_spend()
    f = clv.BgNbd.fit(d, frequency="x", recency="t_x")
    v = f.customer_value(gg, d, monetary_value="zbar", margin=0.3, discount_rate=0.01, period=4.345)
    assert v.shape == (len(d),) and (v >= 0).all()
    v52 = clv.customer_value(f, gg, d, monetary_value="zbar", margin=0.3, discount_rate=0.01,
                             period=4.345, horizon=52)
    assert (v52 <= v + 1e-9).all()
    sim = gg.simulate([1, 2, 3], seed=1)
    assert list(sim.columns) == ["frequency", "monetary_value"]


def test_bgbb_and_sbg():
    don = pd.read_csv(data_path("donations.csv"))
    b = clv.BgBb.fit(don, weights="weights")
    assert b.converged and list(b.params) == ["alpha", "beta", "gamma", "delta"]
    assert b.probability_alive(don).shape == (len(don),)
    assert (b.conditional_expected_transactions(don, 5) >= 0).all()
    coh = pd.read_csv(data_path("sbg_retention_cohorts.csv"))
    s = clv.Sbg.fit(pd.DataFrame({"alive": coh.regular_alive}))
    assert s.converged and list(s.params) == ["alpha", "beta"]
    assert np.all(np.diff(s.survival([0, 1, 2, 3])) < 0)
    both = clv.Sbg.fit(cohorts={"regular": coh.regular_alive, "high_end": coh.high_end_alive})
    assert both.converged
    sim = s.simulate([8] * 1000, seed=2)
    refit = clv.Sbg.fit(sim)
    assert refit.converged


def test_simulation_recovers_parameters():
    truth = clv.BgNbd.from_params(r=0.5, alpha=4.0, a=0.8, b=2.5)
    sim = truth.simulate(np.full(20000, 52.0), seed=7)
    assert list(sim.columns) == ["frequency", "recency", "T", "alive"]
    f = clv.BgNbd.fit(sim)
    assert abs(f.params["r"] - 0.5) < 0.1 and abs(f.params["alpha"] - 4.0) < 1.0


def test_compress_is_what_the_fit_sees(cdnow):
    rows, index = clv.compress(cdnow)
    f = clv.BgNbd.fit(cdnow)
    assert len(rows) == f.n_distinct and rows.weight.sum() == len(cdnow)
    assert clv.BgNbd.fit(rows, weights="weight").params == f.params
    np.testing.assert_array_equal(rows.frequency.to_numpy()[index], cdnow.frequency.to_numpy())
    d = pd.read_csv(data_path("cdnow_customers_summary_with_transactions.csv"))
    assert clv.GammaGamma.n_skipped(d, frequency="x", monetary_value="zbar") == (d.x == 0).sum()


def _pareto_fit_in_child(path):
    d = pd.read_csv(path)
    return clv.ParetoNbd.fit(d).log_likelihood


def test_fits_in_forked_processes(cdnow):
    # A fit splits its passes across a pool of threads; a process forked after a fit (as
    # multiprocessing and Spark's Python workers fork) has none of the parent's threads and
    # fits with its own, to the same result.
    import multiprocessing

    want = clv.ParetoNbd.fit(cdnow).log_likelihood
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        # (a child waiting for threads it does not have would hang: bounded)
        got = pool.map_async(
            _pareto_fit_in_child, [data_path("cdnow_customers_summary.csv")] * 2
        ).get(timeout=120)
    assert got == [want, want]
