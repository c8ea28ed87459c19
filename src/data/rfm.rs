//! Recency/frequency/monetary summaries.

use std::io::Read;
use std::path::Path;

use super::table::{Table, Wanted, open, read_numeric, rename_field};
use crate::error::{Error, Result};

/// One customer's purchase history in a noncontractual setting.
///
/// * `frequency` `x`: the number of *repeat* transactions in `(0, T]` (a whole number);
/// * `recency` `t_x`: the time of the last repeat transaction, measured from the first purchase
///   (0 when `x = 0`);
/// * `age` `T`: the time from the first purchase to the end of the observation period.
///
/// Time is in the caller's unit (days, weeks, ...); predictions come back in the same unit.
///
/// ```
/// use clv::Customer;
/// let c = Customer::new(2.0, 30.43, 38.86)?;
/// assert_eq!(c.frequency(), 2.0);
/// assert!(Customer::new(1.0, 40.0, 38.86).is_err()); // recency after the end of observation
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Customer {
    frequency: f64,
    recency: f64,
    age: f64,
}

impl Customer {
    /// A validated customer `(x, t_x, T)`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] (row 1) when a value is NaN or infinite, negative, `x` is not a
    /// whole number, `t_x > T`, `x = 0` with `t_x != 0`, or `T = 0`.
    pub fn new(frequency: f64, recency: f64, age: f64) -> Result<Self> {
        validate_row(1, frequency, recency, age)?;
        Ok(Customer {
            frequency,
            recency,
            age,
        })
    }

    /// Builds without validation: only for values that already passed [`validate_row`].
    pub(crate) fn new_unchecked(frequency: f64, recency: f64, age: f64) -> Self {
        Customer {
            frequency,
            recency,
            age,
        }
    }

    /// Number of repeat transactions `x`.
    pub fn frequency(&self) -> f64 {
        self.frequency
    }

    /// Time of the last repeat transaction since the first purchase, `t_x`.
    pub fn recency(&self) -> f64 {
        self.recency
    }

    /// Time since the first purchase to the end of observation, `T`.
    pub fn age(&self) -> f64 {
        self.age
    }
}

/// Checks one `(x, t_x, T)` triple; `row` is used in the error.
pub(crate) fn validate_row(row: usize, x: f64, t_x: f64, t: f64) -> Result<()> {
    check_number(row, "frequency", x)?;
    check_number(row, "recency", t_x)?;
    check_number(row, "T", t)?;
    if x.fract() != 0.0 {
        return Err(Error::data(
            row,
            "frequency",
            x,
            "frequency must be a whole number",
        ));
    }
    if t == 0.0 {
        return Err(Error::data(row, "T", t, "T must be > 0"));
    }
    if t_x > t {
        return Err(Error::data(
            row,
            "recency",
            t_x,
            format!("recency must not exceed T = {t}"),
        ));
    }
    if x == 0.0 && t_x != 0.0 {
        return Err(Error::data(
            row,
            "recency",
            t_x,
            "recency must be 0 when frequency is 0",
        ));
    }
    Ok(())
}

/// Checks that a value is finite and non-negative.
fn check_number(row: usize, field: &str, v: f64) -> Result<()> {
    if !v.is_finite() {
        return Err(Error::data(row, field, v, "value must be a finite number"));
    }
    if v < 0.0 {
        return Err(Error::data(row, field, v, "value must not be negative"));
    }
    Ok(())
}

/// Validated recency/frequency (and optionally monetary) summaries of a customer base.
///
/// Each row is one customer, or, with weights, a group of identical customers. Columns:
/// frequency `x` (repeat transactions), recency `t_x`, age `T`, an optional monetary value
/// (the mean value of the repeat transactions) and an optional weight (how many customers the
/// row stands for; 1 by default).
///
/// Every value is checked once, here; an error names the row, the field and the value. Fitting
/// first [compresses](RfmData::compress) identical rows into weighted ones, so the cost of a fit
/// grows with the number of distinct rows.
///
/// ```
/// use clv::RfmData;
/// let data = RfmData::new(vec![2.0, 0.0, 5.0], vec![30.43, 0.0, 35.1], vec![38.86, 38.86, 38.86])?;
/// assert_eq!(data.len(), 3);
/// let err = RfmData::new(vec![1.0], vec![40.0], vec![38.0]).unwrap_err();
/// assert!(err.to_string().contains("row 1, field `recency`"));
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RfmData {
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    monetary: Option<Vec<f64>>,
    weight: Vec<f64>,
}

