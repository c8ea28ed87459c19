//! Empirical retention KPIs from a transaction log, by acquisition cohort and calendar period.

use std::fmt::Write as _;

use crate::data::TransactionLog;
use crate::data::{civil_from_days, days_from_civil};
use crate::error::{Error, Result};

/// The calendar grid of a retention table.
///
/// Times of the log are read as days since 1970-01-01 (what the date readers of
/// [`crate::data`] produce; a fractional part is the time of day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Period {
    /// Calendar months; labels `YYYY-MM`.
    Month,
    /// Calendar quarters; labels `YYYY-Qn`.
    Quarter,
    /// Calendar years; labels `YYYY`.
    Year,
    /// Blocks of `n` days starting on the day of the log's first transaction; labels are the
    /// first day of each block, `YYYY-MM-DD`.
    Days(u32),
}

impl Period {
    /// Parses `month`, `quarter`, `year`, or a positive whole number of days (`7`, `28d`).
    ///
    /// ```
    /// use clv::insight::Period;
    /// assert_eq!(Period::parse("quarter")?, Period::Quarter);
    /// assert_eq!(Period::parse("7")?, Period::Days(7));
    /// assert!(Period::parse("fortnight").is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for any other text or 0 days.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "month" | "monthly" => Ok(Period::Month),
            "quarter" | "quarterly" => Ok(Period::Quarter),
            "year" | "yearly" | "annual" => Ok(Period::Year),
            other => {
                let digits = other.strip_suffix('d').unwrap_or(other);
                match digits.parse::<u32>() {
                    Ok(n) if n > 0 => Ok(Period::Days(n)),
                    _ => Err(Error::InvalidInput(format!(
                        "period {text:?}: expected month, quarter, year or a positive number of days"
                    ))),
                }
            }
        }
    }

    /// The name of the period in axis labels: `months`, `quarters`, `years`, `7-day periods`.
    pub fn unit_name(self) -> String {
        match self {
            Period::Month => "months".into(),
            Period::Quarter => "quarters".into(),
            Period::Year => "years".into(),
            Period::Days(1) => "days".into(),
            Period::Days(7) => "weeks".into(),
            Period::Days(n) => format!("{n}-day periods"),
        }
    }

    /// The period index of day `t` (`origin`: the first day of the log, used by `Days`).
    pub(crate) fn index(self, t: f64, origin: i64) -> i64 {
        let day = t.floor() as i64;
        match self {
            Period::Days(n) => (day - origin).div_euclid(i64::from(n)),
            _ => {
                let (y, m, _) = civil_from_days(day);
                let m0 = i64::from(m) - 1;
                match self {
                    Period::Month => y * 12 + m0,
                    Period::Quarter => y * 4 + m0 / 3,
                    _ => y,
                }
            }
        }
    }

    /// The label of period `k`.
    pub(crate) fn label(self, k: i64, origin: i64) -> String {
        match self {
            Period::Month => format!("{:04}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1),
            Period::Quarter => format!("{:04}-Q{}", k.div_euclid(4), k.rem_euclid(4) + 1),
            Period::Year => format!("{k:04}"),
            Period::Days(n) => {
                let (y, m, d) = civil_from_days(origin + k * i64::from(n));
                format!("{y:04}-{m:02}-{d:02}")
            }
        }
    }

    /// The first day (days since 1970-01-01) of period `k`.
    pub(crate) fn start_day(self, k: i64, origin: i64) -> i64 {
        let civil = |y: i64, m: u32| days_from_civil(y, m, 1).unwrap_or(0);
        match self {
            Period::Month => civil(k.div_euclid(12), (k.rem_euclid(12) + 1) as u32),
            Period::Quarter => civil(k.div_euclid(4), (3 * k.rem_euclid(4) + 1) as u32),
            Period::Year => civil(k, 1),
            Period::Days(n) => origin + k * i64::from(n),
        }
    }
}

