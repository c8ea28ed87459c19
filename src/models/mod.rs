//! The models, one file per family, and the verbs they share.
//!
//! | setting | model |
//! |---|---|
//! | noncontractual, continuous time (customers can buy any time; churn unobserved) | [`BgNbd`], [`ParetoNbd`] |
//! | contractual, discrete periods (subscriptions; churn observed) | [`Sbg`] (shifted-beta-geometric) |
//! | spend per transaction (combine with a transaction model for customer value) | [`GammaGamma`] |

use ndarray::Array1;

use crate::data::{Customer, RfmData};
use crate::error::Result;
use crate::fit::Rescaling;

pub mod bg_nbd;
pub mod gamma_gamma;
pub mod pareto_nbd;
pub mod sbg;
mod simulation;

pub use bg_nbd::BgNbd;
pub use gamma_gamma::GammaGamma;
pub use pareto_nbd::ParetoNbd;
pub use sbg::Sbg;
pub use simulation::{MAX_SIMULATED_TRANSACTIONS, Simulate, Simulated};

/// Expresses noncontractual summaries in a well-conditioned time unit for a fit: times far
/// from 1 (e.g. 1e-300, or seconds over decades) are multiplied by a power of two `k`
/// ([`RfmData::time_scale`]; exact). The model's time-scale parameters (`rates`, e.g. α, β: per
/// unit of time) come out `k` times larger on the scaled data, and the log-likelihood of the
/// caller's data gains `ln k` per repeat purchase (the density of the purchase times in the
/// caller's unit). `None` when the times are moderate.
pub(crate) fn rescale_time(rows: &mut RfmData, rates: &[usize]) -> Option<Rescaling> {
    let k = rows.time_scale();
    if k == 1.0 {
        return None;
    }
    let repeat: f64 = rows
        .frequency()
        .iter()
        .zip(rows.weights())
        .map(|(x, w)| x * w)
        .sum();
    *rows = rows.with_time_scaled(k);
    Some(Rescaling {
        factor: k,
        params: rates.to_vec(),
        log_jacobian: repeat,
    })
}

/// The mean purchase rate `Σ w x / Σ w T` of the rows (`1/Σ w T` without repeat purchases), to
/// scale start points.
pub(crate) fn purchase_rate(rows: &RfmData) -> f64 {
    let (sx, st) = rows
        .frequency()
        .iter()
        .zip(rows.age())
        .zip(rows.weights())
        .fold((0.0, 0.0), |(sx, st), ((x, t), w)| (sx + w * x, st + w * t));
    if sx > 0.0 { sx / st } else { 1.0 / st }
}

/// A parametric model: its parameters by name, in a fixed order.
pub trait Model: Sized {
    /// The model's short name, as the `fit` example's `--model` flag and the serialised
    /// [`crate::Fitted`] spell it (e.g. `"bgnbd"`).
    const NAME: &'static str;
    /// Parameter names, in the order of [`Model::params`].
    const PARAM_NAMES: &'static [&'static str];
    /// The parameter values, in [`Model::PARAM_NAMES`] order.
    fn params(&self) -> Vec<f64>;
    /// Builds the model from parameter values in [`Model::PARAM_NAMES`] order.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when a value is out of the model's domain, or
    /// [`crate::Error::InvalidInput`] for a wrong number of values.
    fn from_params(params: &[f64]) -> Result<Self>;
}

/// The verbs of a noncontractual transaction model (BG/NBD, Pareto/NBD, ...), so that value,
/// diagnostics and users' code work with any of them.
///
/// Time is in the unit of the data the model was fitted on (days, weeks, ...).
pub trait TransactionModel {
    /// Expected number of repeat transactions of a new customer in `(0, t]`, `E[X(t)]`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite.
    fn expected_transactions(&self, t: f64) -> Result<f64>;

    /// Probability that a new customer makes exactly `n` repeat transactions in `(0, t]`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite.
    fn probability_of_transactions(&self, n: u32, t: f64) -> Result<f64>;

    /// Expected number of transactions in `(T, T + t]` of a customer with history `(x, t_x, T)`,
    /// `E[Y(t) | x, t_x, T]`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite.
    fn conditional_expected_transactions(&self, customer: &Customer, t: f64) -> Result<f64>;

    /// Probability that a customer with history `(x, t_x, T)` is still alive at `T`.
    fn probability_alive(&self, customer: &Customer) -> f64;

    /// [`TransactionModel::probability_alive`] for every row of `data`.
    fn probability_alive_batch(&self, data: &RfmData) -> Array1<f64> {
        data.customers()
            .map(|c| self.probability_alive(&c))
            .collect()
    }

