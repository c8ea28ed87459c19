//! Model checking: calibration fit, holdout forecasts and tracking curves, for any
//! [`TransactionModel`].
//!
//! Numbers first, plots from the numbers (see `plot`, behind the `plot` feature):
//!
//! * [`calibration_histogram`]: actual vs expected number of customers making 0, 1, …, k−1 and
//!   k or more repeat transactions in calibration, the expected counts being
//!   `Σᵢ P(X(Tᵢ) = n)` (Fader, Hardie & Lee 2005, Figure 2; Hardie's note 014);
//! * [`holdout_by_frequency`]: actual vs conditional expected holdout transactions per customer,
//!   grouped by calibration frequency, the expectation being `E[Y(t) | xᵢ, t_xᵢ, Tᵢ]` over the
//!   holdout duration `t` (FHL 2005, Figure 4);
//! * [`tracking`]: actual vs expected repeat transactions per unit step of calendar time over
//!   calibration and holdout, incremental and cumulative, the expected cumulative count at
//!   time `τ` being `Σᵢ E[X(τ − sᵢ)]` with `sᵢ` customer `i`'s first purchase (FHL 2005,
//!   Figure 3);
//! * [`ErrorMetrics`]: mean absolute error, root mean squared error and the error of the total.
//!
//! [`diagnose`] computes them all. Times are in the unit of the
//! [`crate::data::CalibrationHoldout`] (e.g. weeks).
//!
//! ```
//! use clv::data::{Periods, TransactionLog, days_from_civil};
//! use clv::{BgNbd, FitOptions, diagnostics};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/CDNOW_sample.txt");
//! let log = TransactionLog::from_cdnow_path(path)?;
//! let cut = days_from_civil(1997, 9, 30).unwrap() as f64;
//! let split = log.calibration_holdout(&Periods::days_in_weeks(), cut, None)?;
//! let fitted = BgNbd::fit(split.calibration(), &FitOptions::default())?;
//! let report = diagnostics::diagnose(fitted.model(), &split, 7)?;
//! assert_eq!(report.holdout.actual_total, 1882.0);
//! assert!((report.holdout.predicted_total - 1653.0).abs() < 2.0);
//! println!("{}\n{}", report.histogram, report.by_frequency);
//! # Ok::<(), clv::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use crate::data::{CalibrationHoldout, Customer, RfmData};
use crate::error::{Error, Result};
use crate::models::TransactionModel;

/// Groups equal values (by bit pattern, `-0.0` folded into `0.0`) with summed weights, in order
/// of first appearance.
fn group(values: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (v, w) in values {
        let k = *index.entry((v + 0.0).to_bits()).or_insert_with(|| {
            out.push((v, 0.0));
            out.len() - 1
        });
        out[k].1 += w;
    }
    out
}

/// Label of a frequency bin: `n`, or `n+` for the last, open bin.
fn bin_label(n: u32, last: u32) -> String {
    if n == last {
        format!("{n}+")
    } else {
        n.to_string()
    }
}

/// Actual vs expected number of customers by number of repeat transactions in calibration.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FrequencyHistogram {
    /// Bin `n` = customers with exactly `n` repeat transactions; the last bin holds `n` or more.
    pub frequency: Vec<u32>,
    /// Actual number of customers per bin.
    pub actual: Vec<f64>,
    /// Expected number of customers per bin, `Σᵢ wᵢ P(X(Tᵢ) = n)` (last bin: `1 − Σ` of the others).
    pub expected: Vec<f64>,
}

impl FrequencyHistogram {
    /// Label of bin `i` (`"7+"` for the last).
    pub fn label(&self, i: usize) -> String {
        bin_label(self.frequency[i], *self.frequency.last().unwrap_or(&0))
    }
}

impl fmt::Display for FrequencyHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:>5} {:>10} {:>10}", "x", "actual", "expected")?;
        for i in 0..self.frequency.len() {
            writeln!(
                f,
                "{:>5} {:>10.0} {:>10.1}",
                self.label(i),
                self.actual[i],
                self.expected[i]
            )?;
        }
        Ok(())
    }
}

