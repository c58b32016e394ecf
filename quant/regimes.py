"""Market regimes: which historical days were bull, bear, high-volatility or low-volatility days.

The rule (documented for portfolio managers in docs/scenarios.md):

1. The *market* is `market` when given (e.g. S&P 500 index returns), otherwise the equal-weighted
   average of the assets' daily simple returns (a daily-rebalanced equal-weight portfolio).
2. For every day t a window of `window` consecutive trading days is formed. With
   `alignment="centered"` (the default) the window is centred on t: it is the trailing `window`-day
   window that ends `window // 2` days after t, so it covers `window - 1 - window // 2` days before
   t, t itself and `window // 2` days after t. With `alignment="trailing"` it ends on t. Windows
   are cut at the ends of the history; a day whose window keeps fewer than `window // 2 + 1` days
   is in no regime but `base` (only possible with trailing windows).
3. On each window: annualised return = mean daily simple return x 252; annualised volatility =
   standard deviation of daily simple returns (ddof=1) x sqrt(252).
4. With q = `quantile` (1/3 by default, terciles) and thresholds taken over all labelled days:
   bull = return >= the (1 - q) quantile, bear = return <= the q quantile, high_vol = volatility >=
   the (1 - q) quantile, low_vol = volatility <= the q quantile, base = every day.

Bull and bear never overlap (unless every window has the same return), nor do high_vol and
low_vol, but a day can be both bear and high_vol. The centred window is the default because a
scenario replays the days *inside* its regime: labelling a day by the trailing window alone would
mostly describe the weeks before it, and a bull scenario would then barely beat the base one.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from quant.errors import ConstraintError, DataError, InsufficientDataError
from quant.estimators import PERIODS_PER_YEAR
from quant.regime_names import REGIME_NAMES
from quant.validation import as_returns_frame

Alignment = Literal["centered", "trailing"]


def _window_bounds(window: int, alignment: Alignment) -> tuple[int, int]:
    """Days before and after t covered by t's window."""
    if alignment == "centered":
        after = window // 2
    elif alignment == "trailing":
        after = 0
    else:
        raise ConstraintError(f"unknown alignment {alignment!r}: use 'centered' or 'trailing'")
    return window - 1 - after, after


def market_returns(history: pd.DataFrame, market: pd.Series | pd.DataFrame | None) -> pd.Series:
    """The market's daily simple returns on `history`'s dates.

    `market` is aligned on `history`'s index (every date of the history must be in it); without
    it the market is the equal-weighted average of the history's assets.
    """
    if market is None:
        return pd.Series(history.to_numpy().mean(axis=1), index=history.index, name="market")
    frame = as_returns_frame(market, min_obs=1)
    if frame.shape[1] != 1:
        raise DataError(f"market must be one series of returns, got {frame.shape[1]} columns")
    series = frame.iloc[:, 0]
    if series.index.has_duplicates:
        raise DataError(
            f"market has duplicate dates, e.g. {series.index[series.index.duplicated()][0]!s}"
        )
    missing = history.index.difference(series.index)
    if len(missing) > 0:
        raise DataError(
            f"market returns are missing {len(missing)} dates of the history, first {missing[0]!s}"
        )
    aligned = series.reindex(history.index)
    return pd.Series(aligned.to_numpy(dtype=float), index=history.index, name="market")


