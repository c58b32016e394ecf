"""Bedrock Converse requests in, offline-model replies out.

`parse_request` checks a Converse / ConverseStream request body and translates it into what the
offline model takes: LangChain messages, OpenAI-format tool schemas and a tool choice. The agent
role that answers is picked by `identify_role`. `converse_response` and `stream_events` translate
the model's reply back into Bedrock's response shapes.

Translation (Bedrock -> LangChain):

- ``system`` text blocks -> `SystemMessage`s.
- langchain-aws merges runs of consecutive messages of one kind into one, joined by newlines
  (``[System(prompt), System(chat mode)]`` -> one system block, ``[Human(task), Human(ask)]`` ->
  one text). `split_merged_text` cuts such texts again where the Stratigos agents always start
  a new message (`message_boundaries`), so the offline model sees the same messages as when it
  is called directly and gives the same replies.
- a ``user`` turn -> a `ToolMessage` per ``toolResult`` block (its text or JSON content, its
  status, the name of the matching ``toolUse``) and a `HumanMessage` per text block (per
  segment of a merged text), in block order.
- an ``assistant`` turn -> an `AIMessage` with the joined text and a tool call per ``toolUse``
  block (id, name, input).
- ``toolConfig.tools[].toolSpec`` -> ``{"type": "function", "function": {name, description,
  parameters}}``; ``toolChoice`` ``auto`` / ``any`` / ``tool {name}`` -> ``"auto"`` / ``"any"`` /
  the name.
- ``inferenceConfig`` is validated and otherwise ignored: the offline model is deterministic.

Errors are `BedrockError`s carrying Bedrock's error type and HTTP status (``ValidationException``
400 for malformed requests, ``ModelErrorException`` 424 when the offline model cannot comply,
``ResourceNotFoundException`` 404 for an unknown ``stratigos-offline-<role>`` model id).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import ToolCall

import agents.offline.workflow_policies  # noqa: F401  (registers the workflow and chat rules)
from agents.offline.model import OfflineChatModel
from prompts import load_prompt
from prompts.roles import AGENT_ROLES

OFFLINE_MODEL_PREFIX = "stratigos-offline-"
"""A model id ``stratigos-offline-<role>`` selects the role directly."""

FALLBACK_ROLE = "supervisor"
"""The role that answers when neither the model id nor the system prompt names one."""

_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class BedrockError(Exception):
    """An error answered in Bedrock's shape: HTTP `status`, `error_type` (the
    ``x-amzn-ErrorType`` header) and a ``{"message": ...}`` body."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status


def _invalid(message: str) -> BedrockError:
    return BedrockError("ValidationException", message, 400)


@dataclass(frozen=True)
class ConverseCall:
    """A checked Converse request, ready for the offline model.

    `tools` are OpenAI-format schemas; `tool_choice` is ``None`` (no tools), ``"auto"``,
    ``"any"`` or a tool name; `inference_config` is kept for reference only.
    """

    model_id: str
    role: str
    messages: list[BaseMessage]
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | None = None
    inference_config: dict[str, Any] = field(default_factory=dict)
    cached_prefix: str | None = None
    """The system text before a ``cachePoint`` block, when the request has one."""


# --------------------------------------------------------------------------------------------
# Roles and system prompts
# --------------------------------------------------------------------------------------------


def role_prompts() -> dict[str, str]:
    """``{role: system prompt text}`` of every agent role (read from `prompts/` each call)."""
    return {role: load_prompt(role).text for role in AGENT_ROLES}


@dataclass(frozen=True)
class MessageBoundaries:
    """What marks the agents' separate messages inside a text that langchain-aws merged.

    `whole` are texts always sent as a message of their own (the role prompts, the chat-mode
    instruction); `starts` are prefixes that always begin a new message (those texts, the
    ``LAST_RUN:`` context of the chat, the runner's requests for a decision).
    """

    whole: frozenset[str]
    starts: tuple[str, ...]


def message_boundaries() -> MessageBoundaries:
    """The boundaries of the Stratigos agents' messages (read from the prompts and agents)."""
    from agents.chat import CHAT_MODE, LAST_RUN_MARKER
    from agents.runner import DECISION_PROMPT, RETRY_PROMPT

    whole = {*role_prompts().values(), CHAT_MODE}
    starts = {
        *whole,
        LAST_RUN_MARKER,
        DECISION_PROMPT.split("{")[0],
        RETRY_PROMPT.split("{")[0],
    }
    return MessageBoundaries(
        whole=frozenset(whole),
        starts=tuple(sorted((s for s in starts if s), key=len, reverse=True)),
    )


