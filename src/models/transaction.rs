//! The verbs every noncontractual transaction model shares ([`TransactionModel`]), with the
//! model-agnostic defaults behind them (numerical DERT, discrete discounted sums).

use ndarray::Array1;

use crate::data::{Customer, RfmData};
use crate::error::{Result, check_positive};
use crate::numerics::finite_non_negative;
use crate::numerics::quadrature::try_integrate;
use crate::parallel::map_rows;

/// Relative tolerance of the numerical integrals of expected transactions over time.
const REL_TOL: f64 = 1e-10;
/// Panel cap of the adaptive quadrature.
const MAX_PANELS: usize = 500;

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
        dert_numerical(self, customer, delta)
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
        per_distinct_customer(data, 64, |c| {
            self.discounted_expected_residual_transactions(c, delta)
        })
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
        discrete_sum(self, customer, delta, period, periods)
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
        check_discrete(delta, period)?;
        per_distinct_customer(data, 16, |c| {
            self.discounted_transactions_discrete(c, delta, period, periods)
        })
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

/// Checks the arguments of a discrete discounted sum: `delta` finite and `>= 0`, `period` finite
/// and `> 0`.
pub(crate) fn check_discrete(delta: f64, period: f64) -> Result<()> {
    crate::error::check_non_negative("delta", delta)?;
    check_positive("period", period)?;
    Ok(())
}

/// `Σ_{k=1}^{H} e^(−δkτ) max(E[Y(kτ)] − E[Y((k−1)τ)], 0)` from the model's conditional
/// expectations: the default of [`TransactionModel::discounted_transactions_discrete`].
pub(crate) fn discrete_sum<M: TransactionModel + ?Sized>(
    model: &M,
    customer: &Customer,
    delta: f64,
    period: f64,
    periods: u32,
) -> Result<f64> {
    check_discrete(delta, period)?;
    let mut sum = 0.0;
    let mut prev = 0.0;
    for k in 1..=periods {
        let t = f64::from(k) * period;
        let e = model.conditional_expected_transactions(customer, t)?;
        sum += (e - prev).max(0.0) * (-delta * t).exp();
        prev = e;
    }
    Ok(sum)
}

/// The model-agnostic numerical DERT, `∫₀¹ E[Y(−ln(u)/δ)] du` with `u = w³` (so the integrand
/// `3w² E[Y(−3 ln(w)/δ)]` vanishes at `w = 0` even when `E[Y(t)]` grows without bound), by
/// adaptive Gauss–Kronrod. The default of
/// [`TransactionModel::discounted_expected_residual_transactions`], public so that closed forms
/// can be checked against it.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] when `delta` is not finite and `> 0`;
/// [`crate::Error::Numerical`] when the integral does not evaluate to a finite number; any error
/// of the model's predictions.
pub fn dert_numerical<M: TransactionModel + ?Sized>(
    model: &M,
    customer: &Customer,
    delta: f64,
) -> Result<f64> {
    check_positive("delta", delta)?;
    let v = integrate_unit_interval(|w: f64| {
        if w <= 0.0 {
            return Ok(0.0);
        }
        let t = -3.0 * w.ln() / delta;
        Ok(3.0 * w * w * model.conditional_expected_transactions(customer, t)?)
    })?;
    finite_non_negative(v, "DERT")
}

/// `∫₀¹ f` for an integrand built from a model's predictions (which may fail: the first error
/// is returned), by adaptive Gauss–Kronrod to a relative tolerance of 1e-10.
pub(crate) fn integrate_unit_interval(f: impl Fn(f64) -> Result<f64>) -> Result<f64> {
    Ok(try_integrate(f, 0.0, 1.0, REL_TOL, 0.0, MAX_PANELS)?.0)
}

/// `f` for every row of `data`, evaluated once per distinct `(x, t_x, T)` and across the
/// machine's cores (at least `min_per_thread` distinct rows per thread).
pub(crate) fn per_distinct_customer(
    data: &RfmData,
    min_per_thread: usize,
    f: impl Fn(&Customer) -> Result<f64> + Sync,
) -> Result<Array1<f64>> {
    let (distinct, index) = data.distinct_customers();
    let customers: Vec<Customer> = distinct.customers().collect();
    let values = map_rows(customers.len(), min_per_thread, |i| f(&customers[i]))
        .into_iter()
        .collect::<Result<Vec<f64>>>()?;
    Ok(index.iter().map(|&k| values[k]).collect())
}
