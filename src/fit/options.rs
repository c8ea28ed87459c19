//! [`FitOptions`]: what a user may set about a fit, checked once.

use crate::error::{Error, Result};

/// Options for maximum-likelihood fitting, shared by every model.
///
/// Build them with [`FitOptions::builder`], which checks every value, or start from
/// [`FitOptions::default`] and set the fields (they are checked when the fit starts):
///
/// ```
/// use clv::FitOptions;
///
/// let options = FitOptions::builder().penalty(0.01).max_evaluations(500).build()?;
/// assert_eq!(options.penalty, 0.01); // like `lifetimes`' penalizer_coef
/// assert_eq!(options.max_iterations, 1000);
///
/// let err = FitOptions::builder().penalty(-1.0).build().unwrap_err();
/// assert!(err.to_string().contains("penalty"));
///
/// let mut options = FitOptions::default();
/// options.penalty = 0.01;
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FitOptions {
    /// L2 penalty `λ Σ θ²` on the natural parameters, added to the *mean* negative
    /// log-likelihood (as `lifetimes`' `penalizer_coef`). 0 (the default) reproduces the papers.
    pub penalty: f64,
    /// Iteration cap of each L-BFGS run (default 1000).
    pub max_iterations: u64,
    /// A start point in the natural parameters (in the model's parameter order), tried before the
    /// model's own data-driven start points.
    pub start: Option<Vec<f64>>,
    /// Budget of likelihood evaluations over all optimiser runs (default 3000; a regular fit
    /// needs well under 200). A pass of the model's analytic Hessian counts as one evaluation.
    /// When it is spent the fit stops at the best point found, and
    /// [`crate::Fitted::status`] tells what that point is (a maximum, a supremum on the
    /// boundary, a flat ridge, or [`crate::FitStatus::NotConverged`]): this bounds the time of
    /// fits whose likelihood keeps rising towards the edge of the parameter space. The
    /// examination of the final point (a few to a few dozen evaluations for a regular fit)
    /// comes on top.
    pub max_evaluations: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            penalty: 0.0,
            max_iterations: 1000,
            start: None,
            max_evaluations: 3000,
        }
    }
}

impl FitOptions {
    /// A builder starting from the defaults; [`FitOptionsBuilder::build`] checks the values.
    ///
    /// ```
    /// let options = clv::FitOptions::builder().start(vec![0.2, 4.0, 0.8, 2.4]).build()?;
    /// assert_eq!(options.start.as_deref(), Some(&[0.2, 4.0, 0.8, 2.4][..]));
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn builder() -> FitOptionsBuilder {
        FitOptionsBuilder {
            options: FitOptions::default(),
        }
    }

    /// Checks the values that do not depend on the model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a penalty that is not finite and `>= 0`, an iteration or
    /// evaluation budget of 0, or a start point with a value that is not finite.
    pub fn check(&self) -> Result<()> {
        if !(self.penalty.is_finite() && self.penalty >= 0.0) {
            return Err(Error::param(
                "penalty",
                self.penalty,
                "must be finite and >= 0",
            ));
        }
        if self.max_iterations == 0 {
            return Err(Error::param("max_iterations", 0.0, "must be >= 1"));
        }
        if self.max_evaluations == 0 {
            return Err(Error::param("max_evaluations", 0.0, "must be >= 1"));
        }
        if let Some(v) = self.start.iter().flatten().find(|v| !v.is_finite()) {
            return Err(Error::param("start", *v, "every value must be finite"));
        }
        Ok(())
    }

    /// Checks the options for a model with `n_params` parameters.
    pub(crate) fn validate(&self, n_params: usize) -> Result<()> {
        self.check()?;
        if let Some(s) = &self.start {
            if s.len() != n_params {
                return Err(Error::InvalidInput(format!(
                    "start point has {} values, the model has {n_params} parameters",
                    s.len()
                )));
            }
        }
        Ok(())
    }
}

/// Builds [`FitOptions`], checking every value in [`FitOptionsBuilder::build`].
///
/// ```
/// let options = clv::FitOptions::builder().max_iterations(200).build()?;
/// assert_eq!(options.max_iterations, 200);
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct FitOptionsBuilder {
    options: FitOptions,
}

impl FitOptionsBuilder {
    /// The L2 penalty `λ` (see [`FitOptions::penalty`]); must be finite and `>= 0`.
    pub fn penalty(mut self, lambda: f64) -> Self {
        self.options.penalty = lambda;
        self
    }

    /// The iteration cap of each L-BFGS run; must be `>= 1`.
    pub fn max_iterations(mut self, n: u64) -> Self {
        self.options.max_iterations = n;
        self
    }

    /// The budget of likelihood evaluations; must be `>= 1`.
    pub fn max_evaluations(mut self, n: u64) -> Self {
        self.options.max_evaluations = n;
        self
    }

    /// A start point in the model's natural parameters, in its parameter order (the length is
    /// checked against the model when the fit starts).
    pub fn start(mut self, theta: Vec<f64>) -> Self {
        self.options.start = Some(theta);
        self
    }

    /// The options, once checked.
    ///
    /// # Errors
    /// As [`FitOptions::check`].
    pub fn build(self) -> Result<FitOptions> {
        self.options.check()?;
        Ok(self.options)
    }
}
