//! The verbs every noncontractual transaction model shares ([`TransactionModel`]), with the
//! model-agnostic defaults behind them (numerical DERT, discrete discounted sums).

use ndarray::{Array1, Array2};

use crate::data::{Customer, RfmData};
use crate::error::{Error, Result, check_positive};
use crate::fit::Differentiated;
use crate::numerics::finite_non_negative;
use crate::numerics::quadrature::try_integrate_pieces;
use crate::parallel::{map_distinct, map_rows};

/// Relative tolerance of the numerical integrals of expected transactions over time.
const REL_TOL: f64 = 1e-10;
/// Panel cap of the adaptive quadrature.
const MAX_PANELS: usize = 500;
/// Most cells of a table of probabilities of counts.
const MAX_TABLE_CELLS: usize = 10_000_000;

/// The verbs of a noncontractual transaction model (BG/NBD, Pareto/NBD, ...), so that value,
/// diagnostics and users' code work with any of them.
///
/// Time is in the unit of the data the model was fitted on (days, weeks, ...).
pub trait TransactionModel {
    /// Expected number of repeat transactions of a new customer in `(0, t]`, `E[X(t)]`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite.
    fn expected_transactions(&self, t: f64) -> Result<f64>;

    /// Probability that a new customer makes exactly `n` repeat transactions in `(0, t]`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite.
    fn probability_of_transactions(&self, n: u32, t: f64) -> Result<f64>;

    /// Expected number of transactions in `(T, T + t]` of a customer with history `(x, t_x, T)`,
    /// `E[Y(t) | x, t_x, T]`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite.
    fn conditional_expected_transactions(&self, customer: &Customer, t: f64) -> Result<f64>;

    /// Probability that a customer with history `(x, t_x, T)` is still alive at `T`.
    fn probability_alive(&self, customer: &Customer) -> f64;

    /// Probability that a customer with history `(x, t_x, T)` makes exactly `n` transactions in
    /// `(T, T + t]`, `P(Y(t) = n | x, t_x, T)`: `P(alive at T)` times the probability of `n` for
    /// a customer alive at `T` with the posterior of its parameters, plus `1 − P(alive at T)`
    /// at `n = 0`. Each model's module docs give its form.
    ///
    /// ```
    /// use clv::{Customer, MbgNbd, TransactionModel};
    /// let model = MbgNbd::new(0.5248, 6.1830, 0.8914, 1.6140)?;
    /// let c = Customer::new(2.0, 30.43, 38.86)?;
    /// let total: f64 = (0..100)
    ///     .map(|n| model.conditional_probability_of_transactions(&c, n, 39.0))
    ///     .sum::<clv::Result<f64>>()?;
    /// assert!((total - 1.0).abs() < 1e-12);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite;
    /// [`crate::Error::Numerical`] when the value does not evaluate.
    fn conditional_probability_of_transactions(
        &self,
        customer: &Customer,
        n: u32,
        t: f64,
    ) -> Result<f64>;

    /// Probability that a customer with history `(x, t_x, T)` is still alive at `T + t`,
    /// `P(alive at T + t | x, t_x, T)`; equal to
    /// [`TransactionModel::probability_alive`] at `t = 0` and non-increasing in `t`.
    ///
    /// ```
    /// use clv::{BgNbd, Customer, TransactionModel};
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let c = Customer::new(2.0, 30.43, 38.86)?;
    /// let now = model.probability_alive(&c);
    /// assert_eq!(model.probability_alive_at(&c, 0.0)?, now);
    /// assert!(model.probability_alive_at(&c, 52.0)? < now);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite;
    /// [`crate::Error::Numerical`] when the value does not evaluate.
    fn probability_alive_at(&self, customer: &Customer, t: f64) -> Result<f64>;

