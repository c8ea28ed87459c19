//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987, "Counting your customers: who are
//! they and what will they do next?", *Management Science* 33(1):1–24; Fader & Hardie 2005, note
//! 009 "A Note on Deriving the Pareto/NBD Model and Related Expressions").
//!
//! ## Assumptions
//! * While alive, a customer buys according to a Poisson process with rate `λ`;
//!   `λ ~ Gamma(r, α)` (shape `r`, rate `α`) across customers.
//! * Each customer's lifetime is exponential with rate `μ`; `μ ~ Gamma(s, β)` across customers,
//!   independent of `λ`. Death is never observed.
//!
//! ## Likelihood
//! For `x` repeat purchases, the last at `t_x`, observed for `T`, the individual likelihood
//! `λˣ e^{−(λ+μ)T} + ∫_{t_x}^T λˣ μ e^{−(λ+μ)w} dw`, mixed over both Gamma distributions and
//! integrated by parts, is a sum of two *positive* tail integrals (note 009 eqs. 22–23):
//!
//! ```text
//! L = Γ(r+x) αʳ βˢ / Γ(r) · [ s · G(t_x) + (r+x) · K(T) ]
//! G(u) = ∫_u^∞ (α+w)^−(r+x)   (β+w)^−(s+1) dw
//! K(u) = ∫_u^∞ (α+w)^−(r+x+1) (β+w)^−s     dw
//! ```
//!
//! Each tail is `(m+u)^−(r+s+x) / (r+s+x) · ₂F₁(e, r+s+x; r+s+x+1; z)` with `m = max(α, β)`,
//! `z = |α−β| / (m+u) ∈ [0, 1)` and `e` the exponent of the factor with the smaller offset: the
//! branch on `α ≥ β` keeps `z` below 1, no difference of large numbers is ever formed, `α = β`
//! gives `z = 0` exactly, and `t_x = T` needs no special case (`s G(T) + (r+x) K(T)` is the
//! survival term `(α+T)^−(r+x) (β+T)^−s`). The series of `₂F₁` is summed in the form whose terms
//! are all positive and whose term ratio is at most `z` (the Euler-transformed series when
//! `e ≥ 1`), with its derivatives in `e`, `r+s+x` and `z` summed alongside, which gives the
//! analytic gradient. When `z` is close to 1 and the series would be long, the tail up to the
//! point where `z = 1/2` is integrated numerically (adaptive Gauss–Kronrod in `ln(w + min(α,β))`,
//! where the integrand is log-concave) and the rest summed.
//!
//! Every tail is carried relative to its leading power, `rel = ln I(u) + p ln(α+u) + q ln(β+u)`,
//! a moderate number whatever the size of the parameters, with its derivatives taken in that
//! form. The likelihood is then assembled with the powers cancelled analytically:
//! `ℓ = lnΓ(r+x) − lnΓ(r) + ln[ e^{ℓ_G} + e^{ℓ_K} ]`, each term referred to its own point
//! (`r ln α − (r+x) ln(α+u)` becomes `−r ln(1+u/α) − x ln(α+u)`), and
//! `1/P(alive) = e^{ℓ_G − ℓ_T} + e^{ℓ_K − ℓ_T}` referred to `T`, where ratios such as
//! `(β+T)/(β+t_x)` enter through `ln_1p`: no `s ln(β+T)`-sized terms cancel, so the results stay
//! exact for parameters up to 1e8 and beyond. For a customer without repeat purchases whose
//! likelihood is close to 1, `ℓ = ln(1 − D)` with `D = ∫_0^T r/(α+w) (α/(α+w))ʳ (β/(β+w))ˢ dw`
//! integrated directly.
//!
//! In the fit, the series coefficients (which depend on `x` but not on `t_x` or `T`) are
//! tabulated once per evaluation and distinct frequency, so a row costs four logarithms, one
//! exponential, one logarithm and two short dot products with powers of `z`; rows are split
//! across cores.
//!
//! ## Fitting
//! By the pipeline of [`crate::fit`]: start points match `r/α` to the mean purchase rate `Σx/ΣT`
//! and scale `β` with the mean age (CLVTools' start (0.5, 15, 0.5, 10) on CDNOW weeks is the first
//! of them); times far from 1 are expressed in a power-of-two multiple of their unit (`α`, `β` are
//! rates per unit of time); on more than 50,000 distinct rows a fit to an evenly spaced
//! subsample gives the start. The likelihood is often flat in `β`: on CDNOW the standard error
//! of `β` is about half of `β`.
//!
//! ## Predictions
//! * `E[X(t)] = rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)]` (limit `(rβ/α) ln(1+t/β)` at `s = 1`);
//! * `P(alive | x, t_x, T) = Γ(r+x) αʳ βˢ / (Γ(r) (α+T)^(r+x) (β+T)ˢ L)`;
//! * `P(alive at T+t | x, t_x, T) = P(alive) · ((β+T)/(β+T+t))ˢ`;
//! * `E[Y(t) | x, t_x, T] = (r+x)(β+T)/((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)`
//!   (note 009 eq. 41);
//! * `P(X(t) = n)` (note 012): alive throughout `(0, t]` with probability `(β/(β+t))ˢ` and NBD
//!   counts, or dead at `τ < t` with NBD counts up to `τ`; the second part is integrated
//!   numerically in `ln τ`, where its integrand is log-concave. Conditional on a history
//!   (note 028), the same with the posterior parameters `(r+x, α+T, s, β+T)`, times `P(alive)`,
//!   plus `1 − P(alive)` at `n = 0` (integrated directly when it is small, so that it keeps its
//!   digits);
//! * discounted expected residual transactions (Fader, Hardie & Lee 2005, *JMR* 42(4):415–430)
//!   with continuous discount rate `δ`: `DERT = P(alive) · (r+x)/(α+T) · E[1/(μ+δ)]`,
//!   `μ ~ Gamma(s, β+T)`, i.e. `(β+T) J(s, δ(β+T))` with
//!   `J(s, z) = ∫_0^∞ e^(−zy) (1+y)^(−s) dy = e^z z^(s−1) Γ(1−s, z)`
//!   ([`crate::special::discount_integral`]: bounded work for every `s` and `z`, and never
//!   above the bound `1/z`, so `DERT ≤ P(alive) (r+x)/(α+T)/δ`).
//!
//! Time is in the unit of the data (days, weeks, ...): `α` and `β` are in that unit.

use std::fmt;

use statrs::function::gamma::ln_gamma;

use crate::data::{Customer, RfmData};
use crate::error::{Error, Result, check_non_negative, check_positive};
use crate::fit::objective::params;
use crate::models::{Model, TransactionModel};
use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma};

use super::simulation::{Budget, Simulate, Simulated, check_age, check_design, dist_err};
use crate::fit::{Estimable, FitOptions, Fitted, Objective, Rescaling};
use crate::parallel::sum_rows;
use crate::quadrature::{integrate, integrate_vec};
use crate::special::{
    digamma_difference, discount_integral, ln_binomial_density, ln_gamma_ratio, log_add_exp,
};

/// Pareto/NBD parameters: purchase-rate heterogeneity `Gamma(r, α)`, dropout-rate heterogeneity
/// `Gamma(s, β)`.
///
/// ```
/// use clv::{Customer, ParetoNbd, TransactionModel};
/// let model = ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562)?; // BTYD's CDNOW estimates, weeks
/// let c = Customer::new(26.0, 30.85714, 31.0)?;
/// assert!((model.probability_alive(&c) - 0.99787).abs() < 1e-5); // BTYD vignette: 0.997874
/// let e = model.conditional_expected_transactions(&c, 52.0)?;
/// assert!((e - 25.454).abs() < 1e-3); // BTYD vignette: 25.45647 at unrounded estimates
/// println!("{model}");
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "ParetoNbdParams"))]
pub struct ParetoNbd {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

/// Unvalidated form used to deserialise (validated through [`ParetoNbd::new`]).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct ParetoNbdParams {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<ParetoNbdParams> for ParetoNbd {
    type Error = Error;
    fn try_from(p: ParetoNbdParams) -> Result<Self> {
        ParetoNbd::new(p.r, p.alpha, p.s, p.beta)
    }
}

impl fmt::Display for ParetoNbd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pareto/NBD: λ ~ Gamma(r = {}, α = {}), μ ~ Gamma(s = {}, β = {})",
            self.r, self.alpha, self.s, self.beta
        )
    }
}

