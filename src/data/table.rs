//! CSV plumbing shared by the readers: opening a file, the reader settings, and numeric columns
//! looked up by header name and parsed with the file's line numbers.

use std::io::{BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};

/// Opens `path` for reading, with an error that names it.
pub(crate) fn open(path: &Path) -> Result<BufReader<std::fs::File>> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Io(format!("cannot open {}: {e}", path.display())))?;
    Ok(BufReader::new(file))
}

/// A CSV reader with a header row, trimmed fields and rows of equal length.
pub(crate) fn csv_reader<R: Read>(reader: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(reader)
}

/// A column wanted from the header: the names it may go by (the first is its canonical name,
/// used in errors when it is missing) and whether it must be present.
pub(crate) struct Wanted<'a> {
    pub names: &'a [&'a str],
    pub required: bool,
}

/// Numeric columns read from CSV text.
pub(crate) struct Table {
    /// Per wanted column, in the order asked: the header name it was found under and its values;
    /// `None` for an optional column the header lacks.
    pub columns: Vec<Option<(String, Vec<f64>)>>,
    /// The file's line number of each row (the header is line 1).
    pub lines: Vec<usize>,
}

/// Reads the `wanted` numeric columns (any order; other columns are ignored).
///
/// Errors: [`Error::InvalidData`] at row 1 for a missing required column (the value is the
/// header), [`Error::InvalidData`] with the line, the column and the text for a value that is not
/// a number, [`Error::InvalidInput`] for a header without data rows, [`Error::Io`] for malformed
/// CSV.
pub(crate) fn read_numeric(reader: impl Read, wanted: &[Wanted<'_>]) -> Result<Table> {
    let mut rdr = csv_reader(reader);
    let header = rdr.headers()?.clone();
    let header_text = header.iter().collect::<Vec<_>>().join(",");
    let mut found = Vec::with_capacity(wanted.len());
    for w in wanted {
        let position = header.iter().position(|h| w.names.contains(&h));
        if position.is_none() && w.required {
            let name = w.names[0];
            return Err(Error::data(
                1,
                name,
                &header_text,
                format!("required column `{name}` is missing from the header"),
            ));
        }
        found.push(position.map(|i| (i, header[i].to_string())));
    }
    let mut columns: Vec<Option<(String, Vec<f64>)>> = found
        .iter()
        .map(|f| f.as_ref().map(|(_, name)| (name.clone(), Vec::new())))
        .collect();
    let mut lines = Vec::new();
    let mut record = csv::StringRecord::new();
    while rdr.read_record(&mut record)? {
        let line = record
            .position()
            .map_or(lines.len() + 2, |p| p.line() as usize);
        for (f, column) in found.iter().zip(columns.iter_mut()) {
            if let (Some((i, _)), Some((name, values))) = (f, column.as_mut()) {
                let text = record.get(*i).unwrap_or("");
                let v = text
                    .parse::<f64>()
                    .map_err(|_| Error::data(line, name, format!("{text:?}"), "not a number"))?;
                values.push(v);
            }
        }
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(Error::InvalidInput(
            "no customers: the CSV has a header but no data rows".into(),
        ));
    }
    Ok(Table { columns, lines })
}

/// Renames the field of an [`Error::InvalidData`] from `from` to `to` (a column validated under
/// its canonical name but read under another header name, such as `weights` for `weight`).
pub(crate) fn rename_field(e: Error, from: &str, to: &str) -> Error {
    match e {
        Error::InvalidData {
            row,
            field,
            value,
            message,
        } if field == from => Error::InvalidData {
            row,
            field: to.to_string(),
            value,
            message,
        },
        e => e,
    }
}
