//! Maximum-likelihood estimation: the only module that talks to `argmin`.
//!
//! A model hands over an [`Objective`] (its total weighted log-likelihood and gradient in the
//! natural parameters) and the lower bound of each parameter. We optimise the unconstrained
//! `u = ln(θ − lower)`, minimising the *mean* negative log-likelihood (plus an optional L2
//! penalty): the mean keeps the first gradient O(1), so the first L-BFGS step cannot jump to
//! absurd parameters. Non-finite costs count as `+∞`, which makes the More–Thuente line search
//! stop cleanly instead of hanging.
//!
//! Strategy: L-BFGS (memory 10, More–Thuente) from each start point in turn, restarted from the
//! best point seen while it keeps improving; then, if the gradient is still not small, a
//! Nelder–Mead search from the best point, polished again by L-BFGS. The result is the best
//! point evaluated, never the start point unless nothing better exists (which is an error).
//! Convergence means a small gradient of the mean objective at the returned point, checked by us,
//! not only argmin's own termination status.
//!
//! Standard errors come from the observed information: the Hessian of the total negative
//! log-likelihood in `u`, by central differences of the analytic gradient, inverted by Cholesky,
//! and mapped to the natural scale by the delta method, `Cov(θ) = J H⁻¹ J` with
//! `J = diag(θ − lower)`.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;

use crate::error::{Error, Result};

/// A log-likelihood over a data set, as the optimiser sees it: implemented by each model's
/// fitting code, and handed out (e.g. by [`crate::BgNbd::objective`]) for benchmarks and checks.
///
/// Parameters are the model's natural parameters in [`crate::Model::PARAM_NAMES`] order.
pub trait Objective {
    /// Number of parameters.
    fn n_params(&self) -> usize;
    /// Total weight of the observations (number of customers): the mean is taken over it.
    fn n_obs(&self) -> f64;
    /// Number of rows summed per evaluation (sets the attainable precision); defaults to `n_obs`.
    fn n_rows(&self) -> usize {
        self.n_obs() as usize
    }
    /// Total weighted log-likelihood at the natural parameters `theta`; when `grad` is given,
    /// also writes `∂LL/∂θ` into it. May return a non-finite value (treated as infeasible).
    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64;
}

/// Options for maximum-likelihood fitting, shared by every model.
///
/// ```
/// let mut options = clv::FitOptions::default();
/// options.penalty = 0.01; // like `lifetimes`' penalizer_coef
/// assert_eq!(options.max_iterations, 1000);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FitOptions {
    /// L2 penalty `λ Σ θ²` on the natural parameters, added to the *mean* negative
    /// log-likelihood (as `lifetimes`' `penalizer_coef`). 0 (the default) reproduces the papers.
    pub penalty: f64,
    /// Iteration cap of each L-BFGS run (default 1000).
    pub max_iterations: u64,
    /// A start point in the natural parameters (in the model's parameter order), tried before the
    /// model's own data-driven start points.
    pub start: Option<Vec<f64>>,
    /// Budget of likelihood evaluations over all optimiser runs (default 3000; a regular fit
    /// needs well under 200). When it is spent the fit stops at the best point found, and
    /// [`crate::Fitted::converged`] tells whether that point is a maximum: this bounds the time of
    /// fits whose likelihood keeps rising towards the edge of the parameter space.
    pub max_evaluations: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            penalty: 0.0,
            max_iterations: 1000,
            start: None,
            max_evaluations: 3000,
        }
    }
}

impl FitOptions {
    /// Checks the options.
    pub(crate) fn validate(&self, n_params: usize) -> Result<()> {
        if !(self.penalty.is_finite() && self.penalty >= 0.0) {
            return Err(Error::param(
                "penalty",
                self.penalty,
                "must be finite and >= 0",
            ));
        }
        if self.max_iterations == 0 {
            return Err(Error::param("max_iterations", 0.0, "must be >= 1"));
        }
        if self.max_evaluations == 0 {
            return Err(Error::param("max_evaluations", 0.0, "must be >= 1"));
        }
        if let Some(s) = &self.start {
            if s.len() != n_params {
                return Err(Error::InvalidInput(format!(
                    "start point has {} values, the model has {n_params} parameters",
                    s.len()
                )));
            }
        }
        Ok(())
    }
}

/// Gradient norm (∞-norm, mean objective, log-parameters) below which a point is a maximum.
const GRADIENT_ACCEPT: f64 = 1e-5;
/// Gradient tolerance asked of L-BFGS (L2 norm, mean objective) for small data. The rounding
/// noise of a sum over `n` rows grows like `√n`; below a gradient of about `1e-10 √n` the line
/// search can no longer see the cost decrease and only burns evaluations, so the target grows
/// with the data (capped well below [`GRADIENT_ACCEPT`]).
fn gradient_target(n_rows: usize) -> f64 {
    (1e-10 * (n_rows as f64).sqrt()).clamp(1e-9, 1e-7)
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
    /// ∞-norm of the gradient of the mean objective in log-parameters at `params`.
    pub gradient_norm: f64,
    /// Whether `gradient_norm` is below the acceptance threshold and the Hessian is positive
    /// definite there.
    pub converged: bool,
    /// Covariance of the natural parameters (row-major k×k), when the Hessian is positive definite.
    pub covariance: Option<Vec<f64>>,
}

