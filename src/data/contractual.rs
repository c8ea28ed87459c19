//! Contractual data: cohort survival counts and individual (possibly right-censored) lifetimes.
//!
//! In a contractual setting (subscriptions, insurance, memberships) churn is observed: each
//! customer renews at the start of every period until, in some period `T ∈ {1, 2, ...}`, they
//! leave. Two shapes of data record this:
//!
//! * [`CohortData`]: for one or more cohorts, the number of customers still active at the start
//!   of periods `0, 1, ..., n` (each cohort with its own horizon `n`).
//! * [`LifetimeData`]: per customer (or group of identical customers), the number of periods
//!   observed and whether the customer churned at the end of the last of them (otherwise the
//!   lifetime is right-censored: the customer is still active).
//!
//! A cohort is the same information as lifetimes: `alive[t−1] − alive[t]` customers churned in
//! period `t`, and `alive[n]` are still active after `n` periods. [`CohortData::to_lifetimes`]
//! converts, and [`ContractualData`] reads either shape from CSV, detecting it from the header.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use super::compress::{group, pick};
use super::limits::{MAX_DURATION, check_count, check_weight, show, with_text};
use super::table::{Csv, open};
use crate::error::{Error, Result};

/// One cohort: the number of customers still active at the start of periods `0, 1, ..., n`.
///
/// The counts are whole numbers, non-increasing, and the first is positive. Periods are in the
/// caller's unit (months, years, ...).
///
/// ```
/// use clv::data::Cohort;
/// let regular = Cohort::new(vec![1000.0, 631.0, 468.0, 382.0])?.with_name("regular");
/// assert_eq!(regular.horizon(), 3);
/// assert_eq!(regular.churned_in(1), Some(369.0));
/// assert!(Cohort::new(vec![100.0, 120.0]).is_err()); // counts must not increase
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Cohort {
    name: String,
    alive: Vec<f64>,
}

impl Cohort {
    /// A validated, unnamed cohort from its counts at the start of periods `0, 1, ..., n`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for fewer than two counts (at least period 0 and period 1 are
    /// needed); [`Error::InvalidData`] naming the 1-based position (period + 1) and the value for
    /// a count that is NaN, infinite, negative, not a whole number or above
    /// [`MAX_COUNT`](crate::data::limits::MAX_COUNT), a first count of 0, or a count larger than
    /// the one before it; [`Error::InvalidData`] (field `period`) for a horizon above
    /// [`MAX_DURATION`] periods.
    pub fn new(alive: Vec<f64>) -> Result<Self> {
        let mut alive = alive;
        validate_counts(&mut alive, |t| t + 1)?;
        Ok(Cohort {
            name: String::new(),
            alive,
        })
    }

    /// The same cohort with a name (used in reports; empty by default).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The cohort's name (empty when unnamed).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Customers still active at the start of periods `0, 1, ..., n`.
    pub fn alive(&self) -> &[f64] {
        &self.alive
    }

    /// The number of observed periods `n` (the last period with a count).
    pub fn horizon(&self) -> u32 {
        (self.alive.len() - 1) as u32
    }

    /// Initial size of the cohort (the count at period 0).
    pub fn size(&self) -> f64 {
        self.alive[0]
    }

    /// Customers who churned in period `t` (`alive[t−1] − alive[t]`), for `1 <= t <= n`.
    pub fn churned_in(&self, t: u32) -> Option<f64> {
        let t = t as usize;
        (t >= 1 && t < self.alive.len()).then(|| self.alive[t - 1] - self.alive[t])
    }

    /// This cohort alone as weighted, compressed lifetimes (as [`CohortData::to_lifetimes`]
    /// does for several): one row per period with churners, weighted by their number, and one
    /// row for the survivors after the horizon.
    ///
    /// ```
    /// use clv::data::Cohort;
    /// let cohort = Cohort::new(vec![100.0, 60.0, 60.0, 45.0])?;
    /// let lifetimes = cohort.to_lifetimes();
    /// assert_eq!(lifetimes.durations(), &[1, 3, 3]);
    /// assert_eq!(lifetimes.churned(), &[true, false, true]);
    /// assert_eq!(lifetimes.weights(), &[40.0, 45.0, 15.0]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn to_lifetimes(&self) -> LifetimeData {
        lifetimes_of(std::slice::from_ref(self))
    }
}

