//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
//! alternative to the Pareto/NBD model", *Marketing Science* 24(2):275–284).
//!
//! ## Assumptions
//! * While alive, a customer buys according to a Poisson process with rate `λ`;
//!   `λ ~ Gamma(r, α)` (shape `r`, rate `α`) across customers.
//! * After each *repeat* purchase the customer dies (becomes inactive for good) with
//!   probability `p`; `p ~ Beta(a, b)` across customers, independent of `λ`.
//!
//! ## Likelihood
//! For a customer with `x` repeat purchases, the last at `t_x`, observed for `T` (FHL eq. 6):
//!
//! ```text
//! L = B(a, b+x)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+T)^(r+x))
//!   + 1{x>0} · B(a+1, b+x−1)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+t_x)^(r+x))
//! ```
//!
//! evaluated in log space as `A1 + A2 + logaddexp(A3, A4)` with
//! `A1 = lnΓ(r+x) − lnΓ(r) + r ln α`, `A2 = ln B(a, b+x) − ln B(a, b)`,
//! `A3 = −(r+x) ln(α+T)` and `A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x)`; no power is ever formed,
//! which removes the overflow of Hardie's note 027.
//!
//! ## Predictions
//! * `E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))ʳ ₂F₁(r, b; a+b−1; t/(α+t))]` (FHL eq. 9);
//! * `P(X(t) = n)` (FHL eq. 8), its second term as a regularised incomplete beta function;
//! * `P(alive | x, t_x, T) = 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))` (Hardie note 021),
//!   as a logistic function of the log-odds;
//! * `E[Y(t) | x, t_x, T]` (FHL eq. 10), using the Euler-transformed hypergeometric function so
//!   the series parameters do not grow with `x`:
//!   `(a+b+x−1)/(a−1) · [1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)] · P(alive)` with
//!   `z = t/(α+T+t)`. `E[X(t)]` is the case `x = 0, T = 0`. Where the series is unsuitable
//!   (`a+b+x−1 ≤ 0`, `z` near 1), the same expectation is integrated numerically over the
//!   posterior `p ~ Beta(a, b+x)`: `E[Y(t) | alive] = E_p[(1 − (1 + p t/(α+T))^−(r+x)) / p]`.
//!
//! Time is in the unit of the data (days, weeks, ...): `α` is in that unit.

use std::fmt;

use statrs::function::beta::checked_beta_reg;
use statrs::function::gamma::{digamma, ln_gamma};

use crate::data::{Customer, RfmData};
use crate::error::{Error, Result, check_non_negative, check_positive};
use crate::fitted::Fitted;
use crate::models::{Model, TransactionModel};
use crate::optimize::{FitOptions, Objective, maximize};
use crate::parallel::sum_rows;
use crate::quadrature::integrate;
use crate::special::{hyp2f1_minus_one, log_add_exp, upper_gamma_scaled};

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
    const PARAM_NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];

    fn params(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.a, self.b]
    }

    fn from_params(p: &[f64]) -> Result<Self> {
        match p {
            [r, alpha, a, b] => BgNbd::new(*r, *alpha, *a, *b),
            _ => Err(Error::InvalidInput(format!(
                "BG/NBD has 4 parameters, got {}",
                p.len()
            ))),
        }
    }
}

/// Parts of the per-customer log-likelihood: `A1 + A2`, `A3`, `A4` (−∞ when `x = 0`).
struct Terms {
    a12: f64,
    a3: f64,
    a4: f64,
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

