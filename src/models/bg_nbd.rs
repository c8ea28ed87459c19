//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
//! alternative to the Pareto/NBD model", *Marketing Science* 24(2):275–284, "FHL" below; Hardie's
//! notes 004 "Implementing the BG/NBD model for customer base analysis in Excel", 021 on
//! `P(alive)` and 027 on the "#NUM!" overflow).
//!
//! Every formula below is evaluated so that it stays exact for any `r, α, a, b` (checked against
//! mpmath for parameters from 1e-3 to 1e8, `x` up to 1e5 and `T` up to 1e7 by
//! `scripts/bg_nbd_extreme_vectors.py`, in `tests/bg_nbd_extreme.rs`).
//!
//! ## Assumptions
//! * While alive, a customer buys according to a Poisson process with rate `λ`;
//!   `λ ~ Gamma(r, α)` (shape `r`, rate `α`) across customers.
//! * After each *repeat* purchase the customer dies (becomes inactive for good) with
//!   probability `p`; `p ~ Beta(a, b)` across customers, independent of `λ`. A customer cannot
//!   die at time 0.
//!
//! ## Likelihood
//! For a customer with `x` repeat purchases, the last at `t_x`, observed for `T` (FHL eq. 6):
//!
//! ```text
//! L = B(a, b+x)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+T)^(r+x))
//!   + 1{x>0} · B(a+1, b+x−1)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+t_x)^(r+x))
//! ```
//!
//! evaluated in log space, exact for parameters of any size (up to 10⁸ and beyond), as
//!
//! ```text
//! ℓ = G(r, x) + D(a, b, x) + x ln(r/(α+T)) − r ln(1 + T/α) + ln(1 + e^lod)
//! lod = ln(a/(b+x−1)) + (r+x) ln(1 + (T−t_x)/(α+t_x))          (x > 0; −∞ for x = 0)
//! ```
//!
//! This is FHL's `A1 + A2 + logaddexp(A3, A4)` regrouped: `lod = A4 − A3` is the log-odds that
//! the customer died at `t_x`, and the large logarithms `r ln α`, `(r+x) ln(α+T)` are never
//! formed. With Stirling's remainder `c(w) = ln Γ(w) − [(w−½) ln w − w + ½ ln 2π]` (any `w > 0`,
//! by the recurrence `c(w) = c(w+1) + (w+½) ln(1+1/w) − 1` below 16) and `l(y) = ln(1+y) − y`:
//!
//! ```text
//! G(r, x)    = ln Γ(r+x) − ln Γ(r) − x ln r
//!            = r·l(x/r) + (x−½) ln(1+x/r) + c(r+x) − c(r)
//! D(a, b, x) = ln B(a, b+x) − ln B(a, b)
//!            = x ln(1 − a/(a+b+x)) + b·l(x/b) − (a+b)·l(x/(a+b)) − ½ ln(1+x/b) + ½ ln(1+x/(a+b))
//!              + c(b+x) − c(b) − c(a+b+x) + c(a+b)
//! ```
//!
//! No term is larger than about `x`, so the error stays at a few units of `x·ε` where differences
//! of `ln Γ` at `a, b ≈ 10⁸` would lose seven digits; no power is ever formed, so there is no
//! overflow (Hardie's note 027). In a fit, terms that depend only on `x` are computed once per
//! distinct `x`.
//!
//! ## Gradient
//! With `π2 = σ(lod)` (the posterior probability of having died at `t_x`), `π1 = 1 − π2` and
//! `Δψ(z, x) = ψ(z+x) − ψ(z)` (one difference, by recurrence and the asymptotic series differenced
//! term by term):
//!
//! ```text
//! ∂ℓ/∂r = Δψ(r, x) − π1 ln(1+T/α) − π2 ln(1+t_x/α)
//! ∂ℓ/∂α = π1 (rT/α − x)/(α+T) + π2 (r t_x/α − x)/(α+t_x)
//! ∂ℓ/∂a = −Δψ(a+b, x) + π2/a
//! ∂ℓ/∂b = Δψ(b, x) − Δψ(a+b, x) − π2/(b+x−1)
//! ```
//!
//! ## Predictions
//! Given alive at `T`, the posterior is `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+x)`, independent.
//! * `P(alive | x, t_x, T) = 1 / (1 + e^lod)` (Hardie note 021).
//! * `E[Y(t) | x, t_x, T] = P(alive) · g(τ)` (FHL eq. 10), `τ = t/(α+T)`, with
//!   `g(τ) = E_p[(1 − (1 + pτ)^−(r+x)) / p]` over `p ~ Beta(a, b+x)` (a live customer with `λ, p`
//!   makes `(1 − e^(−λpt))/p` expected transactions in `t`); `g` is increasing in `τ` by
//!   construction. `E[X(t)]` (FHL eq. 9) is the case `x = 0, T = 0`.
//!   - Closed form (FHL eq. 10 after Euler's transformation, so that the series parameters do
//!     not grow with `x`): `g = (a+b+x−1)/(a−1) · [1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)]`,
//!     `z = t/(α+T+t)`. Used only where it is reliable: `a, r ≤ 10³`, `a+b+x−1 ∈ (10⁻³, 2·10⁴]`,
//!     `z < 0.99`, `|a−1| ≥ 10⁻³` (the removable singularity) and at most a factor 8 of
//!     cancellation in the bracket. Microseconds.
//!   - Elsewhere, the expectation over `p` as an integral in the logit of `p` (below). When `a, b`
//!     are large the Beta mass is a spike of width `(a+b)^−½` that a quadrature on `[0, 1]` never
//!     samples; the limit `a, b → ∞` with `a/(a+b)` fixed is a geometric dropout with that `p`,
//!     which this integral reaches continuously.
//! * Discounted expected residual transactions, continuous discount rate `δ` (no closed form has
//!   been published):
//!   ```text
//!   DERT(δ) = ∫₀^∞ δ e^(−δt) E[Y(t)] dt = P(alive) · E_p[h(p)]
//!   h(p)    = E_λ[λ/(λp + δ)] = (k/ε) · c J(k+1, c),      k = r+x, ε = δ(α+T), c = ε/p
//!   J(m, c) = ∫₀^∞ e^(−cs) (1+s)^(−m) ds = e^c c^(m−1) Γ(1−m, c)
//!   ```
//!   (a live customer with `λ, p` makes `λ e^(−λpt) dt` expected transactions at `t`); `J` by its
//!   continued fraction, or for small `c` and `m` below 40 by the series and recurrence of the
//!   upper incomplete gamma function, and `cJ = 1 − m/c + m(m+1)/c²` when `m/c < 10⁻⁶`; the outer
//!   expectation is the same logit integral over `p`.
//! * Discrete discounted sum over `H` periods of length `τ`, by summation by parts (non-negative
//!   terms only, no differences of nearly equal expectations):
//!   ```text
//!   Σ_{k=1}^{H} e^(−δkτ) [g(kτ) − g((k−1)τ)]
//!     = Σ_{k=1}^{H} (1 − e^(−δτ)) e^(−δkτ) g(kτ) + e^(−δ(H+1)τ) g(Hτ)
//!   ```
//! * `P(X(t) = n)` (FHL eq. 8):
//!   ```text
//!   P(X(t) = n) = e^D(a,b,n) · NB(n) + 1{n>0} · a/(a+b+n−1) · e^D(a,b,n−1) · I_z(n, r)
//!   z = t/(α+t)
//!   ```
//!   with `NB(n) = r/(r+n) · binom(r, n; α/(α+t), t/(α+t))` by Loader's saddle-point form of the
//!   binomial density (`c(r+n) − c(r) − c(n) − bd0(r, ·) − bd0(n, ·)`) and `I_z(n, r) = P(NB ≥ n)`:
//!   above the mean by its continued fraction in `z` with the same Loader prefactor (a prefactor
//!   formed as a difference of `ln Γ` loses digits at large `r`); below the mean (`n ≤ 10⁵`) as
//!   `1 − Σ_{j<n} NB(j)` from `NB(0) = exp(−r ln(1+t/α))` and the exact ratios `(r+j)z/(j+1)` —
//!   the continued fraction there would run in `1 − z = α/(α+t)`, which, rounded near 1
//!   (`r ≈ α ≫ t`, the Poisson limit), no longer knows `t/(α+t)` to better than 1e-8.
//! * `P(Y(t) = n | x, t_x, T)`, the conditional PMF of the count in `(T, T + t]`. Derivation:
//!   given `(λ, p)` and alive at `T`, the future is the BG/NBD process restarted at `T` —
//!   purchases form a Poisson process of rate `λ` (memoryless, so the time since `t_x` does not
//!   matter) and the customer dies after each with probability `p`, never at `T` itself (the
//!   chances at time 0 and at past purchases are spent). Given alive at `T` the history enters
//!   only through the posterior `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+x)` (the likelihood of
//!   "alive at `T`" is `(1−p)ˣ λˣ e^(−λT)`), independent. So
//!   `P(Y(t) = n | alive) = P(X(t) = n)` of a new customer with parameters `(r+x, α+T, a, b+x)`
//!   (FHL eq. 8, as above), and a customer dead at `T` makes no purchase:
//!   ```text
//!   P(Y(t) = n | x, t_x, T) = P(alive) · P(X(t) = n; r+x, α+T, a, b+x) + 1{n=0} (1 − P(alive))
//!   ```
//!   with `1 − P(alive) = 1/(1 + e^−lod)` (its digits kept when it is small). It sums to 1 and
//!   its mean is `E[Y(t) | x, t_x, T]` (both checked in `tests/predictions.rs`, with a
//!   simulation of the customers' futures from the posterior, and against mpmath by
//!   `scripts/prediction_vectors.py`).
//! * `P(alive at T + t | x, t_x, T)`. A customer alive at `T` with `(λ, p)` dies only at a
//!   purchase: with `N ~ Poisson(λt)` purchases in `(T, T+t]`, each survived with probability
//!   `1 − p`, `P(alive at T+t | λ, p, alive at T) = E[(1−p)^N] = e^(−λpt)`. Over the posterior,
//!   `E_λ[e^(−λpt)] = (1 + pτ)^−(r+x)`, `τ = t/(α+T)`, so
//!   ```text
//!   P(alive at T + t) = P(alive) · E_p[(1 + pτ)^−(r+x)] = P(alive) · ₂F₁(r+x, a; a+b+x; −τ)
//!   ```
//!   `p ~ Beta(a, b+x)`; the expectation is the logit integral over `p` below (its integrand
//!   is non-increasing in `p`, 1 at `p = 0`). It is `P(alive)` at `t = 0`, non-increasing in
//!   `t`, and `E[Y(t) | alive]` is its integral: `d/dt E[Y(t) | alive] = E_p[(r+x)/(α+T) ·
//!   (1+pτ)^−(r+x+1)]` (the purchase rate of the survivors).
//!
//! ## The expectation over p ~ Beta(a, b), for any a, b > 0
//! In `u = ln(p/(1−p))` the weight `pᵃ (1−p)ᵇ / B(a, b)` is log-concave with mode `u₀ = ln(a/b)`
//! and exponential tails (rates `a` and `b`). After swapping `p ↔ 1−p` if needed so that
//! `m = a/(a+b) ≤ ½`, with `u = u₀ + v` its logarithm is `C + E(v)`:
//!
//! ```text
//! C    = ½ ln(ab/(a+b)) − ½ ln 2π − c(a) − c(b) + c(a+b)
//! E(v) = a v − (a+b) ln(1 + m(eᵛ−1))
//!      = −a (eᵛ−1−v) − (a+b) l(m(eᵛ−1))           for |v| < 1
//! ```
//!
//! — no large cancelling numbers at any `a, b` (`ln B(a, b)` alone is ~10⁹ at `a, b ~ 10⁸`).
//! Panel breakpoints are placed where `E` has dropped by 0.5, 2, 6, 14, 26, 40, 60, … (Newton's
//! method on the concave `E`; breakpoints need no precision) on each side, until the bound
//! `sup F · e^(C+E(v))/|E′(v)|` on the tail of a log-concave density is below 10⁻¹⁷ of a lower
//! bound of the integral (`F`, the function averaged, is non-increasing in `p`; towards `p = 0`
//! its sup is its limit `F(0)`); points where the integrand changes regime (`pτ = 1`,
//! `p(r+x)τ = 1`; `p = ε`, `p = ε/k` for the DERT) are added. Each panel is integrated by
//! adaptive Gauss–Kronrod (G7/K15) to 1e-14. So the panels follow the mass whether it is a spike
//! (`a, b → ∞`), an exponential tail spread over 10⁴ units of `u` (`a → 0`, where half of the mass
//! lies below `p = 10⁻³⁰⁰`) or both.
//!
//! ## Fitting
//! By the pipeline of [`crate::fit`]: the mean negative log-likelihood is minimised in `ln θ` from
//! start points that match `E[λ] = r/α` to the mean purchase rate `Σx / ΣT` at a few `(r, a, b)`,
//! after expressing times far from 1 in a power-of-two multiple of their unit (`α` is a rate per
//! unit of time). Standard errors come from the Hessian of the total negative log-likelihood in
//! `ln θ`, mapped back by `Cov(θ) = J H⁻¹ J`, `J = diag(θ)`, at a verified maximum only: a
//! likelihood that keeps rising towards the boundary (e.g. `a → ∞` with `b → 0`) is a supremum,
//! reported as such ([`crate::FitStatus`]).
//!
//! Time is in the unit of the data (days, weeks, ...): `α` is in that unit.
//!
//! The code serves the whole family (`Family`): the MBG/NBD ([`crate::MbgNbd`]), where a
//! customer can also drop out at time 0, differs only in having `x + 1` chances to drop out
//! instead of `x` (`Dropout`), which enters the likelihood, the predictions and the
//! simulation through `n` in `B(a, b+n)`, `B(a+1, b+n−1)` and the posterior `Beta(a, b+n)`.

