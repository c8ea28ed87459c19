//! Parametric draws far from the estimate: BG/NBD predictions with the dropout probability's
//! Beta concentrated to a spike (`a, b` from 1e10 to 1e60, as draws of fits to a few hundred
//! customers give) against mpmath (`scripts/bg_nbd_concentrated_dropout.py`, 60 digits), and
//! intervals of such fits that lose no draw.

use clv::fit::Range;
use clv::models::Simulate;
use clv::{BgNbd, Customer, FitOptions, Model, TransactionModel};
use rand::SeedableRng;
use rand::rngs::StdRng;

#[test]
fn concentrated_dropout_predictions_match_mpmath() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/bg_nbd_concentrated_dropout.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut worst: f64 = 0.0;
    let mut n = 0;
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        let model = BgNbd::new(v[0], v[1], v[2], v[3]).unwrap();
        let c = Customer::new(v[4], v[5], v[6]).unwrap();
        let got = model
            .conditional_expected_transactions(&c, v[7])
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        let rel = (got - v[8]).abs() / v[8];
        assert!(rel < 1e-12, "{line}: got {got}, relative error {rel:e}");
        worst = worst.max(rel);
        n += 1;
    }
    assert_eq!(n, 133);
    eprintln!("worst relative error {worst:e} over {n} cases");
}

/// Ages of `n` customers spread evenly over CDNOW's 27 to 39 weeks.
fn ages(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 27.0 + 12.0 * (i as f64 * 0.618_033_988_749_895).fract())
        .collect()
}

#[test]
fn parametric_draws_of_small_samples_all_predict() {
    let truth = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    // data sets of 200 customers; 33 of the 400 draws of set 1065 have a > 1e30
    let mut checked = 0;
    for set in [1065u64, 1000, 1001, 1002, 1003, 1004, 1005] {
        let data = truth
            .simulate(&ages(200), &mut StdRng::seed_from_u64(set))
            .unwrap()
            .data;
        let fitted = BgNbd::fit(&data, &FitOptions::default()).unwrap();
        if !fitted.converged() {
            continue;
        }
        let draws = fitted.parametric_draws(400, set).unwrap();
        for m in draws.models() {
            let y = m.conditional_expected_transactions(&c, 39.0).unwrap();
            assert!(y.is_finite() && y > 0.0, "{:?}", m.params());
        }
        let iv = draws
            .interval(
                |m| m.conditional_expected_transactions(&c, 39.0),
                Range::Positive,
                0.9,
            )
            .unwrap();
        assert_eq!(iv.failed_draws, 0);
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}
