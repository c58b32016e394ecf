"""`OfflineChatModel`: a deterministic chat model that runs without network or credentials.

It is a rules engine, not a language model: each call hands the conversation to the policy of its
agent role (`agents.offline.policies`), which picks the next tool call or composes an answer from
tool outputs. It behaves like a real chat model towards LangChain and LangGraph:

- `bind_tools` stores OpenAI-format tool schemas and a tool choice (``"auto"``, ``"none"``,
  ``"any"``/``"required"``, a tool name, or an OpenAI/Anthropic-style dict naming a tool);
  `with_structured_output` (LangChain's default, built on `bind_tools`) therefore works for
  pydantic models and JSON-schema dicts.
- `stream` / `astream` yield the text in several chunks and each tool call as `tool_call_chunks`
  (name and id first, the JSON arguments split over several chunks), so ``stream_mode="messages"``
  and `astream_events` show tool calls and the merged message has complete `tool_calls`.
- Every reply carries `usage_metadata` estimated as ceil(characters / 4) for input (messages and
  tool schemas) and output (text and tool-call JSON), so token budgets work offline.

Determinism: the same messages, tools and tool choice give the same reply; tool-call ids are
``call_<role>_<digest>_<n>`` with the digest a hash of the conversation. The message id is left to
LangChain (a run id), so replies never collide in a LangGraph ``add_messages`` state.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import ToolCall, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field

from agents.offline.policies import Policy, PolicyInput, get_policy
from settings import patterns

ToolLike = dict[str, Any] | type | Callable[..., Any] | BaseTool


class OfflineChatModel(BaseChatModel):
    """Deterministic rules-engine chat model for one agent role (see the module docstring).

    `policy` overrides the registered policy of `role` (handy in tests); `text_chunk_words` and
    `args_chunk_chars` set the streaming granularity (10 words and 48 characters of a tool
    call's arguments a piece: a reply still streams in pieces, each of which every stream
    listener, trace and callback handles, so finer pieces only cost time).
    """

    role: str = "supervisor"
    policy: Policy | None = Field(default=None, exclude=True)
    text_chunk_words: int = Field(default=10, ge=1)
    args_chunk_chars: int = Field(default=48, ge=1)

    @property
    def _llm_type(self) -> str:
        return "stratigos-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "role": self.role}

    @property
    def model_name(self) -> str:
        """Name reported in `response_metadata` and run manifests: ``offline-<role>``."""
        return f"offline-{self.role}"

    # ----------------------------------------------------------------------------------------
    # Tools
    # ----------------------------------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (converted with `convert_to_openai_tool`) and an optional tool choice.

        Raises ValueError when the tool choice names a tool that is not bound.
        """
        key = self._bound_key(
            ("tools", tuple(_format_key(tool) for tool in tools), tool_choice, *kwargs.items())
        )
        bound = _BOUND.get(key) if key is not None else None
        if bound is not None:
            return bound
        formatted = [openai_tool(tool) for tool in tools]
        names = [tool["function"]["name"] for tool in formatted]
        choice = normalise_tool_choice(tool_choice, names)
        bound = self.bind(tools=formatted, tool_choice=choice, **kwargs)
        return _remember(key, bound) if key is not None else bound

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """LangChain's `with_structured_output` (built on `bind_tools`), made once per model
        settings, schema class and options (see `_bound_key`)."""
        key = self._bound_key(("structured", schema, include_raw, *kwargs.items()))
        made = _BOUND.get(key) if key is not None else None
        if made is not None:
            return made
        made = super().with_structured_output(schema, include_raw=include_raw, **kwargs)
        return _remember(key, made) if key is not None else made

    def _bound_key(self, what: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The key under which a runnable this model binds (`what`: its tools or schema, tool
        choice and options) is remembered for every model of the same settings, or None when
        it is not: a model with a policy, callbacks, a cache or other objects of its own, a tool
        without a schema class, a JSON-schema dict. Agents bind their tools and their decision
        schema on every call, each time to a new model of their role; building the runnable
        (the tools' copies, a generic pydantic model for the structured output) was ~0.2 ms a
        call, and a bound runnable holds nothing of a call."""
        fields = tuple(self.__dict__.items())
        if any(value is not None for name, value in fields if name in _OWN_OBJECTS):
            return None
        if what[0] == "tools" and None in what[1]:
            return None
        key = (type(self), repr(fields), what)
        try:
            hash(key)
        except TypeError:
            return None
        return key

    # ----------------------------------------------------------------------------------------
    # Generation
    # ----------------------------------------------------------------------------------------

    def decide(
        self,
        messages: list[BaseMessage],
        tools: Sequence[dict[str, Any]] | None = None,
        tool_choice: str | None = None,
    ) -> AIMessage:
        """Run the policy and return its checked reply, with ids, metadata and usage filled in."""
        tools = list(tools or [])
        tool_choice = tool_choice or requested_decision(messages, tools)
        inp = PolicyInput(
            role=self.role, messages=list(messages), tools=tools, tool_choice=tool_choice
        )
        policy = self.policy or get_policy(self.role)
        raw = policy(inp)
        if not isinstance(raw, AIMessage):
            raise TypeError(f"policy of role {self.role!r} returned {type(raw).__name__}")
        content = raw.content if isinstance(raw.content, str) else _text_of(raw.content)
        calls = self._checked_calls(raw.tool_calls, inp)
        digest = _digest(self.role, messages, tools, tool_choice)
        calls = [
            ToolCall(
                name=call["name"],
                args=call["args"],
                id=call.get("id") or f"call_{self.role}_{digest[:10]}_{n}",
                type="tool_call",
            )
            for n, call in enumerate(calls)
        ]
        output_chars = len(content) + sum(len(json.dumps(c["args"])) for c in calls)
        return AIMessage(
            content=content,
            tool_calls=calls,
            usage_metadata=_usage(_input_chars(messages, tools), output_chars),
            response_metadata={
                "model_name": self.model_name,
                "model_provider": "offline",
                "finish_reason": "tool_calls" if calls else "stop",
            },
        )

    def _checked_calls(self, calls: list[ToolCall], inp: PolicyInput) -> list[ToolCall]:
        bound = set(inp.tool_names)
        for call in calls:
            if call["name"] not in bound:
                raise ValueError(
                    f"policy of role {self.role!r} called tool {call['name']!r}, which is not "
                    f"bound; bound tools: {sorted(bound)}"
                )
        if inp.tool_choice == "none" and calls:
            raise ValueError(f"policy of role {self.role!r} called a tool with tool_choice='none'")
        if inp.must_call_tool and not calls:
            raise ValueError(
                f"policy of role {self.role!r} must call a tool (tool_choice={inp.tool_choice!r})"
            )
        forced = inp.forced_tool
        if forced is not None and not any(call["name"] == forced for call in calls):
            raise ValueError(f"policy of role {self.role!r} must call the forced tool {forced!r}")
        return calls

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """One reply (`stop` is ignored: replies are composed, not sampled)."""
        message = self.decide(messages, kwargs.get("tools"), kwargs.get("tool_choice"))
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, None, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Text pieces, then tool-call chunks, then a last empty chunk with usage and metadata.

        LangChain's `stream`/`invoke` report each chunk to the callbacks (``on_llm_new_token``),
        which is what LangGraph's ``messages`` mode and `astream_events` listen to.
        """
        message = self.decide(messages, kwargs.get("tools"), kwargs.get("tool_choice"))
        for piece in _split_words(_text_of(message.content), self.text_chunk_words):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        for index, call in enumerate(message.tool_calls):
            args = json.dumps(call["args"])
            pieces = [
                args[i : i + self.args_chunk_chars]
                for i in range(0, len(args), self.args_chunk_chars)
            ]
            for n, piece in enumerate(pieces or [""]):
                chunk = tool_call_chunk(
                    name=call["name"] if n == 0 else None,
                    args=piece,
                    id=call["id"] if n == 0 else None,
                    index=index,
                )
                yield ChatGenerationChunk(
                    message=AIMessageChunk(content="", tool_call_chunks=[chunk])
                )
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=message.usage_metadata,
                response_metadata=dict(message.response_metadata),
                chunk_position="last",
            )
        )

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._stream(messages, stop, None, **kwargs):
            yield chunk


