"""The offline model's rules for the four workflow agents (a deterministic plan per agent).

Each agent receives its task as JSON in the first human message (see `agents.workflow`). The
rules read that task and the tool results, and decide what a careful analyst would: they are a
rules engine, not a language model, and every number they write comes from the task or a tool.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from agents.explanation import sensitivity_facts, template_explanation
from agents.offline.analysis_policies import analysis_chat
from agents.offline.cash_what_if import cash_chat
from agents.offline.chat_intent import intent_of, known_tickers, shown_before, user_text
from agents.offline.chat_policies import explanation_chat, optimizer_chat
from agents.offline.deployment_drafts import draft_deployment
from agents.offline.drawdown_why import drawdown_why_chat
from agents.offline.follow_ups import follow_up_chat
from agents.offline.less_risk import less_risk_chat
from agents.offline.market_policies import market_chat
from agents.offline.option_quotes import option_chat
from agents.offline.policies import PolicyInput, forced_call, register_policy, reply, tool_call
from agents.offline.ranked_picks import ranked_chat
from agents.offline.risk_policies import risk_chat
from agents.offline.search_drafts import draft_search
from agents.offline.sector_shares import sector_share_chat
from agents.offline.thread_usual import usual_chat
from agents.offline.why_too import WHY_NOT_SAID, without_why
from agents.research_quotes import quoted_answer
from quant.regime_names import REGIME_NAMES

STALL_BATCHES = 3
"""Batches without a relative improvement above `STALL_TOLERANCE` after which the search stops."""
STALL_TOLERANCE = 0.005
MIN_SHARE_BEFORE_STOP = 0.4
"""Share of a round's trial budget spent before the optimizer may call a search converged."""


def _task(inp: PolicyInput) -> dict[str, Any]:
    """The workflow task (JSON in the first human message); {} in a chat conversation."""
    for message in inp.messages:
        if isinstance(message, HumanMessage):
            try:
                data = json.loads(message.text)
            except json.JSONDecodeError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _chat(inp: PolicyInput, answer: Callable[[], AIMessage]) -> AIMessage:
    """A chat agent's message: `answer()`, after the ranking a message acts on when it acts on
    one (`agents.offline.ranked_picks`: "build a portfolio of the top 5 stocks by Sharpe"); its
    final reply followed by what the data cannot say when the message also asks why
    (`agents.offline.why_too`)."""
    text = user_text(inp)
    if shown_before(inp) is not None:  # "build a portfolio of the top 3" after a ranking shown
        message = answer()
    else:
        message = ranked_chat(inp, text, known_tickers(), answer)
    if message.tool_calls or without_why(text) is None:
        return message
    return message.model_copy(update={"content": f"{message.text}\n\n{WHY_NOT_SAID}"})


MAX_SUMMARY = 800
"""The longest market view summary (`MarketView.summary`)."""


def research_query(universe: list[str]) -> str:
    """What the market view asks of the user's research: the outlook of the request's stocks."""
    return "outlook risks and views on " + (", ".join(universe) if universe else "the market")


@register_policy("market_analysis")
def market_analysis_policy(inp: PolicyInput) -> AIMessage:
    """Read the market with `market_statistics`, then weight the scenarios towards the current
    regime (each listed scenario weight 1, plus 0.5 for the scenario matching the current return
    regime and 0.5 for the one matching the volatility regime) and keep the requested horizon."""
    task = _task(inp)
    if not task:
        return _chat(
            inp,
            lambda: (
                usual_chat(inp) or follow_up_chat(inp) or analysis_chat(inp) or market_chat(inp)
            ),
        )
    request = task.get("request", {})
    stats = inp.last_result("market_statistics")
    if not inp.must_call_tool and stats is None and "market_statistics" in inp.tool_names:
        args = {k: request.get(k) for k in ("universe", "start", "end") if request.get(k)}
        return reply("Reading the market first.", tool_call("market_statistics", args))
    research = inp.last_result("search_research")
    if not inp.must_call_tool and research is None and "search_research" in inp.tool_names:
        query = research_query(request.get("universe") or [])
        return reply("Reading the user's research.", tool_call("search_research", {"query": query}))
    if not inp.must_call_tool:
        return reply("I have what I need for the market view.")
    regime = (
        (stats.data or {}).get("regime", {}) if stats is not None and not stats.is_error else {}
    )
    returns = regime.get("return_regime", "neutral")
    vol = regime.get("volatility_regime", "normal")
    scenarios = list(task.get("scenarios", REGIME_NAMES))
    weights = dict.fromkeys(scenarios, 1.0)
    for name in (returns if returns in ("bull", "bear") else None, f"{vol}_vol"):
        if name in weights:
            weights[name] += 0.5
    total = sum(weights.values())
    weights = {k: round(v / total, 4) for k, v in weights.items()}
    summary = (
        f"The market is in a {returns} return regime with {vol} volatility over the last "
        f"{regime.get('window_days', 63)} days"
    )
    if regime.get("market_volatility") is not None:
        summary += f" (annualised volatility {regime['market_volatility']:.1%})"
    summary += "; the scenarios are weighted towards the current regime."
    found = research.data if research is not None and not research.is_error else None
    passages = found.get("passages") if isinstance(found, dict) else None
    if passages and isinstance(found, dict):
        query = str(found.get("query", ""))
        cited = f"{summary} {quoted_answer(passages, query, count=1)}"
        summary = cited if len(cited) <= MAX_SUMMARY else summary
    return forced_call(
        inp,
        {
            "return_regime": returns,
            "volatility_regime": vol,
            "scenario_weights": weights,
            "horizon": int(task.get("horizon", 252)),
            "summary": summary,
        },
    )


