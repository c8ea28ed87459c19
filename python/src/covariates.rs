//! Models with time-invariant covariates (`clv::models::covariates`): Pareto/NBD, BG/NBD and
//! MBG/NBD with purchase and dropout covariates, Gamma-Gamma with spend covariates, sBG on
//! individual lifetimes with retention covariates. Covariates cross the boundary as named
//! `f64` columns; categorical columns become indicators through `clv::data::categorical`.

use clv::data::categorical::Indicators;
use clv::data::{LifetimeData, SpendData};
use clv::fit::Estimable;
use clv::models::covariates::{
    CovariateBase, CovariateData, CovariateSpec, GammaGammaCov, LifetimeCovariates, SbgCov,
    WithCovariates,
};
use clv::{BgNbd, Fitted, GammaGamma, MbgNbd, Model, ParetoNbd, RfmData, Sbg, TransactionModel};
use ndarray::Array1;
use numpy::{IntoPyArray, PyArray2};
use pyo3::prelude::*;

use crate::{
    Col, OrRaise, Out, SummaryRow, Which, array, counts, intervals_of, lifetimes, method, opt_vec,
    options, raise, rfm, vec,
};

/// A likelihood-ratio test against the fit without covariates: `(statistic, df, p_value)`,
/// `None` when either fit did not converge.
type LrTest = Option<(f64, usize, f64)>;

/// The indicator columns of a categorical column: `(reference, names, columns)`.
#[pyfunction]
#[pyo3(signature = (column, values, reference=None))]
pub(crate) fn indicators(
    column: &str,
    values: Vec<String>,
    reference: Option<&str>,
) -> PyResult<(String, Vec<String>, Vec<Vec<f64>>)> {
    let ind = Indicators::new(column, &values, reference).or_raise()?;
    Ok((
        ind.reference().to_string(),
        ind.names().to_vec(),
        ind.columns().to_vec(),
    ))
}

