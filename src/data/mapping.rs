//! Column mappings: read a file whose columns are named otherwise than the crate's names.

use std::io::{BufRead, BufReader, Cursor, Read};

use super::whitespace::Delimiter;
use crate::data::limits::MAX_RECORD_BYTES;
use crate::error::{Error, Result};

/// Common names of the columns of customer summaries (the crate's name, then other names in
/// use, matched without regard to case): those of Fader & Hardie's papers and of the BTYD and
/// lifetimes packages (`x`, `t_x`, `T`, `zbar`, `m_x`, ...). See [`ColumnMap::summary_aliases`].
pub const SUMMARY_ALIASES: &[(&str, &[&str])] = &[
    ("frequency", &["x", "freq", "frequency_cal"]),
    ("recency", &["t_x", "tx", "recency_cal"]),
    ("T", &["T_cal", "age"]),
    (
        "monetary_value",
        &[
            "zbar",
            "m_x",
            "mx",
            "monetary",
            "avg_spend",
            "average_spend",
            "mean_spend",
        ],
    ),
];

/// Common names of the columns of transaction logs (the crate's name, then other names in use,
/// matched without regard to case); see [`ColumnMap::log_aliases`].
pub const LOG_ALIASES: &[(&str, &[&str])] = &[
    (
        "customer_id",
        &[
            "id",
            "customer",
            "customerid",
            "cust_id",
            "user_id",
            "client_id",
        ],
    ),
    (
        "date",
        &[
            "time",
            "timestamp",
            "datetime",
            "order_date",
            "transaction_date",
            "invoice_date",
            "invoicedate",
            "purchase_date",
        ],
    ),
    (
        "amount",
        &[
            "dollar_value",
            "dollars",
            "value",
            "revenue",
            "sales",
            "spend",
            "price",
            "total",
            "monetary_value",
        ],
    ),
];

/// Which column of a file holds which of the crate's columns (`frequency`, `recency`, `T`,
/// `monetary_value`, `weight`, `customer_id`, `date`, `amount`, ...), and optionally the common
/// other names of those columns ([`SUMMARY_ALIASES`], [`LOG_ALIASES`]).
///
/// [`ColumnMap::read`] renames the header of a file before a reader of the crate sees it, and
/// gives the file's own column names back in errors, so every reader
/// ([`RfmData::from_csv_reader`](crate::RfmData::from_csv_reader),
/// [`SpendData::from_csv_reader`](crate::SpendData::from_csv_reader),
/// [`TransactionReader::from_reader`](crate::data::TransactionReader::from_reader), ...) takes
/// any naming (and any [`Delimiter`]).
///
/// ```
/// use clv::RfmData;
/// use clv::data::{ColumnMap, Delimiter};
/// let csv = "ID,x,t_x,T,zbar\n1,2,30.43,38.86,22.35\n2,0,0,38.86,0\n";
/// let map = ColumnMap::parse("frequency=x,recency=t_x,T=T,monetary_value=zbar")?;
/// let data = map.read(csv.as_bytes(), Delimiter::Byte(b','), |r, _| RfmData::from_csv_reader(r))?;
/// assert_eq!(data.frequency(), &[2.0, 0.0]);
/// // The same with the common names recognised, and errors naming the file's columns.
/// let bad = "x,t_x,T\n2,-1,3\n";
/// let e = ColumnMap::summary_aliases()
///     .read(bad.as_bytes(), Delimiter::Byte(b','), |r, _| RfmData::from_csv_reader(r))
///     .unwrap_err();
/// assert!(e.to_string().contains("row 2, field `t_x`"), "{e}");
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// `(crate's name, file's name)`, explicit.
    pairs: Vec<(String, String)>,
    /// Aliases tried for the names without an explicit pair.
    aliases: &'static [(&'static str, &'static [&'static str])],
}

impl ColumnMap {
    /// No mapping: the file's columns carry the crate's names.
    pub fn new() -> Self {
        Self::default()
    }

