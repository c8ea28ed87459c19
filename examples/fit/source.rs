//! Where the model comes from: a fit to the data (optionally saved with `--save`), or the
//! parameters of an earlier run (`--params FILE.json`).

use std::fmt::Write as _;

use clv::data::{ColumnMap, Delimiter};
use clv::fit::{Estimable, Rows};
use clv::{FitOptions, Fitted, Model, RfmData, SpendData};
use serde_json::{Value, json};

use super::transactions::{column_map, open_table};
use super::{Args, Failure, input, named, noncontractual, number, write_to};

/// Reads `--input` as customer summaries (`RfmData`), with `--columns`, `--delimiter` and the
/// common other names of summary columns.
/// With `--compressed`, the summaries are read as a stream of weighted distinct rows.
/// A plain file (`RfmData::from_plain_csv_reader`) is parsed on every core.
pub fn read_summary(args: &Args) -> Result<RfmData, Failure> {
    if args.compressed {
        return read_input(args, |r| RfmData::from_csv_reader_compressed(r));
    }
    if let Some(data) = read_plain(args, |r| RfmData::from_plain_csv_reader(r, &[]))? {
        return Ok(data);
    }
    read_input(args, |r| RfmData::from_csv_reader(r))
}

/// Distinct rows of a table and each row's index among them (`RfmData::distinct_customers`).
pub type Distinct = (RfmData, Vec<usize>);

/// Reads `--input` as [`read_summary`], with the distinct rows and each row's index among them
/// (`RfmData::distinct_customers`) when the file is plain: merged by hashing as it is read
/// (`RfmData::from_plain_csv_reader_grouped`).
pub fn read_summary_grouped(args: &Args) -> Result<(RfmData, Option<Distinct>), Failure> {
    if !args.compressed {
        if let Some((data, grouped)) =
            read_plain(args, |r| RfmData::from_plain_csv_reader_grouped(r))?
        {
            return Ok((data, Some(grouped)));
        }
    }
    Ok((read_summary(args)?, None))
}

/// The distinct rows of `--input` and each row's index among them
/// (`RfmData::from_plain_csv_reader_indexed`) when the file is plain and has no customer ids,
/// without keeping the rows themselves; `None` otherwise (read it by [`read_summary_grouped`]).
pub fn read_summary_indexed(args: &Args) -> Result<Option<Distinct>, Failure> {
    if args.compressed {
        return Ok(None);
    }
    read_plain(args, |r| RfmData::from_plain_csv_reader_indexed(r))
}

/// Reads `--input` as summaries for a fit that needs no row of its own (no predictions, no
/// intervals): the distinct rows with summed weights, read as a stream
/// (`RfmData::from_csv_reader_distinct`: the same checks, the same fit, memory following the
/// distinct rows; a plain file through `RfmData::from_plain_csv_reader_distinct`, on every
/// core), or as [`read_summary`] for a file with customer ids or `--compressed`.
pub fn read_summary_for_fit(args: &Args) -> Result<RfmData, Failure> {
    if !args.compressed {
        if let Some(data) = read_plain(args, |r| RfmData::from_plain_csv_reader_distinct(r))? {
            return Ok(data);
        }
        if let Some(data) = read_input(args, |r| RfmData::from_csv_reader_distinct(r))? {
            return Ok(data);
        }
    }
    read_summary(args)
}

/// Reads `--input` as spend summaries (`SpendData`), as [`read_summary`].
pub fn read_spend(args: &Args) -> Result<SpendData, Failure> {
    read_input(args, |r| SpendData::from_csv_reader(r))
}

/// Reads `--input`, when it is a file (read again if need be), through `plain`, a reader of
/// plain text on every core that gives `None` for anything else or on an error (the file is
/// then read by the reader that names the error).
fn read_plain<T>(
    args: &Args,
    plain: impl FnOnce(&mut dyn std::io::Read) -> Option<T>,
) -> Result<Option<T>, Failure> {
    if !std::fs::metadata(input(args)?).is_ok_and(|m| m.is_file()) {
        return Ok(None);
    }
    read_input(args, |r| Ok(plain(r)))
}

/// Reads `--input` through `parse` with the column mapping and delimiter of `args`.
fn read_input<T>(
    args: &Args,
    parse: impl FnOnce(&mut dyn std::io::Read) -> clv::Result<T>,
) -> Result<T, Failure> {
    let path = input(args)?;
    let (file, delimiter) = open_table(args, "--input", path)?;
    let map = column_map(args, &ColumnMap::summary_aliases());
    let delimiter = match delimiter {
        // Summaries hold no empty fields: tabs separate them as any whitespace does.
        Delimiter::Byte(b'\t') => Delimiter::Whitespace,
        d @ (Delimiter::Whitespace | Delimiter::Byte(b',')) => d,
        _ => {
            return Err(Failure(
                format!(
                    "--input {path}: summaries are read comma-, tab- or whitespace-separated \
                     (give --delimiter , or whitespace)"
                ),
                2,
            ));
        }
    };
    Ok(map.read(file, delimiter, |r, _| parse(r))?)
}

