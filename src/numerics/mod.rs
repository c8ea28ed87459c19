//! General numerics the models share, below the models in the dependency graph
//! (`data → numerics → models → value/diagnostics → plot`):
//!
//! * [`special`]: special functions (`₂F₁`, the incomplete gamma function, ratios of Gamma
//!   functions, log-sum-exp, ...), public as `clv::special`;
//! * [`quadrature`]: adaptive Gauss–Kronrod and the Gauss–Legendre pair for smooth integrands;
//! * [`log_concave`]: integrals of log-concave functions with moments;
//! * [`beta_weighted`]: expectations under a Beta density of any shape;
//! * [`beta_geometric`]: ratios of Beta functions and Beta-geometric survivals (the BG/BB);
//! * [`tail`]: the tail integrals `∫_u^∞ (α+v)^−p (β+v)^−q dv` through `₂F₁` series;
//! * [`chebyshev`]: piecewise Chebyshev interpolation;
//! * [`dual`]: forward-mode derivatives (dual numbers) carried through series;
//! * the checks that turn a result that is not finite into an error, and elementary forms
//!   evaluated without cancellation or intermediate overflow.

use crate::error::{Error, Result};

pub(crate) mod beta_geometric;
pub(crate) mod beta_weighted;
pub(crate) mod chebyshev;
pub(crate) mod dual;
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

/// The point of `[lo, hi]` where `f` changes sign from positive (towards `lo`) to not positive
/// (towards `hi`), by bisection until the bracket is at most `tol` wide or its midpoint no
/// longer moves (200 steps at most).
pub(crate) fn bisect_sign_change(f: impl Fn(f64) -> f64, lo: f64, hi: f64, tol: f64) -> f64 {
    let (mut a, mut b) = (lo, hi);
    for _ in 0..200 {
        let mid = 0.5 * (a + b);
        if mid <= a || mid >= b || b - a <= tol {
            break;
        }
        if f(mid) > 0.0 {
            a = mid;
        } else {
            b = mid;
        }
    }
    0.5 * (a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finiteness_checks_pass_values_through_and_name_failures() {
        assert_eq!(finite_or(1.5, |_| unreachable!()).unwrap(), 1.5);
        let e = finite_or(f64::INFINITY, |v| format!("x is {v}")).unwrap_err();
        assert!(matches!(e, Error::Numerical(m) if m == "x is inf"));
        assert_eq!(finite_non_negative(0.0, "x").unwrap(), 0.0);
        for bad in [-1e-300, f64::NAN, f64::INFINITY] {
            let e = finite_non_negative(bad, "x").unwrap_err();
            let want = format!("x evaluated to {bad}, not a finite number >= 0");
            assert!(matches!(e, Error::Numerical(m) if m == want));
        }
    }

    #[test]
    fn elementary_forms_at_their_limits() {
        assert_eq!(one_minus_exp_over(0.0, 3.0), 3.0);
        assert!((one_minus_exp_over(1e-300, 3.0) - 3.0).abs() < 1e-15);
        assert!((one_minus_exp_over(2.0, 1.0) - (1.0 - (-2f64).exp()) / 2.0).abs() < 1e-16);
        // a·b overflows, a·b/c does not.
        assert_eq!(product_of_ratio(1e300, 1e300, 1e300), 1e300);
        assert_eq!(product_of_ratio(3.0, 4.0, 2.0), 6.0);
    }
}
