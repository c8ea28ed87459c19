//! Customer value benches: 1,000,000 simulated BG/NBD customers with Gamma-Gamma spend.
use clv::value::{DiscountRate, Valuation};
use clv::{BgNbd, GammaGamma, RfmData, simulate};
use criterion::{Criterion, criterion_group, criterion_main};

/// `n` customers from the CDNOW BG/NBD fit, ages in whole days (27 to 39 weeks, in weeks), and a
/// spend column.
fn customers(n: usize, whole_days: bool) -> RfmData {
    let model = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let ages: Vec<f64> = (0..n)
        .map(|i| {
            let u = (i as f64 * 0.618_033_988_749_895).fract();
            if whole_days {
                (189.0 + (u * 85.0).floor()) / 7.0
            } else {
                27.0 + 12.0 * u
            }
        })
        .collect();
    let sim = simulate::bg_nbd(&model, &ages, 7).unwrap();
    let d = sim.data;
    let m: Vec<f64> = d
        .frequency()
        .iter()
        .enumerate()
        .map(|(i, &x)| if x > 0.0 { 10.0 + (i % 97) as f64 } else { 0.0 })
        .collect();
    RfmData::from_columns(
        d.frequency().to_vec(),
        d.recency().to_vec(),
        d.age().to_vec(),
        Some(m),
        None,
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let tm = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let spend = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let d = DiscountRate::new(0.10, 52.0).unwrap();
    let lifetime = Valuation::continuous(0.3, d, None).unwrap();
    let weekly = Valuation::discrete(0.3, d, 1.0, 52).unwrap();
    let mut g = c.benchmark_group("value");
    g.sample_size(10);
    let days = customers(1_000_000, true);
    g.bench_function("clv_dert_bgnbd_1m_ages_in_days", |b| {
        b.iter(|| lifetime.customer_values(&tm, &spend, &days).unwrap())
    });
    // Every customer with its own age: one BG/NBD DERT quadrature per distinct (x, T).
    let cont = customers(10_000, false);
    g.bench_function("clv_dert_bgnbd_10k_continuous_ages", |b| {
        b.iter(|| lifetime.customer_values(&tm, &spend, &cont).unwrap())
    });
    let small = customers(10_000, false);
    g.bench_function("clv_weekly_52_bgnbd_10k_continuous_ages", |b| {
        b.iter(|| weekly.customer_values(&tm, &spend, &small).unwrap())
    });
    // A million customers, nearly all distinct (continuous ages).
    let million = customers(1_000_000, false);
    g.bench_function("clv_dert_bgnbd_1m_continuous_ages", |b| {
        b.iter(|| lifetime.customer_values(&tm, &spend, &million).unwrap())
    });
    // 52 weekly periods for a million customers, nearly all distinct.
    g.bench_function("clv_weekly_52_bgnbd_1m_continuous_ages", |b| {
        b.iter(|| weekly.customer_values(&tm, &spend, &million).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
