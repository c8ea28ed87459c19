//! Python bindings of `clv` (the native module `clv._clv`; the package `clv` wraps it).
//!
//! Columns cross the boundary as contiguous `f64` numpy arrays: the binding reads them as
//! slices and hands whole columns to the Rust API, so no Python code runs per row. Results come
//! back as numpy arrays that own the Rust buffers. Errors become the exceptions of
//! `clv.errors`, with the row and field of bad input.

use clv::data::{CohortData, LifetimeData, Periods, SpendData, TransactionLog};
use clv::fit::{Intervals, Method, Range};
use clv::models::PredictiveTotal;
use clv::value::{DiscountRate, Valuation};
use clv::{
    BgBb, BgNbd, Cohort, Customer, FitOptions, Fitted, GammaGamma, MbgNbd, Model, ParetoNbd,
    RfmData, Sbg, TransactionModel,
};
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyModule;

mod covariates;
mod insight;

type Col<'py> = PyReadonlyArray1<'py, f64>;
type Out<'py> = Bound<'py, PyArray1<f64>>;

/// A `clv::Error` as the matching exception of `clv.errors` (a `ValueError`).
fn raise(e: clv::Error) -> PyErr {
    Python::with_gil(|py| {
        let built = (|| -> PyResult<PyErr> {
            let errors = py.import("clv.errors")?;
            let message = e.to_string();
            let value = match &e {
                clv::Error::InvalidData {
                    row, field, value, ..
                } => errors.getattr("InvalidDataError")?.call1((
                    message,
                    *row,
                    field.as_str(),
                    value.as_str(),
                ))?,
                clv::Error::InvalidParameter { name, .. } => errors
                    .getattr("InvalidParameterError")?
                    .call1((message, *name))?,
                clv::Error::NotConverged(_) => {
                    errors.getattr("NotConvergedError")?.call1((message,))?
                }
                clv::Error::Numerical(_) => errors.getattr("NumericalError")?.call1((message,))?,
                _ => errors.getattr("ClvError")?.call1((message,))?,
            };
            Ok(PyErr::from_value(value))
        })();
        built.unwrap_or_else(|err| err)
    })
}

/// A transaction log given as distinct customer ids, per transaction the index of its
/// customer, its time and optionally its amount.
fn log(
    ids: Vec<String>,
    customer: &PyReadonlyArray1<'_, u32>,
    times: &Col<'_>,
    amounts: &Option<Col<'_>>,
) -> PyResult<TransactionLog> {
    TransactionLog::from_indexed(
        ids,
        customer.as_slice()?.to_vec(),
        vec(times)?,
        opt_vec(amounts)?,
    )
    .or_raise()
}

/// `?` for `clv::Result` inside the binding.
trait OrRaise<T> {
    fn or_raise(self) -> PyResult<T>;
}

impl<T> OrRaise<T> for clv::Result<T> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(raise)
    }
}

/// A contiguous column as a vector (one copy, no per-element Python work).
fn vec(col: &Col<'_>) -> PyResult<Vec<f64>> {
    Ok(col.as_slice()?.to_vec())
}

fn opt_vec(col: &Option<Col<'_>>) -> PyResult<Option<Vec<f64>>> {
    col.as_ref().map(vec).transpose()
}

/// Whole numbers in `[0, u32::MAX]` (durations, counts); `field` names the column in errors.
fn whole(values: &[f64], field: &str) -> PyResult<Vec<u32>> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) {
                Ok(v as u32)
            } else {
                Err(raise(clv::Error::InvalidData {
                    row: i + 1,
                    field: field.to_string(),
                    value: v.to_string(),
                    message: "must be a whole number in [0, 4294967295]".to_string(),
                }))
            }
        })
        .collect()
}

/// Individual lifetimes: whole `duration`s, `churned` 0 or 1, optional weights.
fn lifetimes(
    duration: &Col<'_>,
    churned: &Col<'_>,
    weights: &Option<Col<'_>>,
) -> PyResult<LifetimeData> {
    let d = whole(duration.as_slice()?, "duration")?;
    let c = churned
        .as_slice()?
        .iter()
        .enumerate()
        .map(|(i, &v)| match v {
            0.0 => Ok(false),
            1.0 => Ok(true),
            _ => Err(raise(clv::Error::InvalidData {
                row: i + 1,
                field: "churned".into(),
                value: v.to_string(),
                message: "must be 0 or 1 (or a boolean)".into(),
            })),
        })
        .collect::<PyResult<Vec<bool>>>()?;
    LifetimeData::from_columns(d, c, opt_vec(weights)?).or_raise()
}

fn array<'py>(py: Python<'py>, a: Array1<f64>) -> Out<'py> {
    a.into_pyarray(py)
}

fn rfm(
    x: &Col<'_>,
    t_x: &Col<'_>,
    t: &Col<'_>,
    monetary: &Option<Col<'_>>,
    weights: &Option<Col<'_>>,
) -> PyResult<RfmData> {
    RfmData::from_columns(
        vec(x)?,
        vec(t_x)?,
        vec(t)?,
        opt_vec(monetary)?,
        opt_vec(weights)?,
    )
    .or_raise()
}

