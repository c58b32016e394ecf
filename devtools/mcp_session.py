"""A model driving Stratigos' MCP tools: what an MCP script (`devtools.scripts`, kind ``mcp``)
runs, and what its cassette records.

`stratigos mcp` runs as a subprocess on stdio, as a desktop or IDE client starts it: the local
owner in the session's data directory, on the offline model (its tools call no model). The tools
`langchain-mcp-adapters` loads from it are bound to the chat's own agents, on the configured
provider (Bedrock: langchain-aws' `ChatBedrockConverse`, whose traffic the cassette holds):

- the supervisor routes each user message (`agents.chat.route_message`);
- a specialist answers it with the MCP tools (`agents.chat.answer`: its tool loop calls them
  over the session);
- a strategy search or a deployment is the optimizer's decision, asked for as a call of the MCP
  tool that drafts it (``draft_strategy_search``, ``draft_deployment``: their inputs are those
  decisions' own schemas), as the runner asks a model that refuses forced tool choice
  (`agents.conversation_texts.DECISION_PROMPT`); the session makes the call.

Nothing runs on the model's word: this client cannot be asked (no elicitation), so a draft
waits for its owner's approval. After the last step each draft's status is read from the
server (``draft_status``). A draft's id is new on every run and would reach the model with a
later message, so a draft ends the conversation: a message after one is refused
(`DraftNotLastError`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, ToolException
from pydantic import Field

DRAFTING_TOOLS = {"search": "draft_strategy_search", "deployment": "draft_deployment"}
"""The MCP tool that drafts each kind of proposal."""
TOOL_TIMEOUT = 600.0
"""Seconds one MCP tool call may take."""
SERVER_CODE = "import sys; from api.cli import main; sys.exit(main(['mcp']))"
"""`stratigos mcp`, run by this interpreter (the console script's own code)."""


class SessionTool(BaseTool):
    """An MCP tool of a session whose event loop runs in another thread, called synchronously
    (the agents' tool loop is synchronous); its result is the text of the tool's content."""

    inner: BaseTool = Field(exclude=True)
    loop: Any = Field(exclude=True)

    def _run(self, *args: Any, **kwargs: Any) -> str:
        call = {"type": "tool_call", "id": "mcp", "name": self.inner.name, "args": kwargs}
        future: Future[Any] = asyncio.run_coroutine_threadsafe(self.inner.ainvoke(call), self.loop)
        message = future.result(timeout=TOOL_TIMEOUT)
        assert isinstance(message, ToolMessage)
        if message.status == "error":
            raise ToolException(message.text)
        return message.text


def server_parameters(settings: Any) -> Any:
    """How to start `stratigos mcp` on stdio: in `settings`' data directory, on the offline
    model and embedder, with no AWS variable (the server calls no model)."""
    from mcp import StdioServerParameters

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "STRATIGOS_DATA_DIR": str(settings.data_dir),
        "STRATIGOS_MODEL_PROVIDER": "offline",
        "STRATIGOS_EMBEDDING_PROVIDER": "offline",
    }
    return StdioServerParameters(command=sys.executable, args=["-c", SERVER_CODE], env=env)


def server_log(settings: Any, files: contextlib.ExitStack) -> TextIO:
    """Where the server's stderr goes: this process's (when it is a file), else
    ``mcp-server.log`` in the data directory (under pytest's capsys, for one)."""
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        path = Path(settings.data_dir, "mcp-server.log")
        return files.enter_context(path.open("a", encoding="utf-8"))
    return sys.stderr


class DraftNotLastError(ValueError):
    """A message after a draft: the draft's id (new on every run) would reach the model."""


@dataclass(frozen=True)
class McpConversation:
    """What a conversation through the MCP tools did: each turn (the route, the tools called,
    the replies, what a drafting call answered), each draft's status at the end (`draft_status`)
    and the tools the server listed."""

    turns: list[dict[str, Any]]
    drafts: list[dict[str, Any]]
    tools: list[BaseTool]
    refused: str | None = None
    """Why the conversation stopped before its last message (a message after a draft)."""


def converse_over_mcp(messages: Sequence[str], settings: Any) -> McpConversation:
    """Send `messages` in turn to the chat's agents, bound to the tools of `stratigos mcp` in
    `settings`' data directory (see the module); `DraftNotLastError` for a message after a
    draft."""
    done = asyncio.run(_session(messages, settings))
    if done.refused is not None:
        raise DraftNotLastError(done.refused)
    return done