def requested_decision(
    messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]]
) -> str | None:
    """The decision tool the conversation asks for when the tool choice is free: the latest
    message asks for a decision as ``{schema}`` (`DECISION_PROMPT`, `RETRY_PROMPT`) and a tool
    of that name is bound. An instruction-following model calls it, which is how decisions come
    back from models that refuse forced tool choice (the tool is bound under ``auto``)."""
    from agents.conversation_texts import DECISION_PROMPT, RETRY_PROMPT

    if not messages or not isinstance(messages[-1], HumanMessage):
        return None
    text = messages[-1].text
    names = {str(tool["function"]["name"]) for tool in tools}
    for template in (DECISION_PROMPT, RETRY_PROMPT):
        head, _, tail = template.rpartition("{schema}")
        if text.startswith(head.split("{")[0]) and text.endswith(tail):
            name = text[: len(text) - len(tail)].rsplit(" ", 1)[-1]
            if name in names:
                return name
    return None


def normalise_tool_choice(
    tool_choice: str | bool | dict[str, Any] | None, names: Sequence[str]
) -> str | None:
    """``None`` / ``"none"`` / ``"any"`` / a bound tool's name, from the usual spellings.

    Accepts ``"auto"`` (-> None), ``"none"``, ``"any"``, ``"required"`` or ``True`` (-> "any"), a
    tool name, ``{"type": "function", "function": {"name": ...}}``, ``{"type": "tool", "name":
    ...}``, ``{"type": "any"|"auto"|"none"}``.
    """
    choice: Any = tool_choice
    if isinstance(choice, dict):
        if "function" in choice:
            choice = choice["function"].get("name")
        elif "name" in choice:
            choice = choice["name"]
        else:
            choice = choice.get("type")
    if choice is None or choice is False or choice == "auto":
        return None
    if choice is True or choice in ("any", "required"):
        if not names:
            raise ValueError("tool_choice requires a tool call but no tools are bound")
        return "any"
    if choice == "none":
        return "none"
    if isinstance(choice, str) and choice in names:
        return choice
    raise ValueError(
        f"tool_choice {tool_choice!r} does not name a bound tool; bound: {list(names)}"
    )


