//! Special functions the dependencies lack.

use crate::error::{Error, Result};

/// `ln(eᵃ + eᵇ)` without overflow.
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + (-(a - b).abs()).exp().ln_1p()
}

/// The Gauss hypergeometric function `2F1(a, b; c; z)` for real parameters and `0 <= z < 1`.
///
/// # Errors
/// [`Error::InvalidParameter`] outside the domain; [`Error::Numerical`] if the series fails.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    if !(0.0..1.0).contains(&z) {
        return Err(Error::param("z", z, "must lie in [0, 1)"));
    }
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 0..1_000_000 {
        let k = k as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-17 * sum.abs() {
            return Ok(sum);
        }
    }
    Err(Error::Numerical("2F1 series did not converge".into()))
}
