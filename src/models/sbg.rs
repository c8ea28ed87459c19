//! The shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to
//! project customer retention", *Journal of Interactive Marketing* 21(1):76–90; Fader & Hardie
//! 2010, "Customer-base valuation in a contractual setting: the perils of ignoring
//! heterogeneity", *Marketing Science* 29(1):85–93).
//!
//! ## Assumptions
//! * In a contractual setting churn is observed. A customer pays at the start of each period
//!   and, at the end of each period, churns with probability `θ`, independently across periods;
//!   so the lifetime `T ∈ {1, 2, ...}` (the period in which the customer churns) is geometric.
//! * `θ ~ Beta(α, β)` across customers. The mixture makes the aggregate retention rate rise over
//!   time although no individual's does: the customers most likely to churn leave first.
//!
//! ## Formulas (FH 2007, eqs. 3–7; Hardie note 017)
//! ```text
//! P(T = t) = B(α+1, β+t−1) / B(α, β)                     t = 1, 2, ...
//! S(t)     = P(T > t) = B(α, β+t) / B(α, β)              S(0) = 1
//! r(t)     = S(t) / S(t−1) = (β+t−1) / (α+β+t−1)          retention rate of period t
//! E[T]     = (α+β−1) / (α−1)                              finite only for α > 1
//! ```
//! Predictions for a cohort of `N` customers and for a customer who has survived `t` periods:
//! ```text
//! expected survivors after t periods   N · S(t)
//! P(T > t+k | T > t)                   S(t+k) / S(t) = (β+t)ₖ / (α+β+t)ₖ
//! ```
//!
//! `S(t) = (β)ₜ/(α+β)ₜ` is a ratio of rising factorials, and `P(T = t) = S(t−1) · α/(α+β+t−1)`.
//! `ln S(t)` is evaluated by [`crate::special::ln_pochhammer_ratio`] (a direct sum for short
//! lifetimes, Stirling's series in difference form otherwise), which never subtracts two large
//! numbers: `ln S(t)`, `ln P(T = t)` and their gradients keep full relative precision for
//! parameters from `1e-300` to `1e300` and lifetimes up to `u32::MAX` periods.
//!
//! ## Domain
//! Both parameters must lie in `[1e-300, 1e300]` ([`Sbg::MIN_PARAM`], [`Sbg::MAX_PARAM`]): the
//! constructor refuses other values. Outside this range sums such as `α + β` or derivatives
//! such as `1/α` leave the range of `f64`; inside it every function returns the exact value
//! (within about `1e-13` relative, checked against mpmath by `scripts/sbg_extreme_vectors.py`
//! for `α, β` up to `1e8` and beyond) or an error that says why. A value whose exact result lies
//! below the smallest normal `f64` (about `1e-308`) comes out as `0` or a subnormal.
//!
//! ## Likelihood
//! A customer who churned in period `t` contributes `ln P(T = t)`; one still active after `t`
//! observed periods (right-censored) contributes `ln S(t)`. A cohort observed for `n` periods
//! with `n_t` churners in period `t` and `N_n` survivors has
//! `LL = Σ_t n_t ln P(T = t) + N_n ln S(n)`; several cohorts add up. The gradient is analytic:
//! ```text
//! ∂ ln P(T=t)/∂α = 1/α + ψ(α+β) − ψ(α+β+t)      ∂ ln P(T=t)/∂β = ψ(β+t−1) − ψ(β) + ψ(α+β) − ψ(α+β+t)
//! ∂ ln S(t)/∂α   = ψ(α+β) − ψ(α+β+t)            ∂ ln S(t)/∂β   = ψ(β+t) − ψ(β) + ψ(α+β) − ψ(α+β+t)
//! ```
//!
//! ## Value (FH 2010)
//! With a payment of 1 at the start of each period and a discount rate `d` per period:
//! ```text
//! DEL(d)                  = Σ_{t≥0} S(t)/(1+d)^t = ₂F₁(1, β; α+β; 1/(1+d))
//! DERL(d | n−1 renewals)  = Σ_{t≥n} S(t)/S(n−1) / (1+d)^(t−n)
//!                         = (β+n−1)/(α+β+n−1) · ₂F₁(1, β+n; α+β+n; 1/(1+d))     (FH 2010, eq. 6)
//! ```
//! DERL is the value of a customer who has made `n−1` renewals and is about to decide the `n`-th;
//! the payment of that renewal is undiscounted. A customer's residual value is `margin · DERL`.
//!
//! ### Discounted sums
//! Both are `F = Σₖ xᵏ (b)ₖ/(α+b)ₖ` (`x = 1/(1+d)`), a series of positive terms falling at least
//! like `xᵏ`, summed directly with a rigorous tail bound (up to 400,000 terms, about a
//! millisecond). Where that is not enough (terms falling only like `xᵏ`, i.e. a small `α`, with
//! `d` below about `1e-4`) and `α + b <= 1000`, the general `₂F₁` is used, corrected for the
//! rounding of `x` in `f64`; for `d < 1e-12` there, and for `α + b > 1000`, the function returns
//! an error instead of a slow or inexact value.
//!
//! ## Fitting
//! By the pipeline of [`crate::fit`] on compressed lifetimes (cohort counts become one row per
//! period of churn plus the survivors), from start points that match `P(T = 1) = α/(α+β)` to the
//! share churning in period 1 at a few scales of `α + β`. Data without a maximum are refused:
//! nobody churned (the likelihood grows as `α → 0`) or everybody churned in period 1 (it grows as
//! `β → 0`).
//!
//! Periods are in the unit of the data (months, years, ...); `d` is the discount rate per period.

