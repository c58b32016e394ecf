"""Evaluating a batch of configurations on every scenario: path means per metric (and the
statistics of the paths the risk limits are checked on), cached by configuration.

The per-scenario values of a configuration are keyed by metric (its mean over the paths) and,
for each statistic a search tracks (`statistics`, keys ``<metric>@<statistic>`` of
`quant.limits.statistic_key`), by that key: e.g. ``max_drawdown@p95``, the 95th percentile of
the paths' maximum drawdowns. The statistics are reduced from the [C, P] arrays of the same
evaluation, so they cost no simulation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quant.engine import evaluate
from quant.errors import SearchSpaceError
from quant.limits import path_statistic, statistics_of
from quant.metrics import PATH_METRICS
from quant.options.vol_model import ImpliedVolModel
from quant.scenarios import ScenarioSet
from quant.strategy import StrategyConfig
from quant.tuning.inputs import ScenarioData, as_scenarios
from quant.tuning.objective import Constraint, Objective
from quant.tuning.space import SearchSpace


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------
def _metric_arrays(result: Any, n_configs: int) -> dict[str, np.ndarray]:
    out = {}
    for metric in PATH_METRICS:
        array = np.asarray(result.metric(metric), dtype=np.float64)
        out[metric] = array.reshape(n_configs, -1)
    return out


def evaluate_scenario(
    configs: Sequence[StrategyConfig],
    data: ScenarioData,
    safe: float,
    vol_model: ImpliedVolModel | None = None,
) -> dict[str, np.ndarray]:
    """`evaluate` on one scenario: [C, P] arrays of every `PATH_METRICS` metric; single-series
    and sleeve configs go in separate calls. `vol_model` prices option overlays (default
    `ImpliedVolModel()`)."""
    model = vol_model or ImpliedVolModel()
    single = [i for i, c in enumerate(configs) if c.sleeve == "single"]
    if len(single) == len(configs) or data.assets is None:
        if len(single) != len(configs):
            bad = configs[next(i for i, c in enumerate(configs) if c.sleeve != "single")]
            raise SearchSpaceError(
                f"sleeve: {bad.sleeve!r} needs multi-asset scenarios (paths, days, assets); these "
                "scenarios hold one risky series"
            )
        return _metric_arrays(
            evaluate(list(configs), data.risky, safe, vol_model=model), len(configs)
        )
    sleeves = [i for i, c in enumerate(configs) if c.sleeve != "single"]
    arrays = {m: np.empty((len(configs), data.n_paths)) for m in PATH_METRICS}
    for idx, inputs in ((single, data.risky), (sleeves, data.assets)):
        if not idx:
            continue
        part = _metric_arrays(
            evaluate([configs[i] for i in idx], inputs, safe, vol_model=model), len(idx)
        )
        for m in PATH_METRICS:
            arrays[m][idx] = part[m]
    return arrays


def evaluate_path_means(
    configs: Sequence[StrategyConfig],
    scenarios: ScenarioSet | Mapping[str, Any],
    *,
    safe: float = 0.02,
    vol_model: ImpliedVolModel | None = None,
    statistics: Sequence[str] = (),
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """Evaluate `configs` with one `evaluate` call per scenario (two if sleeves are mixed);
    `vol_model` prices option overlays (default `ImpliedVolModel()`); `statistics`: keys
    ``<metric>@<statistic>`` of the statistics of the paths to reduce too (module docstring).

    Returns (path means: scenario -> metric -> [C] for every `PATH_METRICS` metric, and each
    key of `statistics` -> [C]; per-path Sharpe: scenario -> [C, P]).
    """
    scen = as_scenarios(scenarios)
    wanted = statistics_of(statistics)
    means: dict[str, dict[str, np.ndarray]] = {}
    sharpe: dict[str, np.ndarray] = {}
    for name, data in scen.items():
        arrays = evaluate_scenario(configs, data, safe, vol_model)
        means[name] = {m: a.mean(axis=1) for m, a in arrays.items()}
        for key, (metric, statistic) in wanted.items():
            means[name][key] = path_statistic(arrays[metric], statistic)
        sharpe[name] = arrays["sharpe"]
    return means, sharpe


@dataclass
class EvaluatedConfig:
    means: dict[str, dict[str, float]]
    sharpe_paths: dict[str, np.ndarray] | None = None


class BatchEvaluator:
    """Evaluates batches of parameter dicts; caches results by config. `statistics`: the keys
    ``<metric>@<statistic>`` kept beside the path means (default: those the constraints are
    checked on)."""

    def __init__(
        self,
        space: SearchSpace,
        scenarios: dict[str, ScenarioData],
        objective: Objective,
        constraints: tuple[Constraint, ...],
        safe: float,
        vol_model: ImpliedVolModel | None = None,
        statistics: Sequence[str] | None = None,
    ) -> None:
        self.space = space
        self.vol_model = vol_model or ImpliedVolModel()
        self.scenarios = scenarios
        self.names = list(scenarios)
        self.objective = objective
        self.constraints = constraints
        self.safe = safe
        keys = [c.key for c in constraints] if statistics is None else list(statistics)
        self.statistics = tuple(statistics_of(dict.fromkeys(keys)))
        self.columns = (*PATH_METRICS, *self.statistics)
        """Every per-scenario value kept of a config: the path means, then the statistics."""
        self.cache: dict[StrategyConfig, EvaluatedConfig] = {}

    def run(self, batch: Sequence[Mapping[str, Any]]) -> list[StrategyConfig]:
        configs = [self.space.config(params) for params in batch]
        missing: list[StrategyConfig] = []
        for config in configs:
            if config not in self.cache and config not in missing:
                missing.append(config)
        if missing:
            means, sharpe = evaluate_path_means(
                missing,
                self.scenarios,
                safe=self.safe,
                vol_model=self.vol_model,
                statistics=self.statistics,
            )
            for i, config in enumerate(missing):
                self.cache[config] = EvaluatedConfig(
                    means={s: {m: float(means[s][m][i]) for m in self.columns} for s in self.names},
                    sharpe_paths={s: sharpe[s][i] for s in self.names},
                )
        return configs

    def store(self, config: StrategyConfig, means: Mapping[str, Mapping[str, float]]) -> None:
        """Record path means (and statistics) computed elsewhere (a restored trial, a fanned-out
        evaluation); a statistic they lack is NaN (it then breaks every limit on it)."""
        if config not in self.cache:
            self.cache[config] = EvaluatedConfig(
                means={
                    s: {m: float(means[s].get(m, math.nan)) for m in self.columns}
                    for s in self.names
                }
            )

    def sharpe_paths(self, config: StrategyConfig) -> dict[str, np.ndarray]:
        """Per-path Sharpe ratios of `config` per scenario (evaluated again if not kept)."""
        record = self.cache[config]
        if record.sharpe_paths is None:
            _, sharpe = evaluate_path_means(
                [config], self.scenarios, safe=self.safe, vol_model=self.vol_model
            )
            record.sharpe_paths = {s: sharpe[s][0] for s in self.names}
        return record.sharpe_paths

    def means_of(self, configs: Sequence[StrategyConfig]) -> dict[str, dict[str, np.ndarray]]:
        """Path means of cached `configs`: scenario -> metric -> [C] (each config looked up
        once: hashing a config hashes every field)."""
        records = [self.cache[c].means for c in configs]
        return {
            s: {m: np.array([r[s][m] for r in records]) for m in self.columns} for s in self.names
        }

    def score(self, configs: Sequence[StrategyConfig]) -> tuple[np.ndarray, np.ndarray]:
        """Objective [C] and constraint margins [C, K]."""
        means = self.means_of(configs)
        values = self.objective.values(means, self.names)
        if self.constraints:
            margins = np.stack([c.margins(means, self.names) for c in self.constraints], axis=1)
        else:
            margins = np.zeros((len(configs), 0))
        return values, margins
