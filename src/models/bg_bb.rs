//! The beta-geometric/beta-binomial (BG/BB) model of discrete-time noncontractual purchasing
//! (Fader, Hardie & Shang 2010, "Customer-base analysis in a discrete-time noncontractual
//! setting", *Marketing Science* 29(6):1086–1108).
//!
//! ## Assumptions
//! * Transactions can only happen at discrete *opportunities* `t = 1, 2, ...` (annual events,
//!   yearly donations, issues of a magazine), at most one per opportunity. Opportunity 0 is the
//!   first transaction, which starts the observation.
//! * At each opportunity a customer still alive first becomes inactive ("dies") with probability
//!   `θ`, for good; if still alive, transacts with probability `p`.
//! * Across customers `p ~ Beta(α, β)` and `θ ~ Beta(γ, δ)`, independently.
//!
//! A customer's history over `n` opportunities is `(x, t_x, n)`: `x` opportunities with a
//! transaction, the last of them at opportunity `t_x` (`0` when `x = 0`); so
//! `0 <= x <= t_x <= n` are whole numbers and `x = 0 ⇔ t_x = 0`. In [`RfmData`] it is a row
//! with frequency `x`, recency `t_x` and `T = n` (CSV columns `frequency,recency,n`).
//!
//! ## Likelihood (FHS 2010, eq. 5)
//! With `B` the Beta function and `Bₚ(u, v) = B(α+u, β+v)/B(α, β)`, `B_θ(u, v) = B(γ+u,
//! δ+v)/B(γ, δ)` (expectations of `pᵘ(1−p)ᵛ` and `θᵘ(1−θ)ᵛ`):
//! ```text
//! L(α, β, γ, δ | x, t_x, n) = Bₚ(x, n−x) B_θ(0, n)                           alive at n
//!                           + Σ_{i=0}^{n−t_x−1} Bₚ(x, t_x−x+i) B_θ(1, t_x+i)  died at t_x+i+1
//! ```
//! `ln L` is a log-sum-exp over these `n − t_x + 1` terms, each the log of rising-factorial
//! ratios ([`crate::special::ln_pochhammer_ratio`]: `Bₚ(u, v) = (α)ᵤ(β)ᵥ/(α+β)ᵤ₊ᵥ`), so no
//! `ln Γ` values are subtracted. The gradient is analytic: with `πⱼ` the share of term `j` in
//! `L`, `∂ ln L/∂α = Σⱼ πⱼ ∂cⱼ/∂α` with `∂ ln Bₚ(u, v)/∂α = ψ(α+u) − ψ(α) − ψ(α+β+u+v) + ψ(α+β)`
//! (and alike for `β`, `γ`, `δ`), each digamma difference evaluated without cancellation.
//!
//! ## Predictions
//! The posterior of a customer alive at `n` is `p ~ Beta(α+x, β+n−x)`, `θ ~ Beta(γ, δ+n)`. With
//! `S(m; γ, δ) = Σ_{s=1}^{m} (δ)ₛ/(γ+δ)ₛ = δ/(γ−1) · [1 − (1+δ)ₘ/(γ+δ)ₘ]` (the expected number
//! of the next `m` opportunities survived; `δ Σ_{s<m} 1/(δ+1+s)` at `γ = 1`):
//! ```text
//! P(alive at n+m | x, t_x, n) = Bₚ(x, n−x) B_θ(0, n+m) / L                 (m = 1: FHS eq. 11)
//! E[X(n)]                     = α/(α+β) · S(n; γ, δ)                        (FHS eq. 7)
//! P(X(n) = x)                 = C(n, x) Bₚ(x, n−x) B_θ(0, n)
//!                             + Σ_{i=x}^{n−1} C(i, x) Bₚ(x, i−x) B_θ(1, i)   (FHS eq. 6)
//! E[Y(n*) | x, t_x, n]        = P(alive at n | ·) · (α+x)/(α+β+n) · S(n*; γ, δ+n)  (FHS eq. 13)
//! DERT(d | x, t_x, n)         = P(alive at n | ·) · (α+x)/(α+β+n)
//!                               · Σ_{s≥1} (δ+n)ₛ/(γ+δ+n)ₛ (1+d)^−s                  (FHS eq. 14)
//! ```
//! A customer alive at `n` continues as a new customer with the posterior parameters
//! `(α+x, β+n−x, γ, δ+n)` (FHS eq. 16), so
//! ```text
//! P(Y(n*) = k | x, t_x, n)    = P(alive at n | ·) · P'(X(n*) = k) + 1{k=0} (1 − P(alive at n | ·))
//! ```
//! with `P'` eq. 6 at the posterior parameters and `1 − P(alive)` the dropout terms of `L`
//! over `L`; the path of `P(alive at m)` through a history (`m = 1..n`) adds one dropout term
//! to the likelihood per opportunity without a transaction.
//!
//! The products are those of the paper rearranged (its `δ/(γ−1)` and bracket have the same sign;
//! they are evaluated as one `expm1`). The DERT sum is
//! `(1+d)^−1 · (δ+n)/(γ+δ+n) · ₂F₁(1, δ+n+1; γ+δ+n+1; 1/(1+d))`, the paper's closed form, and
//! equals the sBG's discounted expected residual lifetime of a customer with churn probability
//! `Beta(γ, δ+n)` (see [`Sbg::discounted_expected_residual_lifetime`]) divided by `1+d`: it is
//! evaluated by that code. `d` is the discount rate per opportunity; transactions at opportunity
//! `n+s` are discounted by `(1+d)^−s`.
//!
//! ## Relation to `TransactionModel`
//! [`crate::TransactionModel`] measures time by a real number and its
//! [`probability_alive`](crate::TransactionModel::probability_alive) cannot fail; a BG/BB
//! history must be whole numbers with `x <= t_x`, which not every [`crate::Customer`] is. So the
//! BG/BB answers the same questions through its own methods, in opportunities (`u32`), every one
//! of which validates its history and returns an error for one that is not a BG/BB history.
//!
//! ## Domain and cost
//! Parameters lie in `[1e-300, 1e300]` ([`BgBb::MIN_PARAM`], [`BgBb::MAX_PARAM`]). The
//! likelihood and `P(X(n) = x)` sum `n − t_x + 1` (or `n − x + 1`) terms, so `n` is at most
//! [`BgBb::MAX_OPPORTUNITIES`]; the other predictions are closed forms.
//!
//! ```
//! use clv::BgBb;
//! // FHS 2010: the donations data (BTYD estimates, as printed in its vignette, which rounds
//! // them; so the vignette's E[X(10)] = 3.179805 and E[X(6, 16) | 4, 5, 6] = 3.627858 are met
//! // to about 1e-5)
//! let model = BgBb::new(1.203507, 0.7497667, 0.6567568, 2.783887)?;
//! assert!((model.expected_transactions(10)? - 3.179805).abs() < 5e-5);
//! assert!((model.conditional_expected_transactions(4, 5, 6, 10)? - 3.627858).abs() < 2e-4);
//! // FHS Table 6: P(alive in 2002) of a donor with all six annual donations
//! assert!((model.probability_alive_in(6, 6, 6, 1)? - 0.93).abs() < 0.005);
//! # Ok::<(), clv::Error>(())
//! ```

