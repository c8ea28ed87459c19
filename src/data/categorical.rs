//! Categorical covariates as indicator (dummy) columns.
//!
//! A string column such as `channel = web|store|app` enters a model with covariates as one
//! 0/1 column per level except a *reference* level, whose customers have every indicator 0:
//! the coefficient of `channel_web` is then the effect of `web` relative to the reference. The
//! reference is the first level in sorted (byte) order unless named.
//!
//! ```
//! use clv::data::categorical::Indicators;
//! let channel = ["web", "store", "app", "web"];
//! let ind = Indicators::new("channel", &channel, None)?;
//! assert_eq!(ind.reference(), "app");
//! assert_eq!(ind.names(), ["channel_store", "channel_web"]);
//! assert_eq!(ind.columns()[1], [1.0, 0.0, 0.0, 1.0]);
//!
//! let ind = Indicators::new("channel", &channel, Some("store"))?;
//! assert_eq!(ind.names(), ["channel_app", "channel_web"]);
//! # Ok::<(), clv::Error>(())
//! ```

use super::RfmData;
use crate::error::{Error, Result};

/// Indicator columns of one categorical column (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Indicators {
    reference: String,
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl Indicators {
    /// The indicators of `values` (one per row), named `<column>_<level>`, for every level but
    /// `reference` (default: the first level in sorted order). Values are trimmed.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the row (from 1) and the column for a blank value;
    /// [`Error::InvalidInput`] for no rows, a single level (nothing to compare), or a named
    /// reference that does not occur.
    pub fn new<S: AsRef<str>>(column: &str, values: &[S], reference: Option<&str>) -> Result<Self> {
        if values.is_empty() {
            return Err(Error::InvalidInput(format!(
                "categorical column {column:?} has no rows"
            )));
        }
        let mut levels: Vec<&str> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let v = v.as_ref().trim();
            if v.is_empty() {
                return Err(Error::data(
                    i + 1,
                    column,
                    "\"\"",
                    "the category is missing",
                ));
            }
            levels.push(v);
        }
        levels.sort_unstable();
        levels.dedup();
        if levels.len() < 2 {
            return Err(Error::InvalidInput(format!(
                "categorical column {column:?} has a single level ({:?}): nothing to compare",
                levels.first().copied().unwrap_or("")
            )));
        }
        let reference = match reference {
            Some(r) => {
                let r = r.trim();
                if !levels.contains(&r) {
                    return Err(Error::InvalidInput(format!(
                        "reference level {r:?} does not occur in column {column:?} (levels: {})",
                        levels.join(", ")
                    )));
                }
                r
            }
            None => levels[0],
        };
        let others: Vec<&str> = levels.into_iter().filter(|l| *l != reference).collect();
        let columns = others
            .iter()
            .map(|l| {
                values
                    .iter()
                    .map(|v| if v.as_ref().trim() == *l { 1.0 } else { 0.0 })
                    .collect()
            })
            .collect();
        Ok(Indicators {
            reference: reference.to_string(),
            names: others.iter().map(|l| format!("{column}_{l}")).collect(),
            columns,
        })
    }

    /// The reference level (all indicators 0).
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The indicator columns' names, `<column>_<level>`, in sorted order of the levels.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The indicator columns, one value per row.
    pub fn columns(&self) -> &[Vec<f64>] {
        &self.columns
    }
}

impl RfmData {
    /// The same customers with the indicator columns of the categorical `values` (one per row)
    /// added to their covariates (see [`Indicators`]).
    ///
    /// ```
    /// use clv::RfmData;
    /// let data = RfmData::new(vec![1.0, 0.0, 3.0], vec![5.0, 0.0, 9.0], vec![10.0; 3])?
    ///     .with_categorical("channel", &["web", "store", "web"], None)?;
    /// assert_eq!(data.covariate_names(), ["channel_web"]);
    /// assert_eq!(data.covariate("channel_web"), Some(&[1.0, 0.0, 1.0][..]));
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Indicators::new`]; [`Error::InvalidInput`] for a number of values other than the
    /// number of rows, or an indicator name the data already has.
    pub fn with_categorical<S: AsRef<str>>(
        self,
        column: &str,
        values: &[S],
        reference: Option<&str>,
    ) -> Result<Self> {
        if values.len() != self.len() {
            return Err(Error::InvalidInput(format!(
                "{} values of {column:?} for {} rows: give one per row",
                values.len(),
                self.len()
            )));
        }
        let ind = Indicators::new(column, values, reference)?;
        let mut names = self.covariate_names().to_vec();
        let mut columns: Vec<Vec<f64>> = names
            .iter()
            .map(|n| self.covariate(n).map(<[f64]>::to_vec).unwrap_or_default())
            .collect();
        names.extend(ind.names);
        columns.extend(ind.columns);
        self.with_covariates(names, columns)
    }
}
