//! Maximum-likelihood estimation: the only module that talks to `argmin`.
//!
//! A model hands over an [`Objective`] (its total weighted log-likelihood and gradient in the
//! natural parameters) and the lower bound of each parameter. We optimise the unconstrained
//! `u = ln(θ − lower)`, minimising the *mean* negative log-likelihood (plus an optional L2
//! penalty): the mean keeps the first gradient O(1), so the first L-BFGS step cannot jump to
//! absurd parameters. Non-finite costs count as `+∞`, which makes the More–Thuente line search
//! stop cleanly instead of hanging.
//!
//! Strategy: where the model has an analytic Hessian ([`Objective::hessian`]), trust-region
//! Newton steps from each start point in turn (each point evaluated with its Hessian in one
//! pass where the model has [`Objective::log_likelihood_hessian`]; the first step from a start
//! whose curvature is known, a subsample's estimate, takes that curvature instead of a Hessian
//! pass there); they are kept only when
//! they converge as Newton does near a regular maximum (a positive-definite Hessian, the
//! gradient cut by a large factor by the last step), and the Hessian at their last point then
//! serves the examination and the covariance. Otherwise L-BFGS (memory 10, More–Thuente) from each start point in turn — in
//! the metric of a curvature carried over from a subsample's fit where one is given —,
//! restarted from the best point seen while it keeps improving; a run also ends once a few of its evaluations in a
//! row no longer improve the cost beyond its last digits (where the likelihood is level to
//! rounding, e.g. far out on a ray to the edge, the line search can see no decrease and would
//! only spend evaluations); then the point is examined (below), and, if nothing
//! better or conclusive turns up and the gradient is still not small, a Nelder–Mead search from
//! the best point, polished again by L-BFGS, and examined again. The result is never the start
//! point unless nothing better exists (which is an error).
//!
//! # The verdict
//! A small gradient does not make a maximum: when a parameter runs off to 0 or ∞ (every
//! direction in `u` ends on the edge of the parameter space), the likelihood can keep rising
//! towards a supremum that no parameter value attains, flattening exponentially so that the
//! gradient and the curvature both vanish along the way. The examination therefore looks at
//! the profile of the objective along the suspect directions — the eigenvectors of the Hessian
//! (in `u`) whose curvature is below 1% of the largest (always the smallest), and the descent
//! direction when the gradient is not small — at 1, 2, 4 and 8 log-units on both sides (16 and
//! 32 while it stays level), the other directions re-minimised by Newton steps at each probe.
//! Every comparison is made against the rounding noise measured at both points compared
//! (second differences over a step of 1e-8 log-units, and the disagreement between the
//! analytic gradient and the cost's own differences), measured only where a comparison needs
//! it: a rise of the first two probes far beyond it needs no noise, and their re-minimisation
//! stops once many times what its next Newton step promises could not undo that rise (the
//! second probe starts where the first one's re-minimisation points). A side is *falling* when the objective
//! improves by more than the noise and is still as good at the farthest probe, a *dip* when it
//! improves and then grows again, *rising* when it grows by more than the noise within 8
//! log-units (*late* when only further out), *flat* otherwise. Then:
//!
//! * falling on one side (or flat on one side and rising on the other): the likelihood keeps
//!   improving, or stays level within rounding noise, all the way to the edge: a supremum on
//!   the boundary ([`Status::Boundary`], naming the parameters that move along the direction);
//! * a dip: a better interior point, from which L-BFGS starts again (a few rounds at most);
//! * flat on both sides, late on one and rising or late on the other (a curvature below what
//!   the arithmetic can measure), or a Hessian that is not positive definite at a point where
//!   every probe rises: [`Status::Flat`];
//! * rising on both sides along every suspect direction, with a small gradient and a
//!   positive-definite Hessian: [`Status::Converged`], and only then a covariance;
//! * otherwise (the budget spent with a gradient that is not small): [`Status::NotConverged`].
//!
//! A genuine interior maximum at large parameters (a time scale in seconds, spends in
//! millions, shape parameters in the thousands determined by a large cohort) has a profile
//! that rises on both sides by far more than the rounding noise, so it stays a maximum however
//! large the parameter.
//!
//! Points where the model's arithmetic has lost its digits (noise above 1e-6 of the cost) are
//! neither judged nor returned: a likelihood rising towards the edge draws the search there,
//! and the examination then starts from the last precise point of the search path. If the
//! search was still climbing there (a gradient far from zero) and ran on at least 4 log-units,
//! the parameters it moved are the ones running off to the edge: [`Status::Boundary`].
//!
//! Standard errors come from the observed information: the Hessian of the total negative
//! log-likelihood in `u`, by central differences of the analytic gradient, inverted by Cholesky,
//! and mapped to the natural scale by the delta method, `Cov(θ) = J H⁻¹ J` with
//! `J = diag(θ − lower)`.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;

use crate::error::{Error, Result};
use crate::fit::{FitOptions, Objective};

/// Gradient norm (∞-norm, mean objective, log-parameters) below which a point is a maximum.
const GRADIENT_ACCEPT: f64 = 1e-5;
/// Gradient tolerance asked of L-BFGS (L2 norm, mean objective) for small data. The rounding
/// noise of a sum over `n` rows grows like `√n`; below a gradient of about `1e-10 √n` the line
/// search can no longer see the cost decrease and only burns evaluations, so the target grows
/// with the data (capped well below [`GRADIENT_ACCEPT`]).
fn gradient_target(n_rows: usize) -> f64 {
    (1e-10 * (n_rows as f64).sqrt()).clamp(1e-9, 1e-7)
}

/// The verdict on the point the optimiser returns (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Status {
    /// A small gradient, a positive-definite Hessian, and a profile that rises on both sides
    /// along every direction of small curvature.
    Converged,
    /// The likelihood keeps rising (or stays level within rounding noise) towards the edge of
    /// the parameter space along a direction that moves these parameters (indices).
    Boundary(Vec<usize>),
    /// The budget ran out with a gradient that is not small, and no direction to the edge.
    NotConverged,
    /// A vanishing gradient, but a Hessian that is singular or indefinite away from the edge.
    Flat,
}

/// What the optimiser found.
#[derive(Debug, Clone)]
pub(crate) struct Estimate {
    /// Natural parameters.
    pub params: Vec<f64>,
    /// Total log-likelihood at `params` (without the penalty).
    pub log_likelihood: f64,
    /// L-BFGS and Nelder–Mead iterations, all runs together.
    pub iterations: u64,
    /// Likelihood evaluations, all runs and the examination together.
    pub evaluations: u64,
    /// ∞-norm of the gradient of the mean objective in log-parameters at `params`.
    pub gradient_norm: f64,
    /// The verdict on `params`.
    pub status: Status,
    /// Covariance of the natural parameters (row-major k×k); only for [`Status::Converged`],
    /// and only when every entry is a finite `f64`.
    pub covariance: Option<Vec<f64>>,
    /// Standard errors of the natural parameters, `(θᵢ − lowerᵢ)·√[H⁻¹]ᵢᵢ` (finite even where
    /// a covariance entry, their product, is beyond `f64`); only for [`Status::Converged`].
    pub std_errors: Option<Vec<f64>>,
    /// The Hessian of the mean objective in `u` at `params` where it is positive definite (for
    /// a warm start, see [`maximize_with`]).
    pub curvature: Option<Vec<f64>>,
}

impl Estimate {
    /// Expresses parameter `i` in a unit `factor` times smaller (`θᵢ → factor·θᵢ`), e.g. a rate
    /// parameter fitted on rescaled data: its standard error and its row and column of the
    /// covariance follow (the covariance is dropped if an entry leaves the range of `f64`).
    pub(crate) fn rescale_param(&mut self, i: usize, factor: f64) {
        let k = self.params.len();
        self.params[i] *= factor;
        if let Some(se) = &mut self.std_errors {
            se[i] *= factor;
        }
        if let Some(cov) = &mut self.covariance {
            for j in 0..k {
                cov[i * k + j] *= factor;
                cov[j * k + i] *= factor;
            }
            if cov.iter().any(|v| !v.is_finite()) {
                self.covariance = None;
            }
        }
    }
}

/// The scale the optimiser works on for a parameter with lower bound `lower`:
/// `u = ln(θ − lower)`, or `u = θ` for an unbounded parameter (`lower = −∞`, e.g. a covariate
/// coefficient).
pub(crate) fn u_from_theta(theta: f64, lower: f64) -> f64 {
    if lower == f64::NEG_INFINITY {
        theta
    } else {
        (theta - lower).ln()
    }
}

/// The inverse of [`u_from_theta`]: `θ = lower + eᵘ`, or `θ = u` when unbounded.
pub(crate) fn theta_from_u(u: f64, lower: f64) -> f64 {
    if lower == f64::NEG_INFINITY {
        u
    } else {
        lower + u.exp()
    }
}

/// `dθ/du` at `θ`: `θ − lower`, or 1 when unbounded.
pub(crate) fn dtheta_du(theta: f64, lower: f64) -> f64 {
    if lower == f64::NEG_INFINITY {
        1.0
    } else {
        theta - lower
    }
}

/// A point `u` with its cost and gradient.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

/// The parts of the rounding noise at a point measured along the diagonal direction (see
/// [`measure_noise`]): the second difference and the largest disagreement between the analytic
/// slope and the cost's differences (`None` where a neighbour is infeasible).
type DiagonalNoise = (Vec<f64>, Option<(f64, f64)>);

/// A Hessian (total objective, in `u`) with its point, and whether it is the model's analytic
/// one (else by differences).
type HessianMemo = (Vec<f64>, Option<Vec<f64>>, bool);

/// The argmin problem: mean negative log-likelihood (+ penalty) in `u = ln(θ − lower)`.
struct Problem<'a, O: Objective> {
    obj: &'a O,
    lower: &'a [f64],
    penalty: f64,
    /// Best (cost, u) evaluated so far.
    best: RefCell<(f64, Vec<f64>)>,
    /// Every point that improved on the best so far, in order (the path of the search).
    trail: RefCell<Vec<Vec<f64>>>,
    /// The last point whose rounding noise was measured, with that noise.
    noise: RefCell<Option<(Vec<f64>, f64)>>,
    /// Last evaluated point with its cost and gradient (L-BFGS asks for both at the same point).
    cache: RefCell<Option<Evaluation>>,
    /// The evaluation at the best point (the search, the examination and the result all come
    /// back to it), with the log-likelihood there.
    best_eval: RefCell<Option<(Evaluation, f64)>>,
    /// The evaluation at the point under examination ([`Problem::pin`]): the evaluations
    /// around it (the rounding noise) may find a cost lower by a rounding error.
    pinned: RefCell<Option<(Evaluation, f64)>>,
    /// The last Hessian computed (total objective, in `u`), with its point: the search's last
    /// Newton step, the examination and the covariance share it.
    hessian_memo: RefCell<Option<HessianMemo>>,
    /// The diagonal part of the rounding noise at the last point where it was measured.
    diagonal_noise: RefCell<Option<DiagonalNoise>>,
    /// Likelihood evaluations so far, and the budget the solvers may spend.
    evaluations: std::cell::Cell<u64>,
    budget: u64,
    /// Progress of the current L-BFGS run (see [`Stall`]); `None` outside such a run.
    stall: std::cell::Cell<Option<Stall>>,
    /// The log-likelihood of the last evaluation (with [`Problem::cache`]).
    last_log_likelihood: std::cell::Cell<f64>,
}

/// See [`Problem::snapshot`].
struct Snapshot {
    best: (f64, Vec<f64>),
    trail: usize,
    best_eval: Option<(Evaluation, f64)>,
}

/// Progress of an L-BFGS run: its best cost when that last improved by more than the rounding
/// floor of the cost ([`progress_floor`]), and the evaluations since.
#[derive(Debug, Clone, Copy)]
struct Stall {
    mark: f64,
    since: u64,
}

/// Evaluations without progress after which an L-BFGS run stops: where the likelihood is level
/// to the last bits (a supremum approached exponentially along a ray to the edge of the parameter
/// space, or the noise floor of a large sum), its line search can no longer see the cost decrease
/// and would otherwise spend evaluations on steps that change nothing but the last digits.
const STALL_EVALUATIONS: u64 = 16;

