//! Time-invariant covariates for the noncontractual models (Fader & Hardie 2007, "Incorporating
//! time-invariant covariates into the Pareto/NBD and BG/NBD models", Hardie's note 019; the form
//! CLVTools fits with static covariates).
//!
//! ## The model
//! Each customer `i` has a vector of characteristics `zᵢ` (acquisition channel, first-order
//! size, region, ...) that does not change over time. The covariates shift the *scale* of the
//! mixing distributions; their shapes stay common. Customer `i`'s model is the model without
//! covariates with its scale parameters replaced by individual values:
//!
//! | model | purchase process | dropout process |
//! |---|---|---|
//! | Pareto/NBD | `αᵢ = α₀·exp(−γ₁ᵀz₁ᵢ)` | `βᵢ = β₀·exp(−γ₂ᵀz₂ᵢ)` |
//! | BG/NBD, MBG/NBD | `αᵢ = α₀·exp(−γ₁ᵀz₁ᵢ)` | `aᵢ = a₀·exp(γ₂ᵀz₂ᵢ)`, `bᵢ = b₀·exp(γ₃ᵀz₂ᵢ)` |
//!
//! Signs, as a user reads them:
//! * `purchase.<col>` (`γ₁`) > 0: a larger value of the covariate means a smaller `αᵢ`, so a
//!   higher mean purchase rate `r/αᵢ`: **buys more**.
//! * Pareto/NBD `dropout.<col>` (`γ₂`) > 0: a smaller `βᵢ`, a higher mean dropout rate `s/βᵢ`:
//!   **leaves sooner**.
//! * BG/NBD `dropout_a.<col>` > 0 raises `aᵢ` and `dropout_b.<col>` > 0 raises `bᵢ`: the mean
//!   dropout probability after a purchase, `aᵢ/(aᵢ+bᵢ)`, rises with `γ₂ᵀz` and falls with
//!   `γ₃ᵀz`.
//!
//! The purchase and the dropout process take separate covariate sets ([`CovariateSpec`]); a
//! column may be in both (one coefficient each), or *shared*: one coefficient `shared.<col>`
//! for every scale (CLVTools' `names.cov.constr`). With every coefficient 0 the model is
//! exactly the model without covariates; centring the covariates makes `α₀, β₀` (or `a₀, b₀`)
//! those of an average customer.
//!
//! ## Likelihood and gradient
//! Customer `i`'s log-likelihood is the base model's at `(r, αᵢ, s, βᵢ)` (or `(r, αᵢ, aᵢ, bᵢ)`),
//! evaluated by the base model's own row code. The gradient follows by the chain rule through
//! the log of each individual scale: with `θᵢ = θ₀·exp(±ηᵢ)`,
//! `∂ℓᵢ/∂θ₀ = (θᵢ/θ₀)·∂ℓᵢ/∂θᵢ` and `∂ℓᵢ/∂γₖ = ±zᵢₖ·θᵢ·∂ℓᵢ/∂θᵢ`. Rows are compressed by
//! `(x, t_x, T, z)` (binary and categorical covariates repeat), per-frequency terms are computed
//! once per evaluation, and rows are summed across cores without allocating per row.
//!
//! An optional L2 penalty `λ·Σγ²` on the coefficients only ([`CovariateSpec::penalty`]) is
//! added to the mean negative log-likelihood (as [`crate::FitOptions::penalty`] on all
//! parameters); the reported log-likelihood is the unpenalised one.
//!
//! Gamma-Gamma spend takes covariates on its scale, `γᵢ = γ₀·exp(δᵀzᵢ)`
//! ([`GammaGammaCov`], coefficients `spend.<col>` from [`CovariateSpec::spend`]).
//!
//! The sBG on individual lifetimes takes covariates on `β`, `βᵢ = β₀·exp(γᵀzᵢ)`
//! ([`SbgCov`] on [`LifetimeCovariates`], coefficients `retention.<col>`: > 0 stays longer).
//!
//! ## Predictions
//! [`WithCovariates::customer_model`] gives the base model of a customer with covariates `z`
//! (an existing customer's row, or a new customer described only by `z`); every prediction of
//! the base model — P(alive), E\[Y(t)\], DERT, the conditional PMF, customer value through
//! [`crate::value`], intervals through [`crate::Fitted::interval`] with a closure that builds
//! the customer model — then applies. [`WithCovariates::predict`] does so for every row of an
//! [`RfmData`] with that row's covariates.
//!
//! ```
//! use clv::fit::Estimable;
//! use clv::{FitOptions, ParetoNbd, ParetoNbdCov, RfmData, TransactionModel};
//! use clv::models::covariates::{CovariateData, CovariateSpec};
//!
//! let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
//! // a covariate: 1 for every other customer
//! let z: Vec<f64> = (0..data.len()).map(|i| (i % 2) as f64).collect();
//! let data = data.with_covariates(vec!["even".into()], vec![z])?;
//! let spec = CovariateSpec::new().purchase(&["even"]).dropout(&["even"]);
//! let fitted = ParetoNbdCov::fit(&CovariateData::new(&data, &spec)?, &FitOptions::default())?;
//! assert_eq!(fitted.names(), ["r", "alpha", "s", "beta", "purchase.even", "dropout.even"]);
//! // a new customer, described only by the covariate
//! let customer: ParetoNbd = fitted.model().customer_model(&[1.0])?;
//! assert!(customer.expected_transactions(52.0)? > 0.0);
//! // the likelihood-ratio test against the model without covariates
//! let nested = ParetoNbd::fit(&data, &FitOptions::default())?;
//! let test = fitted.likelihood_ratio_test(&nested)?;
//! assert_eq!(test.df, 2);
//! # Ok::<(), clv::Error>(())
//! ```