use std::fmt;

use crate::data::{Customer, FrequencyGroups, RfmData};
use crate::error::{Error, Result, check_non_negative, check_positive};
use crate::fit::exactly;
use crate::fit::objective::params;
use crate::models::{Model, TransactionModel};
use rand::Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma};

use super::simulation::{Budget, Simulate, Simulated, check_age, check_design, dist_err};
use crate::fit::Differentiated;
use crate::fit::{Estimable, FitOptions, Fitted, Objective, Rescaling};
use crate::models::transaction::differentiated_rows;
use crate::numerics::beta_weighted::beta_expectation;
use crate::numerics::dual::{Dual, hyp2f1_minus_one as hyp2f1_minus_one_dual, series_minus_one};
use crate::numerics::special::{softplus_sigmoids, trigamma_difference};
use crate::parallel::sum_rows;
use crate::special::{
    digamma_difference, hyp2f1_minus_one, laplace_power, ln_beta_ratio, ln_binomial_density,
    ln_gamma_ratio_scaled, nb_tail, sigmoid,
};

/// BG/NBD parameters: purchase-rate heterogeneity `Gamma(r, α)`, dropout heterogeneity `Beta(a, b)`.
///
/// ```
/// use clv::{BgNbd, Customer, TransactionModel};
/// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let c = Customer::new(2.0, 30.43, 38.86)?;
/// let e = model.conditional_expected_transactions(&c, 39.0)?;
/// assert!((e - 1.226).abs() < 1e-3); // lifetimes' test value (Hardie's spreadsheet)
/// println!("{model}");
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "BgNbdParams"))]
pub struct BgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

/// Unvalidated form used to deserialise (validated through [`BgNbd::new`]).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct BgNbdParams {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<BgNbdParams> for BgNbd {
    type Error = Error;
    fn try_from(p: BgNbdParams) -> Result<Self> {
        BgNbd::new(p.r, p.alpha, p.a, p.b)
    }
}

/// When a customer of the BG/NBD family can drop out: after each repeat purchase (BG/NBD), and
/// also at time 0, right after the first purchase (MBG/NBD). A customer with `x` repeat
/// purchases has had `n = x` chances to drop out in the first case and `n = x + 1` in the
/// second; the likelihood and every prediction of the family depend on the dropout process
/// only through `n`, so one piece of code serves both models.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Dropout {
    /// After each repeat purchase (Fader, Hardie & Lee 2005).
    AfterRepeatPurchases,
    /// Also at time 0 (Batislam, Denizel & Filiztekin 2007).
    AlsoAtStart,
}

impl Dropout {
    /// Chances to drop out beyond one per repeat purchase: `n − x`.
    pub(super) fn extra(self) -> f64 {
        match self {
            Dropout::AfterRepeatPurchases => 0.0,
            Dropout::AlsoAtStart => 1.0,
        }
    }
}

/// A model of the BG/NBD family: purchase rates `λ ~ Gamma(r, α)`, dropout probabilities
/// `p ~ Beta(a, b)` and the [`Dropout`] process; `name` for messages.
pub(super) struct Family {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    dropout: Dropout,
    name: &'static str,
}

impl fmt::Display for BgNbd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BG/NBD: λ ~ Gamma(r = {}, α = {}), p ~ Beta(a = {}, b = {})",
            self.r, self.alpha, self.a, self.b
        )
    }
}

impl Model for BgNbd {
    const NAME: &'static str = "bgnbd";
    const PARAM_NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];

    fn params(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.a, self.b]
    }

    fn from_params(p: &[f64]) -> Result<Self> {
        let [r, alpha, a, b] = exactly::<4>(p, "BG/NBD")?;
        BgNbd::new(r, alpha, a, b)
    }
}

/// Per customer: `λ ~ Gamma(r, α)`, `p ~ Beta(a, b)`; inter-purchase times `~ Exp(λ)`; after
/// each repeat purchase the customer dies with probability `p` (Fader, Hardie & Lee 2005). The
/// design is the customers' ages `T`.
impl Simulate for BgNbd {
    type Design = [f64];
    type Output = Simulated;

    fn simulate<R: Rng + ?Sized>(&self, ages: &[f64], rng: &mut R) -> Result<Simulated> {
        self.family().simulate(ages, rng)
    }
}

impl Family {
    /// The data-generating process of the family (the coin at time 0 only with
    /// [`Dropout::AlsoAtStart`]).
    pub(super) fn simulate<R: Rng + ?Sized>(&self, ages: &[f64], rng: &mut R) -> Result<Simulated> {
        check_design(ages.len())?;
        let gamma = Gamma::new(self.r, 1.0 / self.alpha).map_err(dist_err)?;
        let beta = Beta::new(self.a, self.b).map_err(dist_err)?;
        let mut budget = Budget::default();
        let (mut xs, mut txs, mut alive) = (Vec::new(), Vec::new(), Vec::new());
        for (i, &t_end) in ages.iter().enumerate() {
            check_age(i, t_end)?;
            let lambda: f64 = gamma.sample(rng);
            let p: f64 = beta.sample(rng);
            let (mut x, mut tx, mut t, mut is_alive) = (0u64, 0.0, 0.0, true);
            if self.dropout == Dropout::AlsoAtStart && rng.random::<f64>() < p {
                is_alive = false;
            }
            if lambda > 0.0 && is_alive {
                let exp = Exp::new(lambda).map_err(dist_err)?;
                loop {
                    t += exp.sample(rng);
                    if t > t_end {
                        break;
                    }
                    budget.spend()?;
                    x += 1;
                    tx = t;
                    if rng.random::<f64>() < p {
                        is_alive = false;
                        break;
                    }
                }
            }
            xs.push(x as f64);
            txs.push(tx);
            alive.push(is_alive);
        }
        let data = RfmData::new(xs, txs, ages.to_vec())?;
        Ok(Simulated { data, alive })
    }
}

impl Estimable for BgNbd {
    type Data = RfmData;
    type Rows = RfmData;

    fn prepare(data: &RfmData) -> Result<RfmData> {
        super::summary_rows(data, "BG/NBD")
    }

    /// α is a rate per unit of time.
    fn condition(rows: &mut RfmData) -> Option<Rescaling> {
        super::rescale_time(rows, &[1])
    }

    /// `E[λ] = r/α` matched to the mean purchase rate `Σx/ΣT`, at a few `(r, a, b)`.
    fn starts(rows: &RfmData, _lower: &[f64]) -> Vec<Vec<f64>> {
        let rate = super::purchase_rate(rows);
        [
            (1.0, 1.0, 3.0),
            (0.3, 0.8, 2.5),
            (3.0, 2.0, 5.0),
            (0.1, 0.3, 1.0),
        ]
        .iter()
        .map(|&(r, a, b)| vec![r, r / rate, a, b])
        .collect()
    }

    fn objective(rows: &RfmData) -> Box<dyn Objective> {
        Box::new(BgNbdObjective::new(rows, Dropout::AfterRepeatPurchases))
    }
}

