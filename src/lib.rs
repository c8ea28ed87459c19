//! # clv: customer-lifetime-value models
//!
//! Probabilistic "buy till you die" models that answer *which customers are still active, how
//! much will each buy, and what is each worth?*, fitted by maximum likelihood with standard
//! errors.
//!
//! | business setting | model |
//! |---|---|
//! | noncontractual, customers may buy at any time, churn is never observed (retail, e-commerce) | [`BgNbd`] (Fader, Hardie & Lee 2005) |
//! | the same, with dropout possible also at time 0 (customers who never came back may be gone) | [`MbgNbd`] (Batislam, Denizel & Filiztekin 2007) |
//! | the same, with dropout possible at any time rather than only after a purchase | [`ParetoNbd`] (Schmittlein, Morrison & Colombo 1987) |
//! | noncontractual in discrete time: at most one transaction per opportunity (annual events, yearly donations) | [`BgBb`], beta-geometric/beta-binomial (Fader, Hardie & Shang 2010) |
//! | contractual, churn observed at period boundaries (subscriptions, insurance, memberships) | [`Sbg`], shifted-beta-geometric (Fader & Hardie 2007, 2010) |
//! | spend per transaction, for customer value with any of the above | [`GammaGamma`] (Fader, Hardie & Lee 2005; Fader & Hardie 2013) |
//!
//! ## Quick start
//!
//! ```
//! use clv::{BgNbd, FitOptions, RfmData, TransactionModel};
//!
//! // (x, t_x, T) per customer, in weeks
//! let data = RfmData::new(
//!     vec![2.0, 1.0, 0.0, 0.0, 4.0, 0.0, 7.0, 1.0],
//!     vec![30.43, 1.71, 0.0, 0.0, 20.0, 0.0, 29.86, 5.0],
//!     vec![38.86, 38.86, 38.86, 38.86, 31.0, 27.0, 31.0, 35.0],
//! )?;
//! let fitted = BgNbd::fit(&data, &FitOptions::default())?;
//! let model = fitted.model();
//! let customer = data.customer(0).unwrap();
//! let p_alive = model.probability_alive(&customer);
//! let next_39_weeks = model.conditional_expected_transactions(&customer, 39.0)?;
//! assert!((0.0..=1.0).contains(&p_alive) && next_39_weeks >= 0.0);
//! # Ok::<(), clv::Error>(())
//! ```
//!
//! ## Organisation
//! * [`data`]: validated inputs ([`RfmData`], [`Customer`]; [`CohortData`], [`LifetimeData`]) and
//!   transaction logs ([`data::TransactionLog`]: CSV and CDNOW readers, summaries,
//!   calibration/holdout splits).
//! * [`diagnostics`]: calibration histogram, holdout by frequency, tracking curves, error metrics;
//!   `plot` (feature `plot`) draws them as SVG.
//! * [`models`]: one module per model family; shared verbs in [`TransactionModel`].
//! * [`special`]: special functions (Gauss hypergeometric 2F1, ...).
//! * [`simulate`]: each model's data-generating process, seeded.
//! * [`value`]: discounted customer lifetime value for any transaction model with a spend model.
//! * [`Fitted`]: a model with what its fit learned (log-likelihood, standard errors, ...).
//!
//! Time is always in the caller's unit (days, weeks, ...): parameters with a time dimension and
//! every prediction are in that unit.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod data;
pub mod diagnostics;
pub mod error;
pub mod fit;
pub mod insight;
pub mod models;
mod numerics;
mod optimize;
mod parallel;
#[cfg(feature = "plot")]
#[cfg_attr(docsrs, doc(cfg(feature = "plot")))]
pub mod plot;
#[cfg(feature = "report")]
#[cfg_attr(docsrs, doc(cfg(feature = "report")))]
pub mod report;
pub mod simulate;
pub mod value;

pub use data::{Cohort, CohortData, ContractualData, Customer, LifetimeData, RfmData, SpendData};
pub use error::{Error, Result};
pub use fit::{Estimable, FitOptions, FitStatus, Fitted, Objective};
pub use models::{
    BgBb, BgNbd, BgNbdCov, GammaGamma, GammaGammaCov, MbgNbd, MbgNbdCov, Model, ParetoNbd,
    ParetoNbdCov, Sbg, SbgCov, TransactionModel, WithCovariates,
};
pub use numerics::special;

/// The README's code, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