/// The smallest improvement of the cost `c` that counts as progress: a few dozen ulps (the floor
/// of [`noise_level`]).
fn progress_floor(c: f64) -> f64 {
    32.0 * f64::EPSILON * (1.0 + c.abs())
}

/// The rounding of a cost `c` summed over `n_rows` rows: [`progress_floor`] grown like the
/// rounding noise of a sum, `√n` (see [`gradient_target`]).
fn sum_floor(c: f64, n_rows: usize) -> f64 {
    progress_floor(c) * (n_rows.max(1) as f64).sqrt()
}

impl<'a, O: Objective> Problem<'a, O> {
    fn new(obj: &'a O, lower: &'a [f64], penalty: f64, budget: u64) -> Self {
        Problem {
            obj,
            lower,
            penalty,
            best: RefCell::new((f64::INFINITY, Vec::new())),
            trail: RefCell::new(Vec::new()),
            noise: RefCell::new(None),
            cache: RefCell::new(None),
            best_eval: RefCell::new(None),
            pinned: RefCell::new(None),
            hessian_memo: RefCell::new(None),
            diagonal_noise: RefCell::new(None),
            evaluations: std::cell::Cell::new(0),
            budget,
            stall: std::cell::Cell::new(None),
            last_log_likelihood: std::cell::Cell::new(f64::NAN),
        }
    }

    /// Whether the current L-BFGS run has gone [`STALL_EVALUATIONS`] evaluations without
    /// progress.
    fn stalled(&self) -> bool {
        self.stall
            .get()
            .is_some_and(|s| s.since >= STALL_EVALUATIONS)
    }

    /// Whether the solvers have spent the evaluation budget.
    fn exhausted(&self) -> bool {
        self.evaluations.get() >= self.budget
    }

    /// Cost and gradient for a solver: refused (an error stops the solver) once the budget is spent.
    fn evaluate_budgeted(
        &self,
        u: &[f64],
    ) -> std::result::Result<(f64, Vec<f64>), argmin::core::Error> {
        let cached = self.lookup(u).is_some();
        if self.exhausted() && !cached {
            return Err(argmin::core::Error::msg("evaluation budget spent"));
        }
        if self.stalled() && !cached {
            return Err(argmin::core::Error::msg("no progress"));
        }
        Ok(self.evaluate(u))
    }

    fn theta(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .zip(self.lower)
            .map(|(&u, &lo)| theta_from_u(u, lo))
            .collect()
    }

    /// The best point, the search path and the best evaluation, to [`Problem::restore`].
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            best: self.best.borrow().clone(),
            trail: self.trail.borrow().len(),
            best_eval: self.best_eval.borrow().clone(),
        }
    }

    /// Forgets every point found since `snapshot` (their evaluations still count).
    fn restore(&self, snapshot: Snapshot) {
        *self.best.borrow_mut() = snapshot.best;
        self.trail.borrow_mut().truncate(snapshot.trail);
        *self.best_eval.borrow_mut() = snapshot.best_eval;
    }

    /// Cost and gradient at `u` if already evaluated (the last point, or the best one).
    fn lookup(&self, u: &[f64]) -> Option<(f64, Vec<f64>)> {
        if let Some((cu, c, g)) = self.cache.borrow().as_ref() {
            if cu.as_slice() == u {
                return Some((*c, g.clone()));
            }
        }
        for memo in [&self.best_eval, &self.pinned] {
            if let Some(((bu, c, g), _)) = memo.borrow().as_ref() {
                if bu.as_slice() == u {
                    return Some((*c, g.clone()));
                }
            }
        }
        None
    }

    /// The total log-likelihood at `u` when `u` is the best or the pinned point.
    fn best_log_likelihood(&self, u: &[f64]) -> Option<f64> {
        [&self.best_eval, &self.pinned]
            .into_iter()
            .find_map(|memo| {
                memo.borrow()
                    .as_ref()
                    .filter(|((bu, _, _), _)| bu.as_slice() == u)
                    .map(|(_, ll)| *ll)
            })
    }

    /// Keeps the evaluation at the best point (see [`Problem::pinned`]).
    fn pin(&self) {
        let best = self.best_eval.borrow().clone();
        if best.is_some() {
            *self.pinned.borrow_mut() = best;
        }
    }

    /// Makes the evaluated point `u` the best one when its cost is within the rounding floor
    /// of the best cost ([`progress_floor`]): where the cost cannot tell them apart, the point a
    /// converged Newton search ended on (a gradient verified small) is the one to examine.
    fn adopt(&self, u: &[f64]) {
        let Some((c, g)) = self.lookup(u) else { return };
        let ll = self.last_log_likelihood.get();
        let mut best = self.best.borrow_mut();
        if best.1.as_slice() == u || c.is_nan() || c > best.0 + progress_floor(best.0) {
            return;
        }
        *best = (c, u.to_vec());
        self.trail.borrow_mut().push(u.to_vec());
        let is_last = self
            .cache
            .borrow()
            .as_ref()
            .is_some_and(|(cu, _, _)| cu.as_slice() == u);
        if is_last {
            *self.best_eval.borrow_mut() = Some(((u.to_vec(), c, g), ll));
        }
    }

    /// Whether the natural parameters `theta` lie inside the parameter space.
    fn feasible(&self, theta: &[f64]) -> bool {
        theta
            .iter()
            .zip(self.lower)
            .all(|(&t, &lo)| t.is_finite() && t > lo)
    }

    /// Cost and gradient (in `u`) at `u`; cost `+∞` (and a zero gradient) where infeasible.
    fn evaluate(&self, u: &[f64]) -> (f64, Vec<f64>) {
        if let Some(found) = self.lookup(u) {
            return found;
        }
        let theta = self.theta(u);
        let mut grad = vec![0.0; u.len()];
        let ll = if self.feasible(&theta) {
            self.obj.log_likelihood(&theta, Some(&mut grad))
        } else {
            f64::NAN
        };
        self.record(u, &theta, ll, grad)
    }

    /// The cost at `u` where nothing needs its gradient (the neighbours of a point whose
    /// rounding noise is measured): the model's value alone, which costs less than value and
    /// gradient. A point that would improve on the best one by more than the rounding of a sum
    /// of the objective's rows ([`sum_floor`]; or whose value is not finite) is evaluated in full
    /// instead, so that the books of the search are kept as [`Problem::evaluate`] keeps them; a
    /// point within that below the best is not taken as better (the cost cannot tell them
    /// apart, as in [`Problem::adopt`]). Every pass over the rows counts as an evaluation.
    fn value_cost(&self, u: &[f64]) -> f64 {
        if let Some((c, _)) = self.lookup(u) {
            return c;
        }
        let theta = self.theta(u);
        if !self.feasible(&theta) {
            return self.evaluate(u).0;
        }
        let cost = -self.obj.log_likelihood(&theta, None) / self.obj.n_obs() + self.penalty(&theta);
        self.evaluations.set(self.evaluations.get() + 1);
        let best = self.best.borrow().0;
        if !(cost.is_finite() && cost >= best - sum_floor(best, self.obj.n_rows())) {
            return self.evaluate(u).0;
        }
        cost
    }

    /// The penalty `penalty · Σθ²` at the natural parameters `theta`. Without a penalty nothing
    /// is added: `Σθ²` may overflow for parameters running off to infinity, and `∞·0` would turn
    /// a finite cost into NaN.
    fn penalty(&self, theta: &[f64]) -> f64 {
        if self.penalty > 0.0 {
            theta.iter().map(|t| t * t).sum::<f64>() * self.penalty
        } else {
            0.0
        }
    }

    /// [`Problem::evaluate`], with the Hessian in the same pass where the model has one
    /// ([`Objective::log_likelihood_hessian`]; kept as [`analytic_hessian`] keeps it): for the
    /// points of a Newton search, which need all three.
    fn evaluate_with_hessian(&self, u: &[f64]) -> (f64, Vec<f64>) {
        if let Some(found) = self.lookup(u) {
            return found;
        }
        let theta = self.theta(u);
        if !self.feasible(&theta) {
            return self.evaluate(u);
        }
        let k = u.len();
        let (mut grad, mut ll_hessian) = (vec![0.0; k], vec![0.0; k * k]);
        let Some(ll) = self
            .obj
            .log_likelihood_hessian(&theta, &mut grad, &mut ll_hessian)
        else {
            return self.evaluate(u);
        };
        let (cost, g_u) = self.record(u, &theta, ll, grad);
        if cost.is_finite() {
            let h = self.u_hessian(&theta, &ll_hessian, &g_u);
            *self.hessian_memo.borrow_mut() = Some((u.to_vec(), h, true));
        }
        (cost, g_u)
    }

    /// Counts an evaluation at `u` (natural parameters `theta`) whose log-likelihood is `ll`
    /// (NaN where infeasible) and gradient `grad` (in `θ`), and keeps the books of the search:
    /// returns the cost and gradient in `u`, `+∞` (and a zero gradient) where not finite.
    fn record(&self, u: &[f64], theta: &[f64], ll: f64, mut grad: Vec<f64>) -> (f64, Vec<f64>) {
        self.evaluations.set(self.evaluations.get() + 1);
        let k = u.len();
        let mut cost = f64::INFINITY;
        let mut log_likelihood = f64::NAN;
        if self.feasible(theta) {
            let n = self.obj.n_obs();
            log_likelihood = ll;
            cost = -ll / n + self.penalty(theta);
            for i in 0..k {
                grad[i] = (-grad[i] / n + 2.0 * self.penalty * theta[i])
                    * dtheta_du(theta[i], self.lower[i]);
            }
            if !cost.is_finite() || grad.iter().any(|g| !g.is_finite()) {
                cost = f64::INFINITY;
                grad.iter_mut().for_each(|g| *g = 0.0);
            }
        }
        if let Some(mut stall) = self.stall.get() {
            let progress = if stall.mark.is_finite() {
                cost < stall.mark - progress_floor(stall.mark)
            } else {
                cost.is_finite()
            };
            if progress {
                stall = Stall {
                    mark: cost,
                    since: 0,
                };
            } else {
                stall.since += 1;
            }
            self.stall.set(Some(stall));
        }
        let mut best = self.best.borrow_mut();
        if cost < best.0 {
            *best = (cost, u.to_vec());
            self.trail.borrow_mut().push(u.to_vec());
            *self.best_eval.borrow_mut() = Some(((u.to_vec(), cost, grad.clone()), log_likelihood));
        }
        self.last_log_likelihood.set(log_likelihood);
        *self.cache.borrow_mut() = Some((u.to_vec(), cost, grad.clone()));
        (cost, grad)
    }
}

impl<O: Objective> CostFunction for Problem<'_, O> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, u: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.evaluate_budgeted(u)?.0)
    }
}

impl<O: Objective> Gradient for Problem<'_, O> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, u: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        let (c, g) = self.evaluate_budgeted(u)?;
        if c.is_finite() {
            Ok(g)
        } else {
            Err(argmin::core::Error::msg(
                "gradient requested at an infeasible point",
            ))
        }
    }
}

/// Runs L-BFGS from `u0` until it converges, spends `max_iters` iterations or the budget, or
/// goes [`STALL_EVALUATIONS`] evaluations without progress; returns the iterations and whether
/// it stopped for want of progress. With a [`Metric`], the search runs in the variables `w` of
/// `u = u0 + M w`, in which the objective's Hessian is about the identity.
fn run_lbfgs<O: Objective>(
    problem: &Problem<'_, O>,
    u0: Vec<f64>,
    max_iters: u64,
    metric: Option<&Metric>,
) -> (u64, bool) {
    // Progress is measured against the run's own start (a later start point may begin well
    // below the best point found so far).
    let mark = problem.evaluate(&u0).0;
    problem.stall.set(Some(Stall { mark, since: 0 }));
    let target = gradient_target(problem.obj.n_rows());
    let iterations = match metric {
        None => lbfgs(ProblemRef(problem), u0, max_iters, target),
        Some(m) => {
            let w0 = vec![0.0; u0.len()];
            // ‖∇_w‖ ≤ t/‖M⁻¹‖ keeps ‖∇_u‖ = ‖M⁻ᵀ∇_w‖ ≤ t: the same precision as without.
            let scaled = Scaled {
                problem,
                origin: u0,
                map: &m.map,
            };
            lbfgs(scaled, w0, max_iters, target / m.inverse_norm)
        }
    };
    let stalled = problem.stalled();
    problem.stall.set(None);
    (iterations, stalled)
}

