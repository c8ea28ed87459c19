//! Analytic gradients of predictions with respect to the log-parameters (the
//! `*_differentiated` batch predictions of `TransactionModel`): against mpmath
//! (`scripts/prediction_gradients.py`), against Richardson-extrapolated finite differences over
//! a wide grid of parameters, and the delta-method intervals they give against those of finite
//! differences.

mod common;
use common::{cdnow, num, read_vectors};

use clv::fit::{Method, Range};
use clv::{BgNbd, Customer, FitOptions, MbgNbd, Model, ParetoNbd, RfmData, TransactionModel};

/// P(alive) (`alive`) or E[Y(t)] (`expected`) of one customer, with its gradient if known.
fn differentiated<M: TransactionModel + Sync>(
    m: &M,
    kind: &str,
    c: &Customer,
    t: f64,
) -> (f64, Option<Vec<f64>>) {
    let data = RfmData::new(vec![c.frequency()], vec![c.recency()], vec![c.age()]).unwrap();
    let d = match kind {
        "alive" => m.probability_alive_differentiated(&data).unwrap(),
        _ => m
            .conditional_expected_transactions_differentiated(&data, t)
            .unwrap(),
    };
    (d.values()[0], d.gradient_of(0).map(<[f64]>::to_vec))
}

fn plain<M: TransactionModel>(m: &M, kind: &str, c: &Customer, t: f64) -> f64 {
    match kind {
        "alive" => m.probability_alive(c),
        _ => m.conditional_expected_transactions(c, t).unwrap(),
    }
}

/// The gradient of `kind` in `ln θ` by central differences with one Richardson step, the step
/// `10⁻³` over the log-derivative `scale[i]` (at least 1).
fn richardson<M: Model + TransactionModel>(
    m: &M,
    kind: &str,
    c: &Customer,
    t: f64,
    scale: &[f64],
) -> Vec<f64> {
    let theta = m.params();
    (0..theta.len())
        .map(|i| {
            let at = |h: f64| {
                let mut p = theta.clone();
                p[i] *= h.exp();
                plain(&m.with_params(&p).unwrap(), kind, c, t)
            };
            let h = 1e-3 / scale[i].max(1.0);
            let wide = (at(h) - at(-h)) / (2.0 * h);
            let narrow = (at(h / 2.0) - at(-h / 2.0)) / h;
            (4.0 * narrow - wide) / 3.0
        })
        .collect()
}

/// Largest difference of the gradients, relative to the largest entry of `reference`.
fn normwise(got: &[f64], reference: &[f64]) -> f64 {
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = got
        .iter()
        .zip(reference)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    if scale == 0.0 { diff } else { diff / scale }
}

/// `(differentiated value, its gradient if known, the plain prediction)` of a kind, customer and
/// horizon.
type Evaluate = dyn Fn(&str, &Customer, f64) -> (f64, Option<Vec<f64>>, f64);

fn model_of(name: &str, p: [f64; 4]) -> Box<Evaluate> {
    match name {
        "bgnbd" => {
            let m = BgNbd::new(p[0], p[1], p[2], p[3]).unwrap();
            Box::new(move |k, c, t| {
                let (v, g) = differentiated(&m, k, c, t);
                (v, g, plain(&m, k, c, t))
            })
        }
        "mbgnbd" => {
            let m = MbgNbd::new(p[0], p[1], p[2], p[3]).unwrap();
            Box::new(move |k, c, t| {
                let (v, g) = differentiated(&m, k, c, t);
                (v, g, plain(&m, k, c, t))
            })
        }
        _ => {
            let m = ParetoNbd::new(p[0], p[1], p[2], p[3]).unwrap();
            Box::new(move |k, c, t| {
                let (v, g) = differentiated(&m, k, c, t);
                (v, g, plain(&m, k, c, t))
            })
        }
    }
}

