//! Parameter-uncertainty intervals of predictions (`clv::fit::uncertainty`): exact cases,
//! ranges, seeds, batch forms, errors, the nonparametric bootstrap, and calibration by
//! simulation (the CDNOW estimates of Fader, Hardie & Lee 2005, "Counting your customers the
//! easy way", as the truth).

mod common;
use common::{ages, cdnow, cdnow_spend};

use std::sync::atomic::{AtomicUsize, Ordering};

use clv::Model;
use clv::fit::{self, Independent, Method, Range};
use clv::models::Simulate;
use clv::{
    BgNbd, Customer, Error, FitOptions, Fitted, GammaGamma, LifetimeData, ParetoNbd, RfmData, Sbg,
    TransactionModel, simulate,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

const Z90: f64 = 1.644_853_626_951_472_2;

fn cdnow_fit() -> Fitted<BgNbd> {
    BgNbd::fit(&cdnow(), &FitOptions::default()).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// The customer of Fader, Hardie & Lee (2005): x = 2, t_x = 30.43, T = 38.86 weeks.
fn their_customer() -> Customer {
    Customer::new(2.0, 30.43, 38.86).unwrap()
}

#[test]
fn a_parameter_as_prediction_has_the_parameters_own_interval() {
    let fitted = cdnow_fit();
    let ci = fitted.confidence_intervals(0.9).unwrap();
    let se = fitted.std_errors().unwrap();
    for (i, name) in fitted.param_names().iter().enumerate() {
        let g = |m: &BgNbd| m.params()[i];
        let iv = fitted
            .interval(g, Range::Positive, 0.9, Method::Delta)
            .unwrap();
        let theta = fitted.model().params()[i];
        assert_eq!(iv.estimate, theta);
        assert!(
            close(iv.lower, ci[i].0, 1e-9),
            "{name}: {iv:?} vs {:?}",
            ci[i]
        );
        assert!(
            close(iv.upper, ci[i].1, 1e-9),
            "{name}: {iv:?} vs {:?}",
            ci[i]
        );
        // the parameter's own interval: θ·exp(±z·se/θ)
        assert!(close(ci[i].0, theta * (-Z90 * se[i] / theta).exp(), 1e-12));
        // On the real line the delta interval of θ is θ ± z·se.
        let real = fitted.interval(g, Range::Real, 0.9, Method::Delta).unwrap();
        assert!(close(real.upper - real.lower, 2.0 * Z90 * se[i], 1e-8));
        // A scaled parameter: the same relative interval.
        let scaled = fitted
            .interval(|m| 7.0 * g(m), Range::Positive, 0.9, Method::Delta)
            .unwrap();
        assert!(close(scaled.lower, 7.0 * ci[i].0, 1e-9));
    }
    // The summary's 95% intervals are the confidence intervals at 0.95.
    let ci95 = fitted.confidence_intervals(0.95).unwrap();
    for (row, ci) in fitted.summary().rows.iter().zip(&ci95) {
        assert_eq!((row.lower.unwrap(), row.upper.unwrap()), *ci);
    }
}

#[test]
fn a_lower_bound_is_respected_and_used_as_the_origin_of_the_log_scale() {
    let spend = cdnow_spend();
    let fitted = GammaGamma::fit_with_finite_mean(&spend, &FitOptions::default()).unwrap();
    assert!(fitted.converged());
    let ci = fitted.confidence_intervals(0.9).unwrap();
    assert!(ci[1].0 > 1.0);
    // q − 1 is linear in exp(u_q): its interval is the q interval moved by 1.
    let iv = fitted
        .interval(|m| m.q() - 1.0, Range::Positive, 0.9, Method::Delta)
        .unwrap();
    assert!(close(iv.lower, ci[1].0 - 1.0, 1e-8), "{iv:?} {ci:?}");
    assert!(close(iv.upper, ci[1].1 - 1.0, 1e-8), "{iv:?} {ci:?}");
}

#[test]
fn parametric_draws_of_a_parameter_match_its_lognormal_interval() {
    let fitted = cdnow_fit();
    let ci = fitted.confidence_intervals(0.9).unwrap();
    let method = Method::Parametric {
        draws: 20_000,
        seed: 11,
    };
    let iv = fitted
        .interval(|m| m.r(), Range::Positive, 0.9, method)
        .unwrap();
    assert_eq!(iv.failed_draws, 0);
    // the 5% and 95% quantiles of exp(N(û, σ²)) are the Wald ends on the log scale; with
    // 20,000 draws each is within about 2% of its value.
    assert!(close(iv.lower, ci[0].0, 0.02), "{iv:?} {ci:?}");
    assert!(close(iv.upper, ci[0].1, 0.02), "{iv:?} {ci:?}");
}

#[test]
fn independent_fits_combine_with_a_block_diagonal_covariance() {
    let data = cdnow();
    let transactions = BgNbd::fit(&data, &FitOptions::default()).unwrap();
    let spend = GammaGamma::fit(&cdnow_spend(), &FitOptions::default()).unwrap();
    let both = Independent::new(&transactions, &spend);
    // a prediction of one model only: that model's interval
    let r = both
        .interval(|t, _| t.r(), Range::Positive, 0.9, Method::Delta)
        .unwrap();
    let alone = transactions.confidence_intervals(0.9).unwrap()[0];
    assert!(close(r.lower, alone.0, 1e-9) && close(r.upper, alone.1, 1e-9));
    // r·p: on the log scale the variances of the independent log-parameters add.
    let rp = both
        .interval(|t, s| t.r() * s.p(), Range::Positive, 0.9, Method::Delta)
        .unwrap();
    let su_r = transactions.std_errors().unwrap()[0] / transactions.model().r();
    let su_p = spend.std_errors().unwrap()[0] / spend.model().p();
    let half = Z90 * (su_r * su_r + su_p * su_p).sqrt();
    assert!(close(rp.upper / rp.estimate, half.exp(), 1e-8), "{rp:?}");
    assert!(close(rp.estimate / rp.lower, half.exp(), 1e-8), "{rp:?}");
    // the value of a customer, both ways
    let c = their_customer();
    let value = |t: &BgNbd, s: &GammaGamma| -> clv::Result<f64> {
        Ok(t.conditional_expected_transactions(&c, 39.0)? * s.expected_average_spend(2.0, 25.0)?)
    };
    let delta = both
        .interval(value, Range::Positive, 0.9, Method::Delta)
        .unwrap();
    let draws = Method::Parametric {
        draws: 2_000,
        seed: 3,
    };
    let boot = both.interval(value, Range::Positive, 0.9, draws).unwrap();
    assert_eq!(delta.estimate, boot.estimate);
    assert!(close(delta.lower, boot.lower, 0.1) && close(delta.upper, boot.upper, 0.1));
    // the batch form over customers, with a spend model
    let rows = data.select(&[0, 1, 2, 3, 4]).unwrap();
    let iv = both
        .intervals_customers(
            &rows,
            |t, s, d| {
                let y = t.conditional_expected_transactions_batch(d, 39.0)?;
                let m = s.expected_average_spend(1.0, 30.0)?;
                Ok::<_, Error>(y * m)
            },
            Range::Positive,
            0.9,
            Method::Delta,
        )
        .unwrap();
    assert_eq!(iv.len(), 5);
}

#[test]
fn intervals_stay_in_range_for_every_customer() {
    let data = cdnow();
    let fitted = cdnow_fit();
    for method in [
        Method::Delta,
        Method::Parametric {
            draws: 200,
            seed: 5,
        },
    ] {
        let alive = fitted
            .intervals_customers(
                &data,
                |m, d| m.probability_alive_batch(d),
                Range::Probability,
                0.9,
                method,
            )
            .unwrap();
        assert_eq!(alive.len(), data.len());
        for i in 0..alive.len() {
            let iv = alive.get(i).unwrap();
            assert!(
                0.0 <= iv.lower && iv.lower <= iv.upper && iv.upper <= 1.0,
                "{method:?} {i}: {iv:?}"
            );
        }
        let y = fitted
            .intervals_customers(
                &data,
                |m, d| m.conditional_expected_transactions_batch(d, 39.0),
                Range::Positive,
                0.9,
                method,
            )
            .unwrap();
        assert!(y.lower.iter().all(|v| *v > 0.0));
        if method == Method::Delta {
            for i in 0..y.len() {
                assert!(y.lower[i] < y.estimate[i] && y.estimate[i] < y.upper[i]);
            }
        }
    }
    // P(alive) of a customer without repeat purchases is 1 under BG/NBD whatever the
    // parameters: the interval is the point.
    let new = Customer::new(0.0, 0.0, 30.0).unwrap();
    let iv = fitted
        .interval(
            |m| m.probability_alive(&new),
            Range::Probability,
            0.9,
            Method::Delta,
        )
        .unwrap();
    assert_eq!((iv.lower, iv.estimate, iv.upper), (1.0, 1.0, 1.0));
    // a probability close to 0 stays above 0 (logit scale)
    let gone = Customer::new(20.0, 1.0, 38.0).unwrap();
    let iv = fitted
        .interval(
            |m| m.probability_alive(&gone),
            Range::Probability,
            0.99,
            Method::Delta,
        )
        .unwrap();
    assert!(
        0.0 < iv.lower && iv.lower < iv.estimate && iv.estimate < 1e-6,
        "{iv:?}"
    );
}

#[test]
fn the_same_seed_gives_the_same_interval() {
    let fitted = cdnow_fit();
    let c = their_customer();
    let g = |m: &BgNbd| m.conditional_expected_transactions(&c, 39.0);
    let at = |seed| {
        fitted
            .interval(
                g,
                Range::Positive,
                0.9,
                Method::Parametric { draws: 500, seed },
            )
            .unwrap()
    };
    assert_eq!(at(42), at(42));
    assert_ne!(at(42), at(43));
    let a = fit::bootstrap::<BgNbd>(&cdnow(), &FitOptions::default(), 4, 9, None).unwrap();
    let b = fit::bootstrap::<BgNbd>(&cdnow(), &FitOptions::default(), 4, 9, None).unwrap();
    let pa: Vec<Vec<f64>> = a.models().iter().map(clv::Model::params).collect();
    let pb: Vec<Vec<f64>> = b.models().iter().map(clv::Model::params).collect();
    assert_eq!(pa, pb);
}

#[test]
fn batch_equals_one_by_one() {
    let data = cdnow();
    let fitted = cdnow_fit();
    // rows with repeated customers, so that compression matters
    let rows = data.select(&[0, 5, 17, 100, 1000, 2000, 2356]).unwrap();
    let rows = RfmData::from_columns(
        [rows.frequency(), rows.frequency()].concat(),
        [rows.recency(), rows.recency()].concat(),
        [rows.age(), rows.age()].concat(),
        None,
        None,
    )
    .unwrap();
    for method in [
        Method::Delta,
        Method::Parametric {
            draws: 300,
            seed: 8,
        },
    ] {
        let batch = fitted
            .intervals_batch(
                |m| m.conditional_expected_transactions_batch(&rows, 39.0),
                Range::Positive,
                0.9,
                method,
            )
            .unwrap();
        let customers = fitted
            .intervals_customers(
                &rows,
                |m, d| m.conditional_expected_transactions_batch(d, 39.0),
                Range::Positive,
                0.9,
                method,
            )
            .unwrap();
        for (i, c) in rows.customers().enumerate() {
            let one = fitted
                .interval(
                    |m| m.conditional_expected_transactions(&c, 39.0),
                    Range::Positive,
                    0.9,
                    method,
                )
                .unwrap();
            for other in [batch.get(i).unwrap(), customers.get(i).unwrap()] {
                assert_eq!(other.estimate, one.estimate);
                assert!(
                    close(other.lower, one.lower, 1e-13),
                    "{i}: {other:?} {one:?}"
                );
                assert!(
                    close(other.upper, one.upper, 1e-13),
                    "{i}: {other:?} {one:?}"
                );
            }
        }
        // the same draws serve several predictions
        if let Method::Parametric { draws, seed } = method {
            let d = fitted.parametric_draws(draws, seed).unwrap();
            let c = rows.customer(3).unwrap();
            let via_draws = d
                .interval(
                    |m| m.conditional_expected_transactions(&c, 39.0),
                    Range::Positive,
                    0.9,
                )
                .unwrap();
            assert_eq!(via_draws, batch.get(3).unwrap());
        }
    }
}

#[test]
fn errors_say_why() {
    let fitted = cdnow_fit();
    let c = their_customer();
    let g = |m: &BgNbd| m.probability_alive(&c);
    // levels
    for level in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(matches!(
            fitted.interval(g, Range::Probability, level, Method::Delta),
            Err(Error::InvalidParameter { .. })
        ));
    }
    assert!(fitted.confidence_intervals(1.5).is_err());
    // draws
    let one = Method::Parametric { draws: 1, seed: 0 };
    assert!(fitted.interval(g, Range::Probability, 0.9, one).is_err());
    // g failing or out of range at the estimate
    let fails = |_: &BgNbd| -> clv::Result<f64> { Err(Error::Numerical("no".into())) };
    assert!(
        fitted
            .interval(fails, Range::Real, 0.9, Method::Delta)
            .is_err()
    );
    let nan = fitted.interval(|_| f64::NAN, Range::Real, 0.9, Method::Delta);
    assert!(matches!(nan, Err(Error::InvalidInput(_))), "{nan:?}");
    let negative = fitted.interval(|m| -m.r(), Range::Positive, 0.9, Method::Delta);
    assert!(
        negative
            .unwrap_err()
            .to_string()
            .contains("outside its range")
    );
    let two = fitted.interval(|m| vec![m.r(), m.a()], Range::Positive, 0.9, Method::Delta);
    assert!(two.is_err());
    // a fit without covariance
    let boundary = Sbg::fit(
        &LifetimeData::new(vec![2; 10], vec![true; 10]).unwrap(),
        &FitOptions::default(),
    )
    .unwrap();
    assert!(!boundary.converged());
    assert!(boundary.confidence_intervals(0.9).is_err());
    for method in [Method::Delta, Method::Parametric { draws: 10, seed: 0 }] {
        let e = boundary.interval(|m| m.alpha(), Range::Positive, 0.9, method);
        assert!(e.unwrap_err().to_string().contains("no covariance"));
    }
    // draws that fail: counted when rare, an error when more than 1%
    let r = fitted.model().r();
    let su = fitted.std_errors().unwrap()[0] / r;
    let far = r * (2.8 * su).exp();
    let rarely = |m: &BgNbd| -> clv::Result<f64> {
        if m.r() > far {
            Err(Error::Numerical("far".into()))
        } else {
            Ok(m.r())
        }
    };
    let method = Method::Parametric {
        draws: 4_000,
        seed: 1,
    };
    let iv = fitted
        .interval(rarely, Range::Positive, 0.9, method)
        .unwrap();
    assert!(0 < iv.failed_draws && iv.failed_draws < 40, "{iv:?}");
    let often = |m: &BgNbd| -> clv::Result<f64> {
        if m.r() > r {
            Err(Error::Numerical("above".into()))
        } else {
            Ok(m.r())
        }
    };
    let e = fitted
        .interval(often, Range::Positive, 0.9, method)
        .unwrap_err();
    assert!(e.to_string().contains("draws failed"), "{e}");
    // the memory bound of the batch form
    let big = Method::Parametric {
        draws: 1_000_000,
        seed: 0,
    };
    let e = fitted
        .intervals_batch(|m| vec![m.r(); 200], Range::Positive, 0.9, big)
        .unwrap_err();
    assert!(e.to_string().contains("intervals_customers"), "{e}");
}

#[test]
fn nonparametric_bootstrap_resamples_customers_of_compressed_data() {
    let data = cdnow();
    let compressed = data.compress();
    assert!(compressed.len() < data.len());
    let calls = AtomicUsize::new(0);
    let progress = |done: usize, total: usize| {
        assert!(done <= total && total == 30);
        calls.fetch_add(1, Ordering::Relaxed);
    };
    let refits =
        fit::bootstrap::<BgNbd>(&compressed, &FitOptions::default(), 30, 5, Some(&progress))
            .unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 30);
    assert_eq!(refits.models().len() + refits.failed(), 30);
    assert!(refits.failed() == 0);
    // the same resamples from the raw rows: the same refits
    let raw = fit::bootstrap::<BgNbd>(&data, &FitOptions::default(), 30, 5, None).unwrap();
    let p = |d: &fit::Draws<BgNbd>| {
        d.models()
            .iter()
            .map(clv::Model::params)
            .collect::<Vec<_>>()
    };
    assert_eq!(p(&refits), p(&raw));
    // its spread is that of the asymptotic normal, roughly (30 refits)
    let c = their_customer();
    let g = |m: &BgNbd| m.probability_alive(&c);
    let boot = refits.interval(g, Range::Probability, 0.9).unwrap();
    let delta = cdnow_fit()
        .interval(g, Range::Probability, 0.9, Method::Delta)
        .unwrap();
    assert_eq!(boot.estimate, delta.estimate);
    let (wb, wd) = (boot.upper - boot.lower, delta.upper - delta.lower);
    assert!(wb > 0.4 * wd && wb < 2.0 * wd, "{boot:?} {delta:?}");
    // weights that are not counts of customers cannot be resampled
    let weighted =
        RfmData::from_columns(vec![1.0], vec![2.0], vec![5.0], None, Some(vec![2.5])).unwrap();
    let e = fit::bootstrap::<BgNbd>(&weighted, &FitOptions::default(), 10, 0, None).unwrap_err();
    assert!(e.to_string().contains("whole number"), "{e}");
}

