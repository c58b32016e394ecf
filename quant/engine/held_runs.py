"""A strategy's wealth when it trades to given weights on given days and holds its assets in
between: the engine's day rules (docs/engine.md) on a schedule of the caller's choosing, as a
deployment trades.

On each trade day d (a row of `prices`) the holdings are set to the day's target weights w_d
(fractions of wealth, one per asset, summing to at most 1; the rest in the safe asset) at the
close of d; between trade days each asset drifts with its price and the safe asset earns its
daily return. Costs follow the engine: a trade day costs c / 10,000 x sum_i |w_d,i - w_pre,i| of
the wealth at the close of d (w_pre: the drifted weights carried into the day), taken from
every holding in proportion at the next close, so they do not change the weights. With trade
days L, L+k, ... and the targets the engine computes, this is `quant.engine.evaluate`'s wealth
of a multi-asset sleeve (tested to 1e-12); a single sleeve in the engine is instead the
equal-weight basket rebalanced daily.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from quant.errors import DataError


class HeldRun(NamedTuple):
    """A held run's `wealth` at each row and what each trade `traded`: sum_i |w_d,i - w_pre,i|,
    in the order of the trades (the first, from all in the safe asset, is the purchase)."""

    wealth: np.ndarray
    traded: np.ndarray


def held_wealth(
    prices: np.ndarray,
    safe_returns: np.ndarray,
    trades: Sequence[tuple[int, np.ndarray]],
    *,
    cost_bps: float = 0.0,
) -> np.ndarray:
    """Wealth at each row of `prices` (T rows of positive closing prices, N assets), starting at
    1 in the safe asset on row 0. `safe_returns` (T,) is the safe asset's simple return of each
    row (row 0 unused); `trades` are (row, weights (N,)) in increasing row order, the weights
    set at that row's close. `DataError` for prices that are not positive and finite, weights
    outside [0, 1] or summing past 1, or rows out of order or range."""
    return held_run(prices, safe_returns, trades, cost_bps=cost_bps).wealth


def held_run(
    prices: np.ndarray,
    safe_returns: np.ndarray,
    trades: Sequence[tuple[int, np.ndarray]],
    *,
    cost_bps: float = 0.0,
) -> HeldRun:
    """`held_wealth`'s wealth, with what each trade traded (`HeldRun`); same arguments and
    errors."""
    prices = np.asarray(prices, dtype=float)
    safe_returns = np.asarray(safe_returns, dtype=float)
    rows, columns = prices.shape
    if not np.all(np.isfinite(prices)) or np.any(prices <= 0):
        raise DataError("prices must be positive and finite")
    if safe_returns.shape != (rows,):
        raise DataError(f"safe_returns has shape {safe_returns.shape}, expected ({rows},)")
    targets = _trade_targets(trades, rows, columns)
    rate = cost_bps / 10_000
    wealth = np.empty(rows)
    shares = np.zeros(columns)  # units of each asset (wealth 1 buys 1 / price)
    safe = 1.0
    cost_due = 0.0
    traded: list[float] = []
    for row in range(rows):
        if row:
            safe *= 1.0 + safe_returns[row]
        value = safe + float(shares @ prices[row])
        if cost_due:
            scale = (value - cost_due) / value
            shares *= scale
            safe *= scale
            value -= cost_due
            cost_due = 0.0
        wealth[row] = value
        weights = targets.get(row)
        if weights is not None:
            held = shares * prices[row] / value
            traded.append(float(np.abs(weights - held).sum()))
            cost_due = rate * traded[-1] * value
            shares = weights * value / prices[row]
            safe = value * (1.0 - float(weights.sum()))
    return HeldRun(wealth, np.asarray(traded))


def _trade_targets(
    trades: Sequence[tuple[int, np.ndarray]], rows: int, columns: int
) -> dict[int, np.ndarray]:
    targets: dict[int, np.ndarray] = {}
    previous = -1
    for row, given in trades:
        weights = np.asarray(given, dtype=float)
        if not 0 <= row < rows or row <= previous:
            raise DataError(f"trade rows must increase within 0..{rows - 1}, got {row}")
        if weights.shape != (columns,):
            raise DataError(
                f"weights on row {row} have shape {weights.shape}, expected ({columns},)"
            )
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() > 1 + 1e-9:
            raise DataError(f"weights on row {row} must be in [0, 1] and sum to at most 1")
        targets[row] = weights
        previous = row
    return targets
