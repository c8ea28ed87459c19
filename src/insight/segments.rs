//! Per-customer segments and flags: RFM quintile scores and named segments, CLV tiers, the
//! at-risk flag, and the acquisition ceiling by cohort.

use std::fmt::Write as _;

use super::retention::Period;
use crate::data::{Periods, RfmData, TransactionLog};
use crate::error::{Error, Result};
use crate::fit::{Fitted, Intervals, Method, Model};
use crate::models::{SpendModel, TransactionModel};
use crate::value::{DiscountRate, Valuation};

/// Quintile scores `1..=5`: `score_i = 1 + ⌊5 · #{j : v_j < v_i} / n⌋`, so higher values score
/// higher, equal values share a score, and each score holds about a fifth of the customers
/// (exactly when there are no ties and `n` is a multiple of 5).
///
/// ```
/// let s = clv::insight::quintile_scores(&[10.0, 20.0, 30.0, 40.0, 50.0, 50.0])?;
/// assert_eq!(s, vec![1, 1, 2, 3, 4, 4]);
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidData`] naming the row (from 1) of a NaN.
pub fn quintile_scores(values: &[f64]) -> Result<Vec<u8>> {
    let sorted = sorted_copy(values)?;
    let n = values.len() as u128;
    Ok(values
        .iter()
        .map(|v| {
            let less = sorted.partition_point(|s| s < v) as u128;
            (1 + 5 * less / n) as u8
        })
        .collect())
}

/// The values sorted ascending; an error naming the row (from 1) of a NaN.
fn sorted_copy(values: &[f64]) -> Result<Vec<f64>> {
    if let Some(i) = values.iter().position(|v| v.is_nan()) {
        return Err(Error::data(i + 1, "value", values[i], "must not be NaN"));
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    Ok(sorted)
}

/// RFM scores of one customer, each `1..=5` (5 best): recency (the shortest time since the
/// last purchase scores 5), frequency, and monetary value (`None` without spend data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RfmScore {
    /// Recency score.
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score.
    pub m: Option<u8>,
}

/// Named RFM segments from the recency and frequency scores, the common R×F segment map:
///
/// | R \ F | 1 | 2 | 3 | 4 | 5 |
/// |---|---|---|---|---|---|
/// | 5 | New customers | Potential loyalists | Potential loyalists | Champions | Champions |
/// | 4 | Promising | Potential loyalists | Potential loyalists | Loyal customers | Loyal customers |
/// | 3 | About to sleep | About to sleep | Need attention | Loyal customers | Loyal customers |
/// | 2 | Hibernating | Hibernating | At risk | At risk | Can't lose them |
/// | 1 | Hibernating | Hibernating | At risk | At risk | Can't lose them |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum RfmSegment {
    /// R 5, F 4–5.
    Champions,
    /// R 3–4, F 4–5.
    LoyalCustomers,
    /// R 4–5, F 2–3.
    PotentialLoyalists,
    /// R 5, F 1.
    NewCustomers,
    /// R 4, F 1.
    Promising,
    /// R 3, F 3.
    NeedAttention,
    /// R 3, F 1–2.
    AboutToSleep,
    /// R 1–2, F 3–4.
    AtRisk,
    /// R 1–2, F 5.
    CannotLoseThem,
    /// R 1–2, F 1–2.
    Hibernating,
}

impl RfmSegment {
    /// All segments, best first.
    pub const ALL: [RfmSegment; 10] = [
        RfmSegment::Champions,
        RfmSegment::LoyalCustomers,
        RfmSegment::PotentialLoyalists,
        RfmSegment::NewCustomers,
        RfmSegment::Promising,
        RfmSegment::NeedAttention,
        RfmSegment::AboutToSleep,
        RfmSegment::AtRisk,
        RfmSegment::CannotLoseThem,
        RfmSegment::Hibernating,
    ];

    /// The segment of recency score `r` and frequency score `f` (scores outside `1..=5` are
    /// clamped).
    ///
    /// ```
    /// use clv::insight::RfmSegment;
    /// assert_eq!(RfmSegment::from_scores(5, 5), RfmSegment::Champions);
    /// assert_eq!(RfmSegment::from_scores(1, 5).name(), "Can't lose them");
    /// ```
    pub fn from_scores(r: u8, f: u8) -> Self {
        use RfmSegment::*;
        match (r.clamp(1, 5), f.clamp(1, 5)) {
            (1..=2, 1..=2) => Hibernating,
            (1..=2, 3..=4) => AtRisk,
            (1..=2, _) => CannotLoseThem,
            (3, 1..=2) => AboutToSleep,
            (3, 3) => NeedAttention,
            (3..=4, 4..=5) => LoyalCustomers,
            (4, 1) => Promising,
            (5, 1) => NewCustomers,
            (4..=5, 2..=3) => PotentialLoyalists,
            _ => Champions,
        }
    }

    /// The segment's name as people read it.
    pub fn name(self) -> &'static str {
        match self {
            RfmSegment::Champions => "Champions",
            RfmSegment::LoyalCustomers => "Loyal customers",
            RfmSegment::PotentialLoyalists => "Potential loyalists",
            RfmSegment::NewCustomers => "New customers",
            RfmSegment::Promising => "Promising",
            RfmSegment::NeedAttention => "Need attention",
            RfmSegment::AboutToSleep => "About to sleep",
            RfmSegment::AtRisk => "At risk",
            RfmSegment::CannotLoseThem => "Can't lose them",
            RfmSegment::Hibernating => "Hibernating",
        }
    }
}

