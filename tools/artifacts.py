"""An in-process, thread-safe store for the large objects tools produce.

Tool results stay small: scenario sets, search results, portfolios, frontiers and sensitivity
curves are kept here and referenced in the result by an id such as ``"scn_1a2b3c"`` (a kind
prefix and 6 hex digits). Ids are deterministic: the n-th artifact of a kind in a store with a
given `namespace` always gets the same id, so the same run produces the same trace. A store's
counts can be read and set (`counts`, `count_from`), so a thread whose turns run in several
processes counts on from where its last turn left off (`graphs.thread_artifacts`), and what a
tool call puts can be collected (`collecting_built`: the recipes of `tools.recipes`).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ARTIFACT_ID",
    "KIND_PREFIXES",
    "ArtifactNotFoundError",
    "ArtifactStore",
    "collecting_built",
    "kind_of_id",
]

KIND_PREFIXES: dict[str, str] = {
    "scenarios": "scn",
    "search": "srch",
    "portfolio": "pf",
    "frontier": "frt",
    "sensitivity": "sens",
}
"""Artifact kinds and the prefix of their ids."""

ARTIFACT_ID = re.compile(rf"\b(?:{'|'.join(KIND_PREFIXES.values())})_[0-9a-f]{{6}}\b")
"""An artifact id as tools give it (an owner's saved portfolio's longer id is not one)."""

_KINDS = {prefix: kind for kind, prefix in KIND_PREFIXES.items()}

_BUILT: ContextVar[list[tuple[str, str]] | None] = ContextVar("artifacts_built", default=None)
"""Where `put` notes what it stores, while `collecting_built` runs in this context."""


def kind_of_id(artifact_id: str) -> str:
    """The kind an artifact id names by its prefix (`ValueError` for an id of no kind)."""
    kind = _KINDS.get(artifact_id.split("_", 1)[0])
    if kind is None or not ARTIFACT_ID.fullmatch(artifact_id):
        raise ValueError(f"{artifact_id!r} is not an artifact id")
    return kind


@contextmanager
def collecting_built() -> Iterator[list[tuple[str, str]]]:
    """The ``(id, kind)`` of every artifact `put` in this context (this thread: a tool call)
    while the block runs, in order; a nested block collects its own."""
    built: list[tuple[str, str]] = []
    token = _BUILT.set(built)
    try:
        yield built
    finally:
        _BUILT.reset(token)


class ArtifactNotFoundError(LookupError):
    """No artifact with this id (or not of the requested kind); the message says which."""


@dataclass
class _Entry:
    kind: str
    obj: Any


@dataclass
class ArtifactStore:
    """Artifacts by id: ``put(kind, obj) -> id``, ``get(id, kind=None) -> obj``.

    `namespace` (e.g. a run id) is mixed into the ids so that stores of different runs do not
    hand out the same ids. All methods are safe to call from several threads.
    """

    namespace: str = ""
    _items: dict[str, _Entry] = field(default_factory=dict, repr=False)
    _counts: dict[str, int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def put(self, kind: str, obj: Any) -> str:
        """Store `obj` under a new id of `kind` (one of `KIND_PREFIXES`) and return the id."""
        if kind not in KIND_PREFIXES:
            raise ValueError(
                f"unknown artifact kind {kind!r}; kinds: {', '.join(sorted(KIND_PREFIXES))}"
            )
        with self._lock:
            while True:
                n = self._counts.get(kind, 0)
                self._counts[kind] = n + 1
                digest = hashlib.sha256(f"{self.namespace}:{kind}:{n}".encode()).hexdigest()
                artifact_id = f"{KIND_PREFIXES[kind]}_{digest[:6]}"
                if artifact_id not in self._items:
                    break
            self._items[artifact_id] = _Entry(kind, obj)
        collected = _BUILT.get()
        if collected is not None:
            collected.append((artifact_id, kind))
        return artifact_id

    def restore(self, artifact_id: str, kind: str, obj: Any) -> None:
        """Put back an artifact saved elsewhere under its own id (new ids never collide with
        it: `put` skips ids in use)."""
        if kind not in KIND_PREFIXES or not artifact_id.startswith(KIND_PREFIXES[kind] + "_"):
            raise ValueError(f"{artifact_id!r} is not an id of a {kind} artifact")
        with self._lock:
            self._items[artifact_id] = _Entry(kind, obj)

    def discard(self, artifact_ids: Iterable[str]) -> None:
        """Forget the artifacts `artifact_ids` (unknown ids are ignored)."""
        with self._lock:
            for artifact_id in artifact_ids:
                self._items.pop(artifact_id, None)

    def counts(self) -> dict[str, int]:
        """How many ids of each kind `put` has handed out (or been told of: `count_from`)."""
        with self._lock:
            return dict(self._counts)

    def count_from(self, counts: Mapping[str, int]) -> None:
        """Hand out ids from now on as if `counts[kind]` ids of each kind had been handed out
        (0 for a kind not named), e.g. where a thread's last turn, in another process, left
        off."""
        unknown = sorted(set(counts) - set(KIND_PREFIXES))
        if unknown:
            raise ValueError(f"unknown artifact kinds {unknown}")
        with self._lock:
            self._counts = {kind: int(n) for kind, n in counts.items() if n}

    def get(self, artifact_id: str, kind: str | None = None) -> Any:
        """The object stored under `artifact_id`.

        Raises `ArtifactNotFoundError` naming the id and the kind when the id is unknown or holds
        another kind (the message lists the ids of that kind that exist).
        """
        with self._lock:
            entry = self._items.get(artifact_id)
            if entry is not None and (kind is None or entry.kind == kind):
                return entry.obj
            known = sorted(k for k, e in self._items.items() if kind is None or e.kind == kind)
        what = f"{kind} artifact" if kind else "artifact"
        if entry is not None:
            problem = f"id {artifact_id!r} is a {entry.kind} artifact, not a {kind} artifact"
        else:
            problem = f"unknown {what} id {artifact_id!r}"
        available = ", ".join(known[-10:]) if known else "none yet"
        hint = {
            "scenarios": "; create one with generate_market_scenarios",
            "search": "; create one with run_strategy_search",
            "portfolio": "; create one with optimize_portfolio",
        }.get(kind or "", "")
        raise ArtifactNotFoundError(f"{problem}; available {what} ids: {available}{hint}")

    def kind_of(self, artifact_id: str) -> str | None:
        """The kind of `artifact_id`, or None if it is unknown."""
        with self._lock:
            entry = self._items.get(artifact_id)
        return None if entry is None else entry.kind

    def ids(self, kind: str | None = None) -> list[str]:
        """Ids stored (of `kind` if given), in insertion order."""
        with self._lock:
            return [k for k, e in self._items.items() if kind is None or e.kind == kind]

    def __contains__(self, artifact_id: object) -> bool:
        with self._lock:
            return artifact_id in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
