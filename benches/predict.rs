//! Batch predictions (P(alive), E[Y(39)], DERT) of BG/NBD, MBG/NBD and Pareto/NBD on simulated
//! summaries whose ages and purchase times are whole days (as a transaction log gives them), so
//! that many customers share `(x, T)`: 100,000 customers, 1..546 days of age, in weeks.

use std::hint::black_box;
use std::time::Duration;

use clv::{BgNbd, MbgNbd, ParetoNbd, RfmData, TransactionModel, simulate};
use criterion::{Criterion, criterion_group, criterion_main};

/// `n` BG/NBD customers with ages of 1..546 whole days and purchase times rounded up to whole
/// days, in weeks.
fn whole_days(n: usize) -> RfmData {
    let truth = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let days: Vec<f64> = (0..n)
        .map(|i| 1.0 + ((i as f64 * 0.618_033_988_75) % 1.0 * 546.0).floor())
        .collect();
    let ages: Vec<f64> = days.iter().map(|d| d / 7.0).collect();
    let sim = simulate::bg_nbd(&truth, &ages, 7).unwrap().data;
    let recency: Vec<f64> = sim
        .recency()
        .iter()
        .zip(&days)
        .map(|(&t, &d)| {
            if t > 0.0 {
                (t * 7.0).ceil().min(d) / 7.0
            } else {
                0.0
            }
        })
        .collect();
    RfmData::new(sim.frequency().to_vec(), recency, ages).unwrap()
}

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
