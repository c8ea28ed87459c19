//! [`Fitted`]: a model together with what its fit learned about itself.

use std::fmt;

use ndarray::Array2;

use crate::models::Model;
use crate::optimize::{Estimate, Status};

/// How a fit ended: the verdict on the point the optimiser returned.
///
/// Maximum likelihood needs a maximum. When the data do not determine the parameters — a
/// single customer, identical spends, every customer churning in the same period, too few
/// customers — the likelihood can keep rising as one or more parameters run off to 0 or ∞
/// (possibly several together, with a ratio fixed, e.g. `a, b → ∞` with `a/(a+b)` fixed in
/// BG/NBD). The supremum is then not attained by any parameter value: the returned parameters
/// are merely the last point reached on the way, and the log-likelihood merely approaches its
/// supremum. Such a fit is [`FitStatus::Boundary`], never [`FitStatus::Converged`].
///
/// The verdict is generic (the same for every model): along each direction of small curvature
/// of the log-likelihood in the log-parameters, the profile is probed a few log-units outward
/// on both sides; a profile that keeps improving towards the edge by more than rounding noise
/// (or stays level within it) is a boundary, one that falls on both sides is a maximum. A
/// genuine interior maximum with large parameters, well determined by the data, therefore stays
/// [`FitStatus::Converged`].
///
/// With the `serde` feature it serialises as `"converged"`, `"not_converged"`, `"flat"` or
/// `{"boundary": {"params": ["a", "b"]}}`.
///
/// ```
/// use clv::{FitOptions, FitStatus, Sbg, data::LifetimeData};
///
/// // Every customer churns in period 2: the best sBG is no heterogeneity at all,
/// // α, β → ∞ with α/(α+β) = 1/2, which no finite (α, β) attains.
/// let data = LifetimeData::new(vec![2; 10], vec![true; 10])?;
/// let fitted = Sbg::fit(&data, &FitOptions::default())?;
/// assert!(!fitted.converged());
/// assert!(fitted.std_errors().is_none());
/// match fitted.status() {
///     FitStatus::Boundary { params, .. } => assert_eq!(params, &["alpha", "beta"]),
///     other => panic!("expected a boundary, got {other}"),
/// }
/// assert_eq!(fitted.status().as_str(), "boundary");
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum FitStatus {
    /// A verified maximum: a vanishing gradient, a positive-definite Hessian (so that standard
    /// errors exist), and a log-likelihood that falls on both sides of the point along every
    /// weakly determined direction.
    Converged,
    /// A supremum on the boundary of the parameter space, not a maximum: the log-likelihood
    /// keeps rising (or stays level within rounding noise) as the named parameters run off to
    /// 0 or ∞. The data cannot determine them; the returned values are only the point where
    /// the search stopped.
    #[non_exhaustive]
    Boundary {
        /// Names of the parameters that diverge (in the model's parameter order).
        params: Vec<String>,
    },
    /// The evaluation budget ran out with a gradient that is not small, and no direction to
    /// the edge of the parameter space explains it.
    NotConverged,
    /// A vanishing gradient, but the Hessian is singular or indefinite away from the boundary
    /// (a flat ridge: some combination of the parameters is not determined by the data).
    Flat,
}

impl FitStatus {
    /// The status as a short snake-case word: `"converged"`, `"boundary"`,
    /// `"not_converged"` or `"flat"` (the `status` of the fit example's JSON).
    pub fn as_str(&self) -> &'static str {
        match self {
            FitStatus::Converged => "converged",
            FitStatus::Boundary { .. } => "boundary",
            FitStatus::NotConverged => "not_converged",
            FitStatus::Flat => "flat",
        }
    }

    /// The parameters that diverge, for [`FitStatus::Boundary`]; empty otherwise.
    pub fn boundary_params(&self) -> &[String] {
        match self {
            FitStatus::Boundary { params } => params,
            _ => &[],
        }
    }

    fn from_status(status: Status, names: &[&str]) -> Self {
        match status {
            Status::Converged => FitStatus::Converged,
            Status::Boundary(moved) => FitStatus::Boundary {
                params: moved
                    .iter()
                    .filter_map(|&i| names.get(i).map(|n| (*n).to_string()))
                    .collect(),
            },
            Status::NotConverged => FitStatus::NotConverged,
            Status::Flat => FitStatus::Flat,
        }
    }
}

