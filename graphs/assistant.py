"""The `assistant` graph: the strategy-assistant chat.

Each user message goes to the supervisor, which routes it to a specialist or answers itself:
`market_analysis` (market statistics, scenarios, investment ideas), `optimizer` (portfolios, backtests, and strategy
searches), `risk_manager` (risk reports), `explanation` (why the last run's winner won). A
strategy search is drafted as an `OptimizationRequest` from the conversation; before it runs the
graph pauses with `interrupt` for the user to approve it, edit it (a JSON object of request
fields to change) or reject it. An approved run is the `optimization` workflow (`graphs.optimization_run`),
whose progress streams into the chat; its summary and explanation become the assistant's answer.
"Deploy that to paper, weekly" drafts a deployment of the last search's winner (or a named
portfolio) that waits for approval the same way; approved, it is created and activated for the
thread's owner (`trading.deployments`).

Memory is per `thread_id`: the conversation, including earlier tool calls and results, is kept
by the checkpointer, so follow-ups ("what's the CVaR of that?") find what earlier turns built.
Across threads, a thread with an owner has long-term memory: the graph is compiled with
LangGraph's store (`store.memories.memory_store`); each turn's agents are told what is known
about the owner (their memories and the profile settings they set, bounded), and the supervisor
answers memory asks with the memory tools (`tools.memory`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Annotated, Any, TypedDict, cast

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_store
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.store.base import BaseStore
from langgraph.types import interrupt
from pydantic import ValidationError

from agents.chat import (
    DeploymentDraft,
    Memory,
    RequestDraft,
    answer,
    draft_deployment,
    draft_request,
    route_message,
)
from agents.conversation_texts import LAST_RUN_MARKER
from agents.grounding import citation_problems, quoted_answer, research_passages
from graphs.chat_profile import profile_draft, profile_screen
from graphs.emit import emit_job, emit_node_started, emit_progress, emit_warning
from graphs.hedge_search import (
    describe_hedge,
    describe_hedge_search,
    describe_vol_model,
    hedge_space,
)
from graphs.request import DEFAULT_SPACE, OptimizationRequest, validation_problems
from prompts.canonical import model_json
from prompts.roles import AgentRole
from quant.strategy import StrategyConfig
from services.errors import InputError
from services.research import owner_search
from settings import Settings, get_settings
from store import NotFoundError, Store
from tools import build_tools
from tools.artifacts import ArtifactStore
from tools.context import (
    OwnerRecords,
    SavedPortfolioLookup,
    SavedPortfolioWeights,
    ToolContext,
)
from tools.memory import memory_tools
from tools.portfolio import portfolio_from_json, portfolio_to_json
from traces.schema import TraceEvent

TOOLS_OF = {
    "market_analysis": (
        "market_statistics",
        "generate_market_scenarios",
        "search_research",
        "save_idea",
        "propose_ideas",
    ),
    "optimizer": ("optimize_portfolio", "efficient_frontier", "backtest_strategy"),
    "risk_manager": ("portfolio_risk_report", "optimize_portfolio"),
}
"""The tools each specialist may use in the chat."""

MAX_THREAD_CONTEXTS = 256
"""Chat threads whose tool contexts (and artifacts) stay in memory, least recently used dropped."""

_TOOLS: OrderedDict[tuple[str, str], tuple[ToolContext, list[Any]]] = OrderedDict()
"""Each thread's tools, around its own `ToolContext` (so artifacts never cross threads)."""
_SETTINGS: dict[str, Settings] = {}
"""Settings bound to a thread by its driver (`bind_settings`); else the process's settings."""
_OWNERS: dict[str, tuple[str, Store]] = {}
"""The owner (and store) a thread's approved runs are submitted for, as jobs (`bind_owner`)."""


def _thread(config: RunnableConfig) -> str:
    return str((config.get("configurable") or {}).get("thread_id", ""))


def bind_settings(thread_id: str, settings: Settings) -> None:
    """Use `settings` (model provider, data directory) for the chat thread `thread_id`."""
    _SETTINGS[thread_id] = settings


