//! Reference tests of the shifted-beta-geometric model: Fader & Hardie's published fits and
//! values, high-precision vectors from mpmath (`scripts/sbg_vectors.py`), gradients, the
//! equivalence of cohort and individual data, and parameter recovery from simulation.

use clv::data::{Cohort, CohortData, LifetimeData};
use clv::{FitOptions, Model, Sbg, simulate};

/// Relative tolerance against the mpmath vectors.
const VECTOR_RTOL: f64 = 1e-12;

/// Fader & Hardie (2007), years 0–7 (and 8–12 for the holdout), per 1,000 customers.
const REGULAR: [f64; 13] = [
    1000., 631., 468., 382., 326., 289., 262., 241., 223., 207., 194., 183., 173.,
];
const HIGH_END: [f64; 13] = [
    1000., 869., 743., 653., 593., 551., 517., 491., 468., 445., 427., 409., 394.,
];

fn vectors() -> Vec<(String, f64, f64, f64, f64, f64)> {
    let text = include_str!("data/sbg_vectors.csv");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |i: usize| f[i].parse::<f64>().unwrap();
            (f[0].to_string(), n(1), n(2), n(3), n(4), n(5))
        })
        .collect()
}

fn close(got: f64, want: f64, rtol: f64) -> bool {
    (got - want).abs() <= rtol * want.abs().max(1e-300)
}

#[test]
fn reproduces_fader_hardie_2007_fits() {
    // Published: FH (2007) Regular α = 0.704, β = 1.182; High End α = 0.668, β = 3.806;
    // LL at the MLE from mpmath (scripts/sbg_vectors.py, kind = mle_*).
    let v = vectors();
    for (counts, name, pa, pb, ll) in [
        (&REGULAR, "mle_regular", 0.704, 1.182, -1680.27),
        (&HIGH_END, "mle_high_end", 0.668, 3.806, -1611.16),
    ] {
        let data = CohortData::single(counts[..8].to_vec()).unwrap();
        let fit = Sbg::fit_cohorts(&data, &FitOptions::default()).unwrap();
        let m = fit.model();
        assert!(fit.converged());
        assert!((m.alpha() - pa).abs() < 5e-4, "{name} alpha {}", m.alpha());
        assert!((m.beta() - pb).abs() < 5e-4, "{name} beta {}", m.beta());
        assert!((fit.log_likelihood() - ll).abs() < 0.01);
        let r = v.iter().find(|r| r.0 == name).unwrap();
        assert!(
            close(m.alpha(), r.1, 1e-6),
            "{name}: {} vs {}",
            m.alpha(),
            r.1
        );
        assert!(
            close(m.beta(), r.2, 1e-6),
            "{name}: {} vs {}",
            m.beta(),
            r.2
        );
        assert!((fit.log_likelihood() - r.5).abs() < 1e-8);
        assert_eq!(fit.n_customers(), 1000.0);
        assert_eq!(fit.n_distinct(), 8);
    }
}

#[test]
fn standard_errors_match_observed_information() {
    // Observed-information standard errors at the MLE: Regular α 0.066, β 0.153; High End
    // α 0.104, β 0.786 (scripts/reference_values.py, tests/data/reference_values.csv: sbg_*_se_*).
    for (counts, sa, sb) in [(&REGULAR, 0.066, 0.153), (&HIGH_END, 0.104, 0.786)] {
        let data = CohortData::single(counts[..8].to_vec()).unwrap();
        let fit = Sbg::fit_cohorts(&data, &FitOptions::default()).unwrap();
        let se = fit.std_errors().unwrap();
        assert!((se[0] - sa).abs() < 1e-3, "{se:?}");
        assert!((se[1] - sb).abs() < 1e-3, "{se:?}");
    }
}

