//! The sBG on individual lifetimes with covariates on `β` (see [`SbgCov`]).

use super::engine::{one_scale_hessian, one_scale_sum};
use super::one_prefix_named;
use crate::data::LifetimeData;
use crate::error::{Error, Result};
use crate::fit::{Estimable, FitOptions, Fitted, Model, Objective, Rows};
use crate::models::Sbg;
use crate::models::sbg::row_derivatives;

/// Individual lifetimes ([`LifetimeData`], one customer per row, in order) with named
/// covariate columns: what an [`SbgCov`] is fitted to.
#[derive(Debug, Clone)]
pub struct LifetimeCovariates {
    data: LifetimeData,
    columns: Vec<String>,
    /// Row-major design matrix.
    z: Vec<f64>,
}

impl LifetimeCovariates {
    /// The lifetimes of `data` with the covariate `columns` (one value per row), named `names`.
    ///
    /// ```
    /// use clv::data::LifetimeData;
    /// use clv::models::covariates::LifetimeCovariates;
    /// let data = LifetimeData::new(vec![1, 3, 5], vec![true, true, false])?;
    /// let lc = LifetimeCovariates::new(&data, vec!["web".into()], vec![vec![1.0, 0.0, 1.0]])?;
    /// assert_eq!(lc.columns(), ["web"]);
    /// assert!(LifetimeCovariates::new(&data, vec!["web".into()], vec![vec![1.0]]).is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when names and columns differ in number, a name is blank or
    /// repeated, or a column does not have one value per row; [`Error::InvalidData`] naming the
    /// row (from 1) and the column for a value that is not finite.
    pub fn new(data: &LifetimeData, names: Vec<String>, columns: Vec<Vec<f64>>) -> Result<Self> {
        if names.len() != columns.len() {
            return Err(Error::InvalidInput(format!(
                "{} covariate names but {} columns",
                names.len(),
                columns.len()
            )));
        }
        let n = data.len();
        let c = names.len();
        let mut z = vec![0.0; n * c];
        for (j, (name, col)) in names.iter().zip(&columns).enumerate() {
            if name.trim().is_empty() || names[..j].contains(name) {
                return Err(Error::InvalidInput(format!(
                    "covariate name {name:?} is blank or given twice"
                )));
            }
            if col.len() != n {
                return Err(Error::InvalidInput(format!(
                    "covariate {name:?} has {} values for {n} rows",
                    col.len()
                )));
            }
            for (i, &v) in col.iter().enumerate() {
                if !v.is_finite() {
                    return Err(Error::data(
                        i + 1,
                        name,
                        v,
                        format!("covariate `{name}` must be a finite number"),
                    ));
                }
                z[i * c + j] = v + 0.0;
            }
        }
        Ok(LifetimeCovariates {
            data: data.clone(),
            columns: names,
            z,
        })
    }

    /// The covariate names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The lifetimes.
    pub fn data(&self) -> &LifetimeData {
        &self.data
    }
}

impl Rows for LifetimeCovariates {
    fn n_customers(&self) -> f64 {
        self.data.n_customers()
    }
    fn n_rows(&self) -> usize {
        self.data.len()
    }
}

/// The shifted-beta-geometric model on individual lifetimes with covariates on `β`:
/// customer `i` churns each period with probability `p ~ Beta(α, βᵢ)`,
/// `βᵢ = β₀·exp(γᵀzᵢ)` (Fader & Hardie 2007's sBG with the scale of the retention side
/// shifted, as the issue proposes; pymc-marketing's cohort sBG puts covariates on both). The
/// mean churn probability `α/(α+βᵢ)` falls as `γᵀzᵢ` grows: a coefficient
/// `retention.<col>` > 0 means **stays longer**. Each customer's likelihood is the sBG's
/// ([`Sbg::log_likelihood`] and its gradient) at `(α, βᵢ)`, with the chain rule
/// `∂ℓ/∂γₖ = zᵢₖ·βᵢ·∂ℓ/∂βᵢ`.
///
/// ```
/// use clv::data::LifetimeData;
/// use clv::fit::Estimable;
/// use clv::models::covariates::{LifetimeCovariates, SbgCov};
/// use clv::FitOptions;
/// // 600 customers: those with web = 1 stay longer
/// let web: Vec<f64> = (0..600).map(|i| (i % 2) as f64).collect();
/// let duration: Vec<u32> = (0..600).map(|i| 1 + (i % 7) as u32 + 3 * (i % 2) as u32).collect();
/// let churned: Vec<bool> = (0..600).map(|i| i % 5 != 0).collect();
/// let data = LifetimeData::new(duration, churned)?;
/// let lc = LifetimeCovariates::new(&data, vec!["web".into()], vec![web])?;
/// let fitted = SbgCov::fit(&lc, &FitOptions::default())?;
/// assert_eq!(fitted.names(), ["alpha", "beta", "retention.web"]);
/// assert!(fitted.model().coefficients()[0] > 0.0);
/// let web_customer = fitted.model().customer_model(&[1.0])?;
/// assert!(web_customer.survival(5) > fitted.model().customer_model(&[0.0])?.survival(5));
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SbgCov {
    base: Sbg,
    columns: Vec<String>,
    coefficients: Vec<f64>,
}

impl SbgCov {
    /// The sBG at `z = 0`.
    pub fn base(&self) -> &Sbg {
        &self.base
    }