def bind_owner(thread_id: str, owner: str, store: Store) -> None:
    """Run the approved searches of chat thread `thread_id` as `owner`'s optimization jobs in
    `store`, so they appear in the owner's jobs with their results; without an owner they run
    as bare runs."""
    _OWNERS[thread_id] = (owner, store)


def _settings(config: RunnableConfig) -> Settings:
    return _SETTINGS.get(_thread(config)) or get_settings()


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
    last_run: dict[str, Any] | None
    tokens: Annotated[int, lambda a, b: (a or 0) + (b or 0)]


def request_from_draft(draft: RequestDraft | dict[str, Any]) -> OptimizationRequest:
    """The `OptimizationRequest` a draft describes (defaults for what it leaves out)."""
    d = draft if isinstance(draft, RequestDraft) else RequestDraft.model_validate(draft)
    data: dict[str, Any] = {"search_space": dict(DEFAULT_SPACE)}
    for key in ("universe", "start", "end", "scenarios", "scenario_weights"):
        value = getattr(d, key)
        if value is not None:
            data[key] = value
    if d.target_vol_range is not None:
        low, high = sorted(d.target_vol_range)
        data["search_space"]["target_vol"] = {"low": low, "high": high}
    if d.weight_functions:
        data["search_space"]["weight_function"] = {"choices": list(d.weight_functions)}
    if d.risk_limits is not None:
        data["risk_limits"] = d.risk_limits.model_dump(exclude_none=True)
    if d.max_trials is not None:
        data["budget"] = {"max_trials": d.max_trials}
    if d.protection is not None:
        p = d.protection

        def pair(ends: list[float] | None) -> tuple[float, float] | None:
            return None if ends is None else (ends[0], ends[1])

        data["search_space"].update(
            hedge_space(
                kinds=p.kinds,
                strike=pair(p.strike_range),
                lower_strike=p.lower_strike,
                call_strike=p.call_strike,
                tenor_days=p.tenor_days,
                roll=p.roll,
                roll_delta_band=p.roll_delta_band,
                hedge_ratio=pair(p.hedge_ratio_range),
                budget=pair(p.budget_range),
            )
        )
        if p.vol_model is not None:
            data["vol_model"] = p.vol_model.model_dump(exclude_none=True)
    return OptimizationRequest.model_validate(data)


def _context(config: RunnableConfig, portfolios: dict[str, Any]) -> tuple[ToolContext, list[Any]]:
    """The thread's tool context and tools: kept in memory per data directory and thread, and
    rebuilt in a new process with the thread's portfolios from its checkpointed state (so
    "what's the CVaR of that?" finds a portfolio built in an earlier process). Artifact ids are
    derived from the thread id: unique per thread."""
    thread = _thread(config)
    key = (str(_settings(config).data_dir), thread)
    if key not in _TOOLS:
        context = ToolContext(artifacts=ArtifactStore(namespace=thread))
        for portfolio_id, saved in portfolios.items():
            context.artifacts.restore(portfolio_id, "portfolio", portfolio_from_json(saved))
        _TOOLS[key] = (context, build_tools(context))
        while len(_TOOLS) > MAX_THREAD_CONTEXTS:
            _TOOLS.popitem(last=False)
    _TOOLS.move_to_end(key)
    owner = _OWNERS.get(thread)
    context = _TOOLS[key][0]
    context.saved_portfolios = None if owner is None else saved_portfolio_lookup(*owner)
    context.research = (
        None if owner is None else owner_search(owner[1], owner[0], _settings(config))
    )
    context.records = None if owner is None else OwnerRecords(owner[0], owner[1], _settings(config))
    context.universe_screen = None if owner is None else profile_screen(*owner)
    return _TOOLS[key]


def _memory(config: RunnableConfig) -> Memory | None:
    """The long-term memory of the thread's owner for this turn: what is known about them (from
    the graph's store and their profile), or None for a thread without an owner or a graph
    compiled without a store."""
    owner = _OWNERS.get(_thread(config))
    if owner is None:
        return None
    try:
        memories = get_store()
    except RuntimeError:
        return None
    if memories is None:
        return None
    from services.memories import memory_context, what_is_known

    return Memory(memory_context(what_is_known(memories, owner[1], owner[0])))


