"""Spans for what a graph does: its nodes, agent turns, model calls and tool calls.

`traced(config, settings)` adds to a graph's run config the callback handler `tracing` asks for:
`GraphSpans` (OpenTelemetry, tracing otlp or xray), LangChain's LangSmith tracer (tracing
langsmith), or nothing (tracing off: the config is returned unchanged).

`GraphSpans` turns LangChain callbacks into spans following the OpenTelemetry GenAI semantic
conventions. Structure (parents from the callbacks' `parent_run_id`, so threads do not matter):
the span current when the handler was made (the run, chat turn or job) -> `node {name}` for each
graph node (`langgraph.node`, `langgraph.step`) -> `invoke_agent {agent}` for an agent's tool
loop (a subgraph inside a node whose metadata names an agent) -> `node model` / `node tools` ->
`chat {model}` (a CLIENT span: gen_ai.operation.name `chat`, provider, request and response model,
``gen_ai.request.max_tokens``, ``server.address``, ``gen_ai.conversation.id`` (the thread or run),
input tokens (the whole prompt, cached tokens included as the GenAI conventions ask) with
``gen_ai.usage.cache_read.input_tokens`` and ``gen_ai.usage.cache_creation.input_tokens``
apart, output tokens, finish reasons) and `execute_tool {tool}` (tool name and call id). Each
model call also records the GenAI client metrics on `settings.tracing.meter()`:
``gen_ai.client.token.usage`` (input and output tokens) and ``gen_ai.client.operation.duration``
(seconds, with ``error.type`` when it failed). Chain runs
that are not nodes (LangGraph's internal runnables) get no span; their children attach to the
nearest ancestor that has one. Every span carries the enclosing `stratigos.*` ids. Prompts,
completions, tool arguments and results are added only with `trace_content` on.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS
from opentelemetry.trace import Span, SpanKind

from agents.agent_loop import call_usage
from settings import Settings
from settings.tracing import carried_attributes, meter, set_error, tracer

_PROVIDERS = {
    "ChatBedrockConverse": "aws.bedrock",
    "ChatBedrock": "aws.bedrock",
    "ChatOpenAI": "openai",
    "OfflineChatModel": "offline",
}
"""`gen_ai.provider.name` by LangChain chat model class (the last element of its id)."""
_LS_PROVIDERS = {"amazon_bedrock": "aws.bedrock", "bedrock": "aws.bedrock"}
"""... else by the model's LangSmith `ls_provider` (another class of a known provider)."""