mod engine;
mod family;
mod lifetime;
mod pareto;
mod spend;

use std::fmt;

use crate::data::{Customer, RfmData};
use crate::error::{Error, Result};
use crate::fit::{Estimable, FitOptions, Fitted, Model, Objective, Rescaling, Rows};
use crate::models::bg_nbd::Dropout;
use crate::models::{BgNbd, MbgNbd, ParetoNbd};

pub use engine::CovariateRows;
pub use lifetime::{LifetimeCovariates, SbgCov};
pub use spend::{GammaGammaCov, SpendCovariateRows};

/// Which process a scale parameter belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// The purchase process (`α`).
    Purchase,
    /// The dropout process (`β`, or `a` and `b`).
    Dropout,
}

/// A scale parameter that covariates act on: `θᵢ = θ₀·exp(sign·γᵀzᵢ)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Prefix of its coefficients' names (`purchase`, `dropout`, `dropout_a`, `dropout_b`).
    pub prefix: &'static str,
    /// Index of `θ₀` among the base model's parameters.
    pub param: usize,
    /// `+1` or `−1`.
    pub sign: f64,
    /// The process it belongs to.
    pub process: Process,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::ParetoNbd {}
    impl Sealed for crate::BgNbd {}
    impl Sealed for crate::MbgNbd {}
}

/// A model without covariates that [`WithCovariates`] extends: Pareto/NBD, BG/NBD, MBG/NBD.
pub trait CovariateBase:
    Model + Estimable<Data = RfmData, Rows = RfmData> + sealed::Sealed + 'static
{
    /// Its name in messages.
    const LABEL: &'static str;
    /// The scale parameters covariates act on, and how.
    const SCALES: &'static [Scale];
    /// The weighted total log-likelihood of `rows` at `theta` (base parameters, then the
    /// coefficients of `rows`), with its gradient when asked (NaN for a wrong length).
    fn log_likelihood_with(rows: &CovariateRows, theta: &[f64], grad: Option<&mut [f64]>) -> f64;
    /// The Hessian of [`CovariateBase::log_likelihood_with`] (row-major), where the model has
    /// it in closed form and it evaluates to finite numbers; `None` otherwise (the default: the
    /// estimation layer then differentiates the gradient).
    fn hessian_with(rows: &CovariateRows, theta: &[f64]) -> Option<Vec<f64>> {
        let _ = (rows, theta);
        None
    }
}

/// Which columns enter which process (see the [module docs](self)).
///
/// ```
/// use clv::models::covariates::CovariateSpec;
/// let spec = CovariateSpec::new().purchase(&["age", "web"]).dropout(&["web"]).penalty(0.01);
/// assert_eq!(spec.purchase_columns(), ["age", "web"]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CovariateSpec {
    purchase: Vec<String>,
    dropout: Vec<String>,
    shared: Vec<String>,
    spend: Vec<String>,
    penalty: f64,
}

impl CovariateSpec {
    /// No covariates (the model without them).
    pub fn new() -> Self {
        CovariateSpec::default()
    }

    /// The columns that explain the purchase process (`purchase.<col>`).
    pub fn purchase(mut self, columns: &[&str]) -> Self {
        self.purchase = columns.iter().map(|s| (*s).to_string()).collect();
        self
    }

    /// The columns that explain the dropout process (`dropout.<col>`, or `dropout_a.<col>` and
    /// `dropout_b.<col>`).
    pub fn dropout(mut self, columns: &[&str]) -> Self {
        self.dropout = columns.iter().map(|s| (*s).to_string()).collect();
        self
    }

    /// Columns with one coefficient `shared.<col>` acting on both processes (an equality
    /// constraint; a column given here is taken out of the purchase and dropout lists).
    pub fn shared(mut self, columns: &[&str]) -> Self {
        self.shared = columns.iter().map(|s| (*s).to_string()).collect();
        self
    }

    /// The columns that explain the spend of [`GammaGammaCov`] (`spend.<col>`:
    /// `γᵢ = γ₀·exp(δᵀzᵢ)`); the transaction models ignore them.
    pub fn spend(mut self, columns: &[&str]) -> Self {
        self.spend = columns.iter().map(|s| (*s).to_string()).collect();
        self
    }

    /// The spend columns.
    pub fn spend_columns(&self) -> &[String] {
        &self.spend
    }

