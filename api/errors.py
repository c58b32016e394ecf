"""The API's one error format and the mapping of every exception onto it.

Every error response is `{"error": {"code": CODE, "message": TEXT, "details": [...]}}` where
each detail names a `field` (a dotted path such as `body.weights.AAPL`, `query.limit`) and
the `problem`. Codes and statuses:

| code | status | when |
| --- | --- | --- |
| `BAD_REQUEST` | 400 | malformed JSON, a bad cursor, an unreadable upload |
| `UNAUTHENTICATED` | 401 | no or invalid credentials |
| `FORBIDDEN` | 403 | a valid bearer token of a user outside the required group |
| `NOT_FOUND` | 404 | no such resource for this caller (also other owners' resources) |
| `METHOD_NOT_ALLOWED` | 405 | wrong HTTP method |
| `CONFLICT` | 409 | the resource is not in the required state (e.g. results of a running job) |
| `PAYLOAD_TOO_LARGE` | 413 | body or upload above the configured limit |
| `NOT_ACCEPTABLE` | 406 | `/mcp`: an `Accept` header that does not name both JSON and event streams |
| `UNSUPPORTED_MEDIA_TYPE` | 415 | an uploaded document of a type the library cannot read |
| `VALIDATION_ERROR` | 422 | the request does not match the schema, or the numbers are unusable |
| `INFEASIBLE` | 422 | a valid request whose target cannot be met (details carry what can) |
| `RATE_LIMITED` | 429 | too many requests, or this process runs as much of the work asked for as its bound allows (full evaluations, estimates, chat turns and searches, uploads being parsed: `services.work_bounds`); `Retry-After` header, seconds |
| `INTERNAL` | 500 | a bug: logged with its traceback server-side, never sent |
| `BAD_GATEWAY` | 502 | a service the answer depends on failed: the strategy model's estimates endpoint, or the model service refused or failed a call its retries did not mend (the service's error code is named; its message, which can name the account, is logged) |
| `UNAVAILABLE` | 503 | the store cannot be reached; the estimates endpoint cannot answer now; the server is shutting down (a chat turn, `Retry-After`) |
| `OVERLOADED` | 503 | load shed: too many requests in flight or per minute (`Retry-After`) |
| `MODEL_UNAVAILABLE` | 503 | no model route answered: the model service kept throttling or was unavailable (`Retry-After` header, seconds) |
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from agents.errors import RETRY_AFTER_S, ROUTE_REFUSED, ModelCallError, ModelUnavailableError
from api.paths import paths_of
from services.errors import InfeasibleTargetError, InputError, NotFoundInputError, QuantError
from services.problems import validation_problems
from services.work_bounds import BusyError
from store import ConflictError, NotFoundError, StoreError, StoreUnavailableError
from store.owner_data import OwnerBusyError
from tools.artifacts import ArtifactNotFoundError

log = logging.getLogger("stratigos.api")

Model = TypeVar("Model", bound=BaseModel)


class ErrorDetail(BaseModel):
    """One problem: the field it concerns (dotted path) and what is wrong with it."""

    field: str
    problem: str


class ErrorBody(BaseModel):
    """The body of every error."""

    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    """`{"error": {...}}`: the format of every error response."""

    error: ErrorBody


class ApiError(Exception):
    """An error the API reports as `status` with `code`, `message` and `details`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Sequence[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = [{"field": field, "problem": problem} for field, problem in details]
        self.headers = headers


def not_found(kind: str, identifier: str) -> ApiError:
    """404 for a resource the caller does not have (missing or another owner's)."""
    return ApiError(404, "NOT_FOUND", f"{kind} {identifier!r} not found")


@contextmanager
def found_or_404(kind: str, identifier: str) -> Iterator[None]:
    """The store's `NotFoundError` raised inside as a 404 naming the `kind` of resource and its
    `identifier` (`not_found`)."""
    try:
        yield
    except NotFoundError:
        raise not_found(kind, identifier) from None


@contextmanager
def cursor_errors() -> Iterator[None]:
    """The store's `ValueError` for a page cursor it did not give (well formed for the schema,
    but no page's `next_cursor`) raised inside as a 400 naming `query.cursor`."""
    try:
        yield
    except ValueError as exc:
        raise ApiError(400, "BAD_REQUEST", str(exc), [("query.cursor", str(exc))]) from None


def validation_error(field: str, problem: str) -> ApiError:
    """422 naming one field and its problem."""
    return ApiError(422, "VALIDATION_ERROR", f"{field}: {problem}", [(field, problem)])


@contextmanager
def input_errors(prefix: str = "body.") -> Iterator[None]:
    """A service's `InputError` raised inside as a 422 naming the field `<prefix><field>`, with
    the service's own sentence as the message."""
    try:
        yield
    except InputError as exc:
        detail = (f"{prefix}{exc.field}", exc.problem)
        raise ApiError(422, "VALIDATION_ERROR", exc.message, [detail]) from None


@contextmanager
def field_errors(prefix: str) -> Iterator[None]:
    """A service's `InputError` raised inside as a 422 whose message names the whole field,
    `<prefix><field>` (``body.``, ``query.``, ``path.``, or none), and a `NotFoundInputError`
    as a 404 naming it (`project_error`)."""
    try:
        yield
    except InputError as exc:
        raise _input_error(exc, prefix) from None


def _input_error(exc: InputError, prefix: str) -> ApiError:
    field = f"{prefix}{exc.field}"
    if isinstance(exc, NotFoundInputError):
        return ApiError(404, "NOT_FOUND", exc.message, [(field, exc.problem)])
    if exc.message != f"{exc.field}: {exc.problem}":  # a sentence of the service's own
        return ApiError(422, "VALIDATION_ERROR", exc.message, [(field, exc.problem)])
    return validation_error(field, exc.problem)


@contextmanager
def profile_refusals(prefix: str) -> Iterator[None]:
    """What `services.optimizations` refuses when it applies the owner's profile to a request,
    raised inside, as a 422 naming the fields under `prefix` (``body.``, ``body.input.``):
    exclusions that leave no ticker (an `InputError` on ``universe``), or a request that its
    profile's defaults and exclusions make unable to run (a `ValidationError`)."""
    try:
        with field_errors(prefix):
            yield
    except ValidationError as exc:
        problems = validation_problems(exc.errors())
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            "the request with your profile's defaults and exclusions cannot run: "
            + "; ".join(f"{f}: {p}" for f, p in problems),
            [(f"{prefix}{f}", p) for f, p in problems],
        ) from None