/// How often the 90% delta, parametric (400 draws) and, with `refits > 0`, nonparametric
/// bootstrap intervals of E[Y(39) | 2, 30.43, 38.86] and of that customer's P(alive) contain
/// the truth over `sets` simulated data sets of `n` customers (see [`Coverage`]).
fn coverage<M>(truth: &M, sets: u64, n: usize, refits: usize) -> Coverage
where
    M: TransactionModel + clv::models::Simulate<Design = [f64], Output = clv::models::Simulated>,
    M: clv::Estimable<Data = RfmData> + Send + Sync,
{
    use rand::{SeedableRng, rngs::StdRng};
    let c = their_customer();
    let true_y = truth.conditional_expected_transactions(&c, 39.0).unwrap();
    let true_p = truth.probability_alive(&c);
    let ages = ages(n);
    let mut hits = [0usize; 6];
    let mut refused = [0usize; 6];
    let mut used = 0;
    let mut first_refusal = None;
    let y = |m: &M| m.conditional_expected_transactions(&c, 39.0);
    let p = |m: &M| m.probability_alive(&c);
    for set in 0..sets {
        let mut rng = StdRng::seed_from_u64(1000 + set);
        let data = truth.simulate(&ages, &mut rng).unwrap().data;
        let Ok(fitted) = M::fit(&data, &FitOptions::default()) else {
            continue;
        };
        if !fitted.converged() {
            continue;
        }
        used += 1;
        let draws = Method::Parametric {
            draws: 400,
            seed: set,
        };
        let mut found = vec![];
        for method in [Method::Delta, draws] {
            found.push((
                fitted.interval(y, Range::Positive, 0.9, method),
                fitted.interval(p, Range::Probability, 0.9, method),
            ));
        }
        if refits > 0 {
            match fit::bootstrap::<M>(&data, &FitOptions::default(), refits, set, None) {
                Ok(d) => found.push((
                    d.interval(y, Range::Positive, 0.9),
                    d.interval(p, Range::Probability, 0.9),
                )),
                Err(e) => found.push((Err(e), Err(Error::Numerical(String::new())))),
            }
        }
        for (k, (iy, ip)) in found.into_iter().enumerate() {
            for (j, iv, truth) in [(k, iy, true_y), (3 + k, ip, true_p)] {
                match iv {
                    Ok(iv) => hits[j] += usize::from(iv.lower <= truth && truth <= iv.upper),
                    Err(e) => {
                        refused[j] += 1;
                        if first_refusal.is_none() {
                            first_refusal = Some(e.to_string());
                        }
                    }
                }
            }
        }
    }
    Coverage {
        shares: hits.map(|h| h as f64 / used.max(1) as f64),
        refused,
        used,
        first_refusal,
    }
}