    /// An L2 penalty `λ·Σγ²` on the coefficients only, added to the mean negative
    /// log-likelihood (0, the default: none). Checked when the data are built.
    pub fn penalty(mut self, lambda: f64) -> Self {
        self.penalty = lambda;
        self
    }

    /// The purchase columns.
    pub fn purchase_columns(&self) -> &[String] {
        &self.purchase
    }

    /// The dropout columns.
    pub fn dropout_columns(&self) -> &[String] {
        &self.dropout
    }

    /// The shared columns.
    pub fn shared_columns(&self) -> &[String] {
        &self.shared
    }

    /// The coefficients of a model with `scales` — per process, per scale, per column:
    /// `purchase.*`, then `dropout.*` (or `dropout_a.*`, `dropout_b.*`), then `shared.*` — and
    /// the distinct columns in order of first use.
    fn terms(&self, scales: &[Scale]) -> (Vec<Term>, Vec<String>) {
        let mut columns: Vec<String> = Vec::new();
        let mut col = |name: &str| match columns.iter().position(|c| c == name) {
            Some(i) => i,
            None => {
                columns.push(name.to_string());
                columns.len() - 1
            }
        };
        let mut terms = Vec::new();
        let not_shared = |c: &&String| !self.shared.contains(c);
        for (list, process) in [
            (&self.purchase, Process::Purchase),
            (&self.dropout, Process::Dropout),
        ] {
            for (s, scale) in scales.iter().enumerate() {
                if scale.process != process {
                    continue;
                }
                for c in list.iter().filter(not_shared) {
                    terms.push(Term {
                        name: format!("{}.{c}", scale.prefix),
                        column: col(c),
                        mask: 1 << s,
                    });
                }
            }
        }
        for c in &self.shared {
            terms.push(Term {
                name: format!("shared.{c}"),
                column: col(c),
                mask: (1u8 << scales.len()) - 1,
            });
        }
        (terms, columns)
    }
}

/// One coefficient: its name, the column it multiplies, the scales it acts on (bit `s` for
/// scale `s`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Term {
    pub(crate) name: String,
    pub(crate) column: usize,
    pub(crate) mask: u8,
}

/// Customers with covariates and the [`CovariateSpec`] that says how they enter the model: what
/// a model with covariates is fitted to.
#[derive(Debug, Clone)]
pub struct CovariateData {
    data: RfmData,
    spec: CovariateSpec,
    /// Per covariate column of `data`: the divisor `s` the columns were standardised with (1
    /// for the caller's columns); the penalty weighs the squared coefficient by `1/s²`.
    divisors: Vec<f64>,
}

impl CovariateData {
    /// The customers of `data` with the covariates named in `spec` (other covariate columns of
    /// `data` are left out).
    ///
    /// ```
    /// use clv::RfmData;
    /// use clv::models::covariates::{CovariateData, CovariateSpec};
    /// let data = RfmData::new(vec![1.0], vec![5.0], vec![9.0])?
    ///     .with_covariates(vec!["web".into(), "age".into()], vec![vec![1.0], vec![30.0]])?;
    /// let cd = CovariateData::new(&data, &CovariateSpec::new().dropout(&["age"]))?;
    /// assert_eq!(cd.data().covariate_names(), ["age"]);
    /// assert!(CovariateData::new(&data, &CovariateSpec::new().purchase(&["x"])).is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming a column of `spec` that `data` does not have, a column
    /// listed twice in one list, or a penalty that is not finite and `>= 0`.
    pub fn new(data: &RfmData, spec: &CovariateSpec) -> Result<Self> {
        if !(spec.penalty.is_finite() && spec.penalty >= 0.0) {
            return Err(Error::param(
                "penalty",
                spec.penalty,
                "the penalty on the coefficients must be finite and >= 0",
            ));
        }
        let mut names: Vec<String> = Vec::new();
        for (list, what) in [
            (&spec.purchase, "purchase"),
            (&spec.dropout, "dropout"),
            (&spec.shared, "shared"),
            (&spec.spend, "spend"),
        ] {
            for (j, c) in list.iter().enumerate() {
                if list[..j].contains(c) {
                    return Err(Error::InvalidInput(format!(
                        "covariate {c:?} is listed twice among the {what} covariates"
                    )));
                }
                if data.covariate(c).is_none() {
                    return Err(Error::InvalidInput(format!(
                        "no covariate column {c:?} in the data (it has: {})",
                        if data.covariate_names().is_empty() {
                            "none".to_string()
                        } else {
                            data.covariate_names().join(", ")
                        }
                    )));
                }
                if !names.contains(c) {
                    names.push(c.clone());
                }
            }
        }
        let columns = names
            .iter()
            .map(|n| data.covariate(n).map(<[f64]>::to_vec).unwrap_or_default())
            .collect();
        let divisors = vec![1.0; names.len()];
        Ok(CovariateData {
            data: data.clone().with_covariates(names, columns)?,
            spec: spec.clone(),
            divisors,
        })
    }

