//! Pareto/NBD: published estimates, published predictions, gradients, edge cases.

mod common;
use common::cdnow;

use clv::{Customer, FitOptions, Model, ParetoNbd, RfmData, TransactionModel};

/// BTYD's CDNOW estimates (BTYD vignette), weeks.
fn btyd() -> ParetoNbd {
    ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap()
}

#[test]
fn cdnow_fit_reproduces_published_estimates() {
    let fitted = ParetoNbd::fit(&cdnow(), &FitOptions::default()).unwrap();
    let m = fitted.model();
    assert!(fitted.converged());
    // FHL 2005 Marketing Science: r=0.553, α=10.578, s=0.606, β=11.669; LL −9595.0.
    // Independent scipy fit on this CSV: (0.553276, 10.577612, 0.606214, 11.667914), LL −9594.9739.
    assert!((m.r() - 0.553).abs() < 5e-4, "{m}");
    assert!((m.alpha() - 10.578).abs() < 5e-3, "{m}");
    assert!((m.s() - 0.606).abs() < 5e-4, "{m}");
    assert!((m.beta() - 11.669).abs() < 5e-2, "{m}");
    assert!(
        (fitted.log_likelihood() - -9594.97).abs() < 0.01,
        "{}",
        fitted.log_likelihood()
    );
    // Standard errors from the observed information (scipy, same fit): r 0.048, α 0.843,
    // s 0.187, β 6.21.
    let se = fitted.std_errors().unwrap();
    for (got, want) in se.iter().zip([0.048, 0.843, 0.187, 6.21]) {
        assert!((got / want - 1.0).abs() < 0.03, "{se:?}");
    }
}

/// The BTYD vignette prints its estimates rounded to 4 decimals, (0.5534, 10.5802, 0.6061, 11.6562),
/// and its predictions at the unrounded ones; the rounding moves these predictions by up to 4e-4
/// (relative). Exact agreement at given parameters is checked against mpmath in
/// `tests/pareto_nbd_reference.rs`.
const VIGNETTE_ROUNDING: f64 = 1e-3;

#[test]
fn btyd_vignette_predictions() {
    let m = btyd();
    let close = |got: f64, want: f64| (got / want - 1.0).abs() < VIGNETTE_ROUNDING;
    // BTYD vignette: E[X(52)] = 1.473434.
    assert!(close(m.expected_transactions(52.0).unwrap(), 1.473434));
    // Customer 1516: P(alive) = 0.997874, E[Y(52)] = 25.45647.
    let c1516 = Customer::new(26.0, 30.85714, 31.0).unwrap();
    assert!(close(m.probability_alive(&c1516), 0.997874));
    assert!(close(
        m.conditional_expected_transactions(&c1516, 52.0).unwrap(),
        25.45647
    ));
    // E[Y(52) | x, 20, 39], x = 10, 15, 20, 25.
    for (x, want) in [
        (10.0, 0.7062289),
        (15.0, 0.1442396),
        (20.0, 0.02250658),
        (25.0, 0.00309267),
    ] {
        let c = Customer::new(x, 20.0, 39.0).unwrap();
        let got = m.conditional_expected_transactions(&c, 52.0).unwrap();
        assert!(close(got, want), "x = {x}: {got} vs {want}");
    }
    // BTYD reference manual: P(alive | 0, 0, 39) = 0.2941633.
    let c0 = Customer::new(0.0, 0.0, 39.0).unwrap();
    assert!(close(m.probability_alive(&c0), 0.2941633));
}

#[test]
fn expected_transactions_lifetimes_values() {
    // BTYD reference manual, `pnbd.Expectation` example at (0.55, 10.56, 0.61, 11.64), also in
    // lifetimes' tests: E[X(t)], t = 0..9.
    let m = ParetoNbd::new(0.55, 10.56, 0.61, 11.64).unwrap();
    let want = [
        0.0, 0.05077821, 0.09916088, 0.14542507, 0.18979930, 0.23247466, 0.27361274, 0.31335159,
        0.35181024, 0.38909211,
    ];
    for (t, w) in want.iter().enumerate() {
        let got = m.expected_transactions(t as f64).unwrap();
        assert!((got - w).abs() < 6e-9, "t = {t}: {got} vs {w}");
    }
}

