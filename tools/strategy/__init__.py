"""Strategy tools: backtest one allocation strategy, search for the best one, and inspect searches.

- `backtest_strategy`: `quant.engine.evaluate` of one `StrategyConfig` on every path of a stored
  scenario set (path means per scenario) or on the universe's history (one path); a config
  with an option overlay also reports the hedge's premium, payoff and carry, priced by the
  request's `vol_model` (default `ImpliedVolModel()`).
- `run_strategy_search`: `quant.search` through `ToolContext.run_search` (in process
  now, a job runner later), with per-batch progress; the result is stored under a search id.
- `sensitivity_analysis`: `quant.sensitivity.one_at_a_time` around the winner and
  `parameter_importance` (fANOVA).
- `search_results` (pages of trials) and `search_status`.

The risky sleeve of a scenario set is its equal-weight portfolio unless the set was generated
with `weights`; the safe asset earns `ToolContext.safe_rate` a year (2% by default).

Modules: `schemas` (the tools' arguments), `backtest`, `search`, `sensitivity`, `results`.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools.context import ToolContext
from tools.strategy.backtest import backtest_strategy
from tools.strategy.results import search_results, search_status
from tools.strategy.schemas import (
    BacktestArgs,
    SearchArgs,
    SearchResultsArgs,
    SearchStatusArgs,
    SensitivityArgs,
)
from tools.strategy.search import run_strategy_search
from tools.strategy.sensitivity import sensitivity_analysis
from tools.tool_factory import make_tool


def strategy_tools(context: ToolContext) -> list[BaseTool]:
    """The strategy tools bound to `context`."""
    return [
        make_tool(
            name="backtest_strategy",
            description=(
                "Backtest one allocation strategy (a volatility-targeting rule between the risky "
                "portfolio and a safe asset earning 2% a year) on every path of a scenario set "
                "(mean metrics per scenario) or on the universe's history. Metrics: cagr, "
                "volatility, sharpe, sortino, max_drawdown, var_95, cvar_95, turnover, "
                "average_weight; with an option overlay (config.overlay: put, put_spread, "
                "collar) also hedge_premium, hedge_payoff and hedge_carry (fractions of wealth "
                "a year)."
            ),
            args_schema=BacktestArgs,
            run=lambda args: backtest_strategy(context, args),
        ),
        make_tool(
            name="run_strategy_search",
            description=(
                "Search strategy parameters (target_vol, lookback, rebalance_every, "
                "weight_function, ...) for the best objective on a scenario set, in batches, "
                "under optional constraints. Returns a search_id, the best config and value, the "
                "convergence per batch, the top 5 trials, the deflated Sharpe ratio and the "
                "paired Sharpe difference against the runner-up."
            ),
            args_schema=SearchArgs,
            run=lambda args: run_strategy_search(context, args),
        ),
        make_tool(
            name="sensitivity_analysis",
            description=(
                "For a finished search: how the objective changes as each parameter moves over "
                "its range with the others at the best values (a short curve per parameter), and "
                "the parameters ranked by importance (fANOVA)."
            ),
            args_schema=SensitivityArgs,
            run=lambda args: sensitivity_analysis(context, args),
        ),
        make_tool(
            name="search_results",
            description=(
                "A page of the trials of a search (parameters, objective, feasibility), sorted by "
                "objective, trial, violation or a per-scenario metric."
            ),
            args_schema=SearchResultsArgs,
            run=lambda args: search_results(context, args),
        ),
        make_tool(
            name="search_status",
            description=(
                "Status of a search: finished or running, trials done of the budget, batches, "
                "best value so far and elapsed seconds."
            ),
            args_schema=SearchStatusArgs,
            run=lambda args: search_status(context, args),
        ),
    ]
