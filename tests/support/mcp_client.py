"""What the MCP tests share: a client session of the `mcp` SDK on a server, answers of a user to
elicitations, and reading tool results."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from mcp import ClientSession, types
from mcp.client.session import ElicitationFnT
from mcp.server.lowlevel import Server
from mcp.shared.context import RequestContext
from mcp.shared.memory import create_connected_server_and_client_session

T = TypeVar("T")


def user_answers(
    action: str, decision: str | None = None, asked: list[str] | None = None
) -> ElicitationFnT:
    """An elicitation callback answering every question with `action` (and the decision, on
    accept), keeping the questions asked in `asked`."""

    async def answer(
        context: RequestContext[ClientSession, Any], params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        if asked is not None:
            asked.append(params.message)
        content = {"decision": decision} if decision is not None else None
        return types.ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    return cast(ElicitationFnT, answer)


def in_memory(
    server: Server[Any, Any],
    work: Callable[[ClientSession], Awaitable[T]],
    elicitation: ElicitationFnT | None = None,
) -> T:
    """Run `work` with the SDK's client session connected to `server` over memory streams."""

    async def run() -> T:
        async with create_connected_server_and_client_session(
            server,
            elicitation_callback=elicitation,
            client_info=types.Implementation(name="test-client", version="1"),
        ) as session:
            return await work(session)

    return asyncio.run(run())


def data(result: types.CallToolResult) -> dict[str, Any]:
    """A successful tool result's JSON object (the structured content equals the text)."""
    import json

    assert not result.isError, result.content
    assert isinstance(result.content[0], types.TextContent)
    assert json.loads(result.content[0].text) == result.structuredContent
    assert result.structuredContent is not None
    return result.structuredContent


def error(result: types.CallToolResult) -> dict[str, Any]:
    """A refused tool call's error document (`{"code", "message", "details"}`), whose message is
    also the result's text."""
    assert result.isError
    assert result.structuredContent is not None
    body = result.structuredContent["error"]
    assert set(body) == {"code", "message", "details"}
    assert isinstance(result.content[0], types.TextContent)
    assert result.content[0].text == body["message"]
    return dict(body)
