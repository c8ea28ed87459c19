//! Property tests of every model's public predictions over the whole parameter space: random
//! parameters log-uniform over `[1e-3, 1e8]` and random valid customers (`x` up to 1e5, `T` up to
//! 1e7, `t_x` at 0 when `x = 0`, else tiny, uniform in `(0, T)` or at `T`).
//!
//! Each property runs a few seconds at its default number of cases; `PROPTEST_CASES=5000 cargo
//! test --test properties` runs a long sweep. A failure shrinks to a minimal case (parameters
//! are drawn as powers of ten, so they shrink towards 1) and is recorded under
//! `tests/proptest-regressions/`, where proptest replays it first on every later run.
//!
//! What every prediction must satisfy (the crate's promise): an `Ok` value is finite, a
//! probability lies in `[0, 1]`, an expectation is `≥ 0` and non-decreasing in the horizon,
//! probabilities of counts sum to 1, the discounted and undiscounted expectations agree, and
//! rescaling the time unit changes nothing.

mod batch;
mod bg_bb;
mod bg_nbd;
mod gamma_gamma;
mod mbg_nbd;
mod pareto_nbd;
mod predictions;
mod sbg;
mod support;
mod value;
