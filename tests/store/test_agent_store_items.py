"""The Agent Protocol's store on the long-term memory store, SQLite and DynamoDB (moto):
each owner's client namespaces under their own root, whatever the owner ids and labels are, and
the same answers from both backends (`api.agent_protocol.store_items`)."""

from __future__ import annotations

from langgraph.store.base import BaseStore

from api.agent_protocol.store_items import OwnerStore
from store.memories import memory_namespace
from tests.store.test_memories import OWNERS, memories  # noqa: F401  (the backends' fixture)

LABELS = [["prefs"], ["prefs", "ui"], ["a:b"], ["a", "b"], ["100%"], ["docs", "2024", "q1"]]


def test_owners_never_meet_whatever_their_ids_and_labels(memories: BaseStore) -> None:  # noqa: F811
    stores = [OwnerStore(memories, owner) for owner in OWNERS]
    for n, items in enumerate(stores):
        for m, namespace in enumerate(LABELS):
            items.put(namespace, "k", {"owner": n, "space": m})
    memories.put(memory_namespace(OWNERS[0]), "mem_1", {"text": "a memory, not an item"})
    for n, items in enumerate(stores):
        for m, namespace in enumerate(LABELS):
            found = items.get(namespace, "k")
            assert found is not None and found["value"] == {"owner": n, "space": m}
            assert found["namespace"] == namespace  # ["a:b"] and ["a", "b"] stay apart
        every = items.search([], None, 100, 0)
        assert sorted(i["value"]["space"] for i in every) == list(range(len(LABELS)))
        assert {i["value"]["owner"] for i in every} == {n}
        assert sorted(items.namespaces([], [], None, 100, 0)) == sorted(LABELS)
        assert items.namespaces(["prefs"], [], None, 100, 0) == [["prefs"], ["prefs", "ui"]]
        assert items.namespaces([], ["b"], None, 100, 0) == [["a", "b"]]
        assert items.namespaces(["docs", "*"], [], 1, 100, 0) == [["docs"]]
        assert items.namespaces([], [], 1, 100, 0) == [[x] for x in sorted({n[0] for n in LABELS})]
    stores[0].delete(["prefs"], "k")
    assert stores[0].get(["prefs"], "k") is None
    assert stores[1].get(["prefs"], "k") is not None


def test_search_takes_sub_namespaces_filters_and_pages_newest_first(
    memories: BaseStore,  # noqa: F811
) -> None:
    items = OwnerStore(memories, "alice")
    for n in range(5):
        items.put(["notes", f"n{n % 2}"], f"k{n}", {"n": n, "even": n % 2 == 0})
    items.put(["other"], "k9", {"n": 9, "even": False})
    found = items.search(["notes"], None, 10, 0)
    assert [i["key"] for i in found] == ["k4", "k3", "k2", "k1", "k0"]
    assert [i["key"] for i in items.search(["notes"], {"even": True}, 10, 0)] == ["k4", "k2", "k0"]
    assert [i["key"] for i in items.search(["notes"], None, 2, 1)] == ["k3", "k2"]
    assert [i["key"] for i in items.search(["notes", "n1"], None, 10, 0)] == ["k3", "k1"]
    assert OwnerStore(memories, "bob").search([], None, 10, 0) == []
