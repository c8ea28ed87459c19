//! The batch forms of customer value (whose BG/NBD DERT and discrete discounted sum interpolate
//! the part given alive over the customers' ages) agree with the customer-by-customer evaluation to 1e-9 relative on a
//! grid that includes extreme customers (x up to 10,000, T up to 10,000).

use clv::value::{DiscountRate, Valuation};
use clv::{BgNbd, RfmData, TransactionModel};

/// Largest relative disagreement allowed between the batch and the single-customer value.
const REL_TOL: f64 = 1e-9;

fn models() -> Vec<BgNbd> {
    vec![
        // CDNOW (FHL 2005).
        BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap(),
        BgNbd::new(1.3, 12.0, 2.5, 4.0).unwrap(),
        BgNbd::new(0.5, 0.8, 0.3, 0.9).unwrap(),
        // a = 1: the removable singularity of the Euler form.
        BgNbd::new(2.0, 30.0, 1.0, 3.0).unwrap(),
    ]
}

/// Many ages per frequency (so that the batch interpolates), from 0 to 10,000, two recencies
/// each, in shuffled order.
fn grid(ages_per_x: usize) -> RfmData {
    let mut rows = Vec::new();
    for &x in &[0.0, 1.0, 2.0, 5.0, 30.0, 300.0, 10_000.0] {
        for j in 0..ages_per_x {
            let u = j as f64 / (ages_per_x - 1) as f64;
            // Geometric from 0.01 to 10,000.
            let t = 0.01 * 1e6f64.powf(u);
            if x == 0.0 {
                rows.push((x, 0.0, t));
            } else {
                rows.push((x, t, t));
                rows.push((x, 0.37 * t, t));
            }
        }
    }
    // A fixed shuffle (the batch must not depend on the order of the rows).
    let n = rows.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut s = 12345u64;
    for i in (1..n).rev() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        order.swap(i, (s >> 33) as usize % (i + 1));
    }
    RfmData::new(
        order.iter().map(|&i| rows[i].0).collect(),
        order.iter().map(|&i| rows[i].1).collect(),
        order.iter().map(|&i| rows[i].2).collect(),
    )
    .unwrap()
}

fn worst(model: &BgNbd, v: &Valuation, data: &RfmData) -> f64 {
    let batch = v.discounted_transactions_batch(model, data).unwrap();
    let mut worst: f64 = 0.0;
    for (c, b) in data.customers().zip(&batch) {
        let single = v.discounted_transactions(model, &c).unwrap();
        let e = if single == 0.0 {
            b.abs()
        } else {
            (b - single).abs() / single
        };
        assert!(
            e <= REL_TOL,
            "{model}, {c:?}: batch {b} vs single {single} (rel {e:e})"
        );
        worst = worst.max(e);
    }
    worst
}

#[test]
fn dert_batch_agrees_with_single_customers() {
    let data = grid(90);
    for d in [
        DiscountRate::new(0.10, 52.0).unwrap(),
        DiscountRate::new(0.15, 12.0).unwrap(),
    ] {
        let v = Valuation::continuous(1.0, d, None).unwrap();
        for m in models() {
            let w = worst(&m, &v, &data);
            println!(
                "DERT {m}, δ = {}: worst relative disagreement {w:e}",
                d.continuous_rate()
            );
        }
    }
}

#[test]
fn discrete_batch_agrees_with_single_customers() {
    let data = grid(70);
    let d = DiscountRate::new(0.10, 52.0).unwrap();
    for (period, periods) in [(1.0, 52), (4.0, 13), (30.0, 40)] {
        let v = Valuation::discrete(1.0, d, period, periods).unwrap();
        for m in models() {
            let w = worst(&m, &v, &data);
            println!("discrete {period} x {periods}, {m}: worst relative disagreement {w:e}");
        }
    }
}