/// RFM quintile scores ([`quintile_scores`]) of customers given the time since their last
/// purchase (smaller is better), their frequency and, optionally, their monetary value.
///
/// ```
/// let s = clv::insight::rfm_scores(&[1.0, 30.0], &[4.0, 0.0], None)?;
/// assert_eq!((s[0].r, s[0].f, s[1].r, s[1].f), (3, 3, 1, 1));
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] for columns of different lengths; [`Error::InvalidData`] for a NaN.
pub fn rfm_scores(
    time_since_last: &[f64],
    frequency: &[f64],
    monetary: Option<&[f64]>,
) -> Result<Vec<RfmScore>> {
    let n = time_since_last.len();
    if frequency.len() != n || monetary.is_some_and(|m| m.len() != n) {
        return Err(Error::InvalidInput(
            "RFM columns must have one value per customer".into(),
        ));
    }
    let neg: Vec<f64> = time_since_last.iter().map(|v| -v).collect();
    let r = quintile_scores(&neg)?;
    let f = quintile_scores(frequency)?;
    let m = monetary.map(quintile_scores).transpose()?;
    Ok((0..n)
        .map(|i| RfmScore {
            r: r[i],
            f: f[i],
            m: m.as_ref().map(|m| m[i]),
        })
        .collect())
}

/// Quantile tiers of customer value: cut points `0 < c_1 < ... < c_k < 1` on the share of
/// customers ranked from the most valuable; default `[0.2, 0.5]` (top 20%, next 30%, bottom 50%).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Tiers {
    cuts: Vec<f64>,
}

impl Default for Tiers {
    fn default() -> Self {
        Tiers {
            cuts: vec![0.2, 0.5],
        }
    }
}

impl Tiers {
    /// Tiers with the given cut points.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless the cuts are strictly increasing inside `(0, 1)`
    /// and at most 99 of them.
    pub fn new(cuts: Vec<f64>) -> Result<Self> {
        if cuts.len() > 99 {
            return Err(Error::param(
                "cuts",
                cuts.len() as f64,
                "at most 99 cut points",
            ));
        }
        let mut prev = 0.0;
        for &c in &cuts {
            if !(c > prev && c < 1.0) {
                return Err(Error::param(
                    "cuts",
                    c,
                    "cut points must increase strictly inside (0, 1)",
                ));
            }
            prev = c;
        }
        Ok(Tiers { cuts })
    }

    /// The cut points.
    pub fn cuts(&self) -> &[f64] {
        &self.cuts
    }

    /// Number of tiers (cuts + 1).
    pub fn len(&self) -> usize {
        self.cuts.len() + 1
    }

    /// Always false (there is at least one tier).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// A label of tier `k` (1 = top): `top 20%`, `20–50%`, `bottom 50%`.
    pub fn label(&self, k: u8) -> String {
        let pct = |c: f64| format!("{}", (c * 100.0 * 10.0).round() / 10.0);
        let k = usize::from(k.max(1));
        match (
            k.checked_sub(2).and_then(|j| self.cuts.get(j)),
            self.cuts.get(k - 1),
        ) {
            (None, Some(&hi)) => format!("top {}%", pct(hi)),
            (Some(&lo), None) => format!("bottom {}%", pct(1.0 - lo)),
            (Some(&lo), Some(&hi)) => format!("{}–{}%", pct(lo), pct(hi)),
            (None, None) => "all".to_string(),
        }
    }

