"""Columns in, columns out: pandas or polars DataFrames, numpy structured arrays or any mapping
of column name to array-like. Columns go to Rust as contiguous float64 numpy arrays."""

import numpy as np

from .errors import ClvError


def _has(data, name):
    try:
        cols = data.columns  # pandas, polars
    except AttributeError:
        names = getattr(getattr(data, "dtype", None), "names", None)  # numpy structured
        if names is not None:
            return name in names
        return name in data
    return name in list(cols)


def _raw(data, name):
    col = data[name]
    to_numpy = getattr(col, "to_numpy", None)
    return to_numpy() if to_numpy is not None else col


def column(data, name, field=None):
    """Column ``name`` of ``data`` as a contiguous float64 array (``field``: our name for it)."""
    if not _has(data, name):
        what = name if field is None or field == name else f"{name} (the {field} column)"
        raise ClvError(f"the data has no column {what}")
    try:
        return np.ascontiguousarray(np.asarray(_raw(data, name), dtype=np.float64))
    except (TypeError, ValueError) as e:
        raise ClvError(f"column {name} is not numeric: {e}") from None


def optional(data, name, field=None):
    """Column ``name`` as :func:`column`, or ``None`` when ``name`` is None or absent."""
    if name is None or not _has(data, name):
        return None
    return column(data, name, field)


def ids(data, name):
    """The customer-id column, or a pandas index of that name (as :func:`summarize` returns),
    when present (else ``None``)."""
    if name is None:
        return None
    if _has(data, name):
        return np.asarray(_raw(data, name))
    index = getattr(data, "index", None)
    if index is not None and getattr(index, "name", None) == name:
        return np.asarray(index)
    return None


def array(values):
    """Any array-like or scalar as a contiguous float64 array (at least one dimension)."""
    return np.ascontiguousarray(np.atleast_1d(np.asarray(values, dtype=np.float64)))


def frame(columns, index=None, index_name="customer_id"):
    """A pandas DataFrame of ``columns`` (a dict), indexed by customer id when given."""
    import pandas as pd

    df = pd.DataFrame(columns)
    if index is not None:
        df.index = pd.Index(index, name=index_name)
    return df


def summary(rows, attrs):
    """The fit table of ``(name, estimate, std_error, lower, upper)`` rows (a DataFrame indexed
    by parameter; absent values NaN), with ``attrs``."""
    nan = float("nan")
    df = frame(
        {
            "estimate": [r[1] for r in rows],
            "std_error": [nan if r[2] is None else r[2] for r in rows],
            "lower_95": [nan if r[3] is None else r[3] for r in rows],
            "upper_95": [nan if r[4] is None else r[4] for r in rows],
        },
        index=[r[0] for r in rows],
        index_name="param",
    )
    df.attrs.update(attrs)
    return df


def intervals(ci, names):
    """Wald intervals ``[(lower, upper)]`` as a DataFrame indexed by parameter."""
    return frame({"lower": [c[0] for c in ci], "upper": [c[1] for c in ci]}, index=names,
                 index_name="param")
