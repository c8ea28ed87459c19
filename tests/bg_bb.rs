//! BG/BB (Fader, Hardie & Shang 2010, *Marketing Science* 29(6)): the published donations
//! estimates with standard errors, the paper's predictions, high-precision vectors from mpmath
//! (`scripts/bg_bb_vectors.py`; relative errors, absolute for a log-likelihood below 1, the
//! gradient in the log-parameters relative to the terms it sums), the analytic gradient against finite differences, parameter
//! recovery from simulation, the opportunities summary of a transaction log and the `fit`
//! example's contract for `--model bgbb`.

mod common;

use clv::data::{Opportunity, TimeFormat, TransactionLog};
use clv::fit::Estimable;
use clv::models::Simulate;
use clv::{BgBb, FitOptions, Model, RfmData};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Relative tolerance against the mpmath vectors.
const VECTOR_RTOL: f64 = 1e-10;

fn donations() -> RfmData {
    RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/donations.csv")).unwrap()
}

fn close(got: f64, want: f64, rtol: f64) -> bool {
    (got - want).abs() <= rtol * want.abs()
}

/// Predictions whose values are subnormal doubles are correctly rounded (within half the spacing
/// `2^-1074` of the nearest multiple): a customer alive with probability 2.47e-323, E[Y(1)] and
/// DERT fractions of that (mpmath at 60 digits, `scripts/bg_bb_subnormal.py`, in units of
/// `2^-1074`). A product of the rounded P(alive) with the rest once carried its rounding.
#[test]
fn predictions_in_the_subnormal_range_are_correctly_rounded() {
    let quantum = f64::from_bits(1);
    let m = BgBb::new(72254.0, 14.27, 490.2, 1.265).unwrap();
    let (x, t_x, n) = (0, 0, 72);
    let mut cases = vec![
        (
            "P(alive)",
            m.probability_alive(x, t_x, n).unwrap(),
            5.0011386351967255,
        ),
        (
            "E[Y(1)]",
            m.conditional_expected_transactions(x, t_x, n, 1).unwrap(),
            0.6495016702884624,
        ),
    ];
    for (d, want) in [
        (0.01, 0.7395810832251265),
        (0.1, 0.6708178170170643),
        (1.0, 0.34763855191359627),
        (10.0, 0.059760481121450534),
    ] {
        let dert = m.discounted_expected_residual_transactions(x, t_x, n, d);
        cases.push(("DERT", dert.unwrap(), want));
    }
    for (what, got, want) in cases {
        let k = got / quantum;
        assert!(
            (k - want).abs() <= 0.5 + 1e-10 * want,
            "{what}: {got:e} is {k} × 2^-1074, the value {want} × 2^-1074"
        );
    }
}

#[test]
fn donations_reproduce_the_published_estimates() {
    let data = donations();
    assert_eq!(data.n_customers(), 11_104.0);
    let fitted = BgBb::fit(&data, &FitOptions::default()).unwrap();
    assert!(fitted.converged(), "{:?}", fitted.status());
    let m = fitted.model();
    // FHS 2010: α = 1.204, β = 0.750, γ = 0.657, δ = 2.783, LL = −33,225.6
    for (got, want) in [
        (m.alpha(), 1.204),
        (m.beta(), 0.750),
        (m.gamma(), 0.657),
        (m.delta(), 2.783),
    ] {
        assert!((got - want).abs() < 5e-4, "{got} vs {want}");
    }
    assert!((fitted.log_likelihood() - -33_225.6).abs() < 0.1);
    // the same through the total log-likelihood
    let ll = m.total_log_likelihood(&data).unwrap();
    assert!((ll - fitted.log_likelihood()).abs() < 1e-6);
    // Asymptotic standard errors (observed information, delta method): 0.069, 0.029, 0.051,
    // 0.321 at the MLE.
    let se = fitted.std_errors().unwrap();
    for (got, want) in se.iter().zip([0.069, 0.029, 0.051, 0.321]) {
        assert!((got / want - 1.0).abs() < 0.03, "SE {got} vs {want}");
    }
    assert_eq!(fitted.n_distinct(), 22);
}

