//! The MBG/NBD model (Batislam, Denizel & Filiztekin 2007, "Empirical validation and
//! comparison of models for customer base analysis", *International Journal of Research in
//! Marketing* 24(3):201–209, with the erratum of Wagner & Hoppe 2008, *IJRM* 25(3):225–226).
//!
//! ## Assumptions
//! * While alive, a customer buys according to a Poisson process with rate `λ`;
//!   `λ ~ Gamma(r, α)` (shape `r`, rate `α`) across customers.
//! * The customer dies (becomes inactive for good) with probability `p` at time 0, right after
//!   the first purchase, and again after each repeat purchase; `p ~ Beta(a, b)` across
//!   customers, independent of `λ`. This is the BG/NBD ([`crate::BgNbd`]) with one more chance
//!   to drop out: a customer with `x` repeat purchases has had `x + 1`, so customers who never
//!   came back can be inactive (under the BG/NBD they are alive for sure).
//!
//! ## Likelihood
//! For a customer with `x` repeat purchases, the last at `t_x`, observed for `T`, the
//! individual likelihood is `(1−p)^(x+1) λˣ e^(−λT) + p (1−p)ˣ λˣ e^(−λ t_x)` and, mixed over
//! `λ` and `p` (Wagner & Hoppe 2008: no indicator on the second term; for `x = 0` it is the
//! customer who dropped out at time 0),
//!
//! ```text
//! L = B(a, b+x+1)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+T)^(r+x))
//!   + B(a+1, b+x)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+t_x)^(r+x))
//! ```
//!
//! evaluated in log space, exact for parameters of any size (up to 10⁸ and beyond), as
//!
//! ```text
//! ℓ = [ln Γ(r+x)/Γ(r) − x ln r] + ln B(a, b+x+1)/B(a, b) + x ln(r/(α+T)) − r ln(1 + T/α)
//!   + ln(1 + e^lod),     lod = ln(a/(b+x)) + (r+x) ln(1 + (T−t_x)/(α+t_x))
//! ```
//!
//! (`lod` the log-odds of death at `t_x`), with the analytic gradient
//!
//! ```text
//! ∂ℓ/∂r = ψ(r+x) − ψ(r) − π₁ ln(1 + T/α) − π₂ ln(1 + t_x/α)
//! ∂ℓ/∂α = π₁ (rT/α − x)/(α+T) + π₂ (r t_x/α − x)/(α+t_x)
//! ∂ℓ/∂a = ψ(a+b) − ψ(a+b+x+1) + π₂/a
//! ∂ℓ/∂b = ψ(b+x+1) − ψ(b) − ψ(a+b+x+1) + ψ(a+b) − π₂/(b+x)
//! ```
//!
//! with `π₂ = 1/(1 + e^−lod)` and `π₁ = 1 − π₂`; the same code as the BG/NBD's, with `x + 1`
//! chances to drop out in place of `x` (the Stirling-based ratios of `clv::special`, no power
//! ever formed, `ψ(z+n) − ψ(z)` as one difference).
//!
//! ## Predictions
//! Given alive at `T`, the posterior is `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+x+1)`: the
//! BG/NBD's with `b + 1` in place of `b`, so the BG/NBD's evaluation serves unchanged.
//! * `P(alive | x, t_x, T) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x)) = 1 / (1 + e^lod)`,
//!   below 1 also for `x = 0`;
//! * `E[Y(t) | x, t_x, T] = (a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x)
//!   ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))] · P(alive)`, evaluated as
//!   `P(alive) · E_p[(1 − (1 + pτ)^−(r+x)) / p]`, `τ = t/(α+T)` (the Euler-transformed ₂F₁
//!   where it is reliable, else the integral over the posterior of `p` in its logit);
//! * `E[X(t)] = b/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))]`: a customer with
//!   `x = 0` observed for `T = 0`, alive with probability `b/(a+b)`;
//! * `P(X(t) = n) = B(a, b+n+1)/B(a, b) · Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))ⁿ
//!   + B(a+1, b+n)/B(a, b) · P(NB(r, α/(α+t)) >= n)`, the negative binomial term by Loader's
//!   saddle-point form and the tail as an incomplete beta function (1 for `n = 0`);
//! * `DERT(δ) = P(alive) · E_p E_λ[λ/(λp + δ)]` over the posterior of a live customer (a live
//!   customer with `λ, p` makes `λ e^(−λpt) dt` expected transactions at `t`).
//! * `P(Y(t) = n | x, t_x, T) = P(alive) · P_BG/NBD(X(t) = n; r+x, α+T, a, b+x+1)
//!   + 1{n=0} (1 − P(alive))`: a customer alive at `T` has spent the chance to drop out at
//!   time 0, so from `T` on it is a BG/NBD customer (death only after purchases) with the
//!   posterior parameters; the derivation is the BG/NBD's ([`crate::BgNbd`] module docs) with
//!   `x + 1` chances in place of `x`;
//! * `P(alive at T + t | x, t_x, T) = P(alive) · E_p[(1 + pt/(α+T))^−(r+x)]`,
//!   `p ~ Beta(a, b+x+1)`, i.e. `P(alive) · ₂F₁(r+x, a; a+b+x+1; −t/(α+T))`.
//!
//! Time is in the unit of the data (days, weeks, ...): `α` is in that unit.

