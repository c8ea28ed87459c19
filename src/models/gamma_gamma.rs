//! The Gamma-Gamma model of monetary value (Fader, Hardie & Lee 2005, "RFM and CLV: using
//! iso-value curves for customer base analysis", *Journal of Marketing Research* 42(4):415–430;
//! Fader & Hardie 2013, "The Gamma-Gamma model of monetary value", note 025; after Colombo &
//! Jiang 1999).
//!
//! ## Assumptions
//! * The values `z_j` of a customer's transactions are `Gamma(p, ν)` (shape `p`, rate `ν`), so
//!   the customer's mean transaction value is `p/ν`;
//! * `ν ~ Gamma(q, γ)` (shape `q`, rate `γ`) across customers;
//! * spend is independent of the transaction process: how much a customer spends per
//!   transaction says nothing about how often the customer buys (check it with
//!   [`SpendData::frequency_spend_correlation`]).
//!
//! ## Likelihood
//! Only customers with at least one repeat transaction (`x > 0`) carry spend information: a fit
//! uses exactly those rows ([`SpendData::repeat_customers`]) and skips the others. Given `x`, the
//! mean `m_x` of the repeat transactions has density (note 025, eq. 1a)
//!
//! ```text
//! f(m_x | p, q, γ; x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m_x^(px−1) x^(px) / (γ + x m_x)^(px+q)
//! ```
//!
//! the density of the *mean*, as in every published implementation (the full-data likelihood of
//! the individual values differs by a term free of `q` and `γ`). In log space, with its analytic
//! gradient:
//!
//! ```text
//! ℓ     = −ln B(px, q) + q ln γ + (px−1) ln m_x + px ln x − (px+q) ln(γ + x m_x)
//! ∂ℓ/∂p = x [ψ(px+q) − ψ(px) + ln m_x + ln x − ln(γ + x m_x)]
//! ∂ℓ/∂q = ψ(px+q) − ψ(q) + ln γ − ln(γ + x m_x)
//! ∂ℓ/∂γ = q/γ − (px+q)/(γ + x m_x)
//! ```
//!
//! ## Predictions
//! * Population mean spend per transaction `E[M] = pγ/(q−1)`, finite only when `q > 1`;
//! * conditional expected average spend, a credibility-weighted mean of the population mean and
//!   the customer's own mean:
//!   `E[M | x, m_x] = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m_x = p(γ + x m_x)/(px+q−1)`.
//!
//! When `q <= 1` the population mean is infinite: [`GammaGamma::mean_spend`] returns an error,
//! [`GammaGamma::has_finite_mean`] is `false`, and no customer value is computed from such a
//! model. [`GammaGamma::fit_with_finite_mean`] fits under the constraint `q > 1`.
//!
//! Spend is in the caller's currency unit; the model has no time dimension.
//!
//! ## Numerics and fitting
//! The model is scale-equivariant: spends multiplied by `s` give the same `p`, `q` and `γ·s`.
//! A fit therefore works on spends divided by a power of two near their geometric mean (exact,
//! so that `γ` maps back without rounding) unless an L2 penalty is set, and the predictions are
//! written as convex combinations, `γ · p/(px+q−1) + m_x · px/(px+q−1)`, so that they are finite
//! and exact (a few ulps) for any spends representable in `f64`, e.g. near `1e300`. The fit runs
//! the pipeline of [`crate::fit`] on the compressed repeat customers, from start points at a few
//! `(p, q)` with `γ` chosen so that `pγ/(q−1)` matches the mean average spend.
//!
//! Data whose mean spends are all equal (in particular a single customer) have no maximum
//! likelihood: the likelihood grows without bound as the spread of spend shrinks to 0
//! (`p, q, γ → ∞`). A fit refuses them with an error.

use std::fmt;

use ndarray::Array1;
use statrs::function::gamma::{digamma, ln_gamma};

use crate::numerics::special::{trigamma, trigamma_difference};
use crate::numerics::{finite_or, product_of_ratio};
use crate::special::{digamma_difference, ln_gamma_ratio, log_add_exp, two_sum};