class GraphSpans(BaseCallbackHandler):
    """LangChain callbacks -> OpenTelemetry spans (see the module docstring)."""

    raise_error = False  # a tracing failure never fails a run
    run_inline = True

    def __init__(self, *, content: bool = False) -> None:
        self.content = content
        self._parent = otel_context.get_current()
        self._attributes = dict(carried_attributes())
        self._spans: dict[UUID, Span] = {}
        self._anchor: dict[UUID, UUID | None] = {}  # a span-less run -> nearest spanned ancestor
        self._calls: dict[UUID, tuple[float, dict[str, Any]]] = {}  # model call -> start, attrs
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing

    def _context(self, parent_run_id: UUID | None) -> otel_context.Context:
        with self._lock:
            anchor = parent_run_id
            while anchor is not None and anchor not in self._spans:
                anchor = self._anchor.get(anchor)
            parent = self._spans.get(anchor) if anchor is not None else None
        return trace.set_span_in_context(parent, self._parent) if parent else self._parent

    def _start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        name: str,
        attributes: Mapping[str, Any],
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> Span:
        span = tracer().start_span(
            name,
            context=self._context(parent_run_id),
            kind=kind,
            attributes={**self._attributes, **attributes},
        )
        with self._lock:
            self._spans[run_id] = span
        return span

    def _skip(self, run_id: UUID, parent_run_id: UUID | None) -> None:
        with self._lock:
            self._anchor[run_id] = parent_run_id

    def _end(self, run_id: UUID, error: BaseException | None = None) -> None:
        with self._lock:
            self._anchor.pop(run_id, None)
            span = self._spans.pop(run_id, None)
        if span is not None:
            if error is not None:
                set_error(span, error)
            span.end()

    def _content(self, span: Span, key: str, value: Any) -> None:
        if self.content and span.is_recording():
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            span.set_attribute(key, text)

    # ------------------------------------------------------------------ graph nodes

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        metadata = metadata or {}
        node = metadata.get("langgraph_node")
        agent = metadata.get("agent")
        if node is not None and name == node:
            attributes = {"langgraph.node": node, "langgraph.step": metadata.get("langgraph_step")}
            self._start(run_id, parent_run_id, f"node {node}", _present(attributes))
        elif parent_run_id is not None and agent and name == "LangGraph":
            attributes = {
                gen_ai.GEN_AI_OPERATION_NAME: "invoke_agent",
                gen_ai.GEN_AI_AGENT_NAME: agent,
            }
            self._start(run_id, parent_run_id, f"invoke_agent {agent}", attributes)
        else:
            self._skip(run_id, parent_run_id)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        if type(error).__name__ == "GraphInterrupt":
            self._end(run_id)  # a pause for approval, not a failure
        else:
            self._end(run_id, error)

    # ------------------------------------------------------------------ model calls

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        invocation_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        metadata = metadata or {}
        params = invocation_params or {}
        model = (
            metadata.get("ls_model_name")
            or params.get("model_name")
            or params.get("model")
            or params.get("model_id")
            or "unknown"
        )
        cls = str(((serialized or {}).get("id") or ["unknown"])[-1])
        ls_provider = str(metadata.get("ls_provider") or cls)
        provider = _PROVIDERS.get(cls) or _LS_PROVIDERS.get(ls_provider, ls_provider)
        common = _present({
            gen_ai.GEN_AI_OPERATION_NAME: "chat",
            gen_ai.GEN_AI_PROVIDER_NAME: provider,
            gen_ai.GEN_AI_REQUEST_MODEL: str(model),
            SERVER_ADDRESS: _server_address(serialized),
        })  # fmt: skip
        conversation = (  # the thread its user knows, else the graph's thread, else the run
            self._attributes.get("stratigos.thread_id")
            or metadata.get("thread_id")
            or self._attributes.get("stratigos.run_id")
        )
        max_tokens = metadata.get("ls_max_tokens") or params.get("max_tokens")
        span = self._start(
            run_id,
            parent_run_id,
            f"chat {model}",
            {
                **common,
                **_present({
                    gen_ai.GEN_AI_REQUEST_MAX_TOKENS: max_tokens,
                    gen_ai.GEN_AI_CONVERSATION_ID: conversation,
                }),
            },
            kind=SpanKind.CLIENT,
        )  # fmt: skip
        with self._lock:
            self._calls[run_id] = (time.perf_counter(), common)
        if messages:
            self._content(span, gen_ai.GEN_AI_INPUT_MESSAGES, [_message(m) for m in messages[0]])

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            span = self._spans.get(run_id)
            call = self._calls.pop(run_id, None)
        usage = _usage(response)
        if call is not None:
            _record_metrics(call, usage, _response_model(response))
        if span is not None:
            _record_response(span, response, usage)
            generations = [g for batch in response.generations for g in batch]
            self._content(
                span,
                gen_ai.GEN_AI_OUTPUT_MESSAGES,
                [_message(g.message) for g in generations if isinstance(g, ChatGeneration)],
            )
        self._end(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            call = self._calls.pop(run_id, None)
        if call is not None:
            started, attributes = call
            _instruments().duration.record(
                time.perf_counter() - started, {**attributes, "error.type": type(error).__name__}
            )
        self._end(run_id, error)

    # ------------------------------------------------------------------ tool calls

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        name: str | None = None,
        inputs: dict[str, Any] | None = None,
        tool_call_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        tool = name or (serialized or {}).get("name") or "tool"
        attributes = {
            gen_ai.GEN_AI_OPERATION_NAME: "execute_tool",
            gen_ai.GEN_AI_TOOL_NAME: tool,
            gen_ai.GEN_AI_TOOL_CALL_ID: tool_call_id,
        }
        span = self._start(run_id, parent_run_id, f"execute_tool {tool}", _present(attributes))
        self._content(span, gen_ai.GEN_AI_TOOL_CALL_ARGUMENTS, inputs if inputs else input_str)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            span = self._spans.get(run_id)
        if span is not None:
            self._content(span, gen_ai.GEN_AI_TOOL_CALL_RESULT, getattr(output, "content", output))
        self._end(run_id)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error)


def _present(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if v is not None}


def _message(message: BaseMessage) -> dict[str, Any]:
    entry: dict[str, Any] = {"role": message.type, "content": message.content}
    if calls := getattr(message, "tool_calls", None):
        entry["tool_calls"] = calls
    return entry


def _usage(response: LLMResult) -> dict[str, int]:
    """The call's tokens, each once (`agents.agent_loop.call_usage`), summed over generations."""
    totals: dict[str, int] = {}
    for batch in response.generations:
        for generation in batch:
            message = getattr(generation, "message", None)
            found = call_usage(message) if message is not None else None
            for key, value in (found or {}).items():
                totals[key] = totals.get(key, 0) + value
    return totals


def _response_model(response: LLMResult) -> str | None:
    for batch in response.generations:
        for generation in batch:
            meta = getattr(getattr(generation, "message", None), "response_metadata", None) or {}
            model = meta.get("model_name") or meta.get("model_id") or meta.get("model")
            if model:
                return str(model)
    return None


