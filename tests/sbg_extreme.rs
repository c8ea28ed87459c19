//! The sBG model over its whole parameter range: mpmath vectors for `α, β` from `1e-3` to `1e8`
//! and corner cases up to `1e300` (`scripts/sbg_extreme_vectors.py`), regression tests of
//! issue 9 (probabilities above 1, NaN and infinity at extreme parameters, digits lost at large
//! `α`, slow discounted sums), and property checks over log-uniform random parameters.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clv::data::LifetimeData;
use clv::{Error, FitOptions, Sbg};
use proptest::prelude::*;

/// Relative tolerance against mpmath.
const RTOL: f64 = 1e-10;

struct Vector {
    kind: String,
    alpha: f64,
    beta: f64,
    t: f64,
    k: f64,
    value: f64,
}

fn vectors() -> Vec<Vector> {
    include_str!("data/sbg_extreme_vectors.csv")
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |i: usize| f[i].parse::<f64>().unwrap();
            Vector {
                kind: f[0].to_string(),
                alpha: n(1),
                beta: n(2),
                t: n(3),
                k: n(4),
                value: n(5),
            }
        })
        .collect()
}

/// The crate's value for one vector, and a scale for the error: the value itself, or for
/// gradients of `ln P(T = t)`, which are differences of two positive terms and may vanish,
/// the larger of the two terms (their common rounding).
fn evaluate(m: &Sbg, v: &Vector) -> (f64, f64) {
    let t = v.t as u32;
    let (a, b) = (v.alpha, v.beta);
    let got = match v.kind.as_str() {
        "ln_survival" => m.log_likelihood(t, false).unwrap(),
        "survival" => m.survival(t),
        "ln_pmf" => m.log_likelihood(t, true).unwrap(),
        "pmf" => m.probability_of_churn_in(t).unwrap(),
        "cond" => m.conditional_survival(t, v.k as u32),
        "dsa" => m.log_likelihood_gradient(t, false).unwrap()[0],
        "dsb" => m.log_likelihood_gradient(t, false).unwrap()[1],
        "dpa" => m.log_likelihood_gradient(t, true).unwrap()[0],
        "dpb" => m.log_likelihood_gradient(t, true).unwrap()[1],
        "del" => m.discounted_expected_lifetime(v.t).unwrap(),
        "derl" => m
            .discounted_expected_residual_lifetime(v.t, v.k as u32)
            .unwrap(),
        other => panic!("unknown kind {other}"),
    };
    let c = a + b + v.t - 1.0;
    let scale = match v.kind.as_str() {
        "dpa" => v.value.abs().max(((b + v.t - 1.0) / c) / a),
        "dpb" => v.value.abs().max(1.0 / c),
        _ => v.value.abs(),
    };
    (got, scale)
}