    /// Recognises the common names of summary columns ([`SUMMARY_ALIASES`]): a column named,
    /// say, `x` is read as `frequency` when the file has no `frequency` column and no other
    /// column under another name of it.
    pub fn summary_aliases() -> Self {
        ColumnMap {
            pairs: Vec::new(),
            aliases: SUMMARY_ALIASES,
        }
    }

    /// Recognises the common names of transaction-log columns ([`LOG_ALIASES`]).
    pub fn log_aliases() -> Self {
        ColumnMap {
            pairs: Vec::new(),
            aliases: LOG_ALIASES,
        }
    }

    /// This map, with the aliases of `other` (the explicit pairs of `self` take precedence).
    pub fn with_aliases_of(mut self, other: &ColumnMap) -> Self {
        self.aliases = other.aliases;
        self
    }

    /// Reads the crate's column `name` from the file's column `column`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when either name is blank or `name` is mapped twice.
    pub fn map(mut self, name: &str, column: &str) -> Result<Self> {
        let (name, column) = (name.trim(), column.trim());
        if name.is_empty() || column.is_empty() {
            return Err(Error::InvalidInput(format!(
                "column mapping {name:?}={column:?}: both names must be given"
            )));
        }
        if self.pairs.iter().any(|(n, _)| n == name) {
            return Err(Error::InvalidInput(format!(
                "column mapping: `{name}` is mapped twice"
            )));
        }
        self.pairs.push((name.to_string(), column.to_string()));
        Ok(self)
    }

