//! clv::report: the HTML report of the shipped CDNOW log is self-contained and shows every
//! section and chart.
#![cfg(feature = "report")]

use clv::data::{TransactionLog, days_from_civil};
use clv::report::{ReportOptions, report};

/// The shipped CDNOW log.
fn cdnow() -> TransactionLog {
    TransactionLog::from_cdnow_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/CDNOW_sample.txt"
    ))
    .unwrap()
}

fn day(y: i64, m: u32, d: u32) -> f64 {
    days_from_civil(y, m, d).unwrap() as f64
}

#[test]
fn cdnow_report_is_complete_and_self_contained() {
    let log = cdnow();
    let mut options = ReportOptions::new(day(1997, 9, 30));
    options.holdout_end = Some(day(1998, 6, 30));
    let html = report(&log, &options).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    // no network, no script
    for banned in [
        "<script", "<link", "<img", "src=", "@import", "url(", "https://",
    ] {
        assert!(!html.contains(banned), "{banned}");
    }
    let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_ns.contains("http://"));
    for id in [
        "summary",
        "models",
        "tracking",
        "alive",
        "retention",
        "value",
        "risk",
    ] {
        assert!(html.contains(&format!("<h2 id=\"{id}\">")), "section {id}");
    }
    // 15 charts, and the sBG view and the buyers per period of the model-retention section
    assert_eq!(html.matches("<figure class=\"chart\"").count(), 17);
    assert_eq!(html.matches("<svg ").count(), 17);
    for model in ["BG/NBD", "MBG/NBD", "Pareto/NBD", "Gamma-Gamma"] {
        assert!(html.contains(model), "{model}");
    }
    for label in [
        "time (weeks)",
        "cumulative repeat transactions",
        "acquisition cohort",
        "months since acquisition",
        "raw retention",
        "sales-adjusted retention",
        "profit-adjusted retention",
        "customer value ($)",
        "P(alive) at the observation end",
        "RFM segment",
        "AIC",
        "BIC",
        "MAE per customer",
    ] {
        assert!(html.contains(label), "{label}");
    }
    // numbers for people: thousands separated, money with its sign
    assert!(html.contains("6,919"), "transactions");
    assert!(html.contains("2,357"), "customers");
    assert!(!html.contains("NaN") && !html.contains("inf<"));
    // the at-risk table has rows
    let risk = &html[html.find("<h2 id=\"risk\">").unwrap()..];
    assert!(risk.matches("<tr>").count() > 2);
}

#[test]
fn report_tables_behind_the_page() {
    let log = cdnow();
    let options = ReportOptions::new(day(1997, 9, 30));
    let r = clv::report::build(&log, &options).unwrap();
    assert_eq!(r.segments.customers.len(), log.n_customers());
    assert!(["BG/NBD", "MBG/NBD", "Pareto/NBD"].contains(&r.model));
    assert!(r.html.contains(&format!("<b>{}</b>", r.model)));
    // the page's at-risk count is the table's
    let n = r.segments.at_risk().len();
    assert!(r.html.contains(&format!("{n} customers at risk")), "{n}");
    // the per-transaction profit option reaches the profit-adjusted rate
    let mut with_profit = options.clone();
    with_profit.profit = Some(
        log.amounts()
            .unwrap()
            .iter()
            .map(|a| a * 0.5 + 1.0)
            .collect(),
    );
    let p = clv::report::build(&log, &with_profit).unwrap();
    assert_ne!(
        p.retention.cells[0].profit_adjusted_retention,
        p.retention.cells[0].sales_adjusted_retention
    );
    with_profit.profit = Some(vec![1.0]);
    assert!(clv::report::build(&log, &with_profit).is_err());
}

#[test]
fn report_errors_say_why() {
    let log = TransactionLog::new(["a", "a"], vec![0.0, 30.0], None).unwrap();
    let err = report(&log, &ReportOptions::new(10.0)).unwrap_err();
    assert!(err.to_string().contains("amounts"), "{err}");
    let log = TransactionLog::new(["a", "a"], vec![100.0, 130.0], Some(vec![1.0, 2.0])).unwrap();
    assert!(report(&log, &ReportOptions::new(10.0)).is_err());
}

#[test]
fn report_shows_model_retention_and_value_intervals() {
    let log = cdnow();
    let mut options = ReportOptions::new(day(1997, 9, 30));
    options.holdout_end = Some(day(1998, 6, 30));
    let html = report(&log, &options).unwrap();
    // the new section sits between the cohort retention and the value sections
    let (retention, model, value) = (
        html.find("<h2 id=\"retention\">").unwrap(),
        html.find("<h2 id=\"model-retention\">").unwrap(),
        html.find("<h2 id=\"value\">").unwrap(),
    );
    assert!(retention < model && model < value);
    let section = &html[model..value];
    for label in [
        "Retention: observed (points) and sBG projection (lines)",
        "months since acquisition",
        "retention rate",
        "Customers buying in each period after the cut-off",
        "customers buying in the period",
        "sBG (pooled over cohorts)",
        "1997-01",
        "1997-03",
    ] {
        assert!(section.contains(label), "{label}");
    }
    assert_eq!(section.matches("<figure class=\"chart\"").count(), 2);
    // the sBG table: one row per cohort with the pooled fit's survival beside the observed
    let data =
        clv::insight::cohort_survival(&log, clv::insight::Period::Month, day(1997, 9, 30)).unwrap();
    assert_eq!(data.cohorts().len(), 3);
    let fit = clv::Sbg::fit_cohorts(&data, &Default::default()).unwrap();
    assert!(
        section.contains(&format!("alpha = {:.4}", fit.model().alpha())),
        "{section}"
    );
    // the value section lists the ten most valuable customers with 90% intervals
    let value_part = &html[value..html.find("<h2 id=\"risk\">").unwrap()];
    assert!(value_part.contains("90% interval"));
    assert!(value_part.contains("How sure are we?"));
    let r = clv::report::build(&log, &options).unwrap();
    let mut top: Vec<&clv::insight::CustomerSegment> = r.segments.customers.iter().collect();
    top.sort_by(|a, b| b.clv.total_cmp(&a.clv));
    assert!(value_part.contains(&format!("<td>{}</td>", top[0].id)));
    // without intervals the list is left out
    options.clv_interval = None;
    let plain = report(&log, &options).unwrap();
    assert!(!plain.contains("How sure are we?"));
}