/// The result of [`coverage`]: per interval (delta, parametric and nonparametric E[Y], then
/// the same of P(alive)) the share of the `used` data sets (those whose fit converged) where
/// it contains the truth, and how many times it was refused with an error (a miss), with the
/// first such error.
#[derive(Debug)]
struct Coverage {
    shares: [f64; 6],
    refused: [usize; 6],
    used: usize,
    first_refusal: Option<String>,
}

#[test]
fn ninety_percent_intervals_cover_the_truth_about_ninety_percent_of_the_time() {
    let truth = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let c = coverage(&truth, 60, 2_000, 0);
    assert!(c.used >= 54, "{c:?}");
    assert_eq!(c.refused, [0; 6], "{c:?}");
    for s in [0, 1, 3, 4].map(|i| c.shares[i]) {
        assert!((0.75..=0.99).contains(&s), "coverage {c:?}");
    }
}

/// The long calibration run: `CLV_COVERAGE_SETS` (default 500) data sets of
/// `CLV_COVERAGE_CUSTOMERS` (default 2,000) customers from BG/NBD and from Pareto/NBD, with
/// `CLV_COVERAGE_REFITS` (default 0: none) nonparametric bootstrap refits per set, for the
/// models of `CLV_COVERAGE_MODELS`. Run with `--ignored --nocapture`.
#[test]
#[ignore = "a long calibration run"]
fn calibration_long_run() {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let sets = var("CLV_COVERAGE_SETS", 500);
    let n = var("CLV_COVERAGE_CUSTOMERS", 2_000) as usize;
    let refits = var("CLV_COVERAGE_REFITS", 0) as usize;
    let report = |model: &str, c: Coverage| {
        println!(
            "{model}, {sets} sets of {n}, {} fits converged; delta, parametric, nonparametric \
             ({refits} refits) for E[Y] then P(alive): coverage {:?}, refused {:?} (first: \
             {:?})",
            c.used, c.shares, c.refused, c.first_refusal
        );
    };
    // `CLV_COVERAGE_MODELS`: `bgnbd`, `pnbd` or both (the default)
    let models = std::env::var("CLV_COVERAGE_MODELS").unwrap_or_else(|_| "bgnbd,pnbd".into());
    if models.contains("bgnbd") {
        let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        report("BG/NBD", coverage(&bg, sets, n, refits));
    }
    if models.contains("pnbd") {
        let pnbd = ParetoNbd::new(0.553, 10.58, 0.606, 11.67).unwrap();
        report("Pareto/NBD", coverage(&pnbd, sets, n, refits));
    }
}