/// See [`run_lbfgs`].
fn lbfgs<P>(problem: P, u0: Vec<f64>, max_iters: u64, target: f64) -> u64
where
    P: CostFunction<Param = Vec<f64>, Output = f64>
        + Gradient<Param = Vec<f64>, Gradient = Vec<f64>>,
{
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10);
    let solver = match solver
        .with_tolerance_grad(target)
        .and_then(|s| s.with_tolerance_cost(0.0))
    {
        Ok(s) => s,
        Err(_) => return 0,
    };
    match Executor::new(problem, solver)
        .configure(|s| s.param(u0).max_iters(max_iters))
        .ctrlc(false)
        .run()
    {
        Ok(res) => res.state().get_iter(),
        Err(_) => 0,
    }
}

/// A linear change of variables `u = u₀ + M w` for [`run_lbfgs`], from a Hessian `H` of the
/// mean objective (e.g. a subsample's, carried into the fit of all rows): with `H = L Lᵀ`,
/// `M = L⁻ᵀ`, so the Hessian in `w`, `Mᵀ H M`, is the identity at `H`'s point.
pub(crate) struct Metric {
    /// `M` (row-major).
    map: Vec<f64>,
    /// `‖M⁻¹‖₂ = √λ_max(H)`.
    inverse_norm: f64,
}

impl Metric {
    /// The metric of the positive-definite `h` (k×k, row-major); `None` if it is not.
    fn new(h: &[f64], k: usize) -> Option<Metric> {
        let li = inverse_cholesky(h, k)?;
        let (values, _) = symmetric_eigen(h, k)?;
        let inverse_norm = values.last()?.sqrt();
        let mut map = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                map[i * k + j] = li[j * k + i];
            }
        }
        (inverse_norm.is_finite() && inverse_norm > 0.0 && map.iter().all(|v| v.is_finite()))
            .then_some(Metric { map, inverse_norm })
    }
}

/// The problem seen through a [`Metric`]: `u = origin + map · w`.
struct Scaled<'p, 'a, O: Objective> {
    problem: &'p Problem<'a, O>,
    origin: Vec<f64>,
    map: &'p [f64],
}

impl<O: Objective> Scaled<'_, '_, O> {
    fn u(&self, w: &[f64]) -> Vec<f64> {
        let k = w.len();
        (0..k)
            .map(|i| self.origin[i] + (0..k).map(|j| self.map[i * k + j] * w[j]).sum::<f64>())
            .collect()
    }
}

impl<O: Objective> CostFunction for Scaled<'_, '_, O> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, w: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        self.problem.cost(&self.u(w))
    }
}

impl<O: Objective> Gradient for Scaled<'_, '_, O> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, w: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        let g = self.problem.gradient(&self.u(w))?;
        let k = w.len();
        Ok((0..k)
            .map(|j| (0..k).map(|i| self.map[i * k + j] * g[i]).sum())
            .collect())
    }
}

/// Largest Newton iterations of one [`run_newton`] (a regular fit needs well under 10 from a
/// data-scaled start, 2–3 from a subsample's estimate).
const NEWTON_ITERATIONS: u64 = 20;
/// Initial trust radius (log-units, 2-norm) of [`run_newton`].
const NEWTON_RADIUS: f64 = 1.0;
/// Largest trust radius of [`run_newton`].
const MAX_NEWTON_RADIUS: f64 = 4.0;
/// Rejected steps in a row after which [`run_newton`] gives up.
const NEWTON_REJECTIONS: usize = 8;
/// Largest ratio of the gradient norms after and before the last Newton step for which the
/// search counts as having converged quadratically (see [`run_newton`]).
const QUADRATIC: f64 = 0.1;

/// Trust-region Newton steps from `u0` with the model's analytic Hessian (in `u`, mean
/// objective): each step minimises the quadratic model within the trust radius (the Hessian
/// shifted by `μ ≥ 0` where it is not positive definite or the step too long), is accepted when
/// the cost falls by at least a small part of the predicted decrease (where that is below the
/// cost's rounding floor, when it does not visibly rise), and the radius follows the agreement.
///
/// The search succeeds at a positive-definite Hessian and a gradient below the target of
/// L-BFGS ([`gradient_target`]), reached by a step that cut the gradient by [`QUADRATIC`] or
/// more (Newton's quadratic convergence near a regular maximum; along a ray to the edge of the
/// parameter space, where the likelihood flattens exponentially, each step gains only a fixed
/// factor): the point becomes the best one and its Hessian is kept for the examination. Any
/// other outcome (no Hessian, an infeasible or non-finite one, [`NEWTON_ITERATIONS`] or
/// [`NEWTON_REJECTIONS`] spent, the budget) forgets the points found ([`Problem::restore`]), so
/// that the search from `u0` goes on exactly as without Newton steps. Returns the iterations
/// and whether it succeeded.
///
/// `start_curvature`, the Hessian of the mean objective at `u0` known beforehand (a subsample's
/// at its estimate, [`Curvature`]), stands in for the analytic one for the first step only,
/// where the gradient is not already small: that step then costs a value and gradient instead of
/// a Hessian pass. Every later step, and every verdict, rests on the analytic Hessian at its
/// point; where the first step fails with the stand-in, the search goes on from `u0` with the
/// analytic Hessian.
fn run_newton<O: Objective>(
    problem: &Problem<'_, O>,
    u0: Vec<f64>,
    start_curvature: Option<&[f64]>,
) -> (u64, bool) {
    let k = u0.len();
    let n = problem.obj.n_obs();
    let target = gradient_target(problem.obj.n_rows());
    let snapshot = problem.snapshot();
    let mut u = u0;
    let mut stand_in = start_curvature.filter(|h| h.len() == k * k);
    let (mut c, mut g) = if stand_in.is_some() {
        problem.evaluate(&u)
    } else {
        problem.evaluate_with_hessian(&u)
    };
    if !c.is_finite() {
        problem.restore(snapshot);
        return (0, false);
    }
    let mut radius = NEWTON_RADIUS;
    let mut iterations = 0;
    // The gradient norm's ratio over the last step (none yet: 0).
    let mut ratio = 0.0;
    let converged = loop {
        if problem.exhausted() {
            break false;
        }
        let known = stand_in.take().filter(|_| l2_norm(&g) > target);
        let from_known = known.is_some();
        let mean: Vec<f64> = match known {
            Some(h) => h.to_vec(),
            None => {
                let Some(h) = analytic_hessian(problem, &u) else {
                    break false;
                };
                h.iter().map(|v| v / n).collect()
            }
        };
        let Some((values, vectors)) = symmetric_eigen(&mean, k) else {
            if from_known {
                continue;
            }
            break false;
        };
        let positive = values.first().is_some_and(|&v| v > 0.0);
        if !from_known && positive && l2_norm(&g) <= target {
            break ratio <= QUADRATIC;
        }
        if iterations >= NEWTON_ITERATIONS {
            break false;
        }
        // The gradient in the eigenbasis.
        let gt: Vec<f64> = vectors
            .iter()
            .map(|e| e.iter().zip(&g).map(|(a, b)| a * b).sum())
            .collect();
        let mut accepted = false;
        for _ in 0..NEWTON_REJECTIONS {
            if problem.exhausted() {
                break;
            }
            let a = trust_step(&values, &gt, radius);
            let size = l2_norm(&a);
            let predicted: f64 = (0..k)
                .map(|i| gt[i] * a[i] + 0.5 * values[i] * a[i] * a[i])
                .sum();
            if !(predicted < 0.0 && size.is_finite() && size > 0.0) {
                break;
            }
            let w: Vec<f64> = (0..k)
                .map(|r| u[r] + (0..k).map(|i| a[i] * vectors[i][r]).sum::<f64>())
                .collect();
            let (cw, gw) = problem.evaluate_with_hessian(&w);
            let floor = progress_floor(c);
            let fall = c - cw;
            let small = -predicted <= floor;
            let ok = cw.is_finite()
                && if small {
                    fall >= -floor
                } else {
                    fall > 1e-4 * -predicted
                };
            if ok {
                if !small {
                    let rho = fall / -predicted;
                    if rho > 0.75 && size >= 0.9 * radius {
                        radius = (2.0 * radius).min(MAX_NEWTON_RADIUS);
                    } else if rho < 0.25 {
                        radius = size / 4.0;
                    }
                }
                ratio = l2_norm(&gw) / l2_norm(&g);
                (u, c, g) = (w, cw, gw);
                accepted = true;
                break;
            }
            radius = size / 4.0;
        }
        if !accepted {
            if from_known {
                radius = NEWTON_RADIUS;
                continue;
            }
            break false;
        }
        iterations += 1;
    };
    if converged {
        problem.adopt(&u);
    } else {
        problem.restore(snapshot);
    }
    (iterations, converged)
}

/// The trust-region step of [`run_newton`] in the eigenbasis of the Hessian (eigenvalues
/// `values`, ascending; gradient `gt`): the Newton step if the Hessian is positive definite and
/// the step within `radius`, else `−gtᵢ/(λᵢ + μ)` with `μ > max(0, −λ_min)` such that the step
/// has length `radius` (along the smallest eigenvector too where the gradient has no component
/// there).
fn trust_step(values: &[f64], gt: &[f64], radius: f64) -> Vec<f64> {
    let at = |mu: f64| -> Vec<f64> { values.iter().zip(gt).map(|(l, g)| -g / (l + mu)).collect() };
    let smallest = values.first().copied().unwrap_or(0.0);
    if smallest > 0.0 {
        let newton = at(0.0);
        if l2_norm(&newton) <= radius {
            return newton;
        }
    }
    let lo = (-smallest).max(0.0);
    let gnorm = l2_norm(gt);
    // ‖step(μ)‖ ≤ ‖g‖/(λ_min + μ) ≤ radius at `hi`.
    let (mut a, mut b) = (lo, lo + gnorm / radius + smallest.abs() + f64::MIN_POSITIVE);
    for _ in 0..200 {
        let mid = 0.5 * (a + b);
        if mid <= a || mid >= b {
            break;
        }
        if l2_norm(&at(mid)) > radius {
            a = mid;
        } else {
            b = mid;
        }
    }
    let mut step = at(b);
    let size = l2_norm(&step);
    if smallest <= 0.0 && size < 0.99 * radius {
        // The hard case: make up the length along the direction of least curvature.
        if let Some(first) = step.first_mut() {
            let extra = (radius * radius - size * size).max(0.0).sqrt();
            *first += if gt[0] > 0.0 { -extra } else { extra };
        }
    }
    step
}

fn l2_norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Runs Nelder–Mead from `u0` with an initial simplex of side `step`.
fn run_nelder_mead<O: Objective>(
    problem: &Problem<'_, O>,
    u0: &[f64],
    step: f64,
    max_iters: u64,
) -> u64 {
    let k = u0.len();
    let mut simplex = vec![u0.to_vec()];
    for i in 0..k {
        let mut v = u0.to_vec();
        v[i] += step;
        simplex.push(v);
    }
    let Ok(solver) = NelderMead::new(simplex).with_sd_tolerance(1e-12) else {
        return 0;
    };
    match Executor::new(ProblemRef(problem), solver)
        .configure(|s| s.max_iters(max_iters))
        .ctrlc(false)
        .run()
    {
        Ok(res) => res.state().get_iter(),
        Err(_) => 0,
    }
}

/// A borrowed problem, so that the best point survives every run.
struct ProblemRef<'p, 'a, O: Objective>(&'p Problem<'a, O>);

impl<O: Objective> CostFunction for ProblemRef<'_, '_, O> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, u: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        self.0.cost(u)
    }
}

impl<O: Objective> Gradient for ProblemRef<'_, '_, O> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, u: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        self.0.gradient(u)
    }
}

