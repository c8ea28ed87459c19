//! sBG, the shifted-beta-geometric model (Fader & Hardie 2007, 2010).
//!
//! Identities used below: `S(0) = 1`, `S(t−1) = S(t) + P(T = t)`, `r(t) = S(t)/S(t−1)` rising in
//! `t`, `DEL(d) = Σ_(t≥0) S(t) v^t` and `DERL(d | n−1) = Σ_(j≥0) S(n+j)/S(n−1) v^j` with
//! `v = 1/(1+d)`, so `DEL(d) = 1 + DERL(d | 0)/(1+d)`, `1 ≤ DEL ≤ 1/(1−v) = (1+d)/d`, and
//! `DERL` is non-decreasing in the number of renewals (each factor `S(t)/S(t−1) = r(t)` of its
//! terms rises with `t`).

use clv::Sbg;
use clv::data::LifetimeData;
use proptest::prelude::*;

use crate::support::*;

/// Relative accuracy asked of every prediction (1e-10 relative, as against mpmath).
const REL: f64 = 1e-10;

fn model(alpha: f64, beta: f64) -> Result<Sbg, TestCaseError> {
    // Exact predictions are asked over every parameter in [1e-3, 1e8]: the constructor must
    // accept them.
    Sbg::new(alpha, beta)
        .map_err(|e| TestCaseError::fail(format!("Sbg::new refuses valid parameters: {e}")))
}

/// A period `t ≥ 1`, log-uniform up to 1e7.
fn period() -> impl Strategy<Value = u32> + Clone {
    (0.0..7.0f64).prop_map(|u| 10f64.powf(u).floor() as u32)
}

/// A per-period discount rate `d ∈ [1e-2, 10]` (at most ~3,200 terms in a direct sum).
fn discount() -> impl Strategy<Value = f64> + Clone {
    log_uniform(-2.0, 1.0)
}

/// `Σ_(j≥0) term(j) v^j` until `v^j < 1e-17` (terms are in `[0, 1]`).
fn discounted_sum(d: f64, mut term: impl FnMut(u32) -> f64) -> f64 {
    let v = 1.0 / (1.0 + d);
    let n = (17.0 * std::f64::consts::LN_10 / (1.0 + d).ln()).ceil() as u32;
    let mut vj = 1.0;
    let mut sum = 0.0;
    for j in 0..=n {
        sum += term(j) * vj;
        vj *= v;
    }
    sum
}

