"""Exceptions raised by clv: every one is a ``ValueError`` subclass of :class:`ClvError`."""


class ClvError(ValueError):
    """An error of the clv library: invalid input, a fit that fails, a numerical failure."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class InvalidDataError(ClvError):
    """Bad input at one row and field. ``row`` counts from 1 in the order of the rows given."""

    def __init__(self, message, row, field, value):
        super().__init__(message)
        self.row = row
        self.field = field
        self.value = value


class InvalidParameterError(ClvError):
    """A parameter or option outside its domain (``name`` says which)."""

    def __init__(self, message, name):
        super().__init__(message)
        self.name = name


class NotConvergedError(ClvError):
    """The fit found no maximum (no finite start point, or nothing better than a start)."""


class NumericalError(ClvError):
    """A value that does not evaluate to a finite number."""
