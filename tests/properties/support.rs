//! Strategies, tolerances and small numerical tools shared by the property tests.

use clv::Customer;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// The configuration of a property: `default_cases` cases unless `PROPTEST_CASES` is set (so that
/// `PROPTEST_CASES=5000 cargo test --test properties` runs a long sweep), and a fixed seed unless
/// `PROPTEST_RNG_SEED` is set (so that `cargo test` and CI are reproducible, and a sweep with
/// another seed is one variable away); every other setting from proptest's defaults (which also
/// read the other `PROPTEST_*` variables). Saved failures in `tests/proptest-regressions/` are
/// replayed first either way.
pub fn config(default_cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default_cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = proptest::test_runner::RngSeed::Fixed(0x00c1_5eed);
    }
    config
}

/// `10^u` for `u` uniform in `[lo, hi)`: a log-uniform value that shrinks towards `10^0 = 1`
/// (or towards the end of the range closest to 1), so a minimal failing case has the fewest
/// extreme parameters.
pub fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> + Clone {
    (lo..hi).prop_map(|u| 10f64.powf(u))
}

/// A model parameter, log-uniform over `[1e-3, 1e8]`.
pub fn param() -> impl Strategy<Value = f64> + Clone {
    log_uniform(-3.0, 8.0)
}

/// Where the last purchase lies in `(0, T]` for a customer with `x > 0`.
#[derive(Debug, Clone, Copy)]
pub enum Recency {
    /// `t_x = T`: bought at the end of the observation period.
    AtEnd,
    /// `t_x = T · 10^(−v)`, `v ∈ [3, 12]`: bought just after the first purchase.
    Tiny(f64),
    /// `t_x = f · T`, `f ∈ [0.001, 0.999]`.
    Uniform(f64),
}

/// A valid customer history `(x, t_x, T)`: `x` a whole number up to 1e5 (0 with probability
/// 1/4, otherwise log-uniform), `T` log-uniform over `[1e-3, 1e7]`, `t_x = 0` when `x = 0` and
/// otherwise at `T`, tiny, or uniform in `(0, T)`.
#[derive(Clone, Copy)]
pub struct History {
    pub x: f64,
    pub t_x: f64,
    pub t: f64,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "(x = {:e}, t_x = {:e}, T = {:e})",
            self.x, self.t_x, self.t
        )
    }
}

impl History {
    pub fn customer(&self) -> Customer {
        Customer::new(self.x, self.t_x, self.t).expect("generated histories are valid")
    }

    /// The same history with every time multiplied by `k`.
    pub fn scaled(&self, k: f64) -> History {
        History {
            x: self.x,
            t_x: self.t_x * k,
            t: self.t * k,
        }
    }
}

pub fn frequency() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        1 => Just(0.0),
        3 => (0.0..5.0f64).prop_map(|u| 10f64.powf(u).floor().min(1e5)),
    ]
}

pub fn recency() -> impl Strategy<Value = Recency> + Clone {
    prop_oneof![
        Just(Recency::AtEnd),
        (3.0..12.0f64).prop_map(Recency::Tiny),
        (0.001..0.999f64).prop_map(Recency::Uniform),
    ]
}

pub fn history() -> impl Strategy<Value = History> + Clone {
    (frequency(), log_uniform(-3.0, 7.0), recency()).prop_map(|(x, t, rec)| {
        let t_x = if x == 0.0 {
            0.0
        } else {
            match rec {
                Recency::AtEnd => t,
                Recency::Tiny(v) => t * 10f64.powf(-v),
                Recency::Uniform(f) => f * t,
            }
        };
        History { x, t_x, t }
    })
}

/// A prediction horizon, log-uniform over `[1e-3, 1e7]` (the range of `T`).
pub fn horizon() -> impl Strategy<Value = f64> + Clone {
    log_uniform(-3.0, 7.0)
}

/// A time-scale factor `k = 2^j`, `j ∈ [−10, 10]` (`k` from about 1e-3 to 1e3, log-uniform on
/// a grid). A power of two multiplies every time and rate exactly, so the inputs of the scaled
/// problem are the exact images of the original ones and any difference between the two
/// answers is the implementation's own rounding, not a perturbation of the data (with a general
/// `k`, the rounding of `k·T` alone moves `P(alive)` by up to `(r+x)·2^−53` relative, which for
/// `r + x` near 1e8 is 1e-8: a property of the data, not of the code).
pub fn scale() -> impl Strategy<Value = f64> + Clone {
    (-10i32..=10).prop_map(|j| 2f64.powi(j))
}

