"""The offline model's reading of a thread, as the chat graph makes it but without the graph
(milliseconds a message): the supervisor's route, then the first reply of the specialist it
routes to (its tool calls, or its text), or the optimizer's draft of a search. Earlier turns of
the thread run to their answers with the real tools (`ToolContext` on the embedded data), so a
follow-up reads the thread as it would in the chat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from agents.offline.model import OfflineChatModel

# The chat's agents, tools and graph (LangGraph, the tools' services: ~1 s) are imported on the
# first reading, not when a module importing this one is collected.

MAX_STEPS = 8


@dataclass
class Reading:
    """What the model did with the latest message: the specialist (`route`), the tool calls of
    its first reply (name, args), a search draft's fields, and its text when it answered
    without a tool."""

    route: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    draft: dict[str, Any] | None = None
    text: str = ""


@cache
def _tools() -> dict[str, BaseTool]:
    from tools import ToolContext, build_tools

    context = ToolContext()
    return {tool.name: tool for tool in build_tools(context)}


@cache
def _schemas(role: str) -> list[dict[str, Any]]:
    from agents.offline.model import openai_tool
    from graphs.assistant import TOOLS_OF

    tools = _tools()
    return [openai_tool(tools[name]) for name in TOOLS_OF[role] if name in tools]


@cache
def _own_tools(kind: str) -> list[dict[str, Any]]:
    """The supervisor's route (`route`), the optimizer's search draft (`draft`), or the
    supervisor's own tools (`guide`: questions about Stratigos)."""
    from agents.chat import RequestDraft, Route
    from agents.offline.model import openai_tool
    from tools.guide import guide_tools

    if kind == "route":
        return [openai_tool(Route)]
    if kind == "draft":
        return [openai_tool(RequestDraft)]
    return [openai_tool(tool) for tool in guide_tools()]


def _model(role: str) -> OfflineChatModel:
    from agents.offline.model import OfflineChatModel

    return OfflineChatModel(role=role)


def _conversation(role: str, messages: list[BaseMessage]) -> list[BaseMessage]:
    """What `role` is sent on `messages` (`agents.chat.chat_conversation`)."""
    from agents.chat import chat_conversation

    return chat_conversation(role, messages)  # type: ignore[arg-type]


def _route(messages: list[BaseMessage]) -> dict[str, Any]:
    conversation = _conversation("supervisor", messages)
    decided = _model("supervisor").decide(conversation, _own_tools("route"), "Route")
    return dict(decided.tool_calls[0]["args"])


def _step(role: str, messages: list[BaseMessage]) -> AIMessage:
    conversation = _conversation(role, messages)
    return _model(role).decide(conversation, _schemas(role))


def read_latest(messages: list[BaseMessage]) -> Reading:
    """The model's reading of the thread's latest (human) message."""
    route = _route(messages)
    agent = str(route.get("agent"))
    if agent == "supervisor":
        conversation = _conversation("supervisor", messages)
        said = _model("supervisor").decide(conversation, _own_tools("guide"))
        calls = [(c["name"], dict(c["args"])) for c in said.tool_calls]
        return Reading(agent, calls, text=said.text)
    if route.get("run_search"):
        conversation = _conversation("optimizer", messages)
        decided = _model("optimizer").decide(conversation, _own_tools("draft"), "RequestDraft")
        return Reading(agent, draft=dict(decided.tool_calls[0]["args"]))
    first = _step(agent, messages)
    return Reading(agent, [(c["name"], dict(c["args"])) for c in first.tool_calls], text=first.text)


def answered(messages: list[BaseMessage]) -> list[BaseMessage]:
    """The thread with its latest message answered by the model and the real tools (a search or
    a deployment is left as drafted: nothing runs)."""
    route = _route(messages)
    agent = str(route.get("agent"))
    if agent == "supervisor" or route.get("run_search") or route.get("propose_deployment"):
        return [*messages, AIMessage("(drafted)")]
    new: list[BaseMessage] = []
    for _ in range(MAX_STEPS):
        step = _step(agent, [*messages, *new])
        new.append(step)
        if not step.tool_calls:
            break
        for call in step.tool_calls:
            new.append(_run(call))
    return [*messages, *new]


def _run(call: Any) -> ToolMessage:
    result = _tools()[call["name"]].invoke(call)
    assert isinstance(result, ToolMessage)
    return result


def thread(texts: list[str]) -> list[BaseMessage]:
    """The messages of a thread of `texts`, each but the last answered (`answered`)."""
    messages: list[BaseMessage] = []
    for text in texts[:-1]:
        messages = answered([*messages, HumanMessage(text)])
    return [*messages, HumanMessage(texts[-1])]
