//! The analytic Pareto/NBD Hessian ([`Objective::hessian`]) against differences of the analytic
//! gradient (CDNOW and simulated data, parameters across 1e-3..1e8) and against mpmath
//! (`scripts/pareto_nbd_hessian_reference.py`).
#![allow(clippy::excessive_precision)]

mod common;

use clv::simulate::Simulate;
use clv::{Objective, ParetoNbd, RfmData};
use rand::SeedableRng;

/// The difference step of a parameter: `10⁻³·|θⱼ|`, or `10⁻⁴` at 0 (a coefficient).
fn step(v: f64) -> f64 {
    if v == 0.0 { 1e-4 } else { 1e-3 * v.abs() }
}

/// Richardson-extrapolated central differences of the analytic gradient, steps `h` and `h/2`
/// with `h` of [`step`] (truncation error of order `h⁴`).
fn numerical(objective: &dyn Objective, theta: &[f64]) -> Vec<f64> {
    let k = theta.len();
    let central = |j: usize, h: f64| {
        let (mut up, mut dn) = (theta.to_vec(), theta.to_vec());
        up[j] += h;
        dn[j] -= h;
        let (mut gu, mut gd) = (vec![0.0; k], vec![0.0; k]);
        objective.log_likelihood(&up, Some(&mut gu));
        objective.log_likelihood(&dn, Some(&mut gd));
        (0..k)
            .map(|i| (gu[i] - gd[i]) / (2.0 * h))
            .collect::<Vec<_>>()
    };
    let mut out = vec![0.0; k * k];
    for j in 0..k {
        let h = step(theta[j]);
        let (coarse, fine) = (central(j, h), central(j, 0.5 * h));
        for i in 0..k {
            out[i * k + j] = (4.0 * fine[i] - coarse[i]) / 3.0;
        }
    }
    out
}

/// Per parameter, the diagonal of the outer product of the rows' gradients `Σ wᵢ (∂ℓᵢ)²` (the
/// curvature scale the rows carry, against which the entries are judged where the total
/// curvature in a direction is small: a flat direction of the likelihood) and `Σ wᵢ |∂ℓᵢ|` (the
/// size of the terms whose rounding the differences divide by their step).
fn row_scales(data: &RfmData, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let model = ParetoNbd::new(theta[0], theta[1], theta[2], theta[3]).unwrap();
    let (mut b, mut g1) = (vec![0.0; 4], vec![0.0; 4]);
    for (c, w) in data.customers().zip(data.weights()) {
        let g = model.log_likelihood_gradient(&c);
        for i in 0..4 {
            b[i] += w * g[i] * g[i];
            g1[i] += w * g[i].abs();
        }
    }
    (b, g1)
}

/// The largest difference between the analytic and the numerical Hessian, less the rounding
/// allowance of the differences (`10⁻¹⁴ Σ|∂ᵢℓ| / hⱼ`), relative to
/// `√((|Hᵢᵢ| + Bᵢᵢ)(|Hⱼⱼ| + Bⱼⱼ))`, `B` the outer product of the rows' gradients.
fn worst(data: &RfmData, theta: &[f64]) -> f64 {
    let objective = ParetoNbd::objective(data);
    let k = theta.len();
    let exact = objective.hessian(theta).expect("an analytic Hessian");
    let approx = numerical(&objective, theta);
    let (b, g1) = row_scales(data, theta);
    let mut worst = 0.0f64;
    for i in 0..k {
        for j in 0..k {
            let scale = ((exact[i * k + i].abs() + b[i]) * (exact[j * k + j].abs() + b[j])).sqrt();
            let noise = 1e-14 * g1[i] / step(theta[j]);
            let err = ((exact[i * k + j] - approx[i * k + j]).abs() - noise).max(0.0) / scale;
            assert!(err.is_finite(), "θ = {theta:?} [{i},{j}]");
            assert_eq!(exact[i * k + j].to_bits(), exact[j * k + i].to_bits());
            worst = worst.max(err);
        }
    }
    worst
}

#[test]
fn hessian_is_the_derivative_of_the_gradient_on_cdnow() {
    let data = common::cdnow().compress();
    for theta in [
        [0.5534, 10.5802, 0.6061, 11.6562],
        [0.55, 10.0, 0.7, 10.0],
        [2.0, 0.5, 0.1, 40.0],
        [0.05, 40.0, 3.0, 0.3],
        [1e-3, 1e-3, 1e-3, 1e-3],
        [1e3, 1e3, 1e3, 1e3],
        [1e-3, 1e3, 1e3, 1e-3],
        [5.0, 1e8, 1e-3, 1e8],
    ] {
        let err = worst(&data, &theta);
        eprintln!("{theta:?}: {err:.1e}");
        assert!(err < 1e-6, "θ = {theta:?}: {err:.1e}");
    }
}

