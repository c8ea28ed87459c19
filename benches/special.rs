//! Special-function benches: ln 2F1 as the Pareto/NBD likelihood calls it (two calls per
//! customer per evaluation), 2F1 in the BG/NBD conditional expectation, ln Γ(a, z).
use std::hint::black_box;

use clv::special::{hyp2f1, ln_hyp2f1, ln_upper_gamma};
use criterion::{Criterion, criterion_group, criterion_main};

/// Pareto/NBD-like arguments: CDNOW-scale parameters, x in 0..30, t_x and T in weeks.
fn pareto_args() -> Vec<(f64, f64, f64, f64)> {
    let (r, alpha, s, beta): (f64, f64, f64, f64) = (0.553, 10.58, 0.606, 11.67);
    let mut v = Vec::new();
    for i in 0..1000 {
        let x = (i % 30) as f64;
        let big_t = 27.0 + (i % 13) as f64;
        let t_x = big_t * ((i * 7) % 10) as f64 / 10.0;
        let w = r + s + x;
        let m = alpha.max(beta);
        for t in [t_x, big_t] {
            v.push((w, r + x, w + 1.0, (beta - alpha) / (m + t)));
        }
    }
    v
}

fn bench(c: &mut Criterion) {
    let args = pareto_args();
    c.bench_function("ln_hyp2f1 pareto/nbd (2000 calls)", |b| {
        b.iter(|| {
            args.iter()
                .map(|&(a, bb, cc, z)| ln_hyp2f1(a, bb, cc, z).unwrap())
                .sum::<f64>()
        })
    });
    // Large z (parameters drifting during a fit): series, incomplete beta and quadrature paths.
    let hard: Vec<_> = args
        .iter()
        .enumerate()
        .map(|(i, &(a, bb, cc, _))| (a, bb, cc, 1.0 - 10f64.powi(-((i % 9) as i32) - 1)))
        .collect();
    c.bench_function("ln_hyp2f1 z in [0.9, 1-1e-9] (2000 calls)", |b| {
        b.iter(|| {
            hard.iter()
                .map(|&(a, bb, cc, z)| ln_hyp2f1(a, bb, cc, z).unwrap())
                .sum::<f64>()
        })
    });
    c.bench_function("hyp2f1 bg/nbd euler form, x = 2, z = 0.5", |b| {
        b.iter(|| {
            hyp2f1(
                black_box(0.976),
                black_box(-0.207),
                black_box(5.219),
                black_box(0.5),
            )
        })
    });
    c.bench_function("hyp2f1 bg/nbd euler form, x = 0, z = 1 - 1e-8", |b| {
        b.iter(|| {
            hyp2f1(
                black_box(0.976),
                black_box(-0.207),
                black_box(2.219),
                black_box(1.0 - 1e-8),
            )
        })
    });
    c.bench_function("ln_upper_gamma(1 - 0.606, 0.11)", |b| {
        b.iter(|| ln_upper_gamma(black_box(0.394), black_box(0.11)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