    /// The data with every covariate centred and scaled, `z̃ = (z − m)/s` (weighted mean and
    /// standard deviation; `m = 0, s = 1` for a column whose spread is 0 or beyond `f64`), and
    /// the `(m, s)` of each column: the exact reparametrisation the fit works in.
    fn standardised(&self) -> Result<(CovariateData, Vec<(f64, f64)>)> {
        let names = self.data.covariate_names().to_vec();
        let w = self.data.weights();
        let n: f64 = w.iter().sum();
        let mut columns = Vec::with_capacity(names.len());
        let mut shifts = Vec::with_capacity(names.len());
        for name in &names {
            let col = self.data.covariate(name).unwrap_or(&[]);
            let m = col.iter().zip(w).map(|(z, w)| w * z).sum::<f64>() / n;
            let var = col
                .iter()
                .zip(w)
                .map(|(z, w)| w * (z - m) * (z - m))
                .sum::<f64>()
                / n;
            let s = var.sqrt();
            let (m, s) = if s > 0.0 && s.is_finite() && m.is_finite() {
                (m, s)
            } else {
                (0.0, 1.0)
            };
            columns.push(col.iter().map(|z| (z - m) / s).collect());
            shifts.push((m, s));
        }
        let divisors = shifts.iter().map(|p| p.1).collect();
        let data = CovariateData {
            data: self.data.clone().with_covariates(names, columns)?,
            spec: self.spec.clone(),
            divisors,
        };
        Ok((data, shifts))
    }

    /// The customers (with only the covariates the spec uses).
    pub fn data(&self) -> &RfmData {
        &self.data
    }

    /// The spec.
    pub fn spec(&self) -> &CovariateSpec {
        &self.spec
    }
}

/// A noncontractual model with time-invariant covariates (see the [module docs](self)): the
/// base model `B` at the average customer (`z = 0`) plus one coefficient per covariate and
/// scale. Fitted through the one pipeline ([`Estimable`]); predictions through
/// [`WithCovariates::customer_model`].
#[derive(Debug, Clone, PartialEq)]
pub struct WithCovariates<B> {
    base: B,
    columns: Vec<String>,
    terms: Vec<Term>,
    coefficients: Vec<f64>,
}

/// Pareto/NBD with covariates: `αᵢ = α₀·exp(−γ₁ᵀz₁ᵢ)`, `βᵢ = β₀·exp(−γ₂ᵀz₂ᵢ)`.
pub type ParetoNbdCov = WithCovariates<ParetoNbd>;
/// BG/NBD with covariates: `αᵢ = α₀·exp(−γ₁ᵀz₁ᵢ)`, `aᵢ = a₀·exp(γ₂ᵀz₂ᵢ)`, `bᵢ = b₀·exp(γ₃ᵀz₂ᵢ)`.
pub type BgNbdCov = WithCovariates<BgNbd>;
/// MBG/NBD with covariates, of the same form as [`BgNbdCov`].
pub type MbgNbdCov = WithCovariates<MbgNbd>;

impl<B: CovariateBase> WithCovariates<B> {
    /// The base model's parameters at `z = 0` (`r, α₀, s, β₀` or `r, α₀, a₀, b₀`).
    pub fn base(&self) -> &B {
        &self.base
    }