    /// Probability that a customer with history `(x, t_x, T)` buys at least once in
    /// `(T + from, T + to]`, `P(Y(to) − Y(from) > 0 | x, t_x, T)` (0 when `to = from`).
    ///
    /// With `L = to − from`, the provided form is
    /// `P(alive at T + from | x, t_x, T) − P(Y(L) = 0 | x, t_x, T) · P(alive at T + to | x, t_x, T + L)`,
    /// exact for a model whose customers drop out only at a purchase (BG/NBD, MBG/NBD): given
    /// the individual parameters, "alive at `T + from`, then no purchase for `L`" and "no
    /// purchase for `L`, then alive `from` later" are the same event up to a shift in time,
    /// and the history `(x, t_x, T + L)` is `(x, t_x, T)` followed by `L` without a purchase.
    /// A model whose customers may drop out between purchases overrides it (Pareto/NBD does).
    ///
    /// ```
    /// use clv::{BgNbd, Customer, TransactionModel};
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let c = Customer::new(2.0, 30.43, 38.86)?;
    /// // from the end of observation it is 1 − P(Y(L) = 0)
    /// let first = model.probability_of_purchase_between(&c, 0.0, 4.0)?;
    /// let none = model.conditional_probability_of_transactions(&c, 0, 4.0)?;
    /// assert!((first - (1.0 - none)).abs() < 1e-12);
    /// // a later period of the same length is less likely to see a purchase
    /// assert!(model.probability_of_purchase_between(&c, 8.0, 12.0)? < first);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `from` is negative or not finite or `to` is not
    /// finite or below `from`; errors of the model's probabilities (a history `(x, t_x, T + L)`
    /// past the data's limits among them).
    fn probability_of_purchase_between(
        &self,
        customer: &Customer,
        from: f64,
        to: f64,
    ) -> Result<f64> {
        let length = purchase_window(from, to)?;
        if length == 0.0 {
            return Ok(0.0);
        }
        let alive = self.probability_alive_at(customer, from)?;
        let none = self.conditional_probability_of_transactions(customer, 0, length)?;
        let later = Customer::new(
            customer.frequency(),
            customer.recency(),
            customer.age() + length,
        )?;
        let quiet_then_alive = none * self.probability_alive_at(&later, from)?;
        finite_non_negative(
            (alive - quiet_then_alive).clamp(0.0, 1.0),
            "P(purchase in a window)",
        )
    }

    /// The path of `P(alive)` of one customer through their transaction history (lifetimes'
    /// `calculate_alive_path`): `purchase_times` are the customer's purchase times in the data's
    /// time unit, strictly increasing, the first of them the first purchase (which starts the
    /// observation); for each `u` in `times` (each after the first purchase) the value is
    /// [`TransactionModel::probability_alive`] of the history seen at `u`:
    /// `x` = the number of purchases after the first one up to `u`, `t_x` = the time of the
    /// last of them and `T = u`, both measured from the first purchase.
    ///
    /// ```
    /// use clv::{BgNbd, TransactionModel};
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let path = model.probability_alive_path(&[3.0, 5.0, 9.0], &[4.0, 8.0, 9.0, 20.0])?;
    /// // 1 before any repeat purchase (a BG/NBD customer dies only after purchases), up at
    /// // a purchase, falling while the customer stays away
    /// assert_eq!(path[0], 1.0);
    /// assert!(path[1] < path[2] && path[3] < path[2]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] when `purchase_times` is empty, not finite or not strictly
    /// increasing, or a time in `times` is not finite or not after the first purchase; any
    /// error of [`crate::Customer::new`] for the history seen at a time (times too large).
    fn probability_alive_path(&self, purchase_times: &[f64], times: &[f64]) -> Result<Vec<f64>> {
        alive_path_histories(purchase_times, times)?
            .iter()
            .map(|c| Ok(self.probability_alive(c)))
            .collect()
    }