    /// The tier (1 = most valuable) of every value: with `g_i = #{j : v_j > v_i}`, tier
    /// `1 + #{cuts c : g_i / n ≥ c}`; equal values share a tier.
    ///
    /// ```
    /// let tiers = clv::insight::Tiers::default();
    /// let values: Vec<f64> = (1..=10).map(f64::from).collect();
    /// assert_eq!(tiers.assign(&values)?, vec![3, 3, 3, 3, 3, 2, 2, 2, 1, 1]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the row of a NaN.
    pub fn assign(&self, values: &[f64]) -> Result<Vec<u8>> {
        let sorted = sorted_copy(values)?;
        let n = values.len() as f64;
        Ok(values
            .iter()
            .map(|v| {
                let greater = (sorted.len() - sorted.partition_point(|s| s <= v)) as f64;
                let share = greater / n;
                1 + self.cuts.iter().filter(|&&c| share >= c).count() as u8
            })
            .collect())
    }
}

/// When a valuable customer counts as at risk: in one of the `tiers` most valuable tiers and
/// either `P(alive) < threshold` now, or `P(alive)` fell by more than `drop` since the
/// reference date. Defaults: the top tier, threshold 0.5, drop 0.2.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AtRiskRule {
    /// Number of top tiers watched (1 = the top tier only).
    pub tiers: u8,
    /// P(alive) below this flags the customer.
    pub threshold: f64,
    /// A fall of P(alive) by more than this since the reference date flags the customer.
    pub drop: f64,
}

impl Default for AtRiskRule {
    fn default() -> Self {
        AtRiskRule {
            tiers: 1,
            threshold: 0.5,
            drop: 0.2,
        }
    }
}

impl AtRiskRule {
    /// Whether a customer of `tier` with P(alive) `now` (and `before` at the reference date)
    /// is at risk.
    pub fn flags(&self, tier: u8, now: f64, before: Option<f64>) -> bool {
        tier <= self.tiers && (now < self.threshold || before.is_some_and(|b| b - now > self.drop))
    }
}

/// One customer's segments and flags; see [`segment_customers`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CustomerSegment {
    /// Customer id.
    pub id: String,
    /// Repeat transactions `x` at the observation end.
    pub frequency: f64,
    /// Time since the last purchase, `T − t_x` (model time units).
    pub time_since_last: f64,
    /// Age `T`.
    pub age: f64,
    /// Mean value of repeat transactions (0 without repeats).
    pub monetary: f64,
    /// Customer value ([`Valuation::customer_values`]).
    pub clv: f64,
    /// The interval of the value from the parameter uncertainty of both fits, when asked for
    /// ([`SegmentOptions::clv_interval`], [`segment_fitted`]; see
    /// [`Valuation::customer_value_intervals`]).
    pub clv_interval: Option<(f64, f64)>,
    /// Value tier (1 = most valuable).
    pub tier: u8,
    /// RFM scores.
    pub rfm: RfmScore,
    /// RFM segment.
    pub segment: RfmSegment,
    /// P(alive) at the observation end.
    pub p_alive: f64,
    /// P(alive) at the reference date (`None` without one or for a customer acquired after it).
    pub p_alive_reference: Option<f64>,
    /// The [`AtRiskRule`] verdict.
    pub at_risk: bool,
}

/// The per-customer table of [`segment_customers`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SegmentTable {
    /// One row per customer of the summary (in its order: sorted by id index of the log).
    pub customers: Vec<CustomerSegment>,
    /// The tiers used.
    pub tiers: Tiers,
    /// The rule used.
    pub rule: AtRiskRule,
    /// How the value intervals were computed (`None`: none were).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub clv_interval: Option<ValueInterval>,
}

/// The CSV header of [`SegmentTable::to_csv`]: `clv_lower`, `clv_upper` are the ends of the
/// value interval, `clv_level` its level and `clv_method` its method (`delta` or
/// `parametric`), all empty without intervals.
pub const SEGMENT_CSV_HEADER: &str = "customer_id,frequency,time_since_last,age,monetary_value,clv,clv_lower,clv_upper,tier,r,f,m,segment,p_alive,p_alive_reference,at_risk,clv_level,clv_method";

/// How [`segment_fitted`] computes the interval of every customer's value
/// ([`Valuation::customer_value_intervals`]). The default is the one CLVTools uses for its
/// prediction intervals, a 90% level, with the delta method (fast, and calibrated from a few
/// thousand customers on; [`Method::Parametric`] draws are the alternative).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueInterval {
    /// Level in `(0, 1)` (default 0.9).
    pub level: f64,
    /// Method (default [`Method::Delta`]).
    pub method: Method,
}

impl Default for ValueInterval {
    fn default() -> Self {
        ValueInterval {
            level: 0.9,
            method: Method::Delta,
        }
    }
}

impl ValueInterval {
    /// `delta` or `parametric`.
    pub fn method_name(&self) -> &'static str {
        match self.method {
            Method::Delta => "delta",
            Method::Parametric { .. } => "parametric",
        }
    }
}