use std::fmt;

use crate::data::{Cohort, CohortData, LifetimeData};
use crate::error::{Error, Result, check_positive};
use crate::fit::Differentiated;
use crate::fit::exactly;
use crate::fit::objective::params;
use crate::models::Model;
use rand::Rng;
use rand_distr::{Beta, Distribution};

use super::simulation::{Simulate, check_design, dist_err};
use crate::fit::{Estimable, FitOptions, Fitted, LikelihoodRatioTest, Objective};
use crate::numerics::finite_or;
use crate::numerics::special::trigamma_difference;
use crate::parallel::sum_rows;
use crate::special::{
    digamma_difference, digamma_second_difference, hyp2f1, ln_pochhammer_ratio, ln1p_ratio,
};

/// Shifted-beta-geometric model: per-period churn probability `θ ~ Beta(α, β)`.
///
/// ```
/// use clv::Sbg;
/// // Fader & Hardie (2007), "Regular" segment
/// let model = Sbg::new(0.704, 1.182)?;
/// assert!((model.retention_rate(1)? - 1.182 / 1.886).abs() < 1e-12);
/// let s8 = model.survival(8);
/// assert!((1000.0 * s8 - 220.1).abs() < 0.5);
/// let derl = model.discounted_expected_residual_lifetime(0.1, 1)?; // n = 2: one renewal made
/// assert!((derl - 4.10).abs() < 0.01);
/// println!("{model}");
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "SbgParams"))]
pub struct Sbg {
    alpha: f64,
    beta: f64,
}

/// Unvalidated form used to deserialise (validated through [`Sbg::new`]).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct SbgParams {
    alpha: f64,
    beta: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<SbgParams> for Sbg {
    type Error = Error;
    fn try_from(p: SbgParams) -> Result<Self> {
        Sbg::new(p.alpha, p.beta)
    }
}

impl fmt::Display for Sbg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sBG: T ~ Geometric(θ) on {{1, 2, ...}}, θ ~ Beta(α = {}, β = {})",
            self.alpha, self.beta
        )
    }
}

impl Model for Sbg {
    const NAME: &'static str = "sbg";
    const PARAM_NAMES: &'static [&'static str] = &["alpha", "beta"];

    fn params(&self) -> Vec<f64> {
        vec![self.alpha, self.beta]
    }

    fn from_params(p: &[f64]) -> Result<Self> {
        let [alpha, beta] = exactly::<2>(p, "sBG")?;
        Sbg::new(alpha, beta)
    }
}

/// Checks that a shape parameter lies in the model's domain (also the BG/BB's).
pub(super) fn check_shape(name: &'static str, v: f64) -> Result<f64> {
    check_positive(name, v)?;
    if (Sbg::MIN_PARAM..=Sbg::MAX_PARAM).contains(&v) {
        Ok(v)
    } else {
        Err(Error::param(
            name,
            v,
            format!(
                "must lie in [{:e}, {:e}] (beyond, sums and derivatives of the parameters \
                 leave the range of f64)",
                Sbg::MIN_PARAM,
                Sbg::MAX_PARAM
            ),
        ))
    }
}

/// Most terms the direct discounted sums may take (about a millisecond).
const MAX_SUM_TERMS: u32 = 400_000;

/// `₂F₁(1, b; α+b; x) = Σₖ xᵏ (b)ₖ/(α+b)ₖ` with `x = 1/(1+d)`: the discounted sum of
/// `(b)ₖ/(α+b)ₖ`, the survival of a customer with churn probability `Beta(α, b)`.
///
/// Summed directly (positive terms falling at least like `xᵏ`; compensated summation, the
/// running term re-anchored on its closed form every 256 terms) with a rigorous tail bound
/// `Tₖ·x/(1−x) = Tₖ/d`; where that needs more than [`MAX_SUM_TERMS`] terms (small `d` with small
/// `α`), by the general [`hyp2f1`] for moderate `α + b`, and otherwise an error.
fn discounted_survival_sum(b: f64, alpha: f64, d: f64) -> Result<f64> {
    let x = 1.0 / (1.0 + d);
    let ln_x = -d.ln_1p();
    // Terms needed when they fall only like xᵏ (small α): about (40 + ln(1/d)) / ln(1+d).
    let slow = (40.0 + (-d.ln()).max(0.0)) / -ln_x > f64::from(MAX_SUM_TERMS);
    if slow && alpha + b <= HYP2F1_MAX_C {
        return hyp2f1_at_discount(b, alpha + b, d);
    }
    let (mut sum, mut comp, mut term) = (1.0f64, 0.0f64, 1.0f64);
    let mut k = 0u32;
    loop {
        let kf = f64::from(k);
        let next = k + 1;
        term = if next % 256 == 0 {
            let kn = f64::from(next);
            (kn * ln_x + ln_pochhammer_ratio(b, alpha, kn)).exp()
        } else {
            term * (x / (1.0 + alpha / (b + kf)))
        };
        // Neumaier summation
        let t = sum + term;
        comp += if sum >= term {
            (sum - t) + term
        } else {
            (term - t) + sum
        };
        sum = t;
        if term == 0.0 || term / d <= 1e-17 * sum {
            return Ok(sum + comp);
        }
        k = next;
        if k >= MAX_SUM_TERMS {
            break;
        }
    }
    if alpha + b <= HYP2F1_MAX_C {
        return hyp2f1_at_discount(b, alpha + b, d);
    }
    Err(Error::Numerical(format!(
        "the discounted sum for α = {alpha}, β + renewals = {b} at d = {d} needs more than \
         {MAX_SUM_TERMS} terms and is not evaluated (use a larger discount rate d)"
    )))
}

