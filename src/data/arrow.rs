//! Parquet and Arrow IPC files (feature `parquet`): read as a stream of CSV text, so that every
//! reader of the crate (summaries, spend, transaction logs, with a [`ColumnMap`](super::ColumnMap))
//! takes them with the same checks and errors; and summaries written to Parquet.
//!
//! A file is read one record batch at a time (memory bounded by a batch, not by the file).
//! Column types: integers and floats (written back exactly: floats in their shortest
//! round-trip form), strings, booleans, dates (`Date32`, `Date64`) as ISO dates and timestamps
//! as ISO date-times (UTC), so that the default [`TimeFormat`](super::TimeFormat) reads them.
//! A null is an empty field. Errors name the row as in the CSV the file reads as: the header is
//! row 1, the file's first row is row 2.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};

use super::transactions::civil_from_days;
use crate::data::RfmData;
use crate::error::{Error, Result};

/// The kind of a columnar file, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Columnar {
    /// Apache Parquet (`PAR1`).
    Parquet,
    /// Arrow IPC file (`ARROW1`, the Feather 2 format).
    ArrowIpc,
}

impl Columnar {
    /// The kind of the file at `path`, or `None` for another file (such as CSV).
    pub fn of_path(path: impl AsRef<Path>) -> Option<Columnar> {
        let mut head = [0u8; 6];
        let mut f = std::fs::File::open(path).ok()?;
        let n = f.read(&mut head).ok()?;
        match &head[..n] {
            [b'P', b'A', b'R', b'1', ..] => Some(Columnar::Parquet),
            b"ARROW1" => Some(Columnar::ArrowIpc),
            _ => None,
        }
    }
}

type Batches = Box<dyn Iterator<Item = std::result::Result<RecordBatch, ArrowError>>>;

/// A Parquet or Arrow IPC file read as comma-separated CSV text with a header (see the module
/// docs). Give it to any CSV reader of the crate.
///
/// ```no_run
/// use clv::RfmData;
/// use clv::data::ColumnarCsv;
/// let data = RfmData::from_csv_reader(ColumnarCsv::open("summary.parquet")?)?;
/// # Ok::<(), clv::Error>(())
/// ```
pub struct ColumnarCsv {
    schema: SchemaRef,
    batches: Batches,
    out: Vec<u8>,
    pos: usize,
    header: bool,
}

fn arrow_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io(format!("{}: {e}", path.display()))
}

impl ColumnarCsv {
    /// Opens a Parquet or Arrow IPC file (told apart by its first bytes).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened or is neither Parquet nor Arrow IPC, or its
    /// metadata cannot be read.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Io(format!("cannot open {}: {e}", path.display())))?;
        let (schema, batches): (SchemaRef, Batches) = match Columnar::of_path(path) {
            Some(Columnar::Parquet) => {
                let reader =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                        .map_err(|e| arrow_error(path, e))?
                        .build()
                        .map_err(|e| arrow_error(path, e))?;
                let schema = arrow_array::RecordBatchReader::schema(&reader);
                (schema, Box::new(reader))
            }
            Some(Columnar::ArrowIpc) => {
                let reader = arrow_ipc::reader::FileReader::try_new_buffered(file, None)
                    .map_err(|e| arrow_error(path, e))?;
                let schema = arrow_array::RecordBatchReader::schema(&reader);
                (schema, Box::new(reader))
            }
            None => {
                return Err(Error::Io(format!(
                    "{}: neither a Parquet nor an Arrow IPC file",
                    path.display()
                )));
            }
        };
        for field in schema.fields() {
            if !supported(field.data_type()) {
                return Err(Error::data(
                    1,
                    field.name(),
                    field.data_type(),
                    "a column of this type cannot be read (numbers, strings, booleans, dates \
                     and timestamps can)",
                ));
            }
        }
        Ok(ColumnarCsv {
            schema,
            batches,
            out: Vec::new(),
            pos: 0,
            header: false,
        })
    }

    /// Writes the next batch (or the header) into `out`; `false` at the end.
    fn fill(&mut self) -> std::io::Result<bool> {
        self.out.clear();
        self.pos = 0;
        if !self.header {
            self.header = true;
            let names: Vec<String> = self
                .schema
                .fields()
                .iter()
                .map(|f| field(f.name()))
                .collect();
            self.out.extend_from_slice(names.join(",").as_bytes());
            self.out.push(b'\n');
            return Ok(true);
        }
        let Some(batch) = self.batches.next() else {
            return Ok(false);
        };
        let batch = batch.map_err(std::io::Error::other)?;
        let mut text = String::with_capacity(32 * batch.num_rows() * batch.num_columns());
        for i in 0..batch.num_rows() {
            for (j, column) in batch.columns().iter().enumerate() {
                if j > 0 {
                    text.push(',');
                }
                cell(&mut text, column, i);
            }
            text.push('\n');
        }
        self.out = text.into_bytes();
        Ok(true)
    }
}