/// The lifetimes of `cohorts` (see [`CohortData::to_lifetimes`]): per cohort and period `t`, a
/// row `(t, churned)` weighted by the number who churned in period `t`, and a row
/// `(n, still active)` weighted by the survivors; identical rows merged, empty rows dropped.
fn lifetimes_of(cohorts: &[Cohort]) -> LifetimeData {
    let (mut d, mut c, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for cohort in cohorts {
        for t in 1..=cohort.horizon() {
            let churned = cohort.churned_in(t).unwrap_or(0.0);
            if churned > 0.0 {
                d.push(t);
                c.push(true);
                w.push(churned);
            }
        }
        let survivors = cohort.alive[cohort.alive.len() - 1];
        if survivors > 0.0 {
            d.push(cohort.horizon());
            c.push(false);
            w.push(survivors);
        }
    }
    LifetimeData {
        duration: d,
        churned: c,
        weight: w,
    }
    .compress()
}

/// Checks survival counts (folding `-0` into `0`); `row(t)` is the row number reported for
/// period `t`.
fn validate_counts(alive: &mut [f64], row: impl Fn(usize) -> usize) -> Result<()> {
    if alive.len() < 2 {
        return Err(Error::InvalidInput(format!(
            "a cohort needs counts for at least periods 0 and 1, got {} value(s)",
            alive.len()
        )));
    }
    if alive.len() - 1 > MAX_DURATION as usize {
        let t = MAX_DURATION as usize + 1;
        return Err(Error::data(
            row(t),
            "period",
            t,
            format!("a cohort may span at most {MAX_DURATION} periods"),
        ));
    }
    for t in 0..alive.len() {
        let a = check_count(row(t), "alive", alive[t])?;
        alive[t] = a;
        if t == 0 && a == 0.0 {
            return Err(Error::data(
                row(t),
                "alive",
                show(a),
                "a cohort must start (period 0) with a positive number of customers",
            ));
        }
        if t > 0 && a > alive[t - 1] {
            return Err(Error::data(
                row(t),
                "alive",
                show(a),
                format!(
                    "survivor counts must not increase: period {t} has more customers than \
                     period {} ({})",
                    t - 1,
                    show(alive[t - 1])
                ),
            ));
        }
    }
    Ok(())
}

/// One or more cohorts, fitted jointly (each with its own horizon).
///
/// ```
/// use clv::data::{Cohort, CohortData};
/// let data = CohortData::new(vec![
///     Cohort::new(vec![1000.0, 631.0, 468.0])?.with_name("2019"),
///     Cohort::new(vec![800.0, 500.0])?.with_name("2020"),
/// ])?;
/// assert_eq!(data.n_customers(), 1800.0);
/// // rows sorted by (duration, churned): active after 1 (500), churned in period 1
/// // (369 + 300), active after 2 (468), churned in period 2 (163)
/// let lifetimes = data.to_lifetimes();
/// assert_eq!(lifetimes.len(), 4);
/// assert_eq!(lifetimes.durations(), &[1, 1, 2, 2]);
/// assert_eq!(lifetimes.churned(), &[false, true, false, true]);
/// assert_eq!(lifetimes.weights(), &[500.0, 669.0, 468.0, 163.0]);
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CohortData {
    cohorts: Vec<Cohort>,
}

impl CohortData {
    /// Groups validated cohorts.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `cohorts` is empty.
    pub fn new(cohorts: Vec<Cohort>) -> Result<Self> {
        if cohorts.is_empty() {
            return Err(Error::InvalidInput("no cohorts: the data is empty".into()));
        }
        Ok(CohortData { cohorts })
    }

    /// A single unnamed cohort from its counts at the start of periods `0, 1, ..., n`.
    ///
    /// # Errors
    /// As [`Cohort::new`].
    pub fn single(alive: Vec<f64>) -> Result<Self> {
        CohortData::new(vec![Cohort::new(alive)?])
    }

    /// The cohorts, in order of first appearance.
    pub fn cohorts(&self) -> &[Cohort] {
        &self.cohorts
    }

    /// Total number of customers (sum of the cohorts' initial sizes).
    pub fn n_customers(&self) -> f64 {
        self.cohorts.iter().map(Cohort::size).sum()
    }

    /// The longest horizon among the cohorts.
    pub fn max_horizon(&self) -> u32 {
        self.cohorts.iter().map(Cohort::horizon).max().unwrap_or(0)
    }

    /// The same information as weighted, compressed lifetimes: per cohort and period `t`, one
    /// row `(t, churned)` weighted by the number who churned in period `t`, and one row
    /// `(n, still active)` weighted by the survivors; identical rows of different cohorts are
    /// merged and empty rows dropped.
    pub fn to_lifetimes(&self) -> LifetimeData {
        lifetimes_of(&self.cohorts)
    }

    /// Reads a CSV file with a header; see [`CohortData::from_csv_reader`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, otherwise as [`CohortData::from_csv_reader`].
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_csv_reader(open(path.as_ref())?)
    }

    /// Reads cohort survival counts from CSV with a header. Required columns: `period` and
    /// `alive`; optional: `cohort` (a label; without it the file is one cohort). Other columns
    /// are ignored; surrounding whitespace is trimmed.
    ///
    /// Each cohort's rows must give periods `0, 1, 2, ...` in this order (rows of different
    /// cohorts may interleave), with whole, non-increasing counts starting above 0. Errors name
    /// the line of the file (the header is line 1), the column and the value.
    ///
    /// ```
    /// use clv::data::CohortData;
    /// let csv = "cohort,period,alive\nA,0,100\nA,1,60\nB,0,50\nB,1,35\nB,2,30\n";
    /// let data = CohortData::from_csv_reader(csv.as_bytes())?;
    /// assert_eq!(data.cohorts().len(), 2);
    /// assert_eq!(data.cohorts()[1].name(), "B");
    /// let bad = "period,alive\n0,100\n1,120\n";
    /// let err = CohortData::from_csv_reader(bad.as_bytes()).unwrap_err();
    /// assert!(err.to_string().contains("row 3, field `alive`"));
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty file or one without data rows;
    /// [`Error::InvalidData`] (row 1) for a missing required column; [`Error::InvalidData`] with
    /// the line, field and value for a value that does not parse, a period out of sequence, or a
    /// count that fails the checks of [`Cohort::new`] (a cohort with only period 0 is reported at
    /// its period-0 line), a row with too few or too many fields, or text that is not UTF-8 in a
    /// column used; [`Error::InvalidData`] (row 1) for a column named twice; [`Error::Io`] when
    /// reading fails.
    pub fn from_csv_reader(reader: impl Read) -> Result<Self> {
        let mut csv = Csv::new(reader, b',', "period,alive")?;
        let cp = csv.require(&["period"])?;
        let ca = csv.require(&["alive"])?;
        let cc = csv.find(&["cohort"])?;

        // Per cohort (first-appearance order): name, counts, line of each count.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<(String, Vec<f64>, Vec<usize>)> = Vec::new();
        while let Some(line) = csv.next_row()? {
            let name = match &cc {
                Some(c) => csv.text(c)?.to_string(),
                None => String::new(),
            };
            let (period, period_text) = csv.count(&cp)?;
            let (alive, alive_text) = csv.count(&ca)?;
            let g = match index.get(&name) {
                Some(&g) => g,
                None => {
                    index.insert(name.clone(), groups.len());
                    groups.push((name.clone(), Vec::new(), Vec::new()));
                    groups.len() - 1
                }
            };
            let (_, counts, lines) = &mut groups[g];
            let expected = counts.len();
            if period != expected as f64 {
                let who = if cc.is_some() {
                    format!(" of cohort {name:?}")
                } else {
                    String::new()
                };
                return Err(Error::data(
                    line,
                    "period",
                    period_text,
                    format!(
                        "periods{who} must be 0, 1, 2, ... in order: expected period {expected}"
                    ),
                ));
            }
            if expected > MAX_DURATION as usize {
                return Err(Error::data(
                    line,
                    "period",
                    period_text,
                    format!("a cohort may span at most {MAX_DURATION} periods"),
                ));
            }
            let alive = check_count(line, "alive", alive)
                .map_err(|e| with_text(e, &[("alive", alive_text)]))?;
            counts.push(alive);
            lines.push(line);
        }
        if groups.is_empty() {
            return Err(Error::InvalidInput(format!(
                "no cohorts: the CSV has a header (line 1: `{}`) but no data rows",
                csv.header_text()
            )));
        }
        let mut cohorts = Vec::with_capacity(groups.len());
        for (name, mut counts, lines) in groups {
            if counts.len() < 2 {
                return Err(Error::data(
                    lines[0],
                    "period",
                    0,
                    format!(
                        "cohort {name:?} has only period 0; at least one observed period is needed"
                    ),
                ));
            }
            validate_counts(&mut counts, |t| lines[t])?;
            cohorts.push(Cohort {
                name,
                alive: counts,
            });
        }
        Ok(CohortData { cohorts })
    }
}

