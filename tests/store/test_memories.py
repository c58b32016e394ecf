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
from store.memory_tombstones import ForgettingStore

OWNERS = ("alice", "cognito:1234-abcd", "bob.smith@example.com", "cognito:1234", "a%3Ab")


def _aws_memories(endpoint: str, names: dict[str, str]) -> StoreSettings:
    """Settings of a memory table on moto's server at `endpoint`, the table created."""
    config = StoreSettings(
        backend="aws",
        aws_endpoint_url=endpoint,
        table_prefix=names["table"].removesuffix("store"),
        max_attempts=1,
    )
    create_memory_table(config)
    return config


@pytest.fixture(params=["sqlite", "aws"])
def memories(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseStore]:
    settings = Settings(data_dir=tmp_path)
    config: StoreSettings | None = None
    if request.param == "aws":
        endpoint = request.getfixturevalue("moto_endpoint")
        names = request.getfixturevalue("aws_names")
        config = _aws_memories(endpoint, names)
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

    config = _aws_memories(moto_endpoint, aws_names)
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


def test_forgetting_on_dynamodb_overwrites_the_memory_and_deletes_nothing(
    moto_endpoint: str, aws_names: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API may not delete (`store.memory_tombstones`): a forgotten memory's value is
    replaced at once, with an expiry for DynamoDB's TTL; no read shows it; a new put of its key
    is a memory again; searches page over what is left; another owner's are untouched."""
    config = _aws_memories(moto_endpoint, aws_names)
    with memory_store(Settings(data_dir=tmp_path), config) as memories:
        assert isinstance(memories, ForgettingStore)
        client = memories.store.client  # type: ignore[attr-defined]

        def refused(**kwargs: Any) -> None:
            raise AssertionError(f"DeleteItem called: {kwargs}")

        monkeypatch.setattr(client, "delete_item", refused)
        alice, bob = memory_namespace("alice"), memory_namespace("bob")
        for n in range(7):
            memories.put(alice, f"m{n}", {"text": f"secret {n}"})
        memories.put(bob, "m0", {"text": "bob's"})
        for n in (0, 2, 3, 5):
            memories.delete(alice, f"m{n}")
        assert memories.get(alice, "m0") is None
        assert sorted(i.key for i in memories.search(alice, limit=10)) == ["m1", "m4", "m6"]
        pages = [memories.search(alice, limit=2, offset=o) for o in (0, 2, 4)]
        assert sorted(i.key for page in pages for i in page) == ["m1", "m4", "m6"]
        assert [len(page) for page in pages] == [2, 1, 0]
        raw = client.scan(TableName=config.memory_table)["Items"]
        forgotten_items = [i for i in raw if "expires_at" in i]
        assert len(forgotten_items) == 4
        assert not any("secret" in str(i) for i in forgotten_items)  # the content is gone
        assert memories.get(bob, "m0") is not None and len(memories.search(bob)) == 1
        memories.put(alice, "m0", {"text": "again"})  # the key is a memory again
        item = memories.get(alice, "m0")
        assert item is not None and item.value == {"text": "again"}
        raw = client.get_item(
            TableName=config.memory_table,
            Key={"PK": {"S": f"memories:{owner_label('alice')}"}, "SK": {"S": "m0"}},
        )
        assert "expires_at" not in raw.get("Item", {"expires_at": None})


def test_a_new_memory_file_gets_the_tables_langgraph_s_own_setup_makes(tmp_path: Path) -> None:
    """A new file's memory tables are copied from a template: the same schema and migration
    rows as LangGraph's `SqliteStore.setup` on an empty file (the reference), and they work."""
    import sqlite3

    from langgraph.store.sqlite import SqliteStore

    reference = sqlite3.connect(tmp_path / "reference.sqlite", isolation_level=None)
    SqliteStore(reference).setup()

    def described(conn: sqlite3.Connection) -> list[Any]:
        schema = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
        versions = conn.execute("SELECT v FROM store_migrations ORDER BY v")
        return [*schema.fetchall(), *versions.fetchall()]

    for name in ("one", "two"):  # the template serves every new file
        settings = Settings(data_dir=tmp_path / name)
        with memory_store(settings) as memories:
            memories.put(("memories", "alice"), "m1", {"text": "no tobacco"})
            item = memories.get(("memories", "alice"), "m1")
            assert item is not None and item.value == {"text": "no tobacco"}
            connection: Any = memories.conn  # type: ignore[attr-defined]
            assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL, no fsync
        with sqlite3.connect(settings.data_dir / "memories.sqlite") as conn:
            assert described(conn) == described(reference)
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