use std::fmt;

use rand::Rng;

use super::bg_nbd::{BgNbdObjective, Dropout, Family};
use super::simulation::{Simulate, Simulated};
use crate::data::{Customer, RfmData};
use crate::error::Result;
use crate::fit::Differentiated;
use crate::fit::exactly;
use crate::fit::{Estimable, FitOptions, Fitted, Objective, Rescaling};
use crate::models::{BgNbd, Model, TransactionModel};

/// MBG/NBD parameters: purchase-rate heterogeneity `Gamma(r, α)`, dropout heterogeneity
/// `Beta(a, b)`, dropout possible at time 0 and after each repeat purchase.
///
/// ```
/// use clv::{Customer, MbgNbd, TransactionModel};
/// let model = MbgNbd::new(0.5248, 6.1830, 0.8914, 1.6140)?;
/// // A customer who never came back may be gone: P(alive) < 1.
/// let c = Customer::new(0.0, 0.0, 38.86)?;
/// assert!(model.probability_alive(&c) < 0.7);
/// let e = model.conditional_expected_transactions(&Customer::new(2.0, 30.43, 38.86)?, 39.0)?;
/// assert!(e > 0.0);
/// println!("{model}");
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct MbgNbd {
    /// The four parameters of the same two distributions as the BG/NBD's, validated (and
    /// serialised, and deserialised through [`MbgNbd::new`]) as those.
    params: BgNbd,
}

impl fmt::Display for MbgNbd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MBG/NBD: λ ~ Gamma(r = {}, α = {}), p ~ Beta(a = {}, b = {}), dropout also at time 0",
            self.r(),
            self.alpha(),
            self.a(),
            self.b()
        )
    }
}

impl Model for MbgNbd {
    const NAME: &'static str = "mbgnbd";
    const PARAM_NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];

    fn params(&self) -> Vec<f64> {
        self.params.params()
    }

    fn from_params(p: &[f64]) -> Result<Self> {
        let [r, alpha, a, b] = exactly::<4>(p, "MBG/NBD")?;
        MbgNbd::new(r, alpha, a, b)
    }
}

/// Per customer: `λ ~ Gamma(r, α)`, `p ~ Beta(a, b)`; the customer dies at time 0 with
/// probability `p`, else buys with inter-purchase times `~ Exp(λ)` and dies with probability `p`
/// after each repeat purchase (Batislam, Denizel & Filiztekin 2007). The design is the
/// customers' ages `T`.
impl Simulate for MbgNbd {
    type Design = [f64];
    type Output = Simulated;

    fn simulate<R: Rng + ?Sized>(&self, ages: &[f64], rng: &mut R) -> Result<Simulated> {
        self.family().simulate(ages, rng)
    }
}

impl Estimable for MbgNbd {
    type Data = RfmData;
    type Rows = RfmData;

    fn prepare(data: &RfmData) -> Result<RfmData> {
        super::summary_rows(data, "MBG/NBD")
    }

    /// α is a rate per unit of time.
    fn condition(rows: &mut RfmData) -> Option<Rescaling> {
        super::rescale_time(rows, &[1])
    }

