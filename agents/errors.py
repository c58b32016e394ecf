"""Typed errors of model calls: what a run's trace and failed result name.

- `ModelCallError`: the model service refused or failed a call that retries did not fix
  (botocore's ``ClientError`` with Bedrock's error code, a broken response stream, retries
  exhausted). Its message names the agent role and the service's code; the service's own
  message, which can name the operator's account and role, is `service_message` (logged where the
  call failed, and a note of the exception), never in what an API caller or a trace reads; the
  API answers 502 BAD_GATEWAY; `attempts` counts the tries the client made, `retry_after` is the
  wait the service asked for (seconds).
- `ModelUnavailableError`: no route reached a model: the service kept throttling or was
  unavailable on every route (`agents.model_routes`) within the call's time budget, its waits
  between rounds of the routes included. Its message says so in two sentences: what happened
  (after how many attempts and seconds, the waits among them, on which models) and what to do (wait, or ask for quota; for an endpoint that cannot be connected to,
  check its address and the network). The command line exits with `MODEL_UNAVAILABLE_EXIT` on it; the API
  answers 503 with ``Retry-After``.
- `ModelOutputError`: the model answered, but not with something usable: its output was cut at
  the token limit (``stopReason: max_tokens``), or a guardrail or content filter intervened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MODEL_UNAVAILABLE_EXIT = 3
"""The command line's exit code when no model could be reached (the work is kept: retry or
resume it later)."""

RETRY_AFTER_S = 60
"""The wait suggested when the service named none (``Retry-After`` of the API's 503)."""

UNREACHABLE = frozenset({"EndpointConnectionError", "ConnectTimeoutError", "APIConnectionError"})
"""Codes of a connection that could not be made (the endpoint is down or the address wrong):
waiting or a higher quota does not help, checking the address and the network does."""

ROUTE_REFUSED = frozenset({"AccessDeniedException", "ResourceNotFoundException"})
"""Codes with which a fallback route (not the first) is passed over, as unusable here: the
account may not invoke that profile or model (a deployment allows only the ids it is given)."""


class ModelCallError(RuntimeError):
    """A model call failed at the service (after the retries the client makes).

    Its text names the agent and the service's error code. The service's own message, which can
    name the operator's account, role and model ids, is `service_message`, and a note of the
    exception (`__notes__`): tracebacks, the server's log and the command line (the operator's)
    show it; an API caller, a trace and a stored failure reason, which read the text, do not."""

    def __init__(
        self,
        role: str,
        code: str,
        message: str,
        *,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"the {role} agent's model call failed: {code}")
        if message:
            self.add_note(f"the model service said: {message}")
        self.service_message = message
        self.role = role
        self.code = code
        self.attempts = attempts
        self.retry_after = retry_after


@dataclass(frozen=True)
class RouteAttempt:
    """One route tried: its model id, the error code it ended with, the client's attempts and
    the seconds it took."""

    model_id: str
    code: str
    attempts: int
    seconds: float


class ModelUnavailableError(ModelCallError):
    """Every route of a model call stayed throttled or unavailable (see the module docstring)."""

    def __init__(
        self,
        role: str,
        tried: Sequence[RouteAttempt],
        *,
        budget_spent: bool,
        paused: float = 0.0,
    ) -> None:
        attempts = sum(t.attempts for t in tried)
        seconds = sum(t.seconds for t in tried) + paused
        waited = [t for t in tried if t.code not in ROUTE_REFUSED]
        codes = sorted({t.code for t in waited})
        throttled = "ThrottlingException" in codes or "rate_limit_exceeded" in codes
        unreachable = bool(codes) and set(codes) <= UNREACHABLE
        what = "kept throttling" if throttled else "was unavailable"
        if unreachable:
            what = "could not be reached"
        models = ", ".join(dict.fromkeys(t.model_id for t in waited))
        refused = "".join(
            f"; {t.model_id} is not usable here ({t.code})"
            for t in tried
            if t in waited[:0] or t.code in ROUTE_REFUSED
        )
        stop = "the call's time budget ran out" if budget_spent else "every route was tried"
        pauses = f" ({paused:.1f} s of it waiting to try again)" if paused else ""
        advice = (
            "Check that the model endpoint is running and reachable from here (the network, "
            "STRATIGOS_BEDROCK_ENDPOINT_URL or STRATIGOS_BEDROCK_REGION on Bedrock, "
            "STRATIGOS_OPENAI_BASE_URL for an OpenAI-compatible server), then try again."
            if unreachable
            else "Wait a minute and try again; if it keeps happening, ask for a higher quota for "
            "the model or configure fallback models (STRATIGOS_BEDROCK_FALLBACK_MODEL_IDS)."
        )
        RuntimeError.__init__(
            self,
            f"the {role} agent could not reach its model: the service {what} ({', '.join(codes)}) "
            f"on {models}{refused}, {attempts} attempts over {seconds:.1f} s{pauses}, until "
            f"{stop}. " + advice,
        )
        self.role = role
        self.service_message = ""  # the routes' codes are in the text
        self.code = "ModelUnavailable"
        self.attempts = attempts
        self.retry_after = None
        self.tried = tuple(tried)


class ModelOutputError(RuntimeError):
    """A model reply that cannot be used (truncated, or blocked by a guardrail or filter)."""

    def __init__(self, role: str, stop_reason: str, detail: str) -> None:
        super().__init__(f"the {role} agent's reply stopped with {stop_reason}: {detail}")
        self.role = role
        self.stop_reason = stop_reason


__all__ = [
    "MODEL_UNAVAILABLE_EXIT",
    "RETRY_AFTER_S",
    "ROUTE_REFUSED",
    "UNREACHABLE",
    "ModelCallError",
    "ModelOutputError",
    "ModelUnavailableError",
    "RouteAttempt",
]
