//! BG/NBD: log-likelihood + gradient and a full fit on CDNOW; a full fit and batch predictions
//! on a simulated 1,000,000-customer summary with continuous ages (nearly all rows distinct).

use std::hint::black_box;
use std::time::Duration;

use clv::{BgNbd, FitOptions, Objective, RfmData, TransactionModel, simulate};
use criterion::{Criterion, criterion_group, criterion_main};

fn cdnow() -> RfmData {
    RfmData::from_csv_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    ))
    .unwrap()
}

/// 1,000,000 customers with ages spread over (27, 39) weeks, as in CDNOW but continuous.
fn million() -> RfmData {
    let truth = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let ages: Vec<f64> = (0..1_000_000)
        .map(|i| 27.0 + 12.0 * ((i as f64 * 0.618_033_988_75) % 1.0))
        .collect();
    simulate::bg_nbd(&truth, &ages, 7).unwrap().data
}

fn benches(c: &mut Criterion) {
    let data = cdnow().compress();
    let objective = BgNbd::objective(&data);
    let theta = [0.243, 4.414, 0.793, 2.426];
    c.bench_function("bg_nbd/loglik_gradient_cdnow", |b| {
        let mut g = [0.0; 4];
        b.iter(|| black_box(objective.log_likelihood(black_box(&theta), Some(&mut g))))
    });
    let raw = cdnow();
    c.bench_function("bg_nbd/fit_cdnow", |b| {
        b.iter(|| BgNbd::fit(black_box(&raw), &FitOptions::default()).unwrap())
    });

    let big = million();
    let mut group = c.benchmark_group("bg_nbd_1m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("fit_1m_distinct", |b| {
        b.iter(|| BgNbd::fit(black_box(&big), &FitOptions::default()).unwrap())
    });
    let model = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    group.bench_function("predict_1m_p_alive_and_expected_39", |b| {
        b.iter(|| {
            let p = model.probability_alive_batch(black_box(&big));
            let e = model
                .conditional_expected_transactions_batch(black_box(&big), 39.0)
                .unwrap();
            (p, e)
        })
    });
    group.finish();
}

criterion_group!(bg_nbd, benches);
criterion_main!(bg_nbd);