    /// The probabilities of `n = 0..=max_n` transactions in `(T, T + t]` for each horizon `t` in
    /// `horizons` of a customer with history `(x, t_x, T)`: entry `[i, n]` is
    /// [`TransactionModel::conditional_probability_of_transactions`] at `n` and `horizons[i]`
    /// (rows: horizons; columns: counts).
    ///
    /// ```
    /// use clv::{BgNbd, Customer, TransactionModel};
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let c = Customer::new(2.0, 30.43, 38.86)?;
    /// let table = model.conditional_probability_of_transactions_table(&c, 3, &[13.0, 52.0])?;
    /// assert_eq!(table.dim(), (2, 4));
    /// assert!(table[[1, 0]] < table[[0, 0]]); // no purchase is less likely over a year
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`TransactionModel::conditional_probability_of_transactions`].
    fn conditional_probability_of_transactions_table(
        &self,
        customer: &Customer,
        max_n: u32,
        horizons: &[f64],
    ) -> Result<Array2<f64>> {
        probability_table(max_n, horizons, |n, t| {
            self.conditional_probability_of_transactions(customer, n, t)
        })
    }

    /// The equal-tailed predictive interval of the number of transactions `Y(t)` in
    /// `(T, T + t]` of a customer with history `(x, t_x, T)` ("0–3 purchases in the next 39
    /// weeks"): `(q(a), q(1 − a))` with `a = (1 − level)/2` and `q(p) = min{n : P(Y(t) ≤ n) ≥ p}`
    /// from [`TransactionModel::conditional_probability_of_transactions`]. For a count the
    /// interval holds at least `level` of the probability: `P(Y < lower) < a` and
    /// `P(Y > upper) ≤ a`. This is outcome (predictive) uncertainty at the model's parameters;
    /// parameter uncertainty is in [`crate::fit::uncertainty`].
    ///
    /// ```
    /// use clv::{BgNbd, Customer, TransactionModel};
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let c = Customer::new(2.0, 30.43, 38.86)?;
    /// let (lower, upper) = model.predictive_interval(&c, 39.0, 0.9)?;
    /// assert_eq!(lower, 0);
    /// assert!(upper >= 2);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for a `level` outside `(0, 1)`; the errors of the
    /// conditional PMF; [`crate::Error::Numerical`] when the distribution's upper quantile lies
    /// beyond [`MAX_INTERVAL_COUNT`] transactions.
    fn predictive_interval(&self, customer: &Customer, t: f64, level: f64) -> Result<(u32, u32)> {
        count_interval(level, |n| {
            self.conditional_probability_of_transactions(customer, n, t)
        })
    }

    /// [`TransactionModel::predictive_interval`] for every row of `data`, computed once per
    /// distinct `(x, t_x, T)` and across the machine's cores: the `(lower, upper)` counts in row
    /// order.
    ///
    /// ```
    /// use clv::{BgNbd, RfmData, TransactionModel};
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let data = RfmData::new(vec![0.0, 2.0, 2.0], vec![0.0, 30.43, 30.43], vec![38.86; 3])?;
    /// let iv = model.predictive_interval_batch(&data, 39.0, 0.9)?;
    /// assert_eq!(iv[1], iv[2]);
    /// assert_eq!(iv[1], model.predictive_interval(&data.customer(1).expect("row 1"), 39.0, 0.9)?);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`TransactionModel::predictive_interval`].
    fn predictive_interval_batch(
        &self,
        data: &RfmData,
        t: f64,
        level: f64,
    ) -> Result<Vec<(u32, u32)>>
    where
        Self: Sync,
    {
        per_distinct(data, 16, |c| self.predictive_interval(c, t, level))
    }

    /// The predictive distribution of the total number of transactions in `(T, T + t]` of all
    /// the customers of `data` (each row counting [`RfmData::weights`] customers with that
    /// history), `Σᵢ Yᵢ(t)` with the `Yᵢ` independent given the histories: its mean and
    /// variance exactly (each customer's mean is
    /// [`TransactionModel::conditional_expected_transactions`], each variance
    /// `Σₙ (n − μᵢ)² P(Yᵢ(t) = n)` from the conditional PMF, summed until the rest of the tail
    /// is below 10⁻¹⁴ of the sum), and its equal-tailed interval at `level` by the **normal
    /// approximation**, rounded outward to whole counts:
    /// `[⌊μ − zσ⌋⁺, ⌈μ + zσ⌉]` with `z` the normal quantile of `(1 + level)/2`. The sum of many
    /// independent bounded-variance counts is close to normal; the rounding makes the interval
    /// slightly conservative. This is outcome (predictive) uncertainty at the model's
    /// parameters (the interval of the total *expected* count, from parameter uncertainty, is
    /// [`crate::fit::Fitted::interval`] of `Σᵢ E[Yᵢ(t)]`).
    ///
    /// ```
    /// use clv::{BgNbd, RfmData, TransactionModel};
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
    /// let total = model.predictive_total(&data, 39.0, 0.9)?;
    /// let expected: f64 = model.conditional_expected_transactions_batch(&data, 39.0)?.sum();
    /// assert!((total.mean - expected).abs() < 1e-9 * expected);
    /// assert!(total.lower < total.mean && total.mean < total.upper);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for a `level` outside `(0, 1)` or a `t` negative or
    /// not finite; the errors of the conditional expectation and PMF;
    /// [`crate::Error::Numerical`] when a customer's PMF has not converged by
    /// [`MAX_INTERVAL_COUNT`] transactions.
    fn predictive_total(&self, data: &RfmData, t: f64, level: f64) -> Result<PredictiveTotal>
    where
        Self: Sync,
    {
        let (distinct, _) = data.distinct_customers();
        let customers: Vec<Customer> = distinct.customers().collect();
        PredictiveTotal::over_rows(distinct.weights(), level, |i| {
            let c = &customers[i];
            let mean = self.conditional_expected_transactions(c, t)?;
            let variance = count_variance(mean, |n| {
                self.conditional_probability_of_transactions(c, n, t)
            })?;
            Ok((mean, variance))
        })
    }

    /// [`TransactionModel::probability_alive`] for every row of `data`.
    fn probability_alive_batch(&self, data: &RfmData) -> Array1<f64> {
        data.customers()
            .map(|c| self.probability_alive(&c))
            .collect()
    }

    /// Discounted expected residual transactions of a customer with history `(x, t_x, T)`:
    /// the expected number of transactions after `T`, each discounted continuously at the rate
    /// `delta` per time unit of the data,
    ///
    /// ```text
    /// DERT(δ) = ∫₀^∞ e^(−δt) dE[Y(t)] = δ ∫₀^∞ e^(−δt) E[Y(t)] dt = ∫₀¹ E[Y(−ln(u)/δ)] du.
    /// ```
    ///
    /// A discount rate `d` per period of length `P` (in the data's time unit) gives
    /// `δ = ln(1 + d)/P`; see [`crate::value::DiscountRate`]. Multiplied by the expected spend per
    /// transaction and the margin, this is the customer's expected residual value.
    ///
    /// The default implementation integrates
    /// [`TransactionModel::conditional_expected_transactions`] numerically (adaptive
    /// Gauss–Kronrod after the substitution `u = w³`; relative tolerance 1e-10), which is valid
    /// for any model; models with a closed form or a cheaper representation override it.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `delta` is not finite and > 0;
    /// [`crate::Error::Numerical`] when the integral does not evaluate to a finite number.
    fn discounted_expected_residual_transactions(
        &self,
        customer: &Customer,
        delta: f64,
    ) -> Result<f64> {
        dert_numerical(self, customer, delta)
    }

    /// [`TransactionModel::discounted_expected_residual_transactions`] for every row of `data`,
    /// computed once per distinct `(x, t_x, T)` and across the machine's cores.
    ///
    /// # Errors
    /// As [`TransactionModel::discounted_expected_residual_transactions`].
    fn discounted_expected_residual_transactions_batch(
        &self,
        data: &RfmData,
        delta: f64,
    ) -> Result<Array1<f64>>
    where
        Self: Sync,
    {
        crate::error::check_positive("delta", delta)?;
        per_distinct_customer(data, 64, |c| {
            self.discounted_expected_residual_transactions(c, delta)
        })
    }

    /// Discounted expected transactions of a customer with history `(x, t_x, T)` over
    /// `periods` future periods of length `τ = period`, each period's expected transactions
    /// discounted at its end at the continuous rate `delta` per time unit:
    ///
    /// ```text
    /// Σ_{k=1}^{H} e^(−δkτ) [E[Y(kτ)] − E[Y((k−1)τ)]]
    /// ```
    ///
    /// (each increment clamped at 0 against rounding). The default implementation evaluates
    /// [`TransactionModel::conditional_expected_transactions`] at the `H` period ends; models
    /// with a cheaper representation override it. `periods = 0` gives 0.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `delta` is not finite and `>= 0` or `period` is
    /// not finite and `> 0`; any error of the model's predictions.
    fn discounted_transactions_discrete(
        &self,
        customer: &Customer,
        delta: f64,
        period: f64,
        periods: u32,
    ) -> Result<f64> {
        discrete_sum(self, customer, delta, period, periods)
    }

    /// [`TransactionModel::discounted_transactions_discrete`] for every row of `data`, computed
    /// once per distinct `(x, t_x, T)` and across the machine's cores.
    ///
    /// # Errors
    /// As [`TransactionModel::discounted_transactions_discrete`].
    fn discounted_transactions_discrete_batch(
        &self,
        data: &RfmData,
        delta: f64,
        period: f64,
        periods: u32,
    ) -> Result<Array1<f64>>
    where
        Self: Sync,
    {
        check_discrete(delta, period)?;
        per_distinct_customer(data, 16, |c| {
            self.discounted_transactions_discrete(c, delta, period, periods)
        })
    }

    /// [`TransactionModel::conditional_expected_transactions`] over `t` for every row of `data`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `t` is negative or not finite.
    fn conditional_expected_transactions_batch(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<Array1<f64>> {
        data.customers()
            .map(|c| self.conditional_expected_transactions(&c, t))
            .collect()
    }

    /// [`TransactionModel::probability_alive_batch`] with, where the model knows it, the exact
    /// gradient of each value with respect to the log-parameters `ln θ` (in
    /// [`crate::Model::params`] order): what the delta method of [`crate::fit::uncertainty`]
    /// uses instead of finite differences. BG/NBD, MBG/NBD and Pareto/NBD give it (value and
    /// gradient in one evaluation per row); the default gives the values alone.
    ///
    /// ```
    /// use clv::{BgNbd, Customer, RfmData, TransactionModel};
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let data = RfmData::new(vec![2.0], vec![30.43], vec![38.86])?;
    /// let d = model.probability_alive_differentiated(&data)?;
    /// assert_eq!(d.values()[0], model.probability_alive(&data.customer(0).expect("row 0")));
    /// let g = d.gradient_of(0).expect("BG/NBD knows its gradient");
    /// assert!(g[2] < 0.0); // a larger a: dropout more likely, P(alive) lower
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// A model's own errors (none for the models of this crate).
    fn probability_alive_differentiated(&self, data: &RfmData) -> Result<Differentiated> {
        Ok(Differentiated::without_gradient(
            self.probability_alive_batch(data).to_vec(),
        ))
    }

    /// [`TransactionModel::conditional_expected_transactions_batch`] with, where the model
    /// knows it, the exact gradient of each value with respect to `ln θ` (see
    /// [`TransactionModel::probability_alive_differentiated`]). BG/NBD and MBG/NBD give it where
    /// `E[Y(t) | alive]` is evaluated by its ₂F₁ closed form (everywhere but extreme parameters,
    /// where the values come without a gradient), Pareto/NBD everywhere.
    ///
    /// ```
    /// use clv::{Customer, ParetoNbd, RfmData, TransactionModel};
    /// let model = ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562)?;
    /// let data = RfmData::new(vec![2.0], vec![30.43], vec![38.86])?;
    /// let d = model.conditional_expected_transactions_differentiated(&data, 39.0)?;
    /// let c = data.customer(0).expect("row 0");
    /// assert_eq!(d.values()[0], model.conditional_expected_transactions(&c, 39.0)?);
    /// assert!(d.gradient_of(0).expect("analytic")[0] > 0.0); // a larger r: more purchases
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`TransactionModel::conditional_expected_transactions_batch`].
    fn conditional_expected_transactions_differentiated(
        &self,
        data: &RfmData,
        t: f64,
    ) -> Result<Differentiated> {
        Ok(Differentiated::without_gradient(
            self.conditional_expected_transactions_batch(data, t)?
                .to_vec(),
        ))
    }
}

