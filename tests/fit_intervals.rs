//! The `fit` example's `--intervals`, `--interval-method`, `--draws` and `--seed`: the JSON
//! keys, the CSV columns, agreement with the library, reproducibility, and bad flag values.

mod common;

use std::path::PathBuf;
use std::process::Output;

use clv::fit::{Method, Range};
use clv::{BgNbd, Customer, FitOptions, RfmData, TransactionModel};

const CDNOW: &str = "data/cdnow_customers_summary.csv";

fn run(args: &[&str]) -> Output {
    common::run_fit(args)
}

/// The CSV at `path`: header and rows of cells.
fn read_csv(path: &PathBuf) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<f64> {
    let k = header.iter().position(|h| h == name).unwrap();
    rows.iter().map(|r| r[k].parse().unwrap()).collect()
}

const TRANSACTION_COLUMNS: [&str; 6] = [
    "probability_alive_lower",
    "probability_alive_upper",
    "expected_transactions_lower",
    "expected_transactions_upper",
    "transactions_lower",
    "transactions_upper",
];

/// Every interval column holds lower <= estimate <= upper, probabilities in [0, 1].
fn check_transaction_columns(header: &[String], rows: &[Vec<String>]) {
    let p = column(header, rows, "probability_alive");
    let e = column(header, rows, "expected_transactions");
    let (pl, pu) = (
        column(header, rows, "probability_alive_lower"),
        column(header, rows, "probability_alive_upper"),
    );
    let (el, eu) = (
        column(header, rows, "expected_transactions_lower"),
        column(header, rows, "expected_transactions_upper"),
    );
    let (tl, tu) = (
        column(header, rows, "transactions_lower"),
        column(header, rows, "transactions_upper"),
    );
    for i in 0..rows.len() {
        assert!(
            0.0 <= pl[i] && pl[i] <= p[i] && p[i] <= pu[i] && pu[i] <= 1.0,
            "row {i}"
        );
        assert!(0.0 <= el[i] && el[i] <= e[i] && e[i] <= eu[i], "row {i}");
        assert!(
            tl[i].fract() == 0.0 && tu[i].fract() == 0.0 && tl[i] <= tu[i],
            "row {i}"
        );
        // the expected count lies inside the count's own 90% range
        assert!(tl[i] <= e[i] + 1.0 && e[i] <= tu[i] + 1.0, "row {i}");
    }
}

#[test]
fn delta_intervals_add_json_keys_and_csv_columns_matching_the_library() {
    let path = common::tmp("bgnbd_delta.csv");
    let out = run(&[
        "--model",
        "bgnbd",
        "--input",
        CDNOW,
        "--intervals",
        "0.9",
        "--predictions",
        path.to_str().unwrap(),
    ]);
    let json = common::json_of(&out);
    let (header, rows) = read_csv(&path);
    let mut expected_header = vec!["probability_alive", "expected_transactions"];
    expected_header.extend(TRANSACTION_COLUMNS);
    assert_eq!(header, expected_header);
    check_transaction_columns(&header, &rows);

    // the same numbers as the library's
    let data = RfmData::from_csv_path(CDNOW).unwrap();
    let fitted = BgNbd::fit(&data, &FitOptions::default()).unwrap();
    let ci = fitted.confidence_intervals(0.9).unwrap();
    for (name, (lo, hi)) in ["r", "alpha", "a", "b"].iter().zip(ci) {
        let got = &json["confidence_intervals"][name];
        assert_eq!(got[0].as_f64().unwrap(), lo, "{name}");
        assert_eq!(got[1].as_f64().unwrap(), hi, "{name}");
        let value = json["params"][name].as_f64().unwrap();
        assert!(lo < value && value < hi);
    }
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    assert_eq!(data.customer(0), Some(c));
    let alive = fitted
        .interval(
            |m| m.probability_alive(&c),
            Range::Probability,
            0.9,
            Method::Delta,
        )
        .unwrap();
    let y = fitted
        .interval(
            |m| m.conditional_expected_transactions(&c, 39.0),
            Range::Positive,
            0.9,
            Method::Delta,
        )
        .unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
    assert!(close(
        column(&header, &rows, "probability_alive_lower")[0],
        alive.lower
    ));
    assert!(close(
        column(&header, &rows, "probability_alive_upper")[0],
        alive.upper
    ));
    assert!(close(
        column(&header, &rows, "expected_transactions_lower")[0],
        y.lower
    ));
    assert!(close(
        column(&header, &rows, "expected_transactions_upper")[0],
        y.upper
    ));
    let (lo, hi) = fitted.model().predictive_interval(&c, 39.0, 0.9).unwrap();
    assert_eq!(
        column(&header, &rows, "transactions_lower")[0],
        f64::from(lo)
    );
    assert_eq!(
        column(&header, &rows, "transactions_upper")[0],
        f64::from(hi)
    );
}

