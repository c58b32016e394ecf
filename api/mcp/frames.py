"""What `/mcp` refuses before the SDK reads a frame, and how: every refusal is a JSON-RPC error
whose message is ours and whose `data` is the project's error document with the same message,
`{"error": {"code", "message", "details": [{"field", "problem"}]}}` (`rpc_error`), never a
library's text.

`refusal(headers, body, methods)` checks one HTTP request of the streamable HTTP transport:

- the headers the transport needs: `Accept` naming JSON and event streams (406), a JSON
  `Content-Type` (415), a supported `MCP-Protocol-Version` when given (400);
- the body: JSON (-32700 parse error), holding no lone surrogate and nested at most
  `MAX_DEPTH` deep (the one text boundary's `unicode_problem` and depth, `json_problems`:
  what no method can take; the text rule of what a method keeps is its own, e.g. a tool's
  arguments: `api.mcp.tools.argument_refusal`);
- the frame: one JSON-RPC 2.0 message (no batch; `jsonrpc` "2.0"; a string or integer `id`;
  a text `method`; `params` an object), a request or notification of a method this server
  serves (-32601 otherwise), its `params` as the method defines them (-32602, each field named
  under ``params.``).

A refusal of a request whose `id` could be read answers HTTP 200 with the error for that id
(what a client waits for); any other answers 400 (415, 406) with `id` null.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

import mcp.types as types
from mcp.shared.version import SUPPORTED_PROTOCOL_VERSIONS
from pydantic import BaseModel, ValidationError

from services.problems import (
    NESTED_TOO_DEEP,
    NestedTooDeepError,
    json_problems,
    read_json,
    unicode_problem,
    validation_problems,
)

Methods = Mapping[str, type[BaseModel]]
"""The request or notification model of each method, by its name."""

MAX_DETAILS = 20
"""At most this many fields are named in one refusal."""


def rpc_error(
    rpc_code: int, code: str, message: str, details: list[dict[str, str]] | None = None
) -> types.ErrorData:
    """A JSON-RPC error: `rpc_code` (JSON-RPC's number) and our `message`, with the project's
    error document (our `code`, the same message, the fields) as its data."""
    document = {"error": {"code": code, "message": message, "details": details or []}}
    return types.ErrorData(code=rpc_code, message=message, data=document)


@dataclass(frozen=True)
class Refusal:
    """A frame refused: the HTTP status, the JSON-RPC error, the request id it answers."""

    status: int
    error: types.ErrorData
    request_id: str | int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        """The JSON-RPC error response, as JSON."""
        answer = {
            "jsonrpc": "2.0",
            "id": self.request_id,
            "error": self.error.model_dump(mode="json", exclude_none=True),
        }
        return json.dumps(answer, ensure_ascii=False).encode()


def methods_of(models: list[type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """`models` (MCP request or notification types) by their method's name."""
    return {get_args(model.model_fields["method"].annotation)[0]: model for model in models}


NOTIFICATIONS = methods_of(list(get_args(types.ClientNotification.model_fields["root"].annotation)))
"""The notifications a client may send."""


def _refused(
    status: int,
    rpc_code: int,
    code: str,
    problems: list[tuple[str, str]],
    message: str,
    request_id: str | int | None = None,
) -> Refusal:
    details = [{"field": f, "problem": p} for f, p in problems[:MAX_DETAILS]]
    return Refusal(status, rpc_error(rpc_code, code, message, details), request_id)


def _summary(problems: list[tuple[str, str]]) -> str:
    return "; ".join(f"{f}: {p}" for f, p in problems[:3])


def header_refusal(headers: Mapping[str, str]) -> Refusal | None:
    """What the transport's headers lack (`headers` by lower-case name), None when nothing."""
    accepted = [kind.split(";")[0].strip() for kind in headers.get("accept", "").split(",")]
    if not {"application/json", "text/event-stream"} <= set(accepted):
        problem = "must name both application/json and text/event-stream"
        return _refused(
            406,
            types.INVALID_REQUEST,
            "NOT_ACCEPTABLE",
            [("header.accept", problem)],
            f"header.accept: {problem} (the answer is JSON or an event stream)",
        )
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        problem = f"must be application/json, not {kind or 'missing'}"
        return _refused(
            415,
            types.INVALID_REQUEST,
            "UNSUPPORTED_MEDIA_TYPE",
            [("header.content-type", problem)],
            f"header.content-type: {problem}",
        )
    version = headers.get("mcp-protocol-version")
    if version is not None and version not in SUPPORTED_PROTOCOL_VERSIONS:
        problem = f"must be one of {', '.join(SUPPORTED_PROTOCOL_VERSIONS)}"
        return _refused(
            400,
            types.INVALID_REQUEST,
            "BAD_REQUEST",
            [("header.mcp-protocol-version", problem)],
            f"header.mcp-protocol-version: {problem}",
        )
    return None


def method_refusal(method: str) -> Refusal:
    """405 for an HTTP method other than POST: the endpoint keeps no session, so there is no
    stream to open (GET) and none to end (DELETE)."""
    problem = (
        "is not served: the endpoint keeps no session (no stream to open, none to end); "
        "POST each JSON-RPC message"
    )
    error = rpc_error(
        types.INVALID_REQUEST,
        "METHOD_NOT_ALLOWED",
        f"{method} {problem}",
        [{"field": "method", "problem": problem}],
    )
    return Refusal(405, error, headers={"Allow": "POST"})


def size_refusal(status: int, problem: str) -> Refusal:
    """The body size limit's refusal (413), as a JSON-RPC error."""
    error = rpc_error(
        types.INVALID_REQUEST, "PAYLOAD_TOO_LARGE", problem, [{"field": "body", "problem": problem}]
    )
    return Refusal(status, error)


def refusal(headers: Mapping[str, str], body: bytes, methods: Methods) -> Refusal | None:
    """Why the POST of `body` with `headers` is refused (see the module docstring), None when
    the SDK may read it; `methods` are the requests the server serves."""
    refused = header_refusal(headers)
    if refused is not None:
        return refused
    try:
        message = read_json(body)
    except NestedTooDeepError:
        return _refused(
            400,
            types.INVALID_REQUEST,
            "VALIDATION_ERROR",
            [("body", NESTED_TOO_DEEP)],
            f"invalid request: body: {NESTED_TOO_DEEP}",
        )
    except ValueError as exc:
        where = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
        problem = f"malformed JSON at character {where}"
        return _refused(
            400, types.PARSE_ERROR, "BAD_REQUEST", [("body", problem)], "the body is not valid JSON"
        )
    found = [
        (f.removeprefix("body."), p)
        for f, p in json_problems(message, "body", unicode_problem, limit=MAX_DETAILS)
    ]
    request_id = _request_id(message)
    if found:
        return _refused(
            400 if request_id is None else 200,
            types.INVALID_REQUEST,
            "VALIDATION_ERROR",
            found,
            f"invalid request: {_summary(found)}",
            request_id,
        )
    return _frame_refusal(message, request_id, methods)


def _request_id(message: Any) -> str | int | None:
    """The id of a request whose refusal can be answered for it (a string without a lone
    surrogate, or an integer), else None."""
    if not isinstance(message, dict) or not isinstance(message.get("method"), str):
        return None
    given = message.get("id")
    if isinstance(given, str) and unicode_problem(given) is None:
        return given
    return given if isinstance(given, int) and not isinstance(given, bool) else None


def _frame_refusal(message: Any, request_id: str | int | None, methods: Methods) -> Refusal | None:
    """What the decoded `message` breaks of JSON-RPC 2.0 and of its method's definition."""
    if isinstance(message, list):
        found = [("body", "is a batch (a JSON array): send one JSON-RPC message per request")]
    elif not isinstance(message, dict):
        found = [("body", "must be a JSON-RPC message (an object)")]
    else:
        found = _envelope_problems(message)
    if found or not isinstance(message, dict):
        return _refused(
            400 if request_id is None else 200,
            types.INVALID_REQUEST,
            "VALIDATION_ERROR",
            found,
            f"not a JSON-RPC 2.0 message: {_summary(found)}",
            request_id,
        )
    if "method" not in message:  # a response to a request of the server's: the SDK's
        return None
    method = message["method"]
    notification = "id" not in message
    known = NOTIFICATIONS if notification else methods
    model = known.get(method)
    if model is None:
        listed = ", ".join(sorted(known))
        problem = f"is not a {'notification' if notification else 'method'} of this server"
        return _refused(
            400 if notification else 200,
            types.METHOD_NOT_FOUND,
            "NOT_FOUND",
            [("method", f"{problem}; they are: {listed}")],
            f"no method {method!r}; the methods are: {listed}",
            request_id,
        )
    frame = {k: v for k, v in message.items() if k in ("method", "params")}
    try:
        model.model_validate(frame)
    except ValidationError as exc:
        found = validation_problems(exc.errors())
        return _refused(
            400 if notification else 200,
            types.INVALID_PARAMS,
            "VALIDATION_ERROR",
            found,
            f"invalid params of {method}: {_summary(found)}",
            request_id,
        )
    return None


def _envelope_problems(message: dict[str, Any]) -> list[tuple[str, str]]:
    """What `message` breaks of a JSON-RPC 2.0 request, notification or response."""
    found: list[tuple[str, str]] = []
    if message.get("jsonrpc") != "2.0":
        found.append(("jsonrpc", 'must be "2.0"'))
    given = message.get("id")
    if "id" in message and (isinstance(given, bool) or not isinstance(given, str | int)):
        found.append(("id", "must be text or a whole number"))
    if "method" in message:
        if not isinstance(message["method"], str):
            found.append(("method", "must be text"))
        if "params" in message and not isinstance(message["params"], dict):
            found.append(("params", "must be an object"))
    elif "id" not in message or ("result" in message) == ("error" in message):
        found.append(("method", "is required (a request or notification names its method)"))
    return found
