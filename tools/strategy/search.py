"""`run_strategy_search`: the search space from a model's arguments, the search, its summary."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from quant import Choices, FixedValue, FloatRange, IntRange
from quant.scenarios import ScenarioSet
from tools.context import ScenarioRecord, SearchRecord, ToolContext
from tools.strategy.schemas import (
    DEFAULT_SPACE,
    INT_FIELDS,
    METRIC_UNITS,
    SUMMARY_METRICS,
    ChoiceSpec,
    ObjectiveSpec,
    RangeSpec,
    SearchArgs,
)
from tools.summaries import MAX_ITEMS, compact, downsample, sig

if TYPE_CHECKING:
    from quant import SearchResult


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
