//! The `clv` command as users run it: `value` on a CDNOW master-style log as distributed (no
//! preprocessing, $0 rows), `fit` (the flags of `examples/fit`), `predict`, `summarize`, logs and
//! summaries in other formats, and the exit status of bad input.

mod common;

use std::path::PathBuf;

use common::{clv, stderr, tmp};

fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The shipped CDNOW sample rewritten in the master log's layout (header, aligned columns,
/// CRLF, zero-padded ids), plus one repeat customer whose repeat purchases are all $0.00.
fn master_style_log() -> PathBuf {
    let sample = std::fs::read_to_string("../data/CDNOW_sample.txt").unwrap();
    let mut text = String::from(" customer_id  date number_of_cds  dollar_value\r\n");
    for line in sample.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 5 {
            text.push_str(&format!(" {} {} {:>2} {:>8}\r\n", f[0], f[2], f[3], f[4]));
        }
    }
    text.push_str(" 99999 19970101  1    10.00\r\n 99999 19970301  1     0.00\r\n 99999 19970401  2     0.00\r\n");
    let path = tmp("master_style.txt");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn value_ranks_every_customer_of_a_master_style_log_with_zero_spend_rows() {
    let log = master_style_log();
    let out_csv = tmp("clv.csv");
    let out = clv(&[
        "value",
        "--transactions",
        log.to_str().unwrap(),
        "--output",
        out_csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&out_csv).unwrap();
    let rows = rows(&text);
    assert_eq!(
        rows[0].join(","),
        "customer_id,frequency,recency,T,monetary_value,probability_alive,\
         expected_transactions,expected_average_spend,clv"
    );
    assert_eq!(rows.len(), 2358 + 1);
    let clv: Vec<f64> = rows[1..].iter().map(|r| r[8].parse().unwrap()).collect();
    assert!(clv.windows(2).all(|w| w[0] >= w[1]), "ranked by clv");
    assert!(clv.iter().all(|v| v.is_finite() && *v >= 0.0));
    // Ids as written, zero-padded.
    assert!(rows[1..].iter().any(|r| r[0] == "00004"));
    // The $0 repeat customer: valued at the population mean spend, as a customer with x = 0.
    let zero = rows.iter().find(|r| r[0] == "99999").unwrap();
    assert_eq!(zero[1], "2");
    assert_eq!(zero[4], "0");
    let newcomer = rows[1..].iter().find(|r| r[1] == "0").unwrap();
    assert_eq!(zero[7], newcomer[7]);
    let report = stderr(&out);
    assert!(report.contains("1 with zero spend"), "{report}");
}

#[test]
fn value_on_the_headerless_sample_and_on_a_mapped_summary() {
    let out = clv(&["value", "--transactions", "data/CDNOW_sample.txt", "-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2358);
    let out = clv(&[
        "value",
        "--input",
        "data/cdnow_customers_summary_with_transactions.csv",
        "--columns",
        "customer_id=ID",
        "--horizon",
        "inf",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2358);
    assert!(text.starts_with("customer_id,"));
}

#[test]
fn fit_passes_the_flags_of_examples_fit_through() {
    let out = clv(&[
        "fit",
        "--model",
        "bgnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["params"]["r"].as_f64().unwrap() - 0.243).abs() < 5e-4);
    assert_eq!(v["n_customers"], 2357);
    let out = clv(&["fit", "--model", "nope", "--input", "x.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--model"), "{}", stderr(&out));
    let out = clv(&["fit", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--model"));
}

#[test]
fn predict_with_a_saved_model_keeps_ids() {
    let fit_json = tmp("fit.json");
    let out = clv(&[
        "fit",
        "--model",
        "pnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--save",
        fit_json.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let new = tmp("new.csv");
    std::fs::write(&new, "id;x;t_x;T\nA-1;2;30.43;38.86\nB-2;0;0;38.86\n").unwrap();
    let pred = tmp("pred.csv");
    let out = clv(&[
        "predict",
        "--params",
        fit_json.to_str().unwrap(),
        "--input",
        new.to_str().unwrap(),
        "--delimiter",
        ",",
        "--output",
        pred.to_str().unwrap(),
    ]);
    // A `;` file read as `,` has no such columns: bad input naming the column.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    std::fs::write(&new, "id,x,t_x,T\nA-1,2,30.43,38.86\nB-2,0,0,38.86\n").unwrap();
    let out = clv(&[
        "predict",
        "--params",
        fit_json.to_str().unwrap(),
        "--input",
        new.to_str().unwrap(),
        "--output",
        pred.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["model"], "pnbd");
    let text = std::fs::read_to_string(&pred).unwrap();
    let rows = rows(&text);
    assert_eq!(
        rows[0].join(","),
        "customer_id,probability_alive,expected_transactions"
    );
    assert_eq!(rows[1][0], "A-1");
    assert_eq!(rows[2][0], "B-2");
}

#[test]
fn summarize_logs_in_formats_not_seen_before() {
    // Semicolons, other column names, day-first dates with a time of day.
    let log = tmp("shop.csv");
    std::fs::write(
        &log,
        "user;when;revenue\nu1;01/01/2024 10:00;5\nu1;15/01/2024 09:30;7\nu2;02/01/2024 11:00;3\nu1;20/01/2024 08:00;1\n",
    )
    .unwrap();
    let out = clv(&[
        "summarize",
        "--transactions",
        log.to_str().unwrap(),
        "--columns",
        "customer_id=user,date=when,amount=revenue",
        "--date-format",
        "%d/%m/%Y %H:%M",
        "--time-unit",
        "day",
        "--calibration-end",
        "2024-01-31",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "customer_id,frequency,recency,T,monetary_value\nu1,2.0,19.0,30.0,4.0\nu2,0.0,0.0,29.0,0.0\n"
    );
    // Unix seconds, common names (`customer`, `timestamp`, `value`), tab-separated.
    let log = tmp("events.tsv");
    std::fs::write(
        &log,
        "customer\ttimestamp\tvalue\nu1\t1704103200\t5\nu1\t1705310400\t7\nu2\t1704189600\t3\nu1\t1705737600\t1\n",
    )
    .unwrap();
    let out = clv(&[
        "summarize",
        "--transactions",
        log.to_str().unwrap(),
        "--date-format",
        "unix",
        "--time-unit",
        "day",
        "--calibration-end",
        "2024-01-31",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
    // The master log's head, as distributed.
    let out = clv(&["summarize", "--transactions", "data/CDNOW_master_head.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().nth(1).unwrap().starts_with("00001,"), "{text}");
}

#[test]
fn bad_input_exits_2_naming_the_row_and_field() {
    let log = tmp("bad.csv");
    std::fs::write(
        &log,
        "customer_id,date,amount\na,2024-01-01,1\nb,2024-02-30,2\n",
    )
    .unwrap();
    let out = clv(&["value", "--transactions", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("row 3, field `date`"), "{e}");
    let out = clv(&[
        "value",
        "--transactions",
        "data/CDNOW_sample.txt",
        "--date-format",
        "%Q",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--date-format"), "{}", stderr(&out));
    let out = clv(&[
        "value",
        "--transactions",
        "data/CDNOW_sample.txt",
        "--discount-rate",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--discount-rate"), "{}", stderr(&out));
    let out = clv(&["value", "--input", "data/cdnow_customers_summary.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("monetary_value"), "{}", stderr(&out));
    let out = clv(&["nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    for sub in ["value", "predict", "summarize"] {
        let out = clv(&[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Examples:"),
            "{sub}"
        );
    }
}

#[test]
fn report_and_cohorts_are_the_examples_commands() {
    let html = tmp("report.html");
    let out = clv(&[
        "report",
        "--transactions",
        "data/CDNOW_sample.txt",
        "--calibration-end",
        "1997-09-30",
        "--holdout-end",
        "1998-06-30",
        "--out",
        html.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") || page.starts_with("<!doctype html>"));
    assert!(page.contains("<svg"));
    let csv = tmp("cohorts.csv");
    let out = clv(&[
        "cohorts",
        "--transactions",
        "data/CDNOW_sample.txt",
        "--period",
        "quarter",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        table.lines().next(),
        Some(
            "cohort,period,customers_start,retained,raw_retention,sales_adjusted_retention,\
             profit_adjusted_retention,revenue"
        )
    );
    // bad flags: exit 2 with a message naming the flag
    for sub in ["report", "cohorts"] {
        let out = clv(&[sub, "--bogus", "1"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("--bogus"), "{}", stderr(&out));
    }
}
