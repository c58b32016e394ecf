"""Value at risk and conditional value at risk over a horizon of several days, from daily returns.

Two methods, each named in every result (`HorizonRisk.method`):

- ``overlapping``: the historical VaR and CVaR of the h-day returns of every window of h
  consecutive days, overlapping (the window moves one day at a time): each window's return is
  the compounded product of its days' returns minus one; VaR is minus the (1 - level) quantile
  of those returns (numpy's linear interpolation, as `quant.risk.value_at_risk`), CVaR minus the
  mean of the returns at or below that quantile. Windows overlap, so they are not independent:
  n days give n - h + 1 windows but about n / h independent ones.
- ``square_root_of_time``: the one-day historical VaR and CVaR times sqrt(h), which assumes
  daily returns independent and identically distributed with mean zero (the Basel scaling).

Losses are positive fractions of the capital at the start of the horizon; `level` is the
confidence (0.99: the worst 1% of outcomes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from quant.errors import DataError

HorizonMethod = Literal["overlapping", "square_root_of_time"]
HORIZON_METHODS: tuple[HorizonMethod, ...] = ("overlapping", "square_root_of_time")

MIN_TAIL_WINDOWS = 5
"""Fewest windows the tail beyond the VaR must hold for an overlapping estimate (at 99% over
h days that is 500 windows, about 2 years of sessions plus the horizon)."""

DEFINITIONS: dict[HorizonMethod, str] = {
    "overlapping": "historical VaR and CVaR of the compounded returns of every window of {h} "
    "consecutive sessions (overlapping windows, one session apart)",
    "square_root_of_time": "one-day historical VaR and CVaR times the square root of {h} "
    "(assumes independent, identically distributed daily returns)",
}
"""What each method computes, as a result states it ({h}: the horizon in sessions)."""


@dataclass(frozen=True)
class HorizonRisk:
    """VaR and CVaR (positive losses) over `horizon` days at confidence `level` by `method`,
    from `windows` h-day windows (overlapping) or `windows` days (square root of time)."""

    horizon: int
    level: float
    method: HorizonMethod
    var: float
    cvar: float
    windows: int

    @property
    def definition(self) -> str:
        """What was computed, in words."""
        return DEFINITIONS[self.method].format(h=self.horizon)


def _tail(values: np.ndarray, level: float) -> tuple[float, float]:
    """Historical (VaR, CVaR) of `values` at `level`, positive losses."""
    quantile = float(np.quantile(values, 1.0 - level))
    return -quantile, -float(values[values <= quantile].mean())


def horizon_returns(daily: np.ndarray, horizon: int) -> np.ndarray:
    """The compounded returns of every window of `horizon` consecutive days of `daily`."""
    logs = np.log1p(daily)
    sums = np.concatenate(([0.0], np.cumsum(logs)))
    return np.expm1(sums[horizon:] - sums[:-horizon])


def horizon_risk(
    returns: pd.Series | np.ndarray,
    *,
    horizon: int,
    level: float = 0.95,
    method: HorizonMethod = "overlapping",
) -> HorizonRisk:
    """VaR and CVaR of daily `returns` over `horizon` days (see the module docstring).

    `DataError` for a horizon below 1, a level outside (0, 1), returns that are not finite or
    are -100% or worse, an unknown method, or (overlapping) too few windows for the tail: fewer
    than `MIN_TAIL_WINDOWS` windows beyond the quantile, with the sessions it would need.
    """
    if not 0.0 < level < 1.0:
        raise DataError(f"level must be between 0 and 1, got {level}")
    if horizon < 1:
        raise DataError(f"horizon must be at least 1 day, got {horizon}")
    if method not in HORIZON_METHODS:
        raise DataError(f"unknown horizon method {method!r}: use one of {HORIZON_METHODS}")
    daily = np.asarray(returns, dtype=float).ravel()
    if not np.isfinite(daily).all() or (daily <= -1.0).any():
        raise DataError("returns must be finite and above -100%")
    if method == "square_root_of_time":
        if daily.size < 2:
            raise DataError("square-root-of-time VaR needs at least 2 daily returns")
        var, cvar = _tail(daily, level)
        scale = math.sqrt(horizon)
        return HorizonRisk(horizon, level, method, var * scale, cvar * scale, int(daily.size))
    needed = math.ceil(MIN_TAIL_WINDOWS / (1.0 - level))
    windows = daily.size - horizon + 1
    if windows < needed:
        raise DataError(
            f"an overlapping {horizon}-day VaR at {level:.1%} needs at least {needed} windows "
            f"({needed + horizon - 1} sessions), so that {MIN_TAIL_WINDOWS} or more fall in the "
            f"tail; the window holds {daily.size} sessions: use a longer window, a lower "
            "confidence, or the square-root-of-time method"
        )
    var, cvar = _tail(horizon_returns(daily, horizon), level)
    return HorizonRisk(horizon, level, method, var, cvar, int(windows))


__all__ = ["HORIZON_METHODS", "HorizonMethod", "HorizonRisk", "horizon_returns", "horizon_risk"]
