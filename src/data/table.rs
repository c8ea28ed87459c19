//! CSV plumbing shared by the readers: opening a file, reading the header, finding columns by
//! name, and reading rows whose errors name the file's line and the column.
//!
//! Rows are read as bytes; only the fields of the columns used are decoded (as UTF-8) and
//! trimmed, so a stray byte in an ignored column does not fail the file. Every error names the
//! line (the header is line 1) and the column:
//!
//! * a row with fewer fields than the header names the first column it lacks, a row with more
//!   names the first field past the header;
//! * a header naming a column twice, or a used column under two of its aliases (such as
//!   `weight` and `weights`), is ambiguous and names both columns;
//! * a UTF-16 file is recognised from its byte-order mark (or NUL bytes) and refused with a hint.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use crate::data::limits::MAX_RECORD_BYTES;
use crate::error::{Error, Result};

/// Opens `path` for reading, with an error that names it.
pub(crate) fn open(path: &Path) -> Result<BufReader<std::fs::File>> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Io(format!("cannot open {}: {e}", path.display())))?;
    Ok(BufReader::new(file))
}

/// A column found in the header: its 0-based position and its header name.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub index: usize,
    pub name: String,
}

/// Where the non-blank lines of a stream start: `(byte offset, line number)` of the first byte
/// of each line that is not empty, for the bytes read so far but not yet claimed by a record
/// (a few buffers' worth at most: a record claims the starts before it).
#[derive(Default)]
struct LineStarts {
    offset: u64,
    line: u64,
    prev: Option<u8>,
    starts: VecDeque<(u64, u64)>,
    /// Bytes of the current line read so far.
    line_len: u64,
    /// The line found longer than [`MAX_RECORD_BYTES`], if any: reading stops there.
    too_long: Option<u64>,
}

impl LineStarts {
    /// Records the line starts among `bytes`, the next bytes of the stream. A line ends at
    /// `\n`, `\r` or `\r\n`, as for the CSV parser. Jumps from line end to line end.
    fn scan(&mut self, bytes: &[u8]) {
        let mut at_start = matches!(self.prev, None | Some(b'\n' | b'\r'));
        let mut from = 0;
        for j in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            self.text(from, j, at_start);
            let prev = j
                .checked_sub(1)
                .map_or(self.prev, |i| bytes.get(i).copied());
            if bytes[j] == b'\r' || prev != Some(b'\r') {
                self.line += 1;
            }
            self.line_len = 0;
            at_start = true;
            from = j + 1;
        }
        self.text(from, bytes.len(), at_start);
        if let Some(&b) = bytes.last() {
            self.prev = Some(b);
        }
        self.offset += bytes.len() as u64;
    }

    /// Records the text `from..to` (no line end in it) of the bytes being scanned, starting a
    /// line when `at_start`.
    fn text(&mut self, from: usize, to: usize, at_start: bool) {
        if to > from {
            if at_start {
                self.starts
                    .push_back((self.offset + from as u64, self.line));
            }
            self.line_len += (to - from) as u64;
            if self.line_len > MAX_RECORD_BYTES as u64 && self.too_long.is_none() {
                self.too_long = Some(self.line);
            }
        }
    }

    /// The line of a record whose bytes start at or after `byte`.
    fn line_at(&mut self, byte: u64) -> Option<u64> {
        while self.starts.front().is_some_and(|&(o, _)| o < byte) {
            self.starts.pop_front();
        }
        self.starts.front().map(|&(_, line)| line)
    }
}

/// A reader that records [`LineStarts`] as the CSV parser pulls bytes through it, so that
/// records are numbered by their line in the file even around blank lines, `\r` line ends and
/// quoted line breaks.
struct Lines<R> {
    inner: R,
    starts: Rc<RefCell<LineStarts>>,
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut starts = self.starts.borrow_mut();
        starts.scan(buf.get(..n).unwrap_or_default());
        if starts.too_long.is_some() {
            return Err(std::io::Error::other("a line longer than the limit"));
        }
        Ok(n)
    }
}

