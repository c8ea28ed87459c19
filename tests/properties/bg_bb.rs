//! BG/BB, discrete-time noncontractual (Fader, Hardie & Shang 2010).
//!
//! Identities used below: `P(alive at n+m | ·)` is non-increasing in `m` and 1 at `m = 0` when
//! `t_x = n`; `E[Y(n*) | ·] = P(alive at n) · (α+x)/(α+β+n) · Σ_{s≤n*} P(survive s more)`, so it
//! is 0 at `n* = 0`, non-decreasing, and at most `P(alive at n) · (α+x)/(α+β+n) · n*`; with
//! `Σ_{s≥1} (1+d)^−s = 1/d`, `DERT(d)` lies between `E[Y(1)]/(1+d)` and that bound over `d`;
//! `Σₓ P(X(n) = x) = 1` and `Σₓ x P(X(n) = x) = E[X(n)]`.

use clv::{BgBb, Model};
use proptest::prelude::*;

use crate::support::*;

/// Relative accuracy asked of every prediction.
const REL: f64 = 1e-10;

fn model(p: [f64; 4]) -> Result<BgBb, TestCaseError> {
    BgBb::from_params(&p)
        .map_err(|e| TestCaseError::fail(format!("BgBb::new refuses valid parameters: {e}")))
}

fn params() -> impl Strategy<Value = [f64; 4]> {
    [param(), param(), param(), param()]
}

/// A BG/BB history `(x, t_x, n)`: `n` log-uniform in `1..=1000`, `x = t_x = 0` with probability
/// 1/4, otherwise `1 <= x <= t_x <= n`.
fn history() -> impl Strategy<Value = (u32, u32, u32)> {
    (0.0..3.0f64, 0.0..1.0f64, 0.0..1.0f64, 0u8..4).prop_map(|(u, a, b, k)| {
        let n = 10f64.powf(u).floor().max(1.0) as u32;
        if k == 0 {
            return (0, 0, n);
        }
        let t_x = 1 + (a * f64::from(n - 1)).round() as u32;
        let x = 1 + (b * f64::from(t_x - 1)).round() as u32;
        (x, t_x, n)
    })
}

proptest! {
    #![proptest_config(config(128))]

    /// The log-likelihood is finite and `<= 0`, and its analytic gradient matches Richardson
    /// finite differences in the log-parameters.
    #[test]
    fn bgbb_likelihood_and_gradient(p in params(), (x, t_x, n) in history()) {
        let m = model(p)?;
        let ll = m.log_likelihood(x, t_x, n);
        prop_assert!(ll.is_ok(), "{ll:?}");
        let ll = ll.unwrap();
        prop_assert!(ll.is_finite() && ll <= 0.0, "ln L = {ll}");
        let g = m.log_likelihood_gradient(x, t_x, n).unwrap();
        prop_assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
        let f = |th: &[f64]| {
            BgBb::from_params(th)
                .and_then(|m| m.log_likelihood(x, t_x, n))
                .unwrap_or(f64::NAN)
        };
        let scale = ll.abs()
            + p.iter()
                .map(|&v| ln_gamma_mag(v) + ln_gamma_mag(v + f64::from(n)))
                .sum::<f64>();
        let r = check_gradient(f, &m.params(), &g, scale);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    /// P(alive) in `[0, 1]`, non-increasing ahead, 1 when the last opportunity had a
    /// transaction; conditional expectations bounded and monotone; DERT within its bounds.
    #[test]
    fn bgbb_conditional_predictions(
        p in params(),
        (x, t_x, n) in history(),
        ahead in 1u32..1000,
        d in log_uniform(-2.0, 1.0),
    ) {
        let m = model(p)?;
        let alive = m.probability_alive(x, t_x, n).unwrap();
        prop_assert!((0.0..=1.0).contains(&alive), "P(alive) = {alive}");
        if t_x == n {
            prop_assert_eq!(alive, 1.0);
        }
        let later = m.probability_alive_in(x, t_x, n, ahead).unwrap();
        prop_assert!((0.0..=1.0).contains(&later) && later <= alive * (1.0 + REL),
            "P(alive at n+{ahead}) = {later} > P(alive at n) = {alive}");
        let rate = (p[0] + f64::from(x)) / (p[0] + p[1] + f64::from(n));
        prop_assert_eq!(m.conditional_expected_transactions(x, t_x, n, 0).unwrap(), 0.0);
        let e1 = m.conditional_expected_transactions(x, t_x, n, 1).unwrap();
        let e = m.conditional_expected_transactions(x, t_x, n, ahead).unwrap();
        let e2 = m.conditional_expected_transactions(x, t_x, n, ahead.saturating_mul(10)).unwrap();
        prop_assert!(e.is_finite() && e >= 0.0, "E[Y] = {e}");
        prop_assert!(
            e <= (alive + QUANTUM) * rate * f64::from(ahead) * (1.0 + REL) + QUANTUM,
            "E[Y({ahead})] = {e:e}"
        );
        prop_assert!(
            e1 <= e * (1.0 + REL) + QUANTUM && e <= e2 * (1.0 + REL) + QUANTUM,
            "{e1:e} {e:e} {e2:e}"
        );
        let dert = m.discounted_expected_residual_transactions(x, t_x, n, d);
        prop_assert!(dert.is_ok(), "DERT({d}) = {dert:?}");
        let dert = dert.unwrap();
        let lower = (e1 - QUANTUM) / (1.0 + d) * (1.0 - REL) - QUANTUM;
        let upper = (alive + QUANTUM) * rate / d * (1.0 + REL) + QUANTUM;
        prop_assert!(dert >= lower, "DERT = {dert:e} < {:e}", e1 / (1.0 + d));
        prop_assert!(dert <= upper, "DERT = {dert:e} > {:e}", alive * rate / d);
    }

    /// `P(X(n) = x)` over `x = 0..=n` sums to 1 and has mean `E[X(n)]`, itself at most
    /// `n α/(α+β)`.
    #[test]
    fn bgbb_counts(p in params(), n in 1u32..200) {
        let m = model(p)?;
        let mut total = Sum::default();
        let mut mean = Sum::default();
        for x in 0..=n {
            let q = m.probability_of_transactions(x, n).unwrap();
            prop_assert!((0.0..=1.0).contains(&q), "P(X({n}) = {x}) = {q}");
            total.add(q);
            mean.add(f64::from(x) * q);
        }
        prop_assert!((total.value() - 1.0).abs() < 1e-11, "Σ P = {}", total.value());
        let ex = m.expected_transactions(n).unwrap();
        prop_assert!(close(mean.value(), ex, 1e-9, 1e-12 * f64::from(n)), "{} vs E[X] = {ex}", mean.value());
        let bound = f64::from(n) * p[0] / (p[0] + p[1]);
        prop_assert!(ex <= bound * (1.0 + REL), "E[X({n})] = {ex} > {bound}");
    }
}