    fn terms(&self, x: f64, t_x: f64, t: f64) -> Terms {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let a12 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_gamma(b + x) - ln_gamma(b)
            + ln_gamma(a + b)
            - ln_gamma(a + b + x);
        let a3 = -(r + x) * (alpha + t).ln();
        let a4 = if x > 0.0 {
            a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + t_x).ln()
        } else {
            f64::NEG_INFINITY
        };
        Terms { a12, a3, a4 }
    }

    /// Log-likelihood of one customer's history `(x, t_x, T)` (FHL eq. 6, in log space).
    pub fn log_likelihood(&self, customer: &Customer) -> f64 {
        let Terms { a12, a3, a4 } =
            self.terms(customer.frequency(), customer.recency(), customer.age());
        a12 + log_add_exp(a3, a4)
    }

    /// Gradient of [`BgNbd::log_likelihood`] with respect to `(r, α, a, b)`.
    pub fn log_likelihood_gradient(&self, customer: &Customer) -> [f64; 4] {
        let (x, t_x, t) = (customer.frequency(), customer.recency(), customer.age());
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let Terms { a3, a4, .. } = self.terms(x, t_x, t);
        let pi2 = if x > 0.0 { sigmoid(a4 - a3) } else { 0.0 };
        let pi1 = 1.0 - pi2;
        let (lt, ltx) = ((alpha + t).ln(), (alpha + t_x).ln());
        let bx1 = if x > 0.0 { pi2 / (b + x - 1.0) } else { 0.0 };
        [
            digamma(r + x) - digamma(r) + alpha.ln() - pi1 * lt - pi2 * ltx,
            r / alpha - (r + x) * (pi1 / (alpha + t) + pi2 / (alpha + t_x)),
            digamma(a + b) - digamma(a + b + x) + pi2 / a,
            digamma(b + x) - digamma(a + b + x) - digamma(b) + digamma(a + b) - bx1,
        ]
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
        BgNbdObjective::new(data)
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
    /// [`Error::InvalidInput`] when no customer made a repeat purchase;
    /// [`Error::NotConverged`] when no start point has a finite likelihood or nothing better
    /// than a start point is found; [`Error::InvalidParameter`] for invalid options. A fit that
    /// ends without a vanishing gradient is returned with [`Fitted::converged`] `false`.
    pub fn fit(data: &RfmData, options: &FitOptions) -> Result<Fitted<BgNbd>> {
        data.require_repeat_purchases("BG/NBD")?;
        let compressed = data.without_monetary_value().compress();
        let objective = BgNbdObjective::new(&compressed);
        // Data-driven starts: E[λ] = r/α matched to the mean purchase rate Σx/ΣT.
        let (sx, st) = compressed
            .frequency()
            .iter()
            .zip(compressed.age())
            .zip(compressed.weights())
            .fold((0.0, 0.0), |(sx, st), ((x, t), w)| (sx + w * x, st + w * t));
        let rate = if sx > 0.0 { sx / st } else { 1.0 / st };
        let starts: Vec<Vec<f64>> = [
            (1.0, 1.0, 3.0),
            (0.3, 0.8, 2.5),
            (3.0, 2.0, 5.0),
            (0.1, 0.3, 1.0),
        ]
        .iter()
        .map(|&(r, a, b)| vec![r, r / rate, a, b])
        .collect();
        let est = maximize(&objective, &[0.0; 4], &starts, options)?;
        let model = BgNbd::from_params(&est.params)?;
        Ok(Fitted::new(
            model,
            est,
            compressed.n_customers(),
            compressed.len(),
        ))
    }

    /// `E[Y(t) | alive] · P(alive)` for a customer whose history gives posterior
    /// `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+x)` (see the module docs).
    fn conditional_expectation(&self, x: f64, t_cal: f64, t: f64, p_alive: f64) -> Result<f64> {
        check_non_negative("t", t)?;
        if t == 0.0 || p_alive == 0.0 {
            return Ok(0.0);
        }
        let alive = self.expected_if_alive(x, self.alpha + t_cal, t)?;
        Ok(alive * p_alive)
    }

    /// `E[Y(t) | alive at T]` by the Euler-transformed 2F1 where suitable, else by quadrature;
    /// `at = α + T`.
    fn expected_if_alive(&self, x: f64, at: f64, t: f64) -> Result<f64> {
        let (r, a, b) = (self.r, self.a, self.b);
        let c = a + b + x - 1.0;
        let z = t / (at + t);
        if c > 1e-3 && z < 0.99 {
            // Removable singularity at a = 1: average the two sides.
            const EPS: f64 = 1e-6;
            let value = if (a - 1.0).abs() < EPS {
                euler_form(r, a - EPS, b, x, z)
                    .and_then(|lo| Ok(0.5 * (lo + euler_form(r, a + EPS, b, x, z)?)))
            } else {
                euler_form(r, a, b, x, z)
            };
            // Where the 2F1 is not representable, fall through to the quadrature.
            if let Ok(value) = value {
                if value.is_finite() && value >= 0.0 {
                    return Ok(value);
                }
            }
        }
        self.expected_if_alive_quadrature(x, at, t)
    }

    /// `E_p[(1 − (1 + p τ)^−(r+x)) / p]`, `p ~ Beta(a, b+x)`, `τ = t/(α+T)`, by adaptive
    /// Gauss–Kronrod after substitutions that remove the endpoint singularities; `at = α + T`.
    fn expected_if_alive_quadrature(&self, x: f64, at: f64, t: f64) -> Result<f64> {
        let (r, a) = (self.r, self.a);
        let beta = self.b + x;
        let tau = t / at;
        let k = r + x;
        let ln_b = ln_gamma(a) + ln_gamma(beta) - ln_gamma(a + beta);
        // g(p) = (1 − (1+pτ)^−k)/p, finite at p = 0 (limit kτ).
        let g = |p: f64| {
            if p * tau < 1e-8 {
                k * tau * (1.0 - 0.5 * (k + 1.0) * p * tau)
            } else {
                -(-k * (p * tau).ln_1p()).exp_m1() / p
            }
        };
        // [0, 1/2]: p = v^(1/a)/2, so p^(a−1) dp = 2^−a/a dv.
        let left = |v: f64| {
            let p = 0.5 * v.powf(1.0 / a);
            let lw = (beta - 1.0) * (-p).ln_1p() - a * std::f64::consts::LN_2 - a.ln() - ln_b;
            g(p) * lw.exp()
        };
        // [1/2, 1]: 1 − p = v^(1/β)/2, so (1−p)^(β−1) dp = 2^−β/β dv.
        let right = |v: f64| {
            let q = 0.5 * v.powf(1.0 / beta);
            let p = 1.0 - q;
            let lw = (a - 1.0) * p.ln() - beta * std::f64::consts::LN_2 - beta.ln() - ln_b;
            g(p) * lw.exp()
        };
        let (l, _) = integrate(left, 0.0, 1.0, 1e-13, 0.0, 400);
        let (rr, _) = integrate(right, 0.0, 1.0, 1e-13, 0.0, 400);
        let v = l + rr;
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(Error::Numerical(format!(
                "BG/NBD expectation did not evaluate for x = {x}, T = {}, t = {t}",
                at - self.alpha
            )))
        }
    }

    /// Log-odds of death, `ln(a/(b+x−1)) + (r+x) ln((α+T)/(α+t_x))` (−∞ when `x = 0`).
    fn log_odds_dead(&self, c: &Customer) -> f64 {
        let x = c.frequency();
        if x == 0.0 {
            return f64::NEG_INFINITY;
        }
        (self.a / (self.b + x - 1.0)).ln()
            + (self.r + x) * ((c.age() - c.recency()) / (self.alpha + c.recency())).ln_1p()
    }
}

