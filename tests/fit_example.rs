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

    let rows = common::prediction_rows(&out_csv);
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

fn csv_rows(path: &std::path::Path) -> (String, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

#[test]
fn pnbd_json_and_predictions() {
    let out_csv = tmp("pnbd_predictions.csv");
    let v = common::json_of(&run(&[
        "--model",
        "pnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--predictions",
        out_csv.to_str().unwrap(),
    ]));
    assert_eq!(v["model"], "pnbd");
    // Fader, Hardie & Lee (2005): r = 0.553, α = 10.578, s = 0.606, β = 11.669; LL −9594.97 on the CSV.
    for (k, want) in [
        ("r", 0.553),
        ("alpha", 10.578),
        ("s", 0.606),
        ("beta", 11.669),
    ] {
        let got = v["params"][k].as_f64().unwrap();
        assert!((got / want - 1.0).abs() < 5e-3, "{k}: {got}");
        assert!(v["std_errors"][k].is_f64());
    }
    assert!((v["log_likelihood"].as_f64().unwrap() - -9594.97).abs() < 0.01);
    assert_eq!(v["converged"], true);
    assert_eq!(v["n_customers"], 2357);
    let (header, rows) = csv_rows(&out_csv);
    assert_eq!(header, "probability_alive,expected_transactions");
    assert_eq!(rows.len(), 2357);
    assert!(
        rows.iter()
            .all(|r| (0.0..=1.0).contains(&r[0]) && r[1] >= 0.0)
    );
}

#[test]
fn gg_json_and_predictions() {
    // The CDNOW spend summary with the columns the example asks for.
    let raw = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary_with_transactions.csv"
    ))
    .unwrap();
    let mut csv = String::from("frequency,monetary_value\n");
    for line in raw.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        csv += &format!("{},{}\n", f[1], f[4]);
    }
    let input = tmp("spend.csv");
    std::fs::write(&input, csv).unwrap();
    let out_csv = tmp("gg_predictions.csv");
    let v = common::json_of(&run(&[
        "--model",
        "gg",
        "--input",
        input.to_str().unwrap(),
        "--predictions",
        out_csv.to_str().unwrap(),
    ]));
    assert_eq!(v["model"], "gg");
    // Fader & Hardie (2013): p = 6.25, q = 3.74, γ = 15.44; LL −4055.92 (`gg_max_ll` of scripts/reference_values.py).
    for (k, want) in [("p", 6.25), ("q", 3.74), ("gamma", 15.44)] {
        let got = v["params"][k].as_f64().unwrap();
        assert!((got / want - 1.0).abs() < 2e-3, "{k}: {got}");
        assert!(v["std_errors"][k].is_f64());
    }
    assert!((v["log_likelihood"].as_f64().unwrap() - -4055.92).abs() < 0.01);
    assert_eq!(v["converged"], true);
    assert_eq!(v["n_customers"], 946);
    assert_eq!(v["n_skipped"], 1411);
    let (header, rows) = csv_rows(&out_csv);
    assert_eq!(header, "expected_average_spend");
    assert_eq!(rows.len(), 2357);
    // Frequency-0 rows (customers 3 and 4) get the population mean p γ / (q − 1).
    let (p, q, g) = (
        v["params"]["p"].as_f64().unwrap(),
        v["params"]["q"].as_f64().unwrap(),
        v["params"]["gamma"].as_f64().unwrap(),
    );
    assert!((rows[2][0] - p * g / (q - 1.0)).abs() < 1e-9);
    assert!(rows.iter().all(|r| r[0] > 0.0));
}