#[test]
fn intervals_shrink_like_one_over_root_n() {
    let truth = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let c = their_customer();
    let width = |n: usize, seed: u64| {
        let data = simulate::bg_nbd(&truth, &ages(n), seed).unwrap().data;
        let fitted = BgNbd::fit(&data, &FitOptions::default()).unwrap();
        assert!(fitted.converged());
        let iy = fitted
            .interval(
                |m| m.conditional_expected_transactions(&c, 39.0),
                Range::Positive,
                0.9,
                Method::Delta,
            )
            .unwrap();
        let ip = fitted
            .interval(
                |m| m.probability_alive(&c),
                Range::Probability,
                0.9,
                Method::Delta,
            )
            .unwrap();
        (
            (iy.upper / iy.lower).ln(),
            ip.upper - ip.lower,
            fitted.confidence_intervals(0.9).unwrap(),
        )
    };
    let (small_y, small_p, small_ci) = width(2_000, 21);
    let (large_y, large_p, large_ci) = width(200_000, 22);
    // 100 times the customers: a tenth of the width (one fit each, so loosely)
    for ratio in [small_y / large_y, small_p / large_p] {
        assert!((7.0..=14.0).contains(&ratio), "ratio {ratio}");
    }
    for (s, l) in small_ci.iter().zip(&large_ci) {
        let ratio = (s.1 / s.0).ln() / (l.1 / l.0).ln();
        assert!((7.0..=14.0).contains(&ratio), "ratio {ratio}");
    }
}

