//! Transaction logs and the summaries built from them.
//!
//! A [`TransactionLog`] holds one row per transaction: a customer id (any string), a time (a
//! calendar date, a date and time, or a plain number) and optionally an amount. It is read from
//! CSV with [`TransactionReader`] (configurable column names, delimiter and [`TimeFormat`]) or
//! from CDNOW's raw whitespace-separated format with [`TransactionLog::from_cdnow_reader`].
//!
//! [`TransactionLog::summarize`] turns it into the validated [`RfmData`] every model fits, and
//! [`TransactionLog::calibration_holdout`] splits it at a cut-off into a calibration summary plus
//! each customer's holdout transactions (a [`CalibrationHoldout`]), the input of
//! [`crate::diagnostics`].
//!
//! ## Periods and units
//! Times are first grouped into *periods* of a given length (a day, a week, ...), see
//! [`Periods`]: all transactions of a customer in the same period are merged into one purchase,
//! as in Fader, Hardie & Lee's CDNOW data (same-day purchases merged). Then, per customer with
//! first purchase in period `p₀`:
//!
//! * frequency `x` = number of distinct purchase periods after `p₀` up to the cut-off period `p_c`;
//! * recency `t_x` = `(p_last − p₀) · length / unit`, with `p_last` the last of those periods
//!   (`t_x = 0` when `x = 0`);
//! * age `T` = `(p_c − p₀) · length / unit`;
//! * monetary value = the mean over the `x` repeat periods of the amount spent in each period
//!   (0 when `x = 0`).
//!
//! Every time is thus measured between period *starts*: with days as periods and weeks as unit,
//! `T = (cut-off date − first purchase date) / 7`, exactly the CDNOW rule. Customers whose first
//! purchase falls in or after the cut-off period (so `T` would be 0 or negative) are left out and
//! counted.
//!
//! Times of dates are days since 1970-01-01 (a date and time is a fractional day); the civil
//! calendar is the proleptic Gregorian one, parsed without any external crate.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::Path;

use super::limits::{MAX_TIME, MAX_TRACKING_STEPS, show, with_text};
use super::table::Csv;
use crate::data::RfmData;
use crate::error::{Error, Result};

/// How the time column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TimeFormat {
    /// ISO 8601 date `YYYY-MM-DD`, optionally followed by `T` or a space and a time of day
    /// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` (and an optional trailing `Z`). Read as days since
    /// 1970-01-01 (fractional with a time of day).
    #[default]
    IsoDate,
    /// Compact date `YYYYMMDD` (as in the CDNOW log). Read as days since 1970-01-01.
    CompactDate,
    /// A plain number, in whatever unit the caller chooses (days, weeks, hours, ...).
    Numeric,
}

impl TimeFormat {
    /// Parses one time value; `None` when it is not valid in this format.
    pub fn parse(self, text: &str) -> Option<f64> {
        match self {
            TimeFormat::IsoDate => parse_iso(text.as_bytes()),
            TimeFormat::CompactDate => parse_compact(text.as_bytes()),
            TimeFormat::Numeric => text.parse::<f64>().ok().filter(|v| v.is_finite()),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            TimeFormat::IsoDate => "not a date in the form YYYY-MM-DD[THH:MM[:SS]]",
            TimeFormat::CompactDate => "not a date in the form YYYYMMDD",
            TimeFormat::Numeric => "not a finite number",
        }
    }
}

