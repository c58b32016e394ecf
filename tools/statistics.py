"""`asset_statistics`: the statistics of assets, or of a portfolio and its assets, over any window
(`services.statistics`): cumulative and annualised returns, CAGR, volatility, the Sharpe and
Sortino ratios, the downside deviation, skewness and excess kurtosis, beta to the index (or to
another stock, `beta_to`) and the tracking error, active return and information ratio against
it, worst and best day (the `extreme_days` most extreme), the sessions
beyond a daily move (`move_beyond`), worst calendar month, the deepest drawdown with its peak, trough and recovery dates, and the correlation matrix; with `by_year`, each calendar
year's return; with `rolling_sessions`, the
volatility and Sharpe ratio of each asset and the portfolio, their correlation with the index
(or `beta_to`) and each pair's correlation over every window of that many sessions, summarised
(latest, lowest, highest with their dates, mean). Every answer names its window and where the
market data ends (`tools.windows`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from langchain_core.tools import BaseTool
from pydantic import Field

from quant.risk import portfolio_returns
from services.errors import InputError
from services.statistics import (
    FLAT,
    Rolled,
    RollingSummary,
    SeriesStatistics,
    days_beyond,
    extreme_days,
    rolling_betas,
    rolling_cagrs,
    rolling_correlations,
    rolling_sharpe_ratios,
    rolling_volatilities,
    series_statistics,
)
from services.windows import (
    MAX_CALENDAR_MONTHS,
    MAX_EXTREME_DAYS,
    MAX_ROLLING_SESSIONS,
    MIN_ROLLING_SESSIONS,
)
from tools.calendar_years import calendar_months, calendar_years
from tools.context import ToolContext
from tools.summaries import iso_date, short_window, sig
from tools.tool_factory import make_tool
from tools.windows import (
    SubjectArgs,
    subject_json,
    subject_weights,
    window_info,
    window_returns,
)

__all__ = ["MAX_CORRELATION_ASSETS", "StatisticsArgs", "asset_statistics", "statistics_tools"]

MAX_STATISTICS_ASSETS = 20
"""Most assets one call describes."""
MAX_CORRELATION_ASSETS = 12
"""Most assets whose whole correlation matrix an answer holds."""
MAX_ROLLING_ASSETS = 6
"""Most assets whose pairs' rolling correlations one call gives."""
UNITS = (
    "fractions (0.12 = 12%); cumulative_return: total over the window; annualised_return: mean "
    "daily return x 252; cagr: compounded a year; volatility: annualised (ddof=1); "
    "sharpe_ratio: annualised_return / volatility, risk-free rate 0; downside_deviation: "
    "sqrt(mean(min(r, 0)^2)) x sqrt(252), every day counted; sortino_ratio: annualised_return / "
    "downside_deviation (null when no day lost); skewness and excess_kurtosis: of daily returns "
    "(null for a series that does not move), "
    "biased moments (scipy's defaults; a normal distribution's excess kurtosis is 0); beta and "
    "market_correlation: to the index (to beta_to when given), on daily returns; tracking_error: "
    "std of the daily return less the index's (beta_to's), ddof=1, x sqrt(252); active_return: "
    "mean of that difference x 252; information_ratio: active_return / tracking_error (null "
    "for the index itself); worst_month, best_month: calendar months of the "
    "window (edge months count "
    "only their sessions inside it); max_drawdown: depth (positive = loss) from its peak to its "
    "trough, recovery null when not back at the peak by the window's end; a portfolio is held "
    "at constant weights, rebalanced daily; rolling (with rolling_sessions): over every window "
    "of that many sessions ending in the period, latest (latest_date), low, high (the sessions "
    "their windows end on), mean and the windows counted (those with a value: a flat window has "
    "no Sharpe ratio or correlation, a flat index no beta, a missing index day no correlation "
    "with it); "
    "calendar_years (with by_year): each calendar year's compounded return over its sessions "
    "inside the window (from, to: the first and last of them; cut: the window leaves out "
    "sessions of that year the market data holds)"
)


