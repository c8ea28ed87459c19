//! Discounted customer lifetime value: a transaction model (any [`TransactionModel`]) combined
//! with a spend model (e.g. [`GammaGamma`](crate::GammaGamma)).
//!
//! For a customer with history `(x, t_x, T)` and mean repeat-transaction value `m_x`, the expected
//! residual value is
//!
//! ```text
//! CLV = margin · E[M | x, m_x] · Σ (discounted expected transactions after T)
//! ```
//!
//! which assumes, as the Gamma-Gamma model does, that spend is independent of the transaction
//! process. Two discounting schedules:
//!
//! * **Discrete** ([`Valuation::discrete`]): `H` future periods of length `τ`; period `k` covers
//!   `(T + (k−1)τ, T + kτ]` and its expected transactions `E[Y(kτ)] − E[Y((k−1)τ)]` are
//!   discounted at its end by `(1 + d)^(−kτ/P)`.
//! * **Continuous** ([`Valuation::continuous`]): `∫₀^H e^(−δt) dE[Y(t)]` with `δ = ln(1 + d)/P`,
//!   to a finite horizon `H` or forever; forever it is the discounted expected residual
//!   transactions (DERT) of the transaction model
//!   ([`TransactionModel::discounted_expected_residual_transactions`]: exact for the BG/NBD,
//!   closed form where one exists, numerical integration otherwise).
//!
//! Here `d` is the discount rate per period of length `P`, and `τ`, `P`, `H` are all in the time
//! unit of the data the transaction model was fitted on ([`DiscountRate`]): nothing assumes that
//! a month has 4.345 weeks or 30 days. Rescaling the time unit of the data (and of `τ`, `P`, `H`
//! with it) changes no value. As `τ → 0` the discrete form tends to the continuous one.
//!
//! A spend model with an infinite mean spend (Gamma-Gamma with `q <= 1`) is refused: no value is
//! ever negative, infinite or NaN.
//!
//! ```
//! use clv::{BgNbd, Customer, GammaGamma};
//! use clv::value::{DiscountRate, Valuation};
//!
//! // Models fitted on data in weeks.
//! let transactions = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
//! let spend = GammaGamma::new(6.25, 3.74, 15.44)?;
//! // 10% a year, a year being 52 weeks here (say 365.25/7 if you prefer).
//! let discount = DiscountRate::new(0.10, 52.0)?;
//! // Margin 30%, 52 weekly periods.
//! let valuation = Valuation::discrete(0.3, discount, 1.0, 52)?;
//! let customer = Customer::new(2.0, 30.43, 38.86)?;
//! let clv = valuation.customer_value(&transactions, &spend, &customer, 22.35)?;
//! assert!(clv > 0.0 && clv.is_finite());
//! # Ok::<(), clv::Error>(())
//! ```

use ndarray::Array1;

use crate::data::{Customer, RfmData};
use crate::error::{Error, Result, check_positive};
use crate::fit::{Fitted, Independent, Intervals, Method, Model, Range};
use crate::models::TransactionModel;
use crate::models::transaction::{integrate_unit_pieces, per_distinct_customer, time_breaks};
use crate::numerics::finite_non_negative;

pub use crate::models::SpendModel;
pub use crate::models::transaction::dert_numerical;

/// A discount rate `d` per period of length `P`, the period in the time unit of the data (e.g.
/// 10% a year on data in weeks: `DiscountRate::new(0.10, 52.0)` or `(0.10, 365.25 / 7.0)`).
///
/// Cash flows at time `t` after the end of observation are discounted by
/// `(1 + d)^(−t/P) = e^(−δt)`, with the continuously compounded rate `δ = ln(1 + d)/P` per time
/// unit.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct DiscountRate {
    rate: f64,
    period: f64,
}

impl DiscountRate {
    /// The rate `rate` per period of length `period` (in the data's time unit).
    ///
    /// ```
    /// use clv::value::DiscountRate;
    /// let weekly_data = DiscountRate::new(0.10, 52.0)?; // 10% per 52 weeks
    /// let daily_data = DiscountRate::new(0.10, 364.0)?; // the same, on data in days
    /// assert!((weekly_data.continuous_rate() / 7.0 - daily_data.continuous_rate()).abs() < 1e-15);
    /// assert!(DiscountRate::new(-0.1, 52.0).is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `rate` is finite and `>= 0` and `period` is finite and
    /// `> 0`.
    pub fn new(rate: f64, period: f64) -> Result<Self> {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(Error::param(
                "discount rate",
                rate,
                "must be finite and >= 0 (a fraction per period: 0.1 for 10%)",
            ));
        }
        check_positive("discount period", period)?;
        Ok(DiscountRate { rate, period })
    }

    /// The rate `d` per period.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The period `P` the rate refers to, in the data's time unit.
    pub fn period(&self) -> f64 {
        self.period
    }

    /// The continuously compounded rate per time unit, `δ = ln(1 + d)/P`.
    pub fn continuous_rate(&self) -> f64 {
        self.rate.ln_1p() / self.period
    }

    /// The discount factor `(1 + d)^(−t/P)` of a cash flow at time `t >= 0`.
    pub fn factor(&self, t: f64) -> f64 {
        (-self.continuous_rate() * t).exp()
    }
}