/// Smallest discount rate evaluated through the general `₂F₁`.
const MIN_HYP2F1_D: f64 = 1e-12;

/// `₂F₁(1, b; c; 1/(1+d))` for small `d` by the general [`hyp2f1`], corrected for the rounding of
/// its argument: `x = 1/(1+d)` in `f64` is off by up to an ulp, i.e. by a relative `1e-16/d` of
/// `1 − x`, which the function, singular at `x = 1`, amplifies. With `δ` the exact offset,
/// `F(x + δ) = F(x) + F′(x) δ + F″(x) δ²/2 + O(δ³)`, where `F′ = (b/c) ₂F₁(2, b+1; c+1; x)` and
/// `F″ = (b/c)(2(b+1)/(c+1)) ₂F₁(3, b+2; c+2; x)`; the remainder is below `(1e-16/d)³`.
fn hyp2f1_at_discount(b: f64, c: f64, d: f64) -> Result<f64> {
    if d < MIN_HYP2F1_D {
        return Err(Error::Numerical(format!(
            "the discounted sum for α + β + renewals = {c} at d = {d} is not evaluated: below \
             d = {MIN_HYP2F1_D} the discount factor 1/(1+d) is not resolved in f64 (use a \
             larger discount rate d)"
        )));
    }
    let x = 1.0 / (1.0 + d);
    // e = x(1+d) − 1 exactly rounded (x − 1 is exact), so that 1/(1+d) = x/(1+e).
    let e = x.mul_add(d, x - 1.0);
    let delta = -x * e / (1.0 + e);
    let f = hyp2f1(1.0, b, c, x)?;
    if delta == 0.0 {
        return Ok(f);
    }
    let f1 = b / c * hyp2f1(2.0, b + 1.0, c + 1.0, x)?;
    let f2 = b / c * (2.0 * (b + 1.0) / (c + 1.0)) * hyp2f1(3.0, b + 2.0, c + 2.0, x)?;
    Ok(f + delta * (f1 + 0.5 * delta * f2))
}

/// Largest `α + b` for which small discount rates fall back to the general `₂F₁`.
const HYP2F1_MAX_C: f64 = 1e3;

impl Sbg {
    /// Smallest accepted value of `α` and `β`.
    pub const MIN_PARAM: f64 = 1e-300;
    /// Largest accepted value of `α` and `β`.
    pub const MAX_PARAM: f64 = 1e300;

    /// An sBG model with churn-probability distribution `Beta(alpha, beta)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless both parameters are finite and lie in
    /// `[Sbg::MIN_PARAM, Sbg::MAX_PARAM] = [1e-300, 1e300]` (see the module documentation).
    pub fn new(alpha: f64, beta: f64) -> Result<Self> {
        Ok(Sbg {
            alpha: check_shape("alpha", alpha)?,
            beta: check_shape("beta", beta)?,
        })
    }

    /// First shape `α` of the Beta distribution of churn probabilities.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Second shape `β` of the Beta distribution of churn probabilities.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// `ln S(t) = ln[(β)ₜ/(α+β)ₜ]`.
    fn ln_survival(&self, t: f64) -> f64 {
        ln_survival(self.alpha, self.beta, t)
    }

    /// `ln P(T = t) = ln S(t−1) + ln[α/(α+β+t−1)]`, `t >= 1`.
    fn ln_pmf(&self, t: f64) -> f64 {
        ln_pmf(self.alpha, self.beta, t)
    }

    /// Probability that a new customer churns in period `t`, `P(T = t) = B(α+1, β+t−1)/B(α, β)`
    /// (the customer paid for periods `1..=t` and does not renew after period `t`).
    ///
    /// ```
    /// let model = clv::Sbg::new(1.0, 1.0)?;
    /// assert!((model.probability_of_churn_in(1)? - 0.5).abs() < 1e-15); // α/(α+β)
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `t = 0` (lifetimes start at 1).
    pub fn probability_of_churn_in(&self, t: u32) -> Result<f64> {
        if t == 0 {
            return Err(Error::param("t", 0.0, "periods start at 1"));
        }
        Ok(self.ln_pmf(f64::from(t)).exp())
    }

    /// Survival `S(t) = P(T > t) = B(α, β+t)/B(α, β)`: the probability that a new customer is
    /// still active after `t` periods (the share of a cohort expected to remain); `S(0) = 1`.
    pub fn survival(&self, t: u32) -> f64 {
        self.ln_survival(f64::from(t)).exp()
    }

