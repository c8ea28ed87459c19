"""The models: fit to a DataFrame (or any mapping of columns), predict in batch.

Every class wraps the Rust model of the same name. ``Model.fit(data, ...)`` returns a fitted
instance; predictions take data with the same column names (those given to ``fit`` are
remembered) and return numpy arrays in row order; ``predict`` returns a pandas DataFrame keyed by
customer id.
"""

import json

import numpy as np

from . import _clv
from . import _frame
from .covariates import BgNbdCov, GammaGammaCov, MbgNbdCov, ParetoNbdCov, SbgCov

__all__ = ["BgNbd", "MbgNbd", "ParetoNbd", "BgBb", "GammaGamma", "Sbg", "load", "customer_value",
           "BgNbdCov", "MbgNbdCov", "ParetoNbdCov", "GammaGammaCov", "SbgCov"]


class _Model:
    """What every model has: parameters, fit statistics, summary, JSON."""

    _native = None  # the Rust class
    _columns = {}  # our column name -> default name in the data

    def __init__(self, inner, columns=None):
        self._inner = inner
        self.columns = dict(self._columns)
        if columns:
            self.columns.update({k: v for k, v in columns.items() if v is not None})

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_params(cls, params=None, **named):
        """A model with given parameters (a dict by name, a sequence in order, or keywords)."""
        if params is None or isinstance(params, dict):
            params = dict(params or {}, **named)
        if isinstance(params, dict):
            params = [params[n] for n in cls._native.param_names()]
        return cls(cls._native.from_params([float(p) for p in params]))

    @classmethod
    def from_json(cls, text):
        """A fit (or model) saved with :meth:`to_json` or by the Rust API."""
        inner = cls._native.from_json(text)
        data = json.loads(text)
        columns = data.get("columns") if isinstance(data, dict) else None
        return cls(inner, columns)

    def to_json(self):
        """The fit as JSON, exactly as the Rust API serialises it (``clv::Fitted``)."""
        return self._inner.to_json()

    def save(self, path):
        """Writes :meth:`to_json` to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_json())

    # -- parameters and fit statistics -------------------------------------------------------
    @property
    def param_names(self):
        return list(self._native.param_names())

    @property
    def params(self):
        """The parameters by name."""
        return dict(zip(self._native.param_names(), self._inner.params()))

    @property
    def log_likelihood(self):
        return self._inner.log_likelihood()

    @property
    def std_errors(self):
        """Standard errors by name (``None`` when the fit did not converge)."""
        se = self._inner.std_errors()
        return None if se is None else dict(zip(self._native.param_names(), se))

    @property
    def covariance(self):
        """Covariance matrix of the estimates (numpy array), or ``None``."""
        return self._inner.covariance()

    @property
    def converged(self):
        """True only at a verified maximum (see :attr:`status`)."""
        return self._inner.converged()

    @property
    def status(self):
        """``converged``, ``boundary``, ``flat`` or ``not_converged``."""
        return self._inner.status()

    @property
    def boundary_params(self):
        return self._inner.boundary_params()

    @property
    def n_customers(self):
        return self._inner.n_customers()

    @property
    def n_distinct(self):
        return self._inner.n_distinct()

    @property
    def aic(self):
        return self._inner.aic()

    @property
    def bic(self):
        return self._inner.bic()

    @property
    def iterations(self):
        return self._inner.iterations()

    def summary(self):
        """The fit table: estimate, standard error and 95% interval per parameter (a DataFrame
        indexed by parameter; ``attrs`` holds log-likelihood, AIC, BIC, customers, status)."""
        return _frame.summary(self._inner.summary(), dict(
            model=self._native.name(),
            log_likelihood=self.log_likelihood,
            aic=self.aic,
            bic=self.bic,
            n_customers=self.n_customers,
            n_distinct=self.n_distinct,
            status=self.status,
        ))

    def confidence_intervals(self, level=0.95):
        """Wald intervals of the parameters at ``level`` (a DataFrame: lower, upper)."""
        return _frame.intervals(self._inner.confidence_intervals(float(level)), self.param_names)

    def __repr__(self):
        return f"{type(self).__name__}({self._inner!r})"

    # -- columns -----------------------------------------------------------------------------
    def _names(self, overrides):
        names = dict(self.columns)
        names.update({k: v for k, v in overrides.items() if v is not None})
        return names

    @classmethod
    def _fit_names(cls, given):
        names = dict(cls._columns)
        names.update({k: v for k, v in given.items() if v is not None})
        return names


class _Continuous(_Model):
    """BG/NBD, MBG/NBD and Pareto/NBD: customers ``(frequency, recency, T)`` in continuous time."""

    _columns = {"frequency": "frequency", "recency": "recency", "T": "T", "customer_id": "customer_id"}

    @classmethod
    def fit(
        cls,
        data,
        frequency=None,
        recency=None,
        T=None,
        weights=None,
        penalty=0.0,
        max_iterations=None,
        start=None,
        customer_id=None,
        purchase_covariates=None,
        dropout_covariates=None,
        shared_covariates=None,
        references=None,
        covariate_penalty=None,
    ):
        """Maximum-likelihood fit to ``data`` (columns ``frequency, recency, T``; other names
        through the keywords). ``weights``: a column name or an array of customer counts per
        row; ``penalty``: L2 penalty on the log-parameters.

        With ``purchase_covariates`` / ``dropout_covariates`` (column names; ``shared_covariates``:
        one coefficient for both processes) the fit is the model with time-invariant covariates
        (:class:`clv.ParetoNbdCov`, ...): string columns become indicators against the first
        level in sorted order, or ``references={column: level}``; ``covariate_penalty``: L2
        penalty on the coefficients only."""
        names = cls._fit_names(
            {"frequency": frequency, "recency": recency, "T": T, "customer_id": customer_id}
        )
        w = _weights(data, weights)
        if purchase_covariates or dropout_covariates or shared_covariates:
            if start is not None:
                raise _clv_error("start is not available with covariates")
            return cls._Cov._fit(data, names, purchase_covariates, dropout_covariates,
                                 shared_covariates, references, w, penalty, covariate_penalty,
                                 max_iterations)
        x, t_x, t = cls._rows(data, names)
        inner = cls._native.fit(x, t_x, t, w, float(penalty), max_iterations, _start(cls, start))
        return cls(inner, names)

    @staticmethod
    def _rows(data, names):
        return (
            _frame.column(data, names["frequency"], "frequency"),
            _frame.column(data, names["recency"], "recency"),
            _frame.column(data, names["T"], "T"),
        )

    def _data(self, data, names):
        return self._rows(data, self._names(names))

    def probability_alive(self, data, **names):
        """P(alive at T) per row."""
        return self._inner.probability_alive(*self._data(data, names))

    def conditional_expected_transactions(self, data, t, **names):
        """E[Y(t) | frequency, recency, T]: expected transactions in ``(T, T + t]`` per row."""
        return self._inner.conditional_expected_transactions(*self._data(data, names), float(t))

    def probability_alive_at(self, data, t, **names):
        """P(alive at T + t | history) per row."""
        return self._inner.probability_alive_at(*self._data(data, names), float(t))

    def conditional_probability_of_transactions(self, data, n, t, **names):
        """P(Y(t) = n | history) per row."""
        return self._inner.conditional_probability_of_transactions(
            *self._data(data, names), int(n), float(t)
        )

    def conditional_probability_of_transactions_table(self, frequency, recency, T, max_n, horizons):
        """One customer's table: entry ``[i, n]`` is P(Y(horizons[i]) = n | history)."""
        return self._inner.conditional_probability_of_transactions_table(
            float(frequency), float(recency), float(T), int(max_n), [float(h) for h in horizons]
        )

    def discounted_expected_residual_transactions(self, data, delta, **names):
        """DERT at the continuous discount rate ``delta`` per time unit, per row."""
        return self._inner.discounted_expected_residual_transactions(
            *self._data(data, names), float(delta)
        )

    def predictive_interval(self, data, t, level=0.9, **names):
        """The equal-tailed predictive interval of the count in ``(T, T + t]`` per row:
        ``(lower, upper)`` arrays."""
        return self._inner.predictive_interval(*self._data(data, names), float(t), float(level))

    def predictive_total(self, data, t, level=0.9, weights=None, **names):
        """The predictive distribution of the total count in ``(T, T + t]`` of all rows (each
        counting ``weights`` customers): a dict ``mean, variance, lower, upper, level`` (normal
        interval rounded outward to whole counts)."""
        mean, var, lo, hi, lev = self._inner.predictive_total(
            *self._data(data, names), float(t), float(level), _weights(data, weights)
        )
        return {"mean": mean, "variance": var, "lower": lo, "upper": hi, "level": lev}

    def predictive_intervals(self, data, t, level=0.9, **names):
        """:meth:`predictive_interval` as a DataFrame ``lower, upper`` keyed by customer id."""
        lo, hi = self.predictive_interval(data, t, level, **names)
        return _frame.frame({"lower": lo, "upper": hi},
                            index=_frame.ids(data, self._names(names)["customer_id"]))

    def customer_value_intervals(self, spend, data, level=0.9, margin=1.0, discount_rate=0.0,
                                 period=1.0, horizon=None, periods=None, draws=None, seed=0,
                                 monetary_value="monetary_value", **names):
        """Intervals of :meth:`customer_value` per row from the parameter uncertainty of this
        fit and of ``spend`` (a fitted :class:`GammaGamma`): a DataFrame ``estimate, lower,
        upper`` keyed by customer id. Delta method, or ``draws`` parametric draws."""
        cols = self._data(data, names)
        m = _frame.column(data, monetary_value, "monetary_value")
        est, lo, hi = self._inner.customer_value_intervals(
            spend._inner, *cols, m, float(margin), float(discount_rate), float(period),
            float(level), None if horizon is None else float(horizon),
            None if periods is None else int(periods), draws, int(seed),
        )
        return _frame.frame({"estimate": est, "lower": lo, "upper": hi},
                            index=_frame.ids(data, self._names(names)["customer_id"]))

    def expected_transactions(self, t):
        """E[X(t)] of a new customer, for each ``t`` (array)."""
        return self._inner.expected_transactions(_frame.array(t))

    def probability_of_transactions(self, n, t):
        """P(X(t) = n) of a new customer."""
        return self._inner.probability_of_transactions(int(n), float(t))

    def probability_alive_path(self, purchase_times, times):
        """P(alive) of one customer along ``times``, from their purchase times."""
        return self._inner.probability_alive_path(
            [float(v) for v in purchase_times], [float(v) for v in times]
        )

    def prediction_intervals(self, data, what="probability_alive", t=None, delta=None,
                             level=0.9, draws=None, seed=0, **names):
        """Intervals from parameter uncertainty of a batch prediction, per row: a DataFrame
        ``estimate, lower, upper``. ``what``: ``probability_alive``,
        ``conditional_expected_transactions`` (give ``t``) or
        ``discounted_expected_residual_transactions`` (give ``delta``). Delta method, or
        ``draws`` parametric draws seeded by ``seed``."""
        arg = {"conditional_expected_transactions": t,
               "discounted_expected_residual_transactions": delta}.get(what, 0.0)
        if arg is None:
            raise _clv_error(f"prediction_intervals of {what} needs its horizon or rate")
        est, lo, hi = self._inner.prediction_intervals(
            what, *self._data(data, names), float(arg), float(level), draws, int(seed)
        )
        return _frame.frame({"estimate": est, "lower": lo, "upper": hi},
                            index=_frame.ids(data, self._names(names)["customer_id"]))

    def predict(self, data, t, **names):
        """P(alive) and expected transactions over ``t`` per customer: a DataFrame keyed by
        customer id (when the data have the id column)."""
        cols = self._data(data, names)
        return _frame.frame(
            {
                "probability_alive": self._inner.probability_alive(*cols),
                "expected_transactions": self._inner.conditional_expected_transactions(*cols, float(t)),
            },
            index=_frame.ids(data, self._names(names)["customer_id"]),
        )

    def customer_value(self, spend, data, margin=1.0, discount_rate=0.0, period=1.0,
                       horizon=None, periods=None, monetary_value="monetary_value", **names):
        """Discounted CLV per row: margin × E[spend | history] (``spend``, a fitted
        :class:`GammaGamma`) × discounted expected transactions. Discounting at
        ``discount_rate`` per ``period`` time units, continuously over ``horizon`` (forever when
        None) or at the ends of ``periods`` periods."""
        cols = self._data(data, names)
        m = _frame.column(data, monetary_value, "monetary_value")
        return self._inner.customer_value(
            spend._inner, *cols, m, float(margin), float(discount_rate), float(period),
            None if horizon is None else float(horizon), None if periods is None else int(periods),
        )

    def simulate(self, T, seed=0):
        """Simulated customers observed for ``T`` (array): a DataFrame frequency, recency, T,
        alive."""
        x, t_x, t, alive = self._inner.simulate(_frame.array(T), int(seed))
        return _frame.frame({"frequency": x, "recency": t_x, "T": t, "alive": alive.astype(bool)})