use std::fmt;

use ndarray::Array1;
use rand::Rng;
use rand_distr::{Beta, Distribution};

use super::sbg::check_shape;
use super::simulation::{MAX_SIMULATED_TRANSACTIONS, Simulate, Simulated, check_design, dist_err};
use super::transaction::{PredictiveTotal, count_interval, count_variance};
use crate::data::RfmData;
use crate::data::limits::show;
use crate::error::{Error, Result, check_positive};
use crate::fit::exactly;
use crate::fit::objective::params;
use crate::fit::{Estimable, FitOptions, Fitted, Objective};
use crate::models::{Model, Sbg};
use crate::numerics::beta_geometric::{expected_survivals, ln_beta_shift, ln_beta_shift_gradient};
use crate::numerics::finite_or;
use crate::parallel::{map_distinct, sum_rows};
use crate::special::ln_pochhammer_ratio;

/// The BG/BB model: per opportunity, dropout probability `θ ~ Beta(γ, δ)` and, while alive,
/// transaction probability `p ~ Beta(α, β)`.
///
/// ```
/// use clv::{BgBb, FitOptions, RfmData};
/// // (x, t_x, n) per donor over six annual opportunities
/// let data = RfmData::from_columns(
///     vec![0.0, 1.0, 3.0, 6.0, 2.0],
///     vec![0.0, 1.0, 5.0, 6.0, 6.0],
///     vec![6.0; 5],
///     None,
///     Some(vec![3464.0, 1091.0, 247.0, 1203.0, 163.0]),
/// )?;
/// let fitted = BgBb::fit(&data, &FitOptions::default())?;
/// let model = fitted.model();
/// let p = model.probability_alive(3, 5, 6)?;
/// assert!((0.0..=1.0).contains(&p));
/// println!("{model}");
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "BgBbParams"))]
pub struct BgBb {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

/// Unvalidated form used to deserialise (validated through [`BgBb::new`]).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct BgBbParams {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<BgBbParams> for BgBb {
    type Error = Error;
    fn try_from(p: BgBbParams) -> Result<Self> {
        BgBb::new(p.alpha, p.beta, p.gamma, p.delta)
    }
}

impl fmt::Display for BgBb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BG/BB: per opportunity, dropout with θ ~ Beta(γ = {}, δ = {}), then a transaction \
             with p ~ Beta(α = {}, β = {})",
            self.gamma, self.delta, self.alpha, self.beta
        )
    }
}

impl Model for BgBb {
    const NAME: &'static str = "bgbb";
    const PARAM_NAMES: &'static [&'static str] = &["alpha", "beta", "gamma", "delta"];

    fn params(&self) -> Vec<f64> {
        vec![self.alpha, self.beta, self.gamma, self.delta]
    }

    fn from_params(p: &[f64]) -> Result<Self> {
        let [alpha, beta, gamma, delta] = exactly::<4>(p, "BG/BB")?;
        BgBb::new(alpha, beta, gamma, delta)
    }
}

/// Checks a number of opportunities against [`BgBb::MAX_OPPORTUNITIES`].
fn check_opportunities(name: &'static str, n: u32) -> Result<f64> {
    if n > BgBb::MAX_OPPORTUNITIES {
        return Err(Error::param(
            name,
            f64::from(n),
            format!(
                "must be at most {} opportunities (the sums over dropout times grow with it)",
                BgBb::MAX_OPPORTUNITIES
            ),
        ));
    }
    Ok(f64::from(n))
}

/// A validated BG/BB history `(x, t_x, n)` as `f64`s.
#[derive(Debug, Clone, Copy)]
struct History {
    x: f64,
    t_x: f64,
    n: f64,
}