#[test]
fn projects_regular_survivors_for_years_8_to_12() {
    // Fader & Hardie (2007), Regular segment: 220.1, 204.4, 191.2, 179.9, 170.0 per 1,000.
    let data = CohortData::single(REGULAR[..8].to_vec()).unwrap();
    let fit = Sbg::fit_cohorts(&data, &FitOptions::default()).unwrap();
    let want = [220.1, 204.4, 191.2, 179.9, 170.0];
    for (year, w) in (8..=12).zip(want) {
        let got = fit.model().expected_survivors(1000.0, year).unwrap();
        assert!((got - w).abs() < 0.05, "year {year}: {got}");
    }
    let curve: Vec<f64> = fit.model().survival_curve().skip(8).take(5).collect();
    for (s, w) in curve.iter().zip(want) {
        assert!((1000.0 * s - w).abs() < 0.05);
    }
}

#[test]
fn derl_and_del_at_the_regular_mle() {
    // DEL and DERL (Fader & Hardie 2010, eq. 6) at d = 0.1: DEL = 3.6949; DERL(n = 2..6), as
    // explicit discounted sums by scripts/sbg_vectors.py (tests/data/sbg_vectors.csv, del/derl).
    let m = Sbg::new(0.704077, 1.182043).unwrap();
    let del = m.discounted_expected_lifetime(0.1).unwrap();
    assert!((del - 3.6949).abs() < 5e-5, "{del}");
    let want = [4.1031, 4.8698, 5.4421, 5.8941, 6.2644];
    for (n, w) in (2u32..=6).zip(want) {
        let got = m.discounted_expected_residual_lifetime(0.1, n - 1).unwrap();
        assert!((got - w).abs() < 5e-5, "n = {n}: {got}");
        let value = m.residual_value(0.1, n - 1, 25.0).unwrap();
        assert!((value - 25.0 * got).abs() < 1e-12);
    }
    // High End (scripts/sbg_vectors.py, del/derl): DEL 5.9223, DERL 5.9014, 6.2939, 6.6199,
    // 6.8967, 7.1357.
    let h = Sbg::new(0.668088, 3.806095).unwrap();
    assert!((h.discounted_expected_lifetime(0.1).unwrap() - 5.9223).abs() < 5e-5);
    for (n, w) in (2u32..=6).zip([5.9014, 6.2939, 6.6199, 6.8967, 7.1357]) {
        let got = h.discounted_expected_residual_lifetime(0.1, n - 1).unwrap();
        assert!((got - w).abs() < 5e-5, "n = {n}: {got}");
    }
}

#[test]
fn closed_forms_match_explicit_discounted_sums() {
    // DEL = Σ_{t≥0} S(t)(1+d)^−t and DERL = Σ_{t≥n} S(t)/S(n−1) (1+d)^−(t−n), summed here
    // directly against the 2F1 closed forms.
    for (a, b) in [(0.704077, 1.182043), (0.3, 5.0), (4.0, 0.5), (1.0, 1.0)] {
        let m = Sbg::new(a, b).unwrap();
        for d in [0.05, 0.1, 0.3] {
            let z: f64 = 1.0 / (1.0 + d);
            let mut sum = 0.0;
            for t in 0..20_000u32 {
                sum += m.survival(t) * z.powi(t as i32);
            }
            let del = m.discounted_expected_lifetime(d).unwrap();
            assert!(close(del, sum, 1e-12), "DEL {a} {b} {d}: {del} vs {sum}");
            for renewals in [0u32, 1, 4, 30] {
                let n = renewals + 1;
                let mut sum = 0.0;
                for k in 0..20_000u32 {
                    sum += m.conditional_survival(n - 1, k + 1) * z.powi(k as i32);
                }
                let derl = m
                    .discounted_expected_residual_lifetime(d, renewals)
                    .unwrap();
                assert!(
                    close(derl, sum, 1e-12),
                    "DERL {a} {b} {d} {n}: {derl} vs {sum}"
                );
            }
        }
    }
}

