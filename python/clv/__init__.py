"""clv: probabilistic customer-lifetime-value models, fitted in Rust.

>>> import clv
>>> f = clv.BgNbd.fit(df)                    # columns frequency, recency, T
>>> f.params, f.std_errors, f.converged
>>> f.probability_alive(df)                  # numpy array, row order
>>> f.conditional_expected_transactions(df, 39)
>>> g = clv.ParetoNbd.fit(df, purchase_covariates=["channel"], dropout_covariates=["age"])
>>> clv.cohort_retention(log, period="quarter")
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
from .covariates import BgNbdCov, GammaGammaCov, MbgNbdCov, ParetoNbdCov, SbgCov
from .insight import (acquisition_ceiling, acquisition_ceiling_by_profile, cohort_retention,
                      report, segments)

__all__ = [
    "BgNbd",
    "MbgNbd",
    "ParetoNbd",
    "BgBb",
    "GammaGamma",
    "Sbg",
    "BgNbdCov",
    "MbgNbdCov",
    "ParetoNbdCov",
    "GammaGammaCov",
    "SbgCov",
    "cohort_retention",
    "segments",
    "acquisition_ceiling",
    "report",
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
