"""The one exception hierarchy raised by the numeric core.

Every error names the problem and, where there is one, the offending asset, field or value, so a
caller (an agent's tool, the API) can relay the message to a user unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class QuantError(ValueError):
    """Base class of every error raised by `quant`."""


class DataError(QuantError):
    """Market data or returns that cannot be used as given (NaN, inf, bad prices, bad dates)."""


class InsufficientDataError(DataError):
    """Too few observations or assets for the requested computation."""


class CovarianceError(QuantError):
    """A covariance matrix that is malformed or not positive semi-definite."""


class ConstraintError(QuantError):
    """Bounds, budgets or parameters that no portfolio can satisfy."""


class InfeasibleTargetError(ConstraintError):
    """A return or risk target outside the achievable range; the message states that range."""

    def __init__(self, message: str, *, achievable: tuple[float, float]) -> None:
        super().__init__(message)
        self.achievable = achievable


class SolverError(QuantError):
    """A numerical routine failed to reach the required accuracy."""


class SearchSpaceError(ConstraintError):
    """A search space, budget or search option that cannot be used; names the field and value."""


class NoFeasibleTrialError(ConstraintError):
    """No trial satisfied the constraints; `trials` holds every trial and its margins."""

    def __init__(self, message: str, *, trials: pd.DataFrame) -> None:
        super().__init__(message)
        self.trials = trials


class PricingError(QuantError):
    """Option inputs that cannot be priced (non-finite, non-positive spot or strike, ...)."""


class NoImpliedVolatilityError(PricingError):
    """A premium that no volatility reproduces; `index` is the element (flat order) that failed."""

    def __init__(self, message: str, *, index: int) -> None:
        super().__init__(message)
        self.index = index
