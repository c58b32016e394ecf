"""The `assistant` graph: the strategy-assistant chat.

Each user message goes to the supervisor, which routes it to a specialist or answers itself:
`market_analysis` (market statistics, scenarios, investment ideas), `optimizer` (portfolios,
backtests, and strategy searches), `risk_manager` (risk reports), `explanation` (why the last
run's winner won). A strategy search is drafted as an `OptimizationRequest` from the
conversation (`graphs.chat_search`); before it runs the graph pauses with `interrupt` for the
user to approve it, edit it (a JSON object of request fields to change) or reject it; a message
that is none of these (a question: "how many trials is that?") is answered as any message is,
and the proposal then waits again, unless that message drafted another proposal. An
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

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, TypedDict, cast

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.store.base import BaseStore
from langgraph.types import interrupt
from pydantic import ValidationError

from agents.agent_loop import InvalidDecisionError
from agents.chat import answer, draft_deployment, draft_request, route_message
from agents.conversation_texts import LAST_RUN_MARKER, PROPOSAL_MARKER
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

ASKED = "ask"
"""The answer to a pending proposal that is a message of the user's instead of a decision
(`ChatSession.send`): ``{"action": ASKED, "said": {"text": ..., "id": ...}}``. The message is answered as
any other; the proposal is held and put to the user again after it (`held_route`)."""

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
        "price_option",
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
    draft_from_profile: list[str]
    """The drafted search's fields whose values came from the owner's profile."""
    deployment: dict[str, Any] | None
    focus: list[str]
    portfolios: Annotated[dict[str, Any], lambda a, b: {**(a or {}), **(b or {})}]
    artifacts: Annotated[dict[str, Any], merge_recipes]
    """The recipe of each artifact the thread's tools built, by id (`graphs.thread_artifacts`)."""
    artifact_counts: dict[str, int]
    """Artifact ids the thread has handed out, per kind."""
    last_run: dict[str, Any] | None
    held: str | None
    """The approval node ("approve", "approve_deployment") whose proposal waits again once the
    message asked while it waited is answered (`ASKED`); None when no proposal is held."""
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
    context = _held_context(state)
    outcome = route_message(state["messages"], config, settings_of(config), memory, context)
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
            context=context,
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
    if role in ("explanation", "optimizer") and last is not None:  # "backtest the winner"
        context = LAST_RUN_MARKER + model_json(last)
    tools, artifacts_update = chat_tools(
        config, ThreadArtifacts.of(state), TOOLS_OF.get(role, ()), last_run=last
    )
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


