"""Stress tests of a portfolio: a market move passed through each asset's beta, and historical
episodes replayed on the portfolio's weights.

The episodes replayed are `quant.episodes.EPISODES` (each from the S&P 500 index's closing peak
to its closing trough).

A replay buys the weights at the close of the episode's first date and holds them, drifting
with prices, to the close of its last (no rebalancing, no costs; the rest of the capital, when
the weights sum to less than 1, is held in cash earning nothing). Losses are positive
fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.errors import DataError
from quant.validation import as_returns_frame

__all__ = ["EpisodeReplay", "beta_shock", "replay_episode"]


def beta_shock(betas: pd.Series, weights: pd.Series, move: float) -> tuple[float, pd.Series]:
    """The portfolio's return and each asset's when the market moves by `move` (a fraction,
    -0.2 for a 20% fall) and each asset moves by beta x move: (sum_i w_i beta_i move, beta_i
    move by asset). Weights are used as given (the rest earns nothing)."""
    missing = [str(a) for a in weights.index if a not in betas.index]
    if missing:
        raise DataError(f"no beta for {', '.join(missing)}")
    moves = betas.loc[weights.index].astype(float) * float(move)
    total = float(np.dot(weights.astype(float).to_numpy(), moves.to_numpy()))
    return total, moves


@dataclass(frozen=True)
class EpisodeReplay:
    """A replay of the weights over an episode: the total `return` (a fraction), the deepest
    `drawdown` of the portfolio's value within it (positive), its worst day (`worst_day`
    return and its date), each asset's total return, and the dates of the closes used."""

    total_return: float
    drawdown: float
    worst_day: float
    worst_day_date: pd.Timestamp
    asset_returns: pd.Series


def replay_episode(returns: pd.DataFrame, weights: pd.Series) -> EpisodeReplay:
    """Replay `weights` (by asset) bought at the close before the first row of `returns` (the
    episode's daily returns, first row: the day after its first date) and held to its last row:
    value V_t = 1 - sum w + sum_i w_i prod_{u<=t} (1 + r_iu)."""
    frame = as_returns_frame(returns, min_obs=1)
    missing = [str(a) for a in weights.index if a not in frame.columns]
    if missing:
        raise DataError(f"no returns for {', '.join(missing)} over the episode")
    w = weights.astype(float).to_numpy()
    growth = np.cumprod(1.0 + frame[list(weights.index)].to_numpy(dtype=float), axis=0)
    value = np.concatenate([[1.0], 1.0 - w.sum() + growth @ w])
    daily = value[1:] / value[:-1] - 1.0
    worst = int(np.argmin(daily))
    drawdown = float(np.max(1.0 - value / np.maximum.accumulate(value)))
    index = pd.DatetimeIndex(frame.index)
    return EpisodeReplay(
        total_return=float(value[-1] - 1.0),
        drawdown=drawdown,
        worst_day=float(daily[worst]),
        worst_day_date=pd.Timestamp(index[worst]),
        asset_returns=pd.Series(growth[-1] - 1.0, index=weights.index, name="episode_return"),
    )