/// `f` over the rows `(x, t_x, t)` (validated as `RfmData`), without the GIL: one batch
/// prediction as a numpy array.
fn batch<'py, F>(
    py: Python<'py>,
    x: &Col<'py>,
    t_x: &Col<'py>,
    t: &Col<'py>,
    f: F,
) -> PyResult<Out<'py>>
where
    F: FnOnce(&RfmData) -> clv::Result<Array1<f64>> + Send,
{
    let data = rfm(x, t_x, t, &None, &None)?;
    Ok(array(py, py.allow_threads(|| f(&data)).or_raise()?))
}

/// Discounting at `rate` per `rate_period`: continuously over `horizon` (forever when
/// `None`), or at the ends of `periods` steps of `step`.
fn valuation(
    margin: f64,
    rate: f64,
    rate_period: f64,
    step: f64,
    horizon: Option<f64>,
    periods: Option<u32>,
) -> PyResult<Valuation> {
    let discount = DiscountRate::new(rate, rate_period).or_raise()?;
    match periods {
        Some(k) => Valuation::discrete(margin, discount, step, k),
        None => Valuation::continuous(margin, discount, horizon),
    }
    .or_raise()
}

/// The whole-count intervals `f` computes without the GIL, as `(lower, upper)` float arrays.
fn counts<'py>(
    py: Python<'py>,
    f: impl FnOnce() -> clv::Result<Vec<(u32, u32)>> + Send,
) -> PyResult<(Out<'py>, Out<'py>)> {
    let rows = py.allow_threads(f).or_raise()?;
    let lower = rows.iter().map(|r| f64::from(r.0)).collect();
    let upper = rows.iter().map(|r| f64::from(r.1)).collect();
    Ok((array(py, lower), array(py, upper)))
}

/// The predictions with parameter intervals.
#[derive(Clone, Copy)]
enum Which {
    /// P(alive).
    Alive,
    /// Expected transactions over a horizon.
    Expected,
    /// Discounted expected residual transactions at a rate.
    Dert,
}

impl Which {
    /// The prediction named `what` (`probability_alive`, `conditional_expected_transactions`,
    /// `discounted_expected_residual_transactions`).
    fn named(what: &str) -> Option<Self> {
        match what {
            "probability_alive" => Some(Which::Alive),
            "conditional_expected_transactions" => Some(Which::Expected),
            "discounted_expected_residual_transactions" => Some(Which::Dert),
            _ => None,
        }
    }

    /// The range of its values.
    fn range(self) -> Range {
        match self {
            Which::Alive => Range::Probability,
            Which::Expected | Which::Dert => Range::Positive,
        }
    }
}

/// The parameter intervals of the prediction named `what` (see [`Which::named`]) per row of
/// `data`, `predict(model, rows, which)` computing it.
fn intervals_of<M, F>(
    fit: &Fitted<M>,
    data: &RfmData,
    what: &str,
    level: f64,
    how: Method,
    predict: F,
) -> clv::Result<Intervals>
where
    M: Model + Send + Sync,
    F: Fn(&M, &RfmData, Which) -> clv::Result<Array1<f64>> + Sync,
{
    let which = Which::named(what)
        .ok_or_else(|| clv::Error::InvalidInput(format!("no intervals for {what:?}")))?;
    fit.intervals_customers(
        data,
        |m: &M, d: &RfmData| predict(m, d, which),
        which.range(),
        level,
        how,
    )
}

/// A predictive total: `(mean, variance, lower, upper, level)`.
type Total = (f64, f64, f64, f64, f64);

/// The predictive total `f` computes without the GIL.
fn total(
    py: Python<'_>,
    f: impl FnOnce() -> clv::Result<PredictiveTotal> + Send,
) -> PyResult<Total> {
    let p = py.allow_threads(f).or_raise()?;
    Ok((p.mean, p.variance, p.lower, p.upper, p.level))
}

/// `f` for each customer of `data`, in row order.
fn per_customer(
    data: &RfmData,
    f: impl Fn(&Customer) -> clv::Result<f64>,
) -> clv::Result<Array1<f64>> {
    data.customers().map(|c| f(&c)).collect()
}

fn options(
    penalty: f64,
    max_iterations: Option<u64>,
    start: Option<Vec<f64>>,
) -> PyResult<FitOptions> {
    let mut b = FitOptions::builder().penalty(penalty);
    if let Some(n) = max_iterations {
        b = b.max_iterations(n);
    }
    if let Some(s) = start {
        b = b.start(s);
    }
    b.build().or_raise()
}

fn method(draws: Option<usize>, seed: u64) -> Method {
    match draws {
        None => Method::Delta,
        Some(draws) => Method::Parametric { draws, seed },
    }
}

