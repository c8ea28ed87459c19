//! Analytic Hessians of the log-likelihood ([`Objective::hessian`]) against central differences
//! of the analytic gradient, and against mpmath (`scripts/hessian_reference.py`).
#![allow(clippy::excessive_precision)]

mod common;

use clv::fit::Estimable;
use clv::{BgNbd, GammaGamma, LifetimeData, MbgNbd, Objective, ParetoNbd, RfmData, Sbg, SpendData};

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

/// Central differences of the gradient, step `1e-5·max(|θⱼ|, 0.1)` (relative error about 1e-9;
/// coefficients may be 0 or negative).
fn numerical(objective: &dyn Objective, theta: &[f64]) -> Vec<f64> {
    let k = theta.len();
    let mut h = vec![0.0; k * k];
    for j in 0..k {
        let step = 1e-5 * theta[j].abs().max(0.1);
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
    assert_eq!(exact.len(), k * k);
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

/// `log_likelihood_hessian` gives in one pass, bit for bit, what `log_likelihood` and `hessian`
/// give in two: on CDNOW (one thread) and on 100,000 whole-day customers (rows split across
/// threads), at points with and without rows on either side of the log-odds' sign.
#[test]
fn one_pass_gives_the_log_likelihood_gradient_and_hessian_of_two() {
    let large = whole_days::whole_days(100_000).compress();
    for data in [cdnow(), large] {
        let objectives: [Box<dyn Objective>; 2] = [
            Box::new(BgNbd::objective(&data)),
            Box::new(MbgNbd::objective(&data)),
        ];
        for objective in &objectives {
            for theta in [
                [0.243, 4.414, 0.793, 2.426],
                [1.7, 0.3, 3.1, 0.6],
                [0.05, 40.0, 0.2, 12.0],
                [3e-3, 2e5, 40.0, 1e-3],
            ] {
                let mut g2 = [0.0; 4];
                let ll2 = objective.log_likelihood(&theta, Some(&mut g2));
                let h2 = objective.hessian(&theta);
                let (mut g1, mut h1) = ([0.0; 4], [0.0; 16]);
                let ll1 = objective
                    .log_likelihood_hessian(&theta, &mut g1, &mut h1)
                    .unwrap();
                assert_eq!(ll1.to_bits(), ll2.to_bits(), "{theta:?}");
                assert_eq!(g1.map(f64::to_bits), g2.map(f64::to_bits), "{theta:?}");
                match h2 {
                    Some(h2) => assert_eq!(
                        h1.map(f64::to_bits).to_vec(),
                        h2.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        "{theta:?}"
                    ),
                    None => assert!(h1.iter().any(|v| !v.is_finite()), "{theta:?}"),
                }
            }
            let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
            let short = objective.log_likelihood_hessian(&[0.2, 4.0, 0.8], &mut g, &mut h);
            assert!(short.unwrap().is_nan());
            let (mut g3, mut h9) = ([0.0; 3], [0.0; 9]);
            let wrong = objective.log_likelihood_hessian(&[0.2, 4.0, 0.8, 2.0], &mut g3, &mut h9);
            assert!(wrong.unwrap().is_nan());
        }
    }
    // Models without such a pass say so, computing nothing.
    let spend = SpendData::new(vec![1.0, 3.0], vec![10.0, 20.0]).unwrap();
    let gg = GammaGamma::objective(&spend);
    let (mut g, mut h) = ([0.0; 3], [0.0; 9]);
    assert!(
        gg.log_likelihood_hessian(&[6.0, 3.7, 15.4], &mut g, &mut h)
            .is_none()
    );
}

/// The Pareto/NBD's one pass: the Hessian of `hessian` bit for bit, the log-likelihood and
/// gradient of `log_likelihood` to rounding (the same terms, combined in the Hessian's form).
#[test]
fn pareto_nbd_one_pass_gives_the_log_likelihood_gradient_and_hessian() {
    let large = whole_days::whole_days(100_000).compress();
    for data in [cdnow(), large] {
        let objective = ParetoNbd::objective(&data);
        for theta in [
            [0.553, 10.58, 0.606, 11.66],
            [2.0, 0.5, 0.05, 80.0],
            [0.05, 300.0, 3.0, 0.7],
            [1e-3, 1e6, 1e3, 1e-2],
        ] {
            let mut g2 = [0.0; 4];
            let ll2 = objective.log_likelihood(&theta, Some(&mut g2));
            let h2 = objective.hessian(&theta).unwrap();
            let (mut g1, mut h1) = ([0.0; 4], [0.0; 16]);
            let ll1 = objective
                .log_likelihood_hessian(&theta, &mut g1, &mut h1)
                .unwrap();
            assert!(
                (ll1 - ll2).abs() <= 1e-13 * ll2.abs(),
                "{theta:?}: {ll1} {ll2}"
            );
            // Each gradient entry against the sizes of the terms it sums (n · |θᵢ|⁻¹ at most).
            for i in 0..4 {
                let scale = data.n_customers() / theta[i];
                assert!(
                    (g1[i] - g2[i]).abs() <= 1e-10 * scale,
                    "{theta:?} {i}: {} {}",
                    g1[i],
                    g2[i]
                );
            }
            assert_eq!(h1.to_vec(), h2, "{theta:?}");
        }
        let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
        let bad = objective.log_likelihood_hessian(&[0.5, -1.0, 0.6, 11.0], &mut g, &mut h);
        assert!(!bad.unwrap().is_finite() || h.iter().all(|v| v.is_nan()));
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

// ---------------------------------------------------------------------------------------------
// Models with covariates.
// ---------------------------------------------------------------------------------------------

use clv::models::covariates::{
    CovariateData, CovariateSpec, GammaGammaCov, LifetimeCovariates, SbgCov,
};
use clv::{BgNbdCov, FitOptions, MbgNbdCov};

/// Purchase and dropout covariates; a covariate in one list only, one shared by every scale,
/// and a penalty on the coefficients.
fn covariate_specs() -> [CovariateSpec; 3] {
    [
        CovariateSpec::new()
            .purchase(&["bin", "score"])
            .dropout(&["bin", "score"]),
        CovariateSpec::new().purchase(&["score"]).dropout(&["bin"]),
        CovariateSpec::new()
            .purchase(&["bin"])
            .dropout(&["bin"])
            .shared(&["score"])
            .penalty(0.02),
    ]
}

/// A point `(r, α₀, a₀, b₀)` followed by coefficients `c, −c/2, c/3, ...` for `k` of them.
fn covariate_point(base: [f64; 4], c: f64, k: usize) -> Vec<f64> {
    let mut theta = base.to_vec();
    theta.extend((0..k).map(|t| c * if t % 2 == 0 { 1.0 } else { -0.5 } / (1 + t / 2) as f64));
    theta
}

fn check_family<M>()
where
    M: Estimable<Data = CovariateData>,
{
    let data = common::covariates_reference();
    for spec in covariate_specs() {
        let cd = CovariateData::new(&data, &spec).unwrap();
        let rows = M::prepare(&cd).unwrap();
        let objective = M::objective(&rows);
        let k = objective.n_params() - 4;
        for (base, c) in [
            ([0.75, 7.5, 0.9, 2.2], 0.4),
            ([1.7, 0.6, 3.1, 0.6], -0.8),
            ([0.08, 40.0, 0.2, 12.0], 0.0),
            ([0.4, 4.0, 0.7, 3.4], 1.5),
        ] {
            agrees(&objective, &covariate_point(base, c, k));
        }
        assert!(objective.hessian(&[0.75, 7.5, 0.9]).is_none());
        assert!(
            objective
                .hessian(&covariate_point([0.75, -7.5, 0.9, 2.2], 0.1, k))
                .is_none()
        );
    }
}

#[test]
fn bg_nbd_with_covariates_hessian_is_the_derivative_of_the_gradient() {
    check_family::<BgNbdCov>();
}

#[test]
fn mbg_nbd_with_covariates_hessian_is_the_derivative_of_the_gradient() {
    check_family::<MbgNbdCov>();
}

/// The rows' own Pareto/NBD Hessians at `(r, αᵢ, s, βᵢ)` carried to the coefficients.
#[test]
fn pareto_nbd_with_covariates_hessian_is_the_derivative_of_the_gradient() {
    check_family::<clv::ParetoNbdCov>();
}

/// With every coefficient 0, the Hessian's block of the base parameters is the model's own.
#[test]
fn covariate_hessian_at_zero_coefficients_is_the_base_models() {
    let data = common::covariates_reference();
    let spec = CovariateSpec::new()
        .purchase(&["bin", "score"])
        .dropout(&["bin"]);
    let cd = CovariateData::new(&data, &spec).unwrap();
    let rows = BgNbdCov::prepare(&cd).unwrap();
    let objective = BgNbdCov::objective(&rows);
    let k = objective.n_params();
    let mut theta = vec![0.0; k];
    theta[..4].copy_from_slice(&[0.75, 7.5, 0.9, 2.2]);
    let with = objective.hessian(&theta).unwrap();
    let base = BgNbd::objective(&data).hessian(&theta[..4]).unwrap();
    for i in 0..4 {
        for j in 0..4 {
            let (a, b) = (with[i * k + j], base[i * 4 + j]);
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1e-3),
                "[{i},{j}]: {a} vs {b}"
            );
        }
    }
}

/// The first 200 customers of tests/data/covariates_reference.csv, the Hessians of
/// `scripts/covariates_hessian_reference.py` (mpmath, 40 digits).
#[test]
fn covariate_hessians_match_mpmath() {
    let full = common::covariates_reference();
    let keep: Vec<usize> = (0..200).collect();
    let data = full.select(&keep).unwrap();
    let spec = CovariateSpec::new()
        .purchase(&["bin", "score"])
        .dropout(&["bin", "score"]);
    let cd = CovariateData::new(&data, &spec).unwrap();
    let reference = common::read_vectors("covariates_hessian.csv");
    let cases: [(&str, Box<dyn Objective>, [f64; 10]); 2] = [
        (
            "bgnbd",
            BgNbdCov::objective(&BgNbdCov::prepare(&cd).unwrap()),
            [0.75, 7.5, 0.9, 2.2, 0.45, 0.35, -0.2, 0.1, 0.15, -0.25],
        ),
        (
            "mbgnbd",
            MbgNbdCov::objective(&MbgNbdCov::prepare(&cd).unwrap()),
            [0.6, 5.0, 0.7, 3.1, 0.3, -0.2, 0.25, 0.15, -0.1, 0.3],
        ),
    ];
    for (model, objective, theta) in cases {
        let got = objective.hessian(&theta).unwrap();
        let mut seen = 0;
        for row in reference.iter().filter(|r| r[0] == model) {
            let (i, j): (usize, usize) = (row[1].parse().unwrap(), row[2].parse().unwrap());
            let want: f64 = row[3].parse().unwrap();
            let g = got[i * 10 + j];
            assert!(
                (g - want).abs() <= 1e-11 * want.abs().max(1e-2),
                "{model} [{i},{j}]: {g} vs {want}"
            );
            seen += 1;
        }
        assert_eq!(seen, 55, "{model}");
    }
}

#[test]
fn gamma_gamma_and_sbg_with_covariates_hessians_are_the_derivatives_of_their_gradients() {
    let n = 300;
    let x: Vec<f64> = (0..n).map(|i| (1 + i % 5) as f64).collect();
    let m: Vec<f64> = (0..n)
        .map(|i| 10.0 + ((i * 37) % 53) as f64 + 8.0 * (i % 2) as f64)
        .collect();
    let web: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
    let score: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0)
        .collect();
    let data = RfmData::from_columns(x.clone(), x, vec![10.0; n], Some(m), None)
        .unwrap()
        .with_covariates(
            vec!["web".into(), "score".into()],
            vec![web.clone(), score.clone()],
        )
        .unwrap();
    let spec = CovariateSpec::new().spend(&["web", "score"]);
    let cd = CovariateData::new(&data, &spec).unwrap();
    let objective = GammaGammaCov::objective(&GammaGammaCov::prepare(&cd).unwrap());
    // p, q and γ are strongly correlated: the differences are good to about 1e-6 here.
    covariance_check::<GammaGammaCov>(&cd, 2e-6);
    for theta in [
        [2.5, 3.2, 14.0, 0.3, -0.2],
        [6.0, 0.8, 150.0, -1.1, 0.5],
        [0.4, 12.0, 2.0, 0.0, 0.0],
    ] {
        agrees(&objective, &theta);
    }
    let duration: Vec<u32> = (0..n)
        .map(|i| 1 + (i % 7) as u32 + 3 * (i % 2) as u32)
        .collect();
    let churned: Vec<bool> = (0..n).map(|i| i % 5 != 0).collect();
    let lifetimes = LifetimeData::new(duration, churned).unwrap();
    let lc = LifetimeCovariates::new(
        &lifetimes,
        vec!["web".into(), "score".into()],
        vec![web, score],
    )
    .unwrap();
    let objective = SbgCov::objective(&lc);
    for theta in [
        [0.704, 1.182, 0.4, -0.3],
        [3.0, 0.2, -0.9, 0.2],
        [0.05, 9.0, 0.0, 0.0],
    ] {
        agrees(&objective, &theta);
    }
}

/// Symmetric positive definite `a` (row-major k×k) inverted by Gauss-Jordan elimination.
fn inverse(a: &[f64], k: usize) -> Vec<f64> {
    let mut m = a.to_vec();
    let mut inv = vec![0.0; k * k];
    for i in 0..k {
        inv[i * k + i] = 1.0;
    }
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&p, &q| m[p * k + col].abs().total_cmp(&m[q * k + col].abs()))
            .unwrap();
        for j in 0..k {
            m.swap(col * k + j, pivot * k + j);
            inv.swap(col * k + j, pivot * k + j);
        }
        let d = m[col * k + col];
        for j in 0..k {
            m[col * k + j] /= d;
            inv[col * k + j] /= d;
        }
        for row in 0..k {
            if row != col {
                let f = m[row * k + col];
                for j in 0..k {
                    m[row * k + j] -= f * m[col * k + j];
                    inv[row * k + j] -= f * inv[col * k + j];
                }
            }
        }
    }
    inv
}

