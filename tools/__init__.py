"""Action layer: typed LangChain tools over `quant` (and the compute jobs, later).

`build_tools(context)` returns the tools bound to one `ToolContext` (market data, artifact
store, seed, search runner, progress callback); `build_tools(context, names)` those named alone,
importing only the modules that define them (a chat turn's specialist loads its own tools, not
the search's). The package's names are imported on first use:

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
| market_data_coverage | the stocks of the market data (name, sector, dates) and its range |
| stress_test | a market move through beta, historical episodes, the bear case |
| loss_probability | P[loss beyond a threshold over a horizon] per scenario |
| backtest_weights | given weights on a rebalancing cadence with costs |
| compare_portfolios | several portfolios in one table |
| estimate_strategy | the owner's strategy model's estimate of a configuration (a model estimate) |
| price_option | one European put or call on a stock or the index, priced as the hedges are |

The chat's memory tools (`remember_fact`, `recall_memories`, `forget_memory`) are bound to an
owner instead: `tools.memory.memory_tools(owner, store)`; the documentation tool
(`search_guide`, Stratigos's own docs) to nothing: `tools.guide.guide_tools()`, the
supervisor's in every conversation.

Every result is a compact JSON-serialisable dict (floats to 4 significant digits, lists of at
most about 50 items); large objects stay in the `ArtifactStore` and are referenced by id. Invalid
arguments and numeric errors come back to the model as tool errors (see docs/tools.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from lazy_exports import lazy_exports

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

_EXPORTS: dict[str, tuple[str, ...]] = {
    "tools.artifacts": ("ArtifactNotFoundError", "ArtifactStore"),
    "tools.context": ("ProgressCallback", "SearchRunner", "ToolContext", "in_process_search"),
    "tools.market_frames": ("FrameMarketData", "MarketData", "embedded_market_data"),
}

TOOL_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tools.market:market_tools", ("market_statistics", "generate_market_scenarios")),
    (
        "tools.portfolio:portfolio_tools",
        ("optimize_portfolio", "efficient_frontier", "portfolio_risk_report"),
    ),
    (
        "tools.strategy:strategy_tools",
        (
            "backtest_strategy",
            "run_strategy_search",
            "sensitivity_analysis",
            "search_results",
            "search_status",
        ),
    ),
    ("tools.research:research_tools", ("search_research",)),
    ("tools.ideas:idea_tools", ("save_idea", "propose_ideas")),
    ("tools.statistics:statistics_tools", ("asset_statistics",)),
    ("tools.coverage:coverage_tools", ("market_data_coverage",)),
    ("tools.stress:stress_tools", ("stress_test", "loss_probability")),
    ("tools.weight_backtests:weight_backtest_tools", ("backtest_weights",)),
    ("tools.comparisons:comparison_tools", ("compare_portfolios",)),
    ("tools.strategy_estimates:strategy_estimate_tools", ("estimate_strategy",)),
    ("tools.option_prices:option_price_tools", ("price_option",)),
)
"""Each module's tool factory ("module:function") and the names of the tools it returns, in
`build_tools`' order."""

TOOL_NAMES: tuple[str, ...] = tuple(name for _, names in TOOL_GROUPS for name in names)
"""Names of the tools `build_tools` returns, in that order."""


def build_tools(
    context: ToolContext | None = None, names: Collection[str] | None = None
) -> list[BaseTool]:
    """Every tool (or those in `names`, in `TOOL_NAMES` order), bound to `context` (a new
    `ToolContext` on the embedded data if None); only the modules of the tools asked for are
    imported."""
    from tools.context import ToolContext

    ctx = context if context is not None else ToolContext()
    tools: list[BaseTool] = []
    for factory, group in TOOL_GROUPS:
        if names is not None and not set(group) & set(names):
            continue
        module, _, function = factory.partition(":")
        made = getattr(importlib.import_module(module), function)(ctx)
        tools += [tool for tool in made if names is None or tool.name in names]
    return tools


__getattr__, __dir__ = lazy_exports("tools", _EXPORTS, globals())


if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from tools.artifacts import ArtifactNotFoundError, ArtifactStore
    from tools.context import ProgressCallback, SearchRunner, ToolContext, in_process_search
    from tools.market_frames import FrameMarketData, MarketData, embedded_market_data
