"""What a JSON body may not carry, wherever it is: numbers that are not finite and text with
control or bidirectional-override characters. Refused with 422 naming each place.

Python's JSON reader takes `NaN`, `Infinity` and numbers too large for a float (`1e999`,
read as infinity), none of which JSON allows: a money amount, a weight or a limit that is not
a finite number is always a mistake, and a bound such as "at most 1" says nothing about NaN.
Text (names, notes, messages, and object keys such as asset names) may hold tabs and line
breaks but no other control character (C0, DEL, C1: NUL, ESC, BEL...) and no bidirectional
embedding, override or isolate (U+202A-U+202E, U+2066-U+2069), which make a name display
as something else than it is. Such text is refused, not cleaned: what is stored is what was
sent. (An uploaded file's name is cleaned instead: `services.documents.document_name`.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from api.errors import error_json
from quant.problems import not_finite, text_problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

MAX_PROBLEMS = 20
"""At most this many places are named in one answer."""


def body_problems(value: Any, path: str = "body") -> Iterator[tuple[str, str]]:
    """(field path, problem) of every non-finite number and forbidden text in a decoded JSON
    value, in document order."""
    odd = not_finite(value)
    if odd is not None:
        yield path, f"is {odd}; JSON allows finite numbers only"
    elif isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            yield path, problem
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key)
            if problem is not None:
                yield f"{path}.{key!r}", f"the key {problem}"
            yield from body_problems(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from body_problems(item, f"{path}.{index}")


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


class JsonBodyChecks:
    """ASGI middleware: reads a JSON request body, refuses it with 422 when `body_problems`
    finds anything, else hands the same bytes on. Other bodies pass untouched (a body that
    is not JSON at all is the route's to refuse)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            try:
                message = await receive()
            except HTTPException as exc:  # the body size limit, counting a chunked body
                detail = str(exc.detail)
                await error_json(
                    exc.status_code,
                    "PAYLOAD_TOO_LARGE",
                    detail,
                    [{"field": "body", "problem": detail}],
                )(scope, receive, send)
                return
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body"))
        body = b"".join(chunks)
        found = _problems(body)
        if found:
            summary = "; ".join(f"{f}: {p}" for f, p in found[:3])
            details = [{"field": f, "problem": p} for f, p in found]
            await error_json(422, "VALIDATION_ERROR", f"invalid request: {summary}", details)(
                scope, receive, send
            )
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)


def _problems(body: bytes) -> list[tuple[str, str]]:
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return []  # not JSON: the route answers 400
    found: list[tuple[str, str]] = []
    for problem in body_problems(decoded):
        found.append(problem)
        if len(found) == MAX_PROBLEMS:
            break
    return found


def _replay(messages: list[Message], receive: Any) -> Any:
    """A `receive` that gives `messages`, then what `receive` gives (the client's disconnect,
    which a streaming answer waits for)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        message: Message = await receive()
        return message

    return replayed
