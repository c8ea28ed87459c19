//! Per-cohort sBG: Fader & Hardie's (2007) Regular and High End segments fitted separately
//! (`Sbg::fit_per_cohort`), the likelihood-ratio test of one `(α, β)` for both against one per
//! segment, the refusals, and `fit --model sbg --per-cohort`.

mod common;

use std::path::PathBuf;
use std::process::Output;

use clv::data::{Cohort, CohortData};
use clv::models::sbg::CohortFits;
use clv::{Error, FitOptions, Sbg};

/// Fader & Hardie (2007), years 0–7 of the Regular and High End segments, per 1,000 customers,
/// from `data/sbg_retention_cohorts.csv` (columns `year,regular_alive,high_end_alive`).
fn segments() -> Vec<(String, Vec<f64>)> {
    let text = include_str!("../data/sbg_retention_cohorts.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, ["year", "regular_alive", "high_end_alive"]);
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
        .take_while(|r: &Vec<f64>| r[0] <= 7.0)
        .collect();
    assert_eq!(rows.len(), 8);
    vec![
        ("regular".into(), rows.iter().map(|r| r[1]).collect()),
        ("high_end".into(), rows.iter().map(|r| r[2]).collect()),
    ]
}

fn two_segments() -> CohortData {
    CohortData::new(
        segments()
            .into_iter()
            .map(|(name, alive)| Cohort::new(alive).unwrap().with_name(name))
            .collect(),
    )
    .unwrap()
}

/// The segments as a `cohort,period,alive` CSV.
fn segments_csv() -> String {
    let mut csv = String::from("cohort,period,alive\n");
    for (name, alive) in segments() {
        for (t, a) in alive.iter().enumerate() {
            csv += &format!("{name},{t},{a}\n");
        }
    }
    csv
}

/// The MLEs by mpmath (30 digits: the sBG log-likelihood summed over the segments' counts,
/// maximised by `findroot` on its gradient in log-parameters from a scipy Nelder–Mead start;
/// `scripts/sbg_cohorts_reference.py` prints these constants): per segment `(α, β, LL)`, and
/// the pooled fit of both.
const MPMATH_REGULAR: (f64, f64, f64) = (0.704077298473516, 1.18204302620948, -1680.26518846329);
const MPMATH_HIGH_END: (f64, f64, f64) = (0.668088351106446, 3.80609496405827, -1611.15814739116);
const MPMATH_POOLED: (f64, f64, f64) = (0.580739773324877, 1.67855413646009, -3393.40172481883);
/// `D = 2 (LL_regular + LL_high_end − LL_pooled)` from those values, and
/// `scipy.stats.chi2.sf(D, 2)` (scipy 1.17.1).
const SCIPY_D: f64 = 203.956777928782;
const SCIPY_P: f64 = 5.144561927329067e-45;

fn rel(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

#[test]
fn segments_fitted_separately_reproduce_fader_hardie_2007() {
    // Published: Regular α = 0.704, β = 1.182; High End α = 0.668, β = 3.806 (FH 2007).
    // Standard errors from the observed information (scripts/reference_values.py,
    // tests/data/reference_values.csv: sbg_*_se_*).
    let fits = Sbg::fit_per_cohort(&two_segments(), &FitOptions::default()).unwrap();
    let names: Vec<&str> = fits.cohorts().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["regular", "high_end"]);
    for (name, a, b, sa, sb, mp) in [
        ("regular", 0.704, 1.182, 0.066, 0.153, MPMATH_REGULAR),
        ("high_end", 0.668, 3.806, 0.104, 0.786, MPMATH_HIGH_END),
    ] {
        let fit = fits.get(name).unwrap();
        assert!(fit.converged(), "{name}: {}", fit.status());
        let m = fit.model();
        assert!((m.alpha() - a).abs() < 5e-4, "{name} alpha {}", m.alpha());
        assert!((m.beta() - b).abs() < 5e-4, "{name} beta {}", m.beta());
        assert!(rel(m.alpha(), mp.0) < 1e-6 && rel(m.beta(), mp.1) < 1e-6);
        assert!((fit.log_likelihood() - mp.2).abs() < 1e-8);
        let se = fit.std_errors().unwrap();
        assert!(
            (se[0] - sa).abs() < 1e-3 && (se[1] - sb).abs() < 1e-3,
            "{se:?}"
        );
        assert_eq!(fit.n_customers(), 1000.0);
        assert_eq!(fit.summary().rows.len(), 2);
    }
    assert!(fits.get("other").is_none());

    // Each cohort's fit is the shared pipeline on that cohort alone; the pooled one is
    // `fit_cohorts` on all of them.
    for (name, alive) in segments() {
        let alone =
            Sbg::fit_cohorts(&CohortData::single(alive).unwrap(), &FitOptions::default()).unwrap();
        assert_eq!(fits.get(&name).unwrap().model(), alone.model());
        assert_eq!(
            fits.get(&name).unwrap().log_likelihood(),
            alone.log_likelihood()
        );
    }
    let pooled = Sbg::fit_cohorts(&two_segments(), &FitOptions::default()).unwrap();
    assert_eq!(fits.pooled(), &pooled);
    let p = pooled.model();
    assert!(rel(p.alpha(), MPMATH_POOLED.0) < 1e-6 && rel(p.beta(), MPMATH_POOLED.1) < 1e-6);
    assert!((pooled.log_likelihood() - MPMATH_POOLED.2).abs() < 1e-8);
    assert_eq!(pooled.n_customers(), 2000.0);
    assert!(
        (fits.log_likelihood() - (MPMATH_REGULAR.2 + MPMATH_HIGH_END.2)).abs() < 1e-8,
        "{}",
        fits.log_likelihood()
    );
}

#[test]
fn pooled_vs_separate_likelihood_ratio_test() {
    let fits = Sbg::fit_per_cohort(&two_segments(), &FitOptions::default()).unwrap();
    let test = fits.likelihood_ratio_test().unwrap();
    // D from the two separate fits and the pooled fit, each made on its own.
    let ll = |data: &CohortData| {
        Sbg::fit_cohorts(data, &FitOptions::default())
            .unwrap()
            .log_likelihood()
    };
    let separate: f64 = segments()
        .into_iter()
        .map(|(_, alive)| ll(&CohortData::single(alive).unwrap()))
        .sum();
    let d = 2.0 * (separate - ll(&two_segments()));
    assert!(
        (test.statistic - d).abs() < 1e-9 * d,
        "{} vs {d}",
        test.statistic
    );
    assert!(
        (test.statistic - SCIPY_D).abs() < 1e-6,
        "{}",
        test.statistic
    );
    assert_eq!(test.df, 2); // 2 (C − 1) with C = 2
    // χ² with 2 degrees of freedom has the tail exp(−x/2) exactly.
    assert!(rel(test.p_value, (-test.statistic / 2.0).exp()) < 1e-12);
    assert!(rel(test.p_value, SCIPY_P) < 1e-6, "{:e}", test.p_value);
}

#[test]
fn degrees_of_freedom_grow_with_the_cohorts() {
    // Three cohorts (the two segments and the Regular one again): df = 2 (C − 1) = 4; the
    // repeated segment adds nothing to D beyond rounding of its separate fit.
    let mut cohorts: Vec<Cohort> = two_segments().cohorts().to_vec();
    cohorts.push(cohorts[0].clone().with_name("regular_again"));
    let data = CohortData::new(cohorts).unwrap();
    let fits = Sbg::fit_per_cohort(&data, &FitOptions::default()).unwrap();
    let test = fits.likelihood_ratio_test().unwrap();
    assert_eq!(test.df, 4);
    let d = 2.0 * (fits.log_likelihood() - fits.pooled().log_likelihood());
    assert!((test.statistic - d).abs() <= 1e-12 * d);
    // P(χ²₄ > x) = exp(−x/2)(1 + x/2).
    let x = test.statistic;
    assert!(rel(test.p_value, (-x / 2.0).exp() * (1.0 + x / 2.0)) < 1e-10);
}

#[test]
fn unnamed_cohorts_are_named_by_position() {
    let data = CohortData::new(
        segments()
            .into_iter()
            .map(|(_, alive)| Cohort::new(alive).unwrap())
            .collect(),
    )
    .unwrap();
    let fits = Sbg::fit_per_cohort(&data, &FitOptions::default()).unwrap();
    let names: Vec<&str> = fits.cohorts().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["1", "2"]);
    assert!((fits.get("2").unwrap().model().beta() - 3.806).abs() < 5e-4);
}