/// `f` (a value and its gradient in the `K` log-parameters) for every row of `data`, once per
/// distinct `(x, t_x, T)` and across the machine's cores, as a [`Differentiated`] in row order.
///
/// # Errors
/// The first failing distinct row's error.
pub(crate) fn differentiated_per_distinct<const K: usize>(
    data: &RfmData,
    min_per_thread: usize,
    f: impl Fn(&Customer) -> Result<(f64, [f64; K])> + Sync,
) -> Result<Differentiated> {
    let rows = per_distinct(data, min_per_thread, f)?;
    differentiated_from_rows(&rows)
}

/// Rows per thread of [`differentiated_rows`] at least.
const DIFFERENTIATED_PER_THREAD: usize = 16_384;

/// `f(i)` (a value and its gradient in the `K` log-parameters) for `i` in `0..n`, across the
/// machine's cores, as a [`Differentiated`] written in place (no per-row allocation, no copy).
///
/// # Errors
/// The first failing row's error.
pub(crate) fn differentiated_rows<const K: usize>(
    n: usize,
    f: impl Fn(usize) -> Result<(f64, [f64; K])> + Sync,
) -> Result<Differentiated> {
    let (mut values, mut gradient) = (vec![0.0; n], vec![0.0; K * n]);
    crate::parallel::fill_rows(
        (&mut values, 1),
        (&mut gradient, K),
        n,
        DIFFERENTIATED_PER_THREAD,
        |start, v, g| {
            for (j, (v, g)) in v.iter_mut().zip(g.chunks_exact_mut(K)).enumerate() {
                let (value, grad) = f(start + j)?;
                *v = value;
                g.copy_from_slice(&grad);
            }
            Ok::<(), Error>(())
        },
    )?;
    Ok(Differentiated::from_parts(values, gradient, K))
}