/// `data` with the named covariate columns (none: `data` as it is).
fn with_covariates(data: RfmData, names: Vec<String>, columns: Vec<Vec<f64>>) -> PyResult<RfmData> {
    if names.is_empty() {
        Ok(data)
    } else {
        data.with_covariates(names, columns).or_raise()
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn spec(
    purchase: &[String],
    dropout: &[String],
    shared: &[String],
    spend: &[String],
    covariate_penalty: Option<f64>,
) -> CovariateSpec {
    let mut s = CovariateSpec::new();
    if !purchase.is_empty() {
        s = s.purchase(&strs(purchase));
    }
    if !dropout.is_empty() {
        s = s.dropout(&strs(dropout));
    }
    if !shared.is_empty() {
        s = s.shared(&strs(shared));
    }
    if !spend.is_empty() {
        s = s.spend(&strs(spend));
    }
    if let Some(l) = covariate_penalty {
        s = s.penalty(l);
    }
    s
}

fn lr<M: Model, N: Model>(fit: &Fitted<M>, nested: clv::Result<Fitted<N>>) -> LrTest {
    nested
        .and_then(|n| fit.likelihood_ratio_test(&n))
        .ok()
        .map(|t| (t.statistic, t.df, t.p_value))
}

/// The prediction `which` per row of `data` with the row's covariates (`arg`: the horizon
/// or the discount rate).
fn predict_which<B: CovariateBase + TransactionModel>(
    m: &WithCovariates<B>,
    data: &RfmData,
    which: Which,
    arg: f64,
) -> clv::Result<Vec<f64>> {
    match which {
        Which::Alive => m.predict(data, |b, c| Ok(b.probability_alive(c))),
        Which::Expected => m.predict(data, |b, c| b.conditional_expected_transactions(c, arg)),
        Which::Dert => m.predict(data, |b, c| {
            b.discounted_expected_residual_transactions(c, arg)
        }),
    }
}

/// The fit statistics every model with covariates has (names with the coefficients).
macro_rules! fitted_common {
    ($class:ident, { $($extra:tt)* }) => {
        #[pymethods]
        impl $class {
            $($extra)*

            /// Parameter names: the base parameters, then one per coefficient
            /// (`purchase.<col>`, `dropout.<col>`, ...).
            fn names(&self) -> Vec<String> {
                self.fit.names()
            }
            fn params(&self) -> Vec<f64> {
                self.fit.model().params()
            }
            /// The covariate columns, in the order `customer_params` takes them.
            fn columns(&self) -> Vec<String> {
                self.fit.model().columns().to_vec()
            }
            fn std_errors(&self) -> Option<Vec<f64>> {
                self.fit.std_errors().map(<[f64]>::to_vec)
            }
            fn covariance<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray2<f64>>> {
                self.fit.covariance().map(|c| c.into_pyarray(py))
            }
            fn log_likelihood(&self) -> f64 {
                self.fit.log_likelihood()
            }
            fn converged(&self) -> bool {
                self.fit.converged()
            }
            fn status(&self) -> String {
                self.fit.status().as_str().to_string()
            }
            fn boundary_params(&self) -> Vec<String> {
                self.fit.status().boundary_params().to_vec()
            }
            fn n_customers(&self) -> f64 {
                self.fit.n_customers()
            }
            fn n_distinct(&self) -> usize {
                self.fit.n_distinct()
            }
            fn aic(&self) -> f64 {
                self.fit.aic()
            }
            fn bic(&self) -> f64 {
                self.fit.bic()
            }
            fn iterations(&self) -> u64 {
                self.fit.iterations()
            }
            /// `(statistic, df, p_value)` against the same model without covariates.
            fn lr_test(&self) -> LrTest {
                self.lr
            }
            fn summary(&self) -> Vec<SummaryRow> {
                self.fit
                    .summary()
                    .rows
                    .into_iter()
                    .map(|r| (r.name, r.estimate, r.std_error, r.lower, r.upper))
                    .collect()
            }
            fn confidence_intervals(&self, level: f64) -> PyResult<Vec<(f64, f64)>> {
                self.fit.confidence_intervals(level).or_raise()
            }
            /// The fit as JSON, as the Rust API serialises it.
            fn to_json(&self) -> PyResult<String> {
                serde_json::to_string(&self.fit)
                    .map_err(|e| raise(clv::Error::InvalidInput(e.to_string())))
            }
            /// The base model's parameters of a customer with covariates `z` (one value per
            /// column of `columns`): an existing customer or a new one.
            fn customer_params(&self, z: Vec<f64>) -> PyResult<Vec<f64>> {
                Ok(self.fit.model().customer_model(&z).or_raise()?.params())
            }
            fn __repr__(&self) -> String {
                format!("{:?}", self.fit.model())
            }
        }
    };
}

/// A transaction model with purchase and dropout covariates.
macro_rules! covariate_model {
    ($class:ident, $base:ty, $pyname:literal) => {
        #[doc = concat!("The native ", $pyname, " model (wrapped by the Python class).")]
        #[pyclass(name = $pyname, module = "clv._clv", frozen)]
        pub(crate) struct $class {
            pub(crate) fit: Fitted<WithCovariates<$base>>,
            lr: LrTest,
        }

        fitted_common!($class, {
            /// The fit with the named covariate columns; the likelihood-ratio test against
            /// the fit without covariates on the same customers.
            #[staticmethod]
            #[pyo3(signature = (x, t_x, t, names, columns, purchase, dropout, shared, weights=None, penalty=0.0, covariate_penalty=None, max_iterations=None))]
            #[allow(clippy::too_many_arguments)]
            fn fit(
                py: Python<'_>,
                x: Col<'_>,
                t_x: Col<'_>,
                t: Col<'_>,
                names: Vec<String>,
                columns: Vec<Vec<f64>>,
                purchase: Vec<String>,
                dropout: Vec<String>,
                shared: Vec<String>,
                weights: Option<Col<'_>>,
                penalty: f64,
                covariate_penalty: Option<f64>,
                max_iterations: Option<u64>,
            ) -> PyResult<Self> {
                let data = with_covariates(rfm(&x, &t_x, &t, &None, &weights)?, names, columns)?;
                let spec = spec(&purchase, &dropout, &shared, &[], covariate_penalty);
                let opts = options(penalty, max_iterations, None)?;
                let (fit, lr) = py
                    .allow_threads(|| -> clv::Result<_> {
                        let fit =
                            WithCovariates::<$base>::fit(&CovariateData::new(&data, &spec)?, &opts)?;
                        let lr = lr(&fit, <$base>::fit(&data, &opts));
                        Ok((fit, lr))
                    })
                    .or_raise()?;
                Ok($class { fit, lr })
            }

            /// A prediction per row with the row's covariates: `what` is
            /// `probability_alive`, `conditional_expected_transactions` (horizon `arg`),
            /// `discounted_expected_residual_transactions` (rate `arg`),
            /// `probability_alive_at` (horizon `arg`) or
            /// `conditional_probability_of_transactions` (`n` in horizon `arg`).
            #[pyo3(signature = (what, x, t_x, t, names, columns, arg=0.0, n=0))]
            #[allow(clippy::too_many_arguments)]
            fn predict<'py>(
                &self,
                py: Python<'py>,
                what: &str,
                x: Col<'py>,
                t_x: Col<'py>,
                t: Col<'py>,
                names: Vec<String>,
                columns: Vec<Vec<f64>>,
                arg: f64,
                n: u32,
            ) -> PyResult<Out<'py>> {
                let data = with_covariates(rfm(&x, &t_x, &t, &None, &None)?, names, columns)?;
                let m = self.fit.model();
                let v = py
                    .allow_threads(|| match (Which::named(what), what) {
                        (Some(which), _) => predict_which(m, &data, which, arg),
                        (None, "probability_alive_at") => {
                            m.predict(&data, |b, c| b.probability_alive_at(c, arg))
                        }
                        (None, "conditional_probability_of_transactions") => {
                            m.predict(&data, |b, c| {
                                b.conditional_probability_of_transactions(c, n, arg)
                            })
                        }
                        (None, other) => Err(clv::Error::InvalidInput(format!(
                            "no prediction {other:?}"
                        ))),
                    })
                    .or_raise()?;
                Ok(array(py, v.into()))
            }

            /// Intervals from parameter uncertainty (coefficients included) of a prediction
            /// per row with the row's covariates (`what`: probability_alive,
            /// conditional_expected_transactions or discounted_expected_residual_transactions,
            /// with `arg` its horizon or rate): `(estimate, lower, upper)`.
            #[pyo3(signature = (what, x, t_x, t, names, columns, arg, level, draws=None, seed=0))]
            #[allow(clippy::too_many_arguments)]
            fn prediction_intervals<'py>(
                &self,
                py: Python<'py>,
                what: &str,
                x: Col<'py>,
                t_x: Col<'py>,
                t: Col<'py>,
                names: Vec<String>,
                columns: Vec<Vec<f64>>,
                arg: f64,
                level: f64,
                draws: Option<usize>,
                seed: u64,
            ) -> PyResult<(Out<'py>, Out<'py>, Out<'py>)> {
                let data = with_covariates(rfm(&x, &t_x, &t, &None, &None)?, names, columns)?;
                let how = method(draws, seed);
                let iv = py
                    .allow_threads(|| {
                        intervals_of(&self.fit, &data, what, level, how, |m, d, which| {
                            predict_which(m, d, which, arg).map(Array1::from)
                        })
                    })
                    .or_raise()?;
                Ok((array(py, iv.estimate), array(py, iv.lower), array(py, iv.upper)))
            }

            /// The equal-tailed predictive interval of each row's count in `(T, T + t]`, with
            /// the row's covariates: `(lower, upper)`.
            #[allow(clippy::too_many_arguments)]
            fn predictive_interval<'py>(
                &self,
                py: Python<'py>,
                x: Col<'py>,
                t_x: Col<'py>,
                t: Col<'py>,
                names: Vec<String>,
                columns: Vec<Vec<f64>>,
                horizon: f64,
                level: f64,
            ) -> PyResult<(Out<'py>, Out<'py>)> {
                let data = with_covariates(rfm(&x, &t_x, &t, &None, &None)?, names, columns)?;
                let m = self.fit.model();
                counts(py, || {
                    m.predict(&data, |b, c| b.predictive_interval(c, horizon, level))
                })
            }
        });
    };
}