impl BgNbd {
    /// A BG/NBD model with shape `r` and rate `alpha` of the purchase-rate distribution and
    /// `a`, `b` of the dropout-probability distribution.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless every parameter is finite and > 0.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        Ok(BgNbd {
            r: check_positive("r", r)?,
            alpha: check_positive("alpha", alpha)?,
            a: check_positive("a", a)?,
            b: check_positive("b", b)?,
        })
    }

    /// Shape `r` of the Gamma distribution of purchase rates.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// Rate `α` of the Gamma distribution of purchase rates (in the data's time unit).
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// First shape `a` of the Beta distribution of dropout probabilities.
    pub fn a(&self) -> f64 {
        self.a
    }

    /// Second shape `b` of the Beta distribution of dropout probabilities.
    pub fn b(&self) -> f64 {
        self.b
    }

    /// Log-likelihood of one customer's history `(x, t_x, T)` (FHL eq. 6, in log space, arranged
    /// so that no two large terms are subtracted: exact at any parameter size; see the module
    /// docs).
    pub fn log_likelihood(&self, customer: &Customer) -> f64 {
        self.family().log_likelihood(customer)
    }

    /// Gradient of [`BgNbd::log_likelihood`] with respect to `(r, α, a, b)`.
    pub fn log_likelihood_gradient(&self, customer: &Customer) -> [f64; 4] {
        self.family().log_likelihood_gradient(customer)
    }

    /// The parameters with the BG/NBD's dropout process.
    fn family(&self) -> Family {
        self.family_with(Dropout::AfterRepeatPurchases, "BG/NBD")
    }

    /// The parameters with the dropout process `dropout` (`name` for messages).
    pub(super) fn family_with(&self, dropout: Dropout, name: &'static str) -> Family {
        Family {
            r: self.r,
            alpha: self.alpha,
            a: self.a,
            b: self.b,
            dropout,
            name,
        }
    }

    /// Weighted total log-likelihood of `data`.
    pub fn total_log_likelihood(&self, data: &RfmData) -> f64 {
        Self::objective(data).log_likelihood(&self.params(), None)
    }

    /// The likelihood of `data` as the optimiser evaluates it (total, weighted, with the analytic
    /// gradient in `(r, α, a, b)`); rows are used as given, so compress first for speed.
    ///
    /// ```
    /// use clv::{BgNbd, Objective, RfmData};
    /// let data = RfmData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?;
    /// let objective = BgNbd::objective(&data);
    /// let mut grad = [0.0; 4];
    /// let ll = objective.log_likelihood(&[0.243, 4.414, 0.793, 2.426], Some(&mut grad));
    /// assert!(ll < 0.0 && grad.iter().all(|g| g.is_finite()));
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn objective(data: &RfmData) -> impl Objective + use<> {
        BgNbdObjective::new(data, Dropout::AfterRepeatPurchases)
    }

    /// Fits the model to `data` by maximum likelihood (identical customers are merged first).
    ///
    /// ```
    /// use clv::{BgNbd, FitOptions, RfmData};
    /// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
    /// let fitted = BgNbd::fit(&data, &FitOptions::default())?;
    /// assert!((fitted.log_likelihood() - -9582.43).abs() < 0.01);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no customer made a repeat purchase; otherwise as
    /// [`crate::fit::fit`] (a fit that ends anywhere but at a verified maximum is returned with
    /// its [`Fitted::status`]).
    pub fn fit(data: &RfmData, options: &FitOptions) -> Result<Fitted<BgNbd>> {
        crate::fit::fit(data, options)
    }

    /// `E[Y(t) | alive at T]` ([`Family::expected_if_alive`]); `at = α + T`.
    fn expected_if_alive(&self, x: f64, at: f64, t: f64) -> Result<f64> {
        self.family().expected_if_alive(x, at, t)
    }
}

impl Family {
    /// `E[Y(t) | alive] · P(alive)` for a customer whose history gives posterior
    /// `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+n)` (see the module docs).
    pub(super) fn conditional_expectation(
        &self,
        x: f64,
        t_cal: f64,
        t: f64,
        p_alive: f64,
    ) -> Result<f64> {
        check_non_negative("t", t)?;
        if t == 0.0 || p_alive == 0.0 {
            return Ok(0.0);
        }
        let alive = self.expected_if_alive(x, self.alpha + t_cal, t)?;
        Ok(alive * p_alive)
    }

    /// `E[Y(t) | alive at T] = E_p[(1 − (1 + pτ)^−(r+x)) / p]`, `p ~ Beta(a, b+n)`,
    /// `τ = t/(α+T)`; `at = α + T`. The Euler-transformed ₂F₁ where its series is validated and
    /// does not cancel (microseconds), else for `τ < 1` the power series of [`power_form_dual`]
    /// where it loses at most a factor 4 to cancellation, else the posterior integral
    /// ([`beta_expectation`]). The
    /// posterior `Beta(a, b+n)` is the BG/NBD's with `b + n − x` in place of `b`.
    pub(super) fn expected_if_alive(&self, x: f64, at: f64, t: f64) -> Result<f64> {
        let (r, a, b) = (self.r, self.a, self.b + self.dropout.extra());
        let (k, tau) = (r + x, t / at);
        if (k + 1.0) * tau < 1e-17 {
            // g(τ) = kτ (1 − (k+1)τ E[p]/2 + …), E[p] <= 1: kτ to the last bit.
            return Ok(k * tau);
        }
        let z = t / (at + t);
        if let Some(v) = euler_form(r, a, b, x, z) {
            return Ok(v);
        }
        // τ < 1 (e.g. the customers without repeat purchases, whose Euler form cancels): the
        // power series of `g`, microseconds where the integral takes tens.
        let c = Dual::<0>::constant;
        if let Some(g) = power_form_dual(c(k), c(a), c(b + x), c(tau)) {
            return Ok(g.v);
        }
        let f = |p: f64, _q: f64| {
            if p * tau < 1e-200 {
                // (1 − (1+y)^−k)/p = kτ (1 − (k+1)y/2 + …), y = pτ.
                k * tau
            } else {
                -(-k * (p * tau).ln_1p()).exp_m1() / p
            }
        };
        beta_expectation(a, b + x, f, k * tau, &[1.0 / tau, 1.0 / (k * tau)]).ok_or_else(|| {
            Error::Numerical(format!(
                "{}: E[Y(t) | alive] did not evaluate for x = {x}, T = {}, t = {t}",
                self.name,
                at - self.alpha
            ))
        })
    }
}

impl Family {
    /// `P(alive | x, t_x, T)` for every row of `data`, across the machine's cores.
    pub(super) fn probability_alive_batch(&self, data: &RfmData) -> ndarray::Array1<f64> {
        let customers: Vec<Customer> = data.customers().collect();
        crate::parallel::map_rows(customers.len(), ROWS_PER_THREAD, |i| {
            self.probability_alive(&customers[i])
        })
        .into()
    }

