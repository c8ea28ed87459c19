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
//! The analytic Hessian (`Objective::hessian`: Newton steps and standard errors) follows every
//! path a row takes: the series carry their second-order sums in `(A, E, z)` (coefficients
//! tabulated per frequency as well), the numerical part its second moments, the
//! short-interval rule is differentiated twice under the integral sign, and the two terms of a
//! row combine as a log-sum-exp.
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

use crate::data::{Customer, FrequencyGroups, RfmData, index_pairs};
use crate::error::{Error, Result, check_non_negative, check_positive};
use crate::fit::Differentiated;
use crate::fit::exactly;
use crate::fit::objective::params;
use crate::models::transaction::differentiated_per_distinct;
use crate::models::{Model, TransactionModel};
use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma};

use super::simulation::{Budget, Simulate, Simulated, check_age, check_design, dist_err};
use crate::fit::{Estimable, FitOptions, Fitted, Objective, Rescaling};
use crate::numerics::log_concave::{LOG_WINDOW, log_concave_integral};
use crate::numerics::quadrature::{
    POWER_FACTORS, QUAD_PANELS, integrate, integrate_vec, power_rule,
};
use crate::numerics::special::trigamma_difference;
use crate::numerics::tail::{
    TABLE_TERMS, Tail, TailHessian, fill_hessian_table, fill_table, symmetrise, table_terms, tail,
    tail_hessian,
};
use crate::numerics::{finite_or, one_minus_exp_over};
use crate::parallel::sum_rows_from;
use crate::special::{digamma_difference, discount_integral, ln_binomial_density, ln_gamma_ratio};

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
        let [r, alpha, s, beta] = exactly::<4>(p, "Pareto/NBD")?;
        ParetoNbd::new(r, alpha, s, beta)
    }
}

/// Rows a thread from which a likelihood pass is split across threads: a row costs about 200 ns
/// (its quadrature nodes or series terms, several times a BG/NBD row), so a few hundred rows
/// outweigh starting a thread (tens of microseconds).
const ROWS_PER_THREAD: usize = 256;

/// Above this log-likelihood a customer without repeat purchases is evaluated through
/// `ln(1 − D)` with `D` integrated directly (see `ParetoNbd::no_purchase`).
const NEAR_ZERO_LL: f64 = -0.5;

/// What one row needs besides `(t_x, T)`: per-frequency constants and, in the fit, the series
/// coefficients of its two tails.
pub(crate) struct RowConst<'a> {
    /// The frequency `x` (not recovered as `(r + x) − r`, which loses it once `r` is large).
    x: f64,
    rx: f64,
    ln_rx: f64,
    w: f64,
    ln_w: f64,
    ln_s: f64,
    pub(crate) tables: Option<TablePair<'a>>,
    /// The second-order coefficients of the two tails ([`hessian_tables`]), for [`row_hessian`].
    pub(crate) hessian_tables: Option<HessianPair<'a>>,
}

/// Second-order series coefficients of the tails `G` and `K` for one frequency.
pub(crate) type HessianPair<'a> = (&'a [[f64; 6]], &'a [[f64; 6]]);

/// Series coefficients of the tails `G` and `K` for one frequency.
pub(crate) type TablePair<'a> = (&'a [[f64; 4]], &'a [[f64; 4]]);

impl RowConst<'static> {
    pub(crate) fn new(r: f64, s: f64, x: f64) -> Self {
        let rx = r + x;
        let w = rx + s;
        RowConst {
            x,
            rx,
            ln_rx: rx.ln(),
            w,
            ln_w: w.ln(),
            ln_s: s.ln(),
            tables: None,
            hessian_tables: None,
        }
    }
}

/// One row of the likelihood: `ll = ln L − [lnΓ(r+x) − lnΓ(r)]`, the log of the bracket
/// `B = (α+T)^(r+x) (β+T)ˢ [s G(t_x) + (r+x) K(T)] = 1 / P(alive)` and, when asked for, the
/// gradient of `ll` in `(r, α, s, β)`.
pub(crate) struct RowOut {
    pub(crate) ll: f64,
    ln_bracket: f64,
    pub(crate) grad: [f64; 4],
}

/// Evaluates one row. With `p = r+x`, `A_u = α+u`, `B_u = β+u`, `Δ = T − t_x`, the tails in
/// relative form give `ln(s G(t_x)) = ln s + rel_G + p ln(1+Δ/A_x) + s ln(1+Δ/B_x) − ln B_x − p
/// ln A_T − s ln B_T` and `ln((r+x) K(T)) = ln p + rel_K − ln A_T − p ln A_T − s ln B_T`: the
/// powers at `T` cancel analytically against `P(alive)`'s numerator, and with
/// `r ln α + s ln β` the likelihood becomes `−r ln(1+T/α) − x ln A_T − s ln(1+T/β) + ln B`.
#[inline]
pub(crate) fn row<const GRAD: bool>(th: &[f64; 4], rc: &RowConst<'_>, tx: f64, t: f64) -> RowOut {
    let at_t = At::new(th, t);
    row_at::<GRAD>(th, rc, tx, t, &at_t, || {
        Far::own(th, rc, tx, t, at_t, tail_at::<GRAD>)
    })
}

/// The logarithms of one time `u` alone that a row takes: `ln(α+u)`, `ln(β+u)`, `ln(1+u/α)` and
/// `ln(1+u/β)`. Ages and recencies take few distinct values in real data (whole days), so the
/// fit computes them once per distinct value and evaluation ([`row_at`]).
#[derive(Clone, Copy)]
pub(crate) struct At {
    la: f64,
    lb: f64,
    l1a: f64,
    l1b: f64,
}

impl At {
    #[inline]
    pub(crate) fn new(th: &[f64; 4], u: f64) -> Self {
        let [_, alpha, _, beta] = *th;
        At {
            la: (alpha + u).ln(),
            lb: (beta + u).ln(),
            l1a: (u / alpha).ln_1p(),
            l1b: (u / beta).ln_1p(),
        }
    }

    /// The logarithms of a recency `t_x` given those of the age `T` (`at_t`): the same values
    /// when `t_x = T`.
    #[inline]
    fn of_recency(th: &[f64; 4], tx: f64, t: f64, at_t: At) -> Self {
        if tx == t { at_t } else { At::new(th, tx) }
    }
}

/// What a row on the tails' path takes besides the logarithms of `T`: those of `t_x` ([`At`])
/// and its two tails, `G` at `t_x` and `K` at `T` ([`Tail`] for [`row_at`], [`TailHessian`] for
/// [`row_value_hessian`]). A tail depends on the row only through its frequency and its time,
/// so the fit computes it once per distinct pair, thread and evaluation.
pub(crate) struct Far<T> {
    at_tx: At,
    g: T,
    k: T,
}

