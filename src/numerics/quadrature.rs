//! Quadrature on a finite interval: adaptive Gauss–Kronrod (G7/K15), and a pair of Gauss–Legendre
//! rules (16 and 32 points) for smooth integrands, backed by the adaptive rule.

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
    let mut panels = vec![(a, b, panel(&f, a, b))];
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

/// [`integrate`] of an integrand that may fail: the first error it returns, else (integral, error
/// estimate). A node where it fails counts as 0 while the rule runs on.
pub(crate) fn try_integrate(
    f: impl Fn(f64) -> Result<f64>,
    a: f64,
    b: f64,
    rel_tol: f64,
    abs_tol: f64,
    max_panels: usize,
) -> Result<(f64, f64)> {
    let failure = std::cell::RefCell::new(None);
    let v = integrate(
        |x| match f(x) {
            Ok(v) => v,
            Err(e) => {
                failure.borrow_mut().get_or_insert(e);
                0.0
            }
        },
        a,
        b,
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

    #[test]
    fn fallible_integrand_gives_the_integral_or_its_first_error() {
        let f = |x: f64| x.exp();
        let plain = integrate(f, 0.0, 1.0, 1e-14, 0.0, 100);
        let tried = try_integrate(|x| Ok(f(x)), 0.0, 1.0, 1e-14, 0.0, 100).unwrap();
        assert_eq!(plain.0.to_bits(), tried.0.to_bits());
        assert_eq!(plain.1.to_bits(), tried.1.to_bits());
        let failing = try_integrate(
            |x| {
                if x > 0.5 {
                    Err(crate::Error::Numerical(format!("failed at {x}")))
                } else {
                    Ok(x)
                }
            },
            0.0,
            1.0,
            1e-14,
            0.0,
            100,
        );
        assert!(matches!(failing, Err(crate::Error::Numerical(_))));
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
