//! Summaries too large for memory: read as a stream and compressed on the fly.

use std::collections::HashMap;
use std::io::Read;

use super::compress::float_key;
use super::plain::columns_of;
use super::rfm::SummaryColumns;
use super::table::Csv;
use crate::data::RfmData;
use crate::error::Result;

impl RfmData {
    /// Reads customer summaries (CSV with a header: `frequency`, `recency`, `T` — or `n` or
    /// `periods` — and optionally `weight`/`weights`; other columns, ids and monetary values
    /// ignored) as a stream, merging identical `(x, t_x, T)` rows as they come: the result is
    /// [`RfmData::compress`] of the file's rows, without ids, and memory grows with the number of
    /// *distinct* rows, not with the rows of the file (a 100,000,000-row summary of a customer
    /// base in days or weeks holds some thousands to millions of distinct rows). What every
    /// transaction model's fit needs, since its likelihood depends on a customer only through
    /// that row. Every row is checked as by [`RfmData::from_csv_reader`], its errors naming
    /// the line.
    ///
    /// ```
    /// use clv::RfmData;
    /// let csv = "id,frequency,recency,T\na,2,30,38\nb,0,0,38\nc,2,30,38\n";
    /// let d = RfmData::from_csv_reader_compressed(csv.as_bytes())?;
    /// assert_eq!(d.frequency(), &[0.0, 2.0]);
    /// assert_eq!(d.weights(), &[1.0, 2.0]);
    /// assert_eq!(d, RfmData::from_csv_reader(csv.as_bytes())?.without_ids().compress());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`RfmData::from_csv_reader`] (but for ids, which are not read); also
    /// [`crate::Error::InvalidData`] when the summed weight of a distinct row exceeds
    /// [`MAX_WEIGHT`](crate::data::limits::MAX_WEIGHT).
    pub fn from_csv_reader_compressed(reader: impl Read) -> Result<Self> {
        let mut csv = Csv::new(reader, b',', "frequency,recency,T")?;
        let columns = SummaryColumns::find(&csv, false)?;
        distinct_rows(&mut csv, &columns)
    }

    /// What a fit of [`RfmData::from_csv_reader`]'s summaries sees, read as a stream: their
    /// distinct `(x, t_x, T)` rows with summed weights ([`RfmData::compress`] of the rows
    /// without monetary values), every row checked as by [`RfmData::from_csv_reader`] (the
    /// monetary values too), memory growing with the distinct rows. `Ok(None)` for a file with
    /// customer ids (a `customer_id` or `id` column), which [`RfmData::from_csv_reader`] checks
    /// for repeats: read it with that.
    ///
    /// ```
    /// use clv::RfmData;
    /// let csv = "frequency,recency,T,monetary_value\n2,30,38,4.5\n0,0,38,0\n2,30,38,1\n";
    /// let d = RfmData::from_csv_reader_distinct(csv.as_bytes())?.expect("no ids");
    /// assert_eq!(d.weights(), &[1.0, 2.0]);
    /// assert_eq!(d, RfmData::from_csv_reader_compressed(csv.as_bytes())?);
    /// let bad = "frequency,recency,T,monetary_value\n2,30,38,-1\n";
    /// assert!(RfmData::from_csv_reader_distinct(bad.as_bytes()).is_err());
    /// let ids = "id,frequency,recency,T\na,2,30,38\n";
    /// assert!(RfmData::from_csv_reader_distinct(ids.as_bytes())?.is_none());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`RfmData::from_csv_reader`].
    pub fn from_csv_reader_distinct(reader: impl Read) -> Result<Option<Self>> {
        let mut csv = Csv::new(reader, b',', "frequency,recency,T")?;
        let columns = SummaryColumns::find(&csv, true)?;
        if super::columns::find_id_column(&csv)?.is_some() {
            return Ok(None);
        }
        distinct_rows(&mut csv, &columns).map(Some)
    }
}

/// The rows of `csv` read and checked through `columns`, merged into distinct `(x, t_x, T)`
/// rows with summed weights, sorted.
fn distinct_rows<R: Read>(csv: &mut Csv<R>, columns: &SummaryColumns) -> Result<RfmData> {
    // (x, t_x, T) by key, with the summed weight.
    let mut rows: HashMap<[u64; 3], (f64, f64, f64, f64)> = HashMap::new();
    let mut any = false;
    while let Some(line) = csv.next_row()? {
        let (x, t_x, t, _, w) = columns.read(csv, line)?;
        any = true;
        rows.entry([float_key(x), float_key(t_x), float_key(t)])
            .and_modify(|r| r.3 += w)
            .or_insert((x, t_x, t, w));
    }
    if !any {
        return Err(csv.no_rows("customers"));
    }
    // In any order: `compress` sorts the distinct rows. (Every row is given: no `None`.)
    let n = rows.len();
    let (x, t_x, t, w) = columns_of(n, rows.into_values().map(Some)).unwrap_or_default();
    from_distinct(x, t_x, t, w)
}

/// The distinct rows `(x, t_x, T)` (checked, in any order) with their summed weights `w`, as
/// weighted data sorted by [`RfmData::compress`].
///
/// Errors: [`crate::Error::InvalidData`] for a summed weight above
/// [`MAX_WEIGHT`](crate::data::limits::MAX_WEIGHT).
pub(super) fn from_distinct(
    x: Vec<f64>,
    t_x: Vec<f64>,
    t: Vec<f64>,
    w: Vec<f64>,
) -> Result<RfmData> {
    Ok(RfmData::from_columns(x, t_x, t, None, Some(w))?.compress())
}