#[test]
fn matches_mpmath_vectors() {
    let mut checked = 0;
    let mut worst = (0.0, String::new());
    for (kind, a, b, t, k, want) in vectors() {
        if kind.starts_with("mle") {
            continue;
        }
        let m = Sbg::new(a, b).unwrap();
        let got = match kind.as_str() {
            "pmf" => m.probability_of_churn_in(t as u32).unwrap(),
            "survival" => m.survival(t as u32),
            // ln S(t) is the log-likelihood of a customer still active after t periods.
            "ln_survival" => m.log_likelihood(t as u32, false).unwrap(),
            "cond" => m.conditional_survival(t as u32, k as u32),
            "del" => m.discounted_expected_lifetime(t).unwrap(),
            "derl" => m
                .discounted_expected_residual_lifetime(t, k as u32)
                .unwrap(),
            other => panic!("unknown kind {other}"),
        };
        // Values that underflow to 0 in f64 are compared on the log scale.
        let ok = if want != 0.0 && want.abs() < 1e-300 {
            got == 0.0 || close(got.ln(), want.ln(), 1e-10)
        } else if kind == "ln_survival" {
            (got - want).abs() <= 1e-12 * want.abs().max(1.0)
        } else {
            close(got, want, VECTOR_RTOL)
        };
        assert!(ok, "{kind} a={a} b={b} t={t} k={k}: {got:e} vs {want:e}");
        if want.abs() >= 1e-300 {
            let e = ((got - want) / want).abs();
            if e > worst.0 {
                worst = (e, format!("{kind} a={a} b={b} t={t} k={k}"));
            }
        }
        checked += 1;
    }
    assert!(checked > 300);
    println!(
        "largest relative error vs mpmath: {:e} ({})",
        worst.0, worst.1
    );
}

#[test]
fn analytic_gradient_matches_finite_differences() {
    for (a, b) in [(0.704, 1.182), (0.05, 0.3), (12.0, 40.0), (2.5, 0.8)] {
        let m = Sbg::new(a, b).unwrap();
        for t in [1u32, 2, 5, 40, 10_000] {
            for churned in [true, false] {
                let g = m.log_likelihood_gradient(t, churned).unwrap();
                let f =
                    |a: f64, b: f64| Sbg::new(a, b).unwrap().log_likelihood(t, churned).unwrap();
                let (ha, hb) = (1e-6 * a, 1e-6 * b);
                let fa = (f(a + ha, b) - f(a - ha, b)) / (2.0 * ha);
                let fb = (f(a, b + hb) - f(a, b - hb)) / (2.0 * hb);
                assert!(
                    (g[0] - fa).abs() < 1e-6 * (1.0 + fa.abs()),
                    "{a} {b} {t} {churned}"
                );
                assert!(
                    (g[1] - fb).abs() < 1e-6 * (1.0 + fb.abs()),
                    "{a} {b} {t} {churned}"
                );
            }
        }
    }
}

#[test]
fn individual_lifetimes_fit_like_the_cohort() {
    // Expand the Regular cohort to 1,000 unweighted customers.
    let (mut d, mut c) = (Vec::new(), Vec::new());
    for t in 1..8usize {
        for _ in 0..(REGULAR[t - 1] - REGULAR[t]) as usize {
            d.push(t as u32);
            c.push(true);
        }
    }
    for _ in 0..REGULAR[7] as usize {
        d.push(7);
        c.push(false);
    }
    let individual = LifetimeData::new(d, c).unwrap();
    assert_eq!(individual.len(), 1000);
    let opts = FitOptions::default();
    let a = Sbg::fit(&individual, &opts).unwrap();
    let cohort = CohortData::single(REGULAR[..8].to_vec()).unwrap();
    let b = Sbg::fit_cohorts(&cohort, &opts).unwrap();
    for (x, y) in a.model().params().iter().zip(b.model().params()) {
        assert!((x - y).abs() < 1e-8, "{x} vs {y}");
    }
    assert!((a.log_likelihood() - b.log_likelihood()).abs() < 1e-8);
    assert_eq!(a.n_customers(), 1000.0);
    assert_eq!(a.n_distinct(), 8);
    let (sa, sb) = (a.std_errors().unwrap(), b.std_errors().unwrap());
    assert!((sa[0] - sb[0]).abs() < 1e-6 && (sa[1] - sb[1]).abs() < 1e-6);
}