    /// [`Family::conditional_expectation`] for every row of `data`, the part given alive once
    /// per distinct `(x, T)` ([`Family::times_alive_per_distinct`]).
    pub(super) fn conditional_expectation_batch(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<ndarray::Array1<f64>> {
        check_non_negative("t", t)?;
        self.times_alive_per_distinct(data, |x, at| self.expected_if_alive(x, at, t))
    }

    /// `P(alive) · f(x, α + T)` for every row of `data`, where `f` (a prediction for a customer
    /// alive at `T`) depends on `x` and `T` only: `f` is evaluated once per distinct `(x, T)`
    /// among the rows with `P(alive) > 0` (real data repeat the pair many times: ages in whole
    /// days), across the machine's cores, and rows with `P(alive) = 0` are 0. The values are
    /// those of the row-by-row form, bit for bit; an error is the first failing row's.
    pub(super) fn times_alive_per_distinct(
        &self,
        data: &RfmData,
        f: impl Fn(f64, f64) -> Result<f64> + Sync,
    ) -> Result<ndarray::Array1<f64>> {
        let p_alive = self.probability_alive_batch(data);
        let p = p_alive.as_slice().unwrap_or_default();
        let given = self.given_alive_per_distinct(data, p, f)?;
        Ok(given
            .iter()
            .zip(&p_alive)
            .map(|(g, p)| g.map_or(0.0, |g| g * p))
            .collect())
    }

    /// `f(x, α + T)` for every row of `data` with `p_alive ≠ 0` (`None` for the others), evaluated
    /// once per distinct `(x, T)` across the machine's cores: the shared part of
    /// [`Family::times_alive_per_distinct`] and its differentiated forms. An error is the first
    /// failing row's.
    fn given_alive_per_distinct<T: Copy + Send>(
        &self,
        data: &RfmData,
        p_alive: &[f64],
        f: impl Fn(f64, f64) -> Result<T> + Sync,
    ) -> Result<Vec<Option<T>>> {
        let (freq, age) = (data.frequency(), data.age());
        let cmp = |u: &(f64, f64), v: &(f64, f64)| u.0.total_cmp(&v.0).then(u.1.total_cmp(&v.1));
        let mut keys: Vec<(f64, f64)> = (0..data.len())
            .filter(|&i| p_alive[i] != 0.0)
            .map(|i| (freq[i], age[i]))
            .collect();
        keys.sort_unstable_by(cmp);
        keys.dedup_by(|u, v| cmp(u, v).is_eq());
        let values = crate::parallel::map_rows(keys.len(), 8, |k| {
            let (x, t) = keys[k];
            f(x, self.alpha + t).ok()
        });
        (0..data.len())
            .map(|i| {
                if p_alive.get(i).is_none_or(|&p| p == 0.0) {
                    return Ok(None);
                }
                let key = (freq[i], age[i]);
                let alive = match keys.binary_search_by(|k| cmp(k, &key)) {
                    Ok(k) => values[k],
                    Err(_) => None,
                };
                // A failed value is evaluated again for its error.
                match alive {
                    Some(v) => Ok(Some(v)),
                    None => f(key.0, self.alpha + key.1).map(Some),
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Gradients of the predictions with respect to the log-parameters (for delta-method intervals).
// ---------------------------------------------------------------------------------------------

impl Family {
    /// `P(alive | x, t_x, T) = σ(−lod)` and its gradient in `(ln r, ln α, ln a, ln b)`:
    /// `∂P/∂ln θ = −P(1−P) ∂lod/∂ln θ` with
    ///
    /// ```text
    /// ∂lod/∂ln r = r ln(1 + (T−t_x)/(α+t_x))      ∂lod/∂ln a = 1
    /// ∂lod/∂ln α = −(r+x) α (T−t_x)/((α+T)(α+t_x))  ∂lod/∂ln b = −b/(b+n−1)
    /// ```
    ///
    /// (0 without a chance to drop out, where `P = 1`).
    pub(super) fn probability_alive_gradient(&self, x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let n = self.chances(x);
        if n == 0.0 {
            return (1.0, [0.0; 4]);
        }
        let ax = alpha + t_x;
        // lod = ln(a/(b+n−1)) + (r+x) l as `log_odds_dead` forms it, l kept for ∂/∂ln r
        let l = ((t - t_x) / ax).ln_1p();
        let lod = (a / (b + n - 1.0)).ln() + (r + x) * l;
        // σ(−lod) and σ(lod) from the one exponential e^(−|lod|) (bit for bit `sigmoid`)
        let e = (-lod.abs()).exp();
        let (big, small) = (1.0 / (1.0 + e), e / (1.0 + e));
        let (p, dead) = if lod <= 0.0 {
            (big, small)
        } else {
            (small, big)
        };
        let w = -p * dead;
        let dlod = [
            r * l,
            -(r + x) * (alpha / ax) * ((t - t_x) / (alpha + t)),
            1.0,
            -b / (b + n - 1.0),
        ];
        (p, dlod.map(|d| w * d))
    }

    /// `E[Y(t) | alive at T]` ([`Family::expected_if_alive`], the same value) and its gradient
    /// in `(ln r, ln α, ln a, ln b)` where the value comes from the ₂F₁ closed form (the
    /// derivatives carried exactly along its series, [`crate::numerics::dual`]) or its small-`τ`
    /// limit `kτ`; `None` where it comes from the integral over `p`.
    pub(super) fn expected_if_alive_gradient(
        &self,
        x: f64,
        at: f64,
        t: f64,
    ) -> Result<Option<(f64, [f64; 4])>> {
        let value = self.expected_if_alive(x, at, t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b + self.dropout.extra());
        let (k, tau) = (r + x, t / at);
        if (k + 1.0) * tau < 1e-17 {
            return Ok(Some((value, [r * tau, -k * tau * (alpha / at), 0.0, 0.0])));
        }
        let (rd, ad) = (Dual::input(r, 0, r), Dual::input(a, 2, a));
        // b + n − x: its derivative in ln b is b
        let bd = Dual::input(b, 3, self.b);
        let z = t / (at + t);
        let g = if euler_form(r, a, b, x, z).is_some() {
            // z = t/(α+T+t): ∂z/∂ln α = −z α/(α+T+t).
            euler_form_dual(rd, ad, bd, x, Dual::input(z, 1, -z * (alpha / (at + t))))
        } else {
            // τ = t/(α+T): ∂τ/∂ln α = −τ α/(α+T); W = ln(1+τ): ∂W/∂ln α = −z α/(α+T).
            let taud = Dual::input(tau, 1, -tau * (alpha / at));
            power_form_dual(rd + x, ad, bd + x, taud).or_else(|| {
                let w = Dual::input(tau.ln_1p(), 1, -z * (alpha / at));
                integral_form_dual(rd + x, ad, bd + x, w)
                    // the same value as the prediction's own (another method) to 1e-10
                    .filter(|g| (g.v - value).abs() <= 1e-10 * value)
            })
        };
        Ok(g.map(|g| (value, g.d)))
    }

    /// [`Family::probability_alive_batch`] with the gradients
    /// ([`Family::probability_alive_gradient`]), across the machine's cores.
    pub(super) fn probability_alive_differentiated(
        &self,
        data: &RfmData,
    ) -> Result<Differentiated> {
        let (x, t_x, t) = (data.frequency(), data.recency(), data.age());
        differentiated_rows(data.len(), |i| {
            Ok(self.probability_alive_gradient(x[i], t_x[i], t[i]))
        })
    }

    /// [`Family::conditional_expectation_batch`] with the gradients
    /// `∇(P · G) = G ∇P + P ∇G` (`G = E[Y(t) | alive at T]` once per distinct `(x, T)`), or the
    /// values alone when a `G` has no analytic gradient.
    pub(super) fn conditional_expectation_differentiated(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<Differentiated> {
        check_non_negative("t", t)?;
        let alive = self.probability_alive_differentiated(data)?;
        let given = self.given_alive_per_distinct(data, alive.values(), |x, at| {
            self.expected_if_alive_gradient(x, at, t)
        })?;
        if given.iter().any(|g| matches!(g, Some(None))) {
            return Ok(Differentiated::without_gradient(
                self.conditional_expectation_batch(data, t)?.to_vec(),
            ));
        }
        differentiated_rows(data.len(), |i| {
            let (p, dp) = (alive.values()[i], alive.gradient_of(i).unwrap_or_default());
            Ok(match given[i] {
                Some(Some((g, dg))) if t > 0.0 => {
                    let mut d = [0.0; 4];
                    for ((e, dp), dg) in d.iter_mut().zip(dp).zip(dg) {
                        *e = g * dp + p * dg;
                    }
                    (g * p, d)
                }
                _ => (0.0, [0.0; 4]),
            })
        })
    }
}

/// [`euler_form`] with the derivatives carried along (`b` is the posterior's `b + n − x`).
fn euler_form_dual(r: Dual<4>, a: Dual<4>, b: Dual<4>, x: f64, z: Dual<4>) -> Option<Dual<4>> {
    let c = a + b + (x - 1.0);
    let am1 = a - 1.0;
    let f_m1 = hyp2f1_minus_one_dual(c - r - x, am1, c, z, EULER_BUDGET, 4.0)?;
    let l1z = (-z).ln_1p();
    let t1 = -(am1 * l1z).exp_m1();
    let t2 = (am1 * l1z).exp() * f_m1;
    let value = c / am1 * (t1 - t2);
    value.is_finite().then_some(value)
}

/// `g(τ) = E_p[(1 − (1 + pτ)^−k)/p]`, `p ~ Beta(a, b)`, by its power series in `τ` (the
/// moments `E[p^(j−1)] = (a)_{j−1}/(a+b)_{j−1}` of the binomial series of `(1 + pτ)^−k`):
/// `g = kτ ₃F₂(k+1, a, 1; a+b, 2; −τ)`, with the derivatives carried along, for `τ < 1` where
/// the alternating series loses at most a factor 4 to cancellation; `None` elsewhere.
fn power_form_dual<const N: usize>(
    k: Dual<N>,
    a: Dual<N>,
    b: Dual<N>,
    tau: Dual<N>,
) -> Option<Dual<N>> {
    if tau.v >= 1.0 {
        return None;
    }
    let two = Dual::constant(2.0);
    let f_m1 = series_minus_one([k + 1.0, a], [a + b, two], -tau, 1.0, EULER_BUDGET, 4.0)?;
    let value = k * tau * (f_m1 + 1.0);
    value.is_finite().then_some(value)
}

/// `g(τ) = ∫₀^τ k E_p[(1 + pv)^−(k+1)] dv` (the purchase rate of the survivors integrated,
/// `p ~ Beta(a, b)`), with `E_p[(1 + pv)^−(k+1)] = ₂F₁(k+1, a; a+b; −v)
/// = (1+v)^−(k+1) ₂F₁(b, k+1; a+b; v/(1+v))` (Pfaff; a series of positive terms) and
/// `v = eʷ − 1`: `g = ∫₀^W k e^(−kw) ₂F₁(b, k+1; a+b; 1 − e^(−w)) dw`, `W = ln(1+τ)`, with the
/// derivatives carried along (through `W` too). By Gauss–Legendre rules on panels that double
/// from `1/k` (the integrand falls like `e^(−kw)`), accepted when the two rules agree to 10⁻¹²
/// and `1 − e^(−W) ≤ 0.95` (the series converge); `None` elsewhere.
fn integral_form_dual(k: Dual<4>, a: Dual<4>, b: Dual<4>, big_w: Dual<4>) -> Option<Dual<4>> {
    if !(big_w.v > 0.0 && -(-big_w.v).exp_m1() <= 0.95) {
        return None;
    }
    let ((x16, w16), (x32, w32)) = crate::numerics::quadrature::gl_rules();
    let c = a + b;
    // the integrand at w = W s
    let f = |s: f64| -> Option<Dual<4>> {
        let w = big_w * s;
        let zd = -(-w).exp_m1();
        let f_m1 = hyp2f1_minus_one_dual(b, k + 1.0, c, zd, EULER_BUDGET, 2.0)?;
        Some(k * (-(k * w)).exp() * (f_m1 + 1.0))
    };
    // panels in s = w/W: [0, h], [h, 2h], [2h, 4h], … with h = 1/(kW), up to 1
    let mut cuts = vec![0.0];
    let mut h = (1.0 / (k.v * big_w.v)).min(1.0);
    while h < 1.0 && cuts.len() < 64 {
        cuts.push(h);
        h *= 2.0;
    }
    cuts.push(1.0);
    let (mut fine, mut coarse) = (Dual::constant(0.0), Dual::constant(0.0));
    for p in cuts.windows(2) {
        let (mid, half) = (0.5 * (p[0] + p[1]), 0.5 * (p[1] - p[0]));
        for (xi, wi) in x32.iter().zip(w32) {
            fine = fine + f(mid + half * xi)? * (wi * half);
        }
        for (xi, wi) in x16.iter().zip(w16) {
            coarse = coarse + f(mid + half * xi)? * (wi * half);
        }
    }
    let agree = (fine.v - coarse.v).abs() <= 1e-12 * fine.v.abs()
        && fine
            .d
            .iter()
            .zip(coarse.d)
            .all(|(u, v)| (u - v).abs() <= 1e-12 * fine.max_abs_derivative());
    let g = big_w * fine;
    (agree && g.is_finite()).then_some(g)
}

/// Most terms of the differentiated ₂F₁ series of [`euler_form_dual`].
const EULER_BUDGET: usize = 5_000;

/// Rows per thread of a per-row prediction of a few transcendental functions.
const ROWS_PER_THREAD: usize = 4096;

/// The part of the log-likelihood besides `ln Γ(r+x)/Γ(r) − x ln r` and the Beta-function
/// ratio: `r ln α − (r+x) ln(α+T) + x ln r = x ln(r/(α+T)) − r ln(1 + T/α)`, written without
/// the large logarithms it is made of. The log-likelihood is
/// `[ln Γ(r+x)/Γ(r) − x ln r] + ln B(a, b+x)/B(a, b) + ll_base + ln(1 + e^lod)` with `lod` the
/// log-odds of death ([`log_odds_dead`]); `lt = ln(1 + T/α)`.
fn ll_base(r: f64, alpha: f64, x: f64, t: f64, lt: f64) -> f64 {
    let ln_rate = if x > 0.0 { ln_rate(r, alpha, t) } else { 0.0 };
    base_of(r, x, ln_rate, lt)
}

/// `ln(r/(α+T))`, from the quotient where it is a normal number, else as a difference of logs.
fn ln_rate(r: f64, alpha: f64, t: f64) -> f64 {
    let q = r / (alpha + t);
    if q.is_normal() && q.is_finite() {
        q.ln()
    } else {
        r.ln() - (alpha + t).ln()
    }
}

/// [`ll_base`] from `ln_rate = ln(r/(α+T))` and `lt = ln(1 + T/α)`.
fn base_of(r: f64, x: f64, ln_rate: f64, lt: f64) -> f64 {
    let rate = if x > 0.0 { x * ln_rate } else { 0.0 };
    rate - r * lt
}

/// Log-odds of death at `t_x` after `n` chances to drop out,
/// `ln(a/(b+n−1)) + (r+x) ln(1 + (T−t_x)/(α+t_x))` (−∞ when `n = 0`): the difference `A4 − A3`
/// of the two likelihood terms, without forming either.
#[allow(clippy::too_many_arguments)]
fn log_odds_dead(r: f64, alpha: f64, a: f64, b: f64, n: f64, x: f64, t_x: f64, t: f64) -> f64 {
    if n == 0.0 {
        return f64::NEG_INFINITY;
    }
    (a / (b + n - 1.0)).ln() + (r + x) * ((t - t_x) / (alpha + t_x)).ln_1p()
}

/// One customer's log-likelihood at `(r, α, a, b)` with `n` chances to drop out, less the
/// term `ln Γ(r+x)/Γ(r) − x ln r` that depends on `(r, x)` only, and (when `GRAD`) its
/// gradient in `(r, α, a, b)`, less that term's `∂/∂r`; `ln_beta` is
/// `ln B(a, b+n)/B(a, b)` ([`ln_beta_ratio`]). Every customer of the family, with or without
/// covariates, is evaluated here.
pub(super) fn row<const GRAD: bool>(
    th: [f64; 4],
    n: f64,
    x: f64,
    (t_x, t): (f64, f64),
    ln_beta: f64,
) -> (f64, [f64; 4]) {
    let [r, alpha, a, b] = th;
    let lod = log_odds_dead(r, alpha, a, b, n, x, t_x, t);
    // `ll_base` with `ln(1 + T/α)` kept for the gradient, and `ln(1 + e^lod)` with both
    // sigmoids from one exponential (bit for bit the separate calls).
    let lt = (t / alpha).ln_1p();
    let base = ll_base(r, alpha, x, t, lt);
    let (softplus_lod, pi1, pi2) = softplus_sigmoids(lod);
    let ll = ln_beta + base + softplus_lod;
    if !GRAD {
        return (ll, [0.0; 4]);
    }
    let bx1 = if n > 0.0 { pi2 / (b + n - 1.0) } else { 0.0 };
    let dab = digamma_difference(a + b, n);
    let grad = [
        -pi1 * lt - pi2 * (t_x / alpha).ln_1p(),
        pi1 * (r * t / alpha - x) / (alpha + t) + pi2 * (r * t_x / alpha - x) / (alpha + t_x),
        -dab + pi2 / a,
        digamma_difference(b, n) - dab - bx1,
    ];
    (ll, grad)
}

/// One customer's log-likelihood at `θ = (r, α, a, b)` with `n` chances to drop out, less the
/// terms `ln Γ(r+x)/Γ(r)` and `ln B(a, b+n)/B(a, b)` (see [`ln_beta_ratio_derivatives`]) — when
/// `VALUE` (else 0) — with its gradient in `θ` when `GRAD` (else zeros) and its Hessian in `θ`
/// (upper triangle, row by row: `rr, rα, ra, rb, αα, αa, αb, aa, ab, bb`).
/// `ln_odds = ln(a/(b+n−1))` (any value when `n = 0`).
///
/// The part is `x ln r + r ln α − (r+x) ln(α+T) + ln(1 + eᵘ)` with `u` the log-odds of death.
/// With `π = σ(u)` and `s = π(1 − π)`, `ln(1 + eᵘ)` contributes `π ∂²u + s ∂u ∂uᵀ`, where
/// `∂u = (L, −(r+x)D, 1/a, −c)`, `L = ln((α+T)/(α+t_x))`, `D = (T−t_x)/((α+T)(α+t_x))`,
/// `c = 1/(b+n−1)`, and the only second derivatives of `u` are `∂²u/∂r∂α = −D`,
/// `∂²u/∂α² = (r+x)(1/(α+t_x)² − 1/(α+T)²)`, `∂²u/∂a² = −1/a²`, `∂²u/∂b² = c²`; the rest
/// contributes `∂²/∂r∂α = T/(α(α+T))` and `∂²/∂α² = (r+x)/(α+T)² − r/α²`. Every customer of
/// the family, with or without covariates, is differentiated twice here.
pub(crate) fn row_derivatives<const VALUE: bool, const GRAD: bool>(
    th: [f64; 4],
    n: f64,
    x: f64,
    (t_x, t): (f64, f64),
    ln_odds: f64,
) -> (f64, [f64; 4], [f64; 10]) {
    let [r, alpha, a, b] = th;
    let at = alpha + t;
    let lt = if VALUE || GRAD {
        (t / alpha).ln_1p()
    } else {
        0.0
    };
    let base = if VALUE {
        ll_base(r, alpha, x, t, lt)
    } else {
        0.0
    };
    let g_alpha = (r * t / alpha - x) / at;
    if n == 0.0 {
        let h = row_hessian(th, n, x, (t_x, t), 0.0, (0.0, 0.0));
        return (base, [-lt, g_alpha, 0.0, 0.0], h);
    }
    let ax = alpha + t_x;
    let l = ((t - t_x) / ax).ln_1p();
    let c = 1.0 / (b + n - 1.0);
    let u = ln_odds + (r + x) * l;
    // σ(−u), σ(u) and ln(1 + eᵘ) from the one exponential e^(−|u|), as `softplus_sigmoids`.
    let e = (-u.abs()).exp();
    let (big, small) = (1.0 / (1.0 + e), e / (1.0 + e));
    let (pi1, pi) = if u >= 0.0 { (small, big) } else { (big, small) };
    let softplus_u = if VALUE {
        0.0f64.max(u) + e.ln_1p()
    } else {
        0.0
    };
    let grad = if GRAD {
        [
            -pi1 * lt - pi * (t_x / alpha).ln_1p(),
            pi1 * g_alpha + pi * (r * t_x / alpha - x) / ax,
            pi / a,
            -pi * c,
        ]
    } else {
        [0.0; 4]
    };
    let h = row_hessian(th, n, x, (t_x, t), l, (pi1, pi));
    (base + softplus_u, grad, h)
}

/// The Hessian part of [`row_derivatives`] (upper triangle) from the row's intermediate
/// values: `l = ln(1 + (T−t_x)/(α+t_x))` and the sigmoids `(π₁, π) = (σ(−u), σ(u))` of the
/// log-odds of death `u` (any values when `n = 0`).
#[inline]
pub(crate) fn row_hessian(
    th: [f64; 4],
    n: f64,
    x: f64,
    (t_x, t): (f64, f64),
    l: f64,
    (pi1, pi): (f64, f64),
) -> [f64; 10] {
    let [r, alpha, a, b] = th;
    let at = alpha + t;
    let r_alpha = t / (alpha * at);
    let alpha_alpha = (r + x) / (at * at) - r / (alpha * alpha);
    if n == 0.0 {
        return [0.0, r_alpha, 0.0, 0.0, alpha_alpha, 0.0, 0.0, 0.0, 0.0, 0.0];
    }
    let ax = alpha + t_x;
    let d = (t - t_x) / (at * ax);
    let c = 1.0 / (b + n - 1.0);
    let s = pi * pi1;
    let u_alpha = -(r + x) * d;
    let u_alpha2 = (r + x) * (1.0 / (ax * ax) - 1.0 / (at * at));
    [
        s * l * l,
        r_alpha - pi * d + s * l * u_alpha,
        s * l / a,
        -s * l * c,
        alpha_alpha + pi * u_alpha2 + s * u_alpha * u_alpha,
        s * u_alpha / a,
        -s * u_alpha * c,
        (s - pi) / (a * a),
        -s * c / a,
        (pi + s) * c * c,
    ]
}

/// The symmetric 4×4 matrix (row-major) of an upper triangle `rr, rα, ra, rb, αα, αa, αb, aa,
/// ab, bb`.
fn full_hessian([rr, ra, r_a, rb, aa, a_a, a_b, a2, ab, bb]: [f64; 10]) -> [f64; 16] {
    [
        rr, ra, r_a, rb, //
        ra, aa, a_a, a_b, //
        r_a, a_a, a2, ab, //
        rb, a_b, ab, bb,
    ]
}

/// The gradient `(∂/∂a, ∂/∂b)` and Hessian `(aa, ab, bb)` of `ln B(a, b+n)/B(a, b)`: with
/// `ψ₁(z) = ψ(z+n) − ψ(z)` and `τ(z) = ψ'(z+n) − ψ'(z)`, `(−ψ₁(a+b), ψ₁(b) − ψ₁(a+b))` and
/// `(−τ(a+b), −τ(a+b), τ(b) − τ(a+b))`.
pub(crate) fn ln_beta_ratio_derivatives(a: f64, b: f64, n: f64) -> ([f64; 2], [f64; 3]) {
    let dab = digamma_difference(a + b, n);
    let tab = trigamma_difference(a + b, n);
    (
        [-dab, digamma_difference(b, n) - dab],
        [-tab, -tab, trigamma_difference(b, n) - tab],
    )
}

impl Family {
    /// Chances to drop out of a customer with `x` repeat purchases ([`Dropout`]).
    pub(super) fn chances(&self, x: f64) -> f64 {
        x + self.dropout.extra()
    }

    /// Log-likelihood of one customer's history `(x, t_x, T)`, with `B(a, b+n)` and
    /// `B(a+1, b+n−1)` in the two terms (`n` chances to drop out).
    pub(super) fn log_likelihood(&self, customer: &Customer) -> f64 {
        let (x, t_x, t) = (customer.frequency(), customer.recency(), customer.age());
        let th = [self.r, self.alpha, self.a, self.b];
        let n = self.chances(x);
        let ln_beta = ln_beta_ratio(self.a, self.b, n);
        ln_gamma_ratio_scaled(self.r, x) + row::<false>(th, n, x, (t_x, t), ln_beta).0
    }

    /// Gradient of [`Family::log_likelihood`] with respect to `(r, α, a, b)`.
    pub(super) fn log_likelihood_gradient(&self, customer: &Customer) -> [f64; 4] {
        let (x, t_x, t) = (customer.frequency(), customer.recency(), customer.age());
        let th = [self.r, self.alpha, self.a, self.b];
        let n = self.chances(x);
        let mut g = row::<true>(th, n, x, (t_x, t), 0.0).1;
        g[0] += digamma_difference(self.r, x);
        g
    }

    /// `P(alive | x, t_x, T) = 1 / (1 + e^lod)`.
    pub(super) fn probability_alive(&self, customer: &Customer) -> f64 {
        let (x, t_x, t) = (customer.frequency(), customer.recency(), customer.age());
        let n = self.chances(x);
        sigmoid(-log_odds_dead(
            self.r, self.alpha, self.a, self.b, n, x, t_x, t,
        ))
    }

    /// `P(X(t) = k)`: `B(a, b+m)/B(a, b) · NB(k; r, α/(α+t)) + 1{m>0} · B(a+1, b+m−1)/B(a, b) ·
    /// P(NB(r, α/(α+t)) >= k)` with `m` the chances to drop out after `k` repeat purchases.
    pub(super) fn probability_of_transactions(&self, k: u32, t: f64) -> Result<f64> {
        check_non_negative("t", t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let kf = f64::from(k);
        let nf = self.chances(kf);
        if t == 0.0 {
            return Ok(if k == 0 { 1.0 } else { 0.0 });
        }
        // NB(k; r, q) with q = α/(α+t) by Loader's form (exact for any r, k).
        let (q, z) = (alpha / (alpha + t), t / (alpha + t));
        let ln_nb = if k == 0 {
            -r * (t / alpha).ln_1p()
        } else {
            (r / (r + kf)).ln() + ln_binomial_density(r, kf, q, z)
        };
        let mut p = (ln_beta_ratio(a, b, nf) + ln_nb).exp();
        if nf > 0.0 {
            // B(a+1, b+m−1)/B(a, b) = a/(a+b+m−1) · B(a, b+m−1)/B(a, b);
            // P(NB(r, q) >= k) = I_z(k, r) (1 for k = 0).
            let ln_dead = (a / (a + b + nf - 1.0)).ln() + ln_beta_ratio(a, b, nf - 1.0);
            let tail = if k == 0 {
                1.0
            } else {
                nb_tail(k, r, t / alpha, z, q).ok_or_else(|| {
                    Error::Numerical(format!(
                        "{}: the incomplete beta function I({z}; {k}, {r}) did not converge",
                        self.name
                    ))
                })?
            };
            p += ln_dead.exp() * tail;
        }
        Ok(p.clamp(0.0, 1.0))
    }

    /// `E[X(t)]`: the conditional expectation of a customer with `x = 0` observed for `T = 0`,
    /// alive at 0 with probability `1` (BG/NBD) or `b/(a+b)` (MBG/NBD).
    pub(super) fn expected_transactions(&self, t: f64) -> Result<f64> {
        let p_alive = match self.dropout {
            Dropout::AfterRepeatPurchases => 1.0,
            Dropout::AlsoAtStart => self.b / (self.a + self.b),
        };
        self.conditional_expectation(0.0, 0.0, t, p_alive)
    }

    /// `DERT(δ) = P(alive) · E[λ/(λp + δ)]` over the posterior of a live customer.
    pub(super) fn discounted_expected_residual_transactions(
        &self,
        customer: &Customer,
        delta: f64,
    ) -> Result<f64> {
        check_positive("delta", delta)?;
        let p_alive = self.probability_alive(customer);
        if p_alive == 0.0 {
            return Ok(0.0);
        }
        let at = self.alpha + customer.age();
        Ok(p_alive * self.dert_if_alive(customer.frequency(), at, delta)?)
    }
}

impl Family {
    /// `1 − P(alive | x, t_x, T) = 1 / (1 + e^−lod)`, with its digits when it is small.
    fn probability_dead(&self, customer: &Customer) -> f64 {
        let (x, t_x, t) = (customer.frequency(), customer.recency(), customer.age());
        let n = self.chances(x);
        sigmoid(log_odds_dead(
            self.r, self.alpha, self.a, self.b, n, x, t_x, t,
        ))
    }

    /// What a customer alive at `T` continues as: a BG/NBD customer (from `T` on, death comes
    /// only after purchases, for both members of the family) with the posterior parameters
    /// `(r+x, α+T, a, b+n)`.
    fn alive_posterior(&self, customer: &Customer) -> Family {
        let x = customer.frequency();
        Family {
            r: self.r + x,
            alpha: self.alpha + customer.age(),
            a: self.a,
            b: self.b + self.chances(x),
            dropout: Dropout::AfterRepeatPurchases,
            name: self.name,
        }
    }

    /// `P(Y(t) = k | x, t_x, T) = P(alive) · P_post(X(t) = k) + 1{k=0} (1 − P(alive))`, with
    /// `P_post` FHL eq. 8 at the posterior parameters (see the module docs).
    pub(super) fn conditional_probability_of_transactions(
        &self,
        customer: &Customer,
        k: u32,
        t: f64,
    ) -> Result<f64> {
        check_non_negative("t", t)?;
        let p_alive = self.probability_alive(customer);
        let alive = if p_alive == 0.0 {
            0.0
        } else {
            self.alive_posterior(customer)
                .probability_of_transactions(k, t)?
        };
        let dead = if k == 0 {
            self.probability_dead(customer)
        } else {
            0.0
        };
        Ok((p_alive * alive + dead).clamp(0.0, 1.0))
    }

    /// `P(alive at T + t | x, t_x, T) = P(alive) · E_p[(1 + pτ)^−(r+x)]`, `τ = t/(α+T)`,
    /// `p ~ Beta(a, b+n)` (see the module docs).
    pub(super) fn probability_alive_at(&self, customer: &Customer, t: f64) -> Result<f64> {
        check_non_negative("t", t)?;
        let p_alive = self.probability_alive(customer);
        if t == 0.0 || p_alive == 0.0 {
            return Ok(p_alive);
        }
        let x = customer.frequency();
        let (k, tau) = (self.r + x, t / (self.alpha + customer.age()));
        let survive = if k * tau < 1e-17 {
            // 1 − kτ E[p] + …: 1 to the last bit.
            1.0
        } else {
            let f = |p: f64, _q: f64| (-k * (p * tau).ln_1p()).exp();
            let b = self.b + self.chances(x);
            beta_expectation(self.a, b, f, 1.0, &[1.0 / tau, 1.0 / (k * tau)])
                .or_else(|| survival_in_log_p(self.a, b, k, tau))
                .ok_or_else(|| {
                    Error::Numerical(format!(
                        "{}: P(alive at T + t) did not evaluate for x = {x}, T = {}, t = {t}",
                        self.name,
                        customer.age()
                    ))
                })?
        };
        Ok((p_alive * survive).clamp(0.0, p_alive))
    }
}

/// `E_p[(1 + pτ)^−k]`, `p ~ Beta(a, b)`, where the factor underflows over the bulk of the Beta
/// mass (`k ln(1 + pτ)` in the hundreds there: the mass of the product lies far in the left
/// tail of `p`, which the logit integral of [`beta_expectation`] does not reach). As
/// `(I₁ + I₂)/B(a, b)`: `I₁ = ∫_{p ≤ ½} pᵃ (1−p)^(b−1) (1 + pτ)^−k d(ln p)`, whose logarithm is
/// concave in `ln p` when `b ≥ 1` (within 2 of concave on `p ≤ ½` otherwise), by adaptive
/// Gauss–Kronrod on pieces split at its mode and at the bends of the factor; `I₂` over `q = 1 − p ≤ ½` after `q = s^(1/b)` (which removes the
/// singularity of `q^(b−1)`), by adaptive Gauss–Kronrod. `None` if it does not evaluate; 0 where
/// the value underflows.
fn survival_in_log_p(a: f64, b: f64, k: f64, tau: f64) -> Option<f64> {
    let phi = |rho: f64| {
        let p = rho.exp();
        a * rho + (b - 1.0) * (-p).ln_1p() - k * (tau * p).ln_1p()
    };
    let dphi = |rho: f64| {
        let p = rho.exp();
        a - (b - 1.0) * p / (1.0 - p) - k * tau * p / (1.0 + tau * p)
    };
    let hi = -std::f64::consts::LN_2;
    // φ rises with slope at most `a` towards −∞: 60/a below the mode it is e^−60 of its top.
    let start = hi.min(-(k * tau).ln());
    let mode = if dphi(hi) >= 0.0 {
        hi
    } else {
        // dφ > 0 far to the left (slope a): the sign change, to the last bit.
        crate::numerics::bisect_sign_change(dphi, start - 60.0 / a.min(1.0), hi, 0.0)
    };
    let top = phi(mode);
    let lo = mode.min(start) - 60.0 / a.min(1.0);
    // Pieces split at the mode and where the factor changes regime (`kτp = 1`, `τp = 1`), so
    // that a long, nearly exponential tail (`a` small) and the bend of the factor lie on
    // separate pieces; each by adaptive Gauss–Kronrod, scaled by the top.
    let mut cuts = vec![lo, hi];
    cuts.extend(
        [mode, -(k * tau).ln(), -tau.ln()]
            .into_iter()
            .filter(|&c| c > lo && c < hi),
    );
    cuts.sort_by(f64::total_cmp);
    let i1: f64 = cuts
        .windows(2)
        .map(|w| {
            crate::numerics::quadrature::integrate(
                |rho: f64| (phi(rho) - top).exp(),
                w[0],
                w[1],
                1e-13,
                0.0,
                200,
            )
            .0
        })
        .sum();
    let ln_i1 = i1.ln() + top;
    // I₂ = (1/b) ∫_0^(2^−b) (1−q)^(a−1) (1 + τ(1−q))^−k ds, q = s^(1/b), scaled by its value
    // at q = ½.
    let psi = |q: f64| (a - 1.0) * (-q).ln_1p() - k * (tau * (1.0 - q)).ln_1p();
    // ψ is unimodal in q: its top on [0, ½] is at an end or at q* = 1 − (a−1)/(τ(k−a+1)), the
    // stationary point (when a > 1 and k > a − 1), which may lie inside.
    let q_star = 1.0 - (a - 1.0) / (tau * (k - a + 1.0));
    let top2 = if a > 1.0 && k > a - 1.0 && q_star > 0.0 && q_star < 0.5 {
        psi(q_star)
    } else {
        f64::NEG_INFINITY
    }
    .max(psi(0.5))
    .max(psi(0.0));
    let s_max = (-b * std::f64::consts::LN_2).exp();
    let ln_i2 = if s_max > 0.0 {
        let (i2, _) = crate::numerics::quadrature::integrate(
            |s: f64| (psi(s.powf(1.0 / b)) - top2).exp(),
            0.0,
            s_max,
            1e-13,
            0.0,
            200,
        );
        i2.ln() + top2 - b.ln()
    } else {
        f64::NEG_INFINITY
    };
    let (m, other) = if ln_i1 >= ln_i2 {
        (ln_i1, ln_i2)
    } else {
        (ln_i2, ln_i1)
    };
    // ln B(a, b) by Stirling's series without large cancelling terms.
    let c = crate::numerics::special::stirling_remainder;
    let ab = a + b;
    // ln(u/(a+b)) of each shape, from whichever form is not rounded near 1.
    let ln_share = |u: f64, other: f64| {
        if u <= other {
            (u / ab).ln()
        } else {
            (-other / ab).ln_1p()
        }
    };
    let ln_beta = 0.5 * (2.0 * std::f64::consts::PI).ln()
        + (a - 0.5) * ln_share(a, b)
        + (b - 0.5) * ln_share(b, a)
        - 0.5 * ab.ln()
        + c(a)
        + c(b)
        - c(ab);
    // A logarithm below −745 is a value that underflows: 0 (not a failure).
    let ln_v = if m == f64::NEG_INFINITY {
        m
    } else {
        m + (other - m).exp().ln_1p() - ln_beta
    };
    (ln_v.is_finite() || ln_v == f64::NEG_INFINITY).then(|| ln_v.exp().min(1.0))
}

/// `(a+b+x−1)/(a−1) · [1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)]`, where it is reliable:
/// parameters in the range where the ₂F₁ is validated against mpmath (`scripts/special_vectors.py`),
/// `z < 0.99`, `a` not within 10⁻³ of 1 and at most a factor 8 of cancellation in the bracket.
/// `None` elsewhere.
fn euler_form(r: f64, a: f64, b: f64, x: f64, z: f64) -> Option<f64> {
    let c = a + b + x - 1.0;
    if !(c > 1e-3 && c <= 2e4 && z < 0.99 && a <= 1e3 && r <= 1e3 && (a - 1.0).abs() >= 1e-3) {
        return None;
    }
    // F − 1 directly: F is within O(a − 1) of 1 and `f − 1.0` would lose those digits.
    let f_m1 = hyp2f1_minus_one(c - r - x, a - 1.0, c, z).ok()?;
    let t1 = -((a - 1.0) * (-z).ln_1p()).exp_m1();
    let t2 = (1.0 - z).powf(a - 1.0) * f_m1;
    let bracket = t1 - t2;
    let value = c / (a - 1.0) * bracket;
    (value.is_finite() && value > 0.0 && t1.abs() + t2.abs() <= 8.0 * bracket.abs())
        .then_some(value)
}

impl TransactionModel for BgNbd {
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

    /// `P(alive) · P(X(t) = n)` at the posterior parameters `(r+x, α+T, a, b+x)`, plus
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

    /// `P(alive) · E_p[(1 + pt/(α+T))^−(r+x)]`, `p ~ Beta(a, b+x)` (see the module docs).
    fn probability_alive_at(&self, customer: &Customer, t: f64) -> Result<f64> {
        self.family().probability_alive_at(customer, t)
    }

    /// Exact DERT: `P(alive) · E[λ/(λp + δ)]` over the posterior of a live customer,
    /// `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+x)` (a live customer with `λ, p` makes
    /// `λ e^(−λpt) dt` expected transactions at `t`). The expectation over `λ` is
    /// `(k/p) J(k+1, δ(α+T)/p)` with `k = r+x` and `J(m, c) = ∫₀^∞ e^(−cs) (1+s)^(−m) ds`
    /// (an incomplete gamma function of negative order, evaluated without cancellation); the
    /// expectation over `p` by adaptive Gauss–Kronrod.
    fn discounted_expected_residual_transactions(
        &self,
        customer: &Customer,
        delta: f64,
    ) -> Result<f64> {
        self.family()
            .discounted_expected_residual_transactions(customer, delta)
    }

    /// As the single-customer form. The part given alive depends on `x` and `α + T` only: for
    /// each distinct `x` it is interpolated (piecewise Chebyshev in `ln(α + T)`, to about 1e-13
    /// relative) over the customers' ages where many customers share `x`, and computed once per
    /// distinct `(x, T)` elsewhere, across the machine's cores.
    fn discounted_expected_residual_transactions_batch(
        &self,
        data: &RfmData,
        delta: f64,
    ) -> Result<ndarray::Array1<f64>> {
        check_positive("delta", delta)?;
        Ok(self
            .times_alive_batch(data, |x, at| self.dert_if_alive(x, at, delta))?
            .into())
    }

    /// `P(alive) · Σ_{k=1}^{H} e^(−δkτ) [g(kτ) − g((k−1)τ)]` with `g(t) = E[Y(t) | alive at T]`
    /// (which depends on `x` and `α + T` only): the same sum as the default, with the factor
    /// `P(alive)` taken out of it.
    fn discounted_transactions_discrete(
        &self,
        customer: &Customer,
        delta: f64,
        period: f64,
        periods: u32,
    ) -> Result<f64> {
        super::transaction::check_discrete(delta, period)?;
        let p_alive = self.probability_alive(customer);
        if p_alive == 0.0 {
            return Ok(0.0);
        }
        let at = self.alpha + customer.age();
        Ok(p_alive * self.discrete_if_alive(customer.frequency(), at, delta, period, periods)?)
    }

    /// As the single-customer form. The sum given alive depends on `x` and `α + T` only: for
    /// each distinct `x` it is interpolated (piecewise Chebyshev in `ln(α + T)`, to about 1e-13
    /// relative) over the customers' ages where many customers share `x`, and computed once per
    /// distinct `(x, T)` elsewhere, across the machine's cores.
    fn discounted_transactions_discrete_batch(
        &self,
        data: &RfmData,
        delta: f64,
        period: f64,
        periods: u32,
    ) -> Result<ndarray::Array1<f64>> {
        super::transaction::check_discrete(delta, period)?;
        Ok(self
            .times_alive_batch(data, |x, at| {
                self.discrete_if_alive(x, at, delta, period, periods)
            })?
            .into())
    }
}

impl BgNbd {
    /// `Σ_{k=1}^{H} e^(−δkτ) max(g(kτ) − g((k−1)τ), 0)` with `g(t) = E[Y(t) | alive at T]`:
    /// the discrete discounted sum of a customer known to be alive at `T`; `at = α + T`.
    fn discrete_if_alive(
        &self,
        x: f64,
        at: f64,
        delta: f64,
        period: f64,
        periods: u32,
    ) -> Result<f64> {
        // Summation by parts: Σ_{k=1}^{H} w_k (g_k − g_{k−1}) with w_k = e^(−δkτ), g_0 = 0, is
        // Σ_{k=1}^{H} (w_k − w_{k+1}) g_k + w_{H+1} g_H, a sum of non-negative terms (no
        // differences of nearly equal expectations), w_k − w_{k+1} = w_k (1 − e^(−δτ)).
        let one_minus = -(-delta * period).exp_m1();
        let mut sum = 0.0;
        let mut g = 0.0;
        for k in 1..=periods {
            let t = f64::from(k) * period;
            let w = (-delta * t).exp();
            if w == 0.0 {
                // Every later term (and the last one) is 0.
                return Ok(sum);
            }
            g = self.expected_if_alive(x, at, t)?;
            sum += one_minus * w * g;
        }
        Ok(sum + (-delta * (f64::from(periods) + 1.0) * period).exp() * g)
    }
}

/// Rows at or above which a distinct frequency gets an interpolant over its ages.
const MIN_ROWS_TO_INTERPOLATE: usize = 64;
/// Absolute tolerance on the logarithm of an interpolated value (so, relative on the value).
const LN_INTERPOLATION_TOL: f64 = 1e-13;

/// The part given alive of one distinct frequency: an interpolant in `ln(α + T)` and the values
/// computed directly where it does not apply, keyed by `ln(α + T)`.
struct AliveByAge {
    ln_interp: Option<crate::numerics::chebyshev::Piecewise>,
    direct: Vec<(f64, f64)>,
}

impl BgNbd {
    /// `P(alive) · f(x, α + T)` for every row, with `f` (the prediction given alive) evaluated
    /// once per distinct `(x, T)`, or interpolated over the ages of the rows sharing `x` when
    /// there are many. Rows with `P(alive) = 0` are 0 without evaluating `f`.
    fn times_alive_batch(
        &self,
        data: &RfmData,
        f: impl Fn(f64, f64) -> Result<f64> + Sync,
    ) -> Result<Vec<f64>> {
        let (freq, age) = (data.frequency(), data.age());
        let n = data.len();
        let key = |i: usize| (freq[i], age[i]);
        let sorted = (1..n).all(|i| key(i - 1) <= key(i));
        let order: Vec<usize> = if sorted {
            (0..n).collect()
        } else {
            let mut o: Vec<usize> = (0..n).collect();
            o.sort_unstable_by(|&i, &j| {
                freq[i].total_cmp(&freq[j]).then(age[i].total_cmp(&age[j]))
            });
            o
        };
        let p_alive: Vec<f64> = data
            .customers()
            .map(|c| self.probability_alive(&c))
            .collect();
        // Runs of equal frequency in `order`: (start, end).
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for pos in 0..n {
            if pos == 0 || freq[order[pos]] != freq[order[pos - 1]] {
                groups.push((pos, pos + 1));
            } else if let Some(g) = groups.last_mut() {
                g.1 = pos + 1;
            }
        }
        let ln_at = |i: usize| (self.alpha + age[i]).ln();
        let tables = crate::parallel::map_rows(groups.len(), 1, |g| -> Result<AliveByAge> {
            let (lo, hi) = groups[g];
            let x = freq[order[lo]];
            // Distinct ages of the rows that need the value, increasing.
            let mut us: Vec<f64> = order[lo..hi]
                .iter()
                .filter(|&&i| p_alive[i] != 0.0)
                .map(|&i| ln_at(i))
                .collect();
            us.dedup();
            let ln_interp = (hi - lo >= MIN_ROWS_TO_INTERPOLATE).then(|| {
                crate::numerics::chebyshev::Piecewise::build(
                    |u| f(x, u.exp()).ok().filter(|&v| v > 0.0).map(f64::ln),
                    &us,
                    LN_INTERPOLATION_TOL,
                )
            });
            let mut direct = Vec::new();
            for &u in &us {
                if ln_interp.as_ref().and_then(|p| p.eval(u)).is_none() {
                    direct.push((u, f64::NAN));
                }
            }
            // The direct values, from the ages themselves (not from their logarithms).
            let mut k = 0;
            for &i in &order[lo..hi] {
                if k < direct.len() && p_alive[i] != 0.0 && ln_at(i) == direct[k].0 {
                    direct[k].1 = f(x, self.alpha + age[i])?;
                    k += 1;
                }
            }
            Ok(AliveByAge { ln_interp, direct })
        })
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
        let values = crate::parallel::map_rows(n, 4096, |pos| -> Result<f64> {
            let i = order[pos];
            if p_alive[i] == 0.0 {
                return Ok(0.0);
            }
            let g = groups.partition_point(|&(_, hi)| hi <= pos);
            let table = &tables[g];
            let u = ln_at(i);
            let alive = match table.ln_interp.as_ref().and_then(|p| p.eval(u)) {
                Some(l) => l.exp(),
                None => match table
                    .direct
                    .get(table.direct.partition_point(|&(v, _)| v < u))
                {
                    Some(&(v, value)) if v == u => value,
                    _ => f(freq[i], self.alpha + age[i])?,
                },
            };
            Ok(p_alive[i] * alive)
        });
        let mut out = vec![0.0; n];
        for (pos, v) in values.into_iter().enumerate() {
            out[order[pos]] = v?;
        }
        Ok(out)
    }
}

impl BgNbd {
    /// The DERT of a customer known to be alive at `T` ([`Family::dert_if_alive`]).
    fn dert_if_alive(&self, x: f64, at: f64, delta: f64) -> Result<f64> {
        self.family().dert_if_alive(x, at, delta)
    }
}

impl Family {
    /// `E[λ/(λp + δ)]` with `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+n)`: the DERT of a customer
    /// known to be alive at `T`; `at = α + T`.
    pub(super) fn dert_if_alive(&self, x: f64, at: f64, delta: f64) -> Result<f64> {
        let k = self.r + x;
        let eps = delta * at;
        // h(p) = E_λ[λ/(λp+δ)] = (k/p) J(k+1, ε/p), non-increasing in p; its limit at p → 0 is
        // E[λ]/δ = k/ε.
        // As (k/ε) · c J(k+1, c), c = ε/p, with c J(m, c) = 1 − m/c + m(m+1)/c² − … when
        // m/c < 10⁻⁶ (p near 0, where k/p and J over- and underflow).
        let h = |p: f64, _q: f64| {
            let c = eps / p;
            let m = k + 1.0;
            if p == 0.0 || m < 1e-6 * c {
                let u = m / c;
                return k / eps * (1.0 - u + u * (m + 1.0) / c);
            }
            laplace_power(m, c).map_or(f64::NAN, |j| k / eps * (c * j))
        };
        let b = self.b + self.dropout.extra();
        beta_expectation(self.a, b + x, h, k / eps, &[eps, eps / k]).ok_or_else(|| {
            Error::Numerical(format!(
                "{}: DERT did not evaluate for x = {x}, T = {}, delta = {delta}",
                self.name,
                at - self.alpha
            ))
        })
    }
}

/// The likelihood of the BG/NBD family over compressed data, with per-frequency terms computed
/// once per evaluation and the per-row work (two logarithms, one exponential) split across
/// cores.
pub(super) struct BgNbdObjective {
    /// Distinct frequencies.
    xs: Vec<f64>,
    /// Chances to drop out of each distinct frequency ([`Dropout`]).
    ns: Vec<f64>,
    /// Total weight of the rows with each distinct frequency.
    x_weight: Vec<f64>,
    /// Per row: index into `xs`, recency, age, weight.
    x_index: Vec<u32>,
    recency: Vec<f64>,
    age: Vec<f64>,
    weight: Vec<f64>,
    n_obs: f64,
    /// Distinct ages and recencies, and per row the index of its own: the terms that depend on
    /// `T` or `t_x` alone are computed once per distinct value and evaluation (real data hold
    /// few distinct values: ages in whole days).
    ages: FrequencyGroups,
    recencies: FrequencyGroups,
}

impl BgNbdObjective {
    pub(super) fn new(data: &RfmData, dropout: Dropout) -> Self {
        let FrequencyGroups {
            values: xs,
            index: x_index,
            weight: x_weight,
        } = FrequencyGroups::new(data.frequency(), data.weights());
        BgNbdObjective {
            ns: xs.iter().map(|&x| x + dropout.extra()).collect(),
            xs,
            x_weight,
            x_index,
            recency: data.recency().to_vec(),
            age: data.age().to_vec(),
            weight: data.weights().to_vec(),
            n_obs: data.n_customers(),
            ages: FrequencyGroups::new(data.age(), data.weights()),
            recencies: FrequencyGroups::new(data.recency(), data.weights()),
        }
    }
}

impl Objective for BgNbdObjective {
    fn n_params(&self) -> usize {
        4
    }

    fn n_obs(&self) -> f64 {
        self.n_obs
    }

    fn n_rows(&self) -> usize {
        self.weight.len()
    }

    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let Some(th) = params::<4>(theta, grad.as_deref()) else {
            return f64::NAN;
        };
        self.pass::<false>(th, grad, None)
    }

    fn log_likelihood_hessian(
        &self,
        theta: &[f64],
        grad: &mut [f64],
        hessian: &mut [f64],
    ) -> Option<f64> {
        match params::<4>(theta, Some(grad)) {
            Some(th) if hessian.len() == 16 => {
                Some(self.pass::<true>(th, Some(grad), Some(hessian)))
            }
            _ => Some(f64::NAN),
        }
    }

    fn hessian(&self, theta: &[f64]) -> Option<Vec<f64>> {
        self.hessian_at(theta)
    }
}

impl BgNbdObjective {
    /// The analytic Hessian of the total log-likelihood in `(r, α, a, b)`, in one pass over the
    /// rows: each row's by [`row_derivatives`], and per distinct `x` the trigamma differences
    /// of `ln Γ(r+x)/Γ(r)` and `ln B(a, b+n)/B(a, b)` ([`ln_beta_ratio_derivatives`]).
    fn hessian_at(&self, theta: &[f64]) -> Option<Vec<f64>> {
        let th = params::<4>(theta, None)?;
        let ln_odds = self.ln_odds(th[2], th[3]);
        let mut acc = sum_rows(self.x_index.len(), |lo, hi| {
            let mut h = [0.0; 10];
            for i in lo..hi {
                let xi = self.x_index[i] as usize;
                let (x, n, w) = (self.xs[xi], self.ns[xi], self.weight[i]);
                let times = (self.recency[i], self.age[i]);
                let (_, _, hi) = row_derivatives::<false, false>(th, n, x, times, ln_odds[xi]);
                for (v, e) in h.iter_mut().zip(hi) {
                    *v += w * e;
                }
            }
            h
        });
        self.add_per_x_hessian(th, &mut acc);
        let h = full_hessian(acc).to_vec();
        h.iter().all(|v| v.is_finite()).then_some(h)
    }

    /// Per distinct `x`: `ln a − ln(b+n−1)` (for the log-odds of death; `n` chances to drop
    /// out), 0 where `n = 0`.
    fn ln_odds(&self, a: f64, b: f64) -> Vec<f64> {
        self.ns
            .iter()
            .map(|&n| {
                if n > 0.0 {
                    (a / (b + n - 1.0)).ln()
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Adds to the rows' Hessian (upper triangle, as [`row_derivatives`]) the per-`x` parts:
    /// the trigamma differences of `ln Γ(r+x)/Γ(r)` and `ln B(a, b+n)/B(a, b)`.
    fn add_per_x_hessian(&self, [r, _, a, b]: [f64; 4], acc: &mut [f64; 10]) {
        for ((&x, &n), &wx) in self.xs.iter().zip(&self.ns).zip(&self.x_weight) {
            let (_, [aa, ab, bb]) = ln_beta_ratio_derivatives(a, b, n);
            acc[0] += wx * trigamma_difference(r, x);
            acc[7] += wx * aa;
            acc[8] += wx * ab;
            acc[9] += wx * bb;
        }
    }

    /// The log-likelihood at `θ = (r, α, a, b)`, with its gradient when `grad` is given and,
    /// with `HESS` (and `grad` given), its Hessian (row-major) in the same pass: each row's
    /// Hessian from the intermediate values of its likelihood ([`row_hessian`]), the per-`x`
    /// parts as [`BgNbdObjective::hessian_at`] adds them, so that the three equal those of
    /// [`Objective::log_likelihood`] and [`Objective::hessian`] to the bit.
    fn pass<const HESS: bool>(
        &self,
        [r, alpha, a, b]: [f64; 4],
        grad: Option<&mut [f64]>,
        hessian: Option<&mut [f64]>,
    ) -> f64 {
        let ln_odds = self.ln_odds(a, b);
        let want_grad = grad.is_some() || HESS;
        let th = [r, alpha, a, b];
        // Per distinct age: ln(1 + T/α) and ln(r/(α+T)); per distinct recency: ln(1 + t_x/α).
        let by_age = crate::parallel::map_rows(self.ages.values.len(), 4096, |j| {
            let t = self.ages.values[j];
            ((t / alpha).ln_1p(), ln_rate(r, alpha, t))
        });
        let by_recency = if want_grad {
            crate::parallel::map_rows(self.recencies.values.len(), 4096, |j| {
                (self.recencies.values[j] / alpha).ln_1p()
            })
        } else {
            Vec::new()
        };
        let acc = sum_rows(self.x_index.len(), |lo, hi| {
            let mut acc = [0.0; 5];
            let mut h = [0.0; 10];
            for i in lo..hi {
                let xi = self.x_index[i] as usize;
                let (x, n) = (self.xs[xi], self.ns[xi]);
                let w = self.weight[i];
                let t = self.age[i];
                let (lt, ln_rate) = by_age[self.ages.index[i] as usize];
                let base = base_of(r, x, ln_rate, lt);
                if n == 0.0 {
                    acc[0] += w * base;
                    if want_grad {
                        acc[1] -= w * lt;
                        acc[2] += w * r * t / (alpha * (alpha + t));
                    }
                    if HESS {
                        let hi = row_hessian(th, n, x, (0.0, t), 0.0, (0.0, 0.0));
                        for (v, e) in h.iter_mut().zip(hi) {
                            *v += w * e;
                        }
                    }
                    continue;
                }
                let t_x = self.recency[i];
                let l = ((t - t_x) / (alpha + t_x)).ln_1p();
                let lod = ln_odds[xi] + (r + x) * l;
                let (softplus_lod, pi1, pi2) = softplus_sigmoids(lod);
                acc[0] += w * (base + softplus_lod);
                if want_grad {
                    let lt_x = by_recency[self.recencies.index[i] as usize];
                    acc[1] -= w * (pi1 * lt + pi2 * lt_x);
                    acc[2] += w
                        * (pi1 * (r * t / alpha - x) / (alpha + t)
                            + pi2 * (r * t_x / alpha - x) / (alpha + t_x));
                    acc[3] += w * pi2;
                    acc[4] -= w * pi2 / (b + n - 1.0);
                }
                if HESS {
                    let hi = row_hessian(th, n, x, (t_x, t), l, (pi1, pi2));
                    for (v, e) in h.iter_mut().zip(hi) {
                        *v += w * e;
                    }
                }
            }
            let mut all = [0.0; 15];
            all[..5].copy_from_slice(&acc);
            all[5..].copy_from_slice(&h);
            all
        });
        let [ll_rows, g_r, g_alpha, g_pi2, g_b] = [acc[0], acc[1], acc[2], acc[3], acc[4]];
        // Per-x parts (Gamma- and Beta-function ratios), weighted by the total weight of each x.
        let mut ll = ll_rows;
        let per_x = || self.xs.iter().zip(&self.ns).zip(&self.x_weight);
        for ((&x, &n), &wx) in per_x() {
            ll += wx * (ln_gamma_ratio_scaled(r, x) + ln_beta_ratio(a, b, n));
        }
        if let Some(g) = grad {
            let (mut cr, mut ca, mut cb) = (0.0, 0.0, 0.0);
            for ((&x, &n), &wx) in per_x() {
                let dab = digamma_difference(a + b, n);
                cr += wx * digamma_difference(r, x);
                ca -= wx * dab;
                cb += wx * (digamma_difference(b, n) - dab);
            }
            g[0] = cr + g_r;
            g[1] = g_alpha;
            g[2] = ca + g_pi2 / a;
            g[3] = cb + g_b;
        }
        if let Some(out) = hessian.filter(|_| HESS) {
            let mut hs = [0.0; 10];
            hs.copy_from_slice(&acc[5..]);
            self.add_per_x_hessian(th, &mut hs);
            out.copy_from_slice(&full_hessian(hs));
        }
        ll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Log-uniform draws on `[lo, hi]` from a fixed linear congruential sequence (`seed`).
    fn log_uniform_source(seed: u64) -> impl FnMut(f64, f64) -> f64 {
        let mut state = seed;
        move |lo: f64, hi: f64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            (lo.ln() + (hi.ln() - lo.ln()) * u).exp()
        }
    }

    /// The power series of `g(τ)` for `τ < 1` (the customers' `E[Y(t) | alive]` where the Euler
    /// form cancels) agrees with the posterior integral wherever it is taken.
    #[test]
    fn power_form_agrees_with_the_posterior_integral() {
        let mut log_uniform = log_uniform_source(11);
        let (mut worst, mut used) = (0.0f64, 0);
        let c = Dual::<0>::constant;
        for _ in 0..3000 {
            let (r, a, b) = (
                log_uniform(1e-3, 1e3),
                log_uniform(1e-3, 1e3),
                log_uniform(1e-3, 2e4),
            );
            let x = [0.0, 0.0, 1.0, 3.0, 50.0, 1e3][(log_uniform(1.0, 6.999) as usize) - 1];
            let tau = log_uniform(1e-12, 0.999);
            let k = r + x;
            let Some(series) = power_form_dual(c(k), c(a), c(b + x), c(tau)) else {
                continue;
            };
            used += 1;
            let f = |p: f64, _q: f64| {
                if p * tau < 1e-200 {
                    k * tau
                } else {
                    -(-k * (p * tau).ln_1p()).exp_m1() / p
                }
            };
            let integral =
                beta_expectation(a, b + x, f, k * tau, &[1.0 / tau, 1.0 / (k * tau)]).unwrap();
            let e = (series.v - integral).abs() / integral;
            assert!(
                e < 1e-12,
                "r={r} a={a} b={b} x={x} tau={tau}: {} vs {integral}",
                series.v
            );
            worst = worst.max(e);
        }
        println!("{used} points, worst relative difference {worst:.3e}");
        assert!(used > 1000);
    }

    /// The two representations of `E[Y(t) | alive]` agree wherever the closed form is used.
    #[test]
    fn euler_form_agrees_with_the_posterior_integral() {
        let mut log_uniform = log_uniform_source(7);
        let (mut worst, mut used) = (0.0f64, 0);
        for _ in 0..4000 {
            let (r, a, b) = (
                log_uniform(1e-3, 1e3),
                log_uniform(1e-3, 1e3),
                log_uniform(1e-3, 2e4),
            );
            let x = [0.0, 1.0, 3.0, 50.0, 1e3, 1e4][(log_uniform(1.0, 6.999) as usize) - 1];
            let z = log_uniform(1e-6, 0.99);
            let Some(closed) = euler_form(r, a, b, x, z) else {
                continue;
            };
            used += 1;
            let (k, tau) = (r + x, z / (1.0 - z));
            let f = |p: f64, _q: f64| {
                if p * tau < 1e-200 {
                    k * tau
                } else {
                    -(-k * (p * tau).ln_1p()).exp_m1() / p
                }
            };
            let integral = beta_expectation(a, b + x, f, k * tau, &[1.0 / tau]).unwrap();
            let e = (closed - integral).abs() / integral;
            assert!(
                e < 1e-11,
                "r={r} a={a} b={b} x={x} z={z}: {closed} vs {integral}"
            );
            worst = worst.max(e);
        }
        println!("{used} points, worst relative difference {worst:.3e}");
        assert!(used > 1000);
    }
}
