//! Frequency / average-spend summaries for spend models (Gamma-Gamma).

use std::io::Read;
use std::path::Path;

use super::columns::{check_id_column, check_ids, find_id_column};
use super::compress::{float_key, group, pick};
use super::limits::{check_count, check_weight, show, with_text};
use super::rfm::check_monetary;
use super::table::{Csv, open, rename_field};
use crate::data::RfmData;
use crate::error::{Error, Result};

/// Validated spend summaries: per customer, the number of repeat transactions `x` and the mean
/// value `m_x` of those repeat transactions, with an optional weight and optional customer ids
/// (distinct strings, as for [`RfmData::with_ids`]).
///
/// Rows with `x = 0` carry no spend information: they are kept (so that predictions can be made
/// for every customer, in input order) but they do not enter a spend fit.
/// [`SpendData::repeat_customers`] selects the rows with `x > 0`, and [`SpendData::n_skipped`]
/// counts the customers with `x = 0`.
///
/// *Zero spend.* A customer with repeat transactions whose amounts are all 0 (a `$0.00` row in a
/// transaction log) has `x > 0` and `m_x = 0`, which the Gamma distribution cannot produce.
/// [`SpendData::new`] and the CSV readers refuse such a row, naming it; [`SpendData::from_rfm`]
/// (the path from a transaction log) keeps it, so that one such customer does not stop a
/// whole customer base: it is left out of the spend fit like a customer with `x = 0`, counted by
/// [`SpendData::n_zero_spend`], and valued with the population mean spend
/// ([`GammaGamma::expected_average_spend_batch`](crate::GammaGamma::expected_average_spend_batch),
/// [`Valuation::customer_values`](crate::value::Valuation::customer_values)).
///
/// Checks made once, here: `x` is a whole number in `0..=`[`MAX_COUNT`](crate::data::limits::MAX_COUNT);
/// `m_x` is finite and `> 0` when `x > 0` (transaction values are positive: the Gamma
/// distribution has no mass at 0) and finite and `>= 0` when `x = 0` (its value is then
/// ignored), not subnormal, and the total `x·m_x` is finite; weights are finite, `> 0`, not
/// subnormal and at most [`MAX_WEIGHT`](crate::data::limits::MAX_WEIGHT).
///
/// ```
/// use clv::SpendData;
/// let data = SpendData::new(vec![2.0, 0.0, 5.0], vec![22.35, 0.0, 41.0])?;
/// assert_eq!(data.len(), 3);
/// assert_eq!(data.n_skipped(), 1.0);
/// assert_eq!(data.repeat_customers()?.len(), 2);
/// let err = SpendData::new(vec![1.0], vec![0.0]).unwrap_err();
/// assert!(err.to_string().contains("row 1, field `monetary_value`"));
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SpendData {
    frequency: Vec<f64>,
    monetary: Vec<f64>,
    weight: Vec<f64>,
    ids: Option<Vec<String>>,
}

/// Checks one `(x, m_x, weight)` row; returns the values with `-0` folded into `0`. With
/// `zero_spend`, a row with `x > 0` and `m_x = 0` is accepted (see [`SpendData`]).
fn validate_row(row: usize, x: f64, m: f64, w: f64, zero_spend: bool) -> Result<(f64, f64, f64)> {
    let x = check_count(row, "frequency", x)?;
    let m = check_monetary(row, x, m)?;
    if x > 0.0 && m == 0.0 && !zero_spend {
        return Err(Error::data(
            row,
            "monetary_value",
            show(m),
            "the mean transaction value must be > 0 when frequency > 0",
        ));
    }
    let w = check_weight(row, "weight", w)?;
    Ok((x, m, w))
}

impl SpendData {
    /// Builds validated data from the columns `frequency` (repeat transactions `x`) and
    /// `monetary_value` (mean value of the repeat transactions `m_x`), every row weighing 1.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the data is empty or the columns differ in length;
    /// [`Error::InvalidData`] naming the row (1-based), field and value for a value that fails
    /// the checks listed on [`SpendData`].
    pub fn new(frequency: Vec<f64>, monetary_value: Vec<f64>) -> Result<Self> {
        Self::with_weights(frequency, monetary_value, None)
    }