/// Checks one history `(x, t_x, n)`; `row` numbers it in the error. Whole numbers with
/// `0 <= x <= t_x <= n`, `x = 0 ⇔ t_x = 0`, `1 <= n <= MAX_OPPORTUNITIES`.
fn check_history(row: usize, x: f64, t_x: f64, n: f64) -> Result<History> {
    let whole = |v: f64| v.is_finite() && v >= 0.0 && v == v.trunc();
    for (field, v) in [("frequency", x), ("recency", t_x), ("n", n)] {
        if !whole(v) {
            return Err(Error::data(
                row,
                field,
                show(v),
                format!("{field} must be a whole number of opportunities >= 0 (BG/BB)"),
            ));
        }
    }
    if n < 1.0 || n > f64::from(BgBb::MAX_OPPORTUNITIES) {
        return Err(Error::data(
            row,
            "n",
            show(n),
            format!(
                "the number of opportunities n must lie in 1..={}",
                BgBb::MAX_OPPORTUNITIES
            ),
        ));
    }
    if t_x > n {
        return Err(Error::data(
            row,
            "recency",
            show(t_x),
            format!("recency must not exceed n = {}", show(n)),
        ));
    }
    if x > t_x {
        return Err(Error::data(
            row,
            "frequency",
            show(x),
            format!(
                "frequency must not exceed recency = {} (at most one transaction per \
                 opportunity)",
                show(t_x)
            ),
        ));
    }
    if (x == 0.0) != (t_x == 0.0) {
        return Err(Error::data(
            row,
            "recency",
            show(t_x),
            format!(
                "recency must be 0 exactly when frequency is 0 (frequency = {})",
                show(x)
            ),
        ));
    }
    Ok(History { x, t_x, n })
}

/// [`check_history`] for arguments of a method (row 1).
fn history(x: u32, t_x: u32, n: u32) -> Result<History> {
    check_history(1, f64::from(x), f64::from(t_x), f64::from(n))
}

/// The distinct histories of `data` (checked), the index of each row's history, and the
/// distinct rows with their weights.
fn distinct_histories(data: &RfmData) -> Result<(Vec<History>, Vec<usize>, RfmData)> {
    check_rows(data)?;
    let (distinct, index) = data.distinct_customers();
    let rows = distinct
        .customers()
        .map(|c| History {
            x: c.frequency(),
            t_x: c.recency(),
            n: c.age(),
        })
        .collect();
    Ok((rows, index, distinct))
}

/// Checks every row of `data` as a BG/BB history (rows numbered from 1).
fn check_rows(data: &RfmData) -> Result<()> {
    for (i, ((&x, &t_x), &n)) in data
        .frequency()
        .iter()
        .zip(data.recency())
        .zip(data.age())
        .enumerate()
    {
        check_history(i + 1, x, t_x, n)?;
    }
    Ok(())
}

/// A running log-sum-exp of terms `cⱼ` with their gradients `gⱼ`: `ln Σ e^cⱼ` and
/// `Σ πⱼ gⱼ` with `πⱼ = e^cⱼ / Σ e^cₖ`. The sum is kept as `e^max · (1 + rest)`, so that
/// `ln Σ = max + ln1p(rest)` keeps its absolute precision when the sum is close to 1.
struct LogSum {
    max: f64,
    rest: f64,
    grad: [f64; 4],
}

impl LogSum {
    fn new() -> Self {
        LogSum {
            max: f64::NEG_INFINITY,
            rest: -1.0,
            grad: [0.0; 4],
        }
    }

    fn add(&mut self, c: f64, g: Option<[f64; 4]>) {
        let w = if c > self.max {
            // the old sum 1 + rest, rescaled, joins the rest; the new term is the 1
            let r = (self.max - c).exp();
            self.rest = (1.0 + self.rest) * r;
            for v in &mut self.grad {
                *v *= r;
            }
            self.max = c;
            1.0
        } else {
            let w = (c - self.max).exp();
            self.rest += w;
            w
        };
        if let Some(g) = g {
            for (v, gi) in self.grad.iter_mut().zip(g) {
                *v += w * gi;
            }
        }
    }

    fn ln(&self) -> f64 {
        self.max + self.rest.ln_1p()
    }

    fn gradient(&self) -> [f64; 4] {
        self.grad.map(|v| v / (1.0 + self.rest))
    }
}

/// The log of one likelihood term `Bₚ(x, k) B_θ(e, m)` and, if asked, its gradient.
fn term(p: [f64; 4], x: f64, k: f64, e: f64, m: f64, grad: bool) -> (f64, Option<[f64; 4]>) {
    let [a, b, g, d] = p;
    let c = ln_beta_shift(a, b, x, k) + ln_beta_shift(g, d, e, m);
    let gr = grad.then(|| {
        let [ga, gb] = ln_beta_shift_gradient(a, b, x, k);
        let [gg, gd] = ln_beta_shift_gradient(g, d, e, m);
        [ga, gb, gg, gd]
    });
    (c, gr)
}

/// `ln L(x, t_x, n)` (the log-sum-exp of the alive term and the `n − t_x` dropout terms) and,
/// if asked, its gradient; also the log of the alive term.
fn row_likelihood(p: [f64; 4], h: History, grad: bool) -> (f64, f64, [f64; 4]) {
    let History { x, t_x, n } = h;
    let mut sum = LogSum::new();
    let (alive, g) = term(p, x, n - x, 0.0, n, grad);
    sum.add(alive, g);
    let mut i = 0.0;
    while t_x + i < n {
        let (c, g) = term(p, x, t_x - x + i, 1.0, t_x + i, grad);
        sum.add(c, g);
        i += 1.0;
    }
    (sum.ln(), alive, sum.gradient())
}

impl BgBb {
    /// Smallest accepted value of each parameter (that of the sBG, whose numerics it shares).
    pub const MIN_PARAM: f64 = Sbg::MIN_PARAM;
    /// Largest accepted value of each parameter.
    pub const MAX_PARAM: f64 = Sbg::MAX_PARAM;
    /// Most opportunities `n` of a history (and of `P(X(n) = x)`): their likelihood sums
    /// `n − t_x + 1` terms.
    pub const MAX_OPPORTUNITIES: u32 = 1_000_000;

