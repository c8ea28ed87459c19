//! Summarising a synthetic log of 10,000,000 transactions (1,000,000 customers over two years
//! of daily dates) into a calibration/holdout split: target > 5 million transactions per second
//! on one core.
use std::hint::black_box;

use clv::data::{Periods, TransactionLog};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const N_TRANSACTIONS: usize = 10_000_000;
const N_CUSTOMERS: usize = 1_000_000;

/// A log grouped by customer with times in order (as most exports are) and a shuffled copy.
fn logs() -> (TransactionLog, TransactionLog) {
    let mut rng = StdRng::seed_from_u64(7);
    let ids: Vec<String> = (0..N_CUSTOMERS).map(|i| format!("c{i:07}")).collect();
    let per = N_TRANSACTIONS / N_CUSTOMERS;
    let (mut customer, mut time, mut amount) = (
        Vec::with_capacity(N_TRANSACTIONS),
        Vec::with_capacity(N_TRANSACTIONS),
        Vec::with_capacity(N_TRANSACTIONS),
    );
    for c in 0..N_CUSTOMERS {
        let first = 10_000.0 + f64::from(rng.random_range(0..90u32));
        let mut days: Vec<f64> = (0..per)
            .map(|j| {
                if j == 0 {
                    first
                } else {
                    first + f64::from(rng.random_range(0..640u32))
                }
            })
            .collect();
        days.sort_by(f64::total_cmp);
        for d in days {
            customer.push(c as u32);
            time.push(d);
            amount.push(f64::from(rng.random_range(1..10_000u32)) / 100.0);
        }
    }
    let sorted = TransactionLog::from_indexed(
        ids.clone(),
        customer.clone(),
        time.clone(),
        Some(amount.clone()),
    )
    .unwrap();
    // shuffle (Fisher-Yates) for the unsorted case
    for i in (1..customer.len()).rev() {
        let j = rng.random_range(0..=i);
        customer.swap(i, j);
        time.swap(i, j);
        amount.swap(i, j);
    }
    let shuffled = TransactionLog::from_indexed(ids, customer, time, Some(amount)).unwrap();
    (sorted, shuffled)
}

fn summarize(c: &mut Criterion) {
    let (sorted, shuffled) = logs();
    let cut = 10_000.0 + 273.0;
    let mut group = c.benchmark_group("summarize");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N_TRANSACTIONS as u64));
    group.bench_function("calibration_holdout_10M_sorted", |b| {
        b.iter(|| {
            black_box(&sorted)
                .calibration_holdout(&Periods::days_in_weeks(), cut, None)
                .unwrap()
        })
    });
    group.bench_function("calibration_holdout_10M_shuffled", |b| {
        b.iter(|| {
            black_box(&shuffled)
                .calibration_holdout(&Periods::days_in_weeks(), cut, None)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, summarize);
criterion_main!(benches);
