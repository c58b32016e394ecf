"""Bull and bear markets by the 20% rule: where a return series stands at the end of its window.

The rule (the press's and most strategists' dating of bull and bear markets): a bear market
begins at a peak once a close is `threshold` (20%) or more below the highest close before it,
and lasts until a close is `threshold` or more above the lowest close since that peak; a bull
market begins at that low, and lasts until a close is again `threshold` below the highest
close since. Until the first such move of the window, its phase is undetermined: the window
does not say.

Conventions (as in `quant.statistics`): daily simple returns; wealth starts at W_0 = 1 before the
first return and compounds; positions are row numbers of the returns, -1 for W_0 (the close
before the first return); falls and rises are positive fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from quant.errors import DataError
from quant.validation import as_returns_frame

__all__ = ["BEAR_MARKET_FALL", "MarketPhase", "market_phase"]

BEAR_MARKET_FALL = 0.20
"""The move that starts a bear market (a fall from the highest close) or a bull market (a rise
from the lowest close since): 20%."""


@dataclass(frozen=True)
class MarketPhase:
    """Where one series stands at the window's end.

    `phase`: "bear", "bull", or None (no move of `threshold` in the window). `began`: the
    position of the peak a bear market fell from, or of the low a bull market rose from (None
    with no phase); `move`: the series' change from that close to the last (negative in a bear
    market unless it has risen since its low, positive in a bull market unless it has fallen
    since its peak). `before`: the phase that `phase` ended (None: none in the window), begun at
    position `before_began`."""

    phase: Literal["bear", "bull"] | None
    began: int | None
    move: float | None
    before: Literal["bear", "bull"] | None
    before_began: int | None


_PHASES: tuple[Literal["bear", "bull"] | None, ...] = (None, "bear", "bull")
"""The phases by their codes in `quant.phase_walk.phase_walk`."""


def market_phase(
    returns: pd.Series | np.ndarray, threshold: float = BEAR_MARKET_FALL
) -> MarketPhase:
    """The `MarketPhase` of one return series at its last close (see the module docstring).
    `DataError` for no returns (or NaN ones), a
    return of -100% or below, or a threshold outside (0, 1)."""
    if not 0.0 < threshold < 1.0:
        raise DataError(f"threshold must be a fraction between 0 and 1, got {threshold}")
    values = as_returns_frame(returns, min_obs=1).to_numpy(dtype=float)[:, 0]
    if (values <= -1.0).any():
        raise DataError("a return of -100% or below: wealth would not stay positive")
    from quant.phase_walk import phase_walk  # compiled: numba loads only when a phase is read

    wealth = np.concatenate([[1.0], np.cumprod(1.0 + values)])
    code, began, before_code, before_began = phase_walk(wealth, threshold)
    phase, before = _PHASES[code], _PHASES[before_code]
    return MarketPhase(
        phase=phase,
        began=None if phase is None else began - 1,
        move=None if phase is None else float(wealth[-1] / wealth[began]) - 1.0,
        before=before,
        before_began=None if before is None else before_began - 1,
    )