/// Actual vs expected number of customers making 0, 1, …, `max_frequency − 1` and
/// `max_frequency` or more repeat transactions in the calibration period.
///
/// The expected count of bin `n` is `Σᵢ wᵢ P(X(Tᵢ) = n)`, computed once per distinct age `T`.
///
/// # Errors
/// [`Error::InvalidParameter`] when `max_frequency` is 0; errors of
/// [`TransactionModel::probability_of_transactions`].
pub fn calibration_histogram<M: TransactionModel + ?Sized>(
    model: &M,
    data: &RfmData,
    max_frequency: u32,
) -> Result<FrequencyHistogram> {
    if max_frequency == 0 {
        return Err(Error::param(
            "max_frequency",
            0.0,
            "must be at least 1 (bins 0 and 1+)",
        ));
    }
    let k = max_frequency as usize;
    let mut actual = vec![0.0; k + 1];
    for (&x, &w) in data.frequency().iter().zip(data.weights()) {
        actual[(x as usize).min(k)] += w;
    }
    let mut expected = vec![0.0; k + 1];
    for (t, w) in group(
        data.age()
            .iter()
            .copied()
            .zip(data.weights().iter().copied()),
    ) {
        let mut below = 0.0;
        for (n, e) in expected.iter_mut().enumerate().take(k) {
            let p = model.probability_of_transactions(n as u32, t)?;
            below += p;
            *e += w * p;
        }
        expected[k] += w * (1.0 - below).max(0.0);
    }
    Ok(FrequencyHistogram {
        frequency: (0..=max_frequency).collect(),
        actual,
        expected,
    })
}

/// Conditional expected transactions of every customer of `split` over the holdout,
/// `E[Y(t) | xᵢ, t_xᵢ, Tᵢ]` with `t` = [`CalibrationHoldout::holdout_duration`], in row order
/// (computed once per distinct customer history).
///
/// # Errors
/// Errors of [`TransactionModel::conditional_expected_transactions`].
pub fn holdout_predictions<M: TransactionModel + ?Sized>(
    model: &M,
    split: &CalibrationHoldout,
) -> Result<Vec<f64>> {
    let (distinct, index) = split.calibration().distinct_customers();
    let t = split.holdout_duration();
    let values = distinct
        .customers()
        .map(|c| model.conditional_expected_transactions(&c, t))
        .collect::<Result<Vec<f64>>>()?;
    Ok(index.iter().map(|&k| values[k]).collect())
}

/// Actual vs conditional expected holdout transactions, grouped by calibration frequency.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HoldoutByFrequency {
    /// Calibration frequency of each group; the last group holds that frequency or more.
    pub frequency: Vec<u32>,
    /// Number of customers per group.
    pub n_customers: Vec<f64>,
    /// Mean actual holdout transactions per customer of the group (0 for an empty group).
    pub actual: Vec<f64>,
    /// Mean conditional expected holdout transactions per customer of the group.
    pub expected: Vec<f64>,
    /// Holdout duration (the horizon of the expectations), in the data's unit.
    pub duration: f64,
}

impl HoldoutByFrequency {
    /// Label of group `i` (`"7+"` for the last).
    pub fn label(&self, i: usize) -> String {
        bin_label(self.frequency[i], *self.frequency.last().unwrap_or(&0))
    }
}

impl fmt::Display for HoldoutByFrequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>5} {:>8} {:>10} {:>10}",
            "x", "n", "actual", "expected"
        )?;
        for i in 0..self.frequency.len() {
            writeln!(
                f,
                "{:>5} {:>8.0} {:>10.3} {:>10.3}",
                self.label(i),
                self.n_customers[i],
                self.actual[i],
                self.expected[i]
            )?;
        }
        Ok(())
    }
}

