//! The Gamma-Gamma model over its whole parameter range: mpmath vectors for `p, q, γ` from
//! `1e-3` to `1e8` and spends from `1e-300` to `1e300` (`scripts/gamma_gamma_extreme_vectors.py`),
//! regression tests of issue 9 (spends near 1e300, identical spends) and property checks.

mod common;

use clv::{Error, FitOptions, GammaGamma, SpendData};
use proptest::prelude::*;

/// Relative tolerance of the predictions against mpmath.
const RTOL: f64 = 1e-10;

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

#[test]
fn predictions_match_mpmath_over_the_whole_parameter_range() {
    let text = include_str!("data/gamma_gamma_extreme_vectors.csv");
    let (mut worst_e, mut worst_m, mut worst_ll) = (0.0f64, 0.0f64, 0.0f64);
    let mut n = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let v = |i: usize| f[i].parse::<f64>().unwrap();
        let model = GammaGamma::new(v(0), v(1), v(2)).unwrap();
        let (x, m) = (v(3), v(4));
        let e = model.expected_average_spend(x, m);
        if f[5].is_empty() {
            assert!(e.is_err(), "{line}: {e:?}");
        } else {
            let e = e.unwrap();
            let err = rel(e, v(5));
            assert!(err <= RTOL, "{line}: E[M|x,m] = {e:e}, error {err:e}");
            worst_e = worst_e.max(err);
        }
        let mean = model.mean_spend();
        if f[6].is_empty() {
            assert!(
                matches!(mean, Err(Error::InvalidParameter { name: "q", .. })),
                "{line}"
            );
        } else {
            let mean = mean.unwrap();
            let err = rel(mean, v(6));
            assert!(err <= RTOL, "{line}: E[M] = {mean:e}, error {err:e}");
            worst_m = worst_m.max(err);
        }
        // The log-likelihood is a sum of terms as large as (px+q)·ln(γ + x m): its error is
        // measured against that scale.
        let ll = model.log_likelihood(x, m).unwrap();
        let scale = (v(0) * x + v(1)) * (v(2) + x * m).ln().abs().max(1.0) + v(7).abs();
        worst_ll = worst_ll.max((ll - v(7)).abs() / scale);
        n += 1;
    }
    assert!(n > 500, "{n}");
    println!(
        "worst relative error over {n} vectors: expected_average_spend {worst_e:.2e}, \
         mean_spend {worst_m:.2e}; log_likelihood {worst_ll:.2e} of its largest term"
    );
    assert!(worst_ll < 1e-12);
}

/// Spends of CDNOW-like customers (x, m_x).
fn sample() -> (Vec<f64>, Vec<f64>) {
    let x = vec![1.0, 2.0, 3.0, 1.0, 4.0, 2.0, 1.0, 5.0, 2.0, 6.0, 1.0, 3.0];
    let m = vec![
        20.0, 35.5, 41.0, 12.0, 28.0, 55.0, 30.0, 33.3, 18.0, 26.5, 80.0, 15.25,
    ];
    (x, m)
}

#[test]
fn issue9_spends_near_1e300_give_finite_exact_predictions() {
    let (x, m) = sample();
    let opts = FitOptions::default();
    let base = GammaGamma::fit(&SpendData::new(x.clone(), m.clone()).unwrap(), &opts).unwrap();
    // The same customers in a unit 2^990 (≈ 1e298) times smaller: spends near 1e300.
    let k = 2f64.powi(990);
    let big_m: Vec<f64> = m.iter().map(|v| v * k).collect();
    let data = SpendData::new(x.clone(), big_m.clone()).unwrap();
    let big = GammaGamma::fit(&data, &opts).unwrap();
    let (b, g) = (base.model(), big.model());
    assert!(rel(g.p(), b.p()) < 1e-6, "{b} vs {g}");
    assert!(rel(g.q(), b.q()) < 1e-6, "{b} vs {g}");
    assert!(rel(g.gamma() / k, b.gamma()) < 1e-6, "{b} vs {g}");
    // The log-likelihood of the density of m_x changes by −n ln k.
    let shift = x.len() as f64 * k.ln();
    assert!(
        (big.log_likelihood() + shift - base.log_likelihood()).abs() < 1e-6,
        "{} {}",
        big.log_likelihood(),
        base.log_likelihood()
    );
    let preds = g.expected_average_spend_batch(&data).unwrap();
    for (i, p) in preds.iter().enumerate() {
        assert!(p.is_finite() && *p > 0.0);
        let want = b.expected_average_spend(x[i], m[i]).unwrap() * k;
        assert!(rel(*p, want) < 1e-6, "{p:e} vs {want:e}");
        // The closed form at the model's own parameters, exactly.
        let exact = g.p() * (g.gamma() / (g.p() * x[i] + g.q() - 1.0))
            + g.p() * x[i] * (big_m[i] / (g.p() * x[i] + g.q() - 1.0));
        assert!(rel(*p, exact) < 1e-13);
    }
    let mean = g.mean_spend().unwrap();
    assert!(mean.is_finite() && rel(mean, b.mean_spend().unwrap() * k) < 1e-6);
    // A prediction whose exact value exceeds f64 is an error, not inf.
    let huge = GammaGamma::new(1.0, 1.5, 1.7e308).unwrap();
    assert!(matches!(huge.mean_spend(), Err(Error::Numerical(_))));
    assert!(huge.expected_average_spend(1.0, 1e308).is_err());
}

