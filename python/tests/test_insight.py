"""Insight and report: the cohort triangle, the segment table and the HTML report equal those
of the Rust examples (`examples/cohorts`, `examples/report`) on the same log."""

import numpy as np
import pandas as pd
import pytest

import clv
from conftest import data_path
from test_rust_equal import cdnow_csv_log, same

COLUMNS = ["cohort", "period", "customers_start", "retained", "raw_retention",
           "sales_adjusted_retention", "profit_adjusted_retention", "revenue"]


def equal_frames(py, rust):
    assert list(py.columns) == list(rust.columns)
    assert len(py) == len(rust)
    for c in py.columns:
        if not pd.api.types.is_numeric_dtype(py[c]):
            assert list(py[c]) == list(rust[c]), c
        else:
            a, b = py[c].to_numpy(dtype=float), rust[c].to_numpy(dtype=float)
            assert np.array_equal(np.isnan(a), np.isnan(b)), c
            same(a[~np.isnan(a)], b[~np.isnan(b)])


@pytest.mark.parametrize("period", ["month", "quarter", 28])
def test_cohort_retention_equals_rust(rust_example, tmp_path, period):
    log, path = cdnow_csv_log(tmp_path)
    out = tmp_path / "cohorts.csv"
    rust_example("cohorts", "--transactions", str(path), "--period", str(period),
                 "--out", str(out))
    rust = clv.insight._table(out.read_text(), ("cohort", "period"))
    py = clv.cohort_retention(log, customer_id="customer_id", date="date", amount="amount",
                              period=period)
    assert list(py.columns) == COLUMNS
    equal_frames(py, rust)
    assert py.profit_adjusted_retention.isna().all()
    with_margin = clv.cohort_retention(log, period=period, margin=0.3)
    # profit = margin x amount: the profit-adjusted rate is the sales-adjusted one
    assert np.allclose(with_margin.profit_adjusted_retention.dropna(),
                       py.sales_adjusted_retention.dropna(), rtol=1e-12, atol=0)


def test_cohort_retention_bad_period():
    log = clv.read_cdnow(data_path("CDNOW_sample.txt")).head(100)
    with pytest.raises(clv.ClvError):
        clv.cohort_retention(log, period="fortnight")


def test_report_and_segments_equal_rust(rust_example, tmp_path):
    log, path = cdnow_csv_log(tmp_path)
    html, seg = tmp_path / "rust.html", tmp_path / "seg.csv"
    rust_example("report", "--transactions", str(path), "--calibration-end", "1997-09-30",
                 "--holdout-end", "1998-06-30", "--out", str(html), "--segments-out", str(seg))
    out = tmp_path / "report.html"
    page = clv.report(log, calibration_end="1997-09-30", holdout_end="1998-06-30",
                      path=str(out))
    assert page == html.read_text()
    assert out.read_text() == page

    # the segment table of the report: the model of least BIC among the converged fits, the
    # Gamma-Gamma of the calibration's repeat customers, ten-percent yearly discounting over
    # 52 weekly periods, the fall of P(alive) since the end of calibration
    split = clv.calibration_holdout(log, amount="amount", calibration_end="1997-09-30",
                                    holdout_end="1998-06-30", freq="D", unit="W")
    fits = [m.fit(split) for m in (clv.BgNbd, clv.MbgNbd, clv.ParetoNbd)]
    model = min(fits, key=lambda f: (f.status != "converged", f.bic))
    rep = split[(split.frequency > 0) & (split.monetary_value > 0)]
    spend = clv.GammaGamma.fit(rep)
    py = clv.segments(log, model, spend, observation_end="1998-06-30", reference="1997-09-30")
    rust = clv.insight._table(seg.read_text(), ("customer_id", "segment", "clv_method"))
    assert list(py.index.astype(str)) == list(rust.customer_id)
    equal_frames(py.reset_index(drop=True), rust.drop(columns="customer_id"))
    assert py.at_risk.dtype == bool


def test_acquisition_ceiling():
    log = clv.read_cdnow(data_path("CDNOW_sample.txt"))
    cal = clv.summarize(log, amount="amount", calibration_end="1997-09-30", freq="D", unit="W")
    f = clv.BgNbd.fit(cal)
    rows = clv.acquisition_ceiling(log, f, period="month", margin=0.3, discount_rate=0.0,
                                   horizon=52)
    assert list(rows.index)[-1] == "all" and list(rows.index)[:3] == ["1997-01", "1997-02", "1997-03"]
    assert rows.customers.iloc[-1] == rows.customers.iloc[:-1].sum()
    # without discounting the repeat transactions telescope to E[X(52)]
    assert np.allclose(rows.expected_transactions, 1 + f.expected_transactions(52)[0],
                       rtol=1e-12, atol=0)
    assert np.allclose(rows.value, 0.3 * rows.mean_spend * rows.expected_transactions,
                       rtol=1e-15, atol=0)
    assert np.isclose(rows.mean_spend.iloc[-1], log.amount.mean(), rtol=1e-12)


def test_segments_with_value_intervals():
    log = clv.read_cdnow(data_path("CDNOW_sample.txt"))
    cal = clv.summarize(log, amount="amount", calibration_end="1997-09-30", freq="D", unit="W")
    model = clv.ParetoNbd.fit(cal)
    rep = cal[(cal.frequency > 0) & (cal.monetary_value > 0)]
    spend = clv.GammaGamma.fit(rep)
    plain = clv.segments(log, model, spend, observation_end="1998-06-30")
    assert plain.clv_lower.isna().all() and plain.clv_level.isna().all()
    with_iv = clv.segments(log, model, spend, observation_end="1998-06-30", interval_level=0.9)
    assert (with_iv.clv_lower <= with_iv.clv).all() and (with_iv.clv <= with_iv.clv_upper).all()
    assert (with_iv.clv_level == 0.9).all() and (with_iv.clv_method == "delta").all()
    # the rest of the table is unchanged
    rest = [c for c in plain.columns if c not in ("clv_lower", "clv_upper", "clv_level",
                                                  "clv_method")]
    equal_frames(with_iv[rest].reset_index(drop=True), plain[rest].reset_index(drop=True))
    params = clv.ParetoNbd.from_params(model.params)  # not fitted: no intervals
    with pytest.raises(clv.ClvError):
        clv.segments(log, params, spend, observation_end="1998-06-30", interval_level=0.9)


def test_acquisition_ceiling_by_profile():
    from test_covariates import with_covariates
    df = with_covariates()
    f = clv.ParetoNbd.fit(df, purchase_covariates=["channel"], dropout_covariates=["size"])
    profiles = {"app": {"channel": "app", "size": 0.0},
                "web, size 2": {"channel": "web", "size": 2.0}}
    rows = clv.acquisition_ceiling_by_profile(f, profiles, mean_spend=30.0, margin=0.5,
                                              discount_rate=0.1, rate_period=52.0, horizon=26)
    assert list(rows.index) == ["app", "web, size 2"]
    for name, values in profiles.items():
        # the same sum from the profile's model without covariates
        base = f.customer_model(values)
        e = base.expected_transactions(np.arange(27.0))
        d = 1.1 ** (-np.arange(1.0, 27.0) / 52.0)
        expected = 1.0 + np.sum(d * np.diff(e))
        assert np.isclose(rows.expected_transactions[name], expected, rtol=1e-12, atol=0)
        assert np.isclose(rows.value[name], 0.5 * 30.0 * expected, rtol=1e-12, atol=0)
    with pytest.raises(clv.ClvError):
        clv.acquisition_ceiling_by_profile(f, profiles)
