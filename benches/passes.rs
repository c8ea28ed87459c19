//! One likelihood pass (value and gradient; the analytic Hessian; all three in one pass) of
//! BG/NBD, MBG/NBD and Pareto/NBD over the compressed rows of 10,000, 100,000 and 1,000,000
//! simulated customers with whole-day ages, and of Gamma-Gamma over their repeat buyers (with
//! a continuous mean spend): the cost per distinct row per pass (docs/PERFORMANCE.md).
//!
//! `PASSES_FITS=1` instead times whole fits and prints their likelihood passes ("Passes per
//! fit" in docs/PERFORMANCE.md): CDNOW BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma (median of
//! 5), and 1,000,000 whole-day customers with BG/NBD and Pareto/NBD (once each), then exits.

use std::hint::black_box;
use std::time::Duration;

use clv::fit::Estimable;
use clv::{BgNbd, FitOptions, GammaGamma, MbgNbd, Objective, ParetoNbd, RfmData, SpendData};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/whole_days.rs"]
mod common;
use common::whole_days;

/// Fits `M` to `data` `repeat` times; prints the median wall time, the passes, the status and
/// the estimate.
fn time_fit<M: Estimable>(name: &str, data: &M::Data, repeat: usize) {
    let mut walls = Vec::new();
    let mut last = None;
    for _ in 0..repeat {
        let start = std::time::Instant::now();
        let fit = M::fit(data, &FitOptions::default());
        walls.push(start.elapsed().as_secs_f64());
        last = Some(fit);
    }
    walls.sort_by(f64::total_cmp);
    let wall = walls[walls.len() / 2];
    match last {
        Some(Ok(f)) => println!(
            "{name}: {wall:.4} s, {} passes, {}, ll {:?}, params {:?}",
            f.evaluations(),
            f.status(),
            f.log_likelihood(),
            f.model().params()
        ),
        Some(Err(e)) => println!("{name}: {wall:.4} s, error {e}"),
        None => {}
    }
}

/// The fits of `PASSES_FITS=1` (see the module docs).
fn fits() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    );
    let cdnow = RfmData::from_csv_path(path).unwrap();
    time_fit::<BgNbd>("cdnow bg_nbd", &cdnow, 5);
    time_fit::<MbgNbd>("cdnow mbg_nbd", &cdnow, 5);
    time_fit::<ParetoNbd>("cdnow pareto_nbd", &cdnow, 5);
    let mut rdr = csv::Reader::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary_with_transactions.csv"
    ))
    .unwrap();
    let (mut x, mut m) = (vec![], vec![]);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        x.push(rec[1].parse::<f64>().unwrap());
        m.push(rec[4].parse::<f64>().unwrap());
    }
    let spend = SpendData::new(x, m).unwrap();
    time_fit::<GammaGamma>("cdnow gamma_gamma", &spend, 5);
    let million = whole_days(1_000_000);
    time_fit::<BgNbd>("1M bg_nbd", &million, 1);
    time_fit::<ParetoNbd>("1M pareto_nbd", &million, 1);
}

fn all(c: &mut Criterion) {
    if std::env::var("PASSES_FITS").is_ok() {
        fits();
        std::process::exit(0);
    }
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
            let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
            if objective
                .log_likelihood_hessian(theta, &mut g, &mut h)
                .is_some()
            {
                group.bench_function(format!("{name}/one_pass"), |b| {
                    b.iter(|| objective.log_likelihood_hessian(black_box(theta), &mut g, &mut h))
                });
            }
        }
        // Gamma-Gamma on the same customers' repeat buyers, with a continuous mean spend (every
        // row distinct).
        let full = whole_days(n);
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let (mut x, mut m) = (Vec::new(), Vec::new());
        for &f in full.frequency().iter().filter(|&&f| f > 0.0) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            x.push(f);
            m.push(5.0 + 60.0 * (state >> 11) as f64 / (1u64 << 53) as f64);
        }
        let spend = GammaGamma::prepare(&SpendData::new(x, m).unwrap()).unwrap();
        let gg = GammaGamma::objective(&spend);
        let theta = [6.25, 3.74, 15.4];
        group.bench_function(
            format!("gamma_gamma_{}_rows/value_gradient", spend.len()),
            |b| {
                let mut g = [0.0; 3];
                b.iter(|| gg.log_likelihood(black_box(&theta), Some(&mut g)))
            },
        );
        group.bench_function(format!("gamma_gamma_{}_rows/hessian", spend.len()), |b| {
            b.iter(|| gg.hessian(black_box(&theta)))
        });
        group.finish();
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
