//! Model-based retention beside the empirical: sBG projections for contractual cohorts, the
//! expected share alive and the expected repeat buyers for noncontractual customers.

use super::retention::Period;
use crate::data::{Cohort, CohortData, Customer, RfmData, TransactionLog};
use crate::error::{Error, Result};
use crate::models::{Sbg, TransactionModel};

/// Observed and sBG-projected retention of one contractual cohort in period `t ≥ 1`.
///
/// With `n(t)` the cohort's active customers at the start of period `t` (`n(0)` its size):
/// observed retention `n(t)/n(t−1)` (`None` when `n(t−1) = 0`), projected
/// `r(t) = S(t)/S(t−1) = (β+t−1)/(α+β+t−1)`; observed survival `n(t)/n(0)`, projected `S(t)`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ContractualRetention {
    /// Cohort name.
    pub cohort: String,
    /// Period `t` (1, 2, ...).
    pub period: u32,
    /// `n(t)/n(t−1)`.
    pub observed_retention: Option<f64>,
    /// `r(t)` of the model.
    pub projected_retention: f64,
    /// `n(t)/n(0)` (`None` past the cohort's observed horizon).
    pub observed_survival: Option<f64>,
    /// `S(t)` of the model.
    pub projected_survival: f64,
}

/// For every cohort of `data` and every period `1..=horizon` (`horizon` at least the
/// cohort's observed horizon; periods past it have no observation), the observed retention
/// beside the sBG projection.
///
/// ```
/// use clv::{CohortData, Sbg};
/// let data = CohortData::single(vec![1000.0, 631.0, 468.0, 382.0])?;
/// let rows = clv::insight::sbg_retention(&Sbg::new(0.668, 3.806)?, &data, 6)?;
/// assert_eq!(rows.len(), 6);
/// assert!((rows[0].observed_retention.unwrap() - 0.631).abs() < 1e-12);
/// assert!(rows[5].observed_retention.is_none()); // projection only
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for a `horizon` above 10 000 periods.
pub fn sbg_retention(
    model: &Sbg,
    data: &CohortData,
    horizon: u32,
) -> Result<Vec<ContractualRetention>> {
    if horizon > 10_000 {
        return Err(Error::param(
            "horizon",
            f64::from(horizon),
            "at most 10000 periods",
        ));
    }
    let mut rows = Vec::new();
    for cohort in data.cohorts() {
        let alive = cohort.alive();
        let size = cohort.size();
        for t in 1..=horizon.max(cohort.horizon()) {
            let now = alive.get(t as usize).copied();
            let before = alive.get(t as usize - 1).copied();
            rows.push(ContractualRetention {
                cohort: cohort.name().to_string(),
                period: t,
                observed_retention: match (now, before) {
                    (Some(n), Some(b)) if b > 0.0 => Some(n / b),
                    _ => None,
                },
                projected_retention: model.retention_rate(t)?,
                observed_survival: now.map(|n| n / size),
                projected_survival: model.survival(t),
            });
        }
    }
    Ok(rows)
}

