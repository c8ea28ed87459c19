//! MBG/NBD: log-likelihood + gradient and a full fit on CDNOW; a full fit on a simulated
//! 1,000,000-customer summary with continuous ages (nearly all rows distinct).

use std::hint::black_box;
use std::time::Duration;

use clv::models::Simulate;
use clv::{FitOptions, MbgNbd, Objective, RfmData};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The MLE on CDNOW.
const THETA: [f64; 4] = [0.5248, 6.1830, 0.8914, 1.6140];

fn benches(c: &mut Criterion) {
    let raw = RfmData::from_csv_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    ))
    .unwrap();
    let objective = MbgNbd::objective(&raw.compress());
    c.bench_function("mbg_nbd/loglik_gradient_cdnow", |b| {
        let mut g = [0.0; 4];
        b.iter(|| black_box(objective.log_likelihood(black_box(&THETA), Some(&mut g))))
    });
    c.bench_function("mbg_nbd/fit_cdnow", |b| {
        b.iter(|| MbgNbd::fit(black_box(&raw), &FitOptions::default()).unwrap())
    });

    // 1,000,000 customers with ages spread over (27, 39) weeks, as in CDNOW but continuous.
    let truth = MbgNbd::new(THETA[0], THETA[1], THETA[2], THETA[3]).unwrap();
    let ages: Vec<f64> = (0..1_000_000)
        .map(|i| 27.0 + 12.0 * ((i as f64 * 0.618_033_988_75) % 1.0))
        .collect();
    let big = truth
        .simulate(&ages, &mut StdRng::seed_from_u64(7))
        .unwrap()
        .data;
    let mut group = c.benchmark_group("mbg_nbd_1m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("fit_1m_distinct", |b| {
        b.iter(|| MbgNbd::fit(black_box(&big), &FitOptions::default()).unwrap())
    });
    group.finish();
}

criterion_group!(mbg_nbd, benches);
criterion_main!(mbg_nbd);
