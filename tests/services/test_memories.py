"""services.memories: remembering, listing and forgetting an owner's facts, and the profile
exclusions that exclusion statements add and forgetting removes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.store.base import BaseStore

from services.errors import InputError
from services.memories import (
    MAX_TEXT,
    forget,
    forget_all,
    list_memories,
    memory_context,
    remember,
    what_is_known,
)
from services.profiles import add_exclusion, get_profile, screen, update_profile
from settings import Settings
from store import NotFoundError, Store
from store.memories import memory_store

ALICE, BOB = "alice", "cognito:bob"


@pytest.fixture
def memories(tmp_path: Path) -> Iterator[BaseStore]:
    with memory_store(Settings(data_dir=tmp_path)) as opened:
        yield opened


@pytest.mark.usefixtures("classification_file")
def test_an_exclusion_statement_is_remembered_and_enforced_by_the_profile(
    memories: BaseStore, store: Store
) -> None:
    memory = remember(memories, store, ALICE, "I never hold tobacco", exclusions=["Tobacco"])
    assert memory.kind == "exclusion" and memory.exclusions == ["tobacco"]
    assert memory.key.startswith("mem_")
    profile = get_profile(store, ALICE)
    assert profile.exclusions == ["tobacco"]
    checked = screen(profile, ["MO", "PM", "KO"])
    assert checked.allowed == ["KO"]
    assert [x.ticker for x in checked.left_out] == ["MO", "PM"]
    assert [m.text for m in list_memories(memories, ALICE)] == ["I never hold tobacco"]
    # another owner knows nothing
    assert list_memories(memories, BOB) == []
    assert what_is_known(memories, store, BOB).to_json() == {"memories": [], "profile": {}}
    with pytest.raises(NotFoundError, match=memory.key):
        forget(memories, store, BOB, memory.key)
    assert get_profile(store, ALICE).exclusions == ["tobacco"]


def test_forgetting_an_exclusion_memory_removes_the_profile_exclusion(
    memories: BaseStore, store: Store
) -> None:
    memory = remember(memories, store, ALICE, "no AMD", exclusions=["amd"])
    fact = remember(memories, store, ALICE, "I prefer low turnover")
    assert fact.kind == "fact" and fact.exclusions == []
    done = forget(memories, store, ALICE, memory.key)
    assert done.removed == ["AMD"] and done.kept == []
    assert get_profile(store, ALICE).exclusions == []
    assert [m.key for m in list_memories(memories, ALICE)] == [fact.key]
    with pytest.raises(NotFoundError):
        forget(memories, store, ALICE, memory.key)


def test_an_exclusion_two_memories_state_stays_until_both_are_forgotten(
    memories: BaseStore, store: Store
) -> None:
    first = remember(memories, store, ALICE, "never energy", exclusions=["energy"])
    remember(memories, store, ALICE, "no energy stocks please", exclusions=["Energy"])
    done = forget(memories, store, ALICE, first.key)
    (second,) = list_memories(memories, ALICE)
    assert done.removed == [] and done.kept == [f"energy (memory {second.key} states it too)"]
    assert get_profile(store, ALICE).exclusions == ["energy"]
    everything = forget_all(memories, store, ALICE)
    assert [f.removed for f in everything] == [["energy"]]
    assert list_memories(memories, ALICE) == [] and get_profile(store, ALICE).exclusions == []


@pytest.mark.usefixtures("classification_file")
def test_an_exclusion_the_profile_held_before_the_memory_stays_when_it_is_forgotten(
    memories: BaseStore, store: Store
) -> None:
    add_exclusion(store, ALICE, "AMD")  # set on the profile page, not said in the chat
    memory = remember(memories, store, ALICE, "no AMD or tobacco", exclusions=["AMD", "tobacco"])
    assert memory.exclusions == ["AMD", "tobacco"] and memory.added == ["tobacco"]
    done = forget(memories, store, ALICE, memory.key)
    assert done.removed == ["tobacco"]
    assert done.kept == ["AMD (in the profile before this memory)"]
    assert get_profile(store, ALICE).exclusions == ["AMD"]


def test_bad_input_names_the_field_and_saves_nothing(memories: BaseStore, store: Store) -> None:
    with pytest.raises(InputError) as caught:
        remember(memories, store, ALICE, "never widgets", exclusions=["widgets"])
    assert caught.value.field == "exclusions" and "widgets" in caught.value.problem
    with pytest.raises(InputError) as caught:
        remember(memories, store, ALICE, "  ")
    assert caught.value.field == "text"
    with pytest.raises(InputError) as caught:
        remember(memories, store, ALICE, "x" * (MAX_TEXT + 1))
    assert caught.value.field == "text"
    assert list_memories(memories, ALICE) == []
    assert get_profile(store, ALICE).version == 0


def test_what_is_known_lists_memories_and_the_settings_the_owner_set(
    memories: BaseStore, store: Store
) -> None:
    assert memory_context(what_is_known(memories, store, ALICE)) is None
    update_profile(store, ALICE, {"risk_tolerance": "conservative"})
    add_exclusion(store, ALICE, "XOM")
    remember(memories, store, ALICE, "I benchmark against the S&P 500")
    known = what_is_known(memories, store, ALICE)
    assert known.from_profile == {"risk_tolerance": "conservative", "exclusions": ["XOM"]}
    assert [m.text for m in known.memories] == ["I benchmark against the S&P 500"]
    context = memory_context(known)
    assert context is not None
    assert "exclusions, enforced in every portfolio: XOM" in context
    assert "I benchmark against the S&P 500" in context and "conservative" in context