/// The nonparametric bootstrap's policy: refits that end on the boundary of the parameter space
/// are draws of the estimator (kept and counted); only refits that fail are refused.
#[test]
fn boundary_refits_are_kept_and_counted() {
    let truth = ParetoNbd::new(0.553, 10.58, 0.606, 11.67).unwrap();
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    let data = truth
        .simulate(&ages(300), &mut StdRng::seed_from_u64(7))
        .unwrap()
        .data;
    let draws = 60;
    let refits =
        fit::bootstrap::<ParetoNbd>(&data, &FitOptions::default(), draws, 3, None).unwrap();
    assert_eq!(refits.models().len() + refits.failed(), draws);
    assert!(refits.boundary() > 0, "no boundary refit in this sample");
    assert!(refits.boundary() <= refits.models().len());
    eprintln!(
        "{} of {draws} refits on the boundary, {} failed",
        refits.boundary(),
        refits.failed()
    );
    // the boundary refits count among the draws of every prediction
    let y = refits
        .interval(
            |m| m.conditional_expected_transactions(&c, 39.0),
            Range::Positive,
            0.9,
        )
        .unwrap();
    assert!(y.lower <= y.estimate && y.estimate <= y.upper);
    assert!(y.failed_draws <= draws / 100);
}

/// Parametric draws far from the estimate: BG/NBD predictions with the dropout probability's
/// Beta concentrated to a spike (`a, b` from 1e10 to 1e60, as draws of fits to a few hundred
/// customers give) against mpmath (`scripts/bg_nbd_concentrated_dropout.py`, 60 digits).
#[test]
fn concentrated_dropout_predictions_match_mpmath() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/bg_nbd_concentrated_dropout.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut worst: f64 = 0.0;
    let mut n = 0;
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        let model = BgNbd::new(v[0], v[1], v[2], v[3]).unwrap();
        let c = Customer::new(v[4], v[5], v[6]).unwrap();
        let got = model
            .conditional_expected_transactions(&c, v[7])
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        let rel = (got - v[8]).abs() / v[8];
        assert!(rel < 1e-12, "{line}: got {got}, relative error {rel:e}");
        worst = worst.max(rel);
        n += 1;
    }
    assert_eq!(n, 133);
    eprintln!("worst relative error {worst:e} over {n} cases");
}

#[test]
fn parametric_draws_of_small_samples_all_predict() {
    let truth = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    // data sets of 200 customers; 33 of the 400 draws of set 1065 have a > 1e30
    let mut checked = 0;
    for set in [1065u64, 1000, 1001, 1002, 1003, 1004, 1005] {
        let data = truth
            .simulate(&ages(200), &mut StdRng::seed_from_u64(set))
            .unwrap()
            .data;
        let fitted = BgNbd::fit(&data, &FitOptions::default()).unwrap();
        if !fitted.converged() {
            continue;
        }
        let draws = fitted.parametric_draws(400, set).unwrap();
        for m in draws.models() {
            let y = m.conditional_expected_transactions(&c, 39.0).unwrap();
            assert!(y.is_finite() && y > 0.0, "{:?}", m.params());
        }
        let iv = draws
            .interval(
                |m| m.conditional_expected_transactions(&c, 39.0),
                Range::Positive,
                0.9,
            )
            .unwrap();
        assert_eq!(iv.failed_draws, 0);
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}