#[test]
fn batch_with_few_rows_per_frequency_is_exact() {
    // Below the interpolation threshold every value is the single-customer one, bit for bit.
    let m = models()[0];
    let data = RfmData::new(
        vec![0.0, 2.0, 2.0, 7.0],
        vec![0.0, 30.43, 11.0, 38.0],
        vec![38.86, 38.86, 20.0, 38.5],
    )
    .unwrap();
    let d = DiscountRate::new(0.10, 52.0).unwrap();
    for v in [
        Valuation::continuous(1.0, d, None).unwrap(),
        Valuation::discrete(1.0, d, 1.0, 52).unwrap(),
    ] {
        let batch = v.discounted_transactions_batch(&m, &data).unwrap();
        for (c, b) in data.customers().zip(&batch) {
            assert_eq!(*b, v.discounted_transactions(&m, &c).unwrap());
        }
    }
}

/// The discrete discounted sum from its definition, `Σ_k e^(−δkτ) max(E[Y(kτ)] − E[Y((k−1)τ)], 0)`,
/// through the model's conditional expectation of one customer.
fn discrete_by_definition(
    model: &BgNbd,
    c: &clv::Customer,
    delta: f64,
    period: f64,
    periods: u32,
) -> f64 {
    let (mut sum, mut prev) = (0.0, 0.0);
    for k in 1..=periods {
        let t = f64::from(k) * period;
        let e = model.conditional_expected_transactions(c, t).unwrap();
        sum += (e - prev).max(0.0) * (-delta * t).exp();
        prev = e;
    }
    sum
}

#[test]
fn discrete_trait_batch_agrees_with_the_definition() {
    // Ages 0.01 to 10,000 for x up to 10,000 (so z = t/(α+T+t) crosses from the Euler form to
    // the quadrature within one frequency for the long schedules); no discount and a steep one.
    let data = grid(70);
    for (delta, period, periods) in [
        (0.10f64.ln_1p() / 52.0, 1.0, 52),
        (0.0, 1.0, 52),
        (0.10f64.ln_1p() / 52.0, 4.0, 13),
        (0.5, 30.0, 40),
        (0.01, 0.25, 3),
    ] {
        for m in models() {
            let batch = m
                .discounted_transactions_discrete_batch(&data, delta, period, periods)
                .unwrap();
            let mut worst: f64 = 0.0;
            for (c, b) in data.customers().zip(&batch) {
                let single = discrete_by_definition(&m, &c, delta, period, periods);
                let e = if single == 0.0 {
                    b.abs()
                } else {
                    (b - single).abs() / single
                };
                assert!(
                    e <= REL_TOL,
                    "{m}, δ = {delta}, {period} x {periods}, {c:?}: batch {b} vs definition \
                     {single} (rel {e:e})"
                );
                worst = worst.max(e);
            }
            println!(
                "discrete δ = {delta}, {period} x {periods}, {m}: worst relative disagreement \
                 {worst:e}"
            );
        }
    }
}

#[test]
fn discrete_trait_batch_checks_its_arguments() {
    let m = models()[0];
    let data = grid(5);
    assert!(
        m.discounted_transactions_discrete_batch(&data, -0.1, 1.0, 52)
            .is_err()
    );
    assert!(
        m.discounted_transactions_discrete_batch(&data, f64::NAN, 1.0, 52)
            .is_err()
    );
    assert!(
        m.discounted_transactions_discrete_batch(&data, 0.1, 0.0, 52)
            .is_err()
    );
    assert!(
        m.discounted_transactions_discrete_batch(&data, 0.1, f64::INFINITY, 52)
            .is_err()
    );
    // No periods: nothing to discount.
    let none = m
        .discounted_transactions_discrete_batch(&data, 0.1, 1.0, 0)
        .unwrap();
    assert!(none.iter().all(|&v| v == 0.0));
}

#[test]
fn default_discrete_batch_is_the_single_customer_sum() {
    // Pareto/NBD keeps the default: one per-customer sum per distinct (x, t_x, T).
    // Parameters near the CDNOW fit (r, α, s, β), as in tests/pareto_nbd.rs.
    let m = clv::ParetoNbd::new(0.553, 10.58, 0.606, 11.67).unwrap();
    let data = grid(6);
    let d = DiscountRate::new(0.10, 52.0).unwrap();
    let v = Valuation::discrete(1.0, d, 4.0, 13).unwrap();
    let batch = v.discounted_transactions_batch(&m, &data).unwrap();
    for (c, b) in data.customers().zip(&batch) {
        assert_eq!(*b, v.discounted_transactions(&m, &c).unwrap());
        assert!(b.is_finite() && *b >= 0.0);
    }
}
