"""Market tools: statistics and regime of a universe, and Monte Carlo market scenarios.

- `market_statistics`: per-asset annualised return, volatility, Sharpe ratio and maximum
  drawdown; correlations; the market's current regime (last 63 trading days against every
  63-day window of the range), bull or bear markets of the index and each asset by the 20% rule
  (`PHASE_RULE`), and trend (index level against its 200-day average).
- `generate_market_scenarios`: `quant.scenarios.generate_scenarios` on the universe's history,
  regimes defined by the S&P 500 index; the scenario set is stored and referenced by id.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from quant.estimators import PERIODS_PER_YEAR, mean_returns
from quant.market_phase import BEAR_MARKET_FALL, market_phase
from quant.regimes import current_regime
from quant.risk import max_drawdown, sharpe_ratio, volatility
from quant.scenarios import generate_scenarios
from tools.context import MAX_UNIVERSE, ScenarioRecord, ToolContext
from tools.summaries import compact, iso_date, round_weights, short_window, sig
from tools.tool_factory import make_tool

__all__ = [
    "REGIME_WINDOW",
    "TREND_WINDOW",
    "MarketStatisticsArgs",
    "ScenarioArgs",
    "generate_market_scenarios",
    "market_statistics",
    "market_tools",
]

REGIME_WINDOW = 63
"""Trading days (about a quarter) of the window that defines the current regime."""

TREND_WINDOW = 200
"""Trading days of the moving average the trend compares the index level with."""

ScenarioName = Literal["bull", "bear", "high_vol", "low_vol", "base"]


def _all_scenarios() -> list[ScenarioName]:
    return ["bull", "bear", "high_vol", "low_vol", "base"]


UNIVERSE_DESCRIPTION = (
    f"Tickers to analyse (at most {MAX_UNIVERSE}), e.g. ['AAPL', 'MSFT']. Omit, or pass ['ALL'], "
    "for every ticker of the dataset. Unknown tickers are an error that lists the available ones."
)
START_DESCRIPTION = (
    "First date of the history, ISO format YYYY-MM-DD (YYYY also works). Default: the start of "
    "the last 5 calendar years of data (2018-01-01 on the embedded dataset)."
)
END_DESCRIPTION = (
    "Last date of the history, ISO format YYYY-MM-DD (YYYY: end of that year). Default: the last "
    "date of the data (2022-12-28 on the embedded dataset)."
)


class RangeArgs(BaseModel):
    """Universe and date range shared by the market and portfolio tools."""

    model_config = ConfigDict(extra="forbid")

    universe: list[str] | None = Field(
        default=None, max_length=MAX_UNIVERSE, description=UNIVERSE_DESCRIPTION
    )
    start: str | None = Field(default=None, max_length=10, description=START_DESCRIPTION)
    end: str | None = Field(default=None, max_length=10, description=END_DESCRIPTION)


class MarketStatisticsArgs(RangeArgs):
    """Arguments of `market_statistics`."""


class ScenarioArgs(RangeArgs):
    """Arguments of `generate_market_scenarios`."""

    names: list[ScenarioName] = Field(
        default_factory=_all_scenarios,
        min_length=1,
        max_length=5,
        description="Scenarios to simulate: bull (strongest third of market quarters), bear "
        "(weakest third), high_vol (most turbulent third), low_vol (calmest third), base (all "
        "days). Default: all five.",
    )
    n_paths: int = Field(
        default=500, ge=1, le=5000, description="Simulated paths per scenario (1 to 5000)."
    )
    horizon: int = Field(
        default=252,
        ge=21,
        le=1260,
        description="Trading days per path (21 to 1260; 252 is one year).",
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        description="Random seed (non-negative integer); the same seed gives the same paths. "
        "Default: the run's seed (0 unless configured).",
    )
    method: Literal["block_bootstrap", "gbm"] = Field(
        default="block_bootstrap",
        description="block_bootstrap replays blocks of real historical regime days (fat tails, "
        "volatility clustering); gbm draws normal log returns with the regime's mean and "
        "covariance.",
    )
    block_size: int = Field(
        default=20,
        ge=1,
        le=252,
        description="Consecutive historical days per bootstrap block (block_bootstrap only).",
    )
    weights: dict[str, float] | None = Field(
        default=None,
        max_length=MAX_UNIVERSE,
        description="Weights {ticker: weight} of the risky portfolio the strategies will trade "
        "(normalised to sum 1; tickers left out get 0). Default: equal weights over the universe. "
        "When universe is omitted, the universe is the tickers of these weights.",
    )


# --------------------------------------------------------------------------------------------
# market_statistics
# --------------------------------------------------------------------------------------------
def _pairs(returns: pd.DataFrame) -> dict[str, Any]:
    names = [str(c) for c in returns.columns]
    if len(names) < 2:
        return {"mean_pairwise": None, "most_correlated": [], "least_correlated": []}
    corr = np.corrcoef(returns.to_numpy(dtype=float), rowvar=False)
    i, j = np.triu_indices(len(names), k=1)
    values = corr[i, j]
    order = np.argsort(values, kind="stable")
    k = min(3, len(values))

    def pair(idx: int) -> dict[str, Any]:
        return {"pair": [names[i[idx]], names[j[idx]]], "correlation": sig(values[idx])}

    return {
        "mean_pairwise": sig(values.mean()),
        "most_correlated": [pair(int(x)) for x in order[::-1][:k]],
        "least_correlated": [pair(int(x)) for x in order[:k]],
    }


def _regime(returns: pd.DataFrame, market: pd.Series | None) -> dict[str, Any]:
    found = current_regime(returns, window=REGIME_WINDOW, market=market)
    thresholds = cast(dict[str, float], found["thresholds"])
    return {
        **found,
        **{k: sig(cast(float, found[k])) for k in _REGIME_NUMBERS},
        "thresholds": {k: sig(v) for k, v in thresholds.items()},
    }


def _regime_of_window(
    context: ToolContext, args: MarketStatisticsArgs, returns: pd.DataFrame
) -> dict[str, Any]:
    """The regime at the window's end: read over the window when it holds more than
    `REGIME_WINDOW` sessions; else over the `REGIME_WINDOW` sessions to its end, against the
    tools' default span of years before it (the sessions before the window included, and a
    `note` says so); else (the data holds too few sessions up to the window's end) no regime,
    and the `note` says why."""
    if len(returns) > REGIME_WINDOW:
        return _regime(returns, context.market(args.start, args.end))
    end = returns.index[-1]
    first = context.data_range()[0]
    start = max(first, end - pd.DateOffset(years=context.default_years))
    dates = context.data.dates
    held = int(((dates >= start) & (dates <= end)).sum())
    short = (
        f"a regime reading needs {REGIME_WINDOW + 1} sessions and the window holds {len(returns)}"
    )
    if held <= REGIME_WINDOW:
        return {"window_days": REGIME_WINDOW, "return_regime": None, "volatility_regime": None,
                "note": f"{short}, and the market data holds only {held} sessions up to "
                f"{iso_date(end)}: no regime is read"}  # fmt: skip
    since, until = iso_date(start), iso_date(end)
    history = context.returns(args.universe, since, until)
    found = _regime(history, context.market(since, until))
    found["note"] = (
        f"{short}: the regime is read over the {REGIME_WINDOW} sessions to {until}, against "
        f"the market since {iso_date(history.index[0])} (sessions before the window included)"
    )
    return found


_REGIME_NUMBERS = (
    "market_return",
    "market_volatility",
    "return_percentile",
    "volatility_percentile",
)


def _trend(market: pd.Series) -> dict[str, Any]:
    level = np.cumprod(1.0 + market.to_numpy(dtype=float))
    if len(level) < TREND_WINDOW:
        return {
            "window_days": TREND_WINDOW,
            "direction": None,
            "note": f"fewer than {TREND_WINDOW} days in the range",
        }
    average = float(level[-TREND_WINDOW:].mean())
    gap = float(level[-1] / average - 1.0)
    return {
        "window_days": TREND_WINDOW,
        "direction": "up" if gap > 0 else "down",
        "price_vs_average": sig(gap),
    }


def _short_window(returns: pd.DataFrame) -> dict[str, Any] | None:
    """For a short window (`tools.windows.short_window`), each asset's return over the window
    itself (compounded, a fraction) beside what its annualised figures are; else None."""
    flagged = short_window(len(returns))
    if flagged is None:
        return None
    total = (1.0 + returns).prod() - 1.0
    return {**flagged, "window_return": {str(n): sig(total[n]) for n in returns.columns}}


PHASE_RULE = (
    f"the {BEAR_MARKET_FALL:.0%} rule: a bear market begins at a peak once a close is "
    f"{BEAR_MARKET_FALL:.0%} or more below it, and lasts until a close is {BEAR_MARKET_FALL:.0%} "
    "or more above the lowest close since; a bull market begins at that low, and lasts until a "
    f"close is again {BEAR_MARKET_FALL:.0%} below the highest close since. Read on the market "
    "data's whole history up to the window's end (a phase may begin before the window). phase: "
    "at the window's end, null when the history holds no such move; since: the close it began "
    "at (the peak or the low); move: the change from that close to the window's last; before, "
    "before_since: the phase it ended and where that began; below_high: the last close's fall "
    "below the window's highest close (on high); fractions"
)
"""What the `phases` of the market read mean (`quant.market_phase`)."""


def _phase(history: pd.Series, window: pd.DatetimeIndex) -> dict[str, Any]:
    """One series' phase by the rule (`PHASE_RULE`) at the last close of `history` (daily
    returns from the data's start), with the fall below the highest close of `window` (its
    sessions, and the close it starts from)."""
    found = market_phase(history)
    dates = pd.DatetimeIndex(history.index)

    def date(position: int | None) -> str | None:
        return None if position is None or position < 0 else iso_date(dates[position])

    level = np.cumprod(1.0 + history.to_numpy(dtype=float))
    first = max(int(dates.searchsorted(window[0])) - 1, 0)
    top = first + int(np.argmax(level[first:]))
    return {
        "phase": found.phase,
        "since": date(found.began),
        "move": None if found.move is None else sig(found.move),
        "before": found.before,
        "before_since": date(found.before_began),
        "below_high": sig(1.0 - level[-1] / level[top]),
        "high": iso_date(dates[top]),
    }


MAX_PHASE_ASSETS = 8
"""Most assets whose phase the market read gives one by one (the index's is always given)."""


def _phases(
    context: ToolContext, returns: pd.DataFrame, market: pd.Series | None
) -> dict[str, Any]:
    """The index's (the stocks' equal-weight average without one) and, for at most
    `MAX_PHASE_ASSETS` assets, each asset's bull or bear market by the rule (`PHASE_RULE`) at
    the window's end."""
    since, until = iso_date(context.data.dates[0]), iso_date(returns.index[-1])
    history = context.returns(list(returns.columns), since, until)
    index = context.market(since, until) if market is not None else None
    if index is None:
        index = pd.Series(history.to_numpy().mean(axis=1), index=history.index)
    window = pd.DatetimeIndex(returns.index)
    out: dict[str, Any] = {
        "rule": PHASE_RULE,
        "threshold": BEAR_MARKET_FALL,
        "index": _phase(index, window),
    }
    if history.shape[1] > MAX_PHASE_ASSETS:
        out["per_asset_not_given"] = (
            f"each asset's phase is given for at most {MAX_PHASE_ASSETS} assets, not "
            f"{history.shape[1]}: ask of fewer"
        )
    else:
        out["per_asset"] = {str(name): _phase(history[name], window) for name in history.columns}
    return out


def market_statistics(context: ToolContext, args: MarketStatisticsArgs) -> dict[str, Any]:
    """Statistics, correlations, regime, bull or bear markets (`PHASE_RULE`) and trend of a
    universe over a date range (a window too
    short to read a regime in is read with the sessions before it: `_regime_of_window`)."""
    returns = context.returns(args.universe, args.start, args.end)
    market = context.market(args.start, args.end)
    market_name = "SP500" if market is not None else "equal_weight"
    market_series = (
        market
        if market is not None
        else pd.Series(returns.to_numpy().mean(axis=1), index=returns.index, name="equal_weight")
    )
    ret = mean_returns(returns)
    vol = volatility(returns)
    sharpe = sharpe_ratio(returns)
    mdd = max_drawdown(returns)
    assert isinstance(vol, pd.Series) and isinstance(sharpe, pd.Series)
    assert isinstance(mdd, pd.Series)
    per_asset = {
        str(name): {
            "ret": sig(ret[name]),
            "vol": sig(vol[name]),
            "sharpe": sig(sharpe[name]),
            "mdd": sig(mdd[name]),
        }
        for name in returns.columns
    }
    values = market_series.to_numpy(dtype=float)
    short = _short_window(returns)
    return {
        **({"short_window": short} if short else {}),
        "date_range": {
            "start": iso_date(returns.index[0]),
            "end": iso_date(returns.index[-1]),
            "days": len(returns),
        },
        "units": "ret: annualised mean return (mean x 252); vol: annualised volatility; sharpe: "
        "annualised, risk-free 0; mdd: maximum drawdown (positive = loss); market.total_return: "
        "compounded over the window; all fractions",
        "per_asset": per_asset,
        "market": {
            "name": market_name,
            "ret": sig(values.mean() * PERIODS_PER_YEAR),
            "total_return": sig(float(np.prod(1.0 + values) - 1.0)),
            "vol": sig(volatility(values)),
            "sharpe": sig(sharpe_ratio(values)),
            "mdd": sig(max_drawdown(values)),
        },
        "correlation": _pairs(returns),
        "regime": _regime_of_window(context, args, returns),
        "phases": _phases(context, returns, market),
        "trend": _trend(market_series),
    }


# --------------------------------------------------------------------------------------------
# generate_market_scenarios
# --------------------------------------------------------------------------------------------
def _sleeve_weights(weights: dict[str, float], universe: list[str]) -> np.ndarray:
    upper = {str(k).strip().upper(): float(v) for k, v in weights.items()}
    unknown = [k for k in upper if k not in universe]
    if unknown:
        raise ValueError(
            f"weights name tickers outside the universe: {', '.join(unknown)}; "
            f"universe: {', '.join(universe)}"
        )
    vector = np.array([upper.get(t, 0.0) for t in universe], dtype=float)
    if not np.isfinite(vector).all():
        raise ValueError("weights must be finite numbers")
    if (vector < 0).any():
        negative = [t for t, w in zip(universe, vector, strict=True) if w < 0]
        raise ValueError(
            f"weights must be >= 0 (long-only sleeve); negative: {', '.join(negative)}"
        )
    total = float(vector.sum())
    if total <= 0:
        raise ValueError("weights must not all be zero")
    return vector / total


def generate_market_scenarios(context: ToolContext, args: ScenarioArgs) -> dict[str, Any]:
    """Simulate market scenarios and store them; return their id and a per-scenario summary."""
    universe_arg = args.universe
    if not universe_arg and args.weights:
        universe_arg = list(args.weights)
    universe = context.resolve_universe(universe_arg)
    names = list(dict.fromkeys(args.names))
    size = args.n_paths * args.horizon * len(universe) * len(names)
    if size > context.max_scenario_values:
        raise ValueError(
            f"the scenario set would hold {size:,} numbers (paths x days x assets x scenarios), "
            f"more than the limit of {context.max_scenario_values:,}; lower n_paths, horizon, the "
            "universe or the number of scenarios"
        )
    history = context.returns(universe, args.start, args.end)
    if len(history) <= REGIME_WINDOW:
        raise ValueError(
            f"scenarios replay the days of each market regime, which takes more than "
            f"{REGIME_WINDOW} sessions of history to tell apart; the window from "
            f"{iso_date(history.index[0])} to {iso_date(history.index[-1])} holds "
            f"{len(history)}: ask for a longer window (the last 6 months, or since a year)"
        )
    market = context.market(args.start, args.end)
    weights = None if not args.weights else _sleeve_weights(args.weights, universe)
    seed = context.seed if args.seed is None else args.seed
    scenarios = generate_scenarios(
        history,
        names=names,
        n_paths=args.n_paths,
        horizon=args.horizon,
        seed=seed,
        method=args.method,
        block_size=args.block_size,
        market=market,
    )
    start, end = iso_date(history.index[0]), iso_date(history.index[-1])
    record = ScenarioRecord(scenarios=scenarios, weights=weights, start=start, end=end)
    scenario_set_id = context.artifacts.put("scenarios", record)
    table = scenarios.summary(weights)
    summary = {
        str(name): {
            "regime_days": int(row["regime_days"]),
            "mean_return": sig(row["mean_return"]),
            "volatility": sig(row["volatility"]),
            "median_total_return": sig(row["median_total_return"]),
            "p05_total_return": sig(row["p05_total_return"]),
            "median_max_drawdown": sig(row["median_max_drawdown"]),
            "worst_max_drawdown": sig(row["worst_max_drawdown"]),
        }
        for name, row in table.iterrows()
    }
    return {
        "scenario_set_id": scenario_set_id,
        "scenarios": list(scenarios.names),
        "n_paths": scenarios.n_paths,
        "horizon": scenarios.horizon,
        "method": scenarios.method,
        "seed": scenarios.seed,
        "block_size": scenarios.block_size,
        "universe": list(scenarios.assets),
        "date_range": {"start": start, "end": end, "days": len(history)},
        "sleeve": "equal_weight"
        if weights is None
        else round_weights(dict(zip(universe, weights, strict=True))),
        "units": "mean_return and volatility annualised; total returns over the horizon; "
        "drawdowns positive = loss; all of the risky sleeve",
        "summary": summary,
        "regime_thresholds": compact(scenarios.thresholds),
    }


def market_tools(context: ToolContext) -> list[BaseTool]:
    """The market tools bound to `context`."""
    return [
        make_tool(
            name="market_statistics",
            description=(
                "Describe the market for a universe of stocks over a date range: per asset the "
                "annualised mean return, volatility, Sharpe ratio and maximum drawdown; the mean "
                "pairwise correlation and the most and least correlated pairs; the market's "
                f"current regime (its last {REGIME_WINDOW} trading days: bull/bear/neutral return "
                "and high/low/normal volatility against every such window of the range) and "
                f"trend (index level vs its {TREND_WINDOW}-day average). All numbers are "
                "fractions (0.12 = 12%)."
            ),
            args_schema=MarketStatisticsArgs,
            run=lambda args: market_statistics(context, args),
        ),
        make_tool(
            name="generate_market_scenarios",
            description=(
                "Simulate Monte Carlo market scenarios (bull, bear, high_vol, low_vol, base) from "
                "historical regimes of the universe, for backtests and strategy searches. Returns "
                "a scenario_set_id to pass to backtest_strategy and run_strategy_search, and per "
                "scenario the risky portfolio's annualised mean return and volatility, median and "
                "5% worst total return over the horizon, and median and worst maximum drawdown."
            ),
            args_schema=ScenarioArgs,
            run=lambda args: generate_market_scenarios(context, args),
        ),
    ]