use crate::data::{FrequencyGroups, SpendData};
use crate::error::{Error, Result, check_positive};
use crate::fit::Differentiated;
use crate::fit::exactly;
use crate::fit::objective::params;
use crate::models::{Model, SpendModel};
use rand::Rng;
use rand_distr::{Distribution, Gamma};

use super::simulation::{Simulate, check_design, dist_err};
use crate::fit::{Estimable, FitOptions, Fitted, Objective, Rescaling};
use crate::parallel::sum_rows;

/// Gamma-Gamma parameters: transaction values `Gamma(p, ν)`, `ν ~ Gamma(q, γ)`.
///
/// ```
/// use clv::GammaGamma;
/// let model = GammaGamma::new(6.25, 3.74, 15.44)?;
/// // Population mean spend pγ/(q−1) and a customer's expected average spend.
/// assert!((model.mean_spend()? - 35.22).abs() < 0.01);
/// let e = model.expected_average_spend(2.0, 22.35)?;
/// assert!(e > 22.35 && e < 35.22); // shrunk towards the population mean
/// println!("{model}");
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "GammaGammaParams"))]
pub struct GammaGamma {
    p: f64,
    q: f64,
    gamma: f64,
}

/// Unvalidated form used to deserialise (validated through [`GammaGamma::new`]).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct GammaGammaParams {
    p: f64,
    q: f64,
    gamma: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<GammaGammaParams> for GammaGamma {
    type Error = Error;
    fn try_from(v: GammaGammaParams) -> Result<Self> {
        GammaGamma::new(v.p, v.q, v.gamma)
    }
}

impl fmt::Display for GammaGamma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Gamma-Gamma: z ~ Gamma(p = {}, ν), ν ~ Gamma(q = {}, γ = {})",
            self.p, self.q, self.gamma
        )
    }
}

impl Model for GammaGamma {
    const NAME: &'static str = "gg";
    const PARAM_NAMES: &'static [&'static str] = &["p", "q", "gamma"];

    fn params(&self) -> Vec<f64> {
        vec![self.p, self.q, self.gamma]
    }

    fn from_params(v: &[f64]) -> Result<Self> {
        let [p, q, gamma] = exactly::<3>(v, "Gamma-Gamma")?;
        GammaGamma::new(p, q, gamma)
    }
}

/// Checks one `(x, m_x)` argument pair (row 1 in errors).
fn check_customer(x: f64, m: f64) -> Result<()> {
    SpendData::new(vec![x], vec![m]).map(|_| ())
}

impl GammaGamma {
    /// A Gamma-Gamma model with shape `p` of the transaction values, and shape `q` and rate
    /// `gamma` of the distribution of their rate parameter `ν`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless every parameter is finite and > 0.
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<Self> {
        Ok(GammaGamma {
            p: check_positive("p", p)?,
            q: check_positive("q", q)?,
            gamma: check_positive("gamma", gamma)?,
        })
    }

    /// Shape `p` of the distribution of transaction values.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Shape `q` of the distribution of `ν` across customers.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// Rate `γ` of the distribution of `ν` across customers (in the currency unit).
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Whether the population mean spend `pγ/(q−1)` is finite, i.e. `q > 1`.
    pub fn has_finite_mean(&self) -> bool {
        self.q > 1.0
    }

    /// Population mean spend per transaction, `E[M] = pγ/(q−1)`: the expected average spend of a
    /// customer of whom nothing is known.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (naming `q`) when `q <= 1`: the mean is then infinite.
    pub fn mean_spend(&self) -> Result<f64> {
        if !self.has_finite_mean() {
            return Err(Error::param(
                "q",
                self.q,
                "the mean spend pγ/(q−1) is infinite when q <= 1; fit with the constraint q > 1 \
                 (GammaGamma::fit_with_finite_mean)",
            ));
        }
        let q1 = self.q - 1.0; // exact for q <= 2 (Sterbenz), relative 1 ulp above
        finite_or(
            product_of_ratio(self.p, self.gamma, q1),
            overflow("the mean spend"),
        )
    }

