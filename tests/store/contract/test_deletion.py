"""An owner's deletes, on both backends: gone from every read at once, the bytes gone after
the purge (`Store.purge_deleted`; on AWS the delete is a tombstone, `store.aws.tombstones`),
a deleted key free for a new thing that the purge leaves alone, and another owner's things
never touched.

Per kind (`KINDS`): how to create one for an owner under a name, delete it, and every read of
the store that could show it (each returns what it sees, or raises `NotFoundError`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import NotFoundError, Store
from store.aws import AWSStore
from store.documents import DocumentChunk
from store.ideas import IdeaChanges, IdeaFilter
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB

DEP = "dep_1"
DATASET_META = {
    "format": "prices",
    "n_rows": 1,
    "n_columns": 1,
    "columns": ["A"],
    "start": "2024-01-02",
    "end": "2024-01-02",
}


@dataclass(frozen=True)
class Kind:
    """What an owner can delete: `create(store, owner, name) -> id`, `delete(store, owner, id)`,
    `reads(store, owner, id)`: every read that could show it, each a callable returning
    something truthy that names it when it is there."""

    create: Callable[[Store, str, str], str]
    delete: Callable[[Store, str, str], Any]
    reads: Callable[[Store, str, str], list[Callable[[], Any]]]


def _listed(items: list[Any], ident: str, attribute: str = "id") -> bool:
    return any(getattr(item, attribute) == ident for item in items)


def _idea(store: Store, owner: str, name: str) -> str:
    idea = store.create_idea(
        owner, title=name, thesis="t", tickers=["AAPL", "MSFT"], direction="long", horizon_days=5
    )
    return idea.id


def _cron(store: Store, owner: str, name: str) -> str:
    soon = store.clock() + timedelta(minutes=1)
    store.create_agent_cron(
        owner,
        cron_id=f"c-{name}",
        thread_id=None,
        schedule="* * * * *",
        next_run_at=soon,
        end_at=None,
        document={},
    )
    return f"c-{name}"


def _run(store: Store, owner: str, name: str) -> str:
    store.create_agent_run(
        owner, run_id=f"r-{name}", thread_id=f"t-{name}", assistant_id="a", lease_seconds=60
    )
    return f"t-{name}"


KINDS: dict[str, Kind] = {
    "dataset": Kind(
        lambda s, o, n: s.put_dataset(o, n, b"PAR1", DATASET_META).id,
        lambda s, o, i: s.delete_dataset(o, i),
        lambda s, o, i: [
            lambda: s.get_dataset(o, i),
            lambda: s.dataset_bytes(o, i),
            lambda: _listed(s.list_datasets(o), i),
        ],
    ),
    "document": Kind(
        lambda s, o, n: (
            s.add_document(
                o, n, "text/plain", b"text of " + n.encode(), [DocumentChunk(0, n, {})]
            ).id
        ),
        lambda s, o, i: s.delete_document(o, i),
        lambda s, o, i: [
            lambda: s.get_document(o, i),
            lambda: s.document_bytes(o, i),
            lambda: s.document_chunks(o, i).items,
            lambda: _listed(s.list_documents(o), i),
        ],
    ),
    "export": Kind(
        lambda s, o, n: s.create_export(o, DEP, "csv", n.encode(), rows=1).id,
        lambda s, o, i: s.delete_export(o, i),
        lambda s, o, i: [
            lambda: s.get_export(o, i),
            lambda: s.export_bytes(o, i),
            lambda: _listed(s.list_exports(o, DEP), i),
        ],
    ),
    "idea": Kind(
        _idea,
        lambda s, o, i: s.delete_idea(o, i),
        lambda s, o, i: [
            lambda: s.get_idea(o, i),
            lambda: _listed(s.list_ideas(o).items, i),
            lambda: _listed(s.list_ideas(o, IdeaFilter(ticker="AAPL")).items, i),
            lambda: _listed(s.list_ideas(o, IdeaFilter(status="proposed")).items, i),
        ],
    ),
    "portfolio": Kind(
        lambda s, o, n: s.create_portfolio(o, n, {"weights": {"A": 1.0}}).id,
        lambda s, o, i: s.delete_portfolio(o, i),
        lambda s, o, i: [
            lambda: s.get_portfolio(o, i),
            lambda: _listed(s.list_portfolios(o), i),
            lambda: s.update_portfolio(o, i, name="renamed"),  # no update revives it
        ],
    ),
    "thread": Kind(
        lambda s, o, n: s.create_thread(o, n).id,
        lambda s, o, i: s.delete_thread(o, i),
        lambda s, o, i: [
            lambda: s.get_thread(o, i),
            lambda: _listed(s.list_threads(o), i),
            lambda: s.touch_thread(o, i, title="again"),
        ],
    ),
    "agent runs": Kind(
        _run,
        lambda s, o, i: s.delete_agent_runs(o, i),
        lambda s, o, i: [
            lambda: s.list_agent_runs(o, i),
            lambda: s.get_agent_run(o, i, f"r-{i.removeprefix('t-')}"),
        ],
    ),
    "cron": Kind(
        _cron,
        lambda s, o, i: s.delete_agent_cron(o, i),
        lambda s, o, i: [
            lambda: s.get_agent_cron(o, i),
            lambda: _listed(s.list_agent_crons(o), i, "cron_id"),
            lambda: _listed(s.due_agent_crons(s.clock() + timedelta(hours=1)), i, "cron_id"),
        ],
    ),
    "profile": Kind(
        lambda s, o, n: s.save_profile(o, {"name": n}) and o,
        lambda s, o, i: s.delete_profile(o),
        lambda s, o, i: [lambda: s.get_profile(o)],
    ),
}


def shown(read: Callable[[], Any]) -> bool:
    """Whether a read shows the thing (a `NotFoundError` or an empty answer does not)."""
    try:
        return bool(read())
    except NotFoundError:
        return False


def stored(store: Store) -> int:
    """Items and objects in the AWS store's table and bucket (0 on SQLite: its rows are
    checked by each kind's own contract tests)."""
    if not isinstance(store, AWSStore):
        return 0
    items = store.ddb.scan(TableName=store.table)["Items"]
    objects = store.s3.list_objects_v2(Bucket=store.bucket).get("Contents", [])
    return len(items) + len(objects)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_deleted_thing_is_gone_from_every_read_at_once_and_its_bytes_after_the_purge(
    store: Store, kind: str
) -> None:
    spec = KINDS[kind]
    before = stored(store)
    ident = spec.create(store, ALICE, "gone")
    assert all(shown(read) for read in spec.reads(store, ALICE, ident))  # the reads see it
    spec.delete(store, ALICE, ident)
    assert not any(shown(read) for read in spec.reads(store, ALICE, ident))
    if kind != "agent runs":  # deleting a thread's runs again deletes none: 0, not an error
        with pytest.raises(NotFoundError):
            spec.delete(store, ALICE, ident)
    store.purge_deleted()
    assert not any(shown(read) for read in spec.reads(store, ALICE, ident))
    assert stored(store) == before  # nothing of it stays: no item, no tombstone, no object
    assert store.purge_deleted() == 0


