//! The nonparametric bootstrap's policy: refits that end on the boundary of the parameter space
//! are draws of the estimator (kept and counted); only refits that fail are refused.

use clv::fit::{self, Range};
use clv::models::Simulate;
use clv::{Customer, FitOptions, ParetoNbd, TransactionModel};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Ages of `n` customers spread evenly over CDNOW's 27 to 39 weeks.
fn ages(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 27.0 + 12.0 * (i as f64 * 0.618_033_988_749_895).fract())
        .collect()
}

#[test]
fn boundary_refits_are_kept_and_counted() {
    let truth = ParetoNbd::new(0.553, 10.58, 0.606, 11.67).unwrap();
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    let data = truth
        .simulate(&ages(300), &mut StdRng::seed_from_u64(SEED))
        .unwrap()
        .data;
    let draws = 60;
    let refits =
        fit::bootstrap::<ParetoNbd>(&data, &FitOptions::default(), draws, 3, None).unwrap();
    assert_eq!(refits.models().len() + refits.failed(), draws);
    assert!(refits.boundary() > 0, "no boundary refit in this sample");
    assert!(refits.boundary() <= refits.models().len());
    eprintln!(
        "{} of {draws} refits on the boundary, {} failed",
        refits.boundary(),
        refits.failed()
    );
    // the boundary refits count among the draws of every prediction
    let y = refits
        .interval(
            |m| m.conditional_expected_transactions(&c, 39.0),
            Range::Positive,
            0.9,
        )
        .unwrap();
    assert!(y.lower <= y.estimate && y.estimate <= y.upper);
    assert!(y.failed_draws <= draws / 100);
}

const SEED: u64 = 7;
