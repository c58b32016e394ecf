"""The OpenAPI schema is the contract: a JSON request body is checked against its operation's
schema before the route sees it, and refused with 422 in our words, on each field, when it does
not conform. The route's own checks then see only values the schema allows (the models'
conversions, such as 0 for false or "1" for 1, never apply), and what the route refuses beyond
the schema is a rule the schema cannot state (a sum, a date in the data, a stored id).

`contract_openapi(app)` is the app's OpenAPI document with parameters that are absent or given,
never null, and with the text rule stated: every string and every map key a request body
declares matches `quant.problems.TEXT_PATTERN` (no control character other than tab and line
breaks, no bidirectional override), unless the field states a pattern, format or choices of its
own. Parts a body leaves free-form (the Agent Protocol's metadata filters, config, context)
declare no type, and stay free.

`RequestContract` (ASGI middleware) refuses a request that gives a credential header
(`x-api-key`, `Authorization`) more than once (400 naming it: which one would count is a
reader's accident), a query parameter the operation does not declare (422 on `query.<name>`: a
misspelt `?offest=5` is not silently ignored; the Agent Protocol's paths under `/agent` are
left to their clients, which send options of their own), and, on an operation whose body is
JSON, a body sent as another type (415 naming `header.content-type`: a JSON object sent as
`text/plain` or as a form is not read as something else; a body with no content type is read as
JSON, as the routes read it). It reads a JSON body and refuses, before any schema is applied,
what the one text boundary refuses (`quant.problems.json_problems`): a lone surrogate anywhere
(`"\\ud800"`: no text can hold it), nesting beyond `MAX_DEPTH`, a whole number too long to read
(`MAX_INTEGER_DIGITS`), and a control or bidirectional character in any string or key of a
`/v1` or unversioned body (an Agent Protocol body's typed text is the schema's to refuse, its
user message the run's: `api.agent_protocol.run_requests`, with the same rule). Then numbers
that are not finite anywhere in it (`NaN`, `Infinity`, `1e999`: JSON has none of them, Python's
reader takes them) and a key repeated in one object (a reader keeps only its last value:
`{"AAPL": 0.5, "AAPL": 0.5}` would silently become one weight: `api.body_values`), then the schema
(`jsonschema_rs`, formats checked; the fields it does not declare and the containers beyond
their bounds first, `api.body_shape`), which holds the typed text of the Agent Protocol's
bodies (a thread's title) to the text rule. All of it runs before the caller is known, in time
linear in the body's size, naming at most `MAX_PROBLEMS` places; a large body is checked off
the event loop (`RequestContract`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Hashable, MutableMapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread
import jsonschema_rs
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException

from api.body_shape import BodyShape
from api.body_values import MAX_PROBLEMS, Problem, decoded_body, non_finite, repeated_keys
from api.errors import error_json
from api.openapi_cache import kept_document
from api.paths import paths_of
from api.schema_words import problem
from services.problems import (
    NESTED_TOO_DEEP,
    TEXT_PATTERN,
    NestedTooDeepError,
    json_problems,
    text_problem,
    unicode_problem,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
FREE_TEXT_PREFIX = "/agent/"
"""Request bodies whose free-form parts the text rule leaves free (the Agent Protocol's); it
covers every other body whole."""

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods whose body a route reads as JSON when it comes without a content type."""

CREDENTIALS = frozenset({b"x-api-key", b"authorization"})
"""Headers that carry a caller's credential: each may be given once."""

INLINE_CHECK_BYTES = 65_536
"""Largest body checked on the event loop (about a millisecond of work); a larger one is checked
in a worker thread."""

CHECK_THREADS = 1
"""Bodies checked in worker threads at once per process (the others wait their turn, on the
event loop, holding no thread): a flood of large bodies from unknown callers takes at most
these threads, never the request threads the routes run on."""

# ----------------------------------------------------------------------------- the schema


def _state_text_rule(schema: Any, components: dict[str, Any], seen: set[str]) -> None:
    """Add the text rule to every string and map key reachable from `schema` (in place)."""
    if isinstance(schema, list):
        for item in schema:
            _state_text_rule(item, components, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _state_text_rule(components.get(name), components, seen)
        return
    own = any(key in schema for key in ("pattern", "format", "enum", "const"))
    if schema.get("type") == "string" and not own:
        schema["pattern"] = TEXT_PATTERN
    extra = schema.get("additionalProperties")
    if schema.get("type") == "object" and isinstance(extra, dict) and "propertyNames" not in schema:
        schema["propertyNames"] = {"pattern": TEXT_PATTERN}
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "$defs"):
            for inner in value.values():
                _state_text_rule(inner, components, seen)
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "prefixItems"):
            _state_text_rule(value, components, seen)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without its `null` branch: a query parameter or header is absent or
    text, never null (the models say `X | None` for "may be absent")."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    kept = [b for b in branches if b != {"type": "null"}]
    if len(kept) != 1 or len(kept) == len(branches):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **rest}