@pytest.mark.parametrize("kind", ["thread", "profile", "cron"])
def test_a_deleted_key_is_free_again_and_the_purge_leaves_the_new_thing(
    store: Store, kind: str
) -> None:
    """Keys an owner names (a thread's id, the profile, a cron's id) can be used again at
    once; the purge of the old one does not remove the new one."""
    spec = KINDS[kind]
    if kind == "thread":
        ident = store.create_thread(ALICE, "first", thread_id="t-mine").id
        spec.delete(store, ALICE, ident)
        store.create_thread(ALICE, "second", thread_id="t-mine")
    else:
        ident = spec.create(store, ALICE, "mine")
        spec.delete(store, ALICE, ident)
        spec.create(store, ALICE, "mine")
    for _ in range(2):
        assert all(shown(read) for read in spec.reads(store, ALICE, ident)[:2])
        store.purge_deleted()


def test_a_ticker_taken_off_an_idea_is_off_its_index_and_can_come_back(store: Store) -> None:
    ident = _idea(store, ALICE, "idea")
    store.update_idea(ALICE, ident, IdeaChanges(tickers=["MSFT"]))
    assert store.list_ideas(ALICE, IdeaFilter(ticker="AAPL")).items == []
    store.purge_deleted()
    store.update_idea(ALICE, ident, IdeaChanges(tickers=["MSFT", "AAPL"]))
    store.purge_deleted()
    assert [i.id for i in store.list_ideas(ALICE, IdeaFilter(ticker="AAPL")).items] == [ident]


def test_a_released_lease_is_free_at_once(store: Store, clock: FakeClock) -> None:
    assert store.hold_lease(ALICE, "turn", "first", 60)
    assert not store.hold_lease(ALICE, "turn", "second", 60)
    store.release_lease(ALICE, "turn", "second")  # not its holder: nothing happens
    assert not store.hold_lease(ALICE, "turn", "second", 60)
    store.release_lease(ALICE, "turn", "first")
    assert store.cache_get(ALICE, "turn") is None
    assert store.hold_lease(ALICE, "turn", "second", 60)  # the same instant, no clock move
    assert store.cache_get(ALICE, "turn") == "second"


NAMES = st.sampled_from(["a", "b", "c"])
STEPS = st.lists(
    st.tuples(st.sampled_from([ALICE, BOB]), st.sampled_from(list(KINDS)), NAMES, st.booleans()),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_one_owner_s_deletes_never_touch_another_s_things(
    store: Store, steps: list[tuple[str, str, str, bool]]
) -> None:
    """Both owners create things under the same names; each step creates one, or deletes the
    owner's own of that kind and name (and purges): every thing not deleted is still shown by
    every read, the other owner's above all."""
    made: dict[tuple[str, str, str], str] = {}
    for owner, kind, name, delete in steps:
        key = (owner, kind, "-" if kind == "profile" else name)  # one profile per owner
        spec = KINDS[kind]
        if delete and key in made:
            spec.delete(store, owner, made.pop(key))
            store.purge_deleted()
        elif key not in made:
            made[key] = spec.create(store, owner, f"{owner}-{name}-{len(made)}")
        for (o, k, _), ident in made.items():
            assert all(shown(read) for read in KINDS[k].reads(store, o, ident)), (o, k)
    for (owner, kind, _), ident in made.items():  # leave the store empty for the next example
        KINDS[kind].delete(store, owner, ident)
    store.purge_deleted()