#[test]
fn donations_predictions_match_the_paper() {
    let data = donations();
    let fitted = BgBb::fit(&data, &FitOptions::default()).unwrap();
    let m = fitted.model();
    // FHS 2010, Table 6: P(alive in 2002) for (0, 0), (2, 4), (6, 6) with n = 6
    for (x, t_x, want) in [(0, 0, 0.11), (2, 4, 0.59), (6, 6, 0.93)] {
        let p = m.probability_alive_in(x, t_x, 6, 1).unwrap();
        assert!((p - want).abs() < 0.005, "({x}, {t_x}): {p}");
    }
    // Hardie's BG/BB spreadsheet (note 010): Σ E[X(6, 11) | ·] = 12,884.2; expected
    // calibration counts 3,454.9 donors with x = 0 and 1,253.1 with x = 6.
    let cond = m.conditional_expected_transactions_batch(&data, 5).unwrap();
    let total: f64 = cond.iter().zip(data.weights()).map(|(c, w)| c * w).sum();
    assert!((total - 12_884.2).abs() < 0.1, "{total}");
    let n = data.n_customers();
    assert!((n * m.probability_of_transactions(0, 6).unwrap() - 3_454.9).abs() < 0.1);
    assert!((n * m.probability_of_transactions(6, 6).unwrap() - 1_253.1).abs() < 0.1);
}

#[test]
fn btyd_vignette_values() {
    // BTYD's estimates on the donations data, as its vignette prints them (rounded, so its
    // E[X(10)] and conditional expectations are met to about 1e-5 relative); the DERTs at
    // d = 0.1 computed at these parameters by scripts/bg_bb_vectors.py's formulas.
    let m = BgBb::new(1.203507, 0.7497667, 0.6567568, 2.783887).unwrap();
    assert!((m.expected_transactions(10).unwrap() / 3.179805 - 1.0).abs() < 1e-5);
    let c = m.conditional_expected_transactions(0, 0, 6, 10).unwrap();
    assert!((c / 0.1302169 - 1.0).abs() < 2e-4, "{c}");
    let c = m.conditional_expected_transactions(4, 5, 6, 10).unwrap();
    assert!((c / 3.627858 - 1.0).abs() < 5e-5, "{c}");
    let d = m
        .discounted_expected_residual_transactions(6, 6, 6, 0.1)
        .unwrap();
    assert!((d - 5.909805).abs() < 1e-6, "{d}");
    let d = m
        .discounted_expected_residual_transactions(0, 0, 6, 0.1)
        .unwrap();
    assert!((d - 0.1147667).abs() < 1e-7, "{d}");
}

