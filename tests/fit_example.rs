//! The `fit` example is a contract (flags, JSON keys, CSV columns): run the built binary.

mod common;

use std::path::PathBuf;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    common::run_fit(args)
}

fn tmp(name: &str) -> PathBuf {
    common::tmp(name)
}

#[test]
fn bgnbd_json_and_predictions() {
    let out_csv = tmp("bgnbd_predictions.csv");
    let out = run(&[
        "--model",
        "bgnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--horizon",
        "39",
        "--predictions",
        out_csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "exactly one JSON object: {stdout}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["model"], "bgnbd");
    for k in ["r", "alpha", "a", "b"] {
        assert!(
            v["params"][k].is_f64() && v["std_errors"][k].is_f64(),
            "{k}: {v}"
        );
    }
    assert!((v["params"]["r"].as_f64().unwrap() - 0.243).abs() < 5e-4);
    assert!((v["log_likelihood"].as_f64().unwrap() - -9582.426).abs() < 0.01);
    assert_eq!(v["converged"], true);
    assert!(v["iterations"].as_u64().unwrap() > 0);
    assert_eq!(v["n_customers"], 2357);
    assert!(v["n_distinct"].as_u64().unwrap() < 2357);

    let text = std::fs::read_to_string(&out_csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("probability_alive,expected_transactions")
    );
    let rows: Vec<(f64, f64)> = lines
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 2357);
    // Customer 1 (2, 30.43, 38.86): E[Y(39)] = 1.226 (lifetimes tests), in input order.
    assert!((rows[0].1 - 1.226).abs() < 1e-3);
    assert!(
        rows.iter()
            .all(|(p, e)| (0.0..=1.0).contains(p) && *e >= 0.0)
    );
}

#[test]
fn bad_input_exits_2_with_one_line_naming_row_and_field() {
    let bad = tmp("bad.csv");
    std::fs::write(&bad, "frequency,recency,T\n1,2,3\n0,1,3\n").unwrap();
    let out = run(&["--model", "bgnbd", "--input", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1);
    assert!(err.contains("row 3") && err.contains("recency"), "{err}");

    let missing = tmp("missing.csv");
    std::fs::write(&missing, "frequency,T\n1,3\n").unwrap();
    let out = run(&["--model", "bgnbd", "--input", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("recency"));

    let out = run(&[
        "--model",
        "nonsense",
        "--input",
        "data/cdnow_customers_summary.csv",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
