//! Insight and report (`clv::insight`, `clv::report`) of a transaction log given as distinct
//! customer ids, per transaction the index of its customer, its time (days since 1970-01-01)
//! and its amount. Tables come back as the CSV text of the Rust tables (`to_csv`), so Python
//! reads the very same numbers.

use clv::data::{Periods, TransactionLog};
use clv::insight::{
    AtRiskRule, Period, Profit, SegmentOptions, SegmentTable, Tiers, ValueInterval,
    acquisition_ceiling, cohort_retention, segment_fitted,
};
use clv::report::{ReportOptions, report};
use clv::value::DiscountRate;
use clv::value::Valuation;
use clv::{GammaGamma, Model, TransactionModel};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::{
    BgNbdPy, Col, GammaGammaPy, Held, MbgNbdPy, OrRaise, ParetoNbdPy, log, method, opt_vec, raise,
    valuation,
};

fn period(text: &str) -> PyResult<Period> {
    Period::parse(text).or_raise()
}

/// The model of a native BgNbd, MbgNbd or ParetoNbd.
fn transaction_model<'a>(
    model: &'a Bound<'_, PyAny>,
) -> PyResult<&'a (dyn TransactionModel + Sync)> {
    if let Ok(m) = model.downcast::<BgNbdPy>() {
        Ok(&m.get().0.model)
    } else if let Ok(m) = model.downcast::<MbgNbdPy>() {
        Ok(&m.get().0.model)
    } else if let Ok(m) = model.downcast::<ParetoNbdPy>() {
        Ok(&m.get().0.model)
    } else {
        Err(raise(clv::Error::InvalidInput(
            "a BgNbd, MbgNbd or ParetoNbd model is needed".into(),
        )))
    }
}

/// One row of the acquisition ceiling: `(cohort, customers, mean_spend,
/// expected_transactions, value)`.
type CeilingRow = (String, u64, f64, f64, f64);

/// The acquisition ceiling by cohort (`clv::insight::acquisition_ceiling`), discounting at
/// `rate` per `rate_period` model units over `horizon` steps.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn acquisition_ceiling_rows<'py>(
    py: Python<'py>,
    ids: Vec<String>,
    customer: PyReadonlyArray1<'py, u32>,
    times: Col<'py>,
    amounts: Option<Col<'py>>,
    model: &Bound<'py, PyAny>,
    period_text: &str,
    margin: f64,
    rate: f64,
    rate_period: f64,
    horizon: u32,
) -> PyResult<Vec<CeilingRow>> {
    let log = log(ids, &customer, &times, &amounts)?;
    let discount = DiscountRate::new(rate, rate_period).or_raise()?;
    let (m, period) = (transaction_model(model)?, period(period_text)?);
    let rows = py
        .allow_threads(|| acquisition_ceiling(m, &log, period, margin, discount, horizon))
        .or_raise()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.cohort,
                r.customers,
                r.mean_spend,
                r.expected_transactions,
                r.value,
            )
        })
        .collect())
}

/// One row of the acquisition ceiling by profile: `(profile, mean_spend,
/// expected_transactions, value)`.
type ProfileRow = (String, f64, f64, f64);