#[test]
fn gradients_agree_with_mpmath() {
    let rows = read_vectors("prediction_gradients.csv");
    assert!(rows.len() > 400, "{} vectors", rows.len());
    let (mut checked, mut without, mut worst) = (0, 0, 0.0f64);
    for row in &rows {
        let f: Vec<f64> = row[2..].iter().map(|s| num(s)).collect();
        let p = [f[0], f[1], f[2], f[3]];
        let c = Customer::new(f[4], f[5], f[6]).unwrap();
        let t = f[7];
        let (value, reference) = (f[8], &f[9..13]);
        let (v, g, direct) = model_of(&row[0], p)(&row[1], &c, t);
        // the value is the prediction's own
        assert!(
            (v - direct).abs() <= 1e-14 * direct.abs(),
            "{row:?}: {v} vs the prediction {direct}"
        );
        assert!(
            (v - value).abs() <= 1e-10 * value.abs().max(1e-300),
            "{row:?}: value {v}"
        );
        let Some(g) = g else {
            without += 1;
            println!("no analytic gradient: {row:?}");
            continue;
        };
        let err = normwise(&g, reference);
        worst = worst.max(err);
        assert!(err <= 1e-10, "{row:?}: gradient {g:?}, error {err:e}");
        checked += 1;
    }
    println!("{checked} gradients checked (worst {worst:e}), {without} without an analytic one");
    // P(alive) always has one; E[Y] of the BG/NBD family only where its closed form is used
    assert!(
        without * 10 <= rows.len(),
        "{without} of {} without a gradient",
        rows.len()
    );
}

/// Log-uniform parameter sets over 1e-3..1e3 (a fixed quasi-random sequence).
fn grid(n: usize) -> Vec<[f64; 4]> {
    let golden = [
        0.618_033_988_749_895,
        0.754_877_666_246_693,
        0.569_840_290_998_053,
        0.839_286_755_214_161,
    ];
    (0..n)
        .map(|i| {
            let mut p = [0.0; 4];
            for (j, e) in p.iter_mut().enumerate() {
                let u = ((i + 1) as f64 * golden[j]).fract();
                *e = 10f64.powf(-3.0 + 6.0 * u);
            }
            p
        })
        .collect()
}

