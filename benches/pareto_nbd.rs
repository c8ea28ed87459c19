//! Pareto/NBD benches: log-likelihood + gradient and full fits, on CDNOW and on a simulated
//! customer base of 1,000,000 distinct rows (CDNOW's estimates, T ~ U[27, 39] weeks), and a
//! degenerate fit of 1,000 customers whose likelihood has its supremum on the boundary.
use std::hint::black_box;

use clv::{FitOptions, Model, Objective, ParetoNbd, RfmData, TransactionModel, simulate};
use criterion::{Criterion, criterion_group, criterion_main};

fn cdnow() -> RfmData {
    RfmData::from_csv_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    ))
    .unwrap()
}

fn simulated(n: usize) -> RfmData {
    let model = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let ages: Vec<f64> = (0..n)
        .map(|i| 27.0 + 12.0 * (i as f64 + 0.5) / n as f64)
        .collect();
    simulate::pareto_nbd(&model, &ages, 1).unwrap().data
}

/// 1,000 customers with no heterogeneity in their dropout (x cycling through 0..=8, T evenly
/// over [27, 39] weeks, t_x evenly over (0, T)): the likelihood keeps rising as s, β → ∞.
fn homogeneous_dropout() -> RfmData {
    let frac = |v: f64| v - v.floor();
    let rows: Vec<(f64, f64, f64)> = (0..1000)
        .map(|i| {
            let x = (i * 7 % 9) as f64;
            let t = 27.0 + 12.0 * frac((i + 1) as f64 * 0.618_033_988_749_895);
            let t_x = if x == 0.0 {
                0.0
            } else {
                frac((i + 1) as f64 * std::f64::consts::SQRT_2) * t
            };
            (x, t_x, t)
        })
        .collect();
    RfmData::new(
        rows.iter().map(|r| r.0).collect(),
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
    )
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let model = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let cdnow = cdnow();
    c.bench_function("pnbd_fit_cdnow", |b| {
        b.iter(|| ParetoNbd::fit(black_box(&cdnow), &FitOptions::default()).unwrap())
    });
    let degenerate = homogeneous_dropout();
    let mut group = c.benchmark_group("pnbd_degenerate");
    group.sample_size(10);
    group.bench_function("fit_1000_homogeneous_dropout", |b| {
        b.iter(|| ParetoNbd::fit(black_box(&degenerate), &FitOptions::default()).unwrap())
    });
    group.finish();
    let big = simulated(1_000_000);
    let compressed = big.compress();
    assert_eq!(
        compressed.len(),
        1_000_000,
        "every simulated row is distinct"
    );
    let mut group = c.benchmark_group("pnbd_1m");
    group.sample_size(10);
    let objective = ParetoNbd::objective(&compressed);
    let theta = model.params();
    group.bench_function("log_likelihood", |b| {
        b.iter(|| black_box(objective.log_likelihood(black_box(&theta), None)))
    });
    group.bench_function("log_likelihood_and_gradient", |b| {
        let mut g = [0.0; 4];
        b.iter(|| black_box(objective.log_likelihood(black_box(&theta), Some(&mut g))))
    });
    group.bench_function("p_alive_batch", |b| {
        b.iter(|| model.probability_alive_batch(black_box(&compressed)))
    });
    group.bench_function("fit", |b| {
        b.iter(|| ParetoNbd::fit(black_box(&compressed), &FitOptions::default()).unwrap())
    });
    group.finish();
}

criterion_group!(pareto_nbd, benches);
criterion_main!(pareto_nbd);
