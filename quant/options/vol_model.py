"""An implied-volatility model for when option quotes are few or none.

Implied volatility is set from the underlying's realised volatility, a variance risk premium and a
skew by moneyness:

    atm_vol(rv)    = sqrt(rv**2 + variance_risk_premium)
    vol(rv, m)     = clip(atm_vol(rv) * m ** (-skew), min_volatility, max_volatility)

A model given an observed at-the-money level (`with_observed_atm`: what the broker's option
quotes gave, e.g. the implied-volatility history) takes it as `atm_vol` instead of the realised
estimate, keeping the skew and the bounds; the realised volatility is then unused. The level is
not a setting: it is never read from or written to the model's fields (a strategy's or a
request's `vol_model`), and the engine's compiled kernels (`as_tuple`) price on realised
volatility only.

where ``rv`` is the annualised realised volatility (sample standard deviation, ddof=1, of the last
`realised_window` daily simple returns, times sqrt(252)) and ``m = strike / spot`` is the option's
moneyness. With the defaults (premium 0.01, skew 1.5) a 15 % realised volatility gives an
at-the-money implied volatility of 18 % and a 90 % put 21.1 %: index options usually trade
above realised volatility (the variance risk premium) and downside strikes above upside ones.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from quant.errors import PricingError

if TYPE_CHECKING:
    import numpy as np


class ImpliedVolModel(BaseModel):
    """Parameters of the implied-volatility model (see the module docstring).

    variance_risk_premium: added to the realised variance, annualised variance units (0.01 is
        one "variance point": 15 % realised becomes 18 % implied at the money).
    skew: exponent of the moneyness factor ``(strike/spot) ** -skew`` (0 means a flat smile).
    realised_window: trading days of returns behind the realised volatility (>= 2).
    min_volatility, max_volatility: bounds of the implied volatility, annualised.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    variance_risk_premium: float = Field(default=0.01, ge=0, le=1, allow_inf_nan=False)
    skew: float = Field(default=1.5, ge=0, le=20, allow_inf_nan=False)
    realised_window: int = Field(default=21, ge=2, le=756)
    min_volatility: float = Field(default=0.05, gt=0, allow_inf_nan=False)
    max_volatility: float = Field(default=3.0, gt=0, le=100, allow_inf_nan=False)
    _observed_atm: float | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _bounds_ordered(self) -> ImpliedVolModel:
        if self.min_volatility >= self.max_volatility:
            raise ValueError(
                f"min_volatility ({self.min_volatility}) must be < max_volatility "
                f"({self.max_volatility})"
            )
        return self

    @property
    def observed_atm(self) -> float | None:
        """The observed at-the-money level the model prices with (None: realised volatility)."""
        return self._observed_atm

    def with_observed_atm(self, level: float) -> ImpliedVolModel:
        """This model priced at the observed at-the-money implied volatility `level`
        (annualised, a fraction in (0, 100]); `PricingError` for another value."""
        if not (isinstance(level, int | float) and math.isfinite(level) and 0 < level <= 100):
            raise PricingError(f"an observed volatility must be in (0, 100], got {level!r}")
        observed = self.model_copy()
        observed._observed_atm = float(level)
        return observed

    def volatility(self, realised_volatility: object, moneyness: object) -> np.ndarray:
        """Implied volatility for annualised realised volatilities and moneyness strike/spot
        (the observed level in place of the realised estimate, when the model has one); inputs
        broadcast. Raises `PricingError` for negative or non-finite volatilities or a moneyness
        that is not positive."""
        import numpy as np  # on first use: request models carry the model's parameters only

        rv = np.asarray(realised_volatility, dtype=np.float64)
        m = np.asarray(moneyness, dtype=np.float64)
        if not np.all(np.isfinite(rv)) or np.any(rv < 0):
            raise PricingError(f"realised_volatility must be finite and >= 0, got {rv!r}")
        if not np.all(np.isfinite(m)) or np.any(m <= 0):
            raise PricingError(f"moneyness must be finite and > 0, got {m!r}")
        atm = (
            np.sqrt(rv * rv + self.variance_risk_premium)
            if self._observed_atm is None
            else np.full_like(rv, self._observed_atm)
        )
        return np.clip(atm * m ** (-self.skew), self.min_volatility, self.max_volatility)

    def as_tuple(self) -> tuple[float, float, float, float]:
        """(variance_risk_premium, skew, min_volatility, max_volatility): the arguments
        `quant.options.pricing.model_volatility` takes after the realised volatility and
        the moneyness (the engine's kernels: realised volatility only; `PricingError` for a
        model with an observed level)."""
        if self._observed_atm is not None:
            raise PricingError("the compiled kernels price on realised volatility only")
        return (self.variance_risk_premium, self.skew, self.min_volatility, self.max_volatility)