/// The Regular segment and `other`, fitted per cohort.
fn regular_and(other: Cohort) -> clv::Result<CohortFits> {
    let data = CohortData::new(vec![regular(), other]).unwrap();
    Sbg::fit_per_cohort(&data, &FitOptions::default())
}

fn regular() -> Cohort {
    two_segments().cohorts()[0].clone()
}

#[test]
fn refusals_name_the_cohort() {
    // Nobody churned: the likelihood grows as α → 0.
    let loyal = Cohort::new(vec![50.0, 50.0, 50.0]).unwrap();
    let err = regular_and(loyal.with_name("loyal")).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
    let msg = err.to_string();
    assert!(
        msg.contains("cohort \"loyal\"") && msg.contains("no maximum"),
        "{msg}"
    );
    // Everybody churned in period 1: the likelihood grows as β → 0; an unnamed cohort is named
    // by its position.
    let msg = regular_and(Cohort::new(vec![40.0, 0.0]).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("cohort \"2\"") && msg.contains("period 1"),
        "{msg}"
    );
    // Two cohorts of one name.
    let msg = regular_and(regular()).unwrap_err().to_string();
    assert!(msg.contains("\"regular\""), "{msg}");
}

#[test]
fn the_test_refuses_a_fit_that_did_not_converge_and_a_single_cohort() {
    // Everybody in the cohort churns in period 2: no heterogeneity, α, β → ∞ (a boundary).
    let sharp = Cohort::new(vec![10.0, 10.0, 0.0]).unwrap();
    let fits = regular_and(sharp.with_name("sharp")).unwrap();
    let sharp = fits.get("sharp").unwrap();
    assert!(!sharp.converged() && sharp.std_errors().is_none());
    assert!(fits.get("regular").unwrap().converged());
    let msg = fits.likelihood_ratio_test().unwrap_err().to_string();
    assert!(
        msg.contains("cohort \"sharp\"") && msg.contains("did not converge"),
        "{msg}"
    );

    let single = CohortData::new(vec![regular()]).unwrap();
    let fits = Sbg::fit_per_cohort(&single, &FitOptions::default()).unwrap();
    assert_eq!(fits.cohorts().len(), 1);
    assert_eq!(fits.log_likelihood(), fits.pooled().log_likelihood());
    assert!(fits.likelihood_ratio_test().is_err());
}

