//! Quadrature on a finite interval: adaptive Gauss–Kronrod (G7/K15), a pair of Gauss–Legendre
//! rules (16 and 32 points) for smooth integrands, backed by the adaptive rule, and rules of 4
//! to 16 points chosen by a proven error bound for products of powers (`power_rule`).

use crate::error::Result;

/// Kronrod abscissae (positive half, descending) and weights of the 15-point rule.
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights of the embedded 7-point rule (at `XGK[1]`, `XGK[3]`, `XGK[5]`, `XGK[7]`).
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// One G7K15 panel on `[a, b]`: (Kronrod estimate, error estimate).
fn panel(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c);
    let mut k = fc * WGK[7];
    let mut g = fc * WG[3];
    for j in 0..7 {
        let x = h * XGK[j];
        let s = f(c - x) + f(c + x);
        k += WGK[j] * s;
        if j % 2 == 1 {
            g += WG[j / 2] * s;
        }
    }
    (k * h, ((k - g) * h).abs())
}

/// `∫ₐᵇ f` by adaptive bisection of G7K15 panels until the summed error estimate is below
/// `rel_tol · |∫|` (or `abs_tol`), with at most `max_panels` panels. Returns (integral, error estimate).
pub(crate) fn integrate(
    f: impl Fn(f64) -> f64,
    a: f64,
    b: f64,
    rel_tol: f64,
    abs_tol: f64,
    max_panels: usize,
) -> (f64, f64) {
    integrate_pieces(f, &[a, b], rel_tol, abs_tol, max_panels)
}

/// [`integrate`] over `breaks[0]..breaks[last]` starting from the panels between consecutive
/// `breaks`: a feature narrow against the whole range (a rise of the integrand that the nodes of
/// one wide panel straddle, where its Gauss and Kronrod estimates can agree while both miss it)
/// then lies in a panel of its own scale. The tolerance is on the whole integral.
pub(crate) fn integrate_pieces(
    f: impl Fn(f64) -> f64,
    breaks: &[f64],
    rel_tol: f64,
    abs_tol: f64,
    max_panels: usize,
) -> (f64, f64) {
    let mut panels: Vec<_> = breaks
        .windows(2)
        .map(|w| (w[0], w[1], panel(&f, w[0], w[1])))
        .collect();
    loop {
        let (total, err): (f64, f64) = panels
            .iter()
            .fold((0.0, 0.0), |(t, e), p| (t + p.2.0, e + p.2.1));
        if err <= (rel_tol * total.abs()).max(abs_tol)
            || panels.len() >= max_panels
            || !err.is_finite()
        {
            return (total, err);
        }
        // Split the panel with the largest error.
        let (i, _) = panels
            .iter()
            .enumerate()
            .fold(
                (0, -1.0),
                |(bi, be), (i, p)| if p.2.1 > be { (i, p.2.1) } else { (bi, be) },
            );
        let (lo, hi, _) = panels.swap_remove(i);
        let mid = 0.5 * (lo + hi);
        panels.push((lo, mid, panel(&f, lo, mid)));
        panels.push((mid, hi, panel(&f, mid, hi)));
    }
}

/// [`integrate_pieces`] of an integrand that may fail: the first error it returns, else
/// (integral, error estimate). A node where it fails counts as 0 while the rule runs on.
pub(crate) fn try_integrate_pieces(
    f: impl Fn(f64) -> Result<f64>,
    breaks: &[f64],
    rel_tol: f64,
    abs_tol: f64,
    max_panels: usize,
) -> Result<(f64, f64)> {
    let failure = std::cell::RefCell::new(None);
    let v = integrate_pieces(
        |x| match f(x) {
            Ok(v) => v,
            Err(e) => {
                failure.borrow_mut().get_or_insert(e);
                0.0
            }
        },
        breaks,
        rel_tol,
        abs_tol,
        max_panels,
    );
    match failure.into_inner() {
        Some(e) => Err(e),
        None => Ok(v),
    }
}

/// One G7K15 panel of a vector integrand: (Kronrod estimates, error estimates). The error
/// estimate is QUADPACK's (Piessens et al. 1983, `qk15`): `|K − G|` scaled by
/// `min(1, (200 |K − G| / resasc)^1.5) · resasc`, where `resasc = ∫|f − mean|` over the panel;
/// it tracks the actual error of the Kronrod value for smooth integrands, where `|K − G|` (the
/// error of the 7-point rule) overstates it by orders of magnitude.
fn panel_vec<const K: usize>(f: &impl Fn(f64) -> [f64; K], a: f64, b: f64) -> ([f64; K], [f64; K]) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c);
    let mut k = fc.map(|v| v * WGK[7]);
    let mut g = fc.map(|v| v * WG[3]);
    let mut vals = [[[0.0; K]; 2]; 7];
    for j in 0..7 {
        let x = h * XGK[j];
        let (lo, hi) = (f(c - x), f(c + x));
        for i in 0..K {
            let s = lo[i] + hi[i];
            k[i] += WGK[j] * s;
            if j % 2 == 1 {
                g[i] += WG[j / 2] * s;
            }
        }
        vals[j] = [lo, hi];
    }
    let mut err = [0.0; K];
    for i in 0..K {
        let mean = 0.5 * k[i];
        let mut asc = WGK[7] * (fc[i] - mean).abs();
        for j in 0..7 {
            asc += WGK[j] * ((vals[j][0][i] - mean).abs() + (vals[j][1][i] - mean).abs());
        }
        let asc = asc * h.abs();
        let raw = ((k[i] - g[i]) * h).abs();
        err[i] = if asc > 0.0 && raw > 0.0 {
            let q = 200.0 * raw / asc;
            asc * (q * q.sqrt()).min(1.0)
        } else {
            raw
        };
        k[i] *= h;
    }
    (k, err)
}

