"""Transaction logs -> summaries: column names, date formats, ids carried to predictions."""

import numpy as np
import pandas as pd
import pytest

import clv
from conftest import data_path


@pytest.fixture(scope="module")
def log():
    return clv.read_cdnow(data_path("CDNOW_sample.txt"))


def test_cdnow_summary(log):
    s = clv.summarize(log, amount="amount", calibration_end="1997-09-30", freq="D", unit="W")
    assert s.index.name == "customer_id" and s.index[0] == "00004"
    assert list(s.columns) == ["frequency", "recency", "T", "monetary_value", "first_purchase"]
    assert len(s) == log.customer_id.nunique()  # all CDNOW customers start in Q1 1997
    assert (s.recency <= s["T"]).all() and ((s.frequency == 0) == (s.recency == 0)).all()
    f = clv.BgNbd.fit(s)
    pred = f.predict(s, 39)
    assert list(pred.index) == list(s.index)  # keyed by customer id


def test_other_names_and_date_formats(log):
    ref = clv.summarize(log, amount="amount", calibration_end="1997-09-30", freq="D", unit="W")
    other = pd.DataFrame({
        "cust": log.customer_id,
        "when": log.date.dt.strftime("%Y%m%d"),
        "spend": log.amount,
    })
    s = clv.summarize(other, customer_id="cust", date="when", amount="spend",
                      calibration_end="19970930", freq="D", unit="W", date_format="%Y%m%d")
    pd.testing.assert_frame_equal(s.rename_axis("customer_id"), ref)
    # dates as numbers: days on any axis of your own
    days = pd.DataFrame({"customer_id": log.customer_id, "date": clv.days(log.date)})
    s2 = clv.summarize(days, calibration_end=float(clv.days(["1997-09-30"])[0]),
                       freq="D", unit="W")
    np.testing.assert_array_equal(s2["T"].to_numpy(), ref["T"].to_numpy())
    # date-times: periods are days, so the time of day does not matter
    dt = log.assign(date=log.date + pd.Timedelta(hours=13))
    s3 = clv.summarize(dt, calibration_end="1997-09-30", freq="D", unit="W")
    np.testing.assert_array_equal(s3.frequency.to_numpy(), ref.frequency.to_numpy())


def test_weekly_periods_and_exclusion():
    log = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "c"],
        "date": ["2020-01-06", "2020-01-07", "2020-01-20", "2020-01-08", "2020-03-01"],
    })
    s = clv.summarize(log, calibration_end="2020-02-01", freq="W")
    assert list(s.index) == ["a", "b"] and s.attrs["n_excluded"] == 1
    assert s.loc["a", "frequency"] == 1.0  # two purchases in one week count once


def test_calibration_holdout(log):
    split = clv.calibration_holdout(log, calibration_end="1997-09-30", holdout_end="1998-06-30",
                                    freq="D", unit="W")
    assert split.duration_holdout.iloc[0] == 39.0
    assert split.frequency_holdout.sum() > 0


def test_log_errors_name_row_and_field():
    bad = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2020-01-01", "2020-01-02"],
                        "amount": [1.0, -5.0]})
    with pytest.raises(clv.InvalidDataError) as e:
        clv.summarize(bad, amount="amount")
    assert e.value.row == 2 and e.value.field == "amount"
    with pytest.raises(clv.InvalidDataError) as e:
        clv.summarize(bad.assign(date=["2020-01-01", None]))
    assert (e.value.row, e.value.field) == (2, "date")
    with pytest.raises(clv.ClvError, match="no column"):
        clv.summarize(bad, customer_id="id")


def test_ids_keep_their_type():
    log = pd.DataFrame({"customer_id": [10, 10, 7], "date": ["2020-01-01", "2020-01-09", "2020-01-02"]})
    s = clv.summarize(log, calibration_end="2020-02-01")
    assert list(s.index) == [10, 7] and s.index.dtype == np.int64
    assert s.loc[10, "frequency"] == 1.0


def test_polars_log_if_installed(log):
    pl = pytest.importorskip("polars")
    ref = clv.summarize(log, amount="amount", calibration_end="1997-09-30", freq="D", unit="W")
    s = clv.summarize(pl.from_pandas(log), amount="amount", calibration_end="1997-09-30",
                      freq="D", unit="W")
    pd.testing.assert_frame_equal(s, ref)