    /// A BG/BB model with transaction probability `p ~ Beta(alpha, beta)` and dropout
    /// probability `θ ~ Beta(gamma, delta)`.
    ///
    /// ```
    /// assert!(clv::BgBb::new(1.2, 0.75, 0.66, 2.78).is_ok());
    /// assert!(clv::BgBb::new(1.2, 0.0, 0.66, 2.78).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless every parameter is finite and lies in
    /// `[BgBb::MIN_PARAM, BgBb::MAX_PARAM] = [1e-300, 1e300]`.
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self> {
        Ok(BgBb {
            alpha: check_shape("alpha", alpha)?,
            beta: check_shape("beta", beta)?,
            gamma: check_shape("gamma", gamma)?,
            delta: check_shape("delta", delta)?,
        })
    }

    /// First shape `α` of the Beta distribution of transaction probabilities.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Second shape `β` of the Beta distribution of transaction probabilities.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// First shape `γ` of the Beta distribution of dropout probabilities.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Second shape `δ` of the Beta distribution of dropout probabilities.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    fn p(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }

    /// Log-likelihood of one history `(x, t_x, n)` (FHS eq. 5).
    ///
    /// ```
    /// let model = clv::BgBb::new(1.0, 1.0, 1.0, 1.0)?;
    /// // n = 1, no transaction: 1 − P(alive and transacting) = 1 − ½·½
    /// assert!((model.log_likelihood(0, 0, 1)? - 0.75f64.ln()).abs() < 1e-15);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidData`] (row 1, naming the field) unless `x <= t_x <= n`, `x = 0 ⇔ t_x =
    /// 0` and `1 <= n <= BgBb::MAX_OPPORTUNITIES`.
    pub fn log_likelihood(&self, x: u32, t_x: u32, n: u32) -> Result<f64> {
        let h = history(x, t_x, n)?;
        Ok(row_likelihood(self.p(), h, false).0)
    }

    /// Gradient of [`BgBb::log_likelihood`] with respect to `(α, β, γ, δ)`.
    ///
    /// # Errors
    /// As [`BgBb::log_likelihood`].
    pub fn log_likelihood_gradient(&self, x: u32, t_x: u32, n: u32) -> Result<[f64; 4]> {
        let h = history(x, t_x, n)?;
        Ok(row_likelihood(self.p(), h, true).2)
    }

    /// Weighted total log-likelihood of `data` (rows `(x, t_x, T = n)`).
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the row and field for a row that is not a BG/BB history.
    pub fn total_log_likelihood(&self, data: &RfmData) -> Result<f64> {
        let rows = BgBb::prepare(data)?;
        Ok(BgBbObjective::new(&rows).log_likelihood(&self.params(), None))
    }

    /// `ln P(alive at n | x, t_x, n)` (the alive term over the likelihood).
    fn ln_alive(&self, h: History) -> f64 {
        let (ll, alive, _) = row_likelihood(self.p(), h, false);
        (alive - ll).min(0.0)
    }

    /// Probability that a customer with history `(x, t_x, n)` is alive at opportunity `n`, the
    /// last one observed (1 when `t_x = n`):
    /// `Bₚ(x, n−x) B_θ(0, n) / L(x, t_x, n)`.
    ///
    /// ```
    /// let model = clv::BgBb::new(1.2, 0.75, 0.66, 2.78)?;
    /// assert_eq!(model.probability_alive(6, 6, 6)?, 1.0);
    /// assert!(model.probability_alive(1, 1, 6)? < model.probability_alive(1, 5, 6)?);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`BgBb::log_likelihood`].
    pub fn probability_alive(&self, x: u32, t_x: u32, n: u32) -> Result<f64> {
        self.probability_alive_in(x, t_x, n, 0)
    }

    /// Probability that a customer with history `(x, t_x, n)` is alive at opportunity `n + m`
    /// (before its transaction decision): `Bₚ(x, n−x) B_θ(0, n+m) / L`. Fader, Hardie & Shang's
    /// "P(alive in period n+1)" is `m = 1`.
    ///
    /// ```
    /// // FHS 2010, Table 6: P(alive in 2002) of a donor with no repeat donation in 1996–2001
    /// let model = clv::BgBb::new(1.204, 0.750, 0.657, 2.783)?;
    /// assert!((model.probability_alive_in(0, 0, 6, 1)? - 0.11).abs() < 0.005);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`BgBb::log_likelihood`].
    pub fn probability_alive_in(&self, x: u32, t_x: u32, n: u32, m: u32) -> Result<f64> {
        let h = history(x, t_x, n)?;
        let survive = ln_pochhammer_ratio(self.delta + h.n, self.gamma, f64::from(m));
        Ok((self.ln_alive(h) + survive).exp().min(1.0))
    }

    /// `ln(1 − P(alive at n | x, t_x, n))`: the dropout terms over the likelihood (−∞ when
    /// `t_x = n`), with its digits when it is small.
    fn ln_dead(&self, h: History) -> f64 {
        let p = self.p();
        let mut dropped = LogSum::new();
        let mut i = 0.0;
        while h.t_x + i < h.n {
            dropped.add(term(p, h.x, h.t_x - h.x + i, 1.0, h.t_x + i, false).0, None);
            i += 1.0;
        }
        let (ll, _, _) = row_likelihood(p, h, false);
        (dropped.ln() - ll).min(0.0)
    }

    /// Probability that a customer with history `(x, t_x, n)` transacts at exactly `k` of the
    /// next `n_star` opportunities (`n+1..=n+n*`), `P(Y(n*) = k | x, t_x, n)` (FHS 2010, eq. 16):
    /// `P(alive at n)` times `P(X(n*) = k)` of a new customer with the posterior parameters
    /// `(α+x, β+n−x, γ, δ+n)`, plus `1 − P(alive at n)` at `k = 0`. Sums `n* − k + 1` terms.
    ///
    /// ```
    /// let model = clv::BgBb::new(1.204, 0.750, 0.657, 2.783)?;
    /// let total: f64 = (0..=5)
    ///     .map(|k| model.conditional_probability_of_transactions(3, 5, 6, k, 5).unwrap())
    ///     .sum();
    /// assert!((total - 1.0).abs() < 1e-14);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`BgBb::log_likelihood`]; [`Error::InvalidParameter`] for
    /// `n_star > BgBb::MAX_OPPORTUNITIES`.
    pub fn conditional_probability_of_transactions(
        &self,
        x: u32,
        t_x: u32,
        n: u32,
        k: u32,
        n_star: u32,
    ) -> Result<f64> {
        let h = history(x, t_x, n)?;
        check_opportunities("n_star", n_star)?;
        self.conditional_pmf(h, k, n_star)
    }

