//! The models, one file per family, and the verbs they share.
//!
//! | setting | model |
//! |---|---|
//! | noncontractual, continuous time (customers can buy any time; churn unobserved) | [`BgNbd`] |
//! | spend per transaction (combine with a transaction model for customer value) | [`GammaGamma`] |

use ndarray::Array1;

use crate::data::{Customer, RfmData};
use crate::error::Result;

pub mod bg_nbd;
pub mod gamma_gamma;

pub use bg_nbd::BgNbd;
pub use gamma_gamma::GammaGamma;

/// A parametric model: its parameters by name, in a fixed order.
pub trait Model: Sized {
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