    /// The covariate columns, in the order [`WithCovariates::customer_model`] takes them.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The coefficients, in the order of their names (after the base parameters) in
    /// [`Model::param_names`].
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The base parameters of a customer with covariates `z` (in the order of
    /// [`WithCovariates::columns`]).
    fn customer_params(&self, z: &[f64]) -> [f64; 4] {
        let mut th = [0.0; 4];
        for (t, v) in th.iter_mut().zip(self.base.params()) {
            *t = v;
        }
        let mut eta = [0.0; 8];
        for (term, &g) in self.terms.iter().zip(&self.coefficients) {
            let v = g * z.get(term.column).copied().unwrap_or(0.0);
            for (s, e) in eta.iter_mut().enumerate().take(B::SCALES.len()) {
                if term.mask & (1 << s) != 0 {
                    *e += v;
                }
            }
        }
        for (scale, e) in B::SCALES.iter().zip(eta) {
            th[scale.param] *= (scale.sign * e).exp();
        }
        th
    }

    /// The model of a customer with covariates `z` (one value per column of
    /// [`WithCovariates::columns`], in that order): an existing customer, or a new one
    /// described only by its covariates. Every prediction of the base model applies to it.
    ///
    /// ```
    /// use clv::{BgNbd, BgNbdCov, Model, RfmData};
    /// use clv::fit::Estimable;
    /// use clv::models::covariates::{CovariateData, CovariateSpec};
    /// let data = RfmData::new(vec![1.0, 0.0], vec![5.0, 0.0], vec![9.0, 9.0])?
    ///     .with_covariates(vec!["web".into()], vec![vec![1.0, 0.0]])?;
    /// let spec = CovariateSpec::new().purchase(&["web"]);
    /// let rows = BgNbdCov::prepare(&CovariateData::new(&data, &spec)?)?;
    /// // α₀ = 4, purchase.web = ln 2: a web customer has α = 2 (buys twice as fast)
    /// let model = BgNbdCov::from_estimate(&rows, &[0.5, 4.0, 0.8, 2.4, 2f64.ln()])?;
    /// let web: BgNbd = model.customer_model(&[1.0])?;
    /// assert!((web.alpha() - 2.0).abs() < 1e-12);
    /// assert_eq!(model.customer_model(&[0.0])?.alpha(), 4.0);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a wrong number of values or a value that is not finite;
    /// [`Error::InvalidParameter`] for covariates so extreme that a customer's parameter leaves
    /// the range of `f64`.
    pub fn customer_model(&self, z: &[f64]) -> Result<B> {
        if z.len() != self.columns.len() {
            return Err(Error::InvalidInput(format!(
                "{} covariate values for a model with {} covariates ({})",
                z.len(),
                self.columns.len(),
                self.columns.join(", ")
            )));
        }
        if let Some((c, v)) = self.columns.iter().zip(z).find(|(_, v)| !v.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "covariate {c:?} is {v}: a covariate must be a finite number"
            )));
        }
        B::from_params(&self.customer_params(z))
    }

    /// The model of customer `i` (0-based) of `data`, with that row's covariates.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `data` lacks a covariate column of the model or has no row
    /// `i`; otherwise as [`WithCovariates::customer_model`].
    pub fn customer_model_of(&self, data: &RfmData, i: usize) -> Result<B> {
        let cols = self.data_columns(data)?;
        if i >= data.len() {
            return Err(Error::InvalidInput(format!(
                "row index {i} is out of range: the data has {} rows",
                data.len()
            )));
        }
        let z: Vec<f64> = cols.iter().map(|c| c[i]).collect();
        self.customer_model(&z)
    }

    /// The model's covariate columns in `data`.
    fn data_columns<'a>(&self, data: &'a RfmData) -> Result<Vec<&'a [f64]>> {
        self.columns
            .iter()
            .map(|c| {
                data.covariate(c).ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "the data have no covariate column {c:?}, which the model uses"
                    ))
                })
            })
            .collect()
    }

    /// `f(customer model, customer)` for every row of `data`, each with its own covariates (a
    /// batch prediction: P(alive), E\[Y(t)\], DERT, ...), in row order.
    ///
    /// ```
    /// use clv::{BgNbd, BgNbdCov, Model, RfmData, TransactionModel};
    /// let data = RfmData::new(vec![2.0, 0.0], vec![30.0, 0.0], vec![38.0, 38.0])?
    ///     .with_covariates(vec!["web".into()], vec![vec![1.0, 0.0]])?;
    /// let base = BgNbd::new(0.24, 4.4, 0.79, 2.4)?;
    /// let model = BgNbdCov::from_params(&base.params())?; // no covariates yet
    /// let alive = model.predict(&data, |m, c| Ok(m.probability_alive(c)))?;
    /// assert_eq!(alive[1], 1.0);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`WithCovariates::customer_model_of`], or the first error of `f`.
    pub fn predict<T>(
        &self,
        data: &RfmData,
        f: impl Fn(&B, &Customer) -> Result<T>,
    ) -> Result<Vec<T>> {
        let cols = self.data_columns(data)?;
        let mut z = vec![0.0; cols.len()];
        data.customers()
            .enumerate()
            .map(|(i, c)| {
                for (v, col) in z.iter_mut().zip(&cols) {
                    *v = col[i];
                }
                f(&self.customer_model(&z)?, &c)
            })
            .collect()
    }

    /// Fits the model to `data` with the covariates of `spec` (see [`CovariateData::new`]).
    ///
    /// ```
    /// use clv::{BgNbdCov, FitOptions, RfmData};
    /// use clv::models::covariates::CovariateSpec;
    /// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
    /// let z: Vec<f64> = (0..data.len()).map(|i| (i % 3) as f64).collect();
    /// let data = data.with_covariates(vec!["group".into()], vec![z])?;
    /// let spec = CovariateSpec::new().purchase(&["group"]).dropout(&["group"]);
    /// let fitted = BgNbdCov::fit_with(&data, &spec, &FitOptions::default())?;
    /// assert_eq!(fitted.names()[4..], ["purchase.group", "dropout_a.group", "dropout_b.group"]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`CovariateData::new`] and [`crate::fit::fit`].
    pub fn fit_with(
        data: &RfmData,
        spec: &CovariateSpec,
        options: &FitOptions,
    ) -> Result<Fitted<Self>> {
        Self::fit(&CovariateData::new(data, spec)?, options)
    }
}

impl<B: CovariateBase + fmt::Display> fmt::Display for WithCovariates<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at z = 0", self.base)?;
        for (t, g) in self.terms.iter().zip(&self.coefficients) {
            write!(f, ", {} = {g}", t.name)?;
        }
        Ok(())
    }
}

