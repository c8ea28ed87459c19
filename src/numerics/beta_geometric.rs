//! Ratios of Beta functions and the expected survivals of a Beta-geometric lifetime: the
//! building blocks of discrete-time models with Beta-distributed probabilities (the BG/BB).
//!
//! Every function is built on [`ln_pochhammer_ratio`], [`digamma_difference`] and
//! [`digamma_second_difference`], which keep full relative precision for arguments from
//! `1e-300` to `1e300`: no `ln Γ` values are subtracted.

use crate::special::{digamma_difference, digamma_second_difference, ln_pochhammer_ratio};

/// `ln[B(a+x, b+k) / B(a, b)] = ln[(a)ₓ (b)ₖ / (a+b)ₓ₊ₖ]` for `a, b > 0`, `x, k >= 0`: the log of
/// `E[pˣ (1−p)ᵏ]` for `p ~ Beta(a, b)`, as `ln[(a)ₓ/(a+b+k)ₓ] + ln[(b)ₖ/(a+b)ₖ]`.
pub(crate) fn ln_beta_shift(a: f64, b: f64, x: f64, k: f64) -> f64 {
    ln_pochhammer_ratio(a, b + k, x) + ln_pochhammer_ratio(b, a, k)
}

/// The gradient of [`ln_beta_shift`] in `(a, b)`:
/// ```text
/// ∂/∂a = [ψ(a+x) − ψ(a) − ψ(a+b+k+x) + ψ(a+b+k)] − [ψ(a+b+k) − ψ(a+b)]
/// ∂/∂b = −[ψ(a+b+k+x) − ψ(a+b+k)] + [ψ(b+k) − ψ(b) − ψ(a+b+k) + ψ(a+b)]
/// ```
/// each bracket evaluated without cancellation.
pub(crate) fn ln_beta_shift_gradient(a: f64, b: f64, x: f64, k: f64) -> [f64; 2] {
    [
        digamma_second_difference(a, b + k, x) - digamma_difference(a + b, k),
        digamma_second_difference(b, a, k) - digamma_difference(a + b + k, x),
    ]
}

/// `Σ_{s=1}^{m} E[(1−θ)ˢ] = Σ_{s=1}^{m} (δ)ₛ/(γ+δ)ₛ` for `θ ~ Beta(γ, δ)`: the expected number of
/// the next `m` periods survived by a customer with per-period dropout probability `θ`
/// (Fader, Hardie & Shang 2010, eq. 8 without the purchase probability). Closed form:
/// ```text
/// δ/(γ−1) · [1 − (1+δ)ₘ/(γ+δ)ₘ]        γ ≠ 1
/// δ · [ψ(δ+1+m) − ψ(δ+1)]                γ = 1
/// ```
/// For `γ > 1` the ratio is `exp(ln[(1+δ)ₘ/(1+δ+(γ−1))ₘ])`, for `γ < 1` the reciprocal of
/// `(γ+δ)ₘ/(γ+δ+(1−γ))ₘ`; both logs have full relative precision, so `1 − ratio` (an `expm1`)
/// and its quotient by `γ − 1` keep it as `γ → 1`. The result may overflow (`+∞`) only for
/// extreme parameters; callers check it.
pub(crate) fn expected_survivals(gamma: f64, delta: f64, m: f64) -> f64 {
    if m == 0.0 {
        return 0.0;
    }
    if gamma == 1.0 {
        return delta * digamma_difference(delta + 1.0, m);
    }
    if gamma > 1.0 {
        let g1 = gamma - 1.0;
        let l = ln_pochhammer_ratio(1.0 + delta, g1, m);
        (delta / g1) * -l.exp_m1()
    } else {
        let g1 = 1.0 - gamma;
        let l = -ln_pochhammer_ratio(gamma + delta, g1, m);
        (delta / g1) * l.exp_m1()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survivals_match_direct_sums() {
        for &(g, d) in &[
            (0.657, 2.783),
            (1.0, 2.0),
            (2.5, 0.3),
            (1.0 + 1e-9, 4.0),
            (1e-3, 1e3),
        ] {
            for m in [1.0, 2.0, 7.0, 30.0] {
                let mut direct = 0.0;
                for s in 1..=(m as u32) {
                    direct += ln_pochhammer_ratio(d, g, f64::from(s)).exp();
                }
                let v = expected_survivals(g, d, m);
                assert!(
                    (v / direct - 1.0).abs() < 1e-12,
                    "{g} {d} {m}: {v} vs {direct}"
                );
            }
        }
    }

    #[test]
    fn beta_shift_is_a_beta_ratio() {
        // B(2+1, 3+2)/B(2, 3) = (2)₁ (3)₂ / (5)₃ = 2·12 / (5·6·7)
        let v = ln_beta_shift(2.0, 3.0, 1.0, 2.0).exp();
        let exact = (2.0 * 12.0) / (5.0 * 6.0 * 7.0);
        assert!((v / exact - 1.0).abs() < 1e-14);
    }
}
