//! Batch predictions (P(alive), E[Y(39)], DERT) of BG/NBD, MBG/NBD and Pareto/NBD on simulated
//! summaries whose ages and purchase times are whole days (as a transaction log gives them), so
//! that many customers share `(x, T)`: 100,000 customers, 1..546 days of age, in weeks.

use std::hint::black_box;
use std::time::Duration;

use clv::{BgNbd, MbgNbd, ParetoNbd, RfmData, TransactionModel};

#[path = "common/whole_days.rs"]
mod common;
use common::whole_days;
use criterion::{Criterion, criterion_group, criterion_main};

fn predict<M: TransactionModel + Sync>(c: &mut Criterion, name: &str, model: &M, data: &RfmData) {
    let mut group = c.benchmark_group(format!("predict_100k/{name}"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("p_alive", |b| {
        b.iter(|| model.probability_alive_batch(black_box(data)))
    });
    group.bench_function("expected_39", |b| {
        b.iter(|| {
            model
                .conditional_expected_transactions_batch(black_box(data), 39.0)
                .unwrap()
        })
    });
    group.bench_function("dert", |b| {
        b.iter(|| {
            model
                .discounted_expected_residual_transactions_batch(black_box(data), 0.0027)
                .unwrap()
        })
    });
    group.finish();
}

fn all(c: &mut Criterion) {
    let data = whole_days(100_000);
    predict(
        c,
        "bg_nbd",
        &BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap(),
        &data,
    );
    predict(
        c,
        "mbg_nbd",
        &MbgNbd::new(0.5248, 6.183, 0.8914, 1.614).unwrap(),
        &data,
    );
    predict(
        c,
        "pareto_nbd",
        &ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap(),
        &data,
    );
}

criterion_group!(benches, all);
criterion_main!(benches);