#[test]
fn predictions_match_mpmath() {
    let rows = common::read_vectors("bg_bb_vectors.csv");
    assert!(rows.len() > 1000, "{} vectors", rows.len());
    // The gradient is compared in the log-parameters, θₖ ∂ℓ/∂θₖ, relative to the size of the
    // terms it sums (`gscale`: where they cancel, as for a likelihood close to 1, the sum is
    // known only to that scale).
    let gradient_scale: std::collections::HashMap<&[String], f64> = rows
        .iter()
        .filter(|r| r[0] == "gscale")
        .map(|r| (&r[1..9], common::num(&r[9])))
        .collect();
    let mut worst: Vec<(String, f64)> = Vec::new();
    for r in &rows {
        let kind = r[0].as_str();
        if kind == "gscale" {
            continue;
        }
        let p: Vec<f64> = r[1..5].iter().map(|s| common::num(s)).collect();
        let [x, t_x, n] = [5, 6, 7].map(|i| r[i].parse::<u32>().unwrap());
        let arg = common::num(&r[8]);
        let want = common::num(&r[9]);
        let m = BgBb::from_params(&p).unwrap();
        let got = match kind {
            "ll" => m.log_likelihood(x, t_x, n).unwrap(),
            "dll_a" | "dll_b" | "dll_g" | "dll_d" => {
                let k = ["dll_a", "dll_b", "dll_g", "dll_d"]
                    .iter()
                    .position(|&s| s == kind)
                    .unwrap();
                m.log_likelihood_gradient(x, t_x, n).unwrap()[k]
            }
            "palive" => m.probability_alive_in(x, t_x, n, arg as u32).unwrap(),
            "cond" => m
                .conditional_expected_transactions(x, t_x, n, arg as u32)
                .unwrap(),
            "dert" => m
                .discounted_expected_residual_transactions(x, t_x, n, arg)
                .unwrap(),
            "ex" => m.expected_transactions(n).unwrap(),
            "pmf" => m.probability_of_transactions(x, n).unwrap(),
            other => panic!("unknown kind {other}"),
        };
        // ln L: absolute below 1 (the relative error of L)
        let err = match kind {
            "ll" => (got - want).abs() / want.abs().max(1.0),
            k if k.starts_with("dll_") => {
                let i = ["dll_a", "dll_b", "dll_g", "dll_d"]
                    .iter()
                    .position(|&s| s == k)
                    .unwrap();
                p[i] * (got - want).abs()
                    / gradient_scale
                        .get(&r[1..9])
                        .copied()
                        .unwrap_or(0.0)
                        .max(p[i] * want.abs())
            }
            _ => (got - want).abs() / want.abs(),
        };
        match worst.iter_mut().find(|(k, _)| k == kind) {
            Some(w) => w.1 = w.1.max(err),
            None => worst.push((kind.to_string(), err)),
        }
        assert!(
            err <= VECTOR_RTOL,
            "{kind} {p:?} ({x}, {t_x}, {n}) arg {arg}: {got} vs {want} (rel {err:e})"
        );
    }
    println!("worst relative errors: {worst:?}");
}

#[test]
fn counts_sum_to_one_and_match_the_mean() {
    for p in [
        [1.2, 0.75, 0.66, 2.78],
        [0.01, 0.01, 5.0, 0.5],
        [50.0, 3.0, 0.2, 40.0],
        [1.0, 1.0, 1.0, 1.0],
    ] {
        let m = BgBb::from_params(&p).unwrap();
        for n in [1u32, 6, 50, 200] {
            let pmf: Vec<f64> = (0..=n)
                .map(|x| m.probability_of_transactions(x, n).unwrap())
                .collect();
            let total: f64 = pmf.iter().sum();
            assert!((total - 1.0).abs() < 1e-12, "{p:?} n = {n}: {total}");
            let mean: f64 = pmf.iter().enumerate().map(|(x, q)| x as f64 * q).sum();
            let ex = m.expected_transactions(n).unwrap();
            assert!(close(mean, ex, 1e-11), "{p:?} n = {n}: {mean} vs {ex}");
            assert_eq!(m.probability_of_transactions(n + 1, n).unwrap(), 0.0);
        }
    }
}

#[test]
fn dert_is_the_discounted_sum_of_expected_transactions() {
    let m = BgBb::new(1.2, 0.75, 0.66, 2.78).unwrap();
    for (x, t_x, n) in [(0, 0, 6), (3, 5, 6), (6, 6, 6), (1, 1, 20)] {
        let d = 0.15;
        let mut sum = 0.0;
        let mut prev = 0.0;
        for s in 1..=400u32 {
            let e = m.conditional_expected_transactions(x, t_x, n, s).unwrap();
            sum += (e - prev) / (1.0f64 + d).powi(s as i32);
            prev = e;
        }
        let dert = m
            .discounted_expected_residual_transactions(x, t_x, n, d)
            .unwrap();
        assert!(close(dert, sum, 1e-9), "({x}, {t_x}, {n}): {dert} vs {sum}");
    }
}