impl Model for ParetoNbd {
    const NAME: &'static str = "pnbd";
    const PARAM_NAMES: &'static [&'static str] = &["r", "alpha", "s", "beta"];

    fn params(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.s, self.beta]
    }

    fn from_params(p: &[f64]) -> Result<Self> {
        match p {
            [r, alpha, s, beta] => ParetoNbd::new(*r, *alpha, *s, *beta),
            _ => Err(Error::InvalidInput(format!(
                "Pareto/NBD has 4 parameters, got {}",
                p.len()
            ))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Numerics: the tail integrals and their derivatives.
// ---------------------------------------------------------------------------------------------

/// Relative size of the last series term (times the geometric tail bound) at which we stop.
const SERIES_EPS: f64 = 1.2e-16;
/// Below this `z` the series always converges in a few hundred terms.
const Z_SERIES: f64 = 0.9;
/// Term cap of the series for `z ≤` [`Z_SERIES`] (never reached: ~400 terms suffice).
const MAX_TERMS: usize = 100_000;
/// Term cap when trying the series above [`Z_SERIES`].
const MAX_TERMS_HIGH_Z: usize = 400;
/// Where the numerical integration hands over to the series in the fallback.
const Z_SPLIT: f64 = 0.5;
/// Relative error target of the adaptive Gauss–Kronrod rule: its `|K15 − G7|` estimate is
/// pessimistic for smooth integrands, so the actual error is far smaller.
const QUAD_TOL: f64 = 1e-11;
/// Panel cap of the adaptive rule.
const QUAD_PANELS: usize = 200;
/// Above this log-likelihood a customer without repeat purchases is evaluated through
/// `ln(1 − D)` with `D` integrated directly (see `ParetoNbd::no_purchase`).
const NEAR_ZERO_LL: f64 = -0.5;
/// How far (in log units) below its maximum a log-concave integrand is cut off.
const LOG_WINDOW: f64 = 48.0;

/// The sum of the positive series of `₂F₁(e, w; w+1; z)` (plain series when `e < 1`, Euler
/// transform `₂F₁ = (1−z)^(1−e) · sum` when `e ≥ 1`), with the derivatives of `ln(sum)` in `e`
/// (at fixed `w`), `w` (at fixed `e`) and `z` (zero unless asked for).
#[derive(Debug, Clone, Copy)]
struct Hyp {
    sum: f64,
    d_e: f64,
    d_w: f64,
    d_z: f64,
}

/// Sums `₂F₁(e, w; w+1; z)` for `e, w > 0`, `0 ≤ z < 1` (`a = w + 1 − e`, `omz = 1 − z` and
/// `ln_omz = ln(1 − z)` given accurately by the caller). Uses the plain series `Σ w/(w+k) (e)_k/k! zᵏ` when `e < 1` and the
/// Euler transform `(1−z)^(1−e) Σ (w+1−e)_k/(w+1)_k zᵏ` when `e ≥ 1`: both have positive terms
/// with ratio at most `z`, so `term · z/(1−z)` bounds the remainder. `None` if `max_terms` do not
/// suffice.
#[inline]
fn hyp_series<const GRAD: bool>(
    e: f64,
    w: f64,
    a: f64,
    z: f64,
    omz: f64,
    max_terms: usize,
) -> Option<Hyp> {
    let mut term = 1.0;
    let mut sum = 1.0;
    // Σ term_k · (∂ ln term_k / ∂·): for the derivative of ln(sum).
    let (mut s_e, mut s_w, mut s_z) = (0.0, 0.0, 0.0);
    // Running sums inside ∂ ln term_k.
    let (mut run_a, mut run_c) = (0.0, 0.0);
    let stop = SERIES_EPS * omz;
    if e >= 1.0 {
        let c = w + 1.0;
        let mut k = 0.0;
        // At least one term is added, so that ∂/∂z is right at z = 0.
        for _ in 0..max_terms {
            let ic = 1.0 / (c + k);
            let ratio = (a + k) * ic;
            let without_z = term * ratio;
            term = without_z * z;
            sum += term;
            if GRAD {
                s_z += (k + 1.0) * without_z;
                run_a += 1.0 / (a + k);
                run_c += ic;
                // ∂/∂e of ln term = −run_a; ∂/∂w = run_a − run_c.
                s_e += term * run_a;
                s_w += term * (run_a - run_c);
            }
            k += 1.0;
            if (k as usize) % 32 == 0
                && hopeless(term, ratio * z, sum, stop, omz, max_terms - k as usize)
            {
                return None;
            }
            if term * z <= stop * sum
                || euler_tail_done::<GRAD>(e, c, a, k, term, z, [sum, s_z, s_e, s_w], run_a)
            {
                let (d_e, d_w, d_z) = if GRAD {
                    (-s_e / sum, s_w / sum, s_z / sum)
                } else {
                    (0.0, 0.0, 0.0)
                };
                return Some(Hyp { sum, d_e, d_w, d_z });
            }
        }
        None
    } else {
        let mut k = 0.0;
        for _ in 0..max_terms {
            let ratio = (w + k) * (e + k) / ((w + k + 1.0) * (k + 1.0));
            let without_z = term * ratio;
            term = without_z * z;
            sum += term;
            if GRAD {
                s_z += (k + 1.0) * without_z;
                run_a += 1.0 / (e + k);
                s_e += term * run_a;
                // ∂/∂w ln(w/(w+k+1)) = (k+1)/(w(w+k+1)).
                s_w += term * (k + 1.0) / (w * (w + k + 1.0));
            }
            k += 1.0;
            if (k as usize) % 32 == 0
                && hopeless(term, ratio * z, sum, stop, omz, max_terms - k as usize)
            {
                return None;
            }
            if term * z <= stop * sum {
                let (d_e, d_w, d_z) = if GRAD {
                    (s_e / sum, s_w / sum, s_z / sum)
                } else {
                    (0.0, 0.0, 0.0)
                };
                return Some(Hyp { sum, d_e, d_w, d_z });
            }
        }
        None
    }
}

/// The remainder bound of the Euler-form series `Σ t_j`, `t_{j+1} = t_j (a+j)/(c+j) z` with
/// `c − a = e > 1`, `0 ≤ z ≤ 1`, after its term `t_k`, where the geometric bound `t_k z/(1−z)`
/// is useless (`z` near 1): `(a+i)/(c+i) ≤ exp(−e/(c+i))` gives `t_j ≤ t_k ((c+k)/(c+j))^e`, so
/// `Σ_{j>k} t_j ≤ t_k (c+k)/(e−1)`. With the gradient (`e > 2`), the sums `s_z = Σ j t_j / z`
/// and `s_e = Σ t_j ρ_j` (`ρ_j = Σ_{i<j} 1/(a+i) ≤ ρ_k + (j−k)/(a+k)`; `s_w`'s weights lie in
/// `[0, ρ_j]`) have remainders at most `t_k (c+k)²/((e−2) z)` and
/// `ρ_k t_k (c+k)/(e−1) + t_k (c+k)²/((e−2)(a+k))`. True when every sum asked for is complete to
/// [`SERIES_EPS`].
#[inline]
#[allow(clippy::too_many_arguments)]
fn euler_tail_done<const GRAD: bool>(
    e: f64,
    c: f64,
    a: f64,
    k: f64,
    term: f64,
    z: f64,
    sums: [f64; 4],
    run_a: f64,
) -> bool {
    let [sum, s_z, s_e, s_w] = sums;
    if e <= 1.0 || term * (c + k) > SERIES_EPS * (e - 1.0) * sum {
        return false;
    }
    if !GRAD {
        return true;
    }
    if e <= 2.0 {
        return false;
    }
    let q = term * (c + k) * (c + k) / (e - 2.0);
    let rest_e = run_a * term * (c + k) / (e - 1.0) + q / (a + k);
    q <= SERIES_EPS * z * s_z && rest_e <= SERIES_EPS * s_w.min(s_e)
}

/// Whether a series with positive terms whose ratio never decreases (currently `ratio`) cannot
/// meet its stopping rule within `left` more terms (the remaining terms stay at least
/// `term · ratioʲ`, and the sum at most `sum + term/(1−z)`-ish): an early exit to the fallback.
#[inline]
fn hopeless(term: f64, ratio: f64, sum: f64, stop: f64, omz: f64, left: usize) -> bool {
    let reach = (term / (stop * (sum + term / omz))).ln() + left as f64 * ratio.ln();
    reach > 0.0
}

/// The tail integral `I(u) = ∫_u^∞ (α+v)^−p (β+v)^−q dv` relative to its leading power,
/// `rel = ln I(u) + p ln(α+u) + q ln(β+u) = base + ln(sum)`, with the partial derivatives of
/// `rel` in `(p, q, α, β)`. `rel` is moderate (about `−ln(p/(α+u) + q/(β+u))`) whatever the size
/// of the parameters, so callers can combine tails at different points with the powers
/// cancelled analytically (ratios such as `(β+T)/(β+t_x)` then enter through `ln_1p`).
#[derive(Debug, Clone, Copy)]
struct Tail {
    base: f64,
    sum: f64,
    d: [f64; 4],
}

impl Tail {
    fn rel(&self) -> f64 {
        self.base + self.sum.ln()
    }
}

/// Coefficients of the series of one tail for one frequency, independent of `z`: per term `k`,
/// `[c_k, k c_k, ∂_A ln c_k, ∂_w ln c_k]` where the term is `c_k zᵏ` and `A` is `e` (plain
/// series) or `w + 1 − e` (Euler form). Filled once per evaluation, they take the divisions out
/// of the per-row loop.
const TABLE_TERMS: usize = 64;

fn fill_table(e: f64, w: f64, a: f64, out: &mut [[f64; 4]]) {
    let mut coef = 1.0;
    let (mut run_a, mut run_c) = (0.0, 0.0);
    for (k, slot) in out.iter_mut().enumerate() {
        let kf = k as f64;
        if e >= 1.0 {
            *slot = [coef, kf * coef, run_a, run_a - run_c];
            coef *= (a + kf) / (w + 1.0 + kf);
            run_a += 1.0 / (a + kf);
            run_c += 1.0 / (w + 1.0 + kf);
        } else {
            *slot = [coef, kf * coef, run_a, kf / (w * (w + kf))];
            coef *= (w + kf) * (e + kf) / ((w + kf + 1.0) * (kf + 1.0));
            run_a += 1.0 / (e + kf);
        }
    }
}

/// The series of [`hyp_series`] from precomputed coefficients; `None` if the table is too short
/// for this `z`.
#[inline]
fn hyp_from_table<const GRAD: bool>(
    e: f64,
    w: f64,
    table: &[[f64; 4]],
    z: f64,
    omz: f64,
) -> Option<Hyp> {
    let stop = SERIES_EPS * omz;
    let (mut zk, mut sum) = (1.0, 1.0);
    let (mut s_z, mut s_a, mut s_w) = (0.0, 0.0, 0.0);
    let mut k = 0.0;
    for &[c, kc, da, dw] in &table[1..] {
        k += 1.0;
        let prev = zk;
        zk *= z;
        let term = c * zk;
        sum += term;
        if GRAD {
            s_z += kc * prev;
            s_a += term * da;
            s_w += term * dw;
        }
        let done = term * z <= stop * sum
            || (e >= 1.0
                && euler_tail_done::<GRAD>(
                    e,
                    w + 1.0,
                    w + 1.0 - e,
                    k,
                    term,
                    z,
                    [sum, s_z, s_a, s_w],
                    da,
                ));
        if done {
            return Some(Hyp {
                sum,
                d_e: if e >= 1.0 { -s_a / sum } else { s_a / sum },
                d_w: s_w / sum,
                d_z: s_z / sum,
            });
        }
    }
    None
}

/// The tail integral `∫_u^∞ (α+v)^−p (β+v)^−q dv` (`w = p + q − 1 > 0`, passed accurately) in
/// the relative form of [`Tail`], given `ln(α+u)` and `ln(β+u)`.
#[inline]
#[allow(clippy::too_many_arguments)]
fn tail<const GRAD: bool>(
    alpha: f64,
    beta: f64,
    p: f64,
    q: f64,
    (w, ln_w): (f64, f64),
    u: f64,
    ln_au: f64,
    ln_bu: f64,
    table: Option<&[[f64; 4]]>,
) -> Tail {
    let a_ge_b = alpha >= beta;
    // M: the factor with the larger offset, exponent `a`; N: the other one, exponent `e`.
    let (m, d, e, a, ln_mu, ln_nu) = if a_ge_b {
        (alpha, alpha - beta, q, p, ln_au, ln_bu)
    } else {
        (beta, beta - alpha, p, q, ln_bu, ln_au)
    };
    let mu = m + u;
    let z = d / mu;
    let omz = (mu - d) / mu;
    let max_terms = if z <= Z_SERIES {
        MAX_TERMS
    } else {
        MAX_TERMS_HIGH_Z
    };
    // The term ratios of both series increase with the index, so the first one bounds them all
    // from below: when even that rate cannot reach the stopping rule within the term cap, the
    // series is not tried.
    let ratio0 = if e >= 1.0 {
        z * a / (w + 1.0)
    } else {
        z * w * e / (w + 1.0)
    };
    let stop = SERIES_EPS * omz;
    let h = match table {
        Some(t) if !hopeless(1.0, ratio0, 1.0, stop, omz, t.len()) => {
            hyp_from_table::<GRAD>(e, w, t, z, omz)
        }
        _ => None,
    };
    let series = || {
        if hopeless(1.0, ratio0, 1.0, stop, omz, max_terms) {
            None
        } else {
            hyp_series::<GRAD>(e, w, a, z, omz, max_terms)
        }
    };
    match h.or_else(series) {
        Some(h) => series_tail::<GRAD>(a_ge_b, e, w, ln_w, mu, mu - d, ln_mu, ln_nu, h),
        None => tail_fallback::<GRAD>(alpha, beta, p, q, w, u, ln_au, ln_bu),
    }
}

/// Assembles [`Tail`] from the series. With `M = m+u`, `N = n+u` (`m ≥ n` the offsets) and
/// `I = M^−w / w · ₂F₁(e, w; w+1; 1 − N/M)`: `rel = ln N − ln w + ln sum` for the Euler form and
/// `rel = ln M + e ln(N/M) − ln w + ln sum` for the plain series; the derivatives are taken
/// in this form, so that no `±a ln M` or `±(a−1)/M` pair is ever formed.
#[inline]
#[allow(clippy::too_many_arguments)]
fn series_tail<const GRAD: bool>(
    a_ge_b: bool,
    e: f64,
    w: f64,
    ln_w: f64,
    mu: f64,
    nu: f64,
    ln_mu: f64,
    ln_nu: f64,
    h: Hyp,
) -> Tail {
    let euler = e >= 1.0;
    let base = if euler {
        ln_nu - ln_w
    } else {
        ln_mu + e * (ln_nu - ln_mu) - ln_w
    };
    let sum = h.sum;
    if !GRAD {
        return Tail {
            base,
            sum,
            d: [0.0; 4],
        };
    }
    let d_w = -1.0 / w + h.d_w;
    // z = 1 − N/M: ∂z/∂m = N/M², ∂z/∂n = −1/M.
    let zm = h.d_z * nu / (mu * mu);
    let zn = h.d_z / mu;
    let (d_e, d_m, d_n) = if euler {
        (h.d_e, zm, 1.0 / nu - zn)
    } else {
        ((ln_nu - ln_mu) + h.d_e, (1.0 - e) / mu + zm, e / nu - zn)
    };
    // (p, q) → (w, e): w = p + q − 1 and e is q (α ≥ β) or p.
    let d = if a_ge_b {
        [d_w, d_w + d_e, d_m, d_n]
    } else {
        [d_w + d_e, d_w, d_n, d_m]
    };
    Tail { base, sum, d }
}

/// Fallback for `z` near 1: integrate `∫_u^{u*}` numerically, where `z(u*) = 1/2`, and sum the
/// series for the rest.
#[cold]
#[allow(clippy::too_many_arguments)]
fn tail_fallback<const GRAD: bool>(
    alpha: f64,
    beta: f64,
    p: f64,
    q: f64,
    w: f64,
    u: f64,
    ln_au: f64,
    ln_bu: f64,
) -> Tail {
    let a_ge_b = alpha >= beta;
    let (m, lo_off, e_min, p_max) = if a_ge_b {
        (alpha, beta, q, p)
    } else {
        (beta, alpha, p, q)
    };
    let ln_nu = if a_ge_b { ln_bu } else { ln_au };
    let d = m - lo_off;
    // m + u* = d / Z_SPLIT.
    let u_star = d / Z_SPLIT - m;
    let (mu_s, nu_s) = (d / Z_SPLIT, lo_off + u_star);
    let (ln_mu_s, ln_nu_s) = (mu_s.ln(), nu_s.ln());
    let rest = {
        let omz = nu_s / mu_s;
        // The series converges for z = 1/2; only NaN input could exhaust the cap.
        let Some(h) = hyp_series::<GRAD>(e_min, w, p_max, d / mu_s, omz, MAX_TERMS) else {
            return Tail {
                base: f64::NAN,
                sum: 1.0,
                d: [f64::NAN; 4],
            };
        };
        series_tail::<GRAD>(a_ge_b, e_min, w, w.ln(), mu_s, nu_s, ln_mu_s, ln_nu_s, h)
    };
    // The rest relative to the powers at u: rel(u*) − a ln(M*/M) − e ln(N*/N).
    let (mu, nu) = (m + u, lo_off + u);
    let shift_m = ((u_star - u) / mu).ln_1p();
    let shift_n = ((u_star - u) / nu).ln_1p();
    let rest_rel = rest.rel() - p_max * shift_m - e_min * shift_n;
    // ρ = ln(N(v)) − ln N(u): integrand (dv = N dρ) relative to M^−a N^−e at u is
    // N e^φ with φ(ρ) = (1 − e) ρ − a ln(1 + N (e^ρ − 1)/M).
    let phi = |rho: f64| (1.0 - e_min) * rho - p_max * (nu * rho.exp_m1() / mu).ln_1p();
    let phi_diff = |rho: f64, rho0: f64| {
        let e0 = nu * rho0.exp();
        (1.0 - e_min) * (rho - rho0) - p_max * (e0 * (rho - rho0).exp_m1() / (e0 + d)).ln_1p()
    };
    let dphi = |rho: f64| {
        let t = nu * rho.exp();
        (1.0 - e_min) - p_max * t / (t + d)
    };
    let hi = (nu_s / nu).ln();
    // Moments of the rel derivatives, each non-negative and formed without cancellation:
    // ρ, ln(M(v)/M), 1/N − 1/N(v) = (1 − e^−ρ)/N and 1/M − 1/M(v) = N (e^ρ − 1)/(M M(v)).
    // `φ(ρ) − φ(mode)` given `e^mode`.
    let diff = |rho: f64, mode: f64, exp_mode: f64| {
        let e0 = nu * exp_mode;
        (1.0 - e_min) * (rho - mode) - p_max * (e0 * (rho - mode).exp_m1() / (e0 + d)).ln_1p()
    };
    // With the difference: one `exp_m1` of each of ρ and ρ − mode and two `ln_1p` per node.
    let moments = |rho: f64, mode: f64, exp_mode: f64| {
        let em1 = rho.exp_m1();
        let t = nu * (1.0 + em1);
        let diff = diff(rho, mode, exp_mode);
        (
            diff,
            [
                rho,
                (nu * em1 / mu).ln_1p(),
                em1 / ((1.0 + em1) * nu),
                nu * em1 / (mu * (t + d)),
            ],
        )
    };
    let (ln_q1, mom) = if GRAD {
        log_concave_integral::<4>(phi, phi_diff, dphi, 0.0, hi, Some(&moments), None)
    } else {
        log_concave_integral::<4>(phi, phi_diff, dphi, 0.0, hi, None, Some(&diff))
    };
    let q1_rel = ln_nu + ln_q1;
    let rel = log_add_exp(q1_rel, rest_rel);
    if !GRAD {
        return Tail {
            base: rel,
            sum: 1.0,
            d: [0.0; 4],
        };
    }
    // Partials of q1_rel in (e, a, n, m): ∂e = −E[ρ], ∂a = −E[ln(M(v)/M)],
    // ∂n = e E[1/N − 1/N(v)], ∂m = a E[1/M − 1/M(v)] (the limits' terms cancel against `rest`).
    let dq = [-mom[0], -mom[1], e_min * mom[2], p_max * mom[3]];
    // Partials of rest_rel: those of rel(u*) plus the shifts'.
    let (rd_e, rd_a, rd_n, rd_m) = if a_ge_b {
        (rest.d[1], rest.d[0], rest.d[3], rest.d[2])
    } else {
        (rest.d[0], rest.d[1], rest.d[2], rest.d[3])
    };
    // At fixed u* (the limits' terms cancel between the two parts): the shifts add
    // a (1/M − 1/M*) and e (1/N − 1/N*).
    let rest_d = [
        rd_e - shift_n,
        rd_a - shift_m,
        rd_n + e_min * (u_star - u) / (nu * nu_s),
        rd_m + p_max * (u_star - u) / (mu * mu_s),
    ];
    let wq = (q1_rel - rel).exp();
    let wr = (rest_rel - rel).exp();
    let mut g = [0.0; 4];
    for i in 0..4 {
        g[i] = wq * dq[i] + wr * rest_d[i];
    }
    let d = if a_ge_b {
        // (p, q, α, β) = (a, e, m, n)
        [g[1], g[0], g[3], g[2]]
    } else {
        [g[0], g[1], g[2], g[3]]
    };
    Tail {
        base: rel,
        sum: 1.0,
        d,
    }
}

/// `(ρ, mode, e^mode) ↦ (φ(ρ) − φ(mode), moment functions at ρ)`.
type Moments<'a, const K: usize> = dyn Fn(f64, f64, f64) -> (f64, [f64; K]) + 'a;
/// `(ρ, mode, e^mode) ↦ φ(ρ) − φ(mode)`.
type Diff<'a> = dyn Fn(f64, f64, f64) -> f64 + 'a;

/// `ln ∫_lo^hi e^φ` for a concave `φ` with derivative `dphi` (and `phi_diff(a, b) = φ(a) − φ(b)`
/// evaluated without cancellation), and the averages of `moments` under
/// the normalised integrand (when given; `moments(ρ, mode, e^mode)` returns `φ(ρ) − φ(mode)`
/// beside them, so that the two share their work; `diff`, when given, is that difference alone,
/// for the integral without moments). The mode is located by bisection on `dphi`, the range
/// cut where `φ` has fallen [`LOG_WINDOW`] below its maximum, and each side integrated by
/// adaptive Gauss–Kronrod with the integrand scaled by its maximum.
fn log_concave_integral<const K: usize>(
    phi: impl Fn(f64) -> f64,
    phi_diff: impl Fn(f64, f64) -> f64,
    dphi: impl Fn(f64) -> f64,
    lo: f64,
    hi: f64,
    moments: Option<&Moments<'_, K>>,
    diff: Option<&Diff<'_>>,
) -> (f64, [f64; K]) {
    // The mode and the cut-off points only place the split and the limits (the integrand is
    // scaled by its value at the split point, whatever that is), so they are located to a
    // small fraction of the width rather than to full precision.
    let mode = if dphi(lo) <= 0.0 {
        lo
    } else if dphi(hi) >= 0.0 {
        hi
    } else {
        let (mut a, mut b) = (lo, hi);
        let tol = 1e-6 * (hi - lo);
        for _ in 0..200 {
            let mid = 0.5 * (a + b);
            if mid <= a || mid >= b || b - a <= tol {
                break;
            }
            if dphi(mid) > 0.0 {
                a = mid;
            } else {
                b = mid;
            }
        }
        0.5 * (a + b)
    };
    let top = phi(mode);
    // Cut-off points where φ ≤ top − LOG_WINDOW (φ is monotone on each side of the mode),
    // found to within 5% of their distance from the mode.
    let cut = |from: f64, to: f64| -> f64 {
        if phi_diff(to, mode) >= -LOG_WINDOW {
            return to;
        }
        let (mut inside, mut outside) = (from, to);
        for _ in 0..200 {
            let mid = 0.5 * (inside + outside);
            if mid == inside
                || mid == outside
                || (outside - inside).abs() <= 0.05 * (mid - mode).abs()
            {
                break;
            }
            if phi_diff(mid, mode) >= -LOG_WINDOW {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        outside
    };
    let a = cut(mode, lo);
    let b = cut(mode, hi);
    let exp_mode = mode.exp();
    let f = |rho: f64| match diff {
        Some(g) => g(rho, mode, exp_mode).exp(),
        None => phi_diff(rho, mode).exp(),
    };
    // Both sides of the mode, each with one adaptive pass. The scalar integrals (`K = 0`) serve
    // single predictions (P(X(t) = n), where every term of a sum to 1 must be exact), not the
    // likelihood evaluated at every step of a fit: they ask the stricter agreement.
    let agreement = if K == 0 {
        GL_AGREE_PREDICTION
    } else {
        GL_AGREE
    };
    let sides = [(a, mode), (mode, b)];
    let mut mom = [0.0; K];
    let i0 = match moments {
        None => sides
            .iter()
            .filter(|(lo, hi)| lo < hi)
            .map(|&(lo, hi)| integrate_smooth(|t| [f(t)], lo, hi, [0.0], agreement)[0])
            .sum::<f64>(),
        Some(g) => {
            // Moments may change sign: judge them against the scale of the integral times the
            // size of the moment function over the range (as a separate pass did before).
            let g = |t: f64| g(t, mode, exp_mode);
            let (ga, gb, gm) = (g(a).1, g(b).1, g(mode).1);
            let mut floor = [0.0; 5];
            for k in 0..K.min(4) {
                floor[k + 1] = 0.1 * ga[k].abs().max(gb[k].abs()).max(gm[k].abs());
            }
            let h = |t: f64| {
                let (diff, m) = g(t);
                let w = diff.exp();
                let mut out = [w, 0.0, 0.0, 0.0, 0.0];
                for k in 0..K.min(4) {
                    out[k + 1] = w * m[k];
                }
                out
            };
            let mut sum = [0.0; 5];
            for &(lo, hi) in sides.iter().filter(|(lo, hi)| lo < hi) {
                let part = integrate_smooth(h, lo, hi, floor, agreement);
                for (s, p) in sum.iter_mut().zip(part) {
                    *s += p;
                }
            }
            for k in 0..K.min(4) {
                mom[k] = sum[k + 1] / sum[0];
            }
            sum[0]
        }
    };
    (top + i0.ln(), mom)
}

/// Orders of the pair of Gauss–Legendre rules tried before the adaptive rule: the coarse one
/// only serves as an error estimate of the fine one.
const GL_COARSE: usize = 16;
const GL_FINE: usize = 32;
/// Agreement of the two rules under which the fine one is taken. The error of an `n`-point
/// Gauss rule on a function analytic in an ellipse of parameter `ρ` decays like `ρ^(−2n)`, so
/// the 32-point error is about the square of the 16-point one (which the difference measures):
/// `1e-6` there means about `1e-12` here.
const GL_AGREE: f64 = 1e-6;
/// The agreement asked of the scalar integrals behind single predictions (the fine rule then
/// errs by about `1e-16`): a heuristic `1e-12` there is not enough for a sum of probabilities
/// that must reach 1 within `1e-12`.
const GL_AGREE_PREDICTION: f64 = 1e-8;

/// Nodes and weights of the `N`-point Gauss–Legendre rule on `[−1, 1]` (Newton's method on the
/// three-term recurrence of `P_N`, started at Tricomi's approximation of the roots).
fn gauss_legendre<const N: usize>() -> ([f64; N], [f64; N]) {
    let (mut x, mut w) = ([0.0; N], [0.0; N]);
    let n = N as f64;
    for i in 0..N.div_ceil(2) {
        let mut t = (std::f64::consts::PI * (i as f64 + 0.75) / (n + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, t);
            for k in 2..=N {
                let kf = k as f64;
                let p2 = ((2.0 * kf - 1.0) * t * p1 - (kf - 1.0) * p0) / kf;
                p0 = p1;
                p1 = p2;
            }
            dp = n * (t * p1 - p0) / (t * t - 1.0);
            let step = p1 / dp;
            t -= step;
            if step.abs() <= 1e-17 {
                break;
            }
        }
        let wi = 2.0 / ((1.0 - t * t) * dp * dp);
        x[i] = t;
        w[i] = wi;
        x[N - 1 - i] = -t;
        w[N - 1 - i] = wi;
    }
    (x, w)
}

/// The two Gauss–Legendre rules, computed once.
#[allow(clippy::type_complexity)]
fn gl_rules() -> &'static (
    ([f64; GL_COARSE], [f64; GL_COARSE]),
    ([f64; GL_FINE], [f64; GL_FINE]),
) {
    static RULES: std::sync::OnceLock<(
        ([f64; GL_COARSE], [f64; GL_COARSE]),
        ([f64; GL_FINE], [f64; GL_FINE]),
    )> = std::sync::OnceLock::new();
    RULES.get_or_init(|| (gauss_legendre::<GL_COARSE>(), gauss_legendre::<GL_FINE>()))
}

/// How many times [`integrate_smooth`] may halve an interval whose two rules disagree before
/// it hands that piece to the adaptive rule.
const GL_DEPTH: u32 = 3;

/// `∫_lo^hi h` for a smooth vector integrand: the 32-point Gauss–Legendre value when it agrees
/// with the 16-point one within [`GL_AGREE`] (per component, judged as in `integrate_vec`:
/// against `max(|∫hᵢ|, floor[i] |∫h₀|)`); the difference measures the error of the coarse rule,
/// that of the fine rule being about its square. A piece where they disagree is halved (each
/// half judged against half the tolerance) up to [`GL_DEPTH`] times, then integrated by the
/// adaptive rule.
fn integrate_smooth<const K: usize>(
    h: impl Fn(f64) -> [f64; K],
    lo: f64,
    hi: f64,
    floor: [f64; K],
    agreement: f64,
) -> [f64; K] {
    let ((xc, wc), (xf, wf)) = gl_rules();
    let pair = |lo: f64, hi: f64| {
        let (c, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
        let rule = |x: &[f64], w: &[f64]| {
            let mut acc = [0.0; K];
            for (&xi, &wi) in x.iter().zip(w) {
                let v = h(c + half * xi);
                for k in 0..K {
                    acc[k] += wi * v[k];
                }
            }
            acc.map(|a| a * half)
        };
        (rule(xc, wc), rule(xf, wf))
    };
    let agree = |coarse: &[f64; K], fine: &[f64; K], tol: &[f64; K]| {
        fine.iter().all(|v| v.is_finite()) && (0..K).all(|k| (fine[k] - coarse[k]).abs() <= tol[k])
    };
    let (coarse, fine) = pair(lo, hi);
    let tol: [f64; K] =
        std::array::from_fn(|k| agreement * fine[k].abs().max(floor[k] * fine[0].abs()));
    if agree(&coarse, &fine, &tol) {
        return fine;
    }
    // Pieces still to do: (lo, hi, depth); their tolerance is tol / 2^depth.
    let mut total = [0.0; K];
    let mut stack = vec![(lo, hi, 1u32)];
    while let Some((a, b, depth)) = stack.pop() {
        let mid = 0.5 * (a + b);
        for (p, q) in [(a, mid), (mid, b)] {
            let (coarse, fine) = pair(p, q);
            let scale = 0.5f64.powi(depth as i32);
            if agree(&coarse, &fine, &tol.map(|t| t * scale)) {
                for k in 0..K {
                    total[k] += fine[k];
                }
            } else if depth < GL_DEPTH {
                stack.push((p, q, depth + 1));
            } else {
                let part = integrate_vec(&h, p, q, QUAD_TOL, floor, QUAD_PANELS);
                for k in 0..K {
                    total[k] += part[k];
                }
            }
        }
    }
    total
}

/// What one row needs besides `(t_x, T)`: per-frequency constants and, in the fit, the series
/// coefficients of its two tails.
struct RowConst<'a> {
    rx: f64,
    ln_rx: f64,
    w: f64,
    ln_w: f64,
    ln_s: f64,
    tables: Option<TablePair<'a>>,
}

/// Series coefficients of the tails `G` and `K` for one frequency.
type TablePair<'a> = (&'a [[f64; 4]], &'a [[f64; 4]]);

impl RowConst<'static> {
    fn new(r: f64, s: f64, x: f64) -> Self {
        let rx = r + x;
        let w = rx + s;
        RowConst {
            rx,
            ln_rx: rx.ln(),
            w,
            ln_w: w.ln(),
            ln_s: s.ln(),
            tables: None,
        }
    }
}

/// One row of the likelihood: `ll = ln L − [lnΓ(r+x) − lnΓ(r)]`, the log of the bracket
/// `B = (α+T)^(r+x) (β+T)ˢ [s G(t_x) + (r+x) K(T)] = 1 / P(alive)` and, when asked for, the
/// gradient of `ll` in `(r, α, s, β)`.
struct RowOut {
    ll: f64,
    ln_bracket: f64,
    grad: [f64; 4],
}

/// Evaluates one row. With `p = r+x`, `A_u = α+u`, `B_u = β+u`, `Δ = T − t_x`, the tails in
/// relative form give `ln(s G(t_x)) = ln s + rel_G + p ln(1+Δ/A_x) + s ln(1+Δ/B_x) − ln B_x − p
/// ln A_T − s ln B_T` and `ln((r+x) K(T)) = ln p + rel_K − ln A_T − p ln A_T − s ln B_T`: the
/// powers at `T` cancel analytically against `P(alive)`'s numerator, and with
/// `r ln α + s ln β` the likelihood becomes `−r ln(1+T/α) − x ln A_T − s ln(1+T/β) + ln B`.
#[inline]
fn row<const GRAD: bool>(th: &[f64; 4], rc: &RowConst<'_>, tx: f64, t: f64) -> RowOut {
    let [r, alpha, s, beta] = *th;
    let rx = rc.rx;
    let x = rx - r;
    if let Some(out) = row_short::<GRAD>(th, rx, tx, t) {
        return out;
    }
    let (ax, bx) = (alpha + tx, beta + tx);
    let (at, bt) = (alpha + t, beta + t);
    let (la_tx, lb_tx) = (ax.ln(), bx.ln());
    let (la_t, lb_t) = if tx == t {
        (la_tx, lb_tx)
    } else {
        (at.ln(), bt.ln())
    };
    let wl = (rc.w, rc.ln_w);
    let (tg, tk) = match rc.tables {
        Some((g, k)) => (Some(g), Some(k)),
        None => (None, None),
    };
    let g = tail::<GRAD>(alpha, beta, rx, s + 1.0, wl, tx, la_tx, lb_tx, tg);
    let k = tail::<GRAD>(alpha, beta, rx + 1.0, s, wl, t, la_t, lb_t, tk);
    let dt = t - tx;
    let (l1a, l1b) = ((dt / ax).ln_1p(), (dt / bx).ln_1p());
    // B = e^a S_G + e^b S_K with one exponential and one logarithm.
    let a = rc.ln_s + g.base + rx * l1a + s * l1b - lb_tx;
    let b = rc.ln_rx + k.base - la_t;
    let ln_bracket = b + (k.sum + g.sum * (a - b).exp()).ln();
    // The likelihood with each term referred to its own point (no ln B ≈ −ln P(alive) to cancel
    // when P(alive) is tiny): r ln α + s ln β + ln(s G(t_x)) and r ln α + s ln β + ln((r+x) K(T)).
    let own = |u: f64, la: f64| {
        let x_term = if x == 0.0 { 0.0 } else { x * la };
        -r * (u / alpha).ln_1p() - x_term - s * (u / beta).ln_1p()
    };
    let ga = rc.ln_s + g.base + own(tx, la_tx) - lb_tx;
    let kb = rc.ln_rx + k.base + own(t, la_t) - la_t;
    let (ll, pa) = if ga <= kb {
        let q = g.sum * (ga - kb).exp();
        let den = k.sum + q;
        (kb + den.ln(), q / den)
    } else {
        let q = k.sum * (kb - ga).exp();
        let den = g.sum + q;
        (ga + den.ln(), g.sum / den)
    };
    if !GRAD {
        return RowOut {
            ll,
            ln_bracket,
            grad: [0.0; 4],
        };
    }
    let pb = 1.0 - pa;
    // ∂ via (p, q) = (r+x, s+1) for G and (r+x+1, s) for K, plus the own-point terms.
    // A term whose weight underflows to 0 contributes nothing (its derivatives may overflow).
    let part = |w: f64, v: f64| if w == 0.0 { 0.0 } else { w * v };
    let grad = [
        part(pa, g.d[0] - (tx / alpha).ln_1p()) + part(pb, k.d[0] + 1.0 / rx - (t / alpha).ln_1p()),
        part(pa, g.d[2] + (r * (tx / alpha) - x) / ax)
            + part(pb, k.d[2] + (r * (t / alpha) - x - 1.0) / at),
        part(pa, g.d[1] + 1.0 / s - (tx / beta).ln_1p()) + part(pb, k.d[1] - (t / beta).ln_1p()),
        part(pa, g.d[3] + (s * (tx / beta) - 1.0) / bx) + part(pb, k.d[3] + s * (t / beta) / bt),
    ];
    RowOut {
        ll,
        ln_bracket,
        grad,
    }
}

/// Largest variation `V` of the log of the integrand of `B − 1` over `[t_x, T]` (see
/// [`row_short`]) for which that integral is taken by the fixed 16-point Gauss–Legendre rule.
const SHORT_VARIATION: f64 = 2.0;

/// One row when the last purchase is recent: `B = 1/P(alive) = 1 + s/(β+T) ∫_{t_x}^T f(w) dw`
/// with `f(w) = ((α+T)/(α+w))^(r+x) ((β+T)/(β+w))^(s+1)` (Fader & Hardie 2005, note 009), and
/// the gradient by differentiating under the integral sign. Taken when `Δ = T − t_x` is at most
/// `α + t_x` and `β + t_x` and `ln f` varies by at most [`SHORT_VARIATION`] over the interval:
/// `f` is then analytic in the Bernstein ellipse of parameter `ρ ≥ 3 + √8` around it (its
/// singularities lie at `−α` and `−β`) and bounded there by a modest constant, so the 16-point
/// rule's error, of order `ρ^(−32)`, is below `1e-24` relative. `None` otherwise.
#[inline]
fn row_short<const GRAD: bool>(th: &[f64; 4], rx: f64, tx: f64, t: f64) -> Option<RowOut> {
    let [r, alpha, s, beta] = *th;
    let dt = t - tx;
    let (ax, bx) = (alpha + tx, beta + tx);
    if dt.is_nan() || dt > ax || dt > bx {
        return None;
    }
    let q = s + 1.0;
    let variation = rx * (dt / ax).ln_1p() + q * (dt / bx).ln_1p();
    if variation.is_nan() || variation > SHORT_VARIATION {
        return None;
    }
    let x = rx - r;
    let (at, bt) = (alpha + t, beta + t);
    let la_t = at.ln();
    // Σ over nodes of f, f ln((α+T)/(α+w)), f (1/(α+w) − 1/(α+T)), f ln((β+T)/(β+w)),
    // f (1/(β+w) − 1/(β+T)), each non-negative and formed without cancellation.
    let mut acc = [0.0; 5];
    if dt > 0.0 {
        let ((xs, ws), _) = gl_rules();
        let (c, half) = (0.5 * (tx + t), 0.5 * dt);
        for (&xi, &wi) in xs.iter().zip(ws) {
            let w = c + half * xi;
            let rest = t - w;
            let (aw, bw) = (alpha + w, beta + w);
            let la = (rest / aw).ln_1p();
            let lb = (rest / bw).ln_1p();
            let f = wi * (rx * la + q * lb).exp();
            acc[0] += f;
            if GRAD {
                acc[1] += f * la;
                acc[2] += f * rest / (aw * at);
                acc[3] += f * lb;
                acc[4] += f * rest / (bw * bt);
            }
        }
        for v in &mut acc {
            *v *= half;
        }
    }
    let c = s / bt;
    let ln_bracket = (c * acc[0]).ln_1p();
    let x_term = if x == 0.0 { 0.0 } else { x * la_t };
    let ll = -r * (t / alpha).ln_1p() - x_term - s * (t / beta).ln_1p() + ln_bracket;
    if !GRAD {
        return Some(RowOut {
            ll,
            ln_bracket,
            grad: [0.0; 4],
        });
    }
    let b = 1.0 + c * acc[0];
    let db = [
        c * acc[1],
        -c * rx * acc[2],
        acc[0] / bt + c * acc[3],
        -c * acc[0] / bt - c * q * acc[4],
    ];
    let grad = [
        -(t / alpha).ln_1p() + db[0] / b,
        (r * (t / alpha) - x) / at + db[1] / b,
        -(t / beta).ln_1p() + db[2] / b,
        s * (t / beta) / bt + db[3] / b,
    ];
    Some(RowOut {
        ll,
        ln_bracket,
        grad,
    })
}

/// `(1 − e^(−a y)) / a`, with its limit `y` at `a = 0`.
fn one_minus_exp_over(a: f64, y: f64) -> f64 {
    if a == 0.0 { y } else { -(-a * y).exp_m1() / a }
}

/// A finite result or a numerical error naming what failed.
fn finite(v: f64, what: &str) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::Numerical(format!(
            "Pareto/NBD {what} is not representable as a finite number"
        )))
    }
}

