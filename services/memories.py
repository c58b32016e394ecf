"""Long-term memory of an owner: facts they asked the assistant to remember, across threads.

Memories live in LangGraph's store (`langgraph.store.base.BaseStore`, opened by
`store.memories.memory_store`) under the owner's namespace (`store.memories.memory_namespace`),
so the chat's tools, the API and the CLI read and write the same records, and no owner reaches
another's. A memory is a short text (`MAX_TEXT` characters at most, `MAX_MEMORIES` per owner)
and, when it states an exclusion ("I never hold tobacco", "no AMD"), the exclusion terms it
states (`services.profiles`): remembering such a statement adds them to the owner's profile,
where they are enforced wherever portfolios are built; forgetting it removes those it added
(unless another memory still states them; an exclusion the profile held before stays), and
says so.

- `remember(memories, store, owner, text, exclusions=())`, `list_memories`, `forget`,
  `forget_all`: the use cases;
- `what_is_known(memories, store, owner)`: the memories and the profile settings the owner set
  (what "what do you know about me?" answers);
- `memory_context(known)`: a bounded text of it for the system context of each chat turn.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from services.errors import InputError
from services.profiles import (
    EDITABLE_FIELDS,
    Profile,
    add_exclusion,
    get_profile,
    normalize_exclusion,
    remove_exclusion,
)
from store import NotFoundError, Store, StoreUnavailableError
from store.memories import memory_namespace

if TYPE_CHECKING:
    from langgraph.store.base import BaseStore

MAX_TEXT = 500
"""Most characters of one memory's text."""
MAX_MEMORIES = 100
"""Most memories an owner keeps."""
CONTEXT_MEMORIES = 20
"""Most memories (the latest) put into a chat turn's system context."""
MemoryKind = Literal["fact", "exclusion"]

T = TypeVar("T")