/// A CSV file being read row by row (see the module docs).
pub(crate) struct Csv<R: Read> {
    rdr: csv::Reader<Lines<R>>,
    starts: Rc<RefCell<LineStarts>>,
    header: Vec<String>,
    record: csv::ByteRecord,
    rows: usize,
    line: usize,
}

/// The error for a line or record longer than [`MAX_RECORD_BYTES`].
pub(crate) fn too_long(line: u64, what: &str) -> Error {
    Error::data(
        usize::try_from(line).unwrap_or(usize::MAX),
        "record",
        format!("more than {MAX_RECORD_BYTES} bytes"),
        format!(
            "the {what} is longer than {} MiB, the limit of one record (a file that is not a \
             table of this kind, or a line end missing)",
            MAX_RECORD_BYTES >> 20
        ),
    )
}

/// A reading error: a line too long, or a CSV error.
fn read_error(starts: &RefCell<LineStarts>, e: csv::Error, line: usize) -> Error {
    match starts.borrow().too_long {
        Some(l) => too_long(l, "line"),
        None => csv_error(e, line),
    }
}

/// A CSV error (from the `csv` crate) as one line naming the line.
fn csv_error(e: csv::Error, line: usize) -> Error {
    let line = e
        .position()
        .map_or(line, |p| usize::try_from(p.line()).unwrap_or(line));
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(format!("reading the CSV at line {line}: {io}")),
        _ => Error::InvalidInput(format!("malformed CSV at line {line}: {message}")),
    }
}