/// A point `u` with its cost and gradient.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

/// The argmin problem: mean negative log-likelihood (+ penalty) in `u = ln(θ − lower)`.
struct Problem<'a, O: Objective> {
    obj: &'a O,
    lower: &'a [f64],
    penalty: f64,
    /// Best (cost, u) evaluated so far.
    best: RefCell<(f64, Vec<f64>)>,
    /// Last evaluated point with its cost and gradient (L-BFGS asks for both at the same point).
    cache: RefCell<Option<Evaluation>>,
    /// Likelihood evaluations so far, and the budget the solvers may spend.
    evaluations: std::cell::Cell<u64>,
    budget: u64,
}

impl<'a, O: Objective> Problem<'a, O> {
    fn new(obj: &'a O, lower: &'a [f64], penalty: f64, budget: u64) -> Self {
        Problem {
            obj,
            lower,
            penalty,
            best: RefCell::new((f64::INFINITY, Vec::new())),
            cache: RefCell::new(None),
            evaluations: std::cell::Cell::new(0),
            budget,
        }
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
        let cached = self
            .cache
            .borrow()
            .as_ref()
            .is_some_and(|(cu, _, _)| cu.as_slice() == u);
        if self.exhausted() && !cached {
            return Err(argmin::core::Error::msg("evaluation budget spent"));
        }
        Ok(self.evaluate(u))
    }

    fn theta(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .zip(self.lower)
            .map(|(&u, &lo)| lo + u.exp())
            .collect()
    }

    /// Cost and gradient (in `u`) at `u`; cost `+∞` (and a zero gradient) where infeasible.
    fn evaluate(&self, u: &[f64]) -> (f64, Vec<f64>) {
        if let Some((cu, c, g)) = self.cache.borrow().as_ref() {
            if cu.as_slice() == u {
                return (*c, g.clone());
            }
        }
        self.evaluations.set(self.evaluations.get() + 1);
        let k = u.len();
        let theta = self.theta(u);
        let feasible = theta
            .iter()
            .zip(self.lower)
            .all(|(&t, &lo)| t.is_finite() && t > lo);
        let mut grad = vec![0.0; k];
        let mut cost = f64::INFINITY;
        if feasible {
            let n = self.obj.n_obs();
            let ll = self.obj.log_likelihood(&theta, Some(&mut grad));
            let pen: f64 = theta.iter().map(|t| t * t).sum::<f64>() * self.penalty;
            cost = -ll / n + pen;
            for i in 0..k {
                grad[i] =
                    (-grad[i] / n + 2.0 * self.penalty * theta[i]) * (theta[i] - self.lower[i]);
            }
            if !cost.is_finite() || grad.iter().any(|g| !g.is_finite()) {
                cost = f64::INFINITY;
                grad.iter_mut().for_each(|g| *g = 0.0);
            }
        }
        let mut best = self.best.borrow_mut();
        if cost < best.0 {
            *best = (cost, u.to_vec());
        }
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

/// Runs L-BFGS from `u0`; returns iterations and whether argmin reported convergence.
fn run_lbfgs<O: Objective>(problem: &Problem<'_, O>, u0: Vec<f64>, max_iters: u64) -> (u64, bool) {
    let wrapper = ProblemRef(problem);
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10);
    let target = gradient_target(problem.obj.n_rows());
    let solver = match solver
        .with_tolerance_grad(target)
        .and_then(|s| s.with_tolerance_cost(0.0))
    {
        Ok(s) => s,
        Err(_) => return (0, false),
    };
    match Executor::new(wrapper, solver)
        .configure(|s| s.param(u0).max_iters(max_iters))
        .ctrlc(false)
        .run()
    {
        Ok(res) => {
            let ok = matches!(
                res.state().get_termination_status(),
                TerminationStatus::Terminated(TerminationReason::SolverConverged)
            );
            (res.state().get_iter(), ok)
        }
        Err(_) => (0, false),
    }
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

/// Maximises `obj` over `θ > lower`, trying `starts` (natural parameters) in order.
///
/// Errors: [`Error::NotConverged`] when no start has a finite likelihood or nothing better than
/// the start could be found.
pub(crate) fn maximize<O: Objective>(
    obj: &O,
    lower: &[f64],
    starts: &[Vec<f64>],
    options: &FitOptions,
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
            .map(|(&t, &lo)| (t - lo).ln())
            .collect();
        u.iter().all(|v| v.is_finite()).then_some(u)
    };
    let mut iterations = 0;
    let current = |p: &Problem<'_, O>| {
        let (c, u) = p.best.borrow().clone();
        (c, u)
    };
    let grad_at = |p: &Problem<'_, O>, u: &[f64]| inf_norm(&p.evaluate(u).1);