#[test]
fn matches_mpmath_over_the_whole_parameter_range() {
    let mut worst: BTreeMap<String, (f64, String)> = BTreeMap::new();
    let mut failures = Vec::new();
    let vs = vectors();
    assert!(vs.len() > 5000, "{}", vs.len());
    for v in &vs {
        let m = Sbg::new(v.alpha, v.beta).unwrap();
        let (got, scale) = evaluate(&m, v);
        let err = (got - v.value).abs() / scale;
        let what = format!(
            "{} a={:e} b={:e} t={} k={}: {got:e} vs {:e}",
            v.kind, v.alpha, v.beta, v.t, v.k, v.value
        );
        if err.is_nan() || err > RTOL {
            failures.push(what.clone());
        }
        let e = worst.entry(v.kind.clone()).or_insert((0.0, String::new()));
        if err > e.0 || err.is_nan() {
            *e = (err, what);
        }
    }
    for (kind, (e, what)) in &worst {
        println!("{kind:12} worst relative error {e:.2e}  ({what})");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn issue9_probability_of_churn_never_exceeds_one() {
    let m = Sbg::new(1e8, 1.0).unwrap();
    let p1 = m.probability_of_churn_in(1).unwrap();
    assert!(p1 <= 1.0);
    // P(T = 1) = α/(α+β) = 1/(1 + 1e-8)
    assert!((p1 - 1.0 / (1.0 + 1e-8)).abs() <= 2.3e-16, "{p1}");
    for (a, b) in [(1e8, 1e-3), (1e300, 1e-300), (1e8, 1e8), (1e-3, 1e-3)] {
        let m = Sbg::new(a, b).unwrap();
        for t in [1u32, 2, 3, 10, 1000, u32::MAX] {
            let p = m.probability_of_churn_in(t).unwrap();
            assert!((0.0..=1.0).contains(&p), "{a} {b} {t}: {p}");
        }
    }
}

#[test]
fn issue9_parameters_outside_the_domain_are_refused() {
    for (a, b) in [
        (1e308, 1e308),
        (1e308, 1.0),
        (1.0, 5e-324),
        (2.2e-308, 2.2e-308),
        (1.0, 1e308),
        (1e-301, 1.0),
        (1.0, 2e300),
    ] {
        match Sbg::new(a, b) {
            Err(Error::InvalidParameter { name, message, .. }) => {
                assert!(name == "alpha" || name == "beta");
                assert!(
                    message.contains("1e-300") && message.contains("1e300"),
                    "{message}"
                );
            }
            other => panic!("({a}, {b}) accepted: {other:?}"),
        }
    }
    let json = r#"{"alpha":1e308,"beta":1.0}"#;
    assert!(serde_json::from_str::<Sbg>(json).is_err());
}

/// Every public function at the edges of the domain: finite, probabilities in [0, 1].
#[test]
fn issue9_every_function_is_finite_at_the_edges_of_the_domain() {
    let edges = [Sbg::MIN_PARAM, 1e-8, 1.0, 1e8, Sbg::MAX_PARAM];
    for &a in &edges {
        for &b in &edges {
            let m = Sbg::new(a, b).unwrap();
            let what = format!("α = {a:e}, β = {b:e}");
            let mut prev = 1.0;
            for t in [0u32, 1, 2, 9, 100, 100_000, 10_000_000, u32::MAX] {
                let s = m.survival(t);
                assert!((0.0..=1.0).contains(&s) && s <= prev, "{what} S({t}) = {s}");
                prev = s;
                assert!(m.expected_survivors(1e6, t).unwrap().is_finite());
                assert!((0.0..=1.0).contains(&m.conditional_survival(t, 7)));
                if t > 0 {
                    let p = m.probability_of_churn_in(t).unwrap();
                    let r = m.retention_rate(t).unwrap();
                    assert!(
                        (0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&r),
                        "{what}"
                    );
                    for churned in [false, true] {
                        let ll = m.log_likelihood(t, churned).unwrap();
                        assert!(ll <= 0.0 && !ll.is_nan(), "{what} ll({t}) = {ll}");
                        let g = m.log_likelihood_gradient(t, churned).unwrap();
                        assert!(g.iter().all(|g| g.is_finite()), "{what} {g:?}");
                    }
                }
            }
            if let Some(e) = m.expected_lifetime() {
                assert!(e.is_finite() && e >= 1.0);
            }
            for d in [1e-3, 0.1, 1e6] {
                let del = m.discounted_expected_lifetime(d).unwrap();
                assert!(del.is_finite() && del >= 1.0, "{what} DEL({d}) = {del}");
                assert!(
                    del <= (1.0 + d) / d * (1.0 + 1e-12),
                    "{what} DEL({d}) = {del}"
                );
                for renewals in [0, 5, u32::MAX] {
                    let derl = m
                        .discounted_expected_residual_lifetime(d, renewals)
                        .unwrap();
                    assert!(derl.is_finite() && derl >= 0.0, "{what} DERL = {derl}");
                    assert!(
                        derl <= (1.0 + d) / d * (1.0 + 1e-12),
                        "{what} DERL = {derl}"
                    );
                }
            }
            let curve: Vec<f64> = m.survival_curve().take(50).collect();
            assert!(curve.windows(2).all(|w| w[1] <= w[0]));
        }
    }
}

#[test]
fn issue9_discounted_lifetime_with_huge_beta() {
    // β = 1e300: nobody churns for ~1e300 periods, DEL = Σ (1+d)^−t = (1+d)/d = 11.
    let m = Sbg::new(1.0, 1e300).unwrap();
    let del = m.discounted_expected_lifetime(0.1).unwrap();
    assert!((del - 11.0).abs() < 1e-13, "{del}");
    let derl = m.discounted_expected_residual_lifetime(0.1, 3).unwrap();
    assert!((derl - 11.0).abs() < 1e-13, "{derl}");
}

#[test]
fn issue9_survival_keeps_full_precision_at_large_alpha() {
    // ln S(t) = −Σ_{k<t} ln(1 + α/(β+k)), summed here term by term in f64 (each term exact to
    // an ulp, all of one sign; the sum's own rounding is up to t ulps), against the closed form
    // for α from 1e6 to 1e8 (the former ln-gamma differences lost up to 5e-7 here).
    for &(a, b) in &[(1e6, 1.0), (3e7, 3e7), (1e8, 1e8), (1e8, 2.5), (1e6, 1e8)] {
        let m = Sbg::new(a, b).unwrap();
        let mut ln_s = 0.0f64;
        for t in 1..=2000u32 {
            ln_s -= (a / (b + f64::from(t - 1))).ln_1p();
            let got = m.log_likelihood(t, false).unwrap();
            assert!(
                (got - ln_s).abs() <= 1e-13 * ln_s.abs(),
                "α = {a}, β = {b}, t = {t}: {got} vs {ln_s}"
            );
            if ln_s > -20.0 {
                let s = m.survival(t);
                assert!((s / ln_s.exp() - 1.0).abs() < 1e-12, "{s} {}", ln_s.exp());
            }
        }
    }
}

#[test]
fn issue9_discounted_lifetimes_are_fast_or_a_clear_error() {
    // (1e-8, 1e8) spent 0.5 s before failing; every call must be fast and exact or refused.
    let cases = [
        (1e-8, 1e8),
        (1e-3, 1e8),
        (1.0, 1e8),
        (0.5, 1e6),
        (1e-3, 1e-3),
        (1e8, 1e8),
    ];
    let mut slowest = Duration::ZERO;
    for (a, b) in cases {
        let m = Sbg::new(a, b).unwrap();
        for d in [0.1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-9, 1e-12] {
            for renewals in [None, Some(0), Some(100)] {
                let start = Instant::now();
                let r = match renewals {
                    None => m.discounted_expected_lifetime(d),
                    Some(n) => m.discounted_expected_residual_lifetime(d, n),
                };
                slowest = slowest.max(start.elapsed());
                match r {
                    Ok(v) => assert!(v.is_finite() && v > 0.0 && v <= (1.0 + d) / d * 1.000001),
                    Err(Error::Numerical(msg)) => assert!(msg.contains("discount rate"), "{msg}"),
                    Err(e) => panic!("{e}"),
                }
            }
        }
        // d ≥ 1e-3 is always evaluated.
        assert!(m.discounted_expected_lifetime(1e-3).is_ok());
    }
    println!("slowest DEL/DERL call: {slowest:?}");
    // About 1 ms on one core; the bound leaves room for a loaded machine.
    assert!(slowest < Duration::from_millis(100), "{slowest:?}");
}

#[test]
fn issue9_library_allocations_do_not_scale_with_the_horizon() {
    // The curve is lazy: its far end is reached without allocating per period.
    let m = Sbg::new(0.7, 1.2).unwrap();
    let far = m.survival_curve().nth(10_000_000).unwrap();
    assert!((far - m.survival(10_000_000)).abs() <= 1e-15 * far);
    // A lifetime of u32::MAX periods is refused at the door (clv::data::limits::MAX_DURATION);
    // a fit with the longest accepted lifetime works on distinct rows, not on periods.
    assert!(
        LifetimeData::new(
            vec![1, 2, 3, u32::MAX, 2, 1],
            vec![true, true, false, false, true, true],
        )
        .is_err()
    );
    let data = LifetimeData::new(
        vec![1, 2, 3, clv::data::limits::MAX_DURATION, 2, 1],
        vec![true, true, false, false, true, true],
    )
    .unwrap();
    let start = Instant::now();
    let fit = Sbg::fit(&data, &FitOptions::default()).unwrap();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(fit.log_likelihood().is_finite());
}

fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.log10()..hi.log10()).prop_map(|e| 10f64.powf(e))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Probabilities in [0, 1], survival non-increasing, expectations finite and >= 0,
    /// `P(T = t) = S(t−1) − S(t)`, over log-uniform parameters and horizons up to 1e7.
    #[test]
    fn properties_over_random_parameters(
        a in log_uniform(1e-3, 1e8),
        b in log_uniform(1e-3, 1e8),
        t in prop_oneof![1u32..100, 1u32..10_000_000],
        k in 0u32..1000,
        d in log_uniform(1e-3, 10.0),
        renewals in prop_oneof![0u32..10, 0u32..1_000_000],
    ) {
        let m = Sbg::new(a, b).unwrap();
        let (s0, s1, s2) = (m.survival(t - 1), m.survival(t), m.survival(t + k));
        prop_assert!((0.0..=1.0).contains(&s1) && s1 <= s0 && s2 <= s1);
        let p = m.probability_of_churn_in(t).unwrap();
        prop_assert!((0.0..=1.0).contains(&p));
        prop_assert!((p - (s0 - s1)).abs() <= 1e-12 * s0.max(1e-300) + 1e-300, "{p} vs {}", s0 - s1);
        let r = m.retention_rate(t).unwrap();
        prop_assert!((0.0..=1.0).contains(&r));
        if s0 > 1e-290 {
            prop_assert!((s1 - s0 * r).abs() <= 1e-12 * s0);
        }
        let c = m.conditional_survival(t, k);
        prop_assert!((0.0..=1.0).contains(&c));
        for churned in [false, true] {
            let ll = m.log_likelihood(t, churned).unwrap();
            prop_assert!(ll <= 0.0 && ll.is_finite());
            prop_assert!(m.log_likelihood_gradient(t, churned).unwrap().iter().all(|g| g.is_finite()));
        }
        let del = m.discounted_expected_lifetime(d).unwrap();
        let derl = m.discounted_expected_residual_lifetime(d, renewals).unwrap();
        let cap = (1.0 + d) / d * (1.0 + 1e-12);
        prop_assert!(del.is_finite() && (1.0..=cap).contains(&del));
        prop_assert!(derl.is_finite() && derl > 0.0 && derl <= cap);
        // DEL = 1 + (1+d)^−1 · S(1) · DERL(renewals = 0) ... for a new customer:
        // DEL = S(0) + Σ_{t≥1} S(t) x^t = 1 + x·DERL(d | 0).
        let derl0 = m.discounted_expected_residual_lifetime(d, 0).unwrap();
        prop_assert!((del - (1.0 + derl0 / (1.0 + d))).abs() <= 1e-12 * del);
        if let Some(e) = m.expected_lifetime() {
            prop_assert!(e.is_finite() && e >= 1.0);
        }
    }
}

