"""Running one agent: a tool-calling loop as a LangGraph subgraph, then a structured decision.

The loop (model -> tools -> model ...) is a compiled subgraph invoked with the caller's config,
so a parent graph streamed with `subgraphs=True` shows the agent's tokens, tool calls and tool
results. The loop keeps no checkpoints of its own (it never pauses: its state lives and dies
within its node, whose outcome the parent graph checkpoints), so it never touches the parent's
checkpointer: a node may run it synchronously under a server whose checkpointer is async only
(`langgraph dev`, docs/langgraph-platform.md). The decision is then asked for with
`with_structured_output(schema)`; a reply that does not validate is asked for once more with
the validation error, then raises `AgentError`. How the decision is asked for depends on the model
(`agents.models.structured_model`: a forced tool call, native structured output, or the schema
as a tool under auto tool choice for models that refuse forced tool choice); the outcome says
which, and a corrective retry is noted (`AgentOutcome.notes`) for the trace.
Token use (from usage metadata) is counted over every model call. Tasks and tool results reach the
model in canonical JSON (`prompts.canonical`: sorted keys, floats to 6 significant digits).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableConfig, ensure_config
from langchain_core.tools import BaseTool
from langgraph._internal._constants import CONFIG_KEY_DURABILITY
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import INVALID_TOOL_NAME_ERROR_TEMPLATE, ToolCallRequest
from langgraph.types import Command
from pydantic import BaseModel, ValidationError

from agents.conversation_texts import DECISION_PROMPT, RETRY_PROMPT
from agents.errors import ModelOutputError
from agents.model_call import call_usage, stop_reason
from agents.model_plan import bedrock_plan
from agents.model_routes import RoutedModel
from agents.models import chat_model, is_bedrock, model_id_for, routes_for, structured_model
from agents.trace_notes import trace_note
from agents.usage_counts import USAGE_KEYS
from prompts import load_prompt
from prompts.canonical import canonical_text, model_json
from prompts.roles import AGENT_ROLES, AgentRole
from settings import Settings, get_settings

T = TypeVar("T", bound=BaseModel)

MAX_TOOL_ROUNDS = 6
"""Model turns with tool calls an agent may take before it must decide."""


class AgentError(RuntimeError):
    """An agent failed to produce a valid decision."""


class InvalidDecisionError(AgentError):
    """An agent's decision was refused by its schema twice (`errors`: pydantic's, of the last):
    often values the user asked for out of the schema's bounds ("make it 0 trials"), said to
    them as such."""

    def __init__(self, message: str, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(message)
        self.errors = list(errors)


@dataclass(frozen=True)
class AgentOutcome(Generic[T]):
    """An agent's validated decision, its conversation and the tokens it used; `method` is how
    the decision was asked for, `notes` what the trace should say (a corrective retry)."""

    decision: T
    messages: list[BaseMessage]
    tokens: int
    usage: dict[str, int]
    method: str = "forced_tool"
    notes: tuple[str, ...] = ()


def usage_of(messages: Sequence[BaseMessage]) -> dict[str, int]:
    """Model calls and tokens of the model replies in `messages` (every provider reports usage
    metadata: Bedrock's, the OpenAI-compatible servers', the offline model's estimate), each
    token counted once (`call_usage`)."""
    totals = dict.fromkeys(USAGE_KEYS, 0)
    for message in messages:
        usage = call_usage(message)
        if usage is None:
            continue
        totals["llm_calls"] += 1
        totals["fallback_calls"] += "stratigos_route" in (message.response_metadata or {})
        for key, value in usage.items():
            totals[key] += value
    return totals


def tokens_of(messages: Sequence[BaseMessage]) -> int:
    """Tokens of the model replies in `messages`: each reply's whole prompt (cached or not) and
    output, counted once (what token budgets charge)."""
    return usage_of(messages)["total_tokens"]


LOOP_RUN_KEY = "__stratigos_tool_loop_run"
"""The run config's ``configurable`` key holding a run's `LoopRun` (its model and tools): the
loop is compiled once (`tool_loop`), and what changes from run to run travels in the config.
LangChain leaves ``__``-keys out of the run metadata, so it never reaches a trace."""


@dataclass(frozen=True)
class LoopRun:
    """What one run of `tool_loop` works with: `caller` the model (over its routes) with the
    tools bound, `tools_by_name` the tools it may call."""

    caller: RoutedModel
    tools_by_name: dict[str, BaseTool]


def _loop_run(config: RunnableConfig) -> LoopRun:
    """The `LoopRun` in `config` (set by `run_tool_loop`)."""
    run = (config.get("configurable") or {}).get(LOOP_RUN_KEY)
    if not isinstance(run, LoopRun):
        raise TypeError("tool_loop runs with a LoopRun in its config: call run_tool_loop")
    return run


def _run_tool(
    request: ToolCallRequest, execute: Callable[[ToolCallRequest], ToolMessage | Command]
) -> ToolMessage | Command:
    """Run the tool call with the run's own tool (the compiled `ToolNode` holds none) and put
    its result into the conversation in canonical form; a tool the run does not have is
    answered as `ToolNode` answers it."""
    tools = _loop_run(request.runtime.config).tools_by_name
    name = request.tool_call["name"]
    if name not in tools:
        content = INVALID_TOOL_NAME_ERROR_TEMPLATE.format(
            requested_tool=name, available_tools=", ".join(tools)
        )
        return ToolMessage(content, name=name, tool_call_id=request.tool_call["id"],
                           status="error")  # fmt: skip
    result = execute(request.override(tool=tools[name]))
    if isinstance(result, ToolMessage) and isinstance(result.content, str):
        result.content = canonical_text(result.content)
    return result


def model_turns_since_request(messages: Sequence[BaseMessage]) -> int:
    """Model replies since the latest human message: the step budget counts per request, so a
    long conversation never runs out of steps."""
    turns = 0
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        turns += isinstance(message, AIMessage)
    return turns


BUDGET_EXHAUSTED = "not run: the agent's tool-round budget for this request is spent"
"""The result given to tool calls made at the tool-round cap (so none is left unanswered)."""

CACHE_POINT: dict[str, Any] = {"cachePoint": {"type": "default"}}
"""A Bedrock prompt-cache checkpoint (Converse's CachePointBlock)."""


def system_prompt(role: AgentRole, settings: Settings | None = None) -> SystemMessage:
    """`role`'s system prompt; on Bedrock with prompt caching (`bedrock_prompt_caching`, on by
    default) and a model that caches system prompts, followed by a cache point so later calls
    read the (long) prompt from the cache."""
    settings = settings or get_settings()
    text = load_prompt(role).text
    if cache_point_for(role, "system", settings):
        return SystemMessage([{"type": "text", "text": text}, CACHE_POINT])
    return SystemMessage(text)


def cache_point_for(role: AgentRole | str, where: str, settings: Settings | None = None) -> bool:
    """Whether `role`'s calls put a cache point after its `where` (``system`` or ``tools``)."""
    settings = settings or get_settings()
    if role not in AGENT_ROLES or settings.models.resolved_provider(role) != "bedrock":
        return False
    plan = bedrock_plan(role, model_id_for(role, settings), settings)
    return plan.cache_system if where == "system" else plan.cache_tools


def _truncated_tool_calls(message: AIMessage) -> AIMessage:
    """A reply cut at the token limit keeps its text; its (possibly partial) tool calls are not
    run."""
    if message.tool_calls and stop_reason(message) == "max_tokens":
        return AIMessage(content=message.content, response_metadata=message.response_metadata,
                         usage_metadata=message.usage_metadata, id=message.id)  # fmt: skip
    return message


def _call_model(state: MessagesState, config: RunnableConfig) -> dict[str, list[AnyMessage]]:
    """The loop's model turn: the run's model answers, unless the request's turns are spent."""
    if model_turns_since_request(state["messages"]) >= MAX_TOOL_ROUNDS:
        return {"messages": []}
    reply = _loop_run(config).caller.invoke(state["messages"], config)
    return {"messages": [_truncated_tool_calls(reply)]}


def _route(state: MessagesState) -> str:
    """After a model turn: its tool calls are run, or closed at the cap, or the loop ends."""
    last = state["messages"][-1]
    if not isinstance(last, AIMessage) or not last.tool_calls:
        return END
    turns = model_turns_since_request(state["messages"])
    return "tools" if turns < MAX_TOOL_ROUNDS else "close"


def _close(state: MessagesState) -> dict[str, list[AnyMessage]]:
    """Answer the tool calls made at the cap with `BUDGET_EXHAUSTED` errors."""
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    unanswered: list[AnyMessage] = [
        ToolMessage(BUDGET_EXHAUSTED, tool_call_id=call["id"] or "", name=call["name"],
                    status="error")
        for call in last.tool_calls
    ]  # fmt: skip
    return {"messages": unanswered}


@cache
def tool_loop() -> Any:
    """The compiled tool-calling loop, without a checkpointer (run it with `run_tool_loop`,
    which puts the run's model and tools in its config): the model calls tools until it
    answers (at most `MAX_TOOL_ROUNDS` model turns per request). Tool calls made at the cap are
    answered with `BUDGET_EXHAUSTED` errors, so every toolUse has its toolResult. Compiled once
    per process: nothing of a run is in the graph."""
    graph = StateGraph(MessagesState)
    graph.add_node("model", _call_model)
    graph.add_node("tools", ToolNode([], wrap_tool_call=_run_tool))
    graph.add_node("close", _close)
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", _route, {"tools": "tools", "close": "close", END: END})
    graph.add_edge("tools", "model")
    graph.add_edge("close", END)
    return graph.compile(checkpointer=False)


def run_tool_loop(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    role: str,
    messages: Sequence[BaseMessage],
    config: RunnableConfig | None = None,
    settings: Settings | None = None,
    routes: Sequence[str] = (),
) -> list[BaseMessage]:
    """Run `tool_loop` on `messages` with `model` (over `routes` when the service throttles,
    `agents.model_routes`) and `tools`, with the caller's `config` (or the enclosing node's);
    the whole conversation after it.

    The loop saves nothing, so the durability a parent run hands its nodes is left out of its
    config: with ``sync`` (`graphs.optimization_run` streams with it) LangGraph would wait for a checkpoint
    save that a graph without a checkpointer never starts (`AttributeError: ..._put_checkpoint_fut`
    in langgraph 1.2)."""

    def bind(chosen: BaseChatModel) -> Any:
        caching = is_bedrock(chosen) and cache_point_for(role, "tools", settings)
        return chosen.bind_tools([*tools, *([CACHE_POINT] if caching else [])])

    caller = RoutedModel(cast(AgentRole, role), model, bind, routes=routes, settings=settings)
    run = LoopRun(caller, {tool.name: tool for tool in tools})
    config = ensure_config(config)
    configurable = config.get("configurable") or {}
    config["configurable"] = {
        **{k: v for k, v in configurable.items() if k != CONFIG_KEY_DURABILITY},
        LOOP_RUN_KEY: run,
    }
    result = tool_loop().invoke({"messages": list(messages)}, config, stream_mode="values")
    return list(result["messages"])


def _decision_problem(reply: dict[str, Any], name: str, method: str, truncated: bool) -> Any:
    """What was wrong with a structured reply, for the corrective retry."""
    if truncated:
        return "it was cut at the output-token limit: answer shorter"
    problem = reply.get("parsing_error")
    if isinstance(problem, ValidationError):
        return problem.errors()[:3]
    if problem is None and method == "auto_tool":
        return f"no call of the {name} tool came back: call it with your decision"
    return problem


def run_agent(
    role: AgentRole,
    task: dict[str, Any] | None,
    schema: type[T],
    *,
    tools: Sequence[BaseTool] = (),
    config: RunnableConfig | None = None,
    model: BaseChatModel | None = None,
    messages: Sequence[BaseMessage] | None = None,
    settings: Settings | None = None,
) -> AgentOutcome[T]:
    """Run agent `role` on `task` (sent as JSON after its system prompt), or on a prepared
    conversation `messages`, and return its decision.

    With `tools`, the agent first works in a tool-calling loop (at most `MAX_TOOL_ROUNDS` turns).
    """
    routes = routes_for(role, settings) if model is None else []
    model = model or chat_model(role, settings)
    if messages is None:
        messages = [system_prompt(role, settings), HumanMessage(model_json(task))]
    messages = list(messages)
    given = len(messages)
    if tools:
        messages = run_tool_loop(model, tools, role, messages, config, settings, routes)
    replies: list[BaseMessage] = list(messages[given:])
    ask = HumanMessage(DECISION_PROMPT.format(schema=schema.__name__))
    used_tools = any(isinstance(m, ToolMessage) for m in messages)
    first, method = structured_model(model, schema, settings, role, tools_in_history=used_tools)
    structured = RoutedModel(
        role,
        model,
        lambda chosen: (
            first
            if chosen is model  # the first route's, made once for its method and its calls
            else structured_model(chosen, schema, settings, role, tools_in_history=used_tools)[0]
        ),
        routes=routes,
        settings=settings,
    )
    error: str | None = None
    notes: list[str] = []
    for _ in range(2):
        prompt = [*messages, ask] if error is None else [*messages, ask, HumanMessage(error)]
        reply = cast(dict[str, Any], structured.invoke(prompt, config))
        raw = reply["raw"]
        replies.append(raw)
        parsed = reply.get("parsed")
        truncated = stop_reason(raw) == "max_tokens"
        if isinstance(parsed, schema) and not truncated:
            return AgentOutcome(
                decision=parsed,
                messages=[*messages, raw],
                tokens=tokens_of(replies),
                usage=usage_of(replies),
                method=method,
                notes=tuple(notes),
            )
        if truncated and error is not None:
            raise ModelOutputError(role, "max_tokens", f"no complete {schema.__name__} fits")
        problem = _decision_problem(reply, schema.__name__, method, truncated)
        note = f"the {role} agent's {schema.__name__} ({method}) was not valid ({problem}); asked once more"
        notes.append(note)
        trace_note(note, "decision_retry")
        error = RETRY_PROMPT.format(problem=problem, schema=schema.__name__)
    failed = f"the {role} agent gave no valid {schema.__name__}: {error}"
    invalid = reply.get("parsing_error")
    if isinstance(invalid, ValidationError):
        raise InvalidDecisionError(failed, invalid.errors())
    raise AgentError(failed)
