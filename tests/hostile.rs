//! Hostile input to `examples/fit`: every CSV of `tests/data/hostile/` (written by
//! `scripts/hostile_csvs.py`: odd encodings, broken structure, extreme values, degenerate data)
//! is fed to every model, and every run must end cleanly within 10 s:
//!
//! * exit 0 with a JSON report whose numbers are all finite (JSON writes NaN and infinities as
//!   `null`, so a `null` is allowed only where the report documents one), `converged: true` only
//!   with finite standard errors (and, when the report has a `status`, only with `"converged"`),
//!   and a predictions file of finite numbers; or
//! * exit 2 with nothing on stdout and exactly one line on stderr naming where the problem is:
//!   a row (or line) and a backquoted field, a flag, or a column wrong in every row.
//!
//! Never a signal, never exit 1 (a failed fit), never more than 10 s. The second half of the file
//! checks the one-line errors of the command line itself (item 7 of the "exact everywhere" issue).

mod common;

use common::hostile_files;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

const MODELS: [&str; 6] = ["bgnbd", "mbgnbd", "pnbd", "bgbb", "sbg", "gg"];
const LIMIT: Duration = Duration::from_secs(10);

/// Keys of the fit reports whose value may be `null` by design.
const NULLABLE: [&str; 6] = [
    "std_errors",
    "mean_spend",
    "frequency_spend_correlation",
    "boundary",
    "reason",
    "holdout",
];

