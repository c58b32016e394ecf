"""Request and response models of `/v1/optimization/*` (`api.routes.optimization`): the options
of HRP, risk parity, inverse volatility and the efficient frontier over a `ReturnsSource`, and the
weights with their analytics."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.market_data import ReturnsSource
from services.bounds import PositiveRelativeWeight, Weight


class CovarianceOptions(BaseModel):
    """The covariance estimator (annualised x 252)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["sample", "ledoit_wolf", "ewma"] = Field(
        default="sample", description="Sample (ddof=1), Ledoit-Wolf shrinkage, or EWMA."
    )
    halflife: float = Field(
        default=60.0, gt=0, le=10_000, description="EWMA half-life in trading days."
    )


class OptimizationRequest(ReturnsSource):
    """Common options: data source, covariance estimator, risk-free rate, report level."""

    covariance: CovarianceOptions = Field(default_factory=CovarianceOptions)
    risk_free_rate: float = Field(
        default=0.0, ge=-0.5, le=1.0, description="Annual risk-free rate (0.02 = 2%)."
    )
    level: float = Field(
        default=0.95, gt=0.5, lt=1.0, description="Confidence level of the VaR/CVaR report."
    )
    save_as: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Save the weights as a new portfolio with this name.",
    )

    def mean_method(self) -> Literal["arithmetic", "geometric"]:
        """The expected-return estimator: arithmetic means unless the request chooses one."""
        return "arithmetic"


class HRPRequest(OptimizationRequest):
    """Hierarchical Risk Parity options."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "assets": ["AAPL", "JNJ", "KO", "XOM", "JPM"],
                "start": "2015-01-01",
                "end": "2022-12-28",
                "linkage": "single",
            }
        }
    )

    linkage: Literal["single", "complete", "average", "ward"] = Field(
        default="single", description="Linkage of the cluster tree (single: the original HRP)."
    )
    optimal_ordering: bool = Field(
        default=False, description="Reorder leaves so neighbours are closest (scipy)."
    )


class RiskParityRequest(OptimizationRequest):
    """Risk parity options."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "assets": ["AAPL", "JNJ", "KO", "XOM"],
                "start": "2018-01-01",
                "budgets": {"AAPL": 0.4, "JNJ": 0.2, "KO": 0.2, "XOM": 0.2},
                "covariance": {"method": "ledoit_wolf"},
            }
        }
    )

    budgets: dict[str, PositiveRelativeWeight] | None = Field(
        default=None,
        description="Risk budget per asset (positive, normalised to sum 1); null: equal.",
    )


class InverseVolatilityRequest(OptimizationRequest):
    """Inverse-volatility options (the common ones: the covariance estimator gives each asset's
    volatility)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "assets": ["AAPL", "JNJ", "KO", "XOM"],
                "start": "2018-01-01",
                "covariance": {"method": "sample"},
            }
        }
    )


class FrontierBounds(BaseModel):
    """Weight bounds: a number for every asset, or a per-asset mapping."""

    model_config = ConfigDict(extra="forbid")

    lower: Weight | dict[str, Weight] = Field(default=0.0, description="Lowest weight.")
    upper: Weight | dict[str, Weight] = Field(default=1.0, description="Highest weight.")


class FrontierRequest(OptimizationRequest):
    """Efficient frontier options."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "assets": ["AAPL", "JNJ", "KO", "XOM", "MSFT"],
                "start": "2012-01-01",
                "n_points": 10,
                "bounds": {"lower": 0.0, "upper": 0.5},
            }
        }
    )

    n_points: int = Field(default=20, ge=2, le=100, description="Frontier portfolios.")
    bounds: FrontierBounds = Field(default_factory=FrontierBounds)
    expected_returns: Literal["arithmetic", "geometric"] = Field(
        default="arithmetic", description="Estimator of annual expected returns."
    )

    def mean_method(self) -> Literal["arithmetic", "geometric"]:
        """The expected-return estimator the request chose."""
        return self.expected_returns


class RiskReportOut(BaseModel):
    """Historical risk of the portfolio rebalanced daily over the data (see quant.risk)."""

    level: float
    n_periods: int = Field(description="Days of returns.")
    annualised_return: float | None = Field(description="Mean daily return x 252.")
    cagr: float | None
    volatility: float | None = Field(description="Annualised, ddof=1.")
    sharpe_ratio: float | None
    sortino_ratio: float | None
    max_drawdown: float | None = Field(description="Fraction, positive = loss.")
    drawdown_duration: int = Field(description="Longest drawdown, days.")
    calmar_ratio: float | None
    var_historical: float | None = Field(description="Daily VaR at `level`, positive = loss.")
    cvar_historical: float | None = Field(description="Daily CVaR at `level`, positive = loss.")
    var_gaussian: float | None
    cvar_gaussian: float | None


class FrontierPoint(BaseModel):
    """One efficient portfolio."""

    expected_return: float = Field(description="Annual.")
    volatility: float = Field(description="Annual.")
    sharpe_ratio: float | None
    weights: dict[str, float]


class OptimizationResult(BaseModel):
    """Weights and their analytics, as stored (`id`, `created_at`)."""

    id: str = Field(
        description="The stored result (`opt_...`, `GET /v1/optimization/results/{id}`)."
    )
    created_at: datetime = Field(description="When it was computed and stored.")
    method: str = Field(description="hrp, risk_parity, inverse_volatility or efficient_frontier.")
    weights: dict[str, float] = Field(description="Weight per asset (sum 1).")
    expected_return: float = Field(description="Annual arithmetic expected return.")
    volatility: float = Field(description="Annual volatility sqrt(w'Σw).")
    sharpe_ratio: float | None = Field(description="(return - risk_free_rate) / volatility.")
    risk_contributions: dict[str, float] = Field(description="Share of variance, sum 1.")
    risk_report: RiskReportOut
    data: dict[str, Any] = Field(
        description="Source, assets, first/last date, observations, and the last date of the "
        "data they were taken from (`data_end`; none for undated returns)."
    )
    options: dict[str, Any] = Field(description="The options used.")
    cached: bool = Field(description="True when served from the results cache.")
    cache_key: str
    portfolio_id: str | None = Field(default=None, description="Set when `save_as` was given.")
    frontier: list[FrontierPoint] | None = Field(
        default=None, description="Efficient frontier only: the frontier's portfolios."
    )
    selected: str | None = Field(
        default=None,
        description="Efficient frontier only: which portfolio `weights` is (max_sharpe, or "
        "min_volatility when no portfolio beats the risk-free rate).",
    )
    left_out: list[str] = Field(
        default_factory=list,
        description="Assets of the data your profile excludes, left out of the portfolio, each "
        'with why ("AMD left out: your profile excludes AMD").',
    )
