//! The optional columns the customer tables share: customer ids and named covariates.

use std::collections::HashMap;
use std::io::Read;

use super::limits::show;
use super::table::{Column, Csv};
use crate::error::{Error, Result};

/// The header names of the optional customer-id column, in order of preference: a file with
/// both reads `customer_id`.
pub(crate) const ID_COLUMNS: [&str; 2] = ["customer_id", "id"];

/// The customer-id column of a CSV header, if it has one (see [`ID_COLUMNS`]).
///
/// Errors: as [`Csv::find`].
pub(crate) fn find_id_column<R: Read>(csv: &Csv<R>) -> Result<Option<Column>> {
    match csv.find(&ID_COLUMNS[..1])? {
        Some(c) => Ok(Some(c)),
        None => csv.find(&ID_COLUMNS[1..]),
    }
}

/// Checks customer ids: none blank, none repeated. `row(i)` numbers row `i` in errors and
/// `field` names the column.
///
/// Errors: [`Error::InvalidData`] naming the row, the column and the id for a blank id, or for
/// an id seen on an earlier row (both rows named).
pub(crate) fn check_ids(ids: &[String], row: impl Fn(usize) -> usize, field: &str) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if id.trim().is_empty() {
            return Err(Error::data(
                row(i),
                field,
                format!("{id:?}"),
                "customer id is missing",
            ));
        }
        if let Some(&first) = seen.get(id.as_str()) {
            return Err(Error::data(
                row(i),
                field,
                format!("{id:?}"),
                format!(
                    "customer id {id:?} appears twice (rows {} and {}): ids must be distinct",
                    row(first),
                    row(i)
                ),
            ));
        }
        seen.insert(id, i);
    }
    Ok(())
}

/// Checks that a table of `n` rows can take `ids` (one per row, as [`check_ids`]).
///
/// Errors: [`Error::InvalidInput`] for a length other than `n`; otherwise as [`check_ids`]
/// (rows numbered from 1, column `customer_id`).
pub(crate) fn check_id_column(n: usize, ids: &[String]) -> Result<()> {
    if ids.len() != n {
        return Err(Error::InvalidInput(format!(
            "{} customer ids for {n} rows: give one id per row",
            ids.len()
        )));
    }
    check_ids(ids, |i| i + 1, ID_COLUMNS[0])
}

/// Checks a value of covariate `name` on row `row`: a finite number. Returns it with `-0`
/// folded into `0`.
///
/// Errors: [`Error::InvalidData`] naming the row and the covariate for NaN or an infinity.
pub(crate) fn check_covariate(row: usize, name: &str, v: f64) -> Result<f64> {
    if !v.is_finite() {
        return Err(Error::data(
            row,
            name,
            show(v),
            format!("covariate `{name}` must be a finite number"),
        ));
    }
    Ok(v + 0.0)
}

/// Named `f64` columns describing the customers (covariates), each with one finite value per
/// row.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Covariates {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl Covariates {
    /// Validated covariates for a table of `n` rows; values `-0` are stored as `0`.
    ///
    /// Errors: [`Error::InvalidInput`] when the names and columns differ in number, a name is
    /// blank or given twice, or a column does not have `n` values; [`Error::InvalidData`] naming
    /// the row (from 1) and the covariate for a value that is NaN or infinite.
    pub(crate) fn new(n: usize, names: Vec<String>, mut columns: Vec<Vec<f64>>) -> Result<Self> {
        if names.len() != columns.len() {
            return Err(Error::InvalidInput(format!(
                "{} covariate names but {} covariate columns",
                names.len(),
                columns.len()
            )));
        }
        for (j, (name, column)) in names.iter().zip(&mut columns).enumerate() {
            if name.trim().is_empty() {
                return Err(Error::InvalidInput(format!(
                    "covariate {} has no name",
                    j + 1
                )));
            }
            if names[..j].contains(name) {
                return Err(Error::InvalidInput(format!(
                    "covariate `{name}` is named twice"
                )));
            }
            if column.len() != n {
                return Err(Error::InvalidInput(format!(
                    "covariate `{name}` has {} values but the data has {n} rows",
                    column.len()
                )));
            }
            for (i, v) in column.iter_mut().enumerate() {
                *v = check_covariate(i + 1, name, *v)?;
            }
        }
        Ok(Covariates { names, columns })
    }

    /// The covariate names, in order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// The columns, in the order of the names.
    pub(crate) fn columns(&self) -> &[Vec<f64>] {
        &self.columns
    }

    /// The column of covariate `name`.
    pub(crate) fn column(&self, name: &str) -> Option<&[f64]> {
        let j = self.names.iter().position(|n| n == name)?;
        self.columns.get(j).map(Vec::as_slice)
    }

    /// The rows `rows` of every column, under the same names.
    pub(crate) fn select(&self, rows: &[usize]) -> Covariates {
        Covariates {
            names: self.names.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| super::compress::pick(c, rows))
                .collect(),
        }
    }
}
