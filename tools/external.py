"""Tools of MCP servers the owner configured (`settings.mcp.servers`: a market-data server, a
broker's), for the assistant's specialists, through `langchain-mcp-adapters`.

`external_tools(settings, owner)` loads the tools of every server configured for `owner`, named
`<server>_<tool>`, each wrapped in an `ExternalTool` that runs the server's tool synchronously
(the chat's tool loop is synchronous) within `settings.mcp.tool_timeout` seconds. A server that
cannot be reached is left out (and logged), never the chat.

The approval rule is the chat's: whatever may trade or write waits for the owner. A tool runs
at once only when the owner declared it read-only (`read_only_tools`), or its server marks it
so (`readOnlyHint`) and the owner trusts the server's hints (`trust_read_only_hints`). Any other
call pauses the chat thread on an approval (LangGraph
`interrupt`: the thread's pending approval, answered in the CLI, the web UI or the API like a
search's) naming the server, the tool and the arguments; it is sent only when approved, and
only with the arguments that were approved (the decision must name the call: `call`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, ToolException
from langgraph.types import interrupt
from pydantic import Field

from settings import Settings
from settings.groups.mcp import McpServer

log = logging.getLogger("stratigos.tools.external")

T = TypeVar("T")

REJECTED = "The user did not approve this call of {tool}: nothing was sent to {server}."


class ExternalTool(BaseTool):
    """A tool of an external MCP server, run synchronously, behind the approval rule."""

    inner: BaseTool = Field(exclude=True)
    server: str
    remote_name: str
    """The tool's name on its server."""
    read_only: bool
    roles: tuple[str, ...]
    timeout: float

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        if not self.read_only and not self._approved(kwargs):
            return REJECTED.format(tool=self.name, server=self.server)
        call = {"type": "tool_call", "id": "external", "name": self.inner.name, "args": kwargs}
        message = run_coroutine(asyncio.wait_for(self.inner.ainvoke(call), self.timeout))
        assert isinstance(message, ToolMessage)
        if message.status == "error":
            raise ToolException(f"{self.name} failed: {message.text}")
        return message.content

    def _approved(self, arguments: dict[str, Any]) -> bool:
        """Ask the owner (pause the thread) whether to send this call; True once they approved
        this very call, False when they rejected it."""
        request = {"server": self.server, "tool": self.remote_name, "arguments": arguments}
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]
        shown = json.dumps(arguments, sort_keys=True)
        question = {
            "type": "approval",
            "kind": "external_tool",
            "summary": f"Call {self.remote_name} on the MCP server {self.server} with {shown}.",
            "request": request,
            "actions": ["approve", "reject"],
            "call": digest,
        }
        while True:  # an approval of another call (the model asked differently) asks again
            decision = interrupt(question)
            action = decision.get("action") if isinstance(decision, dict) else decision
            if action != "approve":
                return False
            if isinstance(decision, dict) and decision.get("call") == digest:
                return True


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end from synchronous code (in a helper thread when this thread
    already runs an event loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def connection(server: McpServer) -> dict[str, Any]:
    """The adapters' connection settings of `server` (secrets revealed only here)."""
    if server.transport == "stdio":
        env = {k: v.get_secret_value() for k, v in server.env.items()}
        return {
            "transport": "stdio",
            "command": server.command,
            "args": server.args,
            "env": env or None,
        }
    headers = {k: v.get_secret_value() for k, v in server.headers.items()}
    return {"transport": "streamable_http", "url": server.url, "headers": headers}


def external_tools(settings: Settings, owner: str | None) -> list[ExternalTool]:
    """The tools of every MCP server configured for `owner` (none without an owner)."""
    if owner is None:
        return []
    from langchain_mcp_adapters.client import MultiServerMCPClient

    servers = [s for s in settings.mcp.servers if s.owners is None or owner in s.owners]
    found: list[ExternalTool] = []
    for server in servers:
        client = MultiServerMCPClient({server.name: connection(server)}, tool_name_prefix=True)  # type: ignore[dict-item]
        try:
            loaded = run_coroutine(asyncio.wait_for(client.get_tools(), settings.mcp.tool_timeout))
        except Exception as exc:  # an unreachable server leaves its tools out, not the chat
            log.warning("MCP server %s left out: %s", server.name, type(exc).__name__)
            continue
        prefix = f"{server.name}_"
        for tool in loaded:
            name = tool.name.removeprefix(prefix)
            hinted = server.trust_read_only_hints and bool(
                (tool.metadata or {}).get("readOnlyHint")
            )
            found.append(
                ExternalTool(
                    name=tool.name,
                    description=tool.description,
                    args_schema=tool.args_schema,
                    inner=tool,
                    server=server.name,
                    remote_name=name,
                    read_only=hinted or name in server.read_only_tools,
                    roles=tuple(server.roles),
                    timeout=settings.mcp.tool_timeout,
                    handle_tool_error=True,
                )
            )
    return found