    /// Conditional expected average spend of a customer with `x` repeat transactions of mean
    /// value `m_x`: `E[M | x, m_x] = p(γ + x m_x)/(px + q − 1)`, the credibility-weighted mean
    /// `w · pγ/(q−1) + (1 − w) · m_x` with `w = (q−1)/(px+q−1)`. For `x = 0` this is the
    /// population mean [`GammaGamma::mean_spend`] (and `m_x` is ignored).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for an invalid `(x, m_x)` (see [`SpendData`]);
    /// [`Error::InvalidParameter`] (naming `q`) when the expectation is infinite: `x = 0` and
    /// `q <= 1`, or `px + q <= 1`.
    pub fn expected_average_spend(&self, frequency: f64, monetary_value: f64) -> Result<f64> {
        check_customer(frequency, monetary_value)?;
        self.expected_average_spend_unchecked(frequency, monetary_value)
    }

    fn expected_average_spend_unchecked(&self, x: f64, m: f64) -> Result<f64> {
        if x == 0.0 {
            return self.mean_spend();
        }
        // px + q − 1 with the exact q − 1 (two-sum) and one rounding of px + (q − 1) (fma).
        let (h, l) = two_sum(self.q, -1.0);
        let denom = self.p.mul_add(x, h) + l;
        if !denom.is_finite() {
            // px overflows: the weight of the customer's own mean is 1 to f64 precision.
            return finite_or(m + self.gamma / x, overflow("the expected average spend"));
        }
        if denom <= 0.0 {
            return Err(Error::param(
                "q",
                self.q,
                format!("the expected spend is infinite when p·x + q <= 1 (x = {x})"),
            ));
        }
        // γ · p/(px+q−1) + m · px/(px+q−1): two positive terms, neither of which overflows
        // unless the result does.
        let value =
            product_of_ratio(self.gamma, self.p, denom) + product_of_ratio(m, self.p * x, denom);
        finite_or(value, overflow("the expected average spend"))
    }

    /// [`GammaGamma::expected_average_spend`] of each customer `(frequency[i],
    /// monetary_value[i])` with its exact gradient in `(ln p, ln q, ln γ)`, for delta-method
    /// intervals without finite differences ([`crate::fit::uncertainty`]): with
    /// `E = p(γ + m x)/D`, `D = px + q − 1` (`x = 0`: the mean `pγ/(q−1)`),
    ///
    /// ```text
    /// ∂E/∂ln p = E (q−1)/D      ∂E/∂ln q = −E q/D      ∂E/∂ln γ = γ p/D
    /// ```
    ///
    /// ```
    /// use clv::GammaGamma;
    /// let model = GammaGamma::new(6.25, 3.74, 15.44)?;
    /// let d = model.expected_average_spend_differentiated(&[2.0, 0.0], &[25.0, 0.0])?;
    /// assert_eq!(d.values()[0], model.expected_average_spend(2.0, 25.0)?);
    /// let g = d.gradient_of(1).expect("analytic"); // the mean pγ/(q−1)
    /// assert!((g[0] - d.values()[1]).abs() < 1e-12 && g[1] < 0.0);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`GammaGamma::expected_average_spend`]; [`Error::InvalidInput`] when the two slices
    /// differ in length.
    pub fn expected_average_spend_differentiated(
        &self,
        frequency: &[f64],
        monetary_value: &[f64],
    ) -> Result<Differentiated> {
        if frequency.len() != monetary_value.len() {
            return Err(Error::InvalidInput(format!(
                "{} frequencies and {} monetary values",
                frequency.len(),
                monetary_value.len()
            )));
        }
        let (p, q, gamma) = (self.p, self.q, self.gamma);
        let mut values = Vec::with_capacity(frequency.len());
        let mut gradient = Vec::with_capacity(3 * frequency.len());
        for (&x, &m) in frequency.iter().zip(monetary_value) {
            let e = self.expected_average_spend(x, m)?;
            let (h, l) = two_sum(q, -1.0);
            let d = if x == 0.0 { h + l } else { p.mul_add(x, h) + l };
            values.push(e);
            if d.is_finite() {
                gradient.extend([
                    e * ((h + l) / d),
                    -e * (q / d),
                    product_of_ratio(gamma, p, d),
                ]);
            } else {
                // px overflows: E = m + γ/x to f64 precision
                gradient.extend([0.0, 0.0, gamma / x]);
            }
        }
        Ok(Differentiated::from_parts(values, gradient, 3))
    }

