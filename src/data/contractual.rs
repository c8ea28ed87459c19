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

use super::table::{csv_reader, open};
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
    /// a count that is NaN, infinite, negative or not a whole number, a first count of 0, or a
    /// count larger than the one before it.
    pub fn new(alive: Vec<f64>) -> Result<Self> {
        validate_counts(&alive, |t| t + 1)?;
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
}

/// Checks survival counts; `row(t)` is the row number reported for period `t`.
fn validate_counts(alive: &[f64], row: impl Fn(usize) -> usize) -> Result<()> {
    if alive.len() < 2 {
        return Err(Error::InvalidInput(format!(
            "a cohort needs counts for at least periods 0 and 1, got {} value(s)",
            alive.len()
        )));
    }
    for (t, &a) in alive.iter().enumerate() {
        check_count(row(t), "alive", a)?;
        if t == 0 && a == 0.0 {
            return Err(Error::data(
                row(t),
                "alive",
                a,
                "a cohort must start (period 0) with a positive number of customers",
            ));
        }
        if t > 0 && a > alive[t - 1] {
            return Err(Error::data(
                row(t),
                "alive",
                a,
                format!(
                    "survivor counts must not increase: period {t} has more customers than \
                     period {} ({})",
                    t - 1,
                    alive[t - 1]
                ),
            ));
        }
    }
    Ok(())
}

