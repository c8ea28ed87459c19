//! Gamma-Gamma: the published CDNOW fit, high-precision vectors, predictions, bad input.

use clv::{FitOptions, GammaGamma, Model, RfmData, SpendData};

/// The CDNOW spend summary shipped in data/ (`ID,x,t_x,T,zbar`) as (x, t_x, T, zbar) columns.
fn cdnow() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary_with_transactions.csv"
    );
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let (mut x, mut tx, mut t, mut m) = (vec![], vec![], vec![], vec![]);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let v = |i: usize| rec[i].parse::<f64>().unwrap();
        x.push(v(1));
        tx.push(v(2));
        t.push(v(3));
        m.push(v(4));
    }
    (x, tx, t, m)
}

fn cdnow_spend() -> SpendData {
    let (x, _, _, m) = cdnow();
    SpendData::new(x, m).unwrap()
}

#[test]
fn cdnow_fit_reproduces_published_estimates() {
    let data = cdnow_spend();
    assert_eq!(data.len(), 2357);
    assert_eq!(data.n_skipped(), 1411.0);
    let fitted = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
    let m = fitted.model();
    assert!(fitted.converged());
    assert_eq!(fitted.n_customers(), 946.0);
    // Published (Fader, Hardie & Lee 2005 JMR; Fader & Hardie 2013 note 025): p = 6.25,
    // q = 3.74, γ = 15.44 (3 significant figures).
    assert!((m.p() - 6.25).abs() < 0.01, "{m}");
    assert!((m.q() - 3.74).abs() < 0.01, "{m}");
    assert!((m.gamma() - 15.44).abs() < 0.05, "{m}");
    // MLE (6.248803, 3.744588, 15.447746), LL −4055.9232 (scripts/reference_values.py,
    // tests/data/reference_values.csv: gg_mle_*, gg_max_ll; scripts/gamma_gamma_vectors.py:
    // −4055.92324350288 at that point).
    assert!((fitted.log_likelihood() - -4055.92324).abs() < 0.01);
    assert!((m.p() - 6.248803).abs() < 1e-3);
    assert!((m.q() - 3.744588).abs() < 1e-3);
    assert!((m.gamma() - 15.447746).abs() < 5e-3);
    // Observed-information standard errors at the MLE (scripts/reference_values.py, gg_se_*):
    // p 1.19, q 0.29, γ 4.16.
    let se = fitted.std_errors().unwrap();
    for (s, want) in se.iter().zip([1.19, 0.29, 4.16]) {
        assert!((s / want - 1.0).abs() < 0.02, "{se:?}");
    }
    // E[M] = pγ/(q−1) = 35.17 at the MLE (scripts/reference_values.py, gg_mean_spend).
    assert!((m.mean_spend().unwrap() - 35.17).abs() < 0.01);
    // The constrained fit agrees when the constraint does not bind.
    let c = GammaGamma::fit_with_finite_mean(&data, &FitOptions::default()).unwrap();
    for (a, b) in c.model().params().iter().zip(m.params()) {
        assert!((a / b - 1.0).abs() < 1e-5);
    }
}

#[test]
fn total_log_likelihood_matches_mpmath() {
    // scripts/gamma_gamma_vectors.py: −4055.92471273017 at (6.25, 3.74, 15.44).
    let model = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let ll = model.total_log_likelihood(&cdnow_spend()).unwrap();
    assert!((ll - -4055.92471273017).abs() < 1e-8, "{ll}");
}

#[test]
fn spend_frequency_correlation_is_small_on_cdnow() {
    let r = cdnow_spend().frequency_spend_correlation().unwrap();
    // Near 0 (Fader, Hardie & Lee 2005 report a small correlation on CDNOW).
    assert!(r.abs() < 0.15, "{r}");
}

#[test]
fn high_precision_vectors() {
    // tests/data/gamma_gamma_vectors.csv: mpmath integrals over ν (scripts/gamma_gamma_vectors.py).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/gamma_gamma_vectors.csv"
    );
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let mut n = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let v: Vec<f64> = rec.iter().map(|s| s.parse().unwrap()).collect();
        let model = GammaGamma::new(v[0], v[1], v[2]).unwrap();
        let ll = model.log_likelihood(v[3], v[4]).unwrap();
        assert!(
            (ll - v[5]).abs() < 1e-12 * (1.0 + v[5].abs()),
            "{v:?}: {ll}"
        );
        let e = model.expected_average_spend(v[3], v[4]).unwrap();
        assert!((e / v[6] - 1.0).abs() < 1e-13, "{v:?}: {e}");
        n += 1;
    }
    assert_eq!(n, 7);
}