/// What a transaction earns: nothing (profit-adjusted retention absent), a share of its amount,
/// or a figure per transaction.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Profit {
    /// No profit figures: the profit-adjusted rate is absent.
    #[default]
    None,
    /// Profit = `margin` × amount (needs amounts in the log; `margin` finite).
    Margin(f64),
    /// One profit figure per transaction of the log, in the log's order (any finite sign).
    PerTransaction(Vec<f64>),
}

/// One cell of the cohort triangle: cohort `c` (the period of the customers' first purchase)
/// in period `k > c`.
///
/// With `A_c(k)` the customers of cohort `c` who bought in period `k`, `s_i(k)` the amounts and
/// `π_i(k)` the profits of customer `i` in period `k`:
///
/// - `customers_start = |A_c(k−1)|`, `retained = |A_c(k−1) ∩ A_c(k)|`;
/// - `raw_retention = retained / customers_start`, `churn = 1 − raw_retention`;
/// - `sales_adjusted_retention = Σ_{i ∈ A_c(k−1) ∩ A_c(k)} s_i(k) / Σ_{i ∈ A_c(k−1)} s_i(k−1)`;
/// - `profit_adjusted_retention`: the same with `π` in place of `s`;
/// - `active = |A_c(k)|` (retained plus reactivated), `revenue = Σ_{i ∈ A_c(k)} s_i(k)`,
///   `profit` likewise.
///
/// A cell exists only when its base is non-empty (`customers_start > 0`) and `k` is not after
/// the period of the log's last transaction; a rate whose denominator is not positive (no
/// amounts, no profit figures, or zero or negative base sales/profit) is `None`, never `0/0`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RetentionCell {
    /// Label of the cohort's period (e.g. `1997-01`).
    pub cohort: String,
    /// Label of the period `k`.
    pub period: String,
    /// Periods since acquisition, `k − c` (≥ 1).
    pub age: u32,
    /// Customers of the cohort who bought in period `k − 1`.
    pub customers_start: u64,
    /// Of those, the customers who bought again in period `k`.
    pub retained: u64,
    /// Customers of the cohort who bought in period `k`.
    pub active: u64,
    /// `retained / customers_start`.
    pub raw_retention: f64,
    /// `1 − raw_retention`.
    pub churn: f64,
    /// Sales in `k` of the retained over sales in `k − 1` of the base.
    pub sales_adjusted_retention: Option<f64>,
    /// Profit in `k` of the retained over profit in `k − 1` of the base.
    pub profit_adjusted_retention: Option<f64>,
    /// Sales of the cohort in period `k` (`None` without amounts).
    pub revenue: Option<f64>,
    /// Profit of the cohort in period `k` (`None` without profit figures).
    pub profit: Option<f64>,
}

/// Activity of the whole base in one calendar period `k` (every period from the first to the
/// last transaction, including periods without any).
///
/// `active` customers bought in `k`; `new` made their first purchase in `k`;
/// `returning = active − new`; `customers_start`, `retained`, `raw_retention` and `churn` as in
/// [`RetentionCell`] over all cohorts (`raw_retention` is `None` when no one bought in `k − 1`,
/// which includes the first period).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PeriodActivity {
    /// Label of the period.
    pub period: String,
    /// First day of the period (days since 1970-01-01).
    pub start_day: i64,
    /// Customers who bought in the period.
    pub active: u64,
    /// Customers whose first purchase falls in the period.
    pub new: u64,
    /// `active − new`.
    pub returning: u64,
    /// Customers who bought in the previous period.
    pub customers_start: u64,
    /// Of those, the customers who bought in this period.
    pub retained: u64,
    /// `retained / customers_start`, `None` without a base.
    pub raw_retention: Option<f64>,
    /// `1 − raw_retention`.
    pub churn: Option<f64>,
    /// Sales in the period (`None` without amounts).
    pub revenue: Option<f64>,
}

