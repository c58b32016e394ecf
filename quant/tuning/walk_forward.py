"""Walk-forward validation: search on each training window, evaluate the winner on the next test
window."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from quant.errors import DataError, SearchSpaceError
from quant.options.vol_model import ImpliedVolModel
from quant.scenarios import ScenarioSet, generate_scenarios
from quant.strategy import StrategyConfig
from quant.tuning.driver import search
from quant.tuning.evaluation import evaluate_scenario
from quant.tuning.inputs import (
    MIN_EVAL_DAYS,
    ScenarioData,
    SearchMethod,
    check_lookback,
    max_lookback,
)
from quant.tuning.objective import Constraint, Objective
from quant.tuning.result import SearchResult, json_value, native_value
from quant.tuning.space import SearchSpace, as_search_space


# --------------------------------------------------------------------------------------------
# walk-forward
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class WalkForwardResult:
    """A search on scenarios from the earlier part of history, checked on the later part.

    `in_sample` and `out_of_sample`: rows `best` (the search winner) and `median` (the feasible
    trial with the median objective, a typical configuration), columns the engine's metrics plus
    `score` (the objective's metric weights applied to that one historical path), evaluated on the
    in-sample and held-out historical returns respectively. `scenarios` were generated from
    `history[:split_index]` only.
    """

    search: SearchResult
    in_sample: pd.DataFrame
    out_of_sample: pd.DataFrame
    split_index: int
    split_label: Any
    n_in_sample: int
    n_out_of_sample: int
    median_config: StrategyConfig
    scenarios: ScenarioSet

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-friendly summary."""
        return {
            "split_index": self.split_index,
            "split_label": str(self.split_label),
            "n_in_sample": self.n_in_sample,
            "n_out_of_sample": self.n_out_of_sample,
            "best_config": self.search.best_config.model_dump(mode="json"),
            "median_config": self.median_config.model_dump(mode="json"),
            "in_sample": {
                k: {m: json_value(v) for m, v in row.items()}
                for k, row in self.in_sample.to_dict(orient="index").items()
            },
            "out_of_sample": {
                k: {m: json_value(v) for m, v in row.items()}
                for k, row in self.out_of_sample.to_dict(orient="index").items()
            },
            "search": self.search.to_dict(),
        }


def _history_series(history: pd.Series | pd.DataFrame | np.ndarray) -> pd.DataFrame:
    if isinstance(history, (pd.Series, pd.DataFrame)):
        frame = history.to_frame() if isinstance(history, pd.Series) else history
    else:
        array = np.asarray(history, dtype=float)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise DataError(f"history_returns must be 1- or 2-dimensional, got shape {array.shape}")
        frame = pd.DataFrame(array, columns=[f"asset_{i}" for i in range(array.shape[1])])
    values = frame.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise DataError("history_returns contain NaN or infinite values")
    return frame


def _path_metrics(
    configs: list[StrategyConfig],
    frame: pd.DataFrame,
    safe: float,
    obj: Objective,
    vol_model: ImpliedVolModel | None,
) -> pd.DataFrame:
    values = frame.to_numpy(dtype=float)
    data = ScenarioData(
        risky=np.ascontiguousarray(values.mean(axis=1)[None, :]),
        assets=np.ascontiguousarray(values[None, :, :]) if values.shape[1] > 1 else None,
    )
    arrays = evaluate_scenario(configs, data, safe, vol_model)
    table = pd.DataFrame({m: a.mean(axis=1) for m, a in arrays.items()}, index=["best", "median"])
    table["score"] = sum(float(w) * table[m] for m, w in obj.weights.items())
    return table


def walk_forward(
    space: SearchSpace | Mapping[str, Any],
    history_returns: pd.Series | pd.DataFrame | np.ndarray,
    *,
    split: float = 0.7,
    n_paths: int = 200,
    horizon: int = 252,
    seed: int = 0,
    method: SearchMethod = "tpe",
    budget: int = 100,
    batch_size: int = 50,
    objective: Objective | str | Mapping[str, float] | None = None,
    constraints: Sequence[Constraint] = (),
    scenario_names: Sequence[str] = ("bull", "bear", "high_vol", "low_vol", "base"),
    scenario_method: Literal["block_bootstrap", "gbm"] = "block_bootstrap",
    block_size: int = 20,
    safe: float = 0.02,
    vol_model: ImpliedVolModel | None = None,
) -> WalkForwardResult:
    """Search on scenarios simulated from the first `split` of history; test on the rest.

    The first floor(split x T) days of `history_returns` (daily simple returns of the risky asset;
    several columns are combined into their daily-rebalanced equal-weight portfolio, as
    `ScenarioSet.risky` does) feed `generate_scenarios`; the search runs on those scenarios (its
    deflated Sharpe ratio uses the in-sample length as the sample size). The winner and the median
    trial are then evaluated with `evaluate` on the in-sample and on the held-out historical paths.
    No held-out day enters the scenarios or the search. `vol_model` prices option overlays in
    the search and both evaluations (default `ImpliedVolModel()`).
    """
    frame = _history_series(history_returns)
    if not (isinstance(split, (int, float)) and 0.0 < float(split) < 1.0):
        raise SearchSpaceError(f"split must be a fraction in (0, 1), got {split!r}")
    space = as_search_space(space)
    split_index = math.floor(float(split) * len(frame))
    check_lookback(space, len(frame) - split_index, f"held-out part (split={split})")
    scenarios = generate_scenarios(
        frame.iloc[:split_index],
        names=tuple(scenario_names),
        n_paths=n_paths,
        horizon=horizon,
        seed=seed,
        method=scenario_method,
        block_size=block_size,
    )
    result = search(
        space,
        scenarios,
        objective=objective,
        constraints=constraints,
        method=method,
        budget=budget,
        batch_size=batch_size,
        seed=seed,
        safe=safe,
        dsr_n_obs=split_index,
        vol_model=vol_model,
    )
    return _checked_on_history(result, space, scenarios, frame, split_index, safe, vol_model)


def _checked_on_history(
    result: SearchResult,
    space: SearchSpace,
    scenarios: ScenarioSet,
    frame: pd.DataFrame,
    split_index: int,
    safe: float,
    vol_model: ImpliedVolModel | None,
) -> WalkForwardResult:
    """The search's winner and its median feasible trial evaluated on the history before
    (when long enough for the largest lookback) and from `split_index`."""
    feasible = result.trials[result.trials["feasible"]].sort_values(["objective", "trial"])
    median_row = feasible.iloc[(len(feasible) - 1) // 2]
    median_config = space.config({n: native_value(median_row[n]) for n in space.names})
    configs = [result.best_config, median_config]
    obj = result.objective
    in_frame, out_frame = frame.iloc[:split_index], frame.iloc[split_index:]
    in_sample = (
        _path_metrics(configs, in_frame, safe, obj, vol_model)
        if split_index >= max_lookback(space) + MIN_EVAL_DAYS
        else pd.DataFrame(index=["best", "median"])
    )
    out_of_sample = _path_metrics(configs, out_frame, safe, obj, vol_model)
    return WalkForwardResult(
        search=result,
        in_sample=in_sample,
        out_of_sample=out_of_sample,
        split_index=split_index,
        split_label=frame.index[split_index],
        n_in_sample=split_index,
        n_out_of_sample=len(frame) - split_index,
        median_config=median_config,
        scenarios=scenarios,
    )