/// The [`Differentiated`] of `(value, gradient)` rows.
///
/// # Errors
/// None in practice (the lengths agree by construction).
pub(crate) fn differentiated_from_rows<const K: usize>(
    rows: &[(f64, [f64; K])],
) -> Result<Differentiated> {
    let values = rows.iter().map(|r| r.0).collect();
    let gradient = rows.iter().flat_map(|r| r.1).collect();
    Differentiated::new(values, gradient, K)
}

/// The predictive distribution of a total count: the sum over customers of their independent
/// future counts (see [`TransactionModel::predictive_total`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PredictiveTotal {
    /// The mean of the total, `Σᵢ wᵢ μᵢ` (exact).
    pub mean: f64,
    /// The variance of the total, `Σᵢ wᵢ σᵢ²` (exact up to a relative 10⁻¹⁴ of tail).
    pub variance: f64,
    /// Lower end of the interval: `⌊μ − zσ⌋`, at least 0 (a whole number).
    pub lower: f64,
    /// Upper end of the interval: `⌈μ + zσ⌉` (a whole number).
    pub upper: f64,
    /// The level of the interval.
    pub level: f64,
}

impl PredictiveTotal {
    /// The total of the rows weighing `weights`, row `i` with the mean and variance
    /// `moment(i)` (evaluated across the machine's cores once `level` is known to be valid),
    /// and its normal interval at `level`, rounded outward.
    pub(crate) fn over_rows(
        weights: &[f64],
        level: f64,
        moment: impl Fn(usize) -> Result<(f64, f64)> + Sync,
    ) -> Result<PredictiveTotal> {
        let z = crate::fit::uncertainty::z_of(level)?;
        let moments = map_rows(weights.len(), 16, moment)
            .into_iter()
            .collect::<Result<Vec<(f64, f64)>>>()?;
        PredictiveTotal::from_moments(&moments, weights, z, level)
    }