/// Compensated (Neumaier) running sum, so that the rounding of a long sum of probabilities is
/// not charged to the terms.
#[derive(Default, Clone, Copy)]
pub struct Sum {
    sum: f64,
    carry: f64,
}

impl Sum {
    pub fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.carry += (self.sum - t) + v;
        } else {
            self.carry += (v - t) + self.sum;
        }
        self.sum = t;
    }

    pub fn value(&self) -> f64 {
        self.sum + self.carry
    }
}

/// The spacing of doubles below `f64::MIN_POSITIVE` (`2^-1074`): a value computed there carries
/// up to half of it absolutely, whatever its relative precision above, so bounds formed from
/// such values allow it.
pub const QUANTUM: f64 = f64::from_bits(1);

/// Relative difference `|a − b| / max(|a|, |b|)` (0 when both are 0).
pub fn rel_diff(a: f64, b: f64) -> f64 {
    let m = a.abs().max(b.abs());
    if m == 0.0 { 0.0 } else { (a - b).abs() / m }
}

/// `|a − b| ≤ rel · max(|a|, |b|) + abs`.
pub fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + abs
}

/// 10-point Gauss–Legendre nodes and weights on `[−1, 1]` (positive half).
const GL_X: [f64; 5] = [
    0.148_874_338_981_631_2,
    0.433_395_394_129_247_2,
    0.679_409_568_299_024_4,
    0.865_063_366_688_984_5,
    0.973_906_528_517_171_7,
];
const GL_W: [f64; 5] = [
    0.295_524_224_714_752_9,
    0.269_266_719_309_996_4,
    0.219_086_362_515_982,
    0.149_451_349_150_580_6,
    0.066_671_344_308_688_1,
];

/// `∫_lo^hi f(ρ) dρ` by composite 10-point Gauss–Legendre on panels of width at most `width`.
///
/// Used on integrands analytic in a strip of half-width ≥ π/2 around the real axis (functions of
/// `t = e^ρ` whose singularities lie on the negative real `t` axis, i.e. at `Im ρ = ±π`): on
/// panels of width 0.5 the error per panel is bounded by a factor ≈ 12.6^(−20) ≈ 1e-22 of the
/// integrand's maximum in that strip.
pub fn gauss_legendre(
    mut f: impl FnMut(f64) -> Result<f64, clv::Error>,
    lo: f64,
    hi: f64,
    width: f64,
) -> Result<f64, clv::Error> {
    let panels = ((hi - lo) / width).ceil().max(1.0) as usize;
    let h = (hi - lo) / panels as f64;
    let mut sum = 0.0;
    for i in 0..panels {
        let mid = lo + (i as f64 + 0.5) * h;
        let mut panel = 0.0;
        for (x, w) in GL_X.iter().zip(GL_W) {
            panel += w * (f(mid - 0.5 * h * x)? + f(mid + 0.5 * h * x)?);
        }
        sum += 0.5 * h * panel;
    }
    Ok(sum)
}

/// `δ ∫_0^∞ e^(−δt) E(t) dt` for a non-decreasing `E` with `E(t) ≤ c·t`, by
/// [`gauss_legendre`] in `ρ = ln t` over `[ln t_lo, ln(60/δ)]`, and the bound on what the
/// truncation leaves out: below `t_lo`, `δ ∫_0^t_lo c t dt ≤ δ c t_lo²/2`; above `60/δ`,
/// `∫ δ e^(−δt) c t dt = c e^(−60)(60 + 1)/δ`.
pub fn discounted_integral(
    mut e: impl FnMut(f64) -> Result<f64, clv::Error>,
    delta: f64,
    c: f64,
    t_lo: f64,
) -> Result<(f64, f64), clv::Error> {
    let t_hi = 60.0 / delta;
    let v = gauss_legendre(
        |rho| {
            let t = rho.exp();
            Ok(delta * t * (-delta * t).exp() * e(t)?)
        },
        t_lo.ln(),
        t_hi.ln(),
        0.5,
    )?;
    let truncation = 0.5 * delta * c * t_lo * t_lo + c * (-60f64).exp() * 61.0 / delta;
    Ok((v, truncation))
}