fn inf_norm(g: &[f64]) -> f64 {
    g.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Log-unit distances at which [`examine`] probes the profile on each side of a point: the
/// first [`PROBE_STEPS_REGULAR`] always, the others while the profile stays level within the
/// rounding noise (far from the data's scale, the noise at the point can hide a rise that
/// shows further away).
const PROBE_STEPS: [f64; 6] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
/// See [`PROBE_STEPS`].
const PROBE_STEPS_REGULAR: usize = 4;
/// Curvature, relative to the largest, below which an eigen-direction of the Hessian is
/// examined (the direction of smallest curvature is always examined).
const SMALL_CURVATURE: f64 = 1e-2;
/// Newton steps that re-minimise the other directions at each probe.
const NEWTON_STEPS: usize = 2;
/// Multiple of the decrease that the Newton steps at a probe promise to first order (`gᵀMg`,
/// twice what an exact Newton step achieves on a quadratic) within which their outcome is
/// taken as bounded (see [`probe`]).
const RE_MINIMISED: f64 = 16.0;
/// Largest Newton step (∞-norm, log-units) at a probe.
const MAX_NEWTON_STEP: f64 = 2.0;
/// Step (log-units) of the second differences that measure rounding noise: small enough that
/// the curvature cannot show, large enough to change the parameters' low-order bits.
const NOISE_STEP: f64 = 1e-8;
/// Step (log-units) of the coarser difference quotient that checks the analytic gradient
/// against the cost (see [`noise_level`]).
const CONSISTENCY_STEP: f64 = 1e-4;
/// Factor below [`TRUSTED_NOISE`] at which the noise along the diagonal alone shows a point
/// precise (see [`is_precise`]).
const CLEARLY_PRECISE: f64 = 1e-3;
/// Rounding noise of the mean objective, relative to `1 + |cost|`, above which a point is not
/// evaluated precisely enough to be judged or returned (the model's arithmetic has lost more
/// than ten of its sixteen digits there). Below it, every comparison is still made against the
/// noise measured at the points compared.
const TRUSTED_NOISE: f64 = 1e-6;
/// Distance (log-units, ∞-norm) that a search still climbing must have run past the last
/// precisely evaluated point for its parameters to count as running off to the edge.
const ESCAPE: f64 = 4.0;
/// Log-units (a factor of about 10¹³) beyond every start point at which a parameter that a
/// still-climbing search keeps moving counts as running off to the edge.
const FAR: f64 = 30.0;
/// Rounds of examination, each possibly followed by an L-BFGS or Nelder–Mead run.
const MAX_ROUNDS: usize = 4;

/// Maximises `obj` over `θ > lower`, trying `starts` (natural parameters) in order, and
/// examines the result (see the module docs).
///
/// Errors: [`Error::NotConverged`] when no start has a finite likelihood or nothing better than
/// the start could be found.
#[cfg(test)]
pub(crate) fn maximize<O: Objective>(
    obj: &O,
    lower: &[f64],
    starts: &[Vec<f64>],
    options: &FitOptions,
) -> Result<Estimate> {
    maximize_with(obj, lower, starts, options, None, false)
}

/// A start point (natural parameters) with the Hessian of the mean objective in `u` there
/// (e.g. a subsample's estimate and curvature): the first Newton step from that start takes it
/// in place of the analytic Hessian ([`run_newton`]), and the L-BFGS search from that start runs
/// in its metric ([`Metric`]).
#[derive(Debug, Clone)]
pub(crate) struct Curvature {
    /// The start point.
    pub point: Vec<f64>,
    /// The Hessian of the mean objective in `u` at it (row-major k×k).
    pub hessian: Vec<f64>,
}

/// Maximises `obj` over `θ > lower` from `starts` (natural parameters) and examines the result
/// (see the module docs), with the curvature at a start point (see [`Curvature`]); with `warm_start`,
/// for a start point only: a search that ends at a small gradient, a precisely evaluated point
/// and a positive-definite Hessian returns that point without the examination (its status is
/// then [`Status::NotConverged`]: nothing is claimed of it), with [`Estimate::curvature`].
pub(crate) fn maximize_with<O: Objective>(
    obj: &O,
    lower: &[f64],
    starts: &[Vec<f64>],
    options: &FitOptions,
    curvature: Option<&Curvature>,
    warm_start: bool,
) -> Result<Estimate> {
    let k = obj.n_params();
    options.validate(k)?;
    let problem = Problem::new(obj, lower, options.penalty, options.max_evaluations);
    let mut all_starts: Vec<Vec<f64>> = options.start.iter().cloned().collect();
    all_starts.extend(starts.iter().cloned());
    let to_u = |theta: &[f64]| -> Option<Vec<f64>> {
        let u: Vec<f64> = theta
            .iter()
            .zip(lower)
            .map(|(&t, &lo)| u_from_theta(t, lo))
            .collect();
        u.iter().all(|v| v.is_finite()).then_some(u)
    };
    let mut iterations = 0;
    let current = |p: &Problem<'_, O>| {
        let (c, u) = p.best.borrow().clone();
        (c, u)
    };
    let grad_at = |p: &Problem<'_, O>, u: &[f64]| inf_norm(&p.evaluate(u).1);
    // The point where a Newton search converged (with its analytic Hessian at hand).
    let mut newton_point = Vec::new();
    for start in &all_starts {
        let Some(u0) = to_u(start) else { continue };
        // A curvature known at this start, positive definite: the metric of L-BFGS and the
        // first Newton step's Hessian.
        let known = curvature.filter(|c| c.point == *start);
        let metric = known.and_then(|c| Metric::new(&c.hessian, k));
        let stand_in = known
            .map(|c| c.hessian.as_slice())
            .filter(|_| metric.is_some());
        // (The Newton search below starts with the Hessian here, or with the one known.)
        let c0 = if stand_in.is_some() {
            problem.evaluate(&u0).0
        } else {
            problem.evaluate_with_hessian(&u0).0
        };
        if !c0.is_finite() {
            continue;
        }
        // Newton steps where the model has an analytic Hessian; L-BFGS where it has none or
        // they stop short, restarted from the best point while it keeps improving.
        let (it, converged) = run_newton(&problem, u0.clone(), stand_in);
        iterations += it;
        if converged {
            newton_point = current(&problem).1;
        }
        let mut from = u0;
        for _ in 0..4 {
            // (A converged Newton search made its point the best one unless a better one was
            // found from an earlier start; either way this start is done.)
            if converged || problem.exhausted() {
                break;
            }
            let before = current(&problem).0;
            let (it, stalled) = run_lbfgs(&problem, from, options.max_iterations, metric.as_ref());
            iterations += it;
            let (c, u) = current(&problem);
            if stalled
                || grad_at(&problem, &u) <= GRADIENT_ACCEPT
                || c >= before - 1e-15 * before.abs()
            {
                break;
            }
            from = u;
        }
        let (_, u) = current(&problem);
        if grad_at(&problem, &u) <= GRADIENT_ACCEPT || problem.exhausted() {
            break;
        }
    }

    let (c, mut point) = current(&problem);
    if !c.is_finite() {
        return Err(Error::NotConverged(
            "the log-likelihood is not finite at any start point; check the data".into(),
        ));
    }
    let mean_curvature = |h: &[f64]| -> Option<Vec<f64>> {
        let n = obj.n_obs();
        let mean: Vec<f64> = h.iter().map(|v| v / n).collect();
        invert_spd(&mean, k).map(|_| mean)
    };
    problem.pin();
    // A warm start's curvature is the metric of later L-BFGS searches. Where a Newton search
    // converged, its Hessian is at hand and its precision needs no check (a model with an
    // analytic Hessian searches by Newton steps, the metric only helps where they stop short).
    if warm_start
        && grad_at(&problem, &point) <= GRADIENT_ACCEPT
        && (point == newton_point || is_precise(&problem, &point, c))
    {
        if let Some(curvature) = hessian(&problem, &point).and_then(|h| mean_curvature(&h)) {
            let params = problem.theta(&point);
            let log_likelihood = problem
                .best_log_likelihood(&point)
                .unwrap_or_else(|| obj.log_likelihood(&params, None));
            return Ok(Estimate {
                gradient_norm: grad_at(&problem, &point),
                params,
                log_likelihood,
                iterations,
                evaluations: problem.evaluations.get(),
                status: Status::NotConverged,
                covariance: None,
                std_errors: None,
                curvature: Some(curvature),
            });
        }
    }
    // Examine the point; restart from a better one, or try Nelder–Mead when the gradient is
    // still not small and no direction to the edge explains it.
    let mut simplex_tried = false;
    let mut examined: Option<(Vec<f64>, Finding, Option<Vec<f64>>)> = None;
    for round in 1..=MAX_ROUNDS {
        problem.pin();
        let (precise, escape) = trusted(&problem, point);
        if examined.as_ref().is_some_and(|(u, _, _)| *u == precise) {
            break;
        }
        let finding = examine(&problem, &precise);
        let may_continue = round < MAX_ROUNDS && !problem.exhausted();
        let climbing = finding.gradient_norm > GRADIENT_ACCEPT;
        let next = match &finding.kind {
            Kind::Better(v) if may_continue => {
                iterations += run_lbfgs(&problem, v.clone(), options.max_iterations, None).0;
                Some(current(&problem).1)
            }
            Kind::Maximum { .. } | Kind::Flat if climbing && !simplex_tried && may_continue => {
                simplex_tried = true;
                for step in [0.5, 0.1] {
                    if problem.exhausted() {
                        break;
                    }
                    let (_, u) = current(&problem);
                    iterations += run_nelder_mead(&problem, &u, step, 5000);
                    let (_, u) = current(&problem);
                    iterations += run_lbfgs(&problem, u, options.max_iterations, None).0;
                    let (_, u) = current(&problem);
                    if grad_at(&problem, &u) <= GRADIENT_ACCEPT {
                        break;
                    }
                }
                Some(current(&problem).1)
            }
            _ => None,
        };
        examined = Some((precise, finding, escape));
        match next {
            Some(u) => point = u,
            None => break,
        }
    }
    let Some((point, finding, escape)) = examined else {
        return Err(Error::NotConverged(
            "the optimiser could not examine its best point".into(),
        ));
    };

    let k = point.len();
    let climbing = finding.gradient_norm > GRADIENT_ACCEPT;
    // The search left the region where the objective is evaluated precisely while still
    // climbing (a gradient far from zero, measured where it is precise) and ran several
    // log-units further: the parameters it moved run off towards the edge.
    let escaped = escape
        .filter(|d| climbing && inf_norm(d) >= ESCAPE)
        .map(|d| {
            let largest = inf_norm(&d);
            (0..k).filter(|&i| d[i].abs() >= 0.3 * largest).collect()
        });
    // A search still climbing that has carried parameters more than [`FAR`] log-units away
    // from every (data-scaled) start point is running off towards the edge with them.
    let far: Vec<usize> = (0..k)
        .filter(|&i| {
            all_starts
                .iter()
                .filter_map(|s| to_u(s))
                .all(|s| (point[i] - s[i]).abs() > FAR)
        })
        .collect();
    let escaped = escaped.or_else(|| (climbing && !far.is_empty()).then_some(far));
    let status = match (finding.kind, escaped) {
        (Kind::Boundary(moved), _) => Status::Boundary(moved),
        (_, Some(moved)) => Status::Boundary(moved),
        (Kind::Flat, None) if climbing => Status::NotConverged,
        (Kind::Flat, None) => Status::Flat,
        (Kind::Better(_), None) => Status::NotConverged,
        (Kind::Maximum { .. }, None) if climbing => Status::NotConverged,
        (
            Kind::Maximum {
                positive_definite: false,
            },
            None,
        ) => Status::Flat,
        (
            Kind::Maximum {
                positive_definite: true,
            },
            None,
        ) => Status::Converged,
    };
    let errors = match (&status, &finding.hessian) {
        (Status::Converged, Some(h)) => covariance(&problem, &point, h),
        _ => None,
    };
    let curvature = finding.hessian.as_deref().and_then(mean_curvature);
    // A maximum needs its covariance (a positive-definite, finite information matrix).
    let status = match status {
        Status::Converged if errors.is_none() => Status::Flat,
        s => s,
    };
    let (covariance, std_errors) = match errors {
        Some((cov, se)) => (cov, Some(se)),
        None => (None, None),
    };
    let gradient_norm = grad_at(&problem, &point);
    // A search that ends where it started, with nothing to show for it, found nothing.
    if status == Status::NotConverged
        && all_starts
            .iter()
            .filter_map(|s| to_u(s))
            .any(|s| s == point)
    {
        return Err(Error::NotConverged(
            "the optimiser could not improve on the start point".into(),
        ));
    }
    let params = problem.theta(&point);
    let log_likelihood = problem
        .best_log_likelihood(&point)
        .unwrap_or_else(|| obj.log_likelihood(&params, None));
    if !log_likelihood.is_finite() || params.iter().any(|p| !p.is_finite()) {
        return Err(Error::NotConverged("the optimum is not finite".into()));
    }
    Ok(Estimate {
        params,
        log_likelihood,
        iterations,
        evaluations: problem.evaluations.get(),
        gradient_norm,
        status,
        covariance,
        std_errors,
        curvature,
    })
}

