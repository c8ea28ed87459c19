//! BG/NBD (Fader, Hardie & Lee 2005).
//!
//! Bounds used below, for a customer alive at `T` with history `(x, t_x, T)`: the posterior is
//! `λ ~ Gamma(k, A)`, `p ~ Beta(a, b+x)` (independent), `k = r+x`, `A = α+T`, and
//! `E[Y(t) | alive] = E_p[g(p)]`, `g(p) = (1 − (1 + p t/A)^−k)/p = ∫_0^(t/A) k (1+pu)^−(k+1) du`
//! (FHL 2005 eq. 10 before the integral over `p`). `g` is decreasing and convex in `p`, so
//! `g(E[p]) ≤ E[Y(t) | alive] ≤ g(0) = k t/A` (Jensen), with `E[p] = a/(a+b+x)`; `E[X(t)]` is the
//! case `x = 0`, `T = 0`. The same linear bound gives `DERT(δ) ≤ P(alive) k/(A δ)`.

use clv::{BgNbd, Customer, Objective, RfmData, TransactionModel};
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
/// `E[Y(t) | alive]`.
fn bounds(m: &BgNbd, x: f64, big_t: f64, t: f64) -> (f64, f64) {
    let k = m.r() + x;
    let tau = t / (m.alpha() + big_t);
    let p = m.a() / (m.a() + m.b() + x);
    let lower = -(-k * (p * tau).ln_1p()).exp_m1() / p;
    (lower, k * tau)
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
        let pa = m.probability_alive(&c);
        let d = m.discounted_expected_residual_transactions(&c, delta);
        prop_assert!(d.is_ok(), "DERT({delta}) = {d:?}");
        let d = d.unwrap();
        let bound = pa * (r + h.x) / (alpha + h.t) / delta;
        prop_assert!(d.is_finite() && d >= 0.0, "DERT = {d}");
        // (Below the smallest normal number the bound, a product of four factors, and DERT are
        // both resolved only to steps of 2^-1074: allow a thousand of them.)
        let subnormal = 1e3 * f64::MIN_POSITIVE * f64::EPSILON;
        prop_assert!(
            d <= bound * (1.0 + REL) + subnormal,
            "DERT = {d:e} > P(alive)(r+x)/((α+T)δ) = {bound:e}"
        );
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
        let pa = m.probability_alive(&c);
        let d = m.discounted_expected_residual_transactions(&c, delta);
        prop_assert!(d.is_ok(), "DERT({delta}) = {d:?}");
        let d = d.unwrap();
        let k = r + h.x;
        let big_a = alpha + h.t;
        let slope = pa * k / big_a;
        let t_lo = (1.0 / delta).min(big_a / k.max(1.0)) * 1e-13;
        let q = discounted_integral(|t| m.conditional_expected_transactions(&c, t), delta, slope, t_lo);
        prop_assert!(q.is_ok(), "E[Y(t)] failed inside the integral: {q:?}");
        let (q, trunc) = q.unwrap();
        // Below the smallest normal number (DERT ≈ 1e-318 when P(alive) ≈ 1e-316) values carry
        // an absolute resolution of 2^-1074 instead of 53 significant bits: allow a thousand of
        // those steps.
        let subnormal = 1e3 * f64::MIN_POSITIVE * f64::EPSILON;
        prop_assert!(
            (d - q).abs() <= 1e-9 * q.abs() + trunc + subnormal,
            "DERT({delta:e}) = {d:e}, ∫ δ e^(−δt) E[Y(t)] dt = {q:e} (rel diff {:e}, P(alive) = {pa:e})",
            rel_diff(d, q)
        );
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
        let t = alpha * 10f64.powf(u);
        let Some(n_max) = nbd_terms(r, alpha, t, 2000) else { return Ok(()) };
        let (mut acc, mut acc_mean) = (Sum::default(), Sum::default());
        for n in 0..n_max as u32 {
            let p = m.probability_of_transactions(n, t);
            prop_assert!(p.is_ok(), "P(X({t}) = {n}) = {p:?}");
            let p = p.unwrap();
            prop_assert!(p.is_finite() && (0.0..=1.0).contains(&p), "P(X({t}) = {n}) = {p}");
            acc.add(p);
            acc_mean.add(f64::from(n) * p);
            let sum = acc.value();
            prop_assert!(sum <= 1.0 + 1e-12, "Σ_(n ≤ {n}) P(X({t}) = n) = 1 + {:e}", sum - 1.0);
        }
        let (sum, mean) = (acc.value(), acc_mean.value());
        prop_assert!((sum - 1.0).abs() <= 1e-10, "Σ P(X({t}) = n) = 1 − {:e} over {n_max} terms", 1.0 - sum);
        let e = m.expected_transactions(t);
        prop_assert!(e.is_ok(), "E[X({t})] = {e:?}");
        let e = e.unwrap();
        prop_assert!(
            close(mean, e, 1e-9, 1e-12),
            "Σ n P(X({t}) = n) = {mean:e} but E[X({t})] = {e:e}"
        );
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
        let same = |what: &str, u: Result<f64, clv::Error>, v: Result<f64, clv::Error>| {
            match (u, v) {
                (Ok(u), Ok(v)) if close(u, v, REL, 1e-300) => Ok(()),
                (Err(_), Err(_)) => Ok(()),
                (u, v) => Err(TestCaseError::fail(format!(
                    "{what}: {u:?} unscaled, {v:?} with times × {k}"
                ))),
            }
        };
        same("P(alive)", Ok(m.probability_alive(&c)), Ok(mk.probability_alive(&ck)))?;
        same("E[X(t)]", m.expected_transactions(t), mk.expected_transactions(k * t))?;
        same(
            "P(X(t) = n)",
            m.probability_of_transactions(n, t),
            mk.probability_of_transactions(n, k * t),
        )?;
        same(
            "E[Y(t)]",
            m.conditional_expected_transactions(&c, t),
            mk.conditional_expected_transactions(&ck, k * t),
        )?;
        same(
            "DERT",
            m.discounted_expected_residual_transactions(&c, delta),
            mk.discounted_expected_residual_transactions(&ck, delta / k),
        )?;
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
        let theta = [r, alpha, a, b];
        let hs: Vec<History> = rows.iter().map(|(h, _)| *h).collect();
        let weights: Vec<f64> = rows.iter().map(|(_, w)| *w).collect();
        let data = RfmData::from_columns(
            hs.iter().map(|h| h.x).collect(),
            hs.iter().map(|h| h.t_x).collect(),
            hs.iter().map(|h| h.t).collect(),
            None,
            Some(weights.clone()),
        ).expect("generated data are valid");
        let objective = BgNbd::objective(&data);
        let mut grad = [0.0; 4];
        let ll = objective.log_likelihood(&theta, Some(&mut grad));
        prop_assert!(ll.is_finite(), "LL = {ll}");
        prop_assert!(grad.iter().all(|g| g.is_finite()), "gradient {grad:?}");
        let m = model(r, alpha, a, b)?;
        let sum: f64 = hs.iter().zip(&weights).map(|(h, w)| w * m.log_likelihood(&h.customer())).sum();
        // Magnitude of the terms one row's likelihood sums, for the rounding allowance.
        let row_scale = |h: &History| {
            let k = r + h.x;
            ln_gamma_mag(k) + ln_gamma_mag(r) + r * alpha.ln().abs()
                + k * (alpha + h.t).ln().abs() + ln_gamma_mag(b + h.x) + ln_gamma_mag(b)
                + ln_gamma_mag(a + b) + ln_gamma_mag(a + b + h.x) + a.ln().abs() + (b + h.x).ln().abs()
        };
        let scale: f64 = hs.iter().zip(&weights).map(|(h, w)| w * row_scale(h)).sum();
        prop_assert!(
            (sum - ll).abs() <= 1e-12 * ll.abs() + 64.0 * f64::EPSILON * scale,
            "objective LL = {ll:e}, Σ w·log_likelihood = {sum:e}"
        );
        check_gradient(|th| objective.log_likelihood(th, None), &theta, &grad, scale)
            .map_err(TestCaseError::fail)?;
        for h in &hs {
            let c: Customer = h.customer();
            let g = m.log_likelihood_gradient(&c);
            let one = |th: &[f64]| model(th[0], th[1], th[2], th[3]).map_or(f64::NAN, |m| m.log_likelihood(&c));
            check_gradient(one, &theta, &g, row_scale(h))
                .map_err(|e| TestCaseError::fail(format!("log_likelihood_gradient of {h:?}: {e}")))?;
        }
    }
}
