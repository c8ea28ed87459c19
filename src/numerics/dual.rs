//! Forward-mode automatic differentiation: a value with its derivatives with respect to `N`
//! inputs, carried exactly through arithmetic and elementary functions (no finite
//! differences), for the parameter gradients of predictions whose terms are series.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// `v` with its partial derivatives `d[i] = ∂v/∂xᵢ` with respect to `N` inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dual<const N: usize> {
    /// The value.
    pub(crate) v: f64,
    /// The partial derivatives.
    pub(crate) d: [f64; N],
}

impl<const N: usize> Dual<N> {
    /// A constant (no derivatives).
    pub(crate) fn constant(v: f64) -> Self {
        Dual { v, d: [0.0; N] }
    }

    /// Input `i` of value `v` whose derivative with respect to itself is `scale`
    /// (`scale = v` seeds the derivative with respect to `ln v`).
    pub(crate) fn input(v: f64, i: usize, scale: f64) -> Self {
        let mut d = [0.0; N];
        if let Some(e) = d.get_mut(i) {
            *e = scale;
        }
        Dual { v, d }
    }

    /// `f(v)` with derivative `f'(v)` (the chain rule).
    fn chain(self, f: f64, df: f64) -> Self {
        Dual {
            v: f,
            d: self.d.map(|e| df * e),
        }
    }

    /// `ln(1 + v)`.
    pub(crate) fn ln_1p(self) -> Self {
        self.chain(self.v.ln_1p(), 1.0 / (1.0 + self.v))
    }

    /// `eᵛ`.
    pub(crate) fn exp(self) -> Self {
        let e = self.v.exp();
        self.chain(e, e)
    }

    /// `eᵛ − 1`.
    pub(crate) fn exp_m1(self) -> Self {
        self.chain(self.v.exp_m1(), self.v.exp())
    }

    /// The largest magnitude among the derivatives.
    pub(crate) fn max_abs_derivative(&self) -> f64 {
        self.d.iter().fold(0.0, |m, e| m.max(e.abs()))
    }

    /// Whether the value and every derivative are finite.
    pub(crate) fn is_finite(&self) -> bool {
        self.v.is_finite() && self.d.iter().all(|e| e.is_finite())
    }
}

impl<const N: usize> Add for Dual<N> {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        let mut d = self.d;
        for (e, f) in d.iter_mut().zip(o.d) {
            *e += f;
        }
        Dual { v: self.v + o.v, d }
    }
}

impl<const N: usize> Sub for Dual<N> {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        let mut d = self.d;
        for (e, f) in d.iter_mut().zip(o.d) {
            *e -= f;
        }
        Dual { v: self.v - o.v, d }
    }
}

impl<const N: usize> Mul for Dual<N> {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        let mut d = self.d;
        for (e, f) in d.iter_mut().zip(o.d) {
            *e = *e * o.v + self.v * f;
        }
        Dual { v: self.v * o.v, d }
    }
}

impl<const N: usize> Div for Dual<N> {
    type Output = Self;
    fn div(self, o: Self) -> Self {
        let q = self.v / o.v;
        let mut d = self.d;
        for (e, f) in d.iter_mut().zip(o.d) {
            *e = (*e - q * f) / o.v;
        }
        Dual { v: q, d }
    }
}

impl<const N: usize> Neg for Dual<N> {
    type Output = Self;
    fn neg(self) -> Self {
        Dual {
            v: -self.v,
            d: self.d.map(|e| -e),
        }
    }
}

impl<const N: usize> Add<f64> for Dual<N> {
    type Output = Self;
    fn add(self, c: f64) -> Self {
        Dual {
            v: self.v + c,
            d: self.d,
        }
    }
}

impl<const N: usize> Sub<f64> for Dual<N> {
    type Output = Self;
    fn sub(self, c: f64) -> Self {
        Dual {
            v: self.v - c,
            d: self.d,
        }
    }
}

impl<const N: usize> Mul<f64> for Dual<N> {
    type Output = Self;
    fn mul(self, c: f64) -> Self {
        Dual {
            v: self.v * c,
            d: self.d.map(|e| e * c),
        }
    }
}

