"""Request and response shapes of the unversioned paths (`api.routes.unversioned_portfolios`,
`api.routes.unversioned_analysis`): the serverless plan's API as it documents it (001 §4.2,
§5: a portfolio's `assets` as an object of weights, `createdAt`/`updatedAt`, an optimization's
`portfolioId` + `returns`, the Optimization and Simulation Results). The parameters of an
optimization or a simulation are the `/v1` request's own options (one definition:
`parameters_model`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from api.schemas.monte_carlo import AnalyzeRequest
from services.bounds import PeriodReturn, Weight

_CAMEL = ConfigDict(extra="forbid", populate_by_name=True)

_TECH: dict[str, Any] = {"AAPL": 0.25, "MSFT": 0.25, "GOOGL": 0.20, "AMZN": 0.20, "META": 0.10}


class PortfolioFields(BaseModel):
    """A portfolio: its name, description and weight per asset (fractions summing to 1)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Display name.")
    description: str | None = Field(default=None, max_length=10_000, description="Free text.")
    assets: dict[str, Weight] = Field(
        min_length=1,
        max_length=2000,
        description="Weight per asset (0.25 = 25%), each asset once (a repeated key is 422), "
        "summing to 1; the assets of the configured market data.",
    )


class PortfolioRequest(BaseModel):
    """`{"portfolio": {...}}`: a portfolio to create, or to replace one with (001 §4.2)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "portfolio": {
                    "name": "Tech Concentrated",
                    "description": "Technology-focused portfolio with high concentration",
                    "assets": _TECH,
                }
            }
        },
    )

    portfolio: PortfolioFields


class PortfolioDocument(PortfolioFields):
    """A saved portfolio: 001 §5.1's fields and §4.2's `portfolio` envelope (the same values)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Portfolio id (`pf_...`; the same under `/v1/portfolios`).")
    portfolio: PortfolioFields
    created_at: datetime = Field(serialization_alias="createdAt")
    updated_at: datetime = Field(serialization_alias="updatedAt")


class PortfolioDocuments(BaseModel):
    """The caller's portfolios, oldest first."""

    items: list[PortfolioDocument]


class InlineSource(BaseModel):
    """Where the returns come from: `returns` inline (with `dates`, or numbered observations),
    else the saved portfolio `portfolioId` names, else the configured market data (narrowed by
    `parameters.assets`/`start`/`end`). With `returns`, `portfolioId` is the caller's own
    reference, recorded on the result as given."""

    model_config = _CAMEL

    portfolio_id: str | None = Field(
        default=None, alias="portfolioId", min_length=1, max_length=200
    )
    returns: dict[str, list[PeriodReturn]] | None = Field(
        default=None,
        min_length=1,
        description="Daily simple returns per asset, one list each, all of one length.",
    )
    dates: list[date] | None = Field(
        default=None,
        min_length=1,
        description="The dates of `returns` (strictly increasing); omitted: numbered.",
    )


def parameters_model(v1: type[BaseModel], name: str, leave_out: tuple[str, ...]) -> Any:
    """A model of the `/v1` request `v1`'s options (the same fields, checks and defaults)
    without the fields `leave_out` (the adapter's own)."""
    fields: dict[str, Any] = {
        field: (info.annotation, info)
        for field, info in v1.model_fields.items()
        if field not in leave_out
    }
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


class OptimizationDocument(BaseModel):
    """An Optimization Result (001 §5.2), stored."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The stored result (`opt_...`).")
    portfolio_id: str | None = Field(serialization_alias="portfolioId")
    type: str = Field(description="risk-parity, hrp or efficient-frontier.")
    parameters: dict[str, Any] = Field(description="The options used and the data.")
    result: dict[str, Any] = Field(description="`weights` and `metrics`.")
    created_at: datetime = Field(serialization_alias="createdAt")


class OptimizationDocuments(BaseModel):
    """A page of the caller's stored optimization results, oldest first; `nextCursor` is null
    on the last page."""

    items: list[OptimizationDocument]
    next_cursor: str | None = Field(
        serialization_alias="nextCursor", description="The `cursor` of the next page."
    )


class SimulationDocument(BaseModel):
    """A Simulation Result (001 §5.3), stored."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The stored simulation (`sim_...`).")
    portfolio_id: str | None = Field(serialization_alias="portfolioId")
    parameters: dict[str, Any] = Field(description="Weights, settings, seed and the data.")
    result: dict[str, Any] = Field(
        description="`trajectories` (wealth of the first paths at `statistics.days`; each "
        "scenario's rows in `statistics.results[i].trajectory_rows`) and `statistics`."
    )
    created_at: datetime = Field(serialization_alias="createdAt")


class SimulationDocuments(BaseModel):
    """A page of the caller's stored simulations (with their trajectories), oldest first;
    `nextCursor` is null on the last page."""

    items: list[SimulationDocument]
    next_cursor: str | None = Field(
        serialization_alias="nextCursor", description="The `cursor` of the next page."
    )


def body_model(name: str, parameters: Any, **fields: Any) -> Any:
    """A request body: `InlineSource`, `fields` and `parameters` (default: all defaults)."""
    return create_model(
        name,
        __base__=InlineSource,
        **fields,
        parameters=(parameters, Field(default_factory=parameters, description="The options.")),
    )


AnalysisParameters: Any = parameters_model(
    AnalyzeRequest,
    "AnalysisParameters",
    tuple(f for f in AnalyzeRequest.model_fields if f not in ("level", "loss_threshold")),
)
"""The analysis's confidence level and loss threshold (`/v1/monte-carlo/analyze`'s)."""


class AnalysisRequest(BaseModel):
    """The stored simulation to analyse, and the analysis's `level` and `loss_threshold`."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"example": {"simulationId": "sim_...", "parameters": {"level": 0.95}}},
    )

    simulation_id: str = Field(alias="simulationId", min_length=1, max_length=100)
    parameters: AnalysisParameters = Field(default_factory=lambda: AnalysisParameters())


class AnalysisDocument(BaseModel):
    """The risk of a stored simulation over its horizon, per scenario and method."""

    model_config = ConfigDict(extra="forbid")

    simulation_id: str = Field(serialization_alias="simulationId")
    portfolio_id: str | None = Field(serialization_alias="portfolioId")
    parameters: dict[str, Any]
    result: dict[str, Any] = Field(description="`statistics`: the risk per scenario and method.")


AnalysisRequest.model_rebuild()
