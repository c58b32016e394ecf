"""An OpenAI-compatible HTTP endpoint on loopback, answered by the offline model.

Routes (OpenAI's Chat Completions API, the subset Stratigos uses):

- ``POST /v1/chat/completions``: a ``chat.completion`` JSON object, or with ``stream: true``
  server-sent events ``data: {chat.completion.chunk}`` ending with ``data: [DONE]``.
- ``GET /v1/models``: ``{"object": "list", "data": [{"id", "object": "model", ...}]}`` with a
  ``stratigos-offline-<role>`` model per agent role (any other model name is accepted too: the
  role is then read from the system prompt).
- ``GET /ping``: ``{"status": "ok"}`` (readiness).

Errors are OpenAI's: a status (400 invalid request, 401 a missing or wrong bearer key when the
endpoint has one, 404 unknown path or ``stratigos-offline-*`` model, 429 and 500 injected faults,
500 unexpected failures) and ``{"error": {"message", "type", "param", "code"}}``. Faults follow
`devtools.local_bedrock.faults.FaultPlan` (text in ``STRATIGOS_LOCAL_OPENAI_FAULTS``):
``throttle`` answers 429 ``rate_limit_exceeded``, ``unavailable`` 500 ``server_error`` (both
with ``retry-after-ms: 1``, so the openai client retries at once), ``stream_error`` breaks a
stream after N chunks with an error event (a non-streamed call answers 500). A test double; keep
it on loopback.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from devtools.local_bedrock.converse import (
    BedrockError,
    message_boundaries,
    offline_reply,
    within_max_tokens,
)
from devtools.local_bedrock.faults import Fault, FaultPlan
from devtools.local_openai.chat import (
    OpenAIError,
    as_structured,
    completion,
    completion_chunks,
    from_bedrock_error,
    parse_chat_request,
)
from devtools.loopback import LoopbackEndpoint, LoopbackHandler, LoopbackHTTPServer
from prompts.roles import AGENT_ROLES

logger = logging.getLogger(__name__)

FAULTS_VARIABLE = "STRATIGOS_LOCAL_OPENAI_FAULTS"
"""Environment variable holding this endpoint's fault plan as text."""

MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest request body accepted."""

CREATED = 1_700_000_000
"""The ``created`` time listed for every model (fixed: the models do not change)."""


def _fault_error(fault: Fault | None, number: int, *, streaming: bool) -> OpenAIError | None:
    if fault is None or (fault.kind == "stream_error" and streaming):
        return None
    if fault.kind == "throttle":
        return OpenAIError(
            f"Rate limit reached, retry shortly (fault injected at call {number})",
            429, "requests", None, "rate_limit_exceeded",
        )  # fmt: skip
    if fault.kind == "denied":
        return OpenAIError(
            f"You are not allowed to use this model (fault injected at call {number})",
            403, "permission_denied",
        )  # fmt: skip
    return OpenAIError(
        f"The server had an error processing your request (fault injected at call {number})",
        500, "server_error",
    )  # fmt: skip


class _Handler(LoopbackHandler):
    max_body_bytes = MAX_BODY_BYTES
    server_version = "stratigos-local-openai"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, error: OpenAIError) -> None:
        retry = {"retry-after-ms": "1"} if error.status in (429, 500) else {}
        self._send_json(error.status, error.body(), retry)

    def _read_body(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise OpenAIError("invalid Content-Length") from None
        if not 0 <= length <= MAX_BODY_BYTES:
            raise OpenAIError(f"request body of {length} bytes is too large")
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise OpenAIError(f"the request body is not valid JSON: {exc}") from exc

    def _authorised(self) -> bool:
        key = self.server.api_key
        if key is None:
            return True
        given = self.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {key}".encode())

    def _unauthorised(self) -> None:
        self._send_error(OpenAIError(
            "Incorrect API key provided.", 401, "invalid_request_error", None, "invalid_api_key"
        ))  # fmt: skip

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/ping":
            self._send_json(200, {"status": "ok"})
        elif path == "/v1/models":
            if not self._authorised():
                self._unauthorised()
                return
            models = [
                {"id": f"stratigos-offline-{role}", "object": "model", "created": CREATED,
                 "owned_by": "stratigos"}
                for role in AGENT_ROLES
            ]  # fmt: skip
            self._send_json(200, {"object": "list", "data": models})
        else:
            self._not_found()

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/v1/chat/completions":
            self.drain()
            self._not_found()
            return
        if not self._authorised():
            self.drain()
            self._unauthorised()
            return
        plan = self.server.faults
        number, fault = plan.next_call()
        try:
            if plan.latency_ms:
                time.sleep(plan.latency_ms / 1000)
            request = parse_chat_request(self._read_body())
            error = _fault_error(fault, number, streaming=request.stream)
            if error is not None:
                raise error
            reply, stop = within_max_tokens(offline_reply(request.call), request.max_tokens)
            reply = as_structured(reply, request.schema_name)
            if stop == "tool_use" and not reply.tool_calls:
                stop = "end_turn"
            if not request.stream:
                self._send_json(200, completion(reply, request.model, stop))
                return
            with self.server.lock:
                self.server.streamed_calls += 1
            chunks = completion_chunks(reply, request.model, stop, request.include_usage)
            self._send_events(chunks, fault, number)
        except BedrockError as error:
            self._send_error(from_bedrock_error(error))
        except OpenAIError as error:
            self._send_error(error)
        except Exception as exc:  # an unexpected failure still answers in OpenAI's shape
            logger.exception("local OpenAI endpoint failed")
            self._send_error(OpenAIError(f"{type(exc).__name__}: {exc}", 500, "server_error"))

    def _send_events(self, chunks: Iterable[dict[str, Any]], fault: Fault | None, number: int) -> None:  # fmt: skip
        events = [json.dumps(chunk) for chunk in chunks]
        if fault is not None and fault.kind == "stream_error":
            broken = OpenAIError(
                f"The model stream failed (fault injected at call {number})", 500, "server_error"
            )
            events = [*events[: fault.after_events], json.dumps(broken.body())]
        else:
            events.append("[DONE]")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.write_chunked(f"data: {event}\n\n".encode() for event in events)

    def _not_found(self) -> None:
        self._send_error(OpenAIError(
            f"Unknown request URL: {self.command} {self.path}", 404, "invalid_request_error",
            None, "unknown_url",
        ))  # fmt: skip

    do_PUT = do_DELETE = do_PATCH = do_POST  # unknown routes answer 404 the same way


class _Server(LoopbackHTTPServer):
    faults: FaultPlan
    api_key: str | None
    streamed_calls: int
    lock: threading.Lock


class LocalOpenAI(LoopbackEndpoint):
    """A running local OpenAI-compatible endpoint (see the module docstring).

    `url` is its base URL with ``/v1`` (give it to the openai client as ``base_url`` or to
    Stratigos as ``STRATIGOS_OPENAI_BASE_URL``). With `api_key`, requests must carry
    ``Authorization: Bearer <api_key>``. Use it as a context manager or call `close`.
    """

    _server: _Server
    thread_name = "local-openai"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        api_key: str | None = None,
    ) -> None:
        message_boundaries()  # loads the prompts and agent modules now, not on the first call
        super().__init__(host, port, _Handler, _Server)
        self._server.faults = faults if faults is not None else FaultPlan.from_environment(FAULTS_VARIABLE)  # fmt: skip
        self._server.api_key = api_key
        self._server.streamed_calls = 0
        self._server.lock = threading.Lock()
        self.faults = self._server.faults

    @property
    def streamed_calls(self) -> int:
        """Chat completions answered as a stream so far."""
        return self._server.streamed_calls

    @property
    def url(self) -> str:
        """``http://HOST:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultPlan | None = None,
    api_key: str | None = None,
) -> LocalOpenAI:
    """Start a local OpenAI-compatible endpoint in a background thread on `host`:`port` (0: a
    free port), injecting `faults` (default: the plan in ``STRATIGOS_LOCAL_OPENAI_FAULTS``).

    Returns the running `LocalOpenAI`; close it (or use it in a ``with`` block) when done.
    """
    return LocalOpenAI(host, port, faults, api_key).start()


__all__ = ["FAULTS_VARIABLE", "MAX_BODY_BYTES", "LocalOpenAI", "serve"]
