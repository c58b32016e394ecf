"""What each workflow agent decides: the structured outputs of the four agents.

Units as everywhere in Stratigos: fractions (0.2 = 20%), annualised volatility targets, daily
VaR and CVaR as positive losses.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quant.regime_names import RegimeName as ScenarioName
from quant.strategy import RuleParameter

SearchedParameter = RuleParameter
"""Strategy parameters a search varies (and a user may ask about)."""

FixedSetting = Literal["lookback", "rebalance_every", "max_leverage"]
"""Strategy settings a search keeps at a value the user states instead of searching them."""


class MarketView(BaseModel):
    """The market analysis agent's reading of the market and its scenario plan."""

    model_config = ConfigDict(extra="forbid")

    return_regime: Literal["bull", "bear", "neutral"] = Field(
        description="Current regime of market returns over the last 63 days."
    )
    volatility_regime: Literal["high", "low", "normal"] = Field(
        description="Current regime of market volatility over the last 63 days."
    )
    scenario_weights: dict[ScenarioName, float] = Field(
        description="Weight of each scenario in the objective (positive; normalised to sum 1)."
    )
    horizon: int = Field(ge=63, le=2520, description="Days simulated per scenario path.")
    summary: str = Field(max_length=800, description="Two or three sentences for the user.")


class SearchPlan(BaseModel):
    """The optimizer agent's plan: the search space and method it will run."""

    model_config = ConfigDict(extra="forbid")

    search_space: dict[str, Any] | None = Field(
        default=None,
        description="StrategyConfig field -> {low, high, step?, log?} | {choices} | value; "
        "null keeps the request's space.",
    )
    method: Literal["tpe", "random", "grid"] | None = Field(default=None)
    rationale: str = Field(max_length=800)


class BatchDecision(BaseModel):
    """The optimizer agent's call after a batch: keep searching or stop (converged)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["continue", "stop"]
    reason: str = Field(max_length=400)


class ConstraintSpec(BaseModel):
    """An upper limit on a metric, in one scenario or (scenario null) in all: checked on the
    statistic of the paths the request's limit on that metric names (`quant.limits`; the 95th
    percentile by default), on the path mean for a metric the request does not limit."""

    model_config = ConfigDict(extra="forbid")

    metric: Literal["max_drawdown", "cvar_95", "var_95", "volatility"]
    scenario: ScenarioName | None = None
    max: float = Field(gt=0, le=1)


class RiskDecision(BaseModel):
    """The risk manager's verdict on the top candidates."""

    model_config = ConfigDict(extra="forbid")

    approve: bool
    candidate: int | None = Field(
        default=None, ge=0, description="Index of the approved candidate in the list given."
    )
    add_constraints: list[ConstraintSpec] = Field(
        default_factory=list, description="Constraints the optimizer must meet when rejected."
    )
    require_hedge: bool = Field(
        default=False,
        description="When rejecting and the task says hedge_available: true restricts the next "
        "rounds to strategies holding an option overlay (no unhedged candidate met the limits).",
    )
    rationale: str = Field(max_length=800)


class Explanation(BaseModel):
    """The explanation agent's text, citing only numbers present in the results."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=4000)
