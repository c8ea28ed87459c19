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
