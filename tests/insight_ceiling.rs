//! The acquisition ceiling by covariate profile: with every coefficient 0 it is the ceiling of
//! the model without covariates; otherwise it equals a direct computation from the Pareto/NBD's
//! closed-form `E[X(t)]` at the profile's parameters and the Gamma-Gamma's mean spend.

use clv::data::categorical::Indicators;
use clv::data::{Periods, TransactionLog, days_from_civil};
use clv::fit::Estimable;
use clv::insight::{
    CovariateProfile, Period, ProfileSpend, acquisition_ceiling, acquisition_ceiling_by_profile,
};
use clv::models::covariates::{CovariateData, CovariateSpec};
use clv::value::DiscountRate;
use clv::{BgNbd, BgNbdCov, GammaGamma, GammaGammaCov, Model, ParetoNbdCov, RfmData};

/// Ten customers with two covariates (`web` 0/1 and a centred `age`) and spend.
fn data() -> RfmData {
    let x: Vec<f64> = (0..10).map(|i| f64::from(i % 4)).collect();
    let tx: Vec<f64> = (0..10)
        .map(|i| if i % 4 == 0 { 0.0 } else { 5.0 + f64::from(i) })
        .collect();
    let m: Vec<f64> = (0..10).map(|i| 10.0 + f64::from(i)).collect();
    RfmData::from_columns(x, tx, vec![30.0; 10], Some(m), None)
        .unwrap()
        .with_covariates(
            vec!["web".into(), "age".into()],
            vec![
                (0..10).map(|i| f64::from(i % 2)).collect(),
                (0..10).map(|i| f64::from(i) - 4.5).collect(),
            ],
        )
        .unwrap()
}

#[test]
fn zero_coefficients_give_the_ceiling_without_covariates() {
    let log = TransactionLog::from_cdnow_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/CDNOW_sample.txt"
    ))
    .unwrap();
    let end = days_from_civil(1997, 9, 30).unwrap() as f64;
    let cal = log.summarize(&Periods::days_in_weeks(), end).unwrap();
    let base = BgNbd::fit(cal.data(), &Default::default())
        .unwrap()
        .into_model();
    let discount = DiscountRate::new(0.1, 52.0).unwrap();
    let by_cohort = acquisition_ceiling(&base, &log, Period::Month, 0.3, discount, 52).unwrap();
    let all = by_cohort.last().unwrap();

    let d = data();
    let spec = CovariateSpec::new().purchase(&["web"]).dropout(&["age"]);
    let rows = BgNbdCov::prepare(&CovariateData::new(&d, &spec).unwrap()).unwrap();
    let mut theta = base.params();
    theta.extend([0.0, 0.0, 0.0]);
    let model = BgNbdCov::from_estimate(&rows, &theta).unwrap();
    assert_eq!(model.coefficients().len(), 3);
    let profiles = [
        CovariateProfile::new("reference", vec![]),
        CovariateProfile::new("web, older", vec![("web".into(), 1.0), ("age".into(), 3.0)]),
    ];
    let rows = acquisition_ceiling_by_profile(
        &model,
        ProfileSpend::Mean(all.mean_spend),
        &profiles,
        0.3,
        discount,
        52,
    )
    .unwrap();
    for r in &rows {
        assert!(
            (r.expected_transactions - all.expected_transactions).abs() < 1e-13,
            "{r:?}"
        );
        assert!((r.value - all.value).abs() < 1e-12 * all.value, "{r:?}");
    }
    assert_eq!(rows[1].covariates, vec![1.0, 3.0]);

    // a Gamma-Gamma with a zero spend coefficient: the base model's mean spend
    let spend_spec = CovariateSpec::new().spend(&["web"]);
    let spend_rows = GammaGammaCov::prepare(&CovariateData::new(&d, &spend_spec).unwrap()).unwrap();
    let spend = GammaGammaCov::from_estimate(&spend_rows, &[6.25, 3.74, 15.44, 0.0]).unwrap();
    let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let rows = acquisition_ceiling_by_profile(
        &model,
        ProfileSpend::Covariates(&spend),
        &profiles,
        1.0,
        discount,
        52,
    )
    .unwrap();
    let mean = 6.25 * 15.44 / (3.74 - 1.0);
    for r in &rows {
        assert!((r.mean_spend - mean).abs() < 1e-12 * mean);
        assert_eq!(r.mean_spend, gg.expected_average_spend(0.0, 0.0).unwrap());
    }
}

