"""Strategy tools: backtest one allocation strategy, search for the best one, and inspect searches.

- `backtest_strategy`: `quant.engine.evaluate` of one `StrategyConfig` on every path of a stored
  scenario set (path means per scenario) or on the universe's history (one path).
- `run_strategy_search`: `quant.search` through `ToolContext.run_search` (in process
  now, a job runner later), with per-batch progress; the result is stored under a search id.
- `sensitivity_analysis`: `quant.sensitivity.one_at_a_time` around the winner and
  `parameter_importance` (fANOVA).
- `search_results` (pages of trials) and `search_status`.

The risky sleeve of a scenario set is its equal-weight portfolio unless the set was generated
with `weights`; the safe asset earns `ToolContext.safe_rate` a year (2% by default).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quant import LOSS_METRICS, Choices, Constraint, FixedValue, FloatRange, IntRange, Objective
from quant.metrics import METRICS, Metric
from quant.scenarios import ScenarioSet
from quant.strategy import StrategyConfig, StrategyField
from tools.context import ScenarioRecord, SearchRecord, ToolContext, make_tool
from tools.market import END_DESCRIPTION, START_DESCRIPTION, UNIVERSE_DESCRIPTION
from tools.summaries import MAX_ITEMS, compact, downsample, iso_date, sig

if TYPE_CHECKING:
    from quant import SearchResult

__all__ = [
    "DEFAULT_SPACE",
    "BacktestArgs",
    "SearchArgs",
    "SearchResultsArgs",
    "SearchStatusArgs",
    "SensitivityArgs",
    "StrategyConfigArgs",
    "backtest_strategy",
    "build_space",
    "default_space",
    "run_strategy_search",
    "search_results",
    "search_status",
    "sensitivity_analysis",
    "strategy_tools",
]

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
    "Sortino over the safe asset); max_drawdown, var_95, cvar_95 positive losses (VaR/CVaR one "
    "day); turnover a year; average_weight the mean risky weight"
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

    def config(self) -> StrategyConfig:
        """The `StrategyConfig` (defaults for the fields not given)."""
        return StrategyConfig(**self.model_dump(exclude_none=True))


class BacktestArgs(BaseModel):
    """Arguments of `backtest_strategy`."""

    model_config = ConfigDict(extra="forbid")

    config: StrategyConfigArgs = Field(
        description="The strategy to test, e.g. {'target_vol': 0.1, 'lookback': 63}."
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

    @model_validator(mode="after")
    def _one_mode(self) -> BacktestArgs:
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

    metric: Metric | None = Field(
        default=None,
        description="Optimise one metric: maximised, or minimised for losses (volatility, "
        "max_drawdown, var_95, cvar_95, turnover).",
    )
    weights: dict[Metric, float] | None = Field(
        default=None,
        max_length=9,
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

    metric: Metric = Field(description="Metric to limit, e.g. max_drawdown or cvar_95.")
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
        max_length=9,
        description="Strategy fields to search: {'low', 'high', 'log', 'step'} for a range, "
        "{'choices': [...]} for a set, or a plain value to fix the field. Lookbacks must be at "
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


# --------------------------------------------------------------------------------------------
# backtest
# --------------------------------------------------------------------------------------------
def _path_means(
    config: StrategyConfig, risky: np.ndarray | pd.DataFrame, safe: float
) -> dict[str, Any]:
    from quant.engine import evaluate

    result = evaluate([config], risky, safe)
    out: dict[str, Any] = {m: sig(float(result.metric(m)[0].mean())) for m in METRICS}
    if result.n_paths > 1:
        out["p05_cagr"] = sig(float(np.quantile(result.metric("cagr")[0], 0.05)))
        out["p95_max_drawdown"] = sig(float(np.quantile(result.metric("max_drawdown")[0], 0.95)))
    if config.sleeve != "single":
        out["sleeve_fallbacks"] = int(result.sleeve_fallbacks.sum())
    return out


def backtest_strategy(context: ToolContext, args: BacktestArgs) -> dict[str, Any]:
    """Metrics of one strategy per scenario (path means) or on the history."""
    config = args.config.config()
    base = {
        "config": config.model_dump(mode="json"),
        "config_id": config.config_id,
        "safe_rate": context.safe_rate,
    }
    if args.scenario_set_id is not None:
        from quant import as_scenarios

        record: ScenarioRecord = context.artifacts.get(args.scenario_set_id, "scenarios")
        scen = as_scenarios(record.inputs())
        metrics: dict[str, Any] = {}
        for name, data in scen.items():
            if config.sleeve != "single" and data.assets is None:
                raise ValueError(
                    f"sleeve {config.sleeve!r} needs several assets; this scenario set has one"
                )
            inputs = data.risky if config.sleeve == "single" else data.assets
            assert inputs is not None
            metrics[name] = _path_means(config, inputs, context.safe_rate)
        first = next(iter(scen.values()))
        return {
            **base,
            "scenario_set_id": args.scenario_set_id,
            "n_paths": first.n_paths,
            "horizon": first.horizon,
            "evaluated_days": first.horizon - config.lookback,
            "metrics": metrics,
            "units": METRIC_UNITS + "; p05_cagr: 5% worst path; p95_max_drawdown: 95th percentile",
        }
    history = context.returns(args.universe, args.start, args.end)
    if config.lookback > len(history) - 2:
        raise ValueError(
            f"lookback {config.lookback} leaves fewer than 2 evaluated days in a history of "
            f"{len(history)} days; use a longer range or a shorter lookback"
        )
    if config.sleeve == "single":
        risky: np.ndarray | pd.DataFrame = history.to_numpy(dtype=float).mean(axis=1)
    else:
        if history.shape[1] < 2:
            raise ValueError(f"sleeve {config.sleeve!r} needs at least 2 assets in the universe")
        risky = history
    return {
        **base,
        "history": {
            "start": iso_date(history.index[0]),
            "end": iso_date(history.index[-1]),
            "days": len(history),
            "evaluated_days": len(history) - config.lookback,
            "universe": [str(c) for c in history.columns],
            "risky": "equal_weight" if config.sleeve == "single" else config.sleeve,
        },
        "metrics": _path_means(config, risky, context.safe_rate),
        "units": METRIC_UNITS.replace("means over paths", "on the single historical path"),
    }


# --------------------------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------------------------
def default_space(horizon: int) -> dict[str, Any]:
    """`DEFAULT_SPACE` with the lookback range cut to at most half of `horizon` (in steps of 21
    days), so that every path keeps at least half of its days for evaluation."""
    space = dict(DEFAULT_SPACE)
    top = 21 * min(6, (horizon // 2) // 21)
    if top >= 42:
        space["lookback"] = {"low": 21, "high": top, "step": 21}
    else:
        space["lookback"] = max(2, min(21, horizon // 2))
    return space


def build_space(
    space: Mapping[Any, RangeSpec | ChoiceSpec | str | int | float | bool] | None,
    *,
    horizon: int = 252,
) -> dict[str, FloatRange | IntRange | Choices | FixedValue]:
    """The `quant` search space of a tool's `space` argument (default: `default_space(horizon)`).

    Ranges of integer fields (lookback, rebalance_every) become `IntRange` (their low, high and step
    must be whole numbers), other ranges `FloatRange`; `{'choices': [...]}` a `Choices`; a plain value a
    `FixedValue` field.
    """
    if space is None:
        parsed = SearchArgs.model_validate(
            {"scenario_set_id": "-", "space": default_space(horizon)}
        ).space
        assert parsed is not None
        space = dict(parsed)
    out: dict[str, FloatRange | IntRange | Choices | FixedValue] = {}
    for name, spec in space.items():
        if isinstance(spec, ChoiceSpec):
            out[name] = Choices(list(spec.choices))
        elif isinstance(spec, RangeSpec):
            if name in INT_FIELDS:
                numbers = {"low": spec.low, "high": spec.high, "step": spec.step or 1.0}
                bad = {k: v for k, v in numbers.items() if not float(v).is_integer()}
                if bad:
                    raise ValueError(
                        f"space.{name}: {', '.join(f'{k}={v}' for k, v in bad.items())} must be "
                        "whole numbers of days"
                    )
                out[name] = IntRange(
                    int(spec.low),
                    int(spec.high),
                    step=int(spec.step or 1),
                    log=spec.log,
                    grid_points=spec.grid_points,
                )
            else:
                out[name] = FloatRange(
                    spec.low, spec.high, log=spec.log, step=spec.step, grid_points=spec.grid_points
                )
        else:
            out[name] = FixedValue(
                int(spec)
                if name in INT_FIELDS and isinstance(spec, float) and spec.is_integer()
                else spec
            )
    return out


def _params(row: pd.Series, names: list[str]) -> dict[str, Any]:
    return {n: compact(row[n]) for n in names}


def _search_summary(search_id: str, record: SearchRecord) -> dict[str, Any]:
    result = record.result
    names = list(result.space.names)
    convergence = np.asarray(result.convergence, dtype=float)
    keep = downsample(convergence, MAX_ITEMS)
    summary: dict[str, Any] = {
        "search_id": search_id,
        "status": record.status,
        "scenario_set_id": record.scenario_set_id,
        "method": result.method,
        "n_trials": result.n_trials,
        "n_distinct": result.n_distinct,
        "n_feasible": result.n_feasible,
        "budget": result.budget,
        "searched": names,
        "best_config": result.best_config.model_dump(mode="json"),
        "best_value": sig(result.best_value),
        "best_trial": result.best_trial,
        "objective": compact(result.objective.to_dict()),
        "constraints": [compact(c.to_dict()) for c in result.constraints],
        "best_metrics": {
            s: {m: sig(result.best_metrics[s][m]) for m in SUMMARY_METRICS}
            for s in result.scenario_names
        },
        "convergence": [sig(convergence[i]) for i in keep],
    }
    if len(keep) < len(convergence):
        summary["convergence_batches"] = keep
    top = result.top(5)
    summary["top"] = [
        {
            "trial": int(row["trial"]),
            "params": _params(row, names),
            "objective": sig(row["objective"]),
        }
        for _, row in top.iterrows()
    ]
    dsr = result.deflated_sharpe
    summary["deflated_sharpe"] = {
        "probability": sig(dsr.probability),
        "sharpe_per_day": sig(dsr.sharpe),
        "expected_max_sharpe_per_day": sig(dsr.expected_max_sharpe),
        "n_trials": dsr.n_trials,
        "n_obs": dsr.n_obs,
    }
    if result.paired_sharpe is None or result.runner_up_config is None:
        summary["paired_sharpe_vs_runner_up"] = None
    else:
        overall = result.paired_sharpe["overall"]
        runner = result.runner_up_config
        summary["paired_sharpe_vs_runner_up"] = {
            "runner_up_params": {n: compact(getattr(runner, n)) for n in names},
            "mean_difference": sig(overall.mean),
            "lower": sig(overall.lower),
            "upper": sig(overall.upper),
            "confidence": overall.confidence,
            "significant": overall.significant,
            "per_scenario_mean": {
                s: sig(result.paired_sharpe[s].mean) for s in result.scenario_names
            },
        }
    summary["notes"] = list(result.notes)
    summary["units"] = (
        "best_value: the objective (default: mean over scenarios of the path-mean annualised "
        "Sharpe); " + METRIC_UNITS + "; deflated_sharpe.probability: chance the winner's true "
        "Sharpe is above 0 after accounting for the number of trials; paired_sharpe: winner minus "
        "runner-up Sharpe on the same paths (not significant if the interval contains 0)"
    )
    return summary


def run_strategy_search(context: ToolContext, args: SearchArgs) -> dict[str, Any]:
    """Run a strategy search on a stored scenario set; store and summarise the result."""
    record: ScenarioRecord = context.artifacts.get(args.scenario_set_id, "scenarios")
    scen: ScenarioSet = record.scenarios
    work = args.budget * scen.n_paths * scen.horizon * len(scen.names)
    if work > context.max_search_path_days:
        raise ValueError(
            f"the search would simulate {work:,} path-days (budget x paths x days x scenarios), "
            f"more than the limit of {context.max_search_path_days:,}; lower the budget or use "
            "a smaller scenario set"
        )
    space = build_space(args.space, horizon=scen.horizon)
    objective = (args.objective or ObjectiveSpec()).objective()
    constraints = [c.constraint() for c in args.constraints or []]
    seed = context.seed if args.seed is None else args.seed
    started = time.perf_counter()
    result: SearchResult = context.run_search(
        space=space,
        scenarios=record.inputs(),
        objective=objective,
        constraints=constraints,
        method=args.method,
        budget=args.budget,
        batch_size=args.batch_size,
        seed=seed,
        safe=context.safe_rate,
    )
    elapsed = time.perf_counter() - started
    search_record = SearchRecord(
        result=result,
        scenario_set_id=args.scenario_set_id,
        scenario_record=record,
        elapsed_s=elapsed,
    )
    search_id = context.artifacts.put("search", search_record)
    return _search_summary(search_id, search_record)


def sensitivity_analysis(context: ToolContext, args: SensitivityArgs) -> dict[str, Any]:
    """One-at-a-time objective curves around the winner and fANOVA importance."""
    from quant.sensitivity import one_at_a_time, parameter_importance

    record: SearchRecord = context.artifacts.get(args.search_id, "search")
    result = record.result
    if not result.space.searched:
        raise ValueError("the search had no searched parameter (every field was fixed)")
    curves = one_at_a_time(
        result.best_config,
        result.space,
        record.scenario_record.inputs(),  # type: ignore[arg-type]  # ScenarioData is accepted
        objective=result.objective,
        constraints=result.constraints,
        points=args.points,
        safe=context.safe_rate,
    )
    importance = parameter_importance(result, seed=context.seed)
    sensitivity_id = context.artifacts.put(
        "sensitivity", {"curves": curves, "importance": importance}
    )
    spread = curves.spread()
    parameters: dict[str, Any] = {}
    for name, frame in curves.items():
        parameters[name] = {
            "values": [compact(v) for v in frame["value"]],
            "objective": [sig(v) for v in frame["objective"]],
            "best_value": compact(getattr(result.best_config, name)),
            "spread": sig(spread[name]),
        }
        if not bool(frame["feasible"].all()):
            parameters[name]["infeasible_values"] = [
                compact(v) for v in frame.loc[~frame["feasible"], "value"]
            ]
    return {
        "search_id": args.search_id,
        "sensitivity_id": sensitivity_id,
        "best_objective": sig(curves.best_value),
        "parameters": parameters,
        "importance": [{"parameter": str(k), "importance": sig(v)} for k, v in importance.items()],
        "units": "each curve moves one parameter over its range with the others at the best "
        "config's values; objective as in the search; spread = max - min objective along the "
        "curve; importance: fANOVA share of the objective's variance, summing to 1",
    }


def _sort_column(result: SearchResult, sort_by: str) -> tuple[str, bool]:
    """Column and default 'descending' flag for `sort_by`."""
    trials = result.trials
    if sort_by == "objective":
        return "objective", True
    if sort_by == "trial":
        return "trial", False
    if sort_by == "violation":
        return "violation", False
    if sort_by in trials.columns and "." in sort_by:
        metric = sort_by.split(".", 1)[1]
        return sort_by, metric not in LOSS_METRICS
    examples = [f"{s}.{m}" for s in result.scenario_names[:2] for m in ("sharpe", "max_drawdown")]
    raise ValueError(
        f"sort_by={sort_by!r} is not a column; use objective, trial, violation or "
        f"'<scenario>.<metric>' with scenarios {', '.join(result.scenario_names)} and metrics "
        f"{', '.join(METRICS)} (e.g. {', '.join(examples)})"
    )


def search_results(context: ToolContext, args: SearchResultsArgs) -> dict[str, Any]:
    """A page of the trials of a search."""
    record: SearchRecord = context.artifacts.get(args.search_id, "search")
    result = record.result
    column, default_desc = _sort_column(result, args.sort_by)
    extra = list(dict.fromkeys(args.columns or []))
    for name in extra:
        if name not in result.trials.columns or "." not in name:
            _sort_column(result, name)  # raises with the valid names
    trials = result.trials
    if args.feasible_only:
        trials = trials[trials["feasible"]]
    descending = default_desc if args.descending is None else args.descending
    ordered = trials.sort_values(
        [column, "trial"], ascending=[not descending, True], na_position="last", kind="stable"
    )
    page = ordered.iloc[args.offset : args.offset + args.limit]
    names = list(result.space.names)
    rows = []
    for _, row in page.iterrows():
        item: dict[str, Any] = {
            "trial": int(row["trial"]),
            "params": _params(row, names),
            "objective": sig(row["objective"]),
        }
        if result.constraints:
            item["feasible"] = bool(row["feasible"])
            item["violation"] = sig(row["violation"])
        for name in extra:
            item[name] = sig(row[name])
        if column not in ("objective", "trial", "violation") and column not in extra:
            item[column] = sig(row[column])
        rows.append(item)
    end = args.offset + len(rows)
    return {
        "search_id": args.search_id,
        "total": len(trials),
        "n_feasible": result.n_feasible,
        "offset": args.offset,
        "limit": args.limit,
        "sort_by": column,
        "descending": descending,
        "next_offset": end if end < len(trials) else None,
        "trials": rows,
    }


def search_status(context: ToolContext, args: SearchStatusArgs) -> dict[str, Any]:
    """Status and progress of a search."""
    record: SearchRecord = context.artifacts.get(args.search_id, "search")
    result = record.result
    best = result.best_value
    return {
        "search_id": args.search_id,
        "status": record.status,
        "scenario_set_id": record.scenario_set_id,
        "method": result.method,
        "n_trials": result.n_trials,
        "budget": result.budget,
        "n_feasible": result.n_feasible,
        "batches": len(result.convergence),
        "best_value": sig(best) if math.isfinite(best) else None,
        "elapsed_s": round(record.elapsed_s, 2),
    }


def strategy_tools(context: ToolContext) -> list[BaseTool]:
    """The strategy tools bound to `context`."""
    return [
        make_tool(
            name="backtest_strategy",
            description=(
                "Backtest one allocation strategy (a volatility-targeting rule between the risky "
                "portfolio and a safe asset earning 2% a year) on every path of a scenario set "
                "(mean metrics per scenario) or on the universe's history. Metrics: cagr, "
                "volatility, sharpe, sortino, max_drawdown, var_95, cvar_95, turnover, "
                "average_weight."
            ),
            args_schema=BacktestArgs,
            run=lambda args: backtest_strategy(context, args),
        ),
        make_tool(
            name="run_strategy_search",
            description=(
                "Search strategy parameters (target_vol, lookback, rebalance_every, "
                "weight_function, ...) for the best objective on a scenario set, in batches, "
                "under optional constraints. Returns a search_id, the best config and value, the "
                "convergence per batch, the top 5 trials, the deflated Sharpe ratio and the "
                "paired Sharpe difference against the runner-up."
            ),
            args_schema=SearchArgs,
            run=lambda args: run_strategy_search(context, args),
        ),
        make_tool(
            name="sensitivity_analysis",
            description=(
                "For a finished search: how the objective changes as each parameter moves over "
                "its range with the others at the best values (a short curve per parameter), and "
                "the parameters ranked by importance (fANOVA)."
            ),
            args_schema=SensitivityArgs,
            run=lambda args: sensitivity_analysis(context, args),
        ),
        make_tool(
            name="search_results",
            description=(
                "A page of the trials of a search (parameters, objective, feasibility), sorted by "
                "objective, trial, violation or a per-scenario metric."
            ),
            args_schema=SearchResultsArgs,
            run=lambda args: search_results(context, args),
        ),
        make_tool(
            name="search_status",
            description=(
                "Status of a search: finished or running, trials done of the budget, batches, "
                "best value so far and elapsed seconds."
            ),
            args_schema=SearchStatusArgs,
            run=lambda args: search_status(context, args),
        ),
    ]
