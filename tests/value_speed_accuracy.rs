//! The batch forms of customer value (whose BG/NBD DERT interpolates the part given alive over
//! the customers' ages) agree with the customer-by-customer evaluation to 1e-9 relative on a
//! grid that includes extreme customers (x up to 10,000, T up to 10,000).

use clv::value::{DiscountRate, Valuation};
use clv::{BgNbd, RfmData};

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