/// Mean actual and conditional expected holdout transactions per customer, grouped by
/// calibration frequency `0, 1, …, max_frequency − 1, max_frequency+`.
///
/// # Errors
/// [`Error::InvalidParameter`] when `max_frequency` is 0; errors of
/// [`TransactionModel::conditional_expected_transactions`].
pub fn holdout_by_frequency<M: TransactionModel + ?Sized>(
    model: &M,
    split: &CalibrationHoldout,
    max_frequency: u32,
) -> Result<HoldoutByFrequency> {
    let predicted = holdout_predictions(model, split)?;
    by_frequency(split, &predicted, max_frequency)
}

fn by_frequency(
    split: &CalibrationHoldout,
    predicted: &[f64],
    max_frequency: u32,
) -> Result<HoldoutByFrequency> {
    if max_frequency == 0 {
        return Err(Error::param(
            "max_frequency",
            0.0,
            "must be at least 1 (groups 0 and 1+)",
        ));
    }
    let k = max_frequency as usize;
    let (mut n, mut act, mut exp) = (vec![0.0; k + 1], vec![0.0; k + 1], vec![0.0; k + 1]);
    let data = split.calibration();
    for (i, &x) in data.frequency().iter().enumerate() {
        let g = (x as usize).min(k);
        n[g] += 1.0;
        act[g] += split.holdout_transactions()[i];
        exp[g] += predicted[i];
    }
    for g in 0..=k {
        if n[g] > 0.0 {
            act[g] /= n[g];
            exp[g] /= n[g];
        }
    }
    Ok(HoldoutByFrequency {
        frequency: (0..=max_frequency).collect(),
        n_customers: n,
        actual: act,
        expected: exp,
        duration: split.holdout_duration(),
    })
}

/// Actual vs expected repeat transactions per unit step of calendar time.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Tracking {
    /// End of each step in tracking time (1, 2, …; the last may be shorter).
    pub time: Vec<f64>,
    /// Actual repeat transactions in each step.
    pub actual_incremental: Vec<f64>,
    /// Expected repeat transactions in each step.
    pub expected_incremental: Vec<f64>,
    /// Actual repeat transactions up to the end of each step.
    pub actual_cumulative: Vec<f64>,
    /// Expected repeat transactions up to the end of each step, `Σᵢ E[X(τ − sᵢ)]`.
    pub expected_cumulative: Vec<f64>,
    /// End of calibration in tracking time.
    pub calibration_end: f64,
}

impl Tracking {
    /// Error metrics of the incremental series over the steps that end after `from` (e.g.
    /// [`Tracking::calibration_end`] for the holdout only, 0 for all steps).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no step ends after `from`.
    pub fn error_metrics(&self, from: f64) -> Result<ErrorMetrics> {
        let first = self
            .time
            .iter()
            .position(|&t| t > from)
            .unwrap_or(self.time.len());
        ErrorMetrics::new(
            &self.expected_incremental[first..],
            &self.actual_incremental[first..],
        )
    }
}

impl fmt::Display for Tracking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>7} {:>9} {:>9} {:>11} {:>11}",
            "time", "actual", "expected", "cum actual", "cum expected"
        )?;
        for i in 0..self.time.len() {
            writeln!(
                f,
                "{:>7.2} {:>9.0} {:>9.1} {:>11.0} {:>11.1}",
                self.time[i],
                self.actual_incremental[i],
                self.expected_incremental[i],
                self.actual_cumulative[i],
                self.expected_cumulative[i]
            )?;
        }
        Ok(())
    }
}

