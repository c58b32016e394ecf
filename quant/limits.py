"""The risk limits a strategy must keep: upper limits on path-mean maximum drawdown, 95% CVaR and
95% VaR, as fractions (positive = loss; CVaR and VaR are daily losses).

One definition shared by the optimization request (`graphs.request.RiskLimits`, which adds the
scenarios where the limits apply) and the user profile's default limits (`services.profiles`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LimitValues(BaseModel):
    """Upper limits on `max_drawdown` (fraction of peak wealth), `cvar_95` and `var_95` (daily
    losses), each in (0, 1]; None leaves the metric unlimited."""

    model_config = ConfigDict(extra="forbid")

    max_drawdown: float | None = Field(default=None, gt=0, le=1)
    cvar_95: float | None = Field(default=None, gt=0, le=1)
    var_95: float | None = Field(default=None, gt=0, le=1)

    def limits(self) -> dict[str, float]:
        """Metric -> upper limit, for the limits that are set."""
        values = {"max_drawdown": self.max_drawdown, "cvar_95": self.cvar_95, "var_95": self.var_95}
        return {k: v for k, v in values.items() if v is not None}


LIMIT_METRICS: tuple[str, ...] = ("max_drawdown", "cvar_95", "var_95")
"""The metrics a `LimitValues` can limit, in field order."""

__all__ = ["LIMIT_METRICS", "LimitValues"]