/// What [`examine`] concluded about a point.
#[derive(Debug)]
enum Kind {
    /// Every examined direction rises on both sides; whether the Hessian is positive definite.
    Maximum { positive_definite: bool },
    /// A direction along which the objective falls (or stays level) to the edge; the indices
    /// of the parameters it moves.
    Boundary(Vec<usize>),
    /// A direction along which the objective is level on both sides.
    Flat,
    /// A strictly better point (in `u`) that is not on a ray to the edge.
    Better(Vec<f64>),
}

/// The examination of a point (see the module docs).
struct Finding {
    kind: Kind,
    /// ∞-norm of the gradient of the mean objective at the point.
    gradient_norm: f64,
    /// Hessian of the total objective at the point (row-major), when finite.
    hessian: Option<Vec<f64>>,
}

/// The profile on one side of a point along a direction.
#[derive(Debug)]
enum Side {
    /// Grows by more than the rounding noise within the regular probes (or meets an
    /// infeasible region there) without improving.
    Rising,
    /// Level within the noise over the regular probes, growing only further out (or meeting
    /// an infeasible region there): a curvature too small to measure.
    LateRising,
    /// Level within the noise at every probe.
    Flat,
    /// Improves by more than the noise, and is still as good at the farthest probe: the cost
    /// and point there.
    Falling(f64, Vec<f64>),
    /// Improves by more than the noise, then grows again: the best cost and point.
    Dip(f64, Vec<f64>),
}