/// Days since 1970-01-01 of the civil (proleptic Gregorian) date `y-m-d`, or `None` for an
/// invalid date (month outside 1..=12, day outside the month, year outside ±1,000,000).
///
/// ```
/// use clv::data::days_from_civil;
/// assert_eq!(days_from_civil(1970, 1, 1), Some(0));
/// assert_eq!(days_from_civil(1997, 9, 30), Some(10134));
/// assert_eq!(days_from_civil(2000, 2, 29), Some(11016));
/// assert_eq!(days_from_civil(1999, 2, 29), None);
/// ```
pub fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || year.abs() > 1_000_000 {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day > days_in_month {
        return None;
    }
    // Howard Hinnant's `days_from_civil`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01 (inverse of
/// [`days_from_civil`]).
///
/// ```
/// use clv::data::civil_from_days;
/// assert_eq!(civil_from_days(10134), (1997, 9, 30));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Parses `n` ASCII digits.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn parse_compact(b: &[u8]) -> Option<f64> {
    if b.len() != 8 {
        return None;
    }
    let y = digits(&b[..4])?;
    let m = digits(&b[4..6])?;
    let d = digits(&b[6..8])?;
    days_from_civil(i64::from(y), m, d).map(|v| v as f64)
}

fn parse_iso(b: &[u8]) -> Option<f64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[..4])?;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let day = days_from_civil(i64::from(y), m, d)? as f64;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(day);
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return None;
    }
    let mut time = &rest[1..];
    if let Some(stripped) = time.strip_suffix(b"Z") {
        time = stripped;
    }
    // HH:MM[:SS[.fff]]
    if time.len() < 5 || time[2] != b':' {
        return None;
    }
    let hh = digits(&time[..2])?;
    let mm = digits(&time[3..5])?;
    let mut seconds = 0.0;
    if time.len() > 5 {
        if time[5] != b':' || time.len() < 8 {
            return None;
        }
        let ss = digits(&time[6..8])?;
        seconds = f64::from(ss);
        if time.len() > 8 {
            if time[8] != b'.' {
                return None;
            }
            let frac = &time[9..];
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            seconds += f64::from(digits(frac)?) / 10f64.powi(frac.len() as i32);
        }
    }
    if hh > 23 || mm > 59 || seconds >= 61.0 {
        return None;
    }
    Some(day + (f64::from(hh) * 3600.0 + f64::from(mm) * 60.0 + seconds) / 86_400.0)
}

/// A log of transactions: customer id, time and (optionally) amount per row.
///
/// Customer ids are interned: each distinct id is stored once, in order of first appearance, and
/// each transaction refers to it by index. Times are in the log's time axis (days since
/// 1970-01-01 for dates, the caller's unit for numbers).
///
/// ```
/// use clv::data::{Periods, TransactionLog};
/// let log = TransactionLog::new(
///     ["a", "a", "b", "a"],
///     vec![0.0, 3.0, 1.0, 3.0], // days
///     Some(vec![10.0, 5.0, 7.0, 1.0]),
/// )?;
/// let summary = log.summarize(&Periods::days(), 10.0)?;
/// // customer a: first purchase on day 0, one repeat day (day 3, two transactions merged)
/// assert_eq!(summary.data().frequency(), &[1.0, 0.0]);
/// assert_eq!(summary.data().recency(), &[3.0, 0.0]);
/// assert_eq!(summary.data().age(), &[10.0, 9.0]);
/// assert_eq!(summary.data().monetary_value().unwrap(), &[6.0, 0.0]);
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionLog {
    ids: Vec<String>,
    customer: Vec<u32>,
    time: Vec<f64>,
    amount: Option<Vec<f64>>,
    /// Whether times are dates (days since 1970-01-01): used to show times in messages.
    dates: bool,
}

/// Checks one transaction; `row` is used in the error.
fn check_transaction(row: usize, id: &str, time: f64, amount: Option<f64>) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::data(
            row,
            "customer_id",
            format!("{id:?}"),
            "customer id is missing",
        ));
    }
    check_time(row, "time", time)?;
    if let Some(a) = amount {
        check_amount(row, "amount", a)?;
    }
    Ok(())
}

/// A transaction time: finite and at most [`MAX_TIME`] in absolute value.
fn check_time(row: usize, field: &str, time: f64) -> Result<()> {
    if !time.is_finite() {
        return Err(Error::data(
            row,
            field,
            show(time),
            "time must be a finite number",
        ));
    }
    if time.abs() > MAX_TIME {
        return Err(Error::data(
            row,
            field,
            show(time),
            "time must lie within ±2^53 = ±9007199254740992 (use a larger time unit)",
        ));
    }
    Ok(())
}