def invalid(exc: ValidationError, prefix: str, what: str) -> ApiError:
    """422 for `what` (a run's input, an edit of a pending request) that its model refused:
    each problem named under `prefix` (``body.input.``); the message names the first."""
    problems = validation_problems(exc.errors())
    field, problem = problems[0]
    return ApiError(
        422,
        "VALIDATION_ERROR",
        f"invalid {what}: {field}: {problem}",
        [(f"{prefix}{f}", p) for f, p in problems],
    )


def checked_body(model: type[Model], body: Any) -> Model:
    """`body`, a route's JSON body that FastAPI handed on as sent (its parameter documents
    `model`'s schema but validates nothing: `api.routes.optimizations.UncheckedRequest`),
    validated as FastAPI validates a body: a `RequestValidationError` on `body.<field>`
    otherwise, answered as FastAPI's own (the same 422). For a body whose checks must not run
    on the event loop (an optimization request's read the market data), called in a worker
    thread."""
    try:
        return model.model_validate(body, from_attributes=True)
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors, body=body) from None


def error_json(
    status: int,
    code: str,
    message: str,
    details: Sequence[dict[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON response of an error."""
    body = {"error": {"code": code, "message": message, "details": list(details)}}
    return JSONResponse(body, status_code=status, headers=headers)


def pydantic_details(errors: Sequence[Any], prefix: str = "") -> list[dict[str, str]]:
    """Pydantic errors as details: dotted field paths and readable problems (each problem of
    an optimization request's checks on its own field)."""
    return [
        {"field": ".".join(part for part in (prefix, field) if part) or "body", "problem": problem}
        for field, problem in validation_problems(errors)
    ]


_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
}


def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        details = [
            {"field": "body", "problem": f"malformed JSON at character {_position(err)}"}
            for err in errors
            if err.get("type") == "json_invalid"
        ]
        return error_json(400, "BAD_REQUEST", "the request body is not valid JSON", details)
    tokens = [err for err in errors if tuple(err.get("loc", ())) in _TOKENS]
    if tokens:  # a token the server gives, not a value the caller chooses: 400
        token = tokens[0]
        field = ".".join(str(part) for part in token["loc"])
        problem = f"{_TOKENS[tuple(token['loc'])]}, got {token.get('input')!r}"
        return error_json(400, "BAD_REQUEST", f"{field}: {problem}", [_detail(field, problem)])
    details = pydantic_details(errors)
    summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details[:3])
    return error_json(422, "VALIDATION_ERROR", f"invalid request: {summary}", details)


_TOKENS = {
    ("header", "last-event-id"): "must be the sequence number of an event the stream sent",
    ("query", "cursor"): "must be the next_cursor of a previous page",
}
"""Parameters that carry a token the server gave: a malformed one is 400, as a cursor or a
sequence number the store does not know is."""


def _detail(field: str, problem: str) -> dict[str, str]:
    return {"field": field, "problem": problem}


def _position(error: Any) -> str:
    """Where in the body a JSON error is (the reader's character offset)."""
    loc = list(error.get("loc", ()))
    return str(loc[-1]) if len(loc) > 1 else "0"


def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_json(exc.status, exc.code, exc.message, exc.details, exc.headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document gives the request's path (its most specific template:
    `/agent/threads/search` is not `/agent/threads/{thread_id}`); for a path outside the
    document (the web page, its assets), every method some route serves there."""
    app = request.app
    if isinstance(app, FastAPI):
        matched = paths_of(app).match(request.url.path)
        if matched is not None:
            return matched[1]
    routes = app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "INTERNAL" if exc.status_code >= 500 else "ERROR")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").lower()
    headers = getattr(exc, "headers", None)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}"
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        message = f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}"
    return error_json(exc.status_code, code, message, headers=headers)


def project_error(exc: BaseException, prefix: str = "body.") -> ApiError | None:
    """The API's answer to one of the project's error types, the one mapping every surface
    uses (the REST handlers, a chat turn's streamed error, an MCP tool's refusal); None for an
    exception of no such type (a bug). Fields are named under `prefix` (``body.``,
    ``arguments.``):

    - a model's `ValidationError`: 422 VALIDATION_ERROR naming each field;
    - a use case's `InputError`: 422 VALIDATION_ERROR naming its field (`NotFoundInputError`:
      404 NOT_FOUND);
    - the numeric core's `InfeasibleTargetError`: 422 INFEASIBLE with the achievable range;
      any other `QuantError`: 422 VALIDATION_ERROR on the data;
    - the store's `NotFoundError` and a tool's `ArtifactNotFoundError`: 404 NOT_FOUND; its
      `ConflictError`: 409 CONFLICT; `OwnerBusyError` (the owner's data erased and not yet
      purged, or being imported): 409 OWNER_LOCKED with `Retry-After`; `StoreUnavailableError`: 503 UNAVAILABLE; any other
      `StoreError`: 500 INTERNAL (logged);
    - `ModelUnavailableError`: 503 MODEL_UNAVAILABLE with `Retry-After`; any other
      `ModelCallError` (the service refused or failed a call its retries did not mend): 502
      BAD_GATEWAY naming the service's error code (its message is logged, not sent: a refusal
      can name the operator's account and role);
    - `BusyError` (work beyond its bound in this process): 429 RATE_LIMITED with `Retry-After`.
    """
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ValidationError):
        details = pydantic_details(exc.errors(), prefix.rstrip("."))
        summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details[:3])
        error = ApiError(422, "VALIDATION_ERROR", f"invalid request: {summary}")
        error.details = details
        return error
    if isinstance(exc, InputError):
        return _input_error(exc, prefix)
    if isinstance(exc, QuantError):
        return _quant_error(exc)
    if isinstance(exc, StoreError):
        return _store_error(exc)
    if isinstance(exc, ArtifactNotFoundError):
        return ApiError(404, "NOT_FOUND", str(exc))
    if isinstance(exc, ModelUnavailableError):
        wait = round(exc.retry_after or RETRY_AFTER_S)
        log.warning("model unavailable: %s", exc)
        return ApiError(503, "MODEL_UNAVAILABLE", str(exc), headers={"Retry-After": str(wait)})
    if isinstance(exc, ModelCallError):  # its service's words were logged where it was raised
        return ApiError(502, "BAD_GATEWAY", _model_failure(exc))
    if isinstance(exc, BusyError):
        return busy(exc)
    return None


def _model_failure(exc: ModelCallError) -> str:
    """What a caller is told of a model call the service refused or failed: its error code and
    what to do, without the service's message."""
    if exc.code in ROUTE_REFUSED or exc.code == "ValidationException":
        return (
            f"the model service refused a call ({exc.code}) and the request ended there: the "
            "model is not usable with this server's settings (its access or its id); trying "
            "again will not help: the server's operator has the details in its log"
        )
    return (
        f"the model service failed a call ({exc.code}) and the request ended there: try again; "
        "if it fails again, the server's log has the details"
    )


def busy(exc: BusyError) -> ApiError:
    """429 `RATE_LIMITED` with `Retry-After` for work beyond its bound in this process
    (`services.work_bounds`), naming the part of the request that asked for it."""
    return ApiError(
        429,
        "RATE_LIMITED",
        str(exc),
        [(exc.field, exc.problem)],
        headers={"Retry-After": str(exc.retry_after_s)},
    )


def _quant_error(exc: QuantError) -> ApiError:
    if isinstance(exc, InfeasibleTargetError):
        low, high = exc.achievable
        return ApiError(
            422,
            "INFEASIBLE",
            str(exc),
            [("target", f"achievable range is [{low:.6g}, {high:.6g}]")],
        )
    return ApiError(422, "VALIDATION_ERROR", str(exc), [("data", str(exc))])


def _store_error(exc: StoreError) -> ApiError:
    if isinstance(exc, OwnerBusyError):  # erased (until purged) or being imported
        return ApiError(409, "OWNER_LOCKED", str(exc), headers={"Retry-After": "900"})
    if isinstance(exc, NotFoundError):
        return ApiError(404, "NOT_FOUND", str(exc))
    if isinstance(exc, ConflictError):
        return ApiError(409, "CONFLICT", str(exc))
    if isinstance(exc, StoreUnavailableError):
        log.error("store unavailable: %s", exc)
        return ApiError(503, "UNAVAILABLE", "the store is unavailable; retry later")
    log.error("store error: %s", exc)
    return ApiError(500, "INTERNAL", "internal error")


def _project_error(request: Request, exc: Exception) -> JSONResponse:
    error = project_error(exc)
    assert error is not None  # registered for the project's error types only
    return error_json(error.status, error.code, error.message, error.details, error.headers)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette calls this outside the `except` block: pass the exception for its traceback
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_json(500, "INTERNAL", "internal error; the server log has the details")


def error_document(exc: BaseException, where: str) -> dict[str, Any]:
    """`{"error": {...}}` for an exception raised outside a request handler (e.g. in a chat
    turn streaming from a worker thread), mapped as the handlers map it (`project_error`);
    anything unexpected is logged with its traceback (`where` says where) and reported as
    INTERNAL."""
    error = project_error(exc)
    if error is not None:
        return {"error": {"code": error.code, "message": error.message, "details": error.details}}
    log.error("unhandled error in %s", where, exc_info=exc)
    return {
        "error": {
            "code": "INTERNAL",
            "message": "internal error; the server log has the details",
            "details": [],
        }
    }


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception the app can raise to the one error format."""
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind in (ValidationError, QuantError, StoreError, ModelCallError, BusyError):
        app.add_exception_handler(kind, _project_error)
    app.add_exception_handler(Exception, _unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": code.replace("_", " ").capitalize()}
    for status, code in (
        (400, "BAD_REQUEST"),
        (401, "UNAUTHENTICATED"),
        (403, "FORBIDDEN"),
        (404, "NOT_FOUND"),
        (409, "CONFLICT"),
        (413, "PAYLOAD_TOO_LARGE"),
        (422, "VALIDATION_ERROR"),
        (429, "RATE_LIMITED"),
        (500, "INTERNAL"),
        (502, "BAD_GATEWAY"),
        (503, "UNAVAILABLE"),
    )
}
"""OpenAPI `responses` entries documenting the error format on every route."""


@contextmanager
def renamed_fields(renames: Sequence[tuple[str, str]]) -> Iterator[None]:
    """An `ApiError` (or a model's `ValidationError`) raised inside, with each detail's field
    renamed by the first `(old prefix, new prefix)` pair it starts with (in the message too):
    an adapter's request shape names its own fields in errors of the service it calls."""
    try:
        yield
    except (ValidationError, ApiError) as exc:
        error = project_error(exc)
        assert error is not None
        raise _renamed(error, renames) from None


def _renamed(error: ApiError, renames: Sequence[tuple[str, str]]) -> ApiError:
    message = error.message
    details = []
    for detail in error.details:
        field = detail["field"]
        for old, new in renames:
            if field == old or field.startswith(old if old.endswith(".") else f"{old}."):
                renamed = new + field[len(old) :]
                message = message.replace(field, renamed)
                field = renamed
                break
        details.append({"field": field, "problem": detail["problem"]})
    out = ApiError(error.status, error.code, message, headers=error.headers)
    out.details = details
    return out
