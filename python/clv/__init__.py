"""clv: probabilistic customer-lifetime-value models, fitted in Rust.

>>> import clv
>>> f = clv.BgNbd.fit(df)                    # columns frequency, recency, T
>>> f.params, f.std_errors, f.converged
>>> f.probability_alive(df)                  # numpy array, row order
>>> f.conditional_expected_transactions(df, 39)
"""

from . import errors
from .errors import (
    ClvError,
    InvalidDataError,
    InvalidParameterError,
    NotConvergedError,
    NumericalError,
)
from .log import calibration_holdout, compress, days, read_cdnow, summarize
from .models import BgBb, BgNbd, GammaGamma, MbgNbd, ParetoNbd, Sbg, customer_value, load

__all__ = [
    "BgNbd",
    "MbgNbd",
    "ParetoNbd",
    "BgBb",
    "GammaGamma",
    "Sbg",
    "customer_value",
    "load",
    "summarize",
    "calibration_holdout",
    "compress",
    "read_cdnow",
    "days",
    "errors",
    "ClvError",
    "InvalidDataError",
    "InvalidParameterError",
    "NotConvergedError",
    "NumericalError",
]
__version__ = "0.1.0"
