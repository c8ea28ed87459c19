//! The likelihood of a model with covariates: the rows with their design matrix, and the sum
//! over rows with the chain rule from each customer's parameters to the coefficients.

use std::marker::PhantomData;

use super::{CovariateBase, Scale, Term};
use crate::data::{FrequencyGroups, RfmData};
use crate::error::{Error, Result};
use crate::fit::Objective;
use crate::parallel::map_rows;

/// Rows per chunk of the parallel sum (one accumulator vector per chunk, none per row).
const CHUNK: usize = 4096;

/// The distinct customers `(x, t_x, T, z)` a model with covariates is fitted to, with the
/// coefficients the spec asks for.
#[derive(Debug, Clone)]
pub struct CovariateRows {
    /// Distinct rows, compressed by `(x, t_x, T, z)`.
    pub(crate) rows: RfmData,
    /// The covariate columns, in the order of the design matrix.
    pub(crate) columns: Vec<String>,
    /// The coefficients.
    pub(crate) terms: Vec<Term>,
    /// The L2 penalty on the coefficients, and per coefficient the weight of its square (1,
    /// or `1/s²` when the fit works on covariates divided by `s`, so that the penalty stays
    /// on the caller's coefficients).
    pub(crate) penalty: f64,
    pub(crate) penalty_weights: Vec<f64>,
    /// Row-major design matrix: row `i`, column `j` at `i·columns.len() + j`.
    pub(crate) z: Vec<f64>,
    /// Distinct frequencies, and for each row the index of its frequency.
    pub(crate) xs: Vec<f64>,
    pub(crate) x_index: Vec<u32>,
    /// Where covariate vectors repeat (at most half as many distinct vectors as rows): the
    /// index of each row's vector among the distinct ones, and per distinct vector the row
    /// where it first occurs — the scale factors `exp(±ηᵢ)` are then computed once per vector
    /// and evaluation.
    pub(crate) profiles: Option<Profiles>,
}

/// Distinct covariate vectors: per row the index of its own, per vector a row that has it.
#[derive(Debug, Clone)]
pub(crate) struct Profiles {
    index: Vec<u32>,
    first: Vec<usize>,
}

impl Profiles {
    /// The distinct rows of the row-major `z` (`c` columns, compared bit for bit), if there
    /// are at most half as many as rows.
    fn of(z: &[f64], c: usize, n: usize) -> Option<Profiles> {
        if c == 0 || n < 2 || z.len() != n * c {
            return None;
        }
        let row = |i: usize| &z[i * c..(i + 1) * c];
        let cmp = |i: usize, j: usize| {
            row(i)
                .iter()
                .zip(row(j))
                .map(|(a, b)| a.to_bits().cmp(&b.to_bits()))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        };
        let distinct = |order: &mut Vec<usize>| {
            order.sort_unstable_by(|&i, &j| cmp(i, j).then(i.cmp(&j)));
            1 + order.windows(2).filter(|w| cmp(w[0], w[1]).is_ne()).count()
        };
        // A sample of rows first: continuous covariates are dismissed without sorting them all.
        let step = n.div_ceil(4096);
        let mut sample: Vec<usize> = (0..n).step_by(step).collect();
        if distinct(&mut sample) > sample.len() / 2 {
            return None;
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_unstable_by(|&i, &j| cmp(i, j).then(i.cmp(&j)));
        let mut index = vec![0u32; n];
        let mut first: Vec<usize> = Vec::new();
        for (k, &i) in order.iter().enumerate() {
            if k == 0 || cmp(order[k - 1], i).is_ne() {
                if first.len() >= n / 2 {
                    return None;
                }
                first.push(i);
            }
            index[i] = u32::try_from(first.len() - 1).ok()?;
        }
        Some(Profiles { index, first })
    }
}

impl CovariateRows {
    /// The rows with the design matrix of `columns` (which `rows` must carry).
    pub(crate) fn new(
        rows: RfmData,
        columns: Vec<String>,
        terms: Vec<Term>,
        (penalty, penalty_weights): (f64, Vec<f64>),
    ) -> Result<Self> {
        let z = design_matrix(&rows, &columns)?;
        let FrequencyGroups { values, index, .. } =
            FrequencyGroups::new(rows.frequency(), rows.weights());
        let profiles = Profiles::of(&z, columns.len(), rows.len());
        Ok(CovariateRows {
            profiles,
            rows,
            columns,
            terms,
            penalty,
            penalty_weights,
            z,
            xs: values,
            x_index: index,
        })
    }