impl<R: Read> Csv<R> {
    /// Starts reading `reader` (fields separated by `delimiter`) and reads its header; `expected`
    /// names the columns the caller wants (for the message about an empty file).
    ///
    /// Errors: [`Error::InvalidInput`] for an empty file; [`Error::InvalidData`] at row 1, field
    /// `header`, for a UTF-16 file; [`Error::InvalidData`] at row 1 naming a column the header
    /// names twice; [`Error::Io`] when reading fails.
    pub fn new(reader: R, delimiter: u8, expected: &str) -> Result<Self> {
        let starts = Rc::new(RefCell::new(LineStarts {
            line: 1,
            ..LineStarts::default()
        }));
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .delimiter(delimiter)
            .trim(csv::Trim::None)
            .flexible(true)
            .from_reader(Lines {
                inner: reader,
                starts: Rc::clone(&starts),
            });
        let raw = rdr
            .byte_headers()
            .map_err(|e| read_error(&starts, e, 1))?
            .clone();
        let first = raw.get(0).unwrap_or(b"");
        if first.starts_with(&[0xFF, 0xFE])
            || first.starts_with(&[0xFE, 0xFF])
            || raw.iter().any(|f| f.contains(&0))
        {
            return Err(Error::data(
                1,
                "header",
                "UTF-16 text",
                "the file is UTF-16 encoded (byte-order mark or NUL bytes); save it as UTF-8",
            ));
        }
        let header: Vec<String> = raw
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let f = if i == 0 {
                    f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
                } else {
                    f
                };
                String::from_utf8_lossy(f.trim_ascii()).into_owned()
            })
            .collect();
        if header.iter().all(String::is_empty) {
            let what = if raw.len() <= 1 {
                "the CSV is empty"
            } else {
                "the header has no column names"
            };
            return Err(Error::InvalidInput(format!(
                "{what}: line 1 should be a header naming the columns `{expected}`"
            )));
        }
        for (j, name) in header.iter().enumerate() {
            if let Some(i) = header[..j].iter().position(|h| h == name && !h.is_empty()) {
                return Err(Error::data(
                    1,
                    name,
                    header.join(","),
                    format!(
                        "the header names column `{name}` twice (columns {} and {}): ambiguous",
                        i + 1,
                        j + 1
                    ),
                ));
            }
        }
        Ok(Csv {
            rdr,
            starts,
            header,
            record: csv::ByteRecord::new(),
            rows: 0,
            line: 1,
        })
    }

    /// The header as written (comma-joined, for messages).
    pub fn header_text(&self) -> String {
        self.header.join(",")
    }

    /// A hint for a missing column: the delimiter the header seems to use instead.
    fn delimiter_hint(&self) -> &'static str {
        let text = self.header_text();
        if self.header.len() == 1 && text.contains(';') {
            " (the file seems to be separated by `;`)"
        } else if self.header.len() == 1 && text.contains('\t') {
            " (the file seems to be separated by tabs)"
        } else {
            ""
        }
    }

    /// The column named by any of `names` (aliases; the first is the canonical name), if the
    /// header has it.
    ///
    /// Errors: [`Error::InvalidData`] at row 1 naming both columns when the header has the column
    /// twice, or under two of its names.
    pub fn find(&self, names: &[&str]) -> Result<Option<Column>> {
        let mut hits = self
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| names.contains(&h.as_str()));
        let Some((index, name)) = hits.next() else {
            return Ok(None);
        };
        if let Some((j, other)) = hits.next() {
            let what = if other == name {
                format!(
                    "the header names column `{name}` twice (columns {} and {})",
                    index + 1,
                    j + 1
                )
            } else {
                format!(
                    "the header has both `{name}` (column {}) and `{other}` (column {}): \
                     ambiguous, keep one",
                    index + 1,
                    j + 1
                )
            };
            return Err(Error::data(1, name, self.header_text(), what));
        }
        Ok(Some(Column {
            index,
            name: name.clone(),
        }))
    }

    /// As [`Csv::find`] for a required column: [`Error::InvalidData`] at row 1 when it is missing.
    pub fn require(&self, names: &[&str]) -> Result<Column> {
        let name = names.first().copied().unwrap_or("");
        self.find(names)?.ok_or_else(|| {
            Error::data(
                1,
                name,
                self.header_text(),
                format!(
                    "required column `{name}` is missing from the header{}",
                    self.delimiter_hint()
                ),
            )
        })
    }

    /// The number of columns of the header.
    pub fn width(&self) -> usize {
        self.header.len()
    }

    /// Whether the header has a column of this name.
    pub fn has(&self, name: &str) -> bool {
        self.header.iter().any(|h| h == name)
    }

    /// Reads the next row; returns its line number, or `None` at the end of the file.
    ///
    /// Errors: [`Error::InvalidData`] for a row with fewer or more fields than the header;
    /// [`Error::Io`] when reading fails.
    pub fn next_row(&mut self) -> Result<Option<usize>> {
        let more = self
            .rdr
            .read_byte_record(&mut self.record)
            .map_err(|e| read_error(&self.starts, e, self.line + 1))?;
        if !more {
            return Ok(None);
        }
        self.rows += 1;
        let byte = self.record.position().map_or(0, csv::Position::byte);
        self.line = self
            .starts
            .borrow_mut()
            .line_at(byte)
            .and_then(|l| usize::try_from(l).ok())
            .unwrap_or(self.line + 1);
        if self.record.as_slice().len() > MAX_RECORD_BYTES {
            return Err(too_long(self.line as u64, "record"));
        }
        let (n, len) = (self.header.len(), self.record.len());
        if len != n {
            let text = self
                .record
                .iter()
                .map(String::from_utf8_lossy)
                .collect::<Vec<_>>()
                .join(",");
            let line = self.line;
            let (field, message) = if len < n {
                (
                    self.header[len].clone(),
                    format!(
                        "line {line} has {len} field(s) but the header (line 1) has {n}: no \
                         value for column `{}`",
                        self.header[len]
                    ),
                )
            } else {
                (
                    format!("column {}", n + 1),
                    format!("line {line} has {len} fields but the header (line 1) has only {n}"),
                )
            };
            return Err(Error::data(self.line, &field, format!("{text:?}"), message));
        }
        Ok(Some(self.line))
    }

    /// The trimmed text of `column` in the current row.
    ///
    /// Errors: [`Error::InvalidData`] when the field is not valid UTF-8.
    pub fn text(&self, column: &Column) -> Result<&str> {
        let bytes = self.record.get(column.index).unwrap_or(b"").trim_ascii();
        std::str::from_utf8(bytes).map_err(|_| {
            Error::data(
                self.line,
                &column.name,
                format!("{:?}", String::from_utf8_lossy(bytes)),
                "not valid UTF-8 text (save the file as UTF-8)",
            )
        })
    }

    /// The number in `column` of the current row, and its text.
    ///
    /// Errors: [`Error::InvalidData`] for a field that is not a number (or not UTF-8).
    pub fn number(&self, column: &Column) -> Result<(f64, &str)> {
        let text = self.text(column)?;
        let v = text.parse::<f64>().map_err(|_| {
            Error::data(self.line, &column.name, format!("{text:?}"), "not a number")
        })?;
        Ok((v, text))
    }

    /// A whole number in `column` of the current row, refusing decimal text that is not an
    /// integer even when it rounds to one (such as `1.0000000000000001`), and its text.
    ///
    /// Errors: as [`Csv::number`], plus [`Error::InvalidData`] for a non-integer.
    pub fn count(&self, column: &Column) -> Result<(f64, &str)> {
        let (v, text) = self.number(column)?;
        if v.is_finite() && !is_integer_text(text) {
            return Err(Error::data(
                self.line,
                &column.name,
                text,
                format!("{} must be a whole number", column.name),
            ));
        }
        Ok((v, text))
    }

    /// The header line when the file has no data rows: an [`Error::InvalidInput`].
    pub fn no_rows(&self, what: &str) -> Error {
        Error::InvalidInput(format!(
            "no {what}: the CSV has a header (line 1: `{}`) but no data rows",
            self.header_text()
        ))
    }
}