/// The acquisition ceiling by covariate profile
/// (`clv::insight::acquisition_ceiling_by_profile`) of a fitted BgNbdCov, MbgNbdCov or
/// ParetoNbdCov: `profiles` as `(name, [(column, value)])`, the mean spend from a fitted
/// GammaGammaCov `spend` or the number `mean_spend`.
#[pyfunction]
#[pyo3(signature = (model, profiles, margin, rate, rate_period, horizon, spend=None, mean_spend=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn acquisition_ceiling_profile_rows(
    py: Python<'_>,
    model: &Bound<'_, PyAny>,
    profiles: Vec<(String, Vec<(String, f64)>)>,
    margin: f64,
    rate: f64,
    rate_period: f64,
    horizon: u32,
    spend: Option<&crate::covariates::GammaGammaCovPy>,
    mean_spend: Option<f64>,
) -> PyResult<Vec<ProfileRow>> {
    use crate::covariates::{BgNbdCovPy, MbgNbdCovPy, ParetoNbdCovPy};
    use clv::insight::{CovariateProfile, ProfileSpend, acquisition_ceiling_by_profile as by};
    let discount = DiscountRate::new(rate, rate_period).or_raise()?;
    let profiles: Vec<CovariateProfile> = profiles
        .into_iter()
        .map(|(name, values)| CovariateProfile::new(name, values))
        .collect();
    let spend = match (spend, mean_spend) {
        (Some(s), None) => ProfileSpend::Covariates(s.fit.model()),
        (None, Some(m)) => ProfileSpend::Mean(m),
        _ => {
            return Err(raise(clv::Error::InvalidInput(
                "give either a GammaGammaCov spend model or a mean spend".into(),
            )));
        }
    };
    let p = &profiles;
    let rows = if let Ok(m) = model.downcast::<BgNbdCovPy>() {
        let m = m.get().fit.model();
        py.allow_threads(|| by(m, spend, p, margin, discount, horizon))
    } else if let Ok(m) = model.downcast::<MbgNbdCovPy>() {
        let m = m.get().fit.model();
        py.allow_threads(|| by(m, spend, p, margin, discount, horizon))
    } else if let Ok(m) = model.downcast::<ParetoNbdCovPy>() {
        let m = m.get().fit.model();
        py.allow_threads(|| by(m, spend, p, margin, discount, horizon))
    } else {
        return Err(raise(clv::Error::InvalidInput(
            "a BgNbdCov, MbgNbdCov or ParetoNbdCov model is needed".into(),
        )));
    }
    .or_raise()?;
    Ok(rows
        .into_iter()
        .map(|r| (r.profile, r.mean_spend, r.expected_transactions, r.value))
        .collect())
}

/// The cohort retention triangle as CSV (`RetentionTable::to_csv`). `margin`: profit as a
/// share of amounts; `profit`: one profit per transaction (else no profit-adjusted rate).
#[pyfunction]
#[pyo3(signature = (ids, customer, times, amounts, period_text, margin=None, profit=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn retention_csv<'py>(
    py: Python<'py>,
    ids: Vec<String>,
    customer: PyReadonlyArray1<'py, u32>,
    times: Col<'py>,
    amounts: Option<Col<'py>>,
    period_text: &str,
    margin: Option<f64>,
    profit: Option<Col<'py>>,
) -> PyResult<String> {
    let log = log(ids, &customer, &times, &amounts)?;
    let profit = match (margin, opt_vec(&profit)?) {
        (_, Some(p)) => Profit::PerTransaction(p),
        (Some(m), None) => Profit::Margin(m),
        (None, None) => Profit::None,
    };
    let period = period(period_text)?;
    let table = py
        .allow_threads(|| cohort_retention(&log, period, &profit))
        .or_raise()?;
    Ok(table.to_csv())
}

/// The segment table of one transaction model (`segment_fitted`; without intervals the
/// models need not be fitted).
#[allow(clippy::too_many_arguments)]
fn segment_table<M>(
    py: Python<'_>,
    held: &Held<M>,
    spend: &Held<GammaGamma>,
    valuation: &Valuation,
    log: &TransactionLog,
    grid: &Periods,
    observation_end: f64,
    options: &SegmentOptions,
) -> PyResult<SegmentTable>
where
    M: TransactionModel + Model + Clone + serde::Serialize + serde::de::DeserializeOwned,
    M: Send + Sync,
{
    if options.clv_interval.is_none() {
        return py
            .allow_threads(|| {
                clv::insight::segment_customers(
                    &held.model,
                    &spend.model,
                    valuation,
                    log,
                    grid,
                    observation_end,
                    options.reference,
                    &options.tiers,
                    &options.rule,
                )
            })
            .or_raise();
    }
    let (m, s) = (held.fit()?, spend.fit()?);
    py.allow_threads(|| segment_fitted(m, s, valuation, log, grid, observation_end, options))
        .or_raise()
}