def split_merged_text(text: str, boundaries: MessageBoundaries | None = None) -> list[str]:
    """Undo langchain-aws's merging of consecutive messages of one kind (joined by ``"\n"``).

    langchain-aws runs `merge_message_runs` before calling Converse, so ``[System(P),
    System(C)]`` arrives as one system block ``"P\nC"`` and ``[Human(task), Human(ask)]`` as one
    text ``"task\nask"``. The text is cut at a newline when the text before it (since the last
    cut) is one of `boundaries.whole`, or the text after it starts with one of
    `boundaries.starts`; the newline itself is dropped. Other texts come back whole.
    """
    boundaries = boundaries or message_boundaries()
    segments: list[str] = []
    begin = 0
    position = text.find("\n")
    while position != -1:
        after = text[position + 1 :]
        if text[begin:position] in boundaries.whole or after.startswith(boundaries.starts):
            segments.append(text[begin:position])
            begin = position + 1
        position = text.find("\n", position + 1)
    segments.append(text[begin:])
    return segments


def identify_role(model_id: str, system_texts: Sequence[str]) -> str:
    """The agent role that answers a request.

    1. A model id ``stratigos-offline-<role>`` names it (an unknown role is a
       ``ResourceNotFoundException``).
    2. Else the role whose prompt the first system text starts with (the longest such prompt).
    3. Else `FALLBACK_ROLE` (``"supervisor"``).

    Several roles share one Bedrock model id (the strong and fast tiers), so the model id alone
    cannot tell them apart; the system prompt can.
    """
    if model_id.startswith(OFFLINE_MODEL_PREFIX):
        role = model_id[len(OFFLINE_MODEL_PREFIX) :]
        if role not in AGENT_ROLES:
            raise BedrockError(
                "ResourceNotFoundException",
                f"model {model_id!r} names no agent role; known roles: {', '.join(AGENT_ROLES)}",
                404,
            )
        return role
    if system_texts:
        first = system_texts[0]
        matches = [
            (len(text), role) for role, text in role_prompts().items() if first.startswith(text)
        ]
        if matches:
            return max(matches)[1]
    return FALLBACK_ROLE


# --------------------------------------------------------------------------------------------
# Request -> LangChain
# --------------------------------------------------------------------------------------------


def _only_key(block: Any, where: str) -> str:
    if not isinstance(block, dict) or len(block) != 1:
        raise _invalid(f"{where} must be an object with exactly one member; got {block!r:.200}")
    return str(next(iter(block)))


def _system_texts(system: Any) -> list[str]:
    if system is None:
        return []
    if not isinstance(system, list):
        raise _invalid("system must be a list of content blocks")
    texts = []
    for i, block in enumerate(system):
        key = _only_key(block, f"system[{i}]")
        if key == "cachePoint":
            continue
        if key != "text" or not isinstance(block["text"], str):
            raise _invalid(
                f"system[{i}]: the local endpoint supports text blocks only, got {key!r}"
            )
        texts.append(block["text"])
    return texts


def _tool_result_text(result: dict[str, Any], where: str) -> str:
    content = result.get("content")
    if not isinstance(content, list) or not content:
        raise _invalid(f"{where}.content must be a non-empty list")
    parts = []
    for j, block in enumerate(content):
        key = _only_key(block, f"{where}.content[{j}]")
        if key == "text" and isinstance(block["text"], str):
            parts.append(block["text"])
        elif key == "json":
            parts.append(json.dumps(block["json"]))
        else:
            raise _invalid(f"{where}.content[{j}]: only text and json blocks are supported")
    return "".join(parts)