#[test]
fn histories_that_are_not_bgbb_are_refused_with_row_and_field() {
    let m = BgBb::new(1.2, 0.75, 0.66, 2.78).unwrap();
    assert!(m.log_likelihood(3, 2, 6).is_err()); // x > t_x
    assert!(m.probability_alive(1, 7, 6).is_err()); // t_x > n
    assert!(m.conditional_expected_transactions(0, 0, 0, 5).is_err()); // n = 0
    let data = RfmData::new(vec![1.0, 2.0], vec![2.0, 2.5], vec![6.0, 6.0]).unwrap();
    let err = BgBb::fit(&data, &FitOptions::default()).unwrap_err();
    assert!(err.to_string().contains("row 2, field `recency`"), "{err}");
    let data = RfmData::new(vec![3.0], vec![2.0], vec![6.0]).unwrap();
    let err = m.probability_alive_batch(&data).unwrap_err();
    assert!(
        err.to_string().contains("row 1, field `frequency`"),
        "{err}"
    );
    let data = RfmData::new(vec![0.0], vec![0.0], vec![6.5]).unwrap();
    let err = m.total_log_likelihood(&data).unwrap_err();
    assert!(err.to_string().contains("row 1, field `n`"), "{err}");
    // data without a maximum of the likelihood
    for (x, t_x) in [(0.0, 0.0), (6.0, 6.0)] {
        let data = RfmData::new(vec![x, x], vec![t_x, t_x], vec![6.0, 6.0]).unwrap();
        let err = BgBb::fit(&data, &FitOptions::default()).unwrap_err();
        assert!(err.to_string().contains("no maximum"), "{err}");
    }
    assert!(BgBb::new(1.0, f64::NAN, 1.0, 1.0).is_err());
    assert!(BgBb::from_params(&[1.0, 1.0, 1.0]).is_err());
}