/// The segment table as CSV (`SegmentTable::to_csv`) of the customers of the log at
/// `observation_end`, valued with `model` (a native BgNbd, MbgNbd or ParetoNbd) and `spend`:
/// discounting at `rate` per `rate_period` model units, continuously over `horizon` (forever
/// when `None`) or at the ends of `periods` steps of `step` units. `interval`: `(level,
/// draws, seed)` of the value intervals (`draws` `None`: the delta method; both models must be
/// fitted).
#[pyfunction]
#[pyo3(signature = (ids, customer, times, amounts, model, spend, observation_end, period_len, unit, margin, rate, rate_period, step=1.0, horizon=None, periods=None, reference=None, cuts=None, rule=None, interval=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn segments_csv<'py>(
    py: Python<'py>,
    ids: Vec<String>,
    customer: PyReadonlyArray1<'py, u32>,
    times: Col<'py>,
    amounts: Option<Col<'py>>,
    model: &Bound<'py, PyAny>,
    spend: &GammaGammaPy,
    observation_end: f64,
    period_len: f64,
    unit: f64,
    margin: f64,
    rate: f64,
    rate_period: f64,
    step: f64,
    horizon: Option<f64>,
    periods: Option<u32>,
    reference: Option<f64>,
    cuts: Option<Vec<f64>>,
    rule: Option<(u8, f64, f64)>,
    interval: Option<(f64, Option<usize>, u64)>,
) -> PyResult<String> {
    let log = log(ids, &customer, &times, &amounts)?;
    let grid = Periods::new(period_len, unit).or_raise()?;
    let valuation = valuation(margin, rate, rate_period, step, horizon, periods)?;
    let tiers = match cuts {
        Some(c) => Tiers::new(c).or_raise()?,
        None => Tiers::default(),
    };
    let rule = match rule {
        Some((tiers, threshold, drop)) => AtRiskRule {
            tiers,
            threshold,
            drop,
        },
        None => AtRiskRule::default(),
    };
    let options = SegmentOptions {
        reference,
        tiers,
        rule,
        clv_interval: interval.map(|(level, draws, seed)| ValueInterval {
            level,
            method: method(draws, seed),
        }),
    };
    let (s, end) = (&spend.0, observation_end);
    let table = if let Ok(m) = model.downcast::<BgNbdPy>() {
        segment_table(py, &m.get().0, s, &valuation, &log, &grid, end, &options)?
    } else if let Ok(m) = model.downcast::<MbgNbdPy>() {
        segment_table(py, &m.get().0, s, &valuation, &log, &grid, end, &options)?
    } else if let Ok(m) = model.downcast::<ParetoNbdPy>() {
        segment_table(py, &m.get().0, s, &valuation, &log, &grid, end, &options)?
    } else {
        return Err(raise(clv::Error::InvalidInput(
            "a BgNbd, MbgNbd or ParetoNbd model is needed".into(),
        )));
    };
    Ok(table.to_csv())
}

/// The HTML report of the log (`clv::report::report`): calibration to `calibration_end`,
/// holdout to `holdout_end` (default: the last transaction).
#[pyfunction]
#[pyo3(signature = (ids, customer, times, amounts, calibration_end, holdout_end=None, cohort_period=None, margin=None, profit=None, title=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn report_html<'py>(
    py: Python<'py>,
    ids: Vec<String>,
    customer: PyReadonlyArray1<'py, u32>,
    times: Col<'py>,
    amounts: Option<Col<'py>>,
    calibration_end: f64,
    holdout_end: Option<f64>,
    cohort_period: Option<&str>,
    margin: Option<f64>,
    profit: Option<Col<'py>>,
    title: Option<String>,
) -> PyResult<String> {
    let log = log(ids, &customer, &times, &amounts)?;
    let mut options = ReportOptions::new(calibration_end);
    options.holdout_end = holdout_end;
    if let Some(p) = cohort_period {
        options.cohort_period = period(p)?;
    }
    if let Some(m) = margin {
        options.margin = m;
    }
    options.profit = opt_vec(&profit)?;
    if let Some(t) = title {
        options.title = t;
    }
    py.allow_threads(|| report(&log, &options)).or_raise()
}
