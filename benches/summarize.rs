//! Summarising a synthetic log of 10,000,000 transactions (1,000,000 customers over two years
//! of daily dates) into a calibration/holdout split: target > 5 million transactions per second
//! on one core. And reading a CSV log of 1,000,000 transactions (100,000 customers, in time
//! order) into its summary: whole (`from_reader` + `summarize`) and as it is read
//! (`summarize_ordered`). And reading a summary CSV of 1,000,000 customers (`frequency,
//! recency,T` with whole-day times in weeks, 16–17 digits each) into its distinct rows: the
//! plain reader on every core (`from_plain_csv_reader_distinct`, and `_grouped` with the rows)
//! against the stream reader that names errors (`from_csv_reader_distinct`).
use std::hint::black_box;

use std::fmt::Write as _;

use clv::RfmData;
use clv::data::{Periods, TransactionLog, TransactionReader, civil_from_days};
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

/// A CSV log of `n` transactions of `n / 10` customers in time order, ISO dates, amounts.
fn csv_log(n: usize) -> String {
    let mut rng = StdRng::seed_from_u64(11);
    let mut rows: Vec<(i64, u32, u32)> = (0..n)
        .map(|_| {
            (
                10_000 + rng.random_range(0..640),
                rng.random_range(0..(n / 10) as u32),
                rng.random_range(100..20_000),
            )
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let mut csv = String::from("customer_id,date,amount\n");
    for (day, c, cents) in rows {
        let (y, m, d) = civil_from_days(day);
        csv.push_str(&format!(
            "c{c:07},{y:04}-{m:02}-{d:02},{}.{:02}\n",
            cents / 100,
            cents % 100
        ));
    }
    csv
}

fn read_csv(c: &mut Criterion) {
    let csv = csv_log(1_000_000);
    let reader = TransactionReader::new().optional_amount_column("amount");
    let mut group = c.benchmark_group("summarize_csv");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("read_whole_then_summarize_1M", |b| {
        b.iter(|| {
            let log = reader.from_reader(black_box(csv.as_bytes())).unwrap();
            log.summarize(&Periods::days(), log.time_range().1).unwrap()
        })
    });
    group.bench_function("summarize_ordered_1M", |b| {
        b.iter(|| {
            reader
                .summarize_ordered(black_box(csv.as_bytes()), &Periods::days(), None)
                .unwrap()
                .unwrap()
        })
    });
    group.finish();
}

#[path = "common/whole_days.rs"]
mod whole_days;

/// The summary CSV of `n` simulated customers, times written as `{:?}` writes them.
fn summary_csv(n: usize) -> String {
    let data = whole_days::whole_days(n);
    let mut csv = String::from("frequency,recency,T\n");
    for i in 0..data.len() {
        let (x, t_x, t) = (data.frequency()[i], data.recency()[i], data.age()[i]);
        let _ = writeln!(csv, "{x:?},{t_x:?},{t:?}");
    }
    csv
}

fn read_summary(c: &mut Criterion) {
    let csv = summary_csv(1_000_000);
    let mut group = c.benchmark_group("read_summary");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("plain_distinct_1M", |b| {
        b.iter(|| RfmData::from_plain_csv_reader_distinct(black_box(csv.as_bytes())).unwrap())
    });
    group.bench_function("plain_grouped_1M", |b| {
        b.iter(|| RfmData::from_plain_csv_reader_grouped(black_box(csv.as_bytes())).unwrap())
    });
    group.bench_function("stream_distinct_1M", |b| {
        b.iter(|| {
            RfmData::from_csv_reader_distinct(black_box(csv.as_bytes()))
                .unwrap()
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, summarize, read_csv, read_summary);
criterion_main!(benches);