def rolling_market_statistics(
    history: pd.DataFrame | pd.Series,
    *,
    window: int = 63,
    market: pd.Series | None = None,
    alignment: Alignment = "centered",
) -> pd.DataFrame:
    """Per day: the annualised return and volatility of the market over that day's window.

    Columns `return` (mean x 252), `volatility` (std ddof=1 x sqrt 252) and `days` (days in the
    window); rows with fewer than `window // 2 + 1` days hold NaN statistics. See the module doc
    for the window rule.
    """
    frame = as_returns_frame(history)
    _check_window(window, len(frame))
    values = market_returns(frame, market).to_numpy()
    before, after = _window_bounds(window, alignment)
    padded = np.concatenate([np.full(before, np.nan), values, np.full(after, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    present = ~np.isnan(windows)
    counts = present.sum(axis=1)
    filled = np.where(present, windows, 0.0)
    mean = filled.sum(axis=1) / counts
    deviation = np.where(present, windows - mean[:, None], 0.0)
    variance = (deviation**2).sum(axis=1) / np.maximum(counts - 1, 1)
    enough = counts >= window // 2 + 1
    annual_return = np.where(enough, mean * PERIODS_PER_YEAR, np.nan)
    annual_vol = np.where(enough, np.sqrt(variance * PERIODS_PER_YEAR), np.nan)
    return pd.DataFrame(
        {"return": annual_return, "volatility": annual_vol, "days": counts}, index=frame.index
    )


def current_regime(
    history: pd.DataFrame | pd.Series, *, window: int = 63, market: pd.Series | None = None
) -> dict[str, object]:
    """The market's regime now: its annualised return and volatility over the last `window`
    days (trailing) against every full trailing window of the history. `return_regime` is bull
    at or above the upper tercile of the windows' returns, bear at or below the lower, else
    neutral; `volatility_regime` high, low or normal the same way; the percentiles are the share
    of windows at or below today's; `thresholds` the terciles. Unrounded floats."""
    stats = rolling_market_statistics(history, window=window, market=market, alignment="trailing")
    full = stats[stats["days"] >= window]
    returns = full["return"].to_numpy(dtype=float)
    vols = full["volatility"].to_numpy(dtype=float)
    current_return, current_vol = float(returns[-1]), float(vols[-1])
    lo_r, hi_r = (float(q) for q in np.quantile(returns, [1 / 3, 2 / 3]))
    lo_v, hi_v = (float(q) for q in np.quantile(vols, [1 / 3, 2 / 3]))
    trend = "bull" if current_return >= hi_r else "bear" if current_return <= lo_r else "neutral"
    level = "high" if current_vol >= hi_v else "low" if current_vol <= lo_v else "normal"
    return {
        "window_days": window,
        "market_return": current_return,
        "market_volatility": current_vol,
        "return_regime": trend,
        "volatility_regime": level,
        "return_percentile": float((returns <= current_return).mean()),
        "volatility_percentile": float((vols <= current_vol).mean()),
        "thresholds": {
            "bear_below": lo_r,
            "bull_above": hi_r,
            "low_vol_below": lo_v,
            "high_vol_above": hi_v,
        },
        "windows_compared": len(returns),
    }


def _check_window(window: int, n_days: int) -> None:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise ConstraintError(f"window must be an integer >= 2 days, got {window!r}")
    if n_days < window:
        raise InsufficientDataError(
            f"history has {n_days} days, fewer than the regime window of {window} days"
        )


def identify_regimes(
    history: pd.DataFrame | pd.Series,
    *,
    window: int = 63,
    market: pd.Series | None = None,
    quantile: float = 1.0 / 3.0,
    alignment: Alignment = "centered",
) -> pd.DataFrame:
    """Boolean membership of each historical day in each regime (columns in `REGIME_NAMES` order).

    `history`: daily simple returns (rows: days, columns: assets) or one asset's Series; NaN or
    infinite values raise `DataError`. `window`: days per rolling window (63, about a quarter).
    `market`: the series whose rolling return and volatility define the regimes (default: the
    equal-weighted average of the assets). `quantile`: the share of labelled days in each tail
    (1/3: terciles). The exact rule is in the module docstring; the thresholds used are stored in
    `result.attrs["thresholds"]` (annualised return and volatility cut-offs).
    """
    if (
        isinstance(quantile, bool)
        or not isinstance(quantile, float | int)
        or not 0 < quantile < 0.5
    ):
        raise ConstraintError(f"quantile must be in (0, 0.5), got {quantile!r}")
    stats = rolling_market_statistics(history, window=window, market=market, alignment=alignment)
    ret = stats["return"].to_numpy()
    vol = stats["volatility"].to_numpy()
    labelled = ~np.isnan(ret)
    lo_ret, hi_ret = np.quantile(ret[labelled], [quantile, 1.0 - quantile])
    lo_vol, hi_vol = np.quantile(vol[labelled], [quantile, 1.0 - quantile])
    with np.errstate(invalid="ignore"):
        membership = {
            "bull": labelled & (ret >= hi_ret),
            "bear": labelled & (ret <= lo_ret),
            "high_vol": labelled & (vol >= hi_vol),
            "low_vol": labelled & (vol <= lo_vol),
            "base": np.ones(len(ret), dtype=bool),
        }
    result = pd.DataFrame(membership, index=stats.index, columns=list(REGIME_NAMES))
    result.attrs["thresholds"] = {
        "bull_min_return": float(hi_ret),
        "bear_max_return": float(lo_ret),
        "high_vol_min_volatility": float(hi_vol),
        "low_vol_max_volatility": float(lo_vol),
    }
    result.attrs["window"] = int(window)
    result.attrs["quantile"] = float(quantile)
    result.attrs["alignment"] = alignment
    return result