def _supervisor_tools(config: RunnableConfig, memory: Memory | None) -> list[Any]:
    """The tools the supervisor answers with: the owner's memory tools when memory is on."""
    owner = _OWNERS.get(_thread(config))
    return [] if owner is None or memory is None else memory_tools(*owner)


def saved_portfolio_lookup(owner: str, store: Store) -> SavedPortfolioLookup:
    """Resolves `owner`'s saved portfolios by id for the chat's tools (None for an id they do
    not have). A portfolio saved from a chat keeps the date range it was built on; one on an
    uploaded dataset is refused with a message saying so (the chat reads the embedded data)."""

    def lookup(portfolio_id: str) -> SavedPortfolioWeights | None:
        try:
            portfolio = store.get_portfolio(owner, portfolio_id)
        except NotFoundError:
            return None
        if portfolio.data.get("dataset_id"):
            raise ValueError(
                f"saved portfolio {portfolio_id} holds assets of uploaded dataset "
                f"{portfolio.data['dataset_id']}; the chat reads the embedded market data only"
            )
        built_on = portfolio.data.get("source") or {}
        return SavedPortfolioWeights(
            name=portfolio.name,
            weights=portfolio.weights,
            start=built_on.get("start"),
            end=built_on.get("end"),
        )

    return lookup


def _tools(role: str, tools: list[Any]) -> list[Any]:
    names = TOOLS_OF.get(role, ())
    return [tool for tool in tools if tool.name in names]


def _new_portfolios(context: ToolContext, known: dict[str, Any]) -> dict[str, Any]:
    """The thread's portfolios not yet in its state, as JSON data."""
    return {
        pid: portfolio_to_json(context.artifacts.get(pid, "portfolio"))
        for pid in context.artifacts.ids("portfolio")
        if pid not in known
    }


def supervisor(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """Route the latest message (or answer it directly)."""
    emit_node_started("supervisor")
    memory = _memory(config)
    outcome = route_message(state["messages"], config, _settings(config), memory)
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
            _supervisor_tools(config, memory),
            config,
            settings=_settings(config),
            memory=memory,
        )
        update["messages"] = new
        update["tokens"] += tokens
    return update


