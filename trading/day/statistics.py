"""The statistics of a strategy's tearsheet, from its daily returns (the analytics table's
`return`: each session's simple return, cash flows in or out not counting), each with
`quant`'s one definition of it (`quant.risk`, `quant.statistics`):

- `total_return`, `cagr` (252 sessions a year), `volatility` (annualised, ddof = 1), `sharpe`
  and `sortino` (against the strategy's safe rate, see `SHARPE_CONVENTION`), `max_drawdown`
  (a positive fraction) and `calmar` (CAGR / maximum drawdown), `best_day` and `worst_day`,
  `best_month` and `worst_month` (calendar months compounded; a month cut by the window counts
  its days inside), each `{"value", "on", "why"}`: `value` null with `why` when it is not yet
  available (fewer than `MIN_RETURNS` returns) or not defined (no dispersion, no day below the
  safe rate, no drawdown yet); `on` the day or month's last session for the best and worst;
- `monthly`: the monthly returns table (a row per year: its months, null without returns, and
  the year compounded);
- `series`: the `dates` of the returns and, at each, the `drawdown` (the underwater curve, a
  positive fraction), the `rolling_volatility` and the `rolling_sharpe` over the last
  `ROLLING_WINDOW` returns (null before a full window; `rolling_why` says why they are empty).

Each equals quantstats' on the same returns to 1e-6 (`tests/trading/test_tearsheet_statistics.py`),
Sharpe and Sortino with quantstats' risk-free rate rf' = (1 + rf / 252)^252 - 1 (quantstats
compounds the annual rate to a daily one; this tearsheet divides it by 252).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from quant.estimators import PERIODS_PER_YEAR
from quant.risk import (
    cagr,
    calmar_ratio,
    drawdowns,
    max_drawdown,
    rolling_sharpe,
    rolling_volatility,
    sharpe_ratio,
    sortino_ratio,
    total_return,
    volatility,
)
from quant.statistics import MONTHS, calendar_returns, monthly_returns

__all__ = ["MIN_RETURNS", "MONTHS", "ROLLING_WINDOW", "SHARPE_CONVENTION", "return_statistics"]

MIN_RETURNS = 2
"""The fewest daily returns (sessions after the first) any statistic is computed on."""
ROLLING_WINDOW = 63
"""The daily returns of the rolling volatility and Sharpe ratio (about three months)."""
SHARPE_CONVENTION = (
    "Sharpe and Sortino ratios on daily returns in excess of the safe rate / 252 (simple), "
    "annualised with the square root of 252; the Sortino ratio's downside deviation is the root "
    "mean square of the excess returns below 0, over every day"
)
"""How the tearsheet's Sharpe and Sortino ratios treat the risk-free rate, in words."""

_UNDEFINED = {
    "sharpe": "not defined: the daily returns do not vary",
    "sortino": "not defined: no daily return is below the safe rate's",
    "calmar": "not defined: no drawdown yet",
}


def return_statistics(returns: pd.Series, risk_free_rate: float) -> dict[str, Any]:
    """The statistics of daily `returns` (indexed by session date, oldest first) against the
    annual `risk_free_rate` (see the module docstring); JSON-ready (no NaN)."""
    returns = returns.astype(float)
    n = len(returns)
    base: dict[str, Any] = {
        "returns": n,
        "risk_free_rate": risk_free_rate,
        "convention": SHARPE_CONVENTION,
        "rolling_window": ROLLING_WINDOW,
    }
    if n < MIN_RETURNS:
        why = (
            f"not yet available: needs at least {MIN_RETURNS} daily returns "
            f"({MIN_RETURNS + 1} sessions), has {n}"
        )
        names = ("total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown",
                 "calmar", "best_day", "worst_day", "best_month", "worst_month")  # fmt: skip
        return {
            **base,
            **{name: _missing(why) for name in names},
            "monthly": [],
            "series": {
                "dates": [],
                "drawdown": [],
                "rolling_volatility": [],
                "rolling_sharpe": [],
                "rolling_why": why,
            },
        }
    months = monthly_returns(returns).iloc[:, 0]
    return {
        **base,
        "total_return": _value(total_return(returns)),
        "cagr": _value(cagr(returns)),
        "volatility": _value(volatility(returns)),
        "sharpe": _value(sharpe_ratio(returns, risk_free_rate=risk_free_rate), "sharpe"),
        "sortino": _value(sortino_ratio(returns, risk_free_rate=risk_free_rate), "sortino"),
        "max_drawdown": _value(max_drawdown(returns)),
        "calmar": _value(calmar_ratio(returns), "calmar"),
        "best_day": _extreme(returns, best=True),
        "worst_day": _extreme(returns, best=False),
        "best_month": _extreme(months, best=True),
        "worst_month": _extreme(months, best=False),
        "monthly": _monthly(returns),
        "series": _series(returns, risk_free_rate),
    }


def _missing(why: str) -> dict[str, Any]:
    return {"value": None, "on": None, "why": why}


def _value(value: float | pd.Series, name: str = "") -> dict[str, Any]:
    number = float(np.asarray(value))
    if not math.isfinite(number):
        return _missing(_UNDEFINED.get(name, "not defined"))
    return {"value": number, "on": None, "why": None}


def _extreme(values: pd.Series, *, best: bool) -> dict[str, Any]:
    """The highest (`best`) or lowest value of `values` and the date it is on (the first of
    ties)."""
    row = int(np.argmax(values.to_numpy()) if best else np.argmin(values.to_numpy()))
    on = pd.DatetimeIndex(values.index)[row].date().isoformat()
    return {"value": float(values.iloc[row]), "on": on, "why": None}


def _finite(values: pd.Series) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values.to_numpy(dtype=float)]


def _monthly(returns: pd.Series) -> list[dict[str, Any]]:
    table = calendar_returns(returns)
    return [
        {
            "year": int(year),
            "months": _finite(table.loc[year, list(MONTHS)]),
            "year_return": float(table.loc[year, "Year"]),
        }
        for year in table.index
    ]


def _series(returns: pd.Series, risk_free_rate: float) -> dict[str, Any]:
    window = ROLLING_WINDOW
    why = (
        None
        if len(returns) >= window
        else f"not yet available: needs {window} daily returns, has {len(returns)}"
    )
    return {
        "dates": [pd.Timestamp(d).date().isoformat() for d in returns.index],
        "drawdown": _finite(drawdowns(returns)),
        "rolling_volatility": _finite(
            rolling_volatility(returns, window, periods_per_year=PERIODS_PER_YEAR)
        ),
        "rolling_sharpe": _finite(rolling_sharpe(returns, window, risk_free_rate=risk_free_rate)),
        "rolling_why": why,
    }