impl Read for ColumnarCsv {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.out.len() {
            if !self.fill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Whether a column of this type can be read.
fn supported(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Float64
            | DataType::Float32
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Boolean
            | DataType::Date32
            | DataType::Date64
            | DataType::Timestamp(_, _)
            | DataType::Null
    )
}

/// A CSV field, quoted when it needs to be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// An ISO date-time of `seconds` and `nanos` since 1970-01-01T00:00:00Z.
fn iso(out: &mut String, seconds: i64, nanos: i64) {
    let days = seconds.div_euclid(86_400);
    let s = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
    if s != 0 || nanos != 0 {
        let _ = write!(out, "T{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60);
        if nanos != 0 {
            let _ = write!(out, ".{nanos:09}");
        }
    }
}

/// Writes row `i` of `column` as CSV text (empty for a null).
fn cell(out: &mut String, column: &ArrayRef, i: usize) {
    if column.is_null(i) {
        return;
    }
    macro_rules! num {
        ($t:ty) => {{
            let _ = write!(out, "{:?}", column.as_primitive::<$t>().value(i));
        }};
    }
    match column.data_type() {
        DataType::Float64 => num!(Float64Type),
        DataType::Float32 => num!(Float32Type),
        DataType::Int8 => num!(Int8Type),
        DataType::Int16 => num!(Int16Type),
        DataType::Int32 => num!(Int32Type),
        DataType::Int64 => num!(Int64Type),
        DataType::UInt8 => num!(UInt8Type),
        DataType::UInt16 => num!(UInt16Type),
        DataType::UInt32 => num!(UInt32Type),
        DataType::UInt64 => num!(UInt64Type),
        DataType::Utf8 => out.push_str(&field(column.as_string::<i32>().value(i))),
        DataType::LargeUtf8 => out.push_str(&field(column.as_string::<i64>().value(i))),
        DataType::Utf8View => out.push_str(&field(column.as_string_view().value(i))),
        DataType::Boolean => {
            out.push_str(if column.as_boolean().value(i) {
                "1"
            } else {
                "0"
            });
        }
        DataType::Date32 => {
            let days = column.as_primitive::<Date32Type>().value(i);
            iso(out, i64::from(days) * 86_400, 0);
        }
        DataType::Date64 => {
            let ms = column.as_primitive::<Date64Type>().value(i);
            iso(out, ms.div_euclid(1000), ms.rem_euclid(1000) * 1_000_000);
        }
        DataType::Timestamp(unit, _) => {
            let (v, per_second) = match unit {
                TimeUnit::Second => (column.as_primitive::<TimestampSecondType>().value(i), 1),
                TimeUnit::Millisecond => (
                    column.as_primitive::<TimestampMillisecondType>().value(i),
                    1_000,
                ),
                TimeUnit::Microsecond => (
                    column.as_primitive::<TimestampMicrosecondType>().value(i),
                    1_000_000,
                ),
                TimeUnit::Nanosecond => (
                    column.as_primitive::<TimestampNanosecondType>().value(i),
                    1_000_000_000,
                ),
            };
            iso(
                out,
                v.div_euclid(per_second),
                v.rem_euclid(per_second) * (1_000_000_000 / per_second),
            );
        }
        _ => {}
    }
}

/// Writes customer summaries to a Parquet file (Snappy-compressed): `customer_id` (string,
/// when `data` has ids), `frequency`, `recency`, `T`, and `monetary_value` and `weight` when
/// `data` has them (any weight other than 1), all `Float64`.
///
/// ```no_run
/// use clv::RfmData;
/// let data = RfmData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86])?;
/// clv::data::write_summary_parquet(&data, "summary.parquet")?;
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write_summary_parquet(data: &RfmData, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    if let Some(ids) = data.ids() {
        fields.push(Field::new("customer_id", DataType::Utf8, false));
        columns.push(Arc::new(StringArray::from_iter_values(ids)));
    }
    let mut float = |name: &str, v: &[f64]| {
        fields.push(Field::new(name, DataType::Float64, false));
        columns.push(Arc::new(Float64Array::from(v.to_vec())));
    };
    float("frequency", data.frequency());
    float("recency", data.recency());
    float("T", data.age());
    if let Some(m) = data.monetary_value() {
        float("monetary_value", m);
    }
    if data.weights().iter().any(|&w| w != 1.0) {
        float("weight", data.weights());
    }
    let schema = Arc::new(Schema::new(fields));
    let batch =
        RecordBatch::try_new(Arc::clone(&schema), columns).map_err(|e| arrow_error(path, e))?;
    let file = std::fs::File::create(path)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, Some(props))
        .map_err(|e| arrow_error(path, e))?;
    writer.write(&batch).map_err(|e| arrow_error(path, e))?;
    writer.close().map_err(|e| arrow_error(path, e))?;
    Ok(())
}