@guarded("draft", lambda state: {"draft": _kept(state, "approve")})
def draft(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """The optimizer drafts the strategy search the user asked for."""
    from graphs.chat_profile import profile_draft
    from graphs.chat_search import request_from_draft

    emit_node_started("optimizer")
    try:
        outcome = draft_request(
            state["messages"], config, settings_of(config), memory_of(config), _held_context(state)
        )
    except InvalidDecisionError as exc:  # "make it 0 trials": out of the request's bounds
        text = f"I could not set up that search: {_problems(exc.errors)}. Please rephrase."
        return {
            "draft": _kept(state, "approve"),
            "messages": [_reply(state["messages"], text, config)],
        }
    owner = owner_of(config)
    notes: list[str] = []
    from_profile: list[str] = []
    try:
        request = request_from_draft(outcome.decision)
        if owner is not None:
            request, notes, from_profile = profile_draft(request, *owner)
    except (ValidationError, InputError) as exc:
        problems = _problems(exc.errors()) if isinstance(exc, ValidationError) else exc.message
        text = f"I could not set up that search: {problems}. Please rephrase."
        return {
            "draft": _kept(state, "approve"),
            "tokens": outcome.tokens,
            "messages": [_reply(state["messages"], text, config)],
        }
    drafted = request.model_dump(mode="json")
    vocab = vocabulary(settings_of(config))
    notes += checked_notes(lambda: proposal_notes(state["messages"], SEARCH, drafted, vocab))
    notes += _replacing(state)
    return {
        "draft": drafted,
        "deployment": None,  # a new proposal replaces one held while the user asked
        "held": None,
        "draft_notes": notes,
        "draft_from_profile": from_profile,
        "focus": list(outcome.decision.focus or []),
        "tokens": outcome.tokens,
    }


_FIELD_WORDS = {
    "max_trials": "trials",
    "capital": "capital",
    "universe": "stocks",
    "target_vol_range": "volatility target",
}
"""The words of the draft fields a user most often asks out of bounds ("make it 0 trials")."""


def _problems(errors: Sequence[Mapping[str, Any]]) -> str:
    """Pydantic's `errors` as "field: problem" sentences, joined (a field in words where it has
    them: "trials: must be at least 1")."""
    return "; ".join(
        f"{_FIELD_WORDS.get(f, f)}: {problem}" for f, problem in validation_problems(errors)
    )


@guarded("approve", {"draft": None, "held": None})
def approve(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """Pause for approval; run the optimization when approved (or edited), else cancel."""
    return _answered(state, config, "approve", _search_decided)


def _search_decided(
    state: AssistantState, config: RunnableConfig, action: Any, changes: dict[str, Any]
) -> dict[str, Any]:
    """The update of the drafted search answered `action` (with an edit's `changes`): run it
    as approved or edited, or cancel it."""
    from graphs.chat_search import run_approved_search
    from graphs.request import OptimizationRequest

    request = OptimizationRequest.model_validate(state["draft"])
    if action == "reject":
        return {"draft": None, "held": None, "messages": [AIMessage("Cancelled: nothing was run.")]}
    if action == "edit":
        try:
            request = OptimizationRequest.model_validate(
                {**request.model_dump(mode="json"), **changes}
            )
        except ValidationError as exc:
            field, problem = validation_problems(exc.errors())[0]
            return {
                "held": None,
                "messages": [AIMessage(f"That edit is not valid: {field}: {problem}")],
            }
    elif action != "approve":
        return {
            "held": None,
            "messages": [AIMessage(f"Unknown decision {action!r}: approve, edit or reject.")],
        }
    focus = state.get("focus") or []
    return {
        "held": None,
        **run_approved_search(request, settings_of(config), focus, owner_of(config)),
    }


def _answered(
    state: AssistantState,
    config: RunnableConfig,
    node: str,
    decided: Callable[[AssistantState, RunnableConfig, Any, dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """Approval node `node`: pause with its proposal until the user answers; a message of
    theirs (`ASKED`) is held for the supervisor, a decision is carried out by `decided`
    (with the user's words first, when it was typed)."""
    action, changes, said = _approval(proposal_question(state, node))
    if action == ASKED:
        return _asked(said, node)
    return _said_first(said, decided(state, config, action, changes))


def _asked(said: HumanMessage | None, node: str) -> dict[str, Any]:
    """The update of approval node `node` answered with the user's message `said` (`ASKED`):
    the message joins the conversation and the proposal is held for after its answer."""
    return {"messages": [said or HumanMessage("")], "held": node}


def _said_first(said: HumanMessage | None, update: dict[str, Any]) -> dict[str, Any]:
    """`update` of an approval node answered in the user's words `said` (a decision typed in the
    chat: "yes, go ahead"): the words join the conversation before the answer to them."""
    if said is None:
        return update
    return {**update, "messages": [said, *update.get("messages", [])]}


def _kept(state: AssistantState, node: str) -> dict[str, Any] | None:
    """What a proposal of approval node `node` becomes when a message asked while a proposal
    waited failed to draft another: the proposal held, if it is that node's, else None."""
    if state.get("held") != node:
        return None
    return state.get("draft") if node == "approve" else state.get("deployment")


def _replacing(state: AssistantState) -> list[str]:
    """The note of a new proposal drafted while another waited (it replaces it), else none."""
    node = held_route(state)
    if node == END:
        return []
    what = "search (not run)" if node == "approve" else "deployment (not created)"
    return [f"It replaces the {what} that was waiting for your approval"]


def held_route(state: AssistantState) -> str:
    """After a message asked while a proposal waited is answered: back to the approval node that
    holds the proposal (it waits again), or done."""
    held = state.get("held")
    if held == "approve" and state.get("draft"):
        return "approve"
    if held == "approve_deployment" and state.get("deployment"):
        return "approve_deployment"
    return END


def after_approval(state: AssistantState) -> str:
    """To the supervisor with a message asked while the proposal waited, else done."""
    return "supervisor" if state.get("held") else END


def after_supervisor(state: AssistantState) -> str:
    """To the specialist, to drafting a search or a deployment, or done (the supervisor
    answered; a held proposal then waits again)."""
    if state["route"] == "supervisor":
        return held_route(state)
    if state["route"] == "optimizer" and state.get("propose_deployment"):
        return "propose_deployment"
    if state["route"] == "optimizer" and state.get("run_search"):
        return "draft"
    return "specialist"


def after_deployment_draft(state: AssistantState) -> str:
    """Ask for approval when there is a deployment to propose (or a held proposal)."""
    return "approve_deployment" if state.get("deployment") else held_route(state)


@guarded("propose_deployment", lambda state: {"deployment": _kept(state, "approve_deployment")})
def propose_deployment(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """The optimizer drafts the deployment the user asked for; what it would deploy is checked
    now (the owner's portfolio, or the thread's last search run as one of the owner's jobs)."""
    from graphs.chat_deployment import deployment_proposal, deployment_refusal

    emit_node_started("optimizer")
    try:
        outcome = draft_deployment(
            state["messages"], config, settings_of(config), memory_of(config), _held_context(state)
        )
    except InvalidDecisionError as exc:  # "with $0": out of the deployment's bounds
        text = f"I could not set up that deployment: {_problems(exc.errors)}. Please rephrase."
        kept = _kept(state, "approve_deployment")
        return {"deployment": kept, "messages": [_reply(state["messages"], text, config)]}
    owner = owner_of(config)
    decision = outcome.decision
    built = list(state.get("portfolios") or {})
    if decision.source == "last_run" and not (state.get("last_run") or {}).get("best") and built:
        # no search winner in the thread: "deploy it" is the portfolio built last
        decision = decision.model_copy(update={"source": "portfolio", "portfolio_id": built[-1]})
    vocab = vocabulary(settings_of(config))
    refused = deployment_refusal(state.get("last_run"), decision, owner)
    kept = _kept(state, "approve_deployment")
    if refused is not None:
        reply = _reply(state["messages"], refused, config)
        return {"deployment": kept, "tokens": outcome.tokens, "messages": [reply]}
    assert owner is not None
    proposal = deployment_proposal(state.get("last_run"), decision, owner)
    if isinstance(proposal, str):
        reply = _reply(state["messages"], proposal, config)
        return {"deployment": kept, "tokens": outcome.tokens, "messages": [reply]}
    notes = checked_notes(lambda: proposal_notes(state["messages"], DEPLOYMENT, proposal, vocab))
    notes += _replacing(state)
    proposal["summary"] = " ".join([proposal["summary"], *(f"{note}." for note in notes)])
    # a new proposal replaces one held while the user asked
    return {"deployment": proposal, "draft": None, "held": None, "tokens": outcome.tokens}


@guarded("approve_deployment", {"deployment": None, "held": None})
def approve_deployment(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """Pause for approval; create and activate the deployment when approved, else cancel."""
    return _answered(state, config, "approve_deployment", _deployment_decided)


def _deployment_decided(
    state: AssistantState, config: RunnableConfig, action: Any, changes: dict[str, Any]
) -> dict[str, Any]:
    """The update of the drafted deployment answered `action` (with an edit's `changes`):
    create and activate it as approved or edited, or cancel it."""
    from graphs.chat_deployment import deploy

    proposal = dict(state["deployment"] or {})
    if action == "reject":
        return {
            "deployment": None,
            "held": None,
            "messages": [AIMessage("Cancelled: nothing was deployed.")],
        }
    if action == "edit":
        proposal = {**proposal, **changes}
    elif action != "approve":
        return {
            "held": None,
            "messages": [AIMessage(f"Unknown decision {action!r}: approve, edit or reject.")],
        }
    owner = owner_of(config)
    if owner is None:  # pragma: no cover - checked when proposed
        return {
            "deployment": None,
            "held": None,
            "messages": [AIMessage("Nothing was deployed: no owner.")],
        }
    return {"deployment": None, "held": None, "messages": [AIMessage(deploy(owner, proposal))]}


def proposal_question(state: AssistantState, node: str) -> dict[str, Any]:
    """The approval request approval node `node` ("approve": the drafted search, with what the
    owner's profile did to it; "approve_deployment": the drafted deployment) puts to the user."""
    if node == "approve":
        from graphs.chat_search import describe_request
        from graphs.request import OptimizationRequest

        request = OptimizationRequest.model_validate(state["draft"])
        notes = state.get("draft_notes") or []  # what the owner's profile did to the draft
        return {
            "type": "approval",
            "summary": " ".join([describe_request(request), *(f"{note}." for note in notes)]),
            "request": request.model_dump(mode="json"),
            "actions": ["approve", "edit", "reject"],
        }
    proposal = dict(state.get("deployment") or {})
    return {
        "type": "approval",
        "kind": "deployment",
        "summary": proposal["summary"],
        "request": {k: v for k, v in proposal.items() if k != "summary"},
        "actions": ["approve", "edit", "reject"],
    }


def _held_context(state: AssistantState) -> str | None:
    """The system text handing the supervisor, and the optimizer drafting a change, the
    proposal held while the user asked (`PROPOSAL_MARKER`), or None when none is held."""
    node = held_route(state)
    if node == END:
        return None
    question = proposal_question(state, node)
    held = {
        "kind": question.get("kind", "search"),
        "status": "waiting for the user's approval; nothing has run. The user's latest "
        "message was sent while it waited: a question is answered and the proposal is put to "
        "the user again after the answer; a change of it is drafted from it, keeping what the "
        "message does not change.",
        "summary": question["summary"],
        "request": question["request"],
    }
    if node == "approve" and state.get("focus"):  # what the search was asked about
        held["focus"] = list(state["focus"])
    if node == "approve" and state.get("draft_from_profile"):  # what the profile filled in
        held["from_profile"] = list(state["draft_from_profile"])
    return PROPOSAL_MARKER + model_json(held)


def _approval(question: dict[str, Any]) -> tuple[Any, dict[str, Any], HumanMessage | None]:
    """Pause the thread with `question` (an `interrupt`) for the user's decision: its action
    ("approve", "edit", "reject", `ASKED`, or whatever else was answered), for an edit the
    changes (``{"action": "edit", "request": {...}}``), and the user's message when the answer
    came in words (``"said": {"text", "id"}``: a decision typed in the chat, or `ASKED`'s
    message)."""
    decision = interrupt(question)
    if not isinstance(decision, dict):
        return str(decision), {}, None
    words = decision.get("said")
    said = None
    if isinstance(words, dict):
        text, message_id = str(words.get("text") or ""), words.get("id")
        said = HumanMessage(text, id=message_id) if message_id else HumanMessage(text)
    return decision.get("action"), decision.get("request") or {}, said


def after_draft(state: AssistantState) -> str:
    """Ask for approval when the draft is a valid request (or the held proposal's again)."""
    return "approve" if state.get("draft") else held_route(state)


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
        "supervisor",
        after_supervisor,
        ["specialist", "draft", "propose_deployment", "approve", "approve_deployment", END],
    )
    graph.add_conditional_edges(
        "propose_deployment", after_deployment_draft, ["approve_deployment", "approve", END]
    )
    graph.add_conditional_edges("approve_deployment", after_approval, ["supervisor", END])
    graph.add_conditional_edges("specialist", held_route, ["approve", "approve_deployment", END])
    graph.add_conditional_edges("draft", after_draft, ["approve", "approve_deployment", END])
    graph.add_conditional_edges("approve", after_approval, ["supervisor", END])
    return graph


_ASSISTANT = CompiledOnce(_assistant_builder)