/// How future transactions are discounted.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Schedule {
    /// `periods` periods of length `period` (data time unit), each discounted at its end.
    Discrete {
        /// Length of a period.
        period: f64,
        /// Number of periods.
        periods: u32,
    },
    /// Continuous discounting up to `horizon` (data time unit), or forever when `None`.
    Continuous {
        /// The horizon, `None` for an unlimited one.
        horizon: Option<f64>,
    },
}

/// A validated way to value customers: margin, discount rate and discounting schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Valuation {
    margin: f64,
    discount: DiscountRate,
    schedule: Schedule,
}

fn check_margin(margin: f64) -> Result<f64> {
    if margin.is_finite() && (0.0..=1.0).contains(&margin) {
        Ok(margin)
    } else {
        Err(Error::param(
            "margin",
            margin,
            "must lie in [0, 1] (the fraction of spend that is profit)",
        ))
    }
}

impl Valuation {
    /// Discrete discounting over `periods` periods of length `period` (in the data's time unit).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `margin` is outside `[0, 1]`, `period` is not finite and
    /// `> 0`, or `periods` is 0.
    pub fn discrete(
        margin: f64,
        discount: DiscountRate,
        period: f64,
        periods: u32,
    ) -> Result<Self> {
        check_positive("period", period)?;
        if periods == 0 {
            return Err(Error::param("periods", 0.0, "must be >= 1"));
        }
        Ok(Valuation {
            margin: check_margin(margin)?,
            discount,
            schedule: Schedule::Discrete { period, periods },
        })
    }

    /// Continuous discounting to `horizon` (in the data's time unit), or forever when `None`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `margin` is outside `[0, 1]`, the horizon is not finite
    /// and `> 0`, or the horizon is unlimited and the discount rate is 0 (the sum diverges).
    pub fn continuous(margin: f64, discount: DiscountRate, horizon: Option<f64>) -> Result<Self> {
        match horizon {
            Some(h) => {
                check_positive("horizon", h)?;
            }
            None if discount.rate == 0.0 => {
                return Err(Error::param(
                    "discount rate",
                    0.0,
                    "must be > 0 for an unlimited horizon",
                ));
            }
            None => {}
        }
        Ok(Valuation {
            margin: check_margin(margin)?,
            discount,
            schedule: Schedule::Continuous { horizon },
        })
    }

    /// The margin.
    pub fn margin(&self) -> f64 {
        self.margin
    }

    /// The discount rate.
    pub fn discount(&self) -> DiscountRate {
        self.discount
    }

    /// The discounting schedule.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// Discounted expected number of transactions of `customer` after the end of observation,
    /// under this valuation's schedule (no spend, no margin).
    ///
    /// # Errors
    /// Those of the transaction model's predictions ([`Error::Numerical`] when an integral does
    /// not evaluate).
    pub fn discounted_transactions<M: TransactionModel + ?Sized>(
        &self,
        model: &M,
        customer: &Customer,
    ) -> Result<f64> {
        let delta = self.discount.continuous_rate();
        let v = match self.schedule {
            Schedule::Discrete { period, periods } => {
                model.discounted_transactions_discrete(customer, delta, period, periods)?
            }
            Schedule::Continuous { horizon: Some(h) } => finite_horizon(model, customer, delta, h)?,
            Schedule::Continuous { horizon: None } => {
                model.discounted_expected_residual_transactions(customer, delta)?
            }
        };
        finite_non_negative(v, "discounted transactions")
    }

    /// Expected residual value of one customer: `margin · E[M | x, m_x] · discounted
    /// transactions`, with `monetary_value` the mean value `m_x` of the customer's repeat
    /// transactions (ignored when `x = 0`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the spend model's mean spend is infinite (Gamma-Gamma
    /// with `q <= 1`); [`Error::InvalidData`] for an invalid `monetary_value`; as
    /// [`Valuation::discounted_transactions`].
    pub fn customer_value<M: TransactionModel + ?Sized, S: SpendModel + ?Sized>(
        &self,
        model: &M,
        spend: &S,
        customer: &Customer,
        monetary_value: f64,
    ) -> Result<f64> {
        spend.check_finite_mean()?;
        let s = spend.expected_average_spend(customer.frequency(), monetary_value)?;
        let n = self.discounted_transactions(model, customer)?;
        finite_non_negative(self.margin * s * n, "customer value")
    }

