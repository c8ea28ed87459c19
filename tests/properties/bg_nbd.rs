//! BG/NBD (Fader, Hardie & Lee 2005).
//!
//! Bounds used below, for a customer alive at `T` with history `(x, t_x, T)`: the posterior is
//! `λ ~ Gamma(k, A)`, `p ~ Beta(a, b+x)` (independent), `k = r+x`, `A = α+T`, and
//! `E[Y(t) | alive] = E_p[g(p)]`, `g(p) = (1 − (1 + p t/A)^−k)/p = ∫_0^(t/A) k (1+pu)^−(k+1) du`
//! (FHL 2005 eq. 10 before the integral over `p`). `g` is decreasing and convex in `p`, so
//! `g(E[p]) ≤ E[Y(t) | alive] ≤ g(0) = k t/A` (Jensen), with `E[p] = a/(a+b+x)`; `E[X(t)]` is the
//! case `x = 0`, `T = 0`. The same linear bound gives `DERT(δ) ≤ P(alive) k/(A δ)`.

use clv::{BgNbd, TransactionModel};
use proptest::prelude::*;

use crate::support::*;

/// Relative accuracy asked of every prediction (1e-10 relative, as against mpmath).
const REL: f64 = 1e-10;

fn model(r: f64, alpha: f64, a: f64, b: f64) -> Result<BgNbd, TestCaseError> {
    // Exact predictions are asked over every parameter in [1e-3, 1e8]: the constructor
    // must accept them.
    BgNbd::new(r, alpha, a, b)
        .map_err(|e| TestCaseError::fail(format!("BgNbd::new refuses valid parameters: {e}")))
}

fn params() -> impl Strategy<Value = (f64, f64, f64, f64)> {
    (param(), param(), param(), param())
}

/// `g(E[p])` and `k t/A`: the Jensen lower bound and the linear upper bound of
/// `E[Y(t) | alive]` ([`geometric_dropout_bounds`]).
fn bounds(m: &BgNbd, x: f64, big_t: f64, t: f64) -> (f64, f64) {
    let mean_p = m.a() / (m.a() + m.b() + x);
    geometric_dropout_bounds(m.r() + x, m.alpha() + big_t, t, mean_p)
}

