//! MBG/NBD (Batislam, Denizel & Filiztekin 2007, with the Wagner & Hoppe 2008 erratum) against
//! its reference estimates on CDNOW, mpmath (`scripts/mbg_nbd_vectors.py`), the paper's closed
//! forms, its own identities, simulation and the `fit` example.

mod common;
use common::cdnow;
#[path = "properties/support.rs"]
#[allow(dead_code)]
mod support;

use approx::assert_relative_eq;
use clv::models::Simulate;
use clv::special::hyp2f1;
use clv::value::dert_numerical;
use clv::{
    BgNbd, Customer, FitOptions, Fitted, MbgNbd, Model, Objective, RfmData, TransactionModel,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The MLE on the shipped CDNOW summary as lifetimes 0.11.3 (`ModifiedBetaGeoFitter`, which
/// implements the erratum) reports it: r, α, a, b and the log-likelihood.
const LIFETIMES: ([f64; 4], f64) = ([0.5248, 6.1830, 0.8914, 1.6140], -9582.13);

fn reference() -> MbgNbd {
    MbgNbd::from_params(&LIFETIMES.0).unwrap()
}

/// `(H⁻¹)ᵢᵢ^½` for the Hessian `H` of the negative total log-likelihood, by central differences
/// of the analytic gradient (step 1e-5 relative) and Gauss–Jordan elimination.
fn standard_errors(objective: &dyn Objective, theta: &[f64; 4]) -> [f64; 4] {
    let grad = |th: &[f64; 4]| {
        let mut g = [0.0; 4];
        objective.log_likelihood(th, Some(&mut g));
        g
    };
    // raw[j][i] = −∂g_i/∂θ_j; h = its symmetric part, augmented by the identity.
    let raw: [[f64; 4]; 4] = std::array::from_fn(|j| {
        let step = 1e-5 * theta[j];
        let (mut up, mut dn) = (*theta, *theta);
        up[j] += step;
        dn[j] -= step;
        let (gu, gd) = (grad(&up), grad(&dn));
        std::array::from_fn(|i| -(gu[i] - gd[i]) / (2.0 * step))
    });
    let mut h: [[f64; 8]; 4] = std::array::from_fn(|i| {
        std::array::from_fn(|j| match j {
            0..4 => 0.5 * (raw[i][j] + raw[j][i]),
            _ => f64::from(u8::from(j - 4 == i)),
        })
    });
    for col in 0..4 {
        let pivot = h[col][col];
        assert!(pivot > 0.0, "Hessian not positive definite");
        for v in h[col].iter_mut() {
            *v /= pivot;
        }
        for row in 0..4 {
            if row != col {
                let f = h[row][col];
                let pivot_row = h[col];
                for (v, p) in h[row].iter_mut().zip(pivot_row) {
                    *v -= f * p;
                }
            }
        }
    }
    std::array::from_fn(|i| h[i][4 + i].sqrt())
}

#[test]
fn cdnow_fit_reproduces_the_reference_estimates_with_standard_errors() {
    let data = cdnow();
    let fitted = MbgNbd::fit(&data, &FitOptions::default()).unwrap();
    assert!(fitted.converged());
    let p = fitted.model().params();
    for (got, want) in p.iter().zip(LIFETIMES.0) {
        assert!((got - want).abs() < 5e-4, "{p:?}");
    }
    assert!(
        (fitted.log_likelihood() - LIFETIMES.1).abs() < 0.01,
        "{}",
        fitted.log_likelihood()
    );
    // At least as good as the reference point.
    assert!(fitted.log_likelihood() >= reference().total_log_likelihood(&data) - 1e-9);
    // Standard errors: the fit's against an independent inverse of the finite-difference
    // Hessian at the estimate.
    let se = fitted.std_errors().unwrap();
    let theta: [f64; 4] = std::array::from_fn(|i| p[i]);
    let want = standard_errors(&MbgNbd::objective(&data), &theta);
    for k in 0..4 {
        assert_relative_eq!(se[k], want[k], max_relative = 1e-3);
    }
    println!(
        "MBG/NBD on CDNOW: {p:?}, SE {se:?}, LL {}",
        fitted.log_likelihood()
    );
    assert!(fitted.model().to_string().contains("MBG/NBD"));
}

#[test]
fn reference_gradient_on_cdnow() {
    // The gradient of Σℓ at (0.5, 3, 1.2, 2.5) on the CDNOW summary, from the likelihood of
    // lifetimes' `modified_beta_geo_fitter.py` differentiated.
    let data = cdnow();
    let mut g = [0.0; 4];
    MbgNbd::objective(&data).log_likelihood(&[0.5, 3.0, 1.2, 2.5], Some(&mut g));
    for (got, want) in g.iter().zip([-630.83281, 78.66278, 114.77417, -53.53570]) {
        assert!((got - want).abs() < 1e-4, "{g:?}");
    }
}

#[test]
fn analytic_gradient_matches_central_differences() {
    // The property tests' check (`support::likelihood_and_gradient`: the total against the sum
    // of the customers' log-likelihoods, both gradients against Richardson differences) on
    // CDNOW at the estimate and on extreme customers at extreme parameters.
    let history = |c: Customer| support::History {
        x: c.frequency(),
        t_x: c.recency(),
        t: c.age(),
    };
    let cdnow_rows: Vec<_> = cdnow().customers().map(|c| (history(c), 1.0)).collect();
    let extreme_rows: Vec<_> = [
        (0.0, 0.0, 38.86),
        (1.0, 38.86, 38.86),
        (300.0, 10.0, 500.0),
        (10_000.0, 900.0, 1000.0),
    ]
    .iter()
    .map(|&(x, t_x, t)| (support::History { x, t_x, t }, 2.0))
    .collect();
    for (theta, rows) in [
        (LIFETIMES.0, &cdnow_rows),
        ([2.0, 0.5, 3.0, 0.2], &extreme_rows),
        ([0.01, 100.0, 0.05, 50.0], &extreme_rows),
        ([1e3, 1e3, 1e-3, 1e5], &extreme_rows),
    ] {
        let [r, alpha, a, b] = theta;
        // Bound on the size of the terms a customer's log-likelihood sums.
        let scale = |h: &support::History| {
            let n = r + h.x;
            support::ln_gamma_mag(n)
                + support::ln_gamma_mag(a + b + h.x + 1.0)
                + support::ln_gamma_mag(b + h.x + 1.0)
                + n * (alpha + h.t).ln().abs()
                + r * alpha.ln().abs()
                + 10.0
        };
        support::likelihood_and_gradient::<MbgNbd>(
            &MbgNbd::objective(&support::rfm_data(rows)),
            &theta,
            rows,
            scale,
        )
        .unwrap();
    }
}

/// `|got − want|` relative to `scale` (absolute below 1e-300, where the reference underflows
/// f64 and carries no relative precision there).
fn error_on(got: f64, want: f64, scale: f64) -> f64 {
    let d = (got - want).abs();
    if scale < 1e-300 { d } else { d / scale }
}

/// [`error_on`] the scale of the reference itself.
fn rel(got: f64, want: f64) -> f64 {
    error_on(got, want, want.abs())
}

#[test]
fn predictions_match_mpmath() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/mbg_nbd_vectors.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let kinds = [
        "p_alive", "cond", "uncond", "pmf", "ll", "g_r", "g_alpha", "g_a", "g_b", "dert",
    ];
    let mut worst: Vec<(f64, String, usize)> =
        kinds.iter().map(|_| (0.0, String::new(), 0)).collect();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        let (r, alpha, a, b, x, t_x, big_t, t) = (
            num(2),
            num(3),
            num(4),
            num(5),
            num(6),
            num(7),
            num(8),
            num(9),
        );
        let n: u32 = f[10].parse().unwrap();
        let (p_alive, want) = (num(11), num(12));
        let m = MbgNbd::new(r, alpha, a, b).unwrap();
        let c = Customer::new(x, t_x, big_t).unwrap();
        let grad = |k: usize| {
            // The gradient's error is measured against the scale of its terms (they cancel
            // near an optimum).
            let scale = num(13 + k);
            Ok(error_on(
                m.log_likelihood_gradient(&c)[k],
                want,
                scale.max(want.abs()),
            ))
        };
        let (kind, err) = match f[1] {
            "cond" => (
                "cond",
                m.conditional_expected_transactions(&c, t)
                    .map(|v| rel(v, want)),
            ),
            "uncond" => ("uncond", m.expected_transactions(t).map(|v| rel(v, want))),
            "pmf" => (
                "pmf",
                m.probability_of_transactions(n, t).map(|v| rel(v, want)),
            ),
            "ll" => ("ll", Ok(rel(m.log_likelihood(&c), want))),
            "dert" => (
                "dert",
                m.discounted_expected_residual_transactions(&c, t)
                    .map(|v| rel(v, want)),
            ),
            "g_r" => ("g_r", grad(0)),
            "g_alpha" => ("g_alpha", grad(1)),
            "g_a" => ("g_a", grad(2)),
            "g_b" => ("g_b", grad(3)),
            other => panic!("unknown kind {other}"),
        };
        for (k, e) in [
            ("p_alive", Ok(rel(m.probability_alive(&c), p_alive))),
            (kind, err),
        ] {
            let i = kinds.iter().position(|q| *q == k).unwrap();
            let e = e.unwrap_or(f64::INFINITY);
            worst[i].2 += 1;
            if e > worst[i].0 || e.is_nan() {
                worst[i].0 = e;
                worst[i].1 = line.to_string();
            }
        }
    }
    for (k, (e, at, count)) in kinds.iter().zip(&worst) {
        println!("{k}: {count} points, worst relative error {e:.3e} at {at}");
    }
    for (k, (e, at, count)) in kinds.iter().zip(&worst) {
        assert!(*count > 0, "{k}: no reference values");
        assert!(*e < 1e-10, "{k}: worst relative error {e:.3e} at {at}");
    }
}