impl<B: CovariateBase> Model for WithCovariates<B> {
    const NAME: &'static str = B::NAME;
    /// The base model's parameters; the coefficients follow in [`Model::param_names`].
    const PARAM_NAMES: &'static [&'static str] = B::PARAM_NAMES;

    fn params(&self) -> Vec<f64> {
        let mut p = self.base.params();
        p.extend_from_slice(&self.coefficients);
        p
    }

    /// The model without covariates (exactly the base model's parameters); a model with
    /// covariates is built by [`Model::with_params`] from one that has them.
    fn from_params(params: &[f64]) -> Result<Self> {
        if params.len() != B::PARAM_NAMES.len() {
            return Err(Error::InvalidInput(format!(
                "{} with covariates: {} values, but without the covariates' names only the {} \
                 base parameters ({}) can be given; build from a fitted model with `with_params`",
                B::LABEL,
                params.len(),
                B::PARAM_NAMES.len(),
                B::PARAM_NAMES.join(", ")
            )));
        }
        Ok(WithCovariates {
            base: B::from_params(params)?,
            columns: Vec::new(),
            terms: Vec::new(),
            coefficients: Vec::new(),
        })
    }

    fn param_names(&self) -> Vec<String> {
        let mut names: Vec<String> = B::PARAM_NAMES.iter().map(|s| (*s).to_string()).collect();
        names.extend(self.terms.iter().map(|t| t.name.clone()));
        names
    }

    /// The base parameters by name, and coefficients named `purchase.<col>`, `dropout.<col>`
    /// (`dropout_a.<col>`, `dropout_b.<col>`) or `shared.<col>`, in the order given (that of
    /// [`Model::param_names`] when read back from a serialised fit).
    fn from_named_params(named: &[(String, f64)]) -> Result<Self> {
        Self::from_named(named)
    }

    fn with_params(&self, params: &[f64]) -> Result<Self> {
        let k = B::PARAM_NAMES.len();
        if params.len() != k + self.terms.len() {
            return Err(Error::InvalidInput(format!(
                "{} with covariates has {} parameters, got {}",
                B::LABEL,
                k + self.terms.len(),
                params.len()
            )));
        }
        let (base, coef) = params.split_at(k);
        if let Some(v) = coef.iter().find(|v| !v.is_finite()) {
            return Err(Error::param(
                "coefficient",
                *v,
                "a covariate coefficient must be finite",
            ));
        }
        Ok(WithCovariates {
            base: B::from_params(base)?,
            columns: self.columns.clone(),
            terms: self.terms.clone(),
            coefficients: coef.to_vec(),
        })
    }
}

/// The base parameters among `named` (names in `base`) and the coefficients, each as
/// `(prefix, column, value)` from its name `<prefix>.<column>`, in the order given.
///
/// Errors: [`Error::InvalidInput`] for a name that is neither a base parameter nor of that form,
/// or a coefficient given twice.
pub(crate) fn split_named<'a>(
    named: &'a [(String, f64)],
    base: &[&str],
    model: &str,
) -> Result<NamedParts<'a>> {
    let mut base_named = Vec::new();
    let mut coefficients: Vec<(&str, &str, f64)> = Vec::new();
    for (name, v) in named {
        if base.contains(&name.as_str()) {
            base_named.push((name.clone(), *v));
            continue;
        }
        let Some((prefix, column)) = name.split_once('.').filter(|(_, c)| !c.is_empty()) else {
            return Err(Error::InvalidInput(format!(
                "`{name}` is not a parameter of {model}: its parameters are {} and coefficients \
                 named `<process>.<column>`",
                base.join(", ")
            )));
        };
        if coefficients
            .iter()
            .any(|&(p, c, _)| p == prefix && c == column)
        {
            return Err(Error::InvalidInput(format!(
                "the coefficient `{name}` is given twice"
            )));
        }
        coefficients.push((prefix, column, *v));
    }
    Ok((base_named, coefficients))
}

/// The base model `B`, the columns and all parameter values (base, then coefficients) of
/// `named`, for a model whose coefficients are all named `<prefix>.<column>`.
///
/// Errors: as [`split_named`], a coefficient with another prefix, or as `B`'s
/// [`Model::from_named_params`].
pub(crate) fn one_prefix_named<B: Model>(
    named: &[(String, f64)],
    model: &str,
    prefix: &str,
) -> Result<(B, Vec<String>, Vec<f64>)> {
    let (base_named, coefficients) = split_named(named, B::PARAM_NAMES, model)?;
    let base = B::from_named_params(&base_named)?;
    let mut columns = Vec::with_capacity(coefficients.len());
    let mut values = base.params();
    for (p, column, v) in coefficients {
        if p != prefix {
            return Err(Error::InvalidInput(format!(
                "`{p}.{column}` is not a coefficient of {model} with covariates: its \
                 coefficients are named {prefix}.<column>"
            )));
        }
        columns.push(column.to_string());
        values.push(v);
    }
    Ok((base, columns, values))
}

/// The base parameters and the coefficients `(prefix, column, value)` of [`split_named`].
pub(crate) type NamedParts<'a> = (Vec<(String, f64)>, Vec<(&'a str, &'a str, f64)>);

