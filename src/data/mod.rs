//! Input data: validated per-customer summaries and the readers that build them.
//!
//! * [`RfmData`]: recency/frequency(/monetary) summaries `(x, t_x, T[, m])` of a noncontractual
//!   customer base, optionally weighted, validated once at construction.
//! * [`Customer`]: one validated `(x, t_x, T)` triple, the argument of per-customer predictions.
//! * [`SpendData`]: frequency and average spend `(x, m_x)` per customer, for spend models.

mod rfm;
mod spend;

pub use rfm::{Customer, RfmData};
pub use spend::SpendData;