/// Per customer: `λ ~ Gamma(r, α)`, `μ ~ Gamma(s, β)` (rates), lifetime `ω ~ Exp(μ)`; purchases
/// form a Poisson process with rate `λ` on `(0, min(ω, T)]`; the customer is alive at `T` when
/// `ω > T` (Schmittlein, Morrison & Colombo 1987). The design is the customers' ages `T`.
impl Simulate for ParetoNbd {
    type Design = [f64];
    type Output = Simulated;

    fn simulate<R: Rng + ?Sized>(&self, ages: &[f64], rng: &mut R) -> Result<Simulated> {
        check_design(ages.len())?;
        let purchase = Gamma::new(self.r, 1.0 / self.alpha).map_err(dist_err)?;
        let dropout = Gamma::new(self.s, 1.0 / self.beta).map_err(dist_err)?;
        let mut budget = Budget::default();
        let (mut xs, mut txs, mut alive) = (Vec::new(), Vec::new(), Vec::new());
        for (i, &t_end) in ages.iter().enumerate() {
            check_age(i, t_end)?;
            let lambda: f64 = purchase.sample(rng);
            let mu: f64 = dropout.sample(rng);
            let lifetime = if mu > 0.0 {
                Exp::new(mu).map_err(dist_err)?.sample(rng)
            } else {
                f64::INFINITY
            };
            let end = lifetime.min(t_end);
            let (mut x, mut tx) = (0u64, 0.0);
            if lambda > 0.0 {
                let exp = Exp::new(lambda).map_err(dist_err)?;
                let mut t = 0.0;
                loop {
                    t += exp.sample(rng);
                    if t > end {
                        break;
                    }
                    budget.spend()?;
                    x += 1;
                    tx = t;
                }
            }
            xs.push(x as f64);
            txs.push(tx);
            alive.push(lifetime > t_end);
        }
        let data = RfmData::new(xs, txs, ages.to_vec())?;
        Ok(Simulated { data, alive })
    }
}