    fn conditional_pmf(&self, h: History, k: u32, n_star: u32) -> Result<f64> {
        let posterior = BgBb {
            alpha: self.alpha + h.x,
            beta: self.beta + (h.n - h.x),
            gamma: self.gamma,
            delta: self.delta + h.n,
        };
        let alive = self.ln_alive(h).exp() * posterior.probability_of_transactions(k, n_star)?;
        let dead = if k == 0 { self.ln_dead(h).exp() } else { 0.0 };
        Ok((alive + dead).clamp(0.0, 1.0))
    }

    /// The probabilities of `k = 0..=max_k` transactions over the next `n*` opportunities for
    /// each `n*` in `horizons` of a customer with history `(x, t_x, n)`: entry `[i, k]` is
    /// [`BgBb::conditional_probability_of_transactions`] at `k` and `horizons[i]` (rows:
    /// horizons; columns: counts).
    ///
    /// ```
    /// let model = clv::BgBb::new(1.204, 0.750, 0.657, 2.783)?;
    /// let table = model.conditional_probability_of_transactions_table(3, 5, 6, 2, &[1, 5])?;
    /// assert_eq!(table.dim(), (2, 3));
    /// assert_eq!(table[[0, 2]], 0.0); // at most one transaction per opportunity
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`BgBb::conditional_probability_of_transactions`]; [`Error::InvalidInput`] for a
    /// table of more than 10⁷ cells.
    pub fn conditional_probability_of_transactions_table(
        &self,
        x: u32,
        t_x: u32,
        n: u32,
        max_k: u32,
        horizons: &[u32],
    ) -> Result<ndarray::Array2<f64>> {
        let h = history(x, t_x, n)?;
        for &n_star in horizons {
            check_opportunities("n_star", n_star)?;
        }
        let times: Vec<f64> = horizons.iter().map(|&m| f64::from(m)).collect();
        super::transaction::probability_table(max_k, &times, |k, m| {
            // `m` is one of the whole numbers of `horizons`.
            self.conditional_pmf(h, k, m as u32)
        })
    }

    /// The path of `P(alive)` of one customer through their history (lifetimes'
    /// `calculate_alive_path`, in opportunities): `transactions` are the opportunities with a
    /// transaction (strictly increasing, in `1..=n`); entry `m − 1` is `P(alive at m)` given the
    /// history seen at opportunity `m`, i.e. [`BgBb::probability_alive`] of `(x_m, t_x,m, m)`,
    /// for `m = 1..=n`. Linear in `n` (each step adds one dropout term to the likelihood).
    ///
    /// ```
    /// let model = clv::BgBb::new(1.204, 0.750, 0.657, 2.783)?;
    /// let path = model.probability_alive_path(&[1, 2], 6)?;
    /// assert_eq!(&path[..2], &[1.0, 1.0]); // alive at a transaction
    /// assert!(path[2] < 1.0 && path[5] < path[2]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `transactions` is not strictly increasing within `1..=n`;
    /// [`Error::InvalidParameter`] for `n = 0` or `n > BgBb::MAX_OPPORTUNITIES`.
    pub fn probability_alive_path(&self, transactions: &[u32], n: u32) -> Result<Vec<f64>> {
        check_opportunities("n", n)?;
        if n == 0 {
            return Err(Error::param(
                "n",
                0.0,
                "the path needs at least one opportunity",
            ));
        }
        for (i, &o) in transactions.iter().enumerate() {
            if o == 0 || o > n || (i > 0 && o <= transactions[i - 1]) {
                return Err(Error::InvalidInput(format!(
                    "transactions[{i}] = {o}: the opportunities with a transaction must be \
                     strictly increasing within 1..={n}"
                )));
            }
        }
        let p = self.p();
        let (mut x, mut t_x) = (0.0, 0.0);
        let mut next = transactions.iter().peekable();
        // The dropout terms of the likelihood of the history seen so far (they depend on
        // (x, t_x) and the dropout time only, so each step adds one).
        let mut dropped = LogSum::new();
        let mut path = Vec::with_capacity(n as usize);
        for m in 1..=n {
            let mf = f64::from(m);
            if next.peek() == Some(&&m) {
                next.next();
                x += 1.0;
                t_x = mf;
                dropped = LogSum::new();
            } else {
                // Died at opportunity m (after surviving to m − 1 since t_x).
                let i = mf - 1.0 - t_x;
                dropped.add(term(p, x, t_x - x + i, 1.0, t_x + i, false).0, None);
            }
            let alive = term(p, x, mf - x, 0.0, mf, false).0;
            let ln_alive = -crate::numerics::special::softplus(dropped.ln() - alive);
            path.push(ln_alive.exp().min(1.0));
        }
        Ok(path)
    }

    /// Expected number of transactions of a new customer over its first `n` opportunities,
    /// `E[X(n)] = α/(α+β) · δ/(γ−1) · [1 − (1+δ)ₙ/(γ+δ)ₙ]` (FHS eq. 7).
    ///
    /// ```
    /// // BTYD vignette: E[X(10)] = 3.179805 at the donations estimates (printed rounded)
    /// let model = clv::BgBb::new(1.203507, 0.7497667, 0.6567568, 2.783887)?;
    /// assert!((model.expected_transactions(10)? - 3.179805).abs() < 5e-5);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Numerical`] if the value is not finite (not met for parameters in the domain).
    pub fn expected_transactions(&self, n: u32) -> Result<f64> {
        let p = 1.0 / (1.0 + self.beta / self.alpha);
        let v = p * expected_survivals(self.gamma, self.delta, f64::from(n));
        finite_or(v.clamp(0.0, f64::from(n)), |v| {
            format!("E[X({n})] is not finite ({v})")
        })
    }

    /// Probability that a new customer transacts at exactly `x` of its first `n` opportunities,
    /// `P(X(n) = x)` (FHS eq. 6; 0 for `x > n`). Sums `n − x + 1` terms.
    ///
    /// ```
    /// let model = clv::BgBb::new(1.2, 0.75, 0.66, 2.78)?;
    /// let total: f64 = (0..=6).map(|x| model.probability_of_transactions(x, 6).unwrap()).sum();
    /// assert!((total - 1.0).abs() < 1e-14);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n > BgBb::MAX_OPPORTUNITIES`.
    pub fn probability_of_transactions(&self, x: u32, n: u32) -> Result<f64> {
        let nf = check_opportunities("n", n)?;
        if x > n {
            return Ok(0.0);
        }
        let xf = f64::from(x);
        let p = self.p();
        // ln C(i, x) = −ln[(1)ₓ / (1+i−x)ₓ]
        let ln_choose = |i: f64| -ln_pochhammer_ratio(1.0, i - xf, xf);
        let mut sum = LogSum::new();
        sum.add(ln_choose(nf) + term(p, xf, nf - xf, 0.0, nf, false).0, None);
        for i in x..n {
            let i = f64::from(i);
            sum.add(ln_choose(i) + term(p, xf, i - xf, 1.0, i, false).0, None);
        }
        Ok(sum.ln().exp().min(1.0))
    }

    /// Expected number of transactions over the next `n_star` opportunities (`n+1..=n+n*`) of a
    /// customer with history `(x, t_x, n)`, `E[Y(n*) | x, t_x, n]` (FHS eq. 13).
    ///
    /// ```
    /// // BTYD vignette: E[X(6, 16) | 0, 0, 6] = 0.1302169 at the donations estimates (printed
    /// // rounded)
    /// let model = clv::BgBb::new(1.203507, 0.7497667, 0.6567568, 2.783887)?;
    /// assert!((model.conditional_expected_transactions(0, 0, 6, 10)? - 0.1302169).abs() < 5e-5);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`BgBb::log_likelihood`].
    pub fn conditional_expected_transactions(
        &self,
        x: u32,
        t_x: u32,
        n: u32,
        n_star: u32,
    ) -> Result<f64> {
        let h = history(x, t_x, n)?;
        self.conditional(h, n_star)
    }

    fn conditional(&self, h: History, n_star: u32) -> Result<f64> {
        let p = (self.alpha + h.x) / (self.alpha + self.beta + h.n);
        let s = expected_survivals(self.gamma, self.delta + h.n, f64::from(n_star));
        let v = self.given_alive(h, p * s);
        finite_or(v.clamp(0.0, f64::from(n_star)), |v| {
            format!("E[Y({n_star})] is not finite ({v})")
        })
    }

    /// Discounted expected residual transactions of a customer with history `(x, t_x, n)`,
    /// `DERT(d) = Σ_{s≥1} E[transaction at n+s | x, t_x, n] (1+d)^−s` with `d` the discount rate
    /// per opportunity (FHS eq. 14):
    /// `P(alive at n) · (α+x)/(α+β+n) · (δ+n)/(γ+δ+n) · ₂F₁(1, δ+n+1; γ+δ+n+1; 1/(1+d)) / (1+d)`.
    ///
    /// ```
    /// let model = clv::BgBb::new(1.203507, 0.7497667, 0.6567568, 2.783887)?;
    /// let dert = model.discounted_expected_residual_transactions(6, 6, 6, 0.1)?;
    /// assert!((dert - 5.909805).abs() < 1e-6);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`BgBb::log_likelihood`]; [`Error::InvalidParameter`] unless `d` is finite and > 0;
    /// [`Error::Numerical`] where the discounted sum is not evaluated (see
    /// [`Sbg::discounted_expected_residual_lifetime`]: `d` below about `1e-4` with a small `γ`).
    pub fn discounted_expected_residual_transactions(
        &self,
        x: u32,
        t_x: u32,
        n: u32,
        d: f64,
    ) -> Result<f64> {
        let h = history(x, t_x, n)?;
        self.dert(h, d)
    }

    /// `P(alive at n) · v` as one exponential of summed logarithms: rounded once, also where
    /// `P(alive)` itself is subnormal (and a product of it would carry its rounding).
    fn given_alive(&self, h: History, v: f64) -> f64 {
        (self.ln_alive(h) + v.ln()).exp()
    }

    fn dert(&self, h: History, d: f64) -> Result<f64> {
        check_positive("d", d)?;
        let p = (self.alpha + h.x) / (self.alpha + self.beta + h.n);
        let survivals = Sbg::new(self.gamma, self.delta + h.n)?
            .discounted_expected_residual_lifetime(d, 0)?
            / (1.0 + d);
        finite_or(self.given_alive(h, p * survivals), |v| {
            format!("DERT is not finite ({v})")
        })
    }

    /// `f` for every row of `data` (rows `(x, t_x, T = n)`), computed once per distinct row and
    /// across the machine's cores.
    fn per_row(
        &self,
        data: &RfmData,
        f: impl Fn(History) -> Result<f64> + Sync,
    ) -> Result<Array1<f64>> {
        let (rows, index, _) = distinct_histories(data)?;
        map_distinct(rows.len(), &index, 16, |i| f(rows[i])).map(Array1::from)
    }

    /// [`BgBb::probability_alive`] for every row of `data` (rows `(x, t_x, T = n)`).
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the row and field for a row that is not a BG/BB history.
    pub fn probability_alive_batch(&self, data: &RfmData) -> Result<Array1<f64>> {
        self.per_row(data, |h| Ok(self.ln_alive(h).exp().min(1.0)))
    }

    /// [`BgBb::conditional_expected_transactions`] over `n_star` opportunities for every row of
    /// `data` (rows `(x, t_x, T = n)`).
    ///
    /// # Errors
    /// As [`BgBb::probability_alive_batch`].
    pub fn conditional_expected_transactions_batch(
        &self,
        data: &RfmData,
        n_star: u32,
    ) -> Result<Array1<f64>> {
        self.per_row(data, |h| self.conditional(h, n_star))
    }

    /// [`BgBb::discounted_expected_residual_transactions`] for every row of `data` (rows
    /// `(x, t_x, T = n)`).
    ///
    /// # Errors
    /// As [`BgBb::probability_alive_batch`] and
    /// [`BgBb::discounted_expected_residual_transactions`].
    pub fn discounted_expected_residual_transactions_batch(
        &self,
        data: &RfmData,
        d: f64,
    ) -> Result<Array1<f64>> {
        check_positive("d", d)?;
        self.per_row(data, |h| self.dert(h, d))
    }

    /// The equal-tailed predictive interval, in opportunities, of the number of transactions
    /// over the next `n_star` opportunities of a customer with history `(x, t_x, n)`:
    /// `(q(a), q(1 − a))`, `a = (1 − level)/2`, from
    /// [`BgBb::conditional_probability_of_transactions`] (as
    /// [`crate::TransactionModel::predictive_interval`] for the continuous-time models).
    ///
    /// ```
    /// let model = clv::BgBb::new(1.204, 0.750, 0.657, 2.783)?;
    /// let (lower, upper) = model.predictive_interval(3, 5, 6, 5, 0.9)?;
    /// assert!(lower <= upper && upper <= 5);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`BgBb::conditional_probability_of_transactions`]; [`Error::InvalidParameter`] for a
    /// `level` outside `(0, 1)`.
    pub fn predictive_interval(
        &self,
        x: u32,
        t_x: u32,
        n: u32,
        n_star: u32,
        level: f64,
    ) -> Result<(u32, u32)> {
        let h = history(x, t_x, n)?;
        check_opportunities("n_star", n_star)?;
        count_interval(level, |k| self.conditional_pmf(h, k, n_star))
    }

    /// [`BgBb::predictive_interval`] for every row of `data` (rows `(x, t_x, T = n)`), as
    /// `(lower, upper)` in row order.
    ///
    /// # Errors
    /// As [`BgBb::probability_alive_batch`] and [`BgBb::predictive_interval`].
    pub fn predictive_interval_batch(
        &self,
        data: &RfmData,
        n_star: u32,
        level: f64,
    ) -> Result<Vec<(u32, u32)>> {
        check_opportunities("n_star", n_star)?;
        let (rows, index, _) = distinct_histories(data)?;
        map_distinct(rows.len(), &index, 16, |i| {
            count_interval(level, |k| self.conditional_pmf(rows[i], k, n_star))
        })
    }

    /// The predictive distribution of the total number of transactions over the next `n_star`
    /// opportunities of all the customers of `data` (rows `(x, t_x, T = n)`, each weighing
    /// [`RfmData::weights`] customers): exact mean and variance (from each customer's
    /// conditional PMF, which ends at `n_star`), and the normal interval at `level` rounded
    /// outward, as [`crate::TransactionModel::predictive_total`].
    ///
    /// ```
    /// use clv::RfmData;
    /// let model = clv::BgBb::new(1.204, 0.750, 0.657, 2.783)?;
    /// let data = RfmData::from_columns(vec![3.0, 0.0], vec![5.0, 0.0], vec![6.0, 6.0], None, Some(vec![100.0, 200.0]))?;
    /// let total = model.predictive_total(&data, 5, 0.9)?;
    /// let expected: f64 = model.conditional_expected_transactions_batch(&data, 5)?.iter()
    ///     .zip(data.weights()).map(|(e, w)| e * w).sum();
    /// assert!((total.mean - expected).abs() < 1e-9 * expected);
    /// assert!(total.lower <= total.mean && total.mean <= total.upper);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`BgBb::predictive_interval_batch`].
    pub fn predictive_total(
        &self,
        data: &RfmData,
        n_star: u32,
        level: f64,
    ) -> Result<PredictiveTotal> {
        check_opportunities("n_star", n_star)?;
        let (rows, _, distinct) = distinct_histories(data)?;
        PredictiveTotal::over_rows(distinct.weights(), level, |i| {
            let h = rows[i];
            let mean = self.conditional(h, n_star)?;
            let variance = count_variance(mean, |k| {
                if k > n_star {
                    Ok(0.0)
                } else {
                    self.conditional_pmf(h, k, n_star)
                }
            })?;
            Ok((mean, variance))
        })
    }

    /// Fits the model by maximum likelihood to histories `(x, t_x, T = n)` (identical rows are
    /// merged first: data with few opportunities have few distinct histories).
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the row and field for a row that is not a BG/BB history
    /// (see [`BgBb::log_likelihood`]); [`Error::InvalidInput`] for data whose likelihood has no
    /// maximum (no transaction at all, or a transaction at every opportunity of every
    /// customer); otherwise as [`crate::fit::fit`].
    pub fn fit(data: &RfmData, options: &FitOptions) -> Result<Fitted<BgBb>> {
        crate::fit::fit(data, options)
    }
}

