//! Gamma-Gamma spend (Fader, Hardie & Lee 2005; Fader & Hardie 2013, note 025).
//!
//! `E[M | x, m_x] = p(γ + x m_x)/(px + q − 1)` is the credibility-weighted mean
//! `w · pγ/(q−1) + (1 − w) · m_x`, `w = (q−1)/(px+q−1)`: for `q > 1` it lies between the
//! population mean and the customer's own mean; for `q ≤ 1` (infinite population mean) and
//! `px + q > 1` it exceeds `m_x` (`E − m_x = (pγ − (q−1) m_x)/(px+q−1) > 0`).

use clv::{GammaGamma, SpendData};
use proptest::prelude::*;

use crate::support::*;

fn model(p: f64, q: f64, gamma: f64) -> Result<GammaGamma, TestCaseError> {
    // Exact predictions are asked over every parameter in [1e-3, 1e8]: the constructor must
    // accept them.
    GammaGamma::new(p, q, gamma)
        .map_err(|e| TestCaseError::fail(format!("GammaGamma::new refuses valid parameters: {e}")))
}

/// Relative rounding allowance of the closed forms (a handful of operations).
const ROUND: f64 = 1e-13;

/// Checks `E[M | x, m_x]` against the credibility-weighted-mean characterisation; `must` says
/// whether an error is acceptable when the value is finite mathematically.
fn check_spend(m: &GammaGamma, x: f64, mx: f64, must: bool) -> Result<(), TestCaseError> {
    let (p, q) = (m.p(), m.q());
    let e = m.expected_average_spend(x, mx);
    let infinite = if x == 0.0 { q <= 1.0 } else { p * x + q <= 1.0 };
    if infinite {
        prop_assert!(
            e.is_err(),
            "E[M | x = {x}, m = {mx}] = {e:?} where it is infinite"
        );
        return Ok(());
    }
    let e = match e {
        Ok(e) => e,
        Err(err) if !must => {
            // An error is the promised alternative to a wrong number.
            let _ = err;
            return Ok(());
        }
        Err(err) => {
            return Err(TestCaseError::fail(format!(
                "E[M | x = {x}, m = {mx}]: {err}"
            )));
        }
    };
    prop_assert!(e.is_finite() && e > 0.0, "E[M | x = {x}, m = {mx}] = {e}");
    if x == 0.0 {
        let mean = m.mean_spend();
        prop_assert!(
            matches!(mean, Ok(v) if close(v, e, ROUND, 0.0)),
            "E[M | x = 0] = {e:e}, mean {mean:?}"
        );
        return Ok(());
    }
    if q > 1.0 {
        let mean = m.mean_spend();
        prop_assert!(mean.is_ok(), "mean spend with q = {q} > 1: {mean:?}");
        let mean = mean.unwrap();
        let (lo, hi) = if mean < mx { (mean, mx) } else { (mx, mean) };
        prop_assert!(
            e >= lo * (1.0 - ROUND) && e <= hi * (1.0 + ROUND),
            "E[M | x = {x}, m = {mx:e}] = {e:e} outside [{lo:e}, {hi:e}]"
        );
    } else {
        prop_assert!(
            m.mean_spend().is_err(),
            "mean spend with q = {q} ≤ 1 should be an error"
        );
        prop_assert!(
            e >= mx * (1.0 - ROUND),
            "E[M | x = {x}, m = {mx:e}] = {e:e} < m_x with q ≤ 1"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// `E[M | x, m_x]` over ordinary spends (`m_x ∈ [1e-3, 1e12]`): an `Ok`, finite, positive
    /// value between the population mean and `m_x` whenever it is finite mathematically, an
    /// error exactly when it is infinite; `mean_spend` an error exactly when `q ≤ 1`.
    #[test]
    fn gg_expected_average_spend_is_a_credibility_mean(
        p in param(),
        q in param(),
        gamma in param(),
        x in frequency(),
        mx in log_uniform(-3.0, 12.0),
    ) {
        let m = model(p, q, gamma)?;
        check_spend(&m, x, mx, true)?;
        match m.mean_spend() {
            Ok(v) => prop_assert!(q > 1.0 && v.is_finite() && v > 0.0, "mean spend {v} with q = {q}"),
            Err(_) => prop_assert!(q <= 1.0, "mean spend refused with q = {q} > 1"),
        }
    }

    /// The same over extreme spends (`m_x` up to 1e308, valid input): finite inside `Ok` (the
    /// exact value lies between two finite numbers), or an error.
    #[test]
    fn gg_expected_average_spend_extreme_spends_finite(
        p in param(),
        q in param(),
        gamma in param(),
        x in frequency(),
        mx in log_uniform(200.0, 308.0),
    ) {
        let m = model(p, q, gamma)?;
        check_spend(&m, x, mx, false)?;
        let data = SpendData::new(vec![x, 1.0], vec![if x == 0.0 { 0.0 } else { mx }, mx]);
        if let Ok(data) = data {
            if let Ok(v) = m.expected_average_spend_batch(&data) {
                prop_assert!(v.iter().all(|e| e.is_finite() && *e > 0.0), "batch {v:?}");
            }
        }
    }

    /// The log-likelihood of one customer's mean spend is finite for `x > 0` and an error for
    /// `x = 0`; its gradient matches central differences (see [`check_gradient`]); the total
    /// over [`SpendData`] is the weighted sum of the rows.
    #[test]
    fn gg_log_likelihood_and_gradient(
        p in param(),
        q in param(),
        gamma in param(),
        rows in proptest::collection::vec(
            ((0.0..5.0f64).prop_map(|u| 10f64.powf(u).floor().max(1.0)), log_uniform(-3.0, 12.0)),
            1..5,
        ),
    ) {
        let m = model(p, q, gamma)?;
        let theta = [p, q, gamma];
        let (mut total, mut total_scale) = (0.0, 0.0);
        for &(x, mx) in &rows {
            let ll = m.log_likelihood(x, mx);
            prop_assert!(matches!(ll, Ok(v) if v.is_finite()), "LL(x = {x}, m = {mx}) = {ll:?}");
            total += ll.unwrap();
            let g = m.log_likelihood_gradient(x, mx);
            prop_assert!(matches!(g, Ok(g) if g.iter().all(|v| v.is_finite())), "gradient {g:?}");
            let g = g.unwrap();
            let px = p * x;
            let scale = ln_gamma_mag(px + q) + ln_gamma_mag(px) + ln_gamma_mag(q)
                + q * gamma.ln().abs() + (px + 1.0) * mx.ln().abs() + px * x.ln().abs()
                + (px + q) * (gamma + mx * x).ln().abs();
            total_scale += scale;
            let one = |th: &[f64]| GammaGamma::new(th[0], th[1], th[2])
                .and_then(|m| m.log_likelihood(x, mx))
                .unwrap_or(f64::NAN);
            check_gradient(one, &theta, &g, scale)
                .map_err(|e| TestCaseError::fail(format!("x = {x}, m = {mx:e}: {e}")))?;
        }
        prop_assert!(m.log_likelihood(0.0, 0.0).is_err());
        let data = SpendData::new(rows.iter().map(|r| r.0).collect(), rows.iter().map(|r| r.1).collect())
            .expect("generated spends are valid");
        let tl = m.total_log_likelihood(&data);
        // The objective groups the terms differently: the two sums agree to the rounding of the
        // largest terms (`lnΓ(px)` is ~1e14 at p = 1e8, x = 1e5).
        prop_assert!(
            matches!(tl, Ok(v) if close(v, total, 1e-12, 64.0 * f64::EPSILON * total_scale)),
            "total LL = {tl:?}, Σ LL = {total:e}"
        );
    }
}
