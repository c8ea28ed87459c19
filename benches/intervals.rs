//! Parameter-uncertainty benches on 1,000,000 simulated customers (ages in whole days, CDNOW's
//! 27 to 39 weeks): intervals of BG/NBD P(alive) by the delta method (finite differences of
//! the prediction, and its analytic gradient) and by 1,000 parametric draws, beside the
//! prediction alone; and for BG/NBD, MBG/NBD and Pareto/NBD the batch P(alive) and E[Y(39)]
//! beside their delta intervals from the analytic gradients (`*_differentiated`).
use clv::fit::{Method, Range};
use clv::{
    BgNbd, FitOptions, Fitted, MbgNbd, Model, ParetoNbd, RfmData, TransactionModel, simulate,
};
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};

fn ages(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (189.0 + ((i as f64 * 0.618_033_988_749_895).fract() * 85.0).floor()) / 7.0)
        .collect()
}

fn customers(n: usize) -> RfmData {
    let model = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    simulate::bg_nbd(&model, &ages(n), 7).unwrap().data
}

/// A fit to the first 20,000 of `data`, so that the covariance is that of a typical sample.
fn fit_sample<M: clv::Estimable<Data = RfmData>>(data: &RfmData) -> Fitted<M> {
    let sample = data.select(&(0..20_000).collect::<Vec<_>>()).unwrap();
    M::fit(&sample, &FitOptions::default()).unwrap()
}

fn bench(c: &mut Criterion) {
    let data = customers(1_000_000);
    let fitted: Fitted<BgNbd> = fit_sample(&data);
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

/// The batch P(alive) and E[Y(39)] of `fitted` on `data`, and their analytic delta intervals.
fn prediction_and_delta<M>(g: &mut BenchmarkGroup<'_, WallTime>, fitted: &Fitted<M>, data: &RfmData)
where
    M: Model + TransactionModel + Send + Sync,
{
    let name = M::NAME;
    let model = fitted.model();
    g.bench_function(format!("{name}_p_alive_prediction_1m"), |b| {
        b.iter(|| model.probability_alive_batch(data))
    });
    g.bench_function(format!("{name}_p_alive_delta_analytic_1m"), |b| {
        b.iter(|| {
            fitted
                .intervals_customers(
                    data,
                    |m, d| m.probability_alive_differentiated(d),
                    Range::Probability,
                    0.9,
                    Method::Delta,
                )
                .unwrap()
        })
    });
    g.bench_function(format!("{name}_expected_39_prediction_1m"), |b| {
        b.iter(|| {
            model
                .conditional_expected_transactions_batch(data, 39.0)
                .unwrap()
        })
    });
    g.bench_function(format!("{name}_expected_39_delta_analytic_1m"), |b| {
        b.iter(|| {
            fitted
                .intervals_customers(
                    data,
                    |m, d| m.conditional_expected_transactions_differentiated(d, 39.0),
                    Range::Positive,
                    0.9,
                    Method::Delta,
                )
                .unwrap()
        })
    });
}

fn analytic(c: &mut Criterion) {
    let n = 1_000_000;
    let bg = customers(n);
    let mbg = simulate::mbg_nbd(
        &MbgNbd::new(0.5248, 6.1830, 0.8914, 1.6140).unwrap(),
        &ages(n),
        7,
    )
    .unwrap()
    .data;
    let pnbd = simulate::pareto_nbd(
        &ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap(),
        &ages(n),
        7,
    )
    .unwrap()
    .data;
    let mut g = c.benchmark_group("analytic_delta");
    g.sample_size(10);
    prediction_and_delta(&mut g, &fit_sample::<BgNbd>(&bg), &bg);
    prediction_and_delta(&mut g, &fit_sample::<MbgNbd>(&mbg), &mbg);
    prediction_and_delta(&mut g, &fit_sample::<ParetoNbd>(&pnbd), &pnbd);
    g.finish();
}

criterion_group!(benches, bench, analytic);
criterion_main!(benches);