impl Estimable for ParetoNbd {
    type Data = RfmData;
    type Rows = RfmData;

    fn prepare(data: &RfmData) -> Result<RfmData> {
        data.require_repeat_purchases("Pareto/NBD")?;
        Ok(data.without_monetary_value().compress())
    }

    /// α and β are rates per unit of time.
    fn condition(rows: &mut RfmData) -> Option<Rescaling> {
        super::rescale_time(rows, &[1, 3])
    }

    fn starts(rows: &RfmData, _lower: &[f64]) -> Vec<Vec<f64>> {
        ParetoNbdObjective::new(rows).default_starts()
    }

    fn objective(rows: &RfmData) -> Box<dyn Objective> {
        Box::new(ParetoNbdObjective::new(rows))
    }

    /// A first fit to a subsample gives the start of the fit to all rows.
    fn subset(rows: &RfmData, keep: &[usize]) -> Option<RfmData> {
        let pick = |v: &[f64]| keep.iter().filter_map(|&i| v.get(i).copied()).collect();
        RfmData::from_columns(
            pick(rows.frequency()),
            pick(rows.recency()),
            pick(rows.age()),
            None,
            Some(pick(rows.weights())),
        )
        .ok()
    }
}

impl ParetoNbd {
    /// A Pareto/NBD model with shape `r` and rate `alpha` of the purchase-rate distribution and
    /// shape `s` and rate `beta` of the dropout-rate distribution.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless every parameter is finite and > 0.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        Ok(ParetoNbd {
            r: check_positive("r", r)?,
            alpha: check_positive("alpha", alpha)?,
            s: check_positive("s", s)?,
            beta: check_positive("beta", beta)?,
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