_documenting = threading.Lock()

_Built = TypeVar("_Built")
KEPT_BUILDS = 8
"""How many route sets' documents (and contracts) a process keeps, oldest dropped first."""
_DOCUMENTS: dict[Hashable, str] = {}
"""The OpenAPI documents built in this process (as JSON), by `operations_of` their apps."""
_CONTRACTS: dict[Hashable, Contract] = {}
"""The `Contract`s built in this process, by `operations_of` their apps."""


def _kept(builds: dict[Hashable, _Built], key: Hashable, build: Callable[[], _Built]) -> _Built:
    """`builds[key]`, built now if absent, keeping the latest `KEPT_BUILDS` (caller holds the lock)."""
    if key not in builds:
        builds[key] = build()
        while len(builds) > KEPT_BUILDS:
            del builds[next(iter(builds))]
    return builds[key]


def operations_of(app: FastAPI) -> Hashable:
    """What an app's OpenAPI document is made of: its title, version and description, and each
    route's class, path, methods and (for a documented route) endpoint. Two apps with the same
    have the same document and contract (every app of a process includes the same routers)."""
    return (
        app.title,
        app.version,
        app.description,
        tuple(
            (
                type(route).__name__,
                getattr(route, "path", None),
                frozenset(getattr(route, "methods", None) or ()),
                route.endpoint if getattr(route, "include_in_schema", False) else None,  # type: ignore[attr-defined]
            )
            for route in app.routes
        ),
    )


def contract_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once a process for apps of the same operations (each
    app its own copy) or read from where an earlier process kept it (`api.openapi_cache`), with
    the text rule stated on every body (a caller that asks while another builds it waits for
    that build: the app's warm-up and a first `GET /v1/openapi.json` would otherwise each spend
    the second it takes)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    with _documenting:
        document = app.openapi_schema
        if document is None:
            operations = operations_of(app)
            text = _kept(
                _DOCUMENTS,
                operations,
                lambda: kept_document(operations, lambda: json.dumps(_documented(app))),
            )
            document = app.openapi_schema = json.loads(text)
    return document