def _user_turn(
    content: list[Any],
    where: str,
    tool_names: dict[str, str],
    boundaries: MessageBoundaries,
) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for j, block in enumerate(content):
        key = _only_key(block, f"{where}.content[{j}]")
        if key == "cachePoint":
            continue
        if key == "text":
            if not isinstance(block["text"], str):
                raise _invalid(f"{where}.content[{j}].text must be a string")
            out.extend(HumanMessage(t) for t in split_merged_text(block["text"], boundaries))
        elif key == "toolResult":
            result = block["toolResult"]
            if not isinstance(result, dict) or not isinstance(result.get("toolUseId"), str):
                raise _invalid(f"{where}.content[{j}].toolResult needs a toolUseId string")
            call_id = result["toolUseId"]
            if call_id not in tool_names:
                raise _invalid(
                    f"{where}.content[{j}]: toolResult {call_id!r} answers no earlier toolUse"
                )
            status = result.get("status", "success")
            if status not in ("success", "error"):
                raise _invalid(f"{where}.content[{j}].toolResult.status must be success|error")
            text = _tool_result_text(result, f"{where}.content[{j}].toolResult")
            out.append(
                ToolMessage(text, tool_call_id=call_id, name=tool_names[call_id], status=status)
            )
        else:
            raise _invalid(
                f"{where}.content[{j}]: content block {key!r} is not supported by the local "
                "endpoint (text and toolResult only in user turns)"
            )
    return out


def _assistant_turn(content: list[Any], where: str, tool_names: dict[str, str]) -> AIMessage:
    texts: list[str] = []
    calls: list[ToolCall] = []
    for j, block in enumerate(content):
        key = _only_key(block, f"{where}.content[{j}]")
        if key in ("cachePoint", "reasoningContent"):
            continue
        if key == "text":
            if not isinstance(block["text"], str):
                raise _invalid(f"{where}.content[{j}].text must be a string")
            texts.append(block["text"])
        elif key == "toolUse":
            use = block["toolUse"]
            if not isinstance(use, dict):
                raise _invalid(f"{where}.content[{j}].toolUse must be an object")
            call_id, name, args = use.get("toolUseId"), use.get("name"), use.get("input", {})
            if not isinstance(call_id, str) or not call_id:
                raise _invalid(f"{where}.content[{j}].toolUse.toolUseId must be a string")
            if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
                raise _invalid(f"{where}.content[{j}].toolUse.name {name!r} is not a tool name")
            if not isinstance(args, dict):
                raise _invalid(f"{where}.content[{j}].toolUse.input must be a JSON object")
            tool_names[call_id] = name
            calls.append(ToolCall(name=name, args=args, id=call_id, type="tool_call"))
        else:
            raise _invalid(
                f"{where}.content[{j}]: content block {key!r} is not supported by the local "
                "endpoint (text and toolUse only in assistant turns)"
            )
    return AIMessage(content="".join(texts), tool_calls=calls)


def _tools(tool_config: Any) -> tuple[list[dict[str, Any]], str | None]:
    if tool_config is None:
        return [], None
    if not isinstance(tool_config, dict) or not isinstance(tool_config.get("tools"), list):
        raise _invalid("toolConfig.tools must be a list")
    tools: list[dict[str, Any]] = []
    for i, entry in enumerate(tool_config["tools"]):
        key = _only_key(entry, f"toolConfig.tools[{i}]")
        if key == "cachePoint":
            continue
        spec = entry[key]
        if key != "toolSpec" or not isinstance(spec, dict):
            raise _invalid(f"toolConfig.tools[{i}]: only toolSpec entries are supported")
        name = spec.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
            raise _invalid(f"toolConfig.tools[{i}].toolSpec.name {name!r} is not a valid name")
        schema = spec.get("inputSchema")
        if not isinstance(schema, dict) or not isinstance(schema.get("json"), dict):
            raise _invalid(f"toolConfig.tools[{i}].toolSpec.inputSchema.json must be an object")
        function: dict[str, Any] = {"name": name}
        if isinstance(spec.get("description"), str):
            function["description"] = spec["description"]
        function["parameters"] = schema["json"]
        tools.append({"type": "function", "function": function})
    if not tools:
        raise _invalid("toolConfig.tools must name at least one tool")
    names = [t["function"]["name"] for t in tools]
    if len(set(names)) != len(names):
        raise _invalid(f"toolConfig.tools has duplicate names: {names}")
    choice_block = tool_config.get("toolChoice")
    if choice_block is None:
        return tools, "auto"
    kind = _only_key(choice_block, "toolConfig.toolChoice")
    if kind in ("auto", "any"):
        return tools, kind
    if kind == "tool":
        name = (
            (choice_block["tool"] or {}).get("name")
            if isinstance(choice_block["tool"], dict)
            else None
        )
        if name not in names:
            raise _invalid(f"toolConfig.toolChoice.tool.name {name!r} is not one of {names}")
        return tools, str(name)
    raise _invalid(f"toolConfig.toolChoice must be auto, any or tool; got {kind!r}")


