//! Input data: validated per-customer summaries and the readers that build them.
//!
//! * [`RfmData`]: recency/frequency(/monetary) summaries `(x, t_x, T[, m])` of a noncontractual
//!   customer base, optionally weighted, with optional customer ids and named covariates,
//!   validated once at construction.
//! * [`Customer`]: one validated `(x, t_x, T)` triple, the argument of per-customer predictions.
//! * [`CohortData`] ([`Cohort`]) and [`LifetimeData`]: contractual data (churn observed), as
//!   cohort survival counts or individual, possibly right-censored lifetimes;
//!   [`ContractualData`] reads either from CSV.
//! * [`TransactionLog`]: raw transactions (customer id, time, optional amount) read from CSV
//!   ([`TransactionReader`]) or CDNOW's raw format, summarised into [`RfmData`]
//!   ([`TransactionLog::summarize`]) or split at a cut-off into calibration and holdout
//!   ([`TransactionLog::calibration_holdout`], [`CalibrationHoldout`]).
//! * [`SpendData`]: frequency and average spend `(x, m_x)` per customer, for spend models.
//! * Real files: [`ColumnMap`] reads columns under other names (`x`, `t_x`, `zbar`, ... or
//!   any mapping), [`WhitespaceCsv`] / [`Delimiter`] read whitespace-aligned or other
//!   delimited text, [`TimeFormat`] reads ISO dates and date-times, `YYYYMMDD`, Unix seconds
//!   and `strftime`-like patterns ([`DatePattern`]); with the feature `parquet`, `ColumnarCsv`
//!   reads Parquet and Arrow IPC files through the same readers and `write_summary_parquet`
//!   writes summaries.
//! * [`limits`]: the largest values accepted (counts, times, weights, durations), chosen so that
//!   every likelihood term and every sum over the rows stays finite.
//!
//! Every table compresses identical rows into weighted ones the same way: the distinct rows
//! sorted by their values (so the result does not depend on the input order), each weighing the
//! sum of its rows' weights, with a map from each input row to its distinct row.

#[cfg(feature = "parquet")]
mod arrow;
pub mod categorical;
mod columns;
mod compress;
mod mapping;
mod plain;
mod whitespace;
pub(crate) use compress::{FrequencyGroups, index_pairs};
mod contractual;
pub mod limits;
mod rfm;
mod spend;
mod stream;
mod table;
mod transactions;

pub use contractual::{Cohort, CohortData, ContractualData, LifetimeData};
pub use rfm::{Customer, RfmData};
pub use spend::SpendData;

#[cfg(feature = "parquet")]
#[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
pub use arrow::{Columnar, ColumnarCsv, write_summary_parquet};
pub use mapping::{ColumnMap, LOG_ALIASES, SUMMARY_ALIASES};
pub use whitespace::{Delimiter, WhitespaceCsv};

pub use transactions::{
    CalibrationHoldout, DatePattern, Opportunity, Periods, Summary, TimeFormat, TransactionLog,
    TransactionReader, civil_from_days, days_from_civil,
};

/// Checks that a table of `n` rows (its first column named `first`) is not empty and that every
/// other column, given as `(name, length)`, has `n` values.
pub(crate) fn check_columns(
    n: usize,
    first: &str,
    others: &[(&str, Option<usize>)],
) -> crate::Result<()> {
    if n == 0 {
        return Err(crate::Error::InvalidInput(
            "no customers: the data is empty".into(),
        ));
    }
    for &(name, len) in others {
        if let Some(len) = len.filter(|&l| l != n) {
            return Err(crate::Error::InvalidInput(format!(
                "column `{name}` has {len} values but `{first}` has {n}"
            )));
        }
    }
    Ok(())
}

/// The error of a selection of the customers with a repeat transaction that finds none.
pub(crate) fn no_repeat_customers() -> crate::Error {
    crate::Error::InvalidInput(
        "no customer has a repeat transaction (column `frequency` is 0 in every row)".into(),
    )
}