fn run(args: &[&str]) -> Output {
    common::run_fit(args)
}

fn tmp(name: &str) -> PathBuf {
    common::tmp(name)
}

/// Runs `fit --model MODEL --input INPUT --per-cohort` followed by `extra`.
fn per_cohort(model: &str, input: &str, extra: &[&str]) -> Output {
    let mut args = vec!["--model", model, "--input", input, "--per-cohort"];
    args.extend_from_slice(extra);
    run(&args)
}

/// A failed run: exit 2, nothing on stdout, one line on stderr (returned).
fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn fit_example_per_cohort_json_and_predictions() {
    let input = tmp("segments.csv");
    std::fs::write(&input, segments_csv()).unwrap();
    let input = input.to_str().unwrap();
    let plain_csv = tmp("segments_pooled_predictions.csv");
    let plain = common::json_of(&run(&[
        "--model",
        "sbg",
        "--input",
        input,
        "--horizon",
        "12",
        "--predictions",
        plain_csv.to_str().unwrap(),
    ]));
    let out_csv = tmp("segments_per_cohort_predictions.csv");
    let v = common::json_of(&per_cohort(
        "sbg",
        input,
        &[
            "--horizon",
            "12",
            "--predictions",
            out_csv.to_str().unwrap(),
        ],
    ));
    // The existing keys are unchanged; two keys are added.
    let (pm, vm) = (plain.as_object().unwrap(), v.as_object().unwrap());
    for (k, value) in pm {
        assert_eq!(&vm[k], value, "key {k}");
    }
    let mut added: Vec<&str> = vm
        .keys()
        .filter(|k| !pm.contains_key(*k))
        .map(String::as_str)
        .collect();
    added.sort_unstable();
    assert_eq!(added, ["cohorts", "pooled_vs_separate"]);

    let cohorts = v["cohorts"].as_object().unwrap();
    assert_eq!(cohorts.keys().collect::<Vec<_>>(), ["regular", "high_end"]);
    for (name, a, b, mp) in [
        ("regular", 0.704, 1.182, MPMATH_REGULAR),
        ("high_end", 0.668, 3.806, MPMATH_HIGH_END),
    ] {
        let c = &cohorts[name];
        let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["log_likelihood", "params", "status", "std_errors"]);
        assert!((c["params"]["alpha"].as_f64().unwrap() - a).abs() < 5e-4);
        assert!((c["params"]["beta"].as_f64().unwrap() - b).abs() < 5e-4);
        assert!(c["std_errors"]["alpha"].is_f64() && c["std_errors"]["beta"].is_f64());
        assert!((c["log_likelihood"].as_f64().unwrap() - mp.2).abs() < 1e-8);
        assert_eq!(c["status"], "converged");
    }
    let test = &v["pooled_vs_separate"];
    assert!((test["statistic"].as_f64().unwrap() - SCIPY_D).abs() < 1e-6);
    assert_eq!(test["df"], 2);
    assert!(rel(test["p_value"].as_f64().unwrap(), SCIPY_P) < 1e-6);

    // Predictions: one block per cohort, each with its own curve.
    let text = std::fs::read_to_string(&out_csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("cohort,period,survival,retention_rate"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 24);
    let fits = Sbg::fit_per_cohort(&two_segments(), &FitOptions::default()).unwrap();
    for (block, (name, fit)) in rows.chunks(12).zip(fits.cohorts()) {
        for (t, row) in (1u32..).zip(block) {
            assert_eq!(row[0], name);
            assert_eq!(row[1], t.to_string());
            let s: f64 = row[2].parse().unwrap();
            let r: f64 = row[3].parse().unwrap();
            assert_eq!(s, fit.model().survival(t));
            assert_eq!(r, fit.model().retention_rate(t).unwrap());
        }
    }
    // Projected Regular survivors per 1,000 in year 8: 220.1 (Fader & Hardie 2007).
    let s8: f64 = rows[7][2].parse().unwrap();
    assert!((1000.0 * s8 - 220.1).abs() < 0.05);
    // Without --per-cohort the blocks share the pooled curve, as before.
    let pooled = std::fs::read_to_string(&plain_csv).unwrap();
    let pooled_rows: Vec<&str> = pooled.lines().skip(1).collect();
    assert_eq!(pooled_rows.len(), 24);
    assert_eq!(pooled_rows[0][8..], pooled_rows[12][9..]);
}