/// What [`segment_fitted`] computes besides the values: the reference date of the fall of
/// P(alive), the tiers, the at-risk rule and, optionally, value intervals. The default: no
/// reference date, [`Tiers::default`], [`AtRiskRule::default`], no intervals (ask with
/// `clv_interval: Some(ValueInterval::default())`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SegmentOptions {
    /// A log time before the observation end at which P(alive) is also computed.
    pub reference: Option<f64>,
    /// Value tiers.
    pub tiers: Tiers,
    /// At-risk rule.
    pub rule: AtRiskRule,
    /// Intervals of the values (`None`: none).
    pub clv_interval: Option<ValueInterval>,
}

impl SegmentTable {
    /// The table as CSV ([`SEGMENT_CSV_HEADER`]); absent values are empty fields.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(SEGMENT_CSV_HEADER);
        out.push('\n');
        let o = |v: Option<f64>| v.map_or_else(String::new, |x| x.to_string());
        let how = self.clv_interval.map_or_else(
            || ",".to_string(),
            |i| format!("{},{}", i.level, i.method_name()),
        );
        for c in &self.customers {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(&c.id),
                c.frequency,
                c.time_since_last,
                c.age,
                c.monetary,
                c.clv,
                o(c.clv_interval.map(|i| i.0)),
                o(c.clv_interval.map(|i| i.1)),
                c.tier,
                c.rfm.r,
                c.rfm.f,
                c.rfm.m.map_or_else(String::new, |m| m.to_string()),
                c.segment.name(),
                c.p_alive,
                o(c.p_alive_reference),
                c.at_risk,
                if c.clv_interval.is_some() { &how } else { "," }
            );
        }
        out
    }

    /// The at-risk customers, most valuable first.
    pub fn at_risk(&self) -> Vec<&CustomerSegment> {
        let mut v: Vec<&CustomerSegment> = self.customers.iter().filter(|c| c.at_risk).collect();
        v.sort_by(|a, b| b.clv.total_cmp(&a.clv));
        v
    }
}

/// Quotes a CSV field when it needs it.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Segments every customer of `log` first seen before `observation_end`: the summary at
/// `observation_end` on `periods` (the model's time unit), its customer values under
/// `valuation` with `spend`, value tiers, RFM scores and segment, P(alive) now and at
/// `reference` (a log time before `observation_end`, from the summary at that date), and the
/// at-risk flag.
///
/// ```
/// use clv::data::{Periods, TransactionLog};
/// use clv::insight::{AtRiskRule, Tiers, segment_customers};
/// use clv::value::{DiscountRate, Valuation};
/// use clv::{BgNbd, GammaGamma};
/// let log = TransactionLog::new(
///     ["a", "a", "b", "c", "c", "c"],
///     vec![0.0, 14.0, 3.0, 1.0, 8.0, 60.0],
///     Some(vec![20.0, 30.0, 5.0, 10.0, 12.0, 14.0]),
/// )?;
/// let valuation = Valuation::continuous(1.0, DiscountRate::new(0.1, 52.0)?, Some(52.0))?;
/// let table = segment_customers(
///     &BgNbd::new(0.5, 3.0, 0.5, 3.0)?, &GammaGamma::new(6.0, 4.0, 15.0)?, &valuation,
///     &log, &Periods::days_in_weeks(), 70.0, Some(35.0), &Tiers::default(), &AtRiskRule::default(),
/// )?;
/// assert_eq!(table.customers.len(), 3);
/// assert_eq!(table.customers.iter().filter(|c| c.tier == 1).count(), 1);
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// Those of [`TransactionLog::summarize`] and [`Valuation::customer_values`] (the log needs
/// amounts); [`Error::InvalidParameter`] for a `reference` not before `observation_end`.
#[allow(clippy::too_many_arguments)]
pub fn segment_customers<M: TransactionModel + Sync + ?Sized, S: SpendModel + ?Sized>(
    model: &M,
    spend: &S,
    valuation: &Valuation,
    log: &TransactionLog,
    periods: &Periods,
    observation_end: f64,
    reference: Option<f64>,
    tiers: &Tiers,
    rule: &AtRiskRule,
) -> Result<SegmentTable> {
    let options = SegmentOptions {
        reference,
        tiers: tiers.clone(),
        rule: *rule,
        clv_interval: None,
    };
    segment_with(
        model,
        spend,
        valuation,
        log,
        periods,
        observation_end,
        &options,
        None,
    )
}

