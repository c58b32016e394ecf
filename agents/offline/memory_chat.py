"""The offline supervisor's rules for long-term memory: remember, recall, forget.

The supervisor answers memory asks itself (`intent.memory.read_memory_ask`) with the memory
tools the chat gives it for a signed-in owner (`remember_fact`, `recall_memories`,
`forget_memory`), then says what the tool did, naming every profile exclusion it added or
removed. Without those tools (a conversation with no owner) it says that nothing was kept.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.intent.memory import MemoryAsk
from agents.offline.policies import PolicyInput, ToolResult, reply, tool_call
from settings import patterns

NO_OWNER = (
    "I keep long-term memory only for a signed-in user (`stratigos chat` or the web UI); in "
    "this conversation nothing is remembered beyond the thread."
)


def memory_chat(inp: PolicyInput, ask: MemoryAsk) -> AIMessage:
    """The next step of a memory ask: a memory tool call, or the answer from its result."""
    if "remember_fact" not in inp.tool_names:
        return reply(NO_OWNER)
    results = inp.results_this_turn()
    if ask.action == "remember":
        if not results:
            args = {"fact": ask.fact, "exclusions": list(ask.exclusions)}
            return reply("", tool_call("remember_fact", args))
        return reply(_remembered(results[-1]))
    if ask.action == "recall":
        if not results:
            return reply("", tool_call("recall_memories", {}))
        return reply(_recalled(results[-1]))
    if ask.action == "forget_all":
        if not results:
            return reply("", tool_call("forget_memory", {"key": "all"}))
        return reply(_forgotten(results[-1]))
    return _forget_one(inp, ask, results)


def _remembered(result: ToolResult) -> str:
    failed = result.failure("remember that")
    if failed is not None:
        return failed
    memory = result.data["remembered"]
    text = f'I\'ll remember that: "{memory["text"]}" (memory {memory["key"]}).'
    if memory["exclusions"]:
        terms = ", ".join(memory["exclusions"])
        text += (
            f" Your profile now excludes {terms}: I leave it out of every portfolio I build, "
            "in this conversation and later ones."
        )
    return text


def _recalled(result: ToolResult) -> str:
    failed = result.failure("read your memories")
    if failed is not None:
        return failed
    data: dict[str, Any] = result.data
    profile, memories = data.get("profile") or {}, data.get("memories") or []
    if not profile and not memories:
        return "I don't know anything about you yet: no memories and no profile settings."
    parts = []
    if profile.get("exclusions"):
        parts.append(
            "Your profile excludes " + ", ".join(profile["exclusions"]) + " from every portfolio."
        )
    settings = [f"{k.replace('_', ' ')} {v}" for k, v in profile.items() if k != "exclusions"]
    if settings:
        parts.append("Your profile sets " + "; ".join(settings) + ".")
    if memories:
        listed = "; ".join(f'"{m["text"]}" ({m["key"]})' for m in memories)
        parts.append(f"I remember {len(memories)} thing(s): {listed}.")
    else:
        parts.append("I have no memories of you beyond the profile.")
    return " ".join(parts)


def _forgotten(result: ToolResult) -> str:
    failed = result.failure("forget that")
    if failed is not None:
        return failed
    data: dict[str, Any] = result.data
    done = data.get("forgotten")
    items = done if isinstance(done, list) else [data]
    if not items:
        return "There was nothing to forget."
    removed = [t for item in items for t in item.get("profile_exclusions_removed") or []]
    kept = [t for item in items for t in item.get("profile_exclusions_kept") or []]
    texts = "; ".join(f'"{item["forgotten"]["text"]}"' for item in items)
    text = f"Forgotten: {texts}."
    if removed:
        text += (
            f" I also removed {', '.join(removed)} from your profile's exclusions: later "
            "portfolios may hold them again."
        )
    if kept:
        text += f" Still in your profile: {', '.join(kept)}."
    return text


_WORD = patterns.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - {"i", "that", "the", "a", "my", "me"}


def _match(memories: list[dict[str, Any]], about: str) -> dict[str, Any] | None:
    """The memory whose text and exclusions share the most words with `about`."""
    wanted = _words(about)
    scored = [
        (len(wanted & _words(m["text"] + " " + " ".join(m["exclusions"]))), n, m)
        for n, m in enumerate(memories)
    ]
    best = max(scored, default=None, key=lambda s: (s[0], s[1]))
    return best[2] if best is not None and best[0] > 0 else None


def _just_remembered(inp: PolicyInput) -> str | None:
    for result in reversed(inp.tool_results()):
        if result.name == "remember_fact" and isinstance(result.data, dict):
            return str(result.data["remembered"]["key"])
    return None


def _forget_one(inp: PolicyInput, ask: MemoryAsk, results: list[ToolResult]) -> AIMessage:
    """Forget the memory the message names: by key, by its words (read from
    `recall_memories` first), or the one remembered last in this conversation."""
    forgotten = [r for r in results if r.name == "forget_memory"]
    if forgotten:
        return reply(_forgotten(forgotten[-1]))
    key = ask.key or (None if ask.about else _just_remembered(inp))
    if key is not None:
        return reply("", tool_call("forget_memory", {"key": key}))
    recalled = [r for r in results if r.name == "recall_memories"]
    if not recalled:
        return reply("", tool_call("recall_memories", {}))
    failed = recalled[-1].failure("read your memories")
    if failed is not None:
        return reply(failed)
    memories = recalled[-1].data.get("memories") or []
    if not memories:
        return reply("I have no memories of you to forget.")
    chosen = _match(memories, ask.about) if ask.about else memories[-1]
    if chosen is None:
        listed = "; ".join(f'"{m["text"]}" ({m["key"]})' for m in memories)
        return reply(f"Which memory should I forget? I remember: {listed}.")
    return reply("", tool_call("forget_memory", {"key": chosen["key"]}))