/// `∫ₐᵇ f` for a vector integrand, one adaptive pass for all components (they share every
/// function evaluation). Component `i` is accurate when its error estimate is below
/// `rel_tol · max(|∫fᵢ|, floor[i] · |∫f₀|)`: `floor` lets components that may vanish or change
/// sign (moments) be judged against the size of the first one. The panel whose worst normalised
/// error is largest is split, up to `max_panels` panels.
pub(crate) fn integrate_vec<const K: usize>(
    f: impl Fn(f64) -> [f64; K],
    a: f64,
    b: f64,
    rel_tol: f64,
    floor: [f64; K],
    max_panels: usize,
) -> [f64; K] {
    let mut panels = vec![(a, b, panel_vec(&f, a, b))];
    loop {
        let mut total = [0.0; K];
        let mut err = [0.0; K];
        for p in &panels {
            for i in 0..K {
                total[i] += p.2.0[i];
                err[i] += p.2.1[i];
            }
        }
        let scale: [f64; K] =
            std::array::from_fn(|i| total[i].abs().max(floor[i] * total[0].abs()));
        let done = (0..K).all(|i| err[i] <= rel_tol * scale[i]);
        if done || panels.len() >= max_panels || err.iter().any(|e| !e.is_finite()) {
            return total;
        }
        let badness = |p: &(f64, f64, ([f64; K], [f64; K]))| {
            (0..K).fold(0.0f64, |m, i| {
                m.max(p.2.1[i] / scale[i].max(f64::MIN_POSITIVE))
            })
        };
        let (worst, _) = panels
            .iter()
            .enumerate()
            .fold((0, -1.0), |(bi, be), (i, p)| {
                let e = badness(p);
                if e > be { (i, e) } else { (bi, be) }
            });
        let (lo, hi, _) = panels.swap_remove(worst);
        let mid = 0.5 * (lo + hi);
        panels.push((lo, mid, panel_vec(&f, lo, mid)));
        panels.push((mid, hi, panel_vec(&f, mid, hi)));
    }
}

/// Relative error target of the adaptive Gauss–Kronrod rule: its `|K15 − G7|` estimate is
/// pessimistic for smooth integrands, so the actual error is far smaller.
pub(crate) const QUAD_TOL: f64 = 1e-11;
/// Panel cap of the adaptive rule.
pub(crate) const QUAD_PANELS: usize = 200;

/// Orders of the pair of Gauss–Legendre rules tried before the adaptive rule: the coarse one
/// only serves as an error estimate of the fine one.
const GL_COARSE: usize = 16;
const GL_FINE: usize = 32;
/// Agreement of the two rules under which the fine one is taken. The error of an `n`-point
/// Gauss rule on a function analytic in an ellipse of parameter `ρ` decays like `ρ^(−2n)`, so
/// the 32-point error is about the square of the 16-point one (which the difference measures):
/// `1e-6` there means about `1e-12` here.
pub(crate) const GL_AGREE: f64 = 1e-6;
/// The agreement asked of the scalar integrals behind single predictions (the fine rule then
/// errs by about `1e-16`): a heuristic `1e-12` there is not enough for a sum of probabilities
/// that must reach 1 within `1e-12`.
pub(crate) const GL_AGREE_PREDICTION: f64 = 1e-8;

/// Nodes and weights of the `N`-point Gauss–Legendre rule on `[−1, 1]` (see
/// [`gauss_legendre_into`]).
fn gauss_legendre<const N: usize>() -> ([f64; N], [f64; N]) {
    let (mut x, mut w) = ([0.0; N], [0.0; N]);
    gauss_legendre_into(&mut x, &mut w);
    (x, w)
}

/// Fills `x` and `w` (of equal length `n`) with the nodes and weights of the `n`-point
/// Gauss–Legendre rule on `[−1, 1]` (Newton's method on the three-term recurrence of `P_n`,
/// started at Tricomi's approximation of the roots).
fn gauss_legendre_into(x: &mut [f64], w: &mut [f64]) {
    let len = x.len().min(w.len());
    let n = len as f64;
    for i in 0..len.div_ceil(2) {
        let mut t = (std::f64::consts::PI * (i as f64 + 0.75) / (n + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, t);
            for k in 2..=len {
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
        x[len - 1 - i] = -t;
        w[len - 1 - i] = wi;
    }
}

/// The two Gauss–Legendre rules, computed once.
#[allow(clippy::type_complexity)]
pub(crate) fn gl_rules() -> &'static (
    ([f64; GL_COARSE], [f64; GL_COARSE]),
    ([f64; GL_FINE], [f64; GL_FINE]),
) {
    static RULES: std::sync::OnceLock<(
        ([f64; GL_COARSE], [f64; GL_COARSE]),
        ([f64; GL_FINE], [f64; GL_FINE]),
    )> = std::sync::OnceLock::new();
    RULES.get_or_init(|| (gauss_legendre::<GL_COARSE>(), gauss_legendre::<GL_FINE>()))
}

/// Relative error asked of [`power_rule`] (against the yardstick of its derivation).
const POWER_TOL: f64 = 1e-20;
/// Fewest and most nodes of the rules [`power_rule`] chooses from (every order in between).
const POWER_MIN: usize = 4;
const POWER_MAX: usize = GL_COARSE;
const POWER_ORDERS: usize = POWER_MAX - POWER_MIN + 1;
/// Nodes of all those rules together.
const POWER_NODES: usize = (POWER_MAX * (POWER_MAX + 1) - POWER_MIN * (POWER_MIN - 1)) / 2;
/// Classes of the reach `e` (half octaves: the bounds `1, 3/4, 1/2, 3/8, 1/4, …`); the last
/// one also takes every smaller `e`.
const POWER_CLASSES: usize = 36;
/// Ellipses tried per class: `ρ = ρ_lim^(i/POWER_GRID)`, `0 < i < POWER_GRID`.
const POWER_GRID: usize = 48;
/// Most factors (logarithms, reciprocals) an integrand may carry besides `f` within the bound.
pub(crate) const POWER_FACTORS: usize = 2;

/// The rules of [`power_rule`] and their thresholds, computed once.
struct PowerRules {
    x: [f64; POWER_NODES],
    w: [f64; POWER_NODES],
    /// `max_variation[d][c][i]`: the largest variation for which the rule of `POWER_MIN + i`
    /// nodes is proven within [`POWER_TOL`] in class `c` for integrands of `d` factors.
    max_variation: [[[f64; POWER_ORDERS]; POWER_CLASSES]; POWER_FACTORS + 1],
}

/// Start of the `n`-point rule in `PowerRules::x` and `w`.
const fn power_offset(n: usize) -> usize {
    (n * (n - 1) - POWER_MIN * (POWER_MIN - 1)) / 2
}

/// Upper bound of the reach `e` in class `c` (see [`power_rule`]).
fn power_class_bound(c: usize) -> f64 {
    let octave = 0.5f64.powi((c / 2) as i32);
    if c % 2 == 0 { octave } else { 0.75 * octave }
}

/// The largest variations `V` for which the rules of `POWER_MIN..=POWER_MAX` nodes meet
/// [`POWER_TOL`] when every reach is at most `e`, for integrands of `d = 0, 1, 2` factors (for
/// each, the maximum over the ellipses tried of the condition derived at [`power_rule`]), less
/// a margin for the rounding of this computation.
fn power_max_variations(e: f64) -> [[f64; POWER_ORDERS]; POWER_FACTORS + 1] {
    // The ellipse must stay clear of the singularity: e (A − 1)/2 < 1.
    let a_lim = 1.0 + 2.0 / e;
    let ln_rho_lim = (a_lim + (a_lim * a_lim - 1.0).sqrt()).ln();
    let ln_e1 = e.ln_1p();
    let constant = POWER_TOL.ln() + (15.0f64 / 32.0).ln();
    let mut best = [[f64::NEG_INFINITY; POWER_ORDERS]; POWER_FACTORS + 1];
    for i in 1..POWER_GRID {
        let ln_rho = ln_rho_lim * i as f64 / POWER_GRID as f64;
        let rho = ln_rho.exp();
        let a = 0.5 * (rho + 1.0 / rho);
        let ek = 0.5 * e * (a - 1.0);
        let lambda = -(-ek).ln_1p() / ln_e1;
        let kappa = (1.0 + lambda).max(0.5 * (1.0 + a) / (1.0 - ek));
        let (ln_kappa, common) = (kappa.ln(), constant + (rho * rho - 1.0).ln());
        for (d, row) in best.iter_mut().enumerate() {
            let base = common - d as f64 * ln_kappa;
            for (j, b) in row.iter_mut().enumerate() {
                let n = POWER_MIN + j;
                let v = (base + 2.0 * (n - 1) as f64 * ln_rho) / (1.0 + lambda);
                if v.is_finite() {
                    *b = b.max(v);
                }
            }
        }
    }
    best.map(|row| row.map(|b| b - 1e-9 * (1.0 + b.abs())))
}

fn power_rules() -> &'static PowerRules {
    static RULES: std::sync::OnceLock<Box<PowerRules>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules = Box::new(PowerRules {
            x: [0.0; POWER_NODES],
            w: [0.0; POWER_NODES],
            max_variation: [[[0.0; POWER_ORDERS]; POWER_CLASSES]; POWER_FACTORS + 1],
        });
        for n in POWER_MIN..=POWER_MAX {
            let range = power_offset(n)..power_offset(n + 1);
            gauss_legendre_into(&mut rules.x[range.clone()], &mut rules.w[range]);
        }
        for c in 0..POWER_CLASSES {
            let rows = power_max_variations(power_class_bound(c));
            for (d, row) in rows.into_iter().enumerate() {
                rules.max_variation[d][c] = row;
            }
        }
        rules
    })
}

