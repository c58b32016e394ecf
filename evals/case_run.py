"""Running a case: a temporary data directory, a case owner, the product's chat graph.

Each case runs in its own temporary data directory (SQLite store, checkpoints, research index),
as the owner `CASE_OWNER`, through `graphs.chat.ChatSession` with the provider's settings
(`provider_settings`). The `Trace` records the tool calls (name, arguments, result), the final
answer, the approval the assistant proposed, the last search run, the model calls and their
tokens, and the wall-clock latency (from an injectable clock).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.outputs import LLMResult

from evals.cases import REPO_ROOT, Case
from settings import Settings
from store import Store

CASE_OWNER = "eval-owner"
"""The owner every case runs as (in its own empty store)."""

Clock = Callable[[], float]
"""Seconds from an arbitrary origin (`time.perf_counter` by default)."""


class ProviderError(ValueError):
    """A `--provider` value that names no provider."""


@dataclass(frozen=True)
class Provider:
    """A model provider to evaluate: `offline`, `bedrock` or `openai`, with a model id (every
    agent role's; None for offline), or for a Claude generation (`name` ``current`` or
    ``previous``) the strong model and the `fast` one, as the model catalog's defaults."""

    kind: str
    model: str | None = None
    fast: str | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        """How reports name it: `offline`, `bedrock:<model-id>`, `bedrock:current`,
        `openai:<model>`."""
        if self.model is None:
            return self.kind
        return f"{self.kind}:{self.name or self.model}"


def parse_provider(text: str) -> Provider:
    """`offline`, `bedrock:<model-id>`, `bedrock:current`, `bedrock:previous` (the current or
    previous Claude generation's strong and fast models, from the model catalog) or
    `openai:<model>` as a `Provider`."""
    from settings.model_catalog import model_catalog

    kind, _, model = text.partition(":")
    if kind == "offline" and not model:
        return Provider("offline")
    if kind == "bedrock" and model in ("current", "previous"):
        strong, fast = model_catalog().generation_ids(model)  # type: ignore[arg-type]
        return Provider("bedrock", strong, fast, model)
    if kind in ("bedrock", "openai") and model:
        return Provider(kind, model)
    raise ProviderError(
        f"unknown provider {text!r}: use offline, bedrock:<model-id>, bedrock:current, "
        "bedrock:previous or openai:<model>"
    )


def provider_settings(base: Settings, provider: Provider, data_dir: Path) -> Settings:
    """`base` with every agent role on `provider`'s model and all state under `data_dir`."""
    update: dict[str, Any] = {
        "data_dir": data_dir,
        "store": base.store.model_copy(update={"backend": "sqlite", "sqlite_path": None}),
        "models": base.models.model_copy(update={"provider": provider.kind, "providers": {}}),
    }
    if provider.kind == "bedrock":
        update["bedrock"] = base.bedrock.model_copy(
            update={
                "strong_model_id": provider.model,
                "fast_model_id": provider.fast or provider.model,
                "model_ids": {},
            }
        )
    elif provider.kind == "openai":
        update["openai"] = base.openai.model_copy(
            update={"strong_model": provider.model, "fast_model": provider.model, "models": {}}
        )
    return base.model_copy(update=update)


@dataclass(frozen=True)
class ToolCall:
    """One tool call of the conversation and its result (`data`: the parsed JSON result, None
    when the tool failed or returned text)."""

    name: str
    args: dict[str, Any]
    result: str
    data: Any
    is_error: bool


@dataclass
class Trace:
    """What a case run produced."""

    case_id: str
    provider: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    answer: str = ""
    """The replies of the last turn, joined by blank lines."""
    user_text: str = ""
    """Every user message of the case, joined (numbers quoted from it need no tool)."""
    proposed: dict[str, Any] | None = None
    """The request of the search the assistant proposed for approval, if any."""
    last_run: dict[str, Any] | None = None
    """The finished search run (`last_run` of the chat state), if any."""
    model_calls: int = 0
    tokens_in: int = 0
    """Prompt tokens neither read from nor written to the prompt cache (Bedrock's inputTokens)."""
    tokens_out: int = 0
    tokens_cache_read: int = 0
    tokens_cache_write: int = 0
    calls: list[tuple[str | None, dict[str, int]]] = field(default_factory=list)
    """Each model call's model id (as its response named it; None when it named none) and its
    tokens (`agents.agent_loop.call_usage`), for pricing each call on its own."""
    latency_s: float = 0.0
    models: list[str] = field(default_factory=list)
    """The model ids the providers' responses named (empty when they name none)."""
    error: str | None = None
    """Why the run stopped early (an exception's type and message), or None."""
    messages: list[Any] = field(default_factory=list)
    """The conversation as the thread holds it (user messages, tool calls and results,
    replies), for the `accounting` scorer."""
    summary: str = ""
    """The summary of the approval the last message asked for (a search or a deployment)."""


