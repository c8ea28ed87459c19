//! `--intervals LEVEL`: parameter (estimation) and predictive (outcome) intervals in the fit
//! example, with `--interval-method delta|parametric|bootstrap`, `--draws N` and `--seed S`
//! (see the module docs of `main.rs`).

use clv::data::CalibrationHoldout;
use clv::fit::{self, Differentiated, Draws, Estimable, Intervals, Method, Range, Resample};
use clv::models::PredictiveTotal;
use clv::{BgBb, FitOptions, Fitted, GammaGamma, Model, RfmData, Sbg, SpendData, TransactionModel};
use serde_json::{Map, Value, json};

use crate::source::Source;
use crate::{Args, Failure};

/// The flags of this module.
pub const FLAGS: [&str; 4] = ["--intervals", "--interval-method", "--draws", "--seed"];
/// Draws (or bootstrap refits) when `--draws` is not given.
pub const DEFAULT_DRAWS: usize = 1000;
/// Most `--draws`.
pub const MAX_DRAWS: usize = 100_000;

/// How the parameter intervals are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// The delta method (the default).
    Delta,
    /// The parametric bootstrap: draws from the fit's asymptotic normal.
    Parametric,
    /// The nonparametric bootstrap: refits to customers resampled with replacement.
    Bootstrap,
}

/// The interval flags as given.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--intervals`: the level, in `(0, 1)`.
    pub level: Option<f64>,
    /// `--interval-method` (default delta).
    pub method: Option<How>,
    /// `--draws` (default [`DEFAULT_DRAWS`]).
    pub draws: Option<usize>,
    /// `--seed` (default 0).
    pub seed: Option<u64>,
}

/// Reads the value `v` of `flag` (one of [`FLAGS`]) into `opts`.
pub fn parse_flag(opts: &mut Options, flag: &str, v: &str) -> Result<(), String> {
    match flag {
        "--intervals" => {
            let level: f64 = v.parse().map_err(|_| {
                format!("--intervals: not a number: {v:?} (give a level such as 0.9)")
            })?;
            if !(level > 0.0 && level < 1.0) {
                return Err(format!(
                    "--intervals {v}: the level must lie strictly between 0 and 1 (e.g. 0.9)"
                ));
            }
            opts.level = Some(level);
        }
        "--interval-method" => {
            opts.method = Some(match v {
                "delta" => How::Delta,
                "parametric" => How::Parametric,
                "bootstrap" => How::Bootstrap,
                _ => {
                    return Err(format!(
                        "--interval-method must be delta, parametric or bootstrap, got {v:?}"
                    ));
                }
            });
        }
        "--draws" => {
            let n: usize = v.parse().map_err(|_| {
                format!("--draws: not a whole number: {v:?} (give 2 to {MAX_DRAWS})")
            })?;
            if !(2..=MAX_DRAWS).contains(&n) {
                return Err(format!("--draws {v}: must lie between 2 and {MAX_DRAWS}"));
            }
            opts.draws = Some(n);
        }
        _ => {
            let s: u64 = v
                .parse()
                .map_err(|_| format!("--seed: not a whole number from 0 to {}: {v:?}", u64::MAX))?;
            opts.seed = Some(s);
        }
    }
    Ok(())
}

/// Checks the interval flags together with the others: `--interval-method`, `--draws` and
/// `--seed` need `--intervals`; the bootstrap refits, so not with `--params`, nor with
/// `--per-cohort`.
pub fn check(args: &Args) -> Result<(), String> {
    let opts = &args.intervals;
    if opts.level.is_none() {
        for (flag, given) in [
            ("--interval-method", opts.method.is_some()),
            ("--draws", opts.draws.is_some()),
            ("--seed", opts.seed.is_some()),
        ] {
            if given {
                return Err(format!(
                    "{flag} needs --intervals LEVEL (e.g. --intervals 0.9)"
                ));
            }
        }
        return Ok(());
    }
    if opts.method == Some(How::Bootstrap) {
        if let Some(path) = &args.params {
            return Err(format!(
                "--interval-method bootstrap refits the data, and --params skips the fit: use \
                 delta or parametric with --params {path}"
            ));
        }
        if args.per_cohort {
            return Err(
                "--interval-method bootstrap is not available with --per-cohort: use delta or \
                 parametric"
                    .into(),
            );
        }
    }
    Ok(())
}