/// Individual lifetimes: per row, the number of periods `duration >= 1` a customer was observed
/// and whether they churned at the end of it (`T = duration`) or are still active (right-censored,
/// `T > duration`), with an optional weight (customers per row, 1 by default).
///
/// ```
/// use clv::data::LifetimeData;
/// let data = LifetimeData::new(vec![1, 3, 5, 5], vec![true, true, false, false])?;
/// assert_eq!(data.compress().len(), 3);
/// assert!(LifetimeData::new(vec![0], vec![true]).is_err()); // duration must be >= 1
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LifetimeData {
    duration: Vec<u32>,
    churned: Vec<bool>,
    weight: Vec<f64>,
}

impl LifetimeData {
    /// Validated lifetimes, one customer per row (rows numbered from 1 in errors).
    ///
    /// # Errors
    /// As [`LifetimeData::from_columns`].
    pub fn new(duration: Vec<u32>, churned: Vec<bool>) -> Result<Self> {
        Self::from_columns(duration, churned, None)
    }

    /// Validated lifetimes with optional weights.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the data is empty or the columns differ in length;
    /// [`Error::InvalidData`] naming the row, field and value for a duration of 0 or above
    /// [`MAX_DURATION`], or a weight that is not finite and > 0, is subnormal or exceeds
    /// [`MAX_WEIGHT`](crate::data::limits::MAX_WEIGHT).
    ///
    /// ```
    /// use clv::data::{LifetimeData, limits::MAX_DURATION};
    /// let err = LifetimeData::new(vec![3, u32::MAX], vec![true, false]).unwrap_err();
    /// assert!(err.to_string().contains("row 2, field `duration`"));
    /// assert!(LifetimeData::new(vec![MAX_DURATION], vec![true]).is_ok());
    /// ```
    pub fn from_columns(
        duration: Vec<u32>,
        churned: Vec<bool>,
        weight: Option<Vec<f64>>,
    ) -> Result<Self> {
        let n = duration.len();
        super::check_columns(
            n,
            "duration",
            &[
                ("churned", Some(churned.len())),
                ("weight", weight.as_ref().map(Vec::len)),
            ],
        )?;
        let data = LifetimeData {
            duration,
            churned,
            weight: weight.unwrap_or_else(|| vec![1.0; n]),
        };
        data.validate(|i| i + 1, "weight")?;
        Ok(data)
    }