impl RfmData {
    /// Builds validated data from the columns `x`, `t_x` and `T` (rows numbered from 1 in errors).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the data is empty or the columns differ in length;
    /// [`Error::InvalidData`] naming the row, field and value for NaN or infinite values,
    /// negative values, a non-integer frequency, recency > T, frequency 0 with recency != 0, or T = 0.
    pub fn new(frequency: Vec<f64>, recency: Vec<f64>, age: Vec<f64>) -> Result<Self> {
        Self::from_columns(frequency, recency, age, None, None)
    }

    /// Builds validated data from all columns; `monetary_value` and `weight` are optional.
    ///
    /// # Errors
    /// As [`RfmData::new`], plus: a negative, NaN or infinite monetary value, and a weight that is
    /// not finite and > 0.
    pub fn from_columns(
        frequency: Vec<f64>,
        recency: Vec<f64>,
        age: Vec<f64>,
        monetary_value: Option<Vec<f64>>,
        weight: Option<Vec<f64>>,
    ) -> Result<Self> {
        let n = frequency.len();
        super::check_columns(
            n,
            "frequency",
            &[
                ("recency", Some(recency.len())),
                ("T", Some(age.len())),
                ("monetary_value", monetary_value.as_ref().map(Vec::len)),
                ("weight", weight.as_ref().map(Vec::len)),
            ],
        )?;
        let data = RfmData {
            frequency,
            recency,
            age,
            monetary: monetary_value,
            weight: weight.unwrap_or_else(|| vec![1.0; n]),
        };
        data.validate(|i| i + 1)?;
        Ok(data)
    }

    /// Validates every row; `row_number(i)` gives the number an error reports for row index `i`.
    fn validate(&self, row_number: impl Fn(usize) -> usize) -> Result<()> {
        for i in 0..self.len() {
            let row = row_number(i);
            validate_row(row, self.frequency[i], self.recency[i], self.age[i])?;
            if let Some(m) = &self.monetary {
                check_number(row, "monetary_value", m[i])?;
            }
            let w = self.weight[i];
            if !(w.is_finite() && w > 0.0) {
                return Err(Error::data(
                    row,
                    "weight",
                    w,
                    "weight must be finite and > 0",
                ));
            }
        }
        Ok(())
    }