/// Where the intervals of the parameters come from: the fit's covariance (delta), draws from
/// it (parametric) or refits to resampled customers (bootstrap).
pub enum Engine<M> {
    /// The delta method on the fit.
    Delta(Fitted<M>),
    /// Parametric draws or bootstrap refits.
    Draws(Draws<M>),
}

/// The intervals of a run: the level, and the engine when the parameters have a covariance
/// (`None` when the fit did not converge: then only the predictive intervals are given).
pub struct Plan<M> {
    /// `--intervals`.
    pub level: f64,
    /// The engine, or why there is none.
    pub engine: Result<Engine<M>, String>,
    /// `(lower, upper)` per parameter, when there is an engine.
    pub params: Option<Vec<(f64, f64)>>,
}

impl<M: Estimable + Clone + Send + Sync> Plan<M>
where
    M::Data: Resample + Sync,
{
    /// The plan of `args` (`None` without `--intervals`) for the model of `source`, fitted to
    /// `data` with `options`.
    pub fn new(
        args: &Args,
        source: &Source<M>,
        data: &M::Data,
        options: &FitOptions,
    ) -> Result<Option<Self>, Failure> {
        let Some(level) = args.intervals.level else {
            return Ok(None);
        };
        let fitted = match (source.fitted(), &args.params) {
            (Some(f), _) => f.clone(),
            (None, Some(path)) => saved_fit::<M>(path)?,
            (None, None) => return Err(Failure("no fit to take intervals from".into(), 1)),
        };
        let engine = if fitted.covariance().is_none() {
            Err(format!(
                "the fit did not converge ({}): it has no covariance, so no parameter intervals",
                fitted.status()
            ))
        } else {
            Ok(engine(args, fitted, data, options)?)
        };
        let params = match &engine {
            Ok(e) => Some(param_intervals(e, level)?),
            Err(_) => None,
        };
        Ok(Some(Plan {
            level,
            engine,
            params,
        }))
    }
}

impl<M: Model + Send + Sync> Plan<M> {
    /// Adds `"confidence_intervals": {param: [lower, upper]}` (`null` without a covariance,
    /// with `"intervals_note"` saying why) and, for draws, `"interval_draws"` (draws used,
    /// failed, and bootstrap refits on the boundary).
    pub fn report(&self, json: &mut Value) {
        let Value::Object(map) = json else { return };
        let ci = match &self.params {
            Some(p) => {
                let mut m = Map::new();
                for (n, (lo, hi)) in M::PARAM_NAMES.iter().zip(p) {
                    m.insert((*n).to_string(), json!([lo, hi]));
                }
                Value::Object(m)
            }
            None => Value::Null,
        };
        map.insert("confidence_intervals".into(), ci);
        match &self.engine {
            Err(why) => {
                map.insert("intervals_note".into(), json!(why));
            }
            Ok(Engine::Draws(d)) => {
                map.insert(
                    "interval_draws".into(),
                    json!({"used": d.models().len(), "failed": d.failed(), "boundary": d.boundary()}),
                );
            }
            Ok(Engine::Delta(_)) => {}
        }
    }

    /// Whether the intervals come from the delta method (where predictions that know their
    /// gradient save the finite differences).
    pub fn is_delta(&self) -> bool {
        matches!(self.engine, Ok(Engine::Delta(_)))
    }

