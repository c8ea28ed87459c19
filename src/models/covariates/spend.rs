//! Gamma-Gamma spend with covariates on the scale (see [`GammaGammaCov`]).

use super::CovariateData;
use super::engine::{design_matrix, one_scale_hessian, one_scale_sum};
use super::one_prefix_named;
use crate::data::{RfmData, SpendData};
use crate::error::{Error, Result};
use crate::fit::{Estimable, FitOptions, Fitted, Model, Objective, Rescaling, Rows};
use crate::models::GammaGamma;
use crate::models::gamma_gamma::{scale_hessian, shape_hessian};

/// Gamma-Gamma spend with covariates on the scale: `γᵢ = γ₀·exp(δᵀzᵢ)`.
///
/// The spend of customer `i`'s transactions is Gamma(p, νᵢ) with `νᵢ ~ Gamma(q, γᵢ)` (Fader,
/// Hardie & Lee 2005; note 025), so the mean spend `E[Mᵢ] = p·γᵢ/(q−1)` is multiplied by
/// `exp(δᵀzᵢ)`: a coefficient `spend.<col>` > 0 means **spends more** (the form CLVTools-style
/// scale covariates take; the shapes `p, q` stay common). Each customer's likelihood is the
/// Gamma-Gamma's at `(p, q, γᵢ)`, evaluated by [`GammaGamma::log_likelihood`] and its gradient,
/// with the chain rule `∂ℓ/∂δₖ = zᵢₖ·γᵢ·∂ℓ/∂γᵢ`.
///
/// ```
/// use clv::fit::Estimable;
/// use clv::models::covariates::{CovariateData, CovariateSpec, GammaGammaCov};
/// use clv::{FitOptions, RfmData};
///
/// // 400 customers: x = 1..=5 repeat purchases, mean spends that vary, one binary covariate
/// let x: Vec<f64> = (0..400).map(|i| (1 + i % 5) as f64).collect();
/// let m: Vec<f64> = (0..400).map(|i| 10.0 + ((i * 37) % 53) as f64 + 8.0 * (i % 2) as f64).collect();
/// let data = RfmData::from_columns(x.clone(), x, vec![10.0; 400], Some(m), None)?
///     .with_covariates(vec!["even".into()], vec![(0..400).map(|i| (i % 2) as f64).collect()])?;
/// let spec = CovariateSpec::new().spend(&["even"]);
/// let fitted = GammaGammaCov::fit(&CovariateData::new(&data, &spec)?, &FitOptions::default())?;
/// assert_eq!(fitted.names(), ["p", "q", "gamma", "spend.even"]);
/// let spend = fitted.model().customer_model(&[1.0])?.expected_average_spend(2.0, 30.0)?;
/// assert!(spend > 0.0);
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GammaGammaCov {
    base: GammaGamma,
    columns: Vec<String>,
    coefficients: Vec<f64>,
}

impl GammaGammaCov {
    /// The Gamma-Gamma at `z = 0`.
    pub fn base(&self) -> &GammaGamma {
        &self.base
    }

    /// The covariate columns, in the order [`GammaGammaCov::customer_model`] takes them.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The coefficients `δ`, in the order of [`GammaGammaCov::columns`].
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The Gamma-Gamma of a customer with covariates `z` (an existing customer, or a new one).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a wrong number of values or a value that is not finite;
    /// [`Error::InvalidParameter`] when `γᵢ` leaves the range of `f64`.
    pub fn customer_model(&self, z: &[f64]) -> Result<GammaGamma> {
        if z.len() != self.columns.len() || z.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "{} covariate values for a model with the covariates {}; each a finite number",
                z.len(),
                self.columns.join(", ")
            )));
        }
        let eta: f64 = self.coefficients.iter().zip(z).map(|(d, v)| d * v).sum();
        GammaGamma::new(self.base.p(), self.base.q(), self.base.gamma() * eta.exp())
    }
}

impl Model for GammaGammaCov {
    const NAME: &'static str = GammaGamma::NAME;
    /// The base parameters; the coefficients follow in [`Model::param_names`].
    const PARAM_NAMES: &'static [&'static str] = GammaGamma::PARAM_NAMES;

    fn params(&self) -> Vec<f64> {
        let mut p = self.base.params();
        p.extend_from_slice(&self.coefficients);
        p
    }

    /// The model without covariates (exactly `p, q, γ`).
    fn from_params(params: &[f64]) -> Result<Self> {
        Ok(GammaGammaCov {
            base: GammaGamma::from_params(params)?,
            columns: Vec::new(),
            coefficients: Vec::new(),
        })
    }

    fn param_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Self::PARAM_NAMES.iter().map(|s| (*s).to_string()).collect();
        names.extend(self.columns.iter().map(|c| format!("spend.{c}")));
        names
    }

    /// The base parameters by name and coefficients named `spend.<col>`, in the order given.
    fn from_named_params(named: &[(String, f64)]) -> Result<Self> {
        let (base, columns, values) = one_prefix_named::<GammaGamma>(named, Self::NAME, "spend")?;
        let coefficients = vec![0.0; columns.len()];
        GammaGammaCov {
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
                "Gamma-Gamma with covariates has {} finite parameters, got {:?}",
                k + self.columns.len(),
                params
            )));
        }
        Ok(GammaGammaCov {
            base: GammaGamma::from_params(&params[..k])?,
            columns: self.columns.clone(),
            coefficients: params[k..].to_vec(),
        })
    }
}