class StatisticsArgs(SubjectArgs):
    """Arguments of `asset_statistics`: the assets (`universe`, each described on its own), or
    a portfolio (`portfolio_id` or `weights`: the portfolio and each of its assets), and the
    window."""

    universe: list[str] | None = Field(
        default=None,
        max_length=MAX_STATISTICS_ASSETS,
        description="Tickers to describe, each on its own (at most "
        f"{MAX_STATISTICS_ASSETS}), e.g. ['AAPL', 'MSFT']; or give portfolio_id or weights.",
    )
    rolling_sessions: int | None = Field(
        default=None,
        ge=MIN_ROLLING_SESSIONS,
        le=MAX_ROLLING_SESSIONS,
        description="A rolling window in sessions ('rolling 60-day correlation': 60; 3 months: "
        "63): adds the volatility, Sharpe ratio and CAGR of each asset (and the portfolio), "
        "its correlation with and beta to the index (or beta_to) and each pair's correlation "
        "(at most "
        f"{MAX_ROLLING_ASSETS} assets) over every such window of the period, summarised.",
    )
    by_year: bool = Field(
        default=False,
        description="Adds each calendar year's return of each asset (the portfolio's and the "
        "index's too): 'returns of LLY by year', 'how did KO do each year since 2015'.",
    )
    extreme_days: int | None = Field(
        default=None,
        ge=2,
        le=MAX_EXTREME_DAYS,
        description="Adds each asset's (and the portfolio's) that many best and worst days, "
        "most extreme first: 'the 3 best days of MSFT in 2020' is 3 (one: best_day, worst_day).",
    )
    by_month: bool = Field(
        default=False,
        description="Adds each calendar month's return of each asset (and the portfolio's), "
        f"for a window of at most {MAX_CALENDAR_MONTHS} months: 'AAPL's monthly returns in "
        "2020'.",
    )
    move_beyond: float | None = Field(
        default=None,
        gt=0,
        le=0.5,
        description="Counts each asset's (and the portfolio's) sessions that fell or rose by "
        "more than this daily move, a fraction: 'how many days did AAPL fall more than 5%' "
        "is 0.05 (days_beyond: down, up, of sessions).",
    )
    beta_to: str | None = Field(
        default=None,
        max_length=12,
        description="A ticker to measure beta against instead of the S&P 500 index: 'beta of "
        "JPM to XOM' is universe ['JPM'], beta_to 'XOM'.",
    )


def _series_json(stats: SeriesStatistics, with_beta: bool = True) -> dict[str, Any]:
    drawdown = stats.drawdown
    out: dict[str, Any] = {
        "cumulative_return": sig(stats.cumulative_return),
        "annualised_return": sig(stats.annualised_return),
        "cagr": sig(stats.cagr),
        "volatility": sig(stats.volatility),
        "sharpe_ratio": sig(stats.sharpe) if stats.volatility > FLAT else None,
        "sortino_ratio": sig(stats.sortino),
        "downside_deviation": sig(stats.downside_deviation),
        "skewness": sig(stats.skewness) if stats.volatility > FLAT else None,
        "excess_kurtosis": sig(stats.excess_kurtosis) if stats.volatility > FLAT else None,
    }
    if with_beta:
        out["beta"] = None if stats.beta is None else sig(stats.beta)
        out["market_correlation"] = None if stats.correlation is None else sig(stats.correlation)
        for key in ("tracking_error", "active_return", "information_ratio"):
            value = getattr(stats, key)
            out[key] = None if value is None else sig(value)
    out.update(
        worst_day={"date": iso_date(stats.worst_day[0]), "return": sig(stats.worst_day[1])},
        best_day={"date": iso_date(stats.best_day[0]), "return": sig(stats.best_day[1])},
        worst_month={
            "month": stats.worst_month[0].strftime("%Y-%m"),
            "return": sig(stats.worst_month[1]),
        },
        best_month={
            "month": stats.best_month[0].strftime("%Y-%m"),
            "return": sig(stats.best_month[1]),
        },
        max_drawdown={
            "depth": sig(drawdown.depth),
            "peak": None if drawdown.peak is None else iso_date(drawdown.peak),
            "trough": None if drawdown.trough is None else iso_date(drawdown.trough),
            "recovery": None if drawdown.recovery is None else iso_date(drawdown.recovery),
        },
    )
    return out


def _rolling_json(summary: RollingSummary) -> dict[str, Any]:
    return {
        "latest": sig(summary.latest), "latest_date": iso_date(summary.latest_date),
        "low": sig(summary.low), "low_date": iso_date(summary.low_date),
        "high": sig(summary.high), "high_date": iso_date(summary.high_date),
        "mean": sig(summary.mean), "windows": summary.windows,
    }  # fmt: skip


def _rolled(rolled: Rolled) -> dict[str, Any]:
    found, unmeasured = rolled
    out: dict[str, Any] = {name: _rolling_json(summary) for name, summary in found.items()}
    return {**out, **({"not_measured": unmeasured} if unmeasured else {})}


