//! sBG benches: fitting a cohort, fitting simulated individual lifetimes, predictions.
use std::hint::black_box;

use clv::data::CohortData;
use clv::{FitOptions, Sbg, simulate};
use criterion::{Criterion, criterion_group, criterion_main};

fn benches(c: &mut Criterion) {
    let regular =
        CohortData::single(vec![1000., 631., 468., 382., 326., 289., 262., 241.]).unwrap();
    let options = FitOptions::default();
    c.bench_function("sbg fit regular cohort (8 periods)", |b| {
        b.iter(|| Sbg::fit_cohorts(black_box(&regular), &options).unwrap())
    });
    let truth = Sbg::new(0.704, 1.182).unwrap();
    let horizons: Vec<u32> = (0..100_000u32).map(|i| 1 + i % 24).collect();
    let lifetimes = simulate::sbg(&truth, &horizons, 1).unwrap();
    c.bench_function("sbg fit 100k individual lifetimes", |b| {
        b.iter(|| Sbg::fit(black_box(&lifetimes), &options).unwrap())
    });
    c.bench_function("sbg DERL d=0.1 (5 renewals)", |b| {
        b.iter(|| {
            black_box(&truth)
                .discounted_expected_residual_lifetime(0.1, 5)
                .unwrap()
        })
    });
    c.bench_function("sbg survival 1..=100", |b| {
        b.iter(|| {
            (1..=100u32)
                .map(|t| black_box(&truth).survival(t))
                .sum::<f64>()
        })
    });
}

criterion_group!(sbg, benches);
criterion_main!(sbg);
