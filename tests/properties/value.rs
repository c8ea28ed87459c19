//! Discounted value ([`clv::value`]) over either transaction model.
//!
//! Bounds: with the increments of `E[Y(t)]` non-negative and discount factors in
//! `[e^(−δHτ), 1]`, the discrete sum over `H` periods of length `τ` lies between
//! `e^(−δHτ) E[Y(Hτ)]` and `E[Y(Hτ)]`; the continuous value to a horizon is non-decreasing in
//! the horizon and at most the value forever (DERT).

use clv::value::{DiscountRate, Valuation};
use clv::{BgNbd, Customer, GammaGamma, ParetoNbd, TransactionModel};
use proptest::prelude::*;

use crate::support::*;

/// A BG/NBD (`pareto = false`) or Pareto/NBD model from four parameters.
fn transaction_model(
    pareto: bool,
    (p1, p2, p3, p4): (f64, f64, f64, f64),
) -> Result<Box<dyn TransactionModel>, TestCaseError> {
    let m: Result<Box<dyn TransactionModel>, clv::Error> = if pareto {
        ParetoNbd::new(p1, p2, p3, p4).map(|m| Box::new(m) as _)
    } else {
        BgNbd::new(p1, p2, p3, p4).map(|m| Box::new(m) as _)
    };
    m.map_err(|e| TestCaseError::fail(format!("constructor refuses valid parameters: {e}")))
}

fn params() -> impl Strategy<Value = (f64, f64, f64, f64)> {
    (param(), param(), param(), param())
}

proptest! {
    #![proptest_config(config(32))]

    /// Discrete discounting over `H ≤ 24` periods: finite, between `e^(−δHτ) E[Y(Hτ)]` and
    /// `E[Y(Hτ)]` (1e-10 relative), and the same through the trait method.
    #[test]
    fn value_discrete_between_bounds(
        pareto in any::<bool>(),
        theta in params(),
        h in history(),
        rate in 0.0..1.0f64,
        per in log_uniform(-1.0, 4.0),
        tau in log_uniform(-3.0, 5.0),
        periods in 1u32..=24,
    ) {
        let m = transaction_model(pareto, theta)?;
        let c: Customer = h.customer();
        let discount = DiscountRate::new(rate, per).expect("valid rate");
        let delta = discount.continuous_rate();
        let valuation = Valuation::discrete(1.0, discount, tau, periods).expect("valid schedule");
        let v = valuation.discounted_transactions(m.as_ref(), &c);
        prop_assert!(matches!(v, Ok(v) if v.is_finite() && v >= 0.0), "discrete value = {v:?}");
        let v = v.unwrap();
        let end = f64::from(periods) * tau;
        let e = m.conditional_expected_transactions(&c, end);
        prop_assert!(e.is_ok(), "E[Y({end})] = {e:?}");
        let e = e.unwrap();
        prop_assert!(v <= e * (1.0 + 1e-10) + 1e-300, "discrete value {v:e} > E[Y({end})] = {e:e}");
        let lower = (-delta * end).exp() * e;
        prop_assert!(v >= lower * (1.0 - 1e-10), "discrete value {v:e} < e^(−δHτ) E[Y(Hτ)] = {lower:e}");
        let direct = m.discounted_transactions_discrete(&c, delta, tau, periods);
        prop_assert!(matches!(direct, Ok(d) if close(d, v, 1e-12, 0.0)), "trait method {direct:?}, valuation {v:e}");
    }

    /// Continuous discounting: the value to a horizon is finite, ≥ 0, non-decreasing in the
    /// horizon and at most the value forever (1e-9 relative: both come from integrals with
    /// relative tolerance 1e-10); the value forever equals the model's DERT; a customer value
    /// is `margin · E[M | x, m_x] · DERT` with a finite-mean Gamma-Gamma.
    #[test]
    fn value_continuous_monotone_in_horizon(
        pareto in any::<bool>(),
        theta in params(),
        h in history(),
        rate in 0.01..1.0f64,
        per in log_uniform(-1.0, 4.0),
        horizon in log_uniform(-2.0, 6.0),
        w in 0.01..2.0f64,
        margin in 0.0..1.0f64,
        mx in log_uniform(-1.0, 4.0),
    ) {
        let m = transaction_model(pareto, theta)?;
        let c: Customer = h.customer();
        let discount = DiscountRate::new(rate, per).expect("valid rate");
        let value = |hz: Option<f64>| {
            Valuation::continuous(1.0, discount, hz)
                .expect("valid schedule")
                .discounted_transactions(m.as_ref(), &c)
        };
        let v1 = value(Some(horizon));
        let v2 = value(Some(horizon * 10f64.powf(w)));
        let vinf = value(None);
        let (Ok(v1), Ok(v2), Ok(vinf)) = (&v1, &v2, &vinf) else {
            return Err(TestCaseError::fail(format!("values {v1:?}, {v2:?}, {vinf:?}")));
        };
        let (v1, v2, vinf) = (*v1, *v2, *vinf);
        for v in [v1, v2, vinf] {
            prop_assert!(v.is_finite() && v >= 0.0, "value {v}");
        }
        // A subnormal value carries about two quanta absolutely (the end term's and the
        // integrand's roundings, whose discounted weights integrate to at most 1): two values
        // may be four apart.
        prop_assert!(v2 >= v1 * (1.0 - 1e-9) - 4.0 * QUANTUM, "value to a later horizon {v2:e} < {v1:e}");
        prop_assert!(
            v2 <= vinf * (1.0 + 1e-9) + 4.0 * QUANTUM,
            "value to a horizon {v2:e} > value forever {vinf:e}"
        );
        let dert = m.discounted_expected_residual_transactions(&c, discount.continuous_rate());
        prop_assert!(matches!(dert, Ok(d) if close(d, vinf, 1e-12, 0.0)), "DERT {dert:?}, valuation {vinf:e}");
        let spend = GammaGamma::new(6.25, 3.74, 15.44).expect("valid");
        let valuation = Valuation::continuous(margin, discount, None).expect("valid schedule");
        let cv = valuation.customer_value(m.as_ref(), &spend, &c, mx);
        let s = spend.expected_average_spend(h.x, mx).expect("finite spend");
        prop_assert!(
            matches!(cv, Ok(v) if v.is_finite() && close(v, margin * s * vinf, 1e-12, 0.0)),
            "customer value {cv:?}, margin·E[M]·DERT = {:e}", margin * s * vinf
        );
    }
}
