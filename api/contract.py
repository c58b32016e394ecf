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

`RequestContract` (ASGI middleware) refuses a query parameter the operation does not declare
(422 on `query.<name>`: a misspelt `?offest=5` is not silently ignored; the Agent Protocol's
paths under `/agent` are left to their clients, which send options of their own), reads a JSON
body (one with no content type too, which the routes read as JSON), and refuses, before any
schema is applied, what the one text boundary refuses (`quant.problems.json_problems`): a lone
surrogate anywhere (`"\\ud800"`: no text can hold it), nesting beyond `MAX_DEPTH`, and a control
or bidirectional character in any string or key of a `/v1` or unversioned body (an Agent
Protocol body's typed text is the schema's to refuse, its user message the run's:
`api.agent_protocol.run_requests`, with the same rule). Then numbers that are not finite anywhere in it (`NaN`, `Infinity`,
`1e999`: JSON has none of them, Python's reader takes them) and a key repeated in one object (a
reader keeps only its last value: `{"AAPL": 0.5, "AAPL": 0.5}` would silently become one
weight), then the schema (`jsonschema_rs`, formats checked), which holds the typed text of the
Agent Protocol's bodies (a thread's title) to the text rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException

from api.errors import error_json
from api.paths import paths_of
from services.problems import (
    NESTED_TOO_DEEP,
    TEXT_PATTERN,
    NestedTooDeepError,
    TextRule,
    json_problems,
    not_finite,
    plain_number,
    read_json,
    text_problem,
    unicode_problem,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Problem = tuple[str, str]

MAX_PROBLEMS = 20
"""At most this many places are named in one answer."""

FREE_TEXT_PREFIX = "/agent/"
"""Request bodies whose free-form parts the text rule leaves free (the Agent Protocol's); it
covers every other body whole."""

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods whose body a route reads as JSON when it comes without a content type."""

_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}

_FORMATS = {
    "date": "a date (YYYY-MM-DD)",
    "date-time": "a date and time (ISO 8601, e.g. 2026-01-31T00:00:00Z)",
    "time": "a time of day (HH:MM:SS)",
    "uuid": "a UUID",
    "email": "an email address",
    "uri": "a URL",
}


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


def contract_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once, with the text rule stated on every body."""
    if app.openapi_schema is not None:
        return app.openapi_schema
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
    app.openapi_schema = document
    return document


# ----------------------------------------------------------------------------- the problems


def _expected(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types or [])
    words = [_WORDS.get(str(name), str(name)) for name in names]
    return " or ".join(words) if words else "something else"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _path(prefix: str, parts: Any) -> str:
    return ".".join([prefix, *(str(part) for part in parts)])


def _branch_error(error: Any) -> Any | None:
    """Of an anyOf/oneOf error, the error of the branch the value was meant for: the one whose
    first error is not about the value's type (a null or another type is another branch)."""
    context = error.kind.as_dict().get("context") or []
    for branch in context:
        if branch and type(branch[0].kind).__name__ != "Type":
            return branch[0]
    return None


def problem(error: Any, prefix: str = "body") -> list[Problem]:
    """Our words for one schema validation error (`jsonschema_rs.ValidationError`)."""
    kind = type(error.kind).__name__
    details = error.kind.as_dict()
    where = _path(prefix, error.instance_path)
    value = error.instance
    if kind in ("AnyOf", "OneOfNotValid"):
        inner = _branch_error(error)
        if inner is not None:
            return problem(inner, prefix)
        context = details.get("context") or []
        types = [b[0].kind.as_dict().get("types") for b in context if b]
        flat = [t for ts in types for t in ([ts] if isinstance(ts, str) else ts or [])]
        return [(where, f"must be {_expected(flat)}")]
    if kind == "Type":
        return [(where, f"must be {_expected(details.get('types'))}")]
    if kind == "Required":
        return [(f"{where}.{details.get('property')}", "is required")]
    if kind in ("AdditionalProperties", "FalseSchema", "UnevaluatedProperties"):
        names = details.get("unexpected") or [None]
        return [(f"{where}.{name}" if name else where, "is not a field here") for name in names]
    if kind == "PropertyNames":
        inner = details.get("error")
        key = inner.instance if inner is not None else ""
        named = text_problem(str(key)) or "is not an allowed name"
        return [(f"{where}.{key}", f"the key {named}")]
    if kind == "Pattern":
        pattern = details.get("pattern")
        said = text_problem(str(value)) if pattern == TEXT_PATTERN else None
        return [(where, said or f"must match the pattern {pattern}")]
    if kind == "Format":
        form = str(details.get("format"))
        return [(where, f"must be {_FORMATS.get(form, f'a valid {form}')}")]
    if kind == "Enum":
        options = [str(option) for option in details.get("options") or []]
        listed = (
            ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else "".join(options)
        )
        return [(where, f"must be one of {listed}")]
    if kind == "Constant":
        return [(where, f"must be {details.get('expected_value')}")]
    return [(where, _bound(kind, details.get("limit"), value))]


def _bound(kind: str, limit: Any, value: Any) -> str:
    limit = plain_number(limit)
    words = {
        "Minimum": f"must be at least {limit}",
        "Maximum": f"must be at most {limit}",
        "ExclusiveMinimum": f"must be greater than {limit}",
        "ExclusiveMaximum": f"must be less than {limit}",
        "MultipleOf": f"must be a multiple of {limit}",
        "MinLength": f"must have at least {limit} character(s)",
        "MaxLength": f"must have at most {limit} characters",
        "MinItems": f"must have at least {limit} item(s)",
        "MaxItems": f"must have at most {limit} items",
        "MinProperties": f"must have at least {limit} entries",
        "MaxProperties": f"must have at most {limit} entries",
        "UniqueItems": "must not repeat an item",
        "Not": "is not allowed here",
    }
    return words.get(kind, f"is not valid here ({_json_type(value)} given)")


def non_finite(value: Any, path: str = "body") -> Iterator[Problem]:
    """(field path, problem) of every number of a decoded JSON value that is not finite."""
    odd = not_finite(value)
    if odd is not None:
        yield path, f"is {odd}; JSON allows finite numbers only"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from non_finite(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from non_finite(item, f"{path}.{index}")


class _Object(dict[str, Any]):
    """A decoded JSON object that remembers the keys it was given more than once."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.repeated = (
            []
            if len(self) == len(pairs)
            else [k for k, n in Counter(k for k, _ in pairs).items() if n > 1]
        )


def _any_repeated(value: Any) -> bool:
    """Whether some object of `value` (decoded with `_Object`) repeats a key: a walk over the
    objects only, skipping lists of numbers."""
    if isinstance(value, dict):
        if getattr(value, "repeated", None):
            return True
        return any(_any_repeated(item) for item in value.values())
    if isinstance(value, list):
        return any(_any_repeated(item) for item in value if isinstance(item, dict | list))
    return False


def repeated_keys(value: Any, path: str = "body") -> Iterator[Problem]:
    """(field path, problem) of every key given more than once in one object of a value
    decoded with `_Object` (the path names the repeated key)."""
    if isinstance(value, _Object):
        for key in value.repeated:
            yield f"{path}.{key}", "is given more than once in the same object: give each key once"
    if isinstance(value, dict):
        for key, item in value.items():
            yield from repeated_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from repeated_keys(item, f"{path}.{index}")


# ----------------------------------------------------------------------------- the middleware


class Contract:
    """The validators of an app's JSON request bodies, by (method, path template)."""

    def __init__(self, app: FastAPI) -> None:
        document = app.openapi()
        root = {"components": document.get("components", {})}
        self.paths = paths_of(app)
        self.validators: dict[tuple[str, str], Any] = {}
        self.queries: dict[tuple[str, str], frozenset[str]] = {}
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                self.queries[(method.upper(), path)] = frozenset(
                    str(p["name"])
                    for p in operation.get("parameters", [])
                    if p.get("in") == "query"
                )
                content = (operation.get("requestBody") or {}).get("content", {})
                schema = content.get("application/json", {}).get("schema")
                if schema is not None:
                    self.validators[(method.upper(), path)] = jsonschema_rs.validator_for(
                        {**root, **schema}, validate_formats=True
                    )

    def problems(self, method: str, path: str, body: Any) -> list[Problem]:
        """What the body of `method path` (a path template) breaks of its schema."""
        validator = self.validators.get((method, path))
        if validator is None:
            return []
        found: list[Problem] = []
        for error in validator.iter_errors(body):
            for pair in problem(error):
                if pair not in found:
                    found.append(pair)
            if len(found) >= MAX_PROBLEMS:
                break
        return found[:MAX_PROBLEMS]


def _free_rule(field: str) -> TextRule:
    """The text rule of a free-form part: Unicode's only (`unicode_problem`)."""
    return unicode_problem


def _is_json(scope: Scope) -> bool:
    """Whether the route reads the request's body as JSON: a JSON content type, or none on a
    method with a body (as FastAPI reads it)."""
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return str(scope.get("method")) in BODY_METHODS


class RequestContract:
    """ASGI middleware: a JSON body is read, checked (see the module docstring) and handed on
    unchanged, or refused with 422 naming each place (at most `MAX_PROBLEMS`). A body that is
    not JSON at all is the route's to refuse (400)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._contract: Contract | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        unknown = self._unknown_parameters(scope) if scope.get("query_string") else []
        if unknown:
            await _refusal(unknown)(scope, receive, send)
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
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
        found = self._problems(scope, body)
        if found:
            await _refusal(found)(scope, receive, send)
            return
        await self.app(scope, replayed(body, receive), send)

    def _contract_of(self, scope: Scope) -> Contract | None:
        app = scope.get("app")
        if not isinstance(app, FastAPI):
            return None
        if self._contract is None:
            self._contract = Contract(app)
        return self._contract

    def _unknown_parameters(self, scope: Scope) -> list[Problem]:
        """(``query.<name>``, problem) of each query parameter the operation does not declare
        ([] for a path the schema does not document, or one under `/agent`)."""
        path = str(scope.get("path", ""))
        contract = self._contract_of(scope)
        if contract is None or path.startswith(FREE_TEXT_PREFIX):
            return []
        matched = contract.paths.match(path)
        if matched is None:
            return []
        declared = contract.queries.get((str(scope["method"]), matched[0]))
        if declared is None:
            return []
        given = parse_qsl(bytes(scope["query_string"]).decode("latin-1"), keep_blank_values=True)
        names = list(dict.fromkeys(name for name, _ in given if name not in declared))
        listed = ", ".join(sorted(declared)) or "none"
        return [
            (f"query.{name}", f"is not a parameter here (this path takes: {listed})")
            for name in names[:MAX_PROBLEMS]
        ]

    def _problems(self, scope: Scope, body: bytes) -> list[Problem]:
        """What the body breaks of its operation's contract ([] for a path the schema does
        not document, such as the MCP endpoint, which answers in its own protocol with the same
        rules: `api.mcp.frames`)."""
        contract = self._contract_of(scope)
        if contract is None:
            return []
        matched = contract.paths.match(str(scope.get("path", "")))
        if matched is None:
            return []
        try:
            decoded = read_json(body, object_pairs_hook=_Object)
        except NestedTooDeepError:
            return [("body", NESTED_TOO_DEEP)]
        except ValueError:  # not JSON: the route's 400
            return []
        path = str(scope.get("path", ""))
        free = path.startswith(FREE_TEXT_PREFIX)  # its typed text: the schema's rule below
        found = json_problems(decoded, "body", _free_rule if free else None, limit=MAX_PROBLEMS)
        if found:
            return found
        found = list(non_finite(decoded))
        if _any_repeated(decoded):
            found += repeated_keys(decoded)
        found = found[:MAX_PROBLEMS]
        if found:
            return found
        return contract.problems(str(scope["method"]), matched[0], decoded)


def _refusal(found: list[Problem]) -> Any:
    """The 422 answer (an ASGI app) naming each place of `found`; the message names the first
    three."""
    summary = "; ".join(f"{f}: {p}" for f, p in found[:3])
    details = [{"field": f, "problem": p} for f, p in found]
    return error_json(422, "VALIDATION_ERROR", f"invalid request: {summary}", details)


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