    /// The rows at the positions `keep`.
    pub(crate) fn subset(&self, keep: &[usize]) -> Option<Self> {
        let rows = self.rows.select(keep).ok()?;
        let penalty = (self.penalty, self.penalty_weights.clone());
        CovariateRows::new(rows, self.columns.clone(), self.terms.clone(), penalty).ok()
    }

    /// Number of covariate columns.
    pub(crate) fn n_columns(&self) -> usize {
        self.columns.len()
    }
}

/// The row-major design matrix of the covariate `columns` of `rows` (row `i`, column `j` at
/// `i·columns.len() + j`).
///
/// Errors: [`Error::InvalidInput`] for a column `rows` does not have.
pub(crate) fn design_matrix(rows: &RfmData, columns: &[String]) -> Result<Vec<f64>> {
    let c = columns.len();
    let mut z = vec![0.0; rows.len() * c];
    for (j, name) in columns.iter().enumerate() {
        let col = rows.covariate(name).ok_or_else(|| {
            Error::InvalidInput(format!("no covariate column {name:?} in the data"))
        })?;
        for (i, &v) in col.iter().enumerate() {
            z[i * c + j] = v;
        }
    }
    Ok(z)
}

/// `Σ wᵢ ℓᵢ` for a model with `K` parameters of which `theta[scale]` is multiplied, for row
/// `i`, by `exp(γᵀzᵢ)` (`γ` the parameters after the first `K`, `z` row-major): `row(i, θᵢ,
/// gradient?)` gives `ℓᵢ` at the row's own parameters and its gradient (or `None` outside the
/// model's domain, which makes the sum NaN). The gradient, when asked, by the chain rule
/// `∂ℓᵢ/∂γₖ = zᵢₖ·θᵢ[scale]·∂ℓᵢ/∂θᵢ[scale]`. NaN for wrong lengths.
pub(crate) fn one_scale_sum<const K: usize>(
    theta: &[f64],
    mut grad: Option<&mut [f64]>,
    scale: usize,
    (z, weights): (&[f64], &[f64]),
    row: impl Fn(usize, &[f64; K], bool) -> Option<(f64, [f64; K])>,
) -> f64 {
    let n = weights.len();
    let c = theta.len().saturating_sub(K);
    if theta.len() < K || z.len() != n * c || grad.as_ref().is_some_and(|g| g.len() != K + c) {
        return f64::NAN;
    }
    let (base, coef) = theta.split_at(K);
    if let Some(g) = grad.as_deref_mut() {
        g.iter_mut().for_each(|v| *v = 0.0);
    }
    let want = grad.is_some();
    let mut ll = 0.0;
    for (i, &w) in weights.iter().enumerate() {
        let zi = &z[i * c..(i + 1) * c];
        let f = coef.iter().zip(zi).map(|(g, v)| g * v).sum::<f64>().exp();
        let mut th = [0.0; K];
        th.copy_from_slice(base);
        th[scale] *= f;
        let Some((l, d)) = row(i, &th, want) else {
            return f64::NAN;
        };
        ll += w * l;
        if let Some(g) = grad.as_deref_mut() {
            for (k, (gk, dk)) in g.iter_mut().zip(d).enumerate() {
                *gk += w * dk * if k == scale { f } else { 1.0 };
            }
            let ds = d[scale] * th[scale];
            for (gk, v) in g[K..].iter_mut().zip(zi) {
                *gk += w * ds * v;
            }
        }
    }
    ll
}

/// A row evaluator: `(frequency index, customer parameters, t_x, T, gradient?)` →
/// `(ℓᵢ, ∂ℓᵢ/∂θᵢ)` (the full log-likelihood of the row at its own parameters).
pub(crate) trait RowEval: Sync {
    fn eval(&self, xi: usize, th: &[f64; 4], t_x: f64, t: f64, grad: bool) -> (f64, [f64; 4]);
}

impl<F> RowEval for F
where
    F: Fn(usize, &[f64; 4], f64, f64, bool) -> (f64, [f64; 4]) + Sync,
{
    fn eval(&self, xi: usize, th: &[f64; 4], t_x: f64, t: f64, grad: bool) -> (f64, [f64; 4]) {
        self(xi, th, t_x, t, grad)
    }
}

/// The weighted total log-likelihood over `rows` at `theta` (4 base parameters, then one per
/// coefficient), with every row evaluated by `row` at that customer's parameters, minus the
/// penalty `n·λ·Σγ²`; the gradient (when asked) by the chain rule. NaN for wrong lengths.
///
/// `used[xi]`, when given, is the set of scales (bit `s` for `scales[s]`) that the rows of
/// frequency index `xi` depend on: the others keep `θ₀` (their factor `exp(±ηᵢ)` is not
/// computed), which is exact as long as `row` neither reads those parameters nor returns a
/// non-zero derivative in them for such rows.
pub(crate) fn total(
    rows: &CovariateRows,
    scales: &[Scale],
    theta: &[f64],
    grad: Option<&mut [f64]>,
    (row, used): (&impl RowEval, Option<&[u8]>),
) -> f64 {
    let k = 4 + rows.terms.len();
    if theta.len() != k || grad.as_ref().is_some_and(|g| g.len() != k) {
        return f64::NAN;
    }
    let want = grad.is_some();
    let (base, coef) = theta.split_at(4);
    let c = rows.n_columns();
    let (rec, age, w) = (rows.rows.recency(), rows.rows.age(), rows.rows.weights());
    let n = w.len();
    let n_scales = scales.len().min(8);
    // Per coefficient: its column, its value and the scales it acts on (bit `s` for scale `s`).
    let limit = u8::MAX.checked_shr(8 - n_scales as u32).unwrap_or(0);
    let plan: Vec<(usize, f64, u8)> = rows
        .terms
        .iter()
        .zip(coef)
        .map(|(t, &g)| (t.column, g, t.mask & limit))
        .collect();
    // `exp(sign·ηₛ)` of the scales in `mask` for the covariates of row `i` (1 for the others).
    let factors = |i: usize, mask: u8| {
        let zi = &rows.z[i * c..(i + 1) * c];
        let mut eta = [0.0; 8];
        for &(column, g, bits) in &plan {
            let v = g * zi[column];
            each(bits, |s| eta[s] += v);
        }
        let mut factor = [1.0; 8];
        for (s, scale) in scales.iter().enumerate().take(n_scales) {
            if mask & (1 << s) != 0 {
                factor[s] = (scale.sign * eta[s]).exp();
            }
        }
        factor
    };
    let table: Vec<[f64; 8]> = rows
        .profiles
        .as_ref()
        .map(|p| p.first.iter().map(|&i| factors(i, u8::MAX)).collect())
        .unwrap_or_default();
    let parts = map_rows(n.div_ceil(CHUNK), 1, |chunk| {
        let mut acc = vec![0.0; 1 + if want { k } else { 0 }];
        let (lo, hi) = (chunk * CHUNK, ((chunk + 1) * CHUNK).min(n));
        for i in lo..hi {
            let zi = &rows.z[i * c..(i + 1) * c];
            let xi = rows.x_index[i] as usize;
            let mask = used.and_then(|u| u.get(xi)).copied().unwrap_or(u8::MAX);
            let mut th = [base[0], base[1], base[2], base[3]];
            let mut factor = [1.0; 8];
            let all = match &rows.profiles {
                Some(p) => table[p.index[i] as usize],
                None => factors(i, mask),
            };
            for (s, scale) in scales.iter().enumerate().take(n_scales) {
                if mask & (1 << s) != 0 {
                    factor[s] = all[s];
                    th[scale.param] *= factor[s];
                }
            }
            let (ll, g) = row.eval(xi, &th, rec[i], age[i], want);
            let wi = w[i];
            acc[0] += wi * ll;
            if !want {
                continue;
            }
            // ∂ℓ/∂θ₀ = ∂ℓ/∂θᵢ·θᵢ/θ₀ for a scale, ∂ℓ/∂θᵢ for a shape; the log-derivative
            // dᵢ = θᵢ·∂ℓ/∂θᵢ of each scale for the coefficients.
            let mut gb = g;
            let mut d = [0.0; 8];
            for (s, scale) in scales.iter().enumerate().take(n_scales) {
                gb[scale.param] = g[scale.param] * factor[s];
                d[s] = scale.sign * g[scale.param] * th[scale.param];
            }
            for (a, v) in acc[1..5].iter_mut().zip(gb) {
                *a += wi * v;
            }
            for (a, &(column, _, bits)) in acc[5..].iter_mut().zip(&plan) {
                let mut dl = 0.0;
                each(bits, |s| dl += d[s]);
                *a += wi * zi[column] * dl;
            }
        }
        acc
    });
    let mut sum = vec![0.0; 1 + if want { k } else { 0 }];
    for p in parts {
        for (s, v) in sum.iter_mut().zip(p) {
            *s += v;
        }
    }
    let n_obs = rows.rows.n_customers();
    let mut ll = sum[0];
    let weights = &rows.penalty_weights;
    if rows.penalty > 0.0 {
        let sq: f64 = coef.iter().zip(weights).map(|(g, w)| w * g * g).sum();
        ll -= n_obs * rows.penalty * sq;
    }
    if let Some(g) = grad {
        g.copy_from_slice(&sum[1..]);
        if rows.penalty > 0.0 {
            for ((gi, &c), w) in g[4..].iter_mut().zip(coef).zip(weights) {
                *gi -= 2.0 * n_obs * rows.penalty * w * c;
            }
        }
    }
    ll
}

/// How a model's customers get their own parameters, for [`hessian_sum`]: the scale parameters
/// `(index among the K base parameters, sign)`, and per coefficient its column of the design
/// matrix and the scales it acts on (bit `s` for scale `s`).
pub(crate) struct Layout<'a> {
    pub(crate) scales: &'a [(usize, f64)],
    pub(crate) terms: &'a [(usize, u8)],
}

