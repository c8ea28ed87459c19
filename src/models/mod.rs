//! The models, one file per family, and the verbs they share.
//!
//! | setting | model |
//! |---|---|
//! | noncontractual, continuous time (customers can buy any time; churn unobserved) | [`BgNbd`], [`MbgNbd`], [`ParetoNbd`] |
//! | noncontractual, discrete opportunities (at most one transaction per period; churn unobserved) | [`BgBb`] |
//! | contractual, discrete periods (subscriptions; churn observed) | [`Sbg`] (shifted-beta-geometric) |
//! | spend per transaction (combine with a transaction model for customer value) | [`GammaGamma`] |

use crate::data::RfmData;
use crate::fit::Rescaling;

pub mod bg_bb;
pub mod bg_nbd;
pub mod covariates;
pub mod gamma_gamma;
pub mod mbg_nbd;
pub mod pareto_nbd;
pub mod sbg;
mod simulation;
mod spend;
pub(crate) mod transaction;

pub use crate::fit::Model;
pub use bg_bb::BgBb;
pub use bg_nbd::BgNbd;
pub use covariates::{BgNbdCov, GammaGammaCov, MbgNbdCov, ParetoNbdCov, SbgCov, WithCovariates};
pub use gamma_gamma::GammaGamma;
pub use mbg_nbd::MbgNbd;
pub use pareto_nbd::ParetoNbd;
pub use sbg::{CohortFits, Sbg};
pub use simulation::{MAX_SIMULATED_TRANSACTIONS, Simulate, Simulated};
pub use spend::SpendModel;
pub use transaction::{MAX_INTERVAL_COUNT, PredictiveTotal, TransactionModel};

/// The rows a noncontractual model's likelihood sums over: the distinct `(x, t_x, T)` of `data`
/// with their weights, after checking that someone made a repeat purchase (without one, the
/// purchase and dropout processes cannot be told apart and the fit has no maximum).
pub(crate) fn summary_rows(data: &RfmData, model: &str) -> crate::error::Result<RfmData> {
    data.require_repeat_purchases(model)?;
    Ok(data.distinct_customers().0)
}

/// Expresses noncontractual summaries in a well-conditioned time unit for a fit: times far
/// from 1 (e.g. 1e-300, or seconds over decades) are multiplied by a power of two `k`
/// ([`RfmData::time_scale`]; exact). The model's time-scale parameters (`rates`, e.g. α, β: per
/// unit of time) come out `k` times larger on the scaled data, and the log-likelihood of the
/// caller's data gains `ln k` per repeat purchase (the density of the purchase times in the
/// caller's unit). `None` when the times are moderate.
pub(crate) fn rescale_time(rows: &mut RfmData, rates: &[usize]) -> Option<Rescaling> {
    let k = rows.time_scale();
    if k == 1.0 {
        return None;
    }
    let repeat: f64 = rows
        .frequency()
        .iter()
        .zip(rows.weights())
        .map(|(x, w)| x * w)
        .sum();
    *rows = rows.with_time_scaled(k);
    Some(Rescaling {
        factor: k,
        params: rates.to_vec(),
        log_jacobian: repeat,
    })
}

/// The mean purchase rate `Σ w x / Σ w T` of the rows (`1/Σ w T` without repeat purchases), to
/// scale start points.
pub(crate) fn purchase_rate(rows: &RfmData) -> f64 {
    let (sx, st) = rows
        .frequency()
        .iter()
        .zip(rows.age())
        .zip(rows.weights())
        .fold((0.0, 0.0), |(sx, st), ((x, t), w)| (sx + w * x, st + w * t));
    if sx > 0.0 { sx / st } else { 1.0 / st }
}
