"""The assistant's tools over MCP: the very LangChain tools the chat's agents are handed, bound
to the caller the way a chat thread of theirs binds them, listed with their own schemas and
answered with their own results and errors.

The tools served are every tool a specialist of the chat may use (`graphs.assistant.TOOLS_OF`,
in that order) and the supervisor's memory tools (`tools.memory`), so a tool added to the
assistant is served here with no code of this module. Each owner's tools work on one
`ToolContext` of theirs (`graphs.thread_bindings.tool_context` for the thread `mcp:<owner>`):
their saved portfolios, documents, ideas and profile exclusions, and the portfolios an earlier
call built (`pf_...`), exactly as in their chat.

A result is the tool's JSON object, as text (what a model reads) and as structured content. An
error is an `isError` result whose text is the tool's own message (the one the agents read) and
whose structured content is the project's error document, `{"error": {"code", "message",
"details": [{"field", "problem"}]}}`, naming each bad argument under `arguments.`. Arguments
holding text the API refuses (a control or bidirectional character, a lone surrogate, nesting
beyond `MAX_DEPTH`: `quant.problems.json_problems`, the one text boundary) are refused so
before any tool sees them (`argument_refusal`), on every transport.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import mcp.types as types
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, ToolException
from langgraph.func import entrypoint
from pydantic import BaseModel, ValidationError

from api.errors import project_error, pydantic_details
from api.mcp.annotations import annotations_of
from api.mcp.artifacts import OwnerTools
from graphs.assistant import TOOLS_OF
from graphs.thread_bindings import bind_owner, bind_settings, tool_context
from services.problems import INVALID_ARGUMENTS, TOOL_RETRY, json_problems
from settings import Settings
from store import Store
from store.memories import memory_store
from tools.memory import MEMORY_TOOL_NAMES, memory_tools
from tools.recipes import OwnerCacheRecipes
from tools.tool_factory import format_validation_error

THREAD_PREFIX = "mcp:"
"""The tool context of an owner's MCP calls is that of the chat thread `mcp:<owner>` (over
HTTP, `mcp:<owner>:<the process's instance>`)."""


def assistant_tool_names() -> tuple[str, ...]:
    """The tools served: each specialist's (`TOOLS_OF`, first mention first), then the
    supervisor's memory tools."""
    names: dict[str, None] = {}
    for role_tools in TOOLS_OF.values():
        names.update(dict.fromkeys(role_tools))
    names.update(dict.fromkeys(MEMORY_TOOL_NAMES))
    return tuple(names)


def owner_tools(owner: str, store: Store, settings: Settings, instance: str = "") -> OwnerTools:
    """`owner`'s tools by name, in `assistant_tool_names` order, bound as their chat binds them,
    their artifacts' recipes kept in the owner's cache (`api.mcp.artifacts`); `instance` (a
    process's, over HTTP: `api.mcp.artifacts.INSTANCE`) is part of the artifacts' namespace."""
    thread = f"{THREAD_PREFIX}{owner}" + (f":{instance}" if instance else "")
    bind_settings(thread, settings)
    bind_owner(thread, owner, store)
    recipes = OwnerCacheRecipes(store, owner)  # what a call builds, found by any process
    _, tools = tool_context({"configurable": {"thread_id": thread}}, recipes)
    bound = {tool.name: tool for tool in [*tools, *memory_tools(owner, store)]}
    return OwnerTools({name: bound[name] for name in assistant_tool_names() if name in bound})


def input_schema(tool: BaseTool) -> dict[str, Any]:
    """The JSON schema of `tool`'s arguments as MCP clients are given it: its pydantic
    `args_schema` (what the agents' models are given), each optional argument without its
    nullable union (`without_null_arguments`)."""
    schema = tool.args_schema
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return without_null_arguments(schema.model_json_schema())
    return dict(schema) if isinstance(schema, dict) else {"type": "object", "properties": {}}