/// The Hessian of `Σ wᵢ ℓᵢ` in `theta = (θ₀, γ)` (`K` base parameters, then one per coefficient;
/// row-major), where customer `i` has the parameters `θᵢ` with `θᵢ[p] = θ₀[p]·exp(±ηᵢ)` for each
/// scale `p` (`ηᵢ` the sum of its coefficients times the row's covariates) and `row(i, θᵢ)`
/// gives the gradient and Hessian of `ℓᵢ` in `θᵢ` (`None`, and so the result, outside the
/// model's domain). `used(i)` is the set of scales row `i` depends on, as in [`total`].
///
/// The customer's log-scales `vᵢ = (shapes, ln θᵢ[p])` are linear in `ψ = (shapes, ln θ₀[p],
/// γ)`, `vᵢ = Aᵢψ` with the coefficient columns of `Aᵢ` equal to `zᵢ,col(t)·mₜ` (`mₜ` the signs
/// of the scales of coefficient `t`, the same for every row), so the Hessian in `ψ` is
/// `Σ wᵢ Aᵢᵀ H̃ᵢ Aᵢ` plus the first-order terms `Σ wᵢ (θᵢ[p]·∂ℓᵢ/∂θᵢ[p]) ∂²vᵢ[p]`, with `H̃ᵢ` the
/// Hessian of `ℓᵢ` in `vᵢ` without its own first-order part. The sums are taken once per pair
/// `(a, b)` of augmented covariates `z̃ = (1, z)` — `Σ wᵢ z̃ₐ z̃_b H̃ᵢ` and
/// `Σ wᵢ z̃ₐ z̃_b θᵢ[p]·∂ℓᵢ/∂θᵢ[p]` — whatever the number of coefficients, in one pass over the
/// rows without allocating per row; the change from `ln θ₀[p]` to `θ₀[p]` follows.
/// `None` for wrong lengths or a value that is not finite.
pub(crate) fn hessian_sum<const K: usize>(
    theta: &[f64],
    layout: &Layout<'_>,
    (z, c, weights): (&[f64], usize, &[f64]),
    used: &(impl Fn(usize) -> u8 + Sync),
    row: &(impl Fn(usize, &[f64; K]) -> Option<([f64; K], [[f64; K]; K])> + Sync),
) -> Option<Vec<f64>> {
    let Layout { scales, terms } = *layout;
    let m = terms.len();
    let n = weights.len();
    if theta.len() != K + m
        || z.len() != n * c
        || scales.len() > 8
        || scales.iter().any(|&(p, _)| p >= K)
        || terms.iter().any(|&(col, _)| col >= c)
    {
        return None;
    }
    let (base, coef) = theta.split_at(K);
    let n_scales = scales.len();
    let upper = K * (K + 1) / 2;
    let width = upper + n_scales;
    let nz = c + 1;
    let pairs = nz * (nz + 1) / 2;
    let pair = |a: usize, b: usize| {
        let (a, b) = (a.min(b), a.max(b));
        a * nz - a * a.saturating_sub(1) / 2 + (b - a)
    };
    let parts = map_rows(n.div_ceil(CHUNK), 1, |chunk| -> Option<Vec<f64>> {
        let mut acc = vec![0.0; pairs * width];
        let mut zt = vec![1.0; nz];
        let mut hat = vec![0.0; width];
        let (lo, hi) = (chunk * CHUNK, ((chunk + 1) * CHUNK).min(n));
        for i in lo..hi {
            let zi = &z[i * c..(i + 1) * c];
            zt[1..].copy_from_slice(zi);
            let mut eta = [0.0; 8];
            for (&(col, bits), &g) in terms.iter().zip(coef) {
                let v = g * zi[col];
                each(bits, |s| eta[s] += v);
            }
            let mask = used(i);
            let mut th = [0.0; K];
            th.copy_from_slice(base);
            for (s, &(p, sign)) in scales.iter().enumerate() {
                if mask & (1 << s) != 0 {
                    th[p] *= (sign * eta[s]).exp();
                }
            }
            let (g, h) = row(i, &th)?;
            // H̃ = D H D with D the customer's scales (1 for a shape), and θᵢ[p]·∂ℓᵢ/∂θᵢ[p].
            let mut d = [1.0; K];
            for (s, &(p, _)) in scales.iter().enumerate() {
                d[p] = th[p];
                hat[upper + s] = th[p] * g[p];
            }
            let mut e = 0;
            for j in 0..K {
                for k in j..K {
                    hat[e] = d[j] * h[j][k] * d[k];
                    e += 1;
                }
            }
            let w = weights[i];
            let mut at = 0;
            for a in 0..nz {
                let wa = w * zt[a];
                if wa == 0.0 {
                    at += (nz - a) * width;
                    continue;
                }
                for &zb in &zt[a..] {
                    let v = wa * zb;
                    for (x, &y) in acc[at..at + width].iter_mut().zip(&hat) {
                        *x += v * y;
                    }
                    at += width;
                }
            }
        }
        Some(acc)
    });
    let mut acc = vec![0.0; pairs * width];
    for part in parts {
        for (s, v) in acc.iter_mut().zip(part?) {
            *s += v;
        }
    }
    let hget = |pr: usize, j: usize, k: usize| {
        let (j, k) = (j.min(k), j.max(k));
        acc[pr * width + j * K - j * j.saturating_sub(1) / 2 + (k - j)]
    };
    let fget = |pr: usize, s: usize| acc[pr * width + upper + s];
    // mₜ: the scales of coefficient t with their signs.
    let signs = |bits: u8| {
        let mut v = Vec::with_capacity(n_scales);
        each(bits, |s| {
            if let Some(&(p, sign)) = scales.get(s) {
                v.push((s, p, sign));
            }
        });
        v
    };
    let k_all = K + m;
    let mut out = vec![0.0; k_all * k_all];
    let p00 = pair(0, 0);
    for j in 0..K {
        for k in 0..K {
            out[j * k_all + k] = hget(p00, j, k);
        }
    }
    for (t, &(ct, bt)) in terms.iter().enumerate() {
        let st = signs(bt);
        let pt = pair(0, ct + 1);
        for j in 0..K {
            let mut v = 0.0;
            for &(s, p, sign) in &st {
                v += sign * hget(pt, j, p);
                if j == p {
                    v += sign * fget(pt, s);
                }
            }
            out[j * k_all + K + t] = v;
            out[(K + t) * k_all + j] = v;
        }
        for (u, &(cu, bu)) in terms.iter().enumerate().skip(t) {
            let su = signs(bu);
            let pr = pair(ct + 1, cu + 1);
            let mut v = 0.0;
            for &(s, p, sign) in &st {
                for &(s2, p2, sign2) in &su {
                    v += sign * sign2 * hget(pr, p, p2);
                    if s == s2 {
                        v += fget(pr, s);
                    }
                }
            }
            out[(K + t) * k_all + K + u] = v;
            out[(K + u) * k_all + K + t] = v;
        }
    }
    // From ln θ₀[p] to θ₀[p]: row and column p divided by θ₀[p] (the first-order term of the
    // exponential cancels the one of θᵢ[p] = θ₀[p]·exp(±ηᵢ) in the base block).
    for &(p, _) in scales {
        let t0 = base[p];
        for j in 0..k_all {
            out[p * k_all + j] /= t0;
            out[j * k_all + p] /= t0;
        }
    }
    out.iter().all(|v| v.is_finite()).then_some(out)
}

