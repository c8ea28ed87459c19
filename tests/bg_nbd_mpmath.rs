//! BG/NBD predictions against mpmath evaluations (60 significant digits) of
//! FHL 2005 eq. 10 (`E[Y(t) | x, t_x, T]`), Hardie note 021 (`P(alive)`) and FHL eq. 9
//! (`E[X(t)]`), written by `scripts/special_vectors.py` into `tests/data/bg_nbd.csv`.
//!
//! The grid: the CDNOW MLE `(r, α, a, b) = (0.243, 4.414, 0.793, 2.426)` and extreme parameter
//! sets (`a = 1` exactly and `1 ± 1e-9`, `a + b < 1`, `r = 1e-3`, `α = 1e3`, `b = 1e3`);
//! `x ∈ {0, 1, 10, 300, 1000, 10000}`, `t_x ∈ {0, T/2, T}`, `T ∈ {1, 39, 1000, 10000}`,
//! `t ∈ {1, 39, 1000}`.

use clv::{BgNbd, Customer, TransactionModel};

/// Relative tolerance (absolute below 1e-300, where the reference underflows f64).
const TOL: f64 = 1e-9;

fn rel(got: f64, want: f64) -> f64 {
    if want.abs() < 1e-300 {
        got.abs()
    } else {
        (got - want).abs() / want.abs()
    }
}

#[test]
fn bg_nbd_predictions_match_mpmath() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bg_nbd.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut worst: [(f64, String); 3] = std::array::from_fn(|_| (0.0, String::new()));
    let names = ["E[Y(t)|x,t_x,T]", "P(alive)", "E[X(t)]"];
    let mut n = 0;
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        let (r, alpha, a, b, x, t_x, big_t, t) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        let model = BgNbd::new(r, alpha, a, b).unwrap();
        let c = Customer::new(x, t_x, big_t).unwrap();
        let got = [
            model.conditional_expected_transactions(&c, t),
            Ok(model.probability_alive(&c)),
            model.expected_transactions(t),
        ];
        n += 1;
        for k in 0..3 {
            let e = match &got[k] {
                Ok(g) => rel(*g, v[8 + k]),
                Err(_) => f64::INFINITY,
            };
            if e > worst[k].0 || e.is_nan() {
                worst[k] = (e, format!("{line} -> {:?}", got[k]));
            }
        }
    }
    for k in 0..3 {
        println!(
            "{}: {n} points, worst relative error {:.3e} at {}",
            names[k], worst[k].0, worst[k].1
        );
    }
    for k in 0..3 {
        assert!(
            worst[k].0 < TOL,
            "{}: worst relative error {:.3e} at {}",
            names[k],
            worst[k].0,
            worst[k].1
        );
    }
}