/// `[1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)] · (a+b+x−1)/(a−1)`.
fn euler_form(r: f64, a: f64, b: f64, x: f64, z: f64) -> Result<f64> {
    let c = a + b + x - 1.0;
    // F − 1 directly: F is within O(a − 1) of 1 and `f − 1.0` would lose those digits.
    let f_m1 = hyp2f1_minus_one(c - r - x, a - 1.0, c, z)?;
    let bracket = -((a - 1.0) * (-z).ln_1p()).exp_m1() - (1.0 - z).powf(a - 1.0) * f_m1;
    Ok(c / (a - 1.0) * bracket)
}

fn sigmoid(v: f64) -> f64 {
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}

impl TransactionModel for BgNbd {
    fn expected_transactions(&self, t: f64) -> Result<f64> {
        // E[X(t)] is the conditional expectation of a customer with x = 0 observed for T = 0.
        self.conditional_expectation(0.0, 0.0, t, 1.0)
    }

    fn probability_of_transactions(&self, n: u32, t: f64) -> Result<f64> {
        check_non_negative("t", t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let nf = f64::from(n);
        if t == 0.0 {
            return Ok(if n == 0 { 1.0 } else { 0.0 });
        }
        let ln_bab = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
        let ln_b_alive = ln_gamma(a) + ln_gamma(b + nf) - ln_gamma(a + b + nf) - ln_bab;
        let ln_nb = ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0)
            + r * (alpha / (alpha + t)).ln()
            + nf * (t / (alpha + t)).ln();
        let mut p = (ln_b_alive + ln_nb).exp();
        if n > 0 {
            let ln_b_dead =
                ln_gamma(a + 1.0) + ln_gamma(b + nf - 1.0) - ln_gamma(a + b + nf) - ln_bab;
            // P(NB(r, α/(α+t)) >= n) = I_{t/(α+t)}(n, r)
            let tail = checked_beta_reg(nf, r, t / (alpha + t))
                .map_err(|e| Error::Numerical(format!("incomplete beta: {e}")))?;
            p += ln_b_dead.exp() * tail;
        }
        Ok(p.clamp(0.0, 1.0))
    }

    fn conditional_expected_transactions(&self, customer: &Customer, t: f64) -> Result<f64> {
        let p_alive = self.probability_alive(customer);
        self.conditional_expectation(customer.frequency(), customer.age(), t, p_alive)
    }

