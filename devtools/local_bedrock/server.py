"""A Bedrock Runtime-compatible HTTP endpoint on loopback, answered by the offline model.

Routes (the model id is URL-encoded in the path, ``:`` as ``%3A``):

- ``POST /model/{modelId}/converse``: JSON in, Converse response JSON out.
- ``POST /model/{modelId}/converse-stream``: JSON in, ``application/vnd.amazon.eventstream``
  out (HTTP/1.1 chunked, one event stream message per chunk).
- ``POST /model/{modelId}/invoke``: InvokeModel for Amazon Titan Text Embeddings V2
  (``amazon.titan-embed-text-v2:0``), answered by the offline embedder
  (`devtools.local_bedrock.titan`).
- ``GET /ping``: ``{"status": "ok"}`` (readiness).

Errors are answered as Bedrock does: a status, an ``x-amzn-ErrorType`` header and a
``{"message": ...}`` body (``ValidationException`` 400 for malformed requests,
``UnknownOperationException`` 404 for unknown paths). Requests are not authenticated: SigV4
headers are accepted and ignored. It is a test double; keep it on loopback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import operator
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from functools import reduce
from typing import Any
from urllib.parse import unquote, urlsplit

from langchain_core.messages import AIMessage, AIMessageChunk

from devtools.local_bedrock.converse import (
    BedrockError,
    PromptCache,
    cache_prefix,
    check_model,
    check_request,
    converse_response,
    message_boundaries,
    offline_chunks,
    offline_reply,
    parse_request,
    stream_events,
    with_cache,
)
from devtools.local_bedrock.converse.output import bounded_reply
from devtools.local_bedrock.converse.response import reasoning_for
from devtools.local_bedrock.converse.tokens import bedrock_usage, prompt_tokens
from devtools.local_bedrock.eventstream import encode_event, encode_exception
from devtools.local_bedrock.faults import Fault, FaultPlan
from devtools.local_bedrock.titan import titan_embedding
from devtools.loopback import LoopbackEndpoint, LoopbackHandler, LoopbackHTTPServer

logger = logging.getLogger(__name__)

_ROUTE = re.compile(r"/model/(?P<model>[^/]+)/(?P<op>converse|converse-stream|invoke)")
MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest request body accepted."""


