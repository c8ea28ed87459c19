//! The BG/NBD over its whole parameter space: mpmath references (40 digits, checked at 55) from
//! `scripts/bg_nbd_extreme_vectors.py` (`tests/data/bg_nbd_extreme*.csv`), the cases of issue 9
//! item 1 by name, and the structural properties (monotonicity, probabilities summing to 1,
//! DERT against E[Y], time rescaling) at extreme parameters.

use std::time::Instant;

use clv::{BgNbd, Customer, RfmData, TransactionModel};

/// Relative tolerance against the references.
const TOL: f64 = 1e-10;

fn rel(got: f64, want: f64) -> f64 {
    if want.abs() < 1e-300 {
        got.abs() / 1e-300
    } else {
        (got - want).abs() / want.abs()
    }
}

fn model(r: f64, alpha: f64, a: f64, b: f64) -> BgNbd {
    BgNbd::new(r, alpha, a, b).unwrap()
}

#[test]
fn issue_a7930_expected_transactions_is_not_zero() {
    let m = model(0.243, 4.414, 7930.0, 24260.0);
    let v = m.expected_transactions(39.0).unwrap();
    assert!(rel(v, 0.994_015_555_029_638_564_4) < TOL, "{v}");
}

#[test]
fn issue_a7930_conditional_expectation_is_not_zero() {
    let m = model(0.243, 4.414, 7930.0, 24260.0);
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    let v = m.conditional_expected_transactions(&c, 39.0).unwrap();
    assert!(rel(v, 0.960_099_153_176_070_521_0) < TOL, "{v}");
}

#[test]
fn issue_a793_expected_transactions_is_not_tiny() {
    let m = model(0.243, 4.414, 793.0, 2426.0);
    let v = m.expected_transactions(39.0).unwrap();
    assert!(rel(v, 0.994_243_285_759_285_392_9) < TOL, "{v}");
}
