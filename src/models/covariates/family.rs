//! BG/NBD and MBG/NBD rows with covariates: the family's own row code at each customer's
//! `(αᵢ, aᵢ, bᵢ)`.

use super::engine::{CovariateRows, symmetric, total, total_hessian};
use super::{BgNbd, CovariateBase, Process};
use crate::models::bg_nbd::{Dropout, ln_beta_ratio_derivatives, row, row_derivatives};
use crate::numerics::special::trigamma_difference;
use crate::special::{digamma_difference, ln_beta_ratio, ln_gamma_ratio_scaled};

/// Chances to drop out up to which `ln B(a, b+n)/B(a, b)` is summed term by term.
const SHORT: f64 = 24.0;

/// Whether `ln B(a, b+n)/B(a, b)` is taken by the [`finite_sum`] (a whole `n ≤` [`SHORT`]), not
/// by [`ln_beta_ratio`].
fn is_short(n: f64) -> bool {
    n <= SHORT && n == n.trunc()
}

/// `ln B(a, b+n)/B(a, b)` for a whole `n` as the finite sum `Σ_{j<n} ln(1 − a/(a+b+j))` (terms
/// of one sign, each to an ulp: cheaper per row than the Stirling form, which the model without
/// covariates evaluates once per frequency).
fn finite_sum(a: f64, b: f64, n: f64) -> f64 {
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
    let per_x: Vec<(f64, f64, f64, bool)> = rows
        .xs
        .iter()
        .map(|&x| {
            let n = x + dropout.extra();
            (
                n,
                ln_gamma_ratio_scaled(r, x),
                digamma_difference(r, x),
                is_short(n),
            )
        })
        .collect();
    let xs = &rows.xs;
    let scales = <BgNbd as CovariateBase>::SCALES;
    let used: Vec<u8> = per_x.iter().map(|&(n, ..)| used_scales(n)).collect();
    let eval = |xi: usize, th: &[f64; 4], t_x: f64, t: f64, want: bool| {
        let (n, lg, dg, short) = per_x[xi];
        let x = xs[xi];
        if n == 0.0 {
            // No repeat purchase and no chance to drop out: `ℓ = −r ln(1 + T/αᵢ)`, what
            // [`row`] returns here (with `P(dead) = 0`) without its terms in `(a, b)`.
            let [r, alpha, ..] = *th;
            let lt = (t / alpha).ln_1p();
            let g = if want {
                [dg - lt, (r * t / alpha) / (alpha + t), 0.0, 0.0]
            } else {
                [0.0; 4]
            };
            return (lg + (0.0 - r * lt), g);
        }
        let ln_beta = if short {
            finite_sum(th[2], th[3], n)
        } else {
            ln_beta_ratio(th[2], th[3], n)
        };
        if want {
            let (ll, mut g) = row::<true>(*th, n, x, (t_x, t), ln_beta);
            g[0] += dg;
            (lg + ll, g)
        } else {
            (lg + row::<false>(*th, n, x, (t_x, t), ln_beta).0, [0.0; 4])
        }
    };
    total(rows, scales, theta, grad, (&eval, Some(&used)))
}

/// The scales a customer with `n` chances to drop out depends on: without a chance to drop
/// out, the purchase scale only.
fn used_scales(n: f64) -> u8 {
    if n > 0.0 {
        return u8::MAX;
    }
    <BgNbd as CovariateBase>::SCALES
        .iter()
        .enumerate()
        .filter(|(_, s)| s.process == Process::Purchase)
        .fold(0u8, |m, (s, _)| m | 1 << s)
}

/// The Hessian of [`log_likelihood`] (see [`total_hessian`]): each row's by the family's own
/// [`row_derivatives`] at the customer's `(r, αᵢ, aᵢ, bᵢ)`, with the derivatives of
/// `ln Γ(r+x)/Γ(r)` (per distinct `x`) and of `ln B(aᵢ, bᵢ+n)/B(aᵢ, bᵢ)` (per row).
pub(super) fn hessian(rows: &CovariateRows, theta: &[f64], dropout: Dropout) -> Option<Vec<f64>> {
    let &r = theta.first()?;
    let per_x: Vec<(f64, f64, f64)> = rows
        .xs
        .iter()
        .map(|&x| {
            let n = x + dropout.extra();
            (n, digamma_difference(r, x), trigamma_difference(r, x))
        })
        .collect();
    let (rec, age) = (rows.rows.recency(), rows.rows.age());
    let index = |i: usize| rows.x_index.get(i).map_or(0, |&xi| xi as usize);
    let used_x: Vec<u8> = per_x.iter().map(|&(n, ..)| used_scales(n)).collect();
    let used = |i: usize| used_x.get(index(i)).copied().unwrap_or(u8::MAX);
    let row = |i: usize, th: &[f64; 4]| {
        let xi = index(i);
        let (&(n, dg, tg), &x) = (per_x.get(xi)?, rows.xs.get(xi)?);
        let [_, _, a, b] = *th;
        let ln_odds = if n > 0.0 {
            (a / (b + n - 1.0)).ln()
        } else {
            0.0
        };
        let (_, mut g, upper) =
            row_derivatives::<false, true>(*th, n, x, (rec[i], age[i]), ln_odds);
        let mut h = symmetric::<4>(&upper);
        g[0] += dg;
        h[0][0] += tg;
        if n > 0.0 {
            let ([ga, gb], [aa, ab, bb]) = ln_beta_ratio_derivatives(a, b, n);
            g[2] += ga;
            g[3] += gb;
            h[2][2] += aa;
            h[2][3] += ab;
            h[3][2] += ab;
            h[3][3] += bb;
        }
        Some((g, h))
    };
    total_hessian::<4>(rows, <BgNbd as CovariateBase>::SCALES, theta, &used, &row)
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
                let (u, v) = (finite_sum(a, b, n as f64), ln_beta_ratio(a, b, n as f64));
                assert!(
                    (u - v).abs() <= 1e-13 * (1.0 + v.abs()),
                    "{a} {b} {n}: {u} vs {v}"
                );
            }
        }
    }
}