@register_policy("optimizer")
def optimizer_policy(inp: PolicyInput) -> AIMessage:
    """Plan: keep the requested search space and method. Review: stop once the best objective has
    not improved by more than 0.5% for three batches and 40% of the round's budget is spent."""
    task = _task(inp)
    if not task:
        if inp.must_call_tool and inp.forced_tool == "DeploymentDraft":
            return draft_deployment(inp)
        if inp.must_call_tool:
            return draft_search(inp)
        return _chat(
            inp,
            lambda: (
                less_risk_chat(inp)
                or follow_up_chat(inp)
                or analysis_chat(inp)
                or optimizer_chat(inp)
            ),
        )
    if not inp.must_call_tool:
        return reply("Planning the search.")
    if task.get("kind") == "review":
        convergence = [v for v in task.get("convergence", []) if v is not None]
        done, budget = int(task.get("trials_done", 0)), int(task.get("round_budget", 1))
        if done >= budget:
            return forced_call(
                inp, {"action": "stop", "reason": "the round's trial budget is spent"}
            )
        if len(convergence) > STALL_BATCHES and done >= MIN_SHARE_BEFORE_STOP * budget:
            before, now = convergence[-1 - STALL_BATCHES], convergence[-1]
            if math.isfinite(before) and now - before <= STALL_TOLERANCE * max(abs(before), 1e-9):
                return forced_call(
                    inp,
                    {
                        "action": "stop",
                        "reason": f"no improvement above {STALL_TOLERANCE:.1%} in the last "
                        f"{STALL_BATCHES} batches: converged",
                    },
                )
        return forced_call(inp, {"action": "continue", "reason": "still improving"})
    return forced_call(
        inp, {"search_space": None, "method": None, "rationale": _plan_rationale(task)}
    )


def _plan_rationale(task: dict[str, Any]) -> str:
    """Why the plan keeps the request's space, saying in words what it searches, what it fixes
    and the default every setting it does not name takes (`services.formatting.space_words`)."""
    from services.formatting import space_words

    return f"Keeping the requested search space and method: it {space_words(task.get('search_space') or {})}."


@register_policy("risk_manager")
def risk_manager_policy(inp: PolicyInput) -> AIMessage:
    """Approve the best candidate that meets every limit; otherwise reject and ask for the
    violated limits as constraints, and for an option hedge when the task says one is
    available (the search space holds hedged and unhedged strategies)."""
    task = _task(inp)
    if not task:
        return _chat(
            inp,
            lambda: (
                option_chat(inp)
                or drawdown_why_chat(inp)
                or cash_chat(inp)
                or follow_up_chat(inp)
                or sector_share_chat(inp, intent_of(inp))  # before an analysis, as routed
                or analysis_chat(inp)
                or risk_chat(inp)
            ),
        )
    if not inp.must_call_tool:
        return reply("Checking the candidates against the limits.")
    candidates = task.get("candidates", [])
    for index, candidate in enumerate(candidates):
        if not candidate.get("violations"):
            return forced_call(
                inp,
                {
                    "approve": True,
                    "candidate": index,
                    "add_constraints": [],
                    "rationale": f"Candidate {index} meets every risk limit in every scenario.",
                },
            )
    wanted = {
        (v["metric"], v["scenario"]): v["limit"]
        for candidate in candidates
        for v in candidate.get("violations", [])
    }
    require_hedge = bool(task.get("hedge_available"))
    rationale = "No candidate meets the risk limits; searching again with them as constraints."
    if require_hedge:
        rationale = (
            "No candidate meets the risk limits, so no unhedged strategy does either; searching "
            "again with the limits as constraints and requiring an option hedge."
        )
    return forced_call(
        inp,
        {
            "approve": False,
            "candidate": None,
            "add_constraints": [
                {"metric": metric, "scenario": scenario, "max": limit}
                for (metric, scenario), limit in sorted(wanted.items())
            ],
            "require_hedge": require_hedge,
            "rationale": rationale,
        },
    )


@register_policy("explanation")
def explanation_policy(inp: PolicyInput) -> AIMessage:
    """Fetch the sensitivity analysis, then write the template explanation from the facts."""
    task = _task(inp)
    if not task:
        return explanation_chat(inp)
    facts = dict(task.get("facts", {}))
    sensitivity = inp.last_result("sensitivity_analysis")
    if (
        not inp.must_call_tool
        and sensitivity is None
        and "sensitivity_analysis" in inp.tool_names
        and task.get("search_id")
    ):
        return reply(
            "Looking at how sensitive the objective is to each parameter.",
            tool_call("sensitivity_analysis", {"search_id": task["search_id"], "points": 7}),
        )
    if not inp.must_call_tool:
        return reply("Writing the explanation.")
    if sensitivity is not None and isinstance(sensitivity.data, dict):
        facts.update(sensitivity_facts(sensitivity.data))
    return forced_call(inp, {"text": template_explanation(facts)})
