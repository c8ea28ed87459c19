//! Estimation: one maximum-likelihood pipeline for every model.
//!
//! A model declares what is particular to it by implementing [`Estimable`]: the data it is
//! fitted to, the validation and compression of that data into weighted distinct rows (and the
//! refusal of data it cannot identify), an optional change of unit that conditions the fit,
//! its start points and its [`Objective`] (log-likelihood with analytic gradient). [`fit`] does
//! the rest, the same way for every model:
//!
//! 1. check the [`FitOptions`];
//! 2. [`Estimable::prepare`] the rows (validation and compression);
//! 3. without a penalty, let the model [`Estimable::condition`] its rows (a power-of-two change
//!    of the time or money unit, exact, mapped back at the end);
//! 4. on more than 50,000 distinct rows, when the model offers a [`Estimable::subset`], fit an
//!    evenly spaced subsample of 20,000 rows first and start from its estimate, searching in
//!    the metric of its curvature where the model has no analytic Hessian;
//! 5. maximise (trust-region Newton steps where the model has an analytic Hessian, L-BFGS
//!    from each start otherwise or where they stop short, restarts, Nelder–Mead fallback) and
//!    examine the point
//!    found: a verified maximum, a supremum on the boundary, a flat ridge, or a search stopped
//!    short ([`FitStatus`]); standard errors and covariance only at a verified maximum;
//! 6. map the estimate back to the caller's unit and assemble the [`Fitted`] model.
//!
//! ```
//! use clv::{BgNbd, FitOptions, RfmData, fit::Estimable};
//!
//! // Any model, one generic routine.
//! fn fit_any<M: Estimable>(data: &M::Data) -> clv::Result<clv::Fitted<M>> {
//!     M::fit(data, &FitOptions::default())
//! }
//! let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
//! let fitted = fit_any::<BgNbd>(&data)?;
//! assert!(fitted.converged());
//! # Ok::<(), clv::Error>(())
//! ```

mod fitted;
mod model;
pub(crate) mod objective;
mod options;
pub mod uncertainty;

pub use fitted::{FitStatus, Fitted, LikelihoodRatioTest, Summary, SummaryRow};
pub use model::Model;
pub(crate) use model::exactly;
pub use objective::Objective;
pub use options::{FitOptions, FitOptionsBuilder};
pub use uncertainty::{
    Differentiated, Draws, Independent, Interval, Intervals, Method, Prediction, Range, Resample,
    bootstrap,
};

use crate::data::{LifetimeData, RfmData, SpendData};
use crate::error::{Error, Result};
use crate::optimize::{Curvature, maximize_with};

/// Distinct rows above which a subsample is fitted first (when the model offers
/// [`Estimable::subset`]).
const LARGE: usize = 50_000;
/// Rows of that subsample.
const SUBSAMPLE: usize = 20_000;

/// Weighted rows a likelihood is summed over.
pub trait Rows {
    /// Number of customers: the sum of the weights.
    fn n_customers(&self) -> f64;
    /// Number of (distinct) rows.
    fn n_rows(&self) -> usize;
    /// The rows at the positions `keep` (with their weights), when such a selection exists:
    /// the default [`Estimable::subset`]. `None` (the default) where it does not.
    ///
    /// ```
    /// use clv::{RfmData, fit::Rows};
    /// let rows = RfmData::new(vec![0.0, 2.0, 5.0], vec![0.0, 3.0, 9.5], vec![10.0, 10.0, 12.0])?;
    /// assert_eq!(rows.select_rows(&[0, 2]).unwrap().n_rows(), 2);
    /// # Ok::<(), clv::Error>(())
    /// ```
    fn select_rows(&self, keep: &[usize]) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = keep;
        None
    }
}

impl Rows for RfmData {
    fn n_customers(&self) -> f64 {
        RfmData::n_customers(self)
    }
    fn n_rows(&self) -> usize {
        self.len()
    }
    fn select_rows(&self, keep: &[usize]) -> Option<Self> {
        self.select(keep).ok()
    }
}

