"""Long-term memory through LangGraph's store interface (`store.memories.memory_store`): the
SQLite file beside the store, and `DynamoDBStore` on the moto server; each owner's namespace
holds only their memories, whatever characters the owner id has."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from langgraph.store.base import BaseStore

from settings import Settings, StoreSettings
from store.memories import create_memory_table, memory_namespace, memory_store, owner_label

OWNERS = ("alice", "cognito:1234-abcd", "bob.smith@example.com", "cognito:1234", "a%3Ab")


@pytest.fixture(params=["sqlite", "aws"])
def memories(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseStore]:
    settings = Settings(data_dir=tmp_path)
    config: StoreSettings | None = None
    if request.param == "aws":
        endpoint = request.getfixturevalue("moto_endpoint")
        names = request.getfixturevalue("aws_names")
        config = StoreSettings(
            backend="aws",
            aws_endpoint_url=endpoint,
            table_prefix=names["table"].removesuffix("store"),
            max_attempts=1,
        )
        create_memory_table(config)
    opened: AbstractContextManager[BaseStore] = memory_store(settings, config)
    with opened as store:
        yield store
    if request.param == "sqlite":
        assert (tmp_path / "memories.sqlite").is_file()


def test_owner_labels_are_distinct_and_free_of_separators() -> None:
    labels = [owner_label(o) for o in OWNERS]
    assert len(set(labels)) == len(OWNERS)
    assert all("." not in label and ":" not in label for label in labels)
    with pytest.raises(ValueError, match="owner"):
        owner_label("")


def test_put_get_search_delete_round_trip_per_owner(memories: BaseStore) -> None:
    for n, owner in enumerate(OWNERS):
        memories.put(memory_namespace(owner), f"mem_{n}", {"text": f"fact of {owner}"})
    for n, owner in enumerate(OWNERS):
        found = memories.search(memory_namespace(owner))
        assert [(i.key, i.value["text"]) for i in found] == [(f"mem_{n}", f"fact of {owner}")]
        item = memories.get(memory_namespace(owner), f"mem_{n}")
        assert item is not None and item.value == {"text": f"fact of {owner}"}
        # another owner's key is not reachable through this owner's namespace
        other = (n + 1) % len(OWNERS)
        assert memories.get(memory_namespace(owner), f"mem_{other}") is None
    memories.delete(memory_namespace("alice"), "mem_0")
    assert memories.search(memory_namespace("alice")) == []
    assert len(memories.search(memory_namespace("cognito:1234-abcd"))) == 1


@pytest.mark.usefixtures("classification_file")
def test_remembering_and_forgetting_on_dynamodb_with_the_aws_store(
    tmp_path: Path, moto_endpoint: str, aws_names: dict[str, str], clock: Any
) -> None:
    """The whole use case on AWS: memories in DynamoDBStore, the profile in the store table."""
    from services.memories import forget, list_memories, remember
    from services.profiles import get_profile
    from tests.store.conftest import make_aws_store

    config = StoreSettings(
        backend="aws",
        aws_endpoint_url=moto_endpoint,
        table_prefix=aws_names["table"].removesuffix("store"),
        max_attempts=1,
    )
    create_memory_table(config)
    store = make_aws_store(moto_endpoint, aws_names, clock)
    with memory_store(Settings(data_dir=tmp_path), config) as memories:
        memory = remember(memories, store, "cognito:alice", "I never hold tobacco", ["tobacco"])
        assert get_profile(store, "cognito:alice").exclusions == ["tobacco"]
        assert [m.key for m in list_memories(memories, "cognito:alice")] == [memory.key]
        assert list_memories(memories, "cognito") == []
        done = forget(memories, store, "cognito:alice", memory.key)
        assert done.removed == ["tobacco"]
        assert list_memories(memories, "cognito:alice") == []
        assert get_profile(store, "cognito:alice").exclusions == []
    assert not (tmp_path / "memories.sqlite").exists()  # nothing local on AWS
