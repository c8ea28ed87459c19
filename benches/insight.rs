//! RFM quintile scores, segments and value tiers of a 1,000,000-customer base.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use rand::{Rng, SeedableRng, rngs::StdRng};

use clv::insight::{RfmSegment, Tiers, rfm_scores};

fn base(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(15);
    let gap = (0..n)
        .map(|_| rng.random_range(0.0..78.0f64).floor())
        .collect();
    let freq = (0..n)
        .map(|_| f64::from(rng.random_range(0..30u32)))
        .collect();
    let money = (0..n).map(|_| rng.random_range(5.0..300.0f64)).collect();
    let clv = (0..n).map(|_| rng.random_range(0.0..2000.0f64)).collect();
    (gap, freq, money, clv)
}

fn bench(c: &mut Criterion) {
    let (gap, freq, money, clv) = base(1_000_000);
    let mut group = c.benchmark_group("insight_1e6_customers");
    group.sample_size(10);
    group.bench_function("rfm_scores_segments_and_tiers", |b| {
        b.iter(|| {
            let scores = rfm_scores(&gap, &freq, Some(&money)).unwrap();
            let segments: Vec<RfmSegment> = scores
                .iter()
                .map(|s| RfmSegment::from_scores(s.r, s.f))
                .collect();
            let tiers = Tiers::default().assign(&clv).unwrap();
            black_box((segments, tiers))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
