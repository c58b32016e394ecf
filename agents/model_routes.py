"""Reaching a model when the service throttles: routes tried in turn within a time budget.

Each model call first gets the client's own retries (botocore's adaptive retry mode with
exponential backoff and client-side rate limiting, `settings.bedrock`; the openai client's
retries honouring ``Retry-After``). When a call still fails with a code that waiting can fix
(`RETRYABLE`: throttling, an unavailable or not-ready service, a 5xx), the next *route* is tried:

1. the role's configured model id;
2. the same model through the ``global.`` inference profile, when the configured id is a
   geographic profile and the model has a global one (Bedrock spreads it over more regions);
3. the fallback model of the role's tier (``bedrock_fallback_model_ids``: ``{"strong": id,
   "fast": id}``, or a role's own entry), through the same steps.

Routes are tried until one answers, or the call's time budget is spent: ``model_call_budget_s``
seconds, and never past the run's wall-time deadline (``stratigos_deadline`` in the run's
config, set by `graphs.optimization_run`). A switch is written to the trace (a ``warning`` with
code ``model_fallback``) and the reply is marked (``response_metadata["stratigos_route"]``) so
the run's usage counts the calls a fallback answered. When no route answers,
`ModelUnavailableError` says so in the project's words: what happened, after how many attempts
and seconds, what to do.

Each route is sent the history its model may read: the thinking blocks of replies another
model produced are taken out (`agents.thinking`), so a fallback model (or the configured one
after a fallback answered) is never sent thinking it cannot verify.

Models passed in by the caller (tests, the offline model) have one route: their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from agents.bedrock_chat import chat_model_for
from agents.errors import ROUTE_REFUSED, ModelCallError, ModelUnavailableError, RouteAttempt
from agents.model_call import invoke_model
from agents.model_ids import model_id_for
from agents.roles import model_tier
from agents.thinking import readable_history
from agents.trace_notes import trace_note
from prompts.roles import AgentRole
from settings import Settings, get_settings
from settings.model_catalog import model_catalog

RETRYABLE = frozenset({
    "ThrottlingException",
    "ServiceUnavailableException",
    "ModelNotReadyException",
    "InternalServerException",
    "ServiceQuotaExceededException",
    "rate_limit_exceeded",
    "RateLimitError",
    "server_error",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "EndpointConnectionError",
    "ReadTimeoutError",
    "ConnectTimeoutError",
})  # fmt: skip
"""Error codes a later try or another route may not meet (Bedrock's, OpenAI's, botocore's)."""

DEADLINE_KEY = "stratigos_deadline"
"""The run config's ``configurable`` key holding its wall-time deadline (epoch seconds)."""

Clock = Callable[[], float]


def model_routes(role: AgentRole, settings: Settings) -> list[str]:
    """The model ids `role`'s Bedrock calls try, in order (see the module docstring)."""
    fallbacks = settings.bedrock.fallback_model_ids
    chain = [model_id_for(role, settings)]
    fallback = fallbacks.get(role) or fallbacks.get(model_tier(role))
    if fallback:
        chain.append(fallback)
    routes: list[str] = []
    for model_id in chain:
        for route in (model_id, model_catalog().global_profile(model_id)):
            if route and route not in routes:
                routes.append(route)
    return routes


def deadline_of(config: Any, settings: Settings, now: float) -> float:
    """When the call must stop trying (epoch seconds): its budget from `now`, and never past
    the run's deadline in `config`."""
    limit = now + settings.models.call_budget_s
    configurable = (config or {}).get("configurable") or {}
    run_deadline = configurable.get(DEADLINE_KEY)
    return min(limit, float(run_deadline)) if run_deadline else limit


class RoutedModel:
    """`role`'s model calls over its routes: `bind` makes the runnable of a route's chat model
    (tools or a structured schema bound), built when the route is first needed."""

    def __init__(
        self,
        role: AgentRole,
        model: BaseChatModel,
        bind: Callable[[BaseChatModel], Any],
        *,
        routes: Sequence[str] = (),
        settings: Settings | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.role = role
        self.settings = settings or get_settings()
        self.bind = bind
        self.clock = clock
        self.routes = list(routes)
        self._runnables: dict[int, Any] = {0: bind(model)}

    def _runnable(self, index: int) -> Any:
        if index not in self._runnables:
            model = chat_model_for(self.role, self.routes[index], self.settings)
            self._runnables[index] = self.bind(model)
        return self._runnables[index]

    def invoke(self, messages: Sequence[BaseMessage], config: Any) -> Any:
        """The first route's reply that comes back (see the module docstring)."""
        started = self.clock()
        deadline = deadline_of(config, self.settings, started)
        tried: list[RouteAttempt] = []
        count = max(1, len(self.routes))
        for index in range(count):
            begun = self.clock()
            history = readable_history(messages, self.routes[index]) if self.routes else messages
            try:
                reply = invoke_model(self._runnable(index), history, config, self.role)
            except ModelCallError as exc:
                if exc.code not in RETRYABLE and not (index and exc.code in ROUTE_REFUSED):
                    raise
                tried.append(RouteAttempt(self._name(index), exc.code, exc.attempts,
                                          self.clock() - begun))  # fmt: skip
                spent = self.clock() >= deadline
                if index + 1 == count or spent:
                    raise ModelUnavailableError(self.role, tried, budget_spent=spent) from exc
                trace_note(
                    f"the {self.role} agent's model {self._name(index)} answered {exc.code} "
                    f"after {exc.attempts} attempts; trying {self._name(index + 1)}",
                    "model_fallback",
                )
                continue
            if index:
                _mark_route(reply, self._name(index))
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _name(self, index: int) -> str:
        return self.routes[index] if self.routes else "its model"


def _mark_route(reply: Any, model_id: str) -> None:
    raw = reply.get("raw") if isinstance(reply, dict) else reply
    metadata = getattr(raw, "response_metadata", None)
    if isinstance(metadata, dict):
        metadata["stratigos_route"] = model_id


__all__ = ["DEADLINE_KEY", "RETRYABLE", "RoutedModel", "deadline_of", "model_routes"]
