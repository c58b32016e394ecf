"""Synthetic daily closes for benchmarks and tests: seeded random walks on an exchange's
sessions (never copied data), any number of symbols (``S0001``, ``S0002``, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from execution.schedule import trading_sessions


def synthetic_symbols(count: int) -> list[str]:
    """`count` made-up tickers: ``S0001`` to ``S{count:04d}``."""
    return [f"S{i:04d}" for i in range(1, count + 1)]


def synthetic_closes(
    symbols: Sequence[str], first: date, last: date, *, seed: int = 0, calendar: str = "XNYS"
) -> pd.DataFrame:
    """Closes of `symbols` on every session of `calendar` from `first` to `last`: geometric
    random walks (daily volatility 1.5 %, drift 0.03 %) from prices between 20 and 400, rounded
    to 4 decimals, indexed by session date (``date``)."""
    sessions = trading_sessions(calendar, first, last).index
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0003, 0.015, size=(len(sessions), len(symbols)))
    start = rng.uniform(20.0, 400.0, size=len(symbols))
    closes = start * np.exp(np.cumsum(returns, axis=0))
    index = pd.DatetimeIndex(list(sessions), name="date")
    return pd.DataFrame(closes, index=index, columns=list(symbols)).round(4)