    /// [`GammaGamma::expected_average_spend`] for every row of `data` (the population mean for
    /// rows with `x = 0`, and for repeat customers whose spend is 0, see
    /// [`SpendData::n_zero_spend`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] as [`GammaGamma::expected_average_spend`].
    pub fn expected_average_spend_batch(&self, data: &SpendData) -> Result<Array1<f64>> {
        data.frequency()
            .iter()
            .zip(data.monetary_value())
            .map(|(&x, &m)| {
                // A zero mean spend carries no spend information (a $0 log): the prior mean.
                let x = if m > 0.0 { x } else { 0.0 };
                self.expected_average_spend_unchecked(x, m)
            })
            .collect()
    }

    /// Log-likelihood of one customer's mean repeat-transaction value `m_x` given `x > 0`
    /// (note 025 eq. 1a, in log space).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for an invalid `(x, m_x)` or `x = 0` (no spend information).
    pub fn log_likelihood(&self, frequency: f64, monetary_value: f64) -> Result<f64> {
        check_repeat(frequency, monetary_value)?;
        let (x, m) = (frequency, monetary_value);
        let (p, q, g) = (self.p, self.q, self.gamma);
        let px = p * x;
        Ok(
            ln_gamma_ratio(px, q) - ln_gamma(q) + q * g.ln() + (px - 1.0) * m.ln() + px * x.ln()
                - (px + q) * ln_sum(g, x, m),
        )
    }

    /// Gradient of [`GammaGamma::log_likelihood`] with respect to `(p, q, γ)`:
    ///
    /// ```text
    /// ∂ℓ/∂p = x [ψ(px+q) − ψ(px) + ln m_x + ln x − ln(γ + x m_x)]
    /// ∂ℓ/∂q = ψ(px+q) − ψ(q) + ln γ − ln(γ + x m_x)
    /// ∂ℓ/∂γ = q/γ − (px+q)/(γ + x m_x)
    /// ```
    ///
    /// # Errors
    /// As [`GammaGamma::log_likelihood`].
    pub fn log_likelihood_gradient(&self, frequency: f64, monetary_value: f64) -> Result<[f64; 3]> {
        check_repeat(frequency, monetary_value)?;
        let (x, m) = (frequency, monetary_value);
        let (p, q, g) = (self.p, self.q, self.gamma);
        let px = p * x;
        let l = ln_sum(g, x, m);
        Ok([
            x * (digamma_difference(px, q) + m.ln() + x.ln() - l),
            digamma(px + q) - digamma(q) + g.ln() - l,
            q / g - (px + q) / (g + m * x),
        ])
    }

    /// Weighted total log-likelihood of the customers of `data` with `x > 0`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no row has `x > 0`.
    pub fn total_log_likelihood(&self, data: &SpendData) -> Result<f64> {
        let rows = data.distinct_repeat_customers()?;
        Ok(GammaGammaObjective::new(&rows, 1.0).log_likelihood(&self.params(), None))
    }

    /// Fits the model by maximum likelihood to the customers of `data` with `x > 0` (the others
    /// carry no spend information and are skipped; [`Fitted::n_customers`] counts the customers
    /// that entered the fit). Identical rows are merged first.
    ///
    /// ```
    /// use clv::{FitOptions, GammaGamma, SpendData};
    /// let data = SpendData::new(
    ///     vec![1.0, 2.0, 3.0, 1.0, 4.0, 2.0, 0.0, 1.0, 5.0, 2.0],
    ///     vec![20.0, 35.5, 41.0, 12.0, 28.0, 55.0, 0.0, 30.0, 33.3, 18.0],
    /// )?;
    /// let fitted = GammaGamma::fit(&data, &FitOptions::default())?;
    /// assert_eq!(fitted.n_customers(), 9.0); // the customer with x = 0 is skipped
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no row has `x > 0` or every mean spend is the same;
    /// otherwise as [`crate::fit::fit`] (a fit that ends anywhere but at a verified maximum is
    /// returned with its [`Fitted::status`]). The estimate may have `q <= 1`
    /// (an infinite mean spend): check [`GammaGamma::has_finite_mean`], or use
    /// [`GammaGamma::fit_with_finite_mean`].
    pub fn fit(data: &SpendData, options: &FitOptions) -> Result<Fitted<GammaGamma>> {
        Self::fit_bounded(data, options, 0.0)
    }