#[test]
fn predictions_match_the_closed_forms_of_the_paper() {
    // Batislam et al. (2007) with the erratum of Wagner & Hoppe (2008), through clv::special's
    // 2F1 at moderate parameters (a far from 1).
    for m in [reference(), MbgNbd::new(2.0, 3.0, 2.5, 4.0).unwrap()] {
        let (r, alpha, a, b) = (m.r(), m.alpha(), m.a(), m.b());
        for t in [1.0, 39.0, 78.0] {
            let z = t / (alpha + t);
            let want = b / (a - 1.0)
                * (1.0 - (alpha / (alpha + t)).powf(r) * hyp2f1(r, b + 1.0, a + b, z).unwrap());
            assert_relative_eq!(
                m.expected_transactions(t).unwrap(),
                want,
                max_relative = 1e-11
            );
            for (x, t_x, big_t) in [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (7.0, 20.0, 38.0)] {
                let c = Customer::new(x, t_x, big_t).unwrap();
                let z = t / (alpha + big_t + t);
                let p_alive =
                    1.0 / (1.0 + a / (b + x) * ((alpha + big_t) / (alpha + t_x)).powf(r + x));
                assert_relative_eq!(m.probability_alive(&c), p_alive, max_relative = 1e-13);
                let want = (a + b + x) / (a - 1.0)
                    * (1.0
                        - ((alpha + big_t) / (alpha + big_t + t)).powf(r + x)
                            * hyp2f1(r + x, b + x + 1.0, a + b + x, z).unwrap())
                    * p_alive;
                assert_relative_eq!(
                    m.conditional_expected_transactions(&c, t).unwrap(),
                    want,
                    max_relative = 1e-10
                );
            }
        }
    }
}