impl<T> Far<T> {
    /// A row's own: the logarithms of `t_x` given those of `T` ([`At::of_recency`]) and both
    /// tails computed by `tail` ([`tail_at`] or [`tail_hessian_at`]).
    #[inline]
    fn own(
        th: &[f64; 4],
        rc: &RowConst<'_>,
        tx: f64,
        t: f64,
        at_t: At,
        tail: impl Fn(&[f64; 4], &RowConst<'_>, Which, f64, &At) -> T,
    ) -> Self {
        let at_tx = At::of_recency(th, tx, t, at_t);
        Far {
            g: tail(th, rc, Which::G, tx, &at_tx),
            k: tail(th, rc, Which::K, t, &at_t),
            at_tx,
        }
    }
}

/// The two tails of a row: `G` at the recency, with `(p, q) = (r+x, s+1)`, and `K` at the
/// age, with `(p, q) = (r+x+1, s)`.
#[derive(Clone, Copy)]
enum Which {
    G,
    K,
}

impl Which {
    /// `(p, q)` of this tail for the frequency of `rc` and the dropout shape `s`.
    #[inline]
    fn shape(self, rc: &RowConst<'_>, s: f64) -> (f64, f64) {
        match self {
            Which::G => (rc.rx, s + 1.0),
            Which::K => (rc.rx + 1.0, s),
        }
    }

    /// This tail's table of a frequency's pair of tables.
    #[inline]
    fn pick<T>(self, pair: Option<(T, T)>) -> Option<T> {
        pair.map(|(g, k)| match self {
            Which::G => g,
            Which::K => k,
        })
    }
}

/// The tail `which` of a row with frequency constants `rc` at time `u` (logarithms `at_u`).
#[inline]
fn tail_at<const GRAD: bool>(
    th: &[f64; 4],
    rc: &RowConst<'_>,
    which: Which,
    u: f64,
    at_u: &At,
) -> Tail {
    let [_, alpha, s, beta] = *th;
    let (p, q) = which.shape(rc, s);
    let table = which.pick(rc.tables);
    tail::<GRAD>(
        alpha,
        beta,
        p,
        q,
        (rc.w, rc.ln_w),
        u,
        at_u.la,
        at_u.lb,
        table,
    )
}

/// [`tail_at`] with the tail's Hessian ([`tail_hessian`]).
#[inline]
fn tail_hessian_at(
    th: &[f64; 4],
    rc: &RowConst<'_>,
    which: Which,
    u: f64,
    at_u: &At,
) -> TailHessian {
    let [_, alpha, s, beta] = *th;
    let (p, q) = which.shape(rc, s);
    let table = which.pick(rc.hessian_tables);
    tail_hessian(
        alpha,
        beta,
        p,
        q,
        (rc.w, rc.ln_w),
        u,
        at_u.la,
        at_u.lb,
        table,
    )
}

/// [`row`] given the logarithms of `T` ([`At`]) and a source of the rest ([`Far`]), taken only
/// where the row needs it: not on the short interval of [`row_short`].
#[inline]
pub(crate) fn row_at<const GRAD: bool>(
    th: &[f64; 4],
    rc: &RowConst<'_>,
    tx: f64,
    t: f64,
    at_t: &At,
    far: impl FnOnce() -> Far<Tail>,
) -> RowOut {
    let [r, alpha, s, beta] = *th;
    let (rx, x) = (rc.rx, rc.x);
    let interval = Interval::new(th, tx, t);
    if let Some(shape) = interval.short_shape(s, rx) {
        return row_short::<GRAD>(th, rx, x, tx, t, at_t, shape);
    }
    let Far { at_tx, g, k } = far();
    let (ax, bx) = (interval.ax, interval.bx);
    let (at, bt) = (alpha + t, beta + t);
    let [lb_tx, la_t] = [at_tx.lb, at_t.la];
    let (l1a, l1b) = interval.logs();
    // B = e^a S_G + e^b S_K with one exponential and one logarithm.
    let a = rc.ln_s + g.base + rx * l1a + s * l1b - lb_tx;
    let b = rc.ln_rx + k.base - la_t;
    let ln_bracket = b + (k.sum + g.sum * (a - b).exp()).ln();
    // The likelihood with each term referred to its own point (no ln B ≈ −ln P(alive) to cancel
    // when P(alive) is tiny): r ln α + s ln β + ln(s G(t_x)) and r ln α + s ln β + ln((r+x) K(T)).
    let ga = rc.ln_s + g.base + own_point(th, x, &at_tx) - lb_tx;
    let kb = rc.ln_rx + k.base + own_point(th, x, at_t) - la_t;
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
        part(pa, g.d[0] - at_tx.l1a) + part(pb, k.d[0] + 1.0 / rx - at_t.l1a),
        part(pa, g.d[2] + (r * (tx / alpha) - x) / ax)
            + part(pb, k.d[2] + (r * (t / alpha) - x - 1.0) / at),
        part(pa, g.d[1] + 1.0 / s - at_tx.l1b) + part(pb, k.d[1] - at_t.l1b),
        part(pa, g.d[3] + (s * (tx / beta) - 1.0) / bx) + part(pb, k.d[3] + s * (t / beta) / bt),
    ];
    RowOut {
        ll,
        ln_bracket,
        grad,
    }
}

/// `−r ln(1+u/α) − x ln(α+u) − s ln(1+u/β)` from the logarithms of `u`: with `r ln α + s ln β`,
/// the powers of a term of [`row`] referred to its own point `u`.
#[inline]
fn own_point(th: &[f64; 4], x: f64, at_u: &At) -> f64 {
    let [r, _, s, _] = *th;
    let x_term = if x == 0.0 { 0.0 } else { x * at_u.la };
    -r * at_u.l1a - x_term - s * at_u.l1b
}

/// Series coefficients of the tails `G` and `K` of every frequency `xs`, for the branch
/// `α ≥ β` (`a_ge_b`) or `α < β`: `2·terms` rows per frequency (see [`row_consts`]).
pub(crate) fn series_tables(
    r: f64,
    s: f64,
    xs: &[f64],
    a_ge_b: bool,
    terms: usize,
) -> Vec<[f64; 4]> {
    let mut tables = vec![[0.0; 4]; xs.len() * 2 * terms];
    for (xi, chunk) in tables.chunks_mut(2 * terms).enumerate() {
        let rx = r + xs[xi];
        let w = rx + s;
        let (g, k) = chunk.split_at_mut(terms);
        // (e, a) = (q, p) if α ≥ β else (p, q), with (p, q) = (r+x, s+1) and (r+x+1, s).
        if a_ge_b {
            fill_table(s + 1.0, w, rx, g);
            fill_table(s, w, rx + 1.0, k);
        } else {
            fill_table(rx, w, s + 1.0, g);
            fill_table(rx + 1.0, w, s, k);
        }
    }
    tables
}