    fn probability_alive(&self, customer: &Customer) -> f64 {
        sigmoid(-self.log_odds_dead(customer))
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
        check_positive("delta", delta)?;
        let p_alive = self.probability_alive(customer);
        if p_alive == 0.0 {
            return Ok(0.0);
        }
        let at = self.alpha + customer.age();
        Ok(p_alive * self.dert_if_alive(customer.frequency(), at, delta)?)
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
        crate::value::check_discrete(delta, period)?;
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
        crate::value::check_discrete(delta, period)?;
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
        let mut sum = 0.0;
        let mut prev = 0.0;
        for k in 1..=periods {
            let t = f64::from(k) * period;
            let g = self.expected_if_alive(x, at, t)?;
            sum += (g - prev).max(0.0) * (-delta * t).exp();
            prev = g;
        }
        Ok(sum)
    }
}

/// Rows at or above which a distinct frequency gets an interpolant over its ages.
const MIN_ROWS_TO_INTERPOLATE: usize = 64;
/// Absolute tolerance on the logarithm of an interpolated value (so, relative on the value).
const LN_INTERPOLATION_TOL: f64 = 1e-13;

/// The part given alive of one distinct frequency: an interpolant in `ln(α + T)` and the values
/// computed directly where it does not apply, keyed by `ln(α + T)`.
struct AliveByAge {
    ln_interp: Option<crate::chebyshev::Piecewise>,
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
                crate::chebyshev::Piecewise::build(
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
    /// `E[λ/(λp + δ)]` with `λ ~ Gamma(r+x, α+T)`, `p ~ Beta(a, b+x)`: the DERT of a customer
    /// known to be alive at `T`; `at = α + T`.
    fn dert_if_alive(&self, x: f64, at: f64, delta: f64) -> Result<f64> {
        let (a, beta) = (self.a, self.b + x);
        let k = self.r + x;
        let eps = delta * at;
        let ln_b = ln_gamma(a) + ln_gamma(beta) - ln_gamma(a + beta);
        // h(p) = E_λ[λ/(λp+δ)] = (k/p) J(k+1, ε/p); its limit at p → 0 is E[λ]/δ = k/ε.
        let h = |p: f64| {
            if p < 1e-250 {
                return k / eps;
            }
            let c = eps / p;
            if !c.is_finite() {
                return k / eps;
            }
            k / p * laplace_power(k + 1.0, c)
        };
        // p = w^sa/2 on [0, 1/2] and 1 − p = w^sb/2 on [1/2, 1], with whole powers large enough
        // that the Beta weight becomes a C² function of w (h stays smooth in w).
        let sa = (3.0 / a).ceil().min(64.0);
        let sb = (3.0 / beta).ceil().min(64.0);
        let ln2 = std::f64::consts::LN_2;
        let left = |w: f64| {
            if w <= 0.0 {
                return 0.0;
            }
            let p = 0.5 * w.powf(sa);
            let lw =
                (beta - 1.0) * (-p).ln_1p() + (sa * a - 1.0) * w.ln() - a * ln2 + sa.ln() - ln_b;
            h(p) * lw.exp()
        };
        let right = |w: f64| {
            if w <= 0.0 {
                return 0.0;
            }
            let p = 1.0 - 0.5 * w.powf(sb);
            let lw = (a - 1.0) * p.ln() + (sb * beta - 1.0) * w.ln() - beta * ln2 + sb.ln() - ln_b;
            h(p) * lw.exp()
        };
        let (l, _) = integrate(left, 0.0, 1.0, 1e-11, 0.0, 400);
        let (rr, _) = integrate(right, 0.0, 1.0, 1e-11, 0.0, 400);
        let v = l + rr;
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(Error::Numerical(format!(
                "BG/NBD DERT did not evaluate for x = {x}, T = {}, delta = {delta}",
                at - self.alpha
            )))
        }
    }
}

/// `J(m, c) = ∫₀^∞ e^(−cs) (1+s)^(−m) ds = e^c c^(m−1) Γ(1−m, c)` for `m > 0`, `c > 0`, the
/// scaled upper incomplete gamma function of `special` (NaN if it fails, which the caller's
/// finiteness check turns into an error).
fn laplace_power(m: f64, c: f64) -> f64 {
    upper_gamma_scaled(1.0 - m, c).unwrap_or(f64::NAN)
}

