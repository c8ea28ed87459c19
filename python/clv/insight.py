"""Insight and report of a transaction log (the Rust ``clv::insight`` and ``clv::report``).

The log is a DataFrame with one row per transaction (``customer_id``, ``date``, ``amount``);
dates and ids are read as in :func:`clv.summarize`. The tables are the Rust tables, read from
their CSV (numbers in Rust's shortest round-trip form, parsed exactly).
"""

import io

import numpy as np

from . import _clv
from . import _frame
from .errors import ClvError
from .log import _day, _length, _log

__all__ = ["cohort_retention", "segments", "acquisition_ceiling",
           "acquisition_ceiling_by_profile", "report"]

RETENTION_COLUMNS = [
    "cohort", "period", "customers_start", "retained", "raw_retention",
    "sales_adjusted_retention", "profit_adjusted_retention", "revenue",
]


def _table(text, labels):
    """A CSV of the Rust API as a DataFrame: ``labels`` columns as text, the others as exact
    floats (empty fields: NaN), ``true``/``false`` as booleans."""
    import pandas as pd

    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for c in df.columns:
        if c in labels:
            continue
        values = list(df[c])
        if values and all(v in ("true", "false") for v in values):
            df[c] = np.array([v == "true" for v in values])
        else:
            df[c] = np.array([float(v) if v != "" else float("nan") for v in values])
    return df


def _amount(data, amount):
    if amount is None:
        return None
    return amount if _frame._has(data, amount) else None


def _profit(data, profit):
    """Profit per transaction: a column name or an array (``None``: none)."""
    if profit is None:
        return None
    if isinstance(profit, str):
        return _frame.column(data, profit, "profit")
    return _frame.array(profit)


def _period(period):
    if isinstance(period, bool):
        raise ClvError(f"period must be 'month', 'quarter', 'year' or a number of days, not {period!r}")
    if isinstance(period, (int, np.integer)):
        return str(int(period))
    return str(period)


def cohort_retention(data, customer_id="customer_id", date="date", amount="amount",
                     period="month", margin=None, profit=None, date_format=None):
    """The cohort retention triangle (``clv::insight::cohort_retention``): one row per
    acquisition cohort and later period, columns ``cohort, period, customers_start,
    retained, raw_retention, sales_adjusted_retention, profit_adjusted_retention, revenue``.

    ``period``: ``"month"``, ``"quarter"``, ``"year"`` or a number of days. ``amount``: the
    spend column (absent: no sales figures). ``margin``: profit as a share of the amount;
    ``profit``: a column (name or array) of profit per transaction; without either the
    profit-adjusted rate is empty (NaN)."""
    ids, codes, times, amounts, _ = _log(data, customer_id, date, _amount(data, amount),
                                         date_format)
    per = _profit(data, profit)
    text = _clv.retention_csv(ids, codes, times, amounts, _period(period),
                              None if margin is None else float(margin), per)
    return _table(text, ("cohort", "period"))[RETENTION_COLUMNS]


def segments(data, model, spend, observation_end=None, reference=None,
             customer_id="customer_id", date="date", amount="amount", freq="D", unit="W",
             margin=1.0, discount_rate=0.1, rate_period=52.0, periods=52, step=1.0,
             horizon=None, tiers=None, at_risk=None, date_format=None, interval_level=None,
             interval_draws=None, interval_seed=0):
    """Segments every customer of the log first seen by ``observation_end``
    (``clv::insight::segment_customers``, ``segment_fitted``): a DataFrame keyed by customer id
    with ``frequency, time_since_last, age, monetary_value, clv, clv_lower, clv_upper, tier, r,
    f, m, segment, p_alive, p_alive_reference, at_risk, clv_level, clv_method``.

    ``model``: a fitted :class:`clv.BgNbd`, :class:`clv.MbgNbd` or :class:`clv.ParetoNbd`;
    ``spend``: a fitted :class:`clv.GammaGamma`. The summary is taken on ``freq``/``unit`` as
    in :func:`clv.summarize` (default days in weeks). The value (``clv::value::Valuation``)
    discounts at ``discount_rate`` per ``rate_period`` model units at the ends of ``periods``
    steps of ``step`` units (the report's default: 10% a year, 52 weekly steps), or with
    ``periods=None`` continuously over ``horizon`` (forever when None). ``reference``: a date
    before ``observation_end`` for the fall of P(alive). ``tiers``: cut points of the value
    tiers (default ``[0.2, 0.5]``); ``at_risk``: ``(tiers, threshold, drop)`` (default
    ``(1, 0.5, 0.2)``). ``interval_level`` (e.g. 0.9): the interval of every value from the
    parameter uncertainty of both fits (``model`` and ``spend`` must be fitted) in
    ``clv_lower``, ``clv_upper`` (delta method, or ``interval_draws`` parametric draws seeded
    with ``interval_seed``); without it those columns and ``clv_level``, ``clv_method`` are
    empty (NaN)."""
    ids, codes, times, amounts, (names, originals) = _log(
        data, customer_id, date, _amount(data, amount), date_format
    )
    if amounts is None:
        raise ClvError(f"segments need amounts: the log has no column {amount}")
    p = _length(freq, "freq")
    u = p if unit is None else _length(unit, "unit")
    end = float(np.max(times)) if observation_end is None else _day(observation_end, date_format)
    ref = None if reference is None else _day(reference, date_format)
    text = _clv.segments_csv(
        ids, codes, times, amounts, model._inner, spend._inner, end, p, u, float(margin),
        float(discount_rate), float(rate_period), float(step),
        None if horizon is None else float(horizon),
        None if periods is None else int(periods), ref,
        None if tiers is None else [float(c) for c in tiers],
        None if at_risk is None else (int(at_risk[0]), float(at_risk[1]), float(at_risk[2])),
        None if interval_level is None else (
            float(interval_level), None if interval_draws is None else int(interval_draws),
            int(interval_seed)),
    )
    df = _table(text, ("customer_id", "segment", "clv_method"))
    df.index = originals.take(names.get_indexer(list(df.pop("customer_id"))))
    df.index.name = customer_id
    return df