impl Rows for SpendData {
    fn n_customers(&self) -> f64 {
        SpendData::n_customers(self)
    }
    fn n_rows(&self) -> usize {
        self.len()
    }
}

impl Rows for LifetimeData {
    fn n_customers(&self) -> f64 {
        LifetimeData::n_customers(self)
    }
    fn n_rows(&self) -> usize {
        self.len()
    }
}

/// A change of the data's unit made for a better-conditioned fit (see
/// [`Estimable::condition`]): the data were multiplied by `factor`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rescaling {
    /// The factor the data (times or amounts) were multiplied by; a power of two, so exact.
    pub factor: f64,
    /// The parameters measured in the unit of the data's reciprocal — rates per unit of time
    /// (BG/NBD α), per unit of money (Gamma-Gamma γ): on the rescaled data they come out
    /// `factor` times larger, and are divided by it afterwards, with their standard errors and
    /// covariance.
    pub params: Vec<usize>,
    /// The log-likelihood of the caller's data is that of the rescaled data plus
    /// `log_jacobian · ln(factor)` (the density of each observed time or amount in the
    /// caller's unit: e.g. the number of repeat purchases, or of spend observations).
    pub log_jacobian: f64,
}

/// A model that can be fitted by maximum likelihood through [`fit`]: what is particular to it.
///
/// Implementing it is what a new model needs for estimation; see `docs/ARCHITECTURE.md` for the
/// checklist. The provided [`Estimable::fit`] runs the shared pipeline.
pub trait Estimable: Model {
    /// The data the model is fitted to (e.g. [`RfmData`]).
    type Data: ?Sized;
    /// The validated, compressed rows the likelihood is summed over.
    type Rows: Rows;

    /// Lower bounds of the natural parameters (the fit keeps `θᵢ > lowerᵢ`); all 0 by default.
    fn lower_bounds() -> Vec<f64> {
        vec![0.0; Self::PARAM_NAMES.len()]
    }

    /// Lower bounds of the natural parameters of a fit to `rows`: [`Estimable::lower_bounds`]
    /// by default. A model whose parameters depend on its data (covariate coefficients) gives
    /// one per parameter; `f64::NEG_INFINITY` makes a parameter unbounded (the optimiser then
    /// works on `θ` itself instead of `ln(θ − lower)`).
    fn lower_bounds_for(_rows: &Self::Rows) -> Vec<f64> {
        Self::lower_bounds()
    }

    /// The model with the estimated parameters `params` of a fit to `rows`:
    /// [`Model::from_params`] by default (a model whose parameters depend on its data takes
    /// their names from `rows`).
    ///
    /// # Errors
    /// As [`Model::from_params`].
    fn from_estimate(_rows: &Self::Rows, params: &[f64]) -> Result<Self> {
        Self::from_params(params)
    }

    /// Validates `data` for this model and compresses it into weighted distinct rows.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (or [`Error::InvalidData`] naming the row and field) for data
    /// the model cannot describe or whose maximum-likelihood estimate does not exist.
    fn prepare(data: &Self::Data) -> Result<Self::Rows>;

    /// Changes the unit of `rows` in place when that conditions the fit better (e.g. times in
    /// seconds over decades), and says how ([`Rescaling`]); `None` (the default) leaves them.
    /// Called only without a penalty, which is not invariant to the unit.
    fn condition(_rows: &mut Self::Rows) -> Option<Rescaling> {
        None
    }

    /// Start points in the natural parameters, scaled to the data, tried in order after the
    /// user's [`FitOptions::start`]. `lower` are the bounds of the fit.
    fn starts(rows: &Self::Rows, lower: &[f64]) -> Vec<Vec<f64>>;

    /// The log-likelihood over `rows` (total, weighted), with its analytic gradient.
    fn objective(rows: &Self::Rows) -> Box<dyn Objective>;

    /// The rows at the positions `keep`, for a first fit to a subsample of large data whose
    /// estimate (and curvature) starts the fit of all rows; `None` skips that step. By default
    /// [`Rows::select_rows`] (the rows of an [`RfmData`]; `None` for other rows).
    fn subset(rows: &Self::Rows, keep: &[usize]) -> Option<Self::Rows> {
        rows.select_rows(keep)
    }

