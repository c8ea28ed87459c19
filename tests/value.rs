//! Customer value: DERT references, discrete vs continuous discounting, time-unit invariance,
//! batch vs single, and the errors that keep values finite and non-negative.

use clv::value::{DiscountRate, Valuation, dert_numerical};
use clv::{BgNbd, Customer, GammaGamma, RfmData, TransactionModel};

fn published() -> BgNbd {
    BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn bg_nbd_dert_matches_reference_values() {
    // DERT = δ ∫₀^∞ e^(−δt) E[Y(t) | x, t_x, T] dt with E[Y] by Fader, Hardie & Lee (2005)
    // eq. 10, integrated by mpmath (scripts/reference_values.py, tests/data/reference_values.csv:
    // bgnbd_dert_*), δ = 0.00288 per week.
    let m = published();
    for ((x, tx, t), want) in [
        ((2.0, 30.43, 38.86), 4.97218),
        ((0.0, 0.0, 38.86), 0.973329),
        ((10.0, 35.0, 38.86), 22.2192),
    ] {
        let c = Customer::new(x, tx, t).unwrap();
        let v = m
            .discounted_expected_residual_transactions(&c, 0.00288)
            .unwrap();
        assert!(rel(v, want) < 2e-6, "{x}: {v} vs {want}");
    }
}

#[test]
fn bg_nbd_dert_agrees_with_generic_quadrature() {
    let models = [
        published(),
        BgNbd::new(1.3, 12.0, 2.5, 4.0).unwrap(),
        BgNbd::new(0.5, 0.8, 0.3, 0.9).unwrap(),
        BgNbd::new(2.0, 30.0, 1.0, 3.0).unwrap(),
    ];
    let customers = [
        (0.0, 0.0, 38.86),
        (2.0, 30.43, 38.86),
        (26.0, 30.86, 31.0),
        (1.0, 2.0, 60.0),
    ];
    for m in &models {
        for &(x, tx, t) in &customers {
            for delta in [0.00288, 0.02, 0.3] {
                let c = Customer::new(x, tx, t).unwrap();
                let exact = m
                    .discounted_expected_residual_transactions(&c, delta)
                    .unwrap();
                let numeric = dert_numerical(m, &c, delta).unwrap();
                assert!(
                    rel(exact, numeric) < 1e-7,
                    "{m} {x} {tx} {t} δ={delta}: {exact} vs {numeric}"
                );
            }
        }
    }
}

/// A customer whose expected transactions rise within 1e-3 time units (BG/NBD `r/α ≈ 1e7`
/// purchases per unit, a dropout probability of 1.6e-3 per purchase) and a horizon of 1 to 2e5
/// units: the value to the horizon equals the value forever, since beyond `t = 1` the expected
/// transactions no longer grow in the 17th digit; the generic numerical DERT equals the closed
/// form. A rise that narrow against the horizon (or the discount's time scale, 8,300 units) once
/// lay between the nodes of one quadrature panel (2e-8 relative off at a horizon of 2e4, the
/// numerical DERT 2e-7).
#[test]
fn value_to_a_horizon_sees_a_rise_far_shorter_than_the_horizon() {
    let m = BgNbd::new(
        2647518.501314566,
        0.2668206034121314,
        16.475682539755194,
        10374.540672313053,
    )
    .unwrap();
    let c = Customer::new(62.0, 5.763628201316382, 5.763628201316382).unwrap();
    let discount = DiscountRate::new(0.43549641528848354, 3005.08690220398).unwrap();
    let forever = Valuation::continuous(1.0, discount, None)
        .unwrap()
        .discounted_transactions(&m, &c)
        .unwrap();
    let dert = m
        .discounted_expected_residual_transactions(&c, discount.continuous_rate())
        .unwrap();
    assert!(rel(forever, dert) < 1e-14, "{forever} vs DERT {dert}");
    let numeric = dert_numerical(&m, &c, discount.continuous_rate()).unwrap();
    assert!(
        rel(numeric, dert) < 1e-12,
        "numerical DERT {numeric} vs {dert}"
    );
    for horizon in [1.0, 30.0, 2029.9467171675767, 20438.695763417792, 2e5] {
        let v = Valuation::continuous(1.0, discount, Some(horizon))
            .unwrap()
            .discounted_transactions(&m, &c)
            .unwrap();
        assert!(rel(v, dert) < 1e-12, "horizon {horizon}: {v} vs {dert}");
    }
}

#[test]
fn batch_dert_equals_single() {
    let m = published();
    let data = RfmData::new(
        vec![2.0, 0.0, 2.0, 10.0, 0.0, 2.0],
        vec![30.43, 0.0, 12.0, 35.0, 0.0, 30.43],
        vec![38.86, 38.86, 38.86, 38.86, 30.0, 38.86],
    )
    .unwrap();
    let batch = m
        .discounted_expected_residual_transactions_batch(&data, 0.01)
        .unwrap();
    for (c, b) in data.customers().zip(batch.iter()) {
        let s = m
            .discounted_expected_residual_transactions(&c, 0.01)
            .unwrap();
        assert!(rel(*b, s) < 1e-14);
    }
    assert!(
        m.discounted_expected_residual_transactions(&data.customer(0).unwrap(), 0.0)
            .is_err()
    );
}

#[test]
fn discrete_tends_to_continuous_as_the_period_shrinks() {
    let m = published();
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    let d = DiscountRate::new(0.10, 52.0).unwrap();
    let continuous = Valuation::continuous(1.0, d, Some(52.0))
        .unwrap()
        .discounted_transactions(&m, &c)
        .unwrap();
    let mut last = f64::INFINITY;
    for (tau, n) in [(4.0, 13), (1.0, 52), (0.1, 520), (0.01, 5200)] {
        let v = Valuation::discrete(1.0, d, tau, n)
            .unwrap()
            .discounted_transactions(&m, &c)
            .unwrap();
        let err = rel(v, continuous);
        // End-of-period discounting: error O(δτ/2), shrinking with τ.
        assert!(
            err < 0.6 * d.continuous_rate() * tau + 1e-9,
            "τ={tau}: {err}"
        );
        assert!(err < last);
        last = err;
    }
    assert!(last < 1e-5);
    // A long finite horizon approaches the unlimited one (DERT).
    let forever = Valuation::continuous(1.0, d, None).unwrap();
    let long = Valuation::continuous(1.0, d, Some(52.0 * 400.0)).unwrap();
    let (a, b) = (
        forever.discounted_transactions(&m, &c).unwrap(),
        long.discounted_transactions(&m, &c).unwrap(),
    );
    assert!(rel(a, b) < 1e-6, "{a} vs {b}");
}

#[test]
fn changing_the_time_unit_changes_no_value() {
    // Weeks -> days: recency, T and α scale by 7, so do every period and horizon.
    let weeks = published();
    let days = BgNbd::new(0.243, 4.414 * 7.0, 0.793, 2.426).unwrap();
    let spend = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let (dw, dd) = (
        DiscountRate::new(0.10, 52.0).unwrap(),
        DiscountRate::new(0.10, 364.0).unwrap(),
    );
    let pairs = [
        (
            Valuation::discrete(0.3, dw, 1.0, 52).unwrap(),
            Valuation::discrete(0.3, dd, 7.0, 52).unwrap(),
        ),
        (
            Valuation::discrete(0.3, dw, 52.0 / 12.0, 24).unwrap(),
            Valuation::discrete(0.3, dd, 364.0 / 12.0, 24).unwrap(),
        ),
        (
            Valuation::continuous(0.3, dw, Some(52.0)).unwrap(),
            Valuation::continuous(0.3, dd, Some(364.0)).unwrap(),
        ),
        (
            Valuation::continuous(0.3, dw, None).unwrap(),
            Valuation::continuous(0.3, dd, None).unwrap(),
        ),
    ];
    for (x, tx, t, mx) in [
        (2.0, 30.43, 38.86, 22.35),
        (0.0, 0.0, 38.86, 0.0),
        (7.0, 29.86, 31.0, 41.0),
    ] {
        let cw = Customer::new(x, tx, t).unwrap();
        let cd = Customer::new(x, tx * 7.0, t * 7.0).unwrap();
        for (vw, vd) in &pairs {
            let a = vw.customer_value(&weeks, &spend, &cw, mx).unwrap();
            let b = vd.customer_value(&days, &spend, &cd, mx).unwrap();
            assert!(rel(a, b) < 1e-9, "{vw:?}: {a} vs {b}");
        }
    }
}

#[test]
fn customer_values_batch_equals_single() {
    let m = published();
    let spend = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let data = RfmData::from_columns(
        vec![2.0, 0.0, 2.0, 10.0],
        vec![30.43, 0.0, 12.0, 35.0],
        vec![38.86, 38.86, 38.86, 38.86],
        Some(vec![22.35, 0.0, 22.35, 50.0]),
        None,
    )
    .unwrap();
    let d = DiscountRate::new(0.10, 52.0).unwrap();
    for v in [
        Valuation::discrete(0.3, d, 1.0, 52).unwrap(),
        Valuation::continuous(0.3, d, None).unwrap(),
        Valuation::continuous(0.3, d, Some(104.0)).unwrap(),
    ] {
        let batch = v.customer_values(&m, &spend, &data).unwrap();
        for (i, c) in data.customers().enumerate() {
            let s = v
                .customer_value(&m, &spend, &c, data.monetary_value().unwrap()[i])
                .unwrap();
            assert!(
                rel(batch[i], s) < 1e-12,
                "{v:?} row {i}: {} vs {s}",
                batch[i]
            );
            assert!(s > 0.0);
        }
    }
    // No monetary column: an error, not a guess.
    let v = Valuation::continuous(0.3, d, None).unwrap();
    assert!(
        v.customer_values(&m, &spend, &data.without_monetary_value())
            .is_err()
    );
}

#[test]
fn out_of_range_inputs_are_errors() {
    let d = DiscountRate::new(0.10, 52.0).unwrap();
    for bad in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
        assert!(Valuation::discrete(bad, d, 1.0, 52).is_err());
        assert!(Valuation::continuous(bad, d, None).is_err());
    }
    for bad in [-0.1, -1.0, f64::NAN, f64::INFINITY] {
        assert!(DiscountRate::new(bad, 52.0).is_err());
    }
    for bad in [0.0, -52.0, f64::NAN] {
        assert!(DiscountRate::new(0.1, bad).is_err());
        assert!(Valuation::discrete(0.3, d, bad, 52).is_err());
        assert!(Valuation::continuous(0.3, d, Some(bad)).is_err());
    }
    assert!(Valuation::discrete(0.3, d, 1.0, 0).is_err());
    // No discounting: fine over a finite horizon, divergent forever.
    let zero = DiscountRate::new(0.0, 52.0).unwrap();
    assert!(Valuation::continuous(0.3, zero, None).is_err());
    let v = Valuation::continuous(1.0, zero, Some(39.0)).unwrap();
    let m = published();
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    let e = m.conditional_expected_transactions(&c, 39.0).unwrap();
    assert!(rel(v.discounted_transactions(&m, &c).unwrap(), e) < 1e-12);
    // q <= 1: infinite mean spend, so no value (not a negative or infinite one).
    let heavy = GammaGamma::new(2.0, 0.9, 10.0).unwrap();
    let val = Valuation::continuous(0.3, d, None).unwrap();
    let err = val.customer_value(&m, &heavy, &c, 22.35).unwrap_err();
    assert!(err.to_string().contains("q"), "{err}");
    let data = RfmData::from_columns(vec![2.0], vec![30.43], vec![38.86], Some(vec![22.35]), None)
        .unwrap();
    assert!(val.customer_values(&m, &heavy, &data).is_err());
    assert!(dert_numerical(&m, &c, -1.0).is_err());
}