_SPACED_WORD = patterns.compile(r"\s*\S+\s*")


def _split_words(text: str, words_per_chunk: int) -> list[str]:
    tokens = _SPACED_WORD.findall(text) or ([text] if text else [])
    return [
        "".join(tokens[i : i + words_per_chunk]) for i in range(0, len(tokens), words_per_chunk)
    ]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "".join(parts)


def _message_record(message: BaseMessage) -> dict[str, Any]:
    record: dict[str, Any] = {"type": message.type, "content": _text_of(message.content)}
    if isinstance(message, AIMessage) and message.tool_calls:
        record["tool_calls"] = [[c["name"], c["args"], c.get("id")] for c in message.tool_calls]
    if isinstance(message, ToolMessage):
        record["tool_call_id"] = message.tool_call_id
    return record


def _digest(
    role: str, messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]], choice: Any
) -> str:
    payload = {
        "role": role,
        "messages": [_message_record(m) for m in messages],
        "tools": [t["function"]["name"] for t in tools],
        "tool_choice": choice,
    }
    encoded = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def input_tokens(messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]] = ()) -> int:
    """The offline model's estimate of the input tokens of `messages` and `tools` (what its
    replies report as ``input_tokens``): ceil(characters / 4), at least 1."""
    return _usage(_input_chars(messages, tools), 0)["input_tokens"]


def estimate_tokens(text: str) -> int:
    """The offline model's estimate of the tokens of `text`: ceil(characters / 4), at least 1."""
    return max(1, math.ceil(len(text) / 4))


def _input_chars(messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]]) -> int:
    chars = 0
    for message in messages:
        chars += len(_text_of(message.content))
        if isinstance(message, AIMessage):
            chars += sum(len(c["name"]) + len(json.dumps(c["args"])) for c in message.tool_calls)
    return chars + sum(
        tool.chars if isinstance(tool, _FormattedTool) else len(json.dumps(tool)) for tool in tools
    )


def _usage(input_chars: int, output_chars: int) -> UsageMetadata:
    """Token counts estimated as ceil(characters / 4), at least 1 each."""
    inp = max(1, math.ceil(input_chars / 4))
    out = max(1, math.ceil(output_chars / 4))
    return UsageMetadata(input_tokens=inp, output_tokens=out, total_tokens=inp + out)


_FORMATTED: dict[tuple[Any, ...], dict[str, Any] | str] = {}
"""`openai_tool`'s conversions: the JSON text of each (copied by parsing it, a few times faster
than a deep copy), or the dict itself when JSON would not give it back as it is."""
_FORMATTED_LIMIT = 1024


def openai_tool(tool: ToolLike) -> dict[str, Any]:
    """`convert_to_openai_tool(tool)` (a fresh copy), remembered per tool class, name,
    description and argument schema (or per decision schema): what the conversion reads. Agents
    bind their tools on every model call and a tool's JSON schema is rebuilt each time
    otherwise (a subset pydantic model, then its JSON schema)."""
    key = _format_key(tool)
    if key is None:
        return convert_to_openai_tool(tool)
    formatted = _FORMATTED.get(key)
    if formatted is None:
        if len(_FORMATTED) >= _FORMATTED_LIMIT:
            _FORMATTED.clear()
        converted = convert_to_openai_tool(tool)
        text = json.dumps(converted)
        formatted = _FORMATTED[key] = text if json.loads(text) == converted else converted
    if isinstance(formatted, str):
        return _FormattedTool(json.loads(formatted), chars=len(formatted))
    return copy.deepcopy(formatted)


class _FormattedTool(dict[str, Any]):
    """A tool as `openai_tool` gives it, knowing the length of its JSON text (what the token
    estimate counts; measuring it again on every model call was a twentieth of a decision)."""

    def __init__(self, tool: dict[str, Any], *, chars: int) -> None:
        super().__init__(tool)
        self.chars = chars


_BOUND: dict[tuple[Any, ...], Runnable[Any, Any]] = {}
"""The runnables `OfflineChatModel.bind_tools` and `with_structured_output` made, by
`OfflineChatModel._bound_key`."""

_BOUND_LIMIT = 256

_OWN_OBJECTS = frozenset(("policy", "callbacks", "cache", "rate_limiter", "custom_get_token_ids"))
"""Fields of a model whose objects (a function, a handler) make its bound runnables its own."""


def _remember(key: tuple[Any, ...], runnable: Runnable[Any, Any]) -> Runnable[Any, Any]:
    if len(_BOUND) >= _BOUND_LIMIT:
        _BOUND.clear()
    _BOUND[key] = runnable
    return runnable


def _format_key(tool: Any) -> tuple[Any, ...] | None:
    if isinstance(tool, type) and issubclass(tool, BaseModel):
        return ("schema", tool)
    if isinstance(tool, BaseTool):
        schema = tool.args_schema
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return ("tool", type(tool), tool.name, tool.description, schema)
    return None
