//! Input data: validated per-customer summaries and the readers that build them.
//!
//! * [`RfmData`]: recency/frequency(/monetary) summaries `(x, t_x, T[, m])` of a noncontractual
//!   customer base, optionally weighted, validated once at construction.
//! * [`Customer`]: one validated `(x, t_x, T)` triple, the argument of per-customer predictions.
//! * [`CohortData`] ([`Cohort`]) and [`LifetimeData`]: contractual data (churn observed), as
//!   cohort survival counts or individual, possibly right-censored lifetimes;
//!   [`ContractualData`] reads either from CSV.

mod contractual;
mod rfm;

pub use contractual::{Cohort, CohortData, ContractualData, LifetimeData};
pub use rfm::{Customer, RfmData};
