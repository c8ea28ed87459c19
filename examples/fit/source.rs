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
pub fn read_summary(args: &Args) -> Result<RfmData, Failure> {
    if args.compressed {
        return read_input(args, |r| RfmData::from_csv_reader_compressed(r));
    }
    read_input(args, |r| RfmData::from_csv_reader(r))
}

/// Reads `--input` as spend summaries (`SpendData`), as [`read_summary`].
pub fn read_spend(args: &Args) -> Result<SpendData, Failure> {
    read_input(args, |r| SpendData::from_csv_reader(r))
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
