//! The prediction set every transaction model answers: the conditional PMF
//! `P(Y(t) = n | x, t_x, T)` sums to 1 with mean `E[Y(t) | x, t_x, T]`, and
//! `P(alive at T + t)` equals `P(alive)` at `t = 0` and does not increase with `t` — for the
//! BG/NBD, MBG/NBD, Pareto/NBD (through `TransactionModel`) and BG/BB (in opportunities).
//! The horizon is `t = (α+T) · 10^u`, `u ∈ [−3, 1]`: where the posterior purchase count needs
//! at most a few thousand terms.

use clv::{BgBb, BgNbd, MbgNbd, ParetoNbd};
use proptest::prelude::*;

use crate::support::*;

fn params() -> impl Strategy<Value = (f64, f64, f64, f64)> {
    (param(), param(), param(), param())
}

fn ok<T>(v: clv::Result<T>) -> Result<T, TestCaseError> {
    v.map_err(|e| TestCaseError::fail(format!("valid parameters refused: {e}")))
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn bgnbd_conditional_pmf_sums_to_one_with_conditional_mean(
        (r, alpha, a, b) in params(),
        h in history(),
        u in -3.0..1.0f64,
    ) {
        let m = ok(BgNbd::new(r, alpha, a, b))?;
        let big_a = alpha + h.t;
        conditional_pmf_sums_to_one(&m, &h.customer(), (r + h.x, big_a), big_a * 10f64.powf(u))?;
    }

    #[test]
    fn mbgnbd_conditional_pmf_sums_to_one_with_conditional_mean(
        (r, alpha, a, b) in params(),
        h in history(),
        u in -3.0..1.0f64,
    ) {
        let m = ok(MbgNbd::new(r, alpha, a, b))?;
        let big_a = alpha + h.t;
        conditional_pmf_sums_to_one(&m, &h.customer(), (r + h.x, big_a), big_a * 10f64.powf(u))?;
    }

    #[test]
    fn paretonbd_conditional_pmf_sums_to_one_with_conditional_mean(
        (r, alpha, s, beta) in params(),
        h in history(),
        u in -3.0..1.0f64,
    ) {
        let m = ok(ParetoNbd::new(r, alpha, s, beta))?;
        let big_a = alpha + h.t;
        conditional_pmf_sums_to_one(&m, &h.customer(), (r + h.x, big_a), big_a * 10f64.powf(u))?;
    }

    #[test]
    fn alive_at_starts_at_probability_alive_and_decreases(
        (r, alpha, a, b) in params(),
        h in history(),
        t in horizon(),
        w in 0.01..3.0f64,
    ) {
        let c = h.customer();
        alive_at_starts_at_p_alive_and_decreases(&ok(BgNbd::new(r, alpha, a, b))?, &c, t, w)?;
        alive_at_starts_at_p_alive_and_decreases(&ok(MbgNbd::new(r, alpha, a, b))?, &c, t, w)?;
        alive_at_starts_at_p_alive_and_decreases(&ok(ParetoNbd::new(r, alpha, a, b))?, &c, t, w)?;
    }

    /// BG/BB in opportunities: `Σ_k P(Y(n*) = k | x, t_x, n) = 1` and its mean is
    /// `E[Y(n*) | x, t_x, n]`; `P(alive at n + m)` is `P(alive)` at `m = 0` and non-increasing.
    #[test]
    fn bgbb_conditional_pmf_and_alive_in(
        (alpha, beta, gamma, delta) in params(),
        (n, f, g) in (1u32..2000, 0.0..1.0f64, 0.0..1.0f64),
        n_star in 0u32..300,
        m in 0u32..1000,
    ) {
        let model = ok(BgBb::new(alpha, beta, gamma, delta))?;
        let t_x = (f * f64::from(n)).round() as u32;
        let x = if t_x == 0 { 0 } else { 1 + (g * f64::from(t_x - 1)).round() as u32 };
        let (mut sum, mut mean) = (Sum::default(), Sum::default());
        for k in 0..=n_star {
            let p = ok(model.conditional_probability_of_transactions(x, t_x, n, k, n_star))?;
            prop_assert!((0.0..=1.0).contains(&p), "P(Y = {k}) = {p}");
            sum.add(p);
            mean.add(f64::from(k) * p);
        }
        prop_assert!((sum.value() - 1.0).abs() <= 1e-10, "Σ = 1 − {:e}", 1.0 - sum.value());
        let e = ok(model.conditional_expected_transactions(x, t_x, n, n_star))?;
        prop_assert!(close(mean.value(), e, 1e-9, 1e-12), "Σ k P = {:e}, E[Y] = {e:e}", mean.value());
        let p0 = ok(model.probability_alive(x, t_x, n))?;
        prop_assert_eq!(ok(model.probability_alive_in(x, t_x, n, 0))?, p0);
        let (p1, p2) = (
            ok(model.probability_alive_in(x, t_x, n, m))?,
            ok(model.probability_alive_in(x, t_x, n, m + 1))?,
        );
        prop_assert!(p2 <= p1 && p1 <= p0, "{p0} {p1} {p2}");
    }
}