/// The number in `field` (a field's bytes) as [`Csv::number`] reads it: trimmed, decoded as
/// UTF-8, parsed; `None` where that is an error.
pub(crate) fn plain_number(field: &[u8]) -> Option<f64> {
    let field = field.trim_ascii();
    if let Some((v, _)) = short_decimal(field) {
        return Some(v);
    }
    LONG_NUMBERS.with_borrow_mut(|cache| cache.parse(field))
}

/// Texts shorter than this many bytes are remembered by [`LongNumbers`] (a slot holds the text).
const REMEMBERED_BYTES: usize = 24;

/// Slots of [`LongNumbers`] (a power of two).
const REMEMBERED: usize = 1024;

/// The values of the long decimal texts (beyond [`short_decimal`]) parsed last on this thread,
/// one per slot chosen by a hash of the text: a summary's times repeat (recency and age in
/// whole days take a few hundred values, each written with 16 or 17 digits), and comparing a
/// text with the one remembered costs far less than parsing it again. A value found is the
/// one `str::parse` gave for the same text.
struct LongNumbers {
    slots: Vec<([u8; REMEMBERED_BYTES], u8, f64)>,
}

impl LongNumbers {
    fn parse(&mut self, text: &[u8]) -> Option<f64> {
        let parse = |text: &[u8]| -> Option<f64> { std::str::from_utf8(text).ok()?.parse().ok() };
        // A hash of the first and last eight bytes (all of them up to 16) and the length.
        let (Some(first), Some(last)) = (text.first_chunk::<8>(), text.last_chunk::<8>()) else {
            return parse(text);
        };
        if text.len() >= REMEMBERED_BYTES {
            return parse(text);
        }
        let h = (u64::from_le_bytes(*first) ^ (text.len() as u64).rotate_left(56))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ u64::from_le_bytes(*last).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
        if self.slots.is_empty() {
            self.slots = vec![([0; REMEMBERED_BYTES], u8::MAX, 0.0); REMEMBERED];
        }
        let slot = self.slots.get_mut((h >> 54) as usize % REMEMBERED)?;
        if slot.1 as usize == text.len() && slot.0.get(..text.len()) == Some(text) {
            return Some(slot.2);
        }
        let v = parse(text)?;
        slot.0.get_mut(..text.len())?.copy_from_slice(text);
        slot.1 = text.len() as u8;
        slot.2 = v;
        Some(v)
    }
}