    for start in &all_starts {
        let Some(u0) = to_u(start) else { continue };
        let c0 = problem.evaluate(&u0).0;
        if !c0.is_finite() {
            continue;
        }
        // L-BFGS, restarted from the best point while it keeps improving.
        let mut from = u0;
        for _ in 0..4 {
            if problem.exhausted() {
                break;
            }
            let before = current(&problem).0;
            let (it, _) = run_lbfgs(&problem, from, options.max_iterations);
            iterations += it;
            let (c, u) = current(&problem);
            if grad_at(&problem, &u) <= GRADIENT_ACCEPT || c >= before - 1e-15 * before.abs() {
                break;
            }
            from = u;
        }
        let (_, u) = current(&problem);
        if grad_at(&problem, &u) <= GRADIENT_ACCEPT || problem.exhausted() {
            break;
        }
    }

    let (c, u) = current(&problem);
    if !c.is_finite() {
        return Err(Error::NotConverged(
            "the log-likelihood is not finite at any start point; check the data".into(),
        ));
    }
    if grad_at(&problem, &u) > GRADIENT_ACCEPT {
        // Fallback: Nelder–Mead from the best point, then L-BFGS polish.
        for step in [0.5, 0.1] {
            if problem.exhausted() {
                break;
            }
            let (_, u) = current(&problem);
            iterations += run_nelder_mead(&problem, &u, step, 5000);
            let (_, u) = current(&problem);
            iterations += run_lbfgs(&problem, u, options.max_iterations).0;
            let (_, u) = current(&problem);
            if grad_at(&problem, &u) <= GRADIENT_ACCEPT {
                break;
            }
        }
    }

    let (_, u) = current(&problem);
    let gradient_norm = grad_at(&problem, &u);
    let converged = gradient_norm <= GRADIENT_ACCEPT;
    if !converged && all_starts.iter().filter_map(|s| to_u(s)).any(|s| s == u) {
        return Err(Error::NotConverged(
            "the optimiser could not improve on the start point".into(),
        ));
    }
    let params = problem.theta(&u);
    let log_likelihood = obj.log_likelihood(&params, None);
    if !log_likelihood.is_finite() || params.iter().any(|p| !p.is_finite()) {
        return Err(Error::NotConverged("the optimum is not finite".into()));
    }
    let covariance = covariance(&problem, &u);
    Ok(Estimate {
        params,
        log_likelihood,
        iterations,
        gradient_norm,
        // A maximum has a vanishing gradient *and* a positive-definite Hessian; a flat direction
        // (a boundary optimum, a ridge, too little data) leaves the parameters undetermined.
        converged: converged && covariance.is_some(),
        covariance,
    })
}

/// Covariance of the natural parameters at `u` (see the module docs), if the Hessian is positive
/// definite there.
fn covariance<O: Objective>(problem: &Problem<'_, O>, u: &[f64]) -> Option<Vec<f64>> {
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
    // Symmetrise.
    for i in 0..k {
        for j in 0..i {
            let m = 0.5 * (h[i * k + j] + h[j * k + i]);
            h[i * k + j] = m;
            h[j * k + i] = m;
        }
    }
    let inv = invert_spd(&h, k)?;
    let theta = problem.theta(u);
    let jac: Vec<f64> = theta
        .iter()
        .zip(problem.lower)
        .map(|(t, lo)| t - lo)
        .collect();
    let mut cov = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            cov[i * k + j] = jac[i] * inv[i * k + j] * jac[j];
        }
    }
    cov.iter().all(|v| v.is_finite()).then_some(cov)
}

/// Inverse of a symmetric positive-definite k×k matrix (row-major) by Cholesky; `None` if it is
/// not positive definite.
pub(crate) fn invert_spd(a: &[f64], k: usize) -> Option<Vec<f64>> {
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
    // Inverse of L (lower triangular), then A⁻¹ = L⁻ᵀ L⁻¹.
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
        assert!(est.converged);
        assert!((est.params[0] - 2.0).abs() < 1e-7 && (est.params[1] - 0.5).abs() < 1e-7);
        // Hessian of -LL in θ is diag(20, 60): Cov = diag(1/20, 1/60).
        let cov = est.covariance.unwrap();
        assert!((cov[0] - 0.05).abs() < 1e-6, "{cov:?}");
        assert!((cov[3] - 1.0 / 60.0).abs() < 1e-6);
        assert!(cov[1].abs() < 1e-8);
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
