"""Models with time-invariant covariates (the Rust ``clv::models::covariates``).

``clv.ParetoNbd.fit(df, purchase_covariates=[...], dropout_covariates=[...])`` (and BgNbd,
MbgNbd) returns a :class:`ParetoNbdCov` (:class:`BgNbdCov`, :class:`MbgNbdCov`);
``clv.GammaGamma.fit(df, spend_covariates=[...])`` a :class:`GammaGammaCov`;
``clv.Sbg.fit(df, covariates=[...])`` (individual lifetimes) an :class:`SbgCov`.

Covariates are columns of the data. A numeric column enters as it is; a string (or
categorical) column becomes indicator columns ``<column>_<level>``, one per level but the
reference level (the first in sorted order, or the one named in ``references``), as
``clv::data::categorical::Indicators`` builds them. Parameter names are those of the Rust API
and the JSON of ``examples/fit``: the base parameters, then ``purchase.<col>``,
``dropout.<col>`` (Pareto/NBD), ``dropout_a.<col>``, ``dropout_b.<col>`` (BG/NBD, MBG/NBD),
``shared.<col>``, ``spend.<col>``, ``retention.<col>``.
"""

import numpy as np

from . import _clv
from . import _frame
from .errors import ClvError, InvalidDataError

__all__ = ["ParetoNbdCov", "BgNbdCov", "MbgNbdCov", "GammaGammaCov", "SbgCov"]


def _is_numeric(values):
    return np.asarray(values).dtype.kind in "iufb"


def _levels_text(values):
    """Category values as stripped text, a numpy array of ``str``: missing values (None, NaN)
    become blank (refused by the Rust side, naming the row)."""
    values = np.asarray(values, dtype=object)
    missing = (values != values) | np.equal(values, None)
    text = np.char.strip(values.astype(str))
    text[missing] = ""
    return text


class Design:
    """How covariate columns of the data become the model's numeric columns: numeric columns
    as they are, categorical ones as indicators (levels fixed at fit time)."""

    def __init__(self, numeric, categorical):
        self.numeric = list(numeric)  # source columns used as numbers
        self.categorical = dict(categorical)  # source column -> (reference, [indicator names])

    @classmethod
    def build(cls, data, sources, references=None):
        """The design of the source columns ``sources`` (in order) of ``data``; returns the
        design, the model's column names, their values, and a map source -> model names."""
        references = dict(references or {})
        numeric, categorical, names, columns, expand = [], {}, [], [], {}
        for src in sources:
            if not _frame._has(data, src):
                raise ClvError(f"the data has no covariate column {src}")
            raw = _frame._raw(data, src)
            if _is_numeric(raw) and src not in references:
                numeric.append(src)
                names.append(src)
                columns.append(_frame.column(data, src, src).tolist())
                expand[src] = [src]
            else:
                ref, ind_names, ind_cols = _clv.indicators(
                    src, _levels_text(raw).tolist(), references.get(src)
                )
                categorical[src] = (ref, list(ind_names))
                names.extend(ind_names)
                columns.extend(ind_cols)
                expand[src] = list(ind_names)
        return cls(numeric, categorical), names, columns, expand

    def columns(self, data, names):
        """The model's columns ``names`` from ``data`` (same rules as at fit time)."""
        cache, out = {}, []
        for name in names:
            if name in self.numeric:
                out.append(_frame.column(data, name, name).tolist())
                continue
            src = next(
                (s for s, (_, ind) in self.categorical.items() if name in ind), None
            )
            if src is None:
                raise ClvError(f"the model has no covariate column {name}")
            if src not in cache:
                if not _frame._has(data, src):
                    raise ClvError(f"the data has no covariate column {src}")
                text = _levels_text(_frame._raw(data, src))
                ref, ind = self.categorical[src]
                known = {ref} | {n[len(src) + 1:] for n in ind}
                unseen = np.flatnonzero(~np.isin(text, sorted(known)))
                if unseen.size:
                    i, t = int(unseen[0]), str(text[unseen[0]])
                    raise InvalidDataError(
                        f"invalid input at row {i + 1}, field `{src}`: level {t!r} was not "
                        f"seen in the fit (levels {sorted(known)})", i + 1, src, t)
                cache[src] = text
            level = name[len(src) + 1:]
            out.append((cache[src] == level).astype(np.float64).tolist())
        return out

    def vector(self, names, values):
        """One customer's covariates: ``values`` maps source columns to a number or a level."""
        z = []
        for name in names:
            if name in self.numeric:
                if name not in values:
                    raise ClvError(f"no value of covariate {name}")
                z.append(float(values[name]))
                continue
            src = next(s for s, (_, ind) in self.categorical.items() if name in ind)
            if src not in values:
                raise ClvError(f"no value of covariate {src}")
            ref, ind = self.categorical[src]
            level = str(values[src]).strip()
            if level != ref and f"{src}_{level}" not in ind:
                raise ClvError(f"{src} = {level!r} is not a level seen in the fit")
            z.append(1.0 if name == f"{src}_{level}" else 0.0)
        return z