/// `(a − b)` relative to `√(aᵢᵢ aⱼⱼ)`, the largest over the entries.
fn worst_relative(a: &[f64], b: &[f64], k: usize) -> f64 {
    let mut worst = 0.0f64;
    for i in 0..k {
        for j in 0..k {
            let scale = (a[i * k + i] * a[j * k + j]).abs().sqrt();
            worst = worst.max((a[i * k + j] - b[i * k + j]).abs() / scale);
        }
    }
    worst
}

/// `to_fd`: the tolerance against the inverse of the central-difference Hessian (whose own error
/// the condition of the information matrix amplifies).
fn covariance_check<M>(cd: &CovariateData, to_fd_tolerance: f64)
where
    M: Estimable<Data = CovariateData>,
{
    let fitted = M::fit(cd, &FitOptions::default()).unwrap();
    assert!(fitted.converged(), "{}", fitted.status());
    let theta = fitted.model().params();
    let k = theta.len();
    let cov: Vec<f64> = fitted
        .covariance()
        .expect("a covariance")
        .iter()
        .copied()
        .collect();
    let objective = M::objective(&M::prepare(cd).unwrap());
    let negative = |h: Vec<f64>| -> Vec<f64> { h.iter().map(|v| -v).collect() };
    let analytic = inverse(&negative(objective.hessian(&theta).unwrap()), k);
    let mut fd = negative(numerical(&objective, &theta));
    for i in 0..k {
        for j in 0..i {
            let m = 0.5 * (fd[i * k + j] + fd[j * k + i]);
            fd[i * k + j] = m;
            fd[j * k + i] = m;
        }
    }
    let fd = inverse(&fd, k);
    let (to_fit, to_fd) = (
        worst_relative(&analytic, &cov, k),
        worst_relative(&analytic, &fd, k),
    );
    println!(
        "{}: covariance vs the fit's {to_fit:.2e}, vs differences {to_fd:.2e}; gradient norm {:e}",
        M::NAME,
        fitted.gradient_norm()
    );
    // The fit's covariance is taken where its gradient is below the stopping tolerance, not 0:
    // its first-order term moves it by that much.
    assert!(to_fit <= 1e-6, "{to_fit:e}");
    assert!(to_fd <= to_fd_tolerance, "{to_fd:e}");
}

/// The covariance of a fit on centred and scaled covariates, mapped back to the caller's
/// columns, is the inverse of the analytic Hessian in the caller's parameters, and the inverse
/// of the Hessian by central differences of the gradient.
#[test]
fn covariate_fit_covariance_is_the_inverse_analytic_hessian() {
    let data = common::covariates_reference();
    let spec = CovariateSpec::new()
        .purchase(&["bin", "score"])
        .dropout(&["bin", "score"]);
    let cd = CovariateData::new(&data, &spec).unwrap();
    covariance_check::<BgNbdCov>(&cd, 1e-7);
    covariance_check::<MbgNbdCov>(&cd, 1e-7);
}