    /// Intervals of `g(model)` (one value per element), or `None` without an engine.
    pub fn batch<G, P>(&self, g: G, range: Range) -> clv::Result<Option<Intervals>>
    where
        G: Fn(&M) -> P + Sync,
        P: fit::Prediction,
    {
        match &self.engine {
            Ok(Engine::Delta(f)) => f
                .intervals_batch(g, range, self.level, Method::Delta)
                .map(Some),
            Ok(Engine::Draws(d)) => d.intervals_batch(g, range, self.level).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Intervals of `g(model, rows)` for every row of `data` (on its distinct customers), or
    /// `None` without an engine.
    pub fn customers<G, P>(
        &self,
        data: &RfmData,
        g: G,
        range: Range,
    ) -> clv::Result<Option<Intervals>>
    where
        G: Fn(&M, &RfmData) -> P + Sync,
        P: fit::Prediction,
    {
        match &self.engine {
            Ok(Engine::Delta(f)) => f
                .intervals_customers(data, g, range, self.level, Method::Delta)
                .map(Some),
            Ok(Engine::Draws(d)) => d.intervals_customers(data, g, range, self.level).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// The predictions of `g` per element in blocks of at most `block` elements (so that draws
    /// × values stay bounded), concatenated: `g(model, range)` predicts the elements `range`.
    pub fn blocks<G, P>(&self, n: usize, g: G, range: Range) -> clv::Result<Option<Intervals>>
    where
        G: Fn(&M, std::ops::Range<usize>) -> P + Sync,
        P: fit::Prediction,
    {
        let draws = match &self.engine {
            Ok(Engine::Draws(d)) => d.models().len().max(1),
            _ => 1,
        };
        let block = (BLOCK_VALUES / draws).max(1);
        let mut parts = Vec::new();
        let mut start = 0;
        while start < n {
            let end = (start + block).min(n);
            let Some(iv) = self.batch(|m| g(m, start..end), range)? else {
                return Ok(None);
            };
            parts.push(iv);
            start = end;
        }
        let join = |f: fn(&Intervals) -> &ndarray::Array1<f64>| {
            parts.iter().flat_map(|iv| f(iv).iter().copied()).collect()
        };
        Ok(Some(Intervals {
            estimate: join(|iv| &iv.estimate),
            lower: join(|iv| &iv.lower),
            upper: join(|iv| &iv.upper),
            failed_draws: parts.iter().map(|iv| iv.failed_draws).max().unwrap_or(0),
        }))
    }
}

/// Values (draws × predictions) held at once by [`Plan::blocks`].
const BLOCK_VALUES: usize = 1 << 22;

/// The engine of `--interval-method` for `fitted` (which has a covariance).
fn engine<M: Estimable + Send + Sync>(
    args: &Args,
    fitted: Fitted<M>,
    data: &M::Data,
    options: &FitOptions,
) -> Result<Engine<M>, Failure>
where
    M::Data: Resample + Sync,
{
    let opts = &args.intervals;
    let draws = opts.draws.unwrap_or(DEFAULT_DRAWS);
    let seed = opts.seed.unwrap_or(0);
    Ok(match opts.method.unwrap_or(How::Delta) {
        How::Delta => Engine::Delta(fitted),
        How::Parametric => Engine::Draws(fitted.parametric_draws(draws, seed)?),
        How::Bootstrap => {
            let step = (draws / 10).max(1);
            let progress = move |done: usize, all: usize| {
                if done % step == 0 || done == all {
                    eprintln!("bootstrap: {done}/{all} refits");
                }
            };
            Engine::Draws(fit::bootstrap::<M>(
                data,
                options,
                draws,
                seed,
                Some(&progress),
            )?)
        }
    })
}

/// The parameter intervals: Wald on the log scale for delta, percentiles of the draws (or
/// refits) for parametric and bootstrap.
fn param_intervals<M: Model + Send + Sync>(
    engine: &Engine<M>,
    level: f64,
) -> Result<Vec<(f64, f64)>, Failure> {
    Ok(match engine {
        Engine::Delta(f) => f.confidence_intervals(level)?,
        Engine::Draws(d) => {
            let iv = d.intervals_batch(|m| m.params(), Range::Real, level)?;
            iv.lower
                .iter()
                .copied()
                .zip(iv.upper.iter().copied())
                .collect()
        }
    })
}

/// The fit saved in `path` (`--params`), which must hold its covariance (as `--save` writes).
fn saved_fit<M: Model>(path: &str) -> Result<Fitted<M>, Failure> {
    let no_cov = || {
        Failure(
            format!(
                "--intervals with --params {path}: the file holds no covariance of the \
                 parameters; give the JSON that --save wrote of a converged fit (it has \
                 \"covariance\")"
            ),
            2,
        )
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure(format!("--params {path}: cannot read: {e}"), 2))?;
    let fitted: Fitted<M> = serde_json::from_str(&text).map_err(|_| no_cov())?;
    if fitted.covariance().is_none() {
        return Err(no_cov());
    }
    Ok(fitted)
}

/// The standard normal quantile of `(1 + level)/2`.
fn z_of(level: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(0.5 + 0.5 * level)
}

/// Appends `columns` (header, one cell per data row) to the predictions CSV `csv`.
pub fn append_columns(csv: &str, columns: &[(&str, Vec<String>)]) -> String {
    let mut out = String::with_capacity(csv.len() * 2);
    for (i, line) in csv.lines().enumerate() {
        out.push_str(line);
        for (name, cells) in columns {
            out.push(',');
            if i == 0 {
                out.push_str(name);
            } else if let Some(c) = cells.get(i - 1) {
                out.push_str(c);
            }
        }
        out.push('\n');
    }
    out
}

/// The lower and upper columns of `iv` (empty cells without intervals), `n` rows.
pub fn bounds(iv: Option<&Intervals>, n: usize) -> [Vec<String>; 2] {
    match iv {
        Some(iv) => [
            iv.lower.iter().map(|v| format!("{v:?}")).collect(),
            iv.upper.iter().map(|v| format!("{v:?}")).collect(),
        ],
        None => [vec![String::new(); n], vec![String::new(); n]],
    }
}

/// The columns of predictive count intervals.
pub fn count_bounds(iv: &[(u32, u32)]) -> [Vec<String>; 2] {
    [
        iv.iter().map(|(lo, _)| lo.to_string()).collect(),
        iv.iter().map(|(_, hi)| hi.to_string()).collect(),
    ]
}

/// The interval columns of a transaction model's predictions (`probability_alive_lower, ...,
/// transactions_upper`): `alive` and `expected` parameter intervals, `counts` predictive.
pub fn transaction_columns(
    alive: Option<&Intervals>,
    expected: Option<&Intervals>,
    counts: &[(u32, u32)],
) -> Vec<(&'static str, Vec<String>)> {
    let n = counts.len();
    let [al, au] = bounds(alive, n);
    let [el, eu] = bounds(expected, n);
    let [tl, tu] = count_bounds(counts);
    vec![
        ("probability_alive_lower", al),
        ("probability_alive_upper", au),
        ("expected_transactions_lower", el),
        ("expected_transactions_upper", eu),
        ("transactions_lower", tl),
        ("transactions_upper", tu),
    ]
}

/// Adds the interval keys to the `holdout` object: `predicted_lower`/`predicted_upper` (the
/// interval of the total expected holdout transactions, from `total`) and
/// `actual_range_lower`/`actual_range_upper` (the predictive interval of the total count).
pub fn add_holdout(
    holdout: &mut Value,
    total: Option<clv::fit::Interval>,
    actual: &PredictiveTotal,
) {
    if let Value::Object(map) = holdout {
        let (lo, hi) = total.map_or((Value::Null, Value::Null), |t| {
            (json!(t.lower), json!(t.upper))
        });
        map.insert("predicted_lower".into(), lo);
        map.insert("predicted_upper".into(), hi);
        map.insert("actual_range_lower".into(), crate::number(actual.lower));
        map.insert("actual_range_upper".into(), crate::number(actual.upper));
    }
}

/// The predictions CSV `csv` of a transaction model for `data`, with the interval columns
/// appended: the parameter intervals of `alive(model, rows)` and `expected(model, rows)` and
/// the predictive count intervals `counts` (one per row).
fn transaction_csv<M, A, E, P, Q>(
    plan: &Plan<M>,
    data: &RfmData,
    csv: &str,
    alive: A,
    expected: E,
    counts: &[(u32, u32)],
) -> Result<String, Failure>
where
    M: Model + Send + Sync,
    A: Fn(&M, &RfmData) -> P + Sync,
    E: Fn(&M, &RfmData) -> Q + Sync,
    P: fit::Prediction,
    Q: fit::Prediction,
{
    let alive = plan.customers(data, alive, Range::Probability)?;
    let expected = plan.customers(data, expected, Range::Positive)?;
    Ok(append_columns(
        csv,
        &transaction_columns(alive.as_ref(), expected.as_ref(), counts),
    ))
}

/// The interval keys of a transaction model's JSON: [`Plan::report`], and with a holdout the
/// keys of [`add_holdout`]: the interval of `Σ expected(model, distinct rows) · weights` over
/// the calibration customers, and the predictive total `actual(calibration)`.
fn transaction_json<M, E>(
    plan: &Plan<M>,
    json: &mut Value,
    split: Option<&CalibrationHoldout>,
    expected: E,
    actual: impl Fn(&RfmData) -> clv::Result<PredictiveTotal>,
) -> Result<(), Failure>
where
    M: Model + Send + Sync,
    E: Fn(&M, &RfmData) -> clv::Result<Differentiated> + Sync,
{
    plan.report(json);
    if let Some(s) = split {
        let (distinct, _) = s.calibration().distinct_customers();
        let total = plan.batch(
            |m| expected(m, &distinct)?.weighted_sum(distinct.weights()),
            Range::Positive,
        )?;
        let total = total.and_then(|iv| iv.get(0));
        let mut actual = actual(s.calibration())?;
        if let Some(t) = &total {
            // the parameter uncertainty of the expected total joins the outcome's
            let sd = (t.upper - t.lower) / (2.0 * z_of(plan.level));
            actual = actual.with_parameter_variance(sd * sd)?;
        }
        add_holdout(&mut json["holdout"], total, &actual);
    }
    Ok(())
}

/// The predictions CSV `csv` of a noncontractual model (`bgnbd`, `mbgnbd`, `pnbd`) for `data`
/// over `horizon`, with the interval columns appended.
pub fn noncontractual_csv<M>(
    plan: &Plan<M>,
    model: &M,
    data: &RfmData,
    horizon: f64,
    csv: &str,
) -> Result<String, Failure>
where
    M: Model + TransactionModel + Send + Sync,
{
    let counts = model.predictive_interval_batch(data, horizon, plan.level)?;
    // the gradients only where the delta method uses them
    let delta = plan.is_delta();
    transaction_csv(
        plan,
        data,
        csv,
        |m: &M, rows| alive_prediction(m, rows, delta),
        |m: &M, rows| expected_prediction(m, rows, horizon, delta),
        &counts,
    )
}

/// `P(alive)` of every row of `rows`, with its gradient when `gradient` (for the delta method).
fn alive_prediction<M: TransactionModel>(
    m: &M,
    rows: &RfmData,
    gradient: bool,
) -> clv::Result<Differentiated> {
    if gradient {
        m.probability_alive_differentiated(rows)
    } else {
        Ok(Differentiated::without_gradient(
            m.probability_alive_batch(rows).to_vec(),
        ))
    }
}

/// `E[Y(t)]` of every row of `rows`, with its gradient when `gradient` (for the delta method).
fn expected_prediction<M: TransactionModel + Sync>(
    m: &M,
    rows: &RfmData,
    t: f64,
    gradient: bool,
) -> clv::Result<Differentiated> {
    if gradient {
        m.conditional_expected_transactions_differentiated(rows, t)
    } else {
        Ok(Differentiated::without_gradient(
            m.conditional_expected_transactions_batch(rows, t)?.to_vec(),
        ))
    }
}

/// The interval keys of a noncontractual model's JSON (see [`transaction_json`]), the holdout
/// over its duration.
pub fn noncontractual_json<M>(
    plan: &Plan<M>,
    model: &M,
    json: &mut Value,
    split: Option<&CalibrationHoldout>,
) -> Result<(), Failure>
where
    M: Model + TransactionModel + Send + Sync,
{
    let t = split.map_or(0.0, CalibrationHoldout::holdout_duration);
    let delta = plan.is_delta();
    transaction_json(
        plan,
        json,
        split,
        |m: &M, rows| expected_prediction(m, rows, t, delta),
        |cal| model.predictive_total(cal, t, plan.level),
    )
}

/// The BG/BB's predictions CSV `csv` for `data` over `horizon` opportunities, with the interval
/// columns appended (counts in opportunities with a transaction).
pub fn bgbb_csv(
    plan: &Plan<BgBb>,
    model: &BgBb,
    data: &RfmData,
    horizon: u32,
    csv: &str,
) -> Result<String, Failure> {
    let counts = model.predictive_interval_batch(data, horizon, plan.level)?;
    transaction_csv(
        plan,
        data,
        csv,
        |m, rows| m.probability_alive_batch(rows),
        |m, rows| m.conditional_expected_transactions_batch(rows, horizon),
        &counts,
    )
}

/// The BG/BB's interval keys of the JSON, as [`noncontractual_json`] in opportunities.
pub fn bgbb_json(
    plan: &Plan<BgBb>,
    model: &BgBb,
    json: &mut Value,
    split: Option<&CalibrationHoldout>,
) -> Result<(), Failure> {
    let t = split.map_or(0, |s| s.holdout_duration() as u32);
    transaction_json(
        plan,
        json,
        split,
        |m: &BgBb, rows| {
            let e = m.conditional_expected_transactions_batch(rows, t)?;
            Ok(Differentiated::without_gradient(e.to_vec()))
        },
        |cal| model.predictive_total(cal, t, plan.level),
    )
}

impl<M: Model + Clone + Send + Sync> Plan<M> {
    /// The plan at `level` of another fit of the same run (an sBG cohort's own fit): delta or
    /// parametric as `--interval-method` says (the bootstrap is refused with `--per-cohort`).
    pub fn of_fit(args: &Args, fitted: &Fitted<M>, level: f64) -> Result<Self, Failure> {
        let engine = if fitted.covariance().is_none() {
            Err(format!(
                "the fit did not converge ({}): it has no covariance, so no parameter intervals",
                fitted.status()
            ))
        } else {
            let opts = &args.intervals;
            Ok(match opts.method.unwrap_or(How::Delta) {
                How::Parametric => Engine::Draws(fitted.parametric_draws(
                    opts.draws.unwrap_or(DEFAULT_DRAWS),
                    opts.seed.unwrap_or(0),
                )?),
                _ => Engine::Delta(fitted.clone()),
            })
        };
        let params = match &engine {
            Ok(e) => Some(param_intervals(e, level)?),
            Err(_) => None,
        };
        Ok(Plan {
            level,
            engine,
            params,
        })
    }
}

/// `survival_lower,survival_upper` for the sBG predictions `csv`: per block of `horizon`
/// periods, the survival intervals of that block's plan (`plans` in block order; one block
/// when the predictions have no cohort column).
pub fn sbg_csv(plans: &[&Plan<Sbg>], horizon: u32, csv: &str) -> Result<String, Failure> {
    let h = horizon as usize;
    let mut lower = Vec::with_capacity(h * plans.len());
    let mut upper = Vec::with_capacity(h * plans.len());
    for plan in plans {
        let delta = plan.is_delta();
        let iv = plan.blocks(
            h,
            |m, r| {
                let periods: Vec<u32> = r.map(|i| i as u32 + 1).collect();
                if delta {
                    m.survival_differentiated(&periods)
                } else {
                    Differentiated::without_gradient(
                        periods.iter().map(|&t| m.survival(t)).collect::<Vec<f64>>(),
                    )
                }
            },
            Range::Probability,
        )?;
        let [lo, hi] = bounds(iv.as_ref(), h);
        lower.extend(lo);
        upper.extend(hi);
    }
    Ok(append_columns(
        csv,
        &[("survival_lower", lower), ("survival_upper", upper)],
    ))
}

/// `expected_average_spend_lower,expected_average_spend_upper` for the Gamma-Gamma
/// predictions `csv` of `data` (one row per input row).
pub fn gg_csv(plan: &Plan<GammaGamma>, data: &SpendData, csv: &str) -> Result<String, Failure> {
    let (x, mv) = (data.frequency(), data.monetary_value());
    let delta = plan.is_delta();
    let iv = plan.blocks(
        data.len(),
        |m, r| -> clv::Result<Differentiated> {
            if delta {
                m.expected_average_spend_differentiated(&x[r.clone()], &mv[r])
            } else {
                let v = r
                    .map(|i| m.expected_average_spend(x[i], mv[i]))
                    .collect::<clv::Result<Vec<f64>>>()?;
                Ok(Differentiated::without_gradient(v))
            }
        },
        Range::Positive,
    )?;
    let [lo, hi] = bounds(iv.as_ref(), data.len());
    Ok(append_columns(
        csv,
        &[
            ("expected_average_spend_lower", lo),
            ("expected_average_spend_upper", hi),
        ],
    ))
}