#[test]
fn hessian_is_the_derivative_of_the_gradient_on_simulated_data() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    for (truth, unit) in [
        ([0.8, 5.0, 1.2, 20.0], 1.0),
        ([3.0, 0.2, 0.05, 200.0], 1.0),
        ([0.3, 2e5, 0.9, 4e4], 1e4),
        ([20.0, 30.0, 8.0, 0.5], 1.0),
    ] {
        let model = ParetoNbd::new(truth[0], truth[1], truth[2], truth[3]).unwrap();
        let ages: Vec<f64> = (0..400).map(|i| unit * (10.0 + (i % 40) as f64)).collect();
        let data = model.simulate(&ages, &mut rng).unwrap().data.compress();
        for scale in [1.0, 0.1, 10.0] {
            let theta = [truth[0], truth[1] * scale, truth[2], truth[3] / scale];
            let err = worst(&data, &theta);
            eprintln!("{truth:?} at {theta:?}: {err:.1e}");
            assert!(err < 1e-6, "{truth:?} at {theta:?}: {err:.1e}");
        }
    }
}

/// Six customers, the Hessians of `scripts/pareto_nbd_hessian_reference.py` (mpmath, 60 digits;
/// note 009's closed form differentiated numerically at high precision).
#[test]
fn hessians_match_mpmath() {
    let data = RfmData::new(
        vec![0.0, 2.0, 1.0, 7.0, 26.0, 5.0],
        vec![0.0, 30.43, 1.71, 29.43, 30.85714, 10.0],
        vec![38.86, 38.86, 38.86, 32.71, 31.0, 10.0],
    )
    .unwrap();
    let objective = ParetoNbd::objective(&data);
    let reference = common::read_vectors("pareto_nbd_hessian.csv");
    for (case, theta) in [
        ("cdnow", [0.5534, 10.5802, 0.6061, 11.6562]),
        ("alpha_below_beta", [1.7, 0.6, 3.1, 40.0]),
        ("equal_rates", [0.55, 10.0, 0.7, 10.0]),
        ("z_near_one", [1.2, 800.0, 0.4, 0.01]),
        ("z_near_one_large_s", [1.2, 800.0, 4.0, 0.01]),
        ("z_near_one_large_r", [5.0, 0.01, 0.4, 800.0]),
    ] {
        let got = objective.hessian(&theta).unwrap();
        // Relative to the curvature the rows carry (their terms cancel in flat directions).
        let (b, _) = row_scales(&data, &theta);
        let mut seen = 0;
        for row in reference.iter().filter(|r| r[0] == case) {
            let (i, j): (usize, usize) = (row[1].parse().unwrap(), row[2].parse().unwrap());
            let want = common::num(&row[3]);
            let scale = ((got[i * 4 + i].abs() + b[i]) * (got[j * 4 + j].abs() + b[j])).sqrt();
            let err = (got[i * 4 + j] - want).abs();
            assert!(
                err <= 1e-12 * scale,
                "{case} [{i},{j}]: {} vs {want}",
                got[i * 4 + j]
            );
            seen += 1;
        }
        assert_eq!(seen, 10, "{case}");
    }
}

/// The first 60 customers of tests/data/covariates_reference.csv with `bin` and `score` on both
/// scales, the Hessian of `scripts/pareto_nbd_hessian_reference.py` (case `covariates`).
#[test]
fn covariate_hessian_matches_mpmath() {
    use clv::ParetoNbdCov;
    use clv::fit::Estimable;
    use clv::models::covariates::{CovariateData, CovariateSpec};
    let keep: Vec<usize> = (0..60).collect();
    let data = common::covariates_reference().select(&keep).unwrap();
    let spec = CovariateSpec::new()
        .purchase(&["bin", "score"])
        .dropout(&["bin", "score"]);
    let cd = CovariateData::new(&data, &spec).unwrap();
    let objective = ParetoNbdCov::objective(&ParetoNbdCov::prepare(&cd).unwrap());
    let theta = [0.75, 7.5, 0.9, 2.2, 0.45, 0.35, -0.2, 0.1];
    let got = objective.hessian(&theta).unwrap();
    let reference = common::read_vectors("pareto_nbd_hessian.csv");
    let mut seen = 0;
    for row in reference.iter().filter(|r| r[0] == "covariates") {
        let (i, j): (usize, usize) = (row[1].parse().unwrap(), row[2].parse().unwrap());
        let want = common::num(&row[3]);
        let scale = (got[i * 8 + i] * got[j * 8 + j]).abs().sqrt();
        let g = got[i * 8 + j];
        assert!(
            (g - want).abs() <= 1e-12 * scale,
            "[{i},{j}]: {g} vs {want}"
        );
        seen += 1;
    }
    assert_eq!(seen, 36);
}
