//! Summarising a log: per-customer frequency, recency, age and spend at a cut-off, and the
//! calibration/holdout split.

use super::log::TransactionLog;
use super::periods::Periods;
use super::summary::{CalibrationHoldout, Summary};
use crate::data::RfmData;
use crate::data::limits::{MAX_TIME, MAX_TRACKING_STEPS, show};
use crate::error::{Error, Result};

impl TransactionLog {
    /// The per-customer summary at `observation_end` (a time on the log's axis, e.g.
    /// [`days_from_civil`](super::days_from_civil) for dates): transactions after the end are ignored. See the
    /// [`crate::data`] module documentation for the definitions.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite `observation_end`, or times whose period
    /// numbers or durations exceed 2⁵³ (as for [`TransactionLog::calibration_holdout`]);
    /// [`Error::InvalidInput`] when no customer made a first purchase before the period of
    /// `observation_end`.
    pub fn summarize(&self, periods: &Periods, observation_end: f64) -> Result<Summary> {
        let split = self.split(periods, observation_end, observation_end, false)?;
        Ok(Summary {
            data: split.calibration,
            first_purchase: split.first_purchase,
            n_excluded: split.n_excluded,
        })
    }

    /// Splits the log at `calibration_end` into a calibration summary and, per customer, the
    /// repeat transactions (distinct purchase periods) after the cut-off period up to the
    /// period of `holdout_end` (default: the last transaction). Both times are on the log's axis.
    ///
    /// ```
    /// use clv::data::{Periods, TimeFormat, TransactionLog};
    /// let d = |s: &str| TimeFormat::IsoDate.parse(s).unwrap();
    /// let log = TransactionLog::new(
    ///     ["a", "a", "b", "a", "b"],
    ///     vec![d("2024-01-01"), d("2024-01-15"), d("2024-01-08"), d("2024-03-01"), d("2024-03-02")],
    ///     None,
    /// )?;
    /// let split = log.calibration_holdout(&Periods::days_in_weeks(), d("2024-01-29"), None)?;
    /// assert_eq!(split.calibration().frequency(), &[1.0, 0.0]);
    /// assert_eq!(split.calibration().age(), &[4.0, 3.0]);
    /// assert_eq!(split.holdout_transactions(), &[1.0, 1.0]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite time or `holdout_end < calibration_end`, a
    /// time whose period number lies beyond ±2⁵³ (not exact), or durations beyond
    /// [`MAX_TIME`] units; [`Error::InvalidData`] naming the
    /// transaction (numbered from 1) for a transaction time whose period number lies beyond
    /// ±2⁵³; [`Error::InvalidInput`] when no customer made a first purchase before the cut-off
    /// period, or when the log spans more than
    /// [`MAX_TRACKING_STEPS`] unit steps (the tracking
    /// series holds one number per step).
    ///
    /// ```
    /// use clv::data::{Periods, TransactionLog};
    /// // a span of 1e15 days: refused instead of allocating a tracking series of 8e15 bytes
    /// let log = TransactionLog::new(["a", "a"], vec![0.0, 1e15], None)?;
    /// assert!(log.calibration_holdout(&Periods::days(), 1.0, None).is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn calibration_holdout(
        &self,
        periods: &Periods,
        calibration_end: f64,
        holdout_end: Option<f64>,
    ) -> Result<CalibrationHoldout> {
        let end = holdout_end.unwrap_or_else(|| self.time_range().1.max(calibration_end));
        self.split(periods, calibration_end, end, true)
    }

    /// The common core of [`TransactionLog::summarize`] and [`TransactionLog::calibration_holdout`].
    fn split(
        &self,
        periods: &Periods,
        cal_end: f64,
        end: f64,
        tracking: bool,
    ) -> Result<CalibrationHoldout> {
        if !cal_end.is_finite() {
            return Err(Error::param(
                "calibration_end",
                cal_end,
                "must be a finite time",
            ));
        }
        if !end.is_finite() || end < cal_end {
            return Err(Error::param(
                "holdout_end",
                end,
                format!(
                    "the holdout end {} must be a finite time >= the calibration end {}",
                    self.show(end),
                    self.show(cal_end)
                ),
            ));
        }
        let n = self.len();
        let n_cust = self.ids.len();
        let p_cut = periods.checked_index(cal_end).ok_or_else(|| {
            Error::param(
                "calibration_end",
                cal_end,
                "lies in a period numbered beyond ±2^53, where period numbers are not exact",
            )
        })?;
        let p_end = periods.checked_index(end).ok_or_else(|| {
            Error::param(
                "holdout_end",
                end,
                "lies in a period numbered beyond ±2^53, where period numbers are not exact",
            )
        })?;
        let amounts = self.amount.as_deref();
        let amount_of = |i: usize| amounts.map_or(0.0, |a| a[i]);
        // Group the transactions by customer (counting sort) as (period, amount) pairs, sorted
        // by period within each customer. Logs are often grouped and sorted already; then the
        // pairs are written in order, otherwise scattered to their customer's segment.
        let mut start = vec![0usize; n_cust + 1];
        let mut p_min = i64::MAX;
        let mut grouped = true;
        let mut prev = (0u32, i64::MIN);
        for (i, (&c, &t)) in self.customer.iter().zip(&self.time).enumerate() {
            start[c as usize + 1] += 1;
            let p = periods.checked_index(t).ok_or_else(|| {
                Error::data(
                    i + 1,
                    "time",
                    show(t),
                    format!(
                        "the time lies in a period numbered beyond ±2^53 (periods of length {} \
                         from {}), where period numbers are not exact",
                        show(periods.length),
                        show(periods.origin)
                    ),
                )
            })?;
            p_min = p_min.min(p);
            grouped &= prev.0 < c || (prev.0 == c && prev.1 <= p);
            prev = (c, p);
        }
        for k in 0..n_cust {
            start[k + 1] += start[k];
        }
        let buf: Vec<(i64, f64)> = if grouped {
            self.time
                .iter()
                .enumerate()
                .map(|(i, &t)| (periods.index(t), amount_of(i)))
                .collect()
        } else {
            // Two scatter passes keep the writes local: first into blocks of at most 4096
            // consecutive customers (few, cache-friendly write streams), then within each block
            // to the customer's own segment.
            let bits = usize::BITS - n_cust.max(2).saturating_sub(1).leading_zeros();
            let shift = bits.saturating_sub(12);
            let n_blocks = ((n_cust - 1) >> shift) + 1;
            let block_start: Vec<usize> = (0..=n_blocks)
                .map(|b| start[(b << shift).min(n_cust)])
                .collect();
            let mut next = block_start.clone();
            let mut tmp = vec![(0u32, 0i64, 0.0); n];
            for (i, (&c, &t)) in self.customer.iter().zip(&self.time).enumerate() {
                let slot = &mut next[(c as usize) >> shift];
                tmp[*slot] = (c, periods.index(t), amount_of(i));
                *slot += 1;
            }
            let mut next = start.clone();
            let mut buf = vec![(0i64, 0.0); n];
            for &(c, p, a) in &tmp {
                let slot = &mut next[c as usize];
                buf[*slot] = (p, a);
                *slot += 1;
            }
            drop(tmp);
            for k in 0..n_cust {
                let seg = &mut buf[start[k]..start[k + 1]];
                if !seg.windows(2).all(|w| w[0].0 <= w[1].0) {
                    seg.sort_unstable_by_key(|e| e.0);
                }
            }
            buf
        };

        let scale = periods.length / periods.unit;
        let to_unit = |dp: i64| dp as f64 * scale;
        // Every duration below is at most the span from the earliest period to the end period.
        let (p_lo, p_hi) = (p_min.min(p_cut), p_end.max(p_cut) + 1);
        let span = to_unit(p_hi - p_lo);
        if span.is_nan() || span > MAX_TIME {
            return Err(Error::param(
                "unit",
                periods.unit,
                format!(
                    "the log spans {} units of time ({} periods of length {}), more than \
                     2^53: use a larger unit",
                    show(span),
                    p_hi - p_lo,
                    show(periods.length)
                ),
            ));
        }
        let n_steps = if tracking {
            let steps = (to_unit(p_end + 1 - p_min) - 1e-9).ceil().max(1.0);
            if steps > MAX_TRACKING_STEPS as f64 {
                return Err(Error::InvalidInput(format!(
                    "the calibration/holdout split spans {} unit steps of time (from the first \
                     purchase period at {} to the end of the holdout at {}), more than the {} \
                     its tracking series can hold: measure time in a larger unit (Periods)",
                    show(steps),
                    self.show(p_min as f64 * periods.length + periods.origin),
                    self.show(end),
                    MAX_TRACKING_STEPS
                )));
            }
            steps as usize
        } else {
            0
        };
        let mut step_counts = vec![0.0; n_steps];
        let has_amount = amounts.is_some();
        let mut out = Columns::with_capacity(n_cust, has_amount);
        let mut n_excluded = 0;
        for k in 0..n_cust {
            let (lo, hi) = (start[k], start[k + 1]);
            if lo == hi {
                continue; // an id with no transactions (possible with `from_indexed`)
            }
            let seg = &buf[lo..hi];
            let p0 = seg[0].0;
            if p0 >= p_cut {
                n_excluded += 1;
                continue;
            }
            let (mut x, mut x_star, mut last, mut prev, mut spend) = (0u64, 0u64, p0, p0, 0.0);
            for &(p, amount) in seg {
                if p > p_end {
                    break;
                }
                let new_period = p != prev;
                prev = p;
                if p <= p_cut {
                    if p != p0 {
                        spend += amount;
                        if new_period {
                            x += 1;
                            last = p;
                        }
                    }
                } else if new_period {
                    x_star += 1;
                }
                if new_period && tracking {
                    let s = (to_unit(p - p_min) + 1e-9).floor() as usize;
                    if let Some(c) = step_counts.get_mut(s) {
                        *c += 1.0;
                    }
                }
            }
            out.ids.push(k as u32);
            out.x.push(x as f64);
            out.t_x.push(to_unit(last - p0));
            out.age.push(to_unit(p_cut - p0));
            if has_amount {
                out.m.push(if x > 0 { spend / x as f64 } else { 0.0 });
            }
            out.x_star.push(x_star as f64);
            out.first.push(to_unit(p0 - p_min));
        }
        if out.x.is_empty() {
            return Err(Error::InvalidInput(format!(
                "no customer made a first purchase before the period of the calibration end \
                 {}: all {n_cust} customers start in or after it",
                self.show(cal_end)
            )));
        }
        // The log's ids are distinct (interned), so are those of its customers.
        let ids = out
            .ids
            .iter()
            .map(|&k| self.ids[k as usize].clone())
            .collect();
        let calibration =
            RfmData::from_columns(out.x, out.t_x, out.age, has_amount.then_some(out.m), None)?
                .with_distinct_ids(ids);
        Ok(CalibrationHoldout {
            calibration,
            holdout_transactions: out.x_star,
            holdout_duration: to_unit(p_end - p_cut),
            first_purchase: out.first,
            calibration_end: to_unit(p_cut + 1 - p_min),
            holdout_end: to_unit(p_end + 1 - p_min),
            actual_per_step: step_counts,
            n_excluded,
        })
    }
}