class BgNbd(_Continuous):
    """BG/NBD (Fader, Hardie & Lee 2005); parameters r, alpha, a, b."""

    _native = _clv.BgNbd


class MbgNbd(_Continuous):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007); parameters r, alpha, a, b."""

    _native = _clv.MbgNbd


class ParetoNbd(_Continuous):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987); parameters r, alpha, s, beta."""

    _native = _clv.ParetoNbd


class BgBb(_Model):
    """BG/BB (Fader, Hardie & Shang 2010), discrete time: ``frequency`` opportunities with a
    transaction, the last at ``recency``, of ``n`` (also read from ``T`` or ``periods``)."""

    _native = _clv.BgBb
    _columns = {"frequency": "frequency", "recency": "recency", "n": None, "customer_id": "customer_id"}

    @classmethod
    def fit(cls, data, frequency=None, recency=None, n=None, weights=None, penalty=0.0,
            max_iterations=None, start=None, customer_id=None):
        """Maximum-likelihood fit (``weights``: a column name or an array)."""
        names = cls._fit_names(
            {"frequency": frequency, "recency": recency, "n": n, "customer_id": customer_id}
        )
        if names["n"] is None:
            names["n"] = next((c for c in ("n", "periods", "T") if _frame._has(data, c)), "n")
        cols = cls._rows(data, names)
        inner = cls._native.fit(*cols, _weights(data, weights), float(penalty), max_iterations,
                                _start(cls, start))
        return cls(inner, names)

    @staticmethod
    def _rows(data, names):
        n = names["n"] or next((c for c in ("n", "periods", "T") if _frame._has(data, c)), "n")
        return (
            _frame.column(data, names["frequency"], "frequency"),
            _frame.column(data, names["recency"], "recency"),
            _frame.column(data, n, "n"),
        )

    def _data(self, data, names):
        return self._rows(data, self._names(names))

    def probability_alive(self, data, **names):
        """P(alive at opportunity n) per row."""
        return self._inner.probability_alive(*self._data(data, names))

    def conditional_expected_transactions(self, data, t, **names):
        """Expected transactions in the next ``t`` opportunities per row."""
        return self._inner.conditional_expected_transactions(*self._data(data, names), int(t))

    def discounted_expected_residual_transactions(self, data, d, **names):
        """DERT at the discount rate ``d`` per opportunity, per row."""
        return self._inner.discounted_expected_residual_transactions(*self._data(data, names), float(d))

    def expected_transactions(self, n):
        return self._inner.expected_transactions(int(n))

    def predictive_interval(self, data, t, level=0.9, **names):
        """Per row, the equal-tailed predictive interval of the count in the next ``t``
        opportunities: ``(lower, upper)`` arrays."""
        return self._inner.predictive_interval(*self._data(data, names), int(t), float(level))

    def predictive_total(self, data, t, level=0.9, weights=None, **names):
        """The predictive total count in the next ``t`` opportunities of all rows (each counting
        ``weights`` customers): a dict ``mean, variance, lower, upper, level``."""
        mean, var, lo, hi, lev = self._inner.predictive_total(
            *self._data(data, names), int(t), float(level), _weights(data, weights)
        )
        return {"mean": mean, "variance": var, "lower": lo, "upper": hi, "level": lev}

    def probability_of_transactions(self, x, n):
        return self._inner.probability_of_transactions(int(x), int(n))

    def predict(self, data, t, **names):
        cols = self._data(data, names)
        return _frame.frame(
            {
                "probability_alive": self._inner.probability_alive(*cols),
                "expected_transactions": self._inner.conditional_expected_transactions(*cols, int(t)),
            },
            index=_frame.ids(data, self._names(names)["customer_id"]),
        )


