//! [`Fitted`]: a model together with what its fit learned about itself.

use ndarray::Array2;

use crate::models::Model;
use crate::optimize::Estimate;

/// A fitted model: the model (its parameters) plus the fit's log-likelihood, standard errors,
/// covariance, iteration count, convergence and information criteria.
///
/// The model itself predicts exactly as one built from the same numbers with its constructor;
/// take it with [`Fitted::model`] or [`Fitted::into_model`].
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Fitted<M> {
    model: M,
    log_likelihood: f64,
    std_errors: Option<Vec<f64>>,
    covariance: Option<Vec<f64>>,
    iterations: u64,
    gradient_norm: f64,
    converged: bool,
    n_customers: f64,
    n_distinct: usize,
}

impl<M: Model> Fitted<M> {
    /// Assembles the result of a fit (the model must be built from `est.params`).
    pub(crate) fn new(model: M, est: Estimate, n_customers: f64, n_distinct: usize) -> Self {
        let k = est.params.len();
        let std_errors = est.covariance.as_ref().map(|c| {
            (0..k)
                .map(|i| c[i * k + i].max(0.0).sqrt())
                .collect::<Vec<_>>()
        });
        Fitted {
            model,
            log_likelihood: est.log_likelihood,
            std_errors,
            covariance: est.covariance,
            iterations: est.iterations,
            gradient_norm: est.gradient_norm,
            converged: est.converged,
            n_customers,
            n_distinct,
        }
    }

    /// The fitted model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The fitted model, by value.
    pub fn into_model(self) -> M {
        self.model
    }

    /// Parameter names, in the order of [`Fitted::std_errors`] and [`Fitted::covariance`].
    pub fn param_names(&self) -> &'static [&'static str] {
        M::PARAM_NAMES
    }

    /// Maximised log-likelihood (total over customers, in the data's time unit; without any penalty).
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Asymptotic standard errors of the parameters (natural scale, delta method), in
    /// [`Fitted::param_names`] order; `None` when the Hessian at the optimum is not positive definite.
    pub fn std_errors(&self) -> Option<&[f64]> {
        self.std_errors.as_deref()
    }

    /// Standard error of the parameter called `name`, if known.
    pub fn std_error(&self, name: &str) -> Option<f64> {
        let i = M::PARAM_NAMES.iter().position(|n| *n == name)?;
        self.std_errors.as_ref().map(|s| s[i])
    }

    /// Asymptotic covariance matrix of the parameters (natural scale), when available.
    pub fn covariance(&self) -> Option<Array2<f64>> {
        let k = M::PARAM_NAMES.len();
        self.covariance
            .as_ref()
            .and_then(|c| Array2::from_shape_vec((k, k), c.clone()).ok())
    }

    /// Iterations the optimiser used (all runs together).
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// ∞-norm of the gradient of the mean negative log-likelihood (log-parameters) at the optimum.
    pub fn gradient_norm(&self) -> f64 {
        self.gradient_norm
    }

    /// Whether the optimiser reached a verified maximum: a vanishing gradient and a
    /// positive-definite Hessian (so that standard errors exist). A `false` here means the
    /// parameters are the best found but not determined by the data (a maximum on the edge of
    /// the parameter space, a flat ridge, too few customers): do not use them blindly.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Number of customers in the fit (sum of weights).
    pub fn n_customers(&self) -> f64 {
        self.n_customers
    }

    /// Number of distinct rows the likelihood was evaluated on.
    pub fn n_distinct(&self) -> usize {
        self.n_distinct
    }

    /// Akaike information criterion, `2k − 2 LL`.
    pub fn aic(&self) -> f64 {
        2.0 * M::PARAM_NAMES.len() as f64 - 2.0 * self.log_likelihood
    }

    /// Bayesian information criterion, `k ln n − 2 LL` with `n` the number of customers.
    pub fn bic(&self) -> f64 {
        M::PARAM_NAMES.len() as f64 * self.n_customers.ln() - 2.0 * self.log_likelihood
    }
}