    /// The total of customers with means and variances `moments` weighing `weights`, and its
    /// normal interval (`z` the normal quantile of `(1 + level)/2`), rounded outward.
    fn from_moments(
        moments: &[(f64, f64)],
        weights: &[f64],
        z: f64,
        level: f64,
    ) -> Result<PredictiveTotal> {
        let (mut mean, mut variance) = (0.0, 0.0);
        for ((m, v), w) in moments.iter().zip(weights) {
            mean += w * m;
            variance += w * v;
        }
        let sd = variance.sqrt();
        let (lower, upper) = ((mean - z * sd).floor().max(0.0), (mean + z * sd).ceil());
        if !(mean.is_finite() && variance.is_finite()) {
            return Err(Error::Numerical(format!(
                "the total's mean ({mean}) or variance ({variance}) is not finite"
            )));
        }
        Ok(PredictiveTotal {
            mean,
            variance,
            lower,
            upper,
            level,
        })
    }
}

impl PredictiveTotal {
    /// The same total with `parameter_variance` added to its variance — the variance of the
    /// expected total `Σᵢ E[Yᵢ(t)]` across the parameter uncertainty, so that the interval
    /// predicts the actual total from the data rather than at the estimate
    /// (`Var Y = E_θ Var(Y | θ) + Var_θ E[Y | θ]`) — and its normal interval at the same level
    /// recomputed and rounded outward.
    ///
    /// ```
    /// use clv::{BgNbd, RfmData, TransactionModel};
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
    /// let at_estimate = model.predictive_total(&data, 39.0, 0.9)?;
    /// let total = at_estimate.with_parameter_variance(70.0 * 70.0)?;
    /// assert_eq!(total.mean, at_estimate.mean);
    /// assert!(total.lower < at_estimate.lower && total.upper > at_estimate.upper);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a `parameter_variance` negative or not finite.
    pub fn with_parameter_variance(&self, parameter_variance: f64) -> Result<PredictiveTotal> {
        finite_non_negative(parameter_variance, "parameter variance").map_err(|_| {
            Error::param(
                "parameter_variance",
                parameter_variance,
                "must be finite and >= 0",
            )
        })?;
        PredictiveTotal::from_moments(
            &[(self.mean, self.variance + parameter_variance)],
            &[1.0],
            crate::fit::uncertainty::z_of(self.level)?,
            self.level,
        )
    }
}

/// Relative size of the neglected tail of a count's variance.
const TAIL_TOLERANCE: f64 = 1e-14;

/// The variance `Σₙ (n − mean)² pmf(n)` of a count of mean `mean`, summed from `n = 0` until
/// the terms decline geometrically (ratio `ρ < 1`, past the mean and half the mass) and the
/// bound `p (d + 1/(1 − ρ))² · 2/(1 − ρ)` on the rest of the tail (`d = n − mean`) is below
/// [`TAIL_TOLERANCE`] of the sum, or the PMF is exactly 0 beyond the mean.
pub(crate) fn count_variance(mean: f64, pmf: impl Fn(u32) -> Result<f64>) -> Result<f64> {
    let (mut sum, mut cdf, mut previous) = (0.0, 0.0, f64::INFINITY);
    for n in 0..=MAX_INTERVAL_COUNT {
        let p = pmf(n)?;
        let d = f64::from(n) - mean;
        sum += d * d * p;
        cdf += p;
        if d > 0.0 && cdf > 0.5 {
            if p == 0.0 {
                return Ok(sum);
            }
            let rho = p / previous;
            if rho < 1.0 {
                let k = 1.0 / (1.0 - rho);
                let tail = p * (d + k) * (d + k) * 2.0 * k;
                if tail <= TAIL_TOLERANCE * sum {
                    return Ok(sum);
                }
            }
        }
        previous = p;
    }
    Err(Error::Numerical(format!(
        "the variance of a count of mean {mean} has not converged by {MAX_INTERVAL_COUNT} \
         transactions"
    )))
}

/// Largest count a predictive interval walks the probability mass function to (10⁷ terms).
pub const MAX_INTERVAL_COUNT: u32 = 10_000_000;

/// The equal-tailed interval `(q(a), q(1 − a))`, `a = (1 − level)/2`, of a count whose
/// probability mass function is `pmf` (see [`TransactionModel::predictive_interval`]).
pub(crate) fn count_interval(level: f64, pmf: impl Fn(u32) -> Result<f64>) -> Result<(u32, u32)> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::param("level", level, "must lie in (0, 1)"));
    }
    let a = 0.5 * (1.0 - level);
    let (mut cdf, mut lower) = (0.0, None);
    for n in 0..=MAX_INTERVAL_COUNT {
        cdf += pmf(n)?;
        if lower.is_none() && cdf >= a {
            lower = Some(n);
        }
        if cdf >= 1.0 - a {
            return Ok((lower.unwrap_or(n), n));
        }
    }
    Err(Error::Numerical(format!(
        "the {level} predictive interval reaches beyond {MAX_INTERVAL_COUNT} transactions"
    )))
}