#[test]
fn dropout_at_time_zero_is_what_separates_it_from_the_bg_nbd() {
    let (mbg, bg) = (reference(), BgNbd::from_params(&LIFETIMES.0).unwrap());
    // A customer without repeat purchases: alive for sure under the BG/NBD, not here.
    let c = Customer::new(0.0, 0.0, 38.86).unwrap();
    assert_eq!(bg.probability_alive(&c), 1.0);
    let (a, b) = (mbg.a(), mbg.b());
    assert!(mbg.probability_alive(&c) < b / (a + b));
    // At T = 0 the probability alive is that of surviving time 0.
    let c0 = Customer::new(0.0, 0.0, 1e-300).unwrap();
    assert_relative_eq!(
        mbg.probability_alive(&c0),
        b / (a + b),
        max_relative = 1e-14
    );
    // Given alive, the posterior is the BG/NBD's with b + 1: E[Y | alive] agrees.
    let bg1 = BgNbd::new(mbg.r(), mbg.alpha(), a, b + 1.0).unwrap();
    for (x, t_x, big_t) in [(2.0, 30.43, 38.86), (10.0, 35.0, 38.86)] {
        let c = Customer::new(x, t_x, big_t).unwrap();
        let alive_mbg =
            mbg.conditional_expected_transactions(&c, 39.0).unwrap() / mbg.probability_alive(&c);
        let alive_bg =
            bg1.conditional_expected_transactions(&c, 39.0).unwrap() / bg1.probability_alive(&c);
        assert_relative_eq!(alive_mbg, alive_bg, max_relative = 1e-14);
    }
}

