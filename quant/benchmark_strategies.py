"""What a managed strategy is compared with, on the same simulated paths.

For a winning `StrategyConfig`, `benchmark_path_means` evaluates unmanaged alternatives in every
scenario, with the engine's own metric definitions, over the winner's evaluation window (from
day ``lookback`` on, so all are measured over the same days):

- ``risky_sleeve``: 100% of wealth in the winner's risky sleeve, all the time (no volatility
  targeting, no option overlay and no safe asset; the sleeve itself is rebuilt as the winner's is),
  only when an optimizer builds the sleeve: a ``single`` sleeve held at 100% is ``equal_weight``
  (several assets) or ``buy_and_hold`` (one asset), the same portfolio, not listed twice;
- ``buy_and_hold``: the equal-weight portfolio of the universe bought on the first evaluated day
  and never rebalanced (weights drift with prices); with one asset, that asset;
- ``equal_weight``: the equal-weight portfolio of the universe rebalanced every day (only with
  several assets);
- ``market``: the market series on the same paths (the index the scenarios carry:
  `ScenarioData.market`), held all the time (only when the scenarios carry one).

Each pays the winner's trading cost on the initial purchase. Results are path means per scenario
of every metric a search can name (`quant.metrics.PATH_METRICS`: the option measures are 0, as
no benchmark holds options); `REPORTED_METRICS` are those a report shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from quant.engine import evaluate
from quant.metrics import HEDGE_METRICS, METRICS
from quant.strategy import StrategyConfig
from quant.tuning.inputs import ScenarioData

REPORTED_METRICS: tuple[str, ...] = (
    "cagr",
    "volatility",
    "sharpe",
    "max_drawdown",
    "var_95",
    "cvar_95",
)
"""The metrics a benchmark comparison reports."""

FULL_EXPOSURE_TARGET = 1e6
"""A volatility target no sleeve reaches: inverse-vol weights then always clip to exactly 1."""


def fully_invested(config: StrategyConfig) -> StrategyConfig:
    """`config` with its risky weight held at exactly 1 (100% of wealth in its sleeve) and no
    option overlay (a benchmark is unmanaged)."""
    return config.model_copy(
        update={
            "weight_function": "inverse_vol",
            "target_vol": FULL_EXPOSURE_TARGET,
            "max_leverage": 1.0,
            "overlay": "none",
        }
    )


def buy_and_hold_returns(assets: np.ndarray, start: int) -> np.ndarray:
    """Daily returns (paths, days) of equal weights bought on day `start` and never rebalanced.

    `assets` holds asset returns (paths, days, assets). Before `start` the returns are those of
    the daily-rebalanced equal-weight portfolio (only the warm-up uses them)."""
    returns = np.asarray(assets, dtype=np.float64)
    out = returns.mean(axis=2)
    growth = np.cumprod(1.0 + returns[:, start:, :], axis=1)
    values = np.concatenate([np.ones_like(growth[:, :1, :]), growth], axis=1).mean(axis=2)
    out[:, start:] = values[:, 1:] / values[:, :-1] - 1.0
    return out


def benchmark_path_means(
    config: StrategyConfig, scenarios: Mapping[str, ScenarioData], *, safe: float
) -> dict[str, dict[str, dict[str, float]]]:
    """``{benchmark: {scenario: {metric: path mean}}}`` for `config`'s evaluation window (see
    the module docstring; a benchmark a scenario cannot give is left out of it); `safe` is the
    annual safe rate."""
    invested = fully_invested(config)
    single = invested.model_copy(update={"sleeve": "single"})
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, data in scenarios.items():
        runs: dict[str, tuple[StrategyConfig, np.ndarray]] = {}
        if config.sleeve != "single" and data.assets is not None:  # an optimizer's sleeve
            runs["risky_sleeve"] = (invested, data.assets)
        if data.assets is None:
            runs["buy_and_hold"] = (single, data.risky)
        else:
            runs["buy_and_hold"] = (single, buy_and_hold_returns(data.assets, config.lookback))
            runs["equal_weight"] = (single, data.risky)
        if data.market is not None:
            runs["market"] = (single, data.market)
        for key, (strategy, returns) in runs.items():
            result = evaluate([strategy], returns, safe)
            out.setdefault(key, {})[name] = _path_means(result)
    return out


def _path_means(result: Any) -> dict[str, float]:
    """Every path metric's mean over the paths of a one-config evaluation."""
    means = {m: float(np.mean(getattr(result, m)[0])) for m in METRICS}
    return means | {m: float(np.mean(getattr(result, m)[0])) for m in HEDGE_METRICS}


__all__ = [
    "FULL_EXPOSURE_TARGET",
    "REPORTED_METRICS",
    "benchmark_path_means",
    "buy_and_hold_returns",
    "fully_invested",
]
