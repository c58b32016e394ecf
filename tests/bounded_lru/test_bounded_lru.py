"""`BoundedLru`: any sequence of operations does to it what it does to a plain model (a list of
keys and values, least recently used first) — the size bound, recency on every read and write,
the least recently used dropped first, `clear` — and threads sharing one keep it bounded and
consistent, `compute` atomic."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bounded_lru import BoundedLru
from tests.support.together import run_together

KEYS = st.integers(min_value=0, max_value=7)
"""Few keys, so that reads and writes often meet the same key and sizes of 1 to 5 evict."""


class AgainstAModel(RuleBasedStateMachine):
    """Each operation on a `BoundedLru` and on `model`, the (key, value) pairs kept, least
    recently used first."""

    def __init__(self) -> None:
        super().__init__()
        self.lru: BoundedLru[int, int] = BoundedLru(1)
        self.size = 1
        self.model: list[tuple[int, int]] = []

    @initialize(size=st.integers(min_value=1, max_value=5))
    def start(self, size: int) -> None:
        self.lru = BoundedLru(size)
        self.size = size

    def _used(self, key: int, value: int) -> None:
        """`key` written with `value` in the model: last, the first dropped past the size."""
        self.model = [(k, v) for k, v in self.model if k != key] + [(key, value)]
        del self.model[: max(0, len(self.model) - self.size)]

    @rule(key=KEYS, value=st.integers())
    def put(self, key: int, value: int) -> None:
        self.lru.put(key, value)
        self._used(key, value)

    @rule(key=KEYS)
    def get(self, key: int) -> None:
        kept = dict(self.model).get(key)
        assert self.lru.get(key) == kept
        assert self.lru.get(key, -1) == (-1 if kept is None else kept)
        if kept is not None:
            self._used(key, kept)

    @rule(key=KEYS, step=st.integers(min_value=1, max_value=3))
    def compute(self, key: int, step: int) -> None:
        kept = dict(self.model).get(key)
        seen: list[int | None] = []

        def remap(value: int | None) -> int:
            seen.append(value)
            return (value or 0) + step

        assert self.lru.compute(key, remap) == (kept or 0) + step
        assert seen == [kept]
        self._used(key, (kept or 0) + step)

    @rule()
    def clear(self) -> None:
        self.lru.clear()
        self.model = []

    @invariant()
    def the_same_keys_in_the_same_order(self) -> None:
        assert self.lru.keys() == [key for key, _ in self.model]
        assert len(self.lru) == len(self.model) <= self.size


AgainstAModel.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
test_operations_do_what_they_do_to_the_model = AgainstAModel.TestCase


@given(size=st.integers(min_value=1, max_value=4), keys=st.lists(KEYS, min_size=1, max_size=30))
def test_written_keys_are_dropped_oldest_first(size: int, keys: list[int]) -> None:
    lru: BoundedLru[int, int] = BoundedLru(size)
    for key in keys:
        lru.put(key, key)
    latest = list(dict.fromkeys(reversed(keys)))[:size]  # the last written, newest first
    assert lru.keys() == latest[::-1]


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="size"):
        BoundedLru(0)


@pytest.fixture
def switching_often() -> Iterator[None]:
    """Threads switched every microsecond, so that an unguarded read-then-write interleaves."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("switching_often")
def test_threads_sharing_one_keep_it_bounded_and_consistent() -> None:
    lru: BoundedLru[int, int] = BoundedLru(16)
    wrong: list[str] = []

    def work(n: int) -> None:
        for i in range(20_000):
            key = (n * 7919 + i * 104729) % 64
            if i % 3:
                lru.put(key, key * 10)
            elif (found := lru.get(key)) is not None and found != key * 10:
                wrong.append(f"key {key} gave {found}")
            if len(lru) > lru.size:
                wrong.append(f"{len(lru)} kept")

    run_together(work, 8)
    assert wrong == []
    keys = lru.keys()
    assert len(keys) == len(set(keys)) == len(lru) == 16
    assert all(lru.get(key) == key * 10 for key in keys)


@pytest.mark.usefixtures("switching_often")
def test_compute_is_atomic() -> None:
    """Every thread adds 1 to the same few keys: no addition is lost."""
    lru: BoundedLru[int, int] = BoundedLru(4)

    def work(n: int) -> None:
        for i in range(2000):
            lru.compute(i % 4, lambda kept: (kept or 0) + 1)

    run_together(work, 8)
    assert {key: lru.get(key) for key in range(4)} == dict.fromkeys(range(4), 8 * 500)
