"""The weights a strategy holds after a rebalance on a given day: what a deployed strategy
trades to, computed with the engine's own window statistics and weight rules.

For a `StrategyConfig` and the daily simple returns of its assets up to (not including) day T,
`target_weights` gives the weights the engine would set if T were a rebalance day: the risky
weight w_T from the last `lookback` days (clipped to [0, max_leverage]) times the risky sleeve's
asset weights (for `sleeve="single"` the equal-weight portfolio of the assets, as in a search;
otherwise the optimizer's weights on that window), the rest in the safe asset (cash).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.engine.weights import clipped_targets
from quant.engine.window_kernels import stats_single
from quant.errors import InsufficientDataError
from quant.estimators import PERIODS_PER_YEAR
from quant.sleeve import build_schedule
from quant.strategy import StrategyConfig, check_config


@dataclass(frozen=True)
class TargetWeights:
    """Asset weights (fractions of equity, by asset name), the risky weight w (their sum), the
    safe (cash) weight 1 - w (negative when w > 1: borrowing), and the window's annualised
    statistics the weight came from."""

    weights: dict[str, float]
    risky_weight: float
    safe_weight: float
    sigma: float
    mu: float
    safe_rate: float


def target_weights(
    config: StrategyConfig, asset_returns: pd.DataFrame, safe: float | np.ndarray
) -> TargetWeights:
    """The weights `config` sets on a rebalance the day after the last row of `asset_returns`
    (daily simple returns, one column per asset, at least `config.lookback` rows, no missing
    values). `safe` is the safe asset as `quant.engine.evaluate` takes it: an annual rate
    (earning rate / 252 a day) or daily simple returns, one per row."""
    names = [str(column) for column in asset_returns.columns]
    return target_weights_of(config, asset_returns.to_numpy(dtype=float), names, safe)


def target_weights_of(
    config: StrategyConfig, values: np.ndarray, names: Sequence[str], safe: float | np.ndarray
) -> TargetWeights:
    """`target_weights` of daily simple returns `values` (rows: days, oldest first; columns:
    the assets `names`)."""
    check_config(config)
    names = list(names)
    days, lookback = values.shape[0], config.lookback
    if days < lookback:
        raise InsufficientDataError(
            f"{days} days of returns; the strategy's lookback needs {lookback}"
        )
    if not np.all(np.isfinite(values)):
        raise InsufficientDataError("asset returns have missing or non-finite values")
    daily_safe = safe / PERIODS_PER_YEAR if isinstance(safe, float | int) else safe
    safe_days = np.broadcast_to(np.asarray(daily_safe, dtype=float), (days,))
    # One more (unused) day makes day T the last rebalance day of a (lookback, T - lookback)
    # schedule, so the engine's own window statistics give the targets.
    step = max(days - lookback, 1)
    padded = np.vstack([values, np.zeros((1, len(names)))])
    padded_safe = np.append(safe_days, 0.0)[None, :]
    if config.sleeve == "single":
        risky = padded.mean(axis=1)[None, :]
        sigma, mu, safe_rate = stats_single(risky, padded_safe, lookback, step)
        sleeve = np.full(len(names), 1.0 / len(names))
    else:
        schedule = build_schedule(padded[None], padded_safe, config.sleeve, lookback, step, names)
        sigma, mu, safe_rate = schedule.sigma, schedule.mu, schedule.safe
        sleeve = schedule.v_new[0, -1]
    risky_weight = float(clipped_targets(config, sigma, mu, safe_rate)[0, -1])
    return TargetWeights(
        weights={name: risky_weight * float(v) for name, v in zip(names, sleeve, strict=True)},
        risky_weight=risky_weight,
        safe_weight=1.0 - risky_weight,
        sigma=float(sigma[0, -1]),
        mu=float(mu[0, -1]),
        safe_rate=float(safe_rate[0, -1]),
    )
