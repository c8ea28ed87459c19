//! The `fit` example with `--transactions`: run the built binary on the CDNOW log as CSV.

mod common;

use std::process::Output;

use serde_json::Value;

fn run(args: &[&str]) -> Output {
    common::run_fit(args)
}

#[test]
fn transactions_flag_adds_the_holdout_check() {
    let csv = common::cdnow_log_csv();
    let out = run(&[
        "--model",
        "bgnbd",
        "--transactions",
        csv.to_str().unwrap(),
        "--calibration-end",
        "1997-09-30",
    ]);
    let json = common::json_of(&out);
    // existing keys stay
    for key in [
        "model",
        "params",
        "std_errors",
        "log_likelihood",
        "converged",
        "n_customers",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    let h = &json["holdout"];
    // scripts/reference_values.py (`cdnow_holdout_repeat_total`, `bgnbd_exact_conditional_weeks_40_78`): actual 1882, BG/NBD conditional 1653 (±2)
    assert_eq!(h["actual"], 1882);
    assert!((h["predicted"].as_f64().unwrap() - 1653.0).abs() <= 2.0);
    assert_eq!(h["n_customers"], 2357);
    assert!(h["mae"].as_f64().unwrap() > 0.0);
    // an explicit holdout end equal to the last date gives the same numbers
    let out2 = run(&[
        "--model",
        "bgnbd",
        "--transactions",
        csv.to_str().unwrap(),
        "--calibration-end",
        "1997-09-30",
        "--holdout-end",
        "1998-06-30",
        "--time-unit",
        "week",
    ]);
    let json2: Value = serde_json::from_slice(&out2.stdout).unwrap();
    assert_eq!(json2["holdout"]["actual"], 1882);
}

#[test]
fn transactions_flag_errors_exit_2() {
    let csv = common::cdnow_log_csv();
    let p = csv.to_str().unwrap();
    for args in [
        vec!["--model", "bgnbd", "--transactions", p],
        vec![
            "--model",
            "bgnbd",
            "--transactions",
            p,
            "--calibration-end",
            "30/09/1997",
        ],
        vec![
            "--model",
            "bgnbd",
            "--transactions",
            p,
            "--calibration-end",
            "1996-12-31",
        ],
        vec![
            "--model",
            "bgnbd",
            "--transactions",
            p,
            "--calibration-end",
            "1997-09-30",
            "--time-unit",
            "month",
        ],
        vec!["--model", "bgnbd", "--input", p, "--transactions", p],
        vec![
            "--model",
            "bgnbd",
            "--input",
            p,
            "--calibration-end",
            "1997-09-30",
        ],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(!out.stderr.is_empty());
    }
}