/// The smallest `N` such that the negative binomial count of a Poisson process whose rate is
/// `Gamma(r, α)` over `(0, t]` (`P(n) = Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))^n`) has
/// `P(X ≥ N) < 1e-13` and `E[X; X ≥ N] < 1e-12 · E[X]`, or `None` when that needs more than
/// `limit` terms. The count of BG/NBD and Pareto/NBD customers is at most this count (death only
/// stops purchases), so their mass and mean beyond `N` are smaller still.
pub fn nbd_terms(r: f64, alpha: f64, t: f64, limit: usize) -> Option<usize> {
    let q = t / (alpha + t);
    let ln_q = q.ln();
    let mut ln_p = -r * (t / alpha).ln_1p();
    let mean = r * t / alpha;
    let (mut cdf, mut partial_mean) = (0.0, 0.0);
    for n in 0..limit {
        let p = ln_p.exp();
        cdf += p;
        partial_mean += n as f64 * p;
        if 1.0 - cdf < 1e-13 && mean - partial_mean < 1e-12 * mean && n > 0 {
            return Some(n + 1);
        }
        let nf = n as f64;
        ln_p += ((r + nf) / (nf + 1.0)).ln() + ln_q;
    }
    None
}

/// Central difference of `f` at 0 with Richardson extrapolation, steps `η` and `η/2`
/// (truncation error `O(η⁴ f⁽⁵⁾)`).
pub fn richardson(mut f: impl FnMut(f64) -> f64, eta: f64) -> f64 {
    let d1 = (f(eta) - f(-eta)) / (2.0 * eta);
    let d2 = (f(0.5 * eta) - f(-0.5 * eta)) / eta;
    (4.0 * d2 - d1) / 3.0
}

/// Checks an analytic gradient `g` of `ll` at `theta` against [`richardson`] differences in the
/// log-parameters, `∂ℓ/∂ln θ_i = θ_i g_i`, with step `η = 1e-3`.
///
/// Tolerance per component: `1e-6 · |θ_i g_i|` (the Richardson truncation `η⁴ f⁽⁵⁾/…` is ~1e-12
/// of the derivatives' scale, so 1e-6 leaves room for curvature in the log-parameters) plus
/// `1e-8 · max_j |θ_j g_j|` (a component that is tiny next to the others is compared on the
/// scale of the gradient) plus the rounding of the likelihood itself amplified by the
/// difference quotient, `3 · 64 ε · scale / η`, where `scale` bounds the magnitude of the terms
/// the likelihood sums (so cancellation between large terms, which limits any finite
/// difference, is not charged to the gradient).
pub fn check_gradient(
    ll: impl Fn(&[f64]) -> f64,
    theta: &[f64],
    grad: &[f64],
    scale: f64,
) -> Result<(), String> {
    let eta = 1e-3;
    let scaled: Vec<f64> = theta.iter().zip(grad).map(|(t, g)| t * g).collect();
    let gmax = scaled.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for i in 0..theta.len() {
        let fd = richardson(
            |u| {
                let mut th = theta.to_vec();
                th[i] = theta[i] * u.exp();
                ll(&th)
            },
            eta,
        );
        let noise = 3.0 * 64.0 * f64::EPSILON * scale / eta;
        let tol = 1e-6 * scaled[i].abs() + 1e-8 * gmax + noise;
        if !fd.is_finite() || (fd - scaled[i]).abs() > tol {
            return Err(format!(
                "∂ℓ/∂ln θ[{i}]: analytic θ·g = {:e}, finite difference {:e} (|diff| = {:e} > tol \
                 {:e})",
                scaled[i],
                fd,
                (fd - scaled[i]).abs(),
                tol
            ));
        }
    }
    Ok(())
}

/// `|ln Γ(v)|` plus a margin, for the magnitude of likelihood terms.
pub fn ln_gamma_mag(v: f64) -> f64 {
    // |ln Γ(v)| ≤ v |ln v| + |ln v| + 1 for v > 0 (Stirling, with room to spare).
    (v + 1.0) * v.ln().abs() + 1.0
}