/// Entry `[i, n] = f(n, horizons[i])` for `n = 0..=max_n`: a table of probabilities of counts
/// (rows: horizons; columns: counts).
///
/// # Errors
/// [`Error::InvalidInput`] when the table would have more than 10⁷ cells
/// (`MAX_TABLE_CELLS`); any error of `f` (the first one).
pub(crate) fn probability_table(
    max_n: u32,
    horizons: &[f64],
    f: impl Fn(u32, f64) -> Result<f64>,
) -> Result<Array2<f64>> {
    let columns = (max_n as usize).saturating_add(1);
    let cells = horizons.len().saturating_mul(columns);
    if cells > MAX_TABLE_CELLS {
        return Err(Error::InvalidInput(format!(
            "a table of {} horizons by {columns} counts has more than {} cells",
            horizons.len(),
            MAX_TABLE_CELLS
        )));
    }
    let mut table = Array2::zeros((horizons.len(), columns));
    for (i, &t) in horizons.iter().enumerate() {
        for n in 0..=max_n {
            table[[i, n as usize]] = f(n, t)?;
        }
    }
    Ok(table)
}

/// The histories `(x, t_x, T)` seen at each of `times` by a customer who bought at
/// `purchase_times` (the first purchase starts the observation): the argument checks and the
/// work of [`TransactionModel::probability_alive_path`].
///
/// # Errors
/// As [`TransactionModel::probability_alive_path`].
pub(crate) fn alive_path_histories(purchase_times: &[f64], times: &[f64]) -> Result<Vec<Customer>> {
    let Some(&first) = purchase_times.first() else {
        return Err(Error::InvalidInput(
            "purchase_times is empty: the path starts at the first purchase".into(),
        ));
    };
    for (i, &p) in purchase_times.iter().enumerate() {
        if !p.is_finite() || (i > 0 && p <= purchase_times[i - 1]) {
            return Err(Error::InvalidInput(format!(
                "purchase_times[{i}] = {p}: purchase times must be finite and strictly increasing"
            )));
        }
    }
    times
        .iter()
        .enumerate()
        .map(|(i, &u)| {
            if !(u.is_finite() && u > first) {
                return Err(Error::InvalidInput(format!(
                    "times[{i}] = {u}: a time of the path must be finite and after the first \
                     purchase ({first})"
                )));
            }
            // Purchases after the first one up to u.
            let seen = purchase_times.partition_point(|&p| p <= u);
            let x = seen.saturating_sub(1);
            let t_x = if x == 0 {
                0.0
            } else {
                purchase_times[seen - 1] - first
            };
            Customer::new(x as f64, t_x, u - first)
        })
        .collect()
}

/// Checks the arguments of a discrete discounted sum: `delta` finite and `>= 0`, `period` finite
/// and `> 0`.
pub(crate) fn check_discrete(delta: f64, period: f64) -> Result<()> {
    crate::error::check_non_negative("delta", delta)?;
    check_positive("period", period)?;
    Ok(())
}

/// `Σ_{k=1}^{H} e^(−δkτ) max(E[Y(kτ)] − E[Y((k−1)τ)], 0)` from the model's conditional
/// expectations: the default of [`TransactionModel::discounted_transactions_discrete`].
pub(crate) fn discrete_sum<M: TransactionModel + ?Sized>(
    model: &M,
    customer: &Customer,
    delta: f64,
    period: f64,
    periods: u32,
) -> Result<f64> {
    check_discrete(delta, period)?;
    let mut sum = 0.0;
    let mut prev = 0.0;
    for k in 1..=periods {
        let t = f64::from(k) * period;
        let e = model.conditional_expected_transactions(customer, t)?;
        sum += (e - prev).max(0.0) * (-delta * t).exp();
        prev = e;
    }
    Ok(sum)
}

/// The model-agnostic numerical DERT, `∫₀¹ E[Y(−ln(u)/δ)] du` with `u = w³` (so the integrand
/// `3w² E[Y(−3 ln(w)/δ)]` vanishes at `w = 0` even when `E[Y(t)]` grows without bound), by
/// adaptive Gauss–Kronrod from panels one factor 256 of time wide below `t = 1/δ` (so that a
/// rise of `E[Y]` far shorter than `1/δ` is resolved). The default of
/// [`TransactionModel::discounted_expected_residual_transactions`], public so that closed forms
/// can be checked against it.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] when `delta` is not finite and `> 0`;
/// [`crate::Error::Numerical`] when the integral does not evaluate to a finite number; any error
/// of the model's predictions.
pub fn dert_numerical<M: TransactionModel + ?Sized>(
    model: &M,
    customer: &Customer,
    delta: f64,
) -> Result<f64> {
    check_positive("delta", delta)?;
    // Panels one factor 256 of time wide from t = 1/δ down (w = e^(−δt/3)).
    let breaks = time_breaks(
        delta,
        0.0,
        256.0 / delta,
        |t| (-delta * t / 3.0).exp(),
        |t| model.conditional_expected_transactions(customer, t),
    )?;
    let v = integrate_unit_pieces(&breaks, |w: f64| {
        if w <= 0.0 {
            return Ok(0.0);
        }
        let t = -3.0 * w.ln() / delta;
        Ok(3.0 * w * w * model.conditional_expected_transactions(customer, t)?)
    })?;
    finite_non_negative(v, "DERT")
}

