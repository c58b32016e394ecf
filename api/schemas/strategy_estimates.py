"""The request and response bodies of `POST /v1/strategy-estimates` (`api.routes.
strategy_estimates`): a configuration and the search whose scenarios it is estimated in; the
owner's strategy model's estimate, labelled "model estimate". Their names are the OpenAPI
schema's components.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from graphs.request import ScenarioName


class StrategyEstimateIn(BaseModel):
    """`config`: StrategyConfig fields (the others at their defaults); `run_id`: one of your
    searches the strategy model learnt (default: the newest); `scenarios`: some of its
    scenarios (default: all); `evaluate`: also simulate the configuration on that search's
    paths (the full evaluation: milliseconds to seconds)."""

    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] = Field(default_factory=dict, max_length=64)
    run_id: str | None = Field(default=None, min_length=1, max_length=100)
    scenarios: list[ScenarioName] | None = Field(default=None, min_length=1, max_length=5)
    evaluate: bool = False


class EstimatedValue(BaseModel):
    """A metric's estimate and its prediction interval [low, high]."""

    estimate: float
    low: float
    high: float


class StrategyEvaluationOut(BaseModel):
    """The full evaluation (`label`: always "full evaluation"): the configuration simulated on
    the `n_paths` paths of `horizon` days of search `run_id`'s scenarios (its `seed`); per
    scenario and metric the path mean, what a trial of the configuration in that search
    shows."""

    label: Literal["full evaluation"]
    run_id: str
    n_paths: int
    horizon: int
    seed: int
    scenarios: dict[str, dict[str, float]]


class StrategyEstimateOut(BaseModel):
    """The owner's strategy model's estimate (`label`: always "model estimate"; no scenario
    was simulated): per scenario and metric the path mean's estimate and interval, which holds
    the true value with probability `coverage`; the search whose scenarios these are; the
    model's version and held-out accuracy; how to get the full evaluation, and `evaluation`,
    the full evaluation itself when the request asked for it (else null)."""

    label: Literal["model estimate"]
    config: dict[str, Any]
    search: dict[str, Any]
    scenarios: dict[str, dict[str, EstimatedValue]]
    coverage: float
    model: dict[str, Any]
    full_evaluation: str
    evaluation: StrategyEvaluationOut | None = None