#[test]
fn fit_example_names_unnamed_cohorts_and_reports_no_test_without_one() {
    // One unnamed cohort: named "1"; a single cohort has nothing to test.
    let input = tmp("regular_only.csv");
    let mut csv = String::from("period,alive\n");
    for (t, a) in segments()[0].1.iter().enumerate() {
        csv += &format!("{t},{a}\n");
    }
    std::fs::write(&input, csv).unwrap();
    let out_csv = tmp("regular_only_predictions.csv");
    let v = common::json_of(&per_cohort(
        "sbg",
        input.to_str().unwrap(),
        &["--predictions", out_csv.to_str().unwrap()],
    ));
    assert_eq!(v["cohorts"].as_object().unwrap().len(), 1);
    assert_eq!(v["cohorts"]["1"]["status"], "converged");
    assert_eq!(v["cohorts"]["1"]["params"], v["params"]);
    assert!(v["pooled_vs_separate"].is_null());
    let text = std::fs::read_to_string(&out_csv).unwrap();
    assert!(text.starts_with("cohort,period,survival,retention_rate\n1,1,"));
    assert_eq!(text.lines().count(), 1 + 14); // default horizon: twice the 7 observed

    // A cohort on the boundary: kept with its status, and no test.
    let input = tmp("segments_with_sharp.csv");
    std::fs::write(
        &input,
        segments_csv() + "sharp,0,10\nsharp,1,10\nsharp,2,0\n",
    )
    .unwrap();
    let v = common::json_of(&per_cohort("sbg", input.to_str().unwrap(), &[]));
    assert_eq!(v["cohorts"]["sharp"]["status"], "boundary");
    assert!(v["cohorts"]["sharp"]["std_errors"].is_null());
    assert_eq!(v["cohorts"]["regular"]["status"], "converged");
    assert!(v["pooled_vs_separate"].is_null());
}

