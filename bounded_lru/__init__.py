"""A map of bounded size that drops its least recently used entry, safe to share between
threads: the project's in-process caches (a trace file's reading, a scenario's rebuilt inputs,
a chat thread's tools, a message's reading...) keep their entries in a `BoundedLru`.

The lowest layer of the project, beside `lazy_exports`: it imports nothing of ours and holds
nothing of Stratigos' domain, so any package may use it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar, overload

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")

__all__ = ["BoundedLru"]


class BoundedLru(Generic[K, V]):
    """At most `size` values by key; reading (`get`) or writing (`put`, `compute`) a key makes it
    the most recently used, and a write that takes the map past `size` drops the least recently
    used keys. Every method holds the map's lock for its whole work, so each is atomic; a
    value computed outside the map (`get`, build, `put`) may be built twice by two threads,
    the later `put` kept, unless the caller uses `compute`."""

    def __init__(self, size: int) -> None:
        """An empty map keeping at most `size` (at least 1) values; `ValueError` otherwise."""
        if size < 1:
            raise ValueError(f"size: a bounded map keeps at least 1 value, not {size}")
        self.size = size
        """The most values kept."""
        self._values: OrderedDict[K, V] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    @overload
    def get(self, key: K) -> V | None: ...

    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: D | None = None) -> V | D | None:
        """The value kept under `key`, now the most recently used; `default` when none is."""
        with self._lock:
            if key not in self._values:
                return default
            self._values.move_to_end(key)
            return self._values[key]

    def put(self, key: K, value: V) -> None:
        """Keep `value` under `key` (in place of any value there), as the most recently used,
        dropping the least recently used keys past `size`."""
        with self._lock:
            self._kept(key, value)

    def compute(self, key: K, remap: Callable[[V | None], V]) -> V:
        """Keep and give `remap(kept)`, where `kept` is the value under `key` or None when there
        is none (so a map whose values may be None cannot tell them apart), as `put` keeps it.
        Atomic: `remap` runs under the map's lock, so it must be quick and must not use the
        map."""
        with self._lock:
            value = remap(self._values.get(key))
            self._kept(key, value)
            return value

    def _kept(self, key: K, value: V) -> None:
        """`put`'s work, the lock held."""
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self.size:
            self._values.popitem(last=False)

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._values.clear()

    def keys(self) -> list[K]:
        """The keys kept, least recently used first (a copy; reading it uses none)."""
        with self._lock:
            return list(self._values)

    def __len__(self) -> int:
        """How many values are kept."""
        with self._lock:
            return len(self._values)