#[test]
fn without_intervals_nothing_changes() {
    let path = common::tmp("bgnbd_plain.csv");
    let json = common::json_of(&run(&[
        "--model",
        "bgnbd",
        "--input",
        CDNOW,
        "--predictions",
        path.to_str().unwrap(),
    ]));
    assert!(json.get("confidence_intervals").is_none());
    let (header, _) = read_csv(&path);
    assert_eq!(header, ["probability_alive", "expected_transactions"]);
}

#[test]
fn holdout_gains_parameter_and_predictive_ranges_of_the_total() {
    let log = common::cdnow_log_csv();
    let path = common::tmp("pnbd_holdout.csv");
    let json = common::json_of(&run(&[
        "--model",
        "bgnbd",
        "--transactions",
        log.to_str().unwrap(),
        "--calibration-end",
        "1997-09-30",
        "--intervals",
        "0.9",
        "--predictions",
        path.to_str().unwrap(),
    ]));
    let h = &json["holdout"];
    let f = |k: &str| h[k].as_f64().unwrap_or_else(|| panic!("{k}: {h}"));
    let predicted = f("predicted");
    assert!(f("predicted_lower") < predicted && predicted < f("predicted_upper"));
    let (lo, hi) = (f("actual_range_lower"), f("actual_range_upper"));
    assert!(lo.fract() == 0.0 && hi.fract() == 0.0);
    assert!(lo < predicted && predicted < hi);
    // the predictive range of a total of 2,357 customers is about ±1.645 sd around the
    // prediction, wider than nothing and narrower than the prediction itself
    assert!(hi - lo > 0.05 * predicted && hi - lo < predicted, "{h}");
    let (header, rows) = read_csv(&path);
    assert_eq!(header[2], "customer_id");
    assert_eq!(&header[3..], TRANSACTION_COLUMNS);
    check_transaction_columns(&header, &rows);
}

#[test]
fn parametric_draws_are_reproducible_for_a_seed() {
    let run_with = |seed: &str, name: &str| {
        let path = common::tmp(name);
        let json = common::json_of(&run(&[
            "--model",
            "pnbd",
            "--input",
            CDNOW,
            "--intervals",
            "0.8",
            "--interval-method",
            "parametric",
            "--draws",
            "100",
            "--seed",
            seed,
            "--predictions",
            path.to_str().unwrap(),
        ]));
        (json, std::fs::read_to_string(&path).unwrap())
    };
    let (a, csv_a) = run_with("5", "p5a.csv");
    let (b, csv_b) = run_with("5", "p5b.csv");
    let (c, csv_c) = run_with("6", "p6.csv");
    assert_eq!(a, b);
    assert_eq!(csv_a, csv_b);
    assert_ne!(a["confidence_intervals"], c["confidence_intervals"]);
    assert_ne!(csv_a, csv_c);
    assert_eq!(a["interval_draws"]["used"], 100);
    let (header, rows) = read_csv(&common::tmp("p5a.csv"));
    check_transaction_columns(&header, &rows);
}