    /// As [`GammaGamma::fit`] under the constraint `q > 1`, so that the mean spend is finite.
    /// When the unconstrained maximum has `q > 1` both fits agree; otherwise the estimate lies
    /// at the boundary (`q` just above 1, a very large mean spend): treat such a result with
    /// suspicion, the data then have a heavier tail than the model can represent.
    ///
    /// # Errors
    /// As [`GammaGamma::fit`].
    pub fn fit_with_finite_mean(
        data: &SpendData,
        options: &FitOptions,
    ) -> Result<Fitted<GammaGamma>> {
        Self::fit_bounded(data, options, 1.0)
    }

    fn fit_bounded(data: &SpendData, options: &FitOptions, q_min: f64) -> Result<Fitted<Self>> {
        crate::fit::fit_within(data, options, &[0.0, q_min, 0.0])
    }
}

/// Per customer with `x` repeat transactions: `ν ~ Gamma(q, γ)` (shape, rate), each spend
/// `z ~ Gamma(p, ν)`, and `m_x` the mean of the `x` spends — drawn at once as
/// `Gamma(p x, ν)/x` (Fader, Hardie & Lee 2005; Colombo & Jiang 1999). The design is the
/// customers' frequencies `x` (whole numbers `>= 0`); customers with `x = 0` get `m_x = 0`.
///
/// ```
/// use clv::{GammaGamma, models::Simulate};
/// use rand::{SeedableRng, rngs::StdRng};
///
/// let model = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let data = model.simulate(&[1.0, 2.0, 0.0, 5.0], &mut StdRng::seed_from_u64(1))?;
/// assert_eq!(data.monetary_value()[2], 0.0);
/// assert!(data.monetary_value()[0] > 0.0);
/// # Ok::<(), clv::Error>(())
/// ```
impl Simulate for GammaGamma {
    type Design = [f64];
    type Output = SpendData;

    fn simulate<R: Rng + ?Sized>(&self, frequency: &[f64], rng: &mut R) -> Result<SpendData> {
        check_design(frequency.len())?;
        let nu_dist = Gamma::new(self.q, 1.0 / self.gamma).map_err(dist_err)?;
        let mut monetary = Vec::with_capacity(frequency.len());
        for (i, &x) in frequency.iter().enumerate() {
            if !(x.is_finite() && x >= 0.0 && x.fract() == 0.0) {
                return Err(Error::data(
                    i + 1,
                    "frequency",
                    x,
                    "must be a whole number >= 0",
                ));
            }
            let nu: f64 = nu_dist.sample(rng);
            if x == 0.0 {
                monetary.push(0.0);
                continue;
            }
            let total: f64 = Gamma::new(self.p * x, 1.0 / nu)
                .map_err(dist_err)?
                .sample(rng);
            monetary.push(total / x);
        }
        SpendData::new(frequency.to_vec(), monetary)
    }
}

impl Estimable for GammaGamma {
    type Data = SpendData;
    type Rows = SpendData;

    /// The customers with `x > 0`, compressed; identical spends refused.
    fn prepare(data: &SpendData) -> Result<SpendData> {
        let rows = data.distinct_repeat_customers()?;
        check_identifiable(&rows)?;
        Ok(rows)
    }

    /// Spends divided by a power of two near their geometric mean (exact): γ, a spend scale,
    /// follows, and the density of each customer's mean spend gains the Jacobian of the unit.
    fn condition(rows: &mut SpendData) -> Option<Rescaling> {
        let scale = spend_scale(rows);
        if scale == 1.0 {
            return None;
        }
        let factor = 1.0 / scale;
        let scaled = SpendData::with_weights(
            rows.frequency().to_vec(),
            rows.monetary_value().iter().map(|m| m * factor).collect(),
            Some(rows.weights().to_vec()),
        )
        .ok()?;
        let n = rows.n_customers();
        *rows = scaled;
        Some(Rescaling {
            factor,
            params: vec![2],
            log_jacobian: n,
        })
    }