#[test]
fn dert_reference_values() {
    // Computed with mpmath (closed form with Tricomi U; quadrature agrees to 1e-13).
    let m = btyd();
    for ((x, tx, t), want) in [
        ((0.0, 0.0, 39.0), 0.456348),
        ((2.0, 30.43, 38.86), 6.232410),
        ((26.0, 30.85714, 31.0), 82.77465),
    ] {
        let c = Customer::new(x, tx, t).unwrap();
        let got = m
            .discounted_expected_residual_transactions(&c, 0.00288)
            .unwrap();
        assert!((got / want - 1.0).abs() < 2e-6, "{x}: {got} vs {want}");
    }
    assert!(
        m.discounted_expected_residual_transactions(&Customer::new(0.0, 0.0, 1.0).unwrap(), 0.0)
            .is_err()
    );
}

#[test]
fn pmf_sums_to_one_and_has_the_right_mean() {
    let m = btyd();
    for t in [1.0, 39.0, 200.0] {
        let mut total = 0.0;
        let mut mean = 0.0;
        for n in 0..3000u32 {
            let p = m.probability_of_transactions(n, t).unwrap();
            total += p;
            mean += f64::from(n) * p;
        }
        assert!((total - 1.0).abs() < 1e-9, "t = {t}: {total}");
        let e = m.expected_transactions(t).unwrap();
        assert!((mean / e - 1.0).abs() < 1e-6, "t = {t}: {mean} vs {e}");
    }
}

#[test]
fn conditional_pmf_sums_to_one_and_matches_expectation() {
    let m = btyd();
    let c = Customer::new(7.0, 29.86, 31.0).unwrap();
    let (mut total, mut mean) = (0.0, 0.0);
    for n in 0..2000u32 {
        let p = m
            .conditional_probability_of_transactions(&c, n, 39.0)
            .unwrap();
        total += p;
        mean += f64::from(n) * p;
    }
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    let e = m.conditional_expected_transactions(&c, 39.0).unwrap();
    assert!((mean / e - 1.0).abs() < 1e-6, "{mean} vs {e}");
}

#[test]
fn gradient_matches_finite_differences() {
    for (r, alpha, s, beta) in [
        (0.55, 10.6, 0.6, 11.7),
        (0.55, 12.0, 0.6, 11.7),
        (2.0, 3.0, 1.5, 3.0),
        (0.01, 500.0, 3.0, 0.02),
        (5.0, 0.05, 0.02, 80.0),
    ] {
        let m = ParetoNbd::new(r, alpha, s, beta).unwrap();
        for (x, tx, t) in [
            (0.0, 0.0, 39.0),
            (2.0, 30.43, 38.86),
            (26.0, 30.85714, 31.0),
            (5.0, 10.0, 10.0),
            (300.0, 0.5, 1000.0),
        ] {
            let c = Customer::new(x, tx, t).unwrap();
            let g = m.log_likelihood_gradient(&c);
            let p = m.params();
            for k in 0..4 {
                let h = 1e-6 * p[k];
                let mut up = p.clone();
                let mut dn = p.clone();
                up[k] += h;
                dn[k] -= h;
                let f = |v: &[f64]| ParetoNbd::from_params(v).unwrap().log_likelihood(&c);
                let fd = (f(&up) - f(&dn)) / (2.0 * h);
                assert!(
                    (g[k] - fd).abs() < 1e-5 * (1.0 + fd.abs()),
                    "{m} {c:?} d{k}: {} vs {fd}",
                    g[k]
                );
            }
        }
    }
}

#[test]
fn alpha_equal_beta_is_continuous() {
    let c = Customer::new(3.0, 12.0, 39.0).unwrap();
    let at = ParetoNbd::new(0.5, 10.0, 0.7, 10.0)
        .unwrap()
        .log_likelihood(&c);
    for eps in [1e-7, -1e-7] {
        let near = ParetoNbd::new(0.5, 10.0 + eps, 0.7, 10.0)
            .unwrap()
            .log_likelihood(&c);
        assert!((near - at).abs() < 1e-7, "{near} vs {at}");
    }
}

