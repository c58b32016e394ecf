"""`OptimizationRequest`: the structured request the UI submits and the chat assistant builds.

Units: returns, volatilities, drawdowns, VaR and CVaR are fractions (0.2 = 20%); volatility
targets and risk-free rates are annual; VaR and CVaR are daily losses (positive numbers).

Validating a request checks everything that can be known before it runs (the one place the
API, the command line, the chat's draft and the worker rely on): the schema, then the dates
against the configured market data (its tickers; at least `MIN_HISTORY_DAYS` trading days for
the universe), the
search space (quant's `SearchSpaceError` checks, option overlay fields included; a hedge cost
in the objective needs an overlay in the space) and its lookbacks against the horizon, the
scenario weights (finite, >= 0, naming requested scenarios, positive sum), the risk limits'
scenarios and the simulation size. Every problem found is reported at once by
`RequestProblems`, each on its field path (`scenario_weights.bull`, `search_space.lookback`);
`quant.problems.validation_problems` turns a pydantic `ValidationError`'s errors into such pairs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

import quant
from quant.errors import SearchSpaceError
from quant.horizons import MAX_HORIZON_DAYS, lookback_problem
from quant.limits import LimitValues
from quant.metrics import HEDGE_METRICS, PATH_METRICS
from quant.problems import Problem, RequestProblems
from quant.regime_names import REGIME_NAMES as ALL_SCENARIOS
from quant.regime_names import RegimeName as ScenarioName
from services.bounds import ObjectiveWeight, RelativeWeight, RequestVolModel
from services.formatting import space_words

if TYPE_CHECKING:
    from quant import SearchSpace
    from tools.market_frames import FrameMarketData

DEFAULT_SPACE: dict[str, Any] = {
    "target_vol": {"low": 0.05, "high": 0.25},
    "weight_function": {"choices": ["inverse_vol", "sigmoid", "merton"]},
    "lookback": {"low": 21, "high": 126, "step": 21},
    "rebalance_every": {"low": 5, "high": 63, "step": 1},
    "max_leverage": {"low": 1.0, "high": 2.0},
    "risk_aversion": {"low": 1.0, "high": 10.0, "log": True},
    "steepness": {"low": 2.0, "high": 20.0},
    "cost_bps": 5.0,
}
"""Every StrategyConfig field: ranges {"low", "high", "step"?, "log"?}, choices, or a fixed value."""


EMBEDDED_ASSETS = 20
"""Assets of the default universe (the embedded S&P 500 data)."""
MAX_REQUEST_UNIVERSE = 500
"""Most tickers of a request's universe."""
MAX_SCENARIO_CELLS = 60_000_000
"""Most simulated asset-path-days a request may ask for (about 480 MB of float64 scenarios)."""
MIN_HISTORY_DAYS = 252
"""Fewest trading days between start and end: a year, to identify the market regimes."""


class RiskLimits(LimitValues):
    """Limits the risk manager enforces on the winner, on path means per scenario.

    `max_drawdown` (fraction), `cvar_95` and `var_95` (daily losses) are upper limits (see
    `quant.limits.LimitValues`); `scenarios` lists where they apply (default: every scenario of
    the request).
    """

    model_config = ConfigDict(extra="forbid")

    scenarios: list[ScenarioName] | None = None


class Budget(BaseModel):
    """Hard limits enforced in code: trials, wall time, model tokens; trials per batch."""

    model_config = ConfigDict(extra="forbid")

    max_trials: int = Field(default=200, ge=1, le=20_000)
    batch_size: int = Field(default=50, ge=1, le=1_000)
    max_wall_seconds: float = Field(default=600.0, gt=0, le=86_400)
    max_llm_tokens: int = Field(default=200_000, ge=0, le=10_000_000)


