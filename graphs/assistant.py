"""The `assistant` graph: the strategy-assistant chat.

Each user message goes to the supervisor, which routes it to a specialist or answers itself:
`market_analysis` (market statistics, scenarios, investment ideas), `optimizer` (portfolios,
backtests, and strategy searches), `risk_manager` (risk reports), `explanation` (why the last
run's winner won). A strategy search is drafted as an `OptimizationRequest` from the
conversation (`graphs.chat_search`); before it runs the graph pauses with `interrupt` for the
user to approve it, edit it (a JSON object of request fields to change) or reject it. An
approved run is the `optimization` workflow, whose progress streams into the chat; its summary
and explanation become the assistant's answer. "Deploy that to paper, weekly" drafts a
deployment of the last search's winner (or a named portfolio) that waits for approval the same
way; approved, it is created and activated for the thread's owner (`graphs.chat_deployment`).

Memory is per `thread_id`: the conversation, including earlier tool calls and results, is kept
by the checkpointer, with the recipes and counts of the artifacts the tools built
(`graphs.thread_artifacts`), so follow-ups ("what's the CVaR of that?") find what earlier turns
built, in whichever process the turn runs.
Across threads, a thread with an owner has long-term memory: the graph is compiled with
LangGraph's store (`store.memories.memory_store`); each turn's agents are told what is known
about the owner (their memories and the profile settings they set, bounded), and the supervisor
answers memory asks with the memory tools (`tools.memory`). What a thread is bound to (settings,
owner, tools, memory) is `graphs.thread_bindings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypedDict, cast

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.store.base import BaseStore
from langgraph.types import interrupt
from pydantic import ValidationError

from agents.chat import answer, draft_deployment, draft_request, route_message
from agents.conversation_texts import LAST_RUN_MARKER
from agents.grounding import citation_problems, research_passages
from graphs.ask_check import checked_answer, proposal_notes
from graphs.ask_inputs import DEPLOYMENT, SEARCH
from graphs.ask_vocabulary import vocabulary
from graphs.compiled import CompiledOnce
from graphs.emit import emit_node_started, emit_warning
from graphs.thread_artifacts import ThreadArtifacts, merge_recipes
from graphs.thread_bindings import (
    chat_tools,
    external_tools_of,
    memory_of,
    owner_of,
    settings_of,
    supervisor_tools,
)
from graphs.turn_guard import checked, checked_notes, guarded
from prompts.canonical import model_json
from prompts.roles import AgentRole
from quant.problems import validation_problems
from services.errors import InputError

TOOLS_OF = {
    "market_analysis": (
        "market_statistics",
        "generate_market_scenarios",
        "search_research",
        "save_idea",
        "propose_ideas",
        "asset_statistics",
        "market_data_coverage",
    ),
    "optimizer": (
        "optimize_portfolio",
        "efficient_frontier",
        "backtest_strategy",
        "backtest_weights",
        "compare_portfolios",
        "asset_statistics",
        "estimate_strategy",
    ),
    "risk_manager": (
        "portfolio_risk_report",
        "optimize_portfolio",
        "stress_test",
        "loss_probability",
        "compare_portfolios",
        "asset_statistics",
    ),
}
"""The tools each specialist may use in the chat."""


class AssistantState(TypedDict, total=False):
    """A chat thread: the conversation, the routing decision, a pending run and the last run."""

    messages: Annotated[list[AnyMessage], add_messages]
    route: str
    run_search: bool
    propose_deployment: bool
    draft: dict[str, Any] | None
    draft_notes: list[str]
    deployment: dict[str, Any] | None
    focus: list[str]
    portfolios: Annotated[dict[str, Any], lambda a, b: {**(a or {}), **(b or {})}]
    artifacts: Annotated[dict[str, Any], merge_recipes]
    """The recipe of each artifact the thread's tools built, by id (`graphs.thread_artifacts`)."""
    artifact_counts: dict[str, int]
    """Artifact ids the thread has handed out, per kind."""
    last_run: dict[str, Any] | None
    tokens: Annotated[int, lambda a, b: (a or 0) + (b or 0)]


