//! [`Fitted`]: a model together with what its fit learned about itself.

use std::fmt;

use ndarray::Array2;

use super::Model;
use crate::error::{Error, Result};
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

    fn from_status(status: Status, names: &[String]) -> Self {
        match status {
            Status::Converged => FitStatus::Converged,
            Status::Boundary(moved) => FitStatus::Boundary {
                params: moved
                    .iter()
                    .filter_map(|&i| names.get(i).cloned())
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

impl FitStatus {
    /// The status from its word ([`FitStatus::as_str`]) and, for `"boundary"`, the parameters
    /// that diverge (the form of the fit JSON).
    fn from_word(word: &str, boundary: Vec<String>) -> Result<Self> {
        Ok(match word {
            "converged" => FitStatus::Converged,
            "boundary" => FitStatus::Boundary { params: boundary },
            "not_converged" => FitStatus::NotConverged,
            "flat" => FitStatus::Flat,
            other => {
                return Err(Error::InvalidInput(format!(
                    "unknown fit status {other:?}; known: converged, boundary, not_converged, flat"
                )));
            }
        })
    }
}

/// A fitted model: the model (its parameters) plus the fit's log-likelihood, standard errors,
/// covariance, iteration and evaluation counts, status and information criteria.
///
/// The model itself predicts exactly as one built from the same numbers with its constructor;
/// take it with [`Fitted::model`] or [`Fitted::into_model`]. [`Fitted::summary`] (and
/// `Display`) gives the table users of lifetimes and CLVTools expect.
///
/// With the `serde` feature a `Fitted` serialises to, and deserialises from, one object:
/// `{"model", "params": {name: value}, "std_errors": {name: value} | null,
/// "covariance": [[…]] | null, "lower_bounds", "log_likelihood", "aic", "bic", "converged",
/// "status" (as [`FitStatus`] serialises), "iterations", "evaluations", "gradient_norm",
/// "n_customers", "n_distinct"}` — the `"params"` object as the `fit` example prints it.
/// Deserialising validates the parameters through the model's constructor
/// ([`Model::from_named_params`]: a model with covariates reads its coefficients from their
/// names, in the order of the JSON text, which the covariance follows; a lower bound of `−∞`
/// is written `null`), and also reads the `fit` example's JSON (whose `"status"` is a word,
/// with `"boundary"` beside it).
///
/// ```
/// use clv::{BgNbd, FitOptions, RfmData};
/// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
/// let fitted = BgNbd::fit(&data, &FitOptions::default())?;
/// let table = fitted.summary().to_string();
/// assert!(table.contains("alpha") && table.contains("95%"));
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted<M> {
    model: M,
    log_likelihood: f64,
    std_errors: Option<Vec<f64>>,
    covariance: Option<Vec<f64>>,
    lower: Vec<f64>,
    iterations: u64,
    evaluations: u64,
    gradient_norm: f64,
    converged: bool,
    status: FitStatus,
    n_customers: f64,
    n_distinct: usize,
}

impl<M: Model> Fitted<M> {
    /// Assembles the result of a fit (the model must be built from `est.params`; `lower` are
    /// the bounds the fit kept the parameters above).
    pub(crate) fn new(
        model: M,
        est: Estimate,
        n_customers: f64,
        n_distinct: usize,
        lower: &[f64],
    ) -> Self {
        let k = est.params.len();
        let status = FitStatus::from_status(est.status, &model.param_names());
        let converged = status == FitStatus::Converged;
        // Standard errors only at a verified maximum.
        let covariance = est.covariance.filter(|c| converged && c.len() == k * k);
        let std_errors = est.std_errors.filter(|s| converged && s.len() == k);
        Fitted {
            model,
            log_likelihood: est.log_likelihood,
            std_errors,
            covariance,
            lower: lower.to_vec(),
            iterations: est.iterations,
            evaluations: est.evaluations,
            gradient_norm: est.gradient_norm,
            converged,
            status,
            n_customers,
            n_distinct,
        }
    }

    /// Replaces the reported log-likelihood (a fit whose objective carried a penalty reports
    /// the unpenalised value at its estimate).
    pub(crate) fn set_log_likelihood(&mut self, ll: f64) {
        self.log_likelihood = ll;
    }

    /// The same fit expressed in other parameters: `model` is the estimate after a smooth
    /// one-to-one change of parameters with Jacobian `jac` (row-major `k×k`, `∂θ_new/∂θ_old`);
    /// the covariance becomes `J Σ Jᵀ` and the standard errors its diagonal's roots (dropped
    /// when not finite). The log-likelihood and the verdict do not change.
    pub(crate) fn reparametrised(self, model: M, jac: &[f64]) -> Self {
        let k = model.params().len();
        let covariance = self.covariance.as_ref().and_then(|c| {
            if c.len() != k * k || jac.len() != k * k {
                return None;
            }
            let mut jc = vec![0.0; k * k];
            for i in 0..k {
                for j in 0..k {
                    jc[i * k + j] = (0..k).map(|l| jac[i * k + l] * c[l * k + j]).sum();
                }
            }
            let mut out = vec![0.0; k * k];
            for i in 0..k {
                for j in 0..k {
                    out[i * k + j] = (0..k).map(|l| jc[i * k + l] * jac[j * k + l]).sum();
                }
            }
            out.iter().all(|v| v.is_finite()).then_some(out)
        });
        let std_errors = covariance
            .as_ref()
            .map(|c| (0..k).map(|i| c[i * k + i].max(0.0).sqrt()).collect());
        Fitted {
            model,
            covariance,
            std_errors,
            ..self
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

    /// Parameter names, in the order of [`Fitted::std_errors`] and [`Fitted::covariance`]
    /// ([`Model::PARAM_NAMES`]; for a model whose parameters depend on its data, such as a
    /// model with covariates, the fixed ones only: see [`Fitted::names`]).
    pub fn param_names(&self) -> &'static [&'static str] {
        M::PARAM_NAMES
    }

    /// Every parameter's name, in the order of [`Fitted::std_errors`] and
    /// [`Fitted::covariance`] ([`Model::param_names`]: with covariates, the coefficients too).
    ///
    /// ```
    /// use clv::{BgNbd, FitOptions, RfmData};
    /// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
    /// let fitted = BgNbd::fit(&data, &FitOptions::default())?;
    /// assert_eq!(fitted.names(), ["r", "alpha", "a", "b"]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn names(&self) -> Vec<String> {
        self.model.param_names()
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
        let i = self.names().iter().position(|n| n == name)?;
        self.std_errors.as_ref().and_then(|s| s.get(i).copied())
    }

    /// Asymptotic covariance matrix of the parameters (natural scale); `None` unless the fit
    /// converged ([`Fitted::converged`]), and when an entry is beyond the range of `f64` (e.g.
    /// the variance of a spend scale near 1e300; the standard errors are still given).
    pub fn covariance(&self) -> Option<Array2<f64>> {
        let k = self.n_params();
        self.covariance
            .as_ref()
            .and_then(|c| Array2::from_shape_vec((k, k), c.clone()).ok())
    }

    /// The lower bounds the fit kept the parameters above (0 for every parameter of an
    /// unconstrained fit; Gamma-Gamma's `q` has 1 in
    /// [`crate::GammaGamma::fit_with_finite_mean`]). The intervals of [`Fitted::summary`] and
    /// [`Fitted::confidence_intervals`] are formed on the scale of `ln(θ − lower)`.
    pub fn lower_bounds(&self) -> &[f64] {
        &self.lower
    }

    /// Iterations the optimiser used (all runs together).
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// Likelihood evaluations the fit used (all optimiser runs and the examination of the
    /// result together), a measure of its cost.
    pub fn evaluations(&self) -> u64 {
        self.evaluations
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

    /// Number of estimated parameters, `k`.
    pub fn n_params(&self) -> usize {
        self.model.params().len()
    }

    /// Akaike information criterion, `2k − 2 LL`.
    pub fn aic(&self) -> f64 {
        2.0 * self.n_params() as f64 - 2.0 * self.log_likelihood
    }

    /// Bayesian information criterion, `k ln n − 2 LL` with `n` the number of customers.
    pub fn bic(&self) -> f64 {
        self.n_params() as f64 * self.n_customers.ln() - 2.0 * self.log_likelihood
    }

    /// The table of the fit: per parameter the estimate, its standard error and a 95% Wald
    /// interval, plus log-likelihood, AIC, BIC, customers and status.
    ///
    /// The interval is formed on the scale the fit works on, `u = ln(θ − lower)`, where the
    /// likelihood is closer to quadratic, and mapped back:
    /// `lower + (θ − lower)·exp(±1.96·se/(θ − lower))`. It therefore never crosses the bound
    /// (a shape or rate parameter's interval stays above 0). Without standard errors (a fit
    /// that did not converge) the columns are empty.
    ///
    /// ```
    /// use clv::{FitOptions, Sbg, data::CohortData};
    /// let regular = CohortData::single(vec![1000., 631., 468., 382., 326., 289., 262., 241.])?;
    /// let summary = Sbg::fit_cohorts(&regular, &FitOptions::default())?.summary();
    /// let alpha = &summary.rows[0];
    /// let (lo, hi) = (alpha.lower.unwrap(), alpha.upper.unwrap());
    /// assert!(0.0 < lo && lo < alpha.estimate && alpha.estimate < hi);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn summary(&self) -> Summary {
        let params = self.model.params();
        // A level of 0.95 is valid, so the intervals are always there (`None` without errors).
        let bounds = super::uncertainty::parameter_intervals(
            &params,
            self.std_errors.as_deref(),
            &self.lower,
            0.95,
        )
        .unwrap_or_default();
        let names = self.names();
        let rows = params
            .iter()
            .enumerate()
            .map(|(i, &theta)| {
                let b = bounds.get(i).copied().flatten();
                SummaryRow {
                    name: names.get(i).cloned().unwrap_or_else(|| "?".into()),
                    estimate: theta,
                    std_error: self.std_errors.as_ref().and_then(|s| s.get(i).copied()),
                    lower: b.map(|b| b.0),
                    upper: b.map(|b| b.1),
                }
            })
            .collect();
        Summary {
            model: M::NAME,
            rows,
            log_likelihood: self.log_likelihood,
            aic: self.aic(),
            bic: self.bic(),
            n_customers: self.n_customers,
            n_distinct: self.n_distinct,
            status: self.status.clone(),
        }
    }

    /// Likelihood-ratio test of `restricted`, a fit of a model nested in this one (fewer free
    /// parameters, e.g. BG/NBD without covariates inside BG/NBD with them), on the same data:
    /// `D = 2 (LL − LL_restricted)`, referred to χ² with `k − k_restricted` degrees of freedom.
    ///
    /// ```
    /// use clv::{BgNbd, FitOptions, RfmData};
    /// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
    /// let fitted = BgNbd::fit(&data, &FitOptions::default())?;
    /// // a model is not a restriction of itself: no degrees of freedom
    /// assert!(fitted.likelihood_ratio_test(&fitted).is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `restricted` does not have fewer parameters, was fitted to
    /// a different number of customers, either fit did not converge (a supremum or a search
    /// stopped short is not a maximum, and the χ² reference does not hold), or the restricted
    /// fit has the higher log-likelihood beyond rounding (the models are not nested, or this
    /// fit missed its maximum).
    pub fn likelihood_ratio_test<N: Model>(
        &self,
        restricted: &Fitted<N>,
    ) -> Result<LikelihoodRatioTest> {
        let (k, k0) = (self.n_params(), restricted.n_params());
        if k0 >= k {
            return Err(Error::InvalidInput(format!(
                "the restricted fit has {k0} parameters, not fewer than this fit's {k}: no \
                 degrees of freedom to test"
            )));
        }
        let scale = self.n_customers.abs().max(restricted.n_customers.abs());
        if (self.n_customers - restricted.n_customers).abs() > 1e-9 * scale {
            return Err(Error::InvalidInput(format!(
                "the fits are on different data ({} and {} customers)",
                self.n_customers, restricted.n_customers
            )));
        }
        for (which, status) in [
            ("this", &self.status),
            ("the restricted", &restricted.status),
        ] {
            if *status != FitStatus::Converged {
                return Err(Error::InvalidInput(format!(
                    "{which} fit did not converge ({status}): no likelihood-ratio test"
                )));
            }
        }
        LikelihoodRatioTest::from_log_likelihoods(
            self.log_likelihood,
            restricted.log_likelihood,
            k - k0,
        )
    }
}

impl LikelihoodRatioTest {
    /// The test of a restricted model with maximised log-likelihood `ll_restricted` nested in
    /// one with `ll` and `df` more free parameters: `D = 2 (ll − ll_restricted)` (a negative `D`
    /// within rounding counts as 0), referred to χ² with `df` degrees of freedom. The callers
    /// check that both fits converged on the same data.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `df` is 0 or the restricted log-likelihood is the higher
    /// beyond rounding; [`Error::Numerical`] when the χ² tail cannot be evaluated.
    pub(crate) fn from_log_likelihoods(ll: f64, ll_restricted: f64, df: usize) -> Result<Self> {
        if df == 0 {
            return Err(Error::InvalidInput(
                "the restricted model has as many parameters as the full one: no degrees of \
                 freedom to test"
                    .into(),
            ));
        }
        let d = 2.0 * (ll - ll_restricted);
        let tolerance = 1e-8 * (1.0 + ll.abs());
        if d < -tolerance {
            return Err(Error::InvalidInput(format!(
                "the restricted fit has the higher log-likelihood ({ll_restricted} > {ll}): the \
                 models are not nested, or this fit missed its maximum"
            )));
        }
        let statistic = d.max(0.0);
        let p_value = chi_square_sf(statistic, df as f64)?;
        Ok(LikelihoodRatioTest {
            statistic,
            df,
            p_value,
        })
    }
}

/// `P(χ²_df > x)`.
fn chi_square_sf(x: f64, df: f64) -> Result<f64> {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let dist = ChiSquared::new(df)
        .map_err(|e| Error::Numerical(format!("chi-square with {df} degrees of freedom: {e}")))?;
    Ok(dist.sf(x).clamp(0.0, 1.0))
}

impl<M: Model> fmt::Display for Fitted<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.summary().fmt(f)
    }
}

/// The result of [`Fitted::likelihood_ratio_test`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LikelihoodRatioTest {
    /// `D = 2 (LL − LL_restricted)` (≥ 0).
    pub statistic: f64,
    /// Degrees of freedom: the difference in the number of parameters.
    pub df: usize,
    /// `P(χ²_df > D)`: small values reject the restricted model.
    pub p_value: f64,
}

