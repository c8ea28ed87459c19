//! MBG/NBD (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe 2008), through the checks
//! shared with the BG/NBD (`support`).
//!
//! A customer alive at `T` with history `(x, t_x, T)` has the posterior `λ ~ Gamma(r+x, α+T)`,
//! `p ~ Beta(a, b+x+1)`, so `E[Y(t) | alive]` has the bounds of
//! [`geometric_dropout_bounds`] with `E[p] = a/(a+b+x+1)`; `E[X(t)]` is the case `x = 0`,
//! `T = 0`, alive with probability `b/(a+b)`. The linear bound gives
//! `DERT(δ) ≤ P(alive) (r+x)/((α+T) δ)`.

use clv::{MbgNbd, TransactionModel};
use proptest::prelude::*;

use crate::support::*;

/// Relative accuracy asked of every prediction (1e-10 relative, as against mpmath).
const REL: f64 = 1e-10;

fn model(r: f64, alpha: f64, a: f64, b: f64) -> Result<MbgNbd, TestCaseError> {
    MbgNbd::new(r, alpha, a, b)
        .map_err(|e| TestCaseError::fail(format!("MbgNbd::new refuses valid parameters: {e}")))
}

fn params() -> impl Strategy<Value = (f64, f64, f64, f64)> {
    (param(), param(), param(), param())
}

/// The Jensen and linear bounds of `E[Y(t) | alive]` for `x` repeat purchases by `T`.
fn bounds(m: &MbgNbd, x: f64, big_t: f64, t: f64) -> (f64, f64) {
    let mean_p = m.a() / (m.a() + m.b() + x + 1.0);
    geometric_dropout_bounds(m.r() + x, m.alpha() + big_t, t, mean_p)
}

proptest! {
    #![proptest_config(config(256))]

    /// `P(alive)` is a probability; without repeat purchases it is at most `b/(a+b)`, the
    /// probability of surviving time 0 (the evidence of no purchase can only lower it).
    #[test]
    fn mbgnbd_probability_alive_is_a_probability((r, alpha, a, b) in params(), h in history()) {
        let m = model(r, alpha, a, b)?;
        let p = m.probability_alive(&h.customer());
        prop_assert!(p.is_finite() && (0.0..=1.0).contains(&p), "P(alive) = {p}");
        if h.x == 0.0 {
            let start = b / (a + b);
            prop_assert!(p <= start * (1.0 + 1e-15), "P(alive) = {p} > b/(a+b) = {start}");
        }
    }

    /// `E[X(t)]`: finite, ≥ 0, between `b/(a+b)` times the Jensen and linear bounds,
    /// non-decreasing in `t`.
    #[test]
    fn mbgnbd_expected_transactions_bounded_and_monotone(
        (r, alpha, a, b) in params(),
        t in horizon(),
        w in 0.01..3.0f64,
    ) {
        let m = model(r, alpha, a, b)?;
        expectation_bounded_and_monotone(
            "E[X]",
            |t| m.expected_transactions(t),
            b / (a + b),
            bounds(&m, 0.0, 0.0, t),
            t,
            w,
            REL,
        )?;
    }

    /// `E[Y(t) | x, t_x, T]`: finite, ≥ 0, 0 at `t = 0`, between `P(alive)` times the Jensen and
    /// linear bounds, non-decreasing in `t`.
    #[test]
    fn mbgnbd_conditional_expected_transactions_bounded_and_monotone(
        (r, alpha, a, b) in params(),
        h in history(),
        t in horizon(),
        w in 0.01..3.0f64,
    ) {
        let m = model(r, alpha, a, b)?;
        let c = h.customer();
        expectation_bounded_and_monotone(
            "E[Y]",
            |t| m.conditional_expected_transactions(&c, t),
            m.probability_alive(&c),
            bounds(&m, h.x, h.t, t),
            t,
            w,
            REL,
        )?;
    }

    /// `DERT(δ)` for `δ` over `[1e-6, 1e6]`: finite, ≥ 0, at most `P(alive)·(r+x)/((α+T)δ)`.
    #[test]
    fn mbgnbd_dert_bounded(
        (r, alpha, a, b) in params(),
        h in history(),
        delta in log_uniform(-6.0, 6.0),
    ) {
        let m = model(r, alpha, a, b)?;
        let c = h.customer();
        let bound = m.probability_alive(&c) * (r + h.x) / (alpha + h.t) / delta;
        dert_bounded(&m, &c, delta, bound, REL)?;
    }
}

proptest! {
    #![proptest_config(config(32))]

    /// `DERT(δ) = δ ∫_0^∞ e^(−δt) E[Y(t)] dt` at `δ ∈ [1e-4, 1e2]` (see
    /// [`dert_is_discounted_integral`]).
    #[test]
    fn mbgnbd_dert_is_discounted_integral_of_expectation(
        (r, alpha, a, b) in params(),
        h in history(),
        delta in log_uniform(-4.0, 2.0),
    ) {
        let m = model(r, alpha, a, b)?;
        let c = h.customer();
        let (k, big_a) = (r + h.x, alpha + h.t);
        let slope = m.probability_alive(&c) * k / big_a;
        let t_lo = (1.0 / delta).min(big_a / k.max(1.0)) * 1e-13;
        dert_is_discounted_integral(&m, &c, delta, slope, t_lo)?;
    }

    /// `P(X(t) = n)` sums to 1 and its mean is `E[X(t)]` (see [`pmf_sums_to_one`]);
    /// `t = α · 10^u`, `u ∈ [−3, 3]`.
    #[test]
    fn mbgnbd_pmf_sums_to_one((r, alpha, a, b) in params(), u in -3.0..3.0f64) {
        let m = model(r, alpha, a, b)?;
        pmf_sums_to_one(&m, r, alpha, alpha * 10f64.powf(u))?;
    }

    /// Times × k and α × k change no prediction (see [`time_rescaling_invariant`]).
    #[test]
    fn mbgnbd_time_rescaling_invariance(
        (r, alpha, a, b) in params(),
        h in history(),
        t in horizon(),
        n in 0u32..20,
        delta in log_uniform(-4.0, 2.0),
        k in scale(),
    ) {
        let (m, mk) = (model(r, alpha, a, b)?, model(r, alpha * k, a, b)?);
        let (c, ck) = (h.customer(), h.scaled(k).customer());
        time_rescaling_invariant((&m, &mk), (&c, &ck), t, n, delta, k, REL)?;
    }

    /// The likelihood through [`MbgNbd::objective`] against [`MbgNbd::log_likelihood`], both
    /// gradients against central differences (see [`likelihood_and_gradient`]).
    #[test]
    fn mbgnbd_log_likelihood_and_gradient(
        (r, alpha, a, b) in params(),
        rows in proptest::collection::vec((history(), log_uniform(-2.0, 2.0)), 1..5),
    ) {
        // Magnitude of the terms one row's likelihood sums, for the rounding allowance.
        let row_scale = |h: &History| {
            let (k, n) = (r + h.x, h.x + 1.0);
            ln_gamma_mag(k) + ln_gamma_mag(r) + r * alpha.ln().abs()
                + k * (alpha + h.t).ln().abs() + ln_gamma_mag(b + n) + ln_gamma_mag(b)
                + ln_gamma_mag(a + b) + ln_gamma_mag(a + b + n) + a.ln().abs() + (b + h.x).ln().abs()
        };
        likelihood_and_gradient::<MbgNbd>(
            &MbgNbd::objective(&rfm_data(&rows)),
            &[r, alpha, a, b],
            &rows,
            row_scale,
        )?;
    }
}
