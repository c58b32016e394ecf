"""The numeric core's typed errors, as the interfaces see them.

The API maps each to its HTTP answer and the CLI to its message; both reach them here, never in
`quant` directly. `QuantError` is the base of every numeric error; `InfeasibleTargetError` means
a target (return or volatility) no portfolio within the bounds reaches; `ConstraintError` an
option or constraint that cannot hold; `DataError` unusable data.
"""

from __future__ import annotations

from quant.errors import ConstraintError, DataError, InfeasibleTargetError, QuantError

__all__ = ["ConstraintError", "DataError", "InfeasibleTargetError", "InputError", "QuantError"]


class InputError(ValueError):
    """An input a use case cannot work with: `field` names the caller's parameter (e.g.
    ``weights``), `problem` says what is wrong with it and `message` (default: "field:
    problem") is the whole sentence."""

    def __init__(self, field: str, problem: str, message: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.message = message or f"{field}: {problem}"
        super().__init__(self.message)