class _Usage(BaseCallbackHandler):
    """Records every model call's model id and tokens (`call_usage`: each token once, cache
    reads and writes apart)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, dict[str, int]]] = []

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        from agents.agent_loop import call_usage

        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                metadata = getattr(message, "response_metadata", None) or {}
                model = metadata.get("model_name") or metadata.get("model_id")
                usage = call_usage(message) if message is not None else None
                self.calls.append((str(model) if model else None, usage or {}))

    def total(self, key: str) -> int:
        """The sum of `key` over the calls."""
        return sum(usage.get(key, 0) for _, usage in self.calls)


def _prepare(case: Case, settings: Settings, store: Store) -> None:
    """The owner's profile exclusions, saved portfolios and research documents the case
    needs."""
    for name, weights in case.portfolios.items():
        rows = [{"asset": ticker, "weight": weight} for ticker, weight in weights.items()]
        store.create_portfolio(CASE_OWNER, name, {"weights": rows})
    if case.exclusions:
        from services.profiles import add_exclusion

        for ticker in case.exclusions:
            add_exclusion(store, CASE_OWNER, ticker)
    if case.documents:
        from services.documents import add_document
        from services.research import research_index

        index = research_index(settings)
        for name in case.documents:
            path = REPO_ROOT / name
            add_document(store, index, settings, CASE_OWNER, path.name, path.read_bytes())


def _tool_calls(messages: list[Any]) -> list[ToolCall]:
    results = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    calls = []
    for message in messages:
        if not isinstance(message, AIMessage):
            continue
        for call in message.tool_calls:
            result = results.get(call["id"] or "")
            text = result.text if result is not None else ""
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                data = None
            error = result is None or getattr(result, "status", "success") == "error"
            calls.append(ToolCall(call["name"], dict(call["args"]), text, data, error))
    return calls


def run_case(
    case: Case, provider: Provider, base: Settings, clock: Clock = time.perf_counter
) -> Trace:
    """Run `case` on `provider` in a fresh temporary data directory; the `Trace` of what the
    assistant did (an exception during the conversation is recorded in `Trace.error`).

    A search the conversation ran teaches the case owner's strategy model on a thread after
    its answer (docs/strategy-model.md); the run waits for that learning after it measured the
    latency and before it closes the store and removes the directory the learner writes in."""
    from graphs.chat import ChatSession
    from services.strategy_model import wait_for_learning
    from store.factory import open_store

    trace = Trace(case.id, provider.label, user_text="\n".join(case.turns))
    with tempfile.TemporaryDirectory(prefix="stratigos-eval-") as directory:
        settings = provider_settings(base, provider, Path(directory))
        store = open_store(settings)
        usage = _Usage()
        started = clock()
        try:
            _prepare(case, settings, store)
            # a fixed thread id: the ids the conversation gives its portfolios derive from it, so
            # the same case sends the same requests on every run (recordings replay)
            thread = f"eval-{case.id}"
            session = ChatSession(thread, settings=settings, owner=CASE_OWNER, store=store)
            session.config["callbacks"] = [usage]
            turn = [session.send(text) for text in case.turns][-1]  # a case has >= 1 turn
            if turn.pending is not None:
                trace.proposed = dict(turn.pending.get("request") or {})
                trace.summary = str(turn.pending.get("summary") or "")
                if case.approve is not None:
                    turn = session.decide("edit", changes=case.approve)
            trace.answer = "\n\n".join(turn.replies)
            values = session.snapshot().values
            trace.messages = list(values.get("messages", []))
            trace.tool_calls = _tool_calls(trace.messages)
            trace.last_run = values.get("last_run")
        except Exception as exc:  # a provider failure is a result to report, not a crash
            trace.error = f"{type(exc).__name__}: {exc}"
        finally:
            trace.latency_s = clock() - started
            trace.model_calls = len(usage.calls)
            trace.calls = list(usage.calls)
            trace.tokens_in, trace.tokens_out = (
                usage.total("input_tokens"),
                usage.total("output_tokens"),
            )
            trace.tokens_cache_read = usage.total("cache_read_tokens")
            trace.tokens_cache_write = usage.total("cache_write_tokens")
            trace.models = sorted({model for model, _ in usage.calls if model})
            wait_for_learning(CASE_OWNER)
            store.close()
    return trace
