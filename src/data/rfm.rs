//! Recency/frequency/monetary summaries.

use std::io::Read;
use std::path::Path;

use super::columns::{Covariates, check_covariate, check_id_column, check_ids, find_id_column};
use super::compress::{ColumnsRow, float_key, group, pick};
use super::limits::{
    MAX_COUNT, MAX_TIME, MAX_WEIGHT, check_amount, check_count, check_time, check_weight, show,
    with_text,
};
use super::table::{Column, Csv, open, plain_count, plain_number, rename_field};
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
    /// The checks are those of [`RfmData::new`] but one: `t_x = 0` with `x > 0` is accepted
    /// here, as the point where every prediction takes its limit `t_x → 0⁺` (the corner of a
    /// P(alive) grid over recency, for instance). As *data* it is impossible in continuous time,
    /// and it makes the likelihood of a fit unbounded, so [`RfmData`] refuses it.
    ///
    /// ```
    /// use clv::Customer;
    /// let err = Customer::new(2.5, 1.0, 10.0).unwrap_err();
    /// assert!(err.to_string().contains("row 1, field `frequency`"));
    /// let err = Customer::new(2.0, 1.0, 1e308).unwrap_err();
    /// assert!(err.to_string().contains("row 1, field `T`"));
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidData`] (row 1) when a value is NaN or infinite, negative, `x` is not a
    /// whole number or exceeds [`MAX_COUNT`], a time exceeds
    /// [`MAX_TIME`] or is subnormal, `t_x > T`, `x = 0` with
    /// `t_x != 0`, or `T = 0`.
    pub fn new(frequency: f64, recency: f64, age: f64) -> Result<Self> {
        let (frequency, recency, age) = validate_row(1, frequency, recency, age)?;
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

/// Checks one `(x, t_x, T)` triple; `row` is used in the error. Returns the values with `-0`
/// folded into `0`.
pub(crate) fn validate_row(row: usize, x: f64, t_x: f64, t: f64) -> Result<(f64, f64, f64)> {
    let x = check_count(row, "frequency", x)?;
    let t_x = check_time(row, "recency", t_x)?;
    let t = check_time(row, "T", t)?;
    if t == 0.0 {
        return Err(Error::data(row, "T", show(t), "T must be > 0"));
    }
    if t_x > t {
        return Err(Error::data(
            row,
            "recency",
            show(t_x),
            format!("recency must not exceed T = {}", show(t)),
        ));
    }
    if x == 0.0 && t_x != 0.0 {
        return Err(Error::data(
            row,
            "recency",
            show(t_x),
            "recency must be 0 when frequency is 0",
        ));
    }
    Ok((x, t_x, t))
}

/// Checks one row of [`RfmData`]; returns the values with `-0` folded into `0`.
pub(crate) fn check_row(
    row: usize,
    x: f64,
    t_x: f64,
    t: f64,
    m: Option<f64>,
    w: f64,
) -> Result<(f64, f64, f64, Option<f64>, f64)> {
    let (x, t_x, t) = validate_row(row, x, t_x, t)?;
    if x > 0.0 && t_x == 0.0 {
        return Err(Error::data(
            row,
            "recency",
            show(t_x),
            format!(
                "recency must be > 0 when frequency is {} (repeat purchases at the moment of \
                 the first are impossible in continuous time, and the likelihood has no maximum)",
                show(x)
            ),
        ));
    }
    let m = match m {
        Some(m) => Some(check_monetary(row, x, m)?),
        None => None,
    };
    let w = check_weight(row, "weight", w)?;
    Ok((x, t_x, t, m, w))
}

/// Whether [`check_row`] accepts the row `(x, t_x, T)` of weight `w` (without a monetary value)
/// and gives it back unchanged (no `-0` to fold): comparisons only, for the hot loop of a
/// reader; a row that does not pass is left to [`check_row`], which finds its error or folds it.
#[inline]
pub(crate) fn plainly_valid(x: f64, t_x: f64, t: f64, w: f64) -> bool {
    let positive = |v: f64, max: f64| (f64::MIN_POSITIVE..=max).contains(&v);
    let zero = |v: f64| v == 0.0 && v.is_sign_positive();
    x.is_sign_positive()
        && x <= MAX_COUNT
        && x.fract() == 0.0
        && (zero(t_x) || positive(t_x, MAX_TIME))
        && positive(t, MAX_TIME)
        && t_x <= t
        && (x == 0.0) == (t_x == 0.0)
        && positive(w, MAX_WEIGHT)
}

/// The columns of a customer-summary CSV (`frequency`, `recency`, `T` — or `n` or `periods` —
/// optional `monetary_value` and `weight`/`weights`) and the reading of one row of them: the
/// one row reader of [`RfmData::from_csv_reader`] and [`RfmData::from_csv_reader_compressed`].
pub(crate) struct SummaryColumns {
    x: Column,
    t_x: Column,
    t: Column,
    pub(crate) monetary: Option<Column>,
    weight: Option<Column>,
}

impl SummaryColumns {
    /// Finds the columns in the header of `csv` (`monetary_value` only when `monetary`).
    ///
    /// Errors: as [`Csv::require`] and [`Csv::find`].
    pub(crate) fn find<R: Read>(csv: &Csv<R>, monetary: bool) -> Result<Self> {
        let x = csv.require(&["frequency"])?;
        let t_x = csv.require(&["recency"])?;
        let t = csv.require(&["T", "n", "periods"])?;
        let monetary = if monetary {
            csv.find(&["monetary_value"])?
        } else {
            None
        };
        let weight = csv.find(&["weight", "weights"])?;
        Ok(Self {
            x,
            t_x,
            t,
            monetary,
            weight,
        })
    }

    /// Reads and checks ([`check_row`]) the current row of `csv`, at file line `line`: errors
    /// carry the field's text and the file's names of `T` and the weight column.
    pub(crate) fn read<R: Read>(
        &self,
        csv: &Csv<R>,
        line: usize,
    ) -> Result<(f64, f64, f64, Option<f64>, f64)> {
        let (x, x_text) = csv.count(&self.x)?;
        let (t_x, tx_text) = csv.number(&self.t_x)?;
        let (t, t_text) = csv.number(&self.t)?;
        let (m, m_text) = match &self.monetary {
            Some(c) => csv.number(c).map(|(v, s)| (Some(v), s))?,
            None => (None, ""),
        };
        let (w, w_text) = match &self.weight {
            Some(c) => csv.number(c)?,
            None => (1.0, "1"),
        };
        let texts = [
            ("frequency", x_text),
            ("recency", tx_text),
            ("T", t_text),
            ("monetary_value", m_text),
            ("weight", w_text),
        ];
        let w_name = self.weight.as_ref().map_or("weight", |c| c.name.as_str());
        check_row(line, x, t_x, t, m, w)
            .map_err(|e| rename_field(with_text(e, &texts), "weight", w_name))
            .map_err(|e| rename_field(e, "T", &self.t.name))
    }

    /// Reads and checks the row of `fields` (a plain record split at its delimiters) as
    /// [`SummaryColumns::read`] reads a row; `None` where that gives an error.
    pub(crate) fn read_plain(&self, fields: &[&[u8]]) -> Option<(f64, f64, f64, Option<f64>, f64)> {
        let field = |c: &Column| fields.get(c.index).copied().unwrap_or_default();
        let x = plain_count(field(&self.x))?;
        let t_x = plain_number(field(&self.t_x))?;
        let t = plain_number(field(&self.t))?;
        let m = match &self.monetary {
            Some(c) => Some(plain_number(field(c))?),
            None => None,
        };
        let w = match &self.weight {
            Some(c) => plain_number(field(c))?,
            None => 1.0,
        };
        if m.is_none() && plainly_valid(x, t_x, t, w) {
            return Some((x, t_x, t, None, w));
        }
        check_row(0, x, t_x, t, m, w).ok()
    }
}

/// Checks a mean repeat-transaction value `m` of a customer with `x` repeat transactions: a
/// finite amount whose total `x·m` is finite too.
pub(crate) fn check_monetary(row: usize, x: f64, m: f64) -> Result<f64> {
    let m = check_amount(row, "monetary_value", m)?;
    if !(x * m).is_finite() {
        return Err(Error::data(
            row,
            "monetary_value",
            show(m),
            format!(
                "the total repeat spend frequency × monetary_value = {} × {} overflows",
                show(x),
                show(m)
            ),
        ));
    }
    Ok(m)
}

/// Validated recency/frequency (and optionally monetary) summaries of a customer base: the
/// customer table every noncontractual model fits and predicts on.
///
/// Each row is one customer, or, with weights, a group of identical customers. Columns:
/// frequency `x` (repeat transactions), recency `t_x`, age `T`, an optional monetary value
/// (the mean value of the repeat transactions), an optional weight (how many customers the
/// row stands for; 1 by default), optional customer ids ([`RfmData::with_ids`], distinct
/// strings) and optional named covariates ([`RfmData::with_covariates`], finite numbers).
///
/// Every value is checked once, here; an error names the row, the field and the value. Rows can
/// be [selected](RfmData::select) or [filtered](RfmData::filter) keeping every column. Fitting
/// first [compresses](RfmData::compress) identical rows into weighted ones, so the cost of a fit
/// grows with the number of distinct rows; [`RfmData::distinct_customers`] gives the distinct
/// `(x, t_x, T, covariates)` rows of a batch prediction and the map back to the input rows (and
/// so to their ids).
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
    ids: Option<Vec<String>>,
    covariates: Covariates,
}

impl RfmData {
    /// Builds validated data from the columns `x`, `t_x` and `T` (rows numbered from 1 in errors).
    ///
    /// The bounds are those of [`crate::data::limits`]: frequencies are whole numbers up to
    /// 2⁵³ − 1, times at most 2⁵³.
    ///
    /// ```
    /// use clv::RfmData;
    /// // frequency 2 with recency 0: impossible in continuous time
    /// let err = RfmData::new(vec![1.0, 2.0], vec![3.0, 0.0], vec![5.0, 5.0]).unwrap_err();
    /// assert!(err.to_string().contains("row 2, field `recency`"));
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the data is empty or the columns differ in length;
    /// [`Error::InvalidData`] naming the row, field and value for: NaN or infinite values,
    /// negative values, a frequency that is not a whole number or exceeds
    /// [`MAX_COUNT`], a time above
    /// [`MAX_TIME`] or below 2.2e-308 (subnormal) but not 0,
    /// recency > T, frequency 0 with recency != 0, frequency > 0 with recency 0, or T = 0.
    pub fn new(frequency: Vec<f64>, recency: Vec<f64>, age: Vec<f64>) -> Result<Self> {
        Self::from_columns(frequency, recency, age, None, None)
    }

    /// Builds validated data from all columns; `monetary_value` and `weight` are optional.
    ///
    /// # Errors
    /// As [`RfmData::new`], plus: a monetary value that is negative, NaN, infinite or subnormal,
    /// or whose product with the frequency (the total repeat spend) overflows; a weight that is
    /// not finite and > 0, is subnormal, or exceeds
    /// [`MAX_WEIGHT`].
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
        let weight = weight.unwrap_or_else(|| vec![1.0; n]);
        // Checked (and `-0` folded) row by row below.
        let mut data = RfmData::from_checked(frequency, recency, age, monetary_value, weight, None);
        for i in 0..n {
            let m = data.monetary.as_ref().map(|m| m[i]);
            let (x, t_x, t, m, w) = check_row(
                i + 1,
                data.frequency[i],
                data.recency[i],
                data.age[i],
                m,
                data.weight[i],
            )?;
            (data.frequency[i], data.recency[i], data.age[i]) = (x, t_x, t);
            if let (Some(col), Some(m)) = (data.monetary.as_mut(), m) {
                col[i] = m;
            }
            data.weight[i] = w;
        }
        Ok(data)
    }

    /// Rows read and checked already (each by [`check_row`], the ids by
    /// [`check_ids`]), without covariates: the data as given, checking nothing.
    pub(crate) fn from_checked(
        frequency: Vec<f64>,
        recency: Vec<f64>,
        age: Vec<f64>,
        monetary: Option<Vec<f64>>,
        weight: Vec<f64>,
        ids: Option<Vec<String>>,
    ) -> Self {
        RfmData {
            frequency,
            recency,
            age,
            monetary,
            weight,
            ids,
            covariates: Covariates::default(),
        }
    }

    /// Reads a CSV file with a header; see [`RfmData::from_csv_reader`]. A plain file is
    /// parsed on every core ([`RfmData::from_plain_csv_reader`]); any other, or one with an
    /// error, is read (again) by [`RfmData::from_csv_reader`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, otherwise as [`RfmData::from_csv_reader`].
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_csv_path_with_covariates(path, &[])
    }

    /// Reads CSV text with a header row. Required columns: `frequency`, `recency`, `T` (or `n`,
    /// or `periods`: the number of opportunities of discrete-time data, see [`crate::BgBb`]; a
    /// header with two of them is an error); optional: `monetary_value`, `weight` (or `weights`) and customer ids `customer_id` (or
    /// `id`; with both, `customer_id` is read). Columns may come in any order; other columns are
    /// ignored. Surrounding whitespace is trimmed.
    ///
    /// Errors name the line of the file (the header is line 1), the column and the value.
    ///
    /// ```
    /// use clv::RfmData;
    /// let csv = "id,T,recency,frequency\n1,38.86,30.43,2\n2,38.86,0,0\n";
    /// let data = RfmData::from_csv_reader(csv.as_bytes())?;
    /// assert_eq!(data.frequency(), &[2.0, 0.0]);
    /// assert_eq!(data.id(1), Some("2"));
    /// let bad = "frequency,recency,T\n1,2,3\n1,x,3\n";
    /// let err = RfmData::from_csv_reader(bad.as_bytes()).unwrap_err();
    /// assert!(err.to_string().contains("row 3, field `recency`"));
    /// // discrete-time data: `n` opportunities in place of `T`
    /// let bgbb = RfmData::from_csv_reader("frequency,recency,n\n2,5,6\n".as_bytes())?;
    /// assert_eq!(bgbb.age(), &[6.0]);
    /// assert!(RfmData::from_csv_reader("frequency,recency,T,n\n2,5,6,6\n".as_bytes()).is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidData`] (row 1) for a missing required column, or a column named twice
    /// (`weight` beside `weights`, or two of `T`, `n`, `periods`, included);
    /// [`Error::InvalidData`] with the line, field and value for a value that does not parse, a
    /// row with too few or too many fields, text that is not UTF-8 in a column used, or a value that fails the checks of
    /// [`RfmData::from_columns`] (a frequency written as a decimal that is not a whole number,
    /// such as `1.0000000000000001`, included), or a customer id that is blank or repeats an
    /// earlier row's (both lines named); [`Error::InvalidInput`] for a file without data rows;
    /// [`Error::Io`] when reading fails.
    pub fn from_csv_reader(reader: impl Read) -> Result<Self> {
        Self::from_csv_reader_with_covariates(reader, &[])
    }

    /// As [`RfmData::from_csv_reader`], also reading the named columns as covariates (see
    /// [`RfmData::with_covariates`]), in the order given.
    ///
    /// ```
    /// use clv::RfmData;
    /// let csv = "customer_id,frequency,recency,T,age,urban\na,2,30,38,31,1\nb,0,0,38,58,0\n";
    /// let data = RfmData::from_csv_reader_with_covariates(csv.as_bytes(), &["urban", "age"])?;
    /// assert_eq!(data.covariate_names(), ["urban", "age"]);
    /// assert_eq!(data.covariate("age"), Some(&[31.0, 58.0][..]));
    /// let bad = "frequency,recency,T,age\n2,30,38,31\n0,0,38,inf\n";
    /// let err = RfmData::from_csv_reader_with_covariates(bad.as_bytes(), &["age"]).unwrap_err();
    /// assert!(err.to_string().contains("row 3, field `age`"));
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`RfmData::from_csv_reader`], plus: [`Error::InvalidData`] (row 1) for a covariate
    /// column missing from the header; [`Error::InvalidData`] with the line, covariate and value
    /// for a covariate value that is not a number, or is NaN or infinite;
    /// [`Error::InvalidInput`] for a covariate named twice.
    pub fn from_csv_reader_with_covariates(reader: impl Read, covariates: &[&str]) -> Result<Self> {
        let mut csv = Csv::new(reader, b',', "frequency,recency,T")?;
        let columns = SummaryColumns::find(&csv, true)?;
        let ci = find_id_column(&csv)?;
        let cz = covariates
            .iter()
            .map(|name| csv.require(&[name]))
            .collect::<Result<Vec<_>>>()?;
        let mut z: Vec<Vec<f64>> = vec![Vec::new(); cz.len()];
        let mut data = RfmData {
            frequency: Vec::new(),
            recency: Vec::new(),
            age: Vec::new(),
            monetary: columns.monetary.as_ref().map(|_| Vec::new()),
            weight: Vec::new(),
            ids: ci.as_ref().map(|_| Vec::new()),
            covariates: Covariates::default(),
        };
        let mut lines = Vec::new();
        while let Some(line) = csv.next_row()? {
            let (x, t_x, t, m, w) = columns.read(&csv, line)?;
            data.frequency.push(x);
            data.recency.push(t_x);
            data.age.push(t);
            if let (Some(col), Some(m)) = (data.monetary.as_mut(), m) {
                col.push(m);
            }
            data.weight.push(w);
            if let (Some(c), Some(ids)) = (&ci, data.ids.as_mut()) {
                ids.push(csv.text(c)?.to_string());
                lines.push(line);
            }
            for (c, column) in cz.iter().zip(&mut z) {
                let (v, text) = csv.number(c)?;
                column.push(
                    check_covariate(line, &c.name, v)
                        .map_err(|e| with_text(e, &[(&c.name, text)]))?,
                );
            }
        }
        if data.frequency.is_empty() {
            return Err(csv.no_rows("customers"));
        }
        if let (Some(c), Some(ids)) = (&ci, &data.ids) {
            check_ids(ids, |i| lines.get(i).copied().unwrap_or(0), &c.name)?;
        }
        if cz.is_empty() {
            return Ok(data);
        }
        let names = covariates.iter().map(|s| s.to_string()).collect();
        data.with_covariates(names, z)
    }

    /// Reads a CSV file with a header and covariate columns; see
    /// [`RfmData::from_csv_reader_with_covariates`]. A plain file is parsed on every core, as
    /// by [`RfmData::from_csv_path`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, otherwise as
    /// [`RfmData::from_csv_reader_with_covariates`].
    pub fn from_csv_path_with_covariates(
        path: impl AsRef<Path>,
        covariates: &[&str],
    ) -> Result<Self> {
        let path = path.as_ref();
        if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            if let Some(data) = Self::from_plain_csv_reader(open(path)?, covariates) {
                return Ok(data);
            }
        }
        Self::from_csv_reader_with_covariates(open(path)?, covariates)
    }

    /// The same rows with customer ids, one per row (replacing any the data had).
    ///
    /// Ids must be distinct: the models' outputs are keyed by id (as in lifetimes and
    /// CLVTools), so two rows under one id would be ambiguous. Compression keeps the ids out of
    /// its rows; its index map leads from each id's row to its compressed row.
    ///
    /// ```
    /// use clv::RfmData;
    /// let data = RfmData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?
    ///     .with_ids(vec!["anna".into(), "bo".into()])?;
    /// assert_eq!(data.id(1), Some("bo"));
    /// let same = RfmData::new(vec![1.0, 1.0], vec![2.0, 2.0], vec![5.0, 5.0])?;
    /// let err = same.with_ids(vec!["a".into(), "a".into()]).unwrap_err();
    /// assert!(err.to_string().contains("row 2, field `customer_id`"));
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the number of ids differs from the number of rows;
    /// [`Error::InvalidData`] naming the row (from 1) for a blank id or one that repeats an
    /// earlier row's.
    pub fn with_ids(self, ids: Vec<String>) -> Result<Self> {
        check_id_column(self.len(), &ids)?;
        Ok(RfmData {
            ids: Some(ids),
            ..self
        })
    }

    /// The same rows with customer ids known to be distinct, not blank and one per row (those
    /// of a transaction log's customers, interned and checked as the log was built).
    pub(crate) fn with_distinct_ids(self, ids: Vec<String>) -> Self {
        RfmData {
            ids: Some(ids),
            ..self
        }
    }

    /// The same rows without customer ids.
    pub fn without_ids(self) -> Self {
        RfmData { ids: None, ..self }
    }

    /// The customer ids, one per row, when the data has them.
    pub fn ids(&self) -> Option<&[String]> {
        self.ids.as_deref()
    }

    /// The customer id of row `i` (0-based); `None` without ids or past the end.
    pub fn id(&self, i: usize) -> Option<&str> {
        self.ids.as_ref()?.get(i).map(String::as_str)
    }

    /// The same rows with named covariate columns (replacing any the data had): per name, one
    /// finite value per row. Covariates are part of a row's identity: compression never merges
    /// rows whose covariates differ.
    ///
    /// ```
    /// use clv::RfmData;
    /// let data = RfmData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?
    ///     .with_covariates(vec!["age".into()], vec![vec![31.0, 58.0]])?;
    /// assert_eq!(data.covariate("age"), Some(&[31.0, 58.0][..]));
    /// let base = RfmData::new(vec![1.0], vec![2.0], vec![5.0])?;
    /// let err = base.with_covariates(vec!["z".into()], vec![vec![f64::NAN]]).unwrap_err();
    /// assert!(err.to_string().contains("row 1, field `z`"));
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the names and columns differ in number, a name is blank or
    /// given twice, or a column's length differs from the number of rows;
    /// [`Error::InvalidData`] naming the row (from 1) and the covariate for a value that is NaN
    /// or infinite.
    pub fn with_covariates(self, names: Vec<String>, columns: Vec<Vec<f64>>) -> Result<Self> {
        let covariates = Covariates::new(self.len(), names, columns)?;
        Ok(RfmData { covariates, ..self })
    }

    /// The covariate names, in order (empty without covariates).
    pub fn covariate_names(&self) -> &[String] {
        self.covariates.names()
    }

    /// The values of covariate `name`, one per row; `None` when the data has no such covariate.
    pub fn covariate(&self, name: &str) -> Option<&[f64]> {
        self.covariates.column(name)
    }

    /// The covariates of row `i` (0-based), in the order of [`RfmData::covariate_names`];
    /// `None` past the end.
    ///
    /// ```
    /// use clv::RfmData;
    /// let data = RfmData::new(vec![1.0, 0.0], vec![2.0, 0.0], vec![5.0, 5.0])?
    ///     .with_covariates(vec!["a".into(), "b".into()], vec![vec![1.0, 2.0], vec![3.0, 4.0]])?;
    /// assert_eq!(data.covariates_row(1).unwrap().collect::<Vec<_>>(), [2.0, 4.0]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn covariates_row(&self, i: usize) -> Option<impl ExactSizeIterator<Item = f64> + '_> {
        (i < self.len()).then(|| {
            self.covariates
                .columns()
                .iter()
                .map(move |c| c.get(i).copied().unwrap_or(0.0))
        })
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
                "no customer made a repeat purchase (column `frequency` is 0 in every row): the \
                 {model} model cannot be fitted to these data"
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

    /// The same data without its monetary column (ids and covariates kept).
    pub fn without_monetary_value(&self) -> RfmData {
        RfmData {
            monetary: None,
            ..self.clone()
        }
    }

    /// The same customers with every time (recency and T) multiplied by `k`, for fits in a
    /// better-conditioned time unit. With `k` a power of two the times are scaled exactly.
    pub(crate) fn with_time_scaled(&self, k: f64) -> RfmData {
        RfmData {
            recency: self.recency.iter().map(|t| t * k).collect(),
            age: self.age.iter().map(|t| t * k).collect(),
            ..self.clone()
        }
    }

    /// A power of two `k` that brings the longest time `T` of the data into `[1, 2)` when it
    /// lies outside `[2⁻¹⁰, 2³⁰]` (so that a model's time-scale parameters fitted on `k·times`
    /// stay far from the ends of `f64`), and 1 otherwise.
    pub(crate) fn time_scale(&self) -> f64 {
        let longest = self.age.iter().fold(0.0f64, |m, &t| m.max(t));
        if longest <= 0.0 || (2f64.powi(-10)..=2f64.powi(30)).contains(&longest) {
            return 1.0;
        }
        2f64.powi(-(longest.log2().floor() as i32))
    }

    /// The rows `rows` (0-based, in this order) with every column: ids, covariates, weights
    /// and monetary values. Without ids a row may be selected more than once (a bootstrap
    /// sample, for instance); with ids it may not, since ids stay distinct.
    ///
    /// ```
    /// use clv::RfmData;
    /// let data = RfmData::new(vec![2.0, 0.0, 5.0], vec![30.43, 0.0, 35.1], vec![38.86; 3])?
    ///     .with_ids(vec!["a".into(), "b".into(), "c".into()])?;
    /// let some = data.select(&[2, 0])?;
    /// assert_eq!(some.frequency(), &[5.0, 2.0]);
    /// assert_eq!(some.ids().unwrap(), ["c", "a"]);
    /// assert!(data.select(&[3]).is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty selection, an index past the last row, or, when the
    /// data has ids, an index given twice.
    pub fn select(&self, rows: &[usize]) -> Result<Self> {
        let n = self.len();
        if rows.is_empty() {
            return Err(Error::InvalidInput(
                "no customers: the selection of rows is empty".into(),
            ));
        }
        let mut seen = vec![false; if self.ids.is_some() { n } else { 0 }];
        for &i in rows {
            if i >= n {
                return Err(Error::InvalidInput(format!(
                    "row index {i} is out of range: the data has {n} rows (indices 0 to {})",
                    n - 1
                )));
            }
            if let Some(s) = seen.get_mut(i) {
                if *s {
                    return Err(Error::InvalidInput(format!(
                        "row index {i} is selected twice, but the data has customer ids, which \
                         must stay distinct (drop them with `without_ids` to resample)"
                    )));
                }
                *s = true;
            }
        }
        Ok(self.pick_rows(rows, true, true))
    }

    /// The rows `i` (in order) for which `keep(i)` is true, with every column (as
    /// [`RfmData::select`]).
    ///
    /// ```
    /// use clv::RfmData;
    /// let data = RfmData::new(vec![2.0, 0.0, 5.0], vec![30.43, 0.0, 35.1], vec![38.86; 3])?;
    /// let young = data.filter(|i| data.recency()[i] > 30.0)?;
    /// assert_eq!(young.len(), 2);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no row is kept.
    pub fn filter(&self, mut keep: impl FnMut(usize) -> bool) -> Result<Self> {
        let rows: Vec<usize> = (0..self.len()).filter(|&i| keep(i)).collect();
        if rows.is_empty() {
            return Err(Error::InvalidInput(
                "no customers: the filter keeps no row".into(),
            ));
        }
        Ok(self.pick_rows(&rows, true, true))
    }

    /// The rows with a repeat purchase (`x > 0`), with every column: the customers whose
    /// spend a spend model sees.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when every frequency is 0.
    pub fn repeat_customers(&self) -> Result<Self> {
        self.filter(|i| self.frequency[i] > 0.0)
            .map_err(|_| super::no_repeat_customers())
    }

    /// The rows `rows` (valid indices) of the columns, with ids and monetary values when asked
    /// for and the data has them; weights are copied.
    fn pick_rows(&self, rows: &[usize], ids: bool, monetary: bool) -> RfmData {
        RfmData {
            frequency: pick(&self.frequency, rows),
            recency: pick(&self.recency, rows),
            age: pick(&self.age, rows),
            monetary: self
                .monetary
                .as_ref()
                .filter(|_| monetary)
                .map(|m| pick(m, rows)),
            weight: pick(&self.weight, rows),
            ids: self.ids.as_ref().filter(|_| ids).map(|v| pick(v, rows)),
            covariates: self.covariates.select(rows),
        }
    }

    /// Groups the rows by `(x, t_x, T[, monetary value], covariates)` (the monetary value when
    /// `monetary` is set and the data has it) into distinct rows sorted by that key, each
    /// weighing the sum of its rows' weights, without ids; and for each row its distinct row.
    fn grouped(&self, monetary: bool) -> (RfmData, Vec<usize>) {
        let m = self.monetary.as_ref().filter(|_| monetary);
        let row = |i: usize| {
            (
                float_key(self.frequency[i]),
                float_key(self.recency[i]),
                float_key(self.age[i]),
                m.map_or(0, |m| float_key(m[i])),
            )
        };
        let weight = |i: usize| self.weight[i];
        let covariates = self.covariates.columns();
        // The covariates enter the key only when there are some: a smaller key sorts faster.
        let groups = if covariates.is_empty() {
            group(self.len(), row, weight)
        } else {
            group(
                self.len(),
                |i| (row(i), ColumnsRow::new(covariates, i)),
                weight,
            )
        };
        let mut out = self.pick_rows(&groups.first, false, monetary);
        out.weight = groups.weight;
        (out, groups.index)
    }

    /// Merges identical rows (equal in every column present but the ids) into one row whose
    /// weight is the sum of theirs. Rows come out sorted by (frequency, recency, T, monetary
    /// value, covariates), whatever the input order; covariates are kept, ids are not (see
    /// [`RfmData::compress_with_index`] to map each input row, and so its id, to its row).
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
        self.grouped(true)
    }

    /// The distinct customers `(x, t_x, T, covariates)` (monetary values and ids left out), as
    /// weighted rows sorted by that key, and for each input row the index of its distinct row:
    /// what a batch prediction computes on, expanding its results back to the input rows (and
    /// so to their ids) through the index. The same as
    /// `data.without_monetary_value().compress_with_index()`, without copying the data first.
    ///
    /// ```
    /// use clv::RfmData;
    /// let data = RfmData::from_columns(
    ///     vec![1.0, 0.0, 1.0],
    ///     vec![2.0, 0.0, 2.0],
    ///     vec![5.0, 5.0, 5.0],
    ///     Some(vec![10.0, 0.0, 30.0]),
    ///     None,
    /// )?
    /// .with_ids(vec!["a".into(), "b".into(), "c".into()])?;
    /// let (distinct, index) = data.distinct_customers();
    /// assert_eq!(distinct.frequency(), &[0.0, 1.0]);
    /// assert_eq!(distinct.weights(), &[1.0, 2.0]);
    /// assert_eq!(index, [1, 0, 1]); // "a" and "c" share a row
    /// assert!(distinct.monetary_value().is_none() && distinct.ids().is_none());
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn distinct_customers(&self) -> (RfmData, Vec<usize>) {
        self.grouped(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row `plainly_valid` passes, `check_row` accepts and gives back bit for bit; over
    /// every combination of the edge values of the checks.
    #[test]
    fn a_plainly_valid_row_is_what_check_row_gives() {
        let below = |v: f64| f64::from_bits(v.to_bits() - 1);
        let above = |v: f64| f64::from_bits(v.to_bits() + 1);
        let edges = [
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            below(f64::MIN_POSITIVE),
            -1.0,
            0.5,
            1.0,
            3.0,
            1.5e9,
            MAX_COUNT,
            above(MAX_COUNT),
            MAX_TIME,
            above(MAX_TIME),
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        let mut passed = 0;
        for &x in &edges {
            for &t_x in &edges {
                for &t in &edges {
                    for &w in &edges {
                        if !plainly_valid(x, t_x, t, w) {
                            continue;
                        }
                        passed += 1;
                        let (cx, ctx, ct, cm, cw) = check_row(1, x, t_x, t, None, w)
                            .unwrap_or_else(|e| panic!("{x} {t_x} {t} {w}: {e}"));
                        let bits = |v: [f64; 4]| v.map(f64::to_bits);
                        assert_eq!(bits([cx, ctx, ct, cw]), bits([x, t_x, t, w]));
                        assert_eq!(cm, None);
                    }
                }
            }
        }
        assert!(passed > 100, "{passed}");
    }
}