class OptimizationRequest(BaseModel):
    """Find the volatility-targeting configuration that performs best across market scenarios.

    The risky sleeve is the equal-weight portfolio of `universe`, any tickers of the configured
    market data, up to `MAX_REQUEST_UNIVERSE` (default: its first `DEFAULT_UNIVERSE_SIZE`, the
    20 embedded S&P 500 stocks on the embedded data); the safe asset earns `safe_rate` (annual). Scenarios are drawn from the daily
    returns between `start` and `end`. `search_space` maps StrategyConfig fields to ranges
    ({"low", "high", "step", "log"}), choices ({"choices": [...]}) or fixed values, the option
    overlay's fields included. `objective` weights engine metrics and the hedge's cost measures
    (`quant.metrics.PATH_METRICS`; maximised; default the mean Sharpe ratio over scenarios):
    `{"hedge_premium": -1}` asks for the cheapest protection that meets the risk limits.
    `vol_model`: the implied-volatility model that prices option overlays in every evaluation
    of the run (None: `ImpliedVolModel()`'s documented defaults). `warm_start`: start from the
    owner's strategy model's most promising configurations when earlier searches resemble this
    one (False: a cold search; docs/strategy-model.md). `pipeline`: run the search as the search
    pipeline, on the engine the settings name (`STRATIGOS_COMPUTE_PIPELINE_ENGINE`: here, ray or
    sagemaker), with the request's own decisions and no agents (no review between batches, no
    risk manager's verdict, no explanation; docs/pipeline.md).
    """

    model_config = ConfigDict(extra="forbid")

    universe: list[str] | None = Field(default=None, max_length=MAX_REQUEST_UNIVERSE)
    start: date = date(2005, 1, 1)
    end: date = date(2022, 12, 28)
    search_space: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_SPACE))
    scenarios: list[ScenarioName] = Field(default_factory=lambda: list(ALL_SCENARIOS))
    scenario_method: Literal["block_bootstrap", "gbm"] = "block_bootstrap"
    n_paths: int = Field(default=300, ge=10, le=10_000)
    horizon: int = Field(default=252, ge=63, le=MAX_HORIZON_DAYS)
    objective: dict[str, ObjectiveWeight] = Field(default_factory=lambda: {"sharpe": 1.0})
    scenario_weights: dict[ScenarioName, RelativeWeight] | None = None
    risk_limits: RiskLimits = Field(default_factory=RiskLimits)
    budget: Budget = Field(default_factory=Budget)
    method: Literal["tpe", "random", "grid"] = "tpe"
    safe_rate: float = Field(default=0.02, ge=-0.05, le=0.2)
    max_risk_rounds: int = Field(default=2, ge=0, le=5)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    vol_model: RequestVolModel | None = Field(default=None, exclude_if=lambda value: value is None)
    warm_start: bool = Field(default=True, exclude_if=lambda value: value is True)
    pipeline: bool = Field(default=False, exclude_if=lambda value: value is False)

    @field_validator("universe")
    @classmethod
    def _unique_universe(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        upper = [t.strip().upper() for t in value]
        if len(set(upper)) != len(upper):
            raise ValueError("universe lists a ticker twice")
        if len(upper) < 1:
            raise ValueError("universe must list at least one ticker")
        return upper

    @field_validator("scenarios")
    @classmethod
    def _unique_scenarios(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one scenario is needed")
        if len(set(value)) != len(value):
            raise ValueError("a scenario is listed twice")
        return value

    @field_validator("objective")
    @classmethod
    def _known_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(PATH_METRICS))
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; choose from {list(PATH_METRICS)}")
        if not value:
            raise ValueError("the objective needs at least one metric")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> OptimizationRequest:
        problems = [*self._date_problems(), *self._space_problems(), *self._scenario_problems()]
        assets = len(self.universe) if self.universe is not None else EMBEDDED_ASSETS
        cells = self.n_paths * self.horizon * assets * len(self.scenarios)
        if cells > MAX_SCENARIO_CELLS:
            problems.append(
                (
                    "n_paths",
                    f"n_paths x horizon x assets x scenarios = {cells:,} simulated values; at "
                    f"most {MAX_SCENARIO_CELLS:,} (lower n_paths or horizon)",
                )
            )
        if problems:
            raise RequestProblems(problems)
        return self

    def _date_problems(self) -> list[Problem]:
        if self.end <= self.start:
            return [("end", f"end ({self.end}) must be after start ({self.start})")]
        from services.market_data.providers import DEFAULT_UNIVERSE_SIZE
        from tools.market_frames import configured_market_data

        data = configured_market_data()
        known = set(data.tickers)
        unknown = [t for t in self.universe or () if t not in known]
        if unknown:
            return [(f"universe.{t}", _unknown_ticker(t, data.tickers)) for t in unknown]
        universe = tuple(self.universe or data.tickers[:DEFAULT_UNIVERSE_SIZE])
        days = _trading_days(data, universe, self.start, self.end)
        if days < MIN_HISTORY_DAYS:
            first, last = data.dates[0].date(), data.dates[-1].date()
            return [
                (
                    "start",
                    f"the range {self.start} to {self.end} holds {days} trading days; at least "
                    f"{MIN_HISTORY_DAYS} are needed to identify market regimes (data from "
                    f"{first} to {last})" + _earlier_start(data, universe, self.end),
                )
            ]
        return []

    def _space_problems(self) -> list[Problem]:
        try:
            space = self.space()
        except SearchSpaceError as exc:
            name = str(exc).split(":", 1)[0]
            field = f"search_space.{name}" if name in self.search_space else "search_space"
            return [(field, str(exc))]
        if not space.names:
            given = ", ".join(f"{k} {v}" for k, v in space.fixed.items()) or "nothing"
            return [
                (
                    "search_space",
                    f"every field is fixed ({given}; the fields it does not name at their "
                    "defaults), so there is nothing to search: give at least one field a range "
                    "({'low': ..., 'high': ...}) or choices, or leave search_space out for the "
                    "default search",
                )
            ]
        hedged = set(space.values_of("overlay")) - {"none"}
        costs = sorted(set(self.objective) & set(HEDGE_METRICS))
        if costs and not hedged:
            return [
                (
                    f"objective.{costs[0]}",
                    f"{costs[0]} is 0 for every strategy of this search space (overlay is only "
                    "'none'): add an overlay to search_space (e.g. {'choices': ['none', 'put']})",
                )
            ]
        longest = max(int(v) for v in space.values_of("lookback"))
        too_long = lookback_problem(longest, self.horizon, searched=True)
        if too_long is not None:
            return [("search_space.lookback", f"{too_long}; lower it or raise horizon")]
        return []

    def _scenario_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        for name in self.risk_limits.scenarios or ():
            if name not in self.scenarios:
                problems.append(
                    ("risk_limits.scenarios", f"{name!r} is not among the request's scenarios")
                )
        if self.scenario_weights is None:
            return problems
        for name in self.scenario_weights:
            if name not in self.scenarios:
                problems.append(
                    (
                        f"scenario_weights.{name}",
                        f"{name!r} is not among the request's scenarios {self.scenarios}",
                    )
                )
        total = math.fsum(
            w for n, w in self.scenario_weights.items() if n in self.scenarios and w > 0
        )
        if not problems and total <= 0:
            problems.append(
                ("scenario_weights", "the weights of the requested scenarios must have a sum > 0")
            )
        return problems

    def space(self) -> SearchSpace:
        """The search space as `quant.SearchSpace` (validated once per distinct
        space: the API validates every submitted request)."""
        try:
            key = json.dumps(self.search_space, sort_keys=True)
        except (TypeError, ValueError):
            return quant.SearchSpace(dict(self.search_space))
        return _search_space(key)

    def request_hash(self) -> str:
        """sha256 of the canonical JSON of this request (`vol_model` is left out when None, so
        requests written before it existed keep their hash and their JSON)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@functools.lru_cache(maxsize=256)
def _search_space(canonical: str) -> SearchSpace:
    return quant.SearchSpace(json.loads(canonical))


def describe_space(space: Mapping[str, Any]) -> str:
    """What a search space searches, fixes and leaves at each setting's default, in words
    (`services.formatting.space_words`); what is wrong with it when it is not a valid space."""
    try:
        return space_words(space)
    except SearchSpaceError as exc:
        return f"not a valid search space ({exc})"


@functools.lru_cache(maxsize=256)
def _trading_days(data: FrameMarketData, universe: tuple[str, ...], start: date, end: date) -> int:
    """Days in [start, end] on which every asset of `universe` has a return in `data` (cached
    per data: a new version of the market data is a new `FrameMarketData`)."""
    import pandas as pd

    return len(data.returns(universe, pd.Timestamp(start), pd.Timestamp(end)))


def _earlier_start(data: FrameMarketData, universe: tuple[str, ...], end: date) -> str:
    """Where a window ending at `end` may start to hold `MIN_HISTORY_DAYS` trading days of
    `universe`, in words ("": the data holds too few before `end`)."""
    import pandas as pd

    before = data.dates[data.dates <= pd.Timestamp(end)]
    if len(before) < MIN_HISTORY_DAYS:
        return ""
    start = before[-MIN_HISTORY_DAYS].date()
    if _trading_days(data, universe, start, end) < MIN_HISTORY_DAYS:
        return ""  # a stock of the universe starts later
    later = ", or end later" if before[-1] < data.dates[-1] else ""
    return f": start on or before {start} to keep the end{later}"


def _unknown_ticker(ticker: str, tickers: Sequence[str]) -> str:
    """What is wrong with a ticker the configured market data does not hold: what it holds and
    where more tickers come from (`services.market_data.tickers.unknown_tickers`)."""
    from services.market_data.tickers import unknown_tickers

    return f"unknown ticker: {unknown_tickers([ticker], tickers)}"