#[test]
fn dert_is_the_discounted_conditional_expectation() {
    let m = reference();
    for (x, t_x, big_t) in [
        (0.0, 0.0, 38.86),
        (2.0, 30.43, 38.86),
        (10.0, 35.0, 38.86),
        (10_000.0, 900.0, 1000.0),
    ] {
        let c = Customer::new(x, t_x, big_t).unwrap();
        for delta in [0.00288, 0.05, 1.0] {
            let closed = m
                .discounted_expected_residual_transactions(&c, delta)
                .unwrap();
            let numerical = dert_numerical(&m, &c, delta).unwrap();
            assert_relative_eq!(closed, numerical, max_relative = 1e-9);
        }
    }
    let data = cdnow();
    let batch = m
        .discounted_expected_residual_transactions_batch(&data, 0.00288)
        .unwrap();
    for (i, c) in data.customers().enumerate().step_by(113) {
        assert_eq!(
            batch[i],
            m.discounted_expected_residual_transactions(&c, 0.00288)
                .unwrap()
        );
    }
}

#[test]
fn pmf_sums_to_one_and_its_mean_is_the_expectation() {
    // The property tests' check (`support::pmf_sums_to_one`) at fixed points.
    for m in [
        reference(),
        MbgNbd::new(2.0, 1.0, 3.0, 0.3).unwrap(),
        MbgNbd::new(0.5, 10.0, 1.0, 1.0).unwrap(),
    ] {
        for t in [1.0, 39.0, 200.0] {
            support::pmf_sums_to_one(&m, m.r(), m.alpha(), t).unwrap();
        }
        assert_eq!(m.probability_of_transactions(0, 0.0).unwrap(), 1.0);
        assert_eq!(m.probability_of_transactions(3, 0.0).unwrap(), 0.0);
    }
}

#[test]
fn predictions_reject_bad_input() {
    let m = reference();
    let c = Customer::new(1.0, 1.0, 2.0).unwrap();
    for t in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(m.expected_transactions(t).is_err());
        assert!(m.conditional_expected_transactions(&c, t).is_err());
        assert!(m.probability_of_transactions(1, t).is_err());
        assert!(m.discounted_expected_residual_transactions(&c, t).is_err());
    }
    assert!(
        m.discounted_expected_residual_transactions(&c, 0.0)
            .is_err()
    );
    assert!(
        MbgNbd::new(0.0, 1.0, 1.0, 1.0)
            .unwrap_err()
            .to_string()
            .contains("`r`")
    );
    assert!(MbgNbd::new(1.0, f64::NAN, 1.0, 1.0).is_err());
    assert!(MbgNbd::from_params(&[1.0, 2.0, 3.0]).is_err());
    // No repeat purchases at all: nothing to fit.
    let none = RfmData::new(vec![0.0, 0.0], vec![0.0, 0.0], vec![3.0, 5.0]).unwrap();
    assert!(MbgNbd::fit(&none, &FitOptions::default()).is_err());
}