/// Expected and observed activity of a noncontractual base `t` time units after the cut-off.
///
/// For the `N` customers of the calibration summary (each with its history `(x, t_x, T)`):
/// `expected_alive_share = (1/N) Σ P(alive at T + t | history)`;
/// `expected_repeat_buyers = Σ (1 − P(Y(t) = 0 | history))`, the expected number of customers
/// with at least one purchase in `(T, T + t]`; `observed_repeat_buyers`: the customers of the
/// summary with a transaction in `(end, end + t·unit]` of the log; `observed_active_share`:
/// the share of the `N` who bought in the step `(end + (t−1)·unit, end + t·unit]`.
///
/// Per step (a customer who buys in step `t` is a buyer of step `t`, whatever they did
/// before): `expected_period_buyers = Σ P(Y(t) − Y(t−1) > 0 | history)`
/// ([`TransactionModel::probability_of_purchase_between`]), the expected number of customers
/// with at least one purchase in `(T + t − 1, T + t]`, beside `observed_period_buyers`, the
/// customers with a transaction in `(end + (t−1)·unit, end + t·unit]` (the raw KPI: active
/// customers per period). It is the expected count of buyers, not the increment of
/// `expected_repeat_buyers` (which counts only customers buying for the first time since the
/// cut-off), so that it compares with the active customers a CRM report counts. Like the
/// share alive, it is evaluated at the steps [`alive_share`] is asked for (each costs two
/// P(alive) evaluations per customer). Sums are weighted by the rows' weights.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AliveShare {
    /// Steps after the cut-off (in the model's time unit).
    pub t: f64,
    /// Mean P(alive at T + t) (`None` at steps where it was not asked for).
    pub expected_alive_share: Option<f64>,
    /// Expected customers with a purchase in `(T, T + t]`.
    pub expected_repeat_buyers: f64,
    /// Customers with a purchase in `(end, end + t·unit]` (`None` past the log's end).
    pub observed_repeat_buyers: Option<f64>,
    /// Share of the base that bought in step `t` (`None` past the log's end).
    pub observed_active_share: Option<f64>,
    /// Expected customers with a purchase in step `t`, `(T + t − 1, T + t]` (`None` at steps
    /// where it was not asked for).
    pub expected_period_buyers: Option<f64>,
    /// Customers with a purchase in step `t` of the log (`None` past the log's end).
    pub observed_period_buyers: Option<f64>,
}

