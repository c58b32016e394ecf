"""A Converse / ConverseStream request body checked and translated into LangChain messages,
tool schemas and a tool choice."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import ToolCall

import agents.offline.workflow_policies  # noqa: F401  (registers the workflow and chat rules)
from devtools.local_bedrock.converse.call import (
    _TOOL_NAME,
    OFFLINE_MODEL_PREFIX,
    ConverseCall,
    _invalid,
)
from devtools.local_bedrock.converse.roles import (
    MessageBoundaries,
    identify_role,
    message_boundaries,
    split_merged_text,
)
from settings.model_catalog import model_catalog


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


def check_model_id(model_id: str) -> None:
    """Bedrock's answer to an id that names no model it serves: ``ValidationException``. Known
    ids are those of the model catalog (`settings.model_catalog`) and the endpoint's own
    ``stratigos-offline-<role>``."""
    if not (model_id.startswith(OFFLINE_MODEL_PREFIX) or model_catalog().resolve(model_id)):
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
        model_id=model_id,
        role=role,
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        inference_config=inference,
    )