def _rolling(
    frame: pd.DataFrame, assets: pd.DataFrame, reference: pd.Series | None, sessions: int
) -> dict[str, Any]:
    """Each series' rolling volatility, Sharpe ratio and CAGR (the portfolio's too), its rolling
    correlation with and beta to `reference` (the index or `beta_to`), each pair's of at most
    `MAX_ROLLING_ASSETS` assets; `not_computed` (why) when the period is shorter than one
    window."""
    try:
        out: dict[str, Any] = {
            "sessions": sessions,
            "windows": len(frame) - sessions + 1,
            "volatility": _rolled(rolling_volatilities(frame, sessions)),
            "sharpe_ratio": _rolled(rolling_sharpe_ratios(frame, sessions)),
            "cagr": _rolled(rolling_cagrs(frame, sessions)),
        }
    except ValueError as exc:
        return {"sessions": sessions, "not_computed": str(exc)}
    if reference is not None:
        out["market_correlation"] = _rolled(rolling_correlations(frame, sessions, reference))
        out["beta"] = _rolled(rolling_betas(frame, sessions, reference))
    if assets.shape[1] > MAX_ROLLING_ASSETS:
        out["correlation_not_given"] = (
            f"the rolling correlation of each pair is given for at most {MAX_ROLLING_ASSETS} "
            f"stocks, not {assets.shape[1]}"
        )
    elif assets.shape[1] > 1:
        out["correlation"] = _rolled(rolling_correlations(assets, sessions))
    return out


def _correlation(returns: pd.DataFrame) -> dict[str, Any] | None:
    names = [str(c) for c in returns.columns]
    if len(names) < 2 or len(names) > MAX_CORRELATION_ASSETS:
        return None
    matrix = returns.corr().to_numpy()
    pairs = matrix[np.triu_indices(len(names), k=1)]
    pairs = pairs[np.isfinite(pairs)]
    return {
        "assets": names,
        "matrix": [[sig(v) for v in row] for row in matrix],
        "mean_pairwise": sig(float(pairs.mean())) if len(pairs) else None,
    }


def _index_statistics(
    context: ToolContext, market: pd.Series, base: pd.Timestamp | None
) -> SeriesStatistics:
    """The index's statistics over its returns `market` (the data's index on the window's
    sessions) from the close of `base`: derived once per market data object and sessions
    (`ToolContext.derived`), as every question on the same window asks them again."""
    sessions = pd.DatetimeIndex(market.index).asi8.tobytes()
    key = ("index_statistics", base, len(market), sessions)
    found: SeriesStatistics = context.derived(
        key, lambda: series_statistics(market.to_frame("index"), None, base)["index"]
    )
    return found


def asset_statistics(context: ToolContext, args: StatisticsArgs) -> dict[str, Any]:
    """Statistics of the assets (or the portfolio and its assets) over the window."""
    weights, label = subject_weights(context, args)
    tickers = [str(t) for t in weights.index]
    against = None if args.beta_to is None else context.resolve_universe([args.beta_to])[0]
    wanted = tickers + ([against] if against is not None and against not in tickers else [])
    returns = window_returns(context, wanted, args.start, args.end, args.last_sessions)
    reference = None if against is None else returns[against]
    returns = returns[tickers]
    info = window_info(context, returns)
    market = context.market(info["window"]["start"], info["window"]["end"])
    market = None if market is None else market.reindex(returns.index).dropna()
    base = context.base_date(returns)
    frame = returns
    portfolio = args.portfolio_id is not None or args.weights is not None
    if portfolio:
        series = portfolio_returns(weights, returns).rename("portfolio")
        frame = pd.concat([returns, series], axis=1)
    stats = series_statistics(frame, market if reference is None else reference, base)
    out: dict[str, Any] = {**info}
    if against is not None:
        out["beta_to"] = against
    if flagged := short_window(len(returns)):
        out["short_window"] = flagged
    if args.rolling_sessions is not None:
        series_against = market if reference is None else reference
        out["rolling"] = _rolling(frame, returns, series_against, args.rolling_sessions)
    if portfolio:
        out["portfolio"] = {
            **subject_json(weights, label, args),
            **_series_json(stats.pop("portfolio")),
        }
    out["assets"] = {name: _series_json(value) for name, value in stats.items()}
    if args.by_month:
        _by_month(out, frame, pd.DatetimeIndex(context.data.dates), portfolio)
    if args.move_beyond is not None:
        for name, (down, up) in days_beyond(frame, args.move_beyond).items():
            entry = _entry(out, name, portfolio)
            entry["days_beyond"] = {
                "size": args.move_beyond, "down": down, "up": up, "sessions": len(frame),
            }  # fmt: skip
    if args.extreme_days is not None:
        for name, (best, worst) in extreme_days(frame, args.extreme_days).items():
            entry = _entry(out, name, portfolio)
            entry["best_days"] = [{"date": iso_date(d), "return": sig(r)} for d, r in best]
            entry["worst_days"] = [{"date": iso_date(d), "return": sig(r)} for d, r in worst]
    if args.by_year:
        years = calendar_years(frame, pd.DatetimeIndex(context.data.dates))
        for name, entry in [*out["assets"].items(), ("portfolio", out.get("portfolio"))]:
            if entry is not None:
                entry["calendar_years"] = years[name]
    if market is not None and len(market) > 2:
        index_stats = _index_statistics(context, market, base)
        out["index"] = {"name": "S&P 500 index", **_series_json(index_stats, with_beta=False)}
        out["index"].update(_index_extras(market, args, pd.DatetimeIndex(context.data.dates)))
    correlation = _correlation(returns)
    if correlation is not None:
        out["correlation"] = correlation
    elif returns.shape[1] > MAX_CORRELATION_ASSETS:
        out["correlation_not_given"] = (
            f"the correlation of each pair is given for at most {MAX_CORRELATION_ASSETS} "
            f"stocks, not {returns.shape[1]}"
        )
    out["units"] = UNITS
    return out