/// The Hessian of [`total`] (`K` base parameters; the penalty included): [`hessian_sum`] over
/// the rows with the model's `scales`, `row` giving the gradient and Hessian of each row's
/// log-likelihood at the customer's own parameters.
pub(crate) fn total_hessian<const K: usize>(
    rows: &CovariateRows,
    scales: &[Scale],
    theta: &[f64],
    used: &(impl Fn(usize) -> u8 + Sync),
    row: &(impl Fn(usize, &[f64; K]) -> Option<([f64; K], [[f64; K]; K])> + Sync),
) -> Option<Vec<f64>> {
    let n_scales = scales.len().min(8);
    let limit = u8::MAX.checked_shr(8 - n_scales as u32).unwrap_or(0);
    let scales: Vec<(usize, f64)> = scales.iter().map(|s| (s.param, s.sign)).collect();
    let terms: Vec<(usize, u8)> = rows
        .terms
        .iter()
        .map(|t| (t.column, t.mask & limit))
        .collect();
    let layout = Layout {
        scales: &scales,
        terms: &terms,
    };
    let design = (&rows.z[..], rows.n_columns(), rows.rows.weights());
    let mut h = hessian_sum::<K>(theta, &layout, design, used, row)?;
    if rows.penalty > 0.0 {
        let k = theta.len();
        let n_obs = rows.rows.n_customers();
        for (t, w) in rows.penalty_weights.iter().enumerate().take(k - K) {
            h[(K + t) * (k + 1)] -= 2.0 * n_obs * rows.penalty * w;
        }
    }
    Some(h)
}

