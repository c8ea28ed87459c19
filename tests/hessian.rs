//! Analytic Hessians of the log-likelihood ([`Objective::hessian`]) against central differences
//! of the analytic gradient, and against mpmath (`scripts/hessian_reference.py`).
#![allow(clippy::excessive_precision)]

use clv::fit::Estimable;
use clv::{BgNbd, GammaGamma, LifetimeData, MbgNbd, Objective, RfmData, Sbg, SpendData};

#[path = "../benches/common/whole_days.rs"]
mod whole_days;

fn cdnow() -> RfmData {
    RfmData::from_csv_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    ))
    .unwrap()
    .compress()
}

/// Central differences of the gradient, step `1e-5 θⱼ` (relative error about 1e-9).
fn numerical(objective: &dyn Objective, theta: &[f64]) -> Vec<f64> {
    let k = theta.len();
    let mut h = vec![0.0; k * k];
    for j in 0..k {
        let step = 1e-5 * theta[j];
        let (mut up, mut dn) = (theta.to_vec(), theta.to_vec());
        up[j] += step;
        dn[j] -= step;
        let (mut gu, mut gd) = (vec![0.0; k], vec![0.0; k]);
        objective.log_likelihood(&up, Some(&mut gu));
        objective.log_likelihood(&dn, Some(&mut gd));
        for i in 0..k {
            h[i * k + j] = (gu[i] - gd[i]) / (2.0 * step);
        }
    }
    h
}

fn agrees(objective: &dyn Objective, theta: &[f64]) {
    let k = theta.len();
    let exact = objective.hessian(theta).expect("an analytic Hessian");
    let approx = numerical(objective, theta);
    // Relative to the diagonal scale of the row and column (off-diagonal entries may be small).
    for i in 0..k {
        for j in 0..k {
            let scale = (exact[i * k + i].abs() * exact[j * k + j].abs()).sqrt();
            let (e, a) = (exact[i * k + j], approx[i * k + j]);
            assert!(
                (e - a).abs() <= 1e-6 * scale,
                "θ = {theta:?}, [{i},{j}]: {e} vs {a}"
            );
            assert_eq!(e.to_bits(), exact[j * k + i].to_bits(), "symmetric");
        }
    }
}

#[test]
fn bg_nbd_hessian_is_the_derivative_of_the_gradient() {
    let data = cdnow();
    let objective = BgNbd::objective(&data);
    for theta in [
        [0.243, 4.414, 0.793, 2.426],
        [1.7, 0.3, 3.1, 0.6],
        [0.05, 40.0, 0.2, 12.0],
    ] {
        agrees(&objective, &theta);
    }
    assert!(objective.hessian(&[0.243, 4.414, 0.793]).is_none());
}

#[test]
fn mbg_nbd_hessian_is_the_derivative_of_the_gradient() {
    let data = cdnow();
    let objective = MbgNbd::objective(&data);
    for theta in [[0.525, 6.183, 0.891, 1.614], [2.2, 0.8, 4.0, 0.4]] {
        agrees(&objective, &theta);
    }
}

#[test]
fn gamma_gamma_and_sbg_hessians_are_the_derivatives_of_their_gradients() {
    let spend = SpendData::with_weights(
        vec![1.0, 2.0, 2.0, 7.0, 1.0],
        vec![10.0, 35.5, 12.25, 50.0, 3.0],
        Some(vec![1.0, 2.0, 1.0, 3.0, 1.5]),
    )
    .unwrap();
    let objective = <GammaGamma as Estimable>::objective(&spend);
    for theta in [[2.5, 3.2, 14.0], [6.0, 0.8, 150.0], [0.4, 12.0, 2.0]] {
        agrees(&objective, &theta);
    }
    let lifetimes = LifetimeData::new(
        vec![1, 1, 2, 3, 3, 4, 5, 5, 5, 8],
        vec![
            true, true, true, false, true, true, false, false, true, false,
        ],
    )
    .unwrap();
    let objective = <Sbg as Estimable>::objective(&lifetimes);
    for theta in [[0.704, 1.182], [3.0, 0.2], [0.05, 9.0]] {
        agrees(&objective, &theta);
    }
}

/// Four customers, the Hessians of `scripts/hessian_reference.py` (mpmath, 40 digits).
#[test]
fn hessians_match_mpmath() {
    let data = RfmData::new(
        vec![0.0, 2.0, 1.0, 7.0],
        vec![0.0, 30.43, 1.71, 29.43],
        vec![38.86, 38.86, 38.86, 32.71],
    )
    .unwrap();
    let bg = [
        [
            -51.861768272393472,
            0.6398532066739524,
            0.48164733990277046,
            -0.14869718193618241,
        ],
        [
            0.6398532066739524,
            -0.011555311881168635,
            -0.042990683925766245,
            0.013024622535491022,
        ],
        [
            0.48164733990277046,
            -0.042990683925766245,
            -0.63422731440567701,
            0.33058130954675789,
        ],
        [
            -0.14869718193618241,
            0.013024622535491022,
            0.33058130954675789,
            -0.10484268204162922,
        ],
    ];
    let mbg = [
        [
            -10.709168395735616,
            0.30624309403439676,
            0.868994646340387,
            -0.40033164318614503,
        ],
        [
            0.30624309403439676,
            -0.014505483394965788,
            -0.050678372103597616,
            0.020459180594863134,
        ],
        [
            0.868994646340387,
            -0.050678372103597616,
            -0.39958958744652603,
            0.77069013039546764,
        ],
        [
            -0.40033164318614503,
            0.020459180594863134,
            0.77069013039546764,
            -0.67034543017309409,
        ],
    ];
    type Case = (Box<dyn Objective>, [f64; 4], [[f64; 4]; 4]);
    let cases: [Case; 2] = [
        (
            Box::new(BgNbd::objective(&data)),
            [0.243, 4.414, 0.793, 2.426],
            bg,
        ),
        (
            Box::new(MbgNbd::objective(&data)),
            [0.525, 6.183, 0.891, 1.614],
            mbg,
        ),
    ];
    for (objective, theta, want) in cases {
        let got = objective.hessian(&theta).unwrap();
        for i in 0..4 {
            for j in 0..4 {
                let (g, w) = (got[i * 4 + j], want[i][j]);
                assert!((g - w).abs() <= 1e-12 * w.abs(), "[{i},{j}]: {g} vs {w}");
            }
        }
    }
}

/// Passes and time of a BG/NBD fit of 1,000,000 simulated customers with whole-day ages (run
/// with `--ignored --nocapture`; figures in docs/PERFORMANCE.md).
#[test]
#[ignore = "a timing run: three fits of 1,000,000 customers"]
fn fit_passes_on_a_million_customers() {
    let data = whole_days::whole_days(1_000_000);
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let fit = BgNbd::fit(&data, &clv::FitOptions::default()).unwrap();
        println!(
            "evaluations {} seconds {:.3} ll {:?} se {:?}",
            fit.evaluations(),
            start.elapsed().as_secs_f64(),
            fit.log_likelihood(),
            fit.std_errors()
        );
        assert!(fit.converged());
        assert!(fit.log_likelihood().is_finite());
        assert!(fit.std_errors().is_some());
    }
}
