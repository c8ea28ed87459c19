//! Expected buyers per period after the cut-off (`AliveShare::expected_period_buyers`,
//! `TransactionModel::probability_of_purchase_between`): against a direct computation by
//! quadrature over the posterior of the individual parameters, and against seeded simulations
//! of purchase paths.

use clv::data::TransactionLog;
use clv::{BgNbd, Customer, MbgNbd, ParetoNbd, TransactionModel};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use statrs::function::gamma::ln_gamma;

/// Composite Simpson rule of `f` on `[lo, hi]` with `n` (even) panels.
fn simpson(f: impl Fn(f64) -> f64, lo: f64, hi: f64, n: usize) -> f64 {
    let h = (hi - lo) / n as f64;
    let mut s = f(lo) + f(hi);
    for i in 1..n {
        s += f(lo + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// BG/NBD, directly: the posterior of `(λ, p)` given `(x, t_x, T)` is the prior times
/// `(1−p)^x λ^x e^{−λT}` (alive at `T`) plus `p (1−p)^{x−1} λ^x e^{−λ t_x}` (gone after the last
/// purchase); a customer alive at `T` is still alive at `T + a` with probability `e^{−λ p a}`
/// and then buys in the next `L` with probability `1 − e^{−λ L}`. `λ` is integrated in closed
/// form (`E[λ^x e^{−λc}] = Γ(r+x)/Γ(r) α^r/(α+c)^{r+x}`), `p` by Simpson's rule in `p = u^8`.
fn bg_nbd_direct(r: f64, alpha: f64, a: f64, b: f64, c: &Customer, from: f64, to: f64) -> f64 {
    let (x, tx, t) = (c.frequency(), c.recency(), c.age());
    let lam = |cc: f64| {
        (ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() - (r + x) * (alpha + cc).ln()).exp()
    };
    let beta_density = |p: f64| {
        ((a - 1.0) * p.ln() + (b - 1.0) * (1.0 - p).ln()
            - (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)))
        .exp()
    };
    // p = u^8, dp = 8 u^7 du
    let over_p = |g: &dyn Fn(f64) -> f64| {
        simpson(
            |u: f64| {
                if u <= 0.0 || u >= 1.0 {
                    return 0.0;
                }
                let p = u.powi(8);
                g(p) * beta_density(p) * 8.0 * u.powi(7)
            },
            0.0,
            1.0,
            20_000,
        )
    };
    let den = over_p(&|p| {
        (1.0 - p).powf(x) * lam(t)
            + if x > 0.0 {
                p * (1.0 - p).powf(x - 1.0) * lam(tx)
            } else {
                0.0
            }
    });
    let num =
        over_p(&|p| (1.0 - p).powf(x) * (lam(t + p * from) - lam(t + p * from + (to - from))));
    num / den
}

/// Pareto/NBD, directly: alive at `T` with the model's P(alive), then `λ ~ Gamma(r+x, α+T)`,
/// `μ ~ Gamma(s, β+T)` independent; alive at `T + a` with probability `e^{−μ a}`, then a
/// purchase in the next `L` before dropping out with probability
/// `λ/(λ+μ) (1 − e^{−(λ+μ) L})`. Two-dimensional Simpson rule in `ln λ`, `ln μ`.
fn pareto_direct(m: &ParetoNbd, c: &Customer, from: f64, to: f64) -> f64 {
    let (shape_l, rate_l) = (m.r() + c.frequency(), m.alpha() + c.age());
    let (shape_m, rate_m) = (m.s(), m.beta() + c.age());
    let log_density = |shape: f64, rate: f64, y: f64| {
        // density of ln X for X ~ Gamma(shape, rate)
        shape * rate.ln() + shape * y - rate * y.exp() - ln_gamma(shape)
    };
    let l = to - from;
    let inner = |ym: f64| {
        let mu = ym.exp();
        let wm = log_density(shape_m, rate_m, ym).exp();
        simpson(
            |yl: f64| {
                let lambda = yl.exp();
                let k = lambda + mu;
                log_density(shape_l, rate_l, yl).exp() * (-mu * from).exp() * lambda / k
                    * -(-k * l).exp_m1()
            },
            -40.0,
            8.0,
            1200,
        ) * wm
    };
    m.probability_alive(c) * simpson(inner, -40.0, 8.0, 1200)
}

#[test]
fn purchase_in_a_window_equals_direct_computation() {
    let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426);
    let bg = BgNbd::new(r, alpha, a, b).unwrap();
    let pareto = ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap();
    for (x, tx, t) in [
        (2.0, 30.43, 38.86),
        (0.0, 0.0, 38.86),
        (7.0, 35.0, 37.0),
        (1.0, 2.0, 60.0),
    ] {
        let c = Customer::new(x, tx, t).unwrap();
        for (from, to) in [(0.0, 1.0), (3.0, 4.0), (10.0, 14.0), (38.0, 39.0)] {
            let ours = bg.probability_of_purchase_between(&c, from, to).unwrap();
            let direct = bg_nbd_direct(r, alpha, a, b, &c, from, to);
            assert!(
                (ours - direct).abs() < 1e-9 * direct.max(1e-3),
                "BG/NBD {x} {tx} {t} ({from}, {to}]: {ours} vs {direct}"
            );
            let ours = pareto
                .probability_of_purchase_between(&c, from, to)
                .unwrap();
            let direct = pareto_direct(&pareto, &c, from, to);
            assert!(
                (ours - direct).abs() < 1e-7 * direct.max(1e-3),
                "Pareto/NBD {x} {tx} {t} ({from}, {to}]: {ours} vs {direct}"
            );
        }
        // from the cut-off it is 1 − P(Y(L) = 0)
        for m in [&bg as &dyn TransactionModel, &pareto] {
            let first = m.probability_of_purchase_between(&c, 0.0, 5.0).unwrap();
            let none = m
                .conditional_probability_of_transactions(&c, 0, 5.0)
                .unwrap();
            assert!((first - (1.0 - none)).abs() < 1e-12);
            assert_eq!(
                m.probability_of_purchase_between(&c, 5.0, 5.0).unwrap(),
                0.0
            );
            assert!(m.probability_of_purchase_between(&c, 5.0, 4.0).is_err());
            assert!(m.probability_of_purchase_between(&c, -1.0, 4.0).is_err());
            assert!(
                m.probability_of_purchase_between(&c, 1.0, f64::NAN)
                    .is_err()
            );
        }
    }
}

/// One simulated customer: purchase times after the first purchase (at 0), up to `end`.
fn path(rng: &mut StdRng, lambda: f64, dropout: Dropout, end: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let wait = Exp::new(lambda).unwrap();
    let death = match dropout {
        Dropout::Exponential(mu) => Exp::new(mu).unwrap().sample(rng),
        _ => f64::INFINITY,
    };
    if let Dropout::AtPurchase { p, at_start: true } = dropout {
        if rng.random::<f64>() < p {
            return out;
        }
    }
    let mut t = 0.0;
    loop {
        t += wait.sample(rng);
        if t > end || t > death {
            return out;
        }
        out.push(t);
        if let Dropout::AtPurchase { p, .. } = dropout {
            if rng.random::<f64>() < p {
                return out;
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Dropout {
    AtPurchase { p: f64, at_start: bool },
    Exponential(f64),
}

/// Simulates `n` customers (ages 20, 30, 40 in turn) for 10 periods past their age, and
/// compares the expected buyers per period of `alive_share` with the simulated count, period
/// by period (within 4.5 standard deviations of the sum of Bernoulli variables), and the
/// observed count of `alive_share` with the count from the paths.
fn check_simulation(
    model: &(dyn TransactionModel + Sync),
    draw: &dyn Fn(&mut StdRng) -> (f64, Dropout),
    seed: u64,
) {
    let n = 4_000;
    let steps = 10u32;
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut ids, mut times) = (Vec::new(), Vec::new());
    let mut buyers = vec![0.0; steps as usize];
    // a log on one axis: customer i's first purchase at `start_i`, all ages end at 100
    let end = 100.0;
    for i in 0..n {
        let age = [20.0, 30.0, 40.0][i % 3];
        let start = end - age;
        let (lambda, dropout) = draw(&mut rng);
        let p = path(&mut rng, lambda, dropout, age + f64::from(steps));
        let id = format!("c{i}");
        ids.push(id.clone());
        times.push(start);
        for k in 1..=steps {
            let (lo, hi) = (age + f64::from(k - 1), age + f64::from(k));
            if p.iter().any(|&u| u > lo && u <= hi) {
                buyers[k as usize - 1] += 1.0;
            }
        }
        for u in p {
            ids.push(id.clone());
            times.push(start + u);
        }
    }
    // the log ends exactly at end + steps so every step is observed
    ids.push("last".into());
    times.push(end + f64::from(steps));
    let log = TransactionLog::new(ids, times, None).unwrap();
    // periods of a microsecond-like length: the histories keep their continuous times
    let periods = clv::data::Periods::new(1e-6, 1.0).unwrap();
    let split = log.calibration_holdout(&periods, end, None).unwrap();
    let rows = clv::insight::alive_share(
        model,
        &log,
        split.calibration(),
        split.customer_ids(),
        end,
        1.0,
        steps,
        1,
    )
    .unwrap();
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(
            row.observed_period_buyers,
            Some(buyers[k]),
            "step {}",
            k + 1
        );
        let (e, o) = (row.expected_period_buyers.unwrap(), buyers[k]);
        // the variance of a sum of independent Bernoulli variables is at most its mean
        assert!(
            (e - o).abs() < 4.5 * e.sqrt(),
            "step {}: expected {e}, simulated {o}",
            k + 1
        );
        eprintln!("step {}: expected {e:.1}, simulated {o}", k + 1);
    }
    // the per-period buyers are not the first-time buyers: their sum exceeds the cumulative
    let total: f64 = rows.iter().filter_map(|r| r.expected_period_buyers).sum();
    assert!(total > rows.last().unwrap().expected_repeat_buyers);
}

#[test]
fn expected_buyers_per_period_match_simulation() {
    // active customers (about a third buy in a period), so that the per-period counts are
    // large and the check sharp: a standard deviation of about 2% of the count
    let (r, alpha, a, b) = (2.0, 4.0, 1.0, 6.0);
    let bg = BgNbd::new(r, alpha, a, b).unwrap();
    check_simulation(
        &bg,
        &|rng| {
            let lambda = Gamma::<f64>::new(r, 1.0 / alpha).unwrap().sample(rng);
            let p = Beta::<f64>::new(a, b).unwrap().sample(rng);
            (
                lambda.max(1e-300),
                Dropout::AtPurchase { p, at_start: false },
            )
        },
        11,
    );
    let mbg = MbgNbd::new(r, alpha, a, b).unwrap();
    check_simulation(
        &mbg,
        &|rng| {
            let lambda = Gamma::<f64>::new(r, 1.0 / alpha).unwrap().sample(rng);
            let p = Beta::<f64>::new(a, b).unwrap().sample(rng);
            (
                lambda.max(1e-300),
                Dropout::AtPurchase { p, at_start: true },
            )
        },
        12,
    );
    let (r, alpha, s, beta) = (2.0, 4.0, 1.0, 20.0);
    let pareto = ParetoNbd::new(r, alpha, s, beta).unwrap();
    check_simulation(
        &pareto,
        &|rng| {
            let lambda = Gamma::<f64>::new(r, 1.0 / alpha).unwrap().sample(rng);
            let mu = Gamma::<f64>::new(s, 1.0 / beta).unwrap().sample(rng);
            (lambda.max(1e-300), Dropout::Exponential(mu.max(1e-300)))
        },
        13,
    );
}
