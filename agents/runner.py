"""Running one agent: a tool-calling loop as a LangGraph subgraph, then a structured decision.

The loop (model -> tools -> model ...) is a compiled subgraph invoked with the caller's config,
so a parent graph streamed with `subgraphs=True` shows the agent's tokens, tool calls and tool
results. The decision is then asked for with `with_structured_output(schema)`; a reply that does
not validate is asked for once more with the validation error, then raises `AgentError`.
Token use (from usage metadata) is counted over every model call. Tasks and tool results reach the
model in canonical JSON (`tools.canonical`: sorted keys, floats to 6 significant digits).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command
from pydantic import BaseModel, ValidationError

from agents.models import chat_model
from agents.roles import AgentRole
from prompts import load_prompt
from settings import Settings
from tools.canonical import canonical_text, model_json

T = TypeVar("T", bound=BaseModel)

DECISION_PROMPT = "Give your decision now, as {schema}."
"""The message that asks an agent for its structured decision."""
RETRY_PROMPT = "That decision was not valid: {problem}. Answer again, as {schema}."

MAX_TOOL_ROUNDS = 6
"""Model turns with tool calls an agent may take before it must decide."""


class AgentError(RuntimeError):
    """An agent failed to produce a valid decision."""


@dataclass(frozen=True)
class AgentOutcome(Generic[T]):
    """An agent's validated decision, its conversation and the tokens it used."""

    decision: T
    messages: list[BaseMessage]
    tokens: int


def tokens_of(messages: Sequence[BaseMessage]) -> int:
    """Total tokens reported in the usage metadata of the AI messages."""
    total = 0
    for message in messages:
        usage = getattr(message, "usage_metadata", None)
        if isinstance(message, AIMessage) and usage:
            total += int(usage.get("total_tokens", 0))
    return total


def _canonical_result(
    request: ToolCallRequest, execute: Callable[[ToolCallRequest], ToolMessage | Command]
) -> ToolMessage | Command:
    """Run the tool call and put its result into the conversation in canonical form."""
    result = execute(request)
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


def tool_loop(model: BaseChatModel, tools: Sequence[BaseTool]) -> Any:
    """A compiled subgraph: the model calls tools until it answers (at most `MAX_TOOL_ROUNDS`
    model turns per request)."""
    bound = model.bind_tools(list(tools))

    def call_model(state: MessagesState, config: RunnableConfig) -> dict[str, list[AnyMessage]]:
        turns = model_turns_since_request(state["messages"])
        if turns >= MAX_TOOL_ROUNDS:
            return {"messages": []}
        return {"messages": [bound.invoke(state["messages"], config)]}

    def route(state: MessagesState) -> str:
        last = state["messages"][-1]
        if not isinstance(last, AIMessage) or not last.tool_calls:
            return END
        turns = model_turns_since_request(state["messages"])
        return "tools" if turns < MAX_TOOL_ROUNDS else END

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode(list(tools), wrap_tool_call=_canonical_result))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", route, {"tools": "tools", END: END})
    graph.add_edge("tools", "model")
    return graph.compile()


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
    model = model or chat_model(role, settings)
    if messages is None:
        messages = [
            SystemMessage(load_prompt(role).text),
            HumanMessage(model_json(task)),
        ]
    messages = list(messages)
    if tools:
        result = tool_loop(model, tools).invoke(
            {"messages": messages}, config, stream_mode="values"
        )
        messages = list(result["messages"])
    ask = HumanMessage(DECISION_PROMPT.format(schema=schema.__name__))
    structured = model.with_structured_output(schema, include_raw=True)
    error: str | None = None
    spent = tokens_of(messages)
    for _ in range(2):
        prompt = [*messages, ask] if error is None else [*messages, ask, HumanMessage(error)]
        reply = cast(dict[str, Any], structured.invoke(prompt, config))
        raw = reply["raw"]
        spent += tokens_of([raw])
        parsed = reply.get("parsed")
        if isinstance(parsed, schema):
            return AgentOutcome(decision=parsed, messages=[*messages, raw], tokens=spent)
        problem = reply.get("parsing_error")
        if isinstance(problem, ValidationError):
            problem = problem.errors()[:3]
        error = RETRY_PROMPT.format(problem=problem, schema=schema.__name__)
    raise AgentError(f"the {role} agent gave no valid {schema.__name__}: {error}")
