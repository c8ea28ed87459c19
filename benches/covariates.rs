//! Models with covariates: one likelihood-and-gradient evaluation over 1,000,000 distinct
//! customers with 3 covariates (one binary, two continuous) against the same evaluation of the
//! model without covariates on the same rows, one pass of the analytic Hessian of each (BG/NBD),
//! and one full fit of each model (timed once, printed).
use std::hint::black_box;
use std::time::Instant;

use clv::fit::Estimable;
use clv::models::Simulate;
use clv::models::covariates::{CovariateData, CovariateSpec};
use clv::{BgNbd, BgNbdCov, FitOptions, Objective, ParetoNbd, ParetoNbdCov, RfmData};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const N: usize = 1_000_000;

fn spec() -> CovariateSpec {
    CovariateSpec::new()
        .purchase(&["web", "score", "tenure"])
        .dropout(&["web", "score", "tenure"])
}

/// 1,000,000 customers from a Pareto/NBD with covariates `web ~ Bernoulli(0.4)`,
/// `score ~ N(0, 1)`, `tenure ~ U(−1, 1)`; T ~ U[27, 39] weeks.
fn simulated() -> RfmData {
    let mut rng = StdRng::seed_from_u64(7);
    let (mut x, mut tx, mut t) = (
        Vec::with_capacity(N),
        Vec::with_capacity(N),
        Vec::with_capacity(N),
    );
    let mut z = vec![
        Vec::with_capacity(N),
        Vec::with_capacity(N),
        Vec::with_capacity(N),
    ];
    for _ in 0..N {
        let web = if rng.random::<f64>() < 0.4 { 1.0 } else { 0.0 };
        let score: f64 = rng.sample(rand_distr::StandardNormal);
        let tenure = 2.0 * rng.random::<f64>() - 1.0;
        let (pa, pd) = (
            0.4 * web + 0.2 * score + 0.1 * tenure,
            -0.3 * web + 0.2 * score,
        );
        let m = ParetoNbd::new(0.55, 10.6 * (-pa).exp(), 0.6, 11.7 * (-pd).exp()).unwrap();
        let age = 27.0 + 12.0 * rng.random::<f64>();
        let sim = m.simulate(&[age], &mut rng).unwrap();
        x.push(sim.data.frequency()[0]);
        tx.push(sim.data.recency()[0]);
        t.push(age);
        z[0].push(web);
        z[1].push(score);
        z[2].push(tenure);
    }
    RfmData::new(x, tx, t)
        .unwrap()
        .with_covariates(vec!["web".into(), "score".into(), "tenure".into()], z)
        .unwrap()
}

/// The same customers with 3 indicator covariates (`web`, `score > 0`, `tenure > 0`): 8
/// distinct covariate vectors, as categorical characteristics give.
fn with_indicators(data: &RfmData) -> CovariateData {
    let indicator = |name: &str| -> Vec<f64> {
        let col = data.covariate(name).unwrap();
        col.iter()
            .map(|&v| if v > 0.0 { 1.0 } else { 0.0 })
            .collect()
    };
    let names = vec!["web".to_string(), "score".to_string(), "tenure".to_string()];
    let columns = names.iter().map(|n| indicator(n)).collect();
    let plain = RfmData::new(
        data.frequency().to_vec(),
        data.recency().to_vec(),
        data.age().to_vec(),
    )
    .unwrap()
    .with_covariates(names, columns)
    .unwrap();
    CovariateData::new(&plain, &spec()).unwrap()
}

