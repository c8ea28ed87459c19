//! BG/NBD and MBG/NBD rows with covariates: the family's own row code at each customer's
//! `(αᵢ, aᵢ, bᵢ)`.

use super::engine::{CovariateRows, total};
use super::{BgNbd, CovariateBase};
use crate::models::bg_nbd::{Dropout, row};
use crate::special::{digamma_difference, ln_gamma_ratio_scaled};

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
        if want {
            let (ll, mut g) = row::<true>(*th, n, x, t_x, t);
            g[0] += dg;
            (lg + ll, g)
        } else {
            (lg + row::<false>(*th, n, x, t_x, t).0, [0.0; 4])
        }
    };
    total(rows, <BgNbd as CovariateBase>::SCALES, theta, grad, &eval)
}