/// Gauss–Legendre nodes and weights on `[−1, 1]` for `∫_{t_x}^T g(w) dw` with
///
/// `g = f · φ₁ ⋯ φ_d` (`d ≤ factors ≤ 2`), `f(w) = ∏ⱼ ((cⱼ + T)/(cⱼ + w))^(pⱼ)`, `pⱼ ≥ 0`,
/// `cⱼ + t_x > 0`,
///
/// where each factor `φ` is one of `ln((cⱼ+T)/(cⱼ+w))`, `1/(cⱼ+w) − 1/(cⱼ+T)`, `1/(cⱼ+w)`:
/// the fewest nodes (4 to 16) that are proven to integrate `g` within [`POWER_TOL`] of the
/// yardstick `∫f · S₁ ⋯ S_d`, where `S` is the largest value of `|φ|` on `[t_x, T]`. The
/// arguments are the reach `e = Δ/minⱼ(cⱼ + t_x)`, `Δ = T − t_x`, and the variation
/// `V = Σⱼ pⱼ ln(1 + Δ/(cⱼ + t_x)) = ln f(t_x)`; outside `0 ≤ V`, `e ≤ 1` (or NaN) the
/// 16-point rule is returned, as it is when no rule is proven or `factors` exceeds
/// [`POWER_FACTORS`]. Only comparisons are made per call: the thresholds are computed once.
///
/// **Derivation.** With `w = m + h u` (`m`, `h` the midpoint and half-length), the singularity
/// at `w = −cⱼ` lies at `u = −(1 + aⱼ)`, `aⱼ = 2/eⱼ`, `eⱼ = Δ/(cⱼ + t_x) ≤ e`. On the Bernstein
/// ellipse `E_ρ` (foci `±1`, semi-axes `A = (ρ + 1/ρ)/2` and `√(A² − 1)`) and inside it,
/// `|1 − u| ≤ 1 + A`, so `zⱼ = (cⱼ + w)/(cⱼ + T) = 1 − (1 − u)/(aⱼ + 2)` satisfies
/// `|1 − zⱼ| ≤ m_j = eⱼ(1 + A)/(2(1 + eⱼ))`, which is below 1 while `k eⱼ < 1`,
/// `k = (A − 1)/2`. Then, with `1 − mⱼ = (1 − k eⱼ)/(1 + eⱼ)`:
///
/// - `|ln(1/zⱼ)| ≤ −ln(1 − mⱼ) = ln(1 + eⱼ) − ln(1 − k eⱼ)`, and the same bounds
///   `Re ln(1/zⱼ)`, so `|f| ≤ exp Σⱼ pⱼ [ln(1 + eⱼ) − ln(1 − k eⱼ)]`;
/// - `|1/(cⱼ+w) − 1/(cⱼ+T)| = |1 − zⱼ|/(|zⱼ|(cⱼ+T)) ≤ eⱼ(1 + A)/(2(1 − k eⱼ)(cⱼ+T))`, whose
///   value at `w = t_x`, the largest on the interval, is `eⱼ/(cⱼ+T)`;
/// - `|1/(cⱼ+w)| ≤ (1 + eⱼ)/((1 − k eⱼ)(cⱼ+T))` against `(1 + eⱼ)/(cⱼ+T)` at `t_x`.
///
/// The ratio `−ln(1 − k e)/ln(1 + e)` increases with `e` (a convex over a concave function,
/// both 0 at 0), as does `1/(1 − k e)`; so for `e ≤ ē` (the bound of the class of `e`)
/// `|f| ≤ exp((1 + λ) V)` with `λ = −ln(1 − k ē)/ln(1 + ē)`, and each factor is at most
/// `κ S` with `κ = max(1 + λ, (1 + A)/(2(1 − k ē))) ≥ 1`. For `g` analytic in `E_ρ` with
/// `|g| ≤ M` there, the Chebyshev coefficients obey `|a_k| ≤ 2Mρ^(−k)`; the `n`-point Gauss
/// rule is exact up to degree `2n − 1` and integrates odd `T_k` to 0, and
/// `|∫T_k| + |Σ wᵢ T_k(xᵢ)| ≤ 2/(k² − 1) + 2 ≤ 32/15` for `k ≥ 4`, so it errs on `[−1, 1]`
/// by at most `(64/15) M Σ_{k ≥ 2n even} ρ^(−k) = (64/15) M ρ^(2−2n)/(ρ² − 1)` (Trefethen,
/// *Approximation Theory and Approximation Practice*, Thm 19.3, there for the rule of
/// `n + 1` points); on `[t_x, T]` this is multiplied by `h`. Since `f ≥ 1` on the interval,
/// `∫f ≥ Δ = 2h`, and the error relative to `∫f · S₁ ⋯ S_d` is at most
///
/// `(32/15) exp((1 + λ) V) κ^d ρ^(2−2n)/(ρ² − 1)`,
///
/// below [`POWER_TOL`] iff `V ≤ [ln(15 tol/32) + ln(ρ² − 1) + 2(n−1) ln ρ − d ln κ]/(1 + λ)`.
/// The table holds, per `d`, class and `n`, the largest right-hand side over the ellipses
/// `ρ = ρ_lim^(i/48)` (`ρ_lim`: the ellipse through the nearest singularity the class allows),
/// and a row takes the smallest `n` whose threshold is at least `V`. A sum of such products
/// (second derivatives, e.g. `f (1/(c+w)² − 1/(c+T)²) = f (1/(c+w) − 1/(c+T)) (1/(c+w) +
/// 1/(c+T))`) errs by at most the sum of its terms' bounds.
///
/// **The yardstick.** In a likelihood `ln(1 + c∫f)` with derivatives `c∫g/(1 + c∫f)`, an
/// error `ε ∫f · S` of `∫g` moves the derivative by less than `ε S`, and `S` (e.g.
/// `ln(1 + Δ/(cⱼ+t_x))` for a shape parameter, `pⱼ Δ/((cⱼ+t_x)(cⱼ+T))` for a scale) is at
/// most the size of the terms the derivative sums besides the integral: the quadrature's
/// error stays far below their rounding. On the interval `f ≥ 1` and each factor is at least
/// `(T − w)/(cⱼ+T)²`, `(T − w)/(cⱼ+T)` or `1/(cⱼ+T)` for the three kinds (`ln(1+y) ≥ y/(1+y)`),
/// while `f ≤ e^V`: so for one factor `∫g` is within `4e^V` of its yardstick, which bounds its
/// own relative error.
pub(crate) fn power_rule(
    e: f64,
    variation: f64,
    factors: usize,
) -> (&'static [f64], &'static [f64]) {
    let rules = power_rules();
    let n = if let Some(table) = rules.max_variation.get(factors)
        && e <= 1.0
        && variation >= 0.0
    {
        // Half-octave class from the exponent and the leading bit of the mantissa.
        let key = (e.to_bits() >> 51).min(2045);
        let class = ((2045 - key) as usize).min(POWER_CLASSES - 1);
        let above = table[class].iter().filter(|&&v| v < variation).count();
        (POWER_MIN + above).min(POWER_MAX)
    } else {
        POWER_MAX
    };
    let range = power_offset(n)..power_offset(n + 1);
    (&rules.x[range.clone()], &rules.w[range])
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
pub(crate) fn integrate_smooth<const K: usize>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_smooth_and_peaked_functions() {
        let (v, _) = integrate(|x: f64| x.exp(), 0.0, 1.0, 1e-14, 0.0, 100);
        assert!((v - (1f64.exp() - 1.0)).abs() < 1e-14);
        // A narrow peak: ∫ 1/(1e-6 + (x-0.3)^2) on [0,1]
        let e = 1e-3f64;
        let exact = ((0.7 / e).atan() + (0.3 / e).atan()) / e;
        let (v, _) = integrate(
            |x: f64| 1.0 / (e * e + (x - 0.3).powi(2)),
            0.0,
            1.0,
            1e-12,
            0.0,
            2000,
        );
        assert!((v / exact - 1.0).abs() < 1e-10, "{v} vs {exact}");
    }

    #[test]
    fn vector_integrand_matches_scalar_integrals() {
        // ∫₀¹ [eˣ, x eˣ, sin(20x)] = [e − 1, 1, (1 − cos 20)/20]
        let v = integrate_vec(
            |x: f64| [x.exp(), x * x.exp(), (20.0 * x).sin()],
            0.0,
            1.0,
            1e-13,
            [0.0, 0.0, 0.1],
            200,
        );
        assert!((v[0] - (1f64.exp() - 1.0)).abs() < 1e-13);
        assert!((v[1] - 1.0).abs() < 1e-13);
        assert!((v[2] - (1.0 - 20f64.cos()) / 20.0).abs() < 1e-12);
    }

    /// `∫₀¹ 8w⁷ (1 − e^(−w⁸/ε)) dw = 1 − ε (1 − e^(−1/ε))` from panels between `w = 2⁻ᵏ`: the
    /// tolerance holds for the whole integral, and a failing piece fails it all.
    #[test]
    fn pieces_integrate_the_whole_range() {
        let eps = 5e-8;
        let f = |w: f64| 8.0 * w.powi(7) * -(-w.powi(8) / eps).exp_m1();
        let exact = 1.0 - eps * -(-1.0 / eps).exp_m1();
        let mut breaks: Vec<f64> = (0..9).map(|k| 0.5f64.powi(k)).collect();
        breaks.push(0.0);
        breaks.reverse();
        let (v, err) = integrate_pieces(f, &breaks, 1e-12, 0.0, 500);
        assert!(
            (v - exact).abs() < 1e-11 && err < 1e-12,
            "{v} vs {exact} ({err:e})"
        );
        let failing = try_integrate_pieces(
            |w| {
                if w < 1e-3 {
                    Err(crate::Error::Numerical("low".into()))
                } else {
                    Ok(f(w))
                }
            },
            &breaks,
            1e-12,
            0.0,
            500,
        );
        assert!(matches!(failing, Err(crate::Error::Numerical(_))));
    }

    #[test]
    fn fallible_integrand_gives_the_integral_or_its_first_error() {
        let f = |x: f64| x.exp();
        let plain = integrate(f, 0.0, 1.0, 1e-14, 0.0, 100);
        let tried = try_integrate_pieces(|x| Ok(f(x)), &[0.0, 1.0], 1e-14, 0.0, 100).unwrap();
        assert_eq!(plain.0.to_bits(), tried.0.to_bits());
        assert_eq!(plain.1.to_bits(), tried.1.to_bits());
        let failing = try_integrate_pieces(
            |x| {
                if x > 0.5 {
                    Err(crate::Error::Numerical(format!("failed at {x}")))
                } else {
                    Ok(x)
                }
            },
            &[0.0, 1.0],
            1e-14,
            0.0,
            100,
        );
        assert!(matches!(failing, Err(crate::Error::Numerical(_))));
    }

    /// `(p, s, α, β, t_x, T)`, the fewest nodes from which on mpmath finds all integrands of
    /// the script with at most `d = 0, 1, 2` factors within [`POWER_TOL`] (17: none), and `∫f, ∫f ln((α+T)/(α+w)), ∫f (1/(α+w) − 1/(α+T)),
    /// ∫f ln((β+T)/(β+w)), ∫f (1/(β+w) − 1/(β+T))` at 50 digits, with
    /// `f = ((α+T)/(α+w))^p ((β+T)/(β+w))^(s+1)` (scripts/pareto_short_quadrature.py).
    type ShortCase = ([f64; 6], [usize; 3], [f64; 5]);

    #[rustfmt::skip]
    const SHORT_CASES: [ShortCase; 48] = [
        ([0.5, 0.78, 10.2, 24.1, 3.0, 16.067999999999998], [13, 15, 16], [22.091243617517367, 8.048806510701484, 0.39319921391251067, 4.815598577040526, 0.13826448033689936]),
        ([0.3, 0.001, 1.0, 1.0, 0.0, 1.0], [14, 15, 16], [1.5415154381777796, 0.552812438374221, 0.3545275590752237, 0.552812438374221, 0.3545275590752237]),
        ([1.2, 0.001, 1.0, 1.0, 0.0, 1.0], [15, 16, 16], [2.1631801766350605, 0.8525364490413121, 0.5531120435037817, 0.8525364490413121, 0.5531120435037817]),
        ([0.55, 0.61, 10.58, 11.66, 30.0, 38.0], [8, 9, 10], [9.686934545538968, 0.9008140238594239, 0.019726802969918186, 0.8800021887723084, 0.018824219411834008]),
        ([2.55, 0.61, 10.58, 11.66, 30.0, 31.0], [6, 6, 7], [1.0516399628319144, 0.012962493961758382, 0.00031430957036107724, 0.01263170248293975, 0.00029847194843129175]),
        ([20.55, 0.61, 10.58, 11.66, 60.0, 60.5], [6, 6, 6], [0.5411323667686766, 0.0019574544238862754, 2.7604465787732734e-05, 0.0019280888516179447, 2.678243624309406e-05]),
        ([10000.5, 0.78, 10.2, 24.1, 70.0, 70.00001], [4, 4, 4], [1.0006238267195831e-05, 6.239599309294617e-13, 7.780048367396119e-15, 5.317915735915686e-13, 5.651344696258189e-15]),
        ([0.001, 999.0, 100000000.0, 100000000.0, 0.0, 0.001], [4, 4, 4], [0.001000000005000005, 5.000000033300034e-15, 5.0000000332667e-23, 5.000000033300034e-15, 5.0000000332667e-23]),
        ([0.5, 0.78, 10.2, 24.1, 70.0, 70.00000802], [4, 4, 4], [8.020000804511456e-06, 4.0100002675634983e-13, 5.000000000286998e-15, 3.4176623233329016e-13, 3.631947002279284e-15]),
        ([1.6847596065434887, 25.36385554690192, 382153.64299123426, 73996268.52201112, 0.5394635562228952, 111562.5165934607], [9, 10, 11], [141208.75903044947, 18731.877679927406, 0.041461609281133315, 114.67884650943459, 1.5482667698929234e-06]),
        ([1115.8622933200845, 0.002193502129527462, 153566.23611124852, 0.011329832605940048, 0.02135091071852707, 0.021350956446763058], [4, 4, 4], [4.5728268059641896e-08, 6.808375604822169e-21, 4.433510145611572e-26, 3.1992411413190296e-14, 9.789367779122465e-13]),
        ([104.47721136677339, 101.78353435517522, 636.8249857472205, 0.3116114800416887, 0.8619442238688028, 0.862898297246521], [5, 5, 6], [0.000995124828911408, 7.548072055099897e-10, 1.1836630480843632e-12, 4.099263077907251e-07, 3.491142796862635e-07]),
        ([0.014361709960866754, 0.003297182590240005, 4.533899502247076, 7026.257816989039, 0.0, 7.822904981259302e-08], [4, 4, 4], [7.822904982272256e-08, 6.748919073095675e-16, 1.4885462265140844e-16, 4.354938571137438e-19, 6.198091052928847e-23]),
        ([0.01884158664760812, 0.18103031836548347, 4619776.278488875, 8141012.662051094, 933.1133168139172, 935.8859190427603], [4, 4, 4], [2.7726028020586, 8.318335467015749e-07, 1.8002283706097108e-13, 4.7208147200606075e-07, 5.79813938655029e-14]),
        ([0.03797073372735813, 1.0857825585447634, 2285825.5427009724, 19965593.584945075, 0.41076273272329017, 67077.65992877852], [5, 6, 6], [67349.13297238128, 970.573162361702, 0.0004164990271091866, 113.03409334661268, 5.648803423590977e-06]),
        ([0.0292434728687997, 110.69704836071715, 0.3338834046640128, 4840798.537530068, 0.0, 1.928647867176285e-08], [4, 4, 4], [1.9286478688056726e-08, 5.570331445874051e-16, 1.668346241098542e-15, 3.8420134311678515e-23, 7.936734820466543e-30]),
        ([0.3484388503700798, 30.399672692643424, 0.0012003774629766983, 3588215.5051753093, 0.0, 2.782112081577373e-09], [4, 4, 4], [2.7821132049593368e-09, 3.22404413645766e-15, 2.6858544535644288e-12, 1.0785516910093178e-24, 3.005816371546565e-31]),
        ([0.6666100779587008, 2.1920457720636506, 11.690282639040687, 3.6055028461895082, 0.0020487855526481777, 0.45184944479001937], [8, 8, 9], [0.5510586067683909, 0.011028168743866607, 0.0009201381726704909, 0.03389848587081324, 0.008699830789452493]),
        ([0.034748018895978665, 56.088976469220604, 0.01365316559003132, 0.19727919564442578, 0.4422486800655016, 0.4424459257678662], [4, 4, 5], [0.00019899359053096767, 4.3161212684073946e-08, 9.464488373779112e-08, 3.0770987871504534e-08, 4.810527937539074e-08]),
        ([5449.6368787089905, 4.443534895513836, 204.0152767061809, 11.729241532284812, 423.656070623829, 423.7927957102258], [8, 8, 9], [0.26256012420044705, 3.412817638312043e-05, 5.436514813775387e-08, 4.9197725746700336e-05, 1.1297555048356202e-07]),
        ([264.50998068223646, 250.9415486841779, 110.20730884768108, 10891657.695626996, 0.0, 0.35888784135942003], [8, 8, 8], [0.5687251821170505, 0.0010549392522191726, 9.552288847053537e-06, 1.0696796469036732e-08, 9.821091096414087e-16]),
        ([1.0332621584449129, 0.012955281745727189, 26.39418451712662, 7069.76013657403, 0.0025444280670964313, 0.39600887034983323], [5, 5, 6], [0.39649118952765666, 0.0029334709737996786, 0.00011004000444429505, 1.1061074944116058e-05, 1.5645029862101312e-09]),
        ([15.741763795891101, 0.037895763806299956, 286537.73386669304, 3.7440426192293366, 61.75767613142666, 61.814550405429976], [4, 4, 4], [0.056899983053376506, 5.64661214081153e-09, 1.970209843504763e-14, 2.4692180345696168e-05, 3.7675191470605e-07]),
        ([0.0018208946072917074, 0.0033877724849424203, 7467897.689637649, 25978537.203494936, 0.0, 226.4275689839393], [4, 4, 4], [226.42856533983698, 0.003432606512401106, 4.596390138343433e-10, 0.000986765468938901, 3.798365271771928e-11]),
        ([0.0016268874892098307, 124.89567026030535, 0.19597825041352993, 6.812163315065866, 0.012044233461440483, 0.061648798769263824], [8, 9, 10], [0.080967364872521, 0.009650641157014125, 0.040435526335530374, 0.00033683766227006164, 4.9129929870210924e-05]),
        ([237.20903718144405, 67.47817453658172, 17348.738309039978, 29843544.36699032, 57.81277493922144, 106.38867141836343], [7, 7, 8], [68.83439749293726, 0.1063623966663992, 6.099436929607404e-06, 6.21491192678405e-05, 2.0824916920865635e-12]),
        ([0.6906744690815794, 839.4893478603462, 0.0013159607698363647, 610.6357152405474, 0.0, 1.2686694284868622e-07], [4, 4, 4], [1.2687117749064318e-07, 6.1152670557751e-12, 4.6466993507583686e-09, 1.3179656138223184e-17, 2.1583500289048516e-20]),
        ([62.04924415756092, 1.5027553469617982, 53229.67932946611, 0.00527147543925578, 0.0, 8.326042874715233e-07], [4, 4, 4], [8.327688557258485e-07, 6.513401978936714e-18, 1.2236410327693257e-22, 6.576333334765214e-11, 1.247400475668949e-08]),
        ([2.8433102070572467, 0.0037825351774190604, 0.05094884447824253, 0.03198540938573706, 1.0662119156727923, 1.0662503993809367], [4, 4, 4], [3.848626969174695e-05, 6.628827605288604e-10, 5.933501797309049e-10, 6.74329009993309e-10, 6.140183022232906e-10]),
        ([549.4695912497513, 39.80225919677711, 51699.28797823806, 0.025240769717623648, 14.744242205336397, 14.801890271364734], [6, 6, 6], [0.062498741538044716, 3.576113468522411e-08, 6.915165332931669e-13, 0.00012489178852597273, 8.43428218881779e-06]),
        ([0.027065285573858674, 0.016867857058583523, 0.9908517956970234, 0.006152055611884545, 0.0, 2.159788882679141e-06], [4, 4, 4], [2.1601744131460568e-06, 2.3544345935337865e-12, 2.376168850338475e-12, 3.791177177079338e-10, 6.161014109709737e-08]),
        ([1.1830172109905517, 429.103287334593, 0.9130458102166585, 3234.446015309102, 0.156425207368839, 0.15730932450366714], [4, 4, 4], [0.0008846013684026997, 3.6550927658783855e-07, 3.4157819838652945e-07, 1.2091653443412303e-10, 3.7382186721634556e-14]),
        ([14.412924270355717, 32.110486608279544, 35830.77318297635, 0.12054811883571728, 5.594163427539161, 5.59418006641159], [4, 4, 4], [1.6639674535292986e-05, 3.862973440800594e-15, 1.0779478294393918e-19, 2.422426144958188e-11, 4.23892163806167e-12]),
        ([440.5185090515587, 1.352092513692577, 2.2906910347523572, 0.011866533297903183, 0.02658269343666607, 0.026584055603249102], [4, 4, 4], [1.3623997292998722e-06, 4.004534513245959e-13, 1.728122532624105e-13, 2.4134131905416917e-11, 6.276735312843191e-10]),
        ([329.90562560441737, 0.008803935390722563, 0.0011087045748333477, 227919.77544595266, 0.08869060885752758, 0.08869063468599064], [4, 4, 4], [2.5829688518107846e-08, 3.714680842742015e-15, 4.1366464714173086e-14, 1.463566392183475e-21, 6.421407794918864e-27]),
        ([0.02636233539072582, 1.596474795674183, 1038.4988684483435, 175.84940943685254, 0.0799726951727319, 0.07999705249822356], [4, 4, 4], [2.435732987718552e-05, 2.856207996707306e-13, 2.7501118248332465e-16, 1.6861293593593071e-12, 9.584125080737586e-15]),
        ([2.6622243555475253, 0.00881674746437327, 170329.6235913098, 0.45125298185151913, 0.0, 1.840934935291622e-05], [4, 4, 4], [1.84097281758512e-05, 9.948752159809548e-16, 5.8408819025889566e-21, 3.755146652884007e-10, 8.321373325816576e-10]),
        ([1.9953249451173463, 0.038136424190452545, 0.001273430065480353, 80683815.10792227, 47.55926740212651, 48.21326120758815], [5, 5, 6], [0.6629655104110554, 0.004537343025546909, 9.453773435370696e-05, 2.6990806219364307e-09, 3.345254575256473e-17]),
        ([17.691731506177174, 0.00446129327999722, 4.549454388168755, 202938.8585823244, 0.007164928093850706, 0.007165801711499237], [4, 4, 4], [8.736191301670027e-07, 8.374733230347986e-14, 1.8379266685782987e-14, 1.880392695744604e-18, 9.265808640524865e-24]),
        ([0.026877239654637928, 392.44595712267795, 0.05224984121670799, 0.128389598406553, 0.2716828168506303, 0.27181155647225497], [5, 6, 6], [0.00013724326876213353, 2.7840038220822027e-08, 8.592126256674064e-08, 2.2542793444016847e-08, 5.6334761215597534e-08]),
        ([625.554986883946, 0.001013006592005723, 37.47477760430192, 0.04375312878214622, 4.785238982890843, 4.785273488359332], [4, 4, 4], [3.4514405576205977e-05, 1.4091782062296582e-11, 3.334540667472096e-13, 1.2332106106375547e-10, 2.5537518134066657e-11]),
        ([3.5418674850225873, 0.02502368221313824, 36265.9643367559, 1571.5015872353695, 0.0, 1.5694321134260383], [4, 4, 4], [1.5703555094264232, 3.3984736561498024e-05, 9.370702473437721e-10, 0.000783775761521987, 4.984114545287793e-07]),
        ([2.797290694486065, 0.1951915937927885, 0.10407222772922932, 0.010872666178506156, 608.6676875546087, 636.7472998707702], [6, 7, 7], [30.745326481374562, 0.7087839119404641, 0.0011300591179571704, 0.7088892486089722, 0.0011303950712900788]),
        ([0.6163579225726915, 0.3444765287319741, 8.059229381181396, 158.74812976951193, 32.86407612978175, 48.49729495052564], [10, 10, 11], [18.167574284894393, 2.9298008048749655, 0.05786126374203241, 0.7392955849010071, 0.0036641901090991476]),
        ([0.059722807374467175, 39.9991292752827, 2.8163293732906634, 18277817.503727794, 0.0, 0.00019335260603011865], [4, 4, 4], [0.00019335300244823067, 6.636940585712019e-09, 2.356484613347754e-09, 1.0226968413768847e-15, 5.595289706558736e-23]),
        ([0.001180720859620695, 48.48127360715402, 616.0758261722303, 13142.731354085976, 0.03835776491787672, 2.885492111901428], [4, 5, 5], [2.8624540830336667, 0.006605352491809808, 1.0688100278012143e-05, 0.0003105577735801677, 2.362614254808213e-08]),
        ([101.98953087812494, 0.001241591849265281, 30691.106888217568, 0.013708023987070196, 0.0, 1.3246023167582076e-09], [4, 4, 4], [1.3246023808385459e-09, 2.858436186622789e-23, 9.313564991427765e-28, 6.399796569373006e-17, 4.66864966324532e-15]),
        ([0.0017840894709752369, 3.794440614874264, 117.29282412781113, 469.0523384443109, 0.006596810083814016, 0.09160363584385083], [4, 4, 4], [0.08504381770456468, 3.0805191154750964e-05, 2.6249334759360803e-07, 7.706366311167396e-06, 1.642743551211027e-08]),
    ];

    /// The five integrals of a short Pareto/NBD row by the rule `(xs, ws)`, summed as the
    /// likelihood sums them, and their yardsticks `∫f · S` (the largest factor on the interval).
    fn short_integrals(c: &[f64; 6], xs: &[f64], ws: &[f64]) -> ([f64; 5], [f64; 5]) {
        let [p, s, alpha, beta, tx, t] = *c;
        let q = s + 1.0;
        let (dt, at, bt) = (t - tx, alpha + t, beta + t);
        let (mid, half) = (0.5 * (tx + t), 0.5 * dt);
        let mut acc = [0.0; 5];
        for (&xi, &wi) in xs.iter().zip(ws) {
            let w = mid + half * xi;
            let rest = t - w;
            let (aw, bw) = (alpha + w, beta + w);
            let la = (rest / aw).ln_1p();
            let lb = (rest / bw).ln_1p();
            let f = wi * (p * la + q * lb).exp();
            acc[0] += f;
            acc[1] += f * la;
            acc[2] += f * rest / (aw * at);
            acc[3] += f * lb;
            acc[4] += f * rest / (bw * bt);
        }
        let acc = acc.map(|v| v * half);
        let (ea, eb) = (dt / (alpha + tx), dt / (beta + tx));
        let scale = [1.0, ea.ln_1p(), ea / at, eb.ln_1p(), eb / bt];
        (acc, scale.map(|v| v * acc[0]))
    }

    /// Agreement asked of two rules in `f64`: the rounding of the sums, and that of the nodes
    /// `w = m + h xᵢ` (an error of `ε T` in a node moves the integrands, whose factors vanish at
    /// `T`, by up to `ε T/Δ` relative, whatever the rule).
    fn tolerance(c: &[f64; 6]) -> f64 {
        1e-13 + 64.0 * f64::EPSILON * c[5] / (c[5] - c[4])
    }

    /// `(e, V)` of a case, as the likelihood row computes them.
    fn reach_and_variation(c: &[f64; 6]) -> (f64, f64) {
        let [p, s, alpha, beta, tx, t] = *c;
        let (dt, ax, bx) = (t - tx, alpha + tx, beta + tx);
        let v = p * (dt / ax).ln_1p() + (s + 1.0) * (dt / bx).ln_1p();
        (dt / ax.min(bx), v)
    }

    #[test]
    fn power_rule_never_takes_fewer_nodes_than_mpmath_needs() {
        let ((x16, w16), (x32, w32)) = gl_rules();
        let mut nodes = 0;
        for (c, n_min, reference) in &SHORT_CASES {
            let (e, v) = reach_and_variation(c);
            for (d, &needed) in n_min.iter().enumerate() {
                let (xs, ws) = power_rule(e, v, d);
                assert!(
                    xs.len() >= needed,
                    "{c:?}, {d} factors: {} nodes, mpmath needs {needed}",
                    xs.len()
                );
                assert_eq!(xs.len(), ws.len());
                nodes += xs.len();
                let (chosen, yard) = short_integrals(c, xs, ws);
                let others = [
                    ("16-point", short_integrals(c, x16, w16).0),
                    ("32-point", short_integrals(c, x32, w32).0),
                    ("mpmath", *reference),
                ];
                // ∫f alone without factors, all five with them.
                let components = if d == 0 { 1 } else { 5 };
                for (name, other) in others {
                    for k in 0..components {
                        let err = (chosen[k] - other[k]).abs() / yard[k];
                        assert!(
                            err < tolerance(c),
                            "{c:?} [{k}]: {} vs {name} {} ({err:e})",
                            chosen[k],
                            other[k]
                        );
                    }
                }
            }
        }
        // The cases are spread over the region: fewer nodes than 16 on average.
        assert!(nodes < 16 * 3 * SHORT_CASES.len());
    }

    #[test]
    fn power_rule_agrees_with_the_fine_rule_across_the_region() {
        // Log-uniform draws over the region of the short rows (a fixed linear congruential
        // sequence): reach 1e-8..1, p 1e-3..1e4, s 1e-3..1e3, α, β 1e-3..1e8, V ≤ 2.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut unit = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let log_uniform = |lo: f64, hi: f64, u: f64| (lo.ln() + u * (hi / lo).ln()).exp();
        let ((x32, w32), _) = (&gl_rules().1, ());
        let mut taken = 0;
        while taken < 2000 {
            let (p, s) = (
                log_uniform(1e-3, 1e4, unit()),
                log_uniform(1e-3, 1e3, unit()),
            );
            let (alpha, beta) = (
                log_uniform(1e-3, 1e8, unit()),
                log_uniform(1e-3, 1e8, unit()),
            );
            let tx = if unit() < 0.2 {
                0.0
            } else {
                log_uniform(1e-3, 1e4, unit())
            };
            let reach = log_uniform(1e-8, 1.0, unit());
            let t = tx + reach * (alpha + tx).min(beta + tx);
            let c = [p, s, alpha, beta, tx, t];
            let (e, v) = reach_and_variation(&c);
            if !(t > tx && e <= 1.0 && v <= 2.0) {
                continue;
            }
            taken += 1;
            let (fine, _) = short_integrals(&c, x32, w32);
            for d in 0..=POWER_FACTORS {
                let (xs, ws) = power_rule(e, v, d);
                let (chosen, yard) = short_integrals(&c, xs, ws);
                for k in 0..if d == 0 { 1 } else { 5 } {
                    let err = (chosen[k] - fine[k]).abs() / yard[k];
                    assert!(
                        err < tolerance(&c),
                        "{c:?} [{k}], {} nodes: {err:e}",
                        xs.len()
                    );
                }
            }
        }
    }

    #[test]
    fn power_rule_thresholds_grow_with_the_nodes_and_fall_back_to_sixteen() {
        let rules = power_rules();
        for row in rules.max_variation.iter().flatten() {
            assert!(row.windows(2).all(|w| w[0] < w[1]), "{row:?}");
        }
        // Each rule integrates polynomials of degree 2n − 1 exactly.
        for n in POWER_MIN..=POWER_MAX {
            let range = power_offset(n)..power_offset(n + 1);
            let (x, w) = (&rules.x[range.clone()], &rules.w[range]);
            let d = 2 * n as i32 - 2;
            let v: f64 = x.iter().zip(w).map(|(x, w)| w * x.powi(d)).sum();
            assert!((v - 2.0 / (d + 1) as f64).abs() < 1e-15, "{n}: {v}");
        }
        // The 16-point rule where nothing smaller is proven, or outside the region.
        let sixteen = gl_rules().0.0.as_slice();
        for (e, v) in [
            (1.0, 2.0),
            (2.0, 0.1),
            (f64::NAN, 0.1),
            (0.5, f64::NAN),
            (0.5, -1.0),
        ] {
            assert_eq!(power_rule(e, v, 2).0, sixteen, "{e} {v}");
        }
        // Tiny reach and variation: the fewest nodes.
        assert_eq!(power_rule(1e-12, 1e-6, 2).0.len(), POWER_MIN);
        // More factors than the bound covers: the 16-point rule.
        assert_eq!(power_rule(1e-12, 1e-6, POWER_FACTORS + 1).0, sixteen);
        // Fewer factors, fewer nodes.
        for (e, v) in [(0.3, 0.5), (1e-3, 1.5), (0.9, 0.1)] {
            let n: Vec<usize> = (0..=POWER_FACTORS)
                .map(|d| power_rule(e, v, d).0.len())
                .collect();
            assert!(n.windows(2).all(|w| w[0] <= w[1]), "{e} {v}: {n:?}");
        }
        // A half-octave class holds its bound: e just below 3/4 is in the class of 3/4.
        let key = |e: f64| 2045 - (e.to_bits() >> 51).min(2045);
        assert_eq!(key(1.0), 0);
        assert_eq!(key(0.749_999), 1);
        assert_eq!(key(0.75), 0);
        assert_eq!(key(0.5), 1);
        assert!((0..POWER_CLASSES).all(|c| power_class_bound(c) >= 0.5f64.powi(c as i32 / 2 + 1)));
    }

    #[test]
    fn gauss_legendre_rules_are_exact_for_polynomials() {
        // The n-point rule integrates polynomials of degree 2n − 1 exactly: ∫₋₁¹ x^30 = 2/31.
        let ((xc, wc), (xf, wf)) = gl_rules();
        let rule =
            |x: &[f64], w: &[f64], p: i32| x.iter().zip(w).map(|(x, w)| w * x.powi(p)).sum::<f64>();
        assert!((rule(xc, wc, 30) - 2.0 / 31.0).abs() < 1e-15);
        assert!((rule(xf, wf, 62) - 2.0 / 63.0).abs() < 1e-15);
        assert!((rule(xf, wf, 0) - 2.0).abs() < 1e-14);
        // A smooth integrand through the pair: ∫₀¹ eˣ.
        let v = integrate_smooth(|x| [x.exp()], 0.0, 1.0, [0.0], GL_AGREE_PREDICTION);
        assert!((v[0] - (1f64.exp() - 1.0)).abs() < 1e-15);
    }
}
