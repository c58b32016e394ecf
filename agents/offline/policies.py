"""Policies: the rules that decide each reply of the offline model, one per agent role.

A policy is a plain function ``(PolicyInput) -> AIMessage``. It sees the whole conversation, the
OpenAI-format schemas of the tools bound to the model and the tool choice, and returns an
`AIMessage` with text `content` and/or `tool_calls`. Tool-call ids may be left ``None``: the model
fills them in deterministically. Register one per role with ``@register_policy("optimizer")``;
roles without a registered policy use `default_policy`.

Tool results reach a policy as `ToolMessage`s in `PolicyInput.messages`; `PolicyInput.tool_results`
pairs each with the call that produced it and parses its JSON content (tools return JSON objects).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.tool import ToolCall

from services.formatting import parameter_label
from services.problems import INVALID_ARGUMENTS, TOOL_RETRY
from settings import patterns

Policy = Callable[["PolicyInput"], AIMessage]
"""Decides the next reply of the offline model for one role."""

_POLICIES: dict[str, Policy] = {}


_ARGUMENT = patterns.compile(r"(?:^|(?<=; ))(?:[a-z_]\w*\.)*([a-z_]\w*):")
"""An argument a tool refused, by its path ("config.lookback:"), at the start of each problem."""


@dataclass(frozen=True)
class ToolResult:
    """One tool result found in the conversation.

    `data` is the parsed JSON content (usually a dict) or ``None`` when the content is not JSON
    (error messages are plain text); `args` are the arguments of the call that produced it.
    """

    name: str
    call_id: str
    content: str
    data: Any
    is_error: bool
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """The tool's message as a reply says it: without the tool's name the tool layer puts
        before it ("optimize_portfolio failed: ...", "stress_test: ..."), and a refusal of its
        arguments as the user reads it: each argument by its name in words ("config.lookback:
        must be at most 1000" -> "lookback: must be at most 1000"), without the sentence that
        asks the model to call the tool again."""
        text = self.content
        if self.name:
            text = patterns.compile(rf"^{re.escape(self.name)}(?: failed)?:\s*").sub("", text)
        if not text.startswith(INVALID_ARGUMENTS):
            return text
        text = text.removeprefix(INVALID_ARGUMENTS).removesuffix(f" {TOOL_RETRY}")
        return _ARGUMENT.sub(lambda found: f"{parameter_label(found[1])}:", text)

    def failure(self, what: str) -> str | None:
        """ "I could not `what`: <the tool's message>" when the tool failed or gave no JSON
        object; None when it gave one."""
        if self.is_error or not isinstance(self.data, dict):
            return f"I could not {what}: {self.reason}"
        return None


@dataclass(frozen=True)
class PolicyInput:
    """What a policy sees for one model call.

    `tool_choice` is normalised by the model: ``None`` (free choice), ``"none"`` (no tool call
    allowed), ``"any"`` (some tool call required) or the name of the tool that must be called
    (this is how `with_structured_output` forces its schema).
    """

    role: str
    messages: list[BaseMessage]
    tools: list[dict[str, Any]]
    tool_choice: str | None = None

    @property
    def tool_names(self) -> list[str]:
        """Names of the bound tools, in binding order."""
        return [str(tool["function"]["name"]) for tool in self.tools]

    @property
    def forced_tool(self) -> str | None:
        """The tool that must be called: a named tool choice, or ``"any"`` with one tool bound."""
        if self.tool_choice in (None, "none", "auto"):
            return None
        if self.tool_choice == "any":
            return self.tool_names[0] if len(self.tools) == 1 else None
        return self.tool_choice

    @property
    def called_tool(self) -> str:
        """The tool a reply that must call one calls: the forced tool, else the first bound."""
        return self.forced_tool or self.tool_names[0]

    @property
    def must_call_tool(self) -> bool:
        """True when the reply must contain at least one tool call."""
        return self.tool_choice not in (None, "none", "auto")

    def tool_schema(self, name: str) -> dict[str, Any]:
        """The JSON schema of the parameters of the bound tool `name`."""
        for tool in self.tools:
            if tool["function"]["name"] == name:
                params: dict[str, Any] = tool["function"].get("parameters") or {}
                return params
        raise KeyError(f"tool {name!r} is not bound; bound tools: {self.tool_names}")

    def last_human_text(self) -> str:
        """Text of the latest human message ('' if none)."""
        for message in reversed(self.messages):
            if isinstance(message, HumanMessage):
                return message.text
        return ""

    def system_text(self) -> str:
        """Text of the system messages, joined by blank lines."""
        return "\n\n".join(m.text for m in self.messages if isinstance(m, SystemMessage))

    def tool_results(self) -> list[ToolResult]:
        """Every tool result of the conversation, oldest first."""
        calls = {call["id"]: call for call in self.tool_calls_made()}
        results = []
        for message in self.messages:
            if isinstance(message, ToolMessage):
                call = calls.get(message.tool_call_id)
                name = message.name or (call["name"] if call else "")
                results.append(
                    ToolResult(
                        name=name,
                        call_id=message.tool_call_id,
                        content=message.text,
                        data=_parse_json(message.text),
                        is_error=message.status == "error",
                        args=dict(call["args"]) if call else {},
                    )
                )
        return results

    def latest_tool_results(self) -> list[ToolResult]:
        """The tool results that follow the latest AI message (the answers to its calls)."""
        tail: list[BaseMessage] = []
        for message in reversed(self.messages):
            if not isinstance(message, ToolMessage):
                break
            tail.append(message)
        ids = {m.tool_call_id for m in tail if isinstance(m, ToolMessage)}
        return [r for r in self.tool_results() if r.call_id in ids]

    def last_result(self, name: str) -> ToolResult | None:
        """The most recent result of tool `name`, if any."""
        for result in reversed(self.tool_results()):
            if result.name == name:
                return result
        return None

    def tool_calls_made(self) -> list[ToolCall]:
        """Every tool call made by AI messages of the conversation, oldest first."""
        return [call for m in self.messages if isinstance(m, AIMessage) for call in m.tool_calls]

    def results_this_turn(self) -> list[ToolResult]:
        """The results of the tool calls made since the latest human message, oldest first."""
        ids = {call["id"] for call in self.calls_this_turn()}
        return [r for r in self.tool_results() if r.call_id in ids]

    def latest_call_before_turn(self) -> ToolCall | None:
        """The conversation's latest tool call before this turn (None when there is none)."""
        earlier = {call["id"] for call in self.calls_this_turn()}
        return next((c for c in reversed(self.tool_calls_made()) if c["id"] not in earlier), None)

    def calls_this_turn(self) -> list[ToolCall]:
        """Tool calls made since the latest human message."""
        calls: list[ToolCall] = []
        for message in reversed(self.messages):
            if isinstance(message, HumanMessage):
                break
            if isinstance(message, AIMessage):
                calls[:0] = message.tool_calls
        return calls


def tool_call(name: str, args: dict[str, Any] | None = None) -> ToolCall:
    """A tool call for a policy's reply (the model assigns its id)."""
    return ToolCall(name=name, args=dict(args or {}), id=None, type="tool_call")


def reply(text: str = "", *calls: ToolCall) -> AIMessage:
    """A policy reply: text and/or tool calls."""
    return AIMessage(content=text, tool_calls=list(calls))


def forced_call(inp: PolicyInput, args: dict[str, Any]) -> AIMessage:
    """A reply calling `inp.called_tool` with `args`: how a policy gives a structured decision
    (the tool is the decision's schema)."""
    return reply("", tool_call(inp.called_tool, args))


def register_policy(role: str) -> Callable[[Policy], Policy]:
    """Decorator registering `fn` as the policy of `role` (replacing any previous one)."""

    def decorator(fn: Policy) -> Policy:
        _POLICIES[role] = fn
        return fn

    return decorator


def unregister_policy(role: str) -> None:
    """Remove the policy of `role` (no error if there is none)."""
    _POLICIES.pop(role, None)


def get_policy(role: str) -> Policy:
    """The policy registered for `role`, else `default_policy`."""
    return _POLICIES.get(role, default_policy)


def registered_roles() -> tuple[str, ...]:
    """Roles with a registered policy."""
    return tuple(sorted(_POLICIES))


# --------------------------------------------------------------------------------------------
# The default policy
# --------------------------------------------------------------------------------------------


def default_policy(inp: PolicyInput) -> AIMessage:
    """Reply of a role without a registered policy.

    - A forced tool (structured output, or ``tool_choice`` naming a tool or ``"any"``): call it
      (the first bound tool for ``"any"``) with arguments built by `fill_arguments`.
    - Otherwise: text summarising the latest tool results, or acknowledging the request.
    """
    if inp.must_call_tool:
        return forced_call(inp, fill_arguments(inp.tool_schema(inp.called_tool), inp))
    results = inp.latest_tool_results()
    if results:
        return reply("\n".join(summarise_result(r) for r in results))
    request = inp.last_human_text().strip()
    if request:
        return reply(f"[offline {inp.role}] Noted: {truncated(request, 200)}")
    return reply(f"[offline {inp.role}] Nothing to answer yet.")


def summarise_result(result: ToolResult, max_items: int = 8) -> str:
    """One line per tool result: its scalar fields (``key=value``) or its error text."""
    if result.is_error or not isinstance(result.data, dict):
        prefix = "error" if result.is_error else "result"
        return f"{result.name} {prefix}: {truncated(result.content, 300)}"
    items = [
        f"{key}={_format_scalar(value)}"
        for key, value in result.data.items()
        if isinstance(value, str | int | float | bool)
    ][:max_items]
    return f"{result.name}: " + (", ".join(items) if items else truncated(result.content, 300))


def fill_arguments(schema: dict[str, Any], inp: PolicyInput) -> dict[str, Any]:
    """Arguments satisfying the JSON schema `schema` (an object), taken from the conversation.

    For each property, in order of preference: a value under the same key (searched up to 4
    levels deep) in a JSON object written by the user, else in the tool results (newest first); a ``name = value`` /
    ``name: value`` / ``name of value`` mention in the latest human message; for required
    properties only, the schema default, an enum value mentioned in the text (else the first),
    the next unused number of the latest human message (percentages as fractions) within the
    bounds, the latest human text for strings, ``False``, ``[]`` or a recursively filled object.
    Optional properties without a found value are left out (their defaults apply).

    Raises ValueError naming the property when no value can be built.
    """
    text = inp.last_human_text()
    sources = [r.data for r in reversed(inp.tool_results()) if isinstance(r.data, dict)]
    user_json = _parse_json(text.strip())
    if isinstance(user_json, dict):
        sources.insert(0, user_json)
    numbers = iter(_numbers_in(text))
    return _fill_object(schema, text, sources, numbers, path="")


def _fill_object(
    schema: dict[str, Any],
    text: str,
    sources: list[dict[str, Any]],
    numbers: Iterator[float],
    path: str,
) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    args: dict[str, Any] = {}
    for key, prop in properties.items():
        prop = _resolve(prop)
        where = f"{path}{key}"
        found = _lookup(key, prop, sources)
        if found is _MISSING:
            found = _mention(key, prop, text)
        if found is not _MISSING:
            args[key] = found
        elif key in required:
            args[key] = _required_value(where, prop, text, sources, numbers)
    return args


def _required_value(
    where: str,
    prop: dict[str, Any],
    text: str,
    sources: list[dict[str, Any]],
    numbers: Iterator[float],
) -> Any:
    if "default" in prop:
        return prop["default"]
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        options = list(prop["enum"])
        mentioned = [
            o
            for o in options
            if isinstance(o, str)
            and patterns.compile(rf"\b{re.escape(o)}\b", re.IGNORECASE).search(text)
        ]
        return mentioned[0] if mentioned else options[0]
    kind = prop.get("type")
    if kind in ("number", "integer"):
        for number in numbers:
            value: float | int = int(number) if kind == "integer" else number
            if (kind != "integer" or float(number).is_integer()) and _in_bounds(value, prop):
                return value
        return _bounded_default(where, prop)
    if kind == "string":
        if text.strip():
            limit = int(prop.get("maxLength", 10_000))
            return text.strip()[:limit]
        raise ValueError(f"cannot fill required string field {where!r}: no text in the request")
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object" or "properties" in prop:
        return _fill_object(prop, text, sources, numbers, path=f"{where}.")
    if kind == "null":
        return None
    raise ValueError(f"cannot fill required field {where!r} of schema {json.dumps(prop)[:200]}")


def _bounded_default(where: str, prop: dict[str, Any]) -> float | int:
    low = prop.get("minimum", prop.get("exclusiveMinimum"))
    high = prop.get("maximum", prop.get("exclusiveMaximum"))
    candidates = [0.0, 1.0]
    if low is not None:
        candidates.insert(0, low + (1 if "exclusiveMinimum" in prop else 0))
    if high is not None:
        candidates.append(high - (1 if "exclusiveMaximum" in prop else 0))
    for candidate in candidates:
        value = int(candidate) if prop.get("type") == "integer" else float(candidate)
        if _in_bounds(value, prop):
            return value
    raise ValueError(f"cannot fill required numeric field {where!r} within its bounds")


def _in_bounds(value: float, prop: dict[str, Any]) -> bool:
    if "minimum" in prop and value < prop["minimum"]:
        return False
    if "maximum" in prop and value > prop["maximum"]:
        return False
    if "exclusiveMinimum" in prop and value <= prop["exclusiveMinimum"]:
        return False
    return not ("exclusiveMaximum" in prop and value >= prop["exclusiveMaximum"])


class _Missing:
    pass


_MISSING: Any = _Missing()


def _lookup(key: str, prop: dict[str, Any], sources: list[dict[str, Any]]) -> Any:
    for source in sources:
        value = _find_key(source, key)
        if value is not _MISSING and _type_ok(value, prop):
            return value
    return _MISSING


def _find_key(data: Any, key: str, depth: int = 0) -> Any:
    if depth > 4:
        return _MISSING
    if isinstance(data, dict):
        if key in data:
            return data[key]
        for value in data.values():
            found = _find_key(value, key, depth + 1)
            if found is not _MISSING:
                return found
    return _MISSING


def _mention(key: str, prop: dict[str, Any], text: str) -> Any:
    if prop.get("type") not in ("number", "integer"):
        return _MISSING
    words = r"[\s_-]*".join(re.escape(w) for w in key.split("_"))
    match = patterns.compile(  # the tool's schema's words: the project's own
        rf"\b{words}\b\s*(?:=|:|is|of|to|at)?\s*(-?\d+(?:\.\d+)?)\s*(%|percent\b)?", re.IGNORECASE
    ).search(text)
    if not match:
        return _MISSING
    value = float(match.group(1)) / (100.0 if match.group(2) else 1.0)
    if prop.get("type") == "integer":
        if not value.is_integer():
            return _MISSING
        return int(value) if _in_bounds(int(value), prop) else _MISSING
    return value if _in_bounds(value, prop) else _MISSING


def _type_ok(value: Any, prop: dict[str, Any]) -> bool:
    if "enum" in prop:
        return value in prop["enum"]
    kind = prop.get("type")
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if kind in checks and not checks[kind](value):
        return False
    if kind in ("number", "integer"):
        return math.isfinite(value) and _in_bounds(value, prop)
    return kind is not None or value is not None


def _resolve(prop: dict[str, Any]) -> dict[str, Any]:
    """The first non-null alternative of an ``anyOf`` / ``oneOf`` (Optional fields)."""
    for combinator in ("anyOf", "oneOf"):
        if combinator in prop:
            options = [o for o in prop[combinator] if o.get("type") != "null"]
            merged = {k: v for k, v in prop.items() if k != combinator}
            return {**(options[0] if options else {"type": "null"}), **merged}
    return prop


_NUMBER = patterns.compile(
    r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(\s*(?:%|percent\b))?", re.IGNORECASE
)


_NOT_DIGITS = patterns.compile(r"[,%\s]|percent", re.IGNORECASE)


def _numbers_in(text: str) -> list[float]:
    """Numbers of `text` in order, percentages as fractions ("12%" -> 0.12)."""
    out = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0)
        number = float(_NOT_DIGITS.sub("", raw))
        out.append(number / 100.0 if match.group(1) else number)
    return out


def _parse_json(text: str) -> Any:
    if not text or text[0] not in "[{":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _format_scalar(value: str | float | bool) -> str:
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.4g}"
    return str(value)


def truncated(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with "..." when longer."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