    /// [`Sbg::survival`] at each of `periods` with its exact gradient in `(ln α, ln β)`, for
    /// delta-method intervals without finite differences ([`crate::fit::uncertainty`]):
    ///
    /// ```text
    /// ∂S(t)/∂ln α = −S(t) α [ψ(α+β+t) − ψ(α+β)]
    /// ∂S(t)/∂ln β =  S(t) β [ψ(β+t) − ψ(β) − ψ(α+β+t) + ψ(α+β)]
    /// ```
    ///
    /// (the digamma differences without cancellation).
    ///
    /// ```
    /// let model = clv::Sbg::new(0.704, 1.182)?;
    /// let d = model.survival_differentiated(&[0, 1, 5]);
    /// assert_eq!(d.values()[2], model.survival(5));
    /// let g = d.gradient_of(2).expect("analytic");
    /// assert!(g[0] < 0.0 && g[1] > 0.0); // churn more likely with α, less with β
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn survival_differentiated(&self, periods: &[u32]) -> Differentiated {
        let (a, b) = (self.alpha, self.beta);
        let mut values = Vec::with_capacity(periods.len());
        let mut gradient = Vec::with_capacity(2 * periods.len());
        for &t in periods {
            let tf = f64::from(t);
            let s = self.survival(t);
            values.push(s);
            gradient.push(-s * a * digamma_difference(a + b, tf));
            gradient.push(s * b * digamma_second_difference(b, a, tf));
        }
        Differentiated::from_parts(values, gradient, 2)
    }