impl fmt::Display for FitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitStatus::Converged => f.write_str("converged"),
            FitStatus::Boundary { params } => write!(
                f,
                "boundary: the likelihood keeps rising as {} run{} off to 0 or infinity \
                 (no maximum; the data do not determine {})",
                params.join(", "),
                if params.len() == 1 { "s" } else { "" },
                if params.len() == 1 { "it" } else { "them" },
            ),
            FitStatus::NotConverged => {
                f.write_str("not converged: the evaluation budget ran out before a maximum")
            }
            FitStatus::Flat => f.write_str(
                "flat: the gradient vanishes but the Hessian is singular or indefinite \
                 (some combination of the parameters is not determined by the data)",
            ),
        }
    }
}

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
    status: FitStatus,
    n_customers: f64,
    n_distinct: usize,
}

impl<M: Model> Fitted<M> {
    /// Assembles the result of a fit (the model must be built from `est.params`).
    pub(crate) fn new(model: M, est: Estimate, n_customers: f64, n_distinct: usize) -> Self {
        let k = est.params.len();
        let status = FitStatus::from_status(est.status, M::PARAM_NAMES);
        let converged = status == FitStatus::Converged;
        // Standard errors only at a verified maximum.
        let covariance = est.covariance.filter(|_| converged);
        let std_errors = est.std_errors.filter(|s| converged && s.len() == k);
        Fitted {
            model,
            log_likelihood: est.log_likelihood,
            std_errors,
            covariance,
            iterations: est.iterations,
            gradient_norm: est.gradient_norm,
            converged,
            status,
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
    /// [`Fitted::param_names`] order; `None` unless the fit converged ([`Fitted::converged`]):
    /// there are none at a boundary, on a flat ridge or where the optimiser stopped short.
    pub fn std_errors(&self) -> Option<&[f64]> {
        self.std_errors.as_deref()
    }

    /// Standard error of the parameter called `name`, if known.
    pub fn std_error(&self, name: &str) -> Option<f64> {
        let i = M::PARAM_NAMES.iter().position(|n| *n == name)?;
        self.std_errors.as_ref().map(|s| s[i])
    }

    /// Asymptotic covariance matrix of the parameters (natural scale); `None` unless the fit
    /// converged ([`Fitted::converged`]), and when an entry is beyond the range of `f64` (e.g.
    /// the variance of a spend scale near 1e300; the standard errors are still given).
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

    /// Whether the optimiser reached a verified maximum: exactly when [`Fitted::status`] is
    /// [`FitStatus::Converged`] (a vanishing gradient, a positive-definite Hessian so that
    /// standard errors exist, and no direction along which the likelihood keeps rising to the
    /// edge of the parameter space). A `false` here means the parameters are the best found but
    /// not determined by the data: [`Fitted::status`] says why. Do not use them blindly.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// How the fit ended: a verified maximum, a supremum on the boundary (with the parameters
    /// that diverge), a flat ridge, or a search stopped short. See [`FitStatus`].
    ///
    /// ```
    /// use clv::{BgNbd, FitOptions, FitStatus, RfmData};
    ///
    /// let data = RfmData::from_csv_path("data/cdnow_customers_summary.csv")?;
    /// let fitted = BgNbd::fit(&data, &FitOptions::default())?;
    /// assert_eq!(fitted.status(), &FitStatus::Converged);
    /// assert!(fitted.converged() && fitted.std_errors().is_some());
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn status(&self) -> &FitStatus {
        &self.status
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
