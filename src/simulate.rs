//! Each model's data-generating process, seeded, for tests, benchmarks and users' own checks.
//!
//! ```
//! use clv::{BgNbd, simulate};
//! let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
//! let sim = simulate::bg_nbd(&model, &vec![39.0; 100], 42)?;
//! assert_eq!(sim.data.len(), 100);
//! # Ok::<(), clv::Error>(())
//! ```

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};

use crate::data::{LifetimeData, RfmData};
use crate::error::{Error, Result};
use crate::models::{BgNbd, ParetoNbd, Sbg};

/// A simulated customer base: the summaries and, per customer, whether the customer was truly
/// alive at the end of observation.
#[derive(Debug, Clone)]
pub struct Simulated {
    /// The `(x, t_x, T)` summaries, in the order of the ages given.
    pub data: RfmData,
    /// Whether each customer was alive at `T`.
    pub alive: Vec<bool>,
}

fn dist_err(e: impl std::fmt::Display) -> Error {
    Error::Numerical(format!("cannot build sampling distribution: {e}"))
}

/// Simulates BG/NBD customers observed for the given ages `T` (one customer each), seeded.
///
/// Per customer: `λ ~ Gamma(r, α)`, `p ~ Beta(a, b)`; inter-purchase times `~ Exp(λ)`; after
/// each repeat purchase the customer dies with probability `p`.
///
/// # Errors
/// [`Error::InvalidInput`] for no ages, [`Error::InvalidData`] for an age that is not finite and > 0.
pub fn bg_nbd(model: &BgNbd, ages: &[f64], seed: u64) -> Result<Simulated> {
    let mut rng = StdRng::seed_from_u64(seed);
    let gamma = Gamma::new(model.r(), 1.0 / model.alpha()).map_err(dist_err)?;
    let beta = Beta::new(model.a(), model.b()).map_err(dist_err)?;
    let (mut xs, mut txs, mut alive) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &t_end) in ages.iter().enumerate() {
        if !(t_end.is_finite() && t_end > 0.0) {
            return Err(Error::data(i + 1, "T", t_end, "T must be finite and > 0"));
        }
        let lambda: f64 = gamma.sample(&mut rng);
        let p: f64 = beta.sample(&mut rng);
        let (mut x, mut tx, mut t, mut is_alive) = (0u64, 0.0, 0.0, true);
        if lambda > 0.0 {
            let exp = Exp::new(lambda).map_err(dist_err)?;
            loop {
                t += exp.sample(&mut rng);
                if t > t_end {
                    break;
                }
                x += 1;
                tx = t;
                if rng.random::<f64>() < p {
                    is_alive = false;
                    break;
                }
            }
        }
        xs.push(x as f64);
        txs.push(tx);
        alive.push(is_alive);
    }
    let data = RfmData::new(xs, txs, ages.to_vec())?;
    Ok(Simulated { data, alive })
}

/// Simulates sBG customers, one per entry of `horizons` (the number of periods each is observed
/// for), seeded; returns their right-censored lifetimes in the order given.
///
/// Per customer: `θ ~ Beta(α, β)`, lifetime `T ~ Geometric(θ)` on `{1, 2, ...}` (drawn by
/// inversion, `T = 1 + ⌊ln U / ln(1−θ)⌋`); a customer with `T <= horizon` churned in period
/// `T`, otherwise is still active after `horizon` periods.
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
/// [`Error::InvalidInput`] for no horizons, [`Error::InvalidData`] for a horizon of 0.
pub fn sbg(model: &Sbg, horizons: &[u32], seed: u64) -> Result<LifetimeData> {
    let mut rng = StdRng::seed_from_u64(seed);
    let beta = Beta::new(model.alpha(), model.beta()).map_err(dist_err)?;
    let (mut duration, mut churned) = (Vec::new(), Vec::new());
    for (i, &horizon) in horizons.iter().enumerate() {
        if horizon == 0 {
            return Err(Error::data(i + 1, "horizon", 0, "horizon must be >= 1"));
        }
        let theta: f64 = beta.sample(&mut rng);
        // U in (0, 1]; a lifetime beyond the horizon (or θ = 0, never churning) is censored.
        let u = 1.0 - rng.random::<f64>();
        let failures = if theta > 0.0 {
            u.ln() / (-theta).ln_1p()
        } else {
            f64::INFINITY
        };
        if failures < f64::from(horizon) {
            duration.push(failures.floor() as u32 + 1);
            churned.push(true);
        } else {
            duration.push(horizon);
            churned.push(false);
        }
    }
    LifetimeData::new(duration, churned)
}

/// Simulates Pareto/NBD customers observed for the given ages `T` (one customer each), seeded.
///
/// Per customer: `λ ~ Gamma(r, α)`, `μ ~ Gamma(s, β)` (rates), lifetime `ω ~ Exp(μ)`; purchases
/// form a Poisson process with rate `λ` on `(0, min(ω, T)]`. The customer is alive at `T` when
/// `ω > T`.
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
/// [`Error::InvalidInput`] for no ages, [`Error::InvalidData`] for an age that is not finite and > 0.
pub fn pareto_nbd(model: &ParetoNbd, ages: &[f64], seed: u64) -> Result<Simulated> {
    let mut rng = StdRng::seed_from_u64(seed);
    let purchase = Gamma::new(model.r(), 1.0 / model.alpha()).map_err(dist_err)?;
    let dropout = Gamma::new(model.s(), 1.0 / model.beta()).map_err(dist_err)?;
    let (mut xs, mut txs, mut alive) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &t_end) in ages.iter().enumerate() {
        if !(t_end.is_finite() && t_end > 0.0) {
            return Err(Error::data(i + 1, "T", t_end, "T must be finite and > 0"));
        }
        let lambda: f64 = purchase.sample(&mut rng);
        let mu: f64 = dropout.sample(&mut rng);
        let lifetime = if mu > 0.0 {
            Exp::new(mu).map_err(dist_err)?.sample(&mut rng)
        } else {
            f64::INFINITY
        };
        let end = lifetime.min(t_end);
        let (mut x, mut tx) = (0u64, 0.0);
        if lambda > 0.0 {
            let exp = Exp::new(lambda).map_err(dist_err)?;
            let mut t = 0.0;
            loop {
                t += exp.sample(&mut rng);
                if t > end {
                    break;
                }
                x += 1;
                tx = t;
            }
        }
        xs.push(x as f64);
        txs.push(tx);
        alive.push(lifetime > t_end);
    }
    let data = RfmData::new(xs, txs, ages.to_vec())?;
    Ok(Simulated { data, alive })
}