    /// As [`SpendData::new`] with optional weights (how many customers each row stands for).
    ///
    /// # Errors
    /// As [`SpendData::new`], plus a weight that is not finite and `> 0`, is subnormal or exceeds
    /// [`MAX_WEIGHT`](crate::data::limits::MAX_WEIGHT), or a weight column of another length.
    pub fn with_weights(
        frequency: Vec<f64>,
        monetary_value: Vec<f64>,
        weight: Option<Vec<f64>>,
    ) -> Result<Self> {
        Self::build(frequency, monetary_value, weight, false)
    }

    /// [`SpendData::with_weights`], accepting zero-spend rows when `zero_spend` is set.
    fn build(
        frequency: Vec<f64>,
        monetary_value: Vec<f64>,
        weight: Option<Vec<f64>>,
        zero_spend: bool,
    ) -> Result<Self> {
        let n = frequency.len();
        super::check_columns(
            n,
            "frequency",
            &[
                ("monetary_value", Some(monetary_value.len())),
                ("weight", weight.as_ref().map(Vec::len)),
            ],
        )?;
        let mut weight = weight.unwrap_or_else(|| vec![1.0; n]);
        let (mut frequency, mut monetary_value) = (frequency, monetary_value);
        for i in 0..n {
            (frequency[i], monetary_value[i], weight[i]) = validate_row(
                i + 1,
                frequency[i],
                monetary_value[i],
                weight[i],
                zero_spend,
            )?;
        }
        Ok(SpendData {
            frequency,
            monetary: monetary_value,
            weight,
            ids: None,
        })
    }

    /// The frequency and monetary columns of an [`RfmData`] (with its weights and its customer
    /// ids, when it has them). Customers with `x > 0` and a mean transaction value of 0 (all
    /// their repeat transactions worth 0) are kept and counted by [`SpendData::n_zero_spend`];
    /// they do not enter a spend fit (see [`SpendData`]).
    ///
    /// ```
    /// use clv::{RfmData, SpendData};
    /// let rfm = RfmData::from_csv_reader(
    ///     "customer_id,frequency,recency,T,monetary_value\na,2,30.43,38.86,22.35\nb,0,0,38.86,0\n"
    ///         .as_bytes(),
    /// )?;
    /// let spend = SpendData::from_rfm(&rfm)?;
    /// assert_eq!(spend.monetary_value(), &[22.35, 0.0]);
    /// assert_eq!(spend.id(0), Some("a"));
    ///
    /// // A repeat customer whose repeat purchases were all free: kept, counted, not fitted.
    /// let rfm = RfmData::from_columns(vec![2.0, 1.0, 3.0], vec![5.0, 1.0, 6.0],
    ///     vec![9.0, 9.0, 9.0], Some(vec![22.35, 0.0, 11.5]), None)?;
    /// let spend = SpendData::from_rfm(&rfm)?;
    /// assert_eq!(spend.n_zero_spend(), 1.0);
    /// assert_eq!(spend.repeat_customers()?.len(), 2);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `data` has no monetary column.
    pub fn from_rfm(data: &RfmData) -> Result<Self> {
        let m = data
            .monetary_value()
            .ok_or_else(|| Error::InvalidInput("the data has no `monetary_value` column".into()))?;
        let spend = Self::build(
            data.frequency().to_vec(),
            m.to_vec(),
            Some(data.weights().to_vec()),
            true,
        )?;
        Ok(SpendData {
            ids: data.ids().map(<[String]>::to_vec),
            ..spend
        })
    }

    /// The same rows with customer ids, one per row (replacing any the data had); see
    /// [`RfmData::with_ids`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the number of ids differs from the number of rows;
    /// [`Error::InvalidData`] naming the row (from 1) for a blank id or one that repeats an
    /// earlier row's.
    pub fn with_ids(self, ids: Vec<String>) -> Result<Self> {
        check_id_column(self.len(), &ids)?;
        Ok(SpendData {
            ids: Some(ids),
            ..self
        })
    }