def _sources(*lists):
    """The source columns of several lists, each once, in order of first mention."""
    out = []
    for lst in lists:
        for c in lst or []:
            if c not in out:
                out.append(c)
    return out


def _expanded(lst, expand):
    return [n for c in (lst or []) for n in expand[c]]


class _CovFit:
    """What every fit with covariates has."""

    _base = None  # the Python class of the model without covariates

    def __init__(self, inner, design, columns):
        self._inner = inner
        self.design = design
        self.columns = dict(columns)

    @property
    def param_names(self):
        """The base parameters, then one name per coefficient (``purchase.<col>``, ...)."""
        return list(self._inner.names())

    @property
    def params(self):
        return dict(zip(self._inner.names(), self._inner.params()))

    @property
    def covariate_columns(self):
        """The model's covariate columns (indicators named ``<column>_<level>``)."""
        return list(self._inner.columns())

    @property
    def std_errors(self):
        se = self._inner.std_errors()
        return None if se is None else dict(zip(self._inner.names(), se))

    @property
    def covariance(self):
        return self._inner.covariance()

    log_likelihood = property(lambda self: self._inner.log_likelihood())
    converged = property(lambda self: self._inner.converged())
    status = property(lambda self: self._inner.status())
    boundary_params = property(lambda self: self._inner.boundary_params())
    n_customers = property(lambda self: self._inner.n_customers())
    n_distinct = property(lambda self: self._inner.n_distinct())
    aic = property(lambda self: self._inner.aic())
    bic = property(lambda self: self._inner.bic())
    iterations = property(lambda self: self._inner.iterations())

    @property
    def lr_test(self):
        """The likelihood-ratio test against the model without covariates on the same
        customers: ``{"statistic", "df", "p_value"}`` (``None`` when either fit did not
        converge), as ``"lr_test"`` of ``examples/fit``."""
        t = self._inner.lr_test()
        return None if t is None else {"statistic": t[0], "df": t[1], "p_value": t[2]}

    def summary(self):
        return _frame.summary(self._inner.summary(), dict(
            model=self._base._native.name(), log_likelihood=self.log_likelihood, aic=self.aic,
            bic=self.bic, n_customers=self.n_customers, n_distinct=self.n_distinct,
            status=self.status, lr_test=self.lr_test))

    def confidence_intervals(self, level=0.95):
        return _frame.intervals(self._inner.confidence_intervals(float(level)), self.param_names)

    def to_json(self):
        """The fit as JSON, as the Rust API serialises it."""
        return self._inner.to_json()

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_json())

    def customer_model(self, covariates=None, **values):
        """The model without covariates of one customer with these covariates (a dict or
        keywords by source column; a categorical column takes its level): an existing
        customer or a new one described only by covariates. Every prediction of the base
        class applies to it (``expected_transactions``, ``probability_alive``, ...)."""
        values = dict(covariates or {}, **values)
        z = self.design.vector(self.covariate_columns, values)
        return self._base.from_params(self._inner.customer_params(z))

    def _z(self, data):
        names = self.covariate_columns
        return names, self.design.columns(data, names)

    def __repr__(self):
        return f"{type(self).__name__}({self.params})"


