"""The four workflow agents as functions: each runs its agent and returns a validated decision.

- `analyse_market`: the market analysis agent reads the universe with `market_statistics` and
  decides a `MarketView` (regimes, scenario weights, horizon).
- `plan_search`: the hyperparameter optimizer proposes the `SearchPlan` (space, method).
- `review_batch`: after each batch the optimizer decides to continue or stop (`BatchDecision`).
- `review_risk`: the portfolio risk manager judges the top candidates against the risk limits
  (`RiskDecision`).
- `explain`: the explanation agent reads the sensitivity analysis and writes an `Explanation`.

Each takes the task as plain data and the tools it may use, and returns an `AgentOutcome` whose
`tokens` the caller charges to the run's token budget. The numbers that decide anything (limits,
budgets, feasibility) are checked again in code by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from agents.agent_loop import AgentOutcome, run_agent
from agents.decisions import BatchDecision, Explanation, MarketView, RiskDecision, SearchPlan
from settings import Settings


def _pick(tools: Sequence[BaseTool], *names: str) -> list[BaseTool]:
    return [tool for tool in tools if tool.name in names]


def analyse_market(
    request: dict[str, Any],
    tools: Sequence[BaseTool],
    config: RunnableConfig | None = None,
    settings: Settings | None = None,
    *,
    research: bool = False,
    stored_regimes: dict[str, Any] | None = None,
) -> AgentOutcome[MarketView]:
    """Market analysis for an optimization request (as JSON); with `research`, the agent may
    also read the owner's documents (`search_research`) and cite them in its summary. With
    `stored_regimes` (`services.market_data.announcements.stored_regimes`: the regime
    indicators the ingestion stored with the latest market data, `as_of` its last session),
    the task carries them as `market_data_regimes`."""
    task: dict[str, Any] = {
        "kind": "market_view",
        "request": {k: request.get(k) for k in ("universe", "start", "end")},
        "scenarios": request["scenarios"],
        "horizon": request["horizon"],
        "scenario_weights_requested": request.get("scenario_weights"),
    }
    if stored_regimes is not None:
        task["market_data_regimes"] = stored_regimes
    return run_agent(
        "market_analysis",
        task,
        MarketView,
        tools=_pick(tools, "market_statistics", *(("search_research",) if research else ())),
        config=config,
        settings=settings,
    )


def plan_search(
    request: dict[str, Any],
    market_view: dict[str, Any],
    config: RunnableConfig | None = None,
    settings: Settings | None = None,
) -> AgentOutcome[SearchPlan]:
    """The optimizer's plan for the request, given the market view."""
    task = {
        "kind": "plan",
        "search_space": request["search_space"],
        "method": request["method"],
        "objective": request["objective"],
        "budget": request["budget"],
        "market_view": market_view,
    }
    return run_agent("optimizer", task, SearchPlan, config=config, settings=settings)


def review_batch(
    progress: dict[str, Any],
    config: RunnableConfig | None = None,
    settings: Settings | None = None,
) -> AgentOutcome[BatchDecision]:
    """The optimizer's decision after a batch: `progress` has convergence, trials_done,
    round_budget and the best trial so far."""
    return run_agent(
        "optimizer", {"kind": "review", **progress}, BatchDecision, config=config, settings=settings
    )


def review_risk(
    candidates: list[dict[str, Any]],
    limits: dict[str, Any],
    round_index: int,
    config: RunnableConfig | None = None,
    settings: Settings | None = None,
    *,
    hedge_available: bool | None = None,
) -> AgentOutcome[RiskDecision]:
    """The risk manager's verdict: `candidates` carry per-scenario metrics and the limits each
    one violates (computed in code). `hedge_available` (None when the search space holds no
    option overlay, and then left out of the task): whether the manager may require a hedge."""
    task: dict[str, Any] = {
        "kind": "risk_review", "limits": limits, "round": round_index, "candidates": candidates,
    }  # fmt: skip
    if hedge_available is not None:
        task["hedge_available"] = hedge_available
    return run_agent("risk_manager", task, RiskDecision, config=config, settings=settings)


def explain(
    facts: dict[str, Any],
    search_id: str | None,
    tools: Sequence[BaseTool],
    config: RunnableConfig | None = None,
    settings: Settings | None = None,
) -> AgentOutcome[Explanation]:
    """The explanation of the winner, from `facts` and the sensitivity analysis tool."""
    task = {"kind": "explain", "search_id": search_id, "facts": facts}
    return run_agent(
        "explanation",
        task,
        Explanation,
        tools=_pick(tools, "sensitivity_analysis") if search_id else (),
        config=config,
        settings=settings,
    )
