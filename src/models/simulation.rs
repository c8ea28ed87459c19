//! What every model's simulation shares: the [`Simulate`] trait, the simulated customer base,
//! and the bound on the work a simulation may do.

use rand::Rng;

use crate::data::RfmData;
use crate::error::{Error, Result};

/// Most repeat transactions one simulation call may generate over all its customers (10⁸):
/// a purchase rate times an age beyond this would take minutes and gigabytes, so it is refused
/// with an error instead.
pub const MAX_SIMULATED_TRANSACTIONS: u64 = 100_000_000;

/// A model's data-generating process: draws a customer base from the model with the caller's
/// random number generator (seed it for reproducible draws; [`crate::simulate`] has seeded
/// shortcuts).
///
/// ```
/// use clv::{BgNbd, models::Simulate};
/// use rand::{SeedableRng, rngs::StdRng};
///
/// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let mut rng = StdRng::seed_from_u64(7);
/// let sim = model.simulate(&vec![39.0; 100], &mut rng)?;
/// assert_eq!(sim.data.len(), 100);
/// # Ok::<(), clv::Error>(())
/// ```
pub trait Simulate {
    /// What is fixed by the design of the simulation, one entry per customer (e.g. the ages
    /// `T` of noncontractual customers, the horizons of contractual ones, the frequencies of a
    /// spend model).
    type Design: ?Sized;
    /// The simulated data.
    type Output;

    /// Draws one customer per entry of `design`, in its order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty design, [`Error::InvalidData`] naming the entry for
    /// an invalid one, [`Error::InvalidInput`] when the draws would exceed
    /// [`MAX_SIMULATED_TRANSACTIONS`].
    fn simulate<R: Rng + ?Sized>(&self, design: &Self::Design, rng: &mut R)
    -> Result<Self::Output>;
}

/// A simulated noncontractual customer base: the summaries and, per customer, whether the
/// customer was truly alive at the end of observation.
#[derive(Debug, Clone)]
pub struct Simulated {
    /// The `(x, t_x, T)` summaries, in the order of the ages given.
    pub data: RfmData,
    /// Whether each customer was alive at `T`.
    pub alive: Vec<bool>,
}

/// An error for a sampling distribution that cannot be built.
pub(crate) fn dist_err(e: impl std::fmt::Display) -> Error {
    Error::Numerical(format!("cannot build sampling distribution: {e}"))
}

/// Checks an age `T` of a simulation design (row `i`, 0-based).
pub(crate) fn check_age(i: usize, t: f64) -> Result<f64> {
    if t.is_finite() && t > 0.0 {
        Ok(t)
    } else {
        Err(Error::data(i + 1, "T", t, "T must be finite and > 0"))
    }
}

/// Counts simulated transactions against [`MAX_SIMULATED_TRANSACTIONS`].
#[derive(Debug, Default)]
pub(crate) struct Budget(u64);

impl Budget {
    /// Counts one more transaction.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] past the bound.
    pub(crate) fn spend(&mut self) -> Result<()> {
        self.0 += 1;
        if self.0 > MAX_SIMULATED_TRANSACTIONS {
            return Err(Error::InvalidInput(format!(
                "the simulation would generate more than {MAX_SIMULATED_TRANSACTIONS} \
                 transactions (purchase rates times ages too large); simulate fewer customers \
                 or shorter ages"
            )));
        }
        Ok(())
    }
}

/// Checks that a design is not empty.
pub(crate) fn check_design(n: usize) -> Result<()> {
    if n == 0 {
        Err(Error::InvalidInput(
            "nothing to simulate: the design is empty".into(),
        ))
    } else {
        Ok(())
    }
}