def _documented(app: FastAPI) -> dict[str, Any]:
    """`contract_openapi`'s document, built anew."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _without_null(parameter.get("schema", {}))
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                _state_text_rule(media.get("schema"), components, seen)
    return document


def _reached(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    """The part of `root` (`{"components": ...}`) that `schema`'s `$ref`s reach, directly or
    through one another: a validator is built from its schema and these alone, as it would be
    from the whole document (the validator compiles every component it is given, and a body's
    schema reaches a handful of the document's ~150: a tenth of the work). `root` whole when a
    reference points elsewhere than at a component (`#/components/<kind>/<name>`)."""
    components = root.get("components", {})
    reached: dict[str, dict[str, Any]] = {}
    pending = [schema]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        ref = value.get("$ref")
        if isinstance(ref, str):
            parts = ref.split("/")
            if len(parts) != 4 or parts[:2] != ["#", "components"]:
                return root
            kind, name = parts[2], parts[3]
            if name not in reached.get(kind, {}):
                if name not in components.get(kind, {}):
                    return root  # the validator's own error, as with the whole document
                reached.setdefault(kind, {})[name] = components[kind][name]
                pending.append(components[kind][name])
        pending.extend(value.values())
    return {"components": reached}


# ----------------------------------------------------------------------------- the middleware


class Contract:
    """The validators and shapes (`api.body_shape`) of an app's JSON request bodies, and the
    query parameters of its operations, by (method, path template)."""

    def __init__(self, app: FastAPI) -> None:
        document = app.openapi()
        components = document.get("components", {})
        root = {"components": components}
        self.paths = paths_of(app)
        self.validators: dict[tuple[str, str], Any] = {}
        self.shapes: dict[tuple[str, str], BodyShape] = {}
        self.queries: dict[tuple[str, str], frozenset[str]] = {}
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                key = (method.upper(), path)
                self.queries[key] = frozenset(
                    str(p["name"])
                    for p in operation.get("parameters", [])
                    if p.get("in") == "query"
                )
                content = (operation.get("requestBody") or {}).get("content", {})
                schema = content.get("application/json", {}).get("schema")
                if schema is not None:
                    self.validators[key] = jsonschema_rs.validator_for(
                        {**_reached(schema, root), **schema}, validate_formats=True
                    )
                    self.shapes[key] = BodyShape(schema, components.get("schemas", {}))

    def operation(self, scope: Scope) -> tuple[str, str] | None:
        """(method, path template) of the request, None when the document does not have it."""
        matched = self.paths.match(str(scope.get("path", "")))
        return None if matched is None else (str(scope["method"]), matched[0])

    def reads_json(self, operation: tuple[str, str] | None) -> bool:
        """Whether the operation's body is JSON its schema describes."""
        return operation in self.validators

    def problems(self, method: str, path: str, body: Any) -> list[Problem]:
        """What the body of `method path` (a path template) breaks of its schema, at most
        `MAX_PROBLEMS`: nothing for a valid body (one pass of the validator); else the fields
        its schema does not declare and the containers beyond their bounds
        (`api.body_shape`), then the validator's errors in our words on the body without them
        (each error hands over a copy of its value: a body's unknown fields would otherwise be
        copied for each error above them)."""
        validator = self.validators.get((method, path))
        if validator is None or validator.is_valid(body):
            return []
        found, trimmed = self.shapes[(method, path)].problems(body, MAX_PROBLEMS)
        if len(found) >= MAX_PROBLEMS:
            return found
        seen = set(found)
        for error in validator.iter_errors(trimmed()):
            for pair in problem(error, limit=MAX_PROBLEMS):
                if pair not in seen:
                    seen.add(pair)
                    found.append(pair)
                    if len(found) >= MAX_PROBLEMS:
                        return found
        return found


_building = threading.Lock()


def contract_of(app: FastAPI) -> Contract:
    """The app's `Contract`, built once a process for apps of the same operations (seconds of
    work: the app's warm-up builds it in its thread, and a request that needs it sooner waits
    for it in a worker thread). A contract is read only: apps may share it."""
    with _building:
        found = getattr(app.state, "contract", None)
        if not isinstance(found, Contract):
            found = _kept(_CONTRACTS, operations_of(app), lambda: Contract(app))
            app.state.contract = found
    return found


def content_type(scope: Scope) -> bytes | None:
    """The request's media type (lower case, without parameters), None without a header."""
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            return bytes(value).split(b";")[0].strip().lower()
    return None


def is_json_type(kind: bytes) -> bool:
    """Whether a media type is JSON (`application/json`, or a `+json` type)."""
    return kind == b"application/json" or kind.endswith(b"+json")


def _is_json(scope: Scope) -> bool:
    """Whether the route reads the request's body as JSON: a JSON content type, or none on a
    method with a body (as FastAPI reads it)."""
    kind = content_type(scope)
    if kind is None:
        return str(scope.get("method")) in BODY_METHODS
    return is_json_type(kind)


def repeated_credentials(scope: Scope) -> list[Problem]:
    """(``header.<name>``, problem) of each credential header the request gives more than once:
    which one would count is a reader's accident, so neither does."""
    counts = Counter(
        bytes(name).lower() for name, _ in scope.get("headers") or [] if name.lower() in CREDENTIALS
    )
    return [
        (f"header.{name.decode()}", f"is given {n} times; send one credential, once")
        for name, n in sorted(counts.items())
        if n > 1
    ]


class RequestContract:
    """ASGI middleware: a request that repeats a credential header is refused (400 naming it);
    a JSON body is read, checked (see the module docstring) and handed on unchanged, or refused
    with 422 naming each place (at most `MAX_PROBLEMS`); a body the operation reads as JSON
    sent as another type is refused (415 naming `header.content-type`). A body that is not JSON
    at all is the route's to refuse (400).

    Everything here runs before the caller is known, so it costs time linear in the body's size
    (one decoding, one walk per rule, each stopping at `MAX_PROBLEMS`); a body larger than
    `INLINE_CHECK_BYTES` is checked in a worker thread, at most `CHECK_THREADS` at once, so the
    event loop (health checks, other requests) never waits for one."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._limiters: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, anyio.CapacityLimiter
        ] = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        repeated = repeated_credentials(scope)
        if repeated:
            field, said = repeated[0]
            answer = error_json(
                400,
                "BAD_REQUEST",
                f"{field}: {said}",
                [{"field": f, "problem": p} for f, p in repeated],
            )
            await answer(scope, receive, send)
            return
        queried = bool(scope.get("query_string"))
        if not queried and scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)  # nothing to check (health checks, reads)
            return
        contract = await self._contract_of(scope)
        if contract is None:
            await self.app(scope, receive, send)
            return
        unknown = self._unknown_parameters(contract, scope) if queried else []
        if unknown:
            await _refusal(unknown)(scope, receive, send)
            return
        operation = contract.operation(scope)
        if operation is None or not contract.reads_json(operation):
            await self.app(scope, receive, send)  # no JSON body here (an upload, or none)
            return
        try:
            body = await read_body(receive)
        except HTTPException as exc:  # the body size limit, counting a chunked body
            detail = str(exc.detail)
            answer = error_json(
                exc.status_code, "PAYLOAD_TOO_LARGE", detail, [{"field": "body", "problem": detail}]
            )
            await answer(scope, receive, send)
            return
        if body and not _is_json(scope):
            await _not_json(scope)(scope, receive, send)
            return
        if body:
            found = await self._checked(contract, operation, scope, body)
            if found:
                await _refusal(found)(scope, receive, send)
                return
        await self.app(scope, replayed(body, receive), send)

    async def _checked(
        self, contract: Contract, operation: tuple[str, str], scope: Scope, body: bytes
    ) -> list[Problem]:
        """`body_problems`, in a worker thread for a body larger than `INLINE_CHECK_BYTES`."""
        free = str(scope.get("path", "")).startswith(FREE_TEXT_PREFIX)
        if len(body) <= INLINE_CHECK_BYTES:
            return body_problems(contract, operation, body, free=free)
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(CHECK_THREADS)
        return await anyio.to_thread.run_sync(
            functools.partial(body_problems, contract, operation, body, free=free),
            limiter=limiter,
        )

    async def _contract_of(self, scope: Scope) -> Contract | None:
        """The app's `Contract` (`contract_of`; built in a worker thread when the app's start-up
        did not build it: seconds of work the event loop never waits for)."""
        app = scope.get("app")
        if not isinstance(app, FastAPI):
            return None
        found = getattr(app.state, "contract", None)
        if isinstance(found, Contract):
            return found
        return await anyio.to_thread.run_sync(contract_of, app)

    @staticmethod
    def _unknown_parameters(contract: Contract, scope: Scope) -> list[Problem]:
        """(``query.<name>``, problem) of each query parameter the operation does not declare
        ([] for a path the schema does not document, or one under `/agent`)."""
        path = str(scope.get("path", ""))
        if path.startswith(FREE_TEXT_PREFIX):
            return []
        operation = contract.operation(scope)
        declared = None if operation is None else contract.queries.get(operation)
        if declared is None:
            return []
        given = parse_qsl(bytes(scope["query_string"]).decode("latin-1"), keep_blank_values=True)
        names = list(dict.fromkeys(name for name, _ in given if name not in declared))
        listed = ", ".join(sorted(declared)) or "none"
        return [
            (f"query.{name}", f"is not a parameter here (this path takes: {listed})")
            for name in names[:MAX_PROBLEMS]
        ]


def body_problems(
    contract: Contract, operation: tuple[str, str], body: bytes, *, free: bool = False
) -> list[Problem]:
    """What a JSON body of `operation` (method, path template) breaks, at most `MAX_PROBLEMS`:
    the text boundary's rules (`free`: an Agent Protocol body, whose free-form parts keep
    Unicode's rule only), numbers that are not finite, keys repeated in one object, then its
    schema. [] for a body that is not JSON at all (the route's 400)."""
    try:
        decoded, repeated = decoded_body(body)
    except NestedTooDeepError:
        return [("body", NESTED_TOO_DEEP)]
    except ValueError:  # not JSON: the route's 400
        return []
    found = json_problems(
        decoded, "body", unicode_problem if free else text_problem, limit=MAX_PROBLEMS
    )
    if found:
        return found
    found = non_finite(decoded)
    if repeated:
        found += repeated_keys(decoded)
    if found:
        return found[:MAX_PROBLEMS]
    return contract.problems(*operation, decoded)


def _refusal(found: list[Problem]) -> Any:
    """The 422 answer (an ASGI app) naming each place of `found`; the message names the first
    three."""
    summary = "; ".join(f"{f}: {p}" for f, p in found[:3])
    details = [{"field": f, "problem": p} for f, p in found]
    return error_json(422, "VALIDATION_ERROR", f"invalid request: {summary}", details)


def _not_json(scope: Scope) -> Any:
    """The 415 answer (an ASGI app) to a body sent as another type than JSON where the
    operation reads JSON."""
    kind = (content_type(scope) or b"").decode("latin-1")
    said = f"is {kind}; this path reads a JSON body: send it as application/json"
    return error_json(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        f"the body is sent as {kind}, not as JSON (Content-Type: application/json)",
        [{"field": "header.content-type", "problem": said}],
    )


async def read_body(receive: Any) -> bytes:
    """The whole body `receive` gives."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def replayed(body: bytes, receive: Any) -> Any:
    """A `receive` that gives `body`, then what `receive` gives (the client's disconnect, which
    a streaming answer waits for)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: Message = await receive()
        return message

    return replayed
