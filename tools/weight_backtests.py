"""`backtest_weights`: a backtest of weights the user gives (or a portfolio's), rebalanced on a
cadence with trading costs, by the engine's day rules (`services.weight_backtests`), beside the
S&P 500 index over the same window. The answer names its window and where the data ends.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from langchain_core.tools import BaseTool
from pydantic import Field

from quant.risk import cagr, max_drawdown, volatility
from services.weight_backtests import Cadence, backtest_weights
from tools.calendar_years import calendar_years
from tools.context import ToolContext
from tools.summaries import iso_date, sig
from tools.tool_factory import make_tool
from tools.windows import (
    SubjectArgs,
    subject_json,
    subject_weights,
    window_info,
    window_returns,
)

__all__ = ["WeightsBacktestArgs", "backtest_weights_tool", "weight_backtest_tools"]


class WeightsBacktestArgs(SubjectArgs):
    """Arguments of `backtest_weights`."""

    rebalance: Cadence = Field(
        default="monthly",
        description="How often the weights are traded back to: never (bought once and held), "
        "daily, weekly, monthly, quarterly or annually (the first session of each period).",
    )
    cost_bps: float = Field(
        default=0.0,
        ge=0.0,
        le=1000.0,
        description="Trading cost in basis points of the amount traded (10 = 0.1%). Default 0.",
    )
    capital: float | None = Field(
        default=None, gt=0, le=1e13, description="Starting capital in currency (optional)."
    )
    risk_free_rate: float = Field(
        default=0.0,
        ge=-0.1,
        le=0.5,
        description="Annual rate the Sharpe ratio is measured against (0.02 = 2%). Default 0.",
    )
    by_year: bool = Field(
        default=False,
        description="Adds the backtest's return in each calendar year (and the index's): "
        "'backtest 60/40 AAPL/KO since 2015 and show the yearly returns'.",
    )


def _drawdown_json(depth: float, peak: Any, trough: Any, recovery: Any) -> dict[str, Any]:
    return {
        "depth": sig(depth),
        "peak": None if peak is None else iso_date(peak),
        "trough": None if trough is None else iso_date(trough),
        "recovery": None if recovery is None else iso_date(recovery),
    }


def backtest_weights_tool(context: ToolContext, args: WeightsBacktestArgs) -> dict[str, Any]:
    """Backtest the weights over the window on the cadence, with costs."""
    weights, label = subject_weights(context, args)
    tickers = [str(t) for t in weights.index]
    returns = window_returns(context, tickers, args.start, args.end, args.last_sessions)
    info = window_info(context, returns)
    base = context.base_date(returns)
    if base is None:  # the data starts at the window: buy at its first close
        base, returns = returns.index[0], returns.iloc[1:]
        info = window_info(context, returns)
    result = backtest_weights(
        returns,
        weights,
        base,
        cadence=args.rebalance,
        cost_bps=args.cost_bps,
        safe_rate=context.safe_rate,
        risk_free_rate=args.risk_free_rate,
    )
    drawdown = result.drawdown
    out: dict[str, Any] = {
        "portfolio": subject_json(weights, label, args, context.safe_rate),
        "rebalance": args.rebalance,
        "cost_bps": args.cost_bps,
        **info,
        "total_return": sig(result.total_return),
        "cagr": sig(result.cagr),
        "volatility": sig(result.volatility),
        "sharpe": sig(result.sharpe),
        "risk_free_rate": args.risk_free_rate,
        "max_drawdown": _drawdown_json(
            drawdown.depth, drawdown.peak, drawdown.trough, drawdown.recovery
        ),
        "cost_drag": sig(result.cost_drag),
        "trades": result.rebalances,
        "turnover": sig(result.turnover),
    }
    if args.capital is not None:
        out["capital"] = args.capital
        out["final_value"] = sig(args.capital * (1.0 + result.total_return))
        if args.cost_bps:  # the final value the costs took, in currency
            out["cost_value"] = sig(args.capital * result.cost_drag)
    sessions = pd.DatetimeIndex(context.data.dates)
    if args.by_year:
        daily = result.wealth.pct_change().iloc[1:].to_frame("portfolio")
        out["calendar_years"] = calendar_years(daily, sessions)["portfolio"]
    market = context.market(info["window"]["start"], info["window"]["end"])
    if market is not None:
        moves = market.reindex(returns.index)
        if moves.notna().all():
            values = moves.to_numpy(dtype=float)
            out["index"] = {
                "name": "S&P 500 index",
                "total_return": sig(float(np.prod(1.0 + values) - 1.0)),
                "cagr": sig(float(np.asarray(cagr(values)))),
                "volatility": sig(float(np.asarray(volatility(values)))),
                "max_drawdown": sig(float(np.asarray(max_drawdown(values)))),
            }
            if args.by_year:
                index_years = calendar_years(moves.to_frame("index"), sessions)["index"]
                out["index"]["calendar_years"] = index_years
    out["units"] = (
        "fractions (0.12 = 12%); bought at the close of window.from_close_of and traded back to "
        "the weights at the close of the first session of each period (trades counts the first "
        "purchase); costs cost_bps per unit traded; cash (1 - sum of weights) earns "
        f"{context.safe_rate:g} a year; cagr and volatility annualised; cost_drag: total return "
        "lost to costs; turnover: weight traded a year at the rebalances after the first "
        "purchase (sum of |target - drifted weight|); max_drawdown depth positive = loss; calendar_years: each year's "
        "return from the last close of the year before (cut: the window holds part of the year)"
    )
    return out


def weight_backtest_tools(context: ToolContext) -> list[BaseTool]:
    """The weights-backtest tool bound to `context`."""
    return [
        make_tool(
            name="backtest_weights",
            description=(
                "Backtest fixed weights the user gives (or a portfolio_id's) on the history: "
                "bought at the start of the window and traded back to the weights on a "
                "rebalancing cadence (never, daily, weekly, monthly, quarterly, annually) with "
                "trading costs in basis points ('backtest 60% AAPL 40% KO rebalanced monthly with "
                "10 bps costs': weights {'AAPL': 0.6, 'KO': 0.4}, rebalance monthly, cost_bps 10). "
                "Returns total return, CAGR, volatility, Sharpe, maximum drawdown with its dates, "
                "what costs took, and the S&P 500 index over the same window (by_year: each "
                "calendar year's return too). For a "
                "volatility-targeting strategy use backtest_strategy instead."
            ),
            args_schema=WeightsBacktestArgs,
            run=lambda args: backtest_weights_tool(context, args),
        )
    ]