/// Every `null` or non-finite number in `v`, by path, except under [`NULLABLE`] keys.
fn non_finite(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Null => out.push(path.to_string()),
        Value::Number(n) if !n.as_f64().is_some_and(f64::is_finite) => out.push(path.to_string()),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                non_finite(x, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                if x.is_null() && NULLABLE.contains(&k.as_str()) {
                    continue;
                }
                non_finite(x, &format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// Problems with a successful run's report and predictions.
fn check_success(stdout: &str, predictions: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let json: Value = match serde_json::from_str(stdout.trim()) {
        Ok(v) => v,
        Err(e) => return vec![format!("stdout is not JSON ({e}): {stdout:?}")],
    };
    let mut bad = Vec::new();
    non_finite(&json, "", &mut bad);
    if !bad.is_empty() {
        problems.push(format!("null or non-finite values at {bad:?}"));
    }
    if !json["params"].is_object() {
        problems.push("no params object".into());
    }
    if json["converged"] == Value::Bool(true) {
        let finite_ses = json["std_errors"].as_object().is_some_and(|m| {
            !m.is_empty()
                && m.values()
                    .all(|v| v.as_f64().is_some_and(|x| x.is_finite() && x >= 0.0))
        });
        if !finite_ses {
            problems.push(format!(
                "converged: true without finite standard errors: {}",
                json["std_errors"]
            ));
        }
    }
    // With a fit status in the report, `converged: true` goes only with "converged".
    if let Some(status) = json.get("status") {
        let converged = json["converged"] == Value::Bool(true);
        if converged != (status == "converged") {
            problems.push(format!(
                "converged: {} with status {status}",
                json["converged"]
            ));
        }
    }
    match std::fs::read_to_string(predictions) {
        Ok(text) => {
            let mut lines = text.lines();
            let header = lines.next().unwrap_or("");
            let skip = usize::from(header.starts_with("cohort,"));
            'rows: for (i, line) in lines.enumerate() {
                for cell in line.split(',').skip(skip) {
                    if !cell.parse::<f64>().is_ok_and(f64::is_finite) {
                        problems.push(format!(
                            "predictions line {}: {cell:?} is not a finite number",
                            i + 2
                        ));
                        break 'rows;
                    }
                }
            }
        }
        Err(e) => problems.push(format!("no predictions file: {e}")),
    }
    problems
}

/// Whether a one-line error message says where the problem is.
fn names_the_place(msg: &str) -> bool {
    let numbered = |word: &str| {
        msg.match_indices(word).any(|(i, w)| {
            msg[i + w.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
    };
    let field = msg.matches('`').count() >= 2;
    let flag = msg.contains("--");
    (field && (numbered("row ") || numbered("line ") || msg.contains("in every row"))) || flag
}

/// Problems with a failed run's output.
fn check_refusal(stdout: &str, stderr: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !stdout.is_empty() {
        problems.push(format!("stdout is not empty: {stdout:?}"));
    }
    let lines: Vec<&str> = stderr.lines().collect();
    if lines.len() != 1 || lines[0].trim().is_empty() {
        problems.push(format!("stderr is not exactly one line: {stderr:?}"));
    } else if !names_the_place(lines[0]) {
        problems.push(format!(
            "the message does not name a row and field: {stderr:?}"
        ));
    }
    problems
}

/// Runs every file with `model`; returns (file, model, problem) triples and the slowest run.
fn run_model(model: &'static str, files: Vec<PathBuf>) -> (Vec<String>, (Duration, String)) {
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let scratch = common::tmp(&format!("hostile-{model}-{name}"));
        let predictions = scratch.with_extension("predictions.csv");
        let _ = std::fs::remove_file(&predictions);
        let run = common::run_fit_timed(
            &[
                "--model",
                model,
                "--input",
                file.to_str().unwrap(),
                "--predictions",
                predictions.to_str().unwrap(),
            ],
            LIMIT,
            &scratch,
        );
        if run.elapsed > slowest.0 {
            slowest = (run.elapsed, format!("{name} with {model}"));
        }
        let problems = if run.timed_out {
            vec![format!("still running after {LIMIT:?} (killed)")]
        } else {
            match run.code {
                None => vec!["killed by a signal".to_string()],
                Some(0) => check_success(&run.stdout, &predictions),
                Some(2) => check_refusal(&run.stdout, &run.stderr),
                Some(c) => vec![format!("exit {c}: {}", run.stderr.trim())],
            }
        };
        if run.elapsed > LIMIT && !run.timed_out {
            failures.push(format!("{name} / {model}: took {:?}", run.elapsed));
        }
        for p in problems {
            failures.push(format!("{name} / {model}: {p}"));
        }
    }
    (failures, slowest)
}

#[test]
fn every_hostile_csv_ends_cleanly_for_every_model() {
    let files = hostile_files();
    assert!(files.len() >= 50, "only {} hostile files", files.len());
    common::fit_binary();
    let handles: Vec<_> = MODELS
        .iter()
        .map(|&model| {
            let files = files.clone();
            std::thread::spawn(move || run_model(model, files))
        })
        .collect();
    let mut failures = Vec::new();
    for h in handles {
        let (f, slowest) = h.join().unwrap();
        eprintln!("slowest run: {:?} ({})", slowest.0, slowest.1);
        failures.extend(f);
    }
    assert!(
        failures.is_empty(),
        "{} of {} runs failed:\n{}",
        failures.len(),
        files.len() * MODELS.len(),
        failures.join("\n")
    );
}

// ---- the command line's own errors: one line naming the flag, exit 2 ----------------------

/// Runs `fit` with `args` and returns its single stderr line, asserting exit 2 and no stdout.
fn refused(args: &[&str]) -> String {
    let out = common::run_fit(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: {stderr:?}");
    lines[0].to_string()
}

fn file(name: &str, text: &str) -> String {
    let path = common::tmp(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn log_csv() -> String {
    file(
        "hostile-log.csv",
        "customer_id,date\na,2024-01-01\na,2024-01-20\nb,2024-01-05\nb,2024-03-01\n",
    )
}

#[test]
fn holdout_end_before_calibration_end_names_both_dates() {
    let log = log_csv();
    let e = refused(&[
        "--model",
        "bgnbd",
        "--transactions",
        &log,
        "--calibration-end",
        "2024-02-01",
        "--holdout-end",
        "2024-01-15",
    ]);
    assert!(
        e.contains("--holdout-end 2024-01-15") && e.contains("--calibration-end 2024-02-01"),
        "{e}"
    );
}

#[test]
fn sbg_with_transactions_says_sbg_takes_survival_or_lifetime_input() {
    let log = log_csv();
    let e = refused(&[
        "--model",
        "sbg",
        "--transactions",
        &log,
        "--calibration-end",
        "2024-02-01",
    ]);
    assert!(
        e.contains("sbg takes --input")
            && e.contains("period,alive")
            && e.contains("duration,churned"),
        "{e}"
    );
    assert!(
        !e.contains("--input (or --transactions) is required"),
        "{e}"
    );
    let e = refused(&["--model", "gg", "--transactions", &log]);
    assert!(e.contains("gg takes --input"), "{e}");
}

#[test]
fn horizon_for_gg_is_an_error() {
    let input = file("hostile-gg.csv", "frequency,monetary_value\n1,10\n2,12\n");
    let e = refused(&["--model", "gg", "--input", &input, "--horizon", "10"]);
    assert!(e.contains("--horizon") && e.contains("gg"), "{e}");
}

#[test]
fn repeated_flag_is_an_error_naming_it() {
    let input = file("hostile-rfm.csv", "frequency,recency,T\n1,2,3\n0,0,3\n");
    for flag in ["--input", "--model", "--horizon", "--predictions"] {
        let value = match flag {
            "--input" => input.clone(),
            "--model" => "bgnbd".into(),
            "--horizon" => "5".into(),
            _ => common::tmp("hostile-p.csv").to_str().unwrap().to_string(),
        };
        let mut args = vec!["--model", "bgnbd", "--input", &input];
        if flag != "--model" && flag != "--input" {
            args.extend([flag, &value]);
        }
        args.extend([flag, &value]);
        let e = refused(&args);
        assert!(e.contains(flag) && e.contains("twice"), "{flag}: {e}");
    }
}

#[test]
fn sbg_horizon_and_durations_are_bounded() {
    let input = file("hostile-life.csv", "duration,churned\n1,1\n3,0\n2,1\n");
    let t = std::time::Instant::now();
    let e = refused(&[
        "--model",
        "sbg",
        "--input",
        &input,
        "--horizon",
        "4294967295",
        "--predictions",
        common::tmp("hostile-sbg-p.csv").to_str().unwrap(),
    ]);
    assert!(e.contains("--horizon") && e.contains("100000"), "{e}");
    let e = refused(&["--model", "sbg", "--input", &input, "--horizon", "30000000"]);
    assert!(e.contains("--horizon"), "{e}");
    let input = file(
        "hostile-life-huge.csv",
        "duration,churned\n1,1\n3,0\n4294967295,1\n",
    );
    let e = refused(&[
        "--model",
        "sbg",
        "--input",
        &input,
        "--predictions",
        common::tmp("hostile-sbg-p2.csv").to_str().unwrap(),
    ]);
    assert!(e.contains("row 4, field `duration`"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn csv_structure_errors_are_one_line_naming_line_and_column() {
    let input = file("hostile-ragged.csv", "frequency,recency,T\n1,2,3\n1,2\n");
    let e = refused(&["--model", "bgnbd", "--input", &input]);
    assert!(e.contains("row 3, field `T`"), "{e}");
    assert!(
        !e.contains("I/O error") && e.matches("CSV error").count() == 0,
        "{e}"
    );
    let input = file("hostile-long.csv", "frequency,recency,T\n1,2,3\n1,2,3,4\n");
    let e = refused(&["--model", "bgnbd", "--input", &input]);
    assert!(e.contains("row 3, field `column 4`"), "{e}");
}

#[test]
fn non_utf8_byte_in_an_ignored_column_is_read() {
    let path = common::tmp("hostile-latin1.csv");
    let mut bytes = b"name,frequency,recency,T\n".to_vec();
    for (i, row) in [
        "2,30.43,38.86",
        "1,1.71,38.86",
        "0,0,38.86",
        "3,20,30",
        "0,0,27",
    ]
    .iter()
    .enumerate()
    {
        bytes.extend_from_slice(if i == 1 { b"Zo\xeb," } else { b"Ann," });
        bytes.extend_from_slice(row.as_bytes());
        bytes.push(b'\n');
    }
    std::fs::write(&path, &bytes).unwrap();
    let out = common::run_fit(&["--model", "bgnbd", "--input", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // the same byte in a column that is used: one line naming the line and the column
    let path = common::tmp("hostile-latin1-used.csv");
    std::fs::write(
        &path,
        b"frequency,recency,T\n2,30.43,38.86\n1\xeb,1.71,38.86\n",
    )
    .unwrap();
    let e = refused(&["--model", "bgnbd", "--input", path.to_str().unwrap()]);
    assert!(
        e.contains("row 3, field `frequency`") && e.contains("UTF-8"),
        "{e}"
    );
}

#[test]
fn duplicate_and_ambiguous_columns_name_the_columns() {
    let input = file(
        "hostile-dup.csv",
        "frequency,recency,T,T\n1,2,3,3\n0,0,3,3\n",
    );
    let e = refused(&["--model", "bgnbd", "--input", &input]);
    assert!(e.contains("row 1, field `T`") && e.contains("twice"), "{e}");
    let input = file(
        "hostile-ww.csv",
        "frequency,recency,T,weight,weights\n1,2,3,1,1\n0,0,3,1,1\n",
    );
    let e = refused(&["--model", "bgnbd", "--input", &input]);
    assert!(e.contains("`weight`") && e.contains("`weights`"), "{e}");
    let input = file(
        "hostile-both.csv",
        "period,alive,duration,churned\n0,100,1,1\n1,60,2,0\n",
    );
    let e = refused(&["--model", "sbg", "--input", &input]);
    assert!(
        e.contains("row 1, field `header`") && e.contains("ambiguous"),
        "{e}"
    );
}

#[test]
fn extreme_values_name_row_and_field() {
    for (text, place) in [
        (
            "frequency,recency,T\n1,2,3\n1,5,1e308\n",
            "row 3, field `T`",
        ),
        (
            "frequency,recency,T\n1,2,3\n2,0,3\n",
            "row 3, field `recency`",
        ),
        (
            "frequency,recency,T\n1,2,3\n123456789012345678901234567890,2,3\n",
            "row 3, field `frequency`",
        ),
        (
            "frequency,recency,T,weight\n1,2,3,1e300\n0,0,3,1\n",
            "row 2, field `weight`",
        ),
        (
            "frequency,recency,T,weight\n1,2,3,1.7e308\n0,0,3,1.7e308\n",
            "row 2, field `weight`",
        ),
    ] {
        let input = file("hostile-extreme.csv", text);
        let e = refused(&["--model", "bgnbd", "--input", &input]);
        assert!(e.contains(place), "{text:?}: {e}");
    }
    let input = file(
        "hostile-xm.csv",
        "frequency,monetary_value\n10000000000,1e300\n1,5\n",
    );
    let e = refused(&["--model", "gg", "--input", &input]);
    assert!(e.contains("row 2, field `monetary_value`"), "{e}");
}

#[test]
fn missing_input_and_unwritable_predictions_name_the_flag() {
    let e = refused(&["--model", "bgnbd", "--input", "/nonexistent/clv.csv"]);
    assert!(e.contains("--input /nonexistent/clv.csv"), "{e}");
    let dir = std::env::temp_dir();
    let e = refused(&["--model", "gg", "--input", dir.to_str().unwrap()]);
    assert!(e.contains("--input"), "{e}");
    let e = refused(&["--model", "bgnbd", "--transactions", "/nonexistent/log.csv"]);
    assert!(e.contains("--transactions"), "{e}");
    let input = file(
        "hostile-gg2.csv",
        "frequency,monetary_value\n1,10\n2,12\n3,11\n",
    );
    let e = refused(&[
        "--model",
        "gg",
        "--input",
        &input,
        "--predictions",
        "/nonexistent/dir/p.csv",
    ]);
    assert!(e.contains("--predictions /nonexistent/dir/p.csv"), "{e}");
}