    /// γ chosen so that pγ/(q−1) matches the mean average spend, at a few (p, q).
    fn starts(rows: &SpendData, lower: &[f64]) -> Vec<Vec<f64>> {
        let q_min = lower.get(1).copied().unwrap_or(0.0);
        let mean = mean_spend(rows);
        [(1.0, 2.0), (4.0, 3.0), (10.0, 5.0), (1.0, 1.5)]
            .iter()
            .map(|&(p, q)| vec![p, q, mean * (q - 1.0) / p])
            .chain(std::iter::once(vec![1.0, 1.0 + q_min, 1.0]))
            .collect()
    }

    fn objective(rows: &SpendData) -> Box<dyn Objective> {
        Box::new(GammaGammaObjective::new(rows, 1.0))
    }
}

impl SpendModel for GammaGamma {
    fn expected_average_spend(&self, frequency: f64, monetary_value: f64) -> Result<f64> {
        GammaGamma::expected_average_spend(self, frequency, monetary_value)
    }

    fn check_finite_mean(&self) -> Result<()> {
        self.mean_spend().map(|_| ())
    }
}

/// Refuses spend data without a maximum-likelihood estimate: every mean spend equal (which
/// includes a single customer).
fn check_identifiable(rows: &SpendData) -> Result<()> {
    let m = rows.monetary_value();
    if let Some(&first) = m.first() {
        if m.iter().all(|&v| v == first) {
            return Err(Error::InvalidInput(format!(
                "all mean spends are equal (field `monetary_value` is {first} in every row \
                 with frequency > 0): the spend model cannot be identified (its likelihood grows \
                 without bound as the spread of spend goes to 0)"
            )));
        }
    }
    Ok(())
}

/// Weighted mean of the mean spends `m_x` (1 when that is not a positive finite number), to
/// scale start points.
fn mean_spend(rows: &SpendData) -> f64 {
    let n = rows.n_customers();
    let mean = rows
        .monetary_value()
        .iter()
        .zip(rows.weights())
        .map(|(m, w)| m * (w / n))
        .sum::<f64>();
    if mean.is_finite() && mean > 0.0 {
        mean
    } else {
        1.0
    }
}

/// A power of two near the weighted geometric mean of the mean spends, moved if need be so
/// that every scaled spend stays within about `2^±1000` (when the spends span more than that,
/// the middle of their range in log scale).
fn spend_scale(rows: &SpendData) -> f64 {
    let m = rows.monetary_value();
    let (sw, swl) = m
        .iter()
        .zip(rows.weights())
        .fold((0.0, 0.0), |(sw, swl), (m, w)| (sw + w, swl + w * m.log2()));
    let lo = m.iter().map(|v| v.log2()).fold(f64::INFINITY, f64::min);
    let hi = m.iter().map(|v| v.log2()).fold(f64::NEG_INFINITY, f64::max);
    let mut e = swl / sw;
    if hi - lo <= 2000.0 {
        e = e.clamp(hi - 1000.0, lo + 1000.0);
    } else {
        e = 0.5 * (hi + lo);
    }
    let e = e.round();
    if e.is_finite() {
        2f64.powi(e.clamp(-1000.0, 1000.0) as i32)
    } else {
        1.0
    }
}

/// `ln(γ + x m)` without overflow.
fn ln_sum(g: f64, x: f64, m: f64) -> f64 {
    let d = g + x * m;
    if d.is_finite() {
        d.ln()
    } else {
        log_add_exp(g.ln(), x.ln() + m.ln())
    }
}

/// The error of a spend that is not finite.
fn overflow(what: &str) -> impl FnOnce(f64) -> String + '_ {
    move |v| format!("{what} exceeds the range of f64 ({v})")
}

/// Checks `(x, m_x)` and that `x > 0`.
fn check_repeat(x: f64, m: f64) -> Result<()> {
    check_customer(x, m)?;
    if x == 0.0 {
        return Err(Error::data(
            1,
            "frequency",
            x,
            "the spend likelihood needs at least one repeat transaction (frequency > 0)",
        ));
    }
    Ok(())
}