#[test]
fn fit_example_per_cohort_refusals() {
    let segments = tmp("segments_refusals.csv");
    std::fs::write(&segments, segments_csv()).unwrap();
    let segments = segments.to_str().unwrap();
    // Not an sbg model.
    let msg = refused(&per_cohort(
        "bgnbd",
        "data/cdnow_customers_summary.csv",
        &[],
    ));
    assert!(msg.contains("--per-cohort"), "{msg}");
    // Lifetimes carry no cohorts.
    let lifetimes = tmp("lifetimes_per_cohort.csv");
    std::fs::write(&lifetimes, "duration,churned\n1,1\n3,0\n2,1\n").unwrap();
    let msg = refused(&per_cohort("sbg", lifetimes.to_str().unwrap(), &[]));
    assert!(msg.contains("--per-cohort"), "{msg}");
    // Not with --params, and not twice.
    let params = tmp("segments_params.json");
    std::fs::write(&params, r#"{"params": {"alpha": 0.7, "beta": 1.2}}"#).unwrap();
    let msg = refused(&per_cohort(
        "sbg",
        segments,
        &["--params", params.to_str().unwrap()],
    ));
    assert!(
        msg.contains("--per-cohort") && msg.contains("--params"),
        "{msg}"
    );
    let msg = refused(&per_cohort("sbg", segments, &["--per-cohort"]));
    assert!(msg.contains("--per-cohort"), "{msg}");
    // A cohort without a maximum, named.
    let loyal = tmp("segments_with_loyal.csv");
    std::fs::write(&loyal, segments_csv() + "loyal,0,50\nloyal,1,50\n").unwrap();
    let msg = refused(&per_cohort("sbg", loyal.to_str().unwrap(), &[]));
    assert!(
        msg.contains("cohort \"loyal\"") && msg.contains("no maximum"),
        "{msg}"
    );
    // Without --per-cohort the same file fits as before (pooled).
    let v = common::json_of(&run(&[
        "--model",
        "sbg",
        "--input",
        loyal.to_str().unwrap(),
    ]));
    assert!(v.get("cohorts").is_none() && v.get("pooled_vs_separate").is_none());
}