#[test]
fn gradients_agree_with_finite_differences_over_a_wide_grid() {
    let customers = [
        (0.0, 0.0, 38.86),
        (1.0, 2.0, 38.86),
        (2.0, 30.43, 38.86),
        (7.0, 35.0, 50.0),
        (30.0, 10.0, 300.0),
    ];
    let mut checked = 0;
    for p in grid(150) {
        if (p[2] - 1.0).abs() < 0.05 {
            continue;
        }
        for name in ["bgnbd", "mbgnbd", "pnbd"] {
            let f = model_of(name, p);
            for &(x, tx, tt) in &customers {
                let c = Customer::new(x, tx, tt).unwrap();
                for kind in ["alive", "expected"] {
                    let (v, g, _) = f(kind, &c, 39.0);
                    let Some(g) = g else { continue };
                    // steps small enough for the log-derivatives (P(alive) ~ e^−400 varies fast)
                    let scale: Vec<f64> = g.iter().map(|d| (d / v).abs()).collect();
                    let fd = match name {
                        "bgnbd" => richardson(
                            &BgNbd::new(p[0], p[1], p[2], p[3]).unwrap(),
                            kind,
                            &c,
                            39.0,
                            &scale,
                        ),
                        "mbgnbd" => richardson(
                            &MbgNbd::new(p[0], p[1], p[2], p[3]).unwrap(),
                            kind,
                            &c,
                            39.0,
                            &scale,
                        ),
                        _ => richardson(
                            &ParetoNbd::new(p[0], p[1], p[2], p[3]).unwrap(),
                            kind,
                            &c,
                            39.0,
                            &scale,
                        ),
                    };
                    // finite differences of a value accurate to ~1e-14 at a step of 1e-3: ~1e-10
                    // of the value, O(h⁴) besides
                    let err = g
                        .iter()
                        .zip(&fd)
                        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
                    let scale = fd.iter().fold(v.abs(), |m, b| m.max(b.abs()));
                    assert!(
                        err <= 1e-6 * scale,
                        "{name} {kind} {p:?} {c:?}: {g:?} vs {fd:?}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 3000, "{checked}");
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// The delta intervals of `kind` on CDNOW's customers through the analytic gradient and through
/// finite differences of the same prediction: the same to 1e-8.
fn same_intervals<M>(fitted: &clv::Fitted<M>, data: &RfmData)
where
    M: Model + TransactionModel + Send + Sync,
{
    for (range, analytic, numeric) in [
        (
            Range::Probability,
            fitted
                .intervals_customers(
                    data,
                    |m, d| m.probability_alive_differentiated(d),
                    Range::Probability,
                    0.9,
                    Method::Delta,
                )
                .unwrap(),
            fitted
                .intervals_customers(
                    data,
                    |m, d| m.probability_alive_batch(d),
                    Range::Probability,
                    0.9,
                    Method::Delta,
                )
                .unwrap(),
        ),
        (
            Range::Positive,
            fitted
                .intervals_customers(
                    data,
                    |m, d| m.conditional_expected_transactions_differentiated(d, 39.0),
                    Range::Positive,
                    0.9,
                    Method::Delta,
                )
                .unwrap(),
            fitted
                .intervals_customers(
                    data,
                    |m, d| m.conditional_expected_transactions_batch(d, 39.0),
                    Range::Positive,
                    0.9,
                    Method::Delta,
                )
                .unwrap(),
        ),
    ] {
        assert_eq!(analytic.len(), data.len());
        let mut worst = (0.0f64, 0);
        let mut over = 0;
        for i in 0..data.len() {
            let (a, n) = (analytic.get(i).unwrap(), numeric.get(i).unwrap());
            assert!(
                close(a.estimate, n.estimate, 1e-14),
                "{range:?} {i}: {a:?} {n:?}"
            );
            let rel = |x: f64, y: f64| (x - y).abs() / x.abs().max(y.abs()).max(1e-300);
            let e = rel(a.lower, n.lower).max(rel(a.upper, n.upper));
            if e > worst.0 {
                worst = (e, i);
            }
            if e > 1e-8 {
                over += 1;
            }
        }
        println!(
            "{} {range:?}: worst {:e} at {}, {over} over 1e-8",
            M::NAME,
            worst.0,
            worst.1
        );
        // the finite differences' own truncation error O(h⁴), h = 2⁻⁸, reaches 1e-8 only for
        // extreme customers (P(alive) ~ 1e-10, where the higher derivatives are large)
        assert!(
            worst.0 <= 1e-7,
            "{range:?}: {:?} vs {:?}",
            analytic.get(worst.1),
            numeric.get(worst.1)
        );
        assert!(
            over * 1000 <= data.len(),
            "{over} intervals differ by more than 1e-8"
        );
    }
}

#[test]
fn analytic_delta_intervals_equal_those_of_finite_differences() {
    let data = cdnow();
    same_intervals(&BgNbd::fit(&data, &FitOptions::default()).unwrap(), &data);
    same_intervals(&MbgNbd::fit(&data, &FitOptions::default()).unwrap(), &data);
    same_intervals(
        &ParetoNbd::fit(&data, &FitOptions::default()).unwrap(),
        &data,
    );
}

#[test]
fn the_total_of_a_base_has_the_weighted_gradient() {
    let data = cdnow();
    let fitted = BgNbd::fit(&data, &FitOptions::default()).unwrap();
    let (distinct, _) = data.distinct_customers();
    let total = |m: &BgNbd| -> clv::Result<f64> {
        let e = m.conditional_expected_transactions_batch(&distinct, 39.0)?;
        Ok(e.iter().zip(distinct.weights()).map(|(e, w)| e * w).sum())
    };
    let numeric = fitted
        .interval(total, Range::Positive, 0.9, Method::Delta)
        .unwrap();
    let analytic = fitted
        .interval(
            |m| {
                m.conditional_expected_transactions_differentiated(&distinct, 39.0)?
                    .weighted_sum(distinct.weights())
            },
            Range::Positive,
            0.9,
            Method::Delta,
        )
        .unwrap();
    assert!(close(analytic.estimate, numeric.estimate, 1e-13));
    assert!(
        close(analytic.lower, numeric.lower, 1e-8),
        "{analytic:?} {numeric:?}"
    );
    assert!(
        close(analytic.upper, numeric.upper, 1e-8),
        "{analytic:?} {numeric:?}"
    );
}

#[test]
fn survival_and_spend_gradients_agree_with_finite_differences() {
    use clv::{GammaGamma, Sbg};
    let rich = |f: &dyn Fn(&[f64]) -> f64, theta: &[f64], i: usize, scale: f64| {
        let at = |h: f64| {
            let mut p = theta.to_vec();
            p[i] *= h.exp();
            f(&p)
        };
        let h = 1e-3 / scale.max(1.0);
        let wide = (at(h) - at(-h)) / (2.0 * h);
        let narrow = (at(h / 2.0) - at(-h / 2.0)) / h;
        (4.0 * narrow - wide) / 3.0
    };
    let mut checked = 0;
    for p in grid(60) {
        let (a, b) = (p[0], p[1]);
        let model = Sbg::new(a, b).unwrap();
        let periods = [0, 1, 2, 7, 40, 1000];
        let d = model.survival_differentiated(&periods);
        for (i, &t) in periods.iter().enumerate() {
            let (v, g) = (d.values()[i], d.gradient_of(i).unwrap());
            assert_eq!(v, model.survival(t));
            for j in 0..2 {
                let s = |q: &[f64]| Sbg::new(q[0], q[1]).unwrap().survival(t);
                let fd = rich(&s, &[a, b], j, (g[j] / v).abs());
                assert!(
                    (g[j] - fd).abs() <= 1e-6 * fd.abs().max(v),
                    "sBG {p:?} t = {t}: {g:?} vs {fd}"
                );
                checked += 1;
            }
        }
        let gg = GammaGamma::new(p[0], 1.0 + p[1], p[2]).unwrap();
        let (x, m) = ([0.0, 1.0, 3.0, 40.0], [0.0, 12.0, 35.5, 0.3]);
        let d = gg.expected_average_spend_differentiated(&x, &m).unwrap();
        for i in 0..x.len() {
            let (v, g) = (d.values()[i], d.gradient_of(i).unwrap());
            assert_eq!(v, gg.expected_average_spend(x[i], m[i]).unwrap());
            for j in 0..3 {
                let s = |q: &[f64]| {
                    GammaGamma::new(q[0], q[1], q[2])
                        .unwrap()
                        .expected_average_spend(x[i], m[i])
                        .unwrap()
                };
                let fd = rich(&s, &gg.params(), j, (g[j] / v).abs());
                assert!(
                    (g[j] - fd).abs() <= 1e-6 * fd.abs().max(v),
                    "GG {p:?} {i}: {g:?} vs {fd}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

/// Median wall time of `runs` calls of `f`, in milliseconds.
fn millis<T>(runs: usize, f: impl Fn() -> T) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let start = std::time::Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[runs / 2]
}

/// The cost of the batch predictions and of their delta intervals from the analytic gradients on
/// 1,000,000 simulated customers (ages in whole days, 27 to 39 weeks), per model. Run with
/// `cargo test --release --test prediction_gradients -- --ignored --nocapture`.
#[test]
#[ignore]
fn delta_intervals_on_a_million_customers() {
    use clv::{Fitted, simulate};
    let n = 1_000_000;
    let ages: Vec<f64> = (0..n)
        .map(|i| (189.0 + ((i as f64 * 0.618_033_988_749_895).fract() * 85.0).floor()) / 7.0)
        .collect();
    fn report<M: Model + TransactionModel + Send + Sync>(fitted: &Fitted<M>, data: &RfmData) {
        let m = fitted.model();
        let runs = 5;
        let pa = millis(runs, || m.probability_alive_batch(data));
        let pa_d = millis(runs, || m.probability_alive_differentiated(data).unwrap());
        let pa_iv = millis(runs, || {
            fitted
                .intervals_customers(
                    data,
                    |m, d| m.probability_alive_differentiated(d),
                    Range::Probability,
                    0.9,
                    Method::Delta,
                )
                .unwrap()
        });
        let ey = millis(runs, || {
            m.conditional_expected_transactions_batch(data, 39.0)
                .unwrap()
        });
        let ey_d = millis(runs, || {
            m.conditional_expected_transactions_differentiated(data, 39.0)
                .unwrap()
        });
        let ey_iv = millis(runs, || {
            fitted
                .intervals_customers(
                    data,
                    |m, d| m.conditional_expected_transactions_differentiated(d, 39.0),
                    Range::Positive,
                    0.9,
                    Method::Delta,
                )
                .unwrap()
        });
        println!(
            "{}: P(alive) prediction {pa:.0} ms, with gradient {pa_d:.0} ms, delta intervals {pa_iv:.0} ms (added {:.0} ms); \
             E[Y(39)] prediction {ey:.0} ms, with gradient {ey_d:.0} ms, delta intervals {ey_iv:.0} ms (added {:.0} ms)",
            M::NAME,
            pa_iv - pa,
            ey_iv - ey
        );
    }
    let sample = |d: &RfmData| d.select(&(0..20_000).collect::<Vec<_>>()).unwrap();
    let bg = simulate::bg_nbd(&BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap(), &ages, 7)
        .unwrap()
        .data;
    println!(
        "{} customers, {} distinct",
        bg.len(),
        bg.distinct_customers().0.len()
    );
    let fitted = BgNbd::fit(&sample(&bg), &FitOptions::default()).unwrap();
    report(&fitted, &bg);
    // the predictive (outcome) count intervals of the fit example's CSV, for comparison
    let counts = millis(1, || {
        fitted
            .model()
            .predictive_interval_batch(&bg, 39.0, 0.9)
            .unwrap()
    });
    println!("bgnbd: predictive count intervals {counts:.0} ms");
    let mbg = simulate::mbg_nbd(
        &MbgNbd::new(0.5248, 6.1830, 0.8914, 1.6140).unwrap(),
        &ages,
        7,
    )
    .unwrap()
    .data;
    report(
        &MbgNbd::fit(&sample(&mbg), &FitOptions::default()).unwrap(),
        &mbg,
    );
    let pnbd = simulate::pareto_nbd(
        &ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap(),
        &ages,
        7,
    )
    .unwrap()
    .data;
    report(
        &ParetoNbd::fit(&sample(&pnbd), &FitOptions::default()).unwrap(),
        &pnbd,
    );
}

/// The delta intervals of the Gamma-Gamma expected spend (also with the bound `q > 1`, where
/// the fit's scale is `ln(q − 1)`) and of the sBG survival through their analytic gradients
/// equal those of finite differences.
#[test]
fn spend_and_survival_intervals_equal_those_of_finite_differences() {
    use clv::{GammaGamma, Sbg};
    let spend = common::cdnow_spend();
    let (x, m) = (&spend.frequency()[..50], &spend.monetary_value()[..50]);
    for fitted in [
        GammaGamma::fit(&spend, &FitOptions::default()).unwrap(),
        GammaGamma::fit_with_finite_mean(&spend, &FitOptions::default()).unwrap(),
    ] {
        let analytic = fitted
            .intervals_batch(
                |g| g.expected_average_spend_differentiated(x, m),
                Range::Positive,
                0.9,
                Method::Delta,
            )
            .unwrap();
        let numeric = fitted
            .intervals_batch(
                |g| {
                    x.iter()
                        .zip(m)
                        .map(|(&x, &m)| g.expected_average_spend(x, m))
                        .collect::<clv::Result<Vec<f64>>>()
                },
                Range::Positive,
                0.9,
                Method::Delta,
            )
            .unwrap();
        for i in 0..x.len() {
            let (a, n) = (analytic.get(i).unwrap(), numeric.get(i).unwrap());
            assert_eq!(a.estimate, n.estimate);
            assert!(
                close(a.lower, n.lower, 1e-8) && close(a.upper, n.upper, 1e-8),
                "{i}: {a:?} {n:?}"
            );
        }
    }
    let lifetimes = clv::simulate::sbg(&Sbg::new(0.704, 1.182).unwrap(), &[12; 2000], 5).unwrap();
    let fitted = Sbg::fit(&lifetimes, &FitOptions::default()).unwrap();
    let periods: Vec<u32> = (1..=30).collect();
    let analytic = fitted
        .intervals_batch(
            |s| s.survival_differentiated(&periods),
            Range::Probability,
            0.9,
            Method::Delta,
        )
        .unwrap();
    let numeric = fitted
        .intervals_batch(
            |s| periods.iter().map(|&t| s.survival(t)).collect::<Vec<f64>>(),
            Range::Probability,
            0.9,
            Method::Delta,
        )
        .unwrap();
    for i in 0..periods.len() {
        let (a, n) = (analytic.get(i).unwrap(), numeric.get(i).unwrap());
        assert_eq!(a.estimate, n.estimate);
        assert!(
            close(a.lower, n.lower, 1e-8) && close(a.upper, n.upper, 1e-8),
            "{i}: {a:?} {n:?}"
        );
    }
}