impl<B: CovariateBase> WithCovariates<B> {
    /// The model of `named` (see [`Model::from_named_params`]).
    fn from_named(named: &[(String, f64)]) -> Result<Self> {
        let (base_named, coefficients) = split_named(named, B::PARAM_NAMES, B::LABEL)?;
        let base = B::from_named_params(&base_named)?;
        let all = (1u8 << B::SCALES.len()) - 1;
        let mut columns: Vec<String> = Vec::new();
        let mut terms = Vec::with_capacity(coefficients.len());
        let mut values = base.params();
        for (prefix, column, v) in coefficients {
            let mask = if prefix == "shared" {
                all
            } else {
                let s = B::SCALES
                    .iter()
                    .position(|s| s.prefix == prefix)
                    .ok_or_else(|| {
                        Error::InvalidInput(format!(
                            "`{prefix}.{column}` is not a coefficient of {} with covariates: \
                             its coefficients are named {}.<column> or shared.<column>",
                            B::LABEL,
                            B::SCALES
                                .iter()
                                .map(|s| s.prefix)
                                .collect::<Vec<_>>()
                                .join(".<column>, ")
                        ))
                    })?;
                1 << s
            };
            let col = match columns.iter().position(|c| c == column) {
                Some(i) => i,
                None => {
                    columns.push(column.to_string());
                    columns.len() - 1
                }
            };
            terms.push(Term {
                name: format!("{prefix}.{column}"),
                column: col,
                mask,
            });
            values.push(v);
        }
        let coefficients = vec![0.0; terms.len()];
        WithCovariates {
            base,
            columns,
            terms,
            coefficients,
        }
        .with_params(&values)
    }
}

impl<B: CovariateBase> Estimable for WithCovariates<B> {
    type Data = CovariateData;
    type Rows = CovariateRows;

    fn lower_bounds_for(rows: &CovariateRows) -> Vec<f64> {
        let mut lower = B::lower_bounds();
        lower.resize(lower.len() + rows.terms.len(), f64::NEG_INFINITY);
        lower
    }

    fn from_estimate(rows: &CovariateRows, params: &[f64]) -> Result<Self> {
        let shell = WithCovariates {
            base: B::from_params(params.get(..B::PARAM_NAMES.len()).unwrap_or(params))?,
            columns: rows.columns.clone(),
            terms: rows.terms.clone(),
            coefficients: vec![0.0; rows.terms.len()],
        };
        shell.with_params(params)
    }

    fn prepare(data: &CovariateData) -> Result<CovariateRows> {
        let rows = B::prepare(&data.data)?;
        let (terms, columns) = data.spec.terms(B::SCALES);
        let names = data.data.covariate_names();
        let weights = terms
            .iter()
            .map(|t| {
                let s = columns
                    .get(t.column)
                    .and_then(|c| names.iter().position(|n| n == c))
                    .and_then(|j| data.divisors.get(j))
                    .copied()
                    .unwrap_or(1.0);
                1.0 / (s * s)
            })
            .collect();
        CovariateRows::new(rows, columns, terms, (data.spec.penalty, weights))
    }

    fn condition(rows: &mut CovariateRows) -> Option<Rescaling> {
        B::condition(&mut rows.rows)
    }

    /// The base model's start points with every coefficient 0.
    fn starts(rows: &CovariateRows, lower: &[f64]) -> Vec<Vec<f64>> {
        let k = B::PARAM_NAMES.len();
        B::starts(&rows.rows, lower.get(..k).unwrap_or(lower))
            .into_iter()
            .map(|mut s| {
                s.resize(k + rows.terms.len(), 0.0);
                s
            })
            .collect()
    }

    fn objective(rows: &CovariateRows) -> Box<dyn Objective> {
        Box::new(engine::CovariateObjective::<B>::new(rows.clone()))
    }

    fn subset(rows: &CovariateRows, keep: &[usize]) -> Option<CovariateRows> {
        rows.subset(keep)
    }