/// [`segment_customers`] from fitted models, with the interval of every customer's value
/// when `options.clv_interval` asks for one ([`Valuation::customer_value_intervals`]: the
/// parameter uncertainty of both fits, the transaction model's and the spend model's).
///
/// ```
/// use clv::data::{Periods, TransactionLog, days_from_civil};
/// use clv::insight::{SegmentOptions, ValueInterval, segment_fitted};
/// use clv::value::{DiscountRate, Valuation};
/// use clv::{BgNbd, FitOptions, GammaGamma, SpendData};
/// let log = TransactionLog::from_cdnow_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/CDNOW_sample.txt"))?;
/// let periods = Periods::days_in_weeks();
/// let end = days_from_civil(1997, 9, 30).unwrap() as f64;
/// let summary = log.summarize(&periods, end)?;
/// let cal = summary.data();
/// let transactions = BgNbd::fit(cal, &FitOptions::default())?;
/// let (x, m): (Vec<f64>, Vec<f64>) = cal.frequency().iter().zip(cal.monetary_value().unwrap())
///     .filter(|(x, m)| **x > 0.0 && **m > 0.0).map(|(x, m)| (*x, *m)).unzip();
/// let spend = GammaGamma::fit(&SpendData::new(x, m)?, &FitOptions::default())?;
/// let valuation = Valuation::discrete(1.0, DiscountRate::new(0.1, 52.0)?, 1.0, 52)?;
/// let options = SegmentOptions { clv_interval: Some(ValueInterval::default()), ..Default::default() };
/// let table = segment_fitted(&transactions, &spend, &valuation, &log, &periods, end, &options)?;
/// let c = &table.customers[0];
/// let (lo, hi) = c.clv_interval.unwrap();
/// assert!(lo <= c.clv && c.clv <= hi);
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// As [`segment_customers`] and [`Valuation::customer_value_intervals`] (a fit without
/// covariance, a level outside `(0, 1)`).
#[allow(clippy::too_many_arguments)]
pub fn segment_fitted<M, S>(
    transactions: &Fitted<M>,
    spend: &Fitted<S>,
    valuation: &Valuation,
    log: &TransactionLog,
    periods: &Periods,
    observation_end: f64,
    options: &SegmentOptions,
) -> Result<SegmentTable>
where
    M: TransactionModel + Model + Send + Sync,
    S: SpendModel + Model + Send + Sync,
{
    let intervals = |data: &RfmData, how: ValueInterval| {
        valuation.customer_value_intervals(transactions, spend, data, how.level, how.method)
    };
    segment_with(
        transactions.model(),
        spend.model(),
        valuation,
        log,
        periods,
        observation_end,
        options,
        Some(&intervals),
    )
}

/// The value intervals of the customers of a summary, as [`segment_with`] asks for them.
type IntervalsOf<'a> = &'a dyn Fn(&RfmData, ValueInterval) -> Result<Intervals>;

/// The work of [`segment_customers`] and [`segment_fitted`]: `intervals` computes the value
/// intervals when `options.clv_interval` asks for them.
#[allow(clippy::too_many_arguments)]
fn segment_with<M: TransactionModel + Sync + ?Sized, S: SpendModel + ?Sized>(
    model: &M,
    spend: &S,
    valuation: &Valuation,
    log: &TransactionLog,
    periods: &Periods,
    observation_end: f64,
    options: &SegmentOptions,
    intervals: Option<IntervalsOf<'_>>,
) -> Result<SegmentTable> {
    let summary = log.summarize(periods, observation_end)?;
    let data = summary.data();
    let values = valuation.customer_values(model, spend, data)?;
    let p_alive = model.probability_alive_batch(data);
    let before = match options.reference {
        Some(r) if r.is_nan() || r >= observation_end => {
            return Err(Error::param(
                "reference",
                r,
                "must lie before the observation end",
            ));
        }
        Some(r) => {
            let s = log.summarize(periods, r)?;
            let p = model.probability_alive_batch(s.data());
            Some(
                s.customer_ids()
                    .iter()
                    .cloned()
                    .zip(p.iter().copied())
                    .collect::<std::collections::HashMap<String, f64>>(),
            )
        }
        None => None,
    };
    let values = values.to_vec();
    let ends = match (options.clv_interval, intervals) {
        (Some(how), Some(f)) => {
            let iv = f(data, how)?;
            Some(
                iv.lower
                    .iter()
                    .copied()
                    .zip(iv.upper.iter().copied())
                    .collect::<Vec<_>>(),
            )
        }
        _ => None,
    };
    let mut table = finish(
        data,
        &summary,
        &values,
        &p_alive,
        before.as_ref(),
        &options.tiers,
        &options.rule,
    )?;
    if let Some(ends) = ends {
        for (c, e) in table.customers.iter_mut().zip(ends) {
            c.clv_interval = Some(e);
        }
        table.clv_interval = options.clv_interval;
    }
    Ok(table)
}

