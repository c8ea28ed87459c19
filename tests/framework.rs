//! The shared model framework: one fit pipeline for every model ([`clv::fit::Estimable`]), the
//! serialised fit result, its summary table and likelihood-ratio test, the options builder,
//! objectives that refuse wrong lengths, and simulation through the caller's generator.

mod common;
use common::{cdnow, cdnow_spend};

use clv::data::{CohortData, LifetimeData};
use clv::fit::Estimable;
use clv::models::Simulate;
use clv::{BgNbd, FitOptions, FitStatus, Fitted, GammaGamma, Model, Objective, ParetoNbd, Sbg};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Fader & Hardie (2007), "Regular" segment.
fn regular() -> CohortData {
    CohortData::single(vec![1000., 631., 468., 382., 326., 289., 262., 241.]).unwrap()
}

/// A fit through the generic routine equals the model's own `fit` bit for bit.
fn generic_equals_inherent<M>(data: &M::Data, own: &Fitted<M>)
where
    M: Estimable + std::fmt::Debug + PartialEq,
{
    let generic = clv::fit::fit::<M>(data, &FitOptions::default()).unwrap();
    assert_eq!(&generic, own);
    let via_trait = M::fit(data, &FitOptions::default()).unwrap();
    assert_eq!(&via_trait, own);
}

#[test]
fn every_model_fits_through_the_one_pipeline() {
    let data = cdnow();
    generic_equals_inherent::<BgNbd>(&data, &BgNbd::fit(&data, &FitOptions::default()).unwrap());
    generic_equals_inherent::<ParetoNbd>(
        &data,
        &ParetoNbd::fit(&data, &FitOptions::default()).unwrap(),
    );
    let spend = cdnow_spend();
    generic_equals_inherent::<GammaGamma>(
        &spend,
        &GammaGamma::fit(&spend, &FitOptions::default()).unwrap(),
    );
    let lifetimes = regular().to_lifetimes();
    generic_equals_inherent::<Sbg>(
        &lifetimes,
        &Sbg::fit(&lifetimes, &FitOptions::default()).unwrap(),
    );
}

fn round_trip<M>(fitted: &Fitted<M>)
where
    M: Model + std::fmt::Debug + PartialEq,
{
    let json = serde_json::to_string(fitted).unwrap();
    let back: Fitted<M> = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, fitted, "{json}");
    // the same JSON again: nothing is lost or rounded
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}

#[test]
fn a_fit_round_trips_through_json() {
    let data = cdnow();
    round_trip(&BgNbd::fit(&data, &FitOptions::default()).unwrap());
    round_trip(&ParetoNbd::fit(&data, &FitOptions::default()).unwrap());
    round_trip(&GammaGamma::fit(&cdnow_spend(), &FitOptions::default()).unwrap());
    round_trip(&GammaGamma::fit_with_finite_mean(&cdnow_spend(), &FitOptions::default()).unwrap());
    round_trip(&Sbg::fit_cohorts(&regular(), &FitOptions::default()).unwrap());
    // a boundary fit keeps its status and the parameters that diverge, and has no errors
    let boundary = Sbg::fit(
        &LifetimeData::new(vec![2; 10], vec![true; 10]).unwrap(),
        &FitOptions::default(),
    )
    .unwrap();
    assert!(matches!(boundary.status(), FitStatus::Boundary { .. }));
    round_trip(&boundary);
}

#[test]
fn the_serialised_fit_names_its_parts() {
    let fitted = BgNbd::fit(&cdnow(), &FitOptions::default()).unwrap();
    let v: serde_json::Value = serde_json::to_value(&fitted).unwrap();
    assert_eq!(v["model"], "bgnbd");
    assert_eq!(v["status"], "converged");
    assert_eq!(v["converged"], true);
    let params = v["params"].as_object().unwrap();
    let names: Vec<&str> = params.keys().map(String::as_str).collect();
    assert_eq!(names, ["r", "alpha", "a", "b"]);
    assert!((v["params"]["r"].as_f64().unwrap() - 0.2426).abs() < 1e-3);
    assert!(v["std_errors"]["alpha"].as_f64().unwrap() > 0.0);
    let cov = v["covariance"].as_array().unwrap();
    assert_eq!(cov.len(), 4);
    assert!(cov.iter().all(|row| row.as_array().unwrap().len() == 4));
    assert!(v["evaluations"].as_u64().unwrap() >= v["iterations"].as_u64().unwrap());
    assert_eq!(v["n_customers"], 2357.0);
}

