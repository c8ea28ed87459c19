//! The transaction log: its type, constructors, checks and accessors.

use super::time::civil_from_days;
use crate::data::limits::{MAX_TIME, show};
use crate::error::{Error, Result};

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
    pub(super) ids: Vec<String>,
    pub(super) customer: Vec<u32>,
    pub(super) time: Vec<f64>,
    pub(super) amount: Option<Vec<f64>>,
    /// Whether times are dates (days since 1970-01-01): used to show times in messages.
    pub(super) dates: bool,
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
pub(super) fn check_time(row: usize, field: &str, time: f64) -> Result<()> {
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

pub(super) fn check_amount(row: usize, field: &str, a: f64) -> Result<()> {
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
    crate::data::limits::check_amount(row, field, a)?;
    Ok(())
}

/// Interns customer ids: distinct ids in order of first appearance.
///
/// The ids are kept end to end in one byte buffer and found through a table of their indices,
/// hashed with `foldhash` (fast, not built against chosen collisions, which a log of customers
/// does not need): a lookup allocates nothing, a new id costs its bytes.
#[derive(Default)]
pub(super) struct Interner {
    table: hashbrown::HashTable<u32>,
    /// The ids' bytes, end to end.
    bytes: Vec<u8>,
    /// Per id, the end of its bytes in `bytes`.
    ends: Vec<usize>,
    hasher: foldhash::fast::FixedState,
}

/// The bytes of id `k` among ids stored end to end in `bytes`, id `j` ending at `ends[j]`.
fn id_bytes<'a>(bytes: &'a [u8], ends: &[usize], k: u32) -> &'a [u8] {
    let k = k as usize;
    let start = k.checked_sub(1).map_or(0, |j| ends[j]);
    &bytes[start..ends[k]]
}

impl Interner {
    /// The index of `id`, a new one for an id not seen before.
    pub(super) fn get(&mut self, id: &str) -> Result<u32> {
        use std::hash::BuildHasher;
        let Interner {
            table,
            bytes,
            ends,
            hasher,
        } = self;
        let hash = hasher.hash_one(id.as_bytes());
        if let Some(&k) = table.find(hash, |&k| id_bytes(bytes, ends, k) == id.as_bytes()) {
            return Ok(k);
        }
        let k = u32::try_from(ends.len())
            .map_err(|_| Error::InvalidInput("more than 2³² distinct customer ids".into()))?;
        table.insert_unique(hash, k, |&j| hasher.hash_one(id_bytes(bytes, ends, j)));
        bytes.extend_from_slice(id.as_bytes());
        ends.push(bytes.len());
        Ok(k)
    }

    /// The id of index `k` as text.
    pub(super) fn text(&self, k: u32) -> String {
        // Every id was a `&str`: its bytes are UTF-8.
        String::from_utf8_lossy(id_bytes(&self.bytes, &self.ends, k)).into_owned()
    }

    /// The distinct ids in order of first appearance.
    pub(super) fn into_ids(self) -> Vec<String> {
        (0..self.ends.len()).map(|k| self.text(k as u32)).collect()
    }
}

impl TransactionLog {
    /// Builds a log from one customer id, time and (optionally) amount per transaction; errors
    /// number the transactions from 1.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty log or columns of unequal length;
    /// [`Error::InvalidData`] for an empty customer id, a time that is not finite or lies
    /// beyond ±[`MAX_TIME`] (whole numbers are no longer exact
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
        Self::assemble(interner.into_ids(), customer, times, amounts)
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

    pub(super) fn assemble(
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
    pub(super) fn show(&self, t: f64) -> String {
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
}