/// The BG/NBD likelihood over compressed data, with per-frequency terms computed once per
/// evaluation and the per-row work (two logarithms, one exponential) split across cores.
struct BgNbdObjective {
    /// Distinct frequencies.
    xs: Vec<f64>,
    /// Total weight of the rows with each distinct frequency.
    x_weight: Vec<f64>,
    /// Per row: index into `xs`, recency, age, weight.
    x_index: Vec<u32>,
    recency: Vec<f64>,
    age: Vec<f64>,
    weight: Vec<f64>,
    n_obs: f64,
}

impl BgNbdObjective {
    fn new(data: &RfmData) -> Self {
        let freq = data.frequency();
        let (xs, x_index) = if freq.is_sorted() {
            // Compressed data comes sorted by frequency: one linear pass.
            let mut xs: Vec<f64> = Vec::new();
            let index: Vec<u32> = freq
                .iter()
                .map(|&x| {
                    if xs.last() != Some(&x) {
                        xs.push(x);
                    }
                    (xs.len() - 1) as u32
                })
                .collect();
            (xs, index)
        } else {
            let mut xs = freq.to_vec();
            xs.sort_by(f64::total_cmp);
            xs.dedup();
            let index: Vec<u32> = freq
                .iter()
                .map(|x| xs.partition_point(|v| v < x) as u32)
                .collect();
            (xs, index)
        };
        let mut x_weight = vec![0.0; xs.len()];
        for (&i, w) in x_index.iter().zip(data.weights()) {
            x_weight[i as usize] += w;
        }
        BgNbdObjective {
            xs,
            x_weight,
            x_index,
            recency: data.recency().to_vec(),
            age: data.age().to_vec(),
            weight: data.weights().to_vec(),
            n_obs: data.n_customers(),
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
        let (r, alpha, a, b) = (theta[0], theta[1], theta[2], theta[3]);
        // Per distinct x: ln a − ln(b+x−1) (for A4) and r + x.
        let ln_odds: Vec<f64> = self
            .xs
            .iter()
            .map(|&x| {
                if x > 0.0 {
                    a.ln() - (b + x - 1.0).ln()
                } else {
                    0.0
                }
            })
            .collect();
        let want_grad = grad.is_some();
        let [ll_rows, g_r, g_alpha, g_pi2, g_b] = sum_rows(self.x_index.len(), |lo, hi| {
            let mut acc = [0.0; 5];
            for i in lo..hi {
                let xi = self.x_index[i] as usize;
                let x = self.xs[xi];
                let w = self.weight[i];
                let rx = r + x;
                let lt = (alpha + self.age[i]).ln();
                let a3 = -rx * lt;
                if x == 0.0 {
                    acc[0] += w * a3;
                    if want_grad {
                        acc[1] -= w * lt;
                        acc[2] -= w * rx / (alpha + self.age[i]);
                    }
                    continue;
                }
                let ltx = (alpha + self.recency[i]).ln();
                let a4 = ln_odds[xi] - rx * ltx;
                acc[0] += w * log_add_exp(a3, a4);
                if want_grad {
                    let pi2 = sigmoid(a4 - a3);
                    let pi1 = 1.0 - pi2;
                    acc[1] -= w * (pi1 * lt + pi2 * ltx);
                    acc[2] -=
                        w * rx * (pi1 / (alpha + self.age[i]) + pi2 / (alpha + self.recency[i]));
                    acc[3] += w * pi2;
                    acc[4] -= w * pi2 / (b + x - 1.0);
                }
            }
            acc
        });
        // Per-x constant parts, weighted by the total weight of each x.
        let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        let mut ll = ll_rows;
        for (&x, &wx) in self.xs.iter().zip(&self.x_weight) {
            ll += wx
                * (ln_gamma(r + x) - lg_r + r * alpha.ln() + ln_gamma(b + x) - lg_b + lg_ab
                    - ln_gamma(a + b + x));
        }
        if let Some(g) = grad {
            let (dg_r, dg_b, dg_ab) = (digamma(r), digamma(b), digamma(a + b));
            let (mut cr, mut ca, mut cb) = (0.0, 0.0, 0.0);
            for (&x, &wx) in self.xs.iter().zip(&self.x_weight) {
                let dg_abx = digamma(a + b + x);
                cr += wx * (digamma(r + x) - dg_r + alpha.ln());
                ca += wx * (dg_ab - dg_abx);
                cb += wx * (digamma(b + x) - dg_abx - dg_b + dg_ab);
            }
            g[0] = cr + g_r;
            g[1] = self.n_obs * r / alpha + g_alpha;
            g[2] = ca + g_pi2 / a;
            g[3] = cb + g_b;
        }
        ll
    }
}