    /// The customer ids, one per row, when the data has them.
    pub fn ids(&self) -> Option<&[String]> {
        self.ids.as_deref()
    }

    /// The customer id of row `i` (0-based); `None` without ids or past the end.
    pub fn id(&self, i: usize) -> Option<&str> {
        self.ids.as_ref()?.get(i).map(String::as_str)
    }

    /// Reads a CSV file with a header; see [`SpendData::from_csv_reader`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, otherwise as [`SpendData::from_csv_reader`].
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_csv_reader(open(path.as_ref())?)
    }

    /// Reads CSV text with a header row. Required columns: `frequency` and `monetary_value`;
    /// optional: `weight` (or `weights`) and customer ids `customer_id` (or `id`; with both,
    /// `customer_id` is read). Columns may come in any order; other columns (such as `recency`
    /// and `T`) are ignored. Rows with frequency 0 are kept and counted by
    /// [`SpendData::n_skipped`]; they do not enter a fit.
    ///
    /// Errors name the line of the file (the header is line 1), the column and the value.
    ///
    /// ```
    /// use clv::SpendData;
    /// let csv = "frequency,monetary_value\n2,22.35\n0,0\n1,11.77\n";
    /// let data = SpendData::from_csv_reader(csv.as_bytes())?;
    /// assert_eq!(data.n_skipped(), 1.0);
    /// let bad = "frequency,monetary_value\n2,22.35\n1,-3\n";
    /// let err = SpendData::from_csv_reader(bad.as_bytes()).unwrap_err();
    /// assert!(err.to_string().contains("row 3, field `monetary_value`"));
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidData`] (row 1) for a missing required column, or a column named twice
    /// (`weight` beside `weights` included); [`Error::InvalidData`] with the line, field and
    /// value for a value that does not parse, a row with too few or too many fields, text that is
    /// not UTF-8 in a column used, a value that fails the checks listed on [`SpendData`], or a
    /// customer id that is blank or repeats an earlier row's (both lines named);
    /// [`Error::InvalidInput`] for a file without data rows; [`Error::Io`] when reading fails.
    pub fn from_csv_reader(reader: impl Read) -> Result<Self> {
        let mut csv = Csv::new(reader, b',', "frequency,monetary_value")?;
        let cx = csv.require(&["frequency"])?;
        let cm = csv.require(&["monetary_value"])?;
        let cw = csv.find(&["weight", "weights"])?;
        let ci = find_id_column(&csv)?;
        let w_name = cw
            .as_ref()
            .map_or("weight", |c| c.name.as_str())
            .to_string();
        let (mut x, mut m, mut w) = (Vec::new(), Vec::new(), Vec::new());
        let (mut ids, mut lines) = (ci.as_ref().map(|_| Vec::new()), Vec::new());
        while let Some(line) = csv.next_row()? {
            let (xi, x_text) = csv.count(&cx)?;
            let (mi, m_text) = csv.number(&cm)?;
            let (wi, w_text) = match &cw {
                Some(c) => csv.number(c)?,
                None => (1.0, "1"),
            };
            let texts = [
                ("frequency", x_text),
                ("monetary_value", m_text),
                ("weight", w_text),
            ];
            let (xi, mi, wi) = validate_row(line, xi, mi, wi, false)
                .map_err(|e| rename_field(with_text(e, &texts), "weight", &w_name))?;
            x.push(xi);
            m.push(mi);
            w.push(wi);
            if let (Some(c), Some(ids)) = (&ci, ids.as_mut()) {
                ids.push(csv.text(c)?.to_string());
                lines.push(line);
            }
        }
        if x.is_empty() {
            return Err(csv.no_rows("customers"));
        }
        if let (Some(c), Some(ids)) = (&ci, &ids) {
            check_ids(ids, |i| lines.get(i).copied().unwrap_or(0), &c.name)?;
        }
        Ok(SpendData {
            frequency: x,
            monetary: m,
            weight: w,
            ids,
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

    /// Frequencies `x` (repeat transactions), one per row.
    pub fn frequency(&self) -> &[f64] {
        &self.frequency
    }

    /// Mean repeat-transaction values `m_x`, one per row.
    pub fn monetary_value(&self) -> &[f64] {
        &self.monetary
    }

    /// Weights (customers per row); all 1 unless given.
    pub fn weights(&self) -> &[f64] {
        &self.weight
    }

    /// Number of customers (sum of weights), including those with `x = 0`.
    pub fn n_customers(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// Number of customers (sum of weights) with `x = 0`: those a spend fit skips.
    pub fn n_skipped(&self) -> f64 {
        self.frequency
            .iter()
            .zip(&self.weight)
            .filter(|(x, _)| **x == 0.0)
            .map(|(_, w)| w)
            .sum()
    }

    /// Number of customers (sum of weights) with `x > 0` but a mean transaction value of 0
    /// (see [`SpendData`]): left out of a spend fit and valued with the population mean spend.
    /// Always 0 for data built by [`SpendData::new`] or read from CSV.
    pub fn n_zero_spend(&self) -> f64 {
        (0..self.len())
            .filter(|&i| self.frequency[i] > 0.0 && !self.has_spend(i))
            .map(|i| self.weight[i])
            .sum::<f64>()
            + 0.0
    }

    /// Whether row `i` (a valid index) has a positive mean spend.
    fn has_spend(&self, i: usize) -> bool {
        self.monetary[i] > 0.0
    }

    /// The rows with `x > 0` and a positive mean spend (the customers that enter a spend fit),
    /// in order, with their ids.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no row has `x > 0` (or every such row has zero spend).
    pub fn repeat_customers(&self) -> Result<SpendData> {
        Ok(self.pick_rows(&self.repeat_rows()?, true))
    }

    /// The indices of the rows with `x > 0` and a positive mean spend.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when there is none.
    fn repeat_rows(&self) -> Result<Vec<usize>> {
        let keep: Vec<usize> = (0..self.len())
            .filter(|&i| self.frequency[i] > 0.0 && self.has_spend(i))
            .collect();
        if keep.is_empty() {
            let zero = self.n_zero_spend();
            if zero > 0.0 {
                return Err(Error::InvalidInput(format!(
                    "no customer has a repeat transaction with a positive amount ({zero} repeat \
                     customers spent 0): the spend model has nothing to fit"
                )));
            }
            return Err(super::no_repeat_customers());
        }
        Ok(keep)
    }

    /// The distinct `(x, m_x)` rows with `x > 0`, weighted and sorted as by
    /// [`SpendData::compress_with_index`], without ids: what a spend fit computes on. The same
    /// as `data.repeat_customers()?.compress_with_index().0`, without copying the rows first.
    ///
    /// ```
    /// use clv::SpendData;
    /// let data = SpendData::new(vec![3.0, 0.0, 1.0, 3.0], vec![9.5, 0.0, 20.0, 9.5])?;
    /// let d = data.distinct_repeat_customers()?;
    /// assert_eq!(d.frequency(), &[1.0, 3.0]);
    /// assert_eq!(d.weights(), &[1.0, 2.0]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no row has `x > 0`.
    pub fn distinct_repeat_customers(&self) -> Result<SpendData> {
        Ok(self.grouped(&self.repeat_rows()?).0)
    }

    /// The rows `rows` (valid indices) of the columns, with the ids when asked for.
    fn pick_rows(&self, rows: &[usize], ids: bool) -> SpendData {
        SpendData {
            frequency: pick(&self.frequency, rows),
            monetary: pick(&self.monetary, rows),
            weight: pick(&self.weight, rows),
            ids: self.ids.as_ref().filter(|_| ids).map(|v| pick(v, rows)),
        }
    }

    /// Merges identical `(x, m_x)` rows into one row whose weight is the sum of theirs, sorted
    /// by `(x, m_x)` whatever the input order, without ids; also returns, for each original row,
    /// its row in the result.
    ///
    /// ```
    /// use clv::SpendData;
    /// let data = SpendData::new(vec![3.0, 1.0, 3.0], vec![9.5, 20.0, 9.5])?;
    /// let (c, index) = data.compress_with_index();
    /// assert_eq!(c.frequency(), &[1.0, 3.0]);
    /// assert_eq!(c.weights(), &[1.0, 2.0]);
    /// assert_eq!(index, [1, 0, 1]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn compress_with_index(&self) -> (SpendData, Vec<usize>) {
        let all: Vec<usize> = (0..self.len()).collect();
        self.grouped(&all)
    }

    /// Groups the rows `rows` (valid indices) by `(x, m_x)`: the distinct rows sorted by that
    /// key, each weighing the sum of its rows' weights, without ids; and for each of `rows` its
    /// distinct row.
    fn grouped(&self, rows: &[usize]) -> (SpendData, Vec<usize>) {
        let groups = group(
            rows.len(),
            |j| {
                let i = rows[j];
                (float_key(self.frequency[i]), float_key(self.monetary[i]))
            },
            |j| self.weight[rows[j]],
        );
        let first: Vec<usize> = groups.first.iter().map(|&j| rows[j]).collect();
        let mut out = self.pick_rows(&first, false);
        out.weight = groups.weight;
        (out, groups.index)
    }

    /// Weighted Pearson correlation between the frequency `x` and the average spend `m_x` across
    /// the customers with `x > 0`.
    ///
    /// The Gamma-Gamma model assumes that a customer's spend per transaction is independent of
    /// how often the customer buys; a correlation far from 0 casts doubt on that assumption
    /// (Fader, Hardie & Lee 2005 report a small value on CDNOW). `None` when fewer than two
    /// distinct values make the correlation undefined.
    ///
    /// ```
    /// use clv::SpendData;
    /// let data = SpendData::new(vec![1.0, 2.0, 3.0, 0.0], vec![10.0, 20.0, 30.0, 0.0])?;
    /// assert!((data.frequency_spend_correlation().unwrap() - 1.0).abs() < 1e-12);
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn frequency_spend_correlation(&self) -> Option<f64> {
        let rows = || {
            (0..self.len())
                .filter(|&i| self.frequency[i] > 0.0 && self.has_spend(i))
                .map(|i| (self.frequency[i], self.monetary[i], self.weight[i]))
        };
        // The correlation does not change when either variable is scaled by a positive number,
        // so each is brought into [0, 1] before any sum (spends reach 1e300, weights 2⁵³), and
        // the deviations from the means into [-1, 1] before any square.
        let (x_max, m_max) =
            rows().fold((0.0f64, 0.0f64), |(a, b), (x, m, _)| (a.max(x), b.max(m)));
        if !(x_max > 0.0 && m_max > 0.0) {
            return None;
        }
        let scaled = || rows().map(|(x, m, w)| (x / x_max, m / m_max, w));
        let (sw, sx, sm) = scaled().fold((0.0, 0.0, 0.0), |(sw, sx, sm), (x, m, w)| {
            (sw + w, sx + w * x, sm + w * m)
        });
        let (mx, mm) = (sx / sw, sm / sw);
        let (dx_max, dm_max) = scaled().fold((0.0f64, 0.0f64), |(a, b), (x, m, _)| {
            (a.max((x - mx).abs()), b.max((m - mm).abs()))
        });
        if !(dx_max > 0.0 && dm_max > 0.0) {
            return None;
        }
        let (cxx, cmm, cxm) = scaled().fold((0.0, 0.0, 0.0), |(a, b, c), (x, m, w)| {
            let (dx, dm) = ((x - mx) / dx_max, (m - mm) / dm_max);
            (a + w * dx * dx, b + w * dm * dm, c + w * dx * dm)
        });
        let r = cxm / (cxx.sqrt() * cmm.sqrt());
        (cxx > 0.0 && cmm > 0.0 && r.is_finite()).then(|| r.clamp(-1.0, 1.0))
    }
}