/// Per customer: `p ~ Beta(α, β)`, `θ ~ Beta(γ, δ)`; at each opportunity `1..=n` the customer
/// drops out with probability `θ` (and stops), else transacts with probability `p`. The design
/// is the number of opportunities `n` of each customer; the output their histories
/// `(x, t_x, T = n)` and whether each is still alive at `n`, in the order given.
impl Simulate for BgBb {
    type Design = [u32];
    type Output = Simulated;

    fn simulate<R: Rng + ?Sized>(&self, design: &[u32], rng: &mut R) -> Result<Simulated> {
        check_design(design.len())?;
        let mut total = 0u64;
        for (i, &n) in design.iter().enumerate() {
            if n == 0 || n > BgBb::MAX_OPPORTUNITIES {
                return Err(Error::data(
                    i + 1,
                    "n",
                    n,
                    format!(
                        "the number of opportunities must lie in 1..={}",
                        BgBb::MAX_OPPORTUNITIES
                    ),
                ));
            }
            total += u64::from(n);
        }
        if total > MAX_SIMULATED_TRANSACTIONS {
            return Err(Error::InvalidInput(format!(
                "the simulation would draw {total} opportunities, more than \
                 {MAX_SIMULATED_TRANSACTIONS}; simulate fewer customers or opportunities"
            )));
        }
        let purchase = Beta::new(self.alpha, self.beta).map_err(dist_err)?;
        let dropout = Beta::new(self.gamma, self.delta).map_err(dist_err)?;
        let (mut xs, mut txs, mut ns, mut alive) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &n in design {
            let p: f64 = purchase.sample(rng);
            let theta: f64 = dropout.sample(rng);
            let (mut x, mut t_x, mut is_alive) = (0u32, 0u32, true);
            for t in 1..=n {
                if rng.random::<f64>() < theta {
                    is_alive = false;
                    break;
                }
                if rng.random::<f64>() < p {
                    x += 1;
                    t_x = t;
                }
            }
            xs.push(f64::from(x));
            txs.push(f64::from(t_x));
            ns.push(f64::from(n));
            alive.push(is_alive);
        }
        let data = RfmData::new(xs, txs, ns)?;
        Ok(Simulated { data, alive })
    }
}

