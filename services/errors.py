"""The errors of the use cases, as the interfaces see them: the numeric core's typed errors and
the use cases' own input errors.

The API maps each to its HTTP answer and the CLI to its message; both reach them here, never in
`quant` directly. `QuantError` is the base of every numeric error; `InfeasibleTargetError` means
a target (return or volatility) no portfolio within the bounds reaches; `ConstraintError` an
option or constraint that cannot hold; `DataError` unusable data. A use case's own input errors
are `InputError` (naming the caller's parameter) and `NotFoundInputError` (an input naming
something the caller does not have).
"""

from __future__ import annotations

from quant.errors import ConstraintError, DataError, InfeasibleTargetError, QuantError

__all__ = [
    "ConstraintError",
    "DataError",
    "InfeasibleTargetError",
    "InputError",
    "NotFoundInputError",
    "QuantError",
]


class InputError(ValueError):
    """An input a use case cannot work with: `field` names the caller's parameter (e.g.
    ``weights``), `problem` says what is wrong with it and `message` (default: "field:
    problem") is the whole sentence."""

    def __init__(self, field: str, problem: str, message: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.message = message or f"{field}: {problem}"
        super().__init__(self.message)


class NotFoundInputError(InputError):
    """An input naming something the caller does not have (a dataset, a portfolio): `field`
    names the input, `problem` says what is missing ("no dataset 'ds_x'") and `message` is the
    whole sentence ("dataset 'ds_x' not found"). The interfaces answer "not found"."""