/// An expectation over a horizon (`E[X(t)]`, or `E[Y(t) | x, t_x, T]` with `p_alive` its
/// probability alive; 1 for `E[X]`): finite, ≥ 0 and 0 at `t = 0`, between `p_alive` times the
/// bounds `lo` (Jensen) and `hi` (linear) at `t`, non-decreasing from `t` to `t·10^w`; each
/// relation to `rel`.
#[allow(clippy::too_many_arguments)]
pub fn expectation_bounded_and_monotone(
    name: &str,
    e: impl Fn(f64) -> clv::Result<f64>,
    p_alive: f64,
    (lo, hi): (f64, f64),
    t: f64,
    w: f64,
    rel: f64,
) -> Result<(), TestCaseError> {
    let e1 = e(t);
    prop_assert!(e1.is_ok(), "{name}({t}) = {e1:?}");
    let e1 = e1.unwrap();
    prop_assert!(e1.is_finite() && e1 >= 0.0, "{name}({t}) = {e1}");
    prop_assert!(
        e1 >= p_alive * lo * (1.0 - rel),
        "{name}({t}) = {e1:e} < P(alive)·(Jensen bound) = {:e} (P(alive) = {p_alive:e})",
        p_alive * lo
    );
    prop_assert!(
        e1 <= p_alive * hi * (1.0 + rel),
        "{name}({t}) = {e1:e} > P(alive)·(linear bound) = {:e}",
        p_alive * hi
    );
    let t2 = t * 10f64.powf(w);
    let e2 = e(t2);
    prop_assert!(e2.is_ok(), "{name}({t2}) = {e2:?}");
    let e2 = e2.unwrap();
    prop_assert!(
        e2 >= e1 * (1.0 - rel),
        "{name}({t2:e}) = {e2:e} < {name}({t:e}) = {e1:e}"
    );
    prop_assert_eq!(e(0.0).ok(), Some(0.0));
    Ok(())
}

/// Bounds of `E[Y(t) | alive]` for the BG/NBD family, where a customer alive at `T` has the
/// posterior `λ ~ Gamma(k, A)`, `p ~ Beta(a, b')` (independent), `k = r+x`, `A = α+T`, and
/// `E[Y(t) | alive] = E_p[g(p)]`, `g(p) = (1 − (1 + p t/A)^−k)/p = ∫_0^(t/A) k (1+pu)^−(k+1) du`.
/// `g` is decreasing and convex in `p`, so `g(E[p]) ≤ E[Y(t) | alive] ≤ g(0) = k t/A` (Jensen):
/// the pair `(g(mean_p), k t/A)`.
pub fn geometric_dropout_bounds(k: f64, big_a: f64, t: f64, mean_p: f64) -> (f64, f64) {
    let tau = t / big_a;
    let lower = -(-k * (mean_p * tau).ln_1p()).exp_m1() / mean_p;
    (lower, k * tau)
}

/// `DERT(δ)` of customer `c`: `Ok`, finite, ≥ 0 and at most `bound · (1 + rel)` (plus a
/// thousand steps of 2^-1074: below the smallest normal number the bound, a product of several
/// factors, and DERT are both resolved only to such steps).
pub fn dert_bounded<M: clv::TransactionModel>(
    m: &M,
    c: &Customer,
    delta: f64,
    bound: f64,
    rel: f64,
) -> Result<(), TestCaseError> {
    let d = m.discounted_expected_residual_transactions(c, delta);
    prop_assert!(d.is_ok(), "DERT({delta}) = {d:?}");
    let d = d.unwrap();
    prop_assert!(d.is_finite() && d >= 0.0, "DERT = {d}");
    let subnormal = 1e3 * f64::MIN_POSITIVE * f64::EPSILON;
    prop_assert!(
        d <= bound * (1.0 + rel) + subnormal,
        "DERT = {d:e} > its bound {bound:e}"
    );
    Ok(())
}

