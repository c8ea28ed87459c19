//! BG/NBD and MBG/NBD rows with covariates: the family's own row code at each customer's
//! `(αᵢ, aᵢ, bᵢ)`.

use super::engine::{CovariateRows, total};
use super::{BgNbd, CovariateBase};
use crate::models::bg_nbd::{Dropout, row};
use crate::special::{digamma_difference, ln_beta_ratio, ln_gamma_ratio_scaled};

/// Chances to drop out up to which `ln B(a, b+n)/B(a, b)` is summed term by term.
const SHORT: f64 = 24.0;

/// `ln B(a, b+n)/B(a, b)`: for a whole `n ≤` [`SHORT`] the finite sum
/// `Σ_{j<n} ln(1 − a/(a+b+j))` (terms of one sign, each to an ulp: cheaper per row than the
/// Stirling form, which the model without covariates evaluates once per frequency);
/// [`ln_beta_ratio`] otherwise.
fn beta_ratio(a: f64, b: f64, n: f64) -> f64 {
    if n > SHORT || n != n.trunc() {
        return ln_beta_ratio(a, b, n);
    }
    let s = a + b;
    let mut sum = 0.0;
    let mut j = 0.0;
    while j < n {
        // ln((b+j)/(a+b+j)), from whichever form is not rounded near 0.
        sum += if a > b + j {
            ((b + j) / (s + j)).ln()
        } else {
            (-a / (s + j)).ln_1p()
        };
        j += 1.0;
    }
    sum
}

/// The weighted total log-likelihood of the rows at `theta = (r, α₀, a₀, b₀, γ…)` with the
/// family's `dropout` process.
pub(super) fn log_likelihood(
    rows: &CovariateRows,
    theta: &[f64],
    grad: Option<&mut [f64]>,
    dropout: Dropout,
) -> f64 {
    let Some(&r) = theta.first() else {
        return f64::NAN;
    };
    let per_x: Vec<(f64, f64, f64)> = rows
        .xs
        .iter()
        .map(|&x| {
            (
                x + dropout.extra(),
                ln_gamma_ratio_scaled(r, x),
                digamma_difference(r, x),
            )
        })
        .collect();
    let xs = &rows.xs;
    let eval = |xi: usize, th: &[f64; 4], t_x: f64, t: f64, want: bool| {
        let (n, lg, dg) = per_x[xi];
        let x = xs[xi];
        let ln_beta = beta_ratio(th[2], th[3], n);
        if want {
            let (ll, mut g) = row::<true>(*th, n, x, (t_x, t), ln_beta);
            g[0] += dg;
            (lg + ll, g)
        } else {
            (lg + row::<false>(*th, n, x, (t_x, t), ln_beta).0, [0.0; 4])
        }
    };
    total(rows, <BgNbd as CovariateBase>::SCALES, theta, grad, &eval)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The finite sum agrees with the Stirling form to rounding.
    #[test]
    fn short_beta_ratio_matches_the_stirling_form() {
        for &(a, b) in &[
            (0.8, 2.5),
            (1e-3, 4.0),
            (50.0, 0.02),
            (3e4, 7e4),
            (0.3, 1e-4),
        ] {
            for n in 0..=24 {
                let (u, v) = (beta_ratio(a, b, n as f64), ln_beta_ratio(a, b, n as f64));
                assert!(
                    (u - v).abs() <= 1e-13 * (1.0 + v.abs()),
                    "{a} {b} {n}: {u} vs {v}"
                );
            }
        }
    }
}
