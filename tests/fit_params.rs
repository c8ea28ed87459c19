//! `fit --save FIT.json` writes the serialised fit; `fit --params FIT.json` predicts with those
//! parameters without fitting, and reproduces the fitted run's predictions exactly.

mod common;

use std::path::Path;

use clv::{BgNbd, Fitted, GammaGamma, ParetoNbd, Sbg};

fn ok(args: &[&str]) -> serde_json::Value {
    let out = common::run_fit(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refused(args: &[&str]) -> String {
    let out = common::run_fit(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    stderr
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Fits with `--save`, then predicts with `--params` from the saved fit and from the printed
/// JSON: the predictions are identical byte for byte.
fn save_then_params(model: &str, input: &[&str]) -> (serde_json::Value, String) {
    let tag = format!("{model}_{}", input.len());
    let saved = common::tmp(&format!("{tag}_fit.json"));
    let printed = common::tmp(&format!("{tag}_printed.json"));
    let fitted_csv = common::tmp(&format!("{tag}_fitted.csv"));
    let from_saved_csv = common::tmp(&format!("{tag}_saved.csv"));
    let from_printed_csv = common::tmp(&format!("{tag}_printed.csv"));
    let with = |extra: &[&str]| {
        let mut a = vec!["--model", model];
        a.extend_from_slice(input);
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let args = with(&[
        "--save",
        saved.to_str().unwrap(),
        "--predictions",
        fitted_csv.to_str().unwrap(),
    ]);
    let fit = ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    std::fs::write(&printed, fit.to_string()).unwrap();
    for (params, csv) in [(&saved, &from_saved_csv), (&printed, &from_printed_csv)] {
        let args = with(&[
            "--params",
            params.to_str().unwrap(),
            "--predictions",
            csv.to_str().unwrap(),
        ]);
        let v = ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(v["model"], model);
        assert_eq!(v["params"], fit["params"]);
        assert_eq!(v["n_customers"], fit["n_customers"]);
        assert_eq!(v["n_distinct"], fit["n_distinct"]);
        assert!(v.get("log_likelihood").is_none());
        assert_eq!(read(csv), read(&fitted_csv));
    }
    (fit, read(&saved))
}

#[test]
fn bgnbd_save_then_params_reproduces_the_predictions() {
    let (fit, saved) = save_then_params("bgnbd", &["--input", "data/cdnow_customers_summary.csv"]);
    let fitted: Fitted<BgNbd> = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        fitted.log_likelihood(),
        fit["log_likelihood"].as_f64().unwrap()
    );
    assert_eq!(fitted.status().as_str(), fit["status"]);
    assert_eq!(fitted.iterations(), fit["iterations"].as_u64().unwrap());
}

#[test]
fn pnbd_save_then_params_reproduces_the_predictions() {
    let (_, saved) = save_then_params("pnbd", &["--input", "data/cdnow_customers_summary.csv"]);
    let fitted: Fitted<ParetoNbd> = serde_json::from_str(&saved).unwrap();
    assert!(fitted.converged());
}

#[test]
fn sbg_and_gg_save_then_params_reproduce_the_predictions() {
    let cohorts = common::tmp("params_cohorts.csv");
    std::fs::write(
        &cohorts,
        "period,alive\n0,1000\n1,631\n2,468\n3,382\n4,326\n5,289\n6,262\n7,241\n",
    )
    .unwrap();
    let (_, saved) = save_then_params("sbg", &["--input", cohorts.to_str().unwrap()]);
    let _: Fitted<Sbg> = serde_json::from_str(&saved).unwrap();
    let spend = common::tmp("params_spend.csv");
    let mut text = String::from("frequency,monetary_value\n");
    for (x, m) in [
        (1, 20.0),
        (2, 35.5),
        (3, 41.0),
        (1, 12.0),
        (4, 28.0),
        (2, 55.0),
    ] {
        text.push_str(&format!("{x},{m}\n"));
    }
    text.push_str("0,0\n1,30\n5,33.3\n2,18\n");
    std::fs::write(&spend, text).unwrap();
    let (_, saved) = save_then_params("gg", &["--input", spend.to_str().unwrap()]);
    let _: Fitted<GammaGamma> = serde_json::from_str(&saved).unwrap();
}

#[test]
fn params_with_transactions_predicts_the_calibration_summary() {
    let log = common::tmp("params_log.csv");
    let mut text = String::from("customer_id,date\n");
    for (id, dates) in [
        (
            "a",
            &["2024-01-01", "2024-01-20", "2024-03-01", "2024-05-01"][..],
        ),
        ("b", &["2024-01-03", "2024-02-10"]),
        ("c", &["2024-01-05"]),
        (
            "d",
            &["2024-01-09", "2024-01-30", "2024-02-28", "2024-04-15"],
        ),
        ("e", &["2024-01-10", "2024-04-01"]),
    ] {
        for d in dates {
            text.push_str(&format!("{id},{d}\n"));
        }
    }
    std::fs::write(&log, text).unwrap();
    let params = common::tmp("params_given.json");
    std::fs::write(
        &params,
        r#"{"params": {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}}"#,
    )
    .unwrap();
    let csv = common::tmp("params_log_predictions.csv");
    let v = ok(&[
        "--model",
        "bgnbd",
        "--transactions",
        log.to_str().unwrap(),
        "--calibration-end",
        "2024-02-15",
        "--params",
        params.to_str().unwrap(),
        "--predictions",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(v["params"]["alpha"], 4.0);
    assert!(v["holdout"]["predicted"].as_f64().unwrap() > 0.0);
    let header = read(&csv).lines().next().unwrap().to_string();
    assert_eq!(
        header,
        "probability_alive,expected_transactions,customer_id"
    );
}

#[test]
fn bad_params_files_are_refused_naming_the_flag() {
    let input = ["--input", "data/cdnow_customers_summary.csv"];
    let cases = [
        ("not_json", "{r: 1", "not JSON"),
        ("no_params", r#"{"model": "bgnbd"}"#, "no \"params\""),
        (
            "other_model",
            r#"{"model": "pnbd", "params": {"r": 1, "alpha": 1, "s": 1, "beta": 1}}"#,
            "model \"pnbd\"",
        ),
        (
            "missing",
            r#"{"params": {"r": 1, "alpha": 1, "a": 1}}"#,
            "lacks \"b\"",
        ),
        (
            "unknown",
            r#"{"params": {"r": 1, "alpha": 1, "a": 1, "b": 1, "s": 2}}"#,
            "\"s\"",
        ),
        (
            "text",
            r#"{"params": {"r": "x", "alpha": 1, "a": 1, "b": 1}}"#,
            "not a number",
        ),
        (
            "negative",
            r#"{"params": {"r": -1, "alpha": 1, "a": 1, "b": 1}}"#,
            "`r`",
        ),
    ];
    for (name, text, expected) in cases {
        let path = common::tmp(&format!("bad_params_{name}.json"));
        std::fs::write(&path, text).unwrap();
        let mut args = vec!["--model", "bgnbd"];
        args.extend_from_slice(&input);
        args.extend_from_slice(&["--params", path.to_str().unwrap()]);
        let err = refused(&args);
        assert!(err.starts_with("--params "), "{name}: {err}");
        assert!(err.contains(expected), "{name}: {err}");
    }
    let err = refused(&[
        "--model",
        "bgnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--params",
        "no/such/file.json",
    ]);
    assert!(err.contains("--params no/such/file.json"), "{err}");
    let saved = common::tmp("both.json");
    let err = refused(&[
        "--model",
        "bgnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--params",
        "data/cdnow_customers_summary.csv",
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert!(err.contains("--save") && err.contains("--params"), "{err}");
    let err = refused(&[
        "--model",
        "bgnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--save",
        "no/such/dir/fit.json",
    ]);
    assert!(err.starts_with("--save no/such/dir/fit.json"), "{err}");
}
