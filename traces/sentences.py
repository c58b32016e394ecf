"""Each trace event as one sentence in words (`TraceEvent.text`): what a person watching a run
reads ("The supervisor sent the message to the risk manager.") instead of the event's type and
JSON. Built from the event's type, agent, node and data alone; any shape `DATA_MODELS` accepts
gives a sentence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prompts.roles import ROLE_WORDS

STEP_WORDS: dict[str, str] = {
    "validate": "checking the request",
    "market_analysis": "reading the market",
    "scenarios": "simulating the scenarios",
    "plan": "planning the search",
    "propose": "proposing the next batch of strategies",
    "evaluate": "evaluating the batch on every scenario",
    "aggregate": "scoring the batch",
    "review": "reviewing the search so far",
    "risk_gate": "checking the candidates against the risk limits",
    "explain": "explaining the winner",
    "finalize": "assembling the result",
    "supervisor": "reading the message",
    "specialist": "answering",
    "draft": "drafting the search",
    "approve": "asking for approval of the search",
    "propose_deployment": "drafting the deployment",
    "approve_deployment": "asking for approval of the deployment",
}
"""What a graph's step does, in words (a step not listed is named as it is, with spaces)."""

GRAPH_WORDS: dict[str, str] = {"optimization": "strategy search", "assistant": "conversation"}
"""The graphs in words."""

STATUS_WORDS: dict[str, str] = {
    "succeeded": "finished",
    "partial": "finished with a partial result",
    "failed": "failed",
    "interrupted": "is waiting for you",
    "cancelled": "was cancelled",
}
"""How a run ended, in words."""


def _who(agent: str | None) -> str:
    return next((words for role, words in ROLE_WORDS.items() if role == agent), "Stratigos")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _words(name: str | None) -> str:
    return str(name or "a step").replace("_", " ")


def _decision(tool: str, args: Mapping[str, Any], who: str, agent: str | None) -> str | None:
    """The sentence of a structured decision (a tool named in CamelCase), None for others."""
    if tool == "Route":
        named = str(args.get("agent"))
        target = next((w for r, w in ROLE_WORDS.items() if r == named), _words(named))
        if args.get("run_search"):
            return f"{who} sent the request for a strategy search to {target}"
        if args.get("propose_deployment"):
            return f"{who} sent the deployment request to {target}"
        if args.get("agent") == agent:
            return f"{who} answers the message itself"
        return f"{who} sent the message to {target}"
    if tool == "MarketView":
        regime = f"{args.get('return_regime', 'an unclear')} returns and {args.get('volatility_regime', 'unclear')} volatility"
        return f"{who} read the market: {regime}"
    if tool == "SearchPlan":
        method = {
            "tpe": "a guided (TPE) search",
            "random": "a random search",
            "grid": "a grid search",
        }
        return f"{who} planned {method.get(args.get('method') or '', 'the search')}"
    if tool == "BatchDecision":
        stop = args.get("action") == "stop"
        return f"{who} decided to {'stop searching' if stop else 'keep searching'}"
    if tool == "RiskDecision":
        if args.get("approve"):
            return f"{who} approved candidate {args.get('candidate', 0)}"
        hedge = " and asked for an option hedge" if args.get("require_hedge") else ""
        return f"{who} rejected the candidates{hedge}: the search goes on under tighter limits"
    if tool == "Explanation":
        return f"{who} wrote the explanation"
    return None


def event_sentence(
    type_: str, data: Mapping[str, Any], *, agent: str | None = None, node: str | None = None
) -> str:
    """The event in one sentence (see the module docstring)."""
    who = _cap(_who(agent))
    if type_ == "run_started":
        what = GRAPH_WORDS.get(str(data.get("graph")), _words(data.get("graph")))
        return f"The {what} {'resumed' if data.get('resumed') else 'started'}."
    if type_ in ("node_started", "node_finished"):
        step = STEP_WORDS.get(str(node), _words(node))
        verb = "started" if type_ == "node_started" else "finished"
        return f"{who} {verb} {step}."
    if type_ == "message_delta":
        return str(data.get("text", ""))
    if type_ == "reasoning":
        return f"{who} thought it over ({int(data.get('chars', 0)):,} characters)."
    if type_ == "tool_call":
        tool = str(data.get("tool", ""))
        args = data.get("args") if isinstance(data.get("args"), Mapping) else {}
        decided = _decision(tool, args or {}, who, agent) if tool[:1].isupper() else None
        return f"{decided}." if decided else f"{who} used the tool {_words(tool)}."
    if type_ == "tool_result":
        tool = _words(data.get("tool") or "tool")
        return f"The tool {tool} {'failed' if data.get('is_error') else 'answered'}."
    if type_ == "progress":
        return _progress(data)
    if type_ in ("warning", "error"):
        return f"{_cap(type_)}: {data.get('message', '')}"
    if type_ == "run_finished":
        status = STATUS_WORDS.get(str(data.get("status")), str(data.get("status")))
        reason = f": {data['reason']}" if data.get("reason") else ""
        return f"The run {status}{reason}."
    return f"{who}: {_words(type_)}."


def _progress(data: Mapping[str, Any]) -> str:
    unit = str(data.get("unit") or "steps")
    done, total = int(data.get("done", 0)), data.get("total")
    text = f"{done:,} of {int(total):,} {unit} done" if total else f"{done:,} {unit} done"
    best = data.get("best")
    if isinstance(best, int | float):
        text += f"; best {data.get('metric') or 'objective'} so far {best:,.2f}"
    return text + "."