/// Tracking curves over calibration and holdout: for each unit step of tracking time (see
/// [`CalibrationHoldout`]), actual and expected repeat transactions of the customers of `split`.
///
/// The expected cumulative count at `τ` is `Σᵢ E[X(max(0, τ − sᵢ))]`, evaluated once per distinct
/// first-purchase time `sᵢ`; the incremental counts are its differences.
///
/// # Errors
/// Errors of [`TransactionModel::expected_transactions`].
pub fn tracking<M: TransactionModel + ?Sized>(
    model: &M,
    split: &CalibrationHoldout,
) -> Result<Tracking> {
    let actual_incremental = split.actual_repeat_transactions_per_step().to_vec();
    let steps = actual_incremental.len();
    let end = split.holdout_end();
    let time: Vec<f64> = (1..=steps).map(|k| (k as f64).min(end)).collect();
    let births = group(split.first_purchase().iter().map(|&s| (s, 1.0)));
    let mut expected_cumulative = vec![0.0; steps];
    for (s, w) in births {
        for (e, &tau) in expected_cumulative.iter_mut().zip(&time) {
            if tau > s {
                *e += w * model.expected_transactions(tau - s)?;
            }
        }
    }
    let diff = |c: &[f64]| -> Vec<f64> {
        c.iter()
            .scan(0.0, |prev, &v| {
                let d = v - *prev;
                *prev = v;
                Some(d)
            })
            .collect()
    };
    let actual_cumulative: Vec<f64> = actual_incremental
        .iter()
        .scan(0.0, |s, &v| {
            *s += v;
            Some(*s)
        })
        .collect();
    Ok(Tracking {
        expected_incremental: diff(&expected_cumulative),
        time,
        actual_incremental,
        actual_cumulative,
        expected_cumulative,
        calibration_end: split.calibration_end(),
    })
}

/// Error of predictions against actual values.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ErrorMetrics {
    /// Number of pairs.
    pub n: usize,
    /// Mean absolute error `Σ |pᵢ − aᵢ| / n`.
    pub mae: f64,
    /// Root mean squared error `√(Σ (pᵢ − aᵢ)² / n)`.
    pub rmse: f64,
    /// `Σ aᵢ`.
    pub actual_total: f64,
    /// `Σ pᵢ`.
    pub predicted_total: f64,
    /// `Σ pᵢ − Σ aᵢ` (negative: under-forecast).
    pub total_error: f64,
    /// `(Σ pᵢ − Σ aᵢ) / Σ aᵢ`; when `Σ aᵢ = 0` it is 0 if `Σ pᵢ = 0` and the sign of the
    /// error otherwise, so it is always finite.
    pub relative_total_error: f64,
}

impl ErrorMetrics {
    /// Metrics of `predicted` against `actual` (paired by position).
    ///
    /// ```
    /// let m = clv::diagnostics::ErrorMetrics::new(&[1.0, 2.0], &[1.0, 4.0])?;
    /// assert_eq!((m.mae, m.total_error), (1.0, -2.0));
    /// assert!((m.rmse - 2f64.sqrt()).abs() < 1e-15);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for empty or unequal-length inputs, or a non-finite value.
    pub fn new(predicted: &[f64], actual: &[f64]) -> Result<Self> {
        if predicted.is_empty() || predicted.len() != actual.len() {
            return Err(Error::InvalidInput(format!(
                "error metrics need equal, non-zero numbers of predictions and actuals (got {} and {})",
                predicted.len(),
                actual.len()
            )));
        }
        if predicted.iter().chain(actual).any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(
                "error metrics of non-finite values".into(),
            ));
        }
        let n = predicted.len();
        let (mut abs, mut sq, mut sp, mut sa) = (0.0, 0.0, 0.0, 0.0);
        for (&p, &a) in predicted.iter().zip(actual) {
            abs += (p - a).abs();
            sq += (p - a) * (p - a);
            sp += p;
            sa += a;
        }
        let total_error = sp - sa;
        let relative_total_error = if sa != 0.0 {
            total_error / sa
        } else if sp == 0.0 {
            0.0
        } else {
            total_error.signum()
        };
        Ok(ErrorMetrics {
            n,
            mae: abs / n as f64,
            rmse: (sq / n as f64).sqrt(),
            actual_total: sa,
            predicted_total: sp,
            total_error,
            relative_total_error,
        })
    }
}