/// `₂F₁(a, b; c; z) − 1 = Σ_{k≥1} (a)ₖ(b)ₖ/((c)ₖ k!) zᵏ` with its derivatives, by the direct
/// series with the derivatives carried along term by term, for `0 ≤ z < 1` (see
/// [`series_minus_one`]).
pub(crate) fn hyp2f1_minus_one<const N: usize>(
    a: Dual<N>,
    b: Dual<N>,
    c: Dual<N>,
    z: Dual<N>,
    budget: usize,
    max_cancel: f64,
) -> Option<Dual<N>> {
    series_minus_one([a, b], [c, Dual::constant(1.0)], z, 0.0, budget, max_cancel)
}

/// `Σ_{m≥1} (n₁)ₘ(n₂)ₘ/((d₁)ₘ(d₂)ₘ) wᵐ` (`(x)ₘ` the rising factorial; `₂F₁ − 1` with `d₂ = 1`,
/// `₃F₂(n₁, n₂, 1; d₁, d₂; w) − 1`) with its derivatives carried along term by term. Summed
/// until the terms decrease (`|ratio·w| < 1`) and the last one (value and every derivative) is
/// below `10⁻¹⁷` of the sum; `None` after `budget` terms, when the sum of the terms' magnitudes
/// exceeds `max_cancel` times the magnitude of `offset` plus the sum (digits lost to
/// cancellation in the value the caller forms), or when a term is not finite.
pub(crate) fn series_minus_one<const N: usize>(
    num: [Dual<N>; 2],
    den: [Dual<N>; 2],
    w: Dual<N>,
    offset: f64,
    budget: usize,
    max_cancel: f64,
) -> Option<Dual<N>> {
    let mut term = Dual::<N>::constant(1.0);
    let mut sum = Dual::<N>::constant(0.0);
    let mut magnitude = 0.0;
    for k in 0..budget {
        let kf = k as f64;
        let ratio = (num[0] + kf) * (num[1] + kf) / ((den[0] + kf) * (den[1] + kf));
        term = term * ratio * w;
        sum = sum + term;
        magnitude += term.v.abs();
        if !term.is_finite() {
            return None;
        }
        let falling = (ratio.v * w.v).abs() < 1.0;
        let small = term.v.abs() <= 1e-17 * sum.v.abs()
            && term.max_abs_derivative() <= 1e-17 * sum.max_abs_derivative();
        if falling && small {
            return (magnitude <= max_cancel * (offset + sum.v).abs()).then_some(sum);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_follow_the_chain_rule() {
        // f(x, y) = ln(1 + x y) · e^(x/y) − x at (0.7, 1.3)
        let (x, y) = (Dual::<2>::input(0.7, 0, 1.0), Dual::<2>::input(1.3, 1, 1.0));
        let f = (x * y).ln_1p() * (x / y).exp() - x;
        let (xv, yv) = (0.7f64, 1.3f64);
        let e = (xv / yv).exp();
        let l = (xv * yv).ln_1p();
        let dx = yv / (1.0 + xv * yv) * e + l * e / yv - 1.0;
        let dy = xv / (1.0 + xv * yv) * e - l * e * xv / (yv * yv);
        assert!((f.d[0] - dx).abs() < 1e-15 && (f.d[1] - dy).abs() < 1e-15);
    }

    #[test]
    fn hypergeometric_derivative_in_z_is_the_contiguous_function() {
        // d/dz ₂F₁(a, b; c; z) = ab/c ₂F₁(a+1, b+1; c+1; z)
        let (a, b, c, zv) = (0.7, 1.9, 3.1, 0.6);
        let k = |v: f64| Dual::<1>::constant(v);
        let f = hyp2f1_minus_one(k(a), k(b), k(c), Dual::input(zv, 0, 1.0), 10_000, 4.0).unwrap();
        let g = hyp2f1_minus_one(k(a + 1.0), k(b + 1.0), k(c + 1.0), k(zv), 10_000, 4.0).unwrap();
        let expected = a * b / c * (1.0 + g.v);
        assert!(
            (f.d[0] / expected - 1.0).abs() < 1e-14,
            "{} {}",
            f.d[0],
            expected
        );
    }
}
