"""Evaluating a batch of configurations on every scenario: path means per metric, cached by
configuration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quant.engine import evaluate
from quant.errors import SearchSpaceError
from quant.metrics import METRICS
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
    for metric in METRICS:
        array = np.asarray(getattr(result, metric), dtype=np.float64)
        out[metric] = array.reshape(n_configs, -1)
    return out


def evaluate_scenario(configs: Sequence[StrategyConfig], data: ScenarioData, safe: float) -> Any:
    """`evaluate` on one scenario; single-series and sleeve configs go in separate calls."""
    single = [i for i, c in enumerate(configs) if c.sleeve == "single"]
    if len(single) == len(configs) or data.assets is None:
        if len(single) != len(configs):
            bad = configs[next(i for i, c in enumerate(configs) if c.sleeve != "single")]
            raise SearchSpaceError(
                f"sleeve: {bad.sleeve!r} needs multi-asset scenarios (paths, days, assets); these "
                "scenarios hold one risky series"
            )
        return _metric_arrays(evaluate(list(configs), data.risky, safe), len(configs))
    sleeves = [i for i, c in enumerate(configs) if c.sleeve != "single"]
    arrays = {m: np.empty((len(configs), data.n_paths)) for m in METRICS}
    for idx, inputs in ((single, data.risky), (sleeves, data.assets)):
        if not idx:
            continue
        part = _metric_arrays(evaluate([configs[i] for i in idx], inputs, safe), len(idx))
        for m in METRICS:
            arrays[m][idx] = part[m]
    return arrays


def evaluate_path_means(
    configs: Sequence[StrategyConfig],
    scenarios: ScenarioSet | Mapping[str, Any],
    *,
    safe: float = 0.02,
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """Evaluate `configs` with one `evaluate` call per scenario (two if sleeves are mixed).

    Returns (path means: scenario -> metric -> [C], per-path Sharpe: scenario -> [C, P]).
    """
    scen = as_scenarios(scenarios)
    means: dict[str, dict[str, np.ndarray]] = {}
    sharpe: dict[str, np.ndarray] = {}
    for name, data in scen.items():
        arrays = evaluate_scenario(configs, data, safe)
        means[name] = {m: a.mean(axis=1) for m, a in arrays.items()}
        sharpe[name] = arrays["sharpe"]
    return means, sharpe


@dataclass
class EvaluatedConfig:
    means: dict[str, dict[str, float]]
    sharpe_paths: dict[str, np.ndarray] | None = None


class BatchEvaluator:
    """Evaluates batches of parameter dicts; caches results by config."""

    def __init__(
        self,
        space: SearchSpace,
        scenarios: dict[str, ScenarioData],
        objective: Objective,
        constraints: tuple[Constraint, ...],
        safe: float,
    ) -> None:
        self.space = space
        self.scenarios = scenarios
        self.names = list(scenarios)
        self.objective = objective
        self.constraints = constraints
        self.safe = safe
        self.cache: dict[StrategyConfig, EvaluatedConfig] = {}

    def run(self, batch: Sequence[Mapping[str, Any]]) -> list[StrategyConfig]:
        configs = [self.space.config(params) for params in batch]
        missing: list[StrategyConfig] = []
        for config in configs:
            if config not in self.cache and config not in missing:
                missing.append(config)
        if missing:
            means, sharpe = evaluate_path_means(missing, self.scenarios, safe=self.safe)
            for i, config in enumerate(missing):
                self.cache[config] = EvaluatedConfig(
                    means={s: {m: float(means[s][m][i]) for m in METRICS} for s in self.names},
                    sharpe_paths={s: sharpe[s][i] for s in self.names},
                )
        return configs

    def store(self, config: StrategyConfig, means: Mapping[str, Mapping[str, float]]) -> None:
        """Record path means computed elsewhere (a restored trial, a fanned-out evaluation)."""
        if config not in self.cache:
            self.cache[config] = EvaluatedConfig(
                means={s: {m: float(means[s][m]) for m in METRICS} for s in self.names}
            )

    def sharpe_paths(self, config: StrategyConfig) -> dict[str, np.ndarray]:
        """Per-path Sharpe ratios of `config` per scenario (evaluated again if not kept)."""
        record = self.cache[config]
        if record.sharpe_paths is None:
            _, sharpe = evaluate_path_means([config], self.scenarios, safe=self.safe)
            record.sharpe_paths = {s: sharpe[s][0] for s in self.names}
        return record.sharpe_paths

    def means_of(self, configs: Sequence[StrategyConfig]) -> dict[str, dict[str, np.ndarray]]:
        return {
            s: {m: np.array([self.cache[c].means[s][m] for c in configs]) for m in METRICS}
            for s in self.names
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