/// A summary table row: `(name, estimate, std_error, lower, upper)`.
type SummaryRow = (String, f64, Option<f64>, Option<f64>, Option<f64>);

/// A model's parameters with, after a fit, what the fit learned.
struct Held<M: Model> {
    model: M,
    fit: Option<Fitted<M>>,
}

impl<M: Model + Clone + serde::Serialize + serde::de::DeserializeOwned> Held<M> {
    fn fitted(fit: Fitted<M>) -> Self {
        Held {
            model: fit.model().clone(),
            fit: Some(fit),
        }
    }

    fn from_params(params: Vec<f64>) -> PyResult<Self> {
        Ok(Held {
            model: M::from_params(&params).or_raise()?,
            fit: None,
        })
    }

    fn fit(&self) -> PyResult<&Fitted<M>> {
        self.fit.as_ref().ok_or_else(|| {
            raise(clv::Error::InvalidInput(format!(
                "this {} model was built from parameters, not fitted: it has no fit statistics",
                M::NAME
            )))
        })
    }

    fn to_json(&self) -> PyResult<String> {
        let text = match &self.fit {
            Some(f) => serde_json::to_string(f),
            None => serde_json::to_string(&self.model),
        };
        text.map_err(|e| raise(clv::Error::InvalidInput(e.to_string())))
    }

    fn from_json(text: &str) -> PyResult<Self> {
        match serde_json::from_str::<Fitted<M>>(text) {
            Ok(f) => Ok(Self::fitted(f)),
            Err(fit_err) => serde_json::from_str::<M>(text)
                .map(|model| Held { model, fit: None })
                .map_err(|_| {
                    raise(clv::Error::InvalidInput(format!(
                        "not a saved {} fit or model: {fit_err}",
                        M::NAME
                    )))
                }),
        }
    }

    fn summary(&self) -> PyResult<Vec<SummaryRow>> {
        Ok(self
            .fit()?
            .summary()
            .rows
            .into_iter()
            .map(|r| (r.name, r.estimate, r.std_error, r.lower, r.upper))
            .collect())
    }
}

/// The methods every model class has: parameters, fit statistics, JSON.
macro_rules! common {
    ($class:ident, $model:ty, { $($extra:tt)* }) => {
        #[pymethods]
        impl $class {
            $($extra)*

            /// A model with the given parameters (in the order of `param_names`), not fitted.
            #[staticmethod]
            fn from_params(params: Vec<f64>) -> PyResult<Self> {
                Ok($class(Held::from_params(params)?))
            }
            /// A saved fit (or model) from its JSON.
            #[staticmethod]
            fn from_json(text: &str) -> PyResult<Self> {
                Ok($class(Held::from_json(text)?))
            }
            /// The fit (or the model) as JSON, as the Rust API serialises it.
            fn to_json(&self) -> PyResult<String> {
                self.0.to_json()
            }
            #[staticmethod]
            fn name() -> &'static str {
                <$model as Model>::NAME
            }
            #[staticmethod]
            fn param_names() -> Vec<&'static str> {
                <$model as Model>::PARAM_NAMES.to_vec()
            }
            fn params(&self) -> Vec<f64> {
                self.0.model.params()
            }
            fn is_fitted(&self) -> bool {
                self.0.fit.is_some()
            }
            fn log_likelihood(&self) -> PyResult<f64> {
                Ok(self.0.fit()?.log_likelihood())
            }
            fn std_errors(&self) -> PyResult<Option<Vec<f64>>> {
                Ok(self.0.fit()?.std_errors().map(<[f64]>::to_vec))
            }
            fn covariance<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
                Ok(self.0.fit()?.covariance().map(|c| c.into_pyarray(py)))
            }
            fn converged(&self) -> PyResult<bool> {
                Ok(self.0.fit()?.converged())
            }
            fn status(&self) -> PyResult<String> {
                Ok(self.0.fit()?.status().as_str().to_string())
            }
            fn boundary_params(&self) -> PyResult<Vec<String>> {
                Ok(self.0.fit()?.status().boundary_params().to_vec())
            }
            fn n_customers(&self) -> PyResult<f64> {
                Ok(self.0.fit()?.n_customers())
            }
            fn n_distinct(&self) -> PyResult<usize> {
                Ok(self.0.fit()?.n_distinct())
            }
            fn aic(&self) -> PyResult<f64> {
                Ok(self.0.fit()?.aic())
            }
            fn bic(&self) -> PyResult<f64> {
                Ok(self.0.fit()?.bic())
            }
            fn iterations(&self) -> PyResult<u64> {
                Ok(self.0.fit()?.iterations())
            }
            fn gradient_norm(&self) -> PyResult<f64> {
                Ok(self.0.fit()?.gradient_norm())
            }
            fn summary(&self) -> PyResult<Vec<SummaryRow>> {
                self.0.summary()
            }
            /// Wald intervals of the parameters at `level` (on the fit's log scale).
            fn confidence_intervals(&self, level: f64) -> PyResult<Vec<(f64, f64)>> {
                self.0.fit()?.confidence_intervals(level).or_raise()
            }
            fn __repr__(&self) -> String {
                format!("{}", self.0.model)
            }
        }
    };
}