#[test]
fn bootstrap_refits_resampled_customers() {
    let path = common::tmp("gg_boot.csv");
    let spend = common::tmp("spend.csv");
    let text =
        std::fs::read_to_string("data/cdnow_customers_summary_with_transactions.csv").unwrap();
    let mut csv = String::from("frequency,monetary_value\n");
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        csv += &format!("{},{}\n", f[1], f[4]);
    }
    std::fs::write(&spend, csv).unwrap();
    let out = run(&[
        "--model",
        "gg",
        "--input",
        spend.to_str().unwrap(),
        "--intervals",
        "0.9",
        "--interval-method",
        "bootstrap",
        "--draws",
        "40",
        "--seed",
        "2",
        "--predictions",
        path.to_str().unwrap(),
    ]);
    let json = common::json_of(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("40/40 refits"));
    assert_eq!(
        json["interval_draws"]["used"].as_u64().unwrap()
            + json["interval_draws"]["failed"].as_u64().unwrap(),
        40
    );
    for p in ["p", "q", "gamma"] {
        let ci = &json["confidence_intervals"][p];
        let v = json["params"][p].as_f64().unwrap();
        assert!(
            ci[0].as_f64().unwrap() < v && v < ci[1].as_f64().unwrap(),
            "{p}"
        );
    }
    let (header, rows) = read_csv(&path);
    assert_eq!(
        header,
        [
            "expected_average_spend",
            "expected_average_spend_lower",
            "expected_average_spend_upper"
        ]
    );
    let e = column(&header, &rows, "expected_average_spend");
    let lo = column(&header, &rows, "expected_average_spend_lower");
    let hi = column(&header, &rows, "expected_average_spend_upper");
    for i in 0..e.len() {
        assert!(0.0 < lo[i] && lo[i] < hi[i], "row {i}");
    }
    // most estimates lie inside their bootstrap intervals
    let inside = (0..e.len())
        .filter(|&i| lo[i] <= e[i] && e[i] <= hi[i])
        .count();
    assert!(inside as f64 > 0.9 * e.len() as f64);
}

#[test]
fn sbg_survival_intervals_per_cohort_block() {
    let input = common::tmp("cohorts.csv");
    std::fs::write(
        &input,
        "cohort,period,alive\nA,0,1000\nA,1,631\nA,2,468\nA,3,382\nB,0,1000\nB,1,869\nB,2,743\nB,3,653\n",
    )
    .unwrap();
    for (extra, name) in [
        (None, "sbg_pooled.csv"),
        (Some("--per-cohort"), "sbg_cohorts.csv"),
    ] {
        let path = common::tmp(name);
        let mut args = vec![
            "--model",
            "sbg",
            "--input",
            input.to_str().unwrap(),
            "--horizon",
            "4",
            "--intervals",
            "0.9",
            "--predictions",
            path.to_str().unwrap(),
        ];
        args.extend(extra);
        let json = common::json_of(&run(&args));
        assert!(json["confidence_intervals"]["alpha"].is_array());
        let (header, rows) = read_csv(&path);
        assert_eq!(
            header,
            [
                "cohort",
                "period",
                "survival",
                "retention_rate",
                "survival_lower",
                "survival_upper"
            ]
        );
        assert_eq!(rows.len(), 8);
        let s = column(&header, &rows, "survival");
        let lo = column(&header, &rows, "survival_lower");
        let hi = column(&header, &rows, "survival_upper");
        for i in 0..8 {
            assert!(0.0 <= lo[i] && lo[i] < s[i] && s[i] < hi[i] && hi[i] <= 1.0);
        }
        if extra.is_some() {
            assert!(json["cohorts"]["A"]["confidence_intervals"]["beta"].is_array());
            // each block its own curve and interval
            assert_ne!(lo[0], lo[4]);
        }
    }
}

