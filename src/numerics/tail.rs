//! Tail integrals of products of two powers, `I(u) = ∫_u^∞ (α+v)^−p (β+v)^−q dv`, through the
//! positive series of `₂F₁(e, w; w+1; z)` with their derivatives (the Pareto/NBD likelihood is a
//! sum of two of them; Fader & Hardie 2005, note 009).
//!
//! Each tail is `(m+u)^−w / w · ₂F₁(e, w; w+1; z)` with `w = p + q − 1`, `m = max(α, β)`,
//! `z = |α−β| / (m+u) ∈ [0, 1)` and `e` the exponent of the factor with the smaller offset. The
//! series is summed in the form whose terms are all positive and whose term ratio is at most
//! `z` (the Euler-transformed series when `e ≥ 1`), with its derivatives in `e`, `w` and `z`
//! summed alongside; when `z` is close to 1 and the series would be long, the tail up to the
//! point where `z = 1/2` is integrated numerically (a log-concave integral in
//! `ln(v + min(α, β))`) and the rest summed. Every tail is carried relative to its leading power
//! ([`Tail`]), a moderate number whatever the size of the parameters.

use super::log_concave::{log_concave_integral, log_concave_moments};
use super::special::log_add_exp;

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
pub(crate) struct Tail {
    pub(crate) base: f64,
    pub(crate) sum: f64,
    pub(crate) d: [f64; 4],
}

impl Tail {
    fn rel(&self) -> f64 {
        self.base + self.sum.ln()
    }
}

/// Coefficients of the series of one tail for one frequency, independent of `z`: per term `k`,
/// `[c_k, k c_k, ∂_A ln c_k, ∂_w ln c_k]` where the term is `c_k zᵏ` and `A` is `e` (plain
/// series) or `w + 1 − e` (Euler form). Filled once per evaluation, they take the divisions out
/// of the per-row loop. This many terms at least (see [`table_terms`]).
pub(crate) const TABLE_TERMS: usize = 64;

/// The length of the series tables ([`fill_table`]) of an evaluation whose largest `z` is
/// `z_max`: the terms the series takes there (`zᵏ` below [`SERIES_EPS`]` · (1 − z)`; both
/// series' term ratios stay below `z`), at least [`TABLE_TERMS`] and at most the cap of the
/// series above [`Z_SERIES`]. A row whose series is longer than its table is summed by
/// [`hyp_series`] as before, so the length only moves work out of the per-row loop.
pub(crate) fn table_terms(z_max: f64) -> usize {
    if !(z_max > 0.0 && z_max < 1.0) {
        return TABLE_TERMS;
    }
    let needed = (SERIES_EPS * (1.0 - z_max)).ln() / z_max.ln() + 2.0;
    if needed.is_finite() {
        (needed.ceil() as usize).clamp(TABLE_TERMS, MAX_TERMS_HIGH_Z)
    } else {
        TABLE_TERMS
    }
}