/// A model of `(x, t_x, $t)` rows (`$t`: the age `T`, or the opportunities `n` of BG/BB): its
/// fit, the batch predictions every such model has (`$alive` computing P(alive); `$h`: the
/// horizon, `$d`: the discount rate) and the methods of `common!`.
macro_rules! rfm_model {
    (
        $class:ident,
        $model:ty,
        $t:ident,
        $h:ident: $hty:ty,
        $d:ident,
        $alive:expr,
        { $($extra:tt)* }
    ) => {
        common!($class, $model, {
            $($extra)*

            #[staticmethod]
            #[pyo3(signature = (x, t_x, $t, weights=None, penalty=0.0, max_iterations=None, start=None))]
            #[allow(clippy::too_many_arguments)]
            fn fit(
                py: Python<'_>,
                x: Col<'_>,
                t_x: Col<'_>,
                $t: Col<'_>,
                weights: Option<Col<'_>>,
                penalty: f64,
                max_iterations: Option<u64>,
                start: Option<Vec<f64>>,
            ) -> PyResult<Self> {
                let data = rfm(&x, &t_x, &$t, &None, &weights)?;
                let opts = options(penalty, max_iterations, start)?;
                let fit = py.allow_threads(|| <$model>::fit(&data, &opts)).or_raise()?;
                Ok($class(Held::fitted(fit)))
            }

            fn probability_alive<'py>(
                &self,
                py: Python<'py>,
                x: Col<'py>,
                t_x: Col<'py>,
                $t: Col<'py>,
            ) -> PyResult<Out<'py>> {
                let m = &self.0.model;
                batch(py, &x, &t_x, &$t, |d| ($alive)(m, d))
            }

            fn conditional_expected_transactions<'py>(
                &self,
                py: Python<'py>,
                x: Col<'py>,
                t_x: Col<'py>,
                $t: Col<'py>,
                $h: $hty,
            ) -> PyResult<Out<'py>> {
                let m = &self.0.model;
                batch(py, &x, &t_x, &$t, |d| m.conditional_expected_transactions_batch(d, $h))
            }

            fn discounted_expected_residual_transactions<'py>(
                &self,
                py: Python<'py>,
                x: Col<'py>,
                t_x: Col<'py>,
                $t: Col<'py>,
                $d: f64,
            ) -> PyResult<Out<'py>> {
                let m = &self.0.model;
                batch(py, &x, &t_x, &$t, |rows| {
                    m.discounted_expected_residual_transactions_batch(rows, $d)
                })
            }

            /// The equal-tailed predictive interval of each row's count over the horizon:
            /// `(lower, upper)`.
            fn predictive_interval<'py>(
                &self,
                py: Python<'py>,
                x: Col<'py>,
                t_x: Col<'py>,
                $t: Col<'py>,
                $h: $hty,
                level: f64,
            ) -> PyResult<(Out<'py>, Out<'py>)> {
                let data = rfm(&x, &t_x, &$t, &None, &None)?;
                let m = &self.0.model;
                counts(py, || m.predictive_interval_batch(&data, $h, level))
            }

            /// The predictive distribution of the total count over the horizon of every row
            /// (each counting its weight): `(mean, variance, lower, upper, level)`.
            #[pyo3(signature = (x, t_x, $t, $h, level, weights=None))]
            #[allow(clippy::too_many_arguments)]
            fn predictive_total(
                &self,
                py: Python<'_>,
                x: Col<'_>,
                t_x: Col<'_>,
                $t: Col<'_>,
                $h: $hty,
                level: f64,
                weights: Option<Col<'_>>,
            ) -> PyResult<Total> {
                let data = rfm(&x, &t_x, &$t, &None, &weights)?;
                let m = &self.0.model;
                total(py, || m.predictive_total(&data, $h, level))
            }
        });
    };
}