/// `DERT(δ) = δ ∫_0^∞ e^(−δt) E[Y(t)] dt`, the integral by composite Gauss–Legendre in `ln t`
/// (see [`discounted_integral`], with `E[Y(t)] ≤ slope · t` and the lower limit `t_lo`).
/// Tolerance `1e-9` relative: each side is asked to 1e-10, the quadrature error is below 1e-20
/// of the integrand's scale per panel and the rounding of ~1500 positive terms adds ~1e-13; plus
/// the explicit truncation bound.
pub fn dert_is_discounted_integral<M: clv::TransactionModel>(
    m: &M,
    c: &Customer,
    delta: f64,
    slope: f64,
    t_lo: f64,
) -> Result<(), TestCaseError> {
    let d = m.discounted_expected_residual_transactions(c, delta);
    prop_assert!(d.is_ok(), "DERT({delta}) = {d:?}");
    let d = d.unwrap();
    let q = discounted_integral(
        |t| m.conditional_expected_transactions(c, t),
        delta,
        slope,
        t_lo,
    );
    prop_assert!(q.is_ok(), "E[Y(t)] failed inside the integral: {q:?}");
    let (q, trunc) = q.unwrap();
    // Below the smallest normal number (DERT ≈ 1e-318 when P(alive) ≈ 1e-316) values carry an
    // absolute resolution of 2^-1074 instead of 53 significant bits: allow a thousand of those
    // steps.
    let subnormal = 1e3 * f64::MIN_POSITIVE * f64::EPSILON;
    prop_assert!(
        (d - q).abs() <= 1e-9 * q.abs() + trunc + subnormal,
        "DERT({delta:e}) = {d:e}, ∫ δ e^(−δt) E[Y(t)] dt = {q:e} (rel diff {:e}, P(alive) = {:e})",
        rel_diff(d, q),
        m.probability_alive(c)
    );
    Ok(())
}

/// `P(X(t) = n)` of a model whose count is at most the NBD count of `Gamma(r, α)` purchase
/// rates (death only stops purchases): each in `[0, 1]`, partial sums ≤ 1 + 1e-12, the total
/// within 1e-10 of 1, and `Σ n P(X(t) = n) = E[X(t)]` to 1e-9 relative. Cases whose count needs
/// more than 2000 terms (the NBD bound of [`nbd_terms`]) are skipped (not a property of the
/// code: the test would just be slow).
pub fn pmf_sums_to_one<M: clv::TransactionModel>(
    m: &M,
    r: f64,
    alpha: f64,
    t: f64,
) -> Result<(), TestCaseError> {
    let Some(n_max) = nbd_terms(r, alpha, t, 2000) else {
        return Ok(());
    };
    let (mut acc, mut acc_mean) = (Sum::default(), Sum::default());
    for n in 0..n_max as u32 {
        let p = m.probability_of_transactions(n, t);
        prop_assert!(p.is_ok(), "P(X({t}) = {n}) = {p:?}");
        let p = p.unwrap();
        prop_assert!(
            p.is_finite() && (0.0..=1.0).contains(&p),
            "P(X({t}) = {n}) = {p}"
        );
        acc.add(p);
        acc_mean.add(f64::from(n) * p);
        let sum = acc.value();
        prop_assert!(
            sum <= 1.0 + 1e-12,
            "Σ_(n ≤ {n}) P(X({t}) = n) = 1 + {:e}",
            sum - 1.0
        );
    }
    let (sum, mean) = (acc.value(), acc_mean.value());
    prop_assert!(
        (sum - 1.0).abs() <= 1e-10,
        "Σ P(X({t}) = n) = 1 − {:e} over {n_max} terms",
        1.0 - sum
    );
    let e = m.expected_transactions(t);
    prop_assert!(e.is_ok(), "E[X({t})] = {e:?}");
    let e = e.unwrap();
    prop_assert!(
        close(mean, e, 1e-9, 1e-12),
        "Σ n P(X({t}) = n) = {mean:e} but E[X({t})] = {e:e}"
    );
    Ok(())
}