    /// The pipeline's fit, run on centred and scaled covariates (`z̃ = (z − m)/s`, an exact
    /// reparametrisation that keeps the base parameters near an average customer's and the
    /// coefficients of order 1, whatever the units of the covariates) and mapped back to the
    /// caller's columns with its covariance (delta method, exact for a linear map of the
    /// coefficients). With a penalty on the coefficients, the reported log-likelihood is the
    /// unpenalised one at the estimate.
    fn fit(data: &CovariateData, options: &FitOptions) -> Result<Fitted<Self>> {
        let (inner, shifts) = data.standardised()?;
        let (terms, columns) = data.spec.terms(B::SCALES);
        let names = data.data.covariate_names();
        // (m, s) of each coefficient's column.
        let at: Vec<(f64, f64)> = terms
            .iter()
            .map(|t| {
                columns
                    .get(t.column)
                    .and_then(|c| names.iter().position(|n| n == c))
                    .and_then(|j| shifts.get(j))
                    .copied()
                    .unwrap_or((0.0, 1.0))
            })
            .collect();
        let k0 = B::PARAM_NAMES.len();
        // θ₀ of scale `sc` in the caller's columns is θ̃₀·exp(−sign·Σ γₜ mₜ) over its terms.
        let log_shift = |coef: &[f64], sc: usize| -> f64 {
            let scale = B::SCALES[sc];
            -scale.sign
                * terms
                    .iter()
                    .zip(coef)
                    .zip(&at)
                    .filter(|((t, _), _)| t.mask & (1 << sc) != 0)
                    .map(|((_, g), (m, _))| g * m)
                    .sum::<f64>()
        };
        let mut options = options.clone();
        if let Some(start) = &mut options.start {
            if start.len() == k0 + terms.len() {
                let coef = start[k0..].to_vec();
                for sc in 0..B::SCALES.len() {
                    start[B::SCALES[sc].param] *= (-log_shift(&coef, sc)).exp();
                }
                for (g, (_, s)) in start[k0..].iter_mut().zip(&at) {
                    *g *= s;
                }
            }
        }
        let fitted = crate::fit::fit::<Self>(&inner, &options)?;
        let inner_params = fitted.model().params();
        let k = inner_params.len();
        let mut params = inner_params.clone();
        for (g, (_, s)) in params[k0..].iter_mut().zip(&at) {
            *g /= s;
        }
        // Jacobian ∂θ/∂θ̃ (row-major k×k).
        let mut jac = vec![0.0; k * k];
        for i in 0..k0 {
            jac[i * k + i] = 1.0;
        }
        for (t, (_, s)) in at.iter().enumerate() {
            jac[(k0 + t) * k + k0 + t] = 1.0 / s;
        }
        let coef = params[k0..].to_vec();
        for sc in 0..B::SCALES.len() {
            let p = B::SCALES[sc].param;
            let f = log_shift(&coef, sc).exp();
            params[p] = inner_params[p] * f;
            jac[p * k + p] = f;
            for (t, term) in terms.iter().enumerate() {
                if term.mask & (1 << sc) != 0 {
                    let (m, s) = at[t];
                    jac[p * k + k0 + t] = params[p] * (-B::SCALES[sc].sign) * m / s;
                }
            }
        }
        let model = fitted.model().with_params(&params)?;
        let mut fitted = fitted.reparametrised(model, &jac);
        if data.spec.penalty > 0.0 {
            let rows = Self::prepare(data)?;
            let free = CovariateRows {
                penalty: 0.0,
                ..rows
            };
            let ll = B::log_likelihood_with(&free, &fitted.model().params(), None);
            fitted.set_log_likelihood(ll);
        }
        Ok(fitted)
    }
}

impl Rows for CovariateRows {
    fn n_customers(&self) -> f64 {
        self.rows.n_customers()
    }
    fn n_rows(&self) -> usize {
        self.rows.len()
    }
}

/// The purchase scale of every model here: `αᵢ = α₀·exp(−γ₁ᵀz)`, the second parameter.
const PURCHASE: Scale = Scale {
    prefix: "purchase",
    param: 1,
    sign: -1.0,
    process: Process::Purchase,
};

impl CovariateBase for ParetoNbd {
    const LABEL: &'static str = "Pareto/NBD";
    const SCALES: &'static [Scale] = &[
        PURCHASE,
        Scale {
            prefix: "dropout",
            param: 3,
            sign: -1.0,
            process: Process::Dropout,
        },
    ];
    fn log_likelihood_with(rows: &CovariateRows, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        pareto::log_likelihood(rows, theta, grad)
    }
    fn hessian_with(rows: &CovariateRows, theta: &[f64]) -> Option<Vec<f64>> {
        pareto::hessian(rows, theta)
    }
}

/// The scales of the BG/NBD family.
const BG_SCALES: &[Scale] = &[
    PURCHASE,
    Scale {
        prefix: "dropout_a",
        param: 2,
        sign: 1.0,
        process: Process::Dropout,
    },
    Scale {
        prefix: "dropout_b",
        param: 3,
        sign: 1.0,
        process: Process::Dropout,
    },
];

impl CovariateBase for BgNbd {
    const LABEL: &'static str = "BG/NBD";
    const SCALES: &'static [Scale] = BG_SCALES;
    fn log_likelihood_with(rows: &CovariateRows, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        family::log_likelihood(rows, theta, grad, Dropout::AfterRepeatPurchases)
    }
    fn hessian_with(rows: &CovariateRows, theta: &[f64]) -> Option<Vec<f64>> {
        family::hessian(rows, theta, Dropout::AfterRepeatPurchases)
    }
}

impl CovariateBase for MbgNbd {
    const LABEL: &'static str = "MBG/NBD";
    const SCALES: &'static [Scale] = BG_SCALES;
    fn log_likelihood_with(rows: &CovariateRows, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        family::log_likelihood(rows, theta, grad, Dropout::AlsoAtStart)
    }
    fn hessian_with(rows: &CovariateRows, theta: &[f64]) -> Option<Vec<f64>> {
        family::hessian(rows, theta, Dropout::AlsoAtStart)
    }
}