/// Prepends a `customer_id` column to a CSV text of one row per id (after its header).
pub fn with_leading_ids(csv: &str, ids: &[String]) -> String {
    let mut out = String::with_capacity(csv.len() + 12 * ids.len());
    for (i, line) in csv.lines().enumerate() {
        let id = match i {
            0 => "customer_id",
            _ => ids.get(i - 1).map_or("", String::as_str),
        };
        let _ = writeln!(out, "{},{line}", csv_field(id));
    }
    out
}

/// Appends `v` as `{:?}` writes it (the shortest text that reads back as `v`, the closest to
/// `v` of those: `1.0`, `0.25`, `1e-7`, `-0.0`), through `ryu`, several times faster for the
/// large CSVs of predictions and summaries. Both write plain decimals for `1e-4 <= |v| < 1e16`
/// and the same digits, but for a tie: when `v` lies exactly halfway between two shortest
/// texts (`1149636667324797.25` between `…797.2` and `…797.3`), `ryu` takes the even digit and
/// `{:?}` the larger. A tie needs `v` to have exactly one more decimal than the text (its
/// binary fraction has as many digits as its decimal one); then `{:?}` writes it.
pub fn push_float(out: &mut String, v: f64) {
    let a = v.abs();
    if a == 0.0 || (1e-4..1e16).contains(&a) {
        let mut buffer = ryu::Buffer::new();
        let text = buffer.format_finite(v);
        let decimals = text.find('.').map_or(0, |i| text.len() - i - 1);
        // The decimals of `v` itself: `m · 2^e` has `-e` of them (m odd, e < 0).
        let bits = v.to_bits();
        let (exponent, mantissa) = ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1));
        let (m, e) = match exponent {
            0 => (mantissa, -1074),
            x => (mantissa | 1 << 52, x as i64 - 1075),
        };
        let exact = -(e + i64::from(m.trailing_zeros()));
        if a == 0.0 || exact != decimals as i64 + 1 {
            out.push_str(text);
            return;
        }
    }
    let _ = write!(out, "{v:?}");
}

/// The CSV text of `header` (a line, with its `\n`) and `n` rows, row `i` appended to a buffer
/// by `row(buffer, i)` (its line end included): the rows are cut into one part per core,
/// written at once, and joined in order (the same text as writing them one after another).
/// `bytes_per_row` is a guess of a row's length.
pub fn csv_rows(
    header: &str,
    n: usize,
    bytes_per_row: usize,
    row: impl Fn(&mut String, usize) + Sync,
) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let parts = cores.min(n / 4096 + 1);
    let chunk = n.div_ceil(parts);
    let write = |p: usize, out: &mut String| {
        for i in (p * chunk)..((p + 1) * chunk).min(n) {
            row(out, i);
        }
    };
    // The first part is written into the result, the others into buffers of their own.
    let mut out = String::with_capacity(header.len() + bytes_per_row * n);
    out.push_str(header);
    let rest: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..parts)
            .map(|p| {
                let write = &write;
                s.spawn(move || {
                    let mut text = String::with_capacity(bytes_per_row * chunk);
                    write(p, &mut text);
                    text
                })
            })
            .collect();
        write(0, &mut out);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for text in rest {
        out.push_str(&text);
    }
    out
}

