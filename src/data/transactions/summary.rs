//! The results of a transaction log: per-customer summaries and calibration/holdout splits.

use crate::data::RfmData;

/// A per-customer summary built by [`TransactionLog::summarize`](super::TransactionLog::summarize).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub(super) data: RfmData,
    pub(super) first_purchase: Vec<f64>,
    pub(super) n_excluded: usize,
}

impl Summary {
    /// The validated summary `(x, t_x, T[, monetary value])`, one row per included customer in
    /// order of first appearance in the log, with the customers' ids
    /// ([`RfmData::ids`]).
    pub fn data(&self) -> &RfmData {
        &self.data
    }

    /// The summary, by value.
    pub fn into_data(self) -> RfmData {
        self.data
    }

    /// Customer id of each row of [`Summary::data`].
    pub fn customer_ids(&self) -> &[String] {
        self.data.ids().unwrap_or_default()
    }

    /// Per row, the time of the first purchase in the summary's unit, measured from the start of
    /// the log's earliest purchase period.
    pub fn first_purchase(&self) -> &[f64] {
        &self.first_purchase
    }

    /// Customers left out because their first purchase falls in or after the period of the
    /// observation end.
    pub fn n_excluded(&self) -> usize {
        self.n_excluded
    }
}

/// A calibration/holdout split built by [`TransactionLog::calibration_holdout`](super::TransactionLog::calibration_holdout): the
/// calibration summary and, per customer, what happened in the holdout period.
///
/// Times are in the unit of the [`Periods`](super::Periods) used. *Tracking time* is measured from the start of
/// the log's earliest purchase period: the calibration period ends at
/// [`CalibrationHoldout::calibration_end`] and the holdout at [`CalibrationHoldout::holdout_end`].
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationHoldout {
    pub(super) calibration: RfmData,
    pub(super) holdout_transactions: Vec<f64>,
    pub(super) holdout_duration: f64,
    pub(super) first_purchase: Vec<f64>,
    pub(super) calibration_end: f64,
    pub(super) holdout_end: f64,
    pub(super) actual_per_step: Vec<f64>,
    pub(super) n_excluded: usize,
}

impl CalibrationHoldout {
    /// The calibration summary `(x, t_x, T[, monetary value])`, one row per customer whose first
    /// purchase precedes the cut-off period, in order of first appearance in the log, with the
    /// customers' ids ([`RfmData::ids`]).
    pub fn calibration(&self) -> &RfmData {
        &self.calibration
    }

    /// Customer id of each row.
    pub fn customer_ids(&self) -> &[String] {
        self.calibration.ids().unwrap_or_default()
    }

    /// Number of customers in the calibration summary.
    pub fn n_customers(&self) -> usize {
        self.calibration.len()
    }

    /// Per row, the number of repeat transactions (distinct purchase periods) after the cut-off
    /// period, up to and including the period of the holdout end.
    pub fn holdout_transactions(&self) -> &[f64] {
        &self.holdout_transactions
    }

    /// Length of the holdout period, `(p_end − p_cut) · length / unit`: the horizon `t` of each
    /// customer's conditional expectation `E[Y(t) | x, t_x, T]`. Every customer of the
    /// calibration summary was acquired before the cut-off, so it is the same for all of them.
    pub fn holdout_duration(&self) -> f64 {
        self.holdout_duration
    }

    /// Per row, the time of the first purchase in tracking time.
    pub fn first_purchase(&self) -> &[f64] {
        &self.first_purchase
    }

    /// End of the cut-off period in tracking time (each customer's `T` runs from the start of
    /// the first purchase period to the *start* of the cut-off period, one period earlier).
    pub fn calibration_end(&self) -> f64 {
        self.calibration_end
    }

    /// End of the holdout period (the end of the period of the holdout end) in tracking time.
    pub fn holdout_end(&self) -> f64 {
        self.holdout_end
    }

    /// Actual repeat transactions (distinct purchase periods after each customer's first) per
    /// unit step of tracking time, over calibration and holdout: element `k` counts those at
    /// tracking times in `[k, k + 1)`.
    pub fn actual_repeat_transactions_per_step(&self) -> &[f64] {
        &self.actual_per_step
    }

    /// Customers left out because their first purchase falls in or after the cut-off period.
    pub fn n_excluded(&self) -> usize {
        self.n_excluded
    }
}