proptest! {
    #![proptest_config(config(256))]

    /// `P(alive)` is a probability, and exactly 1 without repeat purchases (a BG/NBD customer
    /// can only die just after a repeat purchase).
    #[test]
    fn bgnbd_probability_alive_is_a_probability((r, alpha, a, b) in params(), h in history()) {
        let m = model(r, alpha, a, b)?;
        let p = m.probability_alive(&h.customer());
        prop_assert!(p.is_finite() && (0.0..=1.0).contains(&p), "P(alive) = {p}");
        if h.x == 0.0 {
            prop_assert_eq!(p, 1.0);
        }
    }

    /// `E[X(t)]`: finite, ≥ 0, between the Jensen and linear bounds, non-decreasing in `t`.
    #[test]
    fn bgnbd_expected_transactions_bounded_and_monotone(
        (r, alpha, a, b) in params(),
        t in horizon(),
        w in 0.01..3.0f64,
    ) {
        let m = model(r, alpha, a, b)?;
        expectation_bounded_and_monotone(
            "E[X]",
            |t| m.expected_transactions(t),
            1.0,
            bounds(&m, 0.0, 0.0, t),
            t,
            w,
            REL,
        )?;
    }

    /// `E[Y(t) | x, t_x, T]`: finite, ≥ 0, 0 at `t = 0`, between `P(alive)` times the Jensen and
    /// linear bounds, non-decreasing in `t`.
    #[test]
    fn bgnbd_conditional_expected_transactions_bounded_and_monotone(
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
    fn bgnbd_dert_bounded(
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

    /// `DERT(δ) = δ ∫_0^∞ e^(−δt) E[Y(t)] dt`, the integral by composite Gauss–Legendre in
    /// `ln t` (see [`discounted_integral`]) at `δ ∈ [1e-4, 1e2]`. Tolerance `1e-9` relative: each
    /// side is asked to 1e-10, the quadrature error is below 1e-20 of the integrand's scale per
    /// panel and the rounding of ~1500 positive terms adds ~1e-13; plus the explicit truncation
    /// bound.
    #[test]
    fn bgnbd_dert_is_discounted_integral_of_expectation(
        (r, alpha, a, b) in params(),
        h in history(),
        delta in log_uniform(-4.0, 2.0),
    ) {
        let m = model(r, alpha, a, b)?;
        let c = h.customer();
        let k = r + h.x;
        let big_a = alpha + h.t;
        let slope = m.probability_alive(&c) * k / big_a;
        let t_lo = (1.0 / delta).min(big_a / k.max(1.0)) * 1e-13;
        dert_is_discounted_integral(&m, &c, delta, slope, t_lo)?;
    }

    /// `P(X(t) = n)`: each in `[0, 1]`, partial sums ≤ 1 + 1e-12, the total within 1e-10 of 1,
    /// and `Σ n P(X(t) = n) = E[X(t)]` to 1e-9 relative. `t = α · 10^u`, `u ∈ [−3, 3]`; cases
    /// whose count needs more than 2000 terms (the NBD bound of [`nbd_terms`]) are skipped (not
    /// a property of the code: the test would just be slow).
    #[test]
    fn bgnbd_pmf_sums_to_one(
        (r, alpha, a, b) in params(),
        u in -3.0..3.0f64,
    ) {
        let m = model(r, alpha, a, b)?;
        pmf_sums_to_one(&m, r, alpha, alpha * 10f64.powf(u))?;
    }

    /// Time-rescaling invariance: times × k and α × k leave `P(alive)`, `E[X(kt)]`,
    /// `P(X(kt) = n)`, `E[Y(kt)]` and `DERT(δ/k)` unchanged to 1e-10 relative (`k = 2^j`, see
    /// [`scale`]).
    #[test]
    fn bgnbd_time_rescaling_invariance(
        (r, alpha, a, b) in params(),
        h in history(),
        t in horizon(),
        n in 0u32..20,
        delta in log_uniform(-4.0, 2.0),
        k in scale(),
    ) {
        let m = model(r, alpha, a, b)?;
        let mk = model(r, alpha * k, a, b)?;
        let (c, ck) = (h.customer(), h.scaled(k).customer());
        time_rescaling_invariant((&m, &mk), (&c, &ck), t, n, delta, k, REL)?;
    }

    /// The likelihood through [`BgNbd::objective`]: finite at valid parameters and data, equal
    /// to the weighted sum of [`BgNbd::log_likelihood`] (1e-12 relative), and its gradient
    /// matching central differences (see [`check_gradient`]); the per-customer gradient
    /// likewise.
    #[test]
    fn bgnbd_log_likelihood_and_gradient(
        (r, alpha, a, b) in params(),
        rows in proptest::collection::vec((history(), log_uniform(-2.0, 2.0)), 1..5),
    ) {
        // Magnitude of the terms one row's likelihood sums, for the rounding allowance.
        let row_scale = |h: &History| {
            let k = r + h.x;
            ln_gamma_mag(k) + ln_gamma_mag(r) + r * alpha.ln().abs()
                + k * (alpha + h.t).ln().abs() + ln_gamma_mag(b + h.x) + ln_gamma_mag(b)
                + ln_gamma_mag(a + b) + ln_gamma_mag(a + b + h.x) + a.ln().abs() + (b + h.x).ln().abs()
        };
        likelihood_and_gradient::<BgNbd>(
            &BgNbd::objective(&rfm_data(&rows)),
            &[r, alpha, a, b],
            &rows,
            row_scale,
        )?;
    }
}
