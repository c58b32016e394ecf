"""The MCP server: the assistant's tools (`api.mcp.tools`), the drafting tools
(`api.mcp.drafts`), the owner's records as resources (`api.mcp.resources`) and PM workflows as
prompts (`api.mcp.prompts`), on the SDK's low-level `Server` (tool schemas are the tools' own,
not derived from function signatures).

Who calls: over stdio (`stratigos mcp`) the local owner, as the command line acts
(`api.cli.local`); over streamable HTTP (`/mcp` in `stratigos serve`, `api.mcp.http`) the
owner the API's authentication found, which the HTTP layer puts in the request's scope under
`PRINCIPAL_KEY`. Every tool call, resource read and draft is that owner's; nothing names an
owner in its arguments.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from functools import partial, wraps
from importlib.metadata import version
from io import TextIOWrapper
from typing import Any, ParamSpec, TypeGuard, TypeVar

import anyio.to_thread
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import McpError

from api.errors import project_error
from api.mcp.artifacts import OwnerTools
from api.mcp.drafts import DRAFT_TOOL_NAMES, DRAFT_TOOLS, DraftCall, call_draft_tool
from api.mcp.frames import rpc_error
from api.mcp.handshake import INSTRUCTIONS, SERVER_NAME, Early
from api.mcp.prompts import get_prompt, list_prompts
from api.mcp.resources import list_owner_resources, read_owner_resource, resource_templates
from api.mcp.tools import argument_refusal, error_result, mcp_tool, owner_tools, run_tool
from services.problems import strip_controls
from settings import Settings
from store import Store

log = logging.getLogger("stratigos.mcp")

PRINCIPAL_KEY = "stratigos.principal"
"""Where the HTTP layer puts the authenticated `api.auth.Principal` in a request's scope."""

StoreSource = Callable[[], Store]
"""Returns the store (opened on first use by the app, or the local store)."""

INTERNAL = "internal error; the server log has the details"
"""What a bug is answered with (its traceback stays in the server's log)."""


P = ParamSpec("P")
R = TypeVar("R")