#[test]
fn parameter_recovery_from_simulated_customers() {
    // 20,000 customers observed for 1.5 to 3 years (weeks): long enough for the dropout
    // parameters to be determined to a few percent (over CDNOW's 27 to 39 weeks the standard
    // error of b alone is ~14% at this size).
    let truth = reference();
    let ages: Vec<f64> = (0..20_000)
        .map(|i| 78.0 + 78.0 * (i as f64 + 0.5) / 20_000.0)
        .collect();
    let sim = truth
        .simulate(&ages, &mut StdRng::seed_from_u64(2025))
        .unwrap();
    let fitted = MbgNbd::fit(&sim.data, &FitOptions::default()).unwrap();
    assert!(fitted.converged());
    let se = fitted.std_errors().unwrap().to_vec();
    for (k, name) in MbgNbd::PARAM_NAMES.iter().enumerate() {
        let (got, want) = (fitted.model().params()[k], truth.params()[k]);
        println!("{name}: {got} (SE {}) vs {want}", se[k]);
        assert!((got / want - 1.0).abs() < 0.10, "{name}: {got} vs {want}");
        assert!(
            (got - want).abs() < 3.0 * se[k],
            "{name}: {got} ± {} vs {want}",
            se[k]
        );
    }
    // P(alive) sums to the number truly alive (customers dead at time 0 included): at the true
    // parameters within 4 standard deviations of the sum of the Bernoulli indicators, at the
    // estimate within 3%.
    let alive = sim.alive.iter().filter(|a| **a).count() as f64;
    let p = truth.probability_alive_batch(&sim.data);
    let sd = p.iter().map(|p| p * (1.0 - p)).sum::<f64>().sqrt();
    assert!(
        (p.sum() - alive).abs() < 4.0 * sd,
        "{} vs {alive} (sd {sd})",
        p.sum()
    );
    let expected_alive: f64 = fitted.model().probability_alive_batch(&sim.data).sum();
    assert!(
        (expected_alive / alive - 1.0).abs() < 0.03,
        "{expected_alive} vs {alive}"
    );
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_validates() {
    let m = reference();
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, r#"{"r":0.5248,"alpha":6.183,"a":0.8914,"b":1.614}"#);
    let back: MbgNbd = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
    assert!(serde_json::from_str::<MbgNbd>(r#"{"r":0.5,"alpha":6.1,"a":-1,"b":1.6}"#).is_err());
    let s = m.to_string();
    assert!(
        s.contains("Gamma(r = 0.5248, α = 6.183)") && s.contains("Beta(a = 0.8914, b = 1.614)"),
        "{s}"
    );
}

// The `fit` example (a contract: flags, JSON keys, CSV columns).

fn fit_ok(args: &[&str]) -> serde_json::Value {
    let out = common::run_fit(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "one JSON object: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn fit_example_json_predictions_save_and_params() {
    let predictions = common::tmp("mbgnbd_predictions.csv");
    let saved = common::tmp("mbgnbd_fit.json");
    let v = fit_ok(&[
        "--model",
        "mbgnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--horizon",
        "39",
        "--predictions",
        predictions.to_str().unwrap(),
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(v["model"], "mbgnbd");
    for (k, want) in ["r", "alpha", "a", "b"].iter().zip(LIFETIMES.0) {
        assert!(v["std_errors"][k].is_f64(), "{k}: {v}");
        assert!(
            (v["params"][k].as_f64().unwrap() - want).abs() < 5e-4,
            "{k}: {v}"
        );
    }
    assert!((v["log_likelihood"].as_f64().unwrap() - LIFETIMES.1).abs() < 0.01);
    assert_eq!(v["converged"], true);
    assert_eq!(v["status"], "converged");
    assert!(v["iterations"].as_u64().unwrap() > 0);
    assert_eq!(v["n_customers"], 2357);
    assert!(v["n_distinct"].as_u64().unwrap() < 2357);

    // Every row, in input order, is the saved model's prediction for that customer.
    let fitted: Fitted<MbgNbd> =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(
        fitted.log_likelihood(),
        v["log_likelihood"].as_f64().unwrap()
    );
    let m = fitted.model();
    let text = std::fs::read_to_string(&predictions).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    assert_eq!(header, "probability_alive,expected_transactions");
    let data = cdnow();
    assert_eq!(body.lines().count(), data.len());
    for (line, c) in body.lines().zip(data.customers()) {
        let want = [
            m.probability_alive(&c),
            m.conditional_expected_transactions(&c, 39.0).unwrap(),
        ];
        for (field, want) in line.split(',').zip(want) {
            assert_relative_eq!(field.parse::<f64>().unwrap(), want, max_relative = 1e-15);
        }
    }

    // --params: the same predictions without fitting.
    let again = common::tmp("mbgnbd_params.csv");
    let p = fit_ok(&[
        "--model",
        "mbgnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--params",
        saved.to_str().unwrap(),
        "--predictions",
        again.to_str().unwrap(),
    ]);
    assert_eq!(p["model"], "mbgnbd");
    assert_eq!(p["params"], v["params"]);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
}

#[test]
fn fit_example_with_transactions() {
    let log = common::tmp("mbgnbd_log.csv");
    std::fs::write(
        &log,
        "customer_id,date\n\
         1,2020-01-01\n1,2020-01-15\n1,2020-03-01\n1,2020-05-01\n\
         2,2020-01-03\n2,2020-04-10\n\
         3,2020-01-05\n\
         4,2020-01-10\n4,2020-01-20\n4,2020-02-20\n4,2020-06-01\n\
         5,2020-02-01\n5,2020-02-02\n\
         6,2020-02-03\n",
    )
    .unwrap();
    let predictions = common::tmp("mbgnbd_tx_predictions.csv");
    let out = common::run_fit(&[
        "--model",
        "mbgnbd",
        "--transactions",
        log.to_str().unwrap(),
        "--calibration-end",
        "2020-04-30",
        "--predictions",
        predictions.to_str().unwrap(),
    ]);
    // Six customers may or may not determine four parameters; either way the contract holds.
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["model"], "mbgnbd");
    assert_eq!(v["holdout"]["n_customers"], 6);
    assert_eq!(v["holdout"]["actual"], 2);
    let text = std::fs::read_to_string(&predictions).unwrap();
    assert!(
        text.lines()
            .next()
            .is_some_and(|h| h.starts_with("probability_alive,expected_transactions")
                && h.contains("customer_id")),
        "{text}"
    );
    assert_eq!(text.lines().count(), 7);

    let out = common::run_fit(&["--model", "nonsense", "--input", "x.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mbgnbd"));
}