covariate_model!(ParetoNbdCovPy, ParetoNbd, "ParetoNbdCov");
covariate_model!(BgNbdCovPy, BgNbd, "BgNbdCov");
covariate_model!(MbgNbdCovPy, MbgNbd, "MbgNbdCov");

/// The native Gamma-Gamma with spend covariates (`spend.<col>`).
#[pyclass(name = "GammaGammaCov", module = "clv._clv", frozen)]
pub(crate) struct GammaGammaCovPy {
    pub(crate) fit: Fitted<GammaGammaCov>,
    lr: LrTest,
}

/// Customers `(x, m)` as `RfmData` for the spend model: recency and age are not used by it
/// (`t_x = T = 1` for a repeat customer, `0` and `1` otherwise).
fn spend_rows(
    x: &Col<'_>,
    m: &Col<'_>,
    weights: &Option<Col<'_>>,
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
) -> PyResult<RfmData> {
    let x = vec(x)?;
    let t_x = x.iter().map(|&v| if v > 0.0 { 1.0 } else { 0.0 }).collect();
    let t = std::vec![1.0; x.len()];
    let data = RfmData::from_columns(x, t_x, t, Some(vec(m)?), opt_vec(weights)?).or_raise()?;
    with_covariates(data, names, columns)
}

fitted_common!(GammaGammaCovPy, {
    #[staticmethod]
    #[pyo3(signature = (x, monetary_value, names, columns, spend, weights=None, penalty=0.0, covariate_penalty=None, max_iterations=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Col<'_>,
        monetary_value: Col<'_>,
        names: Vec<String>,
        columns: Vec<Vec<f64>>,
        spend: Vec<String>,
        weights: Option<Col<'_>>,
        penalty: f64,
        covariate_penalty: Option<f64>,
        max_iterations: Option<u64>,
    ) -> PyResult<Self> {
        let nested = SpendData::with_weights(vec(&x)?, vec(&monetary_value)?, opt_vec(&weights)?)
            .or_raise()?;
        let data = spend_rows(&x, &monetary_value, &weights, names, columns)?;
        let spec = spec(&[], &[], &[], &spend, covariate_penalty);
        let opts = options(penalty, max_iterations, None)?;
        let (fit, lr) = py
            .allow_threads(|| -> clv::Result<_> {
                let fit = GammaGammaCov::fit(&CovariateData::new(&data, &spec)?, &opts)?;
                let lr = lr(&fit, GammaGamma::fit(&nested, &opts));
                Ok((fit, lr))
            })
            .or_raise()?;
        Ok(GammaGammaCovPy { fit, lr })
    }

    /// E[spend per transaction | x, monetary_value] per row with the row's covariates.
    fn expected_average_spend<'py>(
        &self,
        py: Python<'py>,
        x: Col<'py>,
        monetary_value: Col<'py>,
        columns: Vec<Vec<f64>>,
    ) -> PyResult<Out<'py>> {
        let model = self.fit.model();
        let data = spend_rows(
            &x,
            &monetary_value,
            &None,
            model.columns().to_vec(),
            columns,
        )?;
        let (x, m) = (data.frequency(), data.monetary_value().unwrap_or_default());
        let mut z = Vec::with_capacity(model.columns().len());
        let v = x
            .iter()
            .zip(m)
            .enumerate()
            .map(|(i, (&x, &m))| {
                z.clear();
                z.extend(data.covariates_row(i).into_iter().flatten());
                model.customer_model(&z)?.expected_average_spend(x, m)
            })
            .collect::<clv::Result<Vec<f64>>>()
            .or_raise()?;
        Ok(array(py, v.into()))
    }
});

/// The native sBG on individual lifetimes with retention covariates (`retention.<col>`).
#[pyclass(name = "SbgCov", module = "clv._clv", frozen)]
pub(crate) struct SbgCovPy {
    fit: Fitted<SbgCov>,
    lr: LrTest,
}

fitted_common!(SbgCovPy, {
    #[staticmethod]
    #[pyo3(signature = (duration, churned, names, columns, weights=None, penalty=0.0, max_iterations=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        duration: Col<'_>,
        churned: Col<'_>,
        names: Vec<String>,
        columns: Vec<Vec<f64>>,
        weights: Option<Col<'_>>,
        penalty: f64,
        max_iterations: Option<u64>,
    ) -> PyResult<Self> {
        let data: LifetimeData = lifetimes(&duration, &churned, &weights)?;
        let covs = LifetimeCovariates::new(&data, names, columns).or_raise()?;
        let opts = options(penalty, max_iterations, None)?;
        let (fit, lr) = py
            .allow_threads(|| -> clv::Result<_> {
                let fit = SbgCov::fit(&covs, &opts)?;
                let lr = lr(&fit, Sbg::fit(&data, &opts));
                Ok((fit, lr))
            })
            .or_raise()?;
        Ok(SbgCovPy { fit, lr })
    }
});