    fn validate(&self, row: impl Fn(usize) -> usize, weight_name: &str) -> Result<()> {
        for i in 0..self.len() {
            check_duration(row(i), f64::from(self.duration[i]))?;
            check_weight(row(i), weight_name, self.weight[i])?;
        }
        Ok(())
    }

    /// Reads a CSV file with a header; see [`LifetimeData::from_csv_reader`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, otherwise as [`LifetimeData::from_csv_reader`].
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_csv_reader(open(path.as_ref())?)
    }

    /// Reads lifetimes from CSV with a header. Required columns: `duration` (a whole number,
    /// at least 1) and `churned` (`0`/`1` or `true`/`false`, any case); optional: `weight` (or
    /// `weights`). Other columns are ignored; surrounding whitespace is trimmed.
    ///
    /// ```
    /// use clv::data::LifetimeData;
    /// let csv = "id,duration,churned\n1,3,1\n2,7,false\n";
    /// let data = LifetimeData::from_csv_reader(csv.as_bytes())?;
    /// assert_eq!(data.durations(), &[3, 7]);
    /// assert_eq!(data.churned(), &[true, false]);
    /// let bad = "duration,churned\n3,1\n2,yes\n";
    /// let err = LifetimeData::from_csv_reader(bad.as_bytes()).unwrap_err();
    /// assert!(err.to_string().contains("row 3, field `churned`"));
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty file or one without data rows;
    /// [`Error::InvalidData`] (row 1) for a missing required column or a column named twice
    /// (`weight` beside `weights` included); [`Error::InvalidData`] with the line, field and
    /// value for a duration that is not a whole number in `1..=`[`MAX_DURATION`], a `churned`
    /// that is not 0/1/true/false, a weight that fails the checks of
    /// [`LifetimeData::from_columns`], a row with too few or too many fields, or text that is
    /// not UTF-8 in a column used; [`Error::Io`] when reading fails.
    pub fn from_csv_reader(reader: impl Read) -> Result<Self> {
        let mut csv = Csv::new(reader, b',', "duration,churned")?;
        let cd = csv.require(&["duration"])?;
        let cc = csv.require(&["churned"])?;
        let cw = csv.find(&["weight", "weights"])?;
        let (mut d, mut c, mut w) = (Vec::new(), Vec::new(), Vec::new());
        while let Some(line) = csv.next_row()? {
            let (duration, text) = csv.count(&cd)?;
            let duration =
                check_duration(line, duration).map_err(|e| with_text(e, &[("duration", text)]))?;
            d.push(duration);
            let text = csv.text(&cc)?;
            c.push(parse_flag(text).ok_or_else(|| {
                Error::data(line, "churned", text, "churned must be 0, 1, true or false")
            })?);
            w.push(match &cw {
                Some(col) => {
                    let (v, text) = csv.number(col)?;
                    check_weight(line, &col.name, v)
                        .map_err(|e| with_text(e, &[(col.name.as_str(), text)]))?
                }
                None => 1.0,
            });
        }
        if d.is_empty() {
            return Err(csv.no_rows("customers"));
        }
        Ok(LifetimeData {
            duration: d,
            churned: c,
            weight: w,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.duration.len()
    }

    /// Always `false`: empty data is rejected at construction.
    pub fn is_empty(&self) -> bool {
        self.duration.is_empty()
    }

    /// Number of customers: the sum of the weights.
    pub fn n_customers(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// Periods observed, one per row.
    pub fn durations(&self) -> &[u32] {
        &self.duration
    }

    /// Whether each row churned at the end of its last observed period.
    pub fn churned(&self) -> &[bool] {
        &self.churned
    }

    /// Weights (customers per row); all 1 unless given.
    pub fn weights(&self) -> &[f64] {
        &self.weight
    }

    /// The longest observed duration.
    pub fn max_duration(&self) -> u32 {
        self.duration.iter().copied().max().unwrap_or(0)
    }

    /// Merges identical `(duration, churned)` rows into one row whose weight is the sum of
    /// theirs, sorted by `(duration, churned)` (censored before churned) whatever the input
    /// order.
    ///
    /// ```
    /// use clv::data::LifetimeData;
    /// let data = LifetimeData::new(vec![5, 1, 5, 3], vec![false, true, false, true])?;
    /// let c = data.compress();
    /// assert_eq!(c.durations(), &[1, 3, 5]);
    /// assert_eq!(c.weights(), &[1.0, 1.0, 2.0]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn compress(&self) -> LifetimeData {
        let groups = group(
            self.len(),
            |i| (self.duration[i], self.churned[i]),
            |i| self.weight[i],
        );
        LifetimeData {
            duration: pick(&self.duration, &groups.first),
            churned: pick(&self.churned, &groups.first),
            weight: groups.weight,
        }
    }
}

/// Contractual data of either shape, as read from a CSV file whose header decides the kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ContractualData {
    /// Cohort survival counts (`period,alive[,cohort]`).
    Cohorts(CohortData),
    /// Individual lifetimes (`duration,churned[,weight]`).
    Lifetimes(LifetimeData),
}

