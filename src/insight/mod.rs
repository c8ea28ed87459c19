//! From forecasts to decisions: retention KPIs, value segments, at-risk customers.
//!
//! - [`cohort_retention`]: the empirical retention KPIs CRM texts define (raw, sales- and
//!   profit-adjusted retention, churn, active/new/returning customers, revenue) by acquisition
//!   cohort and calendar period, with the cohort triangle as CSV;
//! - [`sbg_retention`] and [`alive_share`]: the model's view of the same — sBG-projected
//!   retention beside the observed for contractual cohorts (from a log through
//!   [`cohort_survival`]), the expected share of the base alive and the expected repeat
//!   buyers, cumulative and per period, for noncontractual customers;
//! - [`segment_customers`]: one table keyed by customer id with CLV, value tier
//!   ([`Tiers`]), RFM scores and segment ([`RfmSegment`]), P(alive) now and at a reference
//!   date, and the at-risk flag ([`AtRiskRule`]); [`segment_fitted`] adds the interval of
//!   every value from the parameter uncertainty of both fits ([`ValueInterval`]);
//! - [`acquisition_ceiling`]: the expected discounted value of a new customer by cohort, and
//!   [`acquisition_ceiling_by_profile`] by covariate profile ([`CovariateProfile`]).
//!
//! Every rate whose base is empty is absent (`None`, or no row), never `0/0`.

mod model_retention;
mod retention;
mod segments;

pub use model_retention::{
    AliveShare, ContractualRetention, alive_share, cohort_survival, sbg_retention,
};
pub use retention::{
    Period, PeriodActivity, Profit, RETENTION_CSV_HEADER, RetentionCell, RetentionRate,
    RetentionTable, cohort_retention,
};
pub use segments::{
    AcquisitionCeiling, AtRiskRule, CovariateProfile, CustomerSegment, ProfileCeiling,
    ProfileSpend, RfmScore, RfmSegment, SEGMENT_CSV_HEADER, SegmentOptions, SegmentTable, Tiers,
    ValueInterval, acquisition_ceiling, acquisition_ceiling_by_profile, quintile_scores,
    rfm_scores, segment_customers, segment_fitted,
};