def _record_response(span: Span, response: LLMResult, usage: Mapping[str, int]) -> None:
    """Response model, token use and finish reasons, from the Bedrock Converse (`stopReason`,
    `model_id`), OpenAI (`finish_reason`, `model_name`) and offline shapes. Input tokens are the
    whole prompt (cached tokens included, as the GenAI conventions ask), with cache reads and
    writes also apart."""
    reasons: list[str] = []
    for batch in response.generations:
        for generation in batch:
            meta = getattr(getattr(generation, "message", None), "response_metadata", None) or {}
            info = generation.generation_info or {}
            reason = (
                meta.get("stopReason") or meta.get("finish_reason") or info.get("finish_reason")
            )
            if reason:
                reasons.append(str(reason))
    model = _response_model(response)
    if model:
        span.set_attribute(gen_ai.GEN_AI_RESPONSE_MODEL, model)
    if usage:
        read, written = usage.get("cache_read_tokens", 0), usage.get("cache_write_tokens", 0)
        span.set_attribute(gen_ai.GEN_AI_USAGE_INPUT_TOKENS, usage["input_tokens"] + read + written)
        span.set_attribute(gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS, usage["output_tokens"])
        span.set_attribute(gen_ai.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, read)
        span.set_attribute(gen_ai.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, written)
    if reasons:
        span.set_attribute(gen_ai.GEN_AI_RESPONSE_FINISH_REASONS, reasons)


def _server_address(serialized: Mapping[str, Any] | None) -> str | None:
    """The host a model call goes to: the configured endpoint or base URL's, else Bedrock's
    regional host; None for a model without a server (the offline model)."""
    kwargs = (serialized or {}).get("kwargs") or {}
    for key in ("endpoint_url", "base_url", "openai_api_base"):
        url = kwargs.get(key)
        if isinstance(url, str) and url:
            return urlsplit(url).hostname
    region = kwargs.get("region_name")
    if isinstance(region, str) and region:
        return f"bedrock-runtime.{region}.amazonaws.com"
    if str(((serialized or {}).get("id") or [""])[-1]) == "ChatOpenAI":
        return "api.openai.com"
    return None


@dataclass(frozen=True)
class _Instruments:
    tokens: Any
    duration: Any


_made: list[tuple[Any, _Instruments]] = []
"""The meter the instruments were made on, held (so that no later meter can take its id), and
the instruments."""


def _instruments() -> _Instruments:
    """The GenAI client metrics' instruments on the current meter (made once per meter)."""
    current = meter()
    if _made and _made[0][0] is current:
        return _made[0][1]
    found = _Instruments(
        tokens=current.create_histogram(
            "gen_ai.client.token.usage", unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=[4.0**i for i in range(14)],
        ),
        duration=current.create_histogram(
            "gen_ai.client.operation.duration", unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=[0.01 * 2**i for i in range(14)],
        ),
    )  # fmt: skip
    _made[:] = [(current, found)]
    return found


def _record_metrics(
    call: tuple[float, dict[str, Any]], usage: Mapping[str, int], model: str | None
) -> None:
    started, attributes = call
    attributes = {**attributes, **({gen_ai.GEN_AI_RESPONSE_MODEL: model} if model else {})}
    instruments = _instruments()
    instruments.duration.record(time.perf_counter() - started, attributes)
    if usage:
        prompt = (
            usage["input_tokens"]
            + usage.get("cache_read_tokens", 0)
            + usage.get("cache_write_tokens", 0)
        )
        instruments.tokens.record(prompt, {**attributes, gen_ai.GEN_AI_TOKEN_TYPE: "input"})
        instruments.tokens.record(
            usage["output_tokens"], {**attributes, gen_ai.GEN_AI_TOKEN_TYPE: "output"}
        )


@contextmanager
def traced(config: dict[str, Any], settings: Settings) -> Iterator[dict[str, Any]]:
    """`config` with the tracing callback handler `settings.tracing` asks for added to its
    callbacks (the same `config` when tracing is off). With LangSmith, its runs are sent before
    the block ends."""
    existing = list(config.get("callbacks") or [])
    if settings.tracing.exporter in ("otlp", "xray"):
        yield {**config, "callbacks": [*existing, GraphSpans(content=settings.tracing.content)]}
    elif settings.tracing.exporter == "langsmith":
        handler = _langsmith(settings)
        try:
            yield {**config, "callbacks": [*existing, handler]}
        finally:
            handler.wait_for_futures()  # the client's flush
    else:
        yield config


def _langsmith(settings: Settings) -> Any:
    """LangChain's LangSmith tracer on a client for `langsmith_endpoint` (inputs and outputs
    hidden unless `trace_content`)."""
    from langchain_core.tracers.langchain import LangChainTracer
    from langsmith import Client

    key = settings.tracing.langsmith.api_key
    hide = not settings.tracing.content
    client = Client(
        api_url=settings.tracing.langsmith.endpoint,
        api_key=key.get_secret_value() if key is not None else None,
        hide_inputs=hide,
        hide_outputs=hide,
    )
    return LangChainTracer(project_name=settings.tracing.langsmith.project, client=client)