/// Runs `fit --model sbg` on `csv` with extra flags; returns (exit code, stdout, stderr, time).
fn fit_sbg(csv: &str, name: &str, extra: &[&str]) -> (i32, String, String, Duration) {
    let input = common::tmp(name);
    std::fs::write(&input, csv).unwrap();
    let out_csv = common::tmp(&format!("{name}.predictions.csv"));
    let mut args = vec![
        "--model",
        "sbg",
        "--input",
        input.to_str().unwrap(),
        "--predictions",
        out_csv.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let start = Instant::now();
    let out = common::run_fit(&args);
    let elapsed = start.elapsed();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
    )
}

const LIFETIMES: &str = "duration,churned\n1,true\n2,true\n3,false\n5,false\n2,true\n1,true\n";

#[test]
fn issue9_fit_example_bounds_the_horizon() {
    for h in ["4294967295", "30000000", "100001"] {
        let (code, _, stderr, elapsed) = fit_sbg(LIFETIMES, "sbg_h.csv", &["--horizon", h]);
        assert_eq!(code, 2, "--horizon {h}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("--horizon") && stderr.contains(h),
            "{stderr}"
        );
        assert!(stderr.contains("100000"), "{stderr}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
    // The documented maximum itself is written.
    let (code, _, stderr, elapsed) = fit_sbg(LIFETIMES, "sbg_hmax.csv", &["--horizon", "100000"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let text = std::fs::read_to_string(common::tmp("sbg_hmax.csv.predictions.csv")).unwrap();
    assert_eq!(text.lines().count(), 100_001);
}

#[test]
fn issue9_fit_example_bounds_the_default_horizon() {
    // A lifetime of u32::MAX periods is refused at the door, naming its row and field.
    let huge = "duration,churned\n1,true\n2,true\n3,false\n4294967295,false\n2,true\n1,true\n";
    let (code, _, stderr, elapsed) = fit_sbg(huge, "sbg_huge.csv", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("row 5") && stderr.contains("`duration`") && stderr.contains("4294967295"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    // The longest accepted lifetime: the default horizon (twice the longest) is refused with
    // a message naming --horizon; an explicit --horizon works.
    let csv = "duration,churned\n1,true\n2,true\n3,false\n100000,false\n2,true\n1,true\n";
    let (code, _, stderr, elapsed) = fit_sbg(csv, "sbg_long.csv", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--horizon") && stderr.contains("200000"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let (code, stdout, stderr, _) = fit_sbg(csv, "sbg_long10.csv", &["--horizon", "10"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(v["log_likelihood"].as_f64().unwrap().is_finite());
    let text = std::fs::read_to_string(common::tmp("sbg_long10.csv.predictions.csv")).unwrap();
    assert_eq!(text.lines().count(), 11);
}
