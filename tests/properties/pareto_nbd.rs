//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie notes 009, 012, 028).
//!
//! Bounds used below, for a customer alive at `T` with history `(x, t_x, T)`: the posterior is
//! `λ ~ Gamma(k, A)`, `μ ~ Gamma(s, B)` (independent), `k = r+x`, `A = α+T`, `B = β+T`, and
//! `E[Y(t) | alive] = (k/A) E_μ[h(μ)]`, `h(μ) = (1 − e^(−μt))/μ = ∫_0^t e^(−μu) du`, convex and
//! decreasing in `μ`; so `(k/A) h(s/B) ≤ E[Y(t) | alive] ≤ k t/A` (Jensen). Likewise
//! `DERT = P(alive) (k/A) E_μ[1/(μ+δ)]` with `1/(μ+δ)` convex and at most `1/δ`:
//! `P(alive) k/(A(s/B + δ)) ≤ DERT ≤ P(alive) k/(A δ)`.

use clv::{Customer, Objective, ParetoNbd, RfmData, TransactionModel};
use proptest::prelude::*;

use crate::support::*;

/// Relative accuracy asked of every prediction (1e-10 relative, as against mpmath).
const REL: f64 = 1e-10;

fn model(r: f64, alpha: f64, s: f64, beta: f64) -> Result<ParetoNbd, TestCaseError> {
    // Exact predictions are asked over every parameter in [1e-3, 1e8]: the constructor
    // must accept them.
    ParetoNbd::new(r, alpha, s, beta)
        .map_err(|e| TestCaseError::fail(format!("ParetoNbd::new refuses valid parameters: {e}")))
}

fn params() -> impl Strategy<Value = (f64, f64, f64, f64)> {
    (param(), param(), param(), param())
}

/// `(k/A) h(s/B)` and `k t/A`: the Jensen lower bound and the linear upper bound of
/// `E[Y(t) | alive]`.
fn bounds(m: &ParetoNbd, x: f64, big_t: f64, t: f64) -> (f64, f64) {
    let k = m.r() + x;
    let big_a = m.alpha() + big_t;
    let mu = m.s() / (m.beta() + big_t);
    let h = -(-mu * t).exp_m1() / mu;
    (k / big_a * h, k * t / big_a)
}

