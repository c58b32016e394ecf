"""The items of a message read once per thread, not once per turn: the ask accounting reads
every user message of a thread on every turn (`graphs.ask_check.thread_items` carries earlier
requests), so `remembered` keeps the latest readings of a reader such as
`graphs.ask_items.ask_items`, each under its message, the earlier replies it was given
(`cited`) and the vocabulary it was read with. A reading is used again only with an equal
vocabulary (the same tickers, company names, group terms and sessions), so what is read never
differs from a fresh reading.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

from bounded_lru import BoundedLru
from graphs.ask_vocabulary import Vocabulary

KEPT = 2048
"""Readings kept (the least recently used go first)."""

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Reader(Protocol[T_co]):
    """A reader of a message's items: `(message, vocab, cited="")` -> the items."""

    def __call__(self, message: str, vocab: Vocabulary, cited: str = "") -> Sequence[T_co]: ...


class _Reading(NamedTuple):
    vocab: Vocabulary
    items: tuple[Any, ...]


def _same_vocabulary(a: Vocabulary, b: Vocabulary) -> bool:
    """Whether a message reads the same under `a` and `b` (what `ask_items` looks at)."""
    if a is b:
        return True
    if a.tickers != b.tickers or (a.names is not b.names and a.names != b.names):
        return False
    if a.groups is not b.groups and a.groups != b.groups:
        return False
    if a.sessions is None or b.sessions is None:
        return a.sessions is b.sessions
    return a.sessions is b.sessions or bool(a.sessions.equals(b.sessions))


def remembered(reader: Reader[T]) -> Callable[..., list[T]]:
    """`reader(message, vocab, cited)` whose latest `KEPT` readings are kept and given again
    (as a new list) for the same message, `cited` text and an equal vocabulary; its items must
    be immutable."""
    readings: BoundedLru[tuple[str, str], _Reading] = BoundedLru(KEPT)

    @functools.wraps(reader)
    def read(message: str, vocab: Vocabulary, cited: str = "") -> list[T]:
        key = (message, cited)
        kept = readings.get(key)
        if kept is not None and _same_vocabulary(kept.vocab, vocab):
            return list(kept.items)
        items = tuple(reader(message, vocab, cited))
        readings.put(key, _Reading(vocab, items))
        return list(items)

    return read


__all__ = ["KEPT", "remembered"]
