"""Request and response models of `/v1/monte-carlo/*` (`api.routes.monte_carlo`): a portfolio
over a `ReturnsSource` with the simulation's settings, and the wealth fan and horizon risk per
scenario and method."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.market_data import ReturnsSource
from graphs.request import ScenarioName
from services.bounds import Percentile, Weight

MethodName = Literal["block_bootstrap", "gbm"]
_DEFAULT_SCENARIOS: tuple[ScenarioName, ...] = ("bull", "bear", "base")
_DEFAULT_METHODS: tuple[MethodName, ...] = ("block_bootstrap",)


class MonteCarloRequest(ReturnsSource):
    """The data (see `ReturnsSource`), the portfolio's weights and the simulation settings."""

    weights: dict[str, Weight] | None = Field(
        default=None,
        description="Weight per asset (sum 1). Default: the portfolio's weights with "
        "`portfolio_id`, else equal weights over the assets.",
    )
    scenarios: list[ScenarioName] = Field(
        default_factory=lambda: list(_DEFAULT_SCENARIOS),
        min_length=1,
        max_length=5,
        description="Scenarios to simulate.",
    )
    methods: list[MethodName] = Field(
        default_factory=lambda: list(_DEFAULT_METHODS),
        min_length=1,
        max_length=2,
        description="Simulation methods: block bootstrap of history and/or GBM.",
    )
    n_paths: int = Field(default=500, ge=10, le=10_000, description="Paths per scenario.")
    horizon_days: int = Field(default=252, ge=1, le=1260, description="Trading days simulated.")
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Random seed.")
    block_size: int = Field(default=20, ge=1, le=252, description="Bootstrap block, days.")


class SimulateRequest(MonteCarloRequest):
    """Fan chart options."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "weights": {"AAPL": 0.25, "JNJ": 0.25, "KO": 0.25, "XOM": 0.25},
                "scenarios": ["bull", "bear", "base"],
                "methods": ["block_bootstrap", "gbm"],
                "n_paths": 500,
                "horizon_days": 252,
                "seed": 7,
            }
        }
    )

    percentiles: list[Percentile] = Field(
        default_factory=lambda: [5.0, 25.0, 50.0, 75.0, 95.0],
        min_length=1,
        max_length=21,
        description="Percentiles (0-100) of wealth reported at each day.",
    )
    max_points: int = Field(
        default=64, ge=2, le=1261, description="Days reported (evenly subsampled, incl. 0 and T)."
    )
    initial_value: float = Field(default=1.0, gt=0, le=1e15, description="Starting wealth.")


class AnalyzeRequest(MonteCarloRequest):
    """Risk analysis options."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "portfolio_id": "pf_...",
                "scenarios": ["bull", "bear", "high_vol", "low_vol", "base"],
                "n_paths": 1000,
                "horizon_days": 126,
                "level": 0.95,
                "loss_threshold": 0.1,
            }
        }
    )

    simulation_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="A stored simulation (`sim_...`) to analyse: its data, weights, settings "
        "and seed regenerate exactly its paths (409 if its data changed since). Give it alone, "
        "with `level` and `loss_threshold` at most.",
    )
    level: float = Field(default=0.95, gt=0.5, lt=1.0, description="VaR/CVaR confidence.")
    loss_threshold: float = Field(
        default=0.10, gt=0, lt=1, description="A horizon loss of this fraction counts as a breach."
    )


class TerminalStats(BaseModel):
    """Wealth at the horizon over the paths."""

    mean: float
    std: float = Field(description="ddof=1.")
    min: float
    max: float
    percentiles: dict[str, float] = Field(description='"p5" -> 5th percentile, ...')
    prob_loss: float = Field(description="Share of paths ending below the initial value.")


class ScenarioPaths(BaseModel):
    """Fan chart data of one scenario and method."""

    scenario: str
    method: str
    regime_days: int = Field(description="Historical days in the scenario's regime.")
    days: list[int] = Field(description="Day numbers reported (0 = start).")
    bands: dict[str, list[float]] = Field(description='"p5" -> wealth percentile at each day.')
    mean: list[float] = Field(description="Mean wealth at each day.")
    terminal: TerminalStats


class SimulateResult(BaseModel):
    """Percentile bands of wealth per scenario and method, as stored (`id`, `created_at`)."""

    id: str = Field(description="The stored simulation (`sim_...`): analyse it by this id.")
    created_at: datetime = Field(description="When it ran and was stored.")
    weights: dict[str, float]
    n_paths: int
    horizon_days: int
    seed: int
    initial_value: float
    data: dict[str, Any]
    results: list[ScenarioPaths]


class Distribution(BaseModel):
    """Summary of a quantity over the paths."""

    mean: float
    median: float
    p75: float
    p95: float
    worst: float


class ScenarioRisk(BaseModel):
    """Risk over the horizon in one scenario and method (losses positive)."""

    scenario: str
    method: str
    regime_days: int
    mean_return: float = Field(description="Mean daily return x 252.")
    volatility: float = Field(description="Std of daily returns (all path-days, ddof=1) x √252.")
    median_horizon_return: float
    mean_horizon_return: float
    var: float = Field(description="VaR of the horizon return at `level` (historical).")
    cvar: float = Field(description="CVaR (expected shortfall) of the horizon return at `level`.")
    prob_loss: float = Field(description="Share of paths with a horizon return below 0.")
    prob_loss_beyond_threshold: float = Field(
        description="Share of paths losing more than `loss_threshold` over the horizon."
    )
    expected_loss_given_breach: float | None = Field(
        description="Mean loss of those paths (null when none breaches)."
    )
    max_drawdown: Distribution = Field(description="Maximum drawdown per path, from wealth 1.")


class AnalyzeResult(BaseModel):
    """Risk of the portfolio across scenarios."""

    simulation_id: str | None = Field(
        default=None, description="The stored simulation analysed (null: simulated now)."
    )
    weights: dict[str, float]
    n_paths: int
    horizon_days: int
    seed: int
    level: float
    loss_threshold: float
    data: dict[str, Any]
    results: list[ScenarioRisk]