    /// Parses `name=column,name=column,...` (e.g. `frequency=x,recency=t_x,T=T`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the pair without `=`, with a blank name, or mapping a name
    /// twice.
    pub fn parse(spec: &str) -> Result<Self> {
        let mut map = ColumnMap::new();
        for pair in spec.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((name, column)) = pair.split_once('=') else {
                return Err(Error::InvalidInput(format!(
                    "column mapping {pair:?}: expected NAME=COLUMN (e.g. frequency=x)"
                )));
            };
            map = map.map(name, column)?;
        }
        Ok(map)
    }

    /// The file's column for the crate's column `name`, when mapped explicitly.
    pub fn column(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_str())
    }

    /// The renames `(file's name, crate's name)` for a header.
    ///
    /// Errors: [`Error::InvalidData`] at row 1 for an explicit column the header lacks.
    fn renames(&self, header: &[String]) -> Result<Vec<(usize, String)>> {
        let mut out = Vec::new();
        for (name, column) in &self.pairs {
            let Some(j) = header.iter().position(|h| h == column) else {
                return Err(Error::data(
                    1,
                    column,
                    header.join(","),
                    format!(
                        "column `{column}` (mapped to `{name}`) is not in the header{}",
                        suggestion(header, column)
                    ),
                ));
            };
            out.push((j, name.clone()));
        }
        for (name, others) in self.aliases {
            let explicit = self.pairs.iter().any(|(n, c)| n == name || c == name);
            if explicit || header.iter().any(|h| h == name) {
                continue;
            }
            let mut hits = header.iter().enumerate().filter(|(j, h)| {
                others.iter().any(|a| a.eq_ignore_ascii_case(h)) && !out.iter().any(|(k, _)| k == j)
            });
            if let (Some((j, _)), None) = (hits.next(), hits.next()) {
                out.push((j, (*name).to_string()));
            }
        }
        Ok(out)
    }

    /// Reads `reader` (fields separated by `delimiter`) through `parse`, which gets a CSV
    /// stream whose header names the crate's columns, and the byte that separates its fields.
    /// Errors of `parse` name the file's columns. The file is read as a stream: nothing is held
    /// in memory beyond the header line and the reader's own buffers.
    ///
    /// # Errors
    /// [`Error::InvalidData`] at row 1 for an explicitly mapped column that the header lacks;
    /// [`Error::Io`] when reading fails; otherwise those of `parse`, with the file's column
    /// names.
    pub fn read<T, R: Read>(
        &self,
        reader: R,
        delimiter: Delimiter,
        parse: impl FnOnce(&mut dyn Read, u8) -> Result<T>,
    ) -> Result<T> {
        let (reader, byte) = delimiter.reader(reader);
        let mut reader = BufReader::new(reader);
        // Leading blank lines, then the header line, kept byte for byte but for the renames.
        let mut head = Vec::new();
        let mut line = Vec::new();
        let limit = MAX_RECORD_BYTES as u64 + 1;
        let mut lines = 0;
        loop {
            line.clear();
            if (&mut reader).take(limit).read_until(b'\n', &mut line)? == 0 {
                break;
            }
            lines += 1;
            if line.len() as u64 == limit && !line.contains(&b'\n') && !line.contains(&b'\r') {
                return Err(super::table::too_long(lines, "line"));
            }
            let blank = line.iter().all(|b| b.is_ascii_whitespace());
            head.extend_from_slice(&line);
            // Blank lines past the limit go on to the reader, which skips them.
            if !blank || head.len() > MAX_RECORD_BYTES {
                break;
            }
        }
        let start = head.len() - line.len();
        // `line` runs to the first `\n`: with bare `\r` line ends it holds more records than
        // the header, which pass through untouched after `header_end`.
        let (fields, header_end) = split_header(&line, byte);
        let header: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let f = if i == 0 {
                    f.strip_prefix("\u{feff}").unwrap_or(f)
                } else {
                    f
                };
                f.trim().to_string()
            })
            .collect();
        let renames = if line.is_empty() {
            Vec::new()
        } else {
            self.renames(&header)?
        };
        let mut text = head[..start].to_vec();
        if renames.is_empty() {
            text.extend_from_slice(&line);
        } else {
            let names: Vec<String> = header
                .iter()
                .enumerate()
                .map(|(j, h)| {
                    renames
                        .iter()
                        .find(|(k, _)| *k == j)
                        .map_or_else(|| h.clone(), |(_, n)| n.clone())
                })
                .collect();
            let mut w = csv::WriterBuilder::new()
                .delimiter(byte)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            w.write_record(&names)
                .map_err(|e| Error::Io(format!("renaming the header: {e}")))?;
            let mut renamed = w
                .into_inner()
                .map_err(|e| Error::Io(format!("renaming the header: {e}")))?;
            renamed.pop(); // the terminator; the line's own end follows
            text.extend_from_slice(&renamed);
            text.extend_from_slice(&line[header_end..]);
        }
        let mut stream = Cursor::new(text).chain(reader);
        parse(&mut stream, byte).map_err(|e| {
            renames.iter().fold(e, |e, (j, name)| {
                let file = header.get(*j).map_or(name.as_str(), String::as_str);
                super::table::rename_field(e, name, file)
            })
        })
    }
}

/// The fields of the first record of `line` separated by `byte` (quotes honoured), and the
/// offset where its text ends (its line terminator and any further records follow).
fn split_header(line: &[u8], byte: u8) -> (Vec<String>, usize) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(byte)
        .flexible(true)
        .from_reader(line);
    let mut record = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut record) {
        Ok(true) => {
            // The reader stands at the start of the next record: step back over the
            // terminator (`\n`, `\r\n` or a bare `\r`).
            let next =
                usize::try_from(rdr.position().byte()).map_or(line.len(), |p| p.min(line.len()));
            let end = line[..next]
                .iter()
                .rposition(|b| !matches!(b, b'\r' | b'\n'))
                .map_or(0, |e| e + 1);
            let fields = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            (fields, end)
        }
        _ => (Vec::new(), line.len()),
    }
}

/// ` (did you mean `X`?)` for a header column equal to `column` but for case, or nothing.
fn suggestion(header: &[String], column: &str) -> String {
    header
        .iter()
        .find(|h| h.eq_ignore_ascii_case(column))
        .map_or(String::new(), |h| format!(" (did you mean `{h}`?)"))
}