class GammaGamma(_Model):
    """Gamma-Gamma spend per transaction; parameters p, q, gamma. Rows with frequency 0 are
    kept for predictions (the population mean) and skipped by the fit."""

    _native = _clv.GammaGamma
    _columns = {"frequency": "frequency", "monetary_value": "monetary_value", "customer_id": "customer_id"}

    @classmethod
    def fit(cls, data, frequency=None, monetary_value=None, weights=None, penalty=0.0,
            max_iterations=None, start=None, finite_mean=False, customer_id=None,
            spend_covariates=None, references=None, covariate_penalty=None):
        """Maximum-likelihood fit; ``finite_mean=True`` constrains q > 1 (a finite mean
        spend). With ``spend_covariates`` (column names; strings become indicators), the
        Gamma-Gamma with covariates on the scale (:class:`clv.GammaGammaCov`)."""
        names = cls._fit_names({"frequency": frequency, "monetary_value": monetary_value,
                                "customer_id": customer_id})
        if spend_covariates:
            if start is not None or finite_mean:
                raise _clv_error("start and finite_mean are not available with covariates")
            return GammaGammaCov._fit(data, names, spend_covariates, references,
                                      _weights(data, weights), penalty, covariate_penalty,
                                      max_iterations)
        x, m = cls._rows(data, names)
        inner = cls._native.fit(x, m, _weights(data, weights), float(penalty), max_iterations,
                                _start(cls, start), bool(finite_mean))
        return cls(inner, names)

    @staticmethod
    def _rows(data, names):
        return (
            _frame.column(data, names["frequency"], "frequency"),
            _frame.column(data, names["monetary_value"], "monetary_value"),
        )

    @staticmethod
    def n_skipped(data, frequency="frequency", monetary_value="monetary_value"):
        """Customers (rows) with frequency 0: kept for predictions, skipped by the fit."""
        return _clv.GammaGamma.n_skipped_rows(
            _frame.column(data, frequency, "frequency"),
            _frame.column(data, monetary_value, "monetary_value"),
        )

    def expected_average_spend(self, data, **names):
        """E[spend per transaction | frequency, monetary_value] per row."""
        return self._inner.expected_average_spend(*self._rows(data, self._names(names)))

    def mean_spend(self):
        """The population mean spend per transaction."""
        return self._inner.mean_spend()

    def simulate(self, frequency, seed=0):
        """Simulated mean spend for customers with the given frequencies (a DataFrame)."""
        x, m = self._inner.simulate(_frame.array(frequency), int(seed))
        return _frame.frame({"frequency": x, "monetary_value": m})


