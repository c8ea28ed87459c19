//! BG/BB benches: fitting the donations data, fitting 1,000,000 simulated customers,
//! predictions.
use std::hint::black_box;

use clv::models::Simulate;
use clv::{BgBb, FitOptions, RfmData};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn benches(c: &mut Criterion) {
    let donations =
        RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/donations.csv")).unwrap();
    let options = FitOptions::default();
    c.bench_function("bgbb fit donations (11,104 donors, 22 histories)", |b| {
        b.iter(|| BgBb::fit(black_box(&donations), &options).unwrap())
    });
    let truth = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
    let design: Vec<u32> = (0..1_000_000u32).map(|i| 6 + i % 15).collect();
    let sim = truth
        .simulate(&design, &mut StdRng::seed_from_u64(7))
        .unwrap();
    let mut group = c.benchmark_group("bgbb large");
    group.sample_size(10);
    group.bench_function("bgbb fit 1,000,000 simulated customers (n = 6..20)", |b| {
        b.iter(|| BgBb::fit(black_box(&sim.data), &options).unwrap())
    });
    group.finish();
    c.bench_function("bgbb log-likelihood (500, 999, 1000)", |b| {
        b.iter(|| black_box(&truth).log_likelihood(500, 999, 1000).unwrap())
    });
    c.bench_function("bgbb P(alive) + E[Y(5)] + DERT(0.1) (3, 5, 6)", |b| {
        b.iter(|| {
            let m = black_box(&truth);
            m.probability_alive(3, 5, 6).unwrap()
                + m.conditional_expected_transactions(3, 5, 6, 5).unwrap()
                + m.discounted_expected_residual_transactions(3, 5, 6, 0.1)
                    .unwrap()
        })
    });
    c.bench_function("bgbb P(X(1000) = 10)", |b| {
        b.iter(|| {
            black_box(&truth)
                .probability_of_transactions(10, 1000)
                .unwrap()
        })
    });
}

criterion_group!(bg_bb, benches);
criterion_main!(bg_bb);