async def _session(messages: Sequence[str], settings: Any) -> McpConversation:
    from langchain_mcp_adapters.tools import load_mcp_tools
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    with contextlib.ExitStack() as files:
        errlog = server_log(settings, files)
        async with (
            stdio_client(server_parameters(settings), errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await _converse_in(session, await load_mcp_tools(session), messages, settings)


async def _converse_in(
    session: Any, loaded: list[BaseTool], messages: Sequence[str], settings: Any
) -> McpConversation:
    """The conversation with the tools `loaded` from `session`, then the drafts' statuses."""
    loop = asyncio.get_running_loop()
    tools = [
        SessionTool(
            name=tool.name,
            description=tool.description,
            args_schema=tool.args_schema,
            inner=tool,
            loop=loop,
            handle_tool_error=True,
        )
        for tool in loaded
    ]
    turns, drafts, refused = await asyncio.to_thread(_converse, messages, tools, settings)
    statuses = []
    for tool, draft_id in drafts:
        answer = await session.call_tool("draft_status", {"draft_id": draft_id})
        status = answer.structuredContent or {}
        statuses.append({"tool": tool, **{k: status.get(k) for k in ("status", "summary")}})
    return McpConversation(turns, statuses, loaded, refused)


def _converse(
    messages: Sequence[str], tools: Sequence[BaseTool], settings: Any
) -> tuple[list[dict[str, Any]], list[tuple[str, str]], str | None]:
    """Each user message through the agents: its turn, the drafts made (tool, id), and why it
    stopped early (a message after a draft), if it did."""
    from agents.chat import route_message

    history: list[BaseMessage] = []
    turns: list[dict[str, Any]] = []
    drafts: list[tuple[str, str]] = []
    for number, text in enumerate(messages, start=1):
        if drafts:
            return turns, drafts, f"step {number}: a draft ends an MCP script (its id is new on every run)"  # fmt: skip
        history.append(HumanMessage(text))
        route = route_message(history, settings=settings).decision
        kind = "deployment" if route.propose_deployment else "search" if route.run_search else None
        if kind is None:
            new = _answer(route.agent, history, tools, settings)
        else:
            new = _draft(DRAFTING_TOOLS[kind], history, tools, settings)
        history += new
        drafted = _drafted(new)
        drafts += [(tool, body["draft_id"]) for tool, body in drafted if "draft_id" in body]
        turns.append(_turn(text, route.agent, new, drafted))
    return turns, drafts, None


def _turn(
    text: str, route: str, new: Sequence[BaseMessage], drafted: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """What a snapshot keeps of a turn (no draft id: it is new on every run)."""
    replies = [m for m in new if isinstance(m, AIMessage)]
    return {
        "step": text,
        "route": route,
        "tools": [call["name"] for m in replies for call in m.tool_calls],
        "replies": [m.text for m in replies if not m.tool_calls and m.text],
        "drafted": [{k: body.get(k) for k in ("status", "summary")} for _, body in drafted],
    }


def _answer(
    role: Any, history: list[BaseMessage], tools: Sequence[BaseTool], settings: Any
) -> list[BaseMessage]:
    """`role` answers the latest message with the MCP tools (the chat's tool loop)."""
    from agents.chat import answer

    new, _ = answer(role, history, tools, settings=settings)
    return new


def _draft(
    name: str, history: list[BaseMessage], tools: Sequence[BaseTool], settings: Any
) -> list[BaseMessage]:
    """The optimizer's decision, asked for as a call of the drafting tool `name` (bound with
    the others under ``auto``); the calls it makes are sent to the server."""
    from agents.chat import chat_conversation
    from agents.conversation_texts import DECISION_PROMPT
    from agents.models import chat_model

    ask = HumanMessage(DECISION_PROMPT.format(schema=name))
    conversation = chat_conversation("optimizer", [*history, ask], settings=settings)
    reply = chat_model("optimizer", settings).bind_tools(tools).invoke(conversation)
    assert isinstance(reply, AIMessage)
    by_name = {tool.name: tool for tool in tools}
    results = [by_name[call["name"]].invoke(call) for call in reply.tool_calls]
    return [ask, reply, *results]


def _drafted(messages: Sequence[BaseMessage]) -> list[tuple[str, dict[str, Any]]]:
    """What the drafting calls among `messages` answered: (tool, JSON body)."""
    found = []
    for message in messages:
        if isinstance(message, ToolMessage) and message.name in DRAFTING_TOOLS.values():
            try:
                body = json.loads(message.text)
            except ValueError:  # a refusal: its text
                body = {"status": "refused", "summary": message.text}
            found.append((str(message.name), body if isinstance(body, dict) else {}))
    return found