#[test]
fn deserialising_refuses_what_is_not_a_fit_of_the_model() {
    let fitted = BgNbd::fit(&cdnow(), &FitOptions::default()).unwrap();
    let mut v = serde_json::to_value(&fitted).unwrap();
    // another model's fit
    assert!(serde_json::from_value::<Fitted<ParetoNbd>>(v.clone()).is_err());
    // a parameter out of the model's domain
    v["params"]["r"] = serde_json::json!(-1.0);
    let err = serde_json::from_value::<Fitted<BgNbd>>(v.clone()).unwrap_err();
    assert!(err.to_string().contains('r'), "{err}");
    // a missing and an unknown parameter
    let mut v = serde_json::to_value(&fitted).unwrap();
    v["params"].as_object_mut().unwrap().remove("b");
    assert!(serde_json::from_value::<Fitted<BgNbd>>(v.clone()).is_err());
    v["params"]["s"] = serde_json::json!(1.0);
    assert!(serde_json::from_value::<Fitted<BgNbd>>(v).is_err());
    // a covariance of the wrong shape
    let mut v = serde_json::to_value(&fitted).unwrap();
    v["covariance"] = serde_json::json!([[1.0, 0.0], [0.0, 1.0]]);
    assert!(serde_json::from_value::<Fitted<BgNbd>>(v).is_err());
}

#[test]
fn the_summary_gives_intervals_that_stay_above_the_bounds() {
    let fitted = BgNbd::fit(&cdnow(), &FitOptions::default()).unwrap();
    let summary = fitted.summary();
    assert_eq!(summary.rows.len(), 4);
    for (row, se) in summary.rows.iter().zip(fitted.std_errors().unwrap()) {
        assert_eq!(row.std_error, Some(*se));
        let (lo, hi) = (row.lower.unwrap(), row.upper.unwrap());
        assert!(
            0.0 < lo && lo < row.estimate && row.estimate < hi,
            "{row:?}"
        );
        // on the log scale the interval is symmetric: estimate² = lower·upper
        assert!((row.estimate * row.estimate / (lo * hi) - 1.0).abs() < 1e-12);
    }
    assert_eq!(summary.aic, fitted.aic());
    let text = fitted.to_string();
    assert!(text.contains("bgnbd fit: 2357 customers"), "{text}");
    assert!(text.contains("log-likelihood -9582.43"), "{text}");
    // with a lower bound of 1 on q, the interval of q stays above 1
    let finite = GammaGamma::fit_with_finite_mean(&cdnow_spend(), &FitOptions::default()).unwrap();
    assert_eq!(finite.lower_bounds(), &[0.0, 1.0, 0.0]);
    let q = &finite.summary().rows[1];
    if let Some(lo) = q.lower {
        assert!(lo > 1.0);
    }
    // no errors, no intervals
    let boundary = Sbg::fit(
        &LifetimeData::new(vec![2; 10], vec![true; 10]).unwrap(),
        &FitOptions::default(),
    )
    .unwrap();
    let s = boundary.summary();
    assert!(
        s.rows
            .iter()
            .all(|r| r.std_error.is_none() && r.lower.is_none())
    );
    assert!(s.to_string().contains("boundary"));
}