#[test]
fn profile_ceiling_equals_direct_computation() {
    let d = data();
    let spec = CovariateSpec::new().purchase(&["web"]).dropout(&["age"]);
    let rows = ParetoNbdCov::prepare(&CovariateData::new(&d, &spec).unwrap()).unwrap();
    let (r, alpha0, s, beta0, g1, g2) = (0.55, 10.6, 0.61, 11.7, 0.4, -0.15);
    let model = ParetoNbdCov::from_estimate(&rows, &[r, alpha0, s, beta0, g1, g2]).unwrap();
    let spend_spec = CovariateSpec::new().spend(&["web"]);
    let spend_rows = GammaGammaCov::prepare(&CovariateData::new(&d, &spend_spec).unwrap()).unwrap();
    let (p, q, gamma0, delta) = (6.25, 3.74, 15.44, 0.3);
    let spend = GammaGammaCov::from_estimate(&spend_rows, &[p, q, gamma0, delta]).unwrap();
    let ind = Indicators::new("channel", &["store", "web"], None).unwrap();
    assert_eq!(ind.names(), ["channel_web"]);
    let mut profiles = CovariateProfile::levels("channel", &ind);
    for p in &mut profiles {
        for v in &mut p.values {
            v.0 = "web".into(); // the indicator enters the models as `web`
        }
        p.values.push(("age".into(), 2.0));
    }
    let discount = DiscountRate::new(0.15, 52.0).unwrap();
    let (margin, horizon) = (0.4, 78);
    let ours = acquisition_ceiling_by_profile(
        &model,
        ProfileSpend::Covariates(&spend),
        &profiles,
        margin,
        discount,
        horizon,
    )
    .unwrap();
    assert_eq!(ours.len(), 2);
    assert_eq!(
        (ours[0].profile.as_str(), ours[1].profile.as_str()),
        ("channel = store", "channel = web")
    );
    for (row, web) in ours.iter().zip([0.0, 1.0]) {
        // α = α₀ e^{−γ₁ web}, β = β₀ e^{−γ₂ age}; E[X(t)] = rβ/(α(s−1)) (1 − (β/(β+t))^{s−1})
        let alpha = alpha0 * (-g1 * web).exp();
        let beta = beta0 * (-g2 * 2.0_f64).exp();
        let ex =
            |t: f64| r * beta / (alpha * (s - 1.0)) * (1.0 - (beta / (beta + t)).powf(s - 1.0));
        let mut e = 1.0;
        for k in 1..=horizon {
            let k = f64::from(k);
            e += (1.0f64 + 0.15).powf(-k / 52.0) * (ex(k) - ex(k - 1.0));
        }
        let mean = p * gamma0 * (delta * web).exp() / (q - 1.0);
        assert!(
            (row.expected_transactions - e).abs() < 1e-10 * e,
            "{} vs {e}",
            row.expected_transactions
        );
        assert!((row.mean_spend - mean).abs() < 1e-12 * mean);
        assert!((row.value - margin * mean * e).abs() < 1e-10 * row.value);
    }
    // web customers buy faster and spend more
    assert!(ours[1].value > ours[0].value);
    // errors
    let refused = |spend: f64, profile: CovariateProfile, margin: f64, horizon: u32| {
        let spend = ProfileSpend::Mean(spend);
        acquisition_ceiling_by_profile(&model, spend, &[profile], margin, discount, horizon)
            .is_err()
    };
    let twice = CovariateProfile::new("x", vec![("web".into(), 1.0), ("web".into(), 0.0)]);
    assert!(refused(1.0, twice, 1.0, 4));
    let nan = CovariateProfile::new("x", vec![("age".into(), f64::NAN)]);
    assert!(refused(1.0, nan, 1.0, 4));
    let ok = CovariateProfile::new("x", vec![]);
    assert!(refused(0.0, ok.clone(), 1.0, 4));
    assert!(refused(1.0, ok.clone(), 1.5, 4));
    assert!(refused(1.0, ok.clone(), 1.0, 200_000));
    assert!(!refused(1.0, ok, 1.0, 4));
}