def specialist(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """The routed specialist answers with its tools."""
    role = state["route"]
    emit_node_started(role)  # type: ignore[arg-type]
    last = state.get("last_run")
    context = None
    if role == "explanation" and last is not None:
        context = LAST_RUN_MARKER + model_json(last)
    known = state.get("portfolios") or {}
    tool_context, tools = _context(config, known)
    new, tokens = answer(
        cast(AgentRole, role),
        state["messages"],
        _tools(role, tools),
        config,
        context=context,
        settings=_settings(config),
        memory=_memory(config),
    )
    new = ground_citations(state["messages"], new)
    return {
        "messages": new,
        "tokens": tokens,
        "portfolios": _new_portfolios(tool_context, known),
    }


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
    latest = research_passages(new) or passages
    question = next((m.text for m in reversed(history) if isinstance(m, HumanMessage)), "")
    text = (
        quoted_answer(latest, question)
        if latest
        else "I cannot cite that: no passage of your documents was found for it."
    )
    return [*new[:-1], AIMessage(text, id=final.id)]


def draft(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """The optimizer drafts the strategy search the user asked for."""
    emit_node_started("optimizer")
    outcome = draft_request(state["messages"], config, _settings(config), _memory(config))
    owner = _OWNERS.get(_thread(config))
    notes: list[str] = []
    try:
        request = request_from_draft(outcome.decision)
        if owner is not None:
            request, notes = profile_draft(request, *owner)
    except (ValidationError, InputError) as exc:
        problems = "; ".join(
            f"{field}: {problem}"
            for field, problem in (
                validation_problems(exc.errors())
                if isinstance(exc, ValidationError)
                else [(exc.field, exc.problem)]
            )
        )
        return {
            "draft": None,
            "tokens": outcome.tokens,
            "messages": [
                AIMessage(f"I could not set up that search: {problems}. Please rephrase.")
            ],
        }
    return {
        "draft": request.model_dump(mode="json"),
        "draft_notes": notes,
        "focus": list(outcome.decision.focus or []),
        "tokens": outcome.tokens,
    }


def describe(request: OptimizationRequest) -> str:
    """A short description of a request, for the approval prompt."""
    space = request.search_space
    limits = request.risk_limits.limits()
    parts = [
        f"Strategy search on {len(request.universe) if request.universe else 20} assets, "
        f"{request.start} to {request.end}",
        f"scenarios {', '.join(request.scenarios)}"
        + (
            f" (weights {', '.join(f'{k} {v:g}' for k, v in request.scenario_weights.items())})"
            if request.scenario_weights
            else ""
        ),
        f"target vol {space['target_vol']['low']:.0%}-{space['target_vol']['high']:.0%}"
        if isinstance(space.get("target_vol"), dict) and "low" in space["target_vol"]
        else "",
        describe_hedge_search(space) or "",
        describe_vol_model(request.vol_model) if request.vol_model is not None else "",
        f"risk limits {', '.join(f'{k} {v:.0%}' for k, v in limits.items())}"
        + (
            f" in {', '.join(request.risk_limits.scenarios)}"
            if request.risk_limits.scenarios
            else ""
        )
        if limits
        else "",
        f"{request.budget.max_trials} trials, {request.n_paths} paths per scenario",
    ]
    return "; ".join(p for p in parts if p) + "."


def approve(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """Pause for approval; run the optimization when approved (or edited), else cancel."""
    request = OptimizationRequest.model_validate(state["draft"])
    notes = state.get("draft_notes") or []  # what the owner's profile did to the draft
    decision = interrupt(
        {
            "type": "approval",
            "summary": " ".join([describe(request), *(f"{note}." for note in notes)]),
            "request": request.model_dump(mode="json"),
            "actions": ["approve", "edit", "reject"],
        }
    )
    action = decision.get("action") if isinstance(decision, dict) else str(decision)
    if action == "reject":
        return {"draft": None, "messages": [AIMessage("Cancelled: nothing was run.")]}
    if action == "edit":
        changes = decision.get("request") or {}
        try:
            request = OptimizationRequest.model_validate(
                {**request.model_dump(mode="json"), **changes}
            )
        except ValidationError as exc:
            field, problem = validation_problems(exc.errors())[0]
            return {"messages": [AIMessage(f"That edit is not valid: {field}: {problem}")]}
    elif action != "approve":
        return {"messages": [AIMessage(f"Unknown decision {action!r}: approve, edit or reject.")]}
    return _run(request, _settings(config), state.get("focus") or [], _OWNERS.get(_thread(config)))


def winning_values(config: dict[str, Any], focus: list[str]) -> list[str]:
    """The winner's value of each parameter the user asked about, in words; a parameter the
    winner's weight function does not use is said to be unused, not given a value."""
    winner = StrategyConfig.model_validate(config)
    lines = []
    for name in focus:
        label = name.replace("_", " ")
        if name in winner.unused_parameters():
            lines.append(
                f"The winner ({winner.weight_function.replace('_', ' ')} weights) does not use "
                f"a {label}."
            )
        elif name == "target_vol":
            lines.append(f"Winning {label}: {winner.target_vol:.1%}.")
        elif name in config:
            value = config[name]
            lines.append(
                f"Winning {label}: {value:.4g}."
                if isinstance(value, float)
                else f"Winning {label}: {value}."
            )
    return lines


def _run(
    request: OptimizationRequest,
    settings: Settings,
    focus: list[str],
    owner: tuple[str, Store] | None,
) -> dict[str, Any]:
    from graphs.job_handlers import run_job_here
    from graphs.optimization_run import (
        run_optimization,  # the workflow's driver (checkpoints, files)
    )

    emit_node_started("optimizer")

    def forward(event: TraceEvent) -> None:
        if event.type == "run_started" and owner is not None:  # the owner's job: its id
            emit_job(event.run_id, "optimization")
        elif event.type == "progress":
            emit_progress(
                event.data["done"], event.data.get("total"), unit=event.data.get("unit", "trials"),
                best=event.data.get("best"), metric=event.data.get("metric"),
            )  # fmt: skip
        elif event.type == "warning":
            emit_warning(event.data["message"], event.data.get("code"))

    if owner is None:
        outcome = run_optimization(request, on_event=forward, settings=settings)
        run_id, result = outcome.run_id, outcome.result or {"status": outcome.status}
    else:
        name, store = owner
        run_id, result = run_job_here(store, name, request, sink=forward, settings=settings)
    best = result.get("best")
    lines = [f"Run {run_id} {result.get('status')}."]
    lines += [f"{reason}." for reason in result.get("left_out") or []]
    if best:
        lines += winning_values(best["config"], focus)
        hedge = describe_hedge(best["config"])
        if hedge:
            lines.append(f"The winner's protection: {hedge}.")
        elif describe_hedge_search(request.search_space):
            lines.append("The winner holds no option overlay (the search also tried some).")
    if result.get("reason"):
        lines.append(f"Reason: {result['reason']}.")
    explanation = (result.get("explanation") or {}).get("text")
    if explanation:
        lines.append(explanation)
    elif best:
        lines.append(f"Best configuration: {model_json(best['config'])}.")
    last_run = {
        "run_id": run_id,
        "status": result.get("status"),
        "best": best,
        "explanation": result.get("explanation"),
    }
    return {"draft": None, "last_run": last_run, "messages": [AIMessage(" ".join(lines))]}


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


DEFAULT_CAPITAL = 100_000.0
"""Capital of a deployment the chat proposes when the user names none (currency)."""


def propose_deployment(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """The optimizer drafts the deployment the user asked for; what it would deploy is checked
    now (the owner's portfolio, or the thread's last search run as one of the owner's jobs)."""
    emit_node_started("optimizer")
    outcome = draft_deployment(state["messages"], config, _settings(config), _memory(config))
    owner = _OWNERS.get(_thread(config))
    refused = _deployment_refusal(state, outcome.decision, owner)
    if refused is not None:
        return {"deployment": None, "tokens": outcome.tokens, "messages": [AIMessage(refused)]}
    assert owner is not None
    proposal = _deployment_proposal(state, outcome.decision, owner)
    if isinstance(proposal, str):
        return {"deployment": None, "tokens": outcome.tokens, "messages": [AIMessage(proposal)]}
    return {"deployment": proposal, "tokens": outcome.tokens}


def _deployment_refusal(
    state: AssistantState, draft: DeploymentDraft, owner: tuple[str, Store] | None
) -> str | None:
    if owner is None:
        return (
            "Deployments belong to a signed-in owner: ask in `stratigos chat` or the web UI, "
            "where your deployments are kept."
        )
    if draft.source == "last_run" and not (state.get("last_run") or {}).get("best"):
        return (
            "There is no search winner in this conversation to deploy yet: run a strategy "
            "search first (e.g. 'find the target-vol setting that holds up in a bear market'), "
            "or name a saved portfolio to deploy."
        )
    if draft.source == "portfolio" and not draft.portfolio_id:
        return "Which portfolio should I deploy? Name it by its id (pf_...)."
    return None


def _deployment_proposal(
    state: AssistantState, draft: DeploymentDraft, owner: tuple[str, Store]
) -> dict[str, Any] | str:
    """The deployment to propose as JSON (source, capital, schedule, cap_leverage, and what
    the approval says), or why there is none."""
    name, store = owner
    schedule = {
        "every": draft.every or "week",
        "on": draft.on or "first",
        "at": draft.at or "15:45",
    }
    capital = draft.capital or DEFAULT_CAPITAL
    if draft.source == "portfolio":
        portfolio_id = _stored_portfolio_id(store, name, str(draft.portfolio_id))
        if portfolio_id is None:
            return f"I do not find portfolio {draft.portfolio_id} among your saved portfolios."
        source = {"kind": "portfolio", "id": portfolio_id}
        what, cap = f"portfolio {portfolio_id}", False
    else:
        last = state.get("last_run") or {}
        config = StrategyConfig.model_validate(last["best"]["config"])
        source = {"kind": "optimization", "id": last["run_id"]}
        cap = config.max_leverage > 1
        what = f"the winner of run {last['run_id']} ({config.weight_function.replace('_', ' ')}"
        what += " weights"
        if "target_vol" not in config.unused_parameters():
            what += f", target vol {config.target_vol:.1%}"
        what += (
            f", its max leverage {config.max_leverage:.3g} capped at 1: a paper cash account "
            "cannot borrow)"
            if cap
            else ")"
        )
    when = f"the {schedule['on']} session of each {schedule['every']}"
    if schedule["every"] == "session":
        when = "each session"
    summary = (
        f"Deploy {what} to a paper account with {capital:,.0f} of capital, rebalanced on "
        f"{when} at {schedule['at']} New York time. It starts active; forward-test it to see "
        "how it would have traded."
    )
    return {
        "name": f"Chat: {what.split(' (')[0]}",
        "source": source,
        "capital": capital,
        "schedule": schedule,
        "cap_leverage": cap,
        "summary": summary,
    }


def _stored_portfolio_id(store: Store, owner: str, given: str) -> str | None:
    """A saved portfolio's store id from its store id or its chat id (pf_ + 6 hex digits)."""
    for portfolio in store.list_portfolios(owner):
        chat_id = (portfolio.data.get("source") or {}).get("chat_id")
        if given in (portfolio.id, chat_id):
            return str(portfolio.id)
    return None


def approve_deployment(state: AssistantState, config: RunnableConfig) -> dict[str, Any]:
    """Pause for approval; create and activate the deployment when approved, else cancel."""
    from trading.deployments import change_status, create_deployment

    proposal = dict(state["deployment"] or {})
    decision = interrupt(
        {
            "type": "approval",
            "kind": "deployment",
            "summary": proposal["summary"],
            "request": {k: v for k, v in proposal.items() if k != "summary"},
            "actions": ["approve", "edit", "reject"],
        }
    )
    action = decision.get("action") if isinstance(decision, dict) else str(decision)
    if action == "reject":
        return {"deployment": None, "messages": [AIMessage("Cancelled: nothing was deployed.")]}
    if action == "edit":
        proposal = {**proposal, **(decision.get("request") or {})}
    elif action != "approve":
        return {"messages": [AIMessage(f"Unknown decision {action!r}: approve, edit or reject.")]}
    owner = _OWNERS.get(_thread(config))
    if owner is None:  # pragma: no cover - checked when proposed
        return {"deployment": None, "messages": [AIMessage("Nothing was deployed: no owner.")]}
    name, store = owner
    try:
        created = create_deployment(
            store,
            name,
            name=str(proposal["name"]),
            source=proposal["source"]["kind"],
            source_id=proposal["source"]["id"],
            capital=proposal["capital"],
            schedule=proposal["schedule"],
            cap_leverage=bool(proposal.get("cap_leverage")),
            by="chat",
        )
    except (InputError, NotFoundError, KeyError, TypeError) as exc:
        return {"deployment": None, "messages": [AIMessage(f"Nothing was deployed: {exc}.")]}
    active = change_status(
        store, name, created.id, "active", by="chat", reason="approved in the chat"
    )
    text = (
        f"Deployed as {active.id} ({active.status}) on paper account paper-{active.id}. "
        f"Forward-test it with `stratigos deploy forward-test {active.id} --start 2022-01-03` "
        "or on its Deployments page."
    )
    return {"deployment": None, "messages": [AIMessage(text)]}


def after_draft(state: AssistantState) -> str:
    """Ask for approval when the draft is a valid request."""
    return "approve" if state.get("draft") else END


def build_assistant_graph(checkpointer: Any = None, store: BaseStore | None = None) -> Any:
    """The compiled `assistant` graph (a checkpointer is needed for a thread's memory and
    approvals; `store`, LangGraph's long-term memory store, for memory across threads)."""
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
    return graph.compile(checkpointer=checkpointer, store=store)