proptest! {
    #![proptest_config(config(256))]

    /// `S(t)` and `P(T = t)`: `S(0) = 1`, both in `[0, 1]`, `S` non-increasing,
    /// `P(T = t) + S(t) = S(t−1)` (1e-10 relative to `S(t−1)`), `Σ_(k≤t) P(T = k) + S(t) = 1`
    /// within 1e-10 for `t ≤ 300`, `survival_curve` and `expected_survivors` agreeing with
    /// `survival`.
    #[test]
    fn sbg_survival_and_churn_probabilities(
        alpha in param(),
        beta in param(),
        t in period(),
        j in 1u32..1000,
        cohort in log_uniform(0.0, 6.0),
    ) {
        let m = model(alpha, beta)?;
        prop_assert_eq!(m.survival(0), 1.0);
        let t = t.max(1);
        let s = m.survival(t);
        let s_prev = m.survival(t - 1);
        let s_next = m.survival(t.saturating_add(j));
        for (k, v) in [(t - 1, s_prev), (t, s), (t.saturating_add(j), s_next)] {
            prop_assert!(v.is_finite() && (0.0..=1.0).contains(&v), "S({k}) = {v}");
        }
        prop_assert!(s <= s_prev * (1.0 + REL), "S({t}) = {s:e} > S({}) = {s_prev:e}", t - 1);
        prop_assert!(s_next <= s * (1.0 + REL), "S({}) = {s_next:e} > S({t}) = {s:e}", t + j);
        let p = m.probability_of_churn_in(t);
        prop_assert!(p.is_ok(), "P(T = {t}) = {p:?}");
        let p = p.unwrap();
        prop_assert!(p.is_finite() && (0.0..=1.0).contains(&p), "P(T = {t}) = {p}");
        prop_assert!(
            close(p + s, s_prev, REL, 1e-300),
            "P(T = {t}) + S({t}) = {:e} but S({}) = {s_prev:e} (P = {p:e}, S = {s:e})", p + s, t - 1
        );
        prop_assert!(m.probability_of_churn_in(0).is_err());
        let horizon = t.min(300);
        let mut total = 0.0;
        for k in 1..=horizon {
            let p = m.probability_of_churn_in(k);
            prop_assert!(matches!(p, Ok(v) if (0.0..=1.0).contains(&v)), "P(T = {k}) = {p:?}");
            total += p.unwrap();
        }
        let sh = m.survival(horizon);
        prop_assert!(
            (total + sh - 1.0).abs() <= 1e-10,
            "Σ_(k ≤ {horizon}) P(T = k) + S({horizon}) = 1 + {:e}", total + sh - 1.0
        );
        for (k, v) in m.survival_curve().take(5).enumerate() {
            prop_assert_eq!(v, m.survival(k as u32));
        }
        let e = m.expected_survivors(cohort, t);
        prop_assert!(matches!(e, Ok(v) if close(v, cohort * s, 1e-15, 0.0)), "expected_survivors = {e:?}, n·S = {}", cohort * s);
    }

    /// Retention `r(t)`: in `[0, 1]`, non-decreasing in `t`, equal to `S(t)/S(t−1)` (3e-10
    /// relative: each survival is asked to 1e-10) where both are normal numbers; `r(0)` is an
    /// error.
    #[test]
    fn sbg_retention_rate(alpha in param(), beta in param(), t in period(), j in 1u32..1000) {
        let m = model(alpha, beta)?;
        prop_assert!(m.retention_rate(0).is_err());
        let t = t.max(1);
        let r1 = m.retention_rate(t);
        let r2 = m.retention_rate(t.saturating_add(j));
        let (&Ok(r1), &Ok(r2)) = (&r1, &r2) else {
            return Err(TestCaseError::fail(format!("r({t}) = {r1:?}, r({}) = {r2:?}", t + j)));
        };
        prop_assert!((0.0..=1.0).contains(&r1) && (0.0..=1.0).contains(&r2), "r = {r1}, {r2}");
        prop_assert!(r2 >= r1 * (1.0 - REL), "r({}) = {r2:e} < r({t}) = {r1:e}", t + j);
        let (s, s_prev) = (m.survival(t), m.survival(t - 1));
        if s > 1e-290 && s_prev > 1e-290 {
            prop_assert!(
                close(r1, s / s_prev, 3e-10, 0.0),
                "r({t}) = {r1:e} but S({t})/S({}) = {:e}", t - 1, s / s_prev
            );
        }
    }

    /// Conditional survival `S(t+k)/S(t)`: in `[0, 1]`, 1 at `k = 0`, non-increasing in `k`, and
    /// equal to the ratio of survivals (3e-10 relative) where both are normal numbers.
    #[test]
    fn sbg_conditional_survival(
        alpha in param(),
        beta in param(),
        t in period(),
        k in period(),
        j in 1u32..1000,
    ) {
        let m = model(alpha, beta)?;
        let c = m.conditional_survival(t, k);
        let c2 = m.conditional_survival(t, k.saturating_add(j));
        prop_assert!(c.is_finite() && (0.0..=1.0).contains(&c), "S({t}+{k})/S({t}) = {c}");
        prop_assert!(c2.is_finite() && (0.0..=1.0).contains(&c2), "S({t}+{})/S({t}) = {c2}", k + j);
        prop_assert!(c2 <= c * (1.0 + REL), "conditional survival rises: {c:e} then {c2:e}");
        prop_assert!(close(m.conditional_survival(t, 0), 1.0, 1e-15, 0.0));
        let (s, s_tk) = (m.survival(t), m.survival(t.saturating_add(k)));
        if s > 1e-290 && s_tk > 1e-290 {
            prop_assert!(close(c, s_tk / s, 3e-10, 0.0), "S({t}+{k})/S({t}) = {c:e}, ratio {:e}", s_tk / s);
        }
    }

    /// Expected lifetime: `None` exactly when `α ≤ 1`; otherwise finite, ≥ 1 and at least
    /// `DEL(d)` for any `d`.
    #[test]
    fn sbg_expected_lifetime(alpha in param(), beta in param(), d in discount()) {
        let m = model(alpha, beta)?;
        match m.expected_lifetime() {
            None => prop_assert!(alpha <= 1.0, "E[T] = None with α = {alpha}"),
            Some(e) => {
                prop_assert!(alpha > 1.0, "E[T] = {e} with α = {alpha} ≤ 1");
                prop_assert!(e.is_finite() && e >= 1.0, "E[T] = {e}");
                if let Ok(del) = m.discounted_expected_lifetime(d) {
                    prop_assert!(del <= e * (1.0 + REL), "DEL({d}) = {del:e} > E[T] = {e:e}");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// `DEL(d)`: finite, in `[1, (1+d)/d]`, equal to `Σ S(t) v^t` summed directly (1e-9
    /// relative: each of the ≤ 3,300 terms is asked to 1e-10 and the sum has positive terms),
    /// non-increasing in `d`, and `DEL(d) = 1 + DERL(d | 0)/(1+d)` (1e-10 relative).
    #[test]
    fn sbg_discounted_expected_lifetime(alpha in param(), beta in param(), d in discount(), w in 0.01..1.0f64) {
        let m = model(alpha, beta)?;
        let del = m.discounted_expected_lifetime(d);
        prop_assert!(del.is_ok(), "DEL({d}) = {del:?}");
        let del = del.unwrap();
        prop_assert!(del.is_finite() && del >= 1.0 * (1.0 - REL) && del <= (1.0 + d) / d * (1.0 + REL),
            "DEL({d}) = {del:e} outside [1, (1+d)/d = {:e}]", (1.0 + d) / d);
        let direct = discounted_sum(d, |t| m.survival(t));
        prop_assert!(close(del, direct, 1e-9, 0.0), "DEL({d}) = {del:e}, Σ S(t) v^t = {direct:e}");
        let d2 = d * 10f64.powf(w);
        let del2 = m.discounted_expected_lifetime(d2);
        prop_assert!(matches!(del2, Ok(v) if v <= del * (1.0 + REL)), "DEL({d2}) = {del2:?} > DEL({d}) = {del}");
        let derl0 = m.discounted_expected_residual_lifetime(d, 0);
        prop_assert!(derl0.is_ok(), "DERL({d} | 0) = {derl0:?}");
        let derl0 = derl0.unwrap();
        prop_assert!(close(del, 1.0 + derl0 / (1.0 + d), REL, 0.0),
            "DEL({d}) = {del:e} but 1 + DERL(d | 0)/(1+d) = {:e}", 1.0 + derl0 / (1.0 + d));
    }

    /// `DERL(d | n−1)`: finite, in `[0, (1+d)/d]`, equal to `Σ_j S(n+j)/S(n−1) v^j` summed
    /// directly from `conditional_survival` (1e-9 relative), non-decreasing in the renewals and
    /// non-increasing in `d`; `residual_value = margin · DERL`.
    #[test]
    fn sbg_discounted_expected_residual_lifetime(
        alpha in param(),
        beta in param(),
        d in discount(),
        renewals in (0.0..4.0f64).prop_map(|u| 10f64.powf(u).floor() as u32 - 1),
        more in 1u32..100,
        w in 0.01..1.0f64,
        margin in log_uniform(-2.0, 4.0),
    ) {
        let m = model(alpha, beta)?;
        let derl = m.discounted_expected_residual_lifetime(d, renewals);
        prop_assert!(derl.is_ok(), "DERL({d} | {renewals}) = {derl:?}");
        let derl = derl.unwrap();
        prop_assert!(derl.is_finite() && derl >= 0.0 && derl <= (1.0 + d) / d * (1.0 + REL),
            "DERL = {derl:e} outside [0, (1+d)/d]");
        let direct = discounted_sum(d, |j| m.conditional_survival(renewals, j + 1));
        prop_assert!(close(derl, direct, 1e-9, 0.0),
            "DERL({d} | {renewals}) = {derl:e}, Σ S(n+j)/S(n−1) v^j = {direct:e}");
        let later = m.discounted_expected_residual_lifetime(d, renewals + more);
        prop_assert!(matches!(later, Ok(v) if v >= derl * (1.0 - REL)),
            "DERL({d} | {}) = {later:?} < DERL({d} | {renewals}) = {derl:e}", renewals + more);
        let d2 = d * 10f64.powf(w);
        let higher = m.discounted_expected_residual_lifetime(d2, renewals);
        prop_assert!(matches!(higher, Ok(v) if v <= derl * (1.0 + REL)),
            "DERL({d2} | {renewals}) = {higher:?} > DERL({d} | {renewals}) = {derl:e}");
        let value = m.residual_value(d, renewals, margin);
        prop_assert!(matches!(value, Ok(v) if close(v, margin * derl, 1e-15, 0.0)),
            "residual_value = {value:?}, margin · DERL = {:e}", margin * derl);
    }

    /// The log-likelihood of one lifetime is the log of a probability (finite, ≤ 0); its
    /// gradient matches central differences (see [`check_gradient`]); the total over
    /// [`LifetimeData`] is the weighted sum of the rows.
    #[test]
    fn sbg_log_likelihood_and_gradient(
        alpha in param(),
        beta in param(),
        rows in proptest::collection::vec((period(), any::<bool>(), log_uniform(-2.0, 2.0)), 1..5),
    ) {
        let m = model(alpha, beta)?;
        let theta = [alpha, beta];
        let (mut total, mut total_scale) = (0.0, 0.0);
        for &(t, churned, w) in &rows {
            let t = t.max(1);
            let ll = m.log_likelihood(t, churned);
            prop_assert!(matches!(ll, Ok(v) if v.is_finite() && v <= 0.0), "LL({t}, {churned}) = {ll:?}");
            let ll = ll.unwrap();
            let g = m.log_likelihood_gradient(t, churned);
            prop_assert!(matches!(g, Ok(g) if g.iter().all(|v| v.is_finite())), "gradient {g:?}");
            let g = g.unwrap();
            // Lifetime data holds durations up to clv::data::limits::MAX_DURATION; longer ones
            // are checked row by row only.
            let in_data = t <= clv::data::limits::MAX_DURATION;
            let scale = ln_gamma_mag(alpha + beta + f64::from(t)) + ln_gamma_mag(beta + f64::from(t))
                + ln_gamma_mag(alpha + beta) + ln_gamma_mag(beta) + alpha.ln().abs();
            if in_data {
                total += w * ll;
                total_scale += w * scale;
            }
            let one = |th: &[f64]| Sbg::new(th[0], th[1])
                .and_then(|m| m.log_likelihood(t, churned))
                .unwrap_or(f64::NAN);
            check_gradient(one, &theta, &g, scale)
                .map_err(|e| TestCaseError::fail(format!("duration {t}, churned {churned}: {e}")))?;
        }
        prop_assert!(m.log_likelihood(0, true).is_err());
        let kept: Vec<_> = rows
            .iter()
            .filter(|r| r.0.max(1) <= clv::data::limits::MAX_DURATION)
            .collect();
        if kept.is_empty() {
            return Ok(());
        }
        let data = LifetimeData::from_columns(
            kept.iter().map(|r| r.0.max(1)).collect(),
            kept.iter().map(|r| r.1).collect(),
            Some(kept.iter().map(|r| r.2).collect()),
        ).expect("generated lifetimes are valid");
        let tl = m.total_log_likelihood(&data);
        // Summed in another order: agreement to the rounding of the largest terms.
        prop_assert!(
            close(tl, total, 1e-12, 64.0 * f64::EPSILON * total_scale),
            "total LL = {tl:e}, Σ w·LL = {total:e}"
        );
    }
}