pub(crate) fn fill_table(e: f64, w: f64, a: f64, out: &mut [[f64; 4]]) {
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

/// A tail's series variables: `M` the factor with the larger offset (`m = max(α, β)`), exponent
/// `a`; `N` the other one, exponent `e`; `d = |α − β|`, `z = d/(m+u)` and `1 − z = N/M`, and the
/// term cap of the series for this `z`. `N = min(α, β) + u` is formed from its own offset, never
/// as `M − d`, which loses its digits when the offsets are far apart.
struct Oriented {
    a_ge_b: bool,
    e: f64,
    a: f64,
    mu: f64,
    nu: f64,
    ln_mu: f64,
    ln_nu: f64,
    z: f64,
    omz: f64,
    max_terms: usize,
}

impl Oriented {
    #[inline]
    fn new(alpha: f64, beta: f64, p: f64, q: f64, u: f64, ln_au: f64, ln_bu: f64) -> Self {
        let a_ge_b = alpha >= beta;
        let (m, n, e, a, ln_mu, ln_nu) = if a_ge_b {
            (alpha, beta, q, p, ln_au, ln_bu)
        } else {
            (beta, alpha, p, q, ln_bu, ln_au)
        };
        let (mu, nu) = (m + u, n + u);
        let z = (m - n) / mu;
        Oriented {
            a_ge_b,
            e,
            a,
            mu,
            nu,
            ln_mu,
            ln_nu,
            z,
            omz: nu / mu,
            max_terms: if z <= Z_SERIES {
                MAX_TERMS
            } else {
                MAX_TERMS_HIGH_Z
            },
        }
    }
}

/// The tail integral `∫_u^∞ (α+v)^−p (β+v)^−q dv` (`w = p + q − 1 > 0`, passed accurately) in
/// the relative form of [`Tail`], given `ln(α+u)` and `ln(β+u)`.
#[inline]
#[allow(clippy::too_many_arguments)]
pub(crate) fn tail<const GRAD: bool>(
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
    let Oriented {
        a_ge_b,
        e,
        a,
        mu,
        nu,
        ln_mu,
        ln_nu,
        z,
        omz,
        max_terms,
    } = Oriented::new(alpha, beta, p, q, u, ln_au, ln_bu);
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
        Some(h) => series_tail::<GRAD>(a_ge_b, e, w, ln_w, mu, nu, ln_mu, ln_nu, h),
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

/// The split of the fallback for `z` near 1 ([`tail_fallback`], [`fallback_hessian`]): the
/// tail is `∫_u^{u*}` integrated numerically, where `z(u*) = 1/2`, plus the series from `u*`.
/// `A`, `E`: the exponents of the factors with the larger and the smaller offset; `M`, `N`
/// those factors' bases at `u`, `M*`, `N*` at `u*`. The numerical part is taken in
/// `ρ = ln(N(v)/N)`, where its integrand relative to `M^−A N^−E` at `u` is `N e^φ` with the
/// concave `φ(ρ) = (1 − E) ρ − A ln(1 + N (e^ρ − 1)/M)`.
struct Split {
    a_ge_b: bool,
    e: f64,
    a: f64,
    d: f64,
    /// `u* − u`.
    gap: f64,
    mu_s: f64,
    nu_s: f64,
    mu: f64,
    nu: f64,
    ln_nu: f64,
    /// `ln(M*/M)` and `ln(N*/N)`.
    shift_m: f64,
    shift_n: f64,
}

impl Split {
    fn new(alpha: f64, beta: f64, p: f64, q: f64, u: f64, ln_au: f64, ln_bu: f64) -> Self {
        let a_ge_b = alpha >= beta;
        let (m, lo_off, e, a) = if a_ge_b {
            (alpha, beta, q, p)
        } else {
            (beta, alpha, p, q)
        };
        let d = m - lo_off;
        // m + u* = d / Z_SPLIT.
        let u_star = d / Z_SPLIT - m;
        let (mu, nu) = (m + u, lo_off + u);
        let gap = u_star - u;
        Split {
            a_ge_b,
            e,
            a,
            d,
            gap,
            mu_s: d / Z_SPLIT,
            nu_s: lo_off + u_star,
            mu,
            nu,
            ln_nu: if a_ge_b { ln_bu } else { ln_au },
            shift_m: (gap / mu).ln_1p(),
            shift_n: (gap / nu).ln_1p(),
        }
    }

    /// `φ(ρ)`.
    fn phi(&self, rho: f64) -> f64 {
        (1.0 - self.e) * rho - self.a * (self.nu * rho.exp_m1() / self.mu).ln_1p()
    }

    /// `φ(ρ) − φ(ρ₀)` without cancellation, given `e^ρ₀`.
    fn diff(&self, rho: f64, rho0: f64, exp_rho0: f64) -> f64 {
        let e0 = self.nu * exp_rho0;
        (1.0 - self.e) * (rho - rho0)
            - self.a * (e0 * (rho - rho0).exp_m1() / (e0 + self.d)).ln_1p()
    }

    /// `φ'(ρ)`.
    fn dphi(&self, rho: f64) -> f64 {
        let t = self.nu * rho.exp();
        (1.0 - self.e) - self.a * t / (t + self.d)
    }

    /// The upper limit `ln(N*/N)` of `ρ`.
    fn hi(&self) -> f64 {
        (self.nu_s / self.nu).ln()
    }

    /// `ρ` and the moment functions of the gradient of the numerical part, each non-negative
    /// and formed without cancellation: `ln(M(v)/M)`, `ρ`, `κ_M = 1/M − 1/M(v)` and
    /// `κ_N = 1/N − 1/N(v)`, with `M(v)` and `N(v)`; one `exp_m1` and one `ln_1p`.
    fn moment_values(&self, rho: f64) -> ([f64; 4], f64, f64) {
        let em1 = rho.exp_m1();
        let n_v = self.nu * (1.0 + em1);
        let m_v = n_v + self.d;
        let v = [
            (self.nu * em1 / self.mu).ln_1p(),
            rho,
            self.nu * em1 / (self.mu * m_v),
            em1 / ((1.0 + em1) * self.nu),
        ];
        (v, m_v, n_v)
    }
}

/// Fallback for `z` near 1: integrate `∫_u^{u*}` numerically, where `z(u*) = 1/2`, and sum the
/// series for the rest (see [`Split`]).
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
    let sp = Split::new(alpha, beta, p, q, u, ln_au, ln_bu);
    let (a_ge_b, e_min, p_max) = (sp.a_ge_b, sp.e, sp.a);
    let (mu_s, nu_s) = (sp.mu_s, sp.nu_s);
    let (ln_mu_s, ln_nu_s) = (mu_s.ln(), nu_s.ln());
    let rest = {
        let omz = nu_s / mu_s;
        // The series converges for z = 1/2; only NaN input could exhaust the cap.
        let Some(h) = hyp_series::<GRAD>(e_min, w, p_max, sp.d / mu_s, omz, MAX_TERMS) else {
            return Tail {
                base: f64::NAN,
                sum: 1.0,
                d: [f64::NAN; 4],
            };
        };
        series_tail::<GRAD>(a_ge_b, e_min, w, w.ln(), mu_s, nu_s, ln_mu_s, ln_nu_s, h)
    };
    // The rest relative to the powers at u: rel(u*) − a ln(M*/M) − e ln(N*/N).
    let (mu, nu) = (sp.mu, sp.nu);
    let (shift_m, shift_n) = (sp.shift_m, sp.shift_n);
    let rest_rel = rest.rel() - p_max * shift_m - e_min * shift_n;
    let phi = |rho: f64| sp.phi(rho);
    let phi_diff = |rho: f64, rho0: f64| sp.diff(rho, rho0, rho0.exp());
    let dphi = |rho: f64| sp.dphi(rho);
    // Moments of the rel derivatives (see `Split::moment_values`), with the difference
    // `φ(ρ) − φ(mode)` given `e^mode`. The value alone is integrated with them too: the pieces
    // the integral is cut into then follow every component, as with the gradient, and the value
    // is the same (the first component alone can pass the two rules' agreement on pieces
    // where both still err, e.g. by 2e-8 of the tail at z = 1 − 2e-10 with q = 167).
    let moments = |rho: f64, mode: f64, exp_mode: f64| {
        (sp.diff(rho, mode, exp_mode), sp.moment_values(rho).0)
    };
    let hi = sp.hi();
    let (ln_q1, mom) = log_concave_integral::<4>(phi, phi_diff, dphi, 0.0, hi, Some(&moments));
    let q1_rel = sp.ln_nu + ln_q1;
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
    let dq = [-mom[1], -mom[0], e_min * mom[3], p_max * mom[2]];
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
        rd_n + e_min * sp.gap / (nu * nu_s),
        rd_m + p_max * sp.gap / (mu * mu_s),
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

// ---------------------------------------------------------------------------------------------
// Second derivatives.
// ---------------------------------------------------------------------------------------------

/// A tail in the relative form of [`Tail`], `rel = ln I(u) + p ln(α+u) + q ln(β+u)`, with its
/// gradient and Hessian in `(p, q, α, β)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TailHessian {
    pub(crate) rel: f64,
    pub(crate) d: [f64; 4],
    pub(crate) h: [[f64; 4]; 4],
}

/// The same in the tail's own coordinates `(A, E, M, N)`: `A` the exponent of the factor with
/// the larger offset `M = m+u`, `E` that of the other, `N = n+u`.
type Own = (f64, [f64; 4], [[f64; 4]; 4]);
const OA: usize = 0;
const OE: usize = 1;
const OM: usize = 2;
const ON: usize = 3;

/// `ln(sum)` of the positive series of `₂F₁(E, w; w+1; z)` ([`hyp_series`], `w = A + E − 1`)
/// with its gradient and Hessian in `(A, E, z)`.
struct Hyp2 {
    ln_sum: f64,
    d: [f64; 3],
    h: [[f64; 3]; 3],
}

/// The series of [`hyp_series`] with the second derivatives of `ln(sum)`, each sum formed
/// directly in `(A, E)`: with terms `c_k zᵏ`, the Euler form has `c_k = (A)_k/(A+E)_k` and
/// `∂_A ln c_k = Σ_{i<k} E/((A+i)(A+E+i))`, `∂_E ln c_k = −Σ 1/(A+E+i)`,
/// `∂²_AA = −Σ E(2A+E+2i)/((A+i)²(A+E+i)²)`, `∂²_AE = ∂²_EE = Σ 1/(A+E+i)²`; the plain series
/// has `c_k = w/(w+k) (E)_k/k!`, `∂_A ln c_k = k/(w(w+k))`, `∂_E ln c_k = k/(w(w+k)) + Σ 1/(E+i)`,
/// `∂²_AA = ∂²_AE = −k(2w+k)/(w²(w+k)²)` and `∂²_EE = ∂²_AA − Σ 1/(E+i)²` (no difference of
/// running sums is formed). The terms fall at least geometrically (ratio `≤ z`) and the weights
/// of the second-order sums grow at most like `k²`, so the series stops once
/// `c_k z^(k+1) (k+1)² ≤ ε (1−z)³ sum`, or, for the Euler form with `E > 3` and `z` above
/// [`Z_SERIES`], once [`euler_tail_done_hessian`] bounds every remainder. `None` if `max_terms`
/// do not suffice.
fn hyp_series_hessian(a: f64, e: f64, w: f64, z: f64, omz: f64, max_terms: usize) -> Option<Hyp2> {
    let euler_tail = (e > 3.0 && z > Z_SERIES).then_some((a, e));
    sum_hessian(Coefs::new(a, e, w), z, omz, max_terms, euler_tail)
}

/// The coefficients of the series of [`hyp_series_hessian`] one term at a time, by their
/// recurrences: `[c_k, ∂_A ln c_k, ∂_E ln c_k, ∂²_AA ln c_k, ∂²_AE ln c_k, ∂²_EE ln c_k]`.
#[derive(Debug, Clone)]
struct Coefs {
    a: f64,
    e: f64,
    w: f64,
    k: f64,
    cur: [f64; 6],
    /// Plain series: running `Σ 1/(E+i)` and `Σ 1/(E+i)²`.
    rho_e: f64,
    tau_e: f64,
}

impl Coefs {
    fn new(a: f64, e: f64, w: f64) -> Self {
        Coefs {
            a,
            e,
            w,
            k: 0.0,
            cur: [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            rho_e: 0.0,
            tau_e: 0.0,
        }
    }
}

impl Iterator for Coefs {
    type Item = [f64; 6];

    #[inline]
    fn next(&mut self) -> Option<[f64; 6]> {
        let out = self.cur;
        let (a, e, w, k) = (self.a, self.e, self.w, self.k);
        let [coef, da, de, daa, dae, dee] = out;
        self.cur = if e >= 1.0 {
            let c = w + 1.0;
            let (ia, ic) = (1.0 / (a + k), 1.0 / (c + k));
            [
                coef * ((a + k) * ic),
                da + e * ia * ic,
                de - ic,
                daa - e * (a + c + 2.0 * k) * (ia * ic) * (ia * ic),
                dae + ic * ic,
                dee + ic * ic,
            ]
        } else {
            let ie = 1.0 / (e + k);
            self.rho_e += ie;
            self.tau_e += ie * ie;
            let k1 = k + 1.0;
            let lam = k1 / (w * (w + k1));
            let mu = (k1 / (w + k1)) * ((2.0 * w + k1) / (w + k1)) / (w * w);
            [
                coef * ((w + k) * (e + k) / ((w + k + 1.0) * k1)),
                lam,
                lam + self.rho_e,
                -mu,
                -mu,
                -mu - self.tau_e,
            ]
        };
        self.k = k + 1.0;
        Some(out)
    }
}

/// Coefficients of the series of [`hyp_series_hessian`] for one tail and frequency, independent
/// of `z` (`A`, `E` the exponents of the factors with the larger and the smaller offset,
/// `w = A + E − 1`): the first [`TABLE_TERMS`] of [`Coefs`], filled once per evaluation.
pub(crate) fn fill_hessian_table(a: f64, e: f64, w: f64, out: &mut [[f64; 6]]) {
    for (slot, c) in out.iter_mut().zip(Coefs::new(a, e, w)) {
        *slot = c;
    }
}

/// The remainder bound of the sums of [`sum_hessian`] for the Euler form (`A = a`, `E = e > 3`,
/// `c = a + e`) after the term `t_k` with log-derivatives `weights` (`∂_A`, `∂_E`, `∂²_AA`,
/// `∂²_AE`, `∂²_EE` of `ln c_k`), where the geometric bound is useless (`z` near 1). As in
/// [`euler_tail_done`], `t_j ≤ t_k ((c+k)/(c+j))^e`, so with `n = j − k`,
/// `Σ_{j>k} t_j nᵐ ≤ t_k (c+k)^(m+1)/(e−m−1)`; every weight of term `j` is at most a polynomial
/// of degree 2 in `n` (each running sum grows per term by at most its increment at `k`:
/// `E/((A+k)(c+k))`, `1/(c+k)`, `E(A+c+2k)/((A+k)²(c+k)²)`, `1/(c+k)²`; and `j ≤ k + n`). True
/// when each of the ten sums is complete to [`SERIES_EPS`] relative to the sum of the absolute
/// values of its terms (`abs` for the two whose terms change sign).
#[allow(clippy::too_many_arguments)]
fn euler_tail_done_hessian(
    a: f64,
    e: f64,
    k: f64,
    t: f64,
    z: f64,
    weights: [f64; 5],
    s: &[f64; 10],
    abs: [f64; 2],
) -> bool {
    let [da, de, daa, dae, dee] = weights;
    let c = a + e;
    let (ia, ic) = (1.0 / (a + k), 1.0 / (c + k));
    // Linear bounds p0 + p1 n and their products (coefficients of 1, n, n²).
    let lin = |p0: f64, p1: f64| [p0, p1, 0.0];
    let mul = |p: [f64; 3], q: [f64; 3]| [p[0] * q[0], p[0] * q[1] + p[1] * q[0], p[1] * q[1]];
    let add = |p: [f64; 3], q: [f64; 3]| [p[0] + q[0], p[1] + q[1], p[2] + q[2]];
    let w_a = lin(da, e * ia * ic);
    let w_e = lin(de.abs(), ic);
    let w_j = lin(k / z, 1.0 / z);
    let d_aa = e * (a + c + 2.0 * k) * (ia * ic) * (ia * ic);
    let bounds = [
        lin(1.0, 0.0),
        w_a,
        w_e,
        add(mul(w_a, w_a), lin(daa.abs(), d_aa)),
        add(mul(w_a, w_e), lin(dae, ic * ic)),
        add(mul(w_e, w_e), lin(dee, ic * ic)),
        w_j,
        mul(w_j, w_a),
        mul(w_j, w_e),
        mul(w_j, w_j),
    ];
    let y = c + k;
    let moments = [
        t * y / (e - 1.0),
        t * y * y / (e - 2.0),
        t * y * y * y / (e - 3.0),
    ];
    let scale = [
        s[0],
        s[1],
        s[2].abs(),
        abs[0],
        abs[1],
        s[5],
        s[6],
        s[7],
        s[8].abs(),
        s[9],
    ];
    bounds
        .iter()
        .zip(scale)
        .all(|(p, sc)| p[0] * moments[0] + p[1] * moments[1] + p[2] * moments[2] <= SERIES_EPS * sc)
}

/// The sums of [`hyp_series_hessian`] over the coefficients `terms` (at most `max_terms` of
/// them); `None` if they run out first.
fn sum_hessian(
    terms: impl Iterator<Item = [f64; 6]>,
    z: f64,
    omz: f64,
    max_terms: usize,
    euler_tail: Option<(f64, f64)>,
) -> Option<Hyp2> {
    let stop = SERIES_EPS * omz * omz * omz;
    // zᵏ, z^(k−1), z^(k−2) (the latter two only ever multiplied by k and k(k−1)).
    let (mut zk, mut zk1, mut zk2) = (1.0, 0.0, 0.0);
    let mut prev = 1.0;
    // Sums: 1, A, E, AA, AE, EE, z, Az, Ez, zz.
    let mut s = [0.0f64; 10];
    // With the Euler-form remainder bound: the sums of the absolute values of the terms of the
    // AA and AE sums (whose terms change sign).
    let mut abs = [0.0f64; 2];
    for (step, [coef, da, de, daa, dae, dee]) in terms.take(max_terms).enumerate() {
        let k = step as f64;
        let t = coef * zk;
        let (ta, te) = (t * da, t * de);
        s[0] += t;
        s[1] += ta;
        s[2] += te;
        s[3] += ta * da + t * daa;
        s[4] += ta * de + t * dae;
        s[5] += te * de + t * dee;
        let kz = k * coef * zk1;
        s[6] += kz;
        s[7] += kz * da;
        s[8] += kz * de;
        s[9] += k * (k - 1.0) * coef * zk2;
        // The remainder bound, every 8 terms (it holds after any term).
        let tail_done = match euler_tail {
            Some((a, e)) => {
                abs[0] += t * (da * da + daa.abs());
                abs[1] += t * ((da * de).abs() + dae);
                let weights = [da, de, daa, dae, dee];
                step % 8 == 7 && euler_tail_done_hessian(a, e, k, t, z, weights, &s, abs)
            }
            None => false,
        };
        if step >= 2 && (tail_done || t * z * (k + 1.0) * (k + 1.0) <= stop * s[0]) {
            let sum = s[0];
            let l = [s[1] / sum, s[2] / sum, s[6] / sum];
            let second = [[s[3], s[4], s[7]], [s[4], s[5], s[8]], [s[7], s[8], s[9]]];
            let h =
                std::array::from_fn(|i| std::array::from_fn(|j| second[i][j] / sum - l[i] * l[j]));
            return Some(Hyp2 {
                ln_sum: sum.ln(),
                d: l,
                h,
            });
        }
        // The term ratio (at least the last one) bounds the remaining terms from below.
        if euler_tail.is_none()
            && step % 32 == 31
            && hopeless(t, coef / prev * z, s[0], stop, omz, max_terms - step)
        {
            return None;
        }
        prev = coef;
        zk2 = zk1;
        zk1 = zk;
        zk *= z;
    }
    None
}

/// Assembles a tail's value, gradient and Hessian in its own coordinates from the series (the
/// second-order form of [`series_tail`]): with `z = 1 − N/M`, `rel = ln N − ln w + L` for the
/// Euler form and `rel = ln M + E ln(N/M) − ln w + L` for the plain series, `L = ln(sum)`.
#[allow(clippy::too_many_arguments)]
fn series_tail_hessian(
    e: f64,
    w: f64,
    ln_w: f64,
    mu: f64,
    nu: f64,
    ln_mu: f64,
    ln_nu: f64,
    hy: &Hyp2,
) -> Own {
    let euler = e >= 1.0;
    let [la, le, lz] = hy.d;
    let hh = &hy.h;
    // z = 1 − N/M: its partial derivatives in (M, N).
    let (z_m, z_n) = (nu / (mu * mu), -1.0 / mu);
    let (z_mm, z_mn) = (-2.0 * z_m / mu, 1.0 / (mu * mu));
    let iw2 = 1.0 / (w * w);
    let mut g = [-1.0 / w + la, -1.0 / w + le, lz * z_m, lz * z_n];
    let mut h = [[0.0; 4]; 4];
    h[OA][OA] = iw2 + hh[0][0];
    h[OA][OE] = iw2 + hh[0][1];
    h[OE][OE] = iw2 + hh[1][1];
    h[OA][OM] = hh[0][2] * z_m;
    h[OA][ON] = hh[0][2] * z_n;
    h[OE][OM] = hh[1][2] * z_m;
    h[OE][ON] = hh[1][2] * z_n;
    h[OM][OM] = hh[2][2] * z_m * z_m + lz * z_mm;
    h[OM][ON] = hh[2][2] * z_m * z_n + lz * z_mn;
    h[ON][ON] = hh[2][2] * z_n * z_n;
    let base = if euler {
        g[ON] += 1.0 / nu;
        h[ON][ON] -= 1.0 / (nu * nu);
        ln_nu - ln_w
    } else {
        g[OE] += ln_nu - ln_mu;
        g[OM] += (1.0 - e) / mu;
        g[ON] += e / nu;
        h[OE][OM] -= 1.0 / mu;
        h[OE][ON] += 1.0 / nu;
        h[OM][OM] -= (1.0 - e) / (mu * mu);
        h[ON][ON] -= e / (nu * nu);
        ln_mu + e * (ln_nu - ln_mu) - ln_w
    };
    symmetrise(&mut h);
    (base + hy.ln_sum, g, h)
}

/// Copies the upper triangle of a 4×4 matrix onto the lower one.
pub(crate) fn symmetrise(h: &mut [[f64; 4]; 4]) {
    for i in 1..4 {
        let (upper, lower) = h.split_at_mut(i);
        for (j, row) in upper.iter().enumerate() {
            lower[0][j] = row[i];
        }
    }
}

/// The tail integral of [`tail`] with its gradient and Hessian in `(p, q, α, β)`: the series
/// ([`hyp_series_hessian`]; from the coefficients of [`fill_hessian_table`] when given and
/// long enough) when it converges within the term cap, else the split of [`tail_fallback`]
/// with the second moments of the numerical part.
#[allow(clippy::too_many_arguments)]
pub(crate) fn tail_hessian(
    alpha: f64,
    beta: f64,
    p: f64,
    q: f64,
    (w, ln_w): (f64, f64),
    u: f64,
    ln_au: f64,
    ln_bu: f64,
    table: Option<&[[f64; 6]]>,
) -> TailHessian {
    let o = Oriented::new(alpha, beta, p, q, u, ln_au, ln_bu);
    let stop = SERIES_EPS * o.omz * o.omz * o.omz;
    let from_table = table
        .filter(|t| t.len() > 2 && !hopeless(1.0, t[1][0] * o.z, 1.0, stop, o.omz, t.len()))
        .and_then(|t| {
            let euler_tail = (o.e > 3.0 && o.z > Z_SERIES).then_some((o.a, o.e));
            sum_hessian(t.iter().copied(), o.z, o.omz, t.len(), euler_tail)
        });
    let own = from_table
        .or_else(|| hyp_series_hessian(o.a, o.e, w, o.z, o.omz, o.max_terms))
        .map(|hy| series_tail_hessian(o.e, w, ln_w, o.mu, o.nu, o.ln_mu, o.ln_nu, &hy))
        .unwrap_or_else(|| fallback_hessian(alpha, beta, p, q, w, u, ln_au, ln_bu));
    in_pq(o.a_ge_b, own)
}

/// From the own coordinates `(A, E, M, N)` to `(p, q, α, β)`: the identity when `α ≥ β`, else
/// `(A, E, M, N) = (q, p, β, α)`.
fn in_pq(a_ge_b: bool, (rel, g, h): Own) -> TailHessian {
    let perm = if a_ge_b { [0, 1, 2, 3] } else { [1, 0, 3, 2] };
    let mut out = TailHessian {
        rel,
        d: [0.0; 4],
        h: [[0.0; 4]; 4],
    };
    for i in 0..4 {
        out.d[perm[i]] = g[i];
        for j in 0..4 {
            out.h[perm[i]][perm[j]] = h[i][j];
        }
    }
    out
}

/// The second-order form of [`tail_fallback`]. The sum of the two parts does not depend on the
/// split point `u*`, so every derivative is taken at fixed `u*`. The numerical part
/// `Q = ∫_u^{u*} f(v) dv`, `ln f = −A ln(M(v)/M) − E ln(N(v)/N)`, has `∇ ln Q = E[∇ ln f]` and
/// `∇² ln Q = E[∇² ln f] + Cov[∇ ln f]` under the normalised integrand, with
/// `∇ ln f = (−ln(M(v)/M), −ln(N(v)/N), A κ_M, E κ_N)`, `κ_M = 1/M − 1/M(v)`,
/// `κ_N = 1/N − 1/N(v)`, and `∇² ln f` non-zero at `(A, M)`: `κ_M`, `(E, N)`: `κ_N`,
/// `(M, M)`: `−A κ_M (1/M + 1/M(v))` and `(N, N)`: `−E κ_N (1/N + 1/N(v))`. The two parts combine
/// as a log-sum-exp: weighted gradients and Hessians plus `w_Q w_R (∇_Q − ∇_R)(∇_Q − ∇_R)ᵀ`.
#[cold]
#[allow(clippy::too_many_arguments)]
fn fallback_hessian(
    alpha: f64,
    beta: f64,
    p: f64,
    q: f64,
    w: f64,
    u: f64,
    ln_au: f64,
    ln_bu: f64,
) -> Own {
    let sp = Split::new(alpha, beta, p, q, u, ln_au, ln_bu);
    let (e_min, p_max, mu_s, nu_s) = (sp.e, sp.a, sp.mu_s, sp.nu_s);
    let Some(hy) = hyp_series_hessian(p_max, e_min, w, sp.d / mu_s, nu_s / mu_s, MAX_TERMS) else {
        return (f64::NAN, [f64::NAN; 4], [[f64::NAN; 4]; 4]);
    };
    let (rest_at, g_at, h_at) =
        series_tail_hessian(e_min, w, w.ln(), mu_s, nu_s, mu_s.ln(), nu_s.ln(), &hy);
    // The rest relative to the powers at u: rel(u*) − A ln(M*/M) − E ln(N*/N).
    let (mu, nu) = (sp.mu, sp.nu);
    let rest_rel = rest_at - p_max * sp.shift_m - e_min * sp.shift_n;
    let (km, kn) = (sp.gap / (mu * mu_s), sp.gap / (nu * nu_s));
    let g_r = [
        g_at[OA] - sp.shift_m,
        g_at[OE] - sp.shift_n,
        g_at[OM] + p_max * km,
        g_at[ON] + e_min * kn,
    ];
    let mut h_r = h_at;
    h_r[OA][OM] += km;
    h_r[OE][ON] += kn;
    h_r[OM][OM] -= p_max * km * (1.0 / mu + 1.0 / mu_s);
    h_r[ON][ON] -= e_min * kn * (1.0 / nu + 1.0 / nu_s);
    symmetrise(&mut h_r);
    // Slots: 1; ln(M(v)/M), ρ, κ_M, κ_N; their ten products; κ_M (1/M + 1/M(v)),
    // κ_N (1/N + 1/N(v)).
    let moments = |rho: f64, mode: f64, exp_mode: f64| {
        let (v, m_v, n_v) = sp.moment_values(rho);
        let mut out = [0.0; 17];
        out[0] = 1.0;
        out[1..5].copy_from_slice(&v);
        let products = (0..4).flat_map(|i| (i..4).map(move |j| (i, j)));
        for (slot, (i, j)) in out[5..15].iter_mut().zip(products) {
            *slot = v[i] * v[j];
        }
        out[15] = v[2] * (1.0 / mu + 1.0 / m_v);
        out[16] = v[3] * (1.0 / nu + 1.0 / n_v);
        (sp.diff(rho, mode, exp_mode), out)
    };
    let (ln_q1, mom) = log_concave_moments::<17>(
        |rho| sp.phi(rho),
        |rho, rho0| sp.diff(rho, rho0, rho0.exp()),
        |rho| sp.dphi(rho),
        0.0,
        sp.hi(),
        &moments,
    );
    let q1_rel = sp.ln_nu + ln_q1;
    // ∇ ln f = sign ⊙ (ln(M(v)/M), ρ, κ_M, κ_N).
    let sign = [-1.0, -1.0, p_max, e_min];
    let mean: [f64; 4] = std::array::from_fn(|i| sign[i] * mom[1 + i]);
    let mut h_q = [[0.0; 4]; 4];
    let products = (0..4).flat_map(|i| (i..4).map(move |j| (i, j)));
    for (&m2, (i, j)) in mom[5..15].iter().zip(products) {
        h_q[i][j] = sign[i] * sign[j] * m2 - mean[i] * mean[j];
    }
    h_q[OA][OM] += mom[3];
    h_q[OE][ON] += mom[4];
    h_q[OM][OM] -= p_max * mom[15];
    h_q[ON][ON] -= e_min * mom[16];
    symmetrise(&mut h_q);
    let rel = log_add_exp(q1_rel, rest_rel);
    let wq = (q1_rel - rel).exp();
    let wr = (rest_rel - rel).exp();
    let g: [f64; 4] = std::array::from_fn(|i| wq * mean[i] + wr * g_r[i]);
    let diff: [f64; 4] = std::array::from_fn(|i| mean[i] - g_r[i]);
    let h = std::array::from_fn(|i| {
        std::array::from_fn(|j| wq * h_q[i][j] + wr * h_r[i][j] + wq * wr * diff[i] * diff[j])
    });
    (rel, g, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::quadrature::integrate;

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

    /// Largest difference between `tail_hessian` and central differences of `tail`'s gradient,
    /// relative to the diagonal scale.
    fn hessian_error(alpha: f64, beta: f64, p: f64, q: f64, u: f64) -> f64 {
        let grad = |a: [f64; 4]| {
            let w = a[0] + a[1] - 1.0;
            let (la, lb) = ((a[2] + u).ln(), (a[3] + u).ln());
            tail::<true>(a[2], a[3], a[0], a[1], (w, w.ln()), u, la, lb, None).d
        };
        let args = [p, q, alpha, beta];
        let w = p + q - 1.0;
        let (la, lb) = ((alpha + u).ln(), (beta + u).ln());
        let th = tail_hessian(alpha, beta, p, q, (w, w.ln()), u, la, lb, None);
        let t = tail::<true>(alpha, beta, p, q, (w, w.ln()), u, la, lb, None);
        assert!((th.rel - t.rel()).abs() < 1e-12 * (1.0 + t.rel().abs()));
        let mut worst = 0.0f64;
        for j in 0..4 {
            let central = |h: f64| {
                let (mut up, mut dn) = (args, args);
                up[j] += h;
                dn[j] -= h;
                let (gu, gd) = (grad(up), grad(dn));
                std::array::from_fn::<f64, 4, _>(|i| (gu[i] - gd[i]) / (2.0 * h))
            };
            let h = 1e-3 * args[j];
            let (c, f) = (central(h), central(0.5 * h));
            for i in 0..4 {
                assert!(
                    (th.d[i] - t.d[i]).abs() <= 1e-9 * (th.d[i].abs() + 1e-300).max(1.0 / args[i])
                );
                let fd = (4.0 * f[i] - c[i]) / 3.0;
                // The curvature scale of a logarithm: |∂ᵢᵢ| + (∂ᵢ)².
                let scale = ((th.h[i][i].abs() + th.d[i] * th.d[i])
                    * (th.h[j][j].abs() + th.d[j] * th.d[j]))
                    .sqrt();
                // The differences divide the gradient's rounding (its terms are of the size of
                // ∂ᵢ and 1/w; the numerical part is good to about 1e-13) by the step.
                let noise = 1e-13 * (th.d[i].abs() + 1.0 / w) / h;
                worst = worst.max(((th.h[i][j] - fd).abs() - noise).max(0.0) / scale);
            }
        }
        worst
    }

    #[test]
    fn tail_hessian_is_the_derivative_of_the_gradient() {
        for &(alpha, beta, p, q, u) in &[
            (10.0f64, 11.0f64, 0.55f64, 1.6f64, 0.0f64),
            (11.0, 10.0, 0.55, 1.6, 3.0),
            (1000.0, 0.001, 1.5, 0.7, 0.0),
            (0.001, 1000.0, 1.5, 0.7, 0.0),
            (1000.0, 0.001, 0.7, 1.5, 0.0),
            (0.001, 1000.0, 0.7, 1.5, 2.0),
            (100.0, 0.1, 3.0, 1.2, 1.0),
            (0.1, 100.0, 2.0, 0.4, 0.5),
            (5.0, 5.0, 2.0, 2.0, 1.0),
            (1e3, 1e-3, 1e3, 1e3, 0.0),
            (1e3, 1e-3, 1e-3, 1e3, 39.0),
        ] {
            let err = hessian_error(alpha, beta, p, q, u);
            eprintln!("{alpha} {beta} {p} {q} {u}: {err:.1e}");
            assert!(err < 1e-7, "{alpha} {beta} {p} {q} {u}: {err:.1e}");
        }
    }

    /// Tails near `z = 1` (the numerical fallback) against the closed form at 60 digits
    /// (`scripts/tail_fallback_reference.py`), the value alone as with the gradient.
    #[test]
    fn tail_fallback_matches_the_closed_form() {
        for &(alpha, beta, p, q, u, rel) in &[
            (
                0.00455400004322297f64,
                26038804.10334735f64,
                0.010047753504861904f64,
                167.92001341705244f64,
                0.0f64,
                11.789115225263146f64,
            ),
            (
                0.00455400004322297,
                26038804.10334735,
                1.010047753504862,
                166.92001341705244,
                0.004554197907217585,
                -2.001066684339806,
            ),
        ] {
            let w = p + q - 1.0;
            let (la, lb) = ((alpha + u).ln(), (beta + u).ln());
            let with = tail::<true>(alpha, beta, p, q, (w, w.ln()), u, la, lb, None).rel();
            let without = tail::<false>(alpha, beta, p, q, (w, w.ln()), u, la, lb, None).rel();
            for got in [with, without] {
                assert!((got - rel).abs() < 1e-13 * rel.abs(), "{got} against {rel}");
            }
        }
    }

    /// A table of [`table_terms`] terms for the largest `z` serves every row up to that `z`
    /// (the series of [`hyp_series`] to rounding, with its derivatives), where [`TABLE_TERMS`]
    /// would send the rows near it to [`hyp_series`].
    #[test]
    fn long_tables_serve_the_rows_up_to_their_z() {
        for &(e, w) in &[
            (0.55f64, 1.15f64),
            (1.6, 1.15),
            (2.6, 40.0),
            (0.05, 3.0),
            (7.0, 8.5),
        ] {
            for &z_max in &[0.3f64, 0.7, 0.85, 0.9] {
                let terms = table_terms(z_max);
                assert!((TABLE_TERMS..=MAX_TERMS_HIGH_Z).contains(&terms));
                let a = w + 1.0 - e;
                let mut table = vec![[0.0; 4]; terms];
                fill_table(e, w, a, &mut table);
                for z in [0.25 * z_max, 0.5 * z_max, z_max] {
                    let omz = 1.0 - z;
                    let from_table = hyp_from_table::<true>(e, w, &table, z, omz)
                        .unwrap_or_else(|| panic!("e {e} w {w} z {z}: table of {terms} too short"));
                    let series = hyp_series::<true>(e, w, a, z, omz, MAX_TERMS).unwrap();
                    let close = |x: f64, y: f64, scale: f64| (x - y).abs() <= 1e-13 * scale;
                    assert!(
                        close(from_table.sum, series.sum, series.sum),
                        "e {e} w {w} z {z}"
                    );
                    for (x, y) in [
                        (from_table.d_e, series.d_e),
                        (from_table.d_w, series.d_w),
                        (from_table.d_z, series.d_z),
                    ] {
                        assert!(close(x, y, 1.0 + y.abs()), "e {e} w {w} z {z}: {x} {y}");
                    }
                }
            }
        }
        assert_eq!(table_terms(0.0), TABLE_TERMS);
        assert_eq!(table_terms(f64::NAN), TABLE_TERMS);
        assert_eq!(table_terms(0.999), MAX_TERMS_HIGH_Z);
    }

    #[test]
    fn hessian_table_gives_the_series_bit_for_bit() {
        for &(alpha, beta, p, q, u) in &[
            (10.0f64, 11.0f64, 0.55f64, 1.6f64, 0.0f64),
            (11.0, 10.0, 0.55, 1.6, 3.0),
            (11.0, 10.0, 3.55, 0.6, 30.0),
            (1.0, 10.0, 0.55, 1.6, 3.0),
        ] {
            let w = p + q - 1.0;
            let (la, lb) = ((alpha + u).ln(), (beta + u).ln());
            let (a, e) = if alpha >= beta { (p, q) } else { (q, p) };
            let mut table = vec![[0.0; 6]; TABLE_TERMS];
            fill_hessian_table(a, e, w, &mut table);
            let with = tail_hessian(alpha, beta, p, q, (w, w.ln()), u, la, lb, Some(&table));
            let without = tail_hessian(alpha, beta, p, q, (w, w.ln()), u, la, lb, None);
            assert_eq!(with.rel.to_bits(), without.rel.to_bits());
            assert_eq!(with.d.map(f64::to_bits), without.d.map(f64::to_bits));
            assert_eq!(
                with.h.map(|r| r.map(f64::to_bits)),
                without.h.map(|r| r.map(f64::to_bits))
            );
        }
    }

    #[test]
    fn fallback_hessian_agrees_with_the_series() {
        for &(alpha, beta, p, q, u) in &[
            (10.0f64, 1.0f64, 0.55f64, 1.6f64, 0.0f64),
            (1.0, 10.0, 0.55, 1.6, 3.0),
            (1.0, 20.0, 2.5, 0.3, 1.0),
            // z within 1e-6 of 1: the series by the Euler-form remainder bound.
            (1000.0, 0.001, 2.0, 30.0, 0.0),
            (0.001, 1000.0, 25.0, 0.5, 1.0),
            (1e3, 1e-3, 1e3, 1e3, 0.0),
        ] {
            let w = p + q - 1.0;
            let (la, lb) = ((alpha + u).ln(), (beta + u).ln());
            let o = Oriented::new(alpha, beta, p, q, u, la, lb);
            assert!(hyp_series_hessian(o.a, o.e, w, o.z, o.omz, o.max_terms).is_some());
            let series = tail_hessian(alpha, beta, p, q, (w, w.ln()), u, la, lb, None);
            let fb = in_pq(
                alpha >= beta,
                fallback_hessian(alpha, beta, p, q, w, u, la, lb),
            );
            assert!((series.rel - fb.rel).abs() < 1e-12);
            for i in 0..4 {
                assert!((series.d[i] - fb.d[i]).abs() < 1e-10 * (1.0 + series.d[i].abs()));
                for j in 0..4 {
                    // The curvature scale of a logarithm, |∂ᵢᵢ| + (∂ᵢ)², and in (p, q) at least
                    // that of the −ln w the tail carries (1/w², which its other terms cancel).
                    let d = &series.d;
                    let floor = |i: usize| if i < 2 { 1.0 / (w * w) } else { 0.0 };
                    let scale = ((series.h[i][i].abs() + d[i] * d[i] + floor(i))
                        * (series.h[j][j].abs() + d[j] * d[j] + floor(j)))
                    .sqrt();
                    let err = (series.h[i][j] - fb.h[i][j]).abs() / scale;
                    assert!(
                        err < 1e-9,
                        "{alpha} {beta} {p} {q} {u} [{i},{j}]: {err:.1e}"
                    );
                }
            }
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
}