    /// `S(0), S(1), S(2), ...` (see [`Sbg::survival`]), lazily, up to `t = u32::MAX`.
    ///
    /// ```
    /// let model = clv::Sbg::new(0.704, 1.182)?;
    /// let years_8_to_12: Vec<f64> = model.survival_curve().skip(8).take(5).collect();
    /// assert_eq!(years_8_to_12.len(), 5);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn survival_curve(&self) -> impl Iterator<Item = f64> + '_ {
        (0..=u32::MAX).map(move |t| self.survival(t))
    }

    /// Retention rate of period `t`, `r(t) = S(t)/S(t−1) = (β+t−1)/(α+β+t−1)`: the share of the
    /// customers active in period `t−1` who renew for period `t`. It rises with `t`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `t = 0`.
    pub fn retention_rate(&self, t: u32) -> Result<f64> {
        if t == 0 {
            return Err(Error::param("t", 0.0, "periods start at 1"));
        }
        let b = self.beta + f64::from(t - 1);
        Ok(1.0 / (1.0 + self.alpha / b))
    }

    /// Expected lifetime `E[T] = (α+β−1)/(α−1) = 1 + β/(α−1)` in periods, counting the period of
    /// churn; `None` when `α <= 1`, where the expectation is infinite (the Beta mass near `θ = 0`
    /// is too heavy), and when it exceeds the range of `f64` (`α` within `β·1e-308` of 1).
    pub fn expected_lifetime(&self) -> Option<f64> {
        if self.alpha <= 1.0 {
            return None;
        }
        let v = 1.0 + self.beta / (self.alpha - 1.0);
        v.is_finite().then_some(v)
    }

    /// Expected number of a new cohort of `cohort_size` customers still active after `t`
    /// periods, `cohort_size · S(t)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `cohort_size` is finite and >= 0.
    pub fn expected_survivors(&self, cohort_size: f64, t: u32) -> Result<f64> {
        crate::error::check_non_negative("cohort_size", cohort_size)?;
        Ok(cohort_size * self.survival(t))
    }

    /// For an individual customer who has been active through period `t` (has not churned in
    /// periods `1..=t`), the probability of still being active after period `t + k`,
    /// `P(T > t+k | T > t) = S(t+k)/S(t)`.
    ///
    /// Multiplied by the number of survivors of a cohort after `t` periods, it projects that
    /// cohort's survivors `k` periods ahead.
    pub fn conditional_survival(&self, t: u32, k: u32) -> f64 {
        let b = self.beta + f64::from(t);
        ln_pochhammer_ratio(b, self.alpha, f64::from(k)).exp()
    }

    /// Discounted expected lifetime of a new customer, `DEL(d) = Σ_{t≥0} S(t)/(1+d)^t =
    /// ₂F₁(1, β; α+β; 1/(1+d))` (FH 2010): the present value of a payment of 1 at the start of
    /// each period while active, the first (acquisition) payment undiscounted.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `d` is finite and > 0; [`Error::Numerical`] where the
    /// value is not evaluated (see "Discounted sums" in the module documentation): a small `d`
    /// (below about `1e-4`) with `α + β` above 1,000 and a small `α`, or `d < 1e-12` with
    /// slowly falling terms.
    pub fn discounted_expected_lifetime(&self, d: f64) -> Result<f64> {
        check_positive("d", d)?;
        finite_or(
            discounted_survival_sum(self.beta, self.alpha, d)?,
            not_finite,
        )
    }

    /// Discounted expected residual lifetime of a customer who has made `renewals = n − 1`
    /// renewals and is about to decide the `n`-th (FH 2010, eq. 6):
    /// `DERL(d | n−1) = (β+n−1)/(α+β+n−1) · ₂F₁(1, β+n; α+β+n; 1/(1+d))
    ///  = Σ_{t≥n} S(t)/S(n−1) · (1+d)^−(t−n)`: the present value of a payment of 1 per period
    /// while active, the upcoming renewal's payment undiscounted.
    ///
    /// Fader & Hardie's `n` is `renewals + 1`: a customer at the end of their first period
    /// (about to decide the first renewal) has `renewals = 0`.
    ///
    /// ```
    /// let regular = clv::Sbg::new(0.704077, 1.182043)?;
    /// // Fader & Hardie (2010): DERL at d = 10% for n = 2 (one renewal made)
    /// assert!((regular.discounted_expected_residual_lifetime(0.1, 1)? - 4.1031).abs() < 1e-4);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `d` is finite and > 0; [`Error::Numerical`] as for
    /// [`Sbg::discounted_expected_lifetime`].
    pub fn discounted_expected_residual_lifetime(&self, d: f64, renewals: u32) -> Result<f64> {
        check_positive("d", d)?;
        let b = self.beta + f64::from(renewals);
        let f = discounted_survival_sum(b + 1.0, self.alpha, d)?;
        finite_or(f / (1.0 + self.alpha / b), not_finite)
    }

    /// Residual value of a customer who has made `renewals` renewals:
    /// `margin · DERL(d | renewals)` (see [`Sbg::discounted_expected_residual_lifetime`]), with
    /// `margin` the net cash flow per period.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `d` is finite and > 0 and `margin` is finite;
    /// [`Error::Numerical`] as for the DERL.
    pub fn residual_value(&self, d: f64, renewals: u32, margin: f64) -> Result<f64> {
        if !margin.is_finite() {
            return Err(Error::param("margin", margin, "must be finite"));
        }
        let v = margin * self.discounted_expected_residual_lifetime(d, renewals)?;
        finite_or(v, |_| {
            format!("the residual value overflows f64 (margin = {margin})")
        })
    }

    /// Log-likelihood of one customer observed for `duration` periods who churned at the end of
    /// the last of them (`ln P(T = duration)`) or is still active (`ln S(duration)`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `duration = 0`.
    pub fn log_likelihood(&self, duration: u32, churned: bool) -> Result<f64> {
        let t = check_duration(duration)?;
        Ok(if churned {
            self.ln_pmf(t)
        } else {
            self.ln_survival(t)
        })
    }

    /// Gradient of [`Sbg::log_likelihood`] with respect to `(α, β)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `duration = 0`.
    pub fn log_likelihood_gradient(&self, duration: u32, churned: bool) -> Result<[f64; 2]> {
        let t = check_duration(duration)?;
        Ok(row_gradient(self.alpha, self.beta, t, churned))
    }

    /// Weighted total log-likelihood of `data`.
    pub fn total_log_likelihood(&self, data: &LifetimeData) -> f64 {
        SbgObjective::new(&data.compress()).log_likelihood(&self.params(), None)
    }

    /// Fits the model to individual lifetimes by maximum likelihood (identical rows are merged
    /// first, so the cost grows with the number of distinct `(duration, churned)` pairs).
    ///
    /// ```
    /// use clv::{FitOptions, Sbg, data::LifetimeData};
    /// let data = LifetimeData::from_columns(
    ///     vec![1, 2, 3, 3],
    ///     vec![true, true, true, false],
    ///     Some(vec![369.0, 163.0, 86.0, 382.0]),
    /// )?;
    /// let fitted = Sbg::fit(&data, &FitOptions::default())?;
    /// assert!(fitted.converged());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the likelihood has no maximum: nobody churned, or everybody
    /// churned in period 1; otherwise as [`crate::fit::fit`] (a fit that ends anywhere but at a
    /// verified maximum is returned with its [`Fitted::status`]).
    pub fn fit(data: &LifetimeData, options: &FitOptions) -> Result<Fitted<Sbg>> {
        crate::fit::fit(data, options)
    }

    /// Fits the model jointly to one or more cohorts' survival counts (each cohort with its own
    /// horizon), through their lifetimes ([`CohortData::to_lifetimes`]).
    ///
    /// ```
    /// use clv::{FitOptions, Sbg, data::CohortData};
    /// // Fader & Hardie (2007), "Regular" segment, years 0–7
    /// let regular = CohortData::single(vec![1000., 631., 468., 382., 326., 289., 262., 241.])?;
    /// let fitted = Sbg::fit_cohorts(&regular, &FitOptions::default())?;
    /// assert!((fitted.model().alpha() - 0.704).abs() < 5e-4);
    /// assert!((fitted.model().beta() - 1.182).abs() < 5e-4);
    /// assert!((fitted.log_likelihood() - -1680.27).abs() < 0.01);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Sbg::fit`].
    pub fn fit_cohorts(data: &CohortData, options: &FitOptions) -> Result<Fitted<Sbg>> {
        Sbg::fit(&data.to_lifetimes(), options)
    }
}

/// The sBG fitted to each cohort separately, beside the pooled fit (one `(α, β)` for all), from
/// [`Sbg::fit_per_cohort`].
///
/// Cohorts are keyed by name, in the order of the data; an unnamed cohort is named by its
/// 1-based position (`"1"`, `"2"`, ...). The separate fits nest the pooled one (`α_c = α`,
/// `β_c = β` for every cohort), which [`CohortFits::likelihood_ratio_test`] tests.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortFits {
    cohorts: Vec<(String, Fitted<Sbg>)>,
    pooled: Fitted<Sbg>,
}

impl CohortFits {
    /// The per-cohort fits, `(name, fit)`, in the order of the data.
    pub fn cohorts(&self) -> &[(String, Fitted<Sbg>)] {
        &self.cohorts
    }