fn check_amount(row: usize, field: &str, a: f64) -> Result<()> {
    if !a.is_finite() {
        return Err(Error::data(
            row,
            field,
            show(a),
            "amount must be a finite number",
        ));
    }
    if a < 0.0 {
        return Err(Error::data(
            row,
            field,
            show(a),
            "amount must not be negative",
        ));
    }
    super::limits::check_amount(row, field, a)?;
    Ok(())
}

/// Interns customer ids: distinct ids in order of first appearance.
#[derive(Default)]
struct Interner {
    index: HashMap<String, u32>,
    ids: Vec<String>,
}

impl Interner {
    fn get(&mut self, id: &str) -> Result<u32> {
        if let Some(&k) = self.index.get(id) {
            return Ok(k);
        }
        let k = u32::try_from(self.ids.len())
            .map_err(|_| Error::InvalidInput("more than 2³² distinct customer ids".into()))?;
        self.index.insert(id.to_string(), k);
        self.ids.push(id.to_string());
        Ok(k)
    }
}

impl TransactionLog {
    /// Builds a log from one customer id, time and (optionally) amount per transaction; errors
    /// number the transactions from 1.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty log or columns of unequal length;
    /// [`Error::InvalidData`] for an empty customer id, a time that is not finite or lies
    /// beyond ±[`MAX_TIME`](crate::data::limits::MAX_TIME) (whole numbers are no longer exact
    /// there), or an amount that is negative, not finite or subnormal.
    ///
    /// ```
    /// use clv::data::TransactionLog;
    /// let err = TransactionLog::new(["a", "a"], vec![0.0, 1e300], None).unwrap_err();
    /// assert!(err.to_string().contains("row 2, field `time`"));
    /// ```
    pub fn new<S: AsRef<str>>(
        customer_ids: impl IntoIterator<Item = S>,
        times: Vec<f64>,
        amounts: Option<Vec<f64>>,
    ) -> Result<Self> {
        let mut interner = Interner::default();
        let mut customer = Vec::with_capacity(times.len());
        for (i, id) in customer_ids.into_iter().enumerate() {
            let id = id.as_ref();
            let time = times.get(i).copied().unwrap_or(0.0);
            check_transaction(
                i + 1,
                id,
                time,
                amounts.as_ref().and_then(|a| a.get(i).copied()),
            )?;
            customer.push(interner.get(id)?);
        }
        Self::assemble(interner.ids, customer, times, amounts)
    }

    /// Builds a log from distinct customer ids and, per transaction, the index of its customer in
    /// `ids`, its time and (optionally) its amount. The fastest way to build a large log.
    ///
    /// # Errors
    /// As [`TransactionLog::new`], plus [`Error::InvalidData`] (field `customer`) for an index
    /// past the end of `ids`, and [`Error::InvalidInput`] for duplicate ids.
    pub fn from_indexed(
        ids: Vec<String>,
        customer: Vec<u32>,
        times: Vec<f64>,
        amounts: Option<Vec<f64>>,
    ) -> Result<Self> {
        for (k, id) in ids.iter().enumerate() {
            if id.trim().is_empty() {
                return Err(Error::data(
                    k + 1,
                    "customer_id",
                    format!("{id:?}"),
                    "customer id is missing",
                ));
            }
        }
        let mut seen = std::collections::HashSet::with_capacity(ids.len());
        if let Some(dup) = ids.iter().find(|id| !seen.insert(id.as_str())) {
            return Err(Error::InvalidInput(format!(
                "customer id {dup:?} appears twice in the id list"
            )));
        }
        if customer.len() != times.len() {
            return Err(Error::InvalidInput(format!(
                "{} customer indices but {} times",
                customer.len(),
                times.len()
            )));
        }
        for (i, (&c, &t)) in customer.iter().zip(&times).enumerate() {
            if c as usize >= ids.len() {
                return Err(Error::data(
                    i + 1,
                    "customer",
                    c,
                    format!("index past the {} customer ids", ids.len()),
                ));
            }
            check_time(i + 1, "time", t)?;
        }
        if let Some(a) = &amounts {
            for (i, &v) in a.iter().enumerate() {
                check_amount(i + 1, "amount", v)?;
            }
        }
        Self::assemble(ids, customer, times, amounts)
    }