/// A continuous-time transaction model (BG/NBD, MBG/NBD, Pareto/NBD): fit and every batch
/// prediction of `TransactionModel`.
macro_rules! transaction_model {
    ($class:ident, $model:ty, $pyname:literal, $simulate:path) => {
        #[doc = concat!("The native ", $pyname, " model (wrapped by the Python class).")]
        #[pyclass(name = $pyname, module = "clv._clv", frozen)]
        struct $class(Held<$model>);

        rfm_model!($class, $model, t, horizon: f64, delta, |m: &$model, d| Ok(m.probability_alive_batch(d)), {
            fn probability_alive_at<'py>(
                &self,
                py: Python<'py>,
                x: Col<'py>,
                t_x: Col<'py>,
                t: Col<'py>,
                horizon: f64,
            ) -> PyResult<Out<'py>> {
                let m = &self.0.model;
                batch(py, &x, &t_x, &t, |d| {
                    per_customer(d, |c| m.probability_alive_at(c, horizon))
                })
            }

            fn conditional_probability_of_transactions<'py>(
                &self,
                py: Python<'py>,
                x: Col<'py>,
                t_x: Col<'py>,
                t: Col<'py>,
                n: u32,
                horizon: f64,
            ) -> PyResult<Out<'py>> {
                let m = &self.0.model;
                batch(py, &x, &t_x, &t, |d| {
                    per_customer(d, |c| m.conditional_probability_of_transactions(c, n, horizon))
                })
            }

            /// `[i, n]`: P(Y(horizons[i]) = n | history) of one customer.
            fn conditional_probability_of_transactions_table<'py>(
                &self,
                py: Python<'py>,
                x: f64,
                t_x: f64,
                t: f64,
                max_n: u32,
                horizons: Vec<f64>,
            ) -> PyResult<Bound<'py, PyArray2<f64>>> {
                let c = Customer::new(x, t_x, t).or_raise()?;
                let table: Array2<f64> = self
                    .0
                    .model
                    .conditional_probability_of_transactions_table(&c, max_n, &horizons)
                    .or_raise()?;
                Ok(table.into_pyarray(py))
            }

            /// Intervals of each row's customer value from the parameter uncertainty of this
            /// fit and of the `spend` fit: `(estimate, lower, upper)`.
            #[pyo3(signature = (spend, x, t_x, t, monetary_value, margin, rate, period, level, horizon=None, periods=None, draws=None, seed=0))]
            #[allow(clippy::too_many_arguments)]
            fn customer_value_intervals<'py>(
                &self,
                py: Python<'py>,
                spend: &GammaGammaPy,
                x: Col<'py>,
                t_x: Col<'py>,
                t: Col<'py>,
                monetary_value: Col<'py>,
                margin: f64,
                rate: f64,
                period: f64,
                level: f64,
                horizon: Option<f64>,
                periods: Option<u32>,
                draws: Option<usize>,
                seed: u64,
            ) -> PyResult<(Out<'py>, Out<'py>, Out<'py>)> {
                let data = rfm(&x, &t_x, &t, &Some(monetary_value), &None)?;
                let valuation = valuation(margin, rate, period, period, horizon, periods)?;
                let (m, s) = (self.0.fit()?, spend.0.fit()?);
                let iv = py
                    .allow_threads(|| {
                        valuation.customer_value_intervals(m, s, &data, level, method(draws, seed))
                    })
                    .or_raise()?;
                Ok((array(py, iv.estimate), array(py, iv.lower), array(py, iv.upper)))
            }

            fn expected_transactions<'py>(&self, py: Python<'py>, t: Col<'py>) -> PyResult<Out<'py>> {
                let m = &self.0.model;
                let v: clv::Result<Array1<f64>> =
                    t.as_slice()?.iter().map(|&t| m.expected_transactions(t)).collect();
                Ok(array(py, v.or_raise()?))
            }

            fn probability_of_transactions(&self, n: u32, t: f64) -> PyResult<f64> {
                self.0.model.probability_of_transactions(n, t).or_raise()
            }

            fn probability_alive_path<'py>(
                &self,
                py: Python<'py>,
                purchase_times: Vec<f64>,
                times: Vec<f64>,
            ) -> PyResult<Out<'py>> {
                let v = self
                    .0
                    .model
                    .probability_alive_path(&purchase_times, &times)
                    .or_raise()?;
                Ok(array(py, Array1::from(v)))
            }

            /// Intervals from parameter uncertainty of a batch prediction (`what`:
            /// probability_alive, conditional_expected_transactions, or
            /// discounted_expected_residual_transactions): `(estimate, lower, upper)`.
            #[pyo3(signature = (what, x, t_x, t, arg, level, draws=None, seed=0))]
            #[allow(clippy::too_many_arguments)]
            fn prediction_intervals<'py>(
                &self,
                py: Python<'py>,
                what: &str,
                x: Col<'py>,
                t_x: Col<'py>,
                t: Col<'py>,
                arg: f64,
                level: f64,
                draws: Option<usize>,
                seed: u64,
            ) -> PyResult<(Out<'py>, Out<'py>, Out<'py>)> {
                let data = rfm(&x, &t_x, &t, &None, &None)?;
                let fit = self.0.fit()?;
                let how = method(draws, seed);
                let iv = py
                    .allow_threads(|| {
                        intervals_of(fit, &data, what, level, how, |m: &$model, d, which| {
                            match which {
                                Which::Alive => Ok(m.probability_alive_batch(d)),
                                Which::Expected => m.conditional_expected_transactions_batch(d, arg),
                                Which::Dert => {
                                    m.discounted_expected_residual_transactions_batch(d, arg)
                                }
                            }
                        })
                    })
                    .or_raise()?;
                Ok((array(py, iv.estimate), array(py, iv.lower), array(py, iv.upper)))
            }

            /// Discounted customer value per row with a Gamma-Gamma spend model: margin ×
            /// E[spend] × discounted transactions (continuous discounting at `rate` per
            /// `period`, over `horizon` or forever; or over `periods` discrete periods).
            #[pyo3(signature = (spend, x, t_x, t, monetary_value, margin, rate, period, horizon=None, periods=None))]
            #[allow(clippy::too_many_arguments)]
            fn customer_value<'py>(
                &self,
                py: Python<'py>,
                spend: &GammaGammaPy,
                x: Col<'py>,
                t_x: Col<'py>,
                t: Col<'py>,
                monetary_value: Col<'py>,
                margin: f64,
                rate: f64,
                period: f64,
                horizon: Option<f64>,
                periods: Option<u32>,
            ) -> PyResult<Out<'py>> {
                let data = rfm(&x, &t_x, &t, &Some(monetary_value), &None)?;
                let valuation = valuation(margin, rate, period, period, horizon, periods)?;
                let (m, s) = (&self.0.model, &spend.0.model);
                let v = py
                    .allow_threads(|| valuation.customer_values(m, s, &data))
                    .or_raise()?;
                Ok(array(py, v))
            }

            /// Simulated customers observed for `ages`: `(x, t_x, T, alive)`.
            fn simulate<'py>(
                &self,
                py: Python<'py>,
                ages: Col<'py>,
                seed: u64,
            ) -> PyResult<(Out<'py>, Out<'py>, Out<'py>, Out<'py>)> {
                let s = $simulate(&self.0.model, ages.as_slice()?, seed).or_raise()?;
                let d = &s.data;
                let alive = s.alive.iter().map(|&a| f64::from(u8::from(a))).collect();
                Ok((
                    array(py, Array1::from(d.frequency().to_vec())),
                    array(py, Array1::from(d.recency().to_vec())),
                    array(py, Array1::from(d.age().to_vec())),
                    array(py, alive),
                ))
            }
        });
    };
}