class Sbg(_Model):
    """Shifted-beta-geometric (Fader & Hardie 2007), contractual; parameters alpha, beta.

    ``fit`` takes individual lifetimes (columns ``duration, churned``, optional weights) or
    cohort survival counts (a column ``alive`` with an optional ``cohort`` column, rows in
    period order from period 0, or ``cohorts=`` a dict of name -> counts)."""

    _native = _clv.Sbg
    _columns = {"duration": "duration", "churned": "churned"}

    @classmethod
    def fit(cls, data=None, duration=None, churned=None, weights=None, penalty=0.0,
            max_iterations=None, start=None, alive=None, cohort=None, cohorts=None,
            covariates=None, references=None):
        """See the class; with ``covariates`` (columns of individual lifetimes; strings become
        indicators), the sBG with covariates on beta (:class:`clv.SbgCov`)."""
        if covariates:
            names = cls._fit_names({"duration": duration, "churned": churned})
            return SbgCov._fit(data, names, covariates, references, _weights(data, weights),
                               penalty, max_iterations)
        if cohorts is None and data is not None and (
            alive is not None or _frame._has(data, "alive")
        ):
            alive_col = _frame.column(data, alive or "alive", "alive")
            cohort_col = _frame.ids(data, cohort or "cohort")
            if cohort_col is None:
                cohorts = {"1": alive_col}
            else:
                cohorts = {}
                for name, a in zip(cohort_col, alive_col):
                    cohorts.setdefault(str(name), []).append(a)
        if cohorts is not None:
            if not isinstance(cohorts, dict):
                cohorts = {str(i + 1): c for i, c in enumerate(cohorts)}
            names = list(cohorts)
            inner = cls._native.fit_cohorts(
                [[float(v) for v in cohorts[n]] for n in names], names, float(penalty), max_iterations
            )
            return cls(inner)
        names = cls._fit_names({"duration": duration, "churned": churned})
        d = _frame.column(data, names["duration"], "duration")
        c = _frame.column(data, names["churned"], "churned")
        inner = cls._native.fit(d, c, _weights(data, weights), float(penalty), max_iterations,
                                _start(cls, start))
        return cls(inner, names)

    def survival(self, t):
        """S(t) = P(still a customer after t periods), for each t."""
        return self._inner.survival(_frame.array(t))

    def retention_rate(self, t):
        """r(t) = S(t)/S(t−1), for each t ≥ 1."""
        return self._inner.retention_rate(_frame.array(t))

    def probability_of_churn_in(self, t):
        """P(T = t), for each t ≥ 1."""
        return self._inner.probability_of_churn_in(_frame.array(t))

    def expected_lifetime(self):
        return self._inner.expected_lifetime()

    def discounted_expected_lifetime(self, d):
        return self._inner.discounted_expected_lifetime(float(d))

    def discounted_expected_residual_lifetime(self, d, renewals):
        return self._inner.discounted_expected_residual_lifetime(float(d), int(renewals))

    def residual_value(self, d, renewals, margin):
        return self._inner.residual_value(float(d), int(renewals), float(margin))

    def simulate(self, horizons, seed=0):
        """Simulated lifetimes of customers observed for ``horizons`` periods (a DataFrame)."""
        d, c = self._inner.simulate(_frame.array(horizons), int(seed))
        return _frame.frame({"duration": d, "churned": c.astype(bool)})