#[test]
fn invalid_parameters_and_arguments_are_rejected() {
    assert!(ParetoNbd::new(0.0, 1.0, 1.0, 1.0).is_err());
    assert!(ParetoNbd::new(1.0, f64::NAN, 1.0, 1.0).is_err());
    assert!(ParetoNbd::new(1.0, 1.0, -1.0, 1.0).is_err());
    assert!(ParetoNbd::new(1.0, 1.0, 1.0, f64::INFINITY).is_err());
    let m = btyd();
    assert!(m.expected_transactions(-1.0).is_err());
    assert!(m.probability_of_transactions(1, f64::NAN).is_err());
    let c = Customer::new(1.0, 1.0, 2.0).unwrap();
    assert!(m.conditional_expected_transactions(&c, -1.0).is_err());
    assert!(m.probability_alive_at(&c, f64::INFINITY).is_err());
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_validates() {
    let m = btyd();
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(
        json,
        r#"{"r":0.5534,"alpha":10.5802,"s":0.6061,"beta":11.6562}"#
    );
    let back: ParetoNbd = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
    assert!(serde_json::from_str::<ParetoNbd>(r#"{"r":-1,"alpha":1,"s":1,"beta":1}"#).is_err());
}

#[test]
fn degenerate_data_never_panics() {
    // Nobody buys again: the likelihood has no interior maximum, and the fit says why.
    let zeros = RfmData::new(vec![0.0; 50], vec![0.0; 50], vec![39.0; 50]).unwrap();
    let e = ParetoNbd::fit(&zeros, &FitOptions::default()).unwrap_err();
    assert!(
        matches!(&e, clv::Error::InvalidInput(m) if m.contains("no customer made a repeat purchase")),
        "{e}"
    );
    // Extreme customers mixed with ordinary ones.
    let data = RfmData::new(
        vec![0.0, 1.0, 10000.0, 300.0, 2.0, 0.0],
        vec![0.0, 0.001, 9999.0, 5.0, 30.0, 0.0],
        vec![1.0, 10000.0, 10000.0, 5.0, 39.0, 0.5],
    )
    .unwrap();
    if let Ok(f) = ParetoNbd::fit(&data, &FitOptions::default()) {
        assert!(f.log_likelihood().is_finite());
        let m = f.model();
        for c in data.customers() {
            assert!((0.0..=1.0).contains(&m.probability_alive(&c)));
            assert!(m.conditional_expected_transactions(&c, 39.0).unwrap() >= 0.0);
        }
    }
}

#[test]
fn conditional_pmf_is_a_probability_at_extremes() {
    let values = [1e-3, 1.0, 1e3];
    for &r in &values {
        for &alpha in &values {
            for &s in &values {
                for &beta in &values {
                    let m = ParetoNbd::new(r, alpha, s, beta).unwrap();
                    for (x, tx, t) in [
                        (0.0, 0.0, 1.0),
                        (1.0, 0.5, 39.0),
                        (300.0, 1000.0, 1000.0),
                        (10000.0, 0.0, 10000.0),
                    ] {
                        let c = Customer::new(x, tx, t).unwrap();
                        for n in [0, 1, 50] {
                            let p = m
                                .conditional_probability_of_transactions(&c, n, 39.0)
                                .unwrap();
                            assert!((0.0..=1.0).contains(&p), "{m} {c:?} n={n}: {p}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn cdnow_exact_weeks_reproduce_btyd_log_likelihood_and_holdout() {
    use clv::data::{Periods, TransactionLog, days_from_civil};
    let log = TransactionLog::from_cdnow_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/CDNOW_sample.txt"
    ))
    .unwrap();
    let cal_end = days_from_civil(1997, 9, 30).unwrap() as f64;
    let summary = log.summarize(&Periods::days_in_weeks(), cal_end).unwrap();
    let fitted = ParetoNbd::fit(summary.data(), &FitOptions::default()).unwrap();
    // BTYD vignette (exact weeks): LL −9594.976, estimates (0.553, 10.580, 0.606, 11.656).
    assert!(
        (fitted.log_likelihood() - -9594.976).abs() < 1e-3,
        "{}",
        fitted.log_likelihood()
    );
    let m = fitted.model();
    assert!(
        (m.r() - 0.553).abs() < 5e-4 && (m.s() - 0.606).abs() < 5e-4,
        "{m}"
    );
    // Σ E[Y(39) | history] over the 2,357 customers: 1,666 predicted vs 1,882 actual repeat
    // purchases in weeks 40–78 (independent scipy computation, reported rounded to 1,666).
    let predicted: f64 = m
        .conditional_expected_transactions_batch(summary.data(), 39.0)
        .unwrap()
        .sum();
    assert!((predicted - 1666.0).abs() < 1.0, "{predicted}");
}