transaction_model!(BgNbdPy, BgNbd, "BgNbd", clv::simulate::bg_nbd);
transaction_model!(MbgNbdPy, MbgNbd, "MbgNbd", clv::simulate::mbg_nbd);
transaction_model!(
    ParetoNbdPy,
    ParetoNbd,
    "ParetoNbd",
    clv::simulate::pareto_nbd
);

/// The native BG/BB model (discrete time: `x` of `n` opportunities, the last at `t_x`).
#[pyclass(name = "BgBb", module = "clv._clv", frozen)]
struct BgBbPy(Held<BgBb>);

rfm_model!(BgBbPy, BgBb, n, n_star: u32, d, |m: &BgBb, d| m.probability_alive_batch(d), {
    fn expected_transactions(&self, n: u32) -> PyResult<f64> {
        self.0.model.expected_transactions(n).or_raise()
    }

    fn probability_of_transactions(&self, x: u32, n: u32) -> PyResult<f64> {
        self.0.model.probability_of_transactions(x, n).or_raise()
    }
});

/// The native Gamma-Gamma spend model.
#[pyclass(name = "GammaGamma", module = "clv._clv", frozen)]
struct GammaGammaPy(Held<GammaGamma>);

fn spend(x: &Col<'_>, m: &Col<'_>, weights: &Option<Col<'_>>) -> PyResult<SpendData> {
    SpendData::with_weights(vec(x)?, vec(m)?, opt_vec(weights)?).or_raise()
}

common!(GammaGammaPy, GammaGamma, {
    #[staticmethod]
    #[pyo3(signature = (x, monetary_value, weights=None, penalty=0.0, max_iterations=None, start=None, finite_mean=false))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Col<'_>,
        monetary_value: Col<'_>,
        weights: Option<Col<'_>>,
        penalty: f64,
        max_iterations: Option<u64>,
        start: Option<Vec<f64>>,
        finite_mean: bool,
    ) -> PyResult<Self> {
        let data = spend(&x, &monetary_value, &weights)?;
        let opts = options(penalty, max_iterations, start)?;
        let fit = py
            .allow_threads(|| {
                if finite_mean {
                    GammaGamma::fit_with_finite_mean(&data, &opts)
                } else {
                    GammaGamma::fit(&data, &opts)
                }
            })
            .or_raise()?;
        Ok(GammaGammaPy(Held::fitted(fit)))
    }

    fn expected_average_spend<'py>(
        &self,
        py: Python<'py>,
        x: Col<'py>,
        monetary_value: Col<'py>,
    ) -> PyResult<Out<'py>> {
        let data = spend(&x, &monetary_value, &None)?;
        let v = self
            .0
            .model
            .expected_average_spend_batch(&data)
            .or_raise()?;
        Ok(array(py, v))
    }

    fn mean_spend(&self) -> PyResult<f64> {
        self.0.model.mean_spend().or_raise()
    }

    /// Customers with frequency 0 in `(x, monetary_value)`: those a fit skips.
    #[staticmethod]
    fn n_skipped_rows(x: Col<'_>, monetary_value: Col<'_>) -> PyResult<f64> {
        Ok(spend(&x, &monetary_value, &None)?.n_skipped())
    }

    /// Simulated mean spend for customers with the given frequencies: `(x, monetary_value)`.
    fn simulate<'py>(
        &self,
        py: Python<'py>,
        x: Col<'py>,
        seed: u64,
    ) -> PyResult<(Out<'py>, Out<'py>)> {
        let s = clv::simulate::gamma_gamma(&self.0.model, x.as_slice()?, seed).or_raise()?;
        Ok((
            array(py, Array1::from(s.frequency().to_vec())),
            array(py, Array1::from(s.monetary_value().to_vec())),
        ))
    }
});

