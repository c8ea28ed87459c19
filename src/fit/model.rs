//! [`Model`]: a parametric model's parameters by name.

use crate::error::{Error, Result};

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

    /// The names of this model's parameters, in the order of [`Model::params`]:
    /// [`Model::PARAM_NAMES`] for a model with a fixed set of parameters (the default); a model
    /// whose parameters depend on its data (covariate coefficients such as
    /// `purchase.channel_web`) lists them all.
    fn param_names(&self) -> Vec<String> {
        Self::PARAM_NAMES.iter().map(|s| (*s).to_string()).collect()
    }

    /// The model of the same form (the same covariates, say) with the parameter values
    /// `params`, in the order of [`Model::param_names`]: [`Model::from_params`] by default.
    ///
    /// # Errors
    /// As [`Model::from_params`].
    fn with_params(&self, params: &[f64]) -> Result<Self> {
        Self::from_params(params)
    }
}

/// The `K` values of `p` as an array, or the error [`Model::from_params`] gives for a wrong
/// number of values (`model` names the model).
pub(crate) fn exactly<const K: usize>(p: &[f64], model: &str) -> Result<[f64; K]> {
    p.try_into()
        .map_err(|_| Error::InvalidInput(format!("{model} has {K} parameters, got {}", p.len())))
}