def _inference_config(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise _invalid("inferenceConfig must be an object")
    max_tokens = config.get("maxTokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise _invalid(f"inferenceConfig.maxTokens must be a positive integer; got {max_tokens!r}")
    for key in ("temperature", "topP"):
        value = config.get(key)
        if value is not None and (not isinstance(value, int | float) or not 0 <= value <= 1):
            raise _invalid(f"inferenceConfig.{key} must be between 0 and 1; got {value!r}")
    stops = config.get("stopSequences")
    if stops is not None and (
        not isinstance(stops, list) or not all(isinstance(s, str) for s in stops)
    ):
        raise _invalid("inferenceConfig.stopSequences must be a list of strings")
    return dict(config)


_MODEL_ID = re.compile(
    r"(?:(?:us|eu|apac|global|us-gov|jp|au|ca)\.)?"
    r"(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer|twelvelabs)"
    r"\.[A-Za-z0-9][A-Za-z0-9._:-]*"
    r"|arn:aws(?:-[a-z]+)?:bedrock:[a-z0-9-]+:\d*:[a-z-]+/[A-Za-z0-9._:/-]+"
)
"""Bedrock model ids, inference-profile ids and ARNs (what Bedrock would recognise)."""


def check_model_id(model_id: str) -> None:
    """Bedrock's answer to an unknown model id: ``ValidationException``."""
    if not (model_id.startswith(OFFLINE_MODEL_PREFIX) or _MODEL_ID.fullmatch(model_id)):
        raise _invalid("The provided model identifier is invalid.")


def _check_turns(raw_messages: list[Any]) -> None:
    """Bedrock's rules for a conversation: roles alternate, no blank text, and every toolUse is
    answered by a toolResult in the next (user) turn."""
    for i, raw in enumerate(raw_messages):
        for j, block in enumerate(raw.get("content") or []):
            if isinstance(block, dict) and "text" in block and not str(block["text"]).strip():
                raise _invalid(
                    f"The text field in the ContentBlock object at messages.{i}.content.{j} is "
                    "blank. Add text to the text field, and try again."
                )
        if i and raw.get("role") == raw_messages[i - 1].get("role"):
            raise _invalid(
                "A conversation must alternate between user and assistant roles. Make sure the "
                "conversation alternates between user and assistant roles and try again."
            )
        uses = [
            b["toolUse"].get("toolUseId")
            for b in raw.get("content") or []
            if isinstance(b, dict) and isinstance(b.get("toolUse"), dict)
        ]
        if raw.get("role") != "assistant" or not uses:
            continue
        following = raw_messages[i + 1]["content"] if i + 1 < len(raw_messages) else []
        answered = {
            b["toolResult"].get("toolUseId")
            for b in following or []
            if isinstance(b, dict) and isinstance(b.get("toolResult"), dict)
        }
        missing = [u for u in uses if u not in answered]
        if missing:
            raise _invalid(
                f"Expected toolResult blocks at messages.{i + 1}.content for the following Ids: "
                + ", ".join(str(m) for m in missing)
            )


def _cached_prefix(system: Any) -> str | None:
    """The system text that precedes the first cachePoint block (None without one)."""
    texts: list[str] = []
    for block in system or []:
        if isinstance(block, dict) and "cachePoint" in block:
            return "".join(texts)
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            texts.append(block["text"])
    return None


def cache_usage(call: ConverseCall, seen: set[str]) -> dict[str, int]:
    """Prompt-cache usage of `call` as Bedrock reports it: the cached prefix's tokens (about 4
    characters a token) are written the first time a prefix is seen, read afterwards."""
    if not call.cached_prefix:
        return {}
    tokens = max(1, len(call.cached_prefix) // 4)
    if call.cached_prefix in seen:
        return {"cacheReadInputTokens": tokens, "cacheWriteInputTokens": 0}
    seen.add(call.cached_prefix)
    return {"cacheReadInputTokens": 0, "cacheWriteInputTokens": tokens}


def with_cache(usage: dict[str, int], cache: dict[str, int]) -> dict[str, int]:
    """Bedrock's usage with prompt-cache tokens: listed apart, and counted in ``totalTokens``."""
    if not cache:
        return usage
    total = usage["totalTokens"] + cache["cacheReadInputTokens"] + cache["cacheWriteInputTokens"]
    return usage | cache | {"totalTokens": total}


def parse_request(model_id: str, body: Any) -> ConverseCall:
    """Check a Converse request body and translate it (see the module docstring).

    Raises BedrockError (``ValidationException``) naming the offending field, as Bedrock
    does: unknown model ids, roles that do not alternate, blank text, a toolUse without its
    toolResult.
    """
    if not model_id:
        raise _invalid("modelId must not be empty")
    check_model_id(model_id)
    if not isinstance(body, dict):
        raise _invalid("the request body must be a JSON object")
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise _invalid("messages must be a non-empty list")
    system_texts = _system_texts(body.get("system"))
    role = identify_role(model_id, system_texts)
    tools, tool_choice = _tools(body.get("toolConfig"))
    inference = _inference_config(body.get("inferenceConfig"))

    boundaries = message_boundaries()
    messages: list[BaseMessage] = [
        SystemMessage(segment)
        for text in system_texts
        for segment in split_merged_text(text, boundaries)
    ]
    tool_names: dict[str, str] = {}
    uses_tools = False
    for i, raw in enumerate(raw_messages):
        where = f"messages[{i}]"
        if not isinstance(raw, dict) or raw.get("role") not in ("user", "assistant"):
            raise _invalid(f"{where}.role must be 'user' or 'assistant'")
        content = raw.get("content")
        if not isinstance(content, list) or not content:
            raise _invalid(f"{where}.content must be a non-empty list of content blocks")
        if raw["role"] == "user":
            turn = _user_turn(content, where, tool_names, boundaries)
            uses_tools = uses_tools or any(isinstance(m, ToolMessage) for m in turn)
            messages.extend(turn)
        else:
            ai = _assistant_turn(content, where, tool_names)
            uses_tools = uses_tools or bool(ai.tool_calls)
            messages.append(ai)
    if raw_messages[0].get("role") != "user":
        raise _invalid(
            "A conversation must start with a user message. Try again with a conversation that starts with a user message."
        )
    _check_turns(raw_messages)
    if uses_tools and not tools:
        raise _invalid(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        )
    return ConverseCall(
        cached_prefix=_cached_prefix(body.get("system")),
        model_id=model_id,
        role=role,
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        inference_config=inference,
    )


# --------------------------------------------------------------------------------------------
# Calling the offline model
# --------------------------------------------------------------------------------------------


def _runnable(call: ConverseCall) -> Any:
    model = OfflineChatModel(role=call.role)
    if not call.tools:
        return model
    return model.bind_tools(call.tools, tool_choice=call.tool_choice)


def _model_error(exc: Exception, call: ConverseCall) -> BedrockError:
    return BedrockError(
        "ModelErrorException", f"offline model of role {call.role!r} failed: {exc}", 424
    )


def offline_reply(call: ConverseCall) -> AIMessage:
    """The offline model's reply to `call` (its role, tools and tool choice bound)."""
    try:
        message = _runnable(call).invoke(call.messages)
    except (ValueError, KeyError, TypeError) as exc:
        raise _model_error(exc, call) from exc
    if not isinstance(message, AIMessage):  # pragma: no cover - the model returns AIMessages
        raise BedrockError("InternalServerException", "the offline model gave no message", 500)
    return message


def offline_chunks(call: ConverseCall) -> list[AIMessageChunk]:
    """The offline model's streamed reply to `call`, as the list of its chunks."""
    try:
        return list(_runnable(call).stream(call.messages))
    except (ValueError, KeyError, TypeError) as exc:
        raise _model_error(exc, call) from exc


# --------------------------------------------------------------------------------------------
# LangChain -> response
# --------------------------------------------------------------------------------------------


def _usage(message: AIMessage | AIMessageChunk | None) -> dict[str, int]:
    usage = message.usage_metadata if message is not None else None
    if not usage:
        return {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0}
    return {
        "inputTokens": int(usage["input_tokens"]),
        "outputTokens": int(usage["output_tokens"]),
        "totalTokens": int(usage["total_tokens"]),
    }


def within_max_tokens(message: AIMessage, max_tokens: int | None) -> tuple[AIMessage, str]:
    """`message` cut to `max_tokens` output tokens, as Bedrock cuts a reply, and its stop
    reason: ``max_tokens`` when cut (its text shortened, its unfinished tool calls dropped),
    else ``tool_use`` or ``end_turn``."""
    natural = "tool_use" if message.tool_calls else "end_turn"
    usage = message.usage_metadata
    if max_tokens is None or usage is None or usage["output_tokens"] <= max_tokens:
        return message, natural
    text = message.text[: max_tokens * 4]
    cut = AIMessage(
        content=text,
        usage_metadata={
            "input_tokens": usage["input_tokens"],
            "output_tokens": max_tokens,
            "total_tokens": usage["input_tokens"] + max_tokens,
        },
    )
    return cut, "max_tokens"


def converse_response(
    message: AIMessage, latency_ms: int, stop_reason: str | None = None
) -> dict[str, Any]:
    """The Converse response body for `message`: a text block (when there is text), a toolUse
    block per tool call, ``stopReason`` ``tool_use`` or ``end_turn``, usage and metrics."""
    blocks: list[dict[str, Any]] = []
    if message.text:
        blocks.append({"text": message.text})
    for call in message.tool_calls:
        blocks.append(
            {"toolUse": {"toolUseId": call["id"], "name": call["name"], "input": call["args"]}}
        )
    if not blocks:
        blocks.append({"text": ""})
    return {
        "output": {"message": {"role": "assistant", "content": blocks}},
        "stopReason": stop_reason or ("tool_use" if message.tool_calls else "end_turn"),
        "usage": _usage(message),
        "metrics": {"latencyMs": int(latency_ms)},
    }


def stream_events(
    chunks: Iterable[AIMessageChunk], latency_ms: int, stop_reason: str | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """ConverseStream events ``(event type, payload)`` for the offline model's chunks.

    messageStart; the text as contentBlockDelta ``text`` events of block 0 (when there is
    text); per tool call a contentBlockStart with ``toolUse {toolUseId, name}`` and its JSON
    arguments as contentBlockDelta ``toolUse.input`` strings; a contentBlockStop closing each
    block; messageStop with the stop reason; metadata with usage and metrics.
    """
    yield "messageStart", {"role": "assistant"}
    open_block: int | None = None
    next_index = 0
    tool_blocks: dict[Any, int] = {}
    usage_chunk: AIMessageChunk | None = None
    any_tool = False

    def close() -> Iterator[tuple[str, dict[str, Any]]]:
        nonlocal open_block
        if open_block is not None:
            yield "contentBlockStop", {"contentBlockIndex": open_block}
            open_block = None

    for chunk in chunks:
        if chunk.usage_metadata:
            usage_chunk = chunk
        text = chunk.content if isinstance(chunk.content, str) else chunk.text
        if text:
            if open_block is None or open_block in tool_blocks.values():
                yield from close()
                open_block, next_index = next_index, next_index + 1
            yield "contentBlockDelta", {"delta": {"text": text}, "contentBlockIndex": open_block}
        for piece in chunk.tool_call_chunks:
            key = piece.get("index")
            if key not in tool_blocks:
                yield from close()
                any_tool = True
                tool_blocks[key] = open_block = next_index
                next_index += 1
                start = {"toolUse": {"toolUseId": piece.get("id") or "", "name": piece["name"]}}
                yield "contentBlockStart", {"start": start, "contentBlockIndex": open_block}
            if piece.get("args"):
                yield (
                    "contentBlockDelta",
                    {
                        "delta": {"toolUse": {"input": piece["args"]}},
                        "contentBlockIndex": tool_blocks[key],
                    },
                )
    yield from close()
    yield "messageStop", {"stopReason": stop_reason or ("tool_use" if any_tool else "end_turn")}
    yield "metadata", {"usage": _usage(usage_chunk), "metrics": {"latencyMs": int(latency_ms)}}


__all__ = [
    "FALLBACK_ROLE",
    "OFFLINE_MODEL_PREFIX",
    "BedrockError",
    "ConverseCall",
    "MessageBoundaries",
    "cache_usage",
    "check_model_id",
    "converse_response",
    "identify_role",
    "message_boundaries",
    "offline_chunks",
    "offline_reply",
    "parse_request",
    "role_prompts",
    "split_merged_text",
    "stream_events",
    "with_cache",
    "within_max_tokens",
]