thread_local! {
    static LONG_NUMBERS: std::cell::RefCell<LongNumbers> =
        const { std::cell::RefCell::new(LongNumbers { slots: Vec::new() }) };
}

/// The whole number in `field` as [`Csv::count`] reads it; `None` where that is an error.
pub(crate) fn plain_count(field: &[u8]) -> Option<f64> {
    let field = field.trim_ascii();
    if let Some((v, whole)) = short_decimal(field) {
        return whole.then_some(v);
    }
    let text = std::str::from_utf8(field).ok()?;
    let v: f64 = text.parse().ok()?;
    (!v.is_finite() || is_integer_text(text)).then_some(v)
}

/// Powers of ten exact in `f64`.
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The value of a short decimal `digits[.digits]` (at most 15 digits, no sign or exponent),
/// and whether it is a whole number (no non-zero decimal); `None` for any other text. With
/// at most 15 digits the digits `m` and `10^k` are exact in `f64`, and `m / 10^k`, correctly
/// rounded, is the value `str::parse` gives (Clinger's fast path).
fn short_decimal(text: &[u8]) -> Option<(f64, bool)> {
    let (int, frac) = match memchr::memchr(b'.', text) {
        Some(i) => (text.get(..i)?, text.get(i + 1..)?),
        None => (text, &b""[..]),
    };
    if int.is_empty() || int.len() + frac.len() > 15 {
        return None;
    }
    let mut m: u64 = 0;
    for &b in int.iter().chain(frac) {
        if !b.is_ascii_digit() {
            return None;
        }
        m = m * 10 + u64::from(b - b'0');
    }
    let whole = frac.iter().all(|&b| b == b'0');
    Some((m as f64 / POWERS_OF_TEN.get(frac.len())?, whole))
}

/// Whether decimal text (`[+-]digits[.digits][e[+-]digits]`) denotes a whole number. Text that
/// is not a plain decimal (such as `inf`) counts as whole; the caller checks finiteness.
fn is_integer_text(text: &str) -> bool {
    let t = text.trim_start_matches(['+', '-']);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, "0"),
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return true;
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return true;
    }
    // The last non-zero digit must have a place value >= 1 once shifted by the exponent.
    let k = match frac.bytes().rposition(|b| b != b'0') {
        Some(j) => int.len() + j,
        None => match int.bytes().rposition(|b| b != b'0') {
            Some(j) => j,
            None => return true, // zero
        },
    };
    int.len() as i64 - 1 - k as i64 + exponent >= 0
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

#[cfg(test)]
mod tests {
    use super::is_integer_text;

    fn lines_of(text: &[u8]) -> Vec<usize> {
        let mut csv = super::Csv::new(text, b',', "a,b").unwrap();
        let mut lines = Vec::new();
        while let Some(line) = csv.next_row().unwrap() {
            lines.push(line);
        }
        lines
    }