/// The Hessian of [`one_scale_sum`] (same arguments): [`hessian_sum`] with one scale,
/// `theta[scale]`, and coefficient `t` on column `t`; `row(i, θᵢ)` gives the gradient and
/// Hessian of row `i`'s log-likelihood at the customer's parameters.
pub(crate) fn one_scale_hessian<const K: usize>(
    theta: &[f64],
    scale: usize,
    (z, weights): (&[f64], &[f64]),
    row: &(impl Fn(usize, &[f64; K]) -> Option<([f64; K], [[f64; K]; K])> + Sync),
) -> Option<Vec<f64>> {
    let c = theta.len().checked_sub(K)?;
    let terms: Vec<(usize, u8)> = (0..c).map(|t| (t, 1)).collect();
    let layout = Layout {
        scales: &[(scale, 1.0)],
        terms: &terms,
    };
    hessian_sum::<K>(theta, &layout, (z, c, weights), &|_| 1, row)
}

/// The symmetric `K×K` matrix of the upper triangle `upper` (row by row).
pub(crate) fn symmetric<const K: usize>(upper: &[f64]) -> [[f64; K]; K] {
    let mut h = [[0.0; K]; K];
    let mut e = upper.iter();
    for j in 0..K {
        for k in j..K {
            let v = e.next().copied().unwrap_or(f64::NAN);
            if let Some(x) = h.get_mut(j).and_then(|row| row.get_mut(k)) {
                *x = v;
            }
            if let Some(x) = h.get_mut(k).and_then(|row| row.get_mut(j)) {
                *x = v;
            }
        }
    }
    h
}