proptest! {
    #![proptest_config(config(256))]

    /// `P(alive)` and `P(alive at T + t)` are probabilities; the latter is `P(alive)` at `t = 0`
    /// and non-increasing in `t`.
    #[test]
    fn pareto_probability_alive_is_a_probability(
        (r, alpha, s, beta) in params(),
        h in history(),
        t in horizon(),
        w in 0.01..3.0f64,
    ) {
        let m = model(r, alpha, s, beta)?;
        let c = h.customer();
        let p = m.probability_alive(&c);
        prop_assert!(p.is_finite() && (0.0..=1.0).contains(&p), "P(alive) = {p}");
        let p0 = m.probability_alive_at(&c, 0.0);
        prop_assert!(matches!(p0, Ok(v) if close(v, p, REL, 0.0)), "P(alive at T) = {p0:?}, P(alive) = {p}");
        let p1 = m.probability_alive_at(&c, t);
        let p2 = m.probability_alive_at(&c, t * 10f64.powf(w));
        let (&Ok(p1), &Ok(p2)) = (&p1, &p2) else {
            return Err(TestCaseError::fail(format!("P(alive at T+t) = {p1:?}, {p2:?}")));
        };
        prop_assert!((0.0..=1.0).contains(&p1) && (0.0..=1.0).contains(&p2), "{p1}, {p2}");
        prop_assert!(p1 <= p * (1.0 + REL), "P(alive at T+{t}) = {p1:e} > P(alive) = {p:e}");
        prop_assert!(p2 <= p1 * (1.0 + REL), "P(alive at T+t) rises: {p1:e} then {p2:e}");
    }

    /// `E[X(t)]`: finite, ≥ 0, between the Jensen and linear bounds, non-decreasing in `t`.
    #[test]
    fn pareto_expected_transactions_bounded_and_monotone(
        (r, alpha, s, beta) in params(),
        t in horizon(),
        w in 0.01..3.0f64,
    ) {
        let m = model(r, alpha, s, beta)?;
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
    fn pareto_conditional_expected_transactions_bounded_and_monotone(
        (r, alpha, s, beta) in params(),
        h in history(),
        t in horizon(),
        w in 0.01..3.0f64,
    ) {
        let m = model(r, alpha, s, beta)?;
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

    /// `DERT(δ)` for `δ` over `[1e-6, 1e6]`: finite, ≥ 0, between
    /// `P(alive)·(r+x)/((α+T)(s/(β+T) + δ))` and `P(alive)·(r+x)/((α+T)δ)`.
    #[test]
    fn pareto_dert_bounded(
        (r, alpha, s, beta) in params(),
        h in history(),
        delta in log_uniform(-6.0, 6.0),
    ) {
        let m = model(r, alpha, s, beta)?;
        let c = h.customer();
        let pa = m.probability_alive(&c);
        let d = m.discounted_expected_residual_transactions(&c, delta);
        prop_assert!(d.is_ok(), "DERT({delta}) = {d:?}");
        let d = d.unwrap();
        let ka = pa * (r + h.x) / (alpha + h.t);
        let upper = ka / delta;
        let lower = ka / (s / (beta + h.t) + delta);
        prop_assert!(d.is_finite() && d >= 0.0, "DERT = {d}");
        prop_assert!(d <= upper * (1.0 + REL), "DERT = {d:e} > P(alive)(r+x)/((α+T)δ) = {upper:e}");
        prop_assert!(d >= lower * (1.0 - REL), "DERT = {d:e} < P(alive)(r+x)/((α+T)(E[μ]+δ)) = {lower:e}");
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// `DERT(δ) = δ ∫_0^∞ e^(−δt) E[Y(t)] dt` at `δ ∈ [1e-4, 1e2]`, as for the BG/NBD
    /// (tolerance 1e-9 relative plus the truncation bound).
    #[test]
    fn pareto_dert_is_discounted_integral_of_expectation(
        (r, alpha, s, beta) in params(),
        h in history(),
        delta in log_uniform(-4.0, 2.0),
    ) {
        let m = model(r, alpha, s, beta)?;
        let c = h.customer();
        let pa = m.probability_alive(&c);
        let d = m.discounted_expected_residual_transactions(&c, delta);
        prop_assert!(d.is_ok(), "DERT({delta}) = {d:?}");
        let d = d.unwrap();
        let k = r + h.x;
        let big_a = alpha + h.t;
        let slope = pa * k / big_a;
        let t_lo = (1.0 / delta).min(beta + h.t) * 1e-13;
        let q = discounted_integral(|t| m.conditional_expected_transactions(&c, t), delta, slope, t_lo);
        prop_assert!(q.is_ok(), "E[Y(t)] failed inside the integral: {q:?}");
        let (q, trunc) = q.unwrap();
        prop_assert!(
            (d - q).abs() <= 1e-9 * q.abs() + trunc,
            "DERT({delta:e}) = {d:e}, ∫ δ e^(−δt) E[Y(t)] dt = {q:e} (rel diff {:e}, P(alive) = {pa:e})",
            rel_diff(d, q)
        );
    }

    /// `P(X(t) = n)` of a new customer: each in `[0, 1]`, partial sums ≤ 1 + 1e-12, the total
    /// within 1e-10 of 1, `Σ n P(X(t) = n) = E[X(t)]` to 1e-9 relative (`t = α · 10^u`; cases
    /// needing more than 2000 terms skipped, as for the BG/NBD).
    #[test]
    fn pareto_pmf_sums_to_one(
        (r, alpha, s, beta) in params(),
        u in -3.0..3.0f64,
    ) {
        let m = model(r, alpha, s, beta)?;
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
        prop_assert!(close(mean, e, 1e-9, 1e-12), "Σ n P(X({t}) = n) = {mean:e} but E[X({t})] = {e:e}");
    }

    /// `P(Y(t) = n | x, t_x, T)`: each in `[0, 1]`, `P(Y = 0) ≥ 1 − P(alive)`, partial sums
    /// ≤ 1 + 1e-12, the total within 1e-10 of 1, `Σ n P(Y(t) = n) = E[Y(t)]` to 1e-9 relative
    /// (`t = (α+T) · 10^u`; cases needing more than 2000 terms skipped).
    #[test]
    fn pareto_conditional_pmf_sums_to_one(
        (r, alpha, s, beta) in params(),
        h in history(),
        u in -3.0..3.0f64,
    ) {
        let m = model(r, alpha, s, beta)?;
        let c = h.customer();
        let t = (alpha + h.t) * 10f64.powf(u);
        let Some(n_max) = nbd_terms(r + h.x, alpha + h.t, t, 2000) else { return Ok(()) };
        let pa = m.probability_alive(&c);
        let (mut acc, mut acc_mean) = (Sum::default(), Sum::default());
        for n in 0..n_max as u32 {
            let p = m.conditional_probability_of_transactions(&c, n, t);
            prop_assert!(p.is_ok(), "P(Y({t}) = {n}) = {p:?}");
            let p = p.unwrap();
            prop_assert!(p.is_finite() && (0.0..=1.0).contains(&p), "P(Y({t}) = {n}) = {p}");
            if n == 0 {
                prop_assert!(p >= (1.0 - pa) * (1.0 - REL), "P(Y = 0) = {p:e} < 1 − P(alive) = {:e}", 1.0 - pa);
            }
            acc.add(p);
            acc_mean.add(f64::from(n) * p);
            let sum = acc.value();
            prop_assert!(sum <= 1.0 + 1e-12, "Σ_(n ≤ {n}) P(Y({t}) = n) = 1 + {:e}", sum - 1.0);
        }
        let (sum, mean) = (acc.value(), acc_mean.value());
        prop_assert!((sum - 1.0).abs() <= 1e-10, "Σ P(Y({t}) = n) = 1 − {:e} over {n_max} terms", 1.0 - sum);
        let e = m.conditional_expected_transactions(&c, t);
        prop_assert!(e.is_ok(), "E[Y({t})] = {e:?}");
        let e = e.unwrap();
        prop_assert!(close(mean, e, 1e-9, 1e-12), "Σ n P(Y({t}) = n) = {mean:e} but E[Y({t})] = {e:e}");
    }

    /// Time-rescaling invariance: times × k, α × k and β × k leave `P(alive)`,
    /// `P(alive at T + kt)`, `E[X(kt)]`, `P(X(kt) = n)`, `E[Y(kt)]`, `P(Y(kt) = n)` and
    /// `DERT(δ/k)` unchanged to 1e-10 relative (`k = 2^j`, see [`scale`]).
    #[test]
    fn pareto_time_rescaling_invariance(
        (r, alpha, s, beta) in params(),
        h in history(),
        t in horizon(),
        n in 0u32..20,
        delta in log_uniform(-4.0, 2.0),
        k in scale(),
    ) {
        let m = model(r, alpha, s, beta)?;
        let mk = model(r, alpha * k, s, beta * k)?;
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
        same("P(alive at T+t)", m.probability_alive_at(&c, t), mk.probability_alive_at(&ck, k * t))?;
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
            "P(Y(t) = n)",
            m.conditional_probability_of_transactions(&c, n, t),
            mk.conditional_probability_of_transactions(&ck, n, k * t),
        )?;
        same(
            "DERT",
            m.discounted_expected_residual_transactions(&c, delta),
            mk.discounted_expected_residual_transactions(&ck, delta / k),
        )?;
    }

    /// The likelihood through [`ParetoNbd::objective`]: finite at valid parameters and data, equal
    /// to the weighted sum of [`ParetoNbd::log_likelihood`] (1e-12 relative), and its gradient
    /// matching central differences (see [`check_gradient`]); the per-customer gradient
    /// likewise.
    #[test]
    fn pareto_log_likelihood_and_gradient(
        (r, alpha, s, beta) in params(),
        rows in proptest::collection::vec((history(), log_uniform(-2.0, 2.0)), 1..5),
    ) {
        let theta = [r, alpha, s, beta];
        let hs: Vec<History> = rows.iter().map(|(h, _)| *h).collect();
        let weights: Vec<f64> = rows.iter().map(|(_, w)| *w).collect();
        let data = RfmData::from_columns(
            hs.iter().map(|h| h.x).collect(),
            hs.iter().map(|h| h.t_x).collect(),
            hs.iter().map(|h| h.t).collect(),
            None,
            Some(weights.clone()),
        ).expect("generated data are valid");
        let objective = ParetoNbd::objective(&data);
        let mut grad = [0.0; 4];
        let ll = objective.log_likelihood(&theta, Some(&mut grad));
        prop_assert!(ll.is_finite(), "LL = {ll}");
        prop_assert!(grad.iter().all(|g| g.is_finite()), "gradient {grad:?}");
        let m = model(r, alpha, s, beta)?;
        let sum: f64 = hs.iter().zip(&weights).map(|(h, w)| w * m.log_likelihood(&h.customer())).sum();
        // Magnitude of the terms one row's likelihood sums, for the rounding allowance.
        let row_scale = |h: &History| {
            let k = r + h.x;
            ln_gamma_mag(k) + ln_gamma_mag(r) + r * alpha.ln().abs() + s * beta.ln().abs()
                + (k + s + 1.0) * ((alpha + h.t).ln().abs() + (beta + h.t).ln().abs())
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