    /// Reads a CSV file with a header; see [`RfmData::from_csv_reader`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, otherwise as [`RfmData::from_csv_reader`].
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_csv_reader(open(path.as_ref())?)
    }

    /// Reads CSV text with a header row. Required columns: `frequency`, `recency`, `T`;
    /// optional: `monetary_value` and `weight` (or `weights`). Columns may come in any order;
    /// other columns are ignored. Surrounding whitespace is trimmed.
    ///
    /// Errors name the line of the file (the header is line 1), the column and the value.
    ///
    /// ```
    /// use clv::RfmData;
    /// let csv = "id,T,recency,frequency\n1,38.86,30.43,2\n2,38.86,0,0\n";
    /// let data = RfmData::from_csv_reader(csv.as_bytes())?;
    /// assert_eq!(data.frequency(), &[2.0, 0.0]);
    /// let bad = "frequency,recency,T\n1,2,3\n1,x,3\n";
    /// let err = RfmData::from_csv_reader(bad.as_bytes()).unwrap_err();
    /// assert!(err.to_string().contains("row 3, field `recency`"));
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidData`] (row 1) for a missing required column; [`Error::InvalidData`] with
    /// the line, field and value for a value that does not parse or fails the checks of
    /// [`RfmData::from_columns`]; [`Error::InvalidInput`] for a file without data rows;
    /// [`Error::Io`] for malformed CSV.
    pub fn from_csv_reader(reader: impl Read) -> Result<Self> {
        let want = |names, required| Wanted { names, required };
        let table = read_numeric(
            reader,
            &[
                want(&["frequency"], true),
                want(&["recency"], true),
                want(&["T"], true),
                want(&["monetary_value"], false),
                want(&["weight", "weights"], false),
            ],
        )?;
        let Table { columns, lines } = table;
        let mut columns = columns.into_iter();
        let mut next = || columns.next().flatten();
        // The three required columns are present: `read_numeric` checked the header.
        let (Some((_, x)), Some((_, tx)), Some((_, t))) = (next(), next(), next()) else {
            return Err(Error::InvalidInput("a required column is missing".into()));
        };
        let m = next().map(|(_, v)| v);
        let w = next();
        let w_name = w
            .as_ref()
            .map_or_else(|| "weight".to_string(), |(name, _)| name.clone());
        let n = x.len();
        let data = RfmData {
            frequency: x,
            recency: tx,
            age: t,
            monetary: m,
            weight: w.map_or_else(|| vec![1.0; n], |(_, v)| v),
        };
        data.validate(|i| lines[i])
            .map_err(|e| rename_field(e, "weight", &w_name))?;
        Ok(data)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    /// Always `false`: empty data is rejected at construction.
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// Number of customers: the sum of the weights.
    pub fn n_customers(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// Frequencies `x` (repeat transactions), one per row.
    pub fn frequency(&self) -> &[f64] {
        &self.frequency
    }

    /// Recencies `t_x`, one per row.
    pub fn recency(&self) -> &[f64] {
        &self.recency
    }

    /// Ages `T`, one per row.
    pub fn age(&self) -> &[f64] {
        &self.age
    }

    /// Monetary values (mean value of repeat transactions), when the data has them.
    pub fn monetary_value(&self) -> Option<&[f64]> {
        self.monetary.as_deref()
    }

    /// Weights (customers per row); all 1 unless given.
    pub fn weights(&self) -> &[f64] {
        &self.weight
    }

    /// Checks that at least one customer made a repeat purchase: without one, a transaction
    /// model's purchase and dropout processes cannot be told apart and its fit has no maximum.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when every frequency is 0.
    pub(crate) fn require_repeat_purchases(&self, model: &str) -> Result<()> {
        if self.frequency.iter().any(|&x| x > 0.0) {
            Ok(())
        } else {
            Err(Error::InvalidInput(format!(
                "no customer made a repeat purchase (every frequency is 0): the {model} model \
                 cannot be fitted to these data"
            )))
        }
    }

    /// The customer `(x, t_x, T)` in row `i` (0-based), or `None` past the end.
    pub fn customer(&self, i: usize) -> Option<Customer> {
        (i < self.len())
            .then(|| Customer::new_unchecked(self.frequency[i], self.recency[i], self.age[i]))
    }

    /// The customers `(x, t_x, T)` row by row.
    pub fn customers(&self) -> impl ExactSizeIterator<Item = Customer> + '_ {
        (0..self.len())
            .map(|i| Customer::new_unchecked(self.frequency[i], self.recency[i], self.age[i]))
    }

    /// The same data without its monetary column.
    pub fn without_monetary_value(&self) -> RfmData {
        RfmData {
            monetary: None,
            ..self.clone()
        }
    }

    /// Merges identical rows (equal in every column present) into one row whose weight is the sum
    /// of theirs. Rows come out sorted by (frequency, recency, T, monetary value).
    ///
    /// ```
    /// use clv::RfmData;
    /// let data = RfmData::new(vec![1.0, 0.0, 0.0], vec![2.0, 0.0, 0.0], vec![5.0, 5.0, 5.0])?;
    /// let c = data.compress();
    /// assert_eq!(c.len(), 2);
    /// assert_eq!(c.frequency(), &[0.0, 1.0]);
    /// assert_eq!(c.weights(), &[2.0, 1.0]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn compress(&self) -> RfmData {
        self.compress_with_index().0
    }

    /// As [`RfmData::compress`], also returning for each original row the index of its row in the
    /// compressed data (to expand per-row results back to the input order).
    pub fn compress_with_index(&self) -> (RfmData, Vec<usize>) {
        // Non-negative finite floats order like their bit patterns; + 0.0 folds -0.0 into 0.0.
        let bits = |v: f64| (v + 0.0).to_bits();
        let key = |i: usize| {
            let m = self.monetary.as_ref().map_or(0, |m| bits(m[i]));
            (
                bits(self.frequency[i]),
                bits(self.recency[i]),
                bits(self.age[i]),
                m,
            )
        };
        let mut keyed: Vec<((u64, u64, u64, u64), usize)> =
            (0..self.len()).map(|i| (key(i), i)).collect();
        keyed.sort_unstable();
        let mut out = RfmData {
            frequency: Vec::new(),
            recency: Vec::new(),
            age: Vec::new(),
            monetary: self.monetary.as_ref().map(|_| Vec::new()),
            weight: Vec::new(),
        };
        let mut index = vec![0; self.len()];
        let mut last = None;
        for &(k, i) in &keyed {
            if last != Some(k) {
                out.frequency.push(self.frequency[i]);
                out.recency.push(self.recency[i]);
                out.age.push(self.age[i]);
                if let (Some(m), Some(om)) = (&self.monetary, out.monetary.as_mut()) {
                    om.push(m[i]);
                }
                out.weight.push(0.0);
                last = Some(k);
            }
            let row = out.weight.len() - 1;
            out.weight[row] += self.weight[i];
            index[i] = row;
        }
        (out, index)
    }
}