def _tools(role: str, tools: list[Any], config: RunnableConfig) -> list[Any]:
    """The tools specialist `role` is handed: its own (`tools`, built for `TOOLS_OF[role]`),
    then those of the MCP servers the owner configured for it
    (`graphs.thread_bindings.external_tools_of`)."""
    return tools + external_tools_of(config, role)


def _accounted(
    history: Sequence[BaseMessage], new: list[BaseMessage], config: RunnableConfig
) -> list[BaseMessage]:
    """`new` with its answer checked by the ask accounting (`checked_answer`); an accounting
    that fails keeps the answer and says it was not checked (`graphs.turn_guard.checked`)."""
    vocab = vocabulary(settings_of(config))
    return checked(lambda h, n: checked_answer(h, n, vocab), history, new)


def _reply(history: Sequence[BaseMessage], text: str, config: RunnableConfig) -> BaseMessage:
    """A reply the graph writes itself (a refusal), checked as `_accounted` checks a model's."""
    return _accounted(history, [AIMessage(text)], config)[-1]


@guarded("supervisor", {"route": "supervisor"})
def supervisor(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """Route the latest message (or answer it directly)."""
    emit_node_started("supervisor")
    memory = memory_of(config)
    outcome = route_message(state["messages"], config, settings_of(config), memory)
    route = outcome.decision
    update: dict[str, Any] = {
        "route": route.agent,
        "run_search": route.run_search,
        "propose_deployment": route.propose_deployment,
        "tokens": outcome.tokens,
    }
    if route.agent == "supervisor":
        new, tokens = answer(
            "supervisor",
            state["messages"],
            supervisor_tools(config, memory),
            config,
            settings=settings_of(config),
            memory=memory,
        )
        update["messages"] = _accounted(state["messages"], new, config)
        update["tokens"] += tokens
    return update


@guarded("specialist")
def specialist(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """The routed specialist answers with its tools."""
    role = state["route"]
    emit_node_started(role)  # type: ignore[arg-type]
    last = state.get("last_run")
    context = None
    if role == "explanation" and last is not None:
        context = LAST_RUN_MARKER + model_json(last)
    tools, artifacts_update = chat_tools(config, ThreadArtifacts.of(state), TOOLS_OF.get(role, ()))
    new, tokens = answer(
        cast(AgentRole, role),
        state["messages"],
        _tools(role, tools, config),
        config,
        context=context,
        settings=settings_of(config),
        memory=memory_of(config),
    )
    new = ground_citations(state["messages"], new)
    new = _accounted(state["messages"], new, config)
    return {"messages": new, "tokens": tokens, **artifacts_update()}


def ground_citations(history: Sequence[BaseMessage], new: list[BaseMessage]) -> list[BaseMessage]:
    """`new` with its final answer checked by `citation_problems` against the passages the
    research search returned in the thread: an answer citing a passage that was not returned,
    or quoting a number its passage does not hold, is replaced by the passages' own words (and
    a warning says why)."""
    final = new[-1] if new else None
    if not isinstance(final, AIMessage) or final.tool_calls:
        return new
    passages = research_passages([*history, *new])
    problems = citation_problems(final.text, passages)
    if not problems:
        return new
    emit_warning(
        "the answer's citations did not hold (" + "; ".join(problems[:3]) + "): replaced by "
        "quotes of the passages",
        "ungrounded_citation",
    )
    from agents.research_quotes import quoted_answer

    latest = research_passages(new) or passages
    question = next((m.text for m in reversed(history) if isinstance(m, HumanMessage)), "")
    text = (
        quoted_answer(latest, question)
        if latest
        else "I cannot cite that: no passage of your documents was found for it."
    )
    return [*new[:-1], AIMessage(text, id=final.id)]


@guarded("draft", {"draft": None})
def draft(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """The optimizer drafts the strategy search the user asked for."""
    from graphs.chat_profile import profile_draft
    from graphs.chat_search import request_from_draft

    emit_node_started("optimizer")
    outcome = draft_request(state["messages"], config, settings_of(config), memory_of(config))
    owner = owner_of(config)
    notes: list[str] = []
    try:
        request = request_from_draft(outcome.decision)
        if owner is not None:
            request, notes = profile_draft(request, *owner)
    except (ValidationError, InputError) as exc:
        problems = (
            "; ".join(f"{f}: {problem}" for f, problem in validation_problems(exc.errors()))
            if isinstance(exc, ValidationError)
            else exc.message
        )
        text = f"I could not set up that search: {problems}. Please rephrase."
        return {
            "draft": None,
            "tokens": outcome.tokens,
            "messages": [_reply(state["messages"], text, config)],
        }
    drafted = request.model_dump(mode="json")
    vocab = vocabulary(settings_of(config))
    notes += checked_notes(lambda: proposal_notes(state["messages"], SEARCH, drafted, vocab))
    return {
        "draft": drafted,
        "draft_notes": notes,
        "focus": list(outcome.decision.focus or []),
        "tokens": outcome.tokens,
    }


@guarded("approve", {"draft": None})
def approve(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """Pause for approval; run the optimization when approved (or edited), else cancel."""
    from graphs.chat_search import describe_request, run_approved_search
    from graphs.request import OptimizationRequest

    request = OptimizationRequest.model_validate(state["draft"])
    notes = state.get("draft_notes") or []  # what the owner's profile did to the draft
    action, changes = _approval(
        {
            "type": "approval",
            "summary": " ".join([describe_request(request), *(f"{note}." for note in notes)]),
            "request": request.model_dump(mode="json"),
            "actions": ["approve", "edit", "reject"],
        }
    )
    if action == "reject":
        return {"draft": None, "messages": [AIMessage("Cancelled: nothing was run.")]}
    if action == "edit":
        try:
            request = OptimizationRequest.model_validate(
                {**request.model_dump(mode="json"), **changes}
            )
        except ValidationError as exc:
            field, problem = validation_problems(exc.errors())[0]
            return {"messages": [AIMessage(f"That edit is not valid: {field}: {problem}")]}
    elif action != "approve":
        return {"messages": [AIMessage(f"Unknown decision {action!r}: approve, edit or reject.")]}
    focus = state.get("focus") or []
    return run_approved_search(request, settings_of(config), focus, owner_of(config))


def after_supervisor(state: AssistantState) -> str:
    """To the specialist, to drafting a search or a deployment, or done (the supervisor
    answered)."""
    if state["route"] == "supervisor":
        return END
    if state["route"] == "optimizer" and state.get("propose_deployment"):
        return "propose_deployment"
    if state["route"] == "optimizer" and state.get("run_search"):
        return "draft"
    return "specialist"


def after_deployment_draft(state: AssistantState) -> str:
    """Ask for approval when there is a deployment to propose."""
    return "approve_deployment" if state.get("deployment") else END


@guarded("propose_deployment", {"deployment": None})
def propose_deployment(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """The optimizer drafts the deployment the user asked for; what it would deploy is checked
    now (the owner's portfolio, or the thread's last search run as one of the owner's jobs)."""
    from graphs.chat_deployment import deployment_proposal, deployment_refusal

    emit_node_started("optimizer")
    outcome = draft_deployment(state["messages"], config, settings_of(config), memory_of(config))
    owner = owner_of(config)
    decision = outcome.decision
    built = list(state.get("portfolios") or {})
    if decision.source == "last_run" and not (state.get("last_run") or {}).get("best") and built:
        # no search winner in the thread: "deploy it" is the portfolio built last
        decision = decision.model_copy(update={"source": "portfolio", "portfolio_id": built[-1]})
    vocab = vocabulary(settings_of(config))
    refused = deployment_refusal(state.get("last_run"), decision, owner)
    if refused is not None:
        reply = _reply(state["messages"], refused, config)
        return {"deployment": None, "tokens": outcome.tokens, "messages": [reply]}
    assert owner is not None
    proposal = deployment_proposal(state.get("last_run"), decision, owner)
    if isinstance(proposal, str):
        reply = _reply(state["messages"], proposal, config)
        return {"deployment": None, "tokens": outcome.tokens, "messages": [reply]}
    notes = checked_notes(lambda: proposal_notes(state["messages"], DEPLOYMENT, proposal, vocab))
    proposal["summary"] = " ".join([proposal["summary"], *(f"{note}." for note in notes)])
    return {"deployment": proposal, "tokens": outcome.tokens}


@guarded("approve_deployment", {"deployment": None})
def approve_deployment(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """Pause for approval; create and activate the deployment when approved, else cancel."""
    from graphs.chat_deployment import deploy

    proposal = dict(state["deployment"] or {})
    action, changes = _approval(
        {
            "type": "approval",
            "kind": "deployment",
            "summary": proposal["summary"],
            "request": {k: v for k, v in proposal.items() if k != "summary"},
            "actions": ["approve", "edit", "reject"],
        }
    )
    if action == "reject":
        return {"deployment": None, "messages": [AIMessage("Cancelled: nothing was deployed.")]}
    if action == "edit":
        proposal = {**proposal, **changes}
    elif action != "approve":
        return {"messages": [AIMessage(f"Unknown decision {action!r}: approve, edit or reject.")]}
    owner = owner_of(config)
    if owner is None:  # pragma: no cover - checked when proposed
        return {"deployment": None, "messages": [AIMessage("Nothing was deployed: no owner.")]}
    return {"deployment": None, "messages": [AIMessage(deploy(owner, proposal))]}


def _approval(question: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Pause the thread with `question` (an `interrupt`) for the user's decision: its action
    ("approve", "edit", "reject", or whatever else was answered) and, for an edit, the changes
    (``{"action": "edit", "request": {...}}``)."""
    decision = interrupt(question)
    if isinstance(decision, dict):
        return decision.get("action"), decision.get("request") or {}
    return str(decision), {}


def after_draft(state: AssistantState) -> str:
    """Ask for approval when the draft is a valid request."""
    return "approve" if state.get("draft") else END


def build_assistant_graph(checkpointer: Any = None, store: BaseStore | None = None) -> Any:
    """The compiled `assistant` graph (a checkpointer is needed for a thread's memory and
    approvals; `store`, LangGraph's long-term memory store, for memory across threads),
    compiled once per process (`graphs.compiled`)."""
    return _ASSISTANT(checkpointer, store)


def _assistant_builder() -> StateGraph[AssistantState]:
    graph = StateGraph(AssistantState)
    graph.add_node("supervisor", supervisor, metadata={"agent": "supervisor"})
    graph.add_node("specialist", specialist)
    graph.add_node("draft", draft, metadata={"agent": "optimizer"})
    graph.add_node("approve", approve, metadata={"agent": "optimizer"})
    graph.add_node("propose_deployment", propose_deployment, metadata={"agent": "optimizer"})
    graph.add_node("approve_deployment", approve_deployment, metadata={"agent": "optimizer"})
    graph.add_edge(START, "supervisor")
    graph.add_conditional_edges(
        "supervisor", after_supervisor, ["specialist", "draft", "propose_deployment", END]
    )
    graph.add_conditional_edges(
        "propose_deployment", after_deployment_draft, ["approve_deployment", END]
    )
    graph.add_edge("approve_deployment", END)
    graph.add_edge("specialist", END)
    graph.add_conditional_edges("draft", after_draft, ["approve", END])
    graph.add_edge("approve", END)
    return graph


_ASSISTANT = CompiledOnce(_assistant_builder)
