"""Sensitivity of a search's winner: one-at-a-time objective curves and parameter importance.

- `one_at_a_time(best, space, scenarios)`: for each searched field, the objective as that field
  moves over its range (`points` evenly spaced values, geometric for log ranges, plus the best
  config's own value) or over its choices, every other field held at the best config's value.
  All the configurations are evaluated together, one vectorised `evaluate` call per scenario.
  Each curve therefore passes through the best config's objective at the best value.
- `parameter_importance(result)`: fANOVA importance (`quant.fanova`: the quantity Optuna's
  `FanovaImportanceEvaluator` computes, on a seeded random forest, so deterministic) fitted on
  every trial of the search with a finite objective (feasible or not: both describe the
  objective's landscape), normalised to sum 1 and sorted, most important first.

Outputs are small pandas objects with `to_dict()` for JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import optuna
import pandas as pd
from pydantic import ValidationError

from quant.errors import InsufficientDataError, SearchSpaceError
from quant.fanova import encode, fanova_importance
from quant.options.vol_model import ImpliedVolModel
from quant.scenarios import ScenarioSet
from quant.strategy import StrategyConfig
from quant.tuning.evaluation import evaluate_path_means
from quant.tuning.inputs import as_scenarios
from quant.tuning.objective import Constraint, Objective, as_objective
from quant.tuning.result import SearchResult, native_value
from quant.tuning.space import Choices, SearchSpace, as_search_space

__all__ = ["Sensitivity", "one_at_a_time", "parameter_importance"]


class Sensitivity(dict[str, pd.DataFrame]):
    """Field name -> curve (a DataFrame with columns value, objective, delta, feasible, is_best).

    `delta` is objective - best objective. `best_value` is the best config's objective.
    """

    best_value: float = math.nan

    def spread(self) -> pd.Series:
        """Max minus min objective along each curve (feasible points), largest first."""
        spreads = {}
        for name, frame in self.items():
            values = frame.loc[frame["feasible"], "objective"].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            spreads[name] = float(values.max() - values.min()) if values.size else math.nan
        return pd.Series(spreads, name="spread", dtype=float).sort_values(ascending=False)

    def to_dict(self) -> dict[str, Any]:
        """{"best_value": ..., "curves": {field: [{value, objective, delta, feasible, is_best}]}}."""
        return {
            "best_value": json_value(self.best_value),
            "curves": {
                name: [
                    {k: json_value(v) for k, v in row.items()}
                    for row in frame.to_dict(orient="records")
                ]
                for name, frame in self.items()
            },
            "spread": {k: json_value(v) for k, v in self.spread().items()},
        }


def json_value(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _with(best: StrategyConfig, name: str, value: Any) -> StrategyConfig | None:
    """`best` with `name` set to `value`, or None when that combination is not a strategy (an
    overlay strike on the wrong side of the other strike: the search space allows each value,
    not every pair)."""
    try:
        return StrategyConfig(**{**best.model_dump(), name: value})
    except ValidationError:
        return None


def one_at_a_time(
    best: StrategyConfig,
    space: SearchSpace | Mapping[str, Any],
    scenarios: ScenarioSet | Mapping[str, np.ndarray],
    *,
    objective: Objective | str | Mapping[str, float] | None = None,
    constraints: Sequence[Constraint] = (),
    points: int = 9,
    safe: float = 0.02,
    vol_model: ImpliedVolModel | None = None,
) -> Sensitivity:
    """Objective curves, one searched field at a time, around `best` (see the module docstring).

    `points` values per numeric range (at least 2; integer ranges are deduplicated on their step
    lattice); the best config's own value is always included and flagged `is_best`. `objective`
    and `constraints` as in `quant.search`; `feasible` marks points meeting the constraints.
    `vol_model` prices option overlays (default `ImpliedVolModel()`). A value that makes no
    strategy with the best config's other fields (a put spread's lower strike above its strike)
    is left out of its curve.
    """
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise SearchSpaceError(f"points must be an integer >= 2, got {points!r}")
    space = as_search_space(space)
    scen = as_scenarios(scenarios)
    names = list(scen)
    obj = as_objective(objective)
    obj.validate(names)
    for constraint in constraints:
        constraint.validate(names)
    if not space.searched:
        raise SearchSpaceError("the search space has no searched field (every field is FixedValue)")

    axes: dict[str, list[Any]] = {}
    for name, param in space.searched.items():
        current = getattr(best, name)
        values = list(param.points(points))
        if current not in values:
            values.append(current)
        if not isinstance(param, Choices):
            values = sorted(values)
        axes[name] = values

    configs: list[StrategyConfig] = [best]
    index: dict[StrategyConfig, int] = {best: 0}
    for name, values in axes.items():
        for value in values:
            config = _with(best, name, value)
            if config is not None and config not in index:
                index[config] = len(configs)
                configs.append(config)
    statistics = sorted({c.key for c in constraints if c.statistic != "mean"})
    means, _ = evaluate_path_means(
        configs, scen, safe=safe, vol_model=vol_model, statistics=statistics
    )  # the constraints' statistics of the paths too ("max_drawdown@p95"), or none is met
    values_all = obj.values(means, names)
    feasible_all = np.isfinite(values_all)
    for constraint in constraints:
        feasible_all &= constraint.margins(means, names) <= 0.0

    result = Sensitivity()
    result.best_value = float(values_all[0])
    for name, values in axes.items():
        rows = []
        current = getattr(best, name)
        for value in values:
            config = _with(best, name, value)
            if config is None:
                continue
            i = index[config]
            rows.append(
                {
                    "value": value,
                    "objective": float(values_all[i]),
                    "delta": float(values_all[i] - values_all[0]),
                    "feasible": bool(feasible_all[i]),
                    "is_best": value == current,
                }
            )
        result[name] = pd.DataFrame(rows)
    return result


def parameter_importance(result: SearchResult, *, seed: int = 0) -> pd.Series:
    """Importance of each searched field for the objective (fANOVA), summing to 1, largest first.

    Fits `quant.fanova` on `result.trials` (every trial with a finite objective) with `seed`. A
    single searched field gets importance 1; if the objective does not vary at all, every field
    gets an equal share.
    """
    space = result.space
    names = space.names
    if not names:
        return pd.Series(dtype=float, name="importance")
    trials = result.trials[np.isfinite(result.trials["objective"].to_numpy(dtype=float))]
    if len(trials) < 2:
        raise InsufficientDataError(
            f"parameter importance needs at least 2 trials with a finite objective, got {len(trials)}"
        )
    if len(names) == 1:
        return pd.Series({names[0]: 1.0}, name="importance")
    objective = trials["objective"].to_numpy(dtype=float)
    if float(np.ptp(objective)) == 0.0:
        return pd.Series({n: 1.0 / len(names) for n in names}, name="importance")
    ranges: dict[str, tuple[float, float] | list[Any]] = {}
    for name, distribution in sorted(space.distributions().items()):  # Optuna's column order
        if distribution.single():
            continue  # a value that never changed explains nothing
        if isinstance(distribution, optuna.distributions.CategoricalDistribution):
            ranges[name] = list(distribution.choices)
        else:
            ranges[name] = (distribution.low, distribution.high)  # type: ignore[attr-defined]
    if not ranges:
        return pd.Series({n: 1.0 / len(names) for n in names}, name="importance")
    values = {n: [_stable(native_value(v)) for v in trials[n]] for n in ranges}
    raw = fanova_importance(
        encode(values, ranges), np.array([_stable(float(v)) for v in objective]), seed=seed
    )
    series = pd.Series({n: max(float(raw.get(n, 0.0)), 0.0) for n in names}, name="importance")
    total = float(series.sum())
    series = (
        series / total
        if total > 0
        else pd.Series({n: 1.0 / len(names) for n in names}, name="importance")
    )
    return series.sort_values(ascending=False, kind="stable")


IMPORTANCE_DIGITS = 10
"""Significant digits of the objectives and parameter values the importance forest is fitted
on. A forest's splits can flip on a difference in the last bit of a float, and the last bits of
a computed objective differ between CPUs (vector instruction sets round sums differently), so
the inputs are rounded first: the same trials then give the same importance on any machine."""


def _stable(value: Any) -> Any:
    """`value` rounded to `IMPORTANCE_DIGITS` significant digits if it is a float."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{IMPORTANCE_DIGITS}g}")
    return value