impl fmt::Display for ErrorMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n {}  MAE {:.4}  RMSE {:.4}  total predicted {:.1} vs actual {:.0} ({:+.1}%)",
            self.n,
            self.mae,
            self.rmse,
            self.predicted_total,
            self.actual_total,
            100.0 * self.relative_total_error
        )
    }
}

/// P(alive) over a grid of frequency and recency at a fixed age `T`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AliveGrid {
    /// Frequencies `x = 0, 1, …` (rows).
    pub frequency: Vec<u32>,
    /// Recencies `t_x` from 0 to `T` (columns).
    pub recency: Vec<f64>,
    /// The common age `T`.
    pub age: f64,
    /// `values[row][column]` = `P(alive | x, t_x, T)`; in row `x = 0` every column holds
    /// `P(alive | 0, 0, T)` (recency is 0 by definition there).
    pub values: Vec<Vec<f64>>,
}

/// `P(alive | x, t_x, T)` for `x = 0..=max_frequency` and `n_recency` recencies evenly spaced
/// over `[0, T]`.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `age` is finite and > 0 and `n_recency >= 2`.
pub fn probability_alive_grid<M: TransactionModel + ?Sized>(
    model: &M,
    max_frequency: u32,
    age: f64,
    n_recency: usize,
) -> Result<AliveGrid> {
    crate::error::check_positive("age", age)?;
    if n_recency < 2 {
        return Err(Error::param(
            "n_recency",
            n_recency as f64,
            "must be at least 2",
        ));
    }
    let recency: Vec<f64> = (0..n_recency)
        .map(|j| age * j as f64 / (n_recency - 1) as f64)
        .collect();
    let mut values = Vec::with_capacity(max_frequency as usize + 1);
    for x in 0..=max_frequency {
        let row = if x == 0 {
            let p = model.probability_alive(&Customer::new(0.0, 0.0, age)?);
            vec![p; n_recency]
        } else {
            recency
                .iter()
                .map(|&t| Ok(model.probability_alive(&Customer::new(f64::from(x), t, age)?)))
                .collect::<Result<Vec<f64>>>()?
        };
        values.push(row);
    }
    Ok(AliveGrid {
        frequency: (0..=max_frequency).collect(),
        recency,
        age,
        values,
    })
}

/// All diagnostics of a model on a calibration/holdout split.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Diagnostics {
    /// Calibration frequency histogram, actual vs expected.
    pub histogram: FrequencyHistogram,
    /// Holdout transactions by calibration frequency, actual vs conditional expected.
    pub by_frequency: HoldoutByFrequency,
    /// Tracking curves over calibration and holdout.
    pub tracking: Tracking,
    /// Per customer: conditional expected vs actual holdout transactions (MAE, RMSE, totals).
    pub holdout: ErrorMetrics,
    /// Per step: expected vs actual incremental repeat transactions over the holdout steps.
    pub tracking_holdout: ErrorMetrics,
}

/// Every diagnostic of `model` on `split`, with frequency bins `0..max_frequency` and
/// `max_frequency+`.
///
/// # Errors
/// As [`calibration_histogram`], [`holdout_by_frequency`] and [`tracking`].
pub fn diagnose<M: TransactionModel + ?Sized>(
    model: &M,
    split: &CalibrationHoldout,
    max_frequency: u32,
) -> Result<Diagnostics> {
    let predicted = holdout_predictions(model, split)?;
    let tracking = tracking(model, split)?;
    let tracking_holdout = tracking
        .error_metrics(split.calibration_end())
        .or_else(|_| tracking.error_metrics(0.0))?;
    Ok(Diagnostics {
        histogram: calibration_histogram(model, split.calibration(), max_frequency)?,
        by_frequency: by_frequency(split, &predicted, max_frequency)?,
        holdout: ErrorMetrics::new(&predicted, split.holdout_transactions())?,
        tracking,
        tracking_holdout,
    })
}