/// Second-order series coefficients ([`fill_hessian_table`]) of the tails `G` and `K` of every
/// frequency `xs` for the branch `α ≥ β` (`a_ge_b`) or `α < β`: `2·TABLE_TERMS` rows per
/// frequency, `G`'s then `K`'s.
pub(crate) fn hessian_tables(r: f64, s: f64, xs: &[f64], a_ge_b: bool) -> Vec<[f64; 6]> {
    let mut tables = vec![[0.0; 6]; xs.len() * 2 * TABLE_TERMS];
    for (chunk, &x) in tables.chunks_mut(2 * TABLE_TERMS).zip(xs) {
        let rx = r + x;
        let w = rx + s;
        let (g, k) = chunk.split_at_mut(TABLE_TERMS);
        // (A, E) = (p, q) if α ≥ β else (q, p), with (p, q) = (r+x, s+1) and (r+x+1, s).
        for ((p, q), out) in [((rx, s + 1.0), g), ((rx + 1.0, s), k)] {
            let (a, e) = if a_ge_b { (p, q) } else { (q, p) };
            fill_hessian_table(a, e, w, out);
        }
    }
    tables
}

/// The per-frequency constants of [`row_hessian`] for every frequency `xs`, with the
/// second-order series coefficients of `tables` ([`hessian_tables`]).
pub(crate) fn hessian_consts<'a>(
    r: f64,
    s: f64,
    xs: &[f64],
    tables: &'a [[f64; 6]],
) -> Vec<RowConst<'a>> {
    xs.iter()
        .zip(tables.chunks(2 * TABLE_TERMS))
        .map(|(&x, t)| RowConst {
            hessian_tables: Some(t.split_at(TABLE_TERMS)),
            ..RowConst::new(r, s, x)
        })
        .collect()
}

/// The per-frequency constants of [`row`] for every frequency `xs`, with the series
/// coefficients of `tables` ([`series_tables`], `2·terms` rows per frequency).
pub(crate) fn row_consts<'a>(
    r: f64,
    s: f64,
    xs: &[f64],
    tables: &'a [[f64; 4]],
) -> Vec<RowConst<'a>> {
    let terms = tables.len() / (2 * xs.len()).max(1);
    xs.iter()
        .zip(tables.chunks(2 * terms.max(1)))
        .map(|(&x, t)| RowConst {
            tables: Some(t.split_at(terms)),
            ..RowConst::new(r, s, x)
        })
        .collect()
}

/// Largest variation `V` of the log of the integrand of `B − 1` over `[t_x, T]` (see
/// [`row_short`]) for which that integral is taken by the fixed 16-point Gauss–Legendre rule.
const SHORT_VARIATION: f64 = 2.0;

/// A node `w` of the Gauss–Legendre rule on `[t_x, T]` of [`row_short`]: its weight (for the
/// interval `[−1, 1]`), `T − w`, `α + w`, `β + w`, `ln((α+T)/(α+w))` and `ln((β+T)/(β+w))`.
struct Node {
    weight: f64,
    rest: f64,
    aw: f64,
    bw: f64,
    la: f64,
    lb: f64,
}

/// The nodes on `[t_x, T]` of the rule `(xs, ws)` on `[−1, 1]` ([`power_rule`]).
#[inline]
fn short_nodes(
    alpha: f64,
    beta: f64,
    tx: f64,
    t: f64,
    (xs, ws): (&'static [f64], &'static [f64]),
) -> impl Iterator<Item = Node> {
    let (c, half) = (0.5 * (tx + t), 0.5 * (t - tx));
    xs.iter().zip(ws).map(move |(&xi, &wi)| {
        let w = c + half * xi;
        let rest = t - w;
        let (aw, bw) = (alpha + w, beta + w);
        Node {
            weight: wi,
            rest,
            aw,
            bw,
            la: (rest / aw).ln_1p(),
            lb: (rest / bw).ln_1p(),
        }
    })
}

/// A row's interval `[t_x, T]`: `Δ = T − t_x`, `α + t_x`, `β + t_x` and, where `Δ` is at most
/// both offsets (a row [`row_short`] may take), `ln(1 + Δ/(α+t_x))` and `ln(1 + Δ/(β+t_x))`,
/// which the short-interval test and the tails' path then share.
#[derive(Clone, Copy)]
struct Interval {
    dt: f64,
    ax: f64,
    bx: f64,
    logs: Option<(f64, f64)>,
}

impl Interval {
    #[inline]
    fn new(th: &[f64; 4], tx: f64, t: f64) -> Self {
        let [_, alpha, _, beta] = *th;
        let dt = t - tx;
        let (ax, bx) = (alpha + tx, beta + tx);
        let near = !(dt.is_nan() || dt > ax || dt > bx);
        Interval {
            dt,
            ax,
            bx,
            logs: near.then(|| ((dt / ax).ln_1p(), (dt / bx).ln_1p())),
        }
    }

    /// `ln(1 + Δ/(α+t_x))` and `ln(1 + Δ/(β+t_x))`.
    #[inline]
    fn logs(&self) -> (f64, f64) {
        self.logs
            .unwrap_or_else(|| ((self.dt / self.ax).ln_1p(), (self.dt / self.bx).ln_1p()))
    }

    /// Where [`row_short`] takes the row: its reach `Δ/(min(α, β) + t_x)` and the variation `V`
    /// of `ln f` over `[t_x, T]` (see there); `None` elsewhere.
    #[inline]
    fn short_shape(&self, s: f64, rx: f64) -> Option<(f64, f64)> {
        let (l1a, l1b) = self.logs?;
        let variation = rx * l1a + (s + 1.0) * l1b;
        (!variation.is_nan() && variation <= SHORT_VARIATION)
            .then_some((self.dt / self.ax.min(self.bx), variation))
    }
}