/// Checks that `v` is a finite, non-negative whole number.
fn check_count(row: usize, field: &str, v: f64) -> Result<()> {
    if !v.is_finite() {
        return Err(Error::data(row, field, v, "value must be a finite number"));
    }
    if v < 0.0 {
        return Err(Error::data(row, field, v, "value must not be negative"));
    }
    if v.fract() != 0.0 {
        return Err(Error::data(
            row,
            field,
            v,
            "value must be a whole number (a count of customers)",
        ));
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
/// // churned in period 1 (369 + 300), in period 2 (163); active after 2 (468) and after 1 (500)
/// let lifetimes = data.to_lifetimes();
/// assert_eq!(lifetimes.len(), 4);
/// assert_eq!(lifetimes.weights(), &[669.0, 163.0, 468.0, 500.0]);
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
        let (mut d, mut c, mut w) = (Vec::new(), Vec::new(), Vec::new());
        for cohort in &self.cohorts {
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
    /// its period-0 line); [`Error::Io`] for malformed CSV.
    pub fn from_csv_reader(reader: impl Read) -> Result<Self> {
        let mut rdr = csv_reader(reader);
        let header = read_header(&mut rdr)?;
        let ip = required(&header, "period")?;
        let ia = required(&header, "alive")?;
        let ic = header.iter().position(|h| h == "cohort");

        // Per cohort (first-appearance order): name, counts, line of each count.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<(String, Vec<f64>, Vec<usize>)> = Vec::new();
        let mut record = csv::StringRecord::new();
        let mut n_rows = 0usize;
        while rdr.read_record(&mut record)? {
            n_rows += 1;
            let line = line_of(&record, n_rows);
            let name = ic.map_or("", |i| record.get(i).unwrap_or("")).to_string();
            let period = parse_number(&record, ip, "period", line)?;
            let alive = parse_number(&record, ia, "alive", line)?;
            let g = *index.entry(name.clone()).or_insert_with(|| {
                groups.push((name.clone(), Vec::new(), Vec::new()));
                groups.len() - 1
            });
            let (_, counts, lines) = &mut groups[g];
            let expected = counts.len();
            if period != expected as f64 {
                let who = if ic.is_some() {
                    format!(" of cohort {name:?}")
                } else {
                    String::new()
                };
                return Err(Error::data(
                    line,
                    "period",
                    record.get(ip).unwrap_or(""),
                    format!(
                        "periods{who} must be 0, 1, 2, ... in order: expected period {expected}"
                    ),
                ));
            }
            counts.push(alive);
            lines.push(line);
        }
        if groups.is_empty() {
            return Err(Error::InvalidInput(
                "no cohorts: the CSV has a header but no data rows".into(),
            ));
        }
        let mut cohorts = Vec::with_capacity(groups.len());
        for (name, counts, lines) in groups {
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
            validate_counts(&counts, |t| lines[t])?;
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
    /// [`Error::InvalidData`] naming the row, field and value for a duration of 0 or a weight
    /// that is not finite and > 0.
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
            if self.duration[i] == 0 {
                return Err(Error::data(
                    row(i),
                    "duration",
                    0,
                    "duration must be >= 1 (the number of periods observed)",
                ));
            }
            let w = self.weight[i];
            if !(w.is_finite() && w > 0.0) {
                return Err(Error::data(
                    row(i),
                    weight_name,
                    w,
                    "weight must be finite and > 0",
                ));
            }
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
    /// [`Error::InvalidData`] (row 1) for a missing required column; [`Error::InvalidData`] with
    /// the line, field and value for a duration that is not a whole number in `1..=4294967295`,
    /// a `churned` that is not 0/1/true/false, or a weight that is not finite and > 0;
    /// [`Error::Io`] for malformed CSV.
    pub fn from_csv_reader(reader: impl Read) -> Result<Self> {
        let mut rdr = csv_reader(reader);
        let header = read_header(&mut rdr)?;
        let id = required(&header, "duration")?;
        let ic = required(&header, "churned")?;
        let iw = header.iter().position(|h| h == "weight" || h == "weights");
        let w_name = iw.map(|i| header[i].to_string()).unwrap_or_default();

        let (mut d, mut c, mut w, mut lines) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut record = csv::StringRecord::new();
        while rdr.read_record(&mut record)? {
            let line = line_of(&record, lines.len() + 1);
            let duration = parse_number(&record, id, "duration", line)?;
            if duration.fract() != 0.0 || !(1.0..=f64::from(u32::MAX)).contains(&duration) {
                return Err(Error::data(
                    line,
                    "duration",
                    record.get(id).unwrap_or(""),
                    "duration must be a whole number >= 1 (the number of periods observed)",
                ));
            }
            d.push(duration as u32);
            let text = record.get(ic).unwrap_or("");
            c.push(parse_flag(text).ok_or_else(|| {
                Error::data(line, "churned", text, "churned must be 0, 1, true or false")
            })?);
            if let Some(i) = iw {
                w.push(parse_number(&record, i, &w_name, line)?);
            }
            lines.push(line);
        }
        if d.is_empty() {
            return Err(Error::InvalidInput(
                "no customers: the CSV has a header but no data rows".into(),
            ));
        }
        let n = d.len();
        let data = LifetimeData {
            duration: d,
            churned: c,
            weight: if iw.is_some() { w } else { vec![1.0; n] },
        };
        data.validate(|i| lines[i], &w_name)?;
        Ok(data)
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
    /// theirs, in order of first appearance.
    pub fn compress(&self) -> LifetimeData {
        let mut index: HashMap<(u32, bool), usize> = HashMap::new();
        let (mut d, mut c, mut w) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..self.len() {
            let key = (self.duration[i], self.churned[i]);
            match index.get(&key) {
                Some(&k) => w[k] += self.weight[i],
                None => {
                    index.insert(key, d.len());
                    d.push(key.0);
                    c.push(key.1);
                    w.push(self.weight[i]);
                }
            }
        }
        LifetimeData {
            duration: d,
            churned: c,
            weight: w,
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
    /// has neither pair of columns; otherwise as the reader of the detected kind.
    pub fn from_csv_reader(mut reader: impl Read) -> Result<Self> {
        let mut text = Vec::new();
        reader.read_to_end(&mut text)?;
        let header = read_header(&mut csv_reader(text.as_slice()))?;
        let has = |name: &str| header.iter().any(|h| h == name);
        if has("duration") && has("churned") {
            LifetimeData::from_csv_reader(text.as_slice()).map(ContractualData::Lifetimes)
        } else if has("period") && has("alive") {
            CohortData::from_csv_reader(text.as_slice()).map(ContractualData::Cohorts)
        } else {
            Err(Error::data(
                1,
                "header",
                header.iter().collect::<Vec<_>>().join(","),
                "expected columns `period,alive` (cohort survival counts, optional `cohort`) \
                 or `duration,churned` (individual lifetimes, optional `weight`)",
            ))
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

/// The header, or an error for an empty file.
fn read_header<R: Read>(rdr: &mut csv::Reader<R>) -> Result<csv::StringRecord> {
    let header = rdr.headers()?.clone();
    if header.iter().all(str::is_empty) {
        return Err(Error::InvalidInput(
            "the CSV is empty: no header and no data".into(),
        ));
    }
    Ok(header)
}

fn required(header: &csv::StringRecord, name: &str) -> Result<usize> {
    header.iter().position(|h| h == name).ok_or_else(|| {
        Error::data(
            1,
            name,
            header.iter().collect::<Vec<_>>().join(","),
            format!("required column `{name}` is missing from the header"),
        )
    })
}

/// The file line of a record (the header is line 1); `n` is the 1-based record count.
fn line_of(record: &csv::StringRecord, n: usize) -> usize {
    record.position().map_or(n + 1, |p| p.line() as usize)
}

fn parse_number(record: &csv::StringRecord, i: usize, name: &str, line: usize) -> Result<f64> {
    let text = record.get(i).unwrap_or("");
    text.parse::<f64>()
        .map_err(|_| Error::data(line, name, text, "not a number"))
        .and_then(|v| {
            if v.is_finite() {
                Ok(v)
            } else {
                Err(Error::data(
                    line,
                    name,
                    text,
                    "value must be a finite number",
                ))
            }
        })
}

fn parse_flag(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}