    /// The fit of the cohort called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&Fitted<Sbg>> {
        self.cohorts
            .iter()
            .find_map(|(n, f)| (n == name).then_some(f))
    }

    /// The pooled fit: one `(α, β)` for all cohorts ([`Sbg::fit_cohorts`]).
    pub fn pooled(&self) -> &Fitted<Sbg> {
        &self.pooled
    }

    /// Total log-likelihood of the separate fits, `Σ_c LL_c` (the maximised log-likelihood of
    /// the model with one `(α, β)` per cohort).
    pub fn log_likelihood(&self) -> f64 {
        self.cohorts.iter().map(|(_, f)| f.log_likelihood()).sum()
    }

    /// Likelihood-ratio test of the pooled model against separate cohorts:
    /// `D = 2 (Σ_c LL_c − LL_pooled)`, referred to χ² with `2 (C − 1)` degrees of freedom for
    /// `C` cohorts (the pooled model is the separate one with `α_c = α`, `β_c = β`). A small
    /// p-value says the cohorts retain differently.
    ///
    /// ```
    /// use clv::{FitOptions, Sbg, data::{Cohort, CohortData}};
    /// // Fader & Hardie (2007), Regular and High End segments, years 0–7
    /// let data = CohortData::new(vec![
    ///     Cohort::new(vec![1000., 631., 468., 382., 326., 289., 262., 241.])?.with_name("regular"),
    ///     Cohort::new(vec![1000., 869., 743., 653., 593., 551., 517., 491.])?.with_name("high_end"),
    /// ])?;
    /// let fits = Sbg::fit_per_cohort(&data, &FitOptions::default())?;
    /// let test = fits.likelihood_ratio_test()?;
    /// assert_eq!(test.df, 2);
    /// assert!(test.p_value < 1e-40); // the segments retain very differently
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the cohort when a cohort's fit did not converge (or when
    /// the pooled fit did not: a supremum or a search stopped short is not a maximum, and the χ²
    /// reference does not hold), for a single cohort (no degrees of freedom), or when the
    /// pooled log-likelihood is the higher beyond rounding (a fit missed its maximum).
    pub fn likelihood_ratio_test(&self) -> Result<LikelihoodRatioTest> {
        for (name, fit) in &self.cohorts {
            if !fit.converged() {
                return Err(Error::InvalidInput(format!(
                    "cohort {name:?}: the fit did not converge ({}): no likelihood-ratio test",
                    fit.status()
                )));
            }
        }
        if !self.pooled.converged() {
            return Err(Error::InvalidInput(format!(
                "the pooled fit did not converge ({}): no likelihood-ratio test",
                self.pooled.status()
            )));
        }
        if self.cohorts.len() < 2 {
            return Err(Error::InvalidInput(
                "a single cohort: separate and pooled fits are the same model, nothing to test"
                    .into(),
            ));
        }
        let df = Sbg::PARAM_NAMES.len() * (self.cohorts.len() - 1);
        LikelihoodRatioTest::from_log_likelihoods(
            self.log_likelihood(),
            self.pooled.log_likelihood(),
            df,
        )
    }
}

impl Sbg {
    /// Fits the model to each cohort separately (one `(α, β)` per cohort, each through
    /// [`Sbg::fit`] on that cohort's lifetimes, with standard errors at a verified maximum),
    /// and to all cohorts pooled ([`Sbg::fit_cohorts`]).
    ///
    /// Cohorts are keyed by name; an unnamed cohort gets its 1-based position (`"1"`, `"2"`,
    /// ...). A cohort whose fit ends anywhere but at a verified maximum is kept with its
    /// [`Fitted::status`].
    ///
    /// ```
    /// use clv::{FitOptions, Sbg, data::{Cohort, CohortData}};
    /// let data = CohortData::new(vec![
    ///     Cohort::new(vec![1000., 631., 468., 382., 326., 289., 262., 241.])?.with_name("regular"),
    ///     Cohort::new(vec![1000., 869., 743., 653., 593., 551., 517., 491.])?.with_name("high_end"),
    /// ])?;
    /// let fits = Sbg::fit_per_cohort(&data, &FitOptions::default())?;
    /// let regular = fits.get("regular").unwrap();
    /// assert!((regular.model().alpha() - 0.704).abs() < 5e-4); // Fader & Hardie (2007)
    /// assert!(regular.std_error("alpha").is_some());
    /// assert!(fits.log_likelihood() > fits.pooled().log_likelihood());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the cohort when its likelihood has no maximum (nobody in
    /// it churned, or everybody churned in period 1), or when two cohorts have the same name;
    /// otherwise as [`Sbg::fit`] (errors of a cohort's fit name the cohort).
    pub fn fit_per_cohort(data: &CohortData, options: &FitOptions) -> Result<CohortFits> {
        let mut cohorts: Vec<(String, Fitted<Sbg>)> = Vec::with_capacity(data.cohorts().len());
        for (i, cohort) in data.cohorts().iter().enumerate() {
            let name = cohort_key(cohort, i);
            if cohorts.iter().any(|(n, _)| *n == name) {
                return Err(Error::InvalidInput(format!(
                    "two cohorts are named {name:?}: per-cohort fits are keyed by name"
                )));
            }
            let fit = Sbg::fit(&cohort.to_lifetimes(), options).map_err(|e| in_cohort(&name, e))?;
            cohorts.push((name, fit));
        }
        let pooled = Sbg::fit_cohorts(data, options)?;
        Ok(CohortFits { cohorts, pooled })
    }
}