#[test]
fn bgbb_intervals_are_in_opportunities() {
    let log = common::cdnow_log_csv();
    let path = common::tmp("bgbb.csv");
    let json = common::json_of(&run(&[
        "--model",
        "bgbb",
        "--transactions",
        log.to_str().unwrap(),
        "--calibration-end",
        "1997-09-30",
        "--time-unit",
        "month",
        "--horizon",
        "3",
        "--intervals",
        "0.9",
        "--predictions",
        path.to_str().unwrap(),
    ]));
    let h = &json["holdout"];
    let predicted = h["predicted"].as_f64().unwrap();
    assert!(h["predicted_lower"].as_f64().unwrap() < predicted);
    assert!(predicted < h["actual_range_upper"].as_f64().unwrap());
    let (header, rows) = read_csv(&path);
    assert_eq!(&header[3..], TRANSACTION_COLUMNS);
    check_transaction_columns(&header, &rows);
    assert!(
        column(&header, &rows, "transactions_upper")
            .iter()
            .all(|&u| u <= 3.0)
    );
}

#[test]
fn params_take_the_covariance_that_save_wrote() {
    let saved = common::tmp("saved.json");
    let printed = common::tmp("printed.json");
    let out = run(&[
        "--model",
        "bgnbd",
        "--input",
        CDNOW,
        "--intervals",
        "0.9",
        "--save",
        saved.to_str().unwrap(),
    ]);
    let fit_json = common::json_of(&out);
    std::fs::write(&printed, &out.stdout).unwrap();
    let again = common::json_of(&run(&[
        "--model",
        "bgnbd",
        "--input",
        CDNOW,
        "--params",
        saved.to_str().unwrap(),
        "--intervals",
        "0.9",
    ]));
    assert_eq!(
        again["confidence_intervals"],
        fit_json["confidence_intervals"]
    );
    // the printed JSON has standard errors but no covariance: refused, naming the file
    let refused = run(&[
        "--model",
        "bgnbd",
        "--input",
        CDNOW,
        "--params",
        printed.to_str().unwrap(),
        "--intervals",
        "0.9",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    let msg = String::from_utf8_lossy(&refused.stderr);
    assert!(
        msg.contains("--params") && msg.contains("covariance"),
        "{msg}"
    );
}

#[test]
fn bad_interval_flags_exit_2_naming_the_flag_and_value() {
    let cases: [(&[&str], &str, &str); 12] = [
        (&["--intervals", "1"], "--intervals", "1"),
        (&["--intervals", "0"], "--intervals", "0"),
        (&["--intervals", "-0.5"], "--intervals", "-0.5"),
        (&["--intervals", "1.5"], "--intervals", "1.5"),
        (&["--intervals", "ninety"], "--intervals", "ninety"),
        (&["--intervals", "NaN"], "--intervals", "NaN"),
        (
            &["--intervals", "0.9", "--interval-method", "jackknife"],
            "--interval-method",
            "jackknife",
        ),
        (&["--intervals", "0.9", "--draws", "1"], "--draws", "1"),
        (
            &["--intervals", "0.9", "--draws", "100001"],
            "--draws",
            "100001",
        ),
        (&["--intervals", "0.9", "--draws", "2.5"], "--draws", "2.5"),
        (&["--intervals", "0.9", "--seed", "-3"], "--seed", "-3"),
        (&["--draws", "50"], "--draws", "--intervals"),
    ];
    for (extra, flag, value) in cases {
        let mut args = vec!["--model", "bgnbd", "--input", CDNOW];
        args.extend(extra);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(out.stdout.is_empty(), "{extra:?}");
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(
            msg.contains(flag) && msg.contains(value),
            "{extra:?}: {msg}"
        );
        assert_eq!(msg.trim().lines().count(), 1, "{msg}");
    }
    let out = run(&[
        "--model",
        "bgnbd",
        "--input",
        CDNOW,
        "--intervals",
        "0.9",
        "--interval-method",
        "bootstrap",
        "--params",
        "data/cdnow_customers_summary.csv",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--params"));
}

/// How often the command line's 90% intervals of `E[Y(39) | 2, 30.43, 38.86]` and of that
/// customer's P(alive) (the first row of each input) contain the true values, over
/// simulated data sets of `n` customers; `(used sets, coverage of E[Y], coverage of P(alive))`.
fn cli_coverage<M>(truth: &M, name: &str, sets: u64, n: usize, method: &str) -> (usize, f64, f64)
where
    M: TransactionModel + clv::models::Simulate<Design = [f64], Output = clv::models::Simulated>,
{
    use rand::SeedableRng;
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    let (true_y, true_p) = (
        truth.conditional_expected_transactions(&c, 39.0).unwrap(),
        truth.probability_alive(&c),
    );
    let (mut used, mut hit_y, mut hit_p) = (0, 0, 0);
    for set in 0..sets {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5000 + set);
        let data = truth.simulate(&common::ages(n), &mut rng).unwrap().data;
        let mut csv = String::from("frequency,recency,T\n2,30.43,38.86\n");
        for ((x, tx), t) in data.frequency().iter().zip(data.recency()).zip(data.age()) {
            csv += &format!("{x},{tx},{t}\n");
        }
        let input = common::tmp(&format!("cov_{name}_{set}.csv"));
        let output = common::tmp(&format!("cov_{name}_{set}_out.csv"));
        std::fs::write(&input, csv).unwrap();
        let out = run(&[
            "--model",
            name,
            "--input",
            input.to_str().unwrap(),
            "--intervals",
            "0.9",
            "--interval-method",
            method,
            "--draws",
            "400",
            "--seed",
            &set.to_string(),
            "--predictions",
            output.to_str().unwrap(),
        ]);
        let json = common::json_of(&out);
        if json["status"] != "converged" {
            continue;
        }
        used += 1;
        let (header, rows) = read_csv(&output);
        let rows = &rows[..1];
        let f = |k: &str| column(&header, rows, k)[0];
        hit_y += usize::from(
            f("expected_transactions_lower") <= true_y
                && true_y <= f("expected_transactions_upper"),
        );
        hit_p += usize::from(
            f("probability_alive_lower") <= true_p && true_p <= f("probability_alive_upper"),
        );
        let _ = std::fs::remove_file(&input);
        let _ = std::fs::remove_file(&output);
    }
    let share = |h: usize| h as f64 / used.max(1) as f64;
    (used, share(hit_y), share(hit_p))
}

/// Calibration through the command line: `CLV_CLI_SETS` (default 200) data sets of
/// `CLV_CLI_CUSTOMERS` (default 2,000) customers from BG/NBD and Pareto/NBD, with
/// `--interval-method` `CLV_CLI_METHOD` (default `delta`). Run with `--ignored --nocapture`.
#[test]
#[ignore = "a long calibration run"]
fn cli_calibration_long_run() {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let sets: u64 = var("CLV_CLI_SETS", "200").parse().unwrap();
    let n: usize = var("CLV_CLI_CUSTOMERS", "2000").parse().unwrap();
    let method = var("CLV_CLI_METHOD", "delta");
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let (used, y, p) = cli_coverage(&bg, "bgnbd", sets, n, &method);
    println!("bgnbd {method}, {sets} sets of {n} ({used} converged): E[Y] {y:.3}, P(alive) {p:.3}");
    let pnbd = clv::ParetoNbd::new(0.553, 10.58, 0.606, 11.67).unwrap();
    let (used, y, p) = cli_coverage(&pnbd, "pnbd", sets, n, &method);
    println!("pnbd {method}, {sets} sets of {n} ({used} converged): E[Y] {y:.3}, P(alive) {p:.3}");
}