    /// [`Valuation::discounted_transactions`] for every row of `data`, computed once per
    /// distinct `(x, t_x, T)` and across the machine's cores (for an unlimited continuous
    /// horizon, through
    /// [`TransactionModel::discounted_expected_residual_transactions_batch`]; for a discrete
    /// schedule, through [`TransactionModel::discounted_transactions_discrete_batch`]).
    ///
    /// # Errors
    /// As [`Valuation::discounted_transactions`].
    pub fn discounted_transactions_batch<M: TransactionModel + Sync + ?Sized>(
        &self,
        model: &M,
        data: &RfmData,
    ) -> Result<Array1<f64>> {
        let delta = self.discount.continuous_rate();
        let v = match self.schedule {
            Schedule::Continuous { horizon: None } => {
                Some(model.discounted_expected_residual_transactions_batch(data, delta)?)
            }
            Schedule::Discrete { period, periods } => {
                Some(model.discounted_transactions_discrete_batch(data, delta, period, periods)?)
            }
            Schedule::Continuous { horizon: Some(_) } => None,
        };
        if let Some(v) = v {
            for &x in &v {
                finite_non_negative(x, "discounted transactions")?;
            }
            return Ok(v);
        }
        per_distinct_customer(data, 16, |c| self.discounted_transactions(model, c))
    }

    /// [`Valuation::customer_value`] for every row of `data`, which must have a monetary column
    /// (the mean value of each customer's repeat transactions). A customer with repeat
    /// transactions worth 0 in total (`x > 0`, `m_x = 0`, e.g. from `$0.00` rows in a log) has
    /// no spend information and is valued with the population mean spend, as a customer with
    /// `x = 0` (count them with [`SpendData::n_zero_spend`](crate::SpendData::n_zero_spend)).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `data` has no monetary column; otherwise as
    /// [`Valuation::customer_value`].
    pub fn customer_values<M: TransactionModel + Sync + ?Sized, S: SpendModel + ?Sized>(
        &self,
        model: &M,
        spend: &S,
        data: &RfmData,
    ) -> Result<Array1<f64>> {
        spend.check_finite_mean()?;
        let monetary = data.monetary_value().ok_or_else(|| {
            Error::InvalidInput(
                "customer values need the mean transaction value (`monetary_value`) of each \
                 customer"
                    .into(),
            )
        })?;
        let mut n = self.discounted_transactions_batch(model, data)?;
        for ((v, &x), &m) in n.iter_mut().zip(data.frequency()).zip(monetary) {
            // Zero spend carries no spend information: the population mean, as for x = 0.
            let x = if m == 0.0 { 0.0 } else { x };
            let s = spend.expected_average_spend(x, m)?;
            *v = finite_non_negative(self.margin * s * *v, "customer value")?;
        }
        Ok(n)
    }
}

/// Rows of data valued at once by [`Valuation::customer_value_intervals`] per draw (the values
/// held are these times the number of draws, at most 2²¹ + draws·64).
const VALUE_BLOCK: usize = 1 << 21;

