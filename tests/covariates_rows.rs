//! The likelihood of a model with covariates, row by row: the sum over customers of the model
//! without covariates at each customer's own parameters (customers without repeat purchases,
//! who have no chance to drop out under BG/NBD, included), with the gradient in the base
//! parameters by the chain rule through the individual scales.

mod common;

use clv::fit::{Estimable, Objective};
use clv::models::covariates::{CovariateBase, CovariateData, CovariateSpec, WithCovariates};
use clv::{Customer, RfmData};

/// CDNOW with a three-level and a continuous covariate.
fn data() -> RfmData {
    let data = common::cdnow();
    let n = data.len();
    let level: Vec<f64> = (0..n).map(|i| (i % 3) as f64 - 1.0).collect();
    let score: Vec<f64> = (0..n)
        .map(|i| ((i * 37) % 101) as f64 / 50.0 - 1.0)
        .collect();
    data.with_covariates(vec!["level".into(), "score".into()], vec![level, score])
        .unwrap()
}

/// Total LL and base-parameter gradient from the objective, against the same from the
/// customer models (`ll(customer)`, `grad(customer)` of the model without covariates).
fn check<B: CovariateBase>(
    theta: &[f64],
    ll: impl Fn(&B, &Customer) -> f64,
    grad: impl Fn(&B, &Customer) -> [f64; 4],
) {
    let data = data();
    let spec = CovariateSpec::new()
        .purchase(&["level", "score"])
        .dropout(&["level", "score"]);
    let cd = CovariateData::new(&data, &spec).unwrap();
    let rows = WithCovariates::<B>::prepare(&cd).unwrap();
    let obj = WithCovariates::<B>::objective(&rows);
    let mut g = vec![0.0; theta.len()];
    let total = obj.log_likelihood(theta, Some(&mut g));
    let model = WithCovariates::<B>::from_estimate(&rows, theta).unwrap();
    let base = model.base().params();
    let (mut sum, mut gsum) = (0.0, [0.0; 4]);
    for (i, c) in data.customers().enumerate() {
        let m = model.customer_model_of(&data, i).unwrap();
        let own = m.params();
        sum += ll(&m, &c);
        for (k, d) in grad(&m, &c).into_iter().enumerate() {
            // θᵢ = θ₀·fᵢ: ∂ℓ/∂θ₀ = fᵢ·∂ℓ/∂θᵢ (fᵢ = 1 for a shape).
            gsum[k] += d * own[k] / base[k];
        }
    }
    assert!((total - sum).abs() <= 1e-11 * sum.abs(), "{total} vs {sum}");
    for k in 0..4 {
        assert!(
            (g[k] - gsum[k]).abs() <= 1e-9 * (1.0 + gsum[k].abs()),
            "gradient {k}: {} vs {}",
            g[k],
            gsum[k]
        );
    }
}

#[test]
fn bg_nbd_rows_are_the_customer_models() {
    let theta = [0.25, 4.5, 0.8, 2.5, 0.3, -0.2, 0.4, 0.1, -0.3, 0.2];
    check::<clv::BgNbd>(
        &theta,
        |m, c| m.log_likelihood(c),
        |m, c| m.log_likelihood_gradient(c),
    );
}

#[test]
fn mbg_nbd_rows_are_the_customer_models() {
    let theta = [0.25, 4.5, 0.8, 2.5, 0.3, -0.2, 0.4, 0.1, -0.3, 0.2];
    check::<clv::MbgNbd>(
        &theta,
        |m, c| m.log_likelihood(c),
        |m, c| m.log_likelihood_gradient(c),
    );
}

#[test]
fn pareto_nbd_rows_are_the_customer_models() {
    let theta = [0.55, 10.6, 0.6, 11.7, 0.3, -0.2, 0.1, 0.2];
    check::<clv::ParetoNbd>(
        &theta,
        |m, c| m.log_likelihood(c),
        |m, c| m.log_likelihood_gradient(c),
    );
}