/// The native shifted-beta-geometric model (contractual).
#[pyclass(name = "Sbg", module = "clv._clv", frozen)]
struct SbgPy(Held<Sbg>);

common!(SbgPy, Sbg, {
    /// A fit to individual lifetimes: `duration` periods, `churned` (1) or still active (0).
    #[staticmethod]
    #[pyo3(signature = (duration, churned, weights=None, penalty=0.0, max_iterations=None, start=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        duration: Col<'_>,
        churned: Col<'_>,
        weights: Option<Col<'_>>,
        penalty: f64,
        max_iterations: Option<u64>,
        start: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let data = lifetimes(&duration, &churned, &weights)?;
        let opts = options(penalty, max_iterations, start)?;
        let fit = py.allow_threads(|| Sbg::fit(&data, &opts)).or_raise()?;
        Ok(SbgPy(Held::fitted(fit)))
    }

    /// A fit to cohort survival counts: per cohort, customers alive at periods 0, 1, ....
    #[staticmethod]
    #[pyo3(signature = (cohorts, names=None, penalty=0.0, max_iterations=None))]
    fn fit_cohorts(
        cohorts: Vec<Vec<f64>>,
        names: Option<Vec<String>>,
        penalty: f64,
        max_iterations: Option<u64>,
    ) -> PyResult<Self> {
        let mut built = Vec::with_capacity(cohorts.len());
        for (i, alive) in cohorts.into_iter().enumerate() {
            let mut c = Cohort::new(alive).or_raise()?;
            if let Some(name) = names.as_ref().and_then(|n| n.get(i)) {
                c = c.with_name(name.clone());
            }
            built.push(c);
        }
        let data = CohortData::new(built).or_raise()?;
        let opts = options(penalty, max_iterations, None)?;
        Ok(SbgPy(Held::fitted(
            Sbg::fit_cohorts(&data, &opts).or_raise()?,
        )))
    }

    fn survival<'py>(&self, py: Python<'py>, t: Col<'py>) -> PyResult<Out<'py>> {
        let t = whole(t.as_slice()?, "t")?;
        Ok(array(
            py,
            t.iter().map(|&t| self.0.model.survival(t)).collect(),
        ))
    }

    fn retention_rate<'py>(&self, py: Python<'py>, t: Col<'py>) -> PyResult<Out<'py>> {
        let t = whole(t.as_slice()?, "t")?;
        let v: clv::Result<Array1<f64>> =
            t.iter().map(|&t| self.0.model.retention_rate(t)).collect();
        Ok(array(py, v.or_raise()?))
    }

    fn probability_of_churn_in<'py>(&self, py: Python<'py>, t: Col<'py>) -> PyResult<Out<'py>> {
        let t = whole(t.as_slice()?, "t")?;
        let v: clv::Result<Array1<f64>> = t
            .iter()
            .map(|&t| self.0.model.probability_of_churn_in(t))
            .collect();
        Ok(array(py, v.or_raise()?))
    }

    fn expected_lifetime(&self) -> Option<f64> {
        self.0.model.expected_lifetime()
    }

    fn discounted_expected_lifetime(&self, d: f64) -> PyResult<f64> {
        self.0.model.discounted_expected_lifetime(d).or_raise()
    }

    fn discounted_expected_residual_lifetime(&self, d: f64, renewals: u32) -> PyResult<f64> {
        self.0
            .model
            .discounted_expected_residual_lifetime(d, renewals)
            .or_raise()
    }

    fn residual_value(&self, d: f64, renewals: u32, margin: f64) -> PyResult<f64> {
        self.0.model.residual_value(d, renewals, margin).or_raise()
    }

    /// Simulated lifetimes for customers observed for `horizons` periods: `(duration, churned)`.
    fn simulate<'py>(
        &self,
        py: Python<'py>,
        horizons: Col<'py>,
        seed: u64,
    ) -> PyResult<(Out<'py>, Out<'py>)> {
        let h = whole(horizons.as_slice()?, "horizon")?;
        let s = clv::simulate::sbg(&self.0.model, &h, seed).or_raise()?;
        Ok((
            array(py, s.durations().iter().map(|&d| f64::from(d)).collect()),
            array(
                py,
                s.churned()
                    .iter()
                    .map(|&c| f64::from(u8::from(c)))
                    .collect(),
            ),
        ))
    }
});