/// [`AliveShare`] for steps `t = 1..=steps` after `calibration_end` (a time on the log's
/// axis) for the customers of `calibration` (the summary of `log` at `calibration_end` in
/// units of `unit` log days, its rows in the order of `ids`). The share alive and the expected
/// buyers per step, the costliest numbers, are evaluated at steps `1, 1 + alive_every,
/// 1 + 2·alive_every, …` and at the last step.
///
/// ```
/// use clv::BgNbd;
/// use clv::data::{Periods, TransactionLog};
/// let log = TransactionLog::new(["a", "a", "b", "b", "a", "b"], vec![0.0, 7.0, 3.0, 20.0, 30.0, 36.0], None)?;
/// let split = log.calibration_holdout(&Periods::days_in_weeks(), 21.0, None)?;
/// let model = BgNbd::new(0.5, 3.0, 0.5, 3.0)?;
/// let rows = clv::insight::alive_share(&model, &log, split.calibration(), split.customer_ids(), 21.0, 7.0, 2, 1)?;
/// assert!(rows[0].expected_alive_share.unwrap() > rows[1].expected_alive_share.unwrap());
/// assert_eq!(rows[1].observed_repeat_buyers, Some(1.0)); // a bought on day 30, in (21, 35]
/// assert_eq!(rows[0].observed_repeat_buyers, Some(0.0));
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] when `ids` and `calibration` differ in length;
/// [`Error::InvalidParameter`] for a non-positive `unit`, more than 10 000 steps or
/// `alive_every = 0`; errors of the model's probabilities.
#[allow(clippy::too_many_arguments)]
pub fn alive_share<M: TransactionModel + Sync + ?Sized>(
    model: &M,
    log: &TransactionLog,
    calibration: &RfmData,
    ids: &[String],
    calibration_end: f64,
    unit: f64,
    steps: u32,
    alive_every: u32,
) -> Result<Vec<AliveShare>> {
    crate::error::check_positive("unit", unit)?;
    if alive_every == 0 {
        return Err(Error::param("alive_every", 0.0, "must be at least 1"));
    }
    if steps > 10_000 {
        return Err(Error::param("steps", f64::from(steps), "at most 10000"));
    }
    if ids.len() != calibration.len() {
        return Err(Error::InvalidInput(format!(
            "{} ids for {} customers",
            ids.len(),
            calibration.len()
        )));
    }
    let n = calibration.n_customers();
    // per customer of the summary: the steps after the cut-off in which they bought
    let index: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let log_ids = log.customer_ids();
    let mut first_step: Vec<Option<u32>> = vec![None; ids.len()];
    let mut bought: Vec<Vec<u32>> = vec![Vec::new(); steps as usize];
    let last = log.time_range().1;
    for (&c, &t) in log.customer_indices().iter().zip(log.times()) {
        if t <= calibration_end {
            continue;
        }
        let Some(&i) = log_ids
            .get(c as usize)
            .and_then(|id| index.get(id.as_str()))
        else {
            continue;
        };
        let step = ((t - calibration_end) / unit).ceil();
        if step < 1.0 || step > f64::from(steps) {
            continue;
        }
        let step = step as u32;
        first_step[i] = Some(first_step[i].map_or(step, |s| s.min(step)));
        if let Some(b) = bought.get_mut(step as usize - 1) {
            b.push(i as u32);
        }
    }
    let weights = calibration.weights();
    // distinct histories with their total weight, in a fixed order (sums are reproducible):
    // the probabilities are evaluated once each
    let mut distinct_rows: std::collections::BTreeMap<[u64; 3], (Customer, f64)> =
        std::collections::BTreeMap::new();
    for (c, &w) in calibration.customers().zip(weights) {
        let key = [
            c.frequency().to_bits(),
            c.recency().to_bits(),
            c.age().to_bits(),
        ];
        distinct_rows.entry(key).or_insert((c, 0.0)).1 += w;
    }
    let customers: Vec<(Customer, f64)> = distinct_rows.into_values().collect();
    let alive_at = |k: u32| (k - 1) % alive_every == 0 || k == steps;
    // per distinct history: (P(alive at T + k) where asked, P(Y(k) > 0), P(Y(k) − Y(k−1) > 0))
    // for k = 1..=steps
    let per_customer: Vec<Result<Vec<(f64, f64, f64)>>> =
        crate::parallel::map_rows(customers.len(), 64, |i| {
            let (c, _) = &customers[i];
            (1..=steps)
                .map(|k| {
                    let t = f64::from(k);
                    let (alive, period) = if alive_at(k) {
                        (
                            model.probability_alive_at(c, t)?,
                            model.probability_of_purchase_between(c, t - 1.0, t)?,
                        )
                    } else {
                        (0.0, 0.0)
                    };
                    Ok((
                        alive,
                        1.0 - model.conditional_probability_of_transactions(c, 0, t)?,
                        period,
                    ))
                })
                .collect()
        });
    let mut sums = vec![(0.0, 0.0, 0.0); steps as usize];
    for (row, (_, w)) in per_customer.into_iter().zip(&customers) {
        for (s, (a, b, p)) in sums.iter_mut().zip(row?) {
            s.0 += w * a;
            s.1 += w * b;
            s.2 += w * p;
        }
    }
    // weight of the customers whose first purchase after the cut-off falls in each step: the
    // observed repeat buyers up to step k are its running sum
    let mut first_weight = vec![0.0; steps as usize];
    for (s, w) in first_step.iter().zip(weights) {
        if let Some(f) = s.and_then(|s| first_weight.get_mut(s as usize - 1)) {
            *f += w;
        }
    }
    let mut repeat_buyers = 0.0;
    let mut rows = Vec::with_capacity(steps as usize);
    for ((k, &(alive, buyers, period_buyers)), first) in (1..=steps).zip(&sums).zip(&first_weight) {
        repeat_buyers += first;
        let t = f64::from(k);
        let observed = calibration_end + t * unit <= last;
        let b = bought
            .get_mut(k as usize - 1)
            .map(std::mem::take)
            .unwrap_or_default();
        let mut distinct = b;
        distinct.sort_unstable();
        distinct.dedup();
        let weight_of = |i: &u32| weights.get(*i as usize).copied().unwrap_or(1.0);
        let active = observed.then(|| distinct.iter().map(weight_of).sum::<f64>());
        rows.push(AliveShare {
            t,
            expected_alive_share: alive_at(k).then_some(alive / n),
            expected_repeat_buyers: buyers,
            observed_repeat_buyers: observed.then_some(repeat_buyers),
            observed_active_share: active.map(|a| a / n),
            expected_period_buyers: alive_at(k).then_some(period_buyers),
            observed_period_buyers: active,
        });
    }
    Ok(rows)
}

/// Most cells (cohorts × periods) [`cohort_survival`] builds.
const MAX_SURVIVAL_CELLS: usize = 10_000_000;