@dataclass(frozen=True)
class Memory:
    """One remembered fact: `key` (``mem_`` + 12 hex digits), the owner's words (`text`),
    `kind` (``exclusion`` when it added `exclusions` to the profile, else ``fact``) and when it
    was saved (UTC)."""

    key: str
    text: str
    kind: MemoryKind
    exclusions: list[str]
    created_at: datetime
    updated_at: datetime
    added: list[str] = field(default_factory=list)
    """The `exclusions` the profile did not hold before this memory (the ones forgetting it
    may take out again)."""

    def to_json(self) -> dict[str, Any]:
        """The memory as the API and the tools show it."""
        return {
            "key": self.key,
            "text": self.text,
            "kind": self.kind,
            "exclusions": list(self.exclusions),
            "added_to_profile": list(self.added),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class Forgotten:
    """A forgotten memory and what that did to the profile: `removed` the exclusions taken out
    of it; `kept` the exclusions left there, each with the reason."""

    memory: Memory
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """What the API and the tools answer."""
        return {
            "forgotten": self.memory.to_json(),
            "profile_exclusions_removed": list(self.removed),
            "profile_exclusions_kept": list(self.kept),
        }


@dataclass(frozen=True)
class Known:
    """What the assistant knows about an owner: their memories (oldest first) and the profile
    settings they set themselves (`from_profile`, field -> value; empty for a default profile)."""

    memories: list[Memory]
    from_profile: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """What the API and the tools answer."""
        return {
            "memories": [m.to_json() for m in self.memories],
            "profile": self.from_profile,
        }


def _stored(call: Callable[[], T]) -> T:
    """Run a memory-store call; a backend failure (DynamoDB, SQLite) as `StoreUnavailableError`."""
    try:
        return call()
    except (NotFoundError, InputError):
        raise
    except Exception as exc:  # botocore, sqlite3: the backend's own errors
        raise StoreUnavailableError(f"the memory store failed: {exc}") from exc


def _memory(item: Any) -> Memory:
    value = item.value
    return Memory(
        key=str(item.key),
        text=str(value.get("text", "")),
        kind="exclusion" if value.get("kind") == "exclusion" else "fact",
        exclusions=[str(e) for e in value.get("exclusions") or []],
        created_at=_utc(item.created_at),
        updated_at=_utc(item.updated_at),
        added=[str(e) for e in value.get("added") or []],
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def list_memories(memories: BaseStore, owner: str) -> list[Memory]:
    """The owner's memories, oldest first."""
    items = _stored(lambda: memories.search(memory_namespace(owner), limit=MAX_MEMORIES + 1))
    return sorted((_memory(i) for i in items), key=lambda m: (m.created_at, m.key))


def get_memory(memories: BaseStore, owner: str, key: str) -> Memory:
    """One of the owner's memories (`NotFoundError` naming `key` if they have none by it)."""
    item = _stored(lambda: memories.get(memory_namespace(owner), key))
    if item is None:
        raise NotFoundError(f"no memory {key!r}")
    return _memory(item)


def _clean_text(text: str) -> str:
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise InputError("text", "a memory needs some text")
    if len(cleaned) > MAX_TEXT:
        raise InputError("text", f"at most {MAX_TEXT} characters, got {len(cleaned)}")
    return cleaned


def _exclusion_terms(exclusions: Iterable[str]) -> list[str]:
    terms: list[str] = []
    for term in exclusions:
        try:
            normal = normalize_exclusion(term)
        except ValueError as exc:
            raise InputError("exclusions", str(exc)) from None
        if normal not in terms:
            terms.append(normal)
    return terms


def remember(
    memories: BaseStore,
    store: Store,
    owner: str,
    text: str,
    exclusions: Sequence[str] = (),
) -> Memory:
    """Save a memory of `text` for `owner`; with `exclusions` (tickers or industry terms), add
    them to the owner's profile first (`InputError` on ``exclusions`` naming a term that matches
    nothing known, on ``text`` for empty or long text, on ``memories`` beyond `MAX_MEMORIES`).
    Nothing is saved when it fails."""
    cleaned = _clean_text(text)
    terms = _exclusion_terms(exclusions)
    if len(list_memories(memories, owner)) >= MAX_MEMORIES:
        raise InputError(
            "memories", f"at most {MAX_MEMORIES} memories; forget some before adding more"
        )
    before = set(get_profile(store, owner).exclusions)
    for term in terms:
        add_exclusion(store, owner, term)
    key = f"mem_{uuid.uuid4().hex[:12]}"
    value = {
        "text": cleaned,
        "kind": "exclusion" if terms else "fact",
        "exclusions": terms,
        "added": [term for term in terms if term not in before],
    }
    try:
        _stored(lambda: memories.put(memory_namespace(owner), key, value))
    except StoreUnavailableError:
        for term in terms:
            if term not in before:
                remove_exclusion(store, owner, term)
        raise
    return get_memory(memories, owner, key)


def forget(memories: BaseStore, store: Store, owner: str, key: str) -> Forgotten:
    """Delete one memory (`NotFoundError` naming `key` if the owner has none by it); the
    exclusions it added leave the profile unless another memory still states them (those the
    profile held before it stay)."""
    memory = get_memory(memories, owner, key)
    others = [m for m in list_memories(memories, owner) if m.key != key]
    _stored(lambda: memories.delete(memory_namespace(owner), key))
    return _release(memories, store, owner, memory, others)


def forget_all(memories: BaseStore, store: Store, owner: str) -> list[Forgotten]:
    """Delete every memory of the owner, with the exclusions they added to the profile."""
    forgotten = []
    for memory in list_memories(memories, owner):
        # read again: forgetting one may hand its exclusions on to a later one
        current = get_memory(memories, owner, memory.key)
        _stored(functools.partial(memories.delete, memory_namespace(owner), memory.key))
        forgotten.append(_release(memories, store, owner, current, list_memories(memories, owner)))
    return forgotten


def _release(
    memories: BaseStore, store: Store, owner: str, memory: Memory, others: list[Memory]
) -> Forgotten:
    """Take the exclusions `memory` added out of the profile, except those the profile no
    longer holds and those `others` still state (the latest of them then counts as having
    added it, so forgetting it later removes it); those the profile held before it stay."""
    held = set(get_profile(store, owner).exclusions)
    removed: list[str] = []
    kept: list[str] = []
    for term in memory.exclusions:
        stating = [m for m in others if term in m.exclusions]
        if term not in memory.added:
            kept.append(f"{term} (in the profile before this memory)")
        elif stating:
            heir = stating[-1]
            if term not in heir.added:
                _put(memories, owner, heir, added=[*heir.added, term])
            kept.append(f"{term} (memory {heir.key} states it too)")
        elif term not in held:
            kept.append(f"{term} (no longer in the profile)")
        else:
            remove_exclusion(store, owner, term)
            removed.append(term)
    return Forgotten(memory, removed, kept)


def _put(memories: BaseStore, owner: str, memory: Memory, *, added: list[str]) -> None:
    value = {
        "text": memory.text,
        "kind": memory.kind,
        "exclusions": memory.exclusions,
        "added": added,
    }
    _stored(lambda: memories.put(memory_namespace(owner), memory.key, value))


def what_is_known(memories: BaseStore, store: Store, owner: str) -> Known:
    """The owner's memories and the profile settings they set (fields of a saved profile that
    differ from the defaults)."""
    return Known(list_memories(memories, owner), profile_settings(get_profile(store, owner)))


def profile_settings(profile: Profile) -> dict[str, Any]:
    """The fields of `profile` that differ from a default profile's, as JSON."""
    if profile.version == 0:
        return {}
    mine = profile.editable()
    defaults = Profile(owner=profile.owner).editable()
    return {name: mine[name] for name in EDITABLE_FIELDS if mine.get(name) != defaults.get(name)}


def memory_context(known: Known, limit: int = CONTEXT_MEMORIES) -> str | None:
    """What the agents are told about the owner at the start of each chat turn (None when
    nothing is known): the profile settings they set and their latest `limit` memories."""
    if not known.memories and not known.from_profile:
        return None
    lines = ["What you know about this user (long-term memory, from earlier conversations):"]
    exclusions = known.from_profile.get("exclusions")
    if exclusions:
        lines.append(
            "- Profile exclusions, enforced in every portfolio: " + ", ".join(exclusions) + "."
        )
    for name, value in known.from_profile.items():
        if name != "exclusions":
            lines.append(f"- Profile {name.replace('_', ' ')}: {value}.")
    shown = known.memories[-limit:]
    if len(shown) < len(known.memories):
        lines.append(f"- ({len(known.memories) - len(shown)} older memories not shown.)")
    lines += [f"- Memory {m.key}: {m.text}" for m in shown]
    return "\n".join(lines)


__all__ = [
    "CONTEXT_MEMORIES",
    "MAX_MEMORIES",
    "MAX_TEXT",
    "Forgotten",
    "Known",
    "Memory",
    "forget",
    "forget_all",
    "get_memory",
    "list_memories",
    "memory_context",
    "profile_settings",
    "remember",
    "what_is_known",
]
