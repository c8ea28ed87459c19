//! General numerics the models share, below the models in the dependency graph
//! (`data → numerics → models → value/diagnostics → plot`):
//!
//! * [`special`]: special functions (`₂F₁`, the incomplete gamma function, ratios of Gamma
//!   functions, log-sum-exp, ...), public as `clv::special`;
//! * [`quadrature`]: adaptive Gauss–Kronrod and the Gauss–Legendre pair for smooth integrands;
//! * [`log_concave`]: integrals of log-concave functions with moments;
//! * [`beta_weighted`]: expectations under a Beta density of any shape;
//! * [`tail`]: the tail integrals `∫_u^∞ (α+v)^−p (β+v)^−q dv` through `₂F₁` series;
//! * [`chebyshev`]: piecewise Chebyshev interpolation;
//! * the checks that turn a result that is not finite into an error, and elementary forms
//!   evaluated without cancellation or intermediate overflow.

use crate::error::{Error, Result};

pub(crate) mod beta_weighted;
pub(crate) mod chebyshev;
pub(crate) mod log_concave;
pub(crate) mod quadrature;
pub mod special;
pub(crate) mod tail;

/// `v` when it is finite, else [`Error::Numerical`] with the message `message` builds from `v`.
pub(crate) fn finite_or(v: f64, message: impl FnOnce(f64) -> String) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::Numerical(message(v)))
    }
}

/// `v` when it is finite and `>= 0`, else [`Error::Numerical`] naming `what` and the value.
pub(crate) fn finite_non_negative(v: f64, what: &str) -> Result<f64> {
    let message = |v: f64| format!("{what} evaluated to {v}, not a finite number >= 0");
    if v < 0.0 {
        return Err(Error::Numerical(message(v)));
    }
    finite_or(v, message)
}

/// `(1 − e^(−a y)) / a`, with its limit `y` at `a = 0`.
pub(crate) fn one_minus_exp_over(a: f64, y: f64) -> f64 {
    if a == 0.0 { y } else { -(-a * y).exp_m1() / a }
}

/// `a · b / c` for positive finite `a, b, c`, in the order that avoids an intermediate
/// overflow or underflow when the result is representable.
pub(crate) fn product_of_ratio(a: f64, b: f64, c: f64) -> f64 {
    let v = a * (b / c);
    if v.is_finite() && v != 0.0 && (b / c).is_normal() {
        return v;
    }
    let v = b * (a / c);
    if v.is_finite() && v != 0.0 && (a / c).is_normal() {
        return v;
    }
    (a * b) / c
}