/// Contractual-style survival of each acquisition cohort derived from a transaction log, for
/// [`sbg_retention`] and the sBG ([`crate::Sbg::fit_cohorts`]).
///
/// A customer of cohort `c` (the `period` of the first purchase) counts as still a customer
/// at the start of period `c + t` when they buy in period `c + t` or later, up to the log's
/// last transaction: the customer's lifetime runs from acquisition to the period of the last
/// purchase, as a renewal runs a subscription. So `n_c(t)` = the customers of `c` whose last
/// purchase falls in period `c + t` or later, `n_c(0)` the cohort's size; counts never rise.
/// They are given for the periods `c + t` up to the period of `through` (a log time, e.g.
/// the end of calibration): the purchases after it are the look-ahead that shows who is still
/// buying, without which the last periods would count every customer who has not bought
/// *yet* as lost. Cohorts acquired in the period of `through` or later (no period 1 to
/// observe) are left out; cohorts are named by their period labels.
///
/// ```
/// use clv::data::TimeFormat;
/// use clv::data::TransactionLog;
/// use clv::insight::{Period, cohort_survival};
/// let d = |s: &str| TimeFormat::IsoDate.parse(s).unwrap();
/// // a buys in January and April, b only in January, c in January and February
/// let log = TransactionLog::new(
///     ["a", "b", "c", "c", "a"],
///     vec![d("2024-01-03"), d("2024-01-05"), d("2024-01-09"), d("2024-02-11"), d("2024-04-01")],
///     None,
/// )?;
/// let data = cohort_survival(&log, Period::Month, d("2024-03-31"))?;
/// let jan = &data.cohorts()[0];
/// assert_eq!(jan.name(), "2024-01");
/// assert_eq!(jan.alive(), &[3.0, 2.0, 1.0]); // February: a (April) and c; March: a
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] when no cohort has a period to observe before `through`, or the
/// table would exceed 10 000 000 cells (a short `period` over a long log);
/// [`Error::InvalidData`] for a time outside ±10⁹ days; [`Error::InvalidParameter`] for a
/// `through` that is not finite.
pub fn cohort_survival(log: &TransactionLog, period: Period, through: f64) -> Result<CohortData> {
    if !(through.is_finite() && through.abs() <= 1e9) {
        return Err(Error::param(
            "through",
            through,
            "must be a finite time within ±10⁹ days of 1970-01-01",
        ));
    }
    let first = super::retention::cohort_of_customers(log, period)?;
    let origin = log.time_range().0.floor() as i64;
    let mut last = vec![i64::MIN; log.n_customers()];
    for (&c, &t) in log.customer_indices().iter().zip(log.times()) {
        if let Some(l) = last.get_mut(c as usize) {
            *l = (*l).max(period.index(t, origin));
        }
    }
    let end = period.index(through, origin);
    // per cohort: the customers by the offset (capped at the horizon) of their last period
    let mut by_cohort: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
    let mut cells = 0usize;
    for (&c, &l) in first.iter().zip(&last) {
        if c >= end {
            continue;
        }
        let horizon = usize::try_from(end - c).unwrap_or(usize::MAX);
        let counts = match by_cohort.entry(c) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                cells = cells.saturating_add(horizon + 1);
                if cells > MAX_SURVIVAL_CELLS {
                    return Err(Error::InvalidInput(format!(
                        "cohort survival by {} would need more than {MAX_SURVIVAL_CELLS} cells: \
                         choose a longer period",
                        period.unit_name()
                    )));
                }
                v.insert(vec![0.0; horizon + 1])
            }
        };
        let offset = usize::try_from(l - c).unwrap_or(0).min(horizon);
        if let Some(n) = counts.get_mut(offset) {
            *n += 1.0;
        }
    }
    let cohorts = by_cohort
        .into_iter()
        .map(|(c, mut counts)| {
            // n(t) = customers whose last period is c + t or later: sums from the end
            for t in (0..counts.len().saturating_sub(1)).rev() {
                counts[t] += counts[t + 1];
            }
            Ok(Cohort::new(counts)?.with_name(period.label(c, origin)))
        })
        .collect::<Result<Vec<_>>>()?;
    if cohorts.is_empty() {
        return Err(Error::InvalidInput(
            "no cohort has a period to observe before `through`".into(),
        ));
    }
    CohortData::new(cohorts)
}