/// Which retention rate of a [`RetentionCell`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetentionRate {
    /// [`RetentionCell::raw_retention`].
    Raw,
    /// [`RetentionCell::sales_adjusted_retention`].
    SalesAdjusted,
    /// [`RetentionCell::profit_adjusted_retention`].
    ProfitAdjusted,
}

impl RetentionRate {
    /// All three, in that order.
    pub const ALL: [RetentionRate; 3] = [
        RetentionRate::Raw,
        RetentionRate::SalesAdjusted,
        RetentionRate::ProfitAdjusted,
    ];

    /// Name as people read it (`raw retention`, ...).
    pub fn name(self) -> &'static str {
        match self {
            RetentionRate::Raw => "raw retention",
            RetentionRate::SalesAdjusted => "sales-adjusted retention",
            RetentionRate::ProfitAdjusted => "profit-adjusted retention",
        }
    }
}

impl RetentionCell {
    /// The chosen rate of this cell (`None` when absent).
    pub fn rate(&self, which: RetentionRate) -> Option<f64> {
        match which {
            RetentionRate::Raw => Some(self.raw_retention),
            RetentionRate::SalesAdjusted => self.sales_adjusted_retention,
            RetentionRate::ProfitAdjusted => self.profit_adjusted_retention,
        }
    }
}

/// The cohort triangle and the per-period activity of a log; see [`cohort_retention`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RetentionTable {
    /// The grid.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub period: Period,
    /// Cells sorted by cohort, then period.
    pub cells: Vec<RetentionCell>,
    /// One row per calendar period from the first to the last transaction.
    pub activity: Vec<PeriodActivity>,
    /// Cohort labels in order, with their sizes (customers acquired).
    pub cohorts: Vec<(String, u64)>,
}

/// The CSV header of [`RetentionTable::to_csv`].
pub const RETENTION_CSV_HEADER: &str = "cohort,period,customers_start,retained,raw_retention,sales_adjusted_retention,profit_adjusted_retention,revenue";

fn opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, |x| x.to_string())
}

impl RetentionTable {
    /// The cohort triangle as CSV with the columns of [`RETENTION_CSV_HEADER`]; absent rates
    /// and revenue are empty fields; numbers in Rust's shortest round-trip form.
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(64 * (self.cells.len() + 1));
        out.push_str(RETENTION_CSV_HEADER);
        out.push('\n');
        for c in &self.cells {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                c.cohort,
                c.period,
                c.customers_start,
                c.retained,
                c.raw_retention,
                opt(c.sales_adjusted_retention),
                opt(c.profit_adjusted_retention),
                opt(c.revenue)
            );
        }
        out
    }
}

/// Per customer and period: the sales and profit of the customer's transactions in it.
struct Visit {
    customer: u32,
    period: i64,
    sales: f64,
    profit: f64,
}

