//! The models, one file per family, and the verbs they share.
//!
//! | setting | model |
//! |---|---|
//! | noncontractual, continuous time (customers can buy any time; churn unobserved) | [`BgNbd`], [`ParetoNbd`] |
//! | contractual, discrete periods (subscriptions; churn observed) | [`Sbg`] (shifted-beta-geometric) |
//! | spend per transaction (combine with a transaction model for customer value) | [`GammaGamma`] |

use crate::data::RfmData;
use crate::error::Result;

pub mod bg_nbd;
pub mod gamma_gamma;
pub mod pareto_nbd;
pub mod sbg;
mod spend;
pub(crate) mod transaction;

pub use bg_nbd::BgNbd;
pub use gamma_gamma::GammaGamma;
pub use pareto_nbd::ParetoNbd;
pub use sbg::Sbg;
pub use spend::SpendModel;
pub use transaction::TransactionModel;

/// Fits a noncontractual model on `data` (compressed summaries) in a well-conditioned time unit.
///
/// Times far from 1 (e.g. 1e-300, or seconds over decades) are multiplied by a power of two `k`
/// ([`RfmData::time_scale`]; exact, and 1 when the times are moderate or a penalty is set, since
/// an L2 penalty is not invariant to the unit). `fit` maximises the likelihood of the scaled
/// data from a start whose time-scale parameters (`rates`, e.g. α, β: per unit of time) are
/// scaled too; the estimate is mapped back (`θᵢ/k` for `i` in `rates`, standard errors and
/// covariance alike) and its log-likelihood gains `ln k` per repeat purchase (the density of
/// the purchase times in the caller's unit).
pub(crate) fn fit_in_time_unit(
    data: &RfmData,
    options: &crate::FitOptions,
    rates: &[usize],
    fit: impl FnOnce(&RfmData, &crate::FitOptions) -> Result<crate::optimize::Estimate>,
) -> Result<crate::optimize::Estimate> {
    let k = if options.penalty == 0.0 {
        data.time_scale()
    } else {
        1.0
    };
    if k == 1.0 {
        return fit(data, options);
    }
    let mut scaled_options = options.clone();
    if let Some(start) = &mut scaled_options.start {
        for &i in rates {
            if let Some(v) = start.get_mut(i) {
                *v *= k;
            }
        }
    }
    let mut est = fit(&data.with_time_scaled(k), &scaled_options)?;
    for &i in rates {
        est.rescale_param(i, 1.0 / k);
    }
    let repeat: f64 = data
        .frequency()
        .iter()
        .zip(data.weights())
        .map(|(x, w)| x * w)
        .sum();
    est.log_likelihood += repeat * k.ln();
    Ok(est)
}

/// A parametric model: its parameters by name, in a fixed order.
pub trait Model: Sized {
    /// Parameter names, in the order of [`Model::params`].
    const PARAM_NAMES: &'static [&'static str];
    /// The parameter values, in [`Model::PARAM_NAMES`] order.
    fn params(&self) -> Vec<f64>;
    /// Builds the model from parameter values in [`Model::PARAM_NAMES`] order.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when a value is out of the model's domain, or
    /// [`crate::Error::InvalidInput`] for a wrong number of values.
    fn from_params(params: &[f64]) -> Result<Self>;
}