#[allow(clippy::too_many_arguments)]
fn finish(
    data: &RfmData,
    summary: &crate::data::Summary,
    values: &[f64],
    p_alive: &ndarray::Array1<f64>,
    before: Option<&std::collections::HashMap<String, f64>>,
    tiers: &Tiers,
    rule: &AtRiskRule,
) -> Result<SegmentTable> {
    let gap: Vec<f64> = data
        .age()
        .iter()
        .zip(data.recency())
        .map(|(t, r)| t - r)
        .collect();
    let monetary: Vec<f64> = data
        .monetary_value()
        .map_or_else(|| vec![0.0; data.len()], <[f64]>::to_vec);
    let rfm = rfm_scores(&gap, data.frequency(), Some(&monetary))?;
    let tier = tiers.assign(values)?;
    let customers = (0..data.len())
        .map(|i| {
            let id = summary.customer_ids().get(i).cloned().unwrap_or_default();
            let now = p_alive[i];
            let prev = before.and_then(|m| m.get(&id).copied());
            CustomerSegment {
                frequency: data.frequency()[i],
                time_since_last: gap[i],
                age: data.age()[i],
                monetary: monetary[i],
                clv: values[i],
                clv_interval: None,
                tier: tier[i],
                rfm: rfm[i],
                segment: RfmSegment::from_scores(rfm[i].r, rfm[i].f),
                p_alive: now,
                p_alive_reference: prev,
                at_risk: rule.flags(tier[i], now, prev),
                id,
            }
        })
        .collect();
    Ok(SegmentTable {
        customers,
        tiers: tiers.clone(),
        rule: *rule,
        clv_interval: None,
    })
}

/// The expected value of a new customer acquired in one cohort; see [`acquisition_ceiling`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AcquisitionCeiling {
    /// Cohort label (`all` for the whole log).
    pub cohort: String,
    /// Customers acquired in the cohort.
    pub customers: u64,
    /// Mean amount per transaction of the cohort's customers.
    pub mean_spend: f64,
    /// Discounted expected transactions of a new customer, the first purchase included.
    pub expected_transactions: f64,
    /// `margin × mean_spend × expected_transactions`: the most one may spend to acquire such a
    /// customer and break even.
    pub value: f64,
}

/// The acquisition ceiling by cohort: the expected discounted value of a newly acquired
/// customer, `margin · m̄_c · (1 + Σ_{k=1}^{H} d(k) · (E[X(k)] − E[X(k−1)]))`, with `E[X(t)]`
/// the model's expected repeat transactions of a new customer, `d(k)` the discount factor at
/// the end of step `k` (model time units), `H = horizon` steps and `m̄_c` the mean transaction
/// amount of cohort `c` (the customers first buying in that `period` of the log), plus a row
/// `all` over the whole log.
///
/// ```
/// use clv::data::TransactionLog;
/// use clv::insight::{Period, acquisition_ceiling};
/// use clv::value::DiscountRate;
/// let log = TransactionLog::new(["a", "b", "a"], vec![10.0, 40.0, 45.0], Some(vec![10.0, 30.0, 20.0]))?;
/// let model = clv::BgNbd::new(0.5, 3.0, 0.5, 3.0)?;
/// let rows = acquisition_ceiling(&model, &log, Period::Month, 1.0, DiscountRate::new(0.0, 1.0)?, 4)?;
/// assert_eq!(rows.len(), 3); // 1970-01, 1970-02, all
/// assert!((rows[0].mean_spend - 15.0).abs() < 1e-12);
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] for a log without amounts; [`Error::InvalidParameter`] for a margin
/// outside `[0, 1]` or a horizon above 100 000 steps; errors of the model's expectations.
pub fn acquisition_ceiling<M: TransactionModel + ?Sized>(
    model: &M,
    log: &TransactionLog,
    period: Period,
    margin: f64,
    discount: DiscountRate,
    horizon: u32,
) -> Result<Vec<AcquisitionCeiling>> {
    check_ceiling(margin, horizon)?;
    let amounts = log.amounts().ok_or_else(|| {
        Error::InvalidInput("the acquisition ceiling needs amounts in the transaction log".into())
    })?;
    let expected = new_customer_transactions(model, discount, horizon)?;
    let table = super::retention::cohort_of_customers(log, period)?;
    let mut by_cohort: std::collections::BTreeMap<i64, (u64, f64, f64)> = Default::default();
    let mut seen = vec![false; log.n_customers()];
    for (&c, &a) in log.customer_indices().iter().zip(amounts) {
        let cohort = table.get(c as usize).copied().unwrap_or_default();
        let e = by_cohort.entry(cohort).or_default();
        if let Some(s) = seen.get_mut(c as usize) {
            if !*s {
                *s = true;
                e.0 += 1;
            }
        }
        e.1 += a;
        e.2 += 1.0;
    }
    let origin = log.time_range().0.floor() as i64;
    let row = |cohort: String, customers: u64, total: f64, count: f64| {
        let mean_spend = total / count;
        AcquisitionCeiling {
            cohort,
            customers,
            mean_spend,
            expected_transactions: expected,
            value: margin * mean_spend * expected,
        }
    };
    let mut rows: Vec<AcquisitionCeiling> = by_cohort
        .iter()
        .map(|(&k, &(n, total, count))| row(period.label(k, origin), n, total, count))
        .collect();
    let total: f64 = amounts.iter().sum();
    rows.push(row(
        "all".to_string(),
        log.n_customers() as u64,
        total,
        log.len() as f64,
    ));
    Ok(rows)
}