/// Panel breaks in `w ∈ [0, 1]` for a quadrature over time `t(w)` of a discounted expectation,
/// `δ ∫ e^(−δt) E[Y(t)] dt` over `[0, top]` or beyond (`w_of_t` the substitution's inverse):
/// at `t = top 256⁻ᵏ`, `k = 1, 2, …`, until the part below cannot reach the tolerance,
/// `δ t E[Y(t)] ≤` [`REL_TOL`] times a lower bound of the value (`lower`, or `e^(−δt) E[Y(t)]`
/// at any `t` of the range: `E[Y]` is non-decreasing from 0), at most eight. A rise of `E[Y(t)]`
/// far shorter than the range can lie between the nodes of one wide panel, whose Gauss and
/// Kronrod estimates then agree while both miss it (2e-8 to 2e-7 of the value where `E[Y]` rises
/// within 1e-3 time units and the discount's time scale is 8,300); each panel from these breaks
/// spans one factor 256 of time, so such a rise lies in panels of its own scale.
///
/// # Errors
/// Any error of `expected`.
pub(crate) fn time_breaks(
    delta: f64,
    lower: f64,
    top: f64,
    w_of_t: impl Fn(f64) -> f64,
    expected: impl Fn(f64) -> Result<f64>,
) -> Result<Vec<f64>> {
    let mut breaks = vec![0.0, 1.0];
    let mut lower = lower;
    let mut t = top;
    for _ in 0..8 {
        t /= 256.0;
        let e = expected(t)?;
        lower = lower.max((-delta * t).exp() * e);
        let w = w_of_t(t);
        if w > 0.0 && w < 1.0 {
            breaks.push(w);
        }
        if delta * t * e <= REL_TOL * lower {
            break;
        }
    }
    breaks.sort_by(f64::total_cmp);
    breaks.dedup();
    Ok(breaks)
}

/// `∫₀¹ f` for an integrand built from a model's predictions (which may fail: the first error
/// is returned), by adaptive Gauss–Kronrod to a relative tolerance of [`REL_TOL`] (1e-10),
/// starting from the panels between `breaks` (`0 = breaks[0] < … < breaks[last] = 1`; see
/// [`crate::numerics::quadrature::integrate_pieces`] and [`time_breaks`]).
pub(crate) fn integrate_unit_pieces(breaks: &[f64], f: impl Fn(f64) -> Result<f64>) -> Result<f64> {
    Ok(try_integrate_pieces(f, breaks, REL_TOL, 0.0, MAX_PANELS)?.0)
}

/// `f` for every row of `data`, evaluated once per distinct `(x, t_x, T)` and across the
/// machine's cores (at least `min_per_thread` distinct rows per thread).
pub(crate) fn per_distinct_customer(
    data: &RfmData,
    min_per_thread: usize,
    f: impl Fn(&Customer) -> Result<f64> + Sync,
) -> Result<Array1<f64>> {
    per_distinct(data, min_per_thread, f).map(Array1::from)
}

/// `f` for every row of `data`, evaluated once per distinct `(x, t_x, T)` and across the
/// machine's cores (at least `min_per_thread` distinct rows per thread), in row order; the error
/// is the first failing distinct row's.
pub(crate) fn per_distinct<T, E>(
    data: &RfmData,
    min_per_thread: usize,
    f: impl Fn(&Customer) -> std::result::Result<T, E> + Sync,
) -> std::result::Result<Vec<T>, E>
where
    T: Copy + Send,
    E: Send,
{
    let (distinct, index) = data.distinct_customers();
    let customers: Vec<Customer> = distinct.customers().collect();
    map_distinct(
        customers.len(),
        &index,
        min_per_thread,
        |i| f(&customers[i]),
    )
}

/// The length `to − from` of a purchase window `(T + from, T + to]`, after checking its ends
/// (the arguments of [`TransactionModel::probability_of_purchase_between`]).
///
/// # Errors
/// [`Error::InvalidParameter`] when `from` is negative or not finite, or `to` is not finite or
/// below `from`.
pub(crate) fn purchase_window(from: f64, to: f64) -> Result<f64> {
    crate::error::check_non_negative("from", from)?;
    if !(to.is_finite() && to >= from) {
        return Err(Error::param("to", to, "must be finite and >= from"));
    }
    Ok(to - from)
}