    /// The covariate columns, in the order [`SbgCov::customer_model`] takes them.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The coefficients `γ`, in the order of [`SbgCov::columns`].
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The sBG of a customer with covariates `z` (an existing customer, or a new one).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a wrong number of values or a value that is not finite;
    /// [`Error::InvalidParameter`] when `βᵢ` leaves the range of `f64`.
    pub fn customer_model(&self, z: &[f64]) -> Result<Sbg> {
        if z.len() != self.columns.len() || z.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "{} covariate values for a model with the covariates {}; each a finite number",
                z.len(),
                self.columns.join(", ")
            )));
        }
        let eta: f64 = self.coefficients.iter().zip(z).map(|(g, v)| g * v).sum();
        Sbg::new(self.base.alpha(), self.base.beta() * eta.exp())
    }
}

impl Model for SbgCov {
    const NAME: &'static str = Sbg::NAME;
    /// The base parameters; the coefficients follow in [`Model::param_names`].
    const PARAM_NAMES: &'static [&'static str] = Sbg::PARAM_NAMES;

    fn params(&self) -> Vec<f64> {
        let mut p = self.base.params();
        p.extend_from_slice(&self.coefficients);
        p
    }

    /// The model without covariates (exactly `α, β`).
    fn from_params(params: &[f64]) -> Result<Self> {
        Ok(SbgCov {
            base: Sbg::from_params(params)?,
            columns: Vec::new(),
            coefficients: Vec::new(),
        })
    }

    fn param_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Self::PARAM_NAMES.iter().map(|s| (*s).to_string()).collect();
        names.extend(self.columns.iter().map(|c| format!("retention.{c}")));
        names
    }

    /// The base parameters by name and coefficients named `retention.<col>`, in the order given.
    fn from_named_params(named: &[(String, f64)]) -> Result<Self> {
        let (base, columns, values) = one_prefix_named::<Sbg>(named, Self::NAME, "retention")?;
        let coefficients = vec![0.0; columns.len()];
        SbgCov {
            base,
            columns,
            coefficients,
        }
        .with_params(&values)
    }

    fn with_params(&self, params: &[f64]) -> Result<Self> {
        let k = Self::PARAM_NAMES.len();
        if params.len() != k + self.columns.len() || params[k..].iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "the sBG with covariates has {} finite parameters, got {params:?}",
                k + self.columns.len()
            )));
        }
        Ok(SbgCov {
            base: Sbg::from_params(&params[..k])?,
            columns: self.columns.clone(),
            coefficients: params[k..].to_vec(),
        })
    }
}

impl Estimable for SbgCov {
    type Data = LifetimeCovariates;
    type Rows = LifetimeCovariates;

    fn lower_bounds_for(rows: &LifetimeCovariates) -> Vec<f64> {
        let mut lower = Sbg::lower_bounds();
        lower.resize(lower.len() + rows.columns.len(), f64::NEG_INFINITY);
        lower
    }

    fn from_estimate(rows: &LifetimeCovariates, params: &[f64]) -> Result<Self> {
        let k = Self::PARAM_NAMES.len();
        SbgCov {
            base: Sbg::from_params(params.get(..k).unwrap_or(params))?,
            columns: rows.columns.clone(),
            coefficients: vec![0.0; rows.columns.len()],
        }
        .with_params(params)
    }

    /// The sBG's own checks (data without a maximum refused); rows as given.
    fn prepare(data: &LifetimeCovariates) -> Result<LifetimeCovariates> {
        Sbg::prepare(&data.data)?;
        Ok(data.clone())
    }

    /// The sBG's start points with every coefficient 0.
    fn starts(rows: &LifetimeCovariates, lower: &[f64]) -> Vec<Vec<f64>> {
        let k = Self::PARAM_NAMES.len();
        Sbg::starts(&rows.data, lower.get(..k).unwrap_or(lower))
            .into_iter()
            .map(|mut s| {
                s.resize(k + rows.columns.len(), 0.0);
                s
            })
            .collect()
    }

    fn objective(rows: &LifetimeCovariates) -> Box<dyn Objective> {
        Box::new(rows.clone())
    }

    fn fit(data: &LifetimeCovariates, options: &FitOptions) -> Result<Fitted<Self>> {
        crate::fit::fit::<Self>(data, options)
    }
}

impl Objective for LifetimeCovariates {
    fn n_params(&self) -> usize {
        2 + self.columns.len()
    }
    fn n_obs(&self) -> f64 {
        self.n_customers()
    }
    fn n_rows(&self) -> usize {
        self.data.len()
    }
    /// `Σ wᵢ ℓᵢ` with `ℓᵢ` the sBG's at `(α, β₀·exp(γᵀzᵢ))`; NaN for wrong lengths or
    /// parameters outside the model's domain.
    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let (d, churned) = (self.data.durations(), self.data.churned());
        one_scale_sum::<2>(
            theta,
            grad,
            1,
            (&self.z, self.data.weights()),
            |i, th, want| {
                let m = Sbg::new(th[0], th[1]).ok()?;
                let l = m.log_likelihood(d[i], churned[i]).ok()?;
                let g = if want {
                    m.log_likelihood_gradient(d[i], churned[i]).ok()?
                } else {
                    [0.0; 2]
                };
                Some((l, g))
            },
        )
    }
    /// The analytic Hessian: each customer's by the sBG's own row derivatives at `(α, βᵢ)`.
    fn hessian(&self, theta: &[f64]) -> Option<Vec<f64>> {
        let (d, churned) = (self.data.durations(), self.data.churned());
        let row = |i: usize, th: &[f64; 2]| {
            Sbg::new(th[0], th[1]).ok()?;
            let (&t, &churned) = (d.get(i)?, churned.get(i)?);
            let (g, [aa, ab, bb]) = row_derivatives(th[0], th[1], f64::from(t), churned);
            Some((g, [[aa, ab], [ab, bb]]))
        };
        one_scale_hessian::<2>(theta, 1, (&self.z, self.data.weights()), &row)
    }
}
