//! Intervals of customer value: the transaction and spend models' parameter uncertainty
//! combined (`Valuation::customer_value_intervals`).

use clv::fit::{Method, Range};
use clv::value::{DiscountRate, Valuation};
use clv::{BgNbd, FitOptions, GammaGamma, RfmData, SpendData};

/// CDNOW with each customer's mean repeat-transaction value.
fn cdnow() -> RfmData {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary_with_transactions.csv"
    ))
    .unwrap();
    let (mut x, mut tx, mut t, mut m) = (vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        x.push(f[1]);
        tx.push(f[2]);
        t.push(f[3]);
        m.push(f[4]);
    }
    RfmData::from_columns(x, tx, t, Some(m), None).unwrap()
}

#[test]
fn value_intervals_combine_both_models_uncertainty() {
    let all = cdnow();
    let options = FitOptions::default();
    let transactions = BgNbd::fit(&all, &options).unwrap();
    let spend = GammaGamma::fit(&SpendData::from_rfm(&all).unwrap(), &options).unwrap();
    // value the first 300 customers (the fits use all)
    let data = all.select(&(0..300).collect::<Vec<_>>()).unwrap();
    let valuation =
        Valuation::continuous(0.3, DiscountRate::new(0.1, 52.0).unwrap(), None).unwrap();
    let values = valuation
        .customer_values(transactions.model(), spend.model(), &data)
        .unwrap();
    let both = valuation
        .customer_value_intervals(&transactions, &spend, &data, 0.9, Method::Delta)
        .unwrap();
    assert_eq!(both.len(), data.len());
    // the transaction model's uncertainty alone, spend fixed at its estimate
    let alone = transactions
        .intervals_batch(
            |t| valuation.customer_values(t, spend.model(), &data),
            Range::Positive,
            0.9,
            Method::Delta,
        )
        .unwrap();
    for i in 0..data.len() {
        assert_eq!(both.estimate[i], values[i]);
        assert!(0.0 <= both.lower[i] && both.lower[i] <= values[i] && values[i] <= both.upper[i]);
        // adding the spend model's (independent) uncertainty only widens the interval
        let (w_both, w_alone) = (
            both.upper[i] - both.lower[i],
            alone.upper[i] - alone.lower[i],
        );
        assert!(
            w_both >= w_alone * (1.0 - 1e-9),
            "row {i}: {w_both} < {w_alone}"
        );
    }
    // spend uncertainty adds visibly to the width of some customers' values
    let most = (0..data.len())
        .map(|i| (both.upper[i] - both.lower[i]) / (alone.upper[i] - alone.lower[i]))
        .fold(0.0, f64::max);
    assert!(most > 1.01, "{most}");

    // parametric draws: reproducible, and the same draws whatever rows are asked for
    let method = Method::Parametric {
        draws: 200,
        seed: 4,
    };
    let a = valuation
        .customer_value_intervals(&transactions, &spend, &data, 0.9, method)
        .unwrap();
    let rows = [0, 5, 17, 240];
    let part = valuation
        .customer_value_intervals(
            &transactions,
            &spend,
            &data.select(&rows).unwrap(),
            0.9,
            method,
        )
        .unwrap();
    for (k, &i) in rows.iter().enumerate() {
        assert!((part.lower[k] - a.lower[i]).abs() <= 1e-12 * a.lower[i]);
        assert!((part.upper[k] - a.upper[i]).abs() <= 1e-12 * a.upper[i]);
    }
    // delta and parametric agree roughly for a well-determined customer
    let rel = |x: f64, y: f64| (x - y).abs() / y;
    assert!(
        rel(a.upper[0], both.upper[0]) < 0.1,
        "{} {}",
        a.upper[0],
        both.upper[0]
    );
    assert!(
        rel(a.lower[0], both.lower[0]) < 0.1,
        "{} {}",
        a.lower[0],
        both.lower[0]
    );

    assert!(
        valuation
            .customer_value_intervals(&transactions, &spend, &data, 1.0, Method::Delta)
            .is_err()
    );
}