/// `u` if the objective is evaluated precisely there (rounding noise at most
/// [`TRUSTED_NOISE`]), otherwise the last point of the search path where it is: a likelihood
/// that keeps rising towards the edge of the parameter space draws the search into parameters
/// so extreme that the model's arithmetic loses every digit, and neither a verdict nor the
/// returned parameters can rest on such values. The noise grows along the path, so the last
/// precise point is found by bisection; if none is precise, `u` itself. With the point, the
/// displacement from it to `u` when they differ.
fn trusted<O: Objective>(problem: &Problem<'_, O>, u: Vec<f64>) -> (Vec<f64>, Option<Vec<f64>>) {
    let precise = |v: &[f64]| {
        let (c, _) = problem.evaluate(v);
        is_precise(problem, v, c)
    };
    if precise(&u) {
        return (u, None);
    }
    let trail = problem.trail.borrow().clone();
    if trail.first().is_none_or(|v| !precise(v)) {
        return (u, None);
    }
    // trail[lo] is precise, trail[hi] (or the end) is not.
    let (mut lo, mut hi) = (0, trail.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if precise(&trail[mid]) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let escape = u.iter().zip(&trail[lo]).map(|(a, b)| a - b).collect();
    (trail[lo].clone(), Some(escape))
}

/// Rounding noise of the mean objective at `u` (cost `c`) in any direction: a bound from
/// second differences along every coordinate and the diagonal over a step of [`NOISE_STEP`]
/// (where the curvature cannot show), with a floor of a few dozen ulps of the cost; infinite
/// where a neighbour is infeasible. The disagreement between the analytic gradient and the
/// cost's own first differences counts too: an arithmetic that has lost every digit can return
/// a constant cost, whose second differences look perfectly precise, next to a gradient that
/// is far from zero.
fn noise_level<O: Objective>(problem: &Problem<'_, O>, u: &[f64], c: f64) -> f64 {
    if let Some((v, noise)) = problem.noise.borrow().as_ref() {
        if v.as_slice() == u {
            return *noise;
        }
    }
    let noise = measure_noise(problem, u, c);
    *problem.noise.borrow_mut() = Some((u.to_vec(), noise));
    noise
}

/// Whether the objective is evaluated precisely at `u` (cost `c`): rounding noise at most
/// [`TRUSTED_NOISE`]. The noise along the diagonal direction alone ([`diagonal_noise`], 4
/// evaluations) is a part of the full measure ([`noise_level`], `2(k+1) + 2`); where it is
/// [`CLEARLY_PRECISE`] times below the threshold, the objective is taken as precise without the
/// coordinate directions (rounding noise shows along every direction that changes the
/// parameters' low-order bits, and the diagonal changes all of them).
fn is_precise<O: Objective>(problem: &Problem<'_, O>, u: &[f64], c: f64) -> bool {
    let threshold = TRUSTED_NOISE * (1.0 + c.abs());
    c.is_finite()
        && (diagonal_noise(problem, u, c) <= CLEARLY_PRECISE * threshold
            || noise_level(problem, u, c) <= threshold)
}

/// The rounding noise at `u` (cost `c`) measured along the diagonal direction only (see
/// [`measure_noise`]); at most the full measure.
fn diagonal_noise<O: Objective>(problem: &Problem<'_, O>, u: &[f64], c: f64) -> f64 {
    match diagonal_parts(problem, u, c) {
        Some((second, error)) => 4.0 * second.max(error) + noise_floor(c),
        None => f64::INFINITY,
    }
}

/// The floor of the rounding noise of the cost `c`: a few dozen ulps.
fn noise_floor(c: f64) -> f64 {
    32.0 * f64::EPSILON * (1.0 + c.abs())
}

/// The unit vector `j` (or, for `j = k`, the diagonal `1/√k`) in `k` dimensions.
fn noise_direction(j: usize, k: usize) -> Vec<f64> {
    (0..k)
        .map(|i| match j {
            _ if j == k => 1.0 / (k as f64).sqrt(),
            _ if i == j => 1.0,
            _ => 0.0,
        })
        .collect()
}

/// A difference quotient off the analytic slope by m over a step h takes a cost error of at
/// least m h: a discontinuity (a switch between formulas) shows at the small step, a cost that
/// has lost its digits (constant, or jumping in large quanta) at the large one.
fn slope_error(slope: f64, difference: f64) -> f64 {
    ((difference - slope).abs() - 0.1 * slope.abs()).max(0.0)
}

/// The second difference over [`NOISE_STEP`] along `e` at `u` (cost `c`, gradient `g`) and the
/// slope error there (times the step); `None` where a neighbour is infeasible.
fn noise_along<O: Objective>(
    problem: &Problem<'_, O>,
    u: &[f64],
    c: f64,
    g: &[f64],
    e: &[f64],
) -> Option<(f64, f64)> {
    let up: Vec<f64> = u.iter().zip(e).map(|(a, b)| a + NOISE_STEP * b).collect();
    let dn: Vec<f64> = u.iter().zip(e).map(|(a, b)| a - NOISE_STEP * b).collect();
    let (cu, cd) = (problem.value_cost(&up), problem.value_cost(&dn));
    let second = (cu + cd - 2.0 * c).abs();
    if !second.is_finite() {
        return None;
    }
    let slope: f64 = g.iter().zip(e).map(|(a, b)| a * b).sum();
    Some((
        second,
        slope_error(slope, (cu - cd) / (2.0 * NOISE_STEP)) * NOISE_STEP,
    ))
}

/// The diagonal part of [`measure_noise`] at `u` (cost `c`): the second difference along the
/// diagonal, and the largest slope error along it at both steps ([`NOISE_STEP`] and
/// [`CONSISTENCY_STEP`]); `None` where it is not finite. Kept for the last point measured.
fn diagonal_parts<O: Objective>(problem: &Problem<'_, O>, u: &[f64], c: f64) -> Option<(f64, f64)> {
    if let Some((v, parts)) = problem.diagonal_noise.borrow().as_ref() {
        if v.as_slice() == u {
            return *parts;
        }
    }
    let parts = (|| {
        let k = u.len();
        let (_, g) = problem.evaluate(u);
        let diagonal = noise_direction(k, k);
        let (second, fine) = noise_along(problem, u, c, &g, &diagonal)?;
        let up: Vec<f64> = u
            .iter()
            .zip(&diagonal)
            .map(|(a, b)| a + CONSISTENCY_STEP * b)
            .collect();
        let dn: Vec<f64> = u
            .iter()
            .zip(&diagonal)
            .map(|(a, b)| a - CONSISTENCY_STEP * b)
            .collect();
        let (cu, cd) = (problem.value_cost(&up), problem.value_cost(&dn));
        let slope: f64 = g.iter().zip(&diagonal).map(|(a, b)| a * b).sum();
        let coarse = slope_error(slope, (cu - cd) / (2.0 * CONSISTENCY_STEP)) * CONSISTENCY_STEP;
        let error = fine.max(coarse);
        error.is_finite().then_some((second, error))
    })();
    *problem.diagonal_noise.borrow_mut() = Some((u.to_vec(), parts));
    parts
}

/// See [`noise_level`]: the largest second difference and slope error along every coordinate
/// and the diagonal, with the diagonal's slope error at [`CONSISTENCY_STEP`] too.
fn measure_noise<O: Objective>(problem: &Problem<'_, O>, u: &[f64], c: f64) -> f64 {
    let k = u.len();
    let (_, g) = problem.evaluate(u);
    let mut worst = 0.0f64;
    let mut error = 0.0f64;
    for j in 0..k {
        match noise_along(problem, u, c, &g, &noise_direction(j, k)) {
            Some((second, off)) => {
                worst = worst.max(second);
                error = error.max(off);
            }
            None => return f64::INFINITY,
        }
    }
    match diagonal_parts(problem, u, c) {
        Some((second, off)) => 4.0 * worst.max(second).max(error.max(off)) + noise_floor(c),
        None => f64::INFINITY,
    }
}

/// Examines `u`: the Hessian, its directions of small curvature (and the descent direction
/// when the gradient is not small), and the profile on both sides of each.
fn examine<O: Objective>(problem: &Problem<'_, O>, u: &[f64]) -> Finding {
    let k = u.len();
    let n = problem.obj.n_obs();
    let (c0, g0) = problem.evaluate(u);
    let gradient_norm = inf_norm(&g0);
    let hessian = hessian(problem, u);
    let mean_hessian: Option<Vec<f64>> = hessian
        .as_ref()
        .map(|h| h.iter().map(|v| v / n).collect())
        .filter(|h: &Vec<f64>| h.iter().all(|v| v.is_finite()));
    let mut directions: Vec<Vec<f64>> = Vec::new();
    match mean_hessian.as_deref().and_then(|h| symmetric_eigen(h, k)) {
        Some((values, vectors)) => {
            let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (i, (&value, vector)) in values.iter().zip(vectors).enumerate() {
                if i == 0 || value <= SMALL_CURVATURE * largest {
                    directions.push(vector);
                }
            }
        }
        None => {
            for j in 0..k {
                let mut e = vec![0.0; k];
                e[j] = 1.0;
                directions.push(e);
            }
        }
    }
    if gradient_norm > GRADIENT_ACCEPT {
        let norm = g0.iter().map(|g| g * g).sum::<f64>().sqrt();
        if norm.is_finite() && norm > 0.0 {
            directions.push(g0.iter().map(|g| -g / norm).collect());
        }
    }

    let mut better: Option<(f64, Vec<f64>)> = None;
    let mut consider = |c: f64, v: &[f64]| {
        if better.as_ref().is_none_or(|(b, _)| c < *b) {
            better = Some((c, v.to_vec()));
        }
    };
    let mut moved = vec![false; k];
    let mut flat = false;
    // Measured once, and only if a profile needs it (a clear rise does not).
    let noise_cell = std::cell::OnceCell::new();
    let noise = || *noise_cell.get_or_init(|| noise_level(problem, u, c0));
    for d in &directions {
        let newton = mean_hessian
            .as_deref()
            .and_then(|h| complement_inverse(h, d, k));
        let minus: Vec<f64> = d.iter().map(|v| -v).collect();
        let sides = [
            probe(problem, u, c0, d, newton.as_deref(), &noise),
            probe(problem, u, c0, &minus, newton.as_deref(), &noise),
        ];
        match sides {
            [Side::Dip(c, v), _] | [_, Side::Dip(c, v)] => consider(c, &v),
            [Side::Falling(c1, v1), Side::Falling(c2, v2)] => {
                consider(c1, &v1);
                consider(c2, &v2);
            }
            // Improving, or level within the noise, all the way to the edge on one side.
            [
                Side::Falling(..) | Side::Flat,
                Side::Rising | Side::LateRising,
            ]
            | [
                Side::Rising | Side::LateRising,
                Side::Falling(..) | Side::Flat,
            ]
            | [Side::Falling(..), Side::Flat]
            | [Side::Flat, Side::Falling(..)] => {
                let largest = inf_norm(d);
                for (m, v) in moved.iter_mut().zip(d) {
                    *m |= v.abs() >= 0.3 * largest;
                }
            }
            // Level within the noise over several log-units: a curvature too small to measure.
            [Side::Flat, Side::Flat]
            | [Side::LateRising, Side::Rising | Side::LateRising]
            | [Side::Rising, Side::LateRising] => flat = true,
            [Side::Rising, Side::Rising] => {}
        }
    }
    let kind = if let Some((_, v)) = better {
        Kind::Better(v)
    } else if moved.iter().any(|&m| m) {
        Kind::Boundary((0..k).filter(|&i| moved[i]).collect())
    } else if flat {
        Kind::Flat
    } else {
        Kind::Maximum {
            positive_definite: hessian.as_deref().and_then(|h| invert_spd(h, k)).is_some(),
        }
    };
    Finding {
        kind,
        gradient_norm,
        hessian,
    }
}

/// The profile of the mean objective on the side `d` (a unit vector) of `u` (cost `c0`,
/// rounding noise `noise0()`), at [`PROBE_STEPS`], each probe re-minimised over the other
/// directions by Newton steps with `newton` (the inverse of the Hessian on the complement of
/// `d`). The profile stops at an infeasible region (judged as a rise) and at the first probe
/// where the objective is not evaluated precisely (beyond which nothing can be judged).
fn probe<O: Objective>(
    problem: &Problem<'_, O>,
    u: &[f64],
    c0: f64,
    d: &[f64],
    newton: Option<&[f64]>,
    noise0: &dyn Fn() -> f64,
) -> Side {
    // A rise this far above the precision required of a point cannot be rounding noise.
    let clear = 10.0 * TRUSTED_NOISE * (1.0 + c0.abs());
    let mut profile: Vec<Probe> = Vec::with_capacity(PROBE_STEPS.len());
    // Lengths of the profile at the steps where it was level within the noise at the point,
    // whose probes' precision is still to be checked (see [`settle`]).
    let mut deferred: Vec<usize> = Vec::new();
    let level = |profile: &[Probe]| matches!(classify(c0, noise0(), profile).0, Side::Flat);
    // The first two probes are re-minimised one Newton step at a time, and only as far as the
    // verdict of the first two probes needs: where even a decrease many times what the next
    // step promises ([`RE_MINIMISED`]) would leave a clear, growing rise, the remaining steps
    // cannot change it and are not taken. Otherwise both are finished, and the profile goes on
    // exactly as below.
    let mut early: Vec<Refinement> = Vec::with_capacity(2);
    if let Some(m) = newton {
        if let Some(raw) = raw_probe(problem, u, d, PROBE_STEPS[0]) {
            let start = raw.0.clone();
            let mut first = Refinement::new(raw);
            while first.floor(m) <= c0 + clear && !first.finished {
                first.step(problem, m);
            }
            let second = (first.floor(m) > c0 + clear)
                .then(|| second_probe(problem, u, d, &start, &first.v))
                .flatten();
            if let Some(raw) = second {
                let mut second = Refinement::new(raw);
                // The first probe's cost can only fall further: its current cost bounds it.
                while second.floor(m) <= first.c + clear && !second.finished {
                    second.step(problem, m);
                }
                if second.floor(m) > first.c + clear {
                    return Side::Rising;
                }
                first.finish(problem, m);
                early.push(first);
                early.push(second);
            } else {
                first.finish(problem, m);
                early.push(first);
            }
        }
    }
    let mut early = early.into_iter();
    for (i, &s) in PROBE_STEPS.iter().enumerate() {
        let regular = i < PROBE_STEPS_REGULAR;
        let point = match early.next() {
            Some(done) => Some((done.c, done.v)),
            None => profile_point(problem, u, d, s, newton),
        };
        let Some((c, v)) = point else {
            // An infeasible region: a rise, unless the profile fell before it.
            if let Some(side) = settle(problem, c0, noise0(), &mut profile, &mut deferred) {
                return side;
            }
            let side = if level(&profile) {
                Side::Flat
            } else {
                judge(problem, c0, noise0(), &mut profile).0
            };
            return match side {
                Side::Flat | Side::Rising if regular => Side::Rising,
                Side::Flat | Side::Rising => Side::LateRising,
                side => side,
            };
        };
        // A clear, growing rise at the first two probes: a maximum along this side.
        if let [(c1, ..)] = profile.as_slice() {
            if *c1 > c0 + clear && c > c1 + clear {
                return Side::Rising;
            }
        }
        profile.push((c, v, None));
        // Conclude at the regular steps; go on to the far steps only while the profile is
        // level within the noise (whose level at the point itself may hide a rise), and not
        // beyond the model's precision.
        if i + 1 >= PROBE_STEPS_REGULAR {
            if level(&profile) {
                deferred.push(profile.len());
                continue;
            }
            if let Some(side) = settle(problem, c0, noise0(), &mut profile, &mut deferred) {
                return side;
            }
            match judge(problem, c0, noise0(), &mut profile) {
                (Side::Flat, false) => {}
                (Side::Rising, _) if !regular => return Side::LateRising,
                (side, _) => return side,
            }
        }
    }
    // Level all the way: so it is whatever the noise at its probes.
    Side::Flat
}

/// The deferred judgements of a profile (see [`probe`]): a profile level within the noise at
/// the point (`noise0`) stays level whatever the noise measured at its probes (a larger noise
/// only widens the tolerances of [`classify`]), and a probe found imprecise only ends it there,
/// still level. So the precision of the probes of a level profile matters only once a farther
/// probe makes it fall or rise: then the judgements of the steps in `deferred` (profile lengths)
/// are made in order, as if made at the time, and the first that ends the profile gives its
/// side. `None` when the profile goes on.
fn settle<O: Objective>(
    problem: &Problem<'_, O>,
    c0: f64,
    noise0: f64,
    profile: &mut Vec<Probe>,
    deferred: &mut Vec<usize>,
) -> Option<Side> {
    for len in std::mem::take(deferred) {
        let rest = profile.split_off(len.min(profile.len()));
        match judge(problem, c0, noise0, profile) {
            (Side::Flat, false) => profile.extend(rest),
            (Side::Rising, _) if len > PROBE_STEPS_REGULAR => return Some(Side::LateRising),
            (side, _) => return Some(side),
        }
    }
    None
}

/// A probe of a profile: cost, point, and rounding noise there once measured.
type Probe = (f64, Vec<f64>, Option<f64>);

/// Classifies a profile (see [`classify`]), measuring the rounding noise only at the probes
/// that decide the verdict; a decisive probe where the objective is not evaluated precisely
/// ends the profile there (nothing beyond it can be judged), which the flag reports.
fn judge<O: Objective>(
    problem: &Problem<'_, O>,
    c0: f64,
    noise0: f64,
    profile: &mut Vec<Probe>,
) -> (Side, bool) {
    let mut imprecise = false;
    loop {
        let (side, decisive) = classify(c0, noise0, profile);
        let Some(i) = decisive
            .into_iter()
            .flatten()
            .find(|&i| profile[i].2.is_none())
        else {
            return (side, imprecise);
        };
        let (c, v, _) = &profile[i];
        let noise = noise_level(problem, v, *c);
        if noise > TRUSTED_NOISE * (1.0 + c.abs()) {
            profile.truncate(i);
            imprecise = true;
        } else {
            profile[i].2 = Some(noise);
        }
    }
}

/// The profile at `s` log-units along `d` from `u`, the other directions re-minimised by up to
/// [`NEWTON_STEPS`] Newton steps with `newton`; `None` where the objective is not finite.
fn profile_point<O: Objective>(
    problem: &Problem<'_, O>,
    u: &[f64],
    d: &[f64],
    s: f64,
    newton: Option<&[f64]>,
) -> Option<(f64, Vec<f64>)> {
    let raw = raw_probe(problem, u, d, s)?;
    Some(refine(problem, raw, newton))
}

/// A point of a profile before its re-minimisation: point, cost and gradient.
type RawProbe = (Vec<f64>, f64, Vec<f64>);

/// The point `s` log-units along `d` from `u` with its cost and gradient; `None` where the
/// objective is not finite.
fn raw_probe<O: Objective>(
    problem: &Problem<'_, O>,
    u: &[f64],
    d: &[f64],
    s: f64,
) -> Option<RawProbe> {
    let v: Vec<f64> = u.iter().zip(d).map(|(a, b)| a + s * b).collect();
    let (c, g) = problem.evaluate(&v);
    c.is_finite().then_some((v, c, g))
}

/// The second probe of [`probe`] (at `PROBE_STEPS[1]` along `d` from `u`), started where the
/// first probe's re-minimisation points: the first moved the other directions by `δ` from its
/// raw point `start` to `first`, and near a maximum the profile's path leaves the line `u + s d`
/// quadratically in `s` (the gradient across the line grows with the third derivatives as
/// `s²`), so the second starts at `u + s₂ d + (s₂/s₁)² δ`, `δ` without its part along `d`: the
/// same point of the profile, closer to where its own Newton steps would take it. Where that
/// start is not finite (or the first probe did not move), the raw point on the line.
fn second_probe<O: Objective>(
    problem: &Problem<'_, O>,
    u: &[f64],
    d: &[f64],
    start: &[f64],
    first: &[f64],
) -> Option<RawProbe> {
    let (s1, s2) = (PROBE_STEPS[0], PROBE_STEPS[1]);
    let mut delta: Vec<f64> = first.iter().zip(start).map(|(a, b)| a - b).collect();
    let along: f64 = delta.iter().zip(d).map(|(a, b)| a * b).sum();
    delta.iter_mut().zip(d).for_each(|(x, e)| *x -= along * e);
    if delta.iter().all(|&x| x == 0.0) || delta.iter().any(|x| !x.is_finite()) {
        return raw_probe(problem, u, d, s2);
    }
    let scale = (s2 / s1) * (s2 / s1);
    let v: Vec<f64> = (0..u.len())
        .map(|i| u[i] + s2 * d[i] + scale * delta[i])
        .collect();
    let (c, g) = problem.evaluate(&v);
    if c.is_finite() {
        Some((v, c, g))
    } else {
        raw_probe(problem, u, d, s2)
    }
}

/// `gᵀ M g`: the decrease of the cost that a Newton step `−M g` promises to first order.
fn newton_gain(m: &[f64], g: &[f64]) -> f64 {
    let k = g.len();
    (0..k)
        .map(|i| g[i] * (0..k).map(|j| m[i * k + j] * g[j]).sum::<f64>())
        .sum()
}

/// See [`profile_point`]: the Newton steps from a raw probe.
fn refine<O: Objective>(
    problem: &Problem<'_, O>,
    raw: RawProbe,
    newton: Option<&[f64]>,
) -> (f64, Vec<f64>) {
    let mut state = Refinement::new(raw);
    if let Some(m) = newton {
        state.finish(problem, m);
    }
    (state.c, state.v)
}

/// A probe part-way through its re-minimisation ([`profile_point`]): point, cost, gradient, the
/// Newton steps taken, and whether it is finished.
struct Refinement {
    v: Vec<f64>,
    c: f64,
    g: Vec<f64>,
    steps: usize,
    finished: bool,
}

impl Refinement {
    fn new((v, c, g): RawProbe) -> Self {
        Refinement {
            v,
            c,
            g,
            steps: 0,
            finished: false,
        }
    }

    /// The cost once re-minimised is at least this: the cost itself when finished, else the
    /// cost less [`RE_MINIMISED`] times the decrease the next Newton step promises.
    fn floor(&self, m: &[f64]) -> f64 {
        if self.finished {
            self.c
        } else {
            self.c - RE_MINIMISED * newton_gain(m, &self.g).max(0.0)
        }
    }

    /// Takes the remaining Newton steps.
    fn finish<O: Objective>(&mut self, problem: &Problem<'_, O>, m: &[f64]) {
        while !self.finished {
            self.step(problem, m);
        }
    }

    /// One Newton step with `m` (the inverse of the Hessian on the complement of the probe's
    /// direction), if any is left.
    fn step<O: Objective>(&mut self, problem: &Problem<'_, O>, m: &[f64]) {
        if self.finished {
            return;
        }
        let k = self.v.len();
        let mut step: Vec<f64> = (0..k)
            .map(|i| -(0..k).map(|j| m[i * k + j] * self.g[j]).sum::<f64>())
            .collect();
        let size = inf_norm(&step);
        // To first order the step lowers the cost by gᵀ M g (M is positive semi-definite):
        // where that is below the cost's last digits (a profile level to rounding) the step
        // cannot show, and is not taken.
        let gain: f64 = -self.g.iter().zip(&step).map(|(a, b)| a * b).sum::<f64>();
        if !(size.is_finite() && size > 0.0 && gain > progress_floor(self.c)) {
            self.finished = true;
            return;
        }
        if size > MAX_NEWTON_STEP {
            step.iter_mut().for_each(|x| *x *= MAX_NEWTON_STEP / size);
        }
        let mut accepted = false;
        for _ in 0..4 {
            let w: Vec<f64> = self.v.iter().zip(&step).map(|(a, b)| a + b).collect();
            let (cw, gw) = problem.evaluate(&w);
            if cw < self.c {
                (self.v, self.c, self.g) = (w, cw, gw);
                accepted = true;
                break;
            }
            step.iter_mut().for_each(|x| *x *= 0.5);
        }
        self.steps += 1;
        self.finished = !accepted || self.steps >= NEWTON_STEPS;
    }
}

/// Classifies a profile (cost, point, rounding noise at each probe, taken as `noise0` where
/// not measured) against the cost `c0` at the point, whose noise is `noise0`: a difference
/// counts when it exceeds the noise at both of its ends. Returns [`Side::Rising`],
/// [`Side::Flat`], [`Side::Falling`] or [`Side::Dip`] (an empty profile is flat), with the
/// probes the verdict rests on (the best, the farthest, the first that rises).
fn classify(c0: f64, noise0: f64, profile: &[Probe]) -> (Side, [Option<usize>; 3]) {
    let noise = |i: usize| noise0.max(profile[i].2.unwrap_or(noise0));
    let Some(far) = profile.len().checked_sub(1) else {
        return (Side::Flat, [None; 3]);
    };
    let best = (0..profile.len())
        .min_by(|&i, &j| profile[i].0.total_cmp(&profile[j].0))
        .unwrap_or(far);
    let (c_best, c_far) = (profile[best].0, profile[far].0);
    if c_best < c0 - noise(best) {
        let side = if c_far <= c_best + noise(best).max(noise(far)) {
            Side::Falling(c_far, profile[far].1.clone())
        } else {
            Side::Dip(c_best, profile[best].1.clone())
        };
        return (side, [Some(best), Some(far), None]);
    }
    match (0..profile.len()).find(|&i| profile[i].0 > c0 + noise(i)) {
        Some(rise) => (Side::Rising, [Some(rise), None, None]),
        None => (Side::Flat, [Some(best), Some(far), None]),
    }
}

/// Hessian of the total objective in `u` (row-major): from the model's analytic Hessian
/// ([`Objective::hessian`]) where it has one, else by central differences of the analytic
/// gradient, symmetrised; `None` if a difference point is infeasible. The last one computed is
/// kept, so the search, the examination and the covariance share it.
fn hessian<O: Objective>(problem: &Problem<'_, O>, u: &[f64]) -> Option<Vec<f64>> {
    if let Some((v, h, _)) = problem.hessian_memo.borrow().as_ref() {
        if v.as_slice() == u && h.is_some() {
            return h.clone();
        }
    }
    if let Some(h) = analytic_hessian(problem, u) {
        return Some(h);
    }
    let h = difference_hessian(problem, u);
    *problem.hessian_memo.borrow_mut() = Some((u.to_vec(), h.clone(), false));
    h
}

/// See [`hessian`]: central differences of the analytic gradient (2k evaluations).
fn difference_hessian<O: Objective>(problem: &Problem<'_, O>, u: &[f64]) -> Option<Vec<f64>> {
    let k = u.len();
    let n = problem.obj.n_obs();
    let mut h = vec![0.0; k * k];
    for j in 0..k {
        let step = 1e-5 * (1.0 + u[j].abs());
        let mut up = u.to_vec();
        up[j] += step;
        let mut dn = u.to_vec();
        dn[j] -= step;
        let (cu, gu) = problem.evaluate(&up);
        let (cd, gd) = problem.evaluate(&dn);
        if !cu.is_finite() || !cd.is_finite() {
            return None;
        }
        for i in 0..k {
            h[i * k + j] = n * (gu[i] - gd[i]) / (2.0 * step);
        }
    }
    for i in 0..k {
        for j in 0..i {
            let m = 0.5 * (h[i * k + j] + h[j * k + i]);
            h[i * k + j] = m;
            h[j * k + i] = m;
        }
    }
    Some(h)
}

/// The Hessian in `u` of the total objective `F(θ) = −LL(θ) + n·penalty·Σθ²` from the model's
/// analytic `∂²LL/∂θ²`: with `θᵢ = lᵢ + e^(uᵢ)` and `jᵢ = θᵢ − lᵢ`,
/// `∂²F/∂uᵢ∂uⱼ = Fᵢⱼ jᵢ jⱼ + δᵢⱼ Fᵢ jᵢ`; for an unbounded parameter (`θᵢ = uᵢ`) `jᵢ = 1` and
/// the second term is absent. `None` where the model has none or it is not finite. Each pass
/// over the rows counts as an evaluation; the result is kept (see [`hessian`]).
fn analytic_hessian<O: Objective>(problem: &Problem<'_, O>, u: &[f64]) -> Option<Vec<f64>> {
    if let Some((v, h, true)) = problem.hessian_memo.borrow().as_ref() {
        if v.as_slice() == u {
            return h.clone();
        }
    }
    let (cost, g_u) = problem.evaluate(u);
    if !cost.is_finite() {
        return None;
    }
    let theta = problem.theta(u);
    let ll = problem.obj.hessian(&theta)?;
    problem.evaluations.set(problem.evaluations.get() + 1);
    let h = problem.u_hessian(&theta, &ll, &g_u);
    *problem.hessian_memo.borrow_mut() = Some((u.to_vec(), h.clone(), true));
    h
}

impl<O: Objective> Problem<'_, O> {
    /// The Hessian in `u` of the total objective (see [`analytic_hessian`]) from the model's
    /// `∂²LL/∂θ²` (`ll`) at `theta`, where the gradient of the mean objective in `u` is `g_u`;
    /// `None` if it has the wrong size or is not finite.
    fn u_hessian(&self, theta: &[f64], ll: &[f64], g_u: &[f64]) -> Option<Vec<f64>> {
        let k = theta.len();
        if ll.len() != k * k || g_u.len() != k {
            return None;
        }
        let n = self.obj.n_obs();
        let jac: Vec<f64> = theta
            .iter()
            .zip(self.lower)
            .map(|(&t, &l)| dtheta_du(t, l))
            .collect();
        let mut h = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                let f_ij = -ll[i * k + j] + if i == j { 2.0 * n * self.penalty } else { 0.0 };
                // `n · g_u[i]` is `Fᵢ jᵢ` (the gradient in `u` is of the mean objective).
                let diagonal = if i == j && self.lower[i] != f64::NEG_INFINITY {
                    n * g_u[i]
                } else {
                    0.0
                };
                h[i * k + j] = f_ij * jac[i] * jac[j] + diagonal;
            }
        }
        h.iter().all(|v| v.is_finite()).then_some(h)
    }
}

