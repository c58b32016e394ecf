"""The strategy tools' arguments (what a model fills in) and their defaults."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from quant import LOSS_METRICS, Constraint, Objective
from quant.metrics import PathMetric
from quant.options.vol_model import ImpliedVolModel
from quant.strategy import StrategyConfig, StrategyField
from tools.market import END_DESCRIPTION, START_DESCRIPTION, UNIVERSE_DESCRIPTION

INT_FIELDS = frozenset({"lookback", "rebalance_every"})


DEFAULT_SPACE: dict[str, Any] = {
    "target_vol": {"low": 0.05, "high": 0.25},
    "lookback": {"low": 21, "high": 126, "step": 21},
    "rebalance_every": {"low": 5, "high": 63},
    "weight_function": {"choices": ["inverse_vol", "sigmoid", "merton"]},
}
"""The search space used when `run_strategy_search` gets none."""


SUMMARY_METRICS = ("sharpe", "cagr", "volatility", "max_drawdown", "cvar_95")
"""Per-scenario metrics shown for the winner of a search."""


METRIC_UNITS = (
    "metrics are means over paths: cagr, volatility, sharpe, sortino annualised (Sharpe and "
    "Sortino over the safe asset); max_drawdown, var_95, cvar_95 positive losses (one-day VaR/CVaR at "
    "95% confidence); turnover a year; average_weight the mean risky weight"
)


# --------------------------------------------------------------------------------------------
# schemas
# --------------------------------------------------------------------------------------------
class StrategyConfigArgs(BaseModel):
    """One allocation strategy between the risky sleeve and the safe asset (omitted fields take
    their defaults)."""

    model_config = ConfigDict(extra="forbid")

    target_vol: float | None = Field(
        default=None, gt=0.0, le=2.0, description="Annualised volatility target (0.10 = 10%)."
    )
    weight_function: str | None = Field(
        default=None,
        max_length=40,
        description="Rule for the risky weight: inverse_vol (target_vol / volatility), sigmoid "
        "(smooth cut as volatility passes the target), merton ((mu - safe) / (risk_aversion x "
        "variance)). Default inverse_vol.",
    )
    lookback: int | None = Field(
        default=None,
        ge=2,
        le=1000,
        description="Trading days of history behind each estimate (default 63).",
    )
    rebalance_every: int | None = Field(
        default=None, ge=1, le=1000, description="Trading days between rebalances (default 21)."
    )
    max_leverage: float | None = Field(
        default=None, gt=0.0, le=10.0, description="Largest risky weight (default 1 = no leverage)."
    )
    risk_aversion: float | None = Field(
        default=None, gt=0.0, le=1000.0, description="Merton rule's risk aversion (default 2)."
    )
    steepness: float | None = Field(
        default=None, gt=0.0, le=1000.0, description="Sigmoid rule's steepness (default 10)."
    )
    cost_bps: float | None = Field(
        default=None,
        ge=0.0,
        le=1000.0,
        description="Trading cost in basis points of the traded amount (default 0).",
    )
    sleeve: Literal["single", "hrp", "risk_parity", "min_volatility", "max_sharpe"] | None = Field(
        default=None,
        description="single: trade the scenario set's risky portfolio; or rebuild the risky "
        "sleeve from its assets with an optimizer on each rebalance day. Default single.",
    )
    overlay: Literal["none", "put", "put_spread", "collar"] | None = Field(
        default=None,
        description="Option protection on the risky sleeve, priced along every path: put "
        "(protective put), put_spread (bought put, sold lower put), collar (bought put, sold "
        "call). Default none.",
    )
    overlay_strike: float | None = Field(
        default=None,
        gt=0.5,
        le=1.2,
        description="Bought put's strike as a fraction of the sleeve's level (0.9 = 10% out of "
        "the money; default 0.95).",
    )
    overlay_lower_strike: float | None = Field(
        default=None, gt=0.3, lt=1.2, description="put_spread: sold put's strike (default 0.8)."
    )
    overlay_call_strike: float | None = Field(
        default=None, gt=0.8, le=2.0, description="collar: sold call's strike (default 1.1)."
    )
    overlay_tenor_days: int | None = Field(
        default=None, ge=5, le=756, description="Trading days to expiry (default 63)."
    )
    overlay_roll: Literal["expiry", "band", "delta"] | None = Field(
        default=None,
        description="Roll at expiry, or also early: band, when the strike leaves "
        "overlay_roll_band; delta, when the bought put's delta leaves overlay_roll_delta_band "
        "around a new put's.",
    )
    overlay_roll_band: float | None = Field(
        default=None, gt=0.0, le=0.5, description="Band half-width in moneyness (default 0.1)."
    )
    overlay_roll_delta_band: float | None = Field(
        default=None,
        gt=0.0,
        le=0.5,
        description="Delta band half-width in delta units (default 0.1).",
    )
    overlay_hedge_ratio: float | None = Field(
        default=None, gt=0.0, le=2.0, description="Options per unit of risky sleeve (default 1)."
    )
    overlay_budget: float | None = Field(
        default=None,
        gt=0.0,
        le=0.5,
        description="Largest premium per year as a fraction of wealth (default: no cap).",
    )

    def config(self) -> StrategyConfig:
        """The `StrategyConfig` (defaults for the fields not given)."""
        return StrategyConfig(**self.model_dump(exclude_none=True))


class BacktestArgs(BaseModel):
    """Arguments of `backtest_strategy`."""

    model_config = ConfigDict(extra="forbid")

    config: StrategyConfigArgs | None = Field(
        default=None,
        description="The strategy to test, e.g. {'target_vol': 0.1, 'lookback': 63}; with "
        "run_id, the winner's fields to change (the others as the search stored them).",
    )
    run_id: str | None = Field(
        default=None,
        max_length=100,
        description="A finished strategy search (the run or job id of LAST_RUN, or of the "
        "user's searches): test its winner exactly as the search stored it, on the search's "
        "universe and window at its safe rate; universe, start and end given here replace the "
        "search's.",
    )
    scenario_set_id: str | None = Field(
        default=None,
        max_length=64,
        description="Id from generate_market_scenarios: test on every simulated path and report "
        "path means per scenario. Omit to test on the universe's history instead.",
    )
    universe: list[str] | None = Field(
        default=None,
        max_length=50,
        description="History mode only: " + UNIVERSE_DESCRIPTION + " The risky asset is their "
        "daily-rebalanced equal-weight portfolio.",
    )
    start: str | None = Field(
        default=None, max_length=10, description="History mode only. " + START_DESCRIPTION
    )
    end: str | None = Field(
        default=None, max_length=10, description="History mode only. " + END_DESCRIPTION
    )
    vol_model: ImpliedVolModel | None = Field(
        default=None,
        description="How an overlay's options are priced: implied vol = sqrt(realised vol^2 + "
        "variance_risk_premium) x (strike/spot)^-skew over realised_window days. Omit for the "
        "defaults (0.01, 1.5, 21).",
    )

    @model_validator(mode="after")
    def _one_mode(self) -> BacktestArgs:
        if self.config is None and self.run_id is None:
            raise ValueError(
                "give config (the strategy to test) or run_id (a finished search, whose winner "
                "is tested)"
            )
        if self.scenario_set_id is not None and (
            self.universe is not None or self.start is not None or self.end is not None
        ):
            raise ValueError(
                "universe, start and end apply to the historical backtest only; omit them when "
                "scenario_set_id is given (the scenario set fixes its universe)"
            )
        return self


class RangeSpec(BaseModel):
    """A numeric range to search."""

    model_config = ConfigDict(extra="forbid")

    low: float = Field(description="Smallest value.")
    high: float = Field(description="Largest value (> low).")
    log: bool = Field(default=False, description="Search on a log scale (low > 0).")
    step: float | None = Field(
        default=None, gt=0.0, description="Only values low + k x step (must divide high - low)."
    )
    grid_points: int | None = Field(
        default=None, ge=2, le=50, description="Values per range for method grid."
    )


class ChoiceSpec(BaseModel):
    """A set of values to choose from."""

    model_config = ConfigDict(extra="forbid")

    choices: list[str | int | float | bool] = Field(min_length=1, max_length=20)


class ObjectiveSpec(BaseModel):
    """What the search maximises (path means of the engine's metrics)."""

    model_config = ConfigDict(extra="forbid")

    metric: PathMetric | None = Field(
        default=None,
        description="Optimise one metric: maximised, or minimised for losses and costs "
        "(volatility, max_drawdown, var_95, cvar_95, turnover, and an option overlay's "
        "hedge_premium and hedge_carry, fractions of wealth a year).",
    )
    weights: dict[PathMetric, float] | None = Field(
        default=None,
        max_length=12,
        description="Or a weighted sum per scenario, e.g. {'sharpe': 1, 'max_drawdown': -0.5} "
        "(losses take negative weights).",
    )
    scenario_weights: dict[str, float] | None = Field(
        default=None,
        max_length=5,
        description="Weight of each scenario, e.g. {'bear': 2, 'base': 1} (default equal).",
    )
    aggregate: Literal["mean", "min"] = Field(
        default="mean",
        description="mean: weighted mean over scenarios; min: the worst scenario.",
    )

    @model_validator(mode="after")
    def _metric_or_weights(self) -> ObjectiveSpec:
        if self.metric is not None and self.weights is not None:
            raise ValueError("give metric or weights, not both")
        return self

    def objective(self) -> Objective:
        """The `quant` objective."""
        if self.weights is not None:
            weights: dict[str, float] = {str(k): float(v) for k, v in self.weights.items()}
        elif self.metric is not None:
            weights = {self.metric: -1.0 if self.metric in LOSS_METRICS else 1.0}
        else:
            weights = {"sharpe": 1.0}
        return Objective(
            weights=weights, scenario_weights=self.scenario_weights, aggregate=self.aggregate
        )


class ConstraintSpec(BaseModel):
    """A limit on a metric's path mean."""

    model_config = ConfigDict(extra="forbid")

    metric: PathMetric = Field(
        description="Metric to limit, e.g. max_drawdown, cvar_95 or hedge_premium."
    )
    scenario: str | None = Field(
        default=None, max_length=20, description="Scenario it applies to (default: every one)."
    )
    min: float | None = Field(default=None, description="Lowest allowed value.")
    max: float | None = Field(
        default=None, description="Highest allowed value, e.g. 0.25 for max_drawdown."
    )

    def constraint(self) -> Constraint:
        """The `quant` constraint."""
        return Constraint(self.metric, scenario=self.scenario, min=self.min, max=self.max)


class SearchArgs(BaseModel):
    """Arguments of `run_strategy_search`."""

    model_config = ConfigDict(extra="forbid")

    scenario_set_id: str = Field(
        max_length=64, description="Id from generate_market_scenarios (the paths to test on)."
    )
    space: dict[StrategyField, RangeSpec | ChoiceSpec | str | int | float | bool] | None = Field(
        default=None,
        max_length=19,
        description="Strategy fields to search: {'low', 'high', 'log', 'step'} for a range, "
        "{'choices': [...]} for a set, or a plain value to fix the field; the option overlay's "
        "fields too (e.g. overlay {'choices': ['none', 'put']}, overlay_strike 0.85-1.0, "
        "overlay_tenor_days {'choices': [21, 63]}). Lookbacks must be at "
        "most horizon - 2. Default: target_vol 0.05-0.25, lookback 21-126 step 21, "
        "rebalance_every 5-63, weight_function inverse_vol/sigmoid/merton (lookback capped at half "
        "the scenario horizon).",
    )
    objective: ObjectiveSpec | None = Field(
        default=None,
        description="What to maximise; default: the mean over scenarios of the mean Sharpe.",
    )
    constraints: list[ConstraintSpec] | None = Field(
        default=None,
        max_length=10,
        description="Limits on metrics' path means, e.g. [{'metric': 'max_drawdown', "
        "'scenario': 'bear', 'max': 0.25}]. Trials breaking one cannot win.",
    )
    method: Literal["grid", "random", "tpe"] = Field(
        default="tpe",
        description="tpe: Bayesian (Optuna TPE); random: independent draws; grid: every "
        "combination (a random subset if larger than the budget).",
    )
    budget: int = Field(default=200, ge=1, le=5000, description="Maximum number of trials.")
    batch_size: int = Field(
        default=50, ge=1, le=500, description="Trials evaluated together per batch."
    )
    seed: int | None = Field(
        default=None, ge=0, description="Random seed (default: the run's seed, 0)."
    )


class SensitivityArgs(BaseModel):
    """Arguments of `sensitivity_analysis`."""

    model_config = ConfigDict(extra="forbid")

    search_id: str = Field(max_length=64, description="Id from run_strategy_search.")
    points: int = Field(
        default=9, ge=3, le=21, description="Values per numeric parameter (3 to 21)."
    )


class SearchResultsArgs(BaseModel):
    """Arguments of `search_results`."""

    model_config = ConfigDict(extra="forbid")

    search_id: str = Field(max_length=64, description="Id from run_strategy_search.")
    offset: int = Field(default=0, ge=0, description="Rows to skip (for paging).")
    limit: int = Field(default=20, ge=1, le=100, description="Rows to return (1 to 100).")
    sort_by: str = Field(
        default="objective",
        max_length=40,
        description="objective (best first), trial (run order), violation, or a per-scenario "
        "metric '<scenario>.<metric>' such as 'bear.max_drawdown'.",
    )
    descending: bool | None = Field(
        default=None,
        description="Sort order; default: best first (descending objective, ascending losses "
        "and violation, ascending trial).",
    )
    columns: list[str] | None = Field(
        default=None,
        max_length=5,
        description="Extra per-scenario metric columns to include, e.g. ['bear.sharpe'].",
    )
    feasible_only: bool = Field(
        default=False, description="Only trials that satisfy every constraint."
    )


class SearchStatusArgs(BaseModel):
    """Arguments of `search_status`."""

    model_config = ConfigDict(extra="forbid")

    search_id: str = Field(max_length=64, description="Id from run_strategy_search.")
