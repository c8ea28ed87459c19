//! [`Objective`]: a model's log-likelihood over a data set, as the optimiser sees it.

use crate::error::{Error, Result};

/// A log-likelihood over a data set, as the optimiser sees it: implemented by each model
/// ([`crate::fit::Estimable::objective`]), and handed out (e.g. by [`crate::BgNbd::objective`])
/// for benchmarks and checks.
///
/// Parameters are the model's natural parameters in [`crate::Model::PARAM_NAMES`] order.
/// [`Objective::log_likelihood`] returns NaN (never panics) when `theta` or `grad` does not
/// have [`Objective::n_params`] values; [`Objective::evaluate`] says so in an error instead.
///
/// ```
/// use clv::{BgNbd, Objective, RfmData};
/// let data = RfmData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?;
/// let objective = BgNbd::objective(&data);
/// assert!(objective.log_likelihood(&[0.243, 4.414], None).is_nan());
/// assert!(objective.evaluate(&[0.243, 4.414], None).is_err());
/// let ll = objective.evaluate(&[0.243, 4.414, 0.793, 2.426], None)?;
/// assert!(ll < 0.0);
/// # Ok::<(), clv::Error>(())
/// ```
pub trait Objective {
    /// Number of parameters.
    fn n_params(&self) -> usize;
    /// Total weight of the observations (number of customers): the mean is taken over it.
    fn n_obs(&self) -> f64;
    /// Number of rows summed per evaluation (sets the attainable precision); defaults to `n_obs`.
    fn n_rows(&self) -> usize {
        self.n_obs() as usize
    }
    /// Total weighted log-likelihood at the natural parameters `theta`; when `grad` is given,
    /// also writes `∂LL/∂θ` into it. May return a non-finite value (treated as infeasible); NaN
    /// when `theta` or `grad` has the wrong length.
    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64;

    /// The Hessian `∂²LL/∂θᵢ∂θⱼ` of the total weighted log-likelihood at `theta` (row-major,
    /// [`Objective::n_params`]² values), in one pass over the rows, for models that have it in
    /// closed form. `None` (the default) when the model does not, or where it does not evaluate
    /// to finite numbers: the estimation layer then differentiates the gradient numerically
    /// (2 · [`Objective::n_params`] passes).
    fn hessian(&self, theta: &[f64]) -> Option<Vec<f64>> {
        let _ = theta;
        None
    }
    /// The log-likelihood, its gradient (written into `grad`) and its Hessian (written into
    /// `hessian`, row-major as [`Objective::hessian`]) in one pass over the rows, for models
    /// whose rows give all three from the same intermediate values: one pass where
    /// [`Objective::log_likelihood`] and [`Objective::hessian`] take two (a Newton step needs
    /// all three at each point). `None` (the default) when the model has no such pass: nothing
    /// is computed. Otherwise the log-likelihood, equal to what [`Objective::log_likelihood`]
    /// returns up to rounding (bit for bit for the BG/NBD family; NaN when `theta`, `grad` or
    /// `hessian` has the wrong length), with the gradient and Hessian of those methods; the
    /// values may be non-finite, as theirs may.
    ///
    /// ```
    /// use clv::{BgNbd, Objective, RfmData};
    /// let data = RfmData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?;
    /// let objective = BgNbd::objective(&data);
    /// let theta = [0.243, 4.414, 0.793, 2.426];
    /// let (mut grad, mut hessian) = ([0.0; 4], [0.0; 16]);
    /// let ll = objective.log_likelihood_hessian(&theta, &mut grad, &mut hessian);
    /// assert_eq!(ll, Some(objective.log_likelihood(&theta, None)));
    /// assert_eq!(hessian.to_vec(), objective.hessian(&theta).unwrap());
    /// # Ok::<(), clv::Error>(())
    /// ```
    fn log_likelihood_hessian(
        &self,
        theta: &[f64],
        grad: &mut [f64],
        hessian: &mut [f64],
    ) -> Option<f64> {
        let _ = (theta, grad, hessian);
        None
    }

    /// [`Objective::log_likelihood`] with its arguments checked.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `theta` or `grad` does not have [`Objective::n_params`]
    /// values; [`Error::InvalidParameter`] when a value of `theta` is not finite.
    fn evaluate(&self, theta: &[f64], grad: Option<&mut [f64]>) -> Result<f64> {
        let k = self.n_params();
        let g = grad.as_ref().map_or(k, |g| g.len());
        if theta.len() != k || g != k {
            return Err(Error::InvalidInput(format!(
                "the model has {k} parameters; got {} values and a gradient of {g}",
                theta.len()
            )));
        }
        if let Some(v) = theta.iter().find(|v| !v.is_finite()) {
            return Err(Error::param("theta", *v, "every value must be finite"));
        }
        Ok(self.log_likelihood(theta, grad))
    }
}

impl<O: Objective + ?Sized> Objective for Box<O> {
    fn n_params(&self) -> usize {
        (**self).n_params()
    }
    fn n_obs(&self) -> f64 {
        (**self).n_obs()
    }
    fn n_rows(&self) -> usize {
        (**self).n_rows()
    }
    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        (**self).log_likelihood(theta, grad)
    }
    fn hessian(&self, theta: &[f64]) -> Option<Vec<f64>> {
        (**self).hessian(theta)
    }
    fn log_likelihood_hessian(
        &self,
        theta: &[f64],
        grad: &mut [f64],
        hessian: &mut [f64],
    ) -> Option<f64> {
        (**self).log_likelihood_hessian(theta, grad, hessian)
    }
}

/// `theta` as a `K`-array when it and `grad` (if any) have `K` values: the guard every
/// [`Objective::log_likelihood`] starts with (NaN otherwise).
pub(crate) fn params<const K: usize>(theta: &[f64], grad: Option<&[f64]>) -> Option<[f64; K]> {
    if grad.is_some_and(|g| g.len() != K) {
        return None;
    }
    theta.try_into().ok()
}