impl Estimable for BgBb {
    type Data = RfmData;
    type Rows = RfmData;

    /// Checks every row as a BG/BB history (whole numbers, `x <= t_x <= n`, `x = 0 ⇔ t_x = 0`,
    /// `n <= MAX_OPPORTUNITIES`; errors name the row and field) and merges identical rows.
    ///
    /// Refuses data without a maximum of the likelihood: no transaction at all (the likelihood
    /// rises to 1 as `α → 0`), or a transaction at every opportunity of every customer (as
    /// `β → 0` and `δ → ∞`).
    fn prepare(data: &RfmData) -> Result<RfmData> {
        check_rows(data)?;
        let rows = data.distinct_customers().0;
        let freq = rows.frequency();
        if freq.iter().all(|&x| x == 0.0) {
            return Err(Error::InvalidInput(
                "no customer transacted (field `frequency` is 0 in every row): the BG/BB \
                 likelihood then rises toward 1 as α → 0 and has no maximum"
                    .into(),
            ));
        }
        if freq.iter().zip(rows.age()).all(|(x, n)| x == n) {
            return Err(Error::InvalidInput(
                "every customer transacted at every opportunity (field `frequency` equals `n` \
                 in every row): the BG/BB likelihood then rises toward 1 as β → 0 and δ → ∞ \
                 and has no maximum"
                    .into(),
            ));
        }
        Ok(rows)
    }

