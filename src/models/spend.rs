//! The spend model of customer value ([`SpendModel`]): what a valuation asks of a model of the
//! spend per transaction.

use crate::error::Result;

/// A model of the spend per transaction, as used in customer value.
pub trait SpendModel {
    /// Expected spend per future transaction of a customer with `x` repeat transactions of mean
    /// value `m_x` (the population mean when `x = 0`).
    ///
    /// # Errors
    /// [`Error::InvalidData`](crate::Error::InvalidData) for an invalid `(x, m_x)`; [`Error::InvalidParameter`](crate::Error::InvalidParameter) when the
    /// expectation is infinite.
    fn expected_average_spend(&self, frequency: f64, monetary_value: f64) -> Result<f64>;

    /// Checks that the model's population mean spend is finite (a valuation refuses it otherwise).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) when the mean spend is infinite.
    fn check_finite_mean(&self) -> Result<()>;
}