#[test]
fn issue9_fit_example_writes_finite_predictions_for_spends_near_1e300() {
    let (x, m) = sample();
    let input = common::tmp("gg_1e300.csv");
    let out_csv = common::tmp("gg_1e300_predictions.csv");
    let mut text = String::from("frequency,monetary_value\n");
    for (x, m) in x.iter().zip(&m) {
        text.push_str(&format!("{x},{:e}\n", m * 1e298));
    }
    text.push_str("0,0\n");
    std::fs::write(&input, text).unwrap();
    let out = common::run_fit(&[
        "--model",
        "gg",
        "--input",
        input.to_str().unwrap(),
        "--predictions",
        out_csv.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let gamma = v["params"]["gamma"].as_f64().unwrap();
    assert!(gamma.is_finite() && gamma > 1e298, "{v}");
    let preds = std::fs::read_to_string(&out_csv).unwrap();
    let values: Vec<f64> = preds
        .lines()
        .skip(1)
        .map(|l| l.parse::<f64>().unwrap())
        .collect();
    assert_eq!(values.len(), m.len() + 1);
    for p in values {
        assert!(p.is_finite() && p > 1e298 && p < 1e302, "{p}");
    }
}

#[test]
fn issue9_identical_spends_are_refused() {
    let opts = FitOptions::default();
    let data = SpendData::new(vec![1.0, 2.0, 3.0, 5.0, 1.0, 0.0], vec![10.0; 6]).unwrap();
    for fit in [
        GammaGamma::fit(&data, &opts),
        GammaGamma::fit_with_finite_mean(&data, &opts),
    ] {
        match fit {
            Err(Error::InvalidInput(msg)) => {
                assert!(msg.contains("all mean spends are equal"), "{msg}")
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }
    // A single customer is the same case.
    let one = SpendData::new(vec![3.0], vec![25.0]).unwrap();
    assert!(matches!(
        GammaGamma::fit(&one, &opts),
        Err(Error::InvalidInput(_))
    ));
    // Two different spends are fitted.
    let two = SpendData::new(vec![1.0, 2.0, 3.0, 1.0], vec![10.0, 10.0, 12.0, 9.0]).unwrap();
    assert!(GammaGamma::fit(&two, &opts).is_ok());
}

#[test]
fn issue9_fit_example_refuses_identical_spends() {
    let input = common::tmp("gg_identical.csv");
    std::fs::write(
        &input,
        "frequency,monetary_value\n1,10\n2,10\n3,10\n4,10\n0,0\n",
    )
    .unwrap();
    let out = common::run_fit(&["--model", "gg", "--input", input.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("all mean spends are equal"), "{stderr}");
}

fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.log10()..hi.log10()).prop_map(|e| 10f64.powf(e))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Predictions are finite, positive, and between the customer's own mean and the
    /// population mean (the credibility weighting).
    #[test]
    fn predictions_are_finite_credibility_means(
        p in log_uniform(1e-3, 1e8),
        q in log_uniform(1.001, 1e8),
        g in log_uniform(1e-3, 1e8),
        x in prop::sample::select(vec![1.0, 2.0, 10.0, 1e3, 1e5]),
        m in log_uniform(1e-300, 1e300),
    ) {
        let model = GammaGamma::new(p, q, g).unwrap();
        let e = model.expected_average_spend(x, m).unwrap();
        let mean = model.mean_spend().unwrap();
        prop_assert!(e.is_finite() && e > 0.0);
        let (lo, hi) = if mean < m { (mean, m) } else { (m, mean) };
        prop_assert!(e >= lo * (1.0 - 1e-14) && e <= hi * (1.0 + 1e-14), "{e} not in [{lo}, {hi}]");
        prop_assert!(model.log_likelihood(x, m).unwrap().is_finite());
        let grad = model.log_likelihood_gradient(x, m).unwrap();
        prop_assert!(grad.iter().all(|g| g.is_finite()));
    }
}

#[test]
fn issue9_spends_spanning_the_range_of_f64_fit_or_explain() {
    let opts = FitOptions::default();
    // Spends from 1e-300 to 1e300 in one file: a finite fit (every scaled spend in range).
    let data = SpendData::new(
        vec![1.0, 2.0, 3.0, 1.0, 4.0, 2.0],
        vec![1e-300, 1e300, 5.0, 7.0, 9.0, 1e-200],
    )
    .unwrap();
    let fit = GammaGamma::fit(&data, &opts).unwrap();
    let m = fit.model();
    assert!(fit.log_likelihood().is_finite());
    assert!(m.p().is_finite() && m.q().is_finite() && m.gamma().is_finite());
    match m.expected_average_spend_batch(&data) {
        Ok(v) => assert!(v.iter().all(|v| v.is_finite() && *v > 0.0)),
        Err(e) => assert!(
            matches!(e, Error::InvalidParameter { name: "q", .. }),
            "{e}"
        ),
    }
    // Spends at the top of f64 whose fitted γ would exceed it: an error that says so.
    // (With x = 1 every total x·m stays finite; with x = 2 the total overflows and the data
    // are refused at the door, naming the row and field.)
    let overflow = SpendData::new(vec![1.0, 2.0, 3.0], vec![1.7e308, 1.5e308, 1.6e308]);
    assert!(
        matches!(&overflow, Err(Error::InvalidData { row: 2, field, .. }) if field == "monetary_value"),
        "{overflow:?}"
    );
    let top = SpendData::new(vec![1.0, 1.0, 1.0], vec![1.7e308, 1.5e308, 1.6e308]).unwrap();
    match GammaGamma::fit(&top, &opts) {
        Ok(f) => assert!(f.model().gamma().is_finite()),
        Err(e) => assert!(e.to_string().contains("range of f64"), "{e}"),
    }
}