def _index_extras(
    market: pd.Series, args: StatisticsArgs, sessions: pd.DatetimeIndex
) -> dict[str, Any]:
    """What was asked of each series, of the index too, over its own days (some may lack):
    its calendar years and months, its sessions beyond a move, its best and worst days."""
    frame = market.to_frame("^")
    out: dict[str, Any] = {}
    if args.by_year:
        out["calendar_years"] = calendar_years(frame, sessions)["^"]
    if args.by_month:  # a window of too many months was refused by then (`_by_month`)
        out["calendar_months"] = calendar_months(frame, sessions)["^"]
    if args.move_beyond is not None:
        down, up = days_beyond(frame, args.move_beyond)["^"]
        out["days_beyond"] = {
            "size": args.move_beyond, "down": down, "up": up, "sessions": len(frame),
        }  # fmt: skip
    if args.extreme_days is not None:
        best, worst = extreme_days(frame, args.extreme_days)["^"]
        out["best_days"] = [{"date": iso_date(d), "return": sig(r)} for d, r in best]
        out["worst_days"] = [{"date": iso_date(d), "return": sig(r)} for d, r in worst]
    return out


def _entry(out: dict[str, Any], name: str, portfolio: bool) -> dict[str, Any]:
    """The result entry of the series `name`: the portfolio's (`portfolio`: one was given, and
    its series is named "portfolio"), else the asset's."""
    return out["portfolio"] if portfolio and name == "portfolio" else out["assets"][name]


def _by_month(
    out: dict[str, Any], frame: pd.DataFrame, sessions: pd.DatetimeIndex, portfolio: bool
) -> None:
    """Each entry's `calendar_months`; `InputError` on ``by_month`` for a window of more
    months than a reader reads."""
    held = pd.DatetimeIndex(frame.index).to_period("M").nunique()
    if held > MAX_CALENDAR_MONTHS:
        raise InputError(
            "by_month",
            f"the window holds {held} calendar months; returns by month are given for at most "
            f"{MAX_CALENDAR_MONTHS}: ask a window of five years or less, or returns by year",
        )
    for name, months in calendar_months(frame, sessions).items():
        entry = _entry(out, name, portfolio)
        entry["calendar_months"] = months


def statistics_tools(context: ToolContext) -> list[BaseTool]:
    """The statistics tool bound to `context`."""
    return [
        make_tool(
            name="asset_statistics",
            description=(
                "Statistics of stocks, or of a portfolio (portfolio_id or weights) and its "
                "stocks, over any window (start/end dates, or last_sessions: 252 = the last 12 "
                "months): cumulative and annualised return, CAGR, volatility, Sharpe and "
                "Sortino ratios, downside deviation, skewness, excess kurtosis, beta, "
                "correlation, tracking error, active return and information ratio against the "
                "S&P 500 index (or beta_to), worst and best day (or days, "
                "with extreme_days), the days beyond a move (move_beyond), worst "
                "calendar month, maximum drawdown with its peak, "
                "trough and recovery dates, and the correlation matrix; rolling volatility, "
                "Sharpe ratio, CAGR, beta and correlations with rolling_sessions; each calendar "
                "year's return with by_year, each month's with by_month. Use it for questions "
                "such as 'correlation of AAPL and MSFT since 2021', 'return of XOM between 2019 "
                "and 2021', 'worst month of KO', 'beta of JPM', 'beta of JPM to XOM' (beta_to), "
                "'how correlated is XOM with the S&P', 'rolling 60-day correlation of XOM and "
                "CVX' (rolling_sessions 60), 'skew of AAPL', 'LLY's returns by year' (by_year), "
                "'tracking error of a 60/40 AAPL KO portfolio vs the S&P' (weights). "
                "The answer names its window and where the market data ends."
            ),
            args_schema=StatisticsArgs,
            run=lambda args: asset_statistics(context, args),
        )
    ]