/// Checks the margin and horizon of an acquisition ceiling.
fn check_ceiling(margin: f64, horizon: u32) -> Result<()> {
    if !(margin.is_finite() && (0.0..=1.0).contains(&margin)) {
        return Err(Error::param("margin", margin, "must lie in [0, 1]"));
    }
    if horizon > 100_000 {
        return Err(Error::param(
            "horizon",
            f64::from(horizon),
            "at most 100000 steps",
        ));
    }
    Ok(())
}

/// `1 + Σ_{k=1}^{H} d(k) · (E[X(k)] − E[X(k−1)])`: the discounted expected transactions of a
/// new customer, the first purchase included.
fn new_customer_transactions<M: TransactionModel + ?Sized>(
    model: &M,
    discount: DiscountRate,
    horizon: u32,
) -> Result<f64> {
    let mut expected = 1.0;
    let mut prev = 0.0;
    for k in 1..=horizon {
        let e = model.expected_transactions(f64::from(k))?;
        expected += discount.factor(f64::from(k)) * (e - prev);
        prev = e;
    }
    Ok(expected)
}

/// A new customer described by covariate values: a name and `(column, value)` pairs. Columns
/// a model has but the profile does not name are 0 (the model's reference customer); named
/// columns a model does not have are ignored by it (a spend model may use other columns than
/// the transaction model).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CovariateProfile {
    /// Name in tables and charts.
    pub name: String,
    /// `(column, value)` pairs.
    pub values: Vec<(String, f64)>,
}

impl CovariateProfile {
    /// A profile from its name and values.
    pub fn new(name: impl Into<String>, values: Vec<(String, f64)>) -> Self {
        CovariateProfile {
            name: name.into(),
            values,
        }
    }

    /// One profile per level of a categorical column coded as indicators
    /// ([`crate::data::categorical::Indicators`]): the reference level first (every indicator
    /// 0), then each level with its indicator 1; named `column = level`.
    ///
    /// ```
    /// use clv::data::categorical::Indicators;
    /// use clv::insight::CovariateProfile;
    /// let ind = Indicators::new("channel", &["web", "store", "app"], None)?;
    /// let p = CovariateProfile::levels("channel", &ind);
    /// assert_eq!(p.len(), 3);
    /// assert_eq!(p[0].name, "channel = app");
    /// assert_eq!(p[2].values, vec![("channel_web".to_string(), 1.0)]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn levels(column: &str, indicators: &crate::data::categorical::Indicators) -> Vec<Self> {
        let prefix = format!("{column}_");
        std::iter::once(CovariateProfile::new(
            format!("{column} = {}", indicators.reference()),
            Vec::new(),
        ))
        .chain(indicators.names().iter().map(|n| {
            let level = n.strip_prefix(&prefix).unwrap_or(n);
            CovariateProfile::new(format!("{column} = {level}"), vec![(n.clone(), 1.0)])
        }))
        .collect()
    }

    /// The values in the order of `columns` (0 for a column the profile does not name).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a column named twice or a value that is not finite.
    pub fn vector(&self, columns: &[String]) -> Result<Vec<f64>> {
        for (i, (c, v)) in self.values.iter().enumerate() {
            if !v.is_finite() {
                return Err(Error::InvalidInput(format!(
                    "profile {:?}: covariate {c:?} is {v}, not a finite number",
                    self.name
                )));
            }
            if self.values[..i].iter().any(|(o, _)| o == c) {
                return Err(Error::InvalidInput(format!(
                    "profile {:?}: covariate {c:?} is named twice",
                    self.name
                )));
            }
        }
        Ok(columns
            .iter()
            .map(|col| {
                self.values
                    .iter()
                    .find(|(c, _)| c == col)
                    .map_or(0.0, |(_, v)| *v)
            })
            .collect())
    }
}