impl ContractualData {
    /// Reads a CSV file; see [`ContractualData::from_csv_reader`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, otherwise as [`ContractualData::from_csv_reader`].
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_csv_reader(open(path.as_ref())?)
    }

    /// Reads CSV text, detecting its kind from the header: columns `duration` and `churned` mean
    /// [`LifetimeData`], columns `period` and `alive` mean [`CohortData`].
    ///
    /// ```
    /// use clv::data::ContractualData;
    /// let data = ContractualData::from_csv_reader("period,alive\n0,10\n1,7\n".as_bytes())?;
    /// assert!(matches!(data, ContractualData::Cohorts(_)));
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty file; [`Error::InvalidData`] (row 1) when the header
    /// has neither pair of columns, or both (ambiguous); otherwise as the reader of the detected
    /// kind.
    pub fn from_csv_reader(mut reader: impl Read) -> Result<Self> {
        let mut text = Vec::new();
        reader.read_to_end(&mut text)?;
        let csv = Csv::new(text.as_slice(), b',', "period,alive` or `duration,churned")?;
        let lifetimes = csv.has("duration") && csv.has("churned");
        let cohorts = csv.has("period") && csv.has("alive");
        match (lifetimes, cohorts) {
            (true, false) => {
                LifetimeData::from_csv_reader(text.as_slice()).map(ContractualData::Lifetimes)
            }
            (false, true) => {
                CohortData::from_csv_reader(text.as_slice()).map(ContractualData::Cohorts)
            }
            (true, true) => Err(Error::data(
                1,
                "header",
                csv.header_text(),
                "the header has both `period,alive` (cohort survival counts) and \
                 `duration,churned` (individual lifetimes): ambiguous, keep one pair",
            )),
            (false, false) => Err(Error::data(
                1,
                "header",
                csv.header_text(),
                "expected columns `period,alive` (cohort survival counts, optional `cohort`) \
                 or `duration,churned` (individual lifetimes, optional `weight`)",
            )),
        }
    }

    /// The data as (compressed) lifetimes, the form the likelihood uses.
    pub fn to_lifetimes(&self) -> LifetimeData {
        match self {
            ContractualData::Cohorts(c) => c.to_lifetimes(),
            ContractualData::Lifetimes(l) => l.compress(),
        }
    }

    /// Number of customers.
    pub fn n_customers(&self) -> f64 {
        match self {
            ContractualData::Cohorts(c) => c.n_customers(),
            ContractualData::Lifetimes(l) => l.n_customers(),
        }
    }
}

/// A lifetime in periods: a whole number in `1..=MAX_DURATION`.
fn check_duration(row: usize, v: f64) -> Result<u32> {
    let d = check_count(row, "duration", v)?;
    if d < 1.0 {
        return Err(Error::data(
            row,
            "duration",
            show(d),
            "duration must be a whole number >= 1 (the number of periods observed)",
        ));
    }
    if d > f64::from(MAX_DURATION) {
        return Err(Error::data(
            row,
            "duration",
            show(d),
            format!("duration must be at most {MAX_DURATION} periods"),
        ));
    }
    Ok(d as u32)
}

fn parse_flag(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}
