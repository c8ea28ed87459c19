//! Predictive (outcome) intervals of a customer's future count: the equal-tailed interval from
//! the conditional PMF, checked against customers simulated through calibration and holdout.

use clv::{BgNbd, Customer, MbgNbd, ParetoNbd, TransactionModel};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};

/// One simulated customer: the calibration history `(x, t_x, T)` and the holdout count.
struct Simulated {
    customer: Customer,
    holdout: u32,
}

/// BG/NBD (or MBG/NBD, with a dropout coin at time 0) customers observed on `(0, T]` and
/// counted on `(T, T + t]`.
fn simulate_bg(
    (r, alpha, a, b): (f64, f64, f64, f64),
    at_start: bool,
    n: usize,
    t_end: f64,
    t: f64,
    seed: u64,
) -> Vec<Simulated> {
    let mut rng = StdRng::seed_from_u64(seed);
    let lambda = Gamma::new(r, 1.0 / alpha).unwrap();
    let dropout = Beta::new(a, b).unwrap();
    (0..n)
        .map(|_| {
            let (l, p): (f64, f64) = (lambda.sample(&mut rng), dropout.sample(&mut rng));
            let mut alive = !(at_start && rng.random::<f64>() < p);
            let (mut x, mut tx, mut y, mut now) = (0.0, 0.0, 0, 0.0);
            let exp = Exp::new(l).unwrap();
            while alive {
                now += exp.sample(&mut rng);
                if now > t_end + t {
                    break;
                }
                if now <= t_end {
                    x += 1.0;
                    tx = now;
                } else {
                    y += 1;
                }
                alive = rng.random::<f64>() >= p;
            }
            Simulated {
                customer: Customer::new(x, tx, t_end).unwrap(),
                holdout: y,
            }
        })
        .collect()
}

/// Pareto/NBD customers observed on `(0, T]` and counted on `(T, T + t]`.
fn simulate_pareto(
    (r, alpha, s, beta): (f64, f64, f64, f64),
    n: usize,
    t_end: f64,
    t: f64,
    seed: u64,
) -> Vec<Simulated> {
    let mut rng = StdRng::seed_from_u64(seed);
    let lambda = Gamma::new(r, 1.0 / alpha).unwrap();
    let mu = Gamma::new(s, 1.0 / beta).unwrap();
    (0..n)
        .map(|_| {
            let (l, m): (f64, f64) = (lambda.sample(&mut rng), mu.sample(&mut rng));
            let lifetime = Exp::new(m).unwrap().sample(&mut rng);
            let end = lifetime.min(t_end + t);
            let (mut x, mut tx, mut y, mut now) = (0.0, 0.0, 0, 0.0);
            let exp = Exp::new(l).unwrap();
            loop {
                now += exp.sample(&mut rng);
                if now > end {
                    break;
                }
                if now <= t_end {
                    x += 1.0;
                    tx = now;
                } else {
                    y += 1;
                }
            }
            Simulated {
                customer: Customer::new(x, tx, t_end).unwrap(),
                holdout: y,
            }
        })
        .collect()
}

/// The share of simulated holdout counts inside their 90% intervals, against the share the
/// model itself implies (the mean over customers of P(lower ≤ Y ≤ upper)): equal within
/// sampling error, and at least the nominal 90% (a count's interval is conservative).
fn check_coverage<M: TransactionModel>(model: &M, sims: &[Simulated], t: f64) {
    let (mut inside, mut implied) = (0.0, 0.0);
    for s in sims {
        let (lo, hi) = model.predictive_interval(&s.customer, t, 0.9).unwrap();
        assert!(lo <= hi);
        let p_in: f64 = (lo..=hi)
            .map(|n| {
                model
                    .conditional_probability_of_transactions(&s.customer, n, t)
                    .unwrap()
            })
            .sum();
        // the interval's definition: each tail at most 5%
        let p_below: f64 = (0..lo)
            .map(|n| {
                model
                    .conditional_probability_of_transactions(&s.customer, n, t)
                    .unwrap()
            })
            .sum();
        assert!(p_below < 0.05 + 1e-12, "{p_below}");
        assert!(p_in >= 0.9 - 1e-12, "{p_in}");
        implied += p_in;
        if (lo..=hi).contains(&s.holdout) {
            inside += 1.0;
        }
    }
    let n = sims.len() as f64;
    let (observed, implied) = (inside / n, implied / n);
    let se = (implied * (1.0 - implied) / n).sqrt();
    assert!(
        (observed - implied).abs() < 4.0 * se,
        "observed {observed}, implied {implied} (se {se})"
    );
    assert!(observed > 0.9 - 4.0 * se, "{observed}");
}

#[test]
fn bg_nbd_intervals_cover_simulated_holdout_counts() {
    let truth = (0.243, 4.414, 0.793, 2.426);
    let model = BgNbd::new(truth.0, truth.1, truth.2, truth.3).unwrap();
    check_coverage(
        &model,
        &simulate_bg(truth, false, 4000, 39.0, 39.0, 11),
        39.0,
    );
}

#[test]
fn mbg_nbd_intervals_cover_simulated_holdout_counts() {
    let truth = (0.525, 6.183, 0.891, 1.614);
    let model = MbgNbd::new(truth.0, truth.1, truth.2, truth.3).unwrap();
    check_coverage(
        &model,
        &simulate_bg(truth, true, 4000, 39.0, 39.0, 12),
        39.0,
    );
}

#[test]
fn pareto_nbd_intervals_cover_simulated_holdout_counts() {
    let truth = (0.553, 10.578, 0.606, 11.669);
    let model = ParetoNbd::new(truth.0, truth.1, truth.2, truth.3).unwrap();
    check_coverage(&model, &simulate_pareto(truth, 4000, 39.0, 39.0, 13), 39.0);
}

#[test]
fn interval_edges_and_errors() {
    let model = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let c = Customer::new(29.0, 37.71, 38.0).unwrap();
    let (lo, hi) = model.predictive_interval(&c, 39.0, 0.9).unwrap();
    let mean = model.conditional_expected_transactions(&c, 39.0).unwrap();
    assert!(
        f64::from(lo) < mean && mean < f64::from(hi),
        "{lo} {mean} {hi}"
    );
    // wider at a higher level, never narrower
    let (lo99, hi99) = model.predictive_interval(&c, 39.0, 0.99).unwrap();
    assert!(lo99 <= lo && hi99 >= hi);
    // no time, no purchases
    assert_eq!(model.predictive_interval(&c, 0.0, 0.9).unwrap(), (0, 0));
    for level in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        assert!(model.predictive_interval(&c, 39.0, level).is_err());
    }
    assert!(model.predictive_interval(&c, -1.0, 0.9).is_err());
}
