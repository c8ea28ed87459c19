//! The batch forms over [`RfmData`] agree with the single-customer forms (the BG/NBD batch DERT
//! and discrete sums interpolate over customers sharing a frequency: a separate code path).

use clv::{BgNbd, ParetoNbd, RfmData, TransactionModel};
use proptest::prelude::*;

use crate::support::*;

/// 64 to 96 customers sharing one frequency (at least 64 rows of one frequency make the BG/NBD
/// batch interpolate) and up to 4 others, with ages and recencies drawn as in [`history`].
fn population() -> impl Strategy<Value = Vec<History>> {
    (
        frequency(),
        proptest::collection::vec((log_uniform(-3.0, 7.0), recency()), 64..96),
        proptest::collection::vec(history(), 0..4),
    )
        .prop_map(|(x, shared, others)| {
            let mut rows: Vec<History> = shared
                .into_iter()
                .map(|(t, rec)| {
                    let t_x = if x == 0.0 {
                        0.0
                    } else {
                        match rec {
                            Recency::AtEnd => t,
                            Recency::Tiny(v) => t * 10f64.powf(-v),
                            Recency::Uniform(f) => f * t,
                        }
                    };
                    History { x, t_x, t }
                })
                .collect();
            rows.extend(others);
            rows
        })
}

fn check_batch(
    m: &(dyn TransactionModel + Sync),
    rows: &[History],
    t: f64,
    delta: f64,
    period: f64,
    periods: u32,
) -> Result<(), TestCaseError> {
    let data = RfmData::new(
        rows.iter().map(|h| h.x).collect(),
        rows.iter().map(|h| h.t_x).collect(),
        rows.iter().map(|h| h.t).collect(),
    )
    .expect("generated data are valid");
    let pa = m.probability_alive_batch(&data);
    let ey = m.conditional_expected_transactions_batch(&data, t);
    let dert = m.discounted_expected_residual_transactions_batch(&data, delta);
    let disc = m.discounted_transactions_discrete_batch(&data, delta, period, periods);
    // Single forms at about 10 rows spread over the data (every row would dominate the time).
    let step = (rows.len() / 10).max(1);
    for (i, h) in rows
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i + 1 == rows.len())
    {
        let c = h.customer();
        let p = m.probability_alive(&c);
        prop_assert!(
            close(pa[i], p, 1e-15, 0.0),
            "row {i} {h:?}: batch P(alive) {} vs {p}",
            pa[i]
        );
        let e = m.conditional_expected_transactions(&c, t);
        match (&ey, &e) {
            (Ok(b), Ok(e)) => prop_assert!(
                close(b[i], *e, 1e-15, 0.0),
                "row {i} {h:?}: batch E[Y] {} vs {e}",
                b[i]
            ),
            (Err(_), _) => {}
            (Ok(_), Err(e)) => prop_assert!(false, "row {i} {h:?}: batch E[Y] Ok, single {e}"),
        }
        let d = m.discounted_expected_residual_transactions(&c, delta);
        match (&dert, &d) {
            (Ok(b), Ok(d)) => prop_assert!(
                close(b[i], *d, 1e-10, 1e-300),
                "row {i} {h:?}: batch DERT {:e} vs {d:e} (rel {:e})",
                b[i],
                rel_diff(b[i], *d)
            ),
            (Err(_), _) => {}
            (Ok(_), Err(e)) => prop_assert!(false, "row {i} {h:?}: batch DERT Ok, single {e}"),
        }
        let s = m.discounted_transactions_discrete(&c, delta, period, periods);
        match (&disc, &s) {
            (Ok(b), Ok(s)) => prop_assert!(
                close(b[i], *s, 1e-10, 1e-300),
                "row {i} {h:?}: batch discrete sum {:e} vs {s:e} (rel {:e})",
                b[i],
                rel_diff(b[i], *s)
            ),
            (Err(_), _) => {}
            (Ok(_), Err(e)) => {
                prop_assert!(false, "row {i} {h:?}: batch discrete sum Ok, single {e}")
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(6))]

    /// BG/NBD batch forms: `P(alive)` and `E[Y(t)]` equal to the single forms (1e-15), DERT and
    /// the discrete sum (interpolated in `ln(α+T)` per frequency) to 1e-10 relative.
    #[test]
    fn bgnbd_batch_matches_single(
        (r, alpha, a, b) in (param(), param(), param(), param()),
        rows in population(),
        t in horizon(),
        delta in log_uniform(-4.0, 2.0),
        period in log_uniform(-2.0, 4.0),
        periods in 1u32..12,
    ) {
        let m = BgNbd::new(r, alpha, a, b)
            .map_err(|e| TestCaseError::fail(format!("BgNbd::new refuses valid parameters: {e}")))?;
        check_batch(&m, &rows, t, delta, period, periods)?;
    }

    /// Pareto/NBD batch forms equal to the single forms (1e-15 for closed forms, 1e-10 for
    /// DERT and the discrete sum).
    #[test]
    fn pareto_batch_matches_single(
        (r, alpha, s, beta) in (param(), param(), param(), param()),
        rows in population(),
        t in horizon(),
        delta in log_uniform(-4.0, 2.0),
        period in log_uniform(-2.0, 4.0),
        periods in 1u32..12,
    ) {
        let m = ParetoNbd::new(r, alpha, s, beta)
            .map_err(|e| TestCaseError::fail(format!("ParetoNbd::new refuses valid parameters: {e}")))?;
        check_batch(&m, &rows, t, delta, period, periods)?;
    }
}
