//! Parameter-uncertainty benches: intervals of BG/NBD P(alive) for 1,000,000 simulated
//! customers (ages in whole days, CDNOW's 27 to 39 weeks), by the delta method and by 1,000
//! parametric draws, beside the prediction alone.
use clv::fit::{Method, Range};
use clv::{BgNbd, FitOptions, RfmData, TransactionModel, simulate};
use criterion::{Criterion, criterion_group, criterion_main};

fn customers(n: usize) -> RfmData {
    let model = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let ages: Vec<f64> = (0..n)
        .map(|i| (189.0 + ((i as f64 * 0.618_033_988_749_895).fract() * 85.0).floor()) / 7.0)
        .collect();
    simulate::bg_nbd(&model, &ages, 7).unwrap().data
}

fn bench(c: &mut Criterion) {
    let data = customers(1_000_000);
    // a fit to 20,000 of them, so that the covariance is that of a typical sample
    let sample = data.select(&(0..20_000).collect::<Vec<_>>()).unwrap();
    let fitted = BgNbd::fit(&sample, &FitOptions::default()).unwrap();
    let (distinct, _) = data.distinct_customers();
    println!("{} customers, {} distinct", data.len(), distinct.len());
    let mut g = c.benchmark_group("intervals");
    g.sample_size(10);
    g.bench_function("p_alive_prediction_1m", |b| {
        b.iter(|| fitted.model().probability_alive_batch(&data))
    });
    let intervals = |method| {
        fitted
            .intervals_customers(
                &data,
                |m, d| m.probability_alive_batch(d),
                Range::Probability,
                0.9,
                method,
            )
            .unwrap()
    };
    g.bench_function("p_alive_delta_1m", |b| b.iter(|| intervals(Method::Delta)));
    let draws = Method::Parametric {
        draws: 1_000,
        seed: 1,
    };
    g.bench_function("p_alive_parametric_1000_draws_1m", |b| {
        b.iter(|| intervals(draws))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
