//! Integrals of log-concave functions, `ln ∫ e^φ`, with the averages of moment functions under
//! the normalised integrand: the mode located by bisection, the range cut where `φ` has fallen
//! [`LOG_WINDOW`] below its maximum and each side of the mode integrated by a Gauss–Legendre
//! pair (adaptive Gauss–Kronrod where the pair disagrees), the integrand scaled by its maximum.

use super::quadrature::{GL_AGREE, GL_AGREE_PREDICTION, integrate_smooth};

/// How far (in log units) below its maximum a log-concave integrand is cut off.
pub(crate) const LOG_WINDOW: f64 = 48.0;

/// `(ρ, mode, e^mode) ↦ (φ(ρ) − φ(mode), moment functions at ρ)`.
pub(crate) type Moments<'a, const K: usize> = dyn Fn(f64, f64, f64) -> (f64, [f64; K]) + 'a;

/// `ln ∫_lo^hi e^φ` for a concave `φ` with derivative `dphi` (and `phi_diff(a, b) = φ(a) − φ(b)`
/// evaluated without cancellation), and the averages of `moments` under
/// the normalised integrand (when given; `moments(ρ, mode, e^mode)` returns `φ(ρ) − φ(mode)`
/// beside them, so that the two share their work). The mode is located by bisection on `dphi`, the range
/// cut where `φ` has fallen [`LOG_WINDOW`] below its maximum, and each side integrated by
/// adaptive Gauss–Kronrod with the integrand scaled by its maximum.
pub(crate) fn log_concave_integral<const K: usize>(
    phi: impl Fn(f64) -> f64,
    phi_diff: impl Fn(f64, f64) -> f64,
    dphi: impl Fn(f64) -> f64,
    lo: f64,
    hi: f64,
    moments: Option<&Moments<'_, K>>,
) -> (f64, [f64; K]) {
    // The mode and the cut-off points only place the split and the limits (the integrand is
    // scaled by its value at the split point, whatever that is), so they are located to a
    // small fraction of the width rather than to full precision.
    let (mode, top, a, b) = window(phi, &phi_diff, dphi, lo, hi);
    let exp_mode = mode.exp();
    let f = |rho: f64| phi_diff(rho, mode).exp();
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
            let padded = |t: f64, mode: f64, exp_mode: f64| {
                let (diff, m) = g(t, mode, exp_mode);
                let mut out = [1.0, 0.0, 0.0, 0.0, 0.0];
                let n = K.min(4);
                out[1..=n].copy_from_slice(&m[..n]);
                (diff, out)
            };
            let sum = weighted_sums::<5>(&padded, &sides, mode, exp_mode, agreement, true);
            for k in 0..K.min(4) {
                mom[k] = sum[k + 1] / sum[0];
            }
            sum[0]
        }
    };
    (top + i0.ln(), mom)
}

/// The mode of a concave `φ` on `[lo, hi]` (by bisection on `dphi`, to a small fraction of the
/// width: it only places the split, the integrand being scaled by its value there), `φ` there,
/// and the points on each side where `φ` has fallen [`LOG_WINDOW`] below it (found to within
/// 5% of their distance from the mode).
fn window(
    phi: impl Fn(f64) -> f64,
    phi_diff: impl Fn(f64, f64) -> f64,
    dphi: impl Fn(f64) -> f64,
    lo: f64,
    hi: f64,
) -> (f64, f64, f64, f64) {
    let mode = if dphi(lo) <= 0.0 {
        lo
    } else if dphi(hi) >= 0.0 {
        hi
    } else {
        super::bisect_sign_change(&dphi, lo, hi, 1e-6 * (hi - lo))
    };
    let top = phi(mode);
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
    (mode, top, cut(mode, lo), cut(mode, hi))
}

/// `∫ e^(φ − φ(mode)) mⱼ` over both sides of the mode for the `J` functions `mⱼ` of `moments`,
/// the first of which is 1 (the normaliser), each side with one adaptive pass. Moments that may
/// change sign (`signed`) are judged against the scale of the integral times the size of the
/// moment function over the range; non-negative ones each relative to itself.
fn weighted_sums<const J: usize>(
    moments: &Moments<'_, J>,
    sides: &[(f64, f64); 2],
    mode: f64,
    exp_mode: f64,
    agreement: f64,
    signed: bool,
) -> [f64; J] {
    let g = |t: f64| moments(t, mode, exp_mode);
    let mut floor = [0.0; J];
    if signed {
        let (ga, gb, gm) = (g(sides[0].0).1, g(sides[1].1).1, g(mode).1);
        for k in 1..J {
            floor[k] = 0.1 * ga[k].abs().max(gb[k].abs()).max(gm[k].abs());
        }
    }
    let h = |t: f64| {
        let (diff, m) = g(t);
        let w = diff.exp();
        m.map(|v| w * v)
    };
    let mut sum = [0.0; J];
    for &(lo, hi) in sides.iter().filter(|(lo, hi)| lo < hi) {
        let part = integrate_smooth(h, lo, hi, floor, agreement);
        for (s, p) in sum.iter_mut().zip(part) {
            *s += p;
        }
    }
    sum
}

/// `ln ∫_lo^hi e^φ` for a concave `φ`, as [`log_concave_integral`], and the averages under the
/// normalised integrand of the `J` functions of `moments` (`moments(ρ, mode, e^mode)` returns
/// `φ(ρ) − φ(mode)` beside them), the first of which must be the constant 1, and all of which
/// must be non-negative: any number of moments (the second-order moments of a Hessian), each
/// integrated to [`GL_AGREE`] relative to itself.
pub(crate) fn log_concave_moments<const J: usize>(
    phi: impl Fn(f64) -> f64,
    phi_diff: impl Fn(f64, f64) -> f64,
    dphi: impl Fn(f64) -> f64,
    lo: f64,
    hi: f64,
    moments: &Moments<'_, J>,
) -> (f64, [f64; J]) {
    let (mode, top, a, b) = window(phi, phi_diff, dphi, lo, hi);
    let sides = [(a, mode), (mode, b)];
    let sum = weighted_sums::<J>(moments, &sides, mode, mode.exp(), GL_AGREE, false);
    let norm = sum[0];
    (top + norm.ln(), sum.map(|v| v / norm))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ln J` with `J = ∫_0^∞ exp(−z (e^ρ − 1) + (1 − s) ρ) dρ = e^z z^(s−1) Γ(1−s, z)` by adaptive
    /// quadrature (an independent check of [`crate::special::discount_integral`]).
    fn ln_discount_quadrature(s: f64, z: f64) -> f64 {
        let phi = |rho: f64| -z * rho.exp_m1() + (1.0 - s) * rho;
        let dphi = |rho: f64| -z * rho.exp() + (1.0 - s);
        // Beyond hi, φ falls faster than any window: z e^ρ ≥ |1−s| + 2·LOG_WINDOW.
        let hi = ((s - 1.0).abs() + 2.0 * LOG_WINDOW + 1.0) / z;
        let hi = hi.ln_1p() + 1.0;
        let phi_diff = |rho: f64, rho0: f64| {
            -z * rho0.exp() * (rho - rho0).exp_m1() + (1.0 - s) * (rho - rho0)
        };
        log_concave_integral::<0>(phi, phi_diff, dphi, 0.0, hi, None).0
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