/// Output columns of a split, built customer by customer.
struct Columns {
    ids: Vec<u32>,
    x: Vec<f64>,
    t_x: Vec<f64>,
    age: Vec<f64>,
    m: Vec<f64>,
    x_star: Vec<f64>,
    first: Vec<f64>,
}

impl Columns {
    fn with_capacity(n: usize, amounts: bool) -> Self {
        Columns {
            ids: Vec::with_capacity(n),
            x: Vec::with_capacity(n),
            t_x: Vec::with_capacity(n),
            age: Vec::with_capacity(n),
            m: Vec::with_capacity(if amounts { n } else { 0 }),
            x_star: Vec::with_capacity(n),
            first: Vec::with_capacity(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsorted_log_equals_sorted_log() {
        let ids = ["c", "a", "b", "a", "c", "a", "b", "c", "a"];
        let t = vec![5.0, 3.0, 1.0, 0.0, 2.0, 3.5, 9.0, 2.0, 12.0];
        let log = TransactionLog::new(ids, t.clone(), Some(vec![1.0; 9])).unwrap();
        let split = log
            .calibration_holdout(&Periods::days(), 8.0, Some(12.0))
            .unwrap();
        // sort by (first appearance, time) by hand
        let mut rows: Vec<(u32, f64)> = log.customer_indices().iter().copied().zip(t).collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let sorted = TransactionLog::from_indexed(
            log.customer_ids().to_vec(),
            rows.iter().map(|r| r.0).collect(),
            rows.iter().map(|r| r.1).collect(),
            Some(vec![1.0; 9]),
        )
        .unwrap();
        let split2 = sorted
            .calibration_holdout(&Periods::days(), 8.0, Some(12.0))
            .unwrap();
        assert_eq!(split, split2);
        // a: days 0, 3, 3.5 (same day as 3), 12 -> x = 1, t_x = 3, T = 8, holdout 1
        assert_eq!(split.customer_ids(), &["c", "a", "b"]);
        assert_eq!(split.calibration().frequency(), &[1.0, 1.0, 0.0]);
        assert_eq!(split.calibration().recency(), &[3.0, 3.0, 0.0]);
        assert_eq!(split.calibration().age(), &[6.0, 8.0, 7.0]);
        assert_eq!(split.holdout_transactions(), &[0.0, 1.0, 1.0]);
        assert_eq!(
            split.calibration().monetary_value().unwrap(),
            &[1.0, 2.0, 0.0]
        );
        assert_eq!(split.holdout_duration(), 4.0);
    }
}