class _Handler(LoopbackHandler):
    max_body_bytes = MAX_BODY_BYTES
    server_version = "stratigos-local-bedrock"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    # ---------------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers or {})

    def _send_error(self, error: BedrockError) -> None:
        self._send_json(
            error.status, {"message": error.message}, {"x-amzn-ErrorType": error.error_type}
        )

    def _read_body(self) -> Any:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            raise BedrockError("ValidationException", "a Content-Length header is required", 400)
        try:
            length = int(length_header)
        except ValueError:
            raise BedrockError("ValidationException", "invalid Content-Length", 400) from None
        if not 0 <= length <= MAX_BODY_BYTES:
            raise BedrockError(
                "ValidationException", f"request body of {length} bytes is too large", 400
            )
        raw = self.rfile.read(length)
        try:
            return json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BedrockError(
                "ValidationException", f"request body is not valid JSON: {exc}", 400
            ) from exc

    # ---------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/ping":
            self._send_json(200, {"status": "ok"})
        else:
            self._not_found()

    def do_POST(self) -> None:
        match = _ROUTE.fullmatch(urlsplit(self.path).path)
        if match is None:
            self.drain()
            self._not_found()
            return
        started = time.perf_counter()
        plan: FaultPlan = self.server.faults  # type: ignore[attr-defined]
        number, fault = plan.next_call()
        try:
            if plan.latency_ms:
                time.sleep(plan.latency_ms / 1000)
            body = self._read_body()
            if match["op"] == "invoke":
                response = titan_embedding(unquote(match["model"]), body)
                _raise_fault(fault, number, streaming=False)
                tokens = str(response["inputTextTokenCount"])
                self._send_json(200, response, {"X-Amzn-Bedrock-Input-Token-Count": tokens})
                return
            self._converse(unquote(match["model"]), body, match["op"], fault, number, started)
        except BedrockError as error:
            self._send_error(error)
        except Exception as exc:  # an unexpected failure still answers in Bedrock's shape
            logger.exception("local Bedrock endpoint failed")
            self._send_error(
                BedrockError("InternalServerException", f"{type(exc).__name__}: {exc}", 500)
            )

    def _converse(
        self, model_id: str, body: Any, op: str, fault: Fault | None, number: int, started: float
    ) -> None:
        """Answer a Converse / ConverseStream call: the model and request checked against the
        catalog, the offline model's reply within ``maxTokens`` (thinking included,
        `converse.output`), Bedrock's usage (cache tokens apart, `converse.cache`)."""
        server: _Server = self.server  # type: ignore[assignment]
        if not isinstance(body, dict):
            raise BedrockError("ValidationException", "the request body must be a JSON object")
        model = check_model(model_id, server.today())
        call = parse_request(model_id, body)
        options = check_request(model, body, call, server.guardrails)
        prefix = cache_prefix(body)
        _raise_fault(fault, number, streaming=op == "converse-stream")
        max_tokens = call.inference_config.get("maxTokens")
        prompt = prompt_tokens(model, call.messages, call.tools)
        cache = server.prompt_cache.usage(model_id, model, prefix, prompt)
        reasoning = reasoning_for(call.role, model_id, model) if options.thinks(model) else None
        if op == "converse":
            reply = offline_reply(call, options.text_format)
            bounded = bounded_reply(reply, reasoning, max_tokens, model, model_id)
            usage = with_cache(bedrock_usage(prompt, bounded.output_tokens), cache)
            latency = round((time.perf_counter() - started) * 1000)
            response = converse_response(
                bounded.message, latency, usage, bounded.stop, bounded.reasoning
            )
            self._send_json(200, response)
            return
        chunks = offline_chunks(call, options.text_format)
        whole = reduce(operator.add, chunks) if chunks else AIMessageChunk(content="")
        as_message = AIMessage(content=whole.text, tool_calls=whole.tool_calls, usage_metadata=whole.usage_metadata)  # fmt: skip
        bounded = bounded_reply(as_message, reasoning, max_tokens, model, model_id)
        if bounded.stop == "max_tokens":
            chunks = [AIMessageChunk(content=bounded.message.text)] if bounded.message.text else []
        usage = with_cache(bedrock_usage(prompt, bounded.output_tokens), cache)
        latency = round((time.perf_counter() - started) * 1000)
        events = stream_events(chunks, latency, usage, bounded.stop, bounded.reasoning)
        frames = [encode_event(kind, data) for kind, data in events]
        if fault is not None and fault.kind == "stream_error":
            frames = [
                *frames[: fault.after_events],
                encode_exception(
                    "modelStreamErrorException",
                    f"the model stream failed (fault injected at call {number})",
                ),
            ]
        self._send_stream(frames)

    def _send_stream(self, frames: list[bytes]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.amazon.eventstream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.write_chunked(frames)

    def _not_found(self) -> None:
        self._send_error(
            BedrockError("UnknownOperationException", f"no operation at {self.path}", 404)
        )

    do_PUT = do_DELETE = do_PATCH = do_POST  # unknown operations answer 404 the same way


def _raise_fault(fault: Fault | None, number: int, *, streaming: bool) -> None:
    """Answer call `number` with its injected fault (a stream error breaks a stream later)."""
    if fault is None or (fault.kind == "stream_error" and streaming):
        return
    errors = {
        "throttle": ("ThrottlingException", "Too many requests, please wait before trying again.", 429),
        "unavailable": ("ServiceUnavailableException", "Service unavailable. Try your request again.", 503),
        "stream_error": ("ModelErrorException", "The model failed to process the request.", 424),
        "denied": ("AccessDeniedException", "You don't have access to the model with the specified model ID.", 403),
    }  # fmt: skip
    kind, message, status = errors[fault.kind]
    raise BedrockError(kind, f"{message} (fault injected at call {number})", status)


GUARDRAILS_VARIABLE = "STRATIGOS_LOCAL_BEDROCK_GUARDRAILS"
"""Guardrails the endpoint knows, ``ID:VERSION[,ID:VERSION...]`` (e.g. ``gr-1:DRAFT,gr-1:2``)."""


def guardrails_from_environment() -> dict[str, set[str]]:
    """The guardrails named in `GUARDRAILS_VARIABLE` (none when unset); ValueError naming a
    part that is not ``ID:VERSION``."""
    known: dict[str, set[str]] = {}
    for part in filter(
        None, (p.strip() for p in os.environ.get(GUARDRAILS_VARIABLE, "").split(","))
    ):
        identifier, _, version = part.partition(":")
        if not identifier or not version:
            raise ValueError(f"{GUARDRAILS_VARIABLE}: {part!r} is not ID:VERSION")
        known.setdefault(identifier, set()).add(version)
    return known


class _Server(LoopbackHTTPServer):
    faults: FaultPlan
    prompt_cache: PromptCache
    guardrails: dict[str, set[str]]
    today: Callable[[], dt.date]


class LocalBedrock(LoopbackEndpoint):
    """A running local Bedrock Runtime endpoint (see the module docstring).

    `url` is its base URL (give it to boto3 as ``endpoint_url`` or to Stratigos as
    ``STRATIGOS_BEDROCK_ENDPOINT_URL``). Use it as a context manager or call `close`.
    """

    _server: _Server
    thread_name = "local-bedrock"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        *,
        guardrails: Mapping[str, Iterable[str]] | None = None,
        today: Callable[[], dt.date] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        message_boundaries()  # loads the prompts and agent modules now, not on the first call
        super().__init__(host, port, _Handler, _Server)
        self._server.faults = faults if faults is not None else FaultPlan.from_environment()
        self.faults = self._server.faults
        self._server.prompt_cache = PromptCache(clock)
        known = guardrails if guardrails is not None else guardrails_from_environment()
        self._server.guardrails = {k: set(v) for k, v in known.items()}
        self._server.today = today or (lambda: dt.datetime.now(dt.UTC).date())

    @property
    def url(self) -> str:
        """``http://HOST:PORT``."""
        return f"http://{self.host}:{self.port}"


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultPlan | None = None,
    *,
    guardrails: Mapping[str, Iterable[str]] | None = None,
    today: Callable[[], dt.date] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> LocalBedrock:
    """Start a local Bedrock endpoint in a background thread on `host`:`port` (0: a free port),
    injecting `faults` (default: the plan in ``STRATIGOS_LOCAL_BEDROCK_FAULTS``), knowing the
    guardrails `guardrails` (``{identifier: versions}``; none by default), judging model
    lifecycles on `today()` (default: the current UTC date) and expiring cached prompts on
    `clock()` (seconds; default: the monotonic clock).

    Returns the running `LocalBedrock`; close it (or use it in a ``with`` block) when done.
    """
    return LocalBedrock(host, port, faults, guardrails=guardrails, today=today, clock=clock).start()


__all__ = [
    "GUARDRAILS_VARIABLE",
    "MAX_BODY_BYTES",
    "LocalBedrock",
    "guardrails_from_environment",
    "serve",
]