#[test]
fn sbg_cohort_and_lifetime_inputs() {
    // Fader & Hardie (2007), Regular segment, years 0-7.
    let counts = [1000, 631, 468, 382, 326, 289, 262, 241];
    let mut cohort = String::from("period,alive\n");
    for (t, n) in counts.iter().enumerate() {
        cohort += &format!("{t},{n}\n");
    }
    let input = tmp("regular.csv");
    std::fs::write(&input, &cohort).unwrap();
    let out_csv = tmp("sbg_predictions.csv");
    let v = common::json_of(&run(&[
        "--model",
        "sbg",
        "--input",
        input.to_str().unwrap(),
        "--horizon",
        "12",
        "--predictions",
        out_csv.to_str().unwrap(),
    ]));
    assert_eq!(v["model"], "sbg");
    assert!((v["params"]["alpha"].as_f64().unwrap() - 0.704).abs() < 5e-4);
    assert!((v["params"]["beta"].as_f64().unwrap() - 1.182).abs() < 5e-4);
    assert!((v["log_likelihood"].as_f64().unwrap() - -1680.27).abs() < 0.01);
    assert!(v["std_errors"]["alpha"].is_f64() && v["std_errors"]["beta"].is_f64());
    assert_eq!(v["converged"], true);
    assert_eq!(v["n_customers"], 1000);
    let (header, rows) = csv_rows(&out_csv);
    assert_eq!(header, "period,survival,retention_rate");
    assert_eq!(rows.len(), 12);
    // Projected Regular survivors per 1000 in year 8: 220.1 (Fader & Hardie 2007).
    assert!((rows[7][1] * 1000.0 - 220.1).abs() < 0.05, "{:?}", rows[7]);
    assert!(
        rows.windows(2)
            .all(|w| w[1][1] < w[0][1] && w[1][2] > w[0][2])
    );

    // The same cohort as individual lifetimes gives the same fit.
    let mut lifetimes = String::from("duration,churned\n");
    for t in 1..counts.len() {
        for _ in 0..(counts[t - 1] - counts[t]) {
            lifetimes += &format!("{t},1\n");
        }
    }
    for _ in 0..counts[7] {
        lifetimes += "7,0\n";
    }
    let input = tmp("regular_lifetimes.csv");
    std::fs::write(&input, lifetimes).unwrap();
    let w = common::json_of(&run(&[
        "--model",
        "sbg",
        "--input",
        input.to_str().unwrap(),
    ]));
    assert!(
        (w["params"]["alpha"].as_f64().unwrap() - v["params"]["alpha"].as_f64().unwrap()).abs()
            < 1e-6
    );
    assert!(
        (w["log_likelihood"].as_f64().unwrap() - v["log_likelihood"].as_f64().unwrap()).abs()
            < 1e-6
    );

    // Bad input: increasing counts.
    let bad = tmp("increasing.csv");
    std::fs::write(&bad, "period,alive\n0,100\n1,120\n").unwrap();
    let out = run(&["--model", "sbg", "--input", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("row 3"));
}

/// Runs `fit` on a CSV written from `csv` and returns its JSON (the run must succeed).
fn fit_json(model: &str, name: &str, csv: &str) -> serde_json::Value {
    let input = tmp(name);
    std::fs::write(&input, csv).unwrap();
    let out = run(&["--model", model, "--input", input.to_str().unwrap()]);
    common::json_of(&out)
}

/// The status keys agree with each other: `converged` exactly when `status` is `converged`,
/// standard errors only then, `boundary` only (and always) for a boundary.
fn assert_status_keys(v: &serde_json::Value) {
    let status = v["status"].as_str().expect("status is a string");
    assert!(
        ["converged", "boundary", "not_converged", "flat"].contains(&status),
        "{v}"
    );
    assert_eq!(v["converged"], status == "converged", "{v}");
    if status != "converged" {
        assert!(v["std_errors"].is_null(), "{v}");
    }
    match status {
        "boundary" => assert!(
            v["boundary"].as_array().is_some_and(|a| !a.is_empty()
                && a.iter()
                    .all(|n| v["params"].get(n.as_str().unwrap()).is_some())),
            "{v}"
        ),
        _ => assert!(v.get("boundary").is_none(), "{v}"),
    }
}

#[test]
fn regular_fits_report_status_converged() {
    let out = run(&[
        "--model",
        "bgnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
    ]);
    let v = common::json_of(&out);
    assert_eq!(v["status"], "converged");
    assert_status_keys(&v);
    let out = run(&[
        "--model",
        "pnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
    ]);
    let v = common::json_of(&out);
    assert_eq!(v["status"], "converged");
    assert_status_keys(&v);
    let v = fit_json(
        "sbg",
        "status_regular_sbg.csv",
        "period,alive\n0,1000\n1,631\n2,468\n3,382\n4,326\n5,289\n6,262\n7,241\n",
    );
    assert_eq!(v["status"], "converged");
    assert_status_keys(&v);
}

#[test]
fn bgnbd_boundary_is_reported_with_the_diverging_parameters() {
    // The eight customers of the quick start in src/lib.rs: a, b → 0.
    let v = fit_json(
        "bgnbd",
        "status_boundary_bgnbd.csv",
        "frequency,recency,T\n2,30.43,38.86\n1,1.71,38.86\n0,0,38.86\n0,0,38.86\n\
         4,20,31\n0,0,27\n7,29.86,31\n1,5,35\n",
    );
    assert_eq!(v["status"], "boundary", "{v}");
    assert_eq!(v["boundary"], serde_json::json!(["a", "b"]));
    assert_eq!(v["converged"], false);
    assert!(v["std_errors"].is_null());
    assert_status_keys(&v);
}

#[test]
fn sbg_boundary_is_reported_with_the_diverging_parameters() {
    let mut csv = String::from("duration,churned\n");
    for _ in 0..10 {
        csv.push_str("2,1\n");
    }
    let v = fit_json("sbg", "status_boundary_sbg.csv", &csv);
    assert_eq!(v["status"], "boundary", "{v}");
    assert_eq!(v["boundary"], serde_json::json!(["alpha", "beta"]));
    assert_eq!(v["converged"], false);
    assert!(v["std_errors"].is_null());
    assert_status_keys(&v);
}

#[test]
fn a_single_customer_is_not_reported_as_a_fit_by_any_model() {
    // One customer cannot determine a population: whatever the log-likelihood (here large and
    // positive), the report says the fit did not converge and why.
    for model in ["bgnbd", "pnbd"] {
        let v = fit_json(
            model,
            &format!("status_single_{model}.csv"),
            "frequency,recency,T\n5,0.000000001,10\n",
        );
        assert_eq!(v["status"], "boundary", "{model}: {v}");
        assert_status_keys(&v);
    }
    // Gamma-Gamma: one customer, or identical spends, is refused with the reason (exit 2).
    for (name, csv) in [
        ("status_single_gg.csv", "frequency,monetary_value\n2,10\n"),
        (
            "status_identical_gg.csv",
            "frequency,monetary_value\n1,10\n2,10\n3,10\n4,10\n",
        ),
    ] {
        let path = tmp(name);
        std::fs::write(&path, csv).unwrap();
        let out = run(&["--model", "gg", "--input", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(
            err.contains("cannot be identified") && err.contains("`monetary_value`"),
            "{err}"
        );
    }
}
