//! Input data: validated per-customer summaries and the readers that build them.
//!
//! * [`RfmData`]: recency/frequency(/monetary) summaries `(x, t_x, T[, m])` of a noncontractual
//!   customer base, optionally weighted, validated once at construction.
//! * [`Customer`]: one validated `(x, t_x, T)` triple, the argument of per-customer predictions.

mod rfm;

pub use rfm::{Customer, RfmData};