/// Covariance of the natural parameters at `u` from the Hessian `h` of the total objective
/// there (see the module docs), if `h` is positive definite and every entry is finite, and the
/// standard errors (finite whenever the log-scale variances are).
type Errors = (Option<Vec<f64>>, Vec<f64>);
fn covariance<O: Objective>(problem: &Problem<'_, O>, u: &[f64], h: &[f64]) -> Option<Errors> {
    let k = u.len();
    let inv = invert_spd(h, k)?;
    let theta = problem.theta(u);
    let jac: Vec<f64> = theta
        .iter()
        .zip(problem.lower)
        .map(|(&t, &lo)| dtheta_du(t, lo))
        .collect();
    let mut cov = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            cov[i * k + j] = jac[i] * inv[i * k + j] * jac[j];
        }
    }
    let se: Vec<f64> = (0..k)
        .map(|i| jac[i] * inv[i * k + i].max(0.0).sqrt())
        .collect();
    if se.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some((cov.iter().all(|v| v.is_finite()).then_some(cov), se))
}

/// The inverse of the symmetric `h` restricted to the complement of the unit vector `d`
/// (row-major k×k), dropping the directions of curvature at most [`SMALL_CURVATURE`] times the
/// largest: the Newton step `−M g` then re-minimises only the well-determined directions.
fn complement_inverse(h: &[f64], d: &[f64], k: usize) -> Option<Vec<f64>> {
    // P H P with P = I − d dᵀ.
    let hd: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| h[i * k + j] * d[j]).sum())
        .collect();
    let dhd: f64 = d.iter().zip(&hd).map(|(a, b)| a * b).sum();
    let mut m = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            m[i * k + j] = h[i * k + j] - d[i] * hd[j] - hd[i] * d[j] + d[i] * d[j] * dhd;
        }
    }
    let (values, vectors) = symmetric_eigen(&m, k)?;
    let largest = values.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let mut inv = vec![0.0; k * k];
    for (value, e) in values.iter().zip(&vectors) {
        if *value > SMALL_CURVATURE * largest && *value > 0.0 {
            for i in 0..k {
                for j in 0..k {
                    inv[i * k + j] += e[i] * e[j] / value;
                }
            }
        }
    }
    inv.iter().all(|v| v.is_finite()).then_some(inv)
}

/// Eigenvalues (ascending) and unit eigenvectors of a symmetric k×k matrix (row-major), by
/// cyclic Jacobi rotations; `None` if an entry is not finite.
pub(crate) fn symmetric_eigen(a: &[f64], k: usize) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
    if a.len() != k * k || a.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut a = a.to_vec();
    let mut v = vec![0.0; k * k];
    for i in 0..k {
        v[i * k + i] = 1.0;
    }
    for _ in 0..64 {
        let off: f64 = (0..k)
            .flat_map(|i| (0..i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * k + j] * a[i * k + j])
            .sum();
        let total: f64 = a.iter().map(|x| x * x).sum();
        if off <= 1e-32 * total || off == 0.0 {
            break;
        }
        for p in 0..k {
            for q in p + 1..k {
                let apq = a[p * k + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * k + q] - a[p * k + p]) / (2.0 * apq);
                let t = if theta.abs() > 1e150 {
                    0.5 / theta
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..k {
                    let (arp, arq) = (a[r * k + p], a[r * k + q]);
                    a[r * k + p] = c * arp - s * arq;
                    a[r * k + q] = s * arp + c * arq;
                }
                for r in 0..k {
                    let (apr, aqr) = (a[p * k + r], a[q * k + r]);
                    a[p * k + r] = c * apr - s * aqr;
                    a[q * k + r] = s * apr + c * aqr;
                }
                for r in 0..k {
                    let (vrp, vrq) = (v[r * k + p], v[r * k + q]);
                    v[r * k + p] = c * vrp - s * vrq;
                    v[r * k + q] = s * vrp + c * vrq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&i, &j| a[i * k + i].total_cmp(&a[j * k + j]));
    let values: Vec<f64> = order.iter().map(|&i| a[i * k + i]).collect();
    let vectors: Vec<Vec<f64>> = order
        .iter()
        .map(|&i| (0..k).map(|r| v[r * k + i]).collect())
        .collect();
    values
        .iter()
        .chain(vectors.iter().flatten())
        .all(|x| x.is_finite())
        .then_some((values, vectors))
}

/// Inverse of a symmetric positive-definite k×k matrix (row-major) by Cholesky; `None` if it is
/// not positive definite.
pub(crate) fn invert_spd(a: &[f64], k: usize) -> Option<Vec<f64>> {
    let li = inverse_cholesky(a, k)?;
    // A⁻¹ = L⁻ᵀ L⁻¹.
    let mut inv = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            let mut s = 0.0;
            for p in i.max(j)..k {
                s += li[p * k + i] * li[p * k + j];
            }
            inv[i * k + j] = s;
        }
    }
    Some(inv)
}