/// One row when the last purchase is recent: `B = 1/P(alive) = 1 + s/(β+T) ∫_{t_x}^T f(w) dw`
/// with `f(w) = ((α+T)/(α+w))^(r+x) ((β+T)/(β+w))^(s+1)` (Fader & Hardie 2005, note 009), and
/// the gradient by differentiating under the integral sign. Taken when `Δ = T − t_x` is at most
/// `α + t_x` and `β + t_x` and `ln f` varies by at most [`SHORT_VARIATION`] over the interval:
/// `f` is then analytic in the Bernstein ellipse of parameter `ρ ≥ 3 + √8` around it (its
/// singularities lie at `−α` and `−β`) and bounded there by a modest constant. The
/// Gauss–Legendre rule is [`power_rule`]'s: the fewest of 4 to 16 nodes proven within `1e-20`
/// of `∫f` for `f` alone or, with the gradient, for the integrands of up to second derivatives
/// (16 where none is); `shape` is the row's [`Interval::short_shape`].
#[inline]
#[allow(clippy::too_many_arguments)]
fn row_short<const GRAD: bool>(
    th: &[f64; 4],
    rx: f64,
    x: f64,
    tx: f64,
    t: f64,
    at_t: &At,
    (reach, variation): (f64, f64),
) -> RowOut {
    let [r, alpha, s, beta] = *th;
    let dt = t - tx;
    let q = s + 1.0;
    let (at, bt) = (alpha + t, beta + t);
    // Σ over nodes of f, f ln((α+T)/(α+w)), f (1/(α+w) − 1/(α+T)), f ln((β+T)/(β+w)),
    // f (1/(β+w) − 1/(β+T)), each non-negative and formed without cancellation.
    let mut acc = [0.0; 5];
    if dt > 0.0 {
        let half = 0.5 * dt;
        let rule = power_rule(reach, variation, if GRAD { POWER_FACTORS } else { 0 });
        for Node {
            weight: wi,
            rest,
            aw,
            bw,
            la,
            lb,
        } in short_nodes(alpha, beta, tx, t, rule)
        {
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
    let ll = own_point(th, x, at_t) + ln_bracket;
    if !GRAD {
        return RowOut {
            ll,
            ln_bracket,
            grad: [0.0; 4],
        };
    }
    let b = 1.0 + c * acc[0];
    let db = [
        c * acc[1],
        -c * rx * acc[2],
        acc[0] / bt + c * acc[3],
        -c * acc[0] / bt - c * q * acc[4],
    ];
    let grad = [
        -at_t.l1a + db[0] / b,
        (r * (t / alpha) - x) / at + db[1] / b,
        -at_t.l1b + db[2] / b,
        s * (t / beta) / bt + db[3] / b,
    ];
    RowOut {
        ll,
        ln_bracket,
        grad,
    }
}

/// Gradient and Hessian of one row's `ll` (as [`row`]) in `(r, α, s, β)`.
pub(crate) type RowHessian = ([f64; 4], [[f64; 4]; 4]);

/// The gradient and Hessian of [`row`]'s `ll` in `(r, α, s, β)`, along the path [`row`] takes.
///
/// On the short interval ([`row_short`]) `ll = own(T) + ln B`, `B = 1 + c I`, `c = s/(β+T)`,
/// `I = ∫ f`, differentiated twice under the integral sign: `∂ᵢⱼ I = ∫ f (∂ᵢ ln f ∂ⱼ ln f +
/// ∂ᵢⱼ ln f)`, `∇² ln B = ∇²B/B − ∇B ∇Bᵀ/B²`.
///
/// Otherwise `ll` is the log-sum-exp of `ℓ_G = ln s + rel_G + own(t_x) − ln(β+t_x)` and
/// `ℓ_K = ln(r+x) + rel_K + own(T) − ln(α+T)` (`own(u) = −r ln(1+u/α) − x ln(α+u) −
/// s ln(1+u/β)`), with each tail's Hessian from [`tail_hessian`] (its `(p, q)` are `r` and `s`
/// shifted), so `∇² ll = p_G ∇²ℓ_G + p_K ∇²ℓ_K + p_G p_K (∇ℓ_G − ∇ℓ_K)(∇ℓ_G − ∇ℓ_K)ᵀ` with the
/// weights `p_G + p_K = 1` of the two terms.
pub(crate) fn row_hessian(th: &[f64; 4], rc: &RowConst<'_>, tx: f64, t: f64) -> RowHessian {
    let at_t = At::new(th, t);
    row_value_hessian(th, rc, tx, t, &at_t, || {
        Far::own(th, rc, tx, t, at_t, tail_hessian_at)
    })
    .1
}

/// [`row_hessian`] with the row's `ll` (as [`row`] gives it, to rounding: formed from the
/// same terms, combined in the form the Hessian uses), given the logarithms of `T` and a source
/// of the rest as [`row_at`].
pub(crate) fn row_value_hessian(
    th: &[f64; 4],
    rc: &RowConst<'_>,
    tx: f64,
    t: f64,
    at_t: &At,
    far: impl FnOnce() -> Far<TailHessian>,
) -> (f64, RowHessian) {
    let [r, alpha, s, beta] = *th;
    let (rx, x) = (rc.rx, rc.x);
    // Second derivatives of own(u): (r, α), (α, α), (s, β), (β, β).
    let own = |u: f64, xu: f64| {
        let (au, bu) = (alpha + u, beta + u);
        [
            u / (alpha * au),
            -r * (u / alpha) * ((2.0 * alpha + u) / au) / (alpha * au) + xu / (au * au),
            u / (beta * bu),
            -s * (u / beta) * ((2.0 * beta + u) / bu) / (beta * bu),
        ]
    };
    let add_own = |h: &mut [[f64; 4]; 4], o: [f64; 4]| {
        h[0][1] += o[0];
        h[1][1] += o[1];
        h[2][3] += o[2];
        h[3][3] += o[3];
    };
    if let Some(shape) = Interval::new(th, tx, t).short_shape(s, rx) {
        let (ln_b, (g, mut h)) = short_hessian(th, rx, tx, t, shape);
        let [r_ln, a_ln, s_ln, b_ln] = [
            -at_t.l1a,
            (r * (t / alpha) - x) / (alpha + t),
            -at_t.l1b,
            s * (t / beta) / (beta + t),
        ];
        add_own(&mut h, own(t, x));
        symmetrise(&mut h);
        let x_term = if x == 0.0 { 0.0 } else { x * at_t.la };
        let ll = r * r_ln - x_term + s * s_ln + ln_b;
        let grad = [g[0] + r_ln, g[1] + a_ln, g[2] + s_ln, g[3] + b_ln];
        return (ll, (grad, h));
    }
    let Far { at_tx, g, k } = far();
    let (ax, bx) = (alpha + tx, beta + tx);
    let (at, bt) = (alpha + t, beta + t);
    let [lb_tx, la_t] = [at_tx.lb, at_t.la];
    let ga = rc.ln_s + g.rel + own_point(th, x, &at_tx) - lb_tx;
    let kb = rc.ln_rx + k.rel + own_point(th, x, at_t) - la_t;
    // ll = ln(e^ℓ_G + e^ℓ_K) and the weight p_G of the first term, from one exponential.
    let (ll, pa) = if ga <= kb {
        let q = (ga - kb).exp();
        (kb + q.ln_1p(), q / (1.0 + q))
    } else {
        let q = (kb - ga).exp();
        (ga + q.ln_1p(), 1.0 / (1.0 + q))
    };
    let pb = 1.0 - pa;
    // Tail coordinates (p, q, α, β) are parameters (r, s, α, β).
    let param = [0, 2, 1, 3];
    let in_params = |tail: &TailHessian| {
        let mut d = [0.0; 4];
        let mut h = [[0.0; 4]; 4];
        for i in 0..4 {
            d[param[i]] = tail.d[i];
            for j in 0..4 {
                h[param[i]][param[j]] = tail.h[i][j];
            }
        }
        (d, h)
    };
    let (mut d_g, mut h_g) = in_params(&g);
    d_g[0] -= at_tx.l1a;
    d_g[1] += (r * (tx / alpha) - x) / ax;
    d_g[2] += 1.0 / s - at_tx.l1b;
    d_g[3] += (s * (tx / beta) - 1.0) / bx;
    add_own(&mut h_g, own(tx, x));
    h_g[2][2] -= 1.0 / (s * s);
    h_g[3][3] += 1.0 / (bx * bx);
    let (mut d_k, mut h_k) = in_params(&k);
    d_k[0] += 1.0 / rx - at_t.l1a;
    d_k[1] += (r * (t / alpha) - x - 1.0) / at;
    d_k[2] -= at_t.l1b;
    d_k[3] += s * (t / beta) / bt;
    add_own(&mut h_k, own(t, x + 1.0));
    h_k[0][0] -= 1.0 / (rx * rx);
    // A term whose weight underflows to 0 contributes nothing (its derivatives may overflow).
    let part = |w: f64, v: f64| if w == 0.0 { 0.0 } else { w * v };
    let pab = pa * pb;
    let grad = std::array::from_fn(|i| part(pa, d_g[i]) + part(pb, d_k[i]));
    let mut h = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in i..4 {
            h[i][j] = part(pa, h_g[i][j])
                + part(pb, h_k[i][j])
                + part(pab, (d_g[i] - d_k[i]) * (d_g[j] - d_k[j]));
        }
    }
    symmetrise(&mut h);
    (ll, (grad, h))
}

/// `ln B` of [`row_short`] with its gradient and upper-triangle Hessian in `(r, α, s, β)`: with
/// `A_w = (T−w)/((α+w)(α+T))`, `B_w = (T−w)/((β+w)(β+T))`, `ln f` has gradient
/// `(ln((α+T)/(α+w)), −(r+x) A_w, ln((β+T)/(β+w)), −(s+1) B_w)` and second derivatives
/// `(r, α): −A_w`, `(α, α): (r+x) A_w (1/(α+w) + 1/(α+T))`, `(s, β): −B_w`,
/// `(β, β): (s+1) B_w (1/(β+w) + 1/(β+T))`.
fn short_hessian(
    th: &[f64; 4],
    rx: f64,
    tx: f64,
    t: f64,
    (reach, variation): (f64, f64),
) -> (f64, RowHessian) {
    let [_, alpha, s, beta] = *th;
    let q = s + 1.0;
    let (at, bt) = (alpha + t, beta + t);
    let dt = t - tx;
    // ∫ f, ∫ f ∂ᵢ ln f and ∫ f (∂ᵢ ln f ∂ⱼ ln f + ∂ᵢⱼ ln f) (upper triangle).
    let mut i0 = 0.0;
    let mut i1 = [0.0; 4];
    let mut i2 = [[0.0; 4]; 4];
    if dt > 0.0 {
        let half = 0.5 * dt;
        let rule = power_rule(reach, variation, POWER_FACTORS);
        for node in short_nodes(alpha, beta, tx, t, rule) {
            let Node { rest, aw, bw, .. } = node;
            let (la, lb) = (node.la, node.lb);
            let f = node.weight * half * (rx * la + q * lb).exp();
            let (a_w, b_w) = (rest / (aw * at), rest / (bw * bt));
            let g = [la, -rx * a_w, lb, -q * b_w];
            i0 += f;
            for i in 0..4 {
                i1[i] += f * g[i];
                for j in i..4 {
                    i2[i][j] += f * g[i] * g[j];
                }
            }
            i2[0][1] -= f * a_w;
            i2[1][1] += f * rx * a_w * (1.0 / aw + 1.0 / at);
            i2[2][3] -= f * b_w;
            i2[3][3] += f * q * b_w * (1.0 / bw + 1.0 / bt);
        }
    }
    // B = 1 + c I with c = s/(β+T): ∂c = (0, 0, 1/(β+T), −s/(β+T)²), ∂²c at (s, β) and (β, β).
    let c = s / bt;
    let dc = [0.0, 0.0, 1.0 / bt, -c / bt];
    let b = 1.0 + c * i0;
    let db: [f64; 4] = std::array::from_fn(|i| c * i1[i] + dc[i] * i0);
    let mut h = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in i..4 {
            let d2b = c * i2[i][j] + dc[i] * i1[j] + dc[j] * i1[i];
            h[i][j] = d2b / b - (db[i] / b) * (db[j] / b);
        }
    }
    h[2][3] -= i0 / (bt * bt) / b;
    h[3][3] += 2.0 * c * i0 / (bt * bt) / b;
    ((c * i0).ln_1p(), (db.map(|v| v / b), h))
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
        super::summary_rows(data, "Pareto/NBD")
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
        rows.select(keep).ok()
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
    /// [`Error::InvalidInput`] when no customer made a repeat purchase; otherwise as
    /// [`crate::fit::fit`] (a fit that ends anywhere but at a verified maximum is returned with
    /// its [`Fitted::status`]).
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

// ---------------------------------------------------------------------------------------------
// Gradients of the predictions with respect to the log-parameters (for delta-method intervals).
// ---------------------------------------------------------------------------------------------

impl ParetoNbd {
    /// `P(alive | x, t_x, T) = 1/B` and its gradient in `(ln r, ln α, ln s, ln β)`:
    /// `∂P/∂ln θ = −P θ ∂ln B/∂θ`, with `∂ln B/∂θ` the likelihood's analytic gradient (the tails
    /// differentiated along their series, or the short-interval integral differentiated under
    /// the integral sign) less that of `−r ln(1+T/α) − x ln(α+T) − s ln(1+T/β)`:
    /// `(−ln(1+T/α), (rT/α − x)/(α+T), −ln(1+T/β), sT/(β(β+T)))`.
    fn probability_alive_gradient(&self, c: &Customer) -> (f64, [f64; 4]) {
        let (x, tx, t) = (c.frequency(), c.recency(), c.age());
        if tx == t {
            return (1.0, [0.0; 4]);
        }
        let th = self.theta();
        let [r, alpha, s, beta] = th;
        let out = row::<true>(&th, &RowConst::new(r, s, x), tx, t);
        let p = (-out.ln_bracket).min(0.0).exp().clamp(0.0, 1.0);
        let outer = [
            -(t / alpha).ln_1p(),
            (r * (t / alpha) - x) / (alpha + t),
            -(t / beta).ln_1p(),
            s * (t / beta) / (beta + t),
        ];
        let mut g = [0.0; 4];
        for (i, e) in g.iter_mut().enumerate() {
            *e = -p * (out.grad[i] - outer[i]) * th[i];
        }
        (p, g)
    }

    /// `E[Y(t) | x, t_x, T] = P(alive) · H`, `H = (r+x)(β+T)/(α+T) · (1 − e^(−(s−1)y))/(s−1)`
    /// with `y = ln(1 + t/(β+T))`, and its gradient `H ∇P + P H ∇ln H` in
    /// `(ln r, ln α, ln s, ln β)`: with `w = (s−1)y`,
    ///
    /// ```text
    /// ∂ln H/∂ln r = r/(r+x)          ∂ln H/∂ln s = s y φ(w),  φ(w) = (w/(eʷ−1) − 1)/w
    /// ∂ln H/∂ln α = −α/(α+T)         ∂ln H/∂ln β = β/(β+T) · (1 − w/(eʷ−1) · t/((β+T+t) y))
    /// ```
    ///
    /// (`φ` by its series `−½ + w/12 − w³/720` for `|w| < 10⁻³`).
    fn conditional_expected_transactions_gradient(
        &self,
        c: &Customer,
        t: f64,
    ) -> Result<(f64, [f64; 4])> {
        check_non_negative("t", t)?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let (x, age) = (c.frequency(), c.age());
        let (p, dp) = self.probability_alive_gradient(c);
        if t == 0.0 {
            return Ok((0.0, [0.0; 4]));
        }
        let b = beta + age;
        let y = (t / b).ln_1p();
        let h = (r + x) * b / (alpha + age) * one_minus_exp_over(s - 1.0, y);
        let v = finite_or(h * p, |_| {
            "Pareto/NBD conditional expected number of transactions is not representable as a \
             finite number"
                .into()
        })?;
        let w = (s - 1.0) * y;
        // w/(eʷ − 1), 1 at w = 0
        let ratio = if w == 0.0 { 1.0 } else { w / w.exp_m1() };
        let phi = if w.abs() < 1e-3 {
            -0.5 + w / 12.0 - w * w * w / 720.0
        } else {
            (ratio - 1.0) / w
        };
        let dln_h = [
            r / (r + x),
            -alpha / (alpha + age),
            s * y * phi,
            beta / b * (1.0 - ratio * (t / (b + t)) / y),
        ];
        let mut g = [0.0; 4];
        for (i, e) in g.iter_mut().enumerate() {
            *e = h * (dp[i] + p * dln_h[i]);
        }
        Ok((v, g))
    }
}

impl TransactionModel for ParetoNbd {
    fn expected_transactions(&self, t: f64) -> Result<f64> {
        check_non_negative("t", t)?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let v = r * beta / alpha * one_minus_exp_over(s - 1.0, (t / beta).ln_1p());
        finite_or(v, |_| {
            "Pareto/NBD expected number of transactions is not representable as a finite number"
                .into()
        })
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
        let (ln_dead, _) = log_concave_integral::<0>(phi, phi_diff, dphi, lo, hi, None);
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
        finite_or(v, |_| {
            concat!(
                "Pareto/NBD conditional expected number of transactions is not representable as ",
                "a finite number"
            )
            .into()
        })
    }

    fn probability_alive(&self, customer: &Customer) -> f64 {
        self.ln_probability_alive(customer).exp().clamp(0.0, 1.0)
    }

    /// As the row-by-row form, once per distinct `(x, t_x, T)` and across the machine's cores.
    fn probability_alive_batch(&self, data: &RfmData) -> ndarray::Array1<f64> {
        let Ok(values) = super::transaction::per_distinct(data, 1024, |c| {
            Ok::<_, std::convert::Infallible>(self.probability_alive(c))
        });
        values.into()
    }

    /// As the row-by-row form, once per distinct `(x, t_x, T)` and across the machine's cores.
    fn conditional_expected_transactions_batch(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<ndarray::Array1<f64>> {
        check_non_negative("t", t)?;
        super::transaction::per_distinct_customer(data, 1024, |c| {
            self.conditional_expected_transactions(c, t)
        })
    }

    /// A customer alive at `T + from` has the posterior `λ ~ Gamma(r+x, α+T)`,
    /// `μ ~ Gamma(s, β+T+from)` (the purchases in `(T, T + from]` are not observed, the survival
    /// to `T + from` is): the probability is `P(alive at T + from | x, t_x, T)` times
    /// `1 − P(X(L) = 0)` of a new customer with the parameters `(r+x, α+T, s, β+T+from)`,
    /// `L = to − from`.
    fn probability_of_purchase_between(
        &self,
        customer: &Customer,
        from: f64,
        to: f64,
    ) -> Result<f64> {
        let length = super::transaction::purchase_window(from, to)?;
        if length == 0.0 {
            return Ok(0.0);
        }
        let age = customer.age();
        let alive = ParetoNbd::probability_alive_at(self, customer, from)?;
        let posterior = ParetoNbd::new(
            self.r + customer.frequency(),
            self.alpha + age,
            self.s,
            self.beta + age + from,
        )?;
        let none = posterior.probability_of_transactions(0, length)?;
        Ok((alive * (1.0 - none)).clamp(0.0, 1.0))
    }

    /// The batch values with their exact gradients in `(ln r, ln α, ln s, ln β)`, once per
    /// distinct `(x, t_x, T)` and across the machine's cores.
    fn probability_alive_differentiated(&self, data: &RfmData) -> Result<Differentiated> {
        differentiated_per_distinct(data, 1024, |c| Ok(self.probability_alive_gradient(c)))
    }

    /// The batch values with their exact gradients in `(ln r, ln α, ln s, ln β)`, once per
    /// distinct `(x, t_x, T)` and across the machine's cores.
    fn conditional_expected_transactions_differentiated(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<Differentiated> {
        check_non_negative("t", t)?;
        differentiated_per_distinct(data, 1024, |c| {
            self.conditional_expected_transactions_gradient(c, t)
        })
    }

    /// [`ParetoNbd::conditional_probability_of_transactions`] (Fader & Hardie note 028).
    fn conditional_probability_of_transactions(
        &self,
        customer: &Customer,
        n: u32,
        t: f64,
    ) -> Result<f64> {
        ParetoNbd::conditional_probability_of_transactions(self, customer, n, t)
    }

    /// [`ParetoNbd::probability_alive_at`]: `P(alive) · ((β+T)/(β+T+t))ˢ`.
    fn probability_alive_at(&self, customer: &Customer, t: f64) -> Result<f64> {
        ParetoNbd::probability_alive_at(self, customer, t)
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
        finite_or(ln.exp(), |_| {
            "Pareto/NBD DERT is not representable as a finite number".into()
        })
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
    /// The earliest recency (`+∞` without rows).
    min_recency: f64,
    age: Vec<f64>,
    weight: Vec<f64>,
    n_obs: f64,
    /// Distinct ages and recencies with per row the index of its own, where they are few
    /// against the rows (at most a quarter of them): the logarithms of a time alone ([`At`]) are
    /// then computed once per distinct value and evaluation.
    times: Option<(FrequencyGroups, FrequencyGroups)>,
    /// Distinct `(x, t_x)` and `(x, T)` pairs with per row the index of its own, where the times
    /// are grouped and each kind of pair is at most an eighth of the rows: a row's tails `G(t_x)`
    /// and `K(T)` ([`Far`]) are then computed once per distinct pair, thread and evaluation.
    pairs: Option<(Pairs, Pairs)>,
}

/// Distinct pairs of a frequency and a time among the rows: how many, and per row its own.
struct Pairs {
    count: usize,
    index: Vec<u32>,
}

/// Per evaluation and thread, a cell for the tail of each distinct pair (`G` by recency, `K` by
/// age), filled by the first of the thread's rows that needs it (a row on the short interval
/// needs none): the same arithmetic as the row's own, so the same bits whichever row fills it.
/// (Cells of a thread's own: no thread waits for another's.)
type TailCells<T> = Option<(Vec<Option<T>>, Vec<Option<T>>)>;

/// The logarithms of the distinct ages and recencies at `θ` ([`At`]), or none.
type TimeTables = Option<(Vec<At>, Vec<At>)>;

impl ParetoNbdObjective {
    fn new(data: &RfmData) -> Self {
        Self::from_rows(data.frequency(), data.recency(), data.age(), data.weights())
    }

    fn from_rows(frequency: &[f64], recency: &[f64], age: &[f64], weight: &[f64]) -> Self {
        let FrequencyGroups {
            values: xs,
            index: x_index,
            weight: x_weight,
        } = FrequencyGroups::new(frequency, weight);
        let times = Self::time_groups(recency, age, weight);
        let pairs = Self::pair_groups(&x_index, xs.len(), times.as_ref());
        ParetoNbdObjective {
            xs,
            x_weight,
            x_index,
            min_recency: recency.iter().fold(f64::INFINITY, |m, &v| m.min(v)),
            recency: recency.to_vec(),
            age: age.to_vec(),
            weight: weight.to_vec(),
            n_obs: weight.iter().sum(),
            times,
            pairs,
        }
    }

    /// The distinct `(x, t_x)` and `(x, T)` pairs of the rows (frequency indices `x_index`,
    /// grouped times `times`), where each kind is at most an eighth of the rows (a tail then
    /// serves eight rows on average, four per thread on two cores: more than the cells and
    /// their lookups cost).
    fn pair_groups(
        x_index: &[u32],
        n_xs: usize,
        times: Option<&(FrequencyGroups, FrequencyGroups)>,
    ) -> Option<(Pairs, Pairs)> {
        let (ages, recencies) = times?;
        let n = x_index.len();
        let pairs = |time: &FrequencyGroups| {
            let n_times = time.values.len();
            let (count, index) = index_pairs(x_index, n_xs, &time.index, n_times, n / 8)?;
            Some(Pairs { count, index })
        };
        Some((pairs(recencies)?, pairs(ages)?))
    }

    /// Empty cells for the tails of the distinct pairs, where the rows are paired.
    fn tail_cells<T: Copy>(&self) -> TailCells<T> {
        let (g, k) = self.pairs.as_ref()?;
        let cells = |p: &Pairs| vec![None; p.count];
        Some((cells(g), cells(k)))
    }

    /// The distinct ages and recencies of the rows where, together, they number at most a
    /// quarter of the rows (a table entry costs what a row's own logarithms cost).
    fn time_groups(
        recency: &[f64],
        age: &[f64],
        weight: &[f64],
    ) -> Option<(FrequencyGroups, FrequencyGroups)> {
        let ages = FrequencyGroups::new(age, weight);
        let recencies = FrequencyGroups::new(recency, weight);
        (4 * (ages.values.len() + recencies.values.len()) <= age.len()).then_some((ages, recencies))
    }

    /// The logarithms ([`At`]) of every distinct age and recency at `θ`, where grouped.
    fn time_tables(&self, th: &[f64; 4]) -> TimeTables {
        let (ages, recencies) = self.times.as_ref()?;
        let table = |g: &FrequencyGroups| g.values.iter().map(|&u| At::new(th, u)).collect();
        Some((table(ages), table(recencies)))
    }

    /// The logarithms of row `i`'s age, and a source of the rest of the row ([`Far`]): the
    /// logarithms of its recency from the time tables where there are, and its two tails from
    /// the cells of its pairs where there are, computed by `tail` ([`tail_at`] or
    /// [`tail_hessian_at`]) for the frequency constants `rc` otherwise.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn at_row<'a, 'c: 'a, T: Copy>(
        &'a self,
        th: &'a [f64; 4],
        rc: &'a RowConst<'c>,
        tables: &'a TimeTables,
        cells: &'a mut TailCells<T>,
        i: usize,
        tail: impl Fn(&[f64; 4], &RowConst<'_>, Which, f64, &At) -> T + 'a,
    ) -> (At, impl FnOnce() -> Far<T> + 'a) {
        let (tx, t) = (self.recency[i], self.age[i]);
        let grouped = self.times.as_ref().zip(tables.as_ref());
        let at_t = match grouped {
            Some(((ages, _), (by_age, _))) => by_age[ages.index[i] as usize],
            None => At::new(th, t),
        };
        let far = move || {
            let at_tx = match grouped {
                Some(((_, recencies), (_, by_recency))) => by_recency[recencies.index[i] as usize],
                None => At::of_recency(th, tx, t, at_t),
            };
            let g = || tail(th, rc, Which::G, tx, &at_tx);
            let k = || tail(th, rc, Which::K, t, &at_t);
            let (g, k) = match self.pairs.as_ref().zip(cells.as_mut()) {
                Some(((g_pairs, k_pairs), (g_cells, k_cells))) => (
                    *g_cells[g_pairs.index[i] as usize].get_or_insert_with(g),
                    *k_cells[k_pairs.index[i] as usize].get_or_insert_with(k),
                ),
                None => (g(), k()),
            };
            Far { at_tx, g, k }
        };
        (at_t, far)
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
        // Series coefficients of both tails for each distinct frequency, as many terms as the
        // largest `z` of the rows' series takes (`z = |α − β| / (max(α, β) + u)` is largest at
        // the earliest recency), where the rows outnumber the tables' entries.
        let z_max = (alpha - beta).abs() / (alpha.max(beta) + self.min_recency);
        let terms = table_terms(z_max);
        let terms = if 2 * terms * self.xs.len() <= self.len() {
            terms
        } else {
            TABLE_TERMS
        };
        let tables = series_tables(r, s, &self.xs, alpha >= beta, terms);
        let consts = row_consts(r, s, &self.xs, &tables);
        let times = self.time_tables(&th);
        let rows = |lo: usize, hi: usize, grad: bool| {
            let mut acc = [0.0; 5];
            // (A pass is all with the gradient or all without: the cells hold one kind.)
            let mut cells = self.tail_cells();
            for i in lo..hi {
                let rc = &consts[self.x_index[i] as usize];
                let w = self.weight[i];
                let (tx, t) = (self.recency[i], self.age[i]);
                if grad {
                    let (at_t, far) = self.at_row(&th, rc, &times, &mut cells, i, tail_at::<true>);
                    let out = row_at::<true>(&th, rc, tx, t, &at_t, far);
                    acc[0] += w * out.ll;
                    for k in 0..4 {
                        acc[k + 1] += w * out.grad[k];
                    }
                } else {
                    let (at_t, far) = self.at_row(&th, rc, &times, &mut cells, i, tail_at::<false>);
                    acc[0] += w * row_at::<false>(&th, rc, tx, t, &at_t, far).ll;
                }
            }
            acc
        };
        let want_grad = grad.is_some();
        let [ll_rows, g_r, g_alpha, g_s, g_beta] =
            sum_rows_from(self.len(), ROWS_PER_THREAD, |lo, hi| {
                rows(lo, hi, want_grad)
            });
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

    /// The analytic Hessian in `(r, α, s, β)` in one pass over the rows ([`row_hessian`]: the
    /// tails' series with their second-order sums, their numerical parts with second moments,
    /// the short-interval rule differentiated twice under the integral sign), and per distinct
    /// `x` the trigamma difference `ψ'(r+x) − ψ'(r)` of `ln Γ(r+x)/Γ(r)`.
    fn hessian(&self, theta: &[f64]) -> Option<Vec<f64>> {
        let th = params::<4>(theta, None)?;
        if !th.iter().all(|v| v.is_finite() && *v > 0.0) {
            return None;
        }
        let (_, _, h) = self.value_hessian(th);
        h.iter().all(|v| v.is_finite()).then(|| h.to_vec())
    }

    /// The log-likelihood (to rounding that of [`Objective::log_likelihood`]), gradient and
    /// Hessian in one pass ([`row_value_hessian`]).
    fn log_likelihood_hessian(
        &self,
        theta: &[f64],
        grad: &mut [f64],
        hessian: &mut [f64],
    ) -> Option<f64> {
        let Some(th) = params::<4>(theta, Some(grad)).filter(|_| hessian.len() == 16) else {
            return Some(f64::NAN);
        };
        if !th.iter().all(|v| v.is_finite() && *v > 0.0) {
            hessian.fill(f64::NAN);
            return Some(self.log_likelihood(theta, Some(grad)));
        }
        let (ll, g, h) = self.value_hessian(th);
        grad.copy_from_slice(&g);
        hessian.copy_from_slice(&h);
        Some(ll)
    }
}

impl ParetoNbdObjective {
    /// The log-likelihood, gradient and Hessian (row-major) at `θ = (r, α, s, β)` (positive and
    /// finite) in one pass over the rows.
    fn value_hessian(&self, th: [f64; 4]) -> (f64, [f64; 4], [f64; 16]) {
        let [r, _, s, _] = th;
        let tables = hessian_tables(r, s, &self.xs, th[1] >= th[3]);
        let consts = hessian_consts(r, s, &self.xs, &tables);
        let times = self.time_tables(&th);
        let acc = sum_rows_from(self.len(), ROWS_PER_THREAD, |lo, hi| {
            // ll, the gradient (4) and the upper triangle of the Hessian (10).
            let mut acc = [0.0; 15];
            let mut cells = self.tail_cells();
            for i in lo..hi {
                let rc = &consts[self.x_index[i] as usize];
                let w = self.weight[i];
                let (at_t, far) = self.at_row(&th, rc, &times, &mut cells, i, tail_hessian_at);
                let (tx, t) = (self.recency[i], self.age[i]);
                let (ll, (g, h)) = row_value_hessian(&th, rc, tx, t, &at_t, far);
                let upper = h.iter().enumerate().flat_map(|(a, row)| &row[a..]);
                let all = std::iter::once(&ll).chain(&g).chain(upper);
                for (v, e) in acc.iter_mut().zip(all) {
                    *v += w * e;
                }
            }
            acc
        });
        let (mut ll, mut g_r, mut h_rr) = (acc[0], acc[1], acc[5]);
        for (&x, &wx) in self.xs.iter().zip(&self.x_weight) {
            if wx != 0.0 {
                ll += wx * ln_gamma_ratio(r, x);
                g_r += wx * digamma_difference(r, x);
                h_rr += wx * trigamma_difference(r, x);
            }
        }
        let [
            _,
            _,
            g_alpha,
            g_s,
            g_beta,
            _,
            ra,
            rs,
            rb,
            aa,
            a_s,
            ab,
            ss,
            sb,
            bb,
        ] = acc;
        let h = [
            h_rr, ra, rs, rb, //
            ra, aa, a_s, ab, //
            rs, a_s, ss, sb, //
            rb, ab, sb, bb,
        ];
        (ll, [g_r, g_alpha, g_s, g_beta], h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The logarithms of the distinct ages and recencies, taken from per-evaluation tables, and
    /// the tails of the distinct `(x, t_x)` and `(x, T)` pairs, taken from per-evaluation cells,
    /// change no bit of the likelihood, its gradient or its Hessian: the same formulas as a row's
    /// own.
    #[test]
    fn time_tables_and_pair_tails_change_no_bit() {
        let (mut x, mut tx, mut t) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..600u32 {
            let age = f64::from(30 + i % 10);
            let freq = f64::from(i % 7);
            x.push(freq);
            tx.push(if freq == 0.0 {
                0.0
            } else {
                f64::from(1 + i % 5).min(age)
            });
            t.push(age);
        }
        let data = RfmData::from_columns(x, tx, t, None, None).unwrap();
        let paired = ParetoNbdObjective::new(&data);
        assert!(paired.times.is_some() && paired.pairs.is_some());
        let mut grouped = ParetoNbdObjective::new(&data);
        grouped.pairs = None;
        let mut plain = ParetoNbdObjective::new(&data);
        (plain.times, plain.pairs) = (None, None);
        // With β = 1.7 and the ages of 30 to 39 most rows take the tails' path; with the
        // first set many take the short interval.
        for theta in [
            [0.55, 10.6, 0.61, 11.7],
            [0.55, 10.6, 0.61, 1.7],
            [2.0, 0.3, 40.0, 900.0],
        ] {
            let mut g2 = [0.0; 4];
            let v2 = plain.log_likelihood(&theta, Some(&mut g2));
            let value = plain.log_likelihood(&theta, None);
            let mut h2 = [0.0; 16];
            let w2 = plain.log_likelihood_hessian(&theta, &mut g2, &mut h2);
            for objective in [&paired, &grouped] {
                let mut g1 = [0.0; 4];
                let v1 = objective.log_likelihood(&theta, Some(&mut g1));
                assert_eq!(v1.to_bits(), v2.to_bits());
                assert_eq!(
                    objective.log_likelihood(&theta, None).to_bits(),
                    value.to_bits()
                );
                let mut g_plain = [0.0; 4];
                plain.log_likelihood(&theta, Some(&mut g_plain));
                assert_eq!(g1.map(f64::to_bits), g_plain.map(f64::to_bits));
                let mut h1 = [0.0; 16];
                let w1 = objective.log_likelihood_hessian(&theta, &mut g1, &mut h1);
                assert_eq!(w1.map(f64::to_bits), w2.map(f64::to_bits));
                assert_eq!(g1.map(f64::to_bits), g2.map(f64::to_bits));
                assert_eq!(h1.map(f64::to_bits), h2.map(f64::to_bits));
            }
        }
    }
}
