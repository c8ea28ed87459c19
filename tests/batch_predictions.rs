//! Batch predictions equal the row-by-row ones bit for bit, on data where many customers share
//! `(x, T)` (ages and purchase times in whole days) as well as on rows that are all distinct.

use clv::{BgNbd, Customer, MbgNbd, ParetoNbd, RfmData, TransactionModel};

#[path = "../benches/common/whole_days.rs"]
mod whole_days;

/// `n` customers with whole-day ages, or (`continuous`) ages all distinct.
fn data(n: usize, continuous: bool) -> RfmData {
    whole_days::customers(n, 11, !continuous)
}

fn same(name: &str, batch: &[f64], rows: &[f64]) {
    assert_eq!(batch.len(), rows.len());
    for (i, (b, r)) in batch.iter().zip(rows).enumerate() {
        assert_eq!(b.to_bits(), r.to_bits(), "{name}: row {i}: {b} vs {r}");
    }
}

fn check<M: TransactionModel + Sync>(model: &M, d: &RfmData, dert: bool) {
    let customers: Vec<Customer> = d.customers().collect();
    let p: Vec<f64> = customers
        .iter()
        .map(|c| model.probability_alive(c))
        .collect();
    same(
        "P(alive)",
        model.probability_alive_batch(d).as_slice().unwrap(),
        &p,
    );
    for t in [0.0, 1.0, 39.0, 520.0] {
        let rows: Vec<f64> = customers
            .iter()
            .map(|c| model.conditional_expected_transactions(c, t).unwrap())
            .collect();
        let batch = model.conditional_expected_transactions_batch(d, t).unwrap();
        same("E[Y(t)]", batch.as_slice().unwrap(), &rows);
    }
    assert!(
        model
            .conditional_expected_transactions_batch(d, -1.0)
            .is_err()
    );
    assert!(
        model
            .conditional_expected_transactions_batch(d, f64::NAN)
            .is_err()
    );
    if dert {
        let delta = 0.0027;
        let rows: Vec<f64> = customers
            .iter()
            .map(|c| {
                model
                    .discounted_expected_residual_transactions(c, delta)
                    .unwrap()
            })
            .collect();
        let batch = model
            .discounted_expected_residual_transactions_batch(d, delta)
            .unwrap();
        same("DERT", batch.as_slice().unwrap(), &rows);
        assert!(
            model
                .discounted_expected_residual_transactions_batch(d, 0.0)
                .is_err()
        );
    }
}

#[test]
fn bg_nbd_batches_are_the_row_by_row_values() {
    let model = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    for continuous in [false, true] {
        check(&model, &data(3_000, continuous), false);
    }
}

#[test]
fn mbg_nbd_batches_are_the_row_by_row_values() {
    let model = MbgNbd::new(0.5248, 6.183, 0.8914, 1.614).unwrap();
    check(&model, &data(3_000, false), true);
    check(&model, &data(300, true), true);
}

#[test]
fn pareto_nbd_batches_are_the_row_by_row_values() {
    let model = ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap();
    for continuous in [false, true] {
        check(&model, &data(3_000, continuous), true);
    }
}
