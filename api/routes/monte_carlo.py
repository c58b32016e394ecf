"""`/v1/monte-carlo/*`: a portfolio's value under simulated market scenarios.

Paths come from `quant.scenarios.generate_scenarios` (see docs/scenarios.md): for each scenario
(bull, bear, high_vol, low_vol, base: days of history in that regime; the market for the regimes
is the equal-weighted average of the data's assets) and each method (`block_bootstrap` replays
blocks of historical days, `gbm` draws correlated log-normal returns with the regime's moments),
`n_paths` paths of `horizon_days` daily simple returns per asset. The portfolio is rebalanced
daily to its weights (`ScenarioSet.risky`), so its wealth is W_t = W_0 prod_{s<=t}(1 + r_s).
The same data, options and `seed` always give the same numbers.

- `POST /v1/monte-carlo/simulate`: percentile bands of wealth over time (fan chart data) and
  terminal wealth statistics per scenario and method.
- `POST /v1/monte-carlo/analyze`: risk over the horizon per scenario and method: VaR and CVaR
  (expected shortfall) of the horizon return, the distribution of the maximum drawdown, the
  probability of losing more than `loss_threshold`, and the mean loss when that happens.
  Losses are positive numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.context import Caller, Ctx
from api.errors import ApiError, validation_error
from api.market import Resolved, ReturnsSource, resolve_returns
from api.routes.portfolios import WeightItem, check_weights
from services.errors import InputError
from services.monte_carlo import ScenarioName, horizon_risk, portfolio_paths, wealth_fan
from services.monte_carlo import ScenarioPaths as SimulatedPaths

router = APIRouter(prefix="/v1", tags=["monte-carlo"])

MAX_CELLS = 60_000_000
"""Largest n_paths x horizon_days x assets x scenarios x methods simulated per request."""

MethodName = Literal["block_bootstrap", "gbm"]
_DEFAULT_SCENARIOS: tuple[ScenarioName, ...] = ("bull", "bear", "base")
_DEFAULT_METHODS: tuple[MethodName, ...] = ("block_bootstrap",)


class MonteCarloRequest(ReturnsSource):
    """The data (see `ReturnsSource`), the portfolio's weights and the simulation settings."""

    weights: dict[str, float] | None = Field(
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

    percentiles: list[float] = Field(
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
    """Percentile bands of wealth per scenario and method."""

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

    weights: dict[str, float]
    n_paths: int
    horizon_days: int
    seed: int
    level: float
    loss_threshold: float
    data: dict[str, Any]
    results: list[ScenarioRisk]


def _resolve(
    request: MonteCarloRequest, context: Ctx, caller: Caller
) -> tuple[Resolved, pd.Series]:
    source = request
    if request.weights is not None and request.assets is None and request.portfolio_id is None:
        source = request.model_copy(update={"assets": list(request.weights)})
    resolved = resolve_returns(source, context.store, caller.owner, min_rows=2)
    names = [str(c) for c in resolved.returns.columns]
    if request.weights is not None:
        items = [WeightItem(asset=a, weight=w) for a, w in request.weights.items()]
        check_weights(items, names, allow_short=True, field="body.weights")
        weights = pd.Series({a: request.weights.get(a, 0.0) for a in names}, dtype=float)
    elif resolved.weights is not None:
        weights = resolved.weights.reindex(names).fillna(0.0)
    else:
        weights = pd.Series(1.0 / len(names), index=names)
    cells = (
        request.n_paths
        * request.horizon_days
        * len(names)
        * len(request.scenarios)
        * len(request.methods)
    )
    if cells > MAX_CELLS:
        raise validation_error(
            "body.n_paths",
            f"n_paths x horizon_days x assets x scenarios x methods = {cells:,} exceeds "
            f"{MAX_CELLS:,}: reduce n_paths or horizon_days",
        )
    return resolved, weights


def _portfolio_paths(
    request: MonteCarloRequest, resolved: Resolved, weights: pd.Series
) -> list[SimulatedPaths]:
    """The portfolio's paths per method and scenario (`services.monte_carlo`)."""
    with _as_validation_error():
        return portfolio_paths(
            resolved.returns,
            weights,
            scenarios=request.scenarios,
            methods=request.methods,
            n_paths=request.n_paths,
            horizon_days=request.horizon_days,
            seed=request.seed,
            block_size=request.block_size,
            weights_field=_weights_field(request),
        )


def _weights_field(request: MonteCarloRequest) -> str:
    """The request field the portfolio's weights come from."""
    if request.weights is None and request.portfolio_id is not None:
        return "portfolio_id"
    return "weights"


@contextmanager
def _as_validation_error() -> Iterator[None]:
    """A service's `InputError` as a 422 naming the body field."""
    try:
        yield
    except InputError as exc:
        field = f"body.{exc.field}"
        raise ApiError(422, "VALIDATION_ERROR", exc.message, [(field, exc.problem)]) from None


def _label(pct: float) -> str:
    return f"p{pct:g}"


@router.post(
    "/monte-carlo/simulate", response_model=SimulateResult, summary="Simulate wealth paths"
)
def simulate(request: SimulateRequest, context: Ctx, caller: Caller) -> SimulateResult:
    """Wealth of the portfolio (rebalanced daily) along simulated paths: per scenario and
    method, percentiles of wealth at up to `max_points` days from 0 to the horizon and the
    distribution of terminal wealth."""
    for i, pct in enumerate(request.percentiles):
        if not 0.0 <= pct <= 100.0:
            raise validation_error(f"body.percentiles.{i}", f"{pct} is not within 0-100")
    resolved, weights = _resolve(request, context, caller)
    results = []
    for paths in _portfolio_paths(request, resolved, weights):
        with _as_validation_error():
            fan = wealth_fan(
                paths,
                initial_value=request.initial_value,
                percentiles=request.percentiles,
                max_points=request.max_points,
            )
        results.append(
            ScenarioPaths(
                scenario=paths.scenario,
                method=paths.method,
                regime_days=paths.regime_days,
                days=fan.days,
                bands={_label(p): band for p, band in fan.bands.items()},
                mean=fan.mean,
                terminal=TerminalStats(
                    mean=fan.terminal_mean,
                    std=fan.terminal_std,
                    min=fan.terminal_min,
                    max=fan.terminal_max,
                    percentiles={_label(p): v for p, v in fan.terminal_percentiles.items()},
                    prob_loss=fan.prob_loss,
                ),
            )
        )
    return SimulateResult(
        weights={str(k): float(v) for k, v in weights.items()},
        n_paths=request.n_paths,
        horizon_days=request.horizon_days,
        seed=request.seed,
        initial_value=request.initial_value,
        data=resolved.data_info(),
        results=results,
    )


@router.post("/monte-carlo/analyze", response_model=AnalyzeResult, summary="Scenario risk analysis")
def analyze(request: AnalyzeRequest, context: Ctx, caller: Caller) -> AnalyzeResult:
    """Risk of the portfolio over the horizon in each scenario and method: VaR/CVaR of the
    horizon return, maximum drawdown distribution, probability and size of large losses."""
    resolved, weights = _resolve(request, context, caller)
    results = []
    for paths in _portfolio_paths(request, resolved, weights):
        risk = horizon_risk(paths, level=request.level, loss_threshold=request.loss_threshold)
        results.append(
            ScenarioRisk(
                scenario=paths.scenario,
                method=paths.method,
                regime_days=paths.regime_days,
                mean_return=risk.mean_return,
                volatility=risk.volatility,
                median_horizon_return=risk.median_horizon_return,
                mean_horizon_return=risk.mean_horizon_return,
                var=risk.var,
                cvar=risk.cvar,
                prob_loss=risk.prob_loss,
                prob_loss_beyond_threshold=risk.prob_loss_beyond_threshold,
                expected_loss_given_breach=risk.expected_loss_given_breach,
                max_drawdown=Distribution(
                    mean=risk.drawdown_mean,
                    median=risk.drawdown_median,
                    p75=risk.drawdown_p75,
                    p95=risk.drawdown_p95,
                    worst=risk.drawdown_worst,
                ),
            )
        )
    return AnalyzeResult(
        weights={str(k): float(v) for k, v in weights.items()},
        n_paths=request.n_paths,
        horizon_days=request.horizon_days,
        seed=request.seed,
        level=request.level,
        loss_threshold=request.loss_threshold,
        data=resolved.data_info(),
        results=results,
    )