for _plain, _cov in ((BgNbd, BgNbdCov), (MbgNbd, MbgNbdCov), (ParetoNbd, ParetoNbdCov),
                     (GammaGamma, GammaGammaCov), (Sbg, SbgCov)):
    _plain._Cov = _cov
    _cov._base = _plain

_MODELS = {cls._native.name(): cls for cls in (BgNbd, MbgNbd, ParetoNbd, BgBb, GammaGamma, Sbg)}


def load(path_or_json, model=None):
    """A fit saved by :meth:`save` (or the Rust API): a path or the JSON text. ``model``: the
    class, when the JSON does not name it."""
    text = path_or_json
    if not str(path_or_json).lstrip().startswith("{"):
        with open(path_or_json, encoding="utf-8") as f:
            text = f.read()
    if model is None:
        name = json.loads(text).get("model")
        model = _MODELS.get(name)
        if model is None:
            raise _clv_error(f"the JSON names no known model ({name!r}): pass model=")
    return model.from_json(text)


def customer_value(model, spend, data, **kwargs):
    """Discounted CLV per row; see :meth:`BgNbd.customer_value`."""
    return model.customer_value(spend, data, **kwargs)


def _weights(data, weights):
    if weights is None:
        return None
    if isinstance(weights, str):
        return _frame.column(data, weights, "weights")
    return _frame.array(weights)


def _start(cls, start):
    if start is None:
        return None
    if isinstance(start, dict):
        return [float(start[n]) for n in cls._native.param_names()]
    return [float(v) for v in start]


def _clv_error(message):
    from .errors import ClvError

    return ClvError(message)