#[test]
fn analytic_gradient_matches_finite_differences() {
    let data = donations();
    let rows = BgBb::prepare(&data).unwrap();
    let objective = BgBb::objective(&rows);
    for theta in [
        [1.2, 0.75, 0.66, 2.78],
        [0.3, 2.0, 1.5, 0.4],
        [8.0, 0.2, 0.05, 30.0],
        [1.0, 1.0, 1.0, 1.0],
    ] {
        let mut g = [0.0; 4];
        objective.evaluate(&theta, Some(&mut g)).unwrap();
        for k in 0..4 {
            let h = 1e-6 * theta[k];
            let mut up = theta;
            let mut down = theta;
            up[k] += h;
            down[k] -= h;
            let fd = (objective.evaluate(&up, None).unwrap()
                - objective.evaluate(&down, None).unwrap())
                / (2.0 * h);
            assert!(
                (g[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                "{theta:?} [{k}]: {} vs {fd}",
                g[k]
            );
        }
    }
    // the per-history gradient too, for long histories
    let m = BgBb::new(0.7, 1.3, 0.4, 5.0).unwrap();
    for (x, t_x, n) in [(0, 0, 1000), (10, 400, 1000), (500, 999, 1000)] {
        let g = m.log_likelihood_gradient(x, t_x, n).unwrap();
        let p = m.params();
        for k in 0..4 {
            let h = 1e-6 * p[k];
            let at = |v: f64| {
                let mut q = p.clone();
                q[k] = v;
                BgBb::from_params(&q)
                    .unwrap()
                    .log_likelihood(x, t_x, n)
                    .unwrap()
            };
            let fd = (at(p[k] + h) - at(p[k] - h)) / (2.0 * h);
            assert!(
                (g[k] - fd).abs() < 1e-5 * (1.0 + fd.abs()),
                "[{k}] {} vs {fd}",
                g[k]
            );
        }
    }
}

#[test]
fn parameters_are_recovered_from_simulation() {
    let truth = BgBb::new(1.2, 0.75, 0.66, 2.78).unwrap();
    let mut rng = StdRng::seed_from_u64(2010);
    // 20,000 customers observed for 10 to 20 opportunities
    let design: Vec<u32> = (0..20_000u32).map(|i| 10 + i % 11).collect();
    let sim = truth.simulate(&design, &mut rng).unwrap();
    let fitted = BgBb::fit(&sim.data, &FitOptions::default()).unwrap();
    assert!(fitted.converged(), "{:?}", fitted.status());
    let se = fitted.std_errors().unwrap();
    for ((got, want), se) in fitted.model().params().iter().zip(truth.params()).zip(se) {
        assert!((got / want - 1.0).abs() < 0.10, "{got} vs {want} (SE {se})");
        assert!((got - want).abs() < 3.0 * se, "{got} vs {want} (SE {se})");
    }
    // P(alive) is calibrated: Σ P(alive at n) against the number truly alive
    let p = fitted.model().probability_alive_batch(&sim.data).unwrap();
    let expected: f64 = p.sum();
    let actual = sim.alive.iter().filter(|&&a| a).count() as f64;
    assert!(
        (expected / actual - 1.0).abs() < 0.02,
        "{expected} vs {actual}"
    );
}

#[test]
fn simulation_refuses_bad_designs() {
    let m = BgBb::new(1.2, 0.75, 0.66, 2.78).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    assert!(m.simulate(&[], &mut rng).is_err());
    let err = m.simulate(&[6, 0], &mut rng).unwrap_err();
    assert!(err.to_string().contains("row 2, field `n`"), "{err}");
}

#[test]
fn serde_round_trip_validates() {
    let m = BgBb::new(1.2, 0.75, 0.66, 2.78).unwrap();
    let text = serde_json::to_string(&m).unwrap();
    let back: BgBb = serde_json::from_str(&text).unwrap();
    assert_eq!(back, m);
    assert!(serde_json::from_str::<BgBb>(r#"{"alpha":1,"beta":-1,"gamma":1,"delta":1}"#).is_err());
    assert!(m.to_string().contains("BG/BB"));
}

#[test]
fn a_log_becomes_opportunities() {
    let d = |s: &str| TimeFormat::IsoDate.parse(s).unwrap();
    let log = TransactionLog::new(
        ["a", "a", "a", "b", "b", "c", "c", "c"],
        vec![
            d("2024-01-31"),
            d("2024-02-01"), // next month
            d("2024-02-29"), // same month: one opportunity
            d("2024-03-15"),
            d("2024-06-01"),
            d("2024-01-01"),
            d("2024-04-30"),
            d("2024-07-01"), // after the end: ignored
        ],
        None,
    )
    .unwrap();
    let s = log
        .summarize_opportunities(Opportunity::Month, d("2024-06-30"))
        .unwrap();
    assert_eq!(s.customer_ids(), ["a", "b", "c"]);
    assert_eq!(s.data().frequency(), &[1.0, 1.0, 1.0]);
    assert_eq!(s.data().recency(), &[1.0, 3.0, 3.0]);
    assert_eq!(s.data().age(), &[5.0, 3.0, 5.0]);
    // weeks run Monday to Sunday: 2024-01-07 is a Sunday
    let log = TransactionLog::new(
        ["a", "a", "a"],
        vec![d("2024-01-01"), d("2024-01-07"), d("2024-01-08")],
        None,
    )
    .unwrap();
    let s = log
        .summarize_opportunities(Opportunity::Week, d("2024-01-21"))
        .unwrap();
    assert_eq!(s.data().frequency(), &[1.0]);
    assert_eq!(s.data().recency(), &[1.0]);
    assert_eq!(s.data().age(), &[2.0]);
    // the holdout counts periods with a purchase after the calibration end
    let split = log
        .opportunities_holdout(Opportunity::Day, d("2024-01-07"), Some(d("2024-01-10")))
        .unwrap();
    assert_eq!(split.calibration().frequency(), &[1.0]);
    assert_eq!(split.calibration().age(), &[6.0]);
    assert_eq!(split.holdout_transactions(), &[1.0]);
    assert_eq!(split.holdout_duration(), 3.0);
    assert!(
        log.summarize_opportunities(Opportunity::Year, f64::NAN)
            .is_err()
    );
    // every summary is a BG/BB history
    let m = BgBb::new(1.0, 1.0, 1.0, 1.0).unwrap();
    assert!(m.total_log_likelihood(s.data()).is_ok());
}

fn run(args: &[&str]) -> std::process::Output {
    common::run_fit(args)
}

#[test]
fn fit_example_bgbb_contract() {
    let pred = common::tmp("bgbb_predictions.csv");
    let save = common::tmp("bgbb_fit.json");
    let out = run(&[
        "--model",
        "bgbb",
        "--input",
        "data/donations.csv",
        "--predictions",
        pred.to_str().unwrap(),
        "--save",
        save.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["model"], "bgbb");
    for k in ["alpha", "beta", "gamma", "delta"] {
        assert!(
            v["params"][k].is_f64() && v["std_errors"][k].is_f64(),
            "{k}: {v}"
        );
    }
    assert!((v["params"]["delta"].as_f64().unwrap() - 2.783).abs() < 5e-4);
    assert!((v["log_likelihood"].as_f64().unwrap() - -33_225.6).abs() < 0.1);
    assert_eq!(v["converged"], true);
    assert_eq!(v["status"], "converged");
    assert_eq!(v["n_customers"], 11_104);
    assert_eq!(v["n_distinct"], 22);
    assert!(v["iterations"].as_u64().unwrap() > 0);
    let text = std::fs::read_to_string(&pred).unwrap();
    let rows = common::prediction_rows(&pred);
    assert_eq!(rows.len(), 22); // one per input row
    // row 1 is (0, 0, 6): E[X(6, 11) | 0, 0, 6] over the default horizon of 5
    let m = BgBb::new(
        v["params"]["alpha"].as_f64().unwrap(),
        v["params"]["beta"].as_f64().unwrap(),
        v["params"]["gamma"].as_f64().unwrap(),
        v["params"]["delta"].as_f64().unwrap(),
    )
    .unwrap();
    assert_eq!(rows[0].0, m.probability_alive(0, 0, 6).unwrap());
    assert_eq!(
        rows[0].1,
        m.conditional_expected_transactions(0, 0, 6, 5).unwrap()
    );

    // --params predicts with the saved fit: the same predictions
    let pred2 = common::tmp("bgbb_predictions2.csv");
    let out = run(&[
        "--model",
        "bgbb",
        "--input",
        "data/donations.csv",
        "--params",
        save.to_str().unwrap(),
        "--predictions",
        pred2.to_str().unwrap(),
    ]);
    let v2 = common::json_of(&out);
    assert_eq!(v2["params"], v["params"]);
    assert_eq!(v2["n_customers"], 11_104);
    assert_eq!(std::fs::read_to_string(&pred2).unwrap(), text);
}

#[test]
fn fit_example_bgbb_bad_input() {
    let bad = common::tmp("bgbb_bad.csv");
    std::fs::write(&bad, "frequency,recency,n\n1,2,6\n\n3,2,6\n").unwrap();
    let out = run(&["--model", "bgbb", "--input", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("row 4, field `frequency`"), "{err}");
    for args in [&["--horizon", "2.5"][..], &["--time-unit", "fortnight"][..]] {
        let mut all = vec!["--model", "bgbb", "--input", "data/donations.csv"];
        all.extend_from_slice(args);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim().lines().count(),
            1
        );
    }
}

#[test]
fn fit_example_bgbb_from_transactions() {
    let log = common::tmp("bgbb_log.csv");
    let mut text = String::from("customer_id,date\n");
    // 40 donors, first gift in 2010, one gift in some of the years 2011..2017
    for c in 0..40u32 {
        text.push_str(&format!("d{c},2010-0{}-15\n", 1 + c % 9));
        for y in 2011..2018u32 {
            if (c * 7 + y * 3) % (2 + c % 5) == 0 {
                text.push_str(&format!("d{c},{y}-03-01\nd{c},{y}-11-30\n"));
            }
        }
    }
    std::fs::write(&log, text).unwrap();
    let pred = common::tmp("bgbb_log_predictions.csv");
    let out = run(&[
        "--model",
        "bgbb",
        "--transactions",
        log.to_str().unwrap(),
        "--calibration-end",
        "2015-12-31",
        "--time-unit",
        "year",
        "--predictions",
        pred.to_str().unwrap(),
    ]);
    let v = common::json_of(&out);
    assert_eq!(v["n_customers"], 40);
    assert_eq!(v["holdout"]["duration"], 2.0);
    assert!(v["holdout"]["predicted"].as_f64().unwrap() > 0.0);
    let text = std::fs::read_to_string(&pred).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("probability_alive,expected_transactions,customer_id")
    );
    assert_eq!(text.lines().count(), 41);
}
