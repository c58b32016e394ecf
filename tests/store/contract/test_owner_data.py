"""An owner's data as a whole on both backends (`store.owner_data`): read out, erased (hidden at
once, purged, with a receipt), restored into a new owner: the new owner's data compares equal,
another owner's is never touched, and records that would reach outside the owner are refused
leaving nothing."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from settings import Settings, StoreSettings
from store import NotFoundError, Store
from store.aws import AWSStore
from store.checkpoints import delete_checkpoints
from store.owner_data import (
    OwnerBusyError,
    OwnerNotEmptyError,
    OwnerRecord,
    OwnerRewrite,
    owner_key,
)
from store.sqlite import SQLiteStore
from store.sqlite.owner_data import CHILD_TABLES, NOT_EXPORTED, OWNED_TABLES, STORE_TABLES
from tests.store.conftest import FakeClock, make_aws_store
from tests.support.owner_data import Shape, comparable, populate

_owners = itertools.count()


def fresh(name: str) -> str:
    """An owner id no earlier example of the module used."""
    return f"{name}-{next(_owners)}"


@pytest.fixture(params=["sqlite", "aws"])
def owner_store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[Store]:
    """Either backend, able to delete conversations (the erasure does)."""
    if request.param == "sqlite":
        local = Settings(data_dir=tmp_path)
        s: Store = SQLiteStore(
            tmp_path / "store.sqlite",
            api_key_pepper="test-pepper",
            clock=clock,
            delete_checkpoints=partial(delete_checkpoints, StoreSettings(), settings=local),
        )
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        s = make_aws_store(endpoint, request.getfixturevalue("aws_names"), clock)
    yield s
    s.close()


def purge(store: Store) -> None:
    """What the cleanup does for erasures (SQLite purged at once already)."""
    store.purge_erased()


shapes = st.builds(
    Shape,
    jobs=st.integers(0, 2),
    trials=st.integers(0, 3),
    events=st.integers(0, 3),
    big_result=st.booleans(),
    documents=st.integers(0, 2),
    chunks=st.integers(1, 3),
    ideas=st.integers(0, 2),
    deployments=st.integers(0, 2),
    ledger=st.integers(0, 3),
    orders=st.integers(1, 2),
    text=st.text(st.characters(categories=("L", "N", "P", "Zs")), max_size=12),
    blob=st.binary(min_size=1, max_size=64),
)


@settings(
    max_examples=5,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # moto is too slow to shrink on
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(shape=shapes, other=shapes)
def test_exported_erased_and_imported_into_a_new_owner_compares_equal(
    owner_store: Store, shape: Shape, other: Shape
) -> None:
    store = owner_store
    alice, bob, carol = fresh("alice"), fresh("bob"), fresh("carol")
    key = populate(store, alice, shape)["key"]
    populate(store, bob, other)
    bob_before = comparable(list(store.owner_records(bob)))
    bob_files = sorted((o.name, o.read()) for o in store.owner_objects(bob))

    records = list(store.owner_records(alice))
    objects = [(o.name, o.read()) for o in store.owner_objects(alice)]
    assert {"jobs", "items"} & {r.collection for r in records} or shape.jobs == 0
    receipt = store.erase_owner(alice)
    assert receipt.owner_key == owner_key("test-pepper", alice) and alice not in str(receipt)
    if isinstance(store, AWSStore):  # hidden at once, bytes still there until the purge
        assert receipt.status == "hidden"
        with pytest.raises(OwnerBusyError):
            store.list_portfolios(alice)
        with pytest.raises(OwnerBusyError):
            store.create_portfolio(alice, "new", {})
        assert alice not in {d.owner for d in store.deployments_by_status("active")}
    with pytest.raises(NotFoundError):
        store.verify_api_key(key)
    purge(store)
    assert store.owner_lock(alice) is None and not store.owner_has_data(alice)
    assert list(store.owner_records(alice)) == [] and list(store.owner_objects(alice)) == []
    done = store.erasure_receipts(alice)[0]
    assert done.id == receipt.id and done.status == "purged"
    assert sum(done.counts.values()) >= len(records) + len(objects)

    store.restore_owner(carol, records, objects, OwnerRewrite(alice, carol))
    assert comparable(list(store.owner_records(carol))) == comparable(
        records, OwnerRewrite(alice, carol)
    )
    moved = OwnerRewrite(alice, carol)
    assert sorted((o.name, o.read()) for o in store.owner_objects(carol)) == sorted(
        (moved.value(name), data) for name, data in objects
    )
    # the other owner is untouched by either
    assert comparable(list(store.owner_records(bob))) == bob_before
    assert sorted((o.name, o.read()) for o in store.owner_objects(bob)) == bob_files
    assert not any(bob in r.data.get("pk", "") for r in store.owner_records(carol))


def test_an_import_into_an_owner_with_data_is_refused(owner_store: Store) -> None:
    store = owner_store
    alice, bob = fresh("alice"), fresh("bob")
    populate(store, alice, Shape())
    store.create_portfolio(bob, "mine", {})
    records = list(store.owner_records(alice))
    with pytest.raises(OwnerNotEmptyError):
        store.restore_owner(bob, records, [], OwnerRewrite(alice, bob))
    assert [p.name for p in store.list_portfolios(bob)] == ["mine"]


def test_an_import_of_another_owners_keys_leaves_nothing(owner_store: Store) -> None:
    """Records of an archive are the importer's only: one that would write a global id another
    owner holds fails the import whole (nothing readable; the purge removes what was
    written)."""
    store = owner_store
    alice, carol = fresh("alice"), fresh("carol")
    populate(store, alice, Shape(jobs=1))
    records = list(store.owner_records(alice))
    with pytest.raises(Exception) as refused:
        store.restore_owner(carol, records, [], OwnerRewrite(alice, carol))
    assert "taken" in str(refused.value) or isinstance(store, AWSStore)
    purge(store)
    assert not store.owner_has_data(carol) and store.owner_lock(carol) is None
    assert len(list(store.owner_records(alice))) == len(records)  # alice untouched


@pytest.mark.parametrize(
    "hostile",
    [
        {"pk": "OWNER#mallory", "sk": "PF#pf_x", "id": "pf_x"},
        {"pk": "OWNER#{owner}", "sk": "PF#pf_x", "deleted_at": 1, "purge": "{}"},
        {"pk": "OWNER#{owner}", "sk": "RESULT#j", "location": "results/mallory/j/x.json"},
        {"pk": "TRIALS#mallory#job_1", "sk": "000000000001"},
        {"pk": "RUN#job_1", "sk": "000000000001"},
        {"pk": "OWNER#{owner}", "sk": "IDEA#i", "gsi1pk": "IDEASTATUS#mallory#proposed"},
        {
            "pk": "OWNER#{owner}",
            "sk": "AN#optimization#opt_x",
            "id": "opt_x",
            "kind": "optimization",
            "created_at": 1,
            "gsi2pk": "ANALYSES#mallory#optimization",
        },
        {
            "pk": "OWNER#{owner}",
            "sk": "AN#optimization#opt_x",
            "id": "opt_y",
            "kind": "optimization",
            "created_at": 1,
        },
        {"pk": "OWNER#{owner}", "sk": "AN#optimization#opt_x", "id": "opt_x"},
        {"pk": "OWNER#{owner}", "sk": "#LOCK", "state": "erasing"},
        {"pk": "OWNER#{owner}", "sk": "KEY#k", "key_hash": "x"},
    ],
)
def test_hostile_items_are_refused_on_aws(store_aws: AWSStore, hostile: dict[str, object]) -> None:
    owner = fresh("carol")
    item = {k: v.replace("{owner}", owner) if isinstance(v, str) else v for k, v in hostile.items()}
    good = OwnerRecord("items", {"pk": f"OWNER#{owner}", "sk": "PF#pf_ok", "id": "pf_ok"})
    with pytest.raises(ValueError):
        store_aws.restore_owner(
            owner, [good, OwnerRecord("items", item)], [], OwnerRewrite(owner, owner)
        )
    with pytest.raises(OwnerBusyError):  # what it wrote is hidden
        store_aws.list_portfolios(owner)
    store_aws.purge_erased()
    assert not store_aws.owner_has_data(owner) and store_aws.owner_lock(owner) is None


def test_hostile_rows_are_refused_on_sqlite(tmp_path: Path, clock: FakeClock) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite", clock=clock)
    alice, carol = fresh("alice"), fresh("carol")
    job, _ = store.submit_job(alice, "optimize", {})
    bad = [
        OwnerRecord("trials", {"job_id": job.id, "number": 9, "data": "{}"}),  # alice's job
        OwnerRecord("api_keys", {"id": "key_1", "owner": carol}),
        OwnerRecord("jobs", {"id": "job_new", "nope": 1}),
        OwnerRecord("ledger_entries", {"seq": 1}),
    ]
    for record in bad:
        with pytest.raises(ValueError):
            store.restore_owner(carol, [record], [], OwnerRewrite(carol, carol))
    with pytest.raises(ValueError):
        store.restore_owner(
            carol, [], [("objects/reports/../../x", b"1")], OwnerRewrite(carol, carol)
        )
    assert not store.owner_has_data(carol)
    assert [t.number for t in store.trials(alice, job.id).items] == []


def test_every_sqlite_table_is_classified(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite")
    with sqlite3.connect(store.path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    classified = [set(OWNED_TABLES), set(CHILD_TABLES), set(NOT_EXPORTED), set(STORE_TABLES)]
    assert set().union(*classified) == tables
    assert sum(map(len, classified)) == len(tables)  # each in exactly one


def test_a_pending_sqlite_purge_never_removes_what_was_written_after_the_erasure(
    tmp_path: Path, clock: FakeClock
) -> None:
    """An erasure whose purge failed (here: no way to delete conversations yet) is finished by
    the cleanup; what the owner wrote meanwhile, a report file and a thread of the same id,
    survives it."""
    store = SQLiteStore(tmp_path / "s.sqlite", clock=clock)
    alice = fresh("alice")
    old = store.put_report(
        alice, "paper-x", date(2026, 11, 20), "tearsheet", None, b"<html>old</html>"
    )
    thread = store.create_thread(alice, "talk", thread_id="th_same")
    receipt = store.erase_owner(alice)
    assert receipt.status == "hidden" and store.list_threads(alice) == []  # rows gone at once
    new = store.put_report(
        alice, "paper-x", date(2026, 11, 21), "tearsheet", None, b"<html>new</html>"
    )
    store.create_thread(alice, "again", thread_id=thread.id)
    deleted: list[str] = []
    store.delete_checkpoints = deleted.extend
    assert store.purge_erased() == 1
    assert store.erasure_receipts(alice)[0].status == "purged"
    assert store.report_bytes(alice, new.id) == b"<html>new</html>"
    assert not any(p.name.startswith(old.id) for p in store.objects_directory().rglob("*"))
    assert deleted == []  # the thread exists again: its conversation is its new one's
    assert store.purge_erased() == 0
