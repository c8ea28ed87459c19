//! One likelihood pass (value and gradient; the analytic Hessian) of BG/NBD, MBG/NBD and
//! Pareto/NBD over the compressed rows of 10,000, 100,000 and 1,000,000 simulated customers
//! with whole-day ages: the cost per distinct row per pass (docs/PERFORMANCE.md).

use std::hint::black_box;
use std::time::Duration;

use clv::{BgNbd, MbgNbd, Objective, ParetoNbd};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/whole_days.rs"]
mod common;
use common::whole_days;

fn all(c: &mut Criterion) {
    for n in [10_000, 100_000, 1_000_000] {
        let data = whole_days(n).compress();
        let rows = data.len();
        let mut group = c.benchmark_group(format!("pass_{n}_customers_{rows}_rows"));
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(3));
        let objectives: [(&str, Box<dyn Objective>, [f64; 4]); 3] = [
            (
                "bg_nbd",
                Box::new(BgNbd::objective(&data)),
                [0.243, 4.414, 0.793, 2.426],
            ),
            (
                "mbg_nbd",
                Box::new(MbgNbd::objective(&data)),
                [0.525, 6.183, 0.891, 1.614],
            ),
            (
                "pareto_nbd",
                Box::new(ParetoNbd::objective(&data)),
                [0.553, 10.58, 0.606, 11.66],
            ),
        ];
        for (name, objective, theta) in &objectives {
            group.bench_function(format!("{name}/value_gradient"), |b| {
                let mut g = [0.0; 4];
                b.iter(|| objective.log_likelihood(black_box(theta), Some(&mut g)))
            });
            if objective.hessian(theta).is_some() {
                group.bench_function(format!("{name}/hessian"), |b| {
                    b.iter(|| objective.hessian(black_box(theta)))
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