/// The retention KPIs of `log` by acquisition cohort and `period`; see [`RetentionCell`] and
/// [`PeriodActivity`] for the exact definitions.
///
/// ```
/// use clv::data::{TimeFormat, TransactionLog};
/// use clv::insight::{Period, Profit, cohort_retention};
/// let d = |s: &str| TimeFormat::IsoDate.parse(s).unwrap();
/// let log = TransactionLog::new(
///     ["a", "b", "a", "b", "a"],
///     vec![d("2024-01-03"), d("2024-01-20"), d("2024-02-02"), d("2024-03-05"), d("2024-03-09")],
///     Some(vec![10.0, 20.0, 30.0, 5.0, 6.0]),
/// )?;
/// let table = cohort_retention(&log, Period::Month, &Profit::Margin(0.5))?;
/// let feb = &table.cells[0]; // cohort 2024-01 in 2024-02: a stayed, b did not
/// assert_eq!((feb.period.as_str(), feb.customers_start, feb.retained), ("2024-02", 2, 1));
/// assert_eq!(feb.raw_retention, 0.5);
/// assert_eq!(feb.sales_adjusted_retention, Some(1.0)); // 30 / (10 + 20)
/// assert_eq!(table.cells.len(), 2); // 2024-03 has the base {a}
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for a non-finite margin, [`Error::InvalidInput`] for a margin
/// without amounts in the log or a profit column whose length differs from the log's;
/// [`Error::InvalidData`] naming the transaction (from 1) for a non-finite profit or a time
/// outside ±10⁹ days.
pub fn cohort_retention(
    log: &TransactionLog,
    period: Period,
    profit: &Profit,
) -> Result<RetentionTable> {
    let amounts = log.amounts();
    let profits: Option<Vec<f64>> = match profit {
        Profit::None => None,
        Profit::Margin(m) => {
            if !m.is_finite() {
                return Err(Error::param("margin", *m, "must be finite"));
            }
            let a = amounts.ok_or_else(|| {
                Error::InvalidInput("a profit margin needs amounts in the transaction log".into())
            })?;
            Some(a.iter().map(|v| m * v).collect())
        }
        Profit::PerTransaction(p) => {
            if p.len() != log.len() {
                return Err(Error::InvalidInput(format!(
                    "{} profit figures for {} transactions",
                    p.len(),
                    log.len()
                )));
            }
            if let Some(i) = p.iter().position(|v| !v.is_finite()) {
                return Err(Error::data(i + 1, "profit", p[i], "must be finite"));
            }
            Some(p.clone())
        }
    };
    let times = log.times();
    if let Some(i) = times.iter().position(|t| t.abs() > 1e9) {
        return Err(Error::data(
            i + 1,
            "time",
            times[i],
            "a calendar period needs a day within ±10⁹ days of 1970-01-01",
        ));
    }
    let origin = log.time_range().0.floor() as i64;
    let mut visits: Vec<Visit> = log
        .customer_indices()
        .iter()
        .zip(times)
        .enumerate()
        .map(|(i, (&customer, &t))| Visit {
            customer,
            period: period.index(t, origin),
            sales: amounts.and_then(|a| a.get(i)).copied().unwrap_or(0.0),
            profit: profits
                .as_ref()
                .and_then(|p| p.get(i))
                .copied()
                .unwrap_or(0.0),
        })
        .collect();
    visits.sort_unstable_by_key(|v| (v.customer, v.period));
    // merge the transactions of one customer in one period
    let mut merged: Vec<Visit> = Vec::with_capacity(visits.len());
    for v in visits {
        match merged.last_mut() {
            Some(last) if last.customer == v.customer && last.period == v.period => {
                last.sales += v.sales;
                last.profit += v.profit;
            }
            _ => merged.push(v),
        }
    }
    let last_period = period.index(log.time_range().1, origin);
    let first_period = period.index(log.time_range().0, origin);

    // per (cohort, k): [start, retained, active, base sales, kept sales, base profit,
    // kept profit, revenue, profit]
    let mut cells: std::collections::BTreeMap<(i64, i64), [f64; 9]> = Default::default();
    let mut cohort_size: std::collections::BTreeMap<i64, u64> = Default::default();
    // per calendar period: [active, new, start, retained, revenue]
    let mut per_period: std::collections::BTreeMap<i64, [f64; 5]> = Default::default();
    let mut start = 0;
    while start < merged.len() {
        let customer = merged[start].customer;
        let end = merged[start..]
            .iter()
            .position(|v| v.customer != customer)
            .map_or(merged.len(), |p| start + p);
        let rows = &merged[start..end];
        let cohort = rows[0].period;
        *cohort_size.entry(cohort).or_default() += 1;
        for (j, v) in rows.iter().enumerate() {
            let next = rows.get(j + 1).filter(|n| n.period == v.period + 1);
            let p = per_period.entry(v.period).or_default();
            p[0] += 1.0;
            p[4] += v.sales;
            if j == 0 {
                p[1] += 1.0;
            }
            let cell = cells.entry((cohort, v.period)).or_default();
            cell[2] += 1.0;
            cell[7] += v.sales;
            cell[8] += v.profit;
            if v.period < last_period {
                let base = cells.entry((cohort, v.period + 1)).or_default();
                base[0] += 1.0;
                base[3] += v.sales;
                base[5] += v.profit;
                let p = per_period.entry(v.period + 1).or_default();
                p[2] += 1.0;
                if let Some(n) = next {
                    base[1] += 1.0;
                    base[4] += n.sales;
                    base[6] += n.profit;
                    p[3] += 1.0;
                }
            }
        }
        start = end;
    }
    let ratio = |num: f64, den: f64| (den > 0.0).then(|| num / den);
    let has_amounts = amounts.is_some();
    let has_profit = profits.is_some();
    let out_cells: Vec<RetentionCell> = cells
        .iter()
        .filter(|(_, c)| c[0] > 0.0)
        .map(|(&(cohort, k), c)| {
            let raw = c[1] / c[0];
            RetentionCell {
                cohort: period.label(cohort, origin),
                period: period.label(k, origin),
                age: u32::try_from(k - cohort).unwrap_or(u32::MAX),
                customers_start: c[0] as u64,
                retained: c[1] as u64,
                active: c[2] as u64,
                raw_retention: raw,
                churn: 1.0 - raw,
                sales_adjusted_retention: if has_amounts { ratio(c[4], c[3]) } else { None },
                profit_adjusted_retention: if has_profit { ratio(c[6], c[5]) } else { None },
                revenue: has_amounts.then_some(c[7]),
                profit: has_profit.then_some(c[8]),
            }
        })
        .collect();
    // every period from the first to the last (bounded: at most one per day of the span, and
    // the span is bounded by the number of distinct periods present when they are sparse)
    let span = usize::try_from(last_period - first_period + 1).unwrap_or(usize::MAX);
    let activity: Vec<PeriodActivity> = if span <= 4 * merged.len() + 1024 {
        (first_period..=last_period)
            .map(|k| activity_row(period, origin, k, per_period.get(&k), has_amounts))
            .collect()
    } else {
        per_period
            .iter()
            .filter(|(k, p)| **k <= last_period && p[0] > 0.0)
            .map(|(&k, p)| activity_row(period, origin, k, Some(p), has_amounts))
            .collect()
    };
    Ok(RetentionTable {
        period,
        cells: out_cells,
        activity,
        cohorts: cohort_size
            .into_iter()
            .map(|(c, n)| (period.label(c, origin), n))
            .collect(),
    })
}