def without_null_arguments(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (an object schema) with each argument that pydantic writes as a nullable union
    (``{"anyOf": [X, {"type": "null"}], "default": null}``: an optional argument whose default
    is None) written as `X` alone, its title and description kept and no ``null`` default:
    leaving the argument out gives its default. Inspectors build their forms and convert
    command-line values from an argument's ``type``, which a union hides (the MCP Inspector
    sent a list typed into its form as a string). Nested schemas are left as they are."""
    properties: dict[str, Any] = {}
    for name, spec in (schema.get("properties") or {}).items():
        branches = spec.get("anyOf") if isinstance(spec, dict) else None
        if not isinstance(branches, list) or {"type": "null"} not in branches:
            properties[name] = spec
            continue
        kept = [branch for branch in branches if branch != {"type": "null"}]
        rest = {k: v for k, v in spec.items() if k != "anyOf" and (k, v) != ("default", None)}
        properties[name] = {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}
    return {**schema, "properties": properties} if "properties" in schema else dict(schema)


def mcp_tool(tool: BaseTool) -> types.Tool:
    """`tool` as an MCP tool definition (name, description, input schema, annotations)."""
    return types.Tool(
        name=tool.name,
        description=tool.description,
        inputSchema=input_schema(tool),
        annotations=annotations_of(tool.name),
    )


def error_result(
    code: str, message: str, details: Sequence[dict[str, str]] = ()
) -> types.CallToolResult:
    """An `isError` tool result: `message` as text, the project's error document as structured
    content."""
    document = {"error": {"code": code, "message": message, "details": list(details)}}
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=message)],
        structuredContent=document,
        isError=True,
    )


def json_result(data: dict[str, Any]) -> types.CallToolResult:
    """A successful tool result holding the JSON object `data`."""
    text = json.dumps(data, default=str)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structuredContent=json.loads(text)
    )


def invalid_arguments(name: str, exc: ValidationError) -> types.CallToolResult:
    """The result for arguments `exc` refused: the tool's own message, each field named."""
    message = f"{name}: {format_validation_error(exc)}"
    return error_result("VALIDATION_ERROR", message, pydantic_details(exc.errors(), "arguments"))


def argument_refusal(name: str, arguments: dict[str, Any]) -> types.CallToolResult | None:
    """The refusal of arguments for tool `name` that hold text the one text boundary refuses
    (each place named under ``arguments.``), None when they hold none."""
    found = json_problems(arguments, "arguments")
    if not found:
        return None
    summary = "; ".join(
        f"{field.removeprefix('arguments.')}: {problem}" for field, problem in found[:3]
    )
    message = f"{name}: {INVALID_ARGUMENTS}{summary}. {TOOL_RETRY}"
    return error_result("VALIDATION_ERROR", message, [{"field": f, "problem": p} for f, p in found])


def run_tool(tool: BaseTool, arguments: dict[str, Any], settings: Settings) -> types.CallToolResult:
    """Call `tool` with `arguments` as the agents' tool node does (one tool call), in this
    thread; memory tools run with the owner's long-term memory store. A refusal is the tool's
    own message (`tool_refusal`)."""
    schema = tool.args_schema
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        try:
            schema.model_validate(arguments)
        except ValidationError as exc:
            return invalid_arguments(tool.name, exc)
    call = {"type": "tool_call", "id": "mcp", "name": tool.name, "args": arguments}
    # the same tool, its refusal raised rather than turned into a message: its cause says what
    raising = tool.model_copy(update={"handle_tool_error": False})
    try:
        if tool.name in MEMORY_TOOL_NAMES:
            with memory_store(settings) as memories:

                @entrypoint(store=memories)
                def with_memory(given: dict[str, Any]) -> Any:
                    return raising.invoke(given)

                message = with_memory.invoke(call)
        else:
            message = raising.invoke(call)
    except ToolException as exc:
        return tool_refusal(exc)
    assert isinstance(message, ToolMessage)
    data = json.loads(message.text)
    return json_result(data if isinstance(data, dict) else {"result": data})


def tool_refusal(exc: ToolException) -> types.CallToolResult:
    """A tool's refusal: its message (what the agents read), with the code and details the API
    gives the error that caused it (`api.errors.project_error`, fields under ``arguments.``:
    "not found" for another owner's portfolio or an unknown id); a refusal of the tool's own,
    or of an error of no project type, refuses the arguments (VALIDATION_ERROR)."""
    text = str(exc.args[0]) if exc.args else str(exc)
    cause: BaseException | None = exc.__cause__
    while cause is not None:
        error = project_error(cause, "arguments.")
        if error is not None:
            return error_result(error.code, text, error.details)
        cause = cause.__cause__
    return error_result("VALIDATION_ERROR", text, [{"field": "arguments", "problem": text}])