/// The sBG is nested in itself with one parameter fewer when α = β is imposed: fit the
/// restricted model by hand as a model of its own.
#[test]
fn likelihood_ratio_test_of_nested_fits() {
    let data = regular().to_lifetimes();
    let full = Sbg::fit(&data, &FitOptions::default()).unwrap();
    // the restricted model α = β, by the sBG likelihood at (c, c) over c
    let objective = <Sbg as Estimable>::objective(&data.compress());
    let profile = |c: f64| objective.log_likelihood(&[c, c], None);
    let (mut lo, mut hi) = (1e-3f64, 1e3f64);
    for _ in 0..200 {
        let (m1, m2) = (
            lo.powf(2.0 / 3.0) * hi.powf(1.0 / 3.0),
            lo.powf(1.0 / 3.0) * hi.powf(2.0 / 3.0),
        );
        if profile(m1) < profile(m2) {
            lo = m1;
        } else {
            hi = m2;
        }
    }
    let ll0 = profile(lo);
    assert!(ll0 < full.log_likelihood());
    // through a one-parameter fit object: the restricted model's JSON with one parameter
    let restricted = OneParameter::fitted(ll0, full.n_customers());
    let test = full.likelihood_ratio_test(&restricted).unwrap();
    assert_eq!(test.df, 1);
    let d = 2.0 * (full.log_likelihood() - ll0);
    assert!((test.statistic - d).abs() < 1e-9 * d.max(1.0));
    assert!((0.0..=1.0).contains(&test.p_value));
    // the χ²₁ tail: P(χ²₁ > d) = erfc(√(d/2))
    let expected = statrs::function::erf::erfc((d / 2.0).sqrt());
    assert!(
        (test.p_value - expected).abs() < 1e-12,
        "{} vs {expected}",
        test.p_value
    );
    // no test against itself, nor against a fit of other data
    assert!(full.likelihood_ratio_test(&full).is_err());
    let other = OneParameter::fitted(ll0, full.n_customers() + 1.0);
    assert!(full.likelihood_ratio_test(&other).is_err());
    // a restricted fit better than the full one is not nested
    let better = OneParameter::fitted(full.log_likelihood() + 1.0, full.n_customers());
    assert!(full.likelihood_ratio_test(&better).is_err());
}

/// A one-parameter model, to stand for a restricted fit in the likelihood-ratio test.
#[derive(Debug, Clone, PartialEq)]
struct OneParameter(f64);

impl Model for OneParameter {
    const NAME: &'static str = "one";
    const PARAM_NAMES: &'static [&'static str] = &["c"];
    fn params(&self) -> Vec<f64> {
        vec![self.0]
    }
    fn from_params(p: &[f64]) -> clv::Result<Self> {
        p.first()
            .map(|&c| OneParameter(c))
            .ok_or_else(|| clv::Error::InvalidInput("one parameter".into()))
    }
}

impl OneParameter {
    fn fitted(ll: f64, n: f64) -> Fitted<OneParameter> {
        serde_json::from_value(serde_json::json!({
            "model": "one",
            "params": {"c": 1.0},
            "log_likelihood": ll,
            "status": "converged",
            "n_customers": n,
            "n_distinct": 8,
        }))
        .unwrap()
    }
}

#[test]
fn options_are_checked_by_the_builder() {
    let o = FitOptions::builder()
        .penalty(0.1)
        .max_iterations(10)
        .max_evaluations(100)
        .start(vec![1.0, 2.0])
        .build()
        .unwrap();
    assert_eq!(
        (o.penalty, o.max_iterations, o.max_evaluations),
        (0.1, 10, 100)
    );
    for bad in [
        FitOptions::builder().penalty(f64::NAN),
        FitOptions::builder().penalty(-0.5),
        FitOptions::builder().max_iterations(0),
        FitOptions::builder().max_evaluations(0),
        FitOptions::builder().start(vec![1.0, f64::INFINITY]),
    ] {
        assert!(bad.build().is_err());
    }
    // the length of the start point is checked against the model when the fit starts
    let o = FitOptions::builder().start(vec![1.0, 2.0]).build().unwrap();
    let err = BgNbd::fit(&cdnow(), &o).unwrap_err();
    assert!(
        err.to_string().contains("start point has 2 values"),
        "{err}"
    );
}