fn activity_row(
    period: Period,
    origin: i64,
    k: i64,
    p: Option<&[f64; 5]>,
    has_amounts: bool,
) -> PeriodActivity {
    let p = p.copied().unwrap_or_default();
    let raw = (p[2] > 0.0).then(|| p[3] / p[2]);
    PeriodActivity {
        period: period.label(k, origin),
        start_day: period.start_day(k, origin),
        active: p[0] as u64,
        new: p[1] as u64,
        returning: (p[0] - p[1]) as u64,
        customers_start: p[2] as u64,
        retained: p[3] as u64,
        raw_retention: raw,
        churn: raw.map(|r| 1.0 - r),
        revenue: has_amounts.then_some(p[4]),
    }
}

/// Per customer index of `log`, the period of the first purchase (`origin`: the log's first
/// day, as in [`cohort_retention`]).
pub(crate) fn cohort_of_customers(log: &TransactionLog, period: Period) -> Result<Vec<i64>> {
    let times = log.times();
    if let Some(i) = times.iter().position(|t| t.abs() > 1e9) {
        return Err(Error::data(
            i + 1,
            "time",
            times[i],
            "a calendar period needs a day within ±10⁹ days of 1970-01-01",
        ));
    }
    let origin = log.time_range().0.floor() as i64;
    let mut first = vec![f64::INFINITY; log.n_customers()];
    for (&c, &t) in log.customer_indices().iter().zip(times) {
        if let Some(f) = first.get_mut(c as usize) {
            *f = f.min(t);
        }
    }
    Ok(first.iter().map(|&t| period.index(t, origin)).collect())
}