/// `L⁻¹` (lower triangular, row-major) of the Cholesky factor `A = L Lᵀ` of a symmetric k×k
/// matrix; `None` if it is not positive definite.
fn inverse_cholesky(a: &[f64], k: usize) -> Option<Vec<f64>> {
    if a.len() != k * k {
        return None;
    }
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= l[i * k + p] * l[j * k + p];
            }
            if i == j {
                if s.is_nan() || s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i * k + i] = s.sqrt();
            } else {
                l[i * k + j] = s / l[j * k + j];
            }
        }
    }
    let mut li = vec![0.0; k * k];
    for i in 0..k {
        li[i * k + i] = 1.0 / l[i * k + i];
        for j in 0..i {
            let mut s = 0.0;
            for p in j..i {
                s -= l[i * k + p] * li[p * k + j];
            }
            li[i * k + j] = s / l[i * k + i];
        }
    }
    Some(li)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Normal sample with known mean/variance: LL(μ, σ) maximised at the sample moments.
    struct Quadratic;
    impl Objective for Quadratic {
        fn n_params(&self) -> usize {
            2
        }
        fn n_obs(&self) -> f64 {
            10.0
        }
        fn log_likelihood(&self, t: &[f64], grad: Option<&mut [f64]>) -> f64 {
            // LL = -10 [ (t0 - 2)^2 + 3 (t1 - 0.5)^2 ]
            if let Some(g) = grad {
                g[0] = -20.0 * (t[0] - 2.0);
                g[1] = -60.0 * (t[1] - 0.5);
            }
            -10.0 * ((t[0] - 2.0).powi(2) + 3.0 * (t[1] - 0.5).powi(2))
        }
    }

    #[test]
    fn finds_known_maximum_with_delta_method_covariance() {
        let est = maximize(
            &Quadratic,
            &[0.0, 0.0],
            &[vec![1.0, 1.0]],
            &FitOptions::default(),
        )
        .unwrap();
        assert_quadratic_maximum(&est, 1e-7, 1e-6, 1e-8);
    }

    /// The maximum of [`Quadratic`] (θ = (2, 0.5)) and its covariance: the Hessian of −LL in θ
    /// is diag(20, 60), so Cov = diag(1/20, 1/60); to the tolerances given.
    fn assert_quadratic_maximum(est: &Estimate, params: f64, variances: f64, covariance: f64) {
        assert_eq!(est.status, Status::Converged);
        assert!(
            (est.params[0] - 2.0).abs() < params && (est.params[1] - 0.5).abs() < params,
            "{:?}",
            est.params
        );
        let cov = est.covariance.as_deref().unwrap();
        assert!((cov[0] - 0.05).abs() < variances, "{cov:?}");
        assert!((cov[3] - 1.0 / 60.0).abs() < variances);
        assert!(cov[1].abs() < covariance);
    }

    /// [`Quadratic`] with its analytic Hessian: the search takes Newton steps. It counts its
    /// Hessian passes.
    #[derive(Default)]
    struct QuadraticWithHessian {
        hessians: std::cell::Cell<usize>,
    }
    impl Objective for QuadraticWithHessian {
        fn n_params(&self) -> usize {
            2
        }
        fn n_obs(&self) -> f64 {
            10.0
        }
        fn log_likelihood(&self, t: &[f64], grad: Option<&mut [f64]>) -> f64 {
            Quadratic.log_likelihood(t, grad)
        }
        fn hessian(&self, _: &[f64]) -> Option<Vec<f64>> {
            self.hessians.set(self.hessians.get() + 1);
            Some(vec![-20.0, 0.0, 0.0, -60.0])
        }
    }

    /// A value-only evaluation leaves the best point alone unless it improves on it by more
    /// than the rounding of the sum; a clearly better point is evaluated in full and becomes the
    /// best, with its gradient.
    #[test]
    fn value_costs_keep_the_books() {
        let problem = Problem::new(&Quadratic, &[0.0, 0.0], 0.0, 100);
        let start = [0.1f64, 0.2];
        let (c0, _) = problem.evaluate(&start);
        let worse = [0.1, 0.9];
        assert!(problem.value_cost(&worse) > c0);
        assert_eq!(problem.best.borrow().1, start.to_vec());
        // θ = (2, 0.5): the maximum.
        let better = [2f64.ln(), 0.5f64.ln()];
        let c = problem.value_cost(&better);
        assert!(c < c0 - sum_floor(c0, 10));
        assert_eq!(problem.best.borrow().1, better.to_vec());
        assert!(problem.lookup(&better).is_some());
        // (The value alone at the better point, then the full evaluation there: both count.)
        assert_eq!(problem.evaluations.get(), 4);
        assert_eq!(sum_floor(1.0, 100), 10.0 * progress_floor(1.0));
        assert_eq!(sum_floor(1.0, 0), progress_floor(1.0));
    }

    /// A start's known curvature takes the first Newton step in place of a Hessian pass there
    /// (even a poor one: here the identity), and the search still ends at the maximum with its
    /// exact covariance.
    #[test]
    fn a_known_curvature_saves_the_first_hessian_pass() {
        let start = vec![1.0, 1.0];
        let fit = |curvature: Option<&Curvature>| {
            let obj = QuadraticWithHessian::default();
            let est = maximize_with(
                &obj,
                &[0.0, 0.0],
                std::slice::from_ref(&start),
                &FitOptions::default(),
                curvature,
                false,
            )
            .unwrap();
            assert_quadratic_maximum(&est, 1e-9, 1e-9, 1e-12);
            obj.hessians.get()
        };
        let without = fit(None);
        let known = Curvature {
            point: start.clone(),
            hessian: vec![1.0, 0.0, 0.0, 1.0],
        };
        let with = fit(Some(&known));
        assert!(
            with < without,
            "{with} Hessian passes with, {without} without"
        );
    }

    /// The second probe starts `s₂` along the direction from the point, moved across it by
    /// `(s₂/s₁)²` times the first probe's move across it (its part along the direction dropped);
    /// without a move, on the line.
    #[test]
    fn the_second_probe_starts_where_the_first_points() {
        let problem = Problem::new(&Quadratic, &[0.0, 0.0], 0.0, 100);
        let u = [0.3, -0.2];
        let d = [0.6, 0.8];
        let (s1, s2) = (PROBE_STEPS[0], PROBE_STEPS[1]);
        let start: Vec<f64> = (0..2).map(|i| u[i] + s1 * d[i]).collect();
        // Moved by 0.01 across d and 0.05 along it.
        let across = [0.8 * 0.01, -0.6 * 0.01];
        let first: Vec<f64> = (0..2).map(|i| start[i] + across[i] + 0.05 * d[i]).collect();
        let (v, c, g) = second_probe(&problem, &u, &d, &start, &first).unwrap();
        let scale = (s2 / s1) * (s2 / s1);
        for i in 0..2 {
            let expected = u[i] + s2 * d[i] + scale * across[i];
            assert!((v[i] - expected).abs() < 1e-15, "{v:?}");
        }
        assert_eq!((c, g), problem.evaluate(&v));
        let (on_line, ..) = second_probe(&problem, &u, &d, &start, &start).unwrap();
        for i in 0..2 {
            assert!((on_line[i] - (u[i] + s2 * d[i])).abs() < 1e-15);
        }
    }

    #[test]
    fn newton_steps_find_the_maximum_and_its_exact_covariance() {
        let est = maximize(
            &QuadraticWithHessian::default(),
            &[0.0, 0.0],
            &[vec![1.0, 1.0]],
            &FitOptions::default(),
        )
        .unwrap();
        // (The search stops at a gradient of 1e-9 in u; L-BFGS, above, is asked for the same.)
        assert_quadratic_maximum(&est, 1e-9, 1e-9, 1e-12);
        // The Hessian of the mean objective in u = ln θ at the maximum.
        let curvature = est.curvature.unwrap();
        assert!((curvature[0] - 2.0 * 4.0).abs() < 1e-9, "{curvature:?}");
    }

    #[test]
    fn newton_steps_on_an_unbounded_parameter() {
        // θ₀ unbounded (u₀ = θ₀, as a covariate coefficient): its row and column of the Hessian
        // in u are those in θ, without the term of the log scale.
        let est = maximize(
            &QuadraticWithHessian::default(),
            &[f64::NEG_INFINITY, 0.0],
            &[vec![-3.0, 1.0]],
            &FitOptions::default(),
        )
        .unwrap();
        assert_quadratic_maximum(&est, 1e-9, 1e-9, 1e-12);
        let curvature = est.curvature.unwrap();
        assert!((curvature[0] - 2.0).abs() < 1e-9, "{curvature:?}");
    }

    #[test]
    fn the_trust_step_is_newton_inside_the_radius_and_on_it_outside() {
        // Positive definite, Newton step −g/λ within the radius.
        let step = trust_step(&[1.0, 4.0], &[0.5, 1.0], 2.0);
        assert_eq!(step, vec![-0.5, -0.25]);
        // Too long: cut back to the radius, still downhill.
        let step = trust_step(&[1.0, 4.0], &[5.0, 1.0], 2.0);
        assert!((l2_norm(&step) - 2.0).abs() < 1e-9, "{step:?}");
        assert!(step[0] < 0.0 && step[1] < 0.0);
        // Indefinite: on the radius, with a decrease of the quadratic model.
        let (values, g) = ([-1.0, 2.0], [0.3, -0.4]);
        let step = trust_step(&values, &g, 1.0);
        assert!((l2_norm(&step) - 1.0).abs() < 1e-9, "{step:?}");
        let model: f64 = (0..2)
            .map(|i| g[i] * step[i] + 0.5 * values[i] * step[i] * step[i])
            .sum();
        assert!(model < 0.0);
        // Indefinite with no gradient along the negative curvature (the hard case).
        let step = trust_step(&[-1.0, 2.0], &[0.0, 0.0], 1.0);
        assert!((l2_norm(&step) - 1.0).abs() < 1e-9, "{step:?}");
    }

    #[test]
    fn a_metric_makes_the_hessian_the_identity() {
        let h = [4.0, 2.0, 2.0, 3.0];
        let m = Metric::new(&h, 2).unwrap();
        // Mᵀ H M = I.
        for i in 0..2 {
            for j in 0..2 {
                let v: f64 = (0..2)
                    .flat_map(|p| (0..2).map(move |q| (p, q)))
                    .map(|(p, q)| m.map[p * 2 + i] * h[p * 2 + q] * m.map[q * 2 + j])
                    .sum();
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-14, "{v}");
            }
        }
        assert!(Metric::new(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    #[test]
    fn invert_spd_rejects_indefinite() {
        assert!(invert_spd(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
        let inv = invert_spd(&[4.0, 2.0, 2.0, 3.0], 2).unwrap();
        // inverse of [[4,2],[2,3]] = 1/8 [[3,-2],[-2,4]]
        for (a, b) in inv.iter().zip([0.375, -0.25, -0.25, 0.5]) {
            assert!((a - b).abs() < 1e-14);
        }
    }
}
