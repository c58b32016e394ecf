"""The Agent Protocol's store (`/store/...`) on the long-term memory store
(`store.memories.memory_store`: SQLite or DynamoDB), with the owner as the namespace root.

A client's namespace `[a, b, ...]` is stored as `("agent_store", <owner label>, a, b, ...)`
(`store.memories.owner_label`): every read, write, search and listing names the caller's root,
and results are kept to it, so a client never reaches, nor learns of, another owner's items.
The assistant's own memories (`("memories", <owner label>)`, `/v1/memories`) are outside it.
Labels are 1 to 100 characters without `.` (LangGraph's separator; the SDK refuses it too);
`%` and `:` are escaped in storage (`:` separates labels on DynamoDB), so no two client
namespaces meet. A search lists the items of the namespaces under its prefix, newest first, on
either backend (DynamoDB's own search takes one namespace only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from api.errors import validation_error
from services.problems import text_problem
from store.memories import owner_label

if TYPE_CHECKING:
    from langgraph.store.base import BaseStore, Item

ROOT = "agent_store"
"""First label of every stored namespace of the Agent Protocol's store."""
MAX_LABEL = 100
MAX_DEPTH = 10
"""Most labels of a client's namespace."""
MAX_NAMESPACES = 1000
"""Most namespaces a search reads (under its prefix) or a listing returns."""
MAX_SCAN = 1000
"""Most items a search reads from one namespace."""
_ESCAPES = (("%", "%25"), (":", "%3A"))


def _escape(label: str) -> str:
    for char, escaped in _ESCAPES:
        label = label.replace(char, escaped)
    return label


def _unescape(label: str) -> str:
    for char, escaped in reversed(_ESCAPES):
        label = label.replace(escaped, char)
    return label


def checked_label(label: Any, field: str) -> str:
    """A namespace label as given, or 422 naming `field`."""
    if not isinstance(label, str) or not 1 <= len(label) <= MAX_LABEL:
        raise validation_error(field, f"a label of 1 to {MAX_LABEL} characters")
    if "." in label:
        raise validation_error(field, "a label holds no '.' (it separates labels)")
    problem = text_problem(label)
    if problem:
        raise validation_error(field, problem)
    return label


def client_namespace(given: Sequence[Any], field: str, *, empty: bool = False) -> tuple[str, ...]:
    """A client's namespace, checked (422 naming `field` or `field.<i>`)."""
    if isinstance(given, str) or not (0 if empty else 1) <= len(given) <= MAX_DEPTH:
        least = 0 if empty else 1
        raise validation_error(field, f"a list of {least} to {MAX_DEPTH} labels")
    return tuple(checked_label(label, f"{field}.{i}") for i, label in enumerate(given))


@dataclass(frozen=True)
class OwnerStore:
    """The owner's part of the memory store `memories`."""

    memories: BaseStore
    owner: str

    @property
    def root(self) -> tuple[str, str]:
        """The stored namespace of the owner's empty client namespace."""
        return (ROOT, owner_label(self.owner))

    def stored(self, namespace: Sequence[str]) -> tuple[str, ...]:
        """The stored namespace of a client namespace (labels escaped)."""
        return (*self.root, *map(_escape, namespace))

    def shown(self, stored: Sequence[str]) -> list[str] | None:
        """The client namespace of a stored one, None when it is outside the owner's root."""
        if tuple(stored[:2]) != self.root:
            return None
        return [_unescape(label) for label in stored[2:]]

    def put(self, namespace: Sequence[str], key: str, value: dict[str, Any]) -> None:
        """Write the item (replacing one of the same namespace and key)."""
        self.memories.put(self.stored(namespace), key, value, index=False)

    def get(self, namespace: Sequence[str], key: str) -> dict[str, Any] | None:
        """The item, or None."""
        item = self.memories.get(self.stored(namespace), key)
        return None if item is None else self.view(item)

    def delete(self, namespace: Sequence[str], key: str) -> None:
        """Delete the item (nothing when there is none)."""
        self.memories.delete(self.stored(namespace), key)

    def namespaces(
        self,
        prefix: Sequence[str],
        suffix: Sequence[str],
        max_depth: int | None,
        limit: int,
        offset: int,
    ) -> list[list[str]]:
        """The owner's namespaces under `prefix` ending with `suffix` (`*` matches any label),
        cut to `max_depth` labels, sorted (matched here, the same on either backend)."""
        found = self.memories.list_namespaces(prefix=self.root, limit=MAX_NAMESPACES)
        shown: set[tuple[str, ...]] = set()
        for stored in found:
            labels = self.shown(stored)
            if labels is None or not labels:
                continue
            if _matches(labels, prefix) and _matches(labels[::-1], list(suffix)[::-1]):
                shown.add(tuple(labels[:max_depth] if max_depth else labels))
        return [list(n) for n in sorted(shown)[offset : offset + limit]]

    def search(
        self, prefix: Sequence[str], where: dict[str, Any] | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """The items of the namespaces under `prefix` whose values hold `where` (equal values
        at its keys), newest first."""
        spaces = [self.stored(prefix)] + [
            self.stored(n) for n in self.namespaces(prefix, (), None, MAX_NAMESPACES, 0)
        ]
        items: dict[tuple[tuple[str, ...], str], Item] = {}
        for space in dict.fromkeys(spaces):
            for item in self.memories.search(space, filter=where, limit=MAX_SCAN):
                if tuple(item.namespace) == space:  # SQLite's search takes sub-namespaces
                    items[(space, item.key)] = item
        ordered = sorted(items.values(), key=lambda i: (_utc(i.updated_at), i.key), reverse=True)
        return [self.view(item) for item in ordered[offset : offset + limit]]

    def view(self, item: Item) -> dict[str, Any]:
        """The Agent Protocol `Item`."""
        return {
            "namespace": self.shown(item.namespace),
            "key": item.key,
            "value": item.value,
            "created_at": _utc(item.created_at).isoformat(),
            "updated_at": _utc(item.updated_at).isoformat(),
        }


def _matches(labels: Sequence[str], start: Sequence[str]) -> bool:
    """Whether `labels` begin with `start` (`*` matches any one label)."""
    return len(labels) >= len(start) and all(
        want in ("*", have) for want, have in zip(start, labels, strict=False)
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