    /// Fits the model to `data` by maximum likelihood through the shared pipeline ([`fit`]).
    ///
    /// # Errors
    /// As [`fit`].
    fn fit(data: &Self::Data, options: &FitOptions) -> Result<Fitted<Self>> {
        fit(data, options)
    }
}

/// Fits the model `M` to `data` by maximum likelihood (see the module docs).
///
/// # Errors
/// [`Error::InvalidParameter`] or [`Error::InvalidInput`] for invalid options; the errors of
/// [`Estimable::prepare`] for data the model cannot describe; [`Error::NotConverged`] when no
/// start point has a finite likelihood or nothing better than a start point is found;
/// [`Error::Numerical`] when the estimate cannot be expressed in the caller's unit. A fit that
/// ends anywhere but at a verified maximum is returned with its [`FitStatus`].
pub fn fit<M: Estimable>(data: &M::Data, options: &FitOptions) -> Result<Fitted<M>> {
    fit_bounded(data, options, None)
}

/// [`fit`] under the lower bounds `lower` (a constrained variant of the model's fit).
pub(crate) fn fit_within<M: Estimable>(
    data: &M::Data,
    options: &FitOptions,
    lower: &[f64],
) -> Result<Fitted<M>> {
    fit_bounded(data, options, Some(lower))
}

/// [`fit`] under the lower bounds `lower`, or the model's own ([`Estimable::lower_bounds_for`]).
fn fit_bounded<M: Estimable>(
    data: &M::Data,
    options: &FitOptions,
    lower: Option<&[f64]>,
) -> Result<Fitted<M>> {
    options.check()?;
    let mut rows = M::prepare(data)?;
    let lower = lower.map_or_else(|| M::lower_bounds_for(&rows), <[f64]>::to_vec);
    let lower = lower.as_slice();
    options.validate(lower.len())?;
    let (n_customers, n_distinct) = (rows.n_customers(), rows.n_rows());
    let unit = if options.penalty == 0.0 {
        M::condition(&mut rows)
    } else {
        None
    };
    let mut options = options.clone();
    if let (Some(u), Some(start)) = (&unit, &mut options.start) {
        for &i in &u.params {
            if let Some(v) = start.get_mut(i) {
                *v *= u.factor;
            }
        }
    }
    let objective = M::objective(&rows);
    let mut starts = M::starts(&rows, lower);
    // The subsample's estimate starts the fit of all rows, and its curvature (the Hessian of the
    // mean objective, which the subsample estimates for all rows) takes the first Newton step
    // from there, and sets the metric of the search where the model has no analytic Hessian.
    let mut curvature = None;
    if options.start.is_none() && rows.n_rows() > LARGE {
        let step = rows.n_rows() as f64 / SUBSAMPLE as f64;
        let keep: Vec<usize> = (0..SUBSAMPLE)
            .map(|i| ((i as f64 + 0.5) * step) as usize)
            .collect();
        if let Some(sub) = M::subset(&rows, &keep) {
            let warm = maximize_with(
                &M::objective(&sub),
                lower,
                &M::starts(&sub, lower),
                &options,
                None,
                true,
            );
            if let Ok(est) = warm {
                curvature = est.curvature.map(|hessian| Curvature {
                    point: est.params.clone(),
                    hessian,
                });
                starts.insert(0, est.params);
            }
        }
    }
    let mut est = maximize_with(
        &objective,
        lower,
        &starts,
        &options,
        curvature.as_ref(),
        false,
    )?;
    if let Some(u) = unit {
        for &i in &u.params {
            est.rescale_param(i, 1.0 / u.factor);
        }
        est.log_likelihood += u.log_jacobian * u.factor.ln();
    }
    let model = M::from_estimate(&rows, &est.params).map_err(|e| {
        Error::Numerical(format!(
            "the estimate leaves the range of f64 in the caller's unit ({e}); express the data \
             in a larger unit"
        ))
    })?;
    Ok(Fitted::new(model, est, n_customers, n_distinct, lower))
}