/// One parameter's line of a [`Summary`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SummaryRow {
    /// Parameter name.
    pub name: String,
    /// Estimate (natural scale).
    pub estimate: f64,
    /// Standard error, when the fit converged.
    pub std_error: Option<f64>,
    /// Lower end of the 95% interval (see [`Fitted::summary`]).
    pub lower: Option<f64>,
    /// Upper end of the 95% interval.
    pub upper: Option<f64>,
}

/// The table of a fit ([`Fitted::summary`]); `Display` prints it.
///
/// ```
/// use clv::{FitOptions, Sbg, data::CohortData};
/// let regular = CohortData::single(vec![1000., 631., 468., 382., 326., 289., 262., 241.])?;
/// let text = Sbg::fit_cohorts(&regular, &FitOptions::default())?.summary().to_string();
/// assert!(text.starts_with("sbg fit"));
/// assert!(text.contains("log-likelihood -1680.27"));
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Summary {
    /// The model's short name ([`Model::NAME`]).
    pub model: &'static str,
    /// One line per parameter, in the model's order.
    pub rows: Vec<SummaryRow>,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Customers in the fit.
    pub n_customers: f64,
    /// Distinct rows.
    pub n_distinct: usize,
    /// How the fit ended.
    pub status: FitStatus,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} fit: {} customers ({} distinct rows); status: {}",
            self.model, self.n_customers, self.n_distinct, self.status
        )?;
        writeln!(
            f,
            "{:<10} {:>14} {:>14} {:>14} {:>14}",
            "parameter", "estimate", "std. error", "95% lower", "95% upper"
        )?;
        let cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.6}"));
        for r in &self.rows {
            writeln!(
                f,
                "{:<10} {:>14.6} {:>14} {:>14} {:>14}",
                r.name,
                r.estimate,
                cell(r.std_error),
                cell(r.lower),
                cell(r.upper)
            )?;
        }
        write!(
            f,
            "log-likelihood {:.2}, AIC {:.2}, BIC {:.2}",
            self.log_likelihood, self.aic, self.bic
        )
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    //! The serialised form of [`Fitted`] (see its docs).

    use serde::de::Error as _;
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Model;
    use super::{FitStatus, Fitted};

    /// `{name: value}` in the model's parameter order.
    struct Named<'a, N>(&'a [N], &'a [f64]);

    impl<N: Serialize> Serialize for Named<'_, N> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (n, v) in self.0.iter().zip(self.1) {
                map.serialize_entry(n, v)?;
            }
            map.end()
        }
    }

    impl<M: Model> Serialize for Fitted<M> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let names = &self.model.param_names()[..];
            let params = self.model.params();
            let k = params.len();
            let covariance: Option<Vec<&[f64]>> = self
                .covariance
                .as_ref()
                .map(|c| c.chunks(k.max(1)).collect());
            let mut map = s.serialize_map(None)?;
            map.serialize_entry("model", M::NAME)?;
            map.serialize_entry("params", &Named(names, &params))?;
            map.serialize_entry(
                "std_errors",
                &self.std_errors.as_deref().map(|se| Named(names, se)),
            )?;
            map.serialize_entry("covariance", &covariance)?;
            map.serialize_entry("lower_bounds", &Named(names, &self.lower))?;
            map.serialize_entry("log_likelihood", &self.log_likelihood)?;
            map.serialize_entry("aic", &self.aic())?;
            map.serialize_entry("bic", &self.bic())?;
            map.serialize_entry("converged", &self.converged)?;
            map.serialize_entry("status", &self.status)?;
            map.serialize_entry("iterations", &self.iterations)?;
            map.serialize_entry("evaluations", &self.evaluations)?;
            map.serialize_entry("gradient_norm", &self.gradient_norm)?;
            map.serialize_entry("n_customers", &self.n_customers)?;
            map.serialize_entry("n_distinct", &self.n_distinct)?;
            map.end()
        }
    }

    #[derive(Deserialize)]
    struct Repr {
        model: Option<String>,
        params: NamedValues,
        #[serde(default)]
        std_errors: Option<NamedValues>,
        #[serde(default)]
        covariance: Option<Vec<Vec<f64>>>,
        #[serde(default)]
        lower_bounds: Option<NamedValues>,
        log_likelihood: f64,
        #[serde(default)]
        status: Option<StatusRepr>,
        #[serde(default)]
        boundary: Vec<String>,
        #[serde(default)]
        iterations: u64,
        #[serde(default)]
        evaluations: u64,
        #[serde(default)]
        gradient_norm: f64,
        n_customers: f64,
        n_distinct: usize,
    }

    /// An object `{name: number | null}` in the order of the JSON text (`null` is how a
    /// bound of `−∞` serialises).
    struct NamedValues(Vec<(String, Option<f64>)>);

    impl<'de> Deserialize<'de> for NamedValues {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = NamedValues;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object of parameter names and numbers")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<NamedValues, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = map.next_entry::<String, Option<f64>>()? {
                        out.push((k, v));
                    }
                    Ok(NamedValues(out))
                }
            }
            d.deserialize_map(Visitor)
        }
    }

    /// A status as [`FitStatus`] serialises, or as the `fit` example's JSON writes it (a word,
    /// with the diverging parameters under `"boundary"`).
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StatusRepr {
        Status(FitStatus),
        Word(String),
    }

    /// The values of `map` in the order of `names` (the model's parameters); every name must be
    /// there once, and no other; `null` is `missing` (an error when `None`).
    fn ordered(
        names: &[String],
        map: &NamedValues,
        what: &str,
        missing: Option<f64>,
    ) -> Result<Vec<f64>, String> {
        for (i, (k, _)) in map.0.iter().enumerate() {
            if !names.contains(k) {
                return Err(format!(
                    "`{what}` has `{k}`, which is not a parameter of the model ({})",
                    names.join(", ")
                ));
            }
            if map.0[..i].iter().any(|(m, _)| m == k) {
                return Err(format!("`{what}` has `{k}` twice"));
            }
        }
        names
            .iter()
            .map(|n| match map.0.iter().find(|(m, _)| m == n) {
                None => Err(format!("`{what}` lacks the parameter `{n}`")),
                Some((_, v)) => v
                    .or(missing)
                    .ok_or_else(|| format!("`{what}`: `{n}` must be a number")),
            })
            .collect()
    }

    impl<'de, M: Model> Deserialize<'de> for Fitted<M> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let r = Repr::deserialize(d)?;
            if let Some(model) = &r.model {
                if model != M::NAME {
                    return Err(D::Error::custom(format!(
                        "a fit of `{model}`, not of `{}`",
                        M::NAME
                    )));
                }
            }
            let named = r
                .params
                .0
                .iter()
                .map(|(n, v)| {
                    v.map(|v| (n.clone(), v))
                        .ok_or_else(|| format!("`params`: `{n}` must be a number"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(D::Error::custom)?;
            let model = M::from_named_params(&named).map_err(D::Error::custom)?;
            let names = model.param_names();
            let std_errors = r
                .std_errors
                .as_ref()
                .map(|m| ordered(&names, m, "std_errors", None))
                .transpose()
                .map_err(D::Error::custom)?;
            let k = names.len();
            let covariance = match r.covariance {
                Some(rows) => {
                    if rows.len() != k || rows.iter().any(|row| row.len() != k) {
                        return Err(D::Error::custom(format!(
                            "`covariance` must be a {k}×{k} matrix"
                        )));
                    }
                    Some(rows.concat())
                }
                None => None,
            };
            let lower = match &r.lower_bounds {
                Some(m) => ordered(&names, m, "lower_bounds", Some(f64::NEG_INFINITY))
                    .map_err(D::Error::custom)?,
                None => vec![0.0; k],
            };
            let status = match r.status {
                Some(StatusRepr::Status(status)) => status,
                Some(StatusRepr::Word(word)) => {
                    FitStatus::from_word(&word, r.boundary).map_err(D::Error::custom)?
                }
                None => FitStatus::NotConverged,
            };
            let converged = status == FitStatus::Converged;
            Ok(Fitted {
                model,
                log_likelihood: r.log_likelihood,
                std_errors: std_errors.filter(|_| converged),
                covariance: covariance.filter(|_| converged),
                lower,
                iterations: r.iterations,
                evaluations: r.evaluations,
                gradient_norm: r.gradient_norm,
                converged,
                status,
                n_customers: r.n_customers,
                n_distinct: r.n_distinct,
            })
        }
    }
}
