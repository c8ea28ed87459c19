//! The crate's error type.

use std::fmt;

/// Where a bad value was found: a row (1-based; for CSV input, the file's line number) and a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// 1-based row number. For CSV input this is the line number in the file (the header is line 1).
    pub row: usize,
    /// The field (column) name.
    pub field: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}, field `{}`", self.row, self.field)
    }
}

/// Everything that can go wrong in `clv`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value in the input data is invalid; names the row, the field and the value.
    #[error("invalid input at row {row}, field `{field}`: {message} (value: {value})")]
    InvalidData {
        /// 1-based row (line number in a CSV file, the header being line 1).
        row: usize,
        /// Field (column) name.
        field: String,
        /// The offending value as written in the input.
        value: String,
        /// What is wrong with it.
        message: String,
    },
    /// The input as a whole is unusable (empty, a required column missing, columns of unequal length, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A model parameter or a function argument is out of its domain.
    #[error("invalid parameter `{name}` = {value}: {message}")]
    InvalidParameter {
        /// Parameter or argument name.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// The domain it must lie in.
        message: String,
    },
    /// The optimiser did not reach a (local) maximum of the likelihood.
    #[error("the fit did not converge: {0}")]
    NotConverged(String),
    /// A numerical computation failed (a non-finite value where a finite one is required).
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// Reading input failed (the file system or the stream, not its content).
    #[error("I/O error: {0}")]
    Io(String),
}

impl Error {
    /// An [`Error::InvalidData`] for `row`/`field` holding `value`.
    pub(crate) fn data(
        row: usize,
        field: &str,
        value: impl fmt::Display,
        message: impl Into<String>,
    ) -> Self {
        Error::InvalidData {
            row,
            field: field.to_string(),
            value: value.to_string(),
            message: message.into(),
        }
    }

    /// An [`Error::InvalidParameter`].
    pub(crate) fn param(name: &'static str, value: f64, message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            value,
            message: message.into(),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

impl From<csv::Error> for Error {
    /// A CSV error as one line naming the line: [`Error::Io`] when reading failed, otherwise
    /// [`Error::InvalidInput`] (malformed CSV). The crate's readers name the column as well.
    fn from(e: csv::Error) -> Self {
        let line = e.position().map(csv::Position::line);
        let message = match e.kind() {
            csv::ErrorKind::Io(io) => io.to_string(),
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("the row has {len} fields but the previous row has {expected_len}"),
            csv::ErrorKind::Utf8 { err, .. } => {
                format!("field {} is not valid UTF-8", err.field() + 1)
            }
            _ => e.to_string(),
        };
        let at = line.map_or_else(String::new, |l| format!(" at line {l}"));
        match e.kind() {
            csv::ErrorKind::Io(_) => Error::Io(format!("reading the CSV{at}: {message}")),
            _ => Error::InvalidInput(format!("malformed CSV{at}: {message}")),
        }
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that `value` is finite and strictly positive.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::param(name, value, "must be finite and > 0"))
    }
}

/// Checks that `value` is finite and non-negative.
pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::param(name, value, "must be finite and >= 0"))
    }
}
