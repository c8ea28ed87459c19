"""Transaction logs: one row per transaction -> one row per customer.

Dates become days since 1970-01-01 (vectorised in pandas); customer ids are factorised in
pandas; the summary itself (same-period purchases merged, frequency, recency, T, mean repeat
spend, calibration/holdout split) is computed by the Rust API.
"""

import numpy as np

from . import _clv
from . import _frame
from .errors import ClvError

__all__ = ["summarize", "calibration_holdout", "read_cdnow", "days", "compress"]

_FREQ = {"D": 1.0, "W": 7.0}


def _length(freq, what):
    if isinstance(freq, (int, float)) and not isinstance(freq, bool):
        return float(freq)
    if isinstance(freq, str) and freq.upper() in _FREQ:
        return _FREQ[freq.upper()]
    raise ClvError(f"{what} must be 'D', 'W' or a number of days, not {freq!r}")


def days(values, date_format=None):
    """Dates (strings, datetimes, numpy datetime64) as days since 1970-01-01 (float64).
    Numbers are returned as they are (a time axis of your own)."""
    import pandas as pd

    arr = np.asarray(values)
    if arr.dtype.kind in "iuf":
        return np.ascontiguousarray(arr, dtype=np.float64)
    try:
        dt = pd.to_datetime(pd.Series(arr), format=date_format)
    except (ValueError, TypeError) as e:
        raise ClvError(f"unparsable date: {e}") from None
    if dt.isna().any():
        row = int(np.flatnonzero(dt.isna().to_numpy())[0]) + 1
        from .errors import InvalidDataError

        raise InvalidDataError(
            f"invalid input at row {row}, field `date`: missing date", row, "date", str(arr[row - 1])
        )
    ns = dt.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return np.ascontiguousarray(ns / 86_400e9, dtype=np.float64)


def _day(value, date_format=None):
    return float(days([value], date_format)[0])


def _log(data, customer_id, date, amount, date_format):
    import pandas as pd

    raw_ids = _frame.ids(data, customer_id)
    if raw_ids is None:
        raise ClvError(f"the log has no column {customer_id} (the customer id)")
    if not _frame._has(data, date):
        raise ClvError(f"the log has no column {date} (the date)")
    codes, uniques = pd.factorize(pd.Series(raw_ids), sort=False)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0]) + 1
        from .errors import InvalidDataError

        raise InvalidDataError(f"invalid input at row {row}, field `customer_id`: customer id is "
                               "missing", row, "customer_id", "")
    names = pd.Index(uniques).astype(str)
    if not names.is_unique:  # e.g. 1 and "1": the ids are their text
        codes, uniques = pd.factorize(pd.Series(raw_ids).astype(str), sort=False)
        names = pd.Index(uniques)
    times = days(_frame._raw(data, date), date_format)
    amounts = _frame.optional(data, amount, "amount") if amount is not None else None
    if amount is not None and amounts is None:
        raise ClvError(f"the log has no column {amount} (the amount)")
    # the summary names customers by text; `originals` maps the text back to the log's ids
    originals = (names, pd.Index(uniques))
    return list(names), np.ascontiguousarray(codes, dtype=np.uint32), times, amounts, originals


def _run(data, customer_id, date, amount, calibration_end, holdout_end, freq, unit, date_format,
         holdout):
    ids, codes, times, amounts, (names, originals) = _log(data, customer_id, date, amount,
                                                           date_format)
    period = _length(freq, "freq")
    unit = period if unit is None else _length(unit, "unit")
    cal = float(np.max(times)) if calibration_end is None else _day(calibration_end, date_format)
    end = None if holdout_end is None else _day(holdout_end, date_format)
    out = _clv.summarize_log(ids, codes, times, amounts, period, unit, cal, end, holdout)
    ids, x, t_x, t, m, first, n_excluded, hold = out
    cols = {"frequency": x, "recency": t_x, "T": t}
    if m is not None:
        cols["monetary_value"] = m
    cols["first_purchase"] = first
    if hold is not None:
        cols["frequency_holdout"] = hold[0]
        cols["duration_holdout"] = np.full(len(x), hold[1])
    df = _frame.frame(cols, index=originals.take(names.get_indexer(ids)), index_name=customer_id)
    df.attrs["n_excluded"] = n_excluded
    return df


def summarize(data, customer_id="customer_id", date="date", amount=None, calibration_end=None,
              freq="D", unit=None, date_format=None):
    """One row per customer from a transaction log: ``frequency`` (repeat purchase periods),
    ``recency`` and ``T`` (in ``unit``), ``monetary_value`` (mean repeat spend, with
    ``amount``), ``first_purchase`` (days since 1970-01-01); indexed by customer id.

    ``freq``: the purchase period ('D' days, 'W' weeks, or a number of days): purchases in
    one period count once. ``unit``: the time unit of recency and T (default ``freq``; CDNOW:
    ``freq='D', unit='W'``). ``calibration_end``: the end of observation (default: the last
    date); customers whose first purchase is after it are left out (``attrs['n_excluded']``).
    ``date``: a column of dates (any format pandas reads, or ``date_format``) or numbers (days).
    """
    return _run(data, customer_id, date, amount, calibration_end, None, freq, unit, date_format,
                False)


def calibration_holdout(data, customer_id="customer_id", date="date", amount=None,
                        calibration_end=None, holdout_end=None, freq="D", unit=None,
                        date_format=None):
    """:func:`summarize` up to ``calibration_end``, plus per customer the repeat purchases in
    the holdout up to ``holdout_end`` (default: the last date): columns
    ``frequency_holdout`` and ``duration_holdout``."""
    if calibration_end is None:
        raise ClvError("calibration_holdout needs calibration_end")
    return _run(data, customer_id, date, amount, calibration_end, holdout_end, freq, unit,
                date_format, True)


def read_cdnow(path):
    """CDNOW's raw log (whitespace-separated, no header: master id, sample id, YYYYMMDD, CDs,
    dollars) as a DataFrame ``customer_id, date, cds, amount``."""
    import pandas as pd

    df = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        names=["customer_id", "sample_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "sample_id": str, "date": str},
    )
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df[["customer_id", "date", "cds", "amount"]]


def compress(data, frequency="frequency", recency="recency", T="T"):
    """Weighted distinct rows of a customer table, as every fit compresses it: a DataFrame
    ``frequency, recency, T, weight`` (sorted) and, per input row, the position of its distinct
    row (a numpy array). ``Model.fit(rows, weights="weight")`` equals the fit on ``data``."""
    x, t_x, t, w, index = _clv.compress(
        _frame.column(data, frequency, "frequency"),
        _frame.column(data, recency, "recency"),
        _frame.column(data, T, "T"),
    )
    return _frame.frame({"frequency": x, "recency": t_x, "T": t, "weight": w}), index