    /// Discounted expected residual transactions of a customer with history `(x, t_x, T)`:
    /// the expected number of transactions after `T`, each discounted continuously at the rate
    /// `delta` per time unit of the data,
    ///
    /// ```text
    /// DERT(δ) = ∫₀^∞ e^(−δt) dE[Y(t)] = δ ∫₀^∞ e^(−δt) E[Y(t)] dt = ∫₀¹ E[Y(−ln(u)/δ)] du.
    /// ```
    ///
    /// A discount rate `d` per period of length `P` (in the data's time unit) gives
    /// `δ = ln(1 + d)/P`; see [`crate::value::DiscountRate`]. Multiplied by the expected spend per
    /// transaction and the margin, this is the customer's expected residual value.
    ///
    /// The default implementation integrates
    /// [`TransactionModel::conditional_expected_transactions`] numerically (adaptive
    /// Gauss–Kronrod after the substitution `u = w³`; relative tolerance 1e-10), which is valid
    /// for any model; models with a closed form or a cheaper representation override it.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `delta` is not finite and > 0;
    /// [`crate::Error::Numerical`] when the integral does not evaluate to a finite number.
    fn discounted_expected_residual_transactions(
        &self,
        customer: &Customer,
        delta: f64,
    ) -> Result<f64> {
        crate::value::dert_numerical(self, customer, delta)
    }

    /// [`TransactionModel::discounted_expected_residual_transactions`] for every row of `data`,
    /// computed once per distinct `(x, t_x, T)` and across the machine's cores.
    ///
    /// # Errors
    /// As [`TransactionModel::discounted_expected_residual_transactions`].
    fn discounted_expected_residual_transactions_batch(
        &self,
        data: &RfmData,
        delta: f64,
    ) -> Result<Array1<f64>>
    where
        Self: Sync,
    {
        crate::error::check_positive("delta", delta)?;
        let (distinct, index) = data.without_monetary_value().compress_with_index();
        let customers: Vec<Customer> = distinct.customers().collect();
        let values = crate::parallel::map_rows(customers.len(), 64, |i| {
            let c = customers[i];
            self.discounted_expected_residual_transactions(&c, delta)
        })
        .into_iter()
        .collect::<Result<Vec<f64>>>()?;
        Ok(index.iter().map(|&k| values[k]).collect())
    }

    /// Discounted expected transactions of a customer with history `(x, t_x, T)` over
    /// `periods` future periods of length `τ = period`, each period's expected transactions
    /// discounted at its end at the continuous rate `delta` per time unit:
    ///
    /// ```text
    /// Σ_{k=1}^{H} e^(−δkτ) [E[Y(kτ)] − E[Y((k−1)τ)]]
    /// ```
    ///
    /// (each increment clamped at 0 against rounding). The default implementation evaluates
    /// [`TransactionModel::conditional_expected_transactions`] at the `H` period ends; models
    /// with a cheaper representation override it. `periods = 0` gives 0.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `delta` is not finite and `>= 0` or `period` is
    /// not finite and `> 0`; any error of the model's predictions.
    fn discounted_transactions_discrete(
        &self,
        customer: &Customer,
        delta: f64,
        period: f64,
        periods: u32,
    ) -> Result<f64> {
        crate::value::discrete_sum(self, customer, delta, period, periods)
    }

    /// [`TransactionModel::discounted_transactions_discrete`] for every row of `data`, computed
    /// once per distinct `(x, t_x, T)` and across the machine's cores.
    ///
    /// # Errors
    /// As [`TransactionModel::discounted_transactions_discrete`].
    fn discounted_transactions_discrete_batch(
        &self,
        data: &RfmData,
        delta: f64,
        period: f64,
        periods: u32,
    ) -> Result<Array1<f64>>
    where
        Self: Sync,
    {
        crate::value::check_discrete(delta, period)?;
        let (distinct, index) = data.without_monetary_value().compress_with_index();
        let customers: Vec<Customer> = distinct.customers().collect();
        let values = crate::parallel::map_rows(customers.len(), 16, |i| {
            let c = customers[i];
            self.discounted_transactions_discrete(&c, delta, period, periods)
        })
        .into_iter()
        .collect::<Result<Vec<f64>>>()?;
        Ok(index.iter().map(|&k| values[k]).collect())
    }

    /// [`TransactionModel::conditional_expected_transactions`] over `t` for every row of `data`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite.
    fn conditional_expected_transactions_batch(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<Array1<f64>> {
        data.customers()
            .map(|c| self.conditional_expected_transactions(&c, t))
            .collect()
    }
}