#[test]
fn objectives_refuse_wrong_lengths_without_panicking() {
    let data = cdnow();
    let objectives: Vec<(Box<dyn Objective>, Vec<f64>)> = vec![
        (
            Box::new(BgNbd::objective(&data)),
            vec![0.24, 4.4, 0.79, 2.4],
        ),
        (
            Box::new(ParetoNbd::objective(&data)),
            vec![0.55, 10.6, 0.61, 11.7],
        ),
        (
            <Sbg as Estimable>::objective(&regular().to_lifetimes()),
            vec![0.7, 1.2],
        ),
        (
            <GammaGamma as Estimable>::objective(&GammaGamma::prepare(&cdnow_spend()).unwrap()),
            vec![6.25, 3.74, 15.44],
        ),
    ];
    for (objective, at) in &objectives {
        let k = &at.len();
        assert_eq!(objective.n_params(), *k);
        for len in [0, 1, k - 1, k + 1] {
            let theta = vec![1.0; len];
            assert!(objective.log_likelihood(&theta, None).is_nan());
            assert!(objective.evaluate(&theta, None).is_err());
        }
        let mut short = vec![0.0; k - 1];
        assert!(
            objective
                .log_likelihood(&vec![1.0; *k], Some(&mut short))
                .is_nan()
        );
        assert!(
            objective
                .evaluate(&vec![1.0; *k], Some(&mut short))
                .is_err()
        );
        assert!(objective.evaluate(&vec![f64::NAN; *k], None).is_err());
        let mut g = vec![0.0; *k];
        let ll = objective.evaluate(at, Some(&mut g)).unwrap();
        assert!(ll.is_finite() && g.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn every_model_simulates_with_the_callers_generator() {
    let mut rng = StdRng::seed_from_u64(11);
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let a = bg.simulate(&vec![39.0; 500], &mut rng).unwrap();
    // the seeded shortcut is the same draw
    let b = clv::simulate::bg_nbd(&bg, &vec![39.0; 500], 11).unwrap();
    assert_eq!(a.data, b.data);
    let pnbd = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    assert_eq!(
        pnbd.simulate(&[39.0; 10], &mut rng).unwrap().alive.len(),
        10
    );
    let sbg = Sbg::new(0.704, 1.182).unwrap();
    assert_eq!(sbg.simulate(&[7; 10], &mut rng).unwrap().len(), 10);
    // Gamma-Gamma: the mean spend of customers with many transactions is close to E[z | ν]
    // averaged over ν, p γ/(q − 1)
    let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let spend = gg.simulate(&vec![2.0; 20_000], &mut rng).unwrap();
    let mean = spend.monetary_value().iter().sum::<f64>() / 20_000.0;
    let expected = 6.25 * 15.44 / 2.74;
    assert!((mean / expected - 1.0).abs() < 0.03, "{mean} vs {expected}");
    // and the fit recovers the parameters it was simulated from
    let fitted = GammaGamma::fit(&spend, &FitOptions::default()).unwrap();
    assert!(fitted.converged());
    assert!((fitted.model().mean_spend().unwrap() / expected - 1.0).abs() < 0.05);
    // design errors name the entry
    let err = gg.simulate(&[1.0, 1.5], &mut rng).unwrap_err();
    assert!(err.to_string().contains("row 2"), "{err}");
    assert!(gg.simulate(&[], &mut rng).is_err());
    assert!(bg.simulate(&[39.0, -1.0], &mut rng).is_err());
}

#[test]
fn a_simulation_that_would_never_end_is_refused() {
    // a purchase rate of about 1e6 per unit over 1e7 units: 1e13 transactions
    let model = BgNbd::new(1e6, 1.0, 1e-3, 1e8).unwrap();
    let err = model
        .simulate(&[1e7], &mut StdRng::seed_from_u64(1))
        .unwrap_err();
    assert!(err.to_string().contains("transactions"), "{err}");
    let model = ParetoNbd::new(1e6, 1.0, 1e-3, 1e8).unwrap();
    assert!(
        model
            .simulate(&[1e7], &mut StdRng::seed_from_u64(1))
            .is_err()
    );
}