    /// `α/(α+β)` matched to the share of opportunities with a transaction, at a few scales and
    /// dropout distributions.
    fn starts(rows: &RfmData, _lower: &[f64]) -> Vec<Vec<f64>> {
        let p = super::purchase_rate(rows).clamp(0.02, 0.98);
        let mut starts = vec![vec![1.0, 1.0, 1.0, 1.0]];
        for (s, g, d) in [
            (2.0, 1.0, 3.0),
            (1.0, 0.5, 2.0),
            (5.0, 2.0, 10.0),
            (0.5, 0.3, 0.5),
        ] {
            starts.push(vec![p * s, (1.0 - p) * s, g, d]);
        }
        starts
    }

    fn objective(rows: &RfmData) -> Box<dyn Objective> {
        Box::new(BgBbObjective::new(rows))
    }
}

/// The BG/BB likelihood over compressed histories.
struct BgBbObjective {
    rows: Vec<History>,
    weight: Vec<f64>,
    n_obs: f64,
}

impl BgBbObjective {
    fn new(data: &RfmData) -> Self {
        BgBbObjective {
            rows: data
                .customers()
                .map(|c| History {
                    x: c.frequency(),
                    t_x: c.recency(),
                    n: c.age(),
                })
                .collect(),
            weight: data.weights().to_vec(),
            n_obs: data.n_customers(),
        }
    }
}

impl Objective for BgBbObjective {
    fn n_params(&self) -> usize {
        4
    }

    fn n_obs(&self) -> f64 {
        self.n_obs
    }

    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let Some(p) = params::<4>(theta, grad.as_deref()) else {
            return f64::NAN;
        };
        let domain = BgBb::MIN_PARAM..=BgBb::MAX_PARAM;
        if !p.iter().all(|v| domain.contains(v)) {
            // Outside the model's domain (the optimiser may probe there): infeasible.
            return f64::NEG_INFINITY;
        }
        let want_grad = grad.is_some();
        let acc = sum_rows(self.rows.len(), |lo, hi| {
            let mut acc = [0.0; 5];
            for (h, w) in self.rows[lo..hi].iter().zip(&self.weight[lo..hi]) {
                let (ll, _, g) = row_likelihood(p, *h, want_grad);
                acc[0] += w * ll;
                if want_grad {
                    for (a, gi) in acc[1..].iter_mut().zip(g) {
                        *a += w * gi;
                    }
                }
            }
            acc
        });
        if let Some(g) = grad {
            g.copy_from_slice(&acc[1..]);
        }
        acc[0]
    }
}