#[test]
fn joint_fit_of_several_cohorts_adds_their_likelihoods() {
    let regular = Cohort::new(REGULAR[..8].to_vec())
        .unwrap()
        .with_name("regular");
    // A younger cohort of the same segment, observed for 4 periods.
    let young = Cohort::new(vec![500.0, 320.0, 240.0, 195.0, 168.0])
        .unwrap()
        .with_name("young");
    let data = CohortData::new(vec![regular.clone(), young.clone()]).unwrap();
    let fit = Sbg::fit_cohorts(&data, &FitOptions::default()).unwrap();
    assert!(fit.converged());
    assert_eq!(fit.n_customers(), 1500.0);
    let m = fit.model();
    let ll_r = m.total_log_likelihood(&CohortData::new(vec![regular]).unwrap().to_lifetimes());
    let ll_y = m.total_log_likelihood(&CohortData::new(vec![young]).unwrap().to_lifetimes());
    assert!((fit.log_likelihood() - (ll_r + ll_y)).abs() < 1e-9);
    // The joint MLE is a maximum: nearby points are worse.
    for (da, db) in [(1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-3), (0.0, -1e-3)] {
        let near = Sbg::new(m.alpha() + da, m.beta() + db).unwrap();
        assert!(near.total_log_likelihood(&data.to_lifetimes()) < fit.log_likelihood());
    }
}

#[test]
fn recovers_parameters_from_simulated_lifetimes() {
    // 20,000 customers, observed for 1..=12 periods (staggered acquisition), fixed seed.
    let truth = Sbg::new(0.704, 1.182).unwrap();
    let horizons: Vec<u32> = (0..20_000u32).map(|i| 1 + i % 12).collect();
    let data = simulate::sbg(&truth, &horizons, 2024).unwrap();
    let fit = Sbg::fit(&data, &FitOptions::default()).unwrap();
    assert!(fit.converged());
    assert!(fit.n_distinct() <= 24 + 12);
    let se = fit.std_errors().unwrap();
    for (i, (est, tru)) in fit.model().params().iter().zip(truth.params()).enumerate() {
        assert!(
            (est - tru).abs() < 3.0 * se[i],
            "param {i}: {est} vs {tru} (SE {})",
            se[i]
        );
        assert!((est - tru).abs() < 0.05 * tru, "param {i}: {est} vs {tru}");
    }
}

#[test]
fn simulated_survival_matches_the_model() {
    let truth = Sbg::new(0.668, 3.806).unwrap();
    let n = 50_000;
    let data = simulate::sbg(&truth, &vec![10; n], 11).unwrap();
    for t in [1u32, 3, 10] {
        let survivors: f64 = data
            .durations()
            .iter()
            .zip(data.churned())
            .filter(|&(&d, &c)| d > t || (d == t && !c))
            .count() as f64;
        let p = truth.survival(t);
        let sd = (p * (1.0 - p) / n as f64).sqrt();
        assert!((survivors / n as f64 - p).abs() < 4.0 * sd, "t = {t}");
    }
    assert!(simulate::sbg(&truth, &[], 1).is_err());
    assert!(simulate::sbg(&truth, &[3, 0], 1).is_err());
}

