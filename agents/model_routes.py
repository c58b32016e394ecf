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

When every route of a round has failed with a code a wait can fix (`WAITABLE`: throttling, an
unavailable service, a 5xx; not a connection that cannot be made, which waiting does not fix),
the call waits and tries the routes again: exponential backoff from `BACKOFF_FIRST_S` doubling
to at most `BACKOFF_MAX_S`, with jitter (half of it fixed, half random, so that the calls of
several agents throttled together do not come back together), and never less than a wait the
service asked for (``Retry-After``). Each wait is written to the trace as it starts (a
``warning`` with code ``model_backoff``: how long, after which failures, how much of the
budget is left). A route the account may not use (`ROUTE_REFUSED`) is not tried again.

Routes are tried, round after round, until one answers, or the call's time budget is spent:
``model_call_budget_s`` seconds, and never past the run's wall-time deadline
(``stratigos_deadline`` in the run's config, set by `graphs.optimization_run`); a wait that
would pass it is not begun. A switch of route is written to the trace (a ``warning`` with code
``model_fallback``, in the first round) and the reply is marked
(``response_metadata["stratigos_route"]``) so the run's usage counts the calls a fallback
answered. When no route answers, `ModelUnavailableError` says so in the project's words, once:
what happened, after how many attempts and seconds (the waits among them), what to do.

The clock, the sleep and the jitter come from `PACING` (tests replace it: no real waits).

Each route is sent the history its model may read: the thinking blocks of replies another
model produced are taken out (`agents.thinking`), so a fallback model (or the configured one
after a fallback answered) is never sent thinking it cannot verify.

Models passed in by the caller (tests, the offline model) have one route: their own.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from agents.bedrock_chat import chat_model_for
from agents.errors import (
    ROUTE_REFUSED,
    UNREACHABLE,
    ModelCallError,
    ModelUnavailableError,
    RouteAttempt,
)
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

WAITABLE = RETRYABLE - UNREACHABLE
"""Codes after which waiting before another round of the routes may help (not a connection that
cannot be made)."""

BACKOFF_FIRST_S = 2.0
"""The longest first wait, seconds (the jitter takes it down to half)."""
BACKOFF_MAX_S = 30.0
"""The longest wait between two rounds of the routes, seconds."""

DEADLINE_KEY = "stratigos_deadline"
"""The run config's ``configurable`` key holding its wall-time deadline (epoch seconds)."""

Clock = Callable[[], float]


@dataclass(frozen=True)
class Pacing:
    """How a model call waits: `clock()` (epoch seconds), `sleep(seconds)`, `jitter()` (a
    number in [0, 1))."""

    clock: Clock = time.time
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = field(default=random.random)


PACING = Pacing()
"""The pacing of the process's model calls (tests put a clock their sleep moves forward)."""


def backoff_wait(rounds: int, jitter: float, retry_after: float | None = None) -> float:
    """Seconds to wait after `rounds` (1 or more) rounds of the routes failed: exponential
    backoff from `BACKOFF_FIRST_S`, doubling, at most `BACKOFF_MAX_S`, its upper half scaled by
    `jitter` ([0, 1)), and never less than `retry_after` (what the service asked for)."""
    ceiling = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (rounds - 1))
    return max(ceiling / 2 * (1 + jitter), retry_after or 0.0)


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
        pacing: Pacing | None = None,
    ) -> None:
        self.role = role
        self.settings = settings or get_settings()
        self.bind = bind
        self.pacing = pacing
        self.routes = list(routes)
        self._runnables: dict[int, Any] = {0: bind(model)}

    def _runnable(self, index: int) -> Any:
        if index not in self._runnables:
            model = chat_model_for(self.role, self.routes[index], self.settings)
            self._runnables[index] = self.bind(model)
        return self._runnables[index]

    def invoke(self, messages: Sequence[BaseMessage], config: Any) -> Any:
        """The first route's reply that comes back, round after round within the call's
        budget (see the module docstring)."""
        pacing = self.pacing or PACING
        deadline = deadline_of(config, self.settings, pacing.clock())
        tried: list[RouteAttempt] = []
        usable = list(range(max(1, len(self.routes))))
        waited = 0.0
        last: ModelCallError | None = None
        for rounds in itertools.count(1):
            waitable: list[ModelCallError] = []
            order = tuple(usable)
            for position, index in enumerate(order):
                begun = pacing.clock()
                history = (
                    readable_history(messages, self.routes[index]) if self.routes else messages
                )
                try:
                    reply = invoke_model(self._runnable(index), history, config, self.role)
                except ModelCallError as exc:
                    if exc.code not in RETRYABLE and not (index and exc.code in ROUTE_REFUSED):
                        raise
                    last = exc
                    tried.append(RouteAttempt(self._name(index), exc.code, exc.attempts,
                                              pacing.clock() - begun))  # fmt: skip
                    if exc.code in ROUTE_REFUSED:
                        usable.remove(index)  # not usable here: never tried again
                    elif exc.code in WAITABLE:
                        waitable.append(exc)
                    if pacing.clock() >= deadline:
                        raise ModelUnavailableError(self.role, tried, budget_spent=True,
                                                    paused=waited) from exc  # fmt: skip
                    if rounds == 1 and position + 1 < len(order):
                        trace_note(
                            f"the {self.role} agent's model {self._name(index)} answered "
                            f"{exc.code} after {exc.attempts} attempts; trying "
                            f"{self._name(order[position + 1])}",
                            "model_fallback",
                        )
                    continue
                if index:
                    _mark_route(reply, self._name(index))
                return reply
            if not waitable or not usable:  # nothing a wait can fix
                raise ModelUnavailableError(self.role, tried, budget_spent=False,
                                            paused=waited) from last  # fmt: skip
            asked = max((exc.retry_after or 0.0) for exc in waitable)
            wait = backoff_wait(rounds, pacing.jitter(), asked)
            left = deadline - pacing.clock()
            if wait >= left:
                raise ModelUnavailableError(self.role, tried, budget_spent=True,
                                            paused=waited) from last  # fmt: skip
            trace_note(self._waiting(rounds, usable, waitable, wait, left), "model_backoff")
            pacing.sleep(wait)
            waited += wait
        raise AssertionError("unreachable")  # pragma: no cover

    def _waiting(
        self,
        rounds: int,
        order: Sequence[int],
        failed: Sequence[ModelCallError],
        wait: float,
        left: float,
    ) -> str:
        """The trace's words for a wait before round `rounds + 1`."""
        routes = ", ".join(self._name(index) for index in order)
        codes = ", ".join(sorted({exc.code for exc in failed}))
        return (
            f"the {self.role} agent's model answered {codes} on every route it may use "
            f"({routes}); "
            f"waiting {wait:.1f} s before trying again (round {rounds + 1}, "
            f"{left:.0f} s of the call's budget left)"
        )

    def _name(self, index: int) -> str:
        return self.routes[index] if self.routes else "its model"


def _mark_route(reply: Any, model_id: str) -> None:
    raw = reply.get("raw") if isinstance(reply, dict) else reply
    metadata = getattr(raw, "response_metadata", None)
    if isinstance(metadata, dict):
        metadata["stratigos_route"] = model_id


__all__ = [
    "BACKOFF_FIRST_S",
    "BACKOFF_MAX_S",
    "DEADLINE_KEY",
    "PACING",
    "RETRYABLE",
    "WAITABLE",
    "Pacing",
    "RoutedModel",
    "backoff_wait",
    "deadline_of",
    "model_routes",
]
