//! Pareto/NBD against high-precision references (mpmath, `scripts/pareto_nbd_reference.py`) and
//! the extreme-customer sweep: every output finite, probabilities in [0, 1], expectations >= 0.

use clv::{Customer, ParetoNbd, TransactionModel};

/// Tolerance against mpmath for the log-likelihood, relative to the size of the terms it sums
/// (`ℓ` adds `r ln α + s ln β`, `lnΓ(r+x)` and the log tail integrals, each possibly ~10⁴
/// while `ℓ` is ~1: double precision cannot do better than ~1e-16 of the largest term).
const TOL_LL: f64 = 1e-13;
/// Relative tolerance for predictions derived from the log-likelihood.
const TOL_PRED: f64 = 1e-10;
/// Relative tolerance for the analytic gradient against mpmath's numerical derivative.
const TOL_GRAD: f64 = 1e-8;
/// Absolute tolerance for probabilities from numerical integration.
const TOL_PMF: f64 = 1e-11;

fn read(name: &str) -> Vec<Vec<f64>> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(|v| v.parse().unwrap()).collect())
        .collect()
}

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1.0)
}

fn rel_strict(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        (got / want - 1.0).abs()
    }
}

#[test]
fn log_likelihood_and_predictions_match_mpmath() {
    let rows = read("pareto_nbd_reference.csv");
    assert!(rows.len() > 150);
    let (mut worst_ll, mut worst_pred) = (0.0f64, 0.0f64);
    for v in rows {
        let m = ParetoNbd::new(v[0], v[1], v[2], v[3]).unwrap();
        let c = Customer::new(v[4], v[5], v[6]).unwrap();
        let ll = m.log_likelihood(&c);
        let (r, alpha, s, beta, x) = (v[0], v[1], v[2], v[3], v[4]);
        let scale = 1.0
            + v[7].abs()
            + (r * alpha.ln()).abs()
            + (s * beta.ln()).abs()
            + (r + s + x) * alpha.max(beta).ln().abs();
        let e = (ll - v[7]).abs() / scale;
        worst_ll = worst_ll.max(e);
        assert!(e < TOL_LL, "{m} {c:?}: ℓ {ll} vs {}", v[7]);
        let pa = m.probability_alive(&c);
        assert!(
            (pa - v[8]).abs() < TOL_PRED * v[8].max(1e-300) + 1e-300,
            "{m} {c:?}: P(alive) {pa} vs {}",
            v[8]
        );
        let ce = m.conditional_expected_transactions(&c, 39.0).unwrap();
        let dert = m
            .discounted_expected_residual_transactions(&c, 0.01)
            .unwrap();
        // Below ~1e-300 the references underflow in double precision.
        for (got, want, what) in [(ce, v[9], "E[Y(39)]"), (dert, v[10], "DERT")] {
            if want > 1e-290 {
                let e = rel_strict(got, want);
                worst_pred = worst_pred.max(e);
                assert!(e < TOL_PRED, "{m} {c:?}: {what} {got} vs {want}");
            } else {
                assert!(got < 1e-280, "{m} {c:?}: {what} {got} vs {want}");
            }
        }
    }
    eprintln!("worst relative error: log-likelihood {worst_ll:.2e}, predictions {worst_pred:.2e}");
}

#[test]
fn gradient_matches_mpmath() {
    let rows = read("pareto_nbd_gradient.csv");
    let mut worst = 0.0f64;
    for v in rows {
        let m = ParetoNbd::new(v[0], v[1], v[2], v[3]).unwrap();
        let c = Customer::new(v[4], v[5], v[6]).unwrap();
        let g = m.log_likelihood_gradient(&c);
        for k in 0..4 {
            let e = rel(g[k], v[7 + k]);
            worst = worst.max(e);
            assert!(e < TOL_GRAD, "{m} {c:?} d{k}: {} vs {}", g[k], v[7 + k]);
        }
    }
    eprintln!("worst relative gradient error {worst:.2e}");
}

#[test]
fn pmf_matches_note_012_closed_form() {
    let rows = read("pareto_nbd_pmf.csv");
    let mut worst = 0.0f64;
    for v in rows {
        let m = ParetoNbd::new(v[0], v[1], v[2], v[3]).unwrap();
        let p = m.probability_of_transactions(v[4] as u32, v[5]).unwrap();
        worst = worst.max((p - v[6]).abs());
        assert!(
            (p - v[6]).abs() < TOL_PMF,
            "{m} n={} t={}: {p} vs {}",
            v[4],
            v[5],
            v[6]
        );
    }
    eprintln!("worst absolute PMF error {worst:.2e}");
}

#[test]
fn extreme_sweep_is_finite_and_in_range() {
    let values = [1e-3, 0.1, 1.0, 10.0, 1e3];
    let mut n = 0;
    for &r in &values {
        for &alpha in &values {
            for &s in &values {
                for &beta in &values {
                    let m = ParetoNbd::new(r, alpha, s, beta).unwrap();
                    for &t in &[1.0, 39.0, 1000.0, 10000.0] {
                        for &x in &[0.0, 1.0, 10.0, 300.0, 1000.0, 10000.0] {
                            let txs: &[f64] = if x == 0.0 { &[0.0] } else { &[0.0, t / 2.0, t] };
                            for &tx in txs {
                                let c = Customer::new(x, tx, t).unwrap();
                                check(&m, &c);
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(n, 625 * 4 * 16);
}

fn check(m: &ParetoNbd, c: &Customer) {
    let ll = m.log_likelihood(c);
    assert!(ll.is_finite(), "{m} {c:?}: ℓ {ll}");
    let g = m.log_likelihood_gradient(c);
    assert!(g.iter().all(|v| v.is_finite()), "{m} {c:?}: ∇ℓ {g:?}");
    let pa = m.probability_alive(c);
    assert!((0.0..=1.0).contains(&pa), "{m} {c:?}: P(alive) {pa}");
    let pat = m.probability_alive_at(c, 52.0).unwrap();
    assert!(
        (0.0..=pa).contains(&pat),
        "{m} {c:?}: P(alive at T+52) {pat}"
    );
    for t in [0.0, 1.0, 39.0] {
        let e = m.conditional_expected_transactions(c, t).unwrap();
        assert!(e.is_finite() && e >= 0.0, "{m} {c:?}: E[Y({t})] {e}");
    }
    match m.discounted_expected_residual_transactions(c, 0.01) {
        Ok(d) => assert!(d.is_finite() && d >= 0.0, "{m} {c:?}: DERT {d}"),
        Err(e) => panic!("{m} {c:?}: DERT {e}"),
    }
}

#[test]
fn extreme_sweep_predictions_for_new_customers() {
    let values = [1e-3, 0.1, 1.0, 10.0, 1e3];
    for &r in &values {
        for &alpha in &values {
            for &s in &values {
                for &beta in &values {
                    let m = ParetoNbd::new(r, alpha, s, beta).unwrap();
                    for t in [1.0, 39.0, 10000.0] {
                        let e = m.expected_transactions(t).unwrap();
                        assert!(e.is_finite() && e >= 0.0, "{m}: E[X({t})] {e}");
                        for n in [0, 1, 10, 1000] {
                            let p = m.probability_of_transactions(n, t).unwrap();
                            assert!((0.0..=1.0).contains(&p), "{m}: P(X({t}) = {n}) {p}");
                        }
                    }
                }
            }
        }
    }
}