/// A summary of a transaction log: `(ids, x, t_x, T, monetary_value or None, first_purchase,
/// n_excluded)` and, with a holdout, `(holdout_transactions, holdout_duration)`.
type LogSummary<'py> = (
    Vec<String>,
    Out<'py>,
    Out<'py>,
    Out<'py>,
    Option<Out<'py>>,
    Out<'py>,
    usize,
    Option<(Out<'py>, f64)>,
);

/// Summarises a transaction log given as distinct customer ids, per transaction the index of
/// its customer, its time (days since 1970-01-01, or any time axis) and optionally its amount;
/// with `holdout_end`, a calibration/holdout split at `calibration_end`.
#[pyfunction]
#[pyo3(signature = (ids, customer, times, amounts, period, unit, calibration_end, holdout_end=None, holdout=false))]
#[allow(clippy::too_many_arguments)]
fn summarize_log<'py>(
    py: Python<'py>,
    ids: Vec<String>,
    customer: PyReadonlyArray1<'py, u32>,
    times: Col<'py>,
    amounts: Option<Col<'py>>,
    period: f64,
    unit: f64,
    calibration_end: f64,
    holdout_end: Option<f64>,
    holdout: bool,
) -> PyResult<LogSummary<'py>> {
    let log = log(ids, &customer, &times, &amounts)?;
    let periods = Periods::new(period, unit).or_raise()?;
    let out = |d: &RfmData| {
        (
            array(py, Array1::from(d.frequency().to_vec())),
            array(py, Array1::from(d.recency().to_vec())),
            array(py, Array1::from(d.age().to_vec())),
            d.monetary_value()
                .map(|m| array(py, Array1::from(m.to_vec()))),
        )
    };
    if holdout {
        let split = py
            .allow_threads(|| log.calibration_holdout(&periods, calibration_end, holdout_end))
            .or_raise()?;
        let (x, t_x, t, m) = out(split.calibration());
        Ok((
            split.customer_ids().to_vec(),
            x,
            t_x,
            t,
            m,
            array(py, Array1::from(split.first_purchase().to_vec())),
            split.n_excluded(),
            Some((
                array(py, Array1::from(split.holdout_transactions().to_vec())),
                split.holdout_duration(),
            )),
        ))
    } else {
        let s = py
            .allow_threads(|| log.summarize(&periods, calibration_end))
            .or_raise()?;
        let (x, t_x, t, m) = out(s.data());
        Ok((
            s.customer_ids().to_vec(),
            x,
            t_x,
            t,
            m,
            array(py, Array1::from(s.first_purchase().to_vec())),
            s.n_excluded(),
            None,
        ))
    }
}

/// Compresses `(x, t_x, T)` rows into weighted distinct rows: `(x, t_x, T, weight, index)`,
/// where `index[i]` is the distinct row of input row `i`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn compress<'py>(
    py: Python<'py>,
    x: Col<'py>,
    t_x: Col<'py>,
    t: Col<'py>,
) -> PyResult<(
    Out<'py>,
    Out<'py>,
    Out<'py>,
    Out<'py>,
    Bound<'py, PyArray1<u64>>,
)> {
    let data = rfm(&x, &t_x, &t, &None, &None)?;
    let (d, index) = data.compress_with_index();
    Ok((
        array(py, Array1::from(d.frequency().to_vec())),
        array(py, Array1::from(d.recency().to_vec())),
        array(py, Array1::from(d.age().to_vec())),
        array(py, Array1::from(d.weights().to_vec())),
        Array1::from(index.iter().map(|&i| i as u64).collect::<Vec<u64>>()).into_pyarray(py),
    ))
}

/// The native module.
#[pymodule]
fn _clv(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BgNbdPy>()?;
    m.add_class::<MbgNbdPy>()?;
    m.add_class::<ParetoNbdPy>()?;
    m.add_class::<BgBbPy>()?;
    m.add_class::<GammaGammaPy>()?;
    m.add_class::<SbgPy>()?;
    m.add_function(wrap_pyfunction!(summarize_log, m)?)?;
    m.add_function(wrap_pyfunction!(compress, m)?)?;
    m.add_class::<covariates::ParetoNbdCovPy>()?;
    m.add_class::<covariates::BgNbdCovPy>()?;
    m.add_class::<covariates::MbgNbdCovPy>()?;
    m.add_class::<covariates::GammaGammaCovPy>()?;
    m.add_class::<covariates::SbgCovPy>()?;
    m.add_function(wrap_pyfunction!(covariates::indicators, m)?)?;
    m.add_function(wrap_pyfunction!(insight::retention_csv, m)?)?;
    m.add_function(wrap_pyfunction!(insight::segments_csv, m)?)?;
    m.add_function(wrap_pyfunction!(
        insight::acquisition_ceiling_profile_rows,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(insight::report_html, m)?)?;
    m.add_function(wrap_pyfunction!(insight::acquisition_ceiling_rows, m)?)?;
    Ok(())
}