/// The mean spend per transaction of a new customer of a profile
/// ([`acquisition_ceiling_by_profile`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ProfileSpend<'a> {
    /// The same mean for every profile (e.g. the mean amount of the log, as the `all` row of
    /// [`acquisition_ceiling`]).
    Mean(f64),
    /// The population mean of a Gamma-Gamma with spend covariates at the profile,
    /// `p·γ(z)/(q − 1)` ([`SpendModel::expected_average_spend`] at `x = 0`).
    Covariates(&'a crate::models::GammaGammaCov),
}

/// The expected value of a new customer of one covariate profile; see
/// [`acquisition_ceiling_by_profile`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ProfileCeiling {
    /// Profile name.
    pub profile: String,
    /// The profile's values in the order of the transaction model's columns.
    pub covariates: Vec<f64>,
    /// Mean spend per transaction of such a customer.
    pub mean_spend: f64,
    /// Discounted expected transactions of such a new customer, the first purchase included.
    pub expected_transactions: f64,
    /// `margin × mean_spend × expected_transactions`.
    pub value: f64,
}

/// The acquisition ceiling by covariate profile: for each profile `z`,
/// `margin · m̄(z) · (1 + Σ_{k=1}^{H} d(k) · (E[X(k) | z] − E[X(k−1) | z]))`, the formula of
/// [`acquisition_ceiling`] with `E[X(t) | z]` the expected repeat transactions of a new
/// customer of the model of `z` ([`crate::models::WithCovariates::customer_model`]) and
/// `m̄(z)` from `spend`. With every coefficient 0 it is the ceiling of the model without
/// covariates.
///
/// ```
/// use clv::{BgNbd, BgNbdCov, Model, RfmData};
/// use clv::fit::Estimable;
/// use clv::insight::{CovariateProfile, ProfileSpend, acquisition_ceiling_by_profile};
/// use clv::models::covariates::{CovariateData, CovariateSpec};
/// use clv::value::DiscountRate;
/// let data = RfmData::new(vec![1.0, 0.0], vec![5.0, 0.0], vec![9.0, 9.0])?
///     .with_covariates(vec!["web".into()], vec![vec![1.0, 0.0]])?;
/// let rows = BgNbdCov::prepare(&CovariateData::new(&data, &CovariateSpec::new().purchase(&["web"]))?)?;
/// // web customers buy twice as fast
/// let model = BgNbdCov::from_estimate(&rows, &[0.5, 4.0, 0.8, 2.4, 2f64.ln()])?;
/// let profiles = [
///     CovariateProfile::new("store", vec![]),
///     CovariateProfile::new("web", vec![("web".into(), 1.0)]),
/// ];
/// let rows = acquisition_ceiling_by_profile(&model, ProfileSpend::Mean(20.0), &profiles,
///     1.0, DiscountRate::new(0.1, 52.0)?, 52)?;
/// assert!(rows[1].value > rows[0].value);
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for a margin outside `[0, 1]`, a horizon above 100 000 steps or
/// a mean spend that is not finite and positive; [`Error::InvalidInput`] for a profile with a
/// value that is not finite or a column named twice; errors of the profile's model.
pub fn acquisition_ceiling_by_profile<B>(
    model: &crate::models::WithCovariates<B>,
    spend: ProfileSpend<'_>,
    profiles: &[CovariateProfile],
    margin: f64,
    discount: DiscountRate,
    horizon: u32,
) -> Result<Vec<ProfileCeiling>>
where
    B: crate::models::covariates::CovariateBase + TransactionModel,
{
    check_ceiling(margin, horizon)?;
    profiles
        .iter()
        .map(|p| {
            let z = p.vector(model.columns())?;
            let base = model.customer_model(&z)?;
            let mean_spend = match spend {
                ProfileSpend::Mean(m) => m,
                ProfileSpend::Covariates(s) => s
                    .customer_model(&p.vector(s.columns())?)?
                    .expected_average_spend(0.0, 0.0)?,
            };
            if !(mean_spend.is_finite() && mean_spend > 0.0) {
                return Err(Error::param(
                    "mean_spend",
                    mean_spend,
                    "must be finite and > 0",
                ));
            }
            let expected = new_customer_transactions(&base, discount, horizon)?;
            Ok(ProfileCeiling {
                profile: p.name.clone(),
                covariates: z,
                mean_spend,
                expected_transactions: expected,
                value: margin * mean_spend * expected,
            })
        })
        .collect()
}