impl Valuation {
    /// The intervals at `level` of every customer's value ([`Valuation::customer_values`]) from
    /// the parameter uncertainty of both fits, the transaction model's and the spend model's:
    /// their data are independent, so their log-parameters combine with a block-diagonal
    /// covariance ([`Independent`]); the value is a positive quantity, so a delta interval is
    /// formed on the log scale ([`Range::Positive`]). `method` is [`Method::Delta`] or
    /// [`Method::Parametric`] (the same draws for every customer: the rows are valued in blocks,
    /// each with the same seed). For the nonparametric bootstrap, refit both models with
    /// [`crate::fit::bootstrap`] and take percentiles of `customer_values` over the pairs.
    ///
    /// This is estimation uncertainty only: what a customer will actually spend varies far more.
    ///
    /// ```
    /// use clv::fit::Method;
    /// use clv::value::{DiscountRate, Valuation};
    /// use clv::{BgNbd, FitOptions, GammaGamma, RfmData};
    /// let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow_customers_summary.csv"))?;
    /// let transactions = BgNbd::fit(&data, &FitOptions::default())?;
    /// // spend of the repeat customers, simulated from the CDNOW Gamma-Gamma estimates
    /// let repeat: Vec<f64> = data.frequency().iter().copied().filter(|&x| x > 0.0).collect();
    /// let spend_data = clv::simulate::gamma_gamma(&GammaGamma::new(6.25, 3.74, 15.44)?, &repeat, 1)?;
    /// let spend = GammaGamma::fit(&spend_data, &FitOptions::default())?;
    /// // three customers with their mean spend per repeat transaction
    /// let with_spend = RfmData::from_columns(vec![2.0, 1.0, 0.0], vec![30.43, 1.71, 0.0],
    ///     vec![38.86; 3], Some(vec![22.35, 11.77, 0.0]), None)?;
    /// let valuation = Valuation::discrete(0.3, DiscountRate::new(0.1, 52.0)?, 1.0, 52)?;
    /// let iv = valuation.customer_value_intervals(&transactions, &spend, &with_spend, 0.9, Method::Delta)?;
    /// let values = valuation.customer_values(transactions.model(), spend.model(), &with_spend)?;
    /// for i in 0..3 {
    ///     assert_eq!(iv.estimate[i], values[i]);
    ///     assert!(iv.lower[i] <= values[i] && values[i] <= iv.upper[i]);
    /// }
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Valuation::customer_values`] at the estimate, and as
    /// [`Independent::intervals_batch`] (a fit without covariance, a level outside `(0, 1)`,
    /// too many failed draws).
    pub fn customer_value_intervals<M, S>(
        &self,
        transactions: &Fitted<M>,
        spend: &Fitted<S>,
        data: &RfmData,
        level: f64,
        method: Method,
    ) -> Result<Intervals>
    where
        M: TransactionModel + Model + Send + Sync,
        S: SpendModel + Model + Send + Sync,
    {
        let both = Independent::new(transactions, spend);
        let draws = match method {
            Method::Parametric { draws, .. } => draws.max(1),
            _ => 1,
        };
        let block = (VALUE_BLOCK / draws).max(64);
        let n = data.len();
        if n == 0 {
            return Err(Error::InvalidInput("no customers to value".into()));
        }
        let (mut estimate, mut lower, mut upper, mut failed) = (vec![], vec![], vec![], 0);
        let mut start = 0;
        while start < n {
            let end = (start + block).min(n);
            let selected;
            let part = if start == 0 && end == n {
                data
            } else {
                selected = data.select(&(start..end).collect::<Vec<_>>())?;
                &selected
            };
            let iv = both.intervals_batch(
                |t: &M, s: &S| self.customer_values(t, s, part),
                Range::Positive,
                level,
                method,
            )?;
            estimate.extend(iv.estimate.iter());
            lower.extend(iv.lower.iter());
            upper.extend(iv.upper.iter());
            failed = failed.max(iv.failed_draws);
            start = end;
        }
        Ok(Intervals {
            estimate: estimate.into(),
            lower: lower.into(),
            upper: upper.into(),
            failed_draws: failed,
        })
    }
}

/// `∫₀^H e^(−δt) dE[Y(t)] = e^(−δH) E[Y(H)] + δ ∫₀^H e^(−δt) E[Y(t)] dt`.
fn finite_horizon<M: TransactionModel + ?Sized>(
    model: &M,
    customer: &Customer,
    delta: f64,
    horizon: f64,
) -> Result<f64> {
    let end = model.conditional_expected_transactions(customer, horizon)?;
    if delta == 0.0 {
        return Ok(end);
    }
    // t = H·w⁸: E[Y(t)] may rise on a time scale far shorter than H (a short mean lifetime);
    // in w that rise is spread over a range the Gauss–Kronrod nodes resolve (the first node
    // sits at t ≈ 1e-19 H), and the factor w⁷ makes the part below it negligible.
    let integrand = |w: f64| {
        let w2 = w * w;
        let w4 = w2 * w2;
        let w7 = w4 * w2 * w;
        let t = horizon * w7 * w;
        let e = model.conditional_expected_transactions(customer, t)?;
        Ok((-delta * t).exp() * e * 8.0 * horizon * w7)
    };
    // Panels one factor 256 of time wide from the horizon down (t = H 256⁻ᵏ at w = 2⁻ᵏ).
    let breaks = time_breaks(
        delta,
        (-delta * horizon).exp() * end,
        horizon,
        |t| (t / horizon).powf(0.125),
        |t| model.conditional_expected_transactions(customer, t),
    )?;
    let integral = integrate_unit_pieces(&breaks, integrand)?;
    Ok((-delta * horizon).exp() * end + delta * integral)
}
