"""Action layer: typed LangChain tools over `quant` (and the compute jobs, later).

`build_tools(context)` returns the tools bound to one `ToolContext` (market data, artifact
store, seed, search runner, progress callback):

| tool | does |
| --- | --- |
| market_statistics | per-asset statistics, correlations, current regime and trend |
| generate_market_scenarios | Monte Carlo scenarios (bull, bear, high_vol, low_vol, base) |
| optimize_portfolio | hrp, risk_parity, min_volatility, max_sharpe, efficient_return/risk |
| efficient_frontier | the mean-variance frontier |
| portfolio_risk_report | VaR, CVaR, drawdown, volatility, Sharpe, risk contributions |
| backtest_strategy | one StrategyConfig on a scenario set or on history |
| run_strategy_search | hyperparameter search on a scenario set |
| sensitivity_analysis | one-at-a-time curves and parameter importance of a search |
| search_results | pages of a search's trials |
| search_status | status and progress of a search |
| search_research | passages of the owner's documents, with citations |
| save_idea | save an investment idea of the owner, priced by the numeric core |
| propose_ideas | propose and save ideas from the regime and per-asset statistics |
| asset_statistics | returns, volatility, beta, worst day and month, drawdown dates, correlations |
| stress_test | a market move through beta, historical episodes, the bear case |
| loss_probability | P[loss beyond a threshold over a horizon] per scenario |
| backtest_weights | given weights on a rebalancing cadence with costs |
| compare_portfolios | several portfolios in one table |

The chat's memory tools (`remember_fact`, `recall_memories`, `forget_memory`) are bound to an
owner instead: `tools.memory.memory_tools(owner, store)`.

Every result is a compact JSON-serialisable dict (floats to 4 significant digits, lists of at
most about 50 items); large objects stay in the `ArtifactStore` and are referenced by id. Invalid
arguments and numeric errors come back to the model as tool errors (see docs/tools.md).
"""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools.artifacts import ArtifactNotFoundError, ArtifactStore
from tools.comparisons import comparison_tools
from tools.context import (
    FrameMarketData,
    MarketData,
    ProgressCallback,
    SearchRunner,
    ToolContext,
    embedded_market_data,
    in_process_search,
)
from tools.ideas import idea_tools
from tools.market import market_tools
from tools.portfolio import portfolio_tools
from tools.research import research_tools
from tools.statistics import statistics_tools
from tools.strategy import strategy_tools
from tools.stress import stress_tools
from tools.weight_backtests import weight_backtest_tools

__all__ = [
    "TOOL_NAMES",
    "ArtifactNotFoundError",
    "ArtifactStore",
    "FrameMarketData",
    "MarketData",
    "ProgressCallback",
    "SearchRunner",
    "ToolContext",
    "build_tools",
    "embedded_market_data",
    "in_process_search",
]

TOOL_NAMES: tuple[str, ...] = (
    "market_statistics",
    "generate_market_scenarios",
    "optimize_portfolio",
    "efficient_frontier",
    "portfolio_risk_report",
    "backtest_strategy",
    "run_strategy_search",
    "sensitivity_analysis",
    "search_results",
    "search_status",
    "search_research",
    "save_idea",
    "propose_ideas",
    "asset_statistics",
    "stress_test",
    "loss_probability",
    "backtest_weights",
    "compare_portfolios",
)
"""Names of the tools `build_tools` returns, in that order."""


def build_tools(context: ToolContext | None = None) -> list[BaseTool]:
    """Every tool, bound to `context` (a new `ToolContext` on the embedded data if None)."""
    ctx = context if context is not None else ToolContext()
    tools: list[BaseTool] = [
        *market_tools(ctx),
        *portfolio_tools(ctx),
        *strategy_tools(ctx),
        *research_tools(ctx),
        *idea_tools(ctx),
        *statistics_tools(ctx),
        *stress_tools(ctx),
        *weight_backtest_tools(ctx),
        *comparison_tools(ctx),
    ]
    return tools