    /// Shape `s` of the Gamma distribution of dropout rates.
    pub fn s(&self) -> f64 {
        self.s
    }

    /// Rate `β` of the Gamma distribution of dropout rates (in the data's time unit).
    pub fn beta(&self) -> f64 {
        self.beta
    }

    fn theta(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// Log-likelihood of one customer's history `(x, t_x, T)` (note 009 eqs. 22–23, in log space).
    ///
    /// Finite for every valid customer and parameter set.
    pub fn log_likelihood(&self, customer: &Customer) -> f64 {
        let x = customer.frequency();
        let rc = RowConst::new(self.r, self.s, x);
        let out = row::<false>(&self.theta(), &rc, customer.recency(), customer.age());
        if x == 0.0 && out.ll > NEAR_ZERO_LL {
            return self.no_purchase::<false>(customer.age()).0;
        }
        ln_gamma_ratio(self.r, x) + out.ll
    }

    /// `ln P(X(T) = 0) = ln(1 − D)` and its gradient for a customer without repeat purchases,
    /// through `D = 1 − P(X(T) = 0) = ∫_0^T r/(α+w) (α/(α+w))ʳ (β/(β+w))ˢ dw` (the first purchase
    /// falls at `w` while alive): exact also when `D` is tiny, where `ln` of the likelihood
    /// itself would lose the digits of `D`. Integrated in `y = ln(1 + w/α)`, where the integrand
    /// is `r e^(−r y) (1 + w/β)^(−s)`.
    fn no_purchase<const GRAD: bool>(&self, t: f64) -> (f64, [f64; 4]) {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let f = |y: f64| {
            let w = alpha * y.exp_m1();
            let lb = (w / beta).ln_1p();
            let g = r * (-r * y - s * lb).exp();
            if !GRAD {
                return [g, 0.0, 0.0, 0.0, 0.0];
            }
            let aw = alpha + w;
            [
                g,
                g * (1.0 / r - y),
                g * (r * (w / alpha) - 1.0) / aw,
                -g * lb,
                g * s * (w / beta) / (beta + w),
            ]
        };
        let hi = (t / alpha).ln_1p();
        let floor = if GRAD {
            [
                0.0,
                0.1 * (1.0 / r + hi),
                0.1 * (1.0 + r) / alpha,
                0.1 * (t / beta).ln_1p(),
                0.1 * s / beta,
            ]
        } else {
            [0.0; 5]
        };
        // The integrand decreases from y = 0 with log-slope r + sα/β there: panels growing
        // geometrically from that scale, until it has fallen e^−50 below its start.
        let h0 = 0.25 / (r + s * (alpha / beta));
        let mut v = [0.0; 5];
        let (mut lo, mut step) = (0.0, h0);
        while lo < hi {
            let up = (lo + step).min(hi);
            let part = integrate_vec(f, lo, up, 1e-13, floor, QUAD_PANELS);
            for (acc, p) in v.iter_mut().zip(part) {
                *acc += p;
            }
            if f(up)[0] < (-50.0f64).exp() * r {
                break;
            }
            lo = up;
            step *= 2.0;
        }
        let ll = (-v[0]).ln_1p();
        let k = -1.0 / (1.0 - v[0]);
        (ll, [k * v[1], k * v[2], k * v[3], k * v[4]])
    }

    /// Gradient of [`ParetoNbd::log_likelihood`] with respect to `(r, α, s, β)` (analytic).
    pub fn log_likelihood_gradient(&self, customer: &Customer) -> [f64; 4] {
        let x = customer.frequency();
        let (r, s) = (self.r, self.s);
        let rc = RowConst::new(r, s, x);
        let out = row::<true>(&self.theta(), &rc, customer.recency(), customer.age());
        if x == 0.0 && out.ll > NEAR_ZERO_LL {
            return self.no_purchase::<true>(customer.age()).1;
        }
        let g = out.grad;
        [g[0] + digamma_difference(r, x), g[1], g[2], g[3]]
    }

    /// Weighted total log-likelihood of `data` (each row counted with its weight).
    pub fn total_log_likelihood(&self, data: &RfmData) -> f64 {
        ParetoNbdObjective::new(data).log_likelihood(&self.params(), None)
    }

    /// The log-likelihood of `data` as the fit sees it (natural parameters `(r, α, s, β)`, rows
    /// used as given, with their weights), for benchmarks and checks: per-frequency terms and
    /// series coefficients once per evaluation, rows split across cores.
    ///
    /// ```
    /// use clv::{Objective, ParetoNbd, RfmData};
    /// let data = RfmData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?;
    /// let objective = ParetoNbd::objective(&data);
    /// let mut grad = [0.0; 4];
    /// let ll = objective.log_likelihood(&[0.55, 10.6, 0.61, 11.7], Some(&mut grad));
    /// assert!(ll < 0.0 && grad.iter().all(|g| g.is_finite()));
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn objective(data: &RfmData) -> impl Objective + use<> {
        ParetoNbdObjective::new(data)
    }

    /// Fits the model to `data` by maximum likelihood (identical customers are merged first).
    ///
    /// Start points are scaled to the data (`α` from the mean purchase rate, `β` from the mean
    /// age); on more than 50,000 distinct rows a fit to an evenly spaced subsample of 20,000 rows
    /// is tried first as the start of the full fit. The shared optimiser falls back to the next
    /// start, and then to Nelder–Mead, when a run fails.
    ///
    /// ```
    /// use clv::{FitOptions, ParetoNbd, RfmData};
    /// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
    /// let fitted = ParetoNbd::fit(&data, &FitOptions::default())?;
    /// assert!((fitted.log_likelihood() - -9594.97).abs() < 0.01);
    /// assert!((fitted.model().r() - 0.553).abs() < 1e-3);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no customer made a repeat purchase;
    /// [`Error::NotConverged`] when no start point has a finite likelihood or nothing better
    /// than a start point is found; [`Error::InvalidParameter`] for invalid options. A fit that
    /// ends without a vanishing gradient is returned with [`Fitted::converged`] `false`.
    pub fn fit(data: &RfmData, options: &FitOptions) -> Result<Fitted<ParetoNbd>> {
        crate::fit::fit(data, options)
    }

    /// `ln P(alive | x, t_x, T)`.
    fn ln_probability_alive(&self, c: &Customer) -> f64 {
        let x = c.frequency();
        if c.recency() == c.age() {
            // A purchase at T: alive at T with certainty.
            return 0.0;
        }
        let rc = RowConst::new(self.r, self.s, x);
        let out = row::<false>(&self.theta(), &rc, c.recency(), c.age());
        (-out.ln_bracket).min(0.0)
    }

    /// `1 − P(alive | x, t_x, T) = (B − 1)/B` with `B = 1/P(alive)`, accurate also when it is
    /// tiny: `B − 1 = s/(β+T) ∫_{t_x}^T ((α+T)/(α+w))^(r+x) ((β+T)/(β+w))^(s+1) dw` is integrated
    /// directly when `B < 3/2` (where `1 − 1/B` would lose digits); its integrand is
    /// log-convex and at least 1, so then `s (T − t_x)/(β+T) < 1/2`.
    fn probability_dead(&self, c: &Customer) -> f64 {
        let (tx, t) = (c.recency(), c.age());
        if tx == t {
            return 0.0;
        }
        let ln_p = self.ln_probability_alive(c);
        if ln_p < -(1.5f64.ln()) {
            return -ln_p.exp_m1();
        }
        let (p, s) = (self.r + c.frequency(), self.s);
        let bt = self.beta + t;
        let f = |w: f64| {
            let d = t - w;
            (p * (d / (self.alpha + w)).ln_1p() + (s + 1.0) * (d / (self.beta + w)).ln_1p()).exp()
        };
        let (i, _) = integrate(f, tx, t, 1e-13, 0.0, QUAD_PANELS);
        let b_minus_1 = s / bt * i;
        (b_minus_1 / (1.0 + b_minus_1)).clamp(0.0, 1.0)
    }

    /// Probability that a customer with history `(x, t_x, T)` is still alive at `T + t`,
    /// `P(alive at T) · ((β+T)/(β+T+t))ˢ` (`t` in the data's time unit).
    ///
    /// ```
    /// use clv::{Customer, ParetoNbd, TransactionModel};
    /// let model = ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562)?;
    /// let c = Customer::new(2.0, 30.43, 38.86)?;
    /// let now = model.probability_alive(&c);
    /// let in_a_year = model.probability_alive_at(&c, 52.0)?;
    /// assert!(in_a_year < now && now == model.probability_alive_at(&c, 0.0)?);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `t` is negative or not finite.
    pub fn probability_alive_at(&self, customer: &Customer, t: f64) -> Result<f64> {
        check_non_negative("t", t)?;
        let ln_survive = -self.s * (t / (self.beta + customer.age())).ln_1p();
        Ok((self.ln_probability_alive(customer) + ln_survive)
            .exp()
            .clamp(0.0, 1.0))
    }

    /// Probability that a customer with history `(x, t_x, T)` makes exactly `n` transactions in
    /// `(T, T + t]` (Fader & Hardie note 028): `1 − P(alive)` at `n = 0` plus `P(alive)` times the
    /// probability of `n` for a new customer with the posterior parameters
    /// `(r+x, α+T, s, β+T)`. `t` is in the data's time unit.
    ///
    /// ```
    /// use clv::{Customer, ParetoNbd};
    /// let model = ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562)?;
    /// let c = Customer::new(2.0, 30.43, 38.86)?;
    /// let total: f64 = (0..200)
    ///     .map(|n| model.conditional_probability_of_transactions(&c, n, 39.0))
    ///     .sum::<clv::Result<f64>>()?;
    /// assert!((total - 1.0).abs() < 1e-9);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `t` is negative or not finite; [`Error::Numerical`] if the
    /// integral cannot be evaluated.
    pub fn conditional_probability_of_transactions(
        &self,
        customer: &Customer,
        n: u32,
        t: f64,
    ) -> Result<f64> {
        check_non_negative("t", t)?;
        let p_alive = self.ln_probability_alive(customer).exp();
        let x = customer.frequency();
        let age = customer.age();
        let posterior = ParetoNbd {
            r: self.r + x,
            alpha: self.alpha + age,
            s: self.s,
            beta: self.beta + age,
        };
        let p_new = posterior.probability_of_transactions(n, t)?;
        let p = p_alive * p_new
            + if n == 0 {
                self.probability_dead(customer)
            } else {
                0.0
            };
        Ok(p.clamp(0.0, 1.0))
    }

    /// [`ParetoNbd::probability_alive_at`] for every row of `data`.
    ///
    /// # Errors
    /// As [`ParetoNbd::probability_alive_at`].
    pub fn probability_alive_at_batch(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<ndarray::Array1<f64>> {
        data.customers()
            .map(|c| self.probability_alive_at(&c, t))
            .collect()
    }
}

/// `ln J` with `J = ∫_0^∞ exp(−z (e^ρ − 1) + (1 − s) ρ) dρ = e^z z^(s−1) Γ(1−s, z)` by adaptive
/// quadrature (an independent check of [`discount_integral`]).
#[cfg(test)]
fn ln_discount_quadrature(s: f64, z: f64) -> f64 {
    let phi = |rho: f64| -z * rho.exp_m1() + (1.0 - s) * rho;
    let dphi = |rho: f64| -z * rho.exp() + (1.0 - s);
    // Beyond hi, φ falls faster than any window: z e^ρ ≥ |1−s| + 2·LOG_WINDOW.
    let hi = ((s - 1.0).abs() + 2.0 * LOG_WINDOW + 1.0) / z;
    let hi = hi.ln_1p() + 1.0;
    let phi_diff =
        |rho: f64, rho0: f64| -z * rho0.exp() * (rho - rho0).exp_m1() + (1.0 - s) * (rho - rho0);
    log_concave_integral::<0>(phi, phi_diff, dphi, 0.0, hi, None, None).0
}

impl TransactionModel for ParetoNbd {
    fn expected_transactions(&self, t: f64) -> Result<f64> {
        check_non_negative("t", t)?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let v = r * beta / alpha * one_minus_exp_over(s - 1.0, (t / beta).ln_1p());
        finite(v, "expected number of transactions")
    }

    fn probability_of_transactions(&self, n: u32, t: f64) -> Result<f64> {
        check_non_negative("t", t)?;
        if t == 0.0 {
            return Ok(if n == 0 { 1.0 } else { 0.0 });
        }
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let nf = f64::from(n);
        let ln_c = ln_gamma_ratio(r, nf) - ln_gamma(nf + 1.0);
        // ln(τ/(c+τ)) accurately on both sides of c.
        let ln_frac = |tau: f64, c: f64| {
            if tau > c {
                -(c / tau).ln_1p()
            } else {
                (tau / (c + tau)).ln()
            }
        };
        // Alive throughout (0, t]: NBD(n; t) · (β/(β+t))ˢ.
        let n_term = |tau: f64| {
            if n == 0 {
                0.0
            } else {
                nf * ln_frac(tau, alpha)
            }
        };
        // The negative-binomial probability NBD(n; t) = r/(r+n) · Binom(n; r+n, t/(α+t)) by
        // Loader's saddle-point form: no cancellation between ln Γ(r+n)/Γ(r) and n ln(α+t)
        // when r and n are large.
        let (p_stay, q_buy) = (alpha / (alpha + t), t / (alpha + t));
        let loader = if n > 0 && p_stay > 0.0 && q_buy > 0.0 {
            -(nf / r).ln_1p() + ln_binomial_density(nf, r, q_buy, p_stay)
        } else {
            f64::NAN
        };
        let ln_nb_t = if loader.is_finite() {
            loader
        } else {
            ln_c - r * (t / alpha).ln_1p() + n_term(t)
        };
        let alive = (ln_nb_t - s * (t / beta).ln_1p()).exp();
        // Dead at τ < t: ∫_0^t s βˢ (β+τ)^−(s+1) NBD(n; τ) dτ, in ρ = ln τ, with the powers of α
        // and β written as ln(1 + τ/α), ln(1 + τ/β) (no r ln α − (r+n) ln(α+τ) to cancel).
        let ln_const = ln_c + s.ln();
        let phi = |rho: f64| {
            let tau = rho.exp();
            ln_const - r * (tau / alpha).ln_1p() - s * (tau / beta).ln_1p()
                + n_term(tau)
                + ln_frac(tau, beta)
        };
        let dphi = |rho: f64| {
            let tau = rho.exp();
            (nf + 1.0) - (r + nf) * tau / (alpha + tau) - (s + 1.0) * tau / (beta + tau)
        };
        let phi_diff = |rho: f64, rho0: f64| {
            let (tau0, step) = (rho0.exp(), (rho - rho0).exp_m1());
            (nf + 1.0) * (rho - rho0)
                - (r + nf) * (tau0 * step / (alpha + tau0)).ln_1p()
                - (s + 1.0) * (tau0 * step / (beta + tau0)).ln_1p()
        };
        let hi = t.ln();
        // Far below min(α, β) the slope of φ is about n + 1 ≥ 1: the window cut lies above lo.
        let lo = hi.min(alpha.ln()).min(beta.ln()) - 4.0 * LOG_WINDOW;
        let (ln_dead, _) = log_concave_integral::<0>(phi, phi_diff, dphi, lo, hi, None, None);
        let p = alive + ln_dead.exp();
        if !p.is_finite() {
            return Err(Error::Numerical(format!(
                "Pareto/NBD P(X({t}) = {n}) did not evaluate"
            )));
        }
        Ok(p.clamp(0.0, 1.0))
    }

    fn conditional_expected_transactions(&self, customer: &Customer, t: f64) -> Result<f64> {
        check_non_negative("t", t)?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let (x, age) = (customer.frequency(), customer.age());
        let b = beta + age;
        let if_alive = (r + x) * b / (alpha + age) * one_minus_exp_over(s - 1.0, (t / b).ln_1p());
        let v = if_alive * self.ln_probability_alive(customer).exp();
        finite(v, "conditional expected number of transactions")
    }

    fn probability_alive(&self, customer: &Customer) -> f64 {
        self.ln_probability_alive(customer).exp().clamp(0.0, 1.0)
    }

    /// Discounted expected residual transactions of a customer with history `(x, t_x, T)` at a
    /// continuously compounded discount rate `delta` per time unit (Fader, Hardie & Lee 2005,
    /// *JMR*): `∫_0^∞ e^(−δt) dE[Y(t)]`, which equals
    /// `αʳ βˢ δ^(s−1) Γ(r+x+1) U(s, s; δ(β+T)) / (Γ(r) (α+T)^(r+x+1) L)`.
    ///
    /// Multiply by the expected spend per transaction to get a customer's residual value. For a
    /// 15% annual rate on weekly data, `delta = ln(1.15)/52`.
    ///
    /// ```
    /// use clv::{Customer, ParetoNbd, TransactionModel};
    /// let model = ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562)?;
    /// let dert = model.discounted_expected_residual_transactions(&Customer::new(2.0, 30.43, 38.86)?, 0.00288)?;
    /// assert!((dert - 6.232410).abs() < 1e-5); // reference value computed with mpmath
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `delta` is finite and > 0; [`Error::Numerical`] when the
    /// result is too large to represent (`δ` near 0 with `s ≤ 1`, where it diverges).
    fn discounted_expected_residual_transactions(
        &self,
        customer: &Customer,
        delta: f64,
    ) -> Result<f64> {
        check_positive("delta", delta)?;
        let x = customer.frequency();
        let age = customer.age();
        let b = self.beta + age;
        // E[1/(μ+δ)] = b J(s, δb) ≤ 1/δ for μ ~ Gamma(s, b).
        let j = discount_integral(self.s, delta * b)?;
        let ln = self.ln_probability_alive(customer) + (self.r + x).ln() - (self.alpha + age).ln()
            + b.ln()
            + j.ln();
        finite(ln.exp(), "DERT")
    }
}

// ---------------------------------------------------------------------------------------------
// Fitting.
// ---------------------------------------------------------------------------------------------

/// The Pareto/NBD likelihood over compressed data, with per-frequency terms computed once per
/// evaluation and the per-row work split across cores.
struct ParetoNbdObjective {
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

impl ParetoNbdObjective {
    fn new(data: &RfmData) -> Self {
        Self::from_rows(data.frequency(), data.recency(), data.age(), data.weights())
    }

    fn from_rows(frequency: &[f64], recency: &[f64], age: &[f64], weight: &[f64]) -> Self {
        let mut xs: Vec<f64> = frequency.to_vec();
        xs.sort_unstable_by(f64::total_cmp);
        xs.dedup();
        let x_index: Vec<u32> = frequency
            .iter()
            .map(|x| xs.partition_point(|v| v < x) as u32)
            .collect();
        let mut x_weight = vec![0.0; xs.len()];
        for (&i, w) in x_index.iter().zip(weight) {
            x_weight[i as usize] += w;
        }
        ParetoNbdObjective {
            xs,
            x_weight,
            x_index,
            recency: recency.to_vec(),
            age: age.to_vec(),
            weight: weight.to_vec(),
            n_obs: weight.iter().sum(),
        }
    }

    fn len(&self) -> usize {
        self.x_index.len()
    }

    /// Start points scaled to the data: `r/α` matched to the mean purchase rate `Σx/ΣT`, `β`
    /// proportional to the mean age (CLVTools' start (0.5, 15, 0.5, 10) on CDNOW weeks is the
    /// first of these).
    fn default_starts(&self) -> Vec<Vec<f64>> {
        // Weighted and unweighted (distinct rows) scales: with extreme weights the weighted ones
        // can lie far outside the range where the unweighted rows have their optimum.
        let scales = |weighted: bool| {
            let (mut sx, mut st, mut n) = (0.0, 0.0, 0.0);
            for (i, (&xi, &w)) in self.x_index.iter().zip(&self.weight).enumerate() {
                let w = if weighted { w } else { 1.0 };
                sx += w * self.xs[xi as usize];
                st += w * self.age[i];
                n += w;
            }
            let rate = if sx > 0.0 { sx / st } else { 1.0 / st };
            (rate, st / n)
        };
        let (rate, mean_age) = scales(true);
        let (rate_u, mean_age_u) = scales(false);
        let mut pairs = vec![(rate, mean_age)];
        let far = |a: f64, b: f64| !(a / b).is_finite() || (a / b).ln().abs() > 10f64.ln();
        if far(rate, rate_u) || far(mean_age, mean_age_u) {
            pairs.push((rate_u, mean_age_u));
        }
        let mut starts = Vec::new();
        for (rate, mean_age) in pairs {
            for &(r, s, b) in &[
                (0.5, 0.5, 0.3),
                (1.0, 1.0, 1.0),
                (0.2, 2.0, 0.1),
                (3.0, 0.2, 3.0),
            ] {
                let start = vec![r, r / rate, s, b * mean_age];
                if start.iter().all(|v| v.is_finite() && *v > 0.0) {
                    starts.push(start);
                }
            }
        }
        starts
    }
}

impl Objective for ParetoNbdObjective {
    fn n_params(&self) -> usize {
        4
    }

    fn n_obs(&self) -> f64 {
        self.n_obs
    }

    fn n_rows(&self) -> usize {
        self.len()
    }

    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let Some(th) = params::<4>(theta, grad.as_deref()) else {
            return f64::NAN;
        };
        let [r, alpha, s, beta] = th;
        // Series coefficients of both tails for each distinct frequency.
        let a_ge_b = alpha >= beta;
        let mut tables = vec![[0.0; 4]; self.xs.len() * 2 * TABLE_TERMS];
        for (xi, chunk) in tables.chunks_mut(2 * TABLE_TERMS).enumerate() {
            let rx = r + self.xs[xi];
            let w = rx + s;
            let (g, k) = chunk.split_at_mut(TABLE_TERMS);
            // (e, a) = (q, p) if α ≥ β else (p, q), with (p, q) = (r+x, s+1) and (r+x+1, s).
            if a_ge_b {
                fill_table(s + 1.0, w, rx, g);
                fill_table(s, w, rx + 1.0, k);
            } else {
                fill_table(rx, w, s + 1.0, g);
                fill_table(rx + 1.0, w, s, k);
            }
        }
        let consts: Vec<RowConst<'_>> = self
            .xs
            .iter()
            .enumerate()
            .map(|(xi, &x)| {
                let base = 2 * TABLE_TERMS * xi;
                RowConst {
                    tables: Some((
                        &tables[base..base + TABLE_TERMS],
                        &tables[base + TABLE_TERMS..base + 2 * TABLE_TERMS],
                    )),
                    ..RowConst::new(r, s, x)
                }
            })
            .collect();
        let rows = |lo: usize, hi: usize, grad: bool| {
            let mut acc = [0.0; 5];
            for i in lo..hi {
                let rc = &consts[self.x_index[i] as usize];
                let w = self.weight[i];
                if grad {
                    let out = row::<true>(&th, rc, self.recency[i], self.age[i]);
                    acc[0] += w * out.ll;
                    for k in 0..4 {
                        acc[k + 1] += w * out.grad[k];
                    }
                } else {
                    acc[0] += w * row::<false>(&th, rc, self.recency[i], self.age[i]).ll;
                }
            }
            acc
        };
        let want_grad = grad.is_some();
        let [ll_rows, g_r, g_alpha, g_s, g_beta] =
            sum_rows(self.len(), |lo, hi| rows(lo, hi, want_grad));
        let mut ll = ll_rows;
        for (&x, &wx) in self.xs.iter().zip(&self.x_weight) {
            if wx != 0.0 {
                ll += wx * ln_gamma_ratio(r, x);
            }
        }
        if let Some(g) = grad {
            let mut cr = 0.0;
            for (&x, &wx) in self.xs.iter().zip(&self.x_weight) {
                if wx != 0.0 {
                    cr += wx * digamma_difference(r, x);
                }
            }
            g[0] = cr + g_r;
            g[1] = g_alpha;
            g[2] = g_s;
            g[3] = g_beta;
        }
        ll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numerical tail integral by brute-force quadrature in ρ = ln(min + v) on a long range.
    fn tail_reference(alpha: f64, beta: f64, p: f64, q: f64, u: f64) -> f64 {
        // ∫_u^∞ (α+v)^−p (β+v)^−q dv with v = u + e^y − 1.
        let f = |y: f64| {
            let v = u + y.exp_m1();
            (-(p) * (alpha + v).ln() - q * (beta + v).ln() + y).exp()
        };
        let (v, _) = integrate(f, 0.0, 200.0, 1e-13, 0.0, 20000);
        v.ln()
    }

    #[test]
    fn tail_series_and_fallback_agree_with_quadrature() {
        for &(alpha, beta, p, q, u) in &[
            (10.0f64, 11.0f64, 0.55f64, 1.6f64, 0.0f64),
            (10.0, 11.0, 0.55, 1.6, 0.0),
            (11.0, 10.0, 0.55, 1.6, 3.0),
            (1000.0, 0.001, 1.5, 0.7, 0.0),
            (0.001, 1000.0, 1.5, 0.7, 0.0),
            (100.0, 0.1, 3.0, 1.2, 1.0),
            (0.1, 100.0, 2.0, 0.4, 0.5),
            (5.0, 5.0, 2.0, 2.0, 1.0),
        ] {
            let (la, lb) = ((alpha + u).ln(), (beta + u).ln());
            let w = p + q - 1.0;
            let t = tail::<true>(alpha, beta, p, q, (w, w.ln()), u, la, lb, None);
            let reference = tail_reference(alpha, beta, p, q, u);
            let ln = t.rel() - p * la - q * lb;
            assert!(
                (ln - reference).abs() < 1e-10 * (1.0 + reference.abs()),
                "{alpha} {beta} {p} {q} {u}: {ln} vs {reference}"
            );
            // Gradient by central differences.
            let h = 1e-6;
            let args = [p, q, alpha, beta];
            for k in 0..4 {
                let mut up = args;
                let mut dn = args;
                up[k] += h * args[k];
                dn[k] -= h * args[k];
                let f = |a: [f64; 4]| {
                    let w = a[0] + a[1] - 1.0;
                    let (la, lb) = ((a[2] + u).ln(), (a[3] + u).ln());
                    tail::<false>(a[2], a[3], a[0], a[1], (w, w.ln()), u, la, lb, None).rel()
                };
                let fd = (f(up) - f(dn)) / (2.0 * h * args[k]);
                assert!(
                    (t.d[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                    "{alpha} {beta} {p} {q} {u} d{k}: {} vs {fd}",
                    t.d[k]
                );
            }
        }
    }

    #[test]
    fn discount_integral_matches_closed_form_at_s_half() {
        // s = 1/2: e^z z^(−1/2) Γ(1/2, z) = e^z z^(−1/2) √π erfc(√z), by mpmath (30 digits).
        for &(z, exact) in &[
            (1e-3, 54.104_656_243_624_25),
            (0.1, 4.055_650_792_041_964),
            (1.0, 0.757_872_156_141_312_1),
            (30.0, 0.032_803_476_425_991_9),
        ] {
            let v = ln_discount_quadrature(0.5, z).exp();
            assert!((v / exact - 1.0).abs() < 1e-11, "{z}: {v} vs {exact}");
        }
    }

    #[test]
    fn tails_agree_with_special_ln_hyp2f1() {
        // The tail integral is (m+u)^−w / w · ₂F₁(e, w; w+1; z): compare the crate's general
        // ln 2F1 with this module's series, table and quadrature paths.
        let vals = [1e-3f64, 0.1, 1.0, 10.0, 1e3];
        let mut worst = 0.0f64;
        for &alpha in &vals {
            for &beta in &vals {
                for &p in &[1e-3, 0.6, 1.0, 11.0, 301.0, 10001.0] {
                    for &q in &[0.001, 0.6, 1.001, 1.6, 1001.0] {
                        for &u in &[0.0, 0.5, 39.0, 1e4] {
                            let w = p + q - 1.0;
                            if w <= 0.0 {
                                continue;
                            }
                            let (la, lb) = ((alpha + u).ln(), (beta + u).ln());
                            let ours =
                                tail::<false>(alpha, beta, p, q, (w, w.ln()), u, la, lb, None)
                                    .rel()
                                    - p * la
                                    - q * lb;
                            let (m, e) = if alpha >= beta { (alpha, q) } else { (beta, p) };
                            let z = (alpha - beta).abs() / (m + u);
                            let f = crate::special::ln_hyp2f1(e, w, w + 1.0, z).unwrap();
                            let theirs = -w * (m + u).ln() - w.ln() + f;
                            // ln_hyp2f1 takes z, whose rounding moves ln F by about
                            // e·δz/(1−z) near z = 1 (the tails here use 1 − z exactly).
                            let omz = (m + u - (alpha - beta).abs()) / (m + u);
                            let conditioning = 1.0 + theirs.abs() + 1e4 * e * z / omz;
                            let err = (ours - theirs).abs() / conditioning;
                            worst = worst.max(err);
                            assert!(
                                err < 1e-12,
                                "α={alpha} β={beta} p={p} q={q} u={u}: {ours} vs {theirs}"
                            );
                        }
                    }
                }
            }
        }
        eprintln!("worst relative difference {worst:.1e}");
    }

    #[test]
    fn discount_integral_agrees_with_special_ln_upper_gamma() {
        // J(s, z) = e^z z^(s−1) Γ(1−s, z).
        for &s in &[1e-3f64, 0.3, 0.6061, 1.0, 1.5, 3.0, 10.0, 1e3] {
            for &z in &[1e-6f64, 1e-3, 0.0288, 1.0, 30.0, 1e4] {
                let ours = ln_discount_quadrature(s, z);
                let theirs =
                    z + (s - 1.0) * z.ln() + crate::special::ln_upper_gamma(1.0 - s, z).unwrap();
                assert!(
                    (ours - theirs).abs() < 1e-10 * (1.0 + theirs.abs()),
                    "s={s} z={z}: {ours} vs {theirs}"
                );
            }
        }
    }
}