/// The distinct customers with repeat purchases `(x, m_x, z)` a [`GammaGammaCov`] is fitted to.
#[derive(Debug, Clone)]
pub struct SpendCovariateRows {
    x: Vec<f64>,
    m: Vec<f64>,
    w: Vec<f64>,
    /// Row-major design matrix.
    z: Vec<f64>,
    columns: Vec<String>,
}

impl SpendCovariateRows {
    /// The spends as [`SpendData`] (for the Gamma-Gamma's own checks, starts and unit).
    fn spend(&self) -> Result<SpendData> {
        SpendData::with_weights(self.x.clone(), self.m.clone(), Some(self.w.clone()))
    }
}

impl Rows for SpendCovariateRows {
    fn n_customers(&self) -> f64 {
        self.w.iter().sum()
    }
    fn n_rows(&self) -> usize {
        self.w.len()
    }
}

impl Estimable for GammaGammaCov {
    type Data = CovariateData;
    type Rows = SpendCovariateRows;

    fn lower_bounds_for(rows: &SpendCovariateRows) -> Vec<f64> {
        let mut lower = GammaGamma::lower_bounds();
        lower.resize(lower.len() + rows.columns.len(), f64::NEG_INFINITY);
        lower
    }

    fn from_estimate(rows: &SpendCovariateRows, params: &[f64]) -> Result<Self> {
        let k = Self::PARAM_NAMES.len();
        GammaGammaCov {
            base: GammaGamma::from_params(params.get(..k).unwrap_or(params))?,
            columns: rows.columns.clone(),
            coefficients: vec![0.0; rows.columns.len()],
        }
        .with_params(params)
    }

    /// The customers with repeat purchases and a monetary value, compressed by `(x, m_x, z)`
    /// (the data layer's routine); the Gamma-Gamma's own checks (identical spends refused).
    fn prepare(data: &CovariateData) -> Result<SpendCovariateRows> {
        let rfm: &RfmData = data.data();
        if rfm.monetary_value().is_none() {
            return Err(Error::InvalidInput(
                "Gamma-Gamma with covariates needs a monetary value per customer".into(),
            ));
        }
        let rows = rfm.repeat_customers()?.compress();
        let columns = data.spec().spend_columns().to_vec();
        let z = design_matrix(&rows, &columns)?;
        let out = SpendCovariateRows {
            x: rows.frequency().to_vec(),
            m: rows
                .monetary_value()
                .map(<[f64]>::to_vec)
                .unwrap_or_default(),
            w: rows.weights().to_vec(),
            z,
            columns,
        };
        GammaGamma::prepare(&out.spend()?)?;
        Ok(out)
    }

    /// The Gamma-Gamma's change of money unit (γ₀ follows; the coefficients do not).
    fn condition(rows: &mut SpendCovariateRows) -> Option<Rescaling> {
        let mut spend = rows.spend().ok()?;
        let r = GammaGamma::condition(&mut spend)?;
        rows.m = spend.monetary_value().to_vec();
        Some(r)
    }

    /// The Gamma-Gamma's start points with every coefficient 0.
    fn starts(rows: &SpendCovariateRows, lower: &[f64]) -> Vec<Vec<f64>> {
        let k = Self::PARAM_NAMES.len();
        let Ok(spend) = rows.spend() else {
            return Vec::new();
        };
        GammaGamma::starts(&spend, lower.get(..k).unwrap_or(lower))
            .into_iter()
            .map(|mut s| {
                s.resize(k + rows.columns.len(), 0.0);
                s
            })
            .collect()
    }

    fn objective(rows: &SpendCovariateRows) -> Box<dyn Objective> {
        Box::new(rows.clone())
    }

    fn fit(data: &CovariateData, options: &FitOptions) -> Result<Fitted<Self>> {
        crate::fit::fit::<Self>(data, options)
    }
}

impl Objective for SpendCovariateRows {
    fn n_params(&self) -> usize {
        3 + self.columns.len()
    }
    fn n_obs(&self) -> f64 {
        self.n_customers()
    }
    fn n_rows(&self) -> usize {
        self.w.len()
    }
    /// `Σ wᵢ ℓᵢ` with `ℓᵢ` the Gamma-Gamma's at `(p, q, γ₀·exp(δᵀzᵢ))`; NaN for wrong lengths
    /// or parameters outside the model's domain.
    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        one_scale_sum::<3>(theta, grad, 2, (&self.z, &self.w), |i, th, want| {
            let m = GammaGamma::new(th[0], th[1], th[2]).ok()?;
            let (x, mx) = (self.x[i], self.m[i]);
            let l = m.log_likelihood(x, mx).ok()?;
            let d = if want {
                m.log_likelihood_gradient(x, mx).ok()?
            } else {
                [0.0; 3]
            };
            Some((l, d))
        })
    }
    /// The analytic Hessian: each customer's by the Gamma-Gamma's own row derivatives at
    /// `(p, q, γᵢ)`.
    fn hessian(&self, theta: &[f64]) -> Option<Vec<f64>> {
        let row = |i: usize, th: &[f64; 3]| {
            let m = GammaGamma::new(th[0], th[1], th[2]).ok()?;
            let (&x, &mx) = (self.x.get(i)?, self.m.get(i)?);
            let g = m.log_likelihood_gradient(x, mx).ok()?;
            let [pp, pq, qq] = shape_hessian(th[0], th[1], x);
            let [pg, qg, gg] = scale_hessian(*th, x, x * mx);
            Some((g, [[pp, pq, pg], [pq, qq, qg], [pg, qg, gg]]))
        };
        one_scale_hessian::<3>(theta, 2, (&self.z, &self.w), &row)
    }
}