class _TransactionCov(_CovFit):
    @classmethod
    def _fit(cls, data, names, purchase, dropout, shared, references, weights, penalty,
             covariate_penalty, max_iterations):
        design, cols, values, expand = Design.build(
            data, _sources(purchase, dropout, shared), references
        )
        x, t_x, t = cls._base._rows(data, names)
        inner = cls._native.fit(
            x, t_x, t, cols, values, _expanded(purchase, expand), _expanded(dropout, expand),
            _expanded(shared, expand), weights, float(penalty),
            None if covariate_penalty is None else float(covariate_penalty), max_iterations,
        )
        return cls(inner, design, names)

    def _rows(self, data, names):
        n = dict(self.columns)
        n.update({k: v for k, v in names.items() if v is not None})
        return self._base._rows(data, n)

    def _predict(self, what, data, names, arg=0.0, n=0):
        cov_names, cov_values = self._z(data)
        return self._inner.predict(what, *self._rows(data, names), cov_names, cov_values,
                                   float(arg), int(n))

    def probability_alive(self, data, **names):
        """P(alive at T) per row, with the row's covariates."""
        return self._predict("probability_alive", data, names)

    def conditional_expected_transactions(self, data, t, **names):
        """E[Y(t) | history, covariates] per row."""
        return self._predict("conditional_expected_transactions", data, names, t)

    def discounted_expected_residual_transactions(self, data, delta, **names):
        return self._predict("discounted_expected_residual_transactions", data, names, delta)

    def probability_alive_at(self, data, t, **names):
        return self._predict("probability_alive_at", data, names, t)

    def conditional_probability_of_transactions(self, data, n, t, **names):
        return self._predict("conditional_probability_of_transactions", data, names, t, n)

    def prediction_intervals(self, data, what="probability_alive", t=None, delta=None,
                             level=0.9, draws=None, seed=0, **names):
        """Intervals from parameter uncertainty (base parameters and coefficients) of a
        prediction per row with the row's covariates: a DataFrame ``estimate, lower, upper``
        keyed by customer id. ``what`` and the arguments as
        :meth:`clv.BgNbd.prediction_intervals`."""
        arg = {"conditional_expected_transactions": t,
               "discounted_expected_residual_transactions": delta}.get(what, 0.0)
        if arg is None:
            raise ClvError(f"prediction_intervals of {what} needs its horizon or rate")
        cov_names, cov_values = self._z(data)
        est, lo, hi = self._inner.prediction_intervals(
            what, *self._rows(data, names), cov_names, cov_values, float(arg), float(level),
            draws, int(seed))
        n = dict(self.columns)
        n.update({k: v for k, v in names.items() if v is not None})
        return _frame.frame({"estimate": est, "lower": lo, "upper": hi},
                            index=_frame.ids(data, n.get("customer_id")))

    def predictive_interval(self, data, t, level=0.9, **names):
        """Per row, the equal-tailed predictive interval of the count in ``(T, T + t]``:
        ``(lower, upper)`` arrays."""
        cov_names, cov_values = self._z(data)
        return self._inner.predictive_interval(*self._rows(data, names), cov_names, cov_values,
                                               float(t), float(level))

    def predict(self, data, t, **names):
        """P(alive) and expected transactions over ``t`` per customer (a DataFrame keyed by
        customer id when the data have it)."""
        return _frame.frame(
            {
                "probability_alive": self.probability_alive(data, **names),
                "expected_transactions": self.conditional_expected_transactions(data, t, **names),
            },
            index=_frame.ids(data, self.columns.get("customer_id")),
        )


class ParetoNbdCov(_TransactionCov):
    """Pareto/NBD with covariates: ``alpha_i = alpha0 exp(-purchase'z)``,
    ``beta_i = beta0 exp(-dropout'z)``."""

    _native = _clv.ParetoNbdCov


class BgNbdCov(_TransactionCov):
    """BG/NBD with covariates: ``alpha_i = alpha0 exp(-purchase'z)``,
    ``a_i = a0 exp(dropout_a'z)``, ``b_i = b0 exp(dropout_b'z)``."""

    _native = _clv.BgNbdCov


class MbgNbdCov(_TransactionCov):
    """MBG/NBD with covariates, of the BG/NBD form."""

    _native = _clv.MbgNbdCov


class GammaGammaCov(_CovFit):
    """Gamma-Gamma with covariates on the scale: ``gamma_i = gamma0 exp(spend'z)``
    (``spend.<col>`` > 0: spends more)."""

    _native = _clv.GammaGammaCov

    @classmethod
    def _fit(cls, data, names, spend, references, weights, penalty, covariate_penalty,
             max_iterations):
        design, cols, values, expand = Design.build(data, _sources(spend), references)
        x, m = cls._base._rows(data, names)
        inner = cls._native.fit(x, m, cols, values, _expanded(spend, expand), weights,
                                float(penalty),
                                None if covariate_penalty is None else float(covariate_penalty),
                                max_iterations)
        return cls(inner, design, names)

    def expected_average_spend(self, data, **names):
        """E[spend per transaction | frequency, monetary_value, covariates] per row."""
        n = dict(self.columns)
        n.update({k: v for k, v in names.items() if v is not None})
        x, m = self._base._rows(data, n)
        return self._inner.expected_average_spend(x, m, self._z(data)[1])


class SbgCov(_CovFit):
    """sBG on individual lifetimes with covariates on beta: ``beta_i = beta0 exp(retention'z)``
    (``retention.<col>`` > 0: stays longer)."""

    _native = _clv.SbgCov

    @classmethod
    def _fit(cls, data, names, covariates, references, weights, penalty, max_iterations):
        design, cols, values, _ = Design.build(data, _sources(covariates), references)
        d = _frame.column(data, names["duration"], "duration")
        c = _frame.column(data, names["churned"], "churned")
        inner = cls._native.fit(d, c, cols, values, weights, float(penalty), max_iterations)
        return cls(inner, design, names)