    /// The BG/NBD's: `E[λ] = r/α` matched to the mean purchase rate, at a few `(r, a, b)`.
    fn starts(rows: &RfmData, lower: &[f64]) -> Vec<Vec<f64>> {
        <BgNbd as Estimable>::starts(rows, lower)
    }

    fn objective(rows: &RfmData) -> Box<dyn Objective> {
        Box::new(MbgNbd::objective(rows))
    }
}

impl MbgNbd {
    /// An MBG/NBD model with shape `r` and rate `alpha` of the purchase-rate distribution and
    /// `a`, `b` of the dropout-probability distribution.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] unless every parameter is finite and > 0.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        BgNbd::new(r, alpha, a, b).map(|params| MbgNbd { params })
    }

    /// Shape `r` of the Gamma distribution of purchase rates ([`BgNbd::r`]).
    pub fn r(&self) -> f64 {
        self.params.r()
    }

    /// Rate `α` of the Gamma distribution of purchase rates, in the data's time unit
    /// ([`BgNbd::alpha`]).
    pub fn alpha(&self) -> f64 {
        self.params.alpha()
    }

    /// First shape `a` of the Beta distribution of dropout probabilities ([`BgNbd::a`]).
    pub fn a(&self) -> f64 {
        self.params.a()
    }

    /// Second shape `b` of the Beta distribution of dropout probabilities ([`BgNbd::b`]).
    pub fn b(&self) -> f64 {
        self.params.b()
    }

    /// Log-likelihood of one customer's history `(x, t_x, T)` (Batislam et al. 2007 with the
    /// Wagner & Hoppe 2008 erratum, in log space; see the module docs).
    ///
    /// ```
    /// use clv::{Customer, MbgNbd};
    /// let model = MbgNbd::new(1.0, 2.0, 1.0, 3.0)?;
    /// // x = 0, T = 1: E[(1−p)] E[e^(−λ)] + E[p] = 3/4 · (2/3) + 1/4
    /// let ll = model.log_likelihood(&Customer::new(0.0, 0.0, 1.0)?);
    /// assert!((ll - 0.75f64.ln()).abs() < 1e-15);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn log_likelihood(&self, customer: &Customer) -> f64 {
        self.family().log_likelihood(customer)
    }

    /// Gradient of [`MbgNbd::log_likelihood`] with respect to `(r, α, a, b)`.
    ///
    /// ```
    /// use clv::{Customer, MbgNbd};
    /// let g = MbgNbd::new(1.0, 2.0, 1.0, 3.0)?.log_likelihood_gradient(&Customer::new(2.0, 1.0, 3.0)?);
    /// assert!(g.iter().all(|v| v.is_finite()));
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn log_likelihood_gradient(&self, customer: &Customer) -> [f64; 4] {
        self.family().log_likelihood_gradient(customer)
    }

    /// Weighted total log-likelihood of `data`.
    ///
    /// ```
    /// use clv::{MbgNbd, RfmData};
    /// let data = RfmData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?;
    /// let ll = MbgNbd::new(0.5, 6.0, 0.9, 1.6)?.total_log_likelihood(&data);
    /// assert!(ll < 0.0);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn total_log_likelihood(&self, data: &RfmData) -> f64 {
        Self::objective(data).log_likelihood(&self.params(), None)
    }

    /// The total weighted log-likelihood of `data` with its analytic gradient in `(r, α, a, b)`,
    /// as the fit maximises it (the rows as given: compress them first for speed).
    ///
    /// ```
    /// use clv::{MbgNbd, Objective, RfmData};
    /// let data = RfmData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?;
    /// let objective = MbgNbd::objective(&data);
    /// let mut grad = [0.0; 4];
    /// let ll = objective.log_likelihood(&[0.5248, 6.183, 0.8914, 1.614], Some(&mut grad));
    /// assert!(ll < 0.0 && grad.iter().all(|g| g.is_finite()));
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn objective(data: &RfmData) -> impl Objective + use<> {
        BgNbdObjective::new(data, Dropout::AlsoAtStart)
    }

    /// The maximum-likelihood fit to `data` (identical customers merged first), with standard
    /// errors at a verified maximum.
    ///
    /// ```
    /// use clv::{FitOptions, MbgNbd, RfmData};
    /// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
    /// let fitted = MbgNbd::fit(&data, &FitOptions::default())?;
    /// assert!((fitted.log_likelihood() - -9582.13).abs() < 0.01);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for data without a single repeat purchase (they cannot
    /// determine the purchase rates); otherwise as [`crate::fit::fit`] (a fit that ends anywhere
    /// but at a verified maximum is returned with its [`Fitted::status`]).
    pub fn fit(data: &RfmData, options: &FitOptions) -> Result<Fitted<MbgNbd>> {
        crate::fit::fit(data, options)
    }

    /// The parameters with the MBG/NBD's dropout process (also at time 0).
    fn family(&self) -> Family {
        self.params.family_with(Dropout::AlsoAtStart, "MBG/NBD")
    }
}

