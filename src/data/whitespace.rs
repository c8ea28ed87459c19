//! Whitespace-separated text read as CSV: every reader of the crate takes it through
//! [`WhitespaceCsv`].

use std::io::{BufRead, BufReader, Read};

use crate::data::limits::MAX_RECORD_BYTES;

/// Reads whitespace-separated text (columns aligned with spaces or tabs, as in the CDNOW log)
/// as comma-separated CSV, on the fly: each run of spaces and tabs between two fields becomes
/// one comma, spaces and tabs at the start and end of a line are dropped, line ends (`\n`,
/// `\r\n`, `\r`) are kept, so every line keeps its number in error messages. A field holding a
/// comma or a double quote is written quoted. Memory is bounded by the longest field, at most
/// [`MAX_RECORD_BYTES`] (a longer one is passed on as it comes, and refused by the CSV reader).
///
/// Give it to any CSV reader of the crate ([`RfmData::from_csv_reader`](crate::RfmData::from_csv_reader),
/// [`SpendData::from_csv_reader`](crate::SpendData::from_csv_reader),
/// [`TransactionReader::from_reader`](crate::data::TransactionReader::from_reader), ...).
///
/// ```
/// use clv::data::{TimeFormat, TransactionReader, WhitespaceCsv};
/// let text = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n";
/// let log = TransactionReader::new()
///     .amount_column("dollar_value")
///     .time_format(TimeFormat::CompactDate)
///     .from_reader(WhitespaceCsv::new(text.as_bytes()))?;
/// assert_eq!(log.customer_ids(), ["00001"]);
/// assert_eq!(log.amounts(), Some(&[11.77][..]));
/// # Ok::<(), clv::Error>(())
/// ```
pub struct WhitespaceCsv<R> {
    inner: BufReader<R>,
    /// Converted bytes not yet handed out, from `pos`.
    out: Vec<u8>,
    pos: usize,
    /// The field being read (written out when it ends).
    field: Vec<u8>,
    /// Whether the current line has had a field.
    line_has_field: bool,
    done: bool,
}

impl<R: Read> WhitespaceCsv<R> {
    /// Wraps `reader`.
    pub fn new(reader: R) -> Self {
        WhitespaceCsv {
            inner: BufReader::with_capacity(1 << 16, reader),
            out: Vec::with_capacity(1 << 16),
            pos: 0,
            field: Vec::new(),
            line_has_field: false,
            done: false,
        }
    }

    /// Converts the next chunk of input into `out`, straight from the reader's buffer.
    fn fill(&mut self) -> std::io::Result<()> {
        self.out.clear();
        self.pos = 0;
        let Self {
            inner,
            out,
            field,
            line_has_field,
            done,
            ..
        } = self;
        let chunk = inner.fill_buf()?;
        if chunk.is_empty() {
            *done = true;
            end_field(out, field, line_has_field);
            return Ok(());
        }
        for &b in chunk {
            match b {
                b' ' | b'\t' => end_field(out, field, line_has_field),
                b'\n' | b'\r' => {
                    end_field(out, field, line_has_field);
                    out.push(b);
                    *line_has_field = false;
                }
                _ => {
                    field.push(b);
                    // A field this long makes a line longer than the CSV reader takes, which
                    // names the line: written as it comes, it is never held whole.
                    if field.len() > MAX_RECORD_BYTES {
                        out.append(field);
                    }
                }
            }
        }
        let n = chunk.len();
        inner.consume(n);
        Ok(())
    }
}

/// Writes the pending `field` to `out` (preceded by a comma unless it is the first of its line,
/// quoted when it holds a comma or a quote) and empties it.
fn end_field(out: &mut Vec<u8>, field: &mut Vec<u8>, line_has_field: &mut bool) {
    if field.is_empty() {
        return;
    }
    if *line_has_field {
        out.push(b',');
    }
    if field.iter().any(|&b| b == b',' || b == b'"') {
        out.push(b'"');
        for &b in field.iter() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
    field.clear();
    *line_has_field = true;
}

impl<R: Read> Read for WhitespaceCsv<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// How the fields of a text file are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delimiter {
    /// One byte (`,`, `;`, `\t`, `|`, ...).
    Byte(u8),
    /// Runs of spaces and tabs ([`WhitespaceCsv`]).
    Whitespace,
}

impl Delimiter {
    /// Guesses the delimiter from the first non-blank line of a file: a comma, else a tab, else
    /// a semicolon, else a `|`, else whitespace when the line has several fields separated by
    /// spaces, else a comma.
    ///
    /// ```
    /// use clv::data::Delimiter;
    /// assert_eq!(Delimiter::sniff("a,b\n1,2\n"), Delimiter::Byte(b','));
    /// assert_eq!(Delimiter::sniff(" customer_id  date  dollar_value\r\n"), Delimiter::Whitespace);
    /// assert_eq!(Delimiter::sniff("a;b\n"), Delimiter::Byte(b';'));
    /// ```
    pub fn sniff(head: &str) -> Delimiter {
        let line = head.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        for b in [b',', b'\t', b';', b'|'] {
            if line.as_bytes().contains(&b) {
                return Delimiter::Byte(b);
            }
        }
        if line.split_ascii_whitespace().nth(1).is_some() {
            Delimiter::Whitespace
        } else {
            Delimiter::Byte(b',')
        }
    }

    /// Parses a delimiter as written on a command line: `,`, `;`, `|`, `tab` (or `\t`) or
    /// `whitespace` (or `space`); `None` otherwise.
    ///
    /// ```
    /// use clv::data::Delimiter;
    /// assert_eq!(Delimiter::parse("tab"), Some(Delimiter::Byte(b'\t')));
    /// assert_eq!(Delimiter::parse("whitespace"), Some(Delimiter::Whitespace));
    /// assert_eq!(Delimiter::parse("ab"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Delimiter> {
        match text {
            "tab" | "\\t" | "\t" => Some(Delimiter::Byte(b'\t')),
            "whitespace" | "space" | "spaces" | " " => Some(Delimiter::Whitespace),
            t if t.len() == 1 && t.is_ascii() && !t.as_bytes()[0].is_ascii_alphanumeric() => {
                t.as_bytes().first().map(|&b| Delimiter::Byte(b))
            }
            _ => None,
        }
    }

    /// `reader` as CSV separated by the returned byte: whitespace-separated text goes through
    /// [`WhitespaceCsv`] (and comes out comma-separated).
    pub fn reader<'a, R: Read + 'a>(self, reader: R) -> (Box<dyn Read + 'a>, u8) {
        match self {
            Delimiter::Byte(b) => (Box::new(reader), b),
            Delimiter::Whitespace => (Box::new(WhitespaceCsv::new(reader)), b','),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WhitespaceCsv;
    use std::io::Read;

    fn convert(text: &str) -> String {
        let mut out = String::new();
        WhitespaceCsv::new(text.as_bytes())
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn converts_whitespace_to_commas() {
        assert_eq!(
            convert(" a  b\tc \r\n 1 2 3\n\n4 5 6"),
            "a,b,c\r\n1,2,3\n\n4,5,6"
        );
        assert_eq!(convert("x \"y\" z,w\n"), "x,\"\"\"y\"\"\",\"z,w\"\n");
        assert_eq!(convert(""), "");
        assert_eq!(convert("   \n"), "\n");
    }
}