/// Time-rescaling invariance: `mk` is `m` with its time-scale parameters × k, `ck` the history
/// `c` with its times × k; `P(alive)`, `E[X(kt)]`, `P(X(kt) = n)`, `E[Y(kt)]` and `DERT(δ/k)`
/// agree with the unscaled values to `rel` relative (or both fail).
#[allow(clippy::too_many_arguments)]
pub fn time_rescaling_invariant<M: clv::TransactionModel>(
    (m, mk): (&M, &M),
    (c, ck): (&Customer, &Customer),
    t: f64,
    n: u32,
    delta: f64,
    k: f64,
    rel: f64,
) -> Result<(), TestCaseError> {
    let same = |what: &str, u: Result<f64, clv::Error>, v: Result<f64, clv::Error>| match (u, v) {
        (Ok(u), Ok(v)) if close(u, v, rel, 1e-300) => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        (u, v) => Err(TestCaseError::fail(format!(
            "{what}: {u:?} unscaled, {v:?} with times × {k}"
        ))),
    };
    same(
        "P(alive)",
        Ok(m.probability_alive(c)),
        Ok(mk.probability_alive(ck)),
    )?;
    same(
        "E[X(t)]",
        m.expected_transactions(t),
        mk.expected_transactions(k * t),
    )?;
    same(
        "P(X(t) = n)",
        m.probability_of_transactions(n, t),
        mk.probability_of_transactions(n, k * t),
    )?;
    same(
        "E[Y(t)]",
        m.conditional_expected_transactions(c, t),
        mk.conditional_expected_transactions(ck, k * t),
    )?;
    same(
        "DERT",
        m.discounted_expected_residual_transactions(c, delta),
        mk.discounted_expected_residual_transactions(ck, delta / k),
    )?;
    Ok(())
}

/// A model whose one-customer log-likelihood and gradient the property tests check.
pub trait CustomerLikelihood: clv::Model {
    /// The log-likelihood of one customer's history.
    fn customer_log_likelihood(&self, c: &Customer) -> f64;
    /// Its gradient in the model's parameters.
    fn customer_gradient(&self, c: &Customer) -> Vec<f64>;
}

impl CustomerLikelihood for clv::BgNbd {
    fn customer_log_likelihood(&self, c: &Customer) -> f64 {
        self.log_likelihood(c)
    }
    fn customer_gradient(&self, c: &Customer) -> Vec<f64> {
        self.log_likelihood_gradient(c).to_vec()
    }
}

impl CustomerLikelihood for clv::MbgNbd {
    fn customer_log_likelihood(&self, c: &Customer) -> f64 {
        self.log_likelihood(c)
    }
    fn customer_gradient(&self, c: &Customer) -> Vec<f64> {
        self.log_likelihood_gradient(c).to_vec()
    }
}

/// A likelihood of weighted histories: the total `objective` (with gradient) of model `M` at
/// `theta` against its per-customer log-likelihood and gradient: the total finite, equal to the
/// weighted sum of the customers' (1e-12 relative plus the rounding of terms of size
/// `row_scale`), and both gradients matching central differences ([`check_gradient`]).
pub fn likelihood_and_gradient<M: CustomerLikelihood>(
    objective: &dyn clv::Objective,
    theta: &[f64],
    rows: &[(History, f64)],
    row_scale: impl Fn(&History) -> f64,
) -> Result<(), TestCaseError> {
    let m = M::from_params(theta)
        .map_err(|e| TestCaseError::fail(format!("{} refuses {theta:?}: {e}", M::NAME)))?;
    let one = |th: &[f64], c: &Customer| {
        M::from_params(th).map_or(f64::NAN, |m| m.customer_log_likelihood(c))
    };
    let mut grad = vec![0.0; theta.len()];
    let ll = objective.log_likelihood(theta, Some(&mut grad));
    prop_assert!(ll.is_finite(), "LL = {ll}");
    prop_assert!(grad.iter().all(|g| g.is_finite()), "gradient {grad:?}");
    let sum: f64 = rows
        .iter()
        .map(|(h, w)| w * one(theta, &h.customer()))
        .sum();
    let scale: f64 = rows.iter().map(|(h, w)| w * row_scale(h)).sum();
    prop_assert!(
        (sum - ll).abs() <= 1e-12 * ll.abs() + 64.0 * f64::EPSILON * scale,
        "objective LL = {ll:e}, Σ w·log_likelihood = {sum:e}"
    );
    check_gradient(|th| objective.log_likelihood(th, None), theta, &grad, scale)
        .map_err(TestCaseError::fail)?;
    for (h, _) in rows {
        let c = h.customer();
        let g = m.customer_gradient(&c);
        check_gradient(|th| one(th, &c), theta, &g, row_scale(h))
            .map_err(|e| TestCaseError::fail(format!("log_likelihood_gradient of {h:?}: {e}")))?;
    }
    Ok(())
}

