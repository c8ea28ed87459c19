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

    /// The model with the parameters `named` (`(name, value)`, each parameter once) — how a
    /// serialised [`crate::Fitted`] is read back. By default every name of
    /// [`Model::PARAM_NAMES`] must be there, in any order, and no other; a model whose
    /// parameters depend on its data (covariate coefficients) reads its form from the names and
    /// keeps their order, which is then that of [`Model::param_names`].
    ///
    /// ```
    /// use clv::{BgNbd, Model};
    /// let named: Vec<(String, f64)> = [("b", 2.4), ("a", 0.8), ("alpha", 4.4), ("r", 0.24)]
    ///     .iter()
    ///     .map(|(n, v)| (n.to_string(), *v))
    ///     .collect();
    /// assert_eq!(BgNbd::from_named_params(&named)?.params(), [0.24, 4.4, 0.8, 2.4]);
    /// assert!(BgNbd::from_named_params(&named[..3]).is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] naming a parameter that is missing, unknown or given
    /// twice; otherwise as [`Model::from_params`].
    fn from_named_params(named: &[(String, f64)]) -> Result<Self> {
        Self::from_params(&values_by_name(Self::PARAM_NAMES, named, Self::NAME)?)
    }
}

/// The values of `named` in the order of `names`: each name there exactly once, and no other
/// (`model` names the model in the error).
pub(crate) fn values_by_name(
    names: &[&str],
    named: &[(String, f64)],
    model: &str,
) -> Result<Vec<f64>> {
    for (i, (name, _)) in named.iter().enumerate() {
        if !names.contains(&name.as_str()) {
            return Err(Error::InvalidInput(format!(
                "`{name}` is not a parameter of {model} ({})",
                names.join(", ")
            )));
        }
        if named[..i].iter().any(|(n, _)| n == name) {
            return Err(Error::InvalidInput(format!(
                "the parameter `{name}` is given twice"
            )));
        }
    }
    names
        .iter()
        .map(|n| {
            named
                .iter()
                .find(|(m, _)| m == n)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    Error::InvalidInput(format!("{model}: the parameter `{n}` is missing"))
                })
        })
        .collect()
}

/// The `K` values of `p` as an array, or the error [`Model::from_params`] gives for a wrong
/// number of values (`model` names the model).
pub(crate) fn exactly<const K: usize>(p: &[f64], model: &str) -> Result<[f64; K]> {
    p.try_into()
        .map_err(|_| Error::InvalidInput(format!("{model} has {K} parameters, got {}", p.len())))
}
