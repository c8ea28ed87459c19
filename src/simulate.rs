//! Each model's data-generating process, seeded: shortcuts for [`Simulate`] with a seeded
//! `StdRng`, for tests, benchmarks and users' own checks.
//!
//! ```
//! use clv::{BgNbd, simulate};
//! let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
//! let sim = simulate::bg_nbd(&model, &vec![39.0; 100], 42)?;
//! assert_eq!(sim.data.len(), 100);
//! # Ok::<(), clv::Error>(())
//! ```

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::data::{LifetimeData, SpendData};
use crate::error::Result;
use crate::models::{BgNbd, GammaGamma, MbgNbd, ParetoNbd, Sbg};
pub use crate::models::{MAX_SIMULATED_TRANSACTIONS, Simulate, Simulated};

/// Simulates BG/NBD customers observed for the given ages `T` (one customer each), seeded: the
/// draws of [`BgNbd`]'s [`Simulate`] with a `StdRng` seeded by `seed`.
///
/// # Errors
/// As [`Simulate::simulate`]: [`crate::Error::InvalidInput`] for no ages,
/// [`crate::Error::InvalidData`] for an age that is not finite and > 0.
pub fn bg_nbd(model: &BgNbd, ages: &[f64], seed: u64) -> Result<Simulated> {
    model.simulate(ages, &mut StdRng::seed_from_u64(seed))
}

/// Simulates MBG/NBD customers observed for the given ages `T` (one customer each), seeded
/// (see [`MbgNbd`]'s [`Simulate`]).
///
/// ```
/// use clv::{MbgNbd, simulate};
/// let model = MbgNbd::new(0.525, 6.183, 0.891, 1.614)?;
/// let sim = simulate::mbg_nbd(&model, &vec![39.0; 100], 7)?;
/// assert_eq!(sim.data.len(), 100);
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::InvalidInput`] for no ages, [`crate::Error::InvalidData`] for an age that is
/// not finite and > 0.
pub fn mbg_nbd(model: &MbgNbd, ages: &[f64], seed: u64) -> Result<Simulated> {
    model.simulate(ages, &mut StdRng::seed_from_u64(seed))
}

/// Simulates sBG customers, one per entry of `horizons` (the number of periods each is observed
/// for), seeded; returns their right-censored lifetimes in the order given (see [`Sbg`]'s
/// [`Simulate`]).
///
/// ```
/// use clv::{Sbg, simulate};
/// let model = Sbg::new(0.704, 1.182)?;
/// let data = simulate::sbg(&model, &[7; 1000], 7)?;
/// assert_eq!(data.n_customers(), 1000.0);
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::InvalidInput`] for no horizons, [`crate::Error::InvalidData`] for a horizon
/// of 0.
pub fn sbg(model: &Sbg, horizons: &[u32], seed: u64) -> Result<LifetimeData> {
    model.simulate(horizons, &mut StdRng::seed_from_u64(seed))
}

/// Simulates Pareto/NBD customers observed for the given ages `T` (one customer each), seeded
/// (see [`ParetoNbd`]'s [`Simulate`]).
///
/// ```
/// use clv::{ParetoNbd, simulate};
/// let model = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?;
/// let sim = simulate::pareto_nbd(&model, &vec![39.0; 100], 7)?;
/// assert_eq!(sim.alive.len(), 100);
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::InvalidInput`] for no ages, [`crate::Error::InvalidData`] for an age that is
/// not finite and > 0.
pub fn pareto_nbd(model: &ParetoNbd, ages: &[f64], seed: u64) -> Result<Simulated> {
    model.simulate(ages, &mut StdRng::seed_from_u64(seed))
}

/// Simulates Gamma-Gamma mean spends for customers with the given frequencies, seeded (see
/// [`GammaGamma`]'s [`Simulate`]).
///
/// ```
/// use clv::{GammaGamma, simulate};
/// let model = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let data = simulate::gamma_gamma(&model, &vec![3.0; 100], 7)?;
/// assert_eq!(data.len(), 100);
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::InvalidInput`] for no frequencies, [`crate::Error::InvalidData`] for a
/// frequency that is not a whole number `>= 0`.
pub fn gamma_gamma(model: &GammaGamma, frequency: &[f64], seed: u64) -> Result<SpendData> {
    model.simulate(frequency, &mut StdRng::seed_from_u64(seed))
}
