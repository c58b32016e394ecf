"""What a deployment's account is shown beside, over the sessions it traded, and how each line did.

The benchmarks (`benchmark_values`) hold the deployment's universe equal-weighted, bought once
and held (`equal_weight_held`) or rebalanced to equal weights at each of the deployment's fires
(`equal_weight_rebalanced`), and the S&P 500 index (`sp500`, the embedded index: left out, with
the reason, over sessions it does not cover). Each starts with the deployment's capital in cash
and invests at the close where the account's first orders fill, as the deployed backtest does,
so every line starts investing together; none pays trading costs or earns interest on cash.

`performance_rows` measures each line over the sessions (values at each session's close):
total return, CAGR, annualised volatility, Sharpe ratio against the annual `risk_free_rate` the
rows state (the strategy's safe rate), and maximum drawdown, with `quant.risk`'s definitions on
the daily simple returns of the values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from quant.engine.held_runs import held_wealth
from quant.risk import cagr, max_drawdown, sharpe_ratio, volatility
from services.formatting import BENCHMARKS
from services.market_data.index import INDEX_NAME, sp500_index_levels

LABELS = {
    "equal_weight_held": BENCHMARKS["buy_and_hold"],
    "equal_weight_rebalanced": "equal weights, rebalanced at each fire",
    "sp500": INDEX_NAME,
}
"""The benchmarks' names as a user reads them."""


@dataclass(frozen=True)
class Benchmarks:
    """The benchmarks' values at each session's close (name -> series) and those left out, with
    why (name -> reason)."""

    values: dict[str, pd.Series]
    missing: dict[str, str] = field(default_factory=dict)


def benchmark_values(
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    capital: float,
    *,
    first_row: int,
    fire_rows: Sequence[int],
    index: pd.Series | None = None,
) -> Benchmarks:
    """The benchmarks of the module docstring over `sessions` (a subset of `closes`' dates):
    invested at row `first_row` of `closes` and, for the rebalanced one, at each of `fire_rows`
    after it; `index` is the index's levels (default: the embedded S&P 500 index)."""
    rows = closes.index.get_indexer(sessions.index)
    start = int(rows[0]) - 1
    prices = closes.to_numpy(dtype=float)[start : int(rows[-1]) + 1]
    equal = np.full(prices.shape[1], 1.0 / prices.shape[1])
    cash = np.zeros(len(prices))
    offsets = rows - start
    first = first_row - start
    held = held_wealth(prices, cash, [(first, equal)])
    later = sorted({row - start for row in fire_rows if first < row - start < len(prices)})
    rebalanced = held_wealth(prices, cash, [(first, equal), *((row, equal) for row in later)])
    values = {
        "equal_weight_held": pd.Series(capital * held[offsets], index=sessions.index),
        "equal_weight_rebalanced": pd.Series(capital * rebalanced[offsets], index=sessions.index),
    }
    missing = {}
    levels = sp500_index_levels() if index is None else index
    dates = closes.index[start : int(rows[-1]) + 1]
    aligned = levels.reindex(dates)
    if aligned.iloc[first:].notna().all():
        level = aligned.to_numpy(dtype=float)
        wealth = np.where(np.arange(len(level)) < first, 1.0, level / level[first])
        values["sp500"] = pd.Series(capital * wealth[offsets], index=sessions.index)
    else:
        last = levels.index[-1].date()
        missing["sp500"] = f"{INDEX_NAME} ends on {last}, before the last of these sessions"
    return Benchmarks(values, missing)


def benchmark_fields(
    lines: Mapping[str, pd.Series],
    labels: Mapping[str, str],
    benchmarks: Benchmarks,
    risk_free_rate: float,
) -> dict[str, Any]:
    """A result's `benchmarks`: the `risk_free_rate` its Sharpe ratios use, a `performance` row
    for each of `lines` and each benchmark (`performance_rows`; benchmarks cut to the lines'
    dates), and the benchmarks left out with why (`missing`)."""
    dates = next(iter(lines.values())).index
    every = {**lines, **{name: v.loc[dates] for name, v in benchmarks.values.items()}}
    return {
        "risk_free_rate": risk_free_rate,
        "performance": performance_rows(every, {**LABELS, **labels}, risk_free_rate),
        "missing": benchmarks.missing,
    }


def performance_rows(
    lines: Mapping[str, pd.Series], labels: Mapping[str, str], risk_free_rate: float
) -> list[dict[str, Any]]:
    """One row per line (in the order given): `name`, `label`, `total_return`, `cagr`,
    `volatility`, `sharpe` (against `risk_free_rate`, annual) and `max_drawdown`, over its
    values from the first session's close (None where fewer than 3 values leave them
    undefined)."""
    rows = []
    for name, values in lines.items():
        series = values.to_numpy(dtype=float)
        rows.append(
            {
                "name": name,
                "label": labels.get(name, name),
                "total_return": float(series[-1] / series[0] - 1.0),
                **_measures(series[1:] / series[:-1] - 1.0, risk_free_rate),
            }
        )
    return rows


def _measures(returns: np.ndarray, risk_free_rate: float) -> dict[str, float | None]:
    """CAGR, volatility, Sharpe and maximum drawdown of daily `returns` (None under 2)."""
    if len(returns) < 2:
        return dict.fromkeys(("cagr", "volatility", "sharpe", "max_drawdown"))
    return {
        "cagr": float(np.asarray(cagr(returns))),
        "volatility": float(np.asarray(volatility(returns))),
        "sharpe": float(np.asarray(sharpe_ratio(returns, risk_free_rate=risk_free_rate))),
        "max_drawdown": float(np.asarray(max_drawdown(returns))),
    }