/// `f(s)` for each scale `s` of the bit set `bits`, in increasing order.
#[inline]
fn each(mut bits: u8, mut f: impl FnMut(usize)) {
    while bits != 0 {
        f(bits.trailing_zeros() as usize);
        bits &= bits - 1;
    }
}

/// The [`Objective`] of a model with covariates over its rows.
pub(crate) struct CovariateObjective<B> {
    rows: CovariateRows,
    model: PhantomData<fn() -> B>,
}

impl<B> CovariateObjective<B> {
    pub(crate) fn new(rows: CovariateRows) -> Self {
        CovariateObjective {
            rows,
            model: PhantomData,
        }
    }
}

impl<B: CovariateBase> Objective for CovariateObjective<B> {
    fn n_params(&self) -> usize {
        4 + self.rows.terms.len()
    }
    fn n_obs(&self) -> f64 {
        self.rows.rows.n_customers()
    }
    fn n_rows(&self) -> usize {
        self.rows.rows.len()
    }
    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        B::log_likelihood_with(&self.rows, theta, grad)
    }
    fn hessian(&self, theta: &[f64]) -> Option<Vec<f64>> {
        B::hessian_with(&self.rows, theta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::covariates::{CovariateData, CovariateSpec};
    use crate::{BgNbd, BgNbdCov, Estimable};

    /// With repeating covariate vectors the scale factors come from the per-vector table: the
    /// same sums, bit for bit, as row by row.
    #[test]
    fn profile_table_gives_the_row_by_row_sums() {
        let n = 3000;
        let x: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        let tx: Vec<f64> = (0..n)
            .map(|i| {
                if i % 7 == 0 {
                    0.0
                } else {
                    1.0 + (i % 29) as f64
                }
            })
            .collect();
        let t: Vec<f64> = (0..n).map(|i| 31.0 + (i % 11) as f64).collect();
        let web: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
        let region: Vec<f64> = (0..n).map(|i| ((i / 3) % 3) as f64).collect();
        let data = RfmData::new(x, tx, t)
            .unwrap()
            .with_covariates(vec!["web".into(), "region".into()], vec![web, region])
            .unwrap();
        let spec = CovariateSpec::new()
            .purchase(&["web", "region"])
            .dropout(&["region"])
            .shared(&["web"]);
        let rows = BgNbdCov::prepare(&CovariateData::new(&data, &spec).unwrap()).unwrap();
        let profiles = rows.profiles.as_ref().expect("repeating vectors");
        assert_eq!(profiles.first.len(), 6);
        let plain = CovariateRows {
            profiles: None,
            ..rows.clone()
        };
        let theta = [0.7, 9.0, 0.9, 2.0, 0.3, -0.2, 0.4, -0.1, 0.25];
        let (mut g1, mut g2) = ([0.0; 9], [0.0; 9]);
        let a = <BgNbd as CovariateBase>::log_likelihood_with(&rows, &theta, Some(&mut g1));
        let b = <BgNbd as CovariateBase>::log_likelihood_with(&plain, &theta, Some(&mut g2));
        assert_eq!(a.to_bits(), b.to_bits());
        assert_eq!(g1.map(f64::to_bits), g2.map(f64::to_bits));
        // Continuous covariates: no table.
        let score: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let data = data
            .with_covariates(vec!["score".into()], vec![score])
            .unwrap();
        let spec = CovariateSpec::new().purchase(&["score"]);
        let rows = BgNbdCov::prepare(&CovariateData::new(&data, &spec).unwrap()).unwrap();
        assert!(rows.profiles.is_none());
    }
}