/// A CSV field, quoted when it needs to be.
pub fn csv_field(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

/// The model to predict with.
pub enum Source<M> {
    /// Fitted to the input.
    Fitted(Fitted<M>),
    /// Read from `--params`, with the customers and distinct rows of the input as a fit would
    /// count them.
    Given {
        /// The model.
        model: M,
        /// Customers in the input.
        n_customers: f64,
        /// Distinct rows in the input.
        n_distinct: usize,
    },
}

impl<M: Estimable> Source<M> {
    /// Reads `--params` when given, otherwise fits `M` to `data` (and writes `--save`).
    pub fn obtain(
        args: &Args,
        data: &M::Data,
        raw_counts: impl FnOnce() -> (f64, usize),
        options: &FitOptions,
    ) -> Result<Self, Failure> {
        match &args.params {
            Some(path) => {
                let model = read_params::<M>(path)?;
                // Counted as the fit counts them (e.g. Gamma-Gamma's customers with repeat
                // purchases); data a fit would refuse are still predicted, counted as given.
                let (n_customers, n_distinct) = match M::prepare(data) {
                    Ok(rows) => (rows.n_customers(), rows.n_rows()),
                    Err(_) => raw_counts(),
                };
                Ok(Source::Given {
                    model,
                    n_customers,
                    n_distinct,
                })
            }
            None => {
                let fitted = M::fit(data, options)?;
                if let Some(path) = &args.save {
                    let text = serde_json::to_string_pretty(&fitted).map_err(|e| {
                        Failure(format!("--save {path}: cannot serialise the fit: {e}"), 1)
                    })?;
                    write_to("--save", path, &(text + "\n"))?;
                }
                Ok(Source::Fitted(fitted))
            }
        }
    }

    /// The model.
    pub fn model(&self) -> &M {
        match self {
            Source::Fitted(f) => f.model(),
            Source::Given { model, .. } => model,
        }
    }

    /// The JSON report: the fit's (see [`noncontractual::report`]), or for `--params`
    /// `{"model", "params", "n_customers", "n_distinct"}`.
    pub fn report(&self, name: &str) -> Value {
        match self {
            Source::Fitted(f) => noncontractual::report(name, f),
            Source::Given {
                model,
                n_customers,
                n_distinct,
            } => json!({
                "model": name,
                "params": named(M::PARAM_NAMES, &model.params()),
                "n_customers": number(*n_customers),
                "n_distinct": n_distinct,
            }),
        }
    }

    /// The fit, when there was one.
    pub fn fitted(&self) -> Option<&Fitted<M>> {
        match self {
            Source::Fitted(f) => Some(f),
            Source::Given { .. } => None,
        }
    }
}

/// The model from the `"params"` object of the JSON file at `path` (what `fit` printed, or
/// what `--save` wrote): every parameter of the model by name, no other; a `"model"` key, if
/// present, must name the same model.
fn read_params<M: Model>(path: &str) -> Result<M, Failure> {
    let bad = |msg: String| Failure(format!("--params {path}: {msg}"), 2);
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    if let Some(model) = json.get("model") {
        if model.as_str() != Some(M::NAME) {
            return Err(bad(format!(
                "the parameters are of model {model}, not {}",
                M::NAME
            )));
        }
    }
    let Some(params) = json.get("params").and_then(Value::as_object) else {
        return Err(bad(
            "no \"params\" object (give the JSON that fit printed or --save wrote)".into(),
        ));
    };
    if let Some(extra) = params
        .keys()
        .find(|k| !M::PARAM_NAMES.contains(&k.as_str()))
    {
        return Err(bad(format!(
            "\"params\" has {extra:?}, which is not a parameter of {} ({})",
            M::NAME,
            M::PARAM_NAMES.join(", ")
        )));
    }
    let values = M::PARAM_NAMES
        .iter()
        .map(|n| match params.get(*n) {
            Some(v) => v
                .as_f64()
                .ok_or_else(|| bad(format!("\"params\".{n} is not a number: {v}"))),
            None => Err(bad(format!("\"params\" lacks {n:?}"))),
        })
        .collect::<Result<Vec<f64>, Failure>>()?;
    M::from_params(&values).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    /// `csv_rows` writes what one loop over the rows writes, whatever the number of parts.
    #[test]
    fn rows_written_in_parts_are_the_rows_written_in_order() {
        let value = |i: usize| (i as f64).sqrt() * 1e-3 + i as f64;
        for n in [0, 1, 2, 4095, 4096, 4097, 10_001, 100_000] {
            let mut want = String::from("a,b\n");
            for i in 0..n {
                super::push_float(&mut want, value(i));
                want.push(',');
                super::push_float(&mut want, -value(n - i));
                want.push('\n');
            }
            let got = super::csv_rows("a,b\n", n, 8, |out, i| {
                super::push_float(out, value(i));
                out.push(',');
                super::push_float(out, -value(n - i));
                out.push('\n');
            });
            assert_eq!(got, want, "{n}");
        }
    }

    /// `push_float` writes what `{:?}` writes: zeros, whole numbers, the ends of the plain
    /// decimal range, and a million floats of random bits and of random decimals.
    #[test]
    fn push_float_writes_what_debug_writes() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.0,
            0.1,
            1e-4,
            9.999999999999999e-5,
            1e16,
            9.999999999999998e15,
            1e-7,
            1e300,
            5e-324,
            0.3,
            39.0,
            1.0 / 3.0,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        for _ in 0..500_000 {
            let bits = f64::from_bits(next());
            if bits.is_finite() {
                values.push(bits);
            }
            let digits = (next() % 10_000_000_000) as f64 / 10f64.powi((next() % 14) as i32);
            values.push(digits);
            // binary fractions of few digits at every scale, where ties lie
            let short = f64::from_bits(next() & !((1u64 << (next() % 53)) - 1));
            if short.is_finite() {
                values.push(short);
            }
        }
        let mut out = String::new();
        for v in values {
            out.clear();
            super::push_float(&mut out, v);
            assert_eq!(out, format!("{v:?}"));
        }
    }
}