    fn assemble(
        ids: Vec<String>,
        customer: Vec<u32>,
        time: Vec<f64>,
        amount: Option<Vec<f64>>,
    ) -> Result<Self> {
        if time.is_empty() {
            return Err(Error::InvalidInput(
                "no transactions: the log is empty".into(),
            ));
        }
        if customer.len() != time.len() {
            return Err(Error::InvalidInput(format!(
                "{} customer ids but {} times",
                customer.len(),
                time.len()
            )));
        }
        if let Some(a) = &amount {
            if a.len() != time.len() {
                return Err(Error::InvalidInput(format!(
                    "{} amounts but {} times",
                    a.len(),
                    time.len()
                )));
            }
        }
        Ok(TransactionLog {
            ids,
            customer,
            time,
            amount,
            dates: false,
        })
    }

    /// Reads CDNOW's raw log format: whitespace-separated columns without a header — master
    /// customer id, sample id, date `YYYYMMDD`, number of CDs, dollar value — one transaction per
    /// line (`data/CDNOW_sample.txt`). Blank lines are skipped; errors name the line.
    ///
    /// ```
    /// use clv::data::TransactionLog;
    /// let text = " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n";
    /// let log = TransactionLog::from_cdnow_reader(text.as_bytes())?;
    /// assert_eq!(log.len(), 2);
    /// assert_eq!(log.n_customers(), 1);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a line with fewer than 5 fields (field `columns`), an
    /// unparsable date or an amount that is not a non-negative number; [`Error::InvalidInput`]
    /// for a log without transactions; [`Error::Io`] when reading fails.
    pub fn from_cdnow_reader(reader: impl Read) -> Result<Self> {
        let mut reader = std::io::BufReader::new(reader);
        let mut interner = Interner::default();
        let (mut customer, mut time, mut amount) = (Vec::new(), Vec::new(), Vec::new());
        let mut line = String::new();
        let mut line_no = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                break;
            }
            line_no += 1;
            let mut fields = line.split_ascii_whitespace();
            let Some(id) = fields.next() else { continue };
            let (_, date, _, dollars) = match (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            ) {
                (Some(s), Some(d), Some(c), Some(v)) => (s, d, c, v),
                _ => {
                    return Err(Error::data(
                        line_no,
                        "columns",
                        format!("{:?}", line.trim_end()),
                        "expected 5 whitespace-separated fields: id, sample id, YYYYMMDD, CDs, dollars",
                    ));
                }
            };
            let t = TimeFormat::CompactDate.parse(date).ok_or_else(|| {
                Error::data(
                    line_no,
                    "date",
                    format!("{date:?}"),
                    TimeFormat::CompactDate.describe(),
                )
            })?;
            let v: f64 = dollars.parse().map_err(|_| {
                Error::data(line_no, "dollars", format!("{dollars:?}"), "not a number")
            })?;
            check_amount(line_no, "dollars", v)?;
            customer.push(interner.get(id)?);
            time.push(t);
            amount.push(v);
        }
        let mut log = Self::assemble(interner.ids, customer, time, Some(amount))?;
        log.dates = true;
        Ok(log)
    }

    /// Reads CDNOW's raw log format from a file; see [`TransactionLog::from_cdnow_reader`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened, otherwise as
    /// [`TransactionLog::from_cdnow_reader`].
    pub fn from_cdnow_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Io(format!("cannot open {}: {e}", path.display())))?;
        Self::from_cdnow_reader(file)
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Always `false`: an empty log is rejected at construction.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Number of distinct customers.
    pub fn n_customers(&self) -> usize {
        self.ids.len()
    }

    /// Distinct customer ids, in order of first appearance.
    pub fn customer_ids(&self) -> &[String] {
        &self.ids
    }

    /// Per transaction, the index of its customer in [`TransactionLog::customer_ids`].
    pub fn customer_indices(&self) -> &[u32] {
        &self.customer
    }

    /// Per transaction, its time (days since 1970-01-01 for dates).
    pub fn times(&self) -> &[f64] {
        &self.time
    }

    /// Per transaction, its amount, when the log has amounts.
    pub fn amounts(&self) -> Option<&[f64]> {
        self.amount.as_deref()
    }

    /// A time for messages: the date for logs read with a date format, else the number.
    fn show(&self, t: f64) -> String {
        if self.dates && t.abs() < 1e9 {
            let (y, m, d) = civil_from_days(t.floor() as i64);
            format!("{y:04}-{m:02}-{d:02}")
        } else {
            t.to_string()
        }
    }

    /// Earliest and latest transaction time.
    pub fn time_range(&self) -> (f64, f64) {
        self.time
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &t| {
                (lo.min(t), hi.max(t))
            })
    }

    /// The per-customer summary at `observation_end` (a time on the log's axis, e.g.
    /// [`days_from_civil`] for dates): transactions after the end are ignored. See the
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
            ids: split.ids,
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
    /// [`MAX_TIME`](crate::data::limits::MAX_TIME) units; [`Error::InvalidData`] naming the
    /// transaction (numbered from 1) for a transaction time whose period number lies beyond
    /// ±2⁵³; [`Error::InvalidInput`] when no customer made a first purchase before the cut-off
    /// period, or when the log spans more than
    /// [`MAX_TRACKING_STEPS`](crate::data::limits::MAX_TRACKING_STEPS) unit steps (the tracking
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
        let calibration =
            RfmData::from_columns(out.x, out.t_x, out.age, has_amount.then_some(out.m), None)?;
        Ok(CalibrationHoldout {
            ids: out
                .ids
                .iter()
                .map(|&k| self.ids[k as usize].clone())
                .collect(),
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

/// How times are grouped into purchase periods and in which unit recency and age are measured.
///
/// A time `t` on the log's axis lies in period `⌊(t − origin) / length⌋`; durations are
/// differences of period indices times `length / unit`. For dates the axis is days since
/// 1970-01-01 (a Thursday), so `length = 1` merges same-day purchases, `length = 7` merges
/// purchases in the same week (weeks starting on the weekday of `origin`), and `unit = 7`
/// reports recency and age in weeks.
///
/// ```
/// use clv::data::Periods;
/// let p = Periods::new(1.0, 7.0)?; // daily periods, times in weeks (the CDNOW rule)
/// assert_eq!(p, Periods::days_in_weeks());
/// assert!(Periods::new(0.0, 7.0).is_err());
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Periods {
    length: f64,
    unit: f64,
    origin: f64,
}

impl Periods {
    /// Periods of `length` (on the log's time axis), durations reported in units of `unit` (on
    /// the same axis), origin 0.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless both are finite and > 0.
    pub fn new(length: f64, unit: f64) -> Result<Self> {
        Ok(Periods {
            length: crate::error::check_positive("length", length)?,
            unit: crate::error::check_positive("unit", unit)?,
            origin: 0.0,
        })
    }

    /// The same periods aligned to start at `origin` (e.g. a Monday for weeks starting on Monday:
    /// 1970-01-05 is day 4).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite origin.
    pub fn with_origin(self, origin: f64) -> Result<Self> {
        if !origin.is_finite() {
            return Err(Error::param("origin", origin, "must be finite"));
        }
        Ok(Periods { origin, ..self })
    }

    /// Dates: daily periods (same-day purchases merged), durations in days.
    pub fn days() -> Self {
        Periods {
            length: 1.0,
            unit: 1.0,
            origin: 0.0,
        }
    }

    /// Dates: daily periods (same-day purchases merged), durations in weeks (the CDNOW rule of
    /// Fader, Hardie & Lee).
    pub fn days_in_weeks() -> Self {
        Periods {
            length: 1.0,
            unit: 7.0,
            origin: 0.0,
        }
    }

    /// Dates: weekly periods starting on Mondays, durations in weeks.
    pub fn weeks() -> Self {
        Periods {
            length: 7.0,
            unit: 7.0,
            origin: 4.0,
        }
    }

    /// Period length on the log's time axis.
    pub fn length(&self) -> f64 {
        self.length
    }

    /// The unit of recency and age, on the log's time axis.
    pub fn unit(&self) -> f64 {
        self.unit
    }

    /// Start of period 0 on the log's time axis.
    pub fn origin(&self) -> f64 {
        self.origin
    }

    /// The period a time lies in.
    fn index(&self, t: f64) -> i64 {
        ((t - self.origin) / self.length).floor() as i64
    }

    /// The period a time lies in, or `None` when its number is beyond ±2⁵³ (not exact).
    fn checked_index(&self, t: f64) -> Option<i64> {
        let p = ((t - self.origin) / self.length).floor();
        (p.abs() <= MAX_TIME).then_some(p as i64)
    }
}

/// A per-customer summary built by [`TransactionLog::summarize`].
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    ids: Vec<String>,
    data: RfmData,
    first_purchase: Vec<f64>,
    n_excluded: usize,
}

impl Summary {
    /// The validated summary `(x, t_x, T[, monetary value])`, one row per included customer in
    /// order of first appearance in the log.
    pub fn data(&self) -> &RfmData {
        &self.data
    }

    /// The summary, by value.
    pub fn into_data(self) -> RfmData {
        self.data
    }

    /// Customer id of each row of [`Summary::data`].
    pub fn customer_ids(&self) -> &[String] {
        &self.ids
    }

    /// Per row, the time of the first purchase in the summary's unit, measured from the start of
    /// the log's earliest purchase period.
    pub fn first_purchase(&self) -> &[f64] {
        &self.first_purchase
    }

    /// Customers left out because their first purchase falls in or after the period of the
    /// observation end.
    pub fn n_excluded(&self) -> usize {
        self.n_excluded
    }
}

/// A calibration/holdout split built by [`TransactionLog::calibration_holdout`]: the
/// calibration summary and, per customer, what happened in the holdout period.
///
/// Times are in the unit of the [`Periods`] used. *Tracking time* is measured from the start of
/// the log's earliest purchase period: the calibration period ends at
/// [`CalibrationHoldout::calibration_end`] and the holdout at [`CalibrationHoldout::holdout_end`].
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationHoldout {
    ids: Vec<String>,
    calibration: RfmData,
    holdout_transactions: Vec<f64>,
    holdout_duration: f64,
    first_purchase: Vec<f64>,
    calibration_end: f64,
    holdout_end: f64,
    actual_per_step: Vec<f64>,
    n_excluded: usize,
}

impl CalibrationHoldout {
    /// The calibration summary `(x, t_x, T[, monetary value])`, one row per customer whose first
    /// purchase precedes the cut-off period, in order of first appearance in the log.
    pub fn calibration(&self) -> &RfmData {
        &self.calibration
    }

    /// Customer id of each row.
    pub fn customer_ids(&self) -> &[String] {
        &self.ids
    }

    /// Number of customers in the calibration summary.
    pub fn n_customers(&self) -> usize {
        self.ids.len()
    }

    /// Per row, the number of repeat transactions (distinct purchase periods) after the cut-off
    /// period, up to and including the period of the holdout end.
    pub fn holdout_transactions(&self) -> &[f64] {
        &self.holdout_transactions
    }

    /// Length of the holdout period, `(p_end − p_cut) · length / unit`: the horizon `t` of each
    /// customer's conditional expectation `E[Y(t) | x, t_x, T]`. Every customer of the
    /// calibration summary was acquired before the cut-off, so it is the same for all of them.
    pub fn holdout_duration(&self) -> f64 {
        self.holdout_duration
    }

    /// Per row, the time of the first purchase in tracking time.
    pub fn first_purchase(&self) -> &[f64] {
        &self.first_purchase
    }

    /// End of the cut-off period in tracking time (each customer's `T` runs from the start of
    /// the first purchase period to the *start* of the cut-off period, one period earlier).
    pub fn calibration_end(&self) -> f64 {
        self.calibration_end
    }

    /// End of the holdout period (the end of the period of the holdout end) in tracking time.
    pub fn holdout_end(&self) -> f64 {
        self.holdout_end
    }

    /// Actual repeat transactions (distinct purchase periods after each customer's first) per
    /// unit step of tracking time, over calibration and holdout: element `k` counts those at
    /// tracking times in `[k, k + 1)`.
    pub fn actual_repeat_transactions_per_step(&self) -> &[f64] {
        &self.actual_per_step
    }

    /// Customers left out because their first purchase falls in or after the cut-off period.
    pub fn n_excluded(&self) -> usize {
        self.n_excluded
    }
}

/// Reads a [`TransactionLog`] from CSV with a header, with configurable column names, delimiter
/// and [`TimeFormat`]. Defaults: columns `customer_id`, `date` and no amount, comma-separated,
/// [`TimeFormat::IsoDate`]. Other columns are ignored; fields are trimmed.
///
/// ```
/// use clv::data::{TimeFormat, TransactionReader};
/// let csv = "user;when;value\nu1;3.5;10\nu2;4;2.5\nu1;7.25;1\n";
/// let log = TransactionReader::new()
///     .customer_column("user")
///     .time_column("when")
///     .amount_column("value")
///     .time_format(TimeFormat::Numeric)
///     .delimiter(b';')
///     .from_reader(csv.as_bytes())?;
/// assert_eq!(log.n_customers(), 2);
/// assert_eq!(log.times(), &[3.5, 4.0, 7.25]);
/// let bad = "customer_id,date\nu1,2024-02-30\n";
/// let err = TransactionReader::new().from_reader(bad.as_bytes()).unwrap_err();
/// assert!(err.to_string().contains("row 2, field `date`"));
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TransactionReader {
    customer: String,
    time: String,
    amount: Option<String>,
    format: TimeFormat,
    delimiter: u8,
}

impl Default for TransactionReader {
    fn default() -> Self {
        Self::new()
    }
}

impl TransactionReader {
    /// The default configuration: `customer_id`, `date` (ISO dates), no amount, commas.
    pub fn new() -> Self {
        TransactionReader {
            customer: "customer_id".into(),
            time: "date".into(),
            amount: None,
            format: TimeFormat::IsoDate,
            delimiter: b',',
        }
    }

    /// Name of the customer-id column.
    pub fn customer_column(mut self, name: impl Into<String>) -> Self {
        self.customer = name.into();
        self
    }

    /// Name of the time column.
    pub fn time_column(mut self, name: impl Into<String>) -> Self {
        self.time = name.into();
        self
    }

    /// Name of the amount column (required when set).
    pub fn amount_column(mut self, name: impl Into<String>) -> Self {
        self.amount = Some(name.into());
        self
    }

    /// Reads the amount column when the header has it, and no amounts otherwise.
    pub fn optional_amount_column(mut self, name: impl Into<String>) -> Self {
        self.amount = Some(format!("?{}", name.into()));
        self
    }

    /// How the time column is written.
    pub fn time_format(mut self, format: TimeFormat) -> Self {
        self.format = format;
        self
    }

    /// Field delimiter (default `b','`).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Reads a CSV file; see [`TransactionReader::from_reader`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened, otherwise as [`TransactionReader::from_reader`].
    pub fn from_path(&self, path: impl AsRef<Path>) -> Result<TransactionLog> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Io(format!("cannot open {}: {e}", path.display())))?;
        self.from_reader(std::io::BufReader::new(file))
    }

    /// Reads CSV text with a header. Errors name the line of the file (the header is line 1),
    /// the column and the value. Only the columns used are decoded: a byte that is not UTF-8 in
    /// another column does not matter.
    ///
    /// # Errors
    /// [`Error::InvalidData`] (row 1) for a missing column or a column named twice;
    /// [`Error::InvalidData`] with line, column and value for an empty customer id, an
    /// unparsable time, a numeric time beyond ±[`MAX_TIME`](crate::data::limits::MAX_TIME), an
    /// amount that is not a non-negative number, a row with too few or too many fields, or text
    /// that is not UTF-8 in a column used; [`Error::InvalidInput`] for a file without data rows;
    /// [`Error::Io`] when reading fails.
    pub fn from_reader(&self, reader: impl Read) -> Result<TransactionLog> {
        let expected = format!("{},{}", self.customer, self.time);
        let mut csv = Csv::new(reader, self.delimiter, &expected)?;
        let ic = csv.require(&[self.customer.as_str()])?;
        let it = csv.require(&[self.time.as_str()])?;
        let ia = match &self.amount {
            Some(name) => match name.strip_prefix('?') {
                Some(optional) => csv.find(&[optional])?,
                None => Some(csv.require(&[name.as_str()])?),
            },
            None => None,
        };
        let mut interner = Interner::default();
        let (mut customer, mut time) = (Vec::new(), Vec::new());
        let mut amount = ia.as_ref().map(|_| Vec::new());
        while let Some(line) = csv.next_row()? {
            let id = csv.text(&ic)?;
            if id.is_empty() {
                return Err(Error::data(
                    line,
                    &self.customer,
                    "\"\"",
                    "customer id is missing",
                ));
            }
            let k = interner.get(id)?;
            let text = csv.text(&it)?;
            let t = self.format.parse(text).ok_or_else(|| {
                Error::data(
                    line,
                    &self.time,
                    format!("{text:?}"),
                    self.format.describe(),
                )
            })?;
            check_time(line, &self.time, t).map_err(|e| with_text(e, &[(&self.time, text)]))?;
            if let (Some(col), Some(a)) = (&ia, amount.as_mut()) {
                let (v, text) = csv.number(col)?;
                check_amount(line, &col.name, v)
                    .map_err(|e| with_text(e, &[(col.name.as_str(), text)]))?;
                a.push(v + 0.0);
            }
            customer.push(k);
            time.push(t);
        }
        if time.is_empty() {
            return Err(Error::InvalidInput(format!(
                "no transactions: the CSV has a header (line 1: `{}`) but no data rows",
                csv.header_text()
            )));
        }
        let mut log = TransactionLog::assemble(interner.ids, customer, time, amount)?;
        log.dates = self.format != TimeFormat::Numeric;
        Ok(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
        }
        assert_eq!(days_from_civil(1997, 1, 1), Some(9862));
        assert_eq!(days_from_civil(1900, 2, 29), None);
        assert_eq!(days_from_civil(2000, 13, 1), None);
        assert_eq!(days_from_civil(2000, 4, 31), None);
    }

    #[test]
    fn parses_times() {
        let iso = TimeFormat::IsoDate;
        assert_eq!(iso.parse("1970-01-02"), Some(1.0));
        assert_eq!(iso.parse("1970-01-01T12:00"), Some(0.5));
        assert_eq!(iso.parse("1970-01-01 06:00:00Z"), Some(0.25));
        assert_eq!(iso.parse("1970-01-01T00:00:43.2"), Some(0.0005));
        for bad in [
            "",
            "1970-1-01",
            "1970/01/01",
            "1970-01-01X",
            "1970-01-01T25:00",
            "abcd-01-01",
            "1970-01-01T12",
        ] {
            assert_eq!(iso.parse(bad), None, "{bad}");
        }
        assert_eq!(TimeFormat::CompactDate.parse("19970930"), Some(10134.0));
        assert_eq!(TimeFormat::CompactDate.parse("1997093"), None);
        assert_eq!(TimeFormat::CompactDate.parse("19970931"), None);
        assert_eq!(TimeFormat::Numeric.parse("2.5"), Some(2.5));
        assert_eq!(TimeFormat::Numeric.parse("inf"), None);
    }

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