/// The key of the `i`-th cohort (0-based): its name, or its 1-based position when unnamed.
fn cohort_key(cohort: &Cohort, i: usize) -> String {
    if cohort.name().is_empty() {
        (i + 1).to_string()
    } else {
        cohort.name().to_string()
    }
}

/// `e`, from the fit of the cohort `name`, with the cohort named in its message.
fn in_cohort(name: &str, e: Error) -> Error {
    match e {
        Error::InvalidInput(m) => Error::InvalidInput(format!("cohort {name:?}: {m}")),
        Error::NotConverged(m) => Error::NotConverged(format!("cohort {name:?}: {m}")),
        Error::Numerical(m) => Error::Numerical(format!("cohort {name:?}: {m}")),
        other => other,
    }
}

/// Per customer: `θ ~ Beta(α, β)`, lifetime `T ~ Geometric(θ)` on `{1, 2, ...}` (drawn by
/// inversion, `T = 1 + ⌊ln U / ln(1−θ)⌋`); a customer with `T <= horizon` churned in period `T`,
/// otherwise is still active after `horizon` periods (right-censored). The design is the number
/// of periods each customer is observed for; the output their lifetimes, in the order given.
impl Simulate for Sbg {
    type Design = [u32];
    type Output = LifetimeData;

    fn simulate<R: Rng + ?Sized>(&self, horizons: &[u32], rng: &mut R) -> Result<LifetimeData> {
        check_design(horizons.len())?;
        let beta = Beta::new(self.alpha, self.beta).map_err(dist_err)?;
        let (mut duration, mut churned) = (Vec::new(), Vec::new());
        for (i, &horizon) in horizons.iter().enumerate() {
            if horizon == 0 {
                return Err(Error::data(i + 1, "horizon", 0, "horizon must be >= 1"));
            }
            let theta: f64 = beta.sample(rng);
            // U in (0, 1]; a lifetime beyond the horizon (or θ = 0, never churning) is censored.
            let u = 1.0 - rng.random::<f64>();
            let failures = if theta > 0.0 {
                u.ln() / (-theta).ln_1p()
            } else {
                f64::INFINITY
            };
            if failures < f64::from(horizon) {
                duration.push(failures.floor() as u32 + 1);
                churned.push(true);
            } else {
                duration.push(horizon);
                churned.push(false);
            }
        }
        LifetimeData::new(duration, churned)
    }
}

impl Estimable for Sbg {
    type Data = LifetimeData;
    type Rows = LifetimeData;

    /// Compressed lifetimes; refuses data without a maximum (nobody churned, or everybody in
    /// period 1).
    fn prepare(data: &LifetimeData) -> Result<LifetimeData> {
        let compressed = data.compress();
        let (churn1, total, churned) = churn_counts(&compressed);
        if churned == 0.0 {
            return Err(Error::InvalidInput(
                "no customer churned (field `churned` is false in every row): the sBG \
                 likelihood then grows without bound as α → 0 and has no maximum"
                    .into(),
            ));
        }
        if churn1 == total {
            return Err(Error::InvalidInput(
                "every customer churned in period 1 (field `duration` is 1 and `churned` is \
                 true in every row): the sBG likelihood then grows without bound as β → 0 and \
                 has no maximum"
                    .into(),
            ));
        }
        Ok(compressed)
    }

    /// α/(α+β) = P(T = 1) matched to the share churning in period 1, at a few scales.
    fn starts(rows: &LifetimeData, _lower: &[f64]) -> Vec<Vec<f64>> {
        let (churn1, total, _) = churn_counts(rows);
        let p1 = (churn1 / total).clamp(0.02, 0.98);
        let mut starts = vec![vec![1.0, 1.0]];
        for s in [1.0, 4.0, 0.5] {
            starts.push(vec![p1 * s, (1.0 - p1) * s]);
        }
        starts.push(vec![0.5, 3.0]);
        starts
    }

    fn objective(rows: &LifetimeData) -> Box<dyn Objective> {
        Box::new(SbgObjective::new(rows))
    }
}

/// Weighted counts of `rows`: churned in period 1, all, and churned at all.
fn churn_counts(rows: &LifetimeData) -> (f64, f64, f64) {
    rows.durations()
        .iter()
        .zip(rows.churned())
        .zip(rows.weights())
        .fold((0.0, 0.0, 0.0), |(c1, n, c), ((&t, &churned), &w)| {
            (
                c1 + if churned && t == 1 { w } else { 0.0 },
                n + w,
                c + if churned { w } else { 0.0 },
            )
        })
}

/// The error of a discounted lifetime that is not finite.
fn not_finite(v: f64) -> String {
    format!("discounted lifetime is not finite ({v})")
}

fn check_duration(duration: u32) -> Result<f64> {
    if duration == 0 {
        Err(Error::param("duration", 0.0, "must be >= 1"))
    } else {
        Ok(f64::from(duration))
    }
}

/// `ln S(t) = ln[(β)ₜ/(α+β)ₜ]`.
fn ln_survival(a: f64, b: f64, t: f64) -> f64 {
    ln_pochhammer_ratio(b, a, t)
}

/// `ln P(T = t) = ln S(t−1) − ln(1 + (β+t−1)/α)`, `t >= 1`.
fn ln_pmf(a: f64, b: f64, t: f64) -> f64 {
    ln_pochhammer_ratio(b, a, t - 1.0) - ln1p_ratio(b + (t - 1.0), a)
}