def in_our_words(handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """`handler` answering every exception as a JSON-RPC error in our words (`McpError` with
    the project's error document, `api.errors.project_error`: the REST API's code and message,
    fields under ``params.``); a bug is logged and answered INTERNAL. (The SDK would answer an
    exception with its own text.)"""

    @wraps(handler)
    async def answered(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await handler(*args, **kwargs)
        except McpError:
            raise
        except Exception as exc:
            error = project_error(exc, "params.")
            if error is None:
                log.exception("MCP %s failed", handler.__name__)
                raise McpError(rpc_error(types.INTERNAL_ERROR, "INTERNAL", INTERNAL)) from None
            rpc_code = types.INVALID_PARAMS if error.status < 500 else types.INTERNAL_ERROR
            raise McpError(rpc_error(rpc_code, error.code, error.message, error.details)) from None

    return answered


def build_server(
    settings: Settings, store: StoreSource, *, local_owner: str | None = None, instance: str = ""
) -> Server[Any, Any]:
    """The MCP server on `settings` and the store `store()` returns. `local_owner` is who a
    call without an HTTP request (stdio) acts as; None refuses such calls. `instance` is the
    process's part of its tools' artifact ids (`api.mcp.artifacts`: over HTTP, where a call
    may reach any process)."""
    server: Server[Any, Any] = Server(
        SERVER_NAME, version=version("stratigos"), instructions=INSTRUCTIONS
    )

    def owner() -> str:
        request = server.request_context.request
        if request is None:
            if local_owner is None:
                raise McpError(rpc_error(types.INVALID_REQUEST, "UNAUTHENTICATED", "no caller"))
            return local_owner
        principal = request.scope.get(PRINCIPAL_KEY)
        if principal is None:  # pragma: no cover - the HTTP layer authenticates first
            raise McpError(rpc_error(types.INVALID_REQUEST, "UNAUTHENTICATED", "no caller"))
        return str(principal.owner)

    async def tools_of(name: str) -> OwnerTools:
        built = partial(owner_tools, name, store(), settings, instance)
        return await anyio.to_thread.run_sync(built)

    def run(tool: Any, arguments: dict[str, Any]) -> types.CallToolResult:
        return run_tool(tool, arguments, settings)

    @server.list_tools()
    @in_our_words
    async def list_tools() -> list[types.Tool]:
        tools = (await tools_of(owner())).tools
        return [mcp_tool(tool) for tool in tools.values()] + [t.definition() for t in DRAFT_TOOLS]

    @server.call_tool(validate_input=False)
    async def call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        who = owner()
        refused = argument_refusal(name, arguments)
        if refused is not None:
            return refused
        try:
            if name in DRAFT_TOOL_NAMES:
                return await call_draft_tool(
                    name, arguments, _draft_call(server, who, store(), settings)
                )
            owned = await tools_of(who)
            if name not in owned.tools:
                known = ", ".join([*owned.tools, *DRAFT_TOOL_NAMES])
                return error_result(
                    "NOT_FOUND",
                    f"no tool {name!r}; the tools are: {known}",
                    [{"field": "name", "problem": "unknown tool"}],
                )
            call = partial(run, owned.tools[name], arguments)  # tools.recipes: any process
            return await anyio.to_thread.run_sync(call)
        except Exception:  # a bug: the traceback stays in the server's log
            log.exception("MCP tool %s failed", name)
            return error_result("INTERNAL", INTERNAL)

    _serve_records_and_prompts(server, store, owner)
    return server


def _serve_records_and_prompts(
    server: Server[Any, Any], store: StoreSource, owner: Callable[[], str]
) -> None:
    """Register the owner's records as resources (`api.mcp.resources`) and the workflows as
    prompts (`api.mcp.prompts`) on `server`; `owner()` is the caller."""

    @server.list_resources()
    @in_our_words
    async def list_resources() -> list[types.Resource]:
        return await anyio.to_thread.run_sync(partial(list_owner_resources, store(), owner()))

    @server.list_resource_templates()
    @in_our_words
    async def list_templates() -> list[types.ResourceTemplate]:
        return resource_templates()

    @server.read_resource()
    @in_our_words
    async def read_resource(uri: Any) -> str:
        read = partial(read_owner_resource, store(), owner(), str(uri))
        return await anyio.to_thread.run_sync(read)

    @server.list_prompts()
    @in_our_words
    async def prompts() -> list[types.Prompt]:
        return list_prompts()

    @server.get_prompt()
    @in_our_words
    async def prompt(name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
        return get_prompt(name, arguments)


def _draft_call(
    server: Server[Any, Any], owner: str, store: Store, settings: Settings
) -> DraftCall:
    ctx = server.request_context
    params = ctx.session.client_params
    client = params.clientInfo.name if params is not None else "an MCP client"
    return DraftCall(
        owner=owner,
        store=store,
        settings=settings,
        client=strip_controls(client)[:60],
        session=ctx.session,
        request_id=ctx.request_id,
        progress_token=ctx.meta.progressToken if ctx.meta is not None else None,
    )


async def serve_stdio(
    settings: Settings, store: Store, owner: str, early: Early | None = None
) -> None:
    """Serve MCP on this process's stdin and stdout, as `owner`, until the client closes them.
    `early`: the first line, read (and when an `initialize`, answered) before the server was
    loaded (`api.mcp.handshake`): the server reads it first and does not answer it again."""
    stdin = anyio.wrap_file(TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace"))
    stdout = anyio.wrap_file(TextIOWrapper(sys.stdout.buffer, encoding="utf-8"))
    await serve_lines(settings, store, owner, stdin, stdout, early)


async def serve_lines(
    settings: Settings,
    store: Store,
    owner: str,
    lines: AsyncIterable[str],
    out: Any,
    early: Early | None = None,
) -> None:
    """Serve MCP on `lines` (the client's messages, one per line) and `out` (an async text
    sink with `write` and `flush`), as `owner`, until `lines` ends. When it ends, every request
    already read is answered first (a client may write its requests and close its end, as a
    shell pipe does), for at most `DRAIN_LIMIT_S` seconds."""
    server = build_server(settings, lambda: store, local_owner=owner)
    in_flight = _InFlight()
    first = early.line.decode("utf-8", "replace") if early else None
    source = _lines(first, lines, in_flight)
    answered = _Answered(out, None if early is None else early.answered, in_flight)
    async with stdio_server(source, answered) as (read, write):  # type: ignore[arg-type]
        await server.run(read, write, server.create_initialization_options())


DRAIN_LIMIT_S = 600.0
"""How long, after the client closed its end, the server goes on answering the requests it
had read (seconds)."""


async def _lines(
    first: str | None, rest: AsyncIterable[str], in_flight: _InFlight
) -> AsyncIterator[str]:
    """`first` (when there is one), then the lines of `rest`, each noted in `in_flight`; at the
    end of `rest`, ends once every request read is answered (or after `DRAIN_LIMIT_S`)."""
    if first:
        in_flight.read(first)
        yield first
    async for line in rest:
        in_flight.read(line)
        yield line
    with anyio.move_on_after(DRAIN_LIMIT_S):
        await in_flight.all_answered()


class _InFlight:
    """The ids of the requests read from the client and not yet answered (nor cancelled)."""

    def __init__(self) -> None:
        self._ids: set[str | int] = set()
        self._changed = anyio.Event()

    def read(self, line: str) -> None:
        """Note a line from the client: a request is in flight until answered; a cancellation
        notice settles the request it names (the server does not answer it)."""
        try:
            message = types.JSONRPCMessage.model_validate_json(line).root
        except ValueError:
            return
        if isinstance(message, types.JSONRPCRequest):
            self._ids.add(message.id)
        elif _is_cancellation(message) and message.params:
            self.settle(message.params.get("requestId"))

    def settle(self, ident: Any) -> None:
        """The request `ident` needs no more answer."""
        if isinstance(ident, str | int) and ident in self._ids:
            self._ids.discard(ident)
            self._changed.set()
            self._changed = anyio.Event()

    async def all_answered(self) -> None:
        """Returns when no request read is waiting for its answer."""
        while self._ids:
            await self._changed.wait()


def _is_cancellation(message: Any) -> TypeGuard[types.JSONRPCNotification]:
    """Whether `message` is the client's notice that it cancelled a request."""
    return (
        isinstance(message, types.JSONRPCNotification)
        and message.method == "notifications/cancelled"
    )


class _Answered:
    """Standard output that leaves out the server's answer to the request already answered
    early (`answered`: its id), once; everything else written as is. Every answer settles its
    request in `in_flight`."""

    def __init__(self, stdout: Any, answered: str | int | None, in_flight: _InFlight) -> None:
        self._stdout, self._answered, self._in_flight = stdout, answered, in_flight

    async def write(self, text: str) -> None:
        message = json.loads(text)
        is_answer = isinstance(message, dict) and "method" not in message
        if is_answer:
            self._in_flight.settle(message.get("id"))
        if self._answered is not None and is_answer and message.get("id") == self._answered:
            self._answered = None
            return
        await self._stdout.write(text)

    async def flush(self) -> None:
        await self._stdout.flush()
