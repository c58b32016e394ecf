"""The offline model's reading of a thread, as the chat graph makes it but without the graph
(milliseconds a message): the supervisor's route, then the first reply of the specialist it
routes to (its tool calls, or its text), or the optimizer's draft of a search. Earlier turns of
the thread run to their answers with the real tools (`ToolContext` on the embedded data), so a
follow-up reads the thread as it would in the chat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool

from agents.chat import RequestDraft, Route, chat_conversation
from agents.offline.model import OfflineChatModel, openai_tool
from graphs.assistant import TOOLS_OF
from tools import ToolContext, build_tools
from tools.guide import guide_tools

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
    context = ToolContext()
    return {tool.name: tool for tool in build_tools(context)}


@cache
def _schemas(role: str) -> list[dict[str, Any]]:
    tools = _tools()
    return [openai_tool(tools[name]) for name in TOOLS_OF[role] if name in tools]


ROUTE = [openai_tool(Route)]
DRAFT = [openai_tool(RequestDraft)]
GUIDE = [openai_tool(tool) for tool in guide_tools()]
"""The supervisor's own tool (questions about Stratigos)."""


def _route(messages: list[BaseMessage]) -> dict[str, Any]:
    conversation = chat_conversation("supervisor", messages)
    decided = OfflineChatModel(role="supervisor").decide(conversation, ROUTE, "Route")
    return dict(decided.tool_calls[0]["args"])


def _step(role: str, messages: list[BaseMessage]) -> AIMessage:
    conversation = chat_conversation(role, messages)  # type: ignore[arg-type]
    return OfflineChatModel(role=role).decide(conversation, _schemas(role))


def read_latest(messages: list[BaseMessage]) -> Reading:
    """The model's reading of the thread's latest (human) message."""
    route = _route(messages)
    agent = str(route.get("agent"))
    if agent == "supervisor":
        conversation = chat_conversation("supervisor", messages)
        said = OfflineChatModel(role="supervisor").decide(conversation, GUIDE)
        calls = [(c["name"], dict(c["args"])) for c in said.tool_calls]
        return Reading(agent, calls, text=said.text)
    if route.get("run_search"):
        conversation = chat_conversation("optimizer", messages)
        decided = OfflineChatModel(role="optimizer").decide(conversation, DRAFT, "RequestDraft")
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