#[test]
fn conditional_spend_is_a_credibility_weighted_mean() {
    let model = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let pop = model.mean_spend().unwrap();
    for (x, m) in [(1.0, 5.0), (4.0, 80.0), (50.0, 20.0)] {
        let w = (model.q() - 1.0) / (model.p() * x + model.q() - 1.0);
        let e = model.expected_average_spend(x, m).unwrap();
        assert!((e - (w * pop + (1.0 - w) * m)).abs() < 1e-12 * e);
    }
    // x = 0: the population mean.
    assert_eq!(model.expected_average_spend(0.0, 0.0).unwrap(), pop);
    let data = cdnow_spend();
    let batch = model.expected_average_spend_batch(&data).unwrap();
    assert_eq!(batch.len(), data.len());
    assert_eq!(batch[2], pop); // customer 3 has x = 0
}

#[test]
fn infinite_mean_spend_is_an_error_not_a_number() {
    let model = GammaGamma::new(2.0, 0.8, 10.0).unwrap();
    assert!(!model.has_finite_mean());
    assert!(model.mean_spend().is_err());
    assert!(model.expected_average_spend(0.0, 0.0).is_err());
    // With enough data the posterior mean is finite: p x + q > 1.
    let e = model.expected_average_spend(3.0, 20.0).unwrap();
    assert!(e.is_finite() && e > 0.0);
    let tiny = GammaGamma::new(0.1, 0.5, 10.0).unwrap();
    assert!(tiny.expected_average_spend(2.0, 20.0).is_err()); // 0.2 + 0.5 <= 1
}

#[test]
fn invalid_parameters_and_data_are_rejected() {
    assert!(GammaGamma::new(0.0, 1.0, 1.0).is_err());
    assert!(GammaGamma::new(1.0, f64::NAN, 1.0).is_err());
    assert!(GammaGamma::new(1.0, 1.0, f64::INFINITY).is_err());
    assert!(GammaGamma::from_params(&[1.0, 2.0]).is_err());
    let model = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    assert!(model.log_likelihood(0.0, 10.0).is_err());
    assert!(model.expected_average_spend(1.5, 10.0).is_err());
    assert!(model.expected_average_spend(1.0, -1.0).is_err());
    assert!(model.expected_average_spend(1.0, 0.0).is_err());
    // SpendData checks.
    let e = SpendData::new(vec![1.0, 2.0], vec![3.0]).unwrap_err();
    assert!(e.to_string().contains("monetary_value"));
    let e = SpendData::new(vec![1.0, -2.0], vec![3.0, 4.0]).unwrap_err();
    assert!(e.to_string().contains("row 2, field `frequency`"), "{e}");
    assert!(SpendData::new(vec![], vec![]).is_err());
    let only_zero = SpendData::new(vec![0.0, 0.0], vec![0.0, 0.0]).unwrap();
    assert!(GammaGamma::fit(&only_zero, &FitOptions::default()).is_err());
    let csv = "frequency,monetary_value,weight\n1,10,2\n2,x,1\n";
    let e = SpendData::from_csv_reader(csv.as_bytes()).unwrap_err();
    assert!(
        e.to_string().contains("row 3, field `monetary_value`"),
        "{e}"
    );
    let csv = "frequency,recency\n1,10\n";
    assert!(SpendData::from_csv_reader(csv.as_bytes()).is_err());
}

#[test]
fn spend_data_from_rfm_and_weights() {
    let (x, tx, t, m) = cdnow();
    let rfm =
        RfmData::from_columns(x.clone(), tx.clone(), t.clone(), Some(m.clone()), None).unwrap();
    let spend = SpendData::from_rfm(&rfm).unwrap();
    assert_eq!(spend, cdnow_spend());
    assert!(SpendData::from_rfm(&rfm.without_monetary_value()).is_err());
    // Weighted rows fit exactly like the expanded data.
    let small = SpendData::new(
        vec![1.0, 1.0, 3.0, 2.0, 2.0],
        vec![10.0, 10.0, 25.0, 14.0, 40.0],
    )
    .unwrap();
    let weighted = SpendData::with_weights(
        vec![1.0, 3.0, 2.0, 2.0],
        vec![10.0, 25.0, 14.0, 40.0],
        Some(vec![2.0, 1.0, 1.0, 1.0]),
    )
    .unwrap();
    let model = GammaGamma::new(3.0, 4.0, 20.0).unwrap();
    let (a, b) = (
        model.total_log_likelihood(&small).unwrap(),
        model.total_log_likelihood(&weighted).unwrap(),
    );
    assert!((a - b).abs() < 1e-12 * a.abs());
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_validates() {
    let model = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let s = serde_json::to_string(&model).unwrap();
    let back: GammaGamma = serde_json::from_str(&s).unwrap();
    assert_eq!(back, model);
    assert!(serde_json::from_str::<GammaGamma>(r#"{"p":-1,"q":1,"gamma":1}"#).is_err());
}