/// The weighted customer table of `rows`.
pub fn rfm_data(rows: &[(History, f64)]) -> clv::RfmData {
    clv::RfmData::from_columns(
        rows.iter().map(|(h, _)| h.x).collect(),
        rows.iter().map(|(h, _)| h.t_x).collect(),
        rows.iter().map(|(h, _)| h.t).collect(),
        None,
        Some(rows.iter().map(|(_, w)| *w).collect()),
    )
    .expect("generated data are valid")
}

/// `P(Y(t) = n | x, t_x, T)` of customer `c`: each in `[0, 1]`, partial sums ≤ 1 + 1e-12, the
/// total within 1e-10 of 1 and `Σ n P(Y(t) = n) = E[Y(t) | x, t_x, T]` to 1e-9 relative, over
/// the terms the NBD bound of the posterior purchase count (`Gamma(k, big_a)` rates, see
/// [`nbd_terms`]) asks for; cases needing more than 2000 terms are skipped (slow, not wrong).
pub fn conditional_pmf_sums_to_one<M: clv::TransactionModel>(
    m: &M,
    c: &Customer,
    (k, big_a): (f64, f64),
    t: f64,
) -> Result<(), TestCaseError> {
    let Some(n_max) = nbd_terms(k, big_a, t, 2000) else {
        return Ok(());
    };
    let (mut acc, mut acc_mean) = (Sum::default(), Sum::default());
    for n in 0..n_max as u32 {
        let p = m.conditional_probability_of_transactions(c, n, t);
        prop_assert!(p.is_ok(), "P(Y({t}) = {n}) = {p:?}");
        let p = p.unwrap();
        prop_assert!(
            p.is_finite() && (0.0..=1.0).contains(&p),
            "P(Y({t}) = {n}) = {p}"
        );
        acc.add(p);
        acc_mean.add(f64::from(n) * p);
        prop_assert!(
            acc.value() <= 1.0 + 1e-12,
            "Σ_(n ≤ {n}) P(Y({t}) = n) = 1 + {:e}",
            acc.value() - 1.0
        );
    }
    let (sum, mean) = (acc.value(), acc_mean.value());
    prop_assert!(
        (sum - 1.0).abs() <= 1e-10,
        "Σ P(Y({t}) = n) = 1 − {:e} over {n_max} terms",
        1.0 - sum
    );
    let e = m.conditional_expected_transactions(c, t);
    prop_assert!(e.is_ok(), "E[Y({t})] = {e:?}");
    let e = e.unwrap();
    prop_assert!(
        close(mean, e, 1e-9, 1e-12),
        "Σ n P(Y({t}) = n) = {mean:e} but E[Y({t})] = {e:e}"
    );
    Ok(())
}

/// `P(alive at T + t)` of customer `c`: `Ok`, in `[0, P(alive)]`, exactly `P(alive)` at
/// `t = 0`, and non-increasing from `t` to `t · 10^w`.
pub fn alive_at_starts_at_p_alive_and_decreases<M: clv::TransactionModel>(
    m: &M,
    c: &Customer,
    t: f64,
    w: f64,
) -> Result<(), TestCaseError> {
    let p0 = m.probability_alive(c);
    prop_assert_eq!(m.probability_alive_at(c, 0.0).ok(), Some(p0));
    let p1 = m.probability_alive_at(c, t);
    prop_assert!(p1.is_ok(), "P(alive at T + {t}) = {p1:?}");
    let p1 = p1.unwrap();
    prop_assert!(
        p1.is_finite() && (0.0..=p0).contains(&p1),
        "P(alive at T + {t}) = {p1:e}, P(alive) = {p0:e}"
    );
    let t2 = t * 10f64.powf(w);
    let p2 = m.probability_alive_at(c, t2);
    prop_assert!(p2.is_ok(), "P(alive at T + {t2}) = {p2:?}");
    let p2 = p2.unwrap();
    prop_assert!(
        p2 <= p1,
        "P(alive at T + {t2:e}) = {p2:e} > P(alive at T + {t:e}) = {p1:e}"
    );
    Ok(())
}
