//! Expectations under a Beta density of any shape, `E[F(p)]` for `p ~ Beta(a, b)`, integrated in
//! the logit of `p` with breakpoints placed on the log-density (the BG/NBD's predictions mix over
//! the dropout probability this way).

use super::quadrature::integrate;
use super::special::{expm1mx, log1pmx, stirling_remainder};

/// `½ ln 2π`.
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Drops of the log-density below its mode at which [`beta_expectation`] places breakpoints
/// (beyond 40, only as far as the tail bound requires).
const LEVELS: [f64; 15] = [
    0.5, 2.0, 6.0, 14.0, 26.0, 40.0, 60.0, 90.0, 140.0, 220.0, 350.0, 600.0, 1000.0, 2000.0, 5000.0,
];

/// `E[F(p)]` for `p ~ Beta(a, b)` (any `a, b > 0`), for `F(p, 1−p) >= 0` non-increasing in `p`
/// with limit `f_at_zero` at `p = 0`; `features` are values of `p` near which `F` changes
/// regime. `None` if the integral does not evaluate to a finite positive number.
///
/// The integral is taken in the logit `u = ln(p/(1−p))`, where the Beta density
/// `pᵃ (1−p)ᵇ / B(a, b)` is log-concave with mode `u₀ = ln(a/b)` and exponential tails, after
/// swapping `p ↔ 1−p` if needed so that `m = a/(a+b) <= ½`. With `u = u₀ + v` its logarithm is
/// `C + E(v)`:
///
/// ```text
/// C    = ½ ln(ab/(a+b)) − ½ ln 2π − c(a) − c(b) + c(a+b)       (Stirling remainders c)
/// E(v) = a v − (a+b) ln(1 + m(eᵛ − 1))
///      = −a (eᵛ − 1 − v) − (a+b) [ln(1+y) − y],  y = m(eᵛ − 1)   (|v| < 1)
/// ```
///
/// both free of large cancelling numbers whatever the size of `a, b` (so the weight stays exact
/// at `a, b ~ 10⁸`, where `ln B(a, b)` alone is ~10⁹). Breakpoints are placed where `E` has
/// dropped by 0.5, 2, 6, 14, … (Newton's method on the concave `E`), on each side until the
/// tail bound `sup F · e^(C+E(v)) / |E′(v)|` of a log-concave density is below 10⁻¹⁷ of a lower
/// bound of the integral; so the panels follow the mass whether it is a spike of width
/// `(a+b)^−½` (the limit of a fixed dropout probability as `a, b → ∞`), an exponential tail
/// over 10⁴ units of `u` (`a → 0`) or both. Each panel is integrated by adaptive
/// Gauss–Kronrod.
pub(crate) fn beta_expectation(
    a: f64,
    b: f64,
    f: impl Fn(f64, f64) -> f64,
    f_at_zero: f64,
    features: &[f64],
) -> Option<f64> {
    let swap = a > b;
    let (a, b) = if swap { (b, a) } else { (a, b) };
    let s = a + b;
    let m = a / s;
    let u0 = a.ln() - b.ln();
    let c0 =
        0.5 * (a.ln() + (b / s).ln()) - HALF_LN_2PI - stirling_remainder(a) - stirling_remainder(b)
            + stirling_remainder(s);
    let e = |v: f64| -> f64 {
        if v.abs() < 1.0 {
            -a * expm1mx(v) - s * log1pmx(m * v.exp_m1())
        } else if v < 700.0 {
            a * v - s * (m * v.exp_m1()).ln_1p()
        } else {
            -b * v - s * (m + (1.0 - m) * (-v).exp()).ln()
        }
    };
    // (p, 1 − p) of the swapped orientation at v, each to full relative precision.
    let pq = |v: f64| {
        let u = u0 + v;
        (1.0 / (1.0 + (-u).exp()), 1.0 / (1.0 + u.exp()))
    };
    // E′(v) = a − s·m·eᵛ/(1 + m(eᵛ − 1)) = −(ab/s)·(eᵛ − 1)/(1 + m(eᵛ − 1)): exact for every v,
    // also where the spike is narrower than the spacing of doubles near p (a, b ≳ 10³⁰), where
    // `a·q − b·p` of the rounded p, q would vanish or change sign.
    let de = |v: f64| {
        let y = v.exp_m1();
        if y.is_infinite() {
            -b
        } else {
            -(a * (b / s)) * y / (1.0 + m * y)
        }
    };
    // F in the original orientation.
    let fv = |v: f64| {
        let (p, q) = pq(v);
        if swap { f(q, p) } else { f(p, q) }
    };
    let weight = |v: f64| (c0 + e(v)).exp();
    // The point on side `side` (±1) where E = −d, by Newton's method: from beyond the root it
    // converges monotonically (E is concave), and the first step from inside lands beyond it.
    let curvature = a * (b / s);
    let level_point = |d: f64, side: f64| -> Option<f64> {
        let mut v = side * (2.0 * d / curvature).sqrt();
        for _ in 0..200 {
            let g = e(v) + d;
            let slope = de(v);
            if !(g.is_finite() && slope.is_finite()) || slope == 0.0 {
                return None;
            }
            let step = g / slope;
            v -= step;
            if step.abs() <= 1e-4 * v.abs() {
                return v.is_finite().then_some(v);
            }
        }
        v.is_finite().then_some(v)
    };
    let (lo_half, hi_half) = (level_point(LEVELS[0], -1.0)?, level_point(LEVELS[0], 1.0)?);
    let reference = fv(lo_half).min(fv(hi_half)) * (c0 - LEVELS[0]).exp() * (hi_half - lo_half);
    if !(reference.is_finite() && reference > 0.0) {
        return None;
    }
    // The side v → −∞ is p → 0 of the original orientation unless swapped.
    let mut points = vec![0.0];
    for side in [-1.0, 1.0] {
        let towards_zero = (side < 0.0) != swap;
        let mut done = false;
        for &d in &LEVELS {
            let v = if d == LEVELS[0] {
                if side < 0.0 { lo_half } else { hi_half }
            } else {
                level_point(d, side)?
            };
            points.push(v);
            if d >= LEVELS[5] {
                let sup = if towards_zero {
                    f_at_zero.max(fv(v))
                } else {
                    fv(v)
                };
                let tail = sup * weight(v) / de(v).abs();
                if tail <= 1e-17 * reference {
                    done = true;
                    break;
                }
            }
        }
        if !done {
            return None;
        }
    }
    points.sort_by(f64::total_cmp);
    let (first, last) = (points[0], points[points.len() - 1]);
    for &pf in features {
        if pf > 0.0 && pf < 1.0 {
            let uf = pf.ln() - (-pf).ln_1p();
            let v = if swap { -uf } else { uf } - u0;
            if v > first && v < last {
                points.push(v);
            }
        }
    }
    points.sort_by(f64::total_cmp);
    points.dedup();
    let abs_tol = 1e-16 * reference / points.len() as f64;
    let integrand = |v: f64| {
        let w = weight(v);
        if w == 0.0 { 0.0 } else { w * fv(v) }
    };
    let total: f64 = points
        .windows(2)
        .map(|w| integrate(integrand, w[0], w[1], 1e-14, abs_tol, 100).0)
        .sum();
    (total.is_finite() && total > 0.0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_expectation_normalises_at_extreme_shapes() {
        for &(a, b) in &[
            (1e-3, 1e-3),
            (1e-3, 1e8),
            (1e8, 1e-3),
            (1e8, 1e8),
            (0.5, 0.5),
            (1.0, 1.0),
            (3.7e6, 8.7e6),
            (2.0, 1e8),
        ] {
            let one = beta_expectation(a, b, |_, _| 1.0, 1.0, &[]).unwrap();
            assert!((one - 1.0).abs() < 1e-13, "a={a} b={b}: {one}");
            // E[p] = a/(a+b) (p is increasing: 1 − p is the non-increasing function used).
            let mean_q = beta_expectation(a, b, |_, q| q, 1.0, &[]).unwrap();
            let want = b / (a + b);
            assert!(
                (mean_q - want).abs() < 1e-13 * want,
                "a={a} b={b}: {mean_q} vs {want}"
            );
        }
    }
}
