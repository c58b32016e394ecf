"""The backtest a deployment is compared with: the engine's simulation of its strategy over the
sessions it traded, starting at the account's value on the first of them.

A rule's backtest is `quant.engine.evaluate(...).series` of the same `StrategyConfig` (its own
`rebalance_every` and `cost_bps`; with its option overlay priced by the hedge's `vol_model` when
the deployment has a hedge, without it otherwise, as the account then trades no options); fixed
weights are those weights held every day. The difference from the account is what deploying
costs: the schedule, whole shares, the cash buffer, fills one bar after the decision, slippage
and commission; and, with a hedge, that the engine hedges the sleeve with continuous units where
the account hedges the underlying with whole contracts and a beta of 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from execution.rebalance import FixedWeights, RuleStrategy
from quant.engine import evaluate
from trading.hedges import spec_vol_model


def backtest_values(
    strategy: RuleStrategy | FixedWeights,
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    capital: float,
    spec: dict[str, Any],
) -> pd.Series:
    """The backtest's value at each of `sessions` (indexed by session date), starting at
    `capital` on the first: the engine's simulation of a rule (with its option overlay when the
    deployment `spec` has a hedge), or fixed weights held every day (see the module
    docstring)."""
    returns = closes.pct_change().iloc[1:]
    first = int(returns.index.searchsorted(sessions.index[0]))
    if isinstance(strategy, FixedWeights):
        window = returns.iloc[first + 1 :].loc[: sessions.index[-1]]
        weights = np.array([strategy.weights[s] for s in closes.columns])
        safe_daily = float(spec["strategy"].get("safe_rate", 0.0)) / 252
        daily = window.to_numpy() @ weights + (1 - weights.sum()) * safe_daily
        wealth = np.concatenate([[1.0], np.cumprod(1 + daily)])
        return pd.Series(capital * wealth, index=sessions.index[: len(wealth)])
    lookback = strategy.config.lookback
    window = returns.iloc[first - lookback + 1 :].loc[: sessions.index[-1]]
    # a single sleeve is the equal-weight portfolio of the assets, as in a search
    risky = window.mean(axis=1) if strategy.config.sleeve == "single" else window
    config = strategy.config
    if "hedge" not in spec:  # no options are traded, so the backtest holds none either
        config = config.model_copy(update={"overlay": "none"})
    series = evaluate([config], risky, strategy.safe_rate, vol_model=spec_vol_model(spec)).series(0)
    wealth = series["wealth"].to_numpy()
    # series row t is day lookback + t (its wealth after that day); the first session's close
    # is day lookback - 1, where the backtest starts at 1.
    path = np.concatenate([[1.0], wealth])[: len(sessions)]
    return pd.Series(capital * path, index=sessions.index[: len(path)])