/// Gradient of one row's log-likelihood in `(α, β)`:
/// ```text
/// ∂ ln S(t)/∂α = −[ψ(α+β+t) − ψ(α+β)]     ∂ ln S(t)/∂β = ψ(β+t) − ψ(β) − ψ(α+β+t) + ψ(α+β)
/// ∂ ln P(T=t)/∂α = (β+t−1)/(α(α+β+t−1)) − [ψ(α+β+t−1) − ψ(α+β)]
/// ∂ ln P(T=t)/∂β = ∂ ln S(t−1)/∂β − 1/(α+β+t−1)
/// ```
/// with the digamma differences evaluated without cancellation.
fn row_gradient(a: f64, b: f64, t: f64, churned: bool) -> [f64; 2] {
    if churned {
        let s = t - 1.0;
        let c = a + b + s;
        [
            ((b + s) / c) / a - digamma_difference(a + b, s),
            digamma_second_difference(b, a, s) - 1.0 / c,
        ]
    } else {
        [
            -digamma_difference(a + b, t),
            digamma_second_difference(b, a, t),
        ]
    }
}

/// The sBG likelihood over compressed lifetimes.
struct SbgObjective {
    duration: Vec<f64>,
    churned: Vec<bool>,
    weight: Vec<f64>,
    n_obs: f64,
}

impl SbgObjective {
    fn new(data: &LifetimeData) -> Self {
        SbgObjective {
            duration: data.durations().iter().map(|&t| f64::from(t)).collect(),
            churned: data.churned().to_vec(),
            weight: data.weights().to_vec(),
            n_obs: data.n_customers(),
        }
    }
}

impl Objective for SbgObjective {
    fn n_params(&self) -> usize {
        2
    }

    fn n_obs(&self) -> f64 {
        self.n_obs
    }

    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let Some([a, b]) = params::<2>(theta, grad.as_deref()) else {
            return f64::NAN;
        };
        let domain = Sbg::MIN_PARAM..=Sbg::MAX_PARAM;
        if !(domain.contains(&a) && domain.contains(&b)) {
            // Outside the model's domain (the optimiser may probe there): infeasible.
            return f64::NEG_INFINITY;
        }
        let want_grad = grad.is_some();
        let [ll, ga, gb] = sum_rows(self.duration.len(), |lo, hi| {
            let mut acc = [0.0; 3];
            for i in lo..hi {
                let (t, churned, w) = (self.duration[i], self.churned[i], self.weight[i]);
                acc[0] += w * if churned {
                    ln_pmf(a, b, t)
                } else {
                    ln_survival(a, b, t)
                };
                if want_grad {
                    let g = row_gradient(a, b, t, churned);
                    acc[1] += w * g[0];
                    acc[2] += w * g[1];
                }
            }
            acc
        });
        if let Some(g) = grad {
            g[0] = ga;
            g[1] = gb;
        }
        ll
    }

    /// The analytic Hessian in `(α, β)`: each row's by [`row_derivatives`].
    fn hessian(&self, theta: &[f64]) -> Option<Vec<f64>> {
        let [a, b] = params::<2>(theta, None)?;
        let [aa, ab, bb] = sum_rows(self.duration.len(), |lo, hi| {
            let mut acc = [0.0; 3];
            for i in lo..hi {
                let (t, w) = (self.duration[i], self.weight[i]);
                let (_, h) = row_derivatives(a, b, t, self.churned[i]);
                for (v, e) in acc.iter_mut().zip(h) {
                    *v += w * e;
                }
            }
            acc
        });
        let h = vec![aa, ab, ab, bb];
        h.iter().all(|v| v.is_finite()).then_some(h)
    }
}

/// The gradient in `(α, β)` of one row's log-likelihood (a survivor to `t`, or a churn at `t`)
/// and its Hessian `(αα, αβ, ββ)`, with `τ(z, t) = ψ'(z+t) − ψ'(z)`: a survivor to `t`
/// contributes `−τ(α+β, t)` to every entry and `τ(β, t)` to `∂²/∂β²`; a churn at `t`
/// (`s = t−1`, `c = α+β+s`) contributes `−τ(α+β, s) + 1/c²` to every entry, `τ(β, s)` to
/// `∂²/∂β²` and `−1/α²` to `∂²/∂α²`.
pub(crate) fn row_derivatives(a: f64, b: f64, t: f64, churned: bool) -> ([f64; 2], [f64; 3]) {
    let g = row_gradient(a, b, t, churned);
    let h = if churned {
        let s = t - 1.0;
        let c = a + b + s;
        let all = 1.0 / (c * c) - trigamma_difference(a + b, s);
        [all - 1.0 / (a * a), all, all + trigamma_difference(b, s)]
    } else {
        let all = -trigamma_difference(a + b, t);
        [all, all, all + trigamma_difference(b, t)]
    };
    (g, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survival_recursion_holds() {
        let m = Sbg::new(0.704, 1.182).unwrap();
        let mut s = 1.0;
        for t in 1..200u32 {
            s -= m.probability_of_churn_in(t).unwrap();
            let direct = m.survival(t);
            assert!((s - direct).abs() < 1e-13, "t={t}");
            let r = m.retention_rate(t).unwrap();
            assert!((m.survival(t) / m.survival(t - 1) - r).abs() < 1e-13);
        }
    }
}
