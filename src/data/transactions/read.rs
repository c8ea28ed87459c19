//! Readers of transaction logs: CSV with configurable columns ([`TransactionReader`]) and
//! CDNOW's raw format ([`TransactionLog::from_cdnow_reader`]).

use std::io::{BufRead, Read};
use std::path::Path;

use super::log::{Interner, TransactionLog, check_amount, check_time};
use super::time::TimeFormat;
use crate::data::limits::{MAX_RECORD_BYTES, with_text};
use crate::data::table::Csv;
use crate::error::{Error, Result};

impl TransactionLog {
    /// Reads CDNOW's raw log formats, whitespace-separated, as they are distributed: the
    /// *sample* log without a header — master customer id, sample id, date `YYYYMMDD`, number
    /// of CDs, dollar value (`data/CDNOW_sample.txt`) — and the *master* log, with a header line
    /// (`customer_id date number_of_cds dollar_value`), four columns — customer id, date, CDs,
    /// dollars — and CRLF line ends (`data/CDNOW_master_head.txt`). One transaction per line;
    /// the first data line decides which of the two layouts the file has, a first line without
    /// any date is a header; blank lines are skipped; ids are kept as written (zero-padded);
    /// errors name the line.
    ///
    /// ```
    /// use clv::data::TransactionLog;
    /// let text = " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n";
    /// let log = TransactionLog::from_cdnow_reader(text.as_bytes())?;
    /// assert_eq!(log.len(), 2);
    /// assert_eq!(log.n_customers(), 1);
    /// let master = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n";
    /// let log = TransactionLog::from_cdnow_reader(master.as_bytes())?;
    /// assert_eq!(log.customer_ids(), ["00001"]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a line with another number of fields than the first data
    /// line's, or fewer than 4 (field `columns`), an unparsable date or an amount that is not a
    /// non-negative number; [`Error::InvalidInput`] for a log without transactions;
    /// [`Error::Io`] when reading fails.
    pub fn from_cdnow_reader(reader: impl Read) -> Result<Self> {
        let mut reader = std::io::BufReader::new(reader);
        let mut interner = Interner::default();
        let (mut customer, mut time, mut amount) = (Vec::new(), Vec::new(), Vec::new());
        let mut line = String::new();
        let mut line_no = 0usize;
        // Fields per line (4: master, 5: sample), set by the first data line.
        let mut layout: Option<usize> = None;
        let is_date = |f: &str| TimeFormat::CompactDate.parse(f).is_some();
        loop {
            line.clear();
            let limit = MAX_RECORD_BYTES as u64 + 1;
            if (&mut reader).take(limit).read_line(&mut line)? == 0 {
                break;
            }
            line_no += 1;
            if line.len() as u64 == limit && !line.ends_with('\n') {
                return Err(Error::data(
                    line_no,
                    "record",
                    format!("more than {MAX_RECORD_BYTES} bytes"),
                    "the line is longer than 1 MiB, the limit of one record",
                ));
            }
            // Up to six fields, without allocating per line.
            let mut buf = [""; 6];
            let mut count = 0;
            for (slot, f) in buf.iter_mut().zip(line.split_ascii_whitespace()) {
                *slot = f;
                count += 1;
            }
            let fields = &buf[..count];
            if fields.is_empty() {
                continue;
            }
            let width = match layout {
                Some(w) => w,
                None => {
                    if !fields.iter().any(|f| is_date(f)) && customer.is_empty() {
                        // The master log's header line.
                        if fields
                            .iter()
                            .all(|f| f.bytes().any(|b| b.is_ascii_alphabetic()))
                        {
                            continue;
                        }
                    }
                    let w = if fields.len() == 4 && fields.get(1).is_some_and(|f| is_date(f)) {
                        4
                    } else {
                        5
                    };
                    layout = Some(w);
                    w
                }
            };
            let (date, dollars) = match (width, fields.len()) {
                (4, 4) => (fields[1], fields[3]),
                // Fields past the fifth are ignored, as they always were.
                (5, n) if n >= 5 => (fields[2], fields[4]),
                _ => {
                    let expected = if width == 4 {
                        "expected 4 whitespace-separated fields, as on the first data line: id, \
                         YYYYMMDD, CDs, dollars"
                    } else {
                        "expected 5 whitespace-separated fields: id, sample id, YYYYMMDD, CDs, \
                         dollars"
                    };
                    return Err(Error::data(
                        line_no,
                        "columns",
                        format!("{:?}", line.trim_end()),
                        expected,
                    ));
                }
            };
            let id = fields[0];
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
        let mut log = Self::assemble(interner.into_ids(), customer, time, Some(amount))?;
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
        let mut interner = Interner::default();
        let (mut customer, mut time, mut amount) = (Vec::new(), Vec::new(), Vec::new());
        let read = self.read_rows(reader, |_, id, t, a| {
            customer.push(interner.get(id)?);
            time.push(t);
            if let Some(a) = a {
                amount.push(a);
            }
            Ok(true)
        })?;
        let amount = read.amounts.then_some(amount);
        let mut log = TransactionLog::assemble(interner.into_ids(), customer, time, amount)?;
        log.dates = read.format.is_date();
        Ok(log)
    }

    /// Reads the transactions of CSV text (as [`TransactionReader::from_reader`]), handing each
    /// to `each` with its line, customer id (not empty), time and amount; `each` returns
    /// whether to go on.
    pub(super) fn read_rows(
        &self,
        reader: impl Read,
        mut each: impl FnMut(usize, &str, f64, Option<f64>) -> Result<bool>,
    ) -> Result<Rows> {
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
        // `Auto` is resolved by the first value.
        let mut format = self.format;
        let mut any = false;
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
            let text = csv.text(&it)?;
            if format == TimeFormat::Auto {
                format = TimeFormat::detect(text).unwrap_or(format);
            }
            let t = format.parse(text).ok_or_else(|| {
                Error::data(line, &self.time, format!("{text:?}"), format.describe())
            })?;
            check_time(line, &self.time, t).map_err(|e| with_text(e, &[(&self.time, text)]))?;
            let a = match &ia {
                Some(col) => {
                    let (v, text) = csv.number(col)?;
                    check_amount(line, &col.name, v)
                        .map_err(|e| with_text(e, &[(col.name.as_str(), text)]))?;
                    Some(v + 0.0)
                }
                None => None,
            };
            any = true;
            if !each(line, id, t, a)? {
                break;
            }
        }
        if !any {
            return Err(Error::InvalidInput(format!(
                "no transactions: the CSV has a header (line 1: `{}`) but no data rows",
                csv.header_text()
            )));
        }
        Ok(Rows {
            format,
            amounts: ia.is_some(),
        })
    }
}

/// What [`TransactionReader::read_rows`] read besides the transactions.
pub(super) struct Rows {
    /// The time format (resolved when it was `Auto`).
    pub(super) format: TimeFormat,
    /// Whether the log has amounts.
    pub(super) amounts: bool,
}
