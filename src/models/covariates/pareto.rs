//! Pareto/NBD rows with covariates: the Pareto/NBD's own row code at each customer's `(αᵢ, βᵢ)`.

use super::engine::{CovariateRows, total, total_hessian};
use super::{CovariateBase, ParetoNbd};
use crate::models::pareto_nbd::{
    hessian_consts, hessian_tables, row, row_consts, row_hessian, series_tables,
};
use crate::numerics::special::trigamma_difference;
use crate::numerics::tail::TABLE_TERMS;
use crate::special::{digamma_difference, ln_gamma_ratio};

/// The weighted total log-likelihood of the rows at `theta = (r, α₀, s, β₀, γ…)`. The series
/// coefficients of the tails depend on `(r, s, x)` and on whether `αᵢ ≥ βᵢ`, not on the scales:
/// both branches are tabulated once per evaluation and each row takes its own.
pub(super) fn log_likelihood(rows: &CovariateRows, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (Some(&r), Some(&s)) = (theta.first(), theta.get(2)) else {
        return f64::NAN;
    };
    if !(r > 0.0 && s > 0.0 && r.is_finite() && s.is_finite()) {
        return f64::NAN;
    }
    let xs = &rows.xs;
    let (tables_ge, tables_lt) = (
        series_tables(r, s, xs, true, TABLE_TERMS),
        series_tables(r, s, xs, false, TABLE_TERMS),
    );
    let (ge, lt) = (
        row_consts(r, s, xs, &tables_ge),
        row_consts(r, s, xs, &tables_lt),
    );
    let per_x: Vec<(f64, f64)> = xs
        .iter()
        .map(|&x| (ln_gamma_ratio(r, x), digamma_difference(r, x)))
        .collect();
    let eval = |xi: usize, th: &[f64; 4], t_x: f64, t: f64, want: bool| {
        let rc = if th[1] >= th[3] { &ge[xi] } else { &lt[xi] };
        let (lg, dg) = per_x[xi];
        if want {
            let out = row::<true>(th, rc, t_x, t);
            let g = out.grad;
            (lg + out.ll, [g[0] + dg, g[1], g[2], g[3]])
        } else {
            (lg + row::<false>(th, rc, t_x, t).ll, [0.0; 4])
        }
    };
    total(
        rows,
        <ParetoNbd as CovariateBase>::SCALES,
        theta,
        grad,
        (&eval, None),
    )
}

/// The Hessian of [`log_likelihood`] (see [`total_hessian`]): each row's by the Pareto/NBD's own
/// [`row_hessian`] at the customer's `(r, αᵢ, s, βᵢ)` (every row depends on both scales), with
/// the derivatives of `ln Γ(r+x)/Γ(r)` per distinct `x`.
pub(super) fn hessian(rows: &CovariateRows, theta: &[f64]) -> Option<Vec<f64>> {
    let (&r, &s) = (theta.first()?, theta.get(2)?);
    if !(r > 0.0 && s > 0.0 && r.is_finite() && s.is_finite()) {
        return None;
    }
    let xs = &rows.xs;
    // Both branches' second-order coefficients: each row takes its own.
    let (tables_ge, tables_lt) = (
        hessian_tables(r, s, xs, true),
        hessian_tables(r, s, xs, false),
    );
    let (ge, lt) = (
        hessian_consts(r, s, xs, &tables_ge),
        hessian_consts(r, s, xs, &tables_lt),
    );
    let per_x: Vec<(f64, f64)> = xs
        .iter()
        .map(|&x| (digamma_difference(r, x), trigamma_difference(r, x)))
        .collect();
    let (rec, age) = (rows.rows.recency(), rows.rows.age());
    let row = |i: usize, th: &[f64; 4]| {
        let xi = rows.x_index.get(i).map_or(0, |&xi| xi as usize);
        let (dg, tg) = per_x.get(xi)?;
        let rc = if th[1] >= th[3] {
            ge.get(xi)?
        } else {
            lt.get(xi)?
        };
        if !th.iter().all(|v| v.is_finite() && *v > 0.0) {
            return None;
        }
        let (mut g, mut h) = row_hessian(th, rc, *rec.get(i)?, *age.get(i)?);
        g[0] += dg;
        h[0][0] += tg;
        Some((g, h))
    };
    total_hessian::<4>(
        rows,
        <ParetoNbd as CovariateBase>::SCALES,
        theta,
        &|_| u8::MAX,
        &row,
    )
}