impl TransactionModel for MbgNbd {
    /// `b/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))]` (see the module docs).
    fn expected_transactions(&self, t: f64) -> Result<f64> {
        self.family().expected_transactions(t)
    }

    fn probability_of_transactions(&self, n: u32, t: f64) -> Result<f64> {
        self.family().probability_of_transactions(n, t)
    }

    fn conditional_expected_transactions(&self, customer: &Customer, t: f64) -> Result<f64> {
        let p_alive = self.probability_alive(customer);
        self.family()
            .conditional_expectation(customer.frequency(), customer.age(), t, p_alive)
    }

    fn probability_alive(&self, customer: &Customer) -> f64 {
        self.family().probability_alive(customer)
    }

    /// As the row-by-row form, across the machine's cores.
    fn probability_alive_batch(&self, data: &RfmData) -> ndarray::Array1<f64> {
        self.family().probability_alive_batch(data)
    }

    /// As the row-by-row form, bit for bit: `E[Y(t) | alive at T]` depends on `x` and `T` only
    /// and is evaluated once per distinct `(x, T)`, across the machine's cores.
    fn conditional_expected_transactions_batch(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<ndarray::Array1<f64>> {
        self.family().conditional_expectation_batch(data, t)
    }

    /// The batch values with their exact gradients in `(ln r, ln α, ln a, ln b)`, across the
    /// machine's cores.
    fn probability_alive_differentiated(&self, data: &RfmData) -> Result<Differentiated> {
        self.family().probability_alive_differentiated(data)
    }

    /// The batch values with their exact gradients in `(ln r, ln α, ln a, ln b)`, the part given
    /// alive once per distinct `(x, T)` (values alone where it has no closed form).
    fn conditional_expected_transactions_differentiated(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<Differentiated> {
        self.family()
            .conditional_expectation_differentiated(data, t)
    }

    /// `P(alive) · P_BG/NBD(X(t) = n)` at the posterior parameters `(r+x, α+T, a, b+x+1)`, plus
    /// `1 − P(alive)` at `n = 0` (see the module docs).
    fn conditional_probability_of_transactions(
        &self,
        customer: &Customer,
        n: u32,
        t: f64,
    ) -> Result<f64> {
        self.family()
            .conditional_probability_of_transactions(customer, n, t)
    }

    /// `P(alive) · E_p[(1 + pt/(α+T))^−(r+x)]`, `p ~ Beta(a, b+x+1)` (see the module docs).
    fn probability_alive_at(&self, customer: &Customer, t: f64) -> Result<f64> {
        self.family().probability_alive_at(customer, t)
    }

    /// Exact DERT: `P(alive) · E[λ/(λp + δ)]` over the posterior of a live customer,
    /// `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+x+1)` (as the BG/NBD's, with `b + 1`).
    fn discounted_expected_residual_transactions(
        &self,
        customer: &Customer,
        delta: f64,
    ) -> Result<f64> {
        self.family()
            .discounted_expected_residual_transactions(customer, delta)
    }

    /// As the row-by-row form, bit for bit: the DERT given alive depends on `x` and `T` only and
    /// is evaluated once per distinct `(x, T)`, across the machine's cores.
    fn discounted_expected_residual_transactions_batch(
        &self,
        data: &RfmData,
        delta: f64,
    ) -> Result<ndarray::Array1<f64>> {
        crate::error::check_positive("delta", delta)?;
        let family = self.family();
        family.times_alive_per_distinct(data, |x, at| family.dert_if_alive(x, at, delta))
    }
}