/// The Gamma-Gamma likelihood over compressed rows with `x > 0`, spends divided by `scale`;
/// terms that depend only on `x` are computed once per distinct `x`.
struct GammaGammaObjective {
    xs: Vec<f64>,
    x_weight: Vec<f64>,
    /// Σ w ln m_x per distinct x (for the (px−1) ln m_x term).
    x_wlnm: Vec<f64>,
    x_index: Vec<u32>,
    /// Per row: x·m_x, ln(x·m_x), weight.
    xm: Vec<f64>,
    ln_xm: Vec<f64>,
    weight: Vec<f64>,
    n_obs: f64,
}

impl GammaGammaObjective {
    fn new(data: &SpendData, scale: f64) -> Self {
        let scaled: Vec<f64> = data.monetary_value().iter().map(|m| m / scale).collect();
        let FrequencyGroups {
            values: xs,
            index: x_index,
            weight: x_weight,
        } = FrequencyGroups::new(data.frequency(), data.weights());
        let mut x_wlnm = vec![0.0; xs.len()];
        for ((&i, w), m) in x_index.iter().zip(data.weights()).zip(&scaled) {
            x_wlnm[i as usize] += w * m.ln();
        }
        let n_obs = data.n_customers();
        GammaGammaObjective {
            xs,
            x_weight,
            x_wlnm,
            x_index,
            xm: data
                .frequency()
                .iter()
                .zip(&scaled)
                .map(|(x, m)| x * m)
                .collect(),
            ln_xm: data
                .frequency()
                .iter()
                .zip(&scaled)
                .map(|(x, m)| x.ln() + m.ln())
                .collect(),
            weight: data.weights().to_vec(),
            n_obs,
        }
    }
}

impl Objective for GammaGammaObjective {
    fn n_params(&self) -> usize {
        3
    }

    fn n_obs(&self) -> f64 {
        self.n_obs
    }

    fn log_likelihood(&self, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let Some([p, q, g]) = params::<3>(theta, grad.as_deref()) else {
            return f64::NAN;
        };
        let want_grad = grad.is_some();
        // Row sums: Σ w (px+q) ln(γ+xm), Σ w x ln(γ+xm), Σ w ln(γ+xm), Σ w (px+q)/(γ+xm).
        let [s_ll, s_xl, s_l, s_inv] = sum_rows(self.xm.len(), |lo, hi| {
            let mut acc = [0.0; 4];
            for i in lo..hi {
                let x = self.xs[self.x_index[i] as usize];
                let w = self.weight[i];
                let d = g + self.xm[i];
                let l = if d.is_finite() {
                    d.ln()
                } else {
                    log_add_exp(g.ln(), self.ln_xm[i])
                };
                let pxq = p * x + q;
                acc[0] += w * pxq * l;
                if want_grad {
                    acc[1] += w * x * l;
                    acc[2] += w * l;
                    acc[3] += w * pxq / d;
                }
            }
            acc
        });
        let (lg_q, ln_g) = (ln_gamma(q), g.ln());
        let mut ll = -s_ll + self.n_obs * (q * ln_g - lg_q);
        for ((&x, &wx), &wlnm) in self.xs.iter().zip(&self.x_weight).zip(&self.x_wlnm) {
            let px = p * x;
            ll += wx * (ln_gamma_ratio(px, q) + px * x.ln()) + (px - 1.0) * wlnm;
        }
        if let Some(gr) = grad {
            let dg_q = digamma(q);
            let (mut gp, mut gq) = (-s_xl, -s_l + self.n_obs * (ln_g - dg_q));
            for ((&x, &wx), &wlnm) in self.xs.iter().zip(&self.x_weight).zip(&self.x_wlnm) {
                let px = p * x;
                gp += wx * x * (digamma_difference(px, q) + x.ln()) + x * wlnm;
                gq += wx * digamma(px + q);
            }
            gr[0] = gp;
            gr[1] = gq;
            gr[2] = self.n_obs * q / g - s_inv;
        }
        ll
    }

    fn hessian(&self, theta: &[f64]) -> Option<Vec<f64>> {
        self.hessian_at(theta)
    }
}