def acquisition_ceiling(data, model, period="month", margin=1.0, discount_rate=0.1,
                        rate_period=52.0, horizon=52, customer_id="customer_id", date="date",
                        amount="amount", date_format=None):
    """The acquisition ceiling by cohort (``clv::insight::acquisition_ceiling``): the expected
    discounted value of a newly acquired customer, ``margin x mean spend x (1 + discounted
    expected repeat transactions over horizon steps)`` with the fitted ``model`` (BgNbd,
    MbgNbd or ParetoNbd, in its time unit), discounting at ``discount_rate`` per
    ``rate_period`` units. A DataFrame indexed by cohort (the last row ``all``): ``customers,
    mean_spend, expected_transactions, value``."""
    ids, codes, times, amounts, _ = _log(data, customer_id, date, _amount(data, amount),
                                         date_format)
    rows = _clv.acquisition_ceiling_rows(ids, codes, times, amounts, model._inner,
                                         _period(period), float(margin), float(discount_rate),
                                         float(rate_period), int(horizon))
    return _frame.frame(
        {
            "customers": np.array([r[1] for r in rows], dtype=np.int64),
            "mean_spend": np.array([r[2] for r in rows]),
            "expected_transactions": np.array([r[3] for r in rows]),
            "value": np.array([r[4] for r in rows]),
        },
        index=[r[0] for r in rows],
        index_name="cohort",
    )


def acquisition_ceiling_by_profile(model, profiles, spend=None, mean_spend=None, margin=1.0,
                                   discount_rate=0.1, rate_period=52.0, horizon=52):
    """The acquisition ceiling by covariate profile
    (``clv::insight::acquisition_ceiling_by_profile``): the expected discounted value of a new
    customer described by covariates, ``margin x mean spend x (1 + discounted expected repeat
    transactions over horizon steps)`` with the fitted covariate ``model`` (BgNbdCov,
    MbgNbdCov or ParetoNbdCov fits, in its time unit) at the profile.

    ``profiles``: a dict ``name -> {source column: value}`` with a value for every covariate
    of the fits, as :meth:`customer_model` takes them (a categorical column takes its level,
    e.g. ``{"web": {"channel": "web"}, "store": {"channel": "store"}}``). The mean spend per
    transaction: a fitted
    ``GammaGamma`` with spend covariates ``spend`` at the profile, or the number
    ``mean_spend``. A DataFrame indexed by profile: ``mean_spend, expected_transactions,
    value``."""
    if (spend is None) == (mean_spend is None):
        raise ClvError("give either spend (a GammaGamma fit with spend covariates) or mean_spend")
    rows = []
    for name, values in profiles.items():
        pairs = {}
        for fit in (model, spend):
            if fit is None:
                continue
            cols = fit.covariate_columns
            pairs.update(zip(cols, fit.design.vector(cols, dict(values))))
        rows.append((str(name), [(c, float(v)) for c, v in pairs.items()]))
    out = _clv.acquisition_ceiling_profile_rows(
        model._inner, rows, float(margin), float(discount_rate), float(rate_period),
        int(horizon), None if spend is None else spend._inner,
        None if mean_spend is None else float(mean_spend),
    )
    return _frame.frame(
        {
            "mean_spend": np.array([r[1] for r in out]),
            "expected_transactions": np.array([r[2] for r in out]),
            "value": np.array([r[3] for r in out]),
        },
        index=[r[0] for r in out],
        index_name="profile",
    )


def report(data, calibration_end, holdout_end=None, path=None, customer_id="customer_id",
           date="date", amount="amount", cohort_period=None, margin=None, profit=None,
           title=None, date_format=None):
    """The HTML report of the log (``clv::report::report``, the page of
    ``examples/report``): the three transaction models fitted to the calibration period up to
    ``calibration_end`` and checked on the holdout up to ``holdout_end`` (default: the last
    transaction), spend, value tiers, segments, cohorts. Writes it to ``path`` when given;
    returns the HTML."""
    ids, codes, times, amounts, _ = _log(data, customer_id, date, _amount(data, amount),
                                         date_format)
    per = _profit(data, profit)
    html = _clv.report_html(
        ids, codes, times, amounts, _day(calibration_end, date_format),
        None if holdout_end is None else _day(holdout_end, date_format),
        None if cohort_period is None else _period(cohort_period),
        None if margin is None else float(margin), per, title,
    )
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(html)
    return html