#[test]
fn predictions_validate_arguments() {
    let m = Sbg::new(0.704, 1.182).unwrap();
    assert!(m.probability_of_churn_in(0).is_err());
    assert!(m.retention_rate(0).is_err());
    assert_eq!(m.survival(0), 1.0);
    assert!(m.log_likelihood(0, true).is_err());
    for d in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        assert!(m.discounted_expected_lifetime(d).is_err());
        assert!(m.discounted_expected_residual_lifetime(d, 1).is_err());
    }
    assert!(m.residual_value(0.1, 1, f64::NAN).is_err());
    // Tiny discount rates (z = 1/(1+d) within 1e-9 of 1, where the plain series would need
    // billions of terms) are still evaluated; mpmath (40 digits, scripts/sbg_vectors.py's method):
    // 2F1(1, 1.182; 1.886; 1/(1+1e-6)) = 184.80355944734149, at d = 1e-9: 1448.0744982213791.
    let del6 = m.discounted_expected_lifetime(1e-6).unwrap();
    assert!((del6 / 184.803_559_447_341_5 - 1.0).abs() < 1e-9, "{del6}");
    let del9 = m.discounted_expected_lifetime(1e-9).unwrap();
    assert!((del9 / 1_448.074_498_221_379 - 1.0).abs() < 1e-7, "{del9}");
    let far_renewals = m
        .discounted_expected_residual_lifetime(0.1, u32::MAX)
        .unwrap();
    assert!(far_renewals.is_finite() && far_renewals < 11.0); // < 1/(1 − 1/1.1)
    assert!(m.expected_survivors(-1.0, 3).is_err());
    assert!(m.expected_survivors(f64::INFINITY, 3).is_err());
    // Expected lifetime: infinite for α <= 1, (α+β−1)/(α−1) otherwise.
    assert_eq!(m.expected_lifetime(), None);
    let heavy = Sbg::new(3.0, 2.0).unwrap();
    assert_eq!(heavy.expected_lifetime(), Some(2.0));
    let mean: f64 = (1..5000u32)
        .map(|t| f64::from(t) * heavy.probability_of_churn_in(t).unwrap())
        .sum();
    assert!((mean - 2.0).abs() < 1e-5); // tail beyond 5000 ≈ 36/5000²
    // Retention rises, survival falls, everything stays finite at the far end.
    let far = m.survival(u32::MAX);
    assert!(far > 0.0 && far.is_finite());
    assert!(m.retention_rate(u32::MAX).unwrap() < 1.0);
    assert!(m.retention_rate(2).unwrap() > m.retention_rate(1).unwrap());
    for bad in [
        (0.0, 1.0),
        (1.0, -1.0),
        (f64::NAN, 1.0),
        (1.0, f64::INFINITY),
    ] {
        assert!(Sbg::new(bad.0, bad.1).is_err());
    }
    assert!(Sbg::from_params(&[1.0]).is_err());
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_validates() {
    let m = Sbg::new(0.704, 1.182).unwrap();
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, r#"{"alpha":0.704,"beta":1.182}"#);
    let back: Sbg = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
    assert!(serde_json::from_str::<Sbg>(r#"{"alpha":-1.0,"beta":1.0}"#).is_err());
}

#[test]
fn display_is_mathematical() {
    let m = Sbg::new(0.704, 1.182).unwrap();
    assert_eq!(
        m.to_string(),
        "sBG: T ~ Geometric(θ) on {1, 2, ...}, θ ~ Beta(α = 0.704, β = 1.182)"
    );
}

#[test]
fn data_without_a_maximum_is_rejected() {
    let opts = FitOptions::default();
    // Nobody churns: the likelihood increases towards α → 0 without a maximum.
    let all_active = LifetimeData::new(vec![5; 10], vec![false; 10]).unwrap();
    // Everybody churns in period 1: the likelihood increases towards β → 0.
    let all_churn = LifetimeData::new(vec![1; 10], vec![true; 10]).unwrap();
    for data in [all_active, all_churn] {
        let e = Sbg::fit(&data, &opts).unwrap_err();
        assert!(matches!(e, clv::Error::InvalidInput(_)), "{e}");
    }
    let e = Sbg::fit_cohorts(&CohortData::single(vec![10.0, 10.0, 10.0]).unwrap(), &opts);
    assert!(e.is_err());
    // One customer who churned in period 3 has a maximum (at the boundary of homogeneity or
    // not): a result or a clean error, never a panic or a non-finite estimate.
    let single = LifetimeData::new(vec![3], vec![true]).unwrap();
    match Sbg::fit(&single, &opts) {
        Ok(fit) => {
            assert!(fit.log_likelihood().is_finite());
            assert!(
                fit.model()
                    .params()
                    .iter()
                    .all(|p| p.is_finite() && *p > 0.0)
            );
        }
        Err(e) => assert!(matches!(e, clv::Error::NotConverged(_)), "{e}"),
    }
}