impl GammaGammaObjective {
    /// The analytic Hessian of the total log-likelihood in `(p, q, γ)`, in one pass over the
    /// rows: the entries in `γ` per row ([`scale_hessian`]), the others per distinct `x`
    /// ([`shape_hessian`]).
    fn hessian_at(&self, theta: &[f64]) -> Option<Vec<f64>> {
        let [p, q, g] = params::<3>(theta, None)?;
        let [pg, qg, gg] = sum_rows(self.xm.len(), |lo, hi| {
            let mut acc = [0.0; 3];
            for i in lo..hi {
                let x = self.xs[self.x_index[i] as usize];
                let h = scale_hessian([p, q, g], x, self.xm[i]);
                for (v, e) in acc.iter_mut().zip(h) {
                    *v += self.weight[i] * e;
                }
            }
            acc
        });
        let (mut pp, mut pq, mut qq) = (0.0, 0.0, 0.0);
        for (&x, &wx) in self.xs.iter().zip(&self.x_weight) {
            let h = shape_hessian(p, q, x);
            pp += wx * h[0];
            pq += wx * h[1];
            qq += wx * h[2];
        }
        let h = vec![pp, pq, pg, pq, qq, qg, pg, qg, gg];
        h.iter().all(|v| v.is_finite()).then_some(h)
    }
}

/// The entries `(pp, pq, qq)` of the Hessian of one customer's log-likelihood
/// ([`GammaGamma::log_likelihood`]) with `x` repeat purchases, which do not depend on `γ` or
/// the spend (`ψ'` the trigamma function): `x² [ψ'(px+q) − ψ'(px)]`, `x ψ'(px+q)`,
/// `ψ'(px+q) − ψ'(q)`.
pub(crate) fn shape_hessian(p: f64, q: f64, x: f64) -> [f64; 3] {
    let px = p * x;
    let t = trigamma(px + q);
    [x * x * trigamma_difference(px, q), x * t, t - trigamma(q)]
}

/// The entries `(pγ, qγ, γγ)` of the Hessian of one customer's log-likelihood at
/// `(p, q, γ)` with `x` repeat purchases of mean spend `m` (`xm = x·m`, `d = γ + xm`): `−x/d`,
/// `1/γ − 1/d = (xm/d)/γ`, `(px+q)/d² − q/γ²`.
pub(crate) fn scale_hessian([p, q, g]: [f64; 3], x: f64, xm: f64) -> [f64; 3] {
    let d = g + xm;
    let qg = if d.is_finite() { (xm / d) / g } else { 1.0 / g };
    [-x / d, qg, (p * x + q) / d / d - q / (g * g)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objective_matches_per_customer_sum_and_gradient() {
        let data = SpendData::with_weights(
            vec![1.0, 2.0, 2.0, 7.0, 1.0],
            vec![10.0, 35.5, 12.25, 50.0, 3.0],
            Some(vec![1.0, 2.0, 1.0, 3.0, 1.5]),
        )
        .unwrap();
        let model = GammaGamma::new(2.5, 3.2, 14.0).unwrap();
        let obj = GammaGammaObjective::new(&data, 1.0);
        let mut g = [0.0; 3];
        let ll = obj.log_likelihood(&model.params(), Some(&mut g));
        let (mut ll2, mut g2) = (0.0, [0.0; 3]);
        for i in 0..data.len() {
            let (x, m, w) = (
                data.frequency()[i],
                data.monetary_value()[i],
                data.weights()[i],
            );
            ll2 += w * model.log_likelihood(x, m).unwrap();
            let gi = model.log_likelihood_gradient(x, m).unwrap();
            for k in 0..3 {
                g2[k] += w * gi[k];
            }
        }
        assert!((ll - ll2).abs() < 1e-10 * ll.abs(), "{ll} vs {ll2}");
        for k in 0..3 {
            assert!(
                (g[k] - g2[k]).abs() < 1e-10 * (1.0 + g[k].abs()),
                "{g:?} {g2:?}"
            );
        }
        // Central differences of the total.
        let theta = model.params();
        for k in 0..3 {
            let h = 1e-6 * theta[k];
            let (mut up, mut dn) = (theta.clone(), theta.clone());
            up[k] += h;
            dn[k] -= h;
            let fd = (obj.log_likelihood(&up, None) - obj.log_likelihood(&dn, None)) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() < 1e-6 * (1.0 + g[k].abs()),
                "{k}: {fd} vs {}",
                g[k]
            );
        }
    }
}