    #[test]
    fn rows_are_numbered_by_their_line() {
        assert_eq!(lines_of(b"a,b\n1,2\n3,4\n"), [2, 3]);
        assert_eq!(lines_of(b"a,b\r\n1,2\r\n3,4"), [2, 3]);
        assert_eq!(lines_of(b"a,b\r1,2\r3,4\r"), [2, 3]);
        assert_eq!(lines_of(b"a,b\n\n1,2\n\n\n3,4\n\n"), [3, 6]);
        assert_eq!(lines_of(b"a,b\r\n\r\n1,2\r\n3,4\r\n"), [3, 4]);
        assert_eq!(lines_of(b"a,b\n\"x\ny\",2\n3,4\n"), [2, 4]);
    }

    /// Remembered long numbers are the values `str::parse` gives: texts of every length
    /// around the limits, read again and again (so that slots are found, and taken over by
    /// other texts), invalid ones refused every time.
    #[test]
    fn long_numbers_read_as_parse_reads_them() {
        let mut state = 0x853c_49e6_748f_ea9b_u64;
        let mut texts: Vec<String> = Vec::new();
        for i in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = (state >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi(i % 9);
            texts.push(format!("{v:?}"));
            texts.push(format!("{v:.digits$}", digits = (i % 25) as usize));
            texts.push(format!("{v:e}"));
        }
        texts.extend(
            [
                "1.2.3456789012",
                "12345678901234567x",
                "0000000000000000001.5",
                "1234567890123456789012345.5",
                "inf",
                "NaN",
                "1e400",
                "+12.000000000000001",
                "-12.000000000000001",
                "12.0000000000000010",
                "12.00000000000000100",
            ]
            .map(String::from),
        );
        let mut cache = super::LongNumbers { slots: Vec::new() };
        for round in 0..3 {
            for t in texts.iter().skip(round) {
                let want: Option<f64> = t.parse().ok();
                let got = cache.parse(t.as_bytes());
                assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{t}");
            }
        }
    }

    #[test]
    fn short_decimals_read_as_parse_reads_them() {
        // a linear congruential generator, its high bits
        let mut state = 0x853c_49e6_748f_ea9b_u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 16
        };
        let mut texts: Vec<String> = [
            "0",
            "0.0",
            "00.50",
            "1.",
            "37.0",
            "0.1",
            "999999999999999",
            "0.000000000000001",
            "9.99999999999999",
            "123456789012345",
            "1234567890123456",
            "-1",
            "+1",
            ".5",
            "1e3",
            "1.2.3",
            "",
            "inf",
            "0x10",
            "1 2",
        ]
        .map(String::from)
        .to_vec();
        for _ in 0..200_000 {
            let digits = 1 + next() % 15;
            let m = next() % 10u64.pow(digits as u32);
            let text = format!("{m:0width$}", width = digits as usize);
            let dot = (next() % (digits + 1)) as usize;
            texts.push(format!("{}.{}", &text[..dot.max(1)], &text[dot.max(1)..]));
            texts.push(text);
        }
        let mut others = 0;
        for text in &texts {
            let parsed = text.parse::<f64>().ok();
            match super::short_decimal(text.as_bytes()) {
                Some((v, whole)) => {
                    assert_eq!(Some(v.to_bits()), parsed.map(f64::to_bits), "{text}");
                    assert_eq!(whole, is_integer_text(text), "{text}");
                }
                None => others += 1,
            }
            assert_eq!(
                super::plain_number(text.as_bytes()).map(f64::to_bits),
                parsed.map(f64::to_bits),
                "{text}"
            );
        }
        // the generated ones all take the short path
        assert!(others <= 14, "{others}");
    }

    #[test]
    fn integer_text() {
        for t in [
            "0", "-0", "12", "1.0", "1.50e1", "1e3", "+7", "0.000", "1.25e2", "0.0e-5", "120e-1",
        ] {
            assert!(is_integer_text(t), "{t}");
        }
        for t in [
            "1.5",
            "1.0000000000000001",
            "4503599627370496.5",
            "1.25e1",
            "5e-1",
            "1e-3",
            "123e-2",
        ] {
            assert!(!is_integer_text(t), "{t}");
        }
    }
}