fn benches(c: &mut Criterion) {
    let data = simulated();
    let cd = CovariateData::new(&data, &spec()).unwrap();
    let plain = data.distinct_customers().0;

    // `COV_BENCH_FITS=0` skips the timed fits (per-evaluation benches only);
    // `COV_BENCH_FITS=pnbd,bgnbd` runs only the fits named.
    let fits = std::env::var("COV_BENCH_FITS").ok();
    let run = |name: &str| {
        fits.as_deref()
            .is_none_or(|v| v.split(',').any(|f| f == name))
    };
    for (name, fit) in [
        (
            "pnbd",
            &(|| {
                ParetoNbdCov::fit(&cd, &FitOptions::default())
                    .map(|f| (f.log_likelihood(), f.evaluations(), f.status().to_string()))
            }) as &dyn Fn() -> clv::Result<(f64, u64, String)>,
        ),
        ("bgnbd", &|| {
            BgNbdCov::fit(&cd, &FitOptions::default())
                .map(|f| (f.log_likelihood(), f.evaluations(), f.status().to_string()))
        }),
        ("pnbd_without", &|| {
            ParetoNbd::fit(&plain, &FitOptions::default())
                .map(|f| (f.log_likelihood(), f.evaluations(), f.status().to_string()))
        }),
        ("bgnbd_without", &|| {
            BgNbd::fit(&plain, &FitOptions::default())
                .map(|f| (f.log_likelihood(), f.evaluations(), f.status().to_string()))
        }),
    ]
    .into_iter()
    .filter(|(name, _)| run(name))
    {
        let start = Instant::now();
        let out = fit();
        println!(
            "fit {name} on {N} customers: {:.2} s, {out:?}",
            start.elapsed().as_secs_f64()
        );
    }

    // `COV_BENCH_COUNT=<name>:<n>` runs `n` evaluations of one objective (`pnbd`, `pnbd_zero`,
    // `pnbd_without`, `bgnbd`, `bgnbd_zero`, `bgnbd_indicators`, `bgnbd_without`) and exits: a fixed workload to
    // count instructions or CPU time with `perf stat` (minus the same run with `n = 0`), which
    // the load of a shared machine does not distort as it does wall time; with
    // `COV_BENCH_HESSIAN=1`, `n` passes of the analytic Hessian instead.
    if let Ok(spec) = std::env::var("COV_BENCH_COUNT") {
        let (name, n) = spec.split_once(':').unwrap_or((spec.as_str(), "10"));
        let n: usize = n.parse().unwrap_or(10);
        let pn = ParetoNbdCov::prepare(&cd).unwrap();
        let bg = BgNbdCov::prepare(&cd).unwrap();
        let (obj, th): (Box<dyn Objective>, Vec<f64>) = match name {
            "pnbd" | "pnbd_zero" => {
                let mut th = vec![0.55, 10.6, 0.6, 11.7, 0.4, 0.2, 0.1, -0.3, 0.2, 0.0];
                if name == "pnbd_zero" {
                    th[4..].iter_mut().for_each(|v| *v = 0.0);
                }
                (ParetoNbdCov::objective(&pn), th)
            }
            "bgnbd_indicators" => (
                BgNbdCov::objective(&BgNbdCov::prepare(&with_indicators(&data)).unwrap()),
                vec![
                    0.55, 10.6, 0.8, 2.4, 0.4, 0.2, 0.1, -0.3, 0.2, 0.0, 0.1, 0.1, 0.1,
                ],
            ),
            "bgnbd" | "bgnbd_zero" => {
                let mut th = vec![
                    0.55, 10.6, 0.8, 2.4, 0.4, 0.2, 0.1, -0.3, 0.2, 0.0, 0.1, 0.1, 0.1,
                ];
                if name == "bgnbd_zero" {
                    th[4..].iter_mut().for_each(|v| *v = 0.0);
                }
                (BgNbdCov::objective(&bg), th)
            }
            "pnbd_without" => (
                Box::new(ParetoNbd::objective(&plain)),
                vec![0.55, 10.6, 0.6, 11.7],
            ),
            _ => (
                Box::new(BgNbd::objective(&plain)),
                vec![0.55, 10.6, 0.8, 2.4],
            ),
        };
        let mut g = vec![0.0; th.len()];
        let mut sum = 0.0;
        let hessian = std::env::var("COV_BENCH_HESSIAN").is_ok_and(|v| v == "1");
        for _ in 0..n {
            if hessian {
                sum += obj.hessian(black_box(&th)).map_or(f64::NAN, |h| h[0]);
            } else {
                sum += obj.log_likelihood(black_box(&th), Some(&mut g));
            }
        }
        println!("{name}: {n} evaluations, {sum}");
        std::process::exit(0);
    }

    let mut group = c.benchmark_group("covariates_1m");
    group.sample_size(10);
    let rows = ParetoNbdCov::prepare(&cd).unwrap();
    let obj = ParetoNbdCov::objective(&rows);
    let th = [0.55, 10.6, 0.6, 11.7, 0.4, 0.2, 0.1, -0.3, 0.2, 0.0];
    let mut g = vec![0.0; th.len()];
    group.bench_function("pnbd_eval_3_covariates", |b| {
        b.iter(|| obj.log_likelihood(black_box(&th), Some(&mut g)))
    });
    // The same rows with every coefficient 0: the cost of the covariate machinery alone.
    let zero = [0.55, 10.6, 0.6, 11.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    group.bench_function("pnbd_eval_3_covariates_at_zero", |b| {
        b.iter(|| obj.log_likelihood(black_box(&zero), Some(&mut g)))
    });
    let base = ParetoNbd::objective(&plain);
    let mut g4 = [0.0; 4];
    group.bench_function("pnbd_eval_without", |b| {
        b.iter(|| base.log_likelihood(black_box(&th[..4]), Some(&mut g4)))
    });
    let rows = BgNbdCov::prepare(&cd).unwrap();
    let obj = BgNbdCov::objective(&rows);
    let th = [
        0.55, 10.6, 0.8, 2.4, 0.4, 0.2, 0.1, -0.3, 0.2, 0.0, 0.1, 0.1, 0.1,
    ];
    let mut g = vec![0.0; th.len()];
    group.bench_function("bgnbd_eval_3_covariates", |b| {
        b.iter(|| obj.log_likelihood(black_box(&th), Some(&mut g)))
    });
    let mut zero = [0.0; 13];
    zero[..4].copy_from_slice(&th[..4]);
    group.bench_function("bgnbd_eval_3_covariates_at_zero", |b| {
        b.iter(|| obj.log_likelihood(black_box(&zero), Some(&mut g)))
    });
    let base = BgNbd::objective(&plain);
    group.bench_function("bgnbd_eval_without", |b| {
        b.iter(|| base.log_likelihood(black_box(&th[..4]), Some(&mut g4)))
    });
    // Indicator covariates: 8 distinct vectors, the scale factors once per vector.
    let rows_ind = BgNbdCov::prepare(&with_indicators(&data)).unwrap();
    let obj_ind = BgNbdCov::objective(&rows_ind);
    group.bench_function("bgnbd_eval_3_indicators", |b| {
        b.iter(|| obj_ind.log_likelihood(black_box(&th), Some(&mut g)))
    });
    // The analytic Hessian: one pass with 3 covariates (9 coefficients) against one without.
    group.bench_function("bgnbd_hessian_3_covariates", |b| {
        b.iter(|| obj.hessian(black_box(&th)))
    });
    group.bench_function("bgnbd_hessian_without", |b| {
        b.iter(|| base.hessian(black_box(&th[..4])))
    });
    group.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
