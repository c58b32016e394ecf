"""How a replayed Bedrock request finds its recorded interaction, and why it does not.

Requests match on method, host, path (the model id and the API) and the JSON body's ``system``,
``messages`` and ``toolConfig`` (`bedrock_body_matcher`); an embedding request (InvokeModel for
Titan Text Embeddings V2) on its whole body, ``inputText``, ``dimensions``, ``normalize`` and
``embeddingTypes``, exactly (another text is another vector, so calls made from a thread pool
find their own answers). The bodies are compared as data, with
numbers with a fraction or an exponent equal within `RELATIVE_TOLERANCE` (integers exactly),
wherever they stand: JSON numbers, numbers inside JSON
text (a task or a tool result), and numbers in prose. Everything sent to a model is already
rounded to 6 significant digits (`prompts.canonical`), so the tolerance is a second line of
defence: a number that rounds the other way on another machine moves by one unit in its sixth
digit, which the tolerance absorbs; a change larger than that is a different request.

`describe_mismatch` explains an unmatched request for people: the agent (from the system
prompt), the message index and block, and a short diff of the differing text.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterator
from typing import Any

RELATIVE_TOLERANCE = 1e-5
"""Numbers match when they differ by at most this fraction of the larger (one unit in the
sixth significant digit), or by at most `ABSOLUTE_TOLERANCE`."""
ABSOLUTE_TOLERANCE = 1e-12

BODY_KEYS: tuple[str, ...] = ("system", "messages", "toolConfig", "tools", "response_format")
"""The request body fields the matcher compares (numbers within the tolerance): Converse's
``system``, ``messages`` and ``toolConfig``; Chat Completions' ``messages``, ``tools`` and
``response_format``."""

EMBEDDING_BODY_KEYS: tuple[str, ...] = ("inputText", "dimensions", "normalize", "embeddingTypes")
"""The fields of an embedding request body, compared exactly."""

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def close(a: float, b: float) -> bool:
    """`a` and `b` are equal within the stated tolerance."""
    return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)


def _json_text(text: str) -> Any:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None


def _same_number_token(x: str, y: str) -> bool:
    if x.lstrip("-").isdigit() and y.lstrip("-").isdigit():
        return x == y  # integers (counts, ids, dates) are exact
    return close(float(x), float(y))


def _same_text(a: str, b: str) -> bool:
    if a == b:
        return True
    ja, jb = _json_text(a), _json_text(b)
    if ja is not None and jb is not None:
        return same(ja, jb)
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    return all(
        _same_number_token(x, y)
        for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b), strict=True)
    )


def same(a: Any, b: Any) -> bool:
    """`a` and `b` are the same request data, numbers compared within the tolerance."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return close(float(a), float(b))
    if isinstance(a, str) and isinstance(b, str):
        return _same_text(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def body_json(request: Any) -> dict[str, Any] | None:
    """A vcrpy request's JSON body as a dict (None when it is not a JSON object)."""
    body = request.body
    if body is None:
        return None
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", errors="replace")
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def bedrock_body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the JSON bodies' `BODY_KEYS` are the same (numbers within the tolerance). Raises AssertionError naming the first field that differs.
    Other fields (``inferenceConfig``, ``toolChoice``, ...) and the JSON formatting are ignored.
    """
    a, b = body_json(r1), body_json(r2)
    if a is None or b is None:
        if r1.body != r2.body:
            raise AssertionError("bodies differ (not JSON)")
        return
    for key in BODY_KEYS:
        if not same(a.get(key), b.get(key)):
            raise AssertionError(f"request bodies differ in {key!r}")
    for key in EMBEDDING_BODY_KEYS:
        if a.get(key) != b.get(key):
            raise AssertionError(f"request bodies differ in {key!r}")


# --------------------------------------------------------------------------------------------
# Explaining a mismatch
# --------------------------------------------------------------------------------------------


def _blocks(message: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, text) of each content block of a Converse message."""
    for block in message.get("content") or []:
        if "text" in block:
            yield "text", str(block["text"])
        elif "toolUse" in block:
            use = block["toolUse"]
            yield f"toolUse {use.get('name')}", json.dumps(use.get("input"), sort_keys=True)
        elif "toolResult" in block:
            parts = [
                c.get("text") if "text" in c else json.dumps(c.get("json"), sort_keys=True)
                for c in block["toolResult"].get("content") or []
            ]
            yield "toolResult", "\n".join(str(p) for p in parts)
        else:
            yield next(iter(block), "block"), json.dumps(block, sort_keys=True)


def _pretty(text: str) -> list[str]:
    data = _json_text(text)
    if data is not None:
        return json.dumps(data, indent=1, sort_keys=True).splitlines()
    return re.split(r"(?<=[.!?])\s+|\n", text)


def short_diff(expected: str, actual: str, limit: int = 12) -> list[str]:
    """The changed lines of two texts (JSON pretty-printed first), at most `limit` lines."""
    diff = difflib.unified_diff(_pretty(expected), _pretty(actual), "recorded", "replayed", n=1)
    lines = [line.rstrip() for line in list(diff)[2:]]
    lines = [line if len(line) <= 160 else line[:159] + "…" for line in lines]
    return lines[:limit] + ([f"… {len(lines) - limit} more lines"] if len(lines) > limit else [])


def _common_prefix(a: str, b: str) -> int:
    """How many leading characters `a` and `b` share."""
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def _agent(body: dict[str, Any]) -> str:
    """The role whose prompt shares the longest beginning with the request's system prompt (a
    changed prompt still names its agent)."""
    from prompts import load_prompt
    from prompts.roles import AGENT_ROLES

    system = str(((body.get("system") or [{}])[0]).get("text", ""))
    shared = {role: _common_prefix(system, load_prompt(role).text) for role in AGENT_ROLES}
    role = max(shared, key=lambda r: shared[r])
    return role if shared[role] >= 40 else "an unknown agent"


def _system_text(block: dict[str, Any]) -> str:
    """A system block as text; a prompt-cache point as ``[cache point]``."""
    return "[cache point]" if "cachePoint" in block else str(block.get("text", ""))


def _tool_name(entry: dict[str, Any]) -> str:
    """A toolConfig entry's name: its tool's, else what it is (``cachePoint``)."""
    spec = entry.get("toolSpec")
    return str(spec["name"]) if isinstance(spec, dict) else next(iter(entry), "?")


def describe_mismatch(replayed: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
    """Where a replayed request body first differs from a recorded one, for people: the agent,
    the field (system prompt, tool schemas, or message index, role and block), and a short diff
    (for an embedding request: the field, and a diff of the texts)."""
    if "inputText" in replayed:
        return _describe_embedding_mismatch(replayed, recorded)
    lines = [f"agent: {_agent(replayed)}"]
    if not same(replayed.get("system"), recorded.get("system")):
        old = "\n".join(_system_text(s) for s in recorded.get("system") or [])
        new = "\n".join(_system_text(s) for s in replayed.get("system") or [])
        return [*lines, "differs in: the system prompt", *short_diff(old, new)]
    if not same(replayed.get("toolConfig"), recorded.get("toolConfig")):
        old_tools = {_tool_name(t): t for t in (recorded.get("toolConfig") or {}).get("tools", [])}
        new_tools = {_tool_name(t): t for t in (replayed.get("toolConfig") or {}).get("tools", [])}
        changed = sorted(
            n
            for n in old_tools.keys() | new_tools.keys()
            if not same(old_tools.get(n), new_tools.get(n))
        )
        name = changed[0] if changed else "?"
        return [
            *lines,
            f"differs in: the tool schemas ({', '.join(changed)})",
            *short_diff(
                json.dumps(old_tools.get(name), sort_keys=True),
                json.dumps(new_tools.get(name), sort_keys=True),
            ),
        ]
    old_messages = recorded.get("messages") or []
    new_messages = replayed.get("messages") or []
    for index, (old, new) in enumerate(zip(old_messages, new_messages, strict=False)):
        if same(old, new):
            continue
        old_blocks, new_blocks = list(_blocks(old)), list(_blocks(new))
        for (old_kind, old_text), (new_kind, new_text) in zip(old_blocks, new_blocks, strict=False):
            if old_kind != new_kind or not _same_text(old_text, new_text):
                where = f"messages[{index}] ({new.get('role')}, {new_kind})"
                return [*lines, f"differs in: {where}", *short_diff(old_text, new_text)]
        return [
            *lines,
            f"differs in: messages[{index}] ({new.get('role')}): "
            f"{len(old_blocks)} content blocks recorded, {len(new_blocks)} replayed",
        ]
    return [
        *lines,
        f"differs in: the number of messages ({len(old_messages)} recorded, "
        f"{len(new_messages)} replayed)",
    ]


def _describe_embedding_mismatch(replayed: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
    lines = ["an embedding request (InvokeModel)"]
    for key in EMBEDDING_BODY_KEYS[1:]:
        if replayed.get(key) != recorded.get(key):
            return [
                *lines,
                f"differs in: {key} ({recorded.get(key)!r} recorded, {replayed.get(key)!r} "
                "replayed)",
            ]
    old, new = str(recorded.get("inputText", "")), str(replayed.get("inputText", ""))
    return [*lines, "differs in: inputText (the text embedded)", *short_diff(old, new)]


def closest_recorded(
    replayed: dict[str, Any], candidates: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The recorded body most like `replayed`: the same system prompt first, then the longest
    run of equal leading messages (an embedding request: the same options, then the longest
    common beginning of the text)."""
    if "inputText" in replayed:
        text = str(replayed["inputText"])

        def similarity(body: dict[str, Any]) -> tuple[int, int]:
            options = all(body.get(k) == replayed.get(k) for k in EMBEDDING_BODY_KEYS[1:])
            return int(options), _common_prefix(str(body.get("inputText", "")), text)

        return max(candidates, key=similarity, default=None)

    def score(body: dict[str, Any]) -> tuple[int, int, int]:
        prefix = 0
        for old, new in zip(
            body.get("messages") or [], replayed.get("messages") or [], strict=False
        ):
            if not same(old, new):
                break
            prefix += 1
        return (
            int(same(body.get("system"), replayed.get("system"))),
            int(same(body.get("toolConfig"), replayed.get("toolConfig"))),
            prefix,
        )

    return max(candidates, key=score, default=None)


__all__ = [
    "ABSOLUTE_TOLERANCE",
    "BODY_KEYS",
    "EMBEDDING_BODY_KEYS",
    "RELATIVE_TOLERANCE",
    "bedrock_body_matcher",
    "body_json",
    "close",
    "closest_recorded",
    "describe_mismatch",
    "same",
    "short_diff",
]
