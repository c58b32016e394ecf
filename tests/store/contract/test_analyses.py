"""The analyses contract (stored optimization results and simulations) on both backends:
records stored, fetched and listed in pages by their cursors, owner-scoped."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.analyses import Analysis, AnalysisKind
from store.base import Store
from store.common import MAX_POSITION, encode_position_cursor
from store.errors import NotFoundError
from tests.store.conftest import INLINE_LIMIT, FakeClock
from tests.support.store_contract import ALICE, BOB


def test_records_are_stored_listed_by_kind_and_owner_scoped(store: Store, clock: FakeClock) -> None:
    first = store.put_analysis(ALICE, "optimization", "pf_1", {"result": {"weights": {"A": 1.0}}})
    clock.advance(1)
    sim = store.put_analysis(ALICE, "simulation", None, {"result": {"trajectories": [[1.0, 1.5]]}})
    clock.advance(1)
    second = store.put_analysis(ALICE, "optimization", "test", {"x": 0.1 + 0.2})
    assert first.id.startswith("opt_") and sim.id.startswith("sim_")
    assert second.created_at == clock.now and (clock.now - first.created_at).total_seconds() == 2
    assert [a.id for a in store.list_analyses(ALICE, "optimization").items] == [first.id, second.id]
    assert [a.id for a in store.list_analyses(ALICE, "simulation").items] == [sim.id]
    got = store.get_analysis(ALICE, "optimization", second.id)
    assert (got.portfolio_id, got.data, got.kind) == ("test", {"x": 0.1 + 0.2}, "optimization")
    assert store.get_analysis(ALICE, "simulation", sim.id).portfolio_id is None
    with pytest.raises(NotFoundError):
        store.get_analysis(BOB, "optimization", first.id)
    with pytest.raises(NotFoundError):
        store.get_analysis(ALICE, "simulation", first.id)  # another kind is another record
    assert store.list_analyses(BOB, "optimization").items == []


def test_a_large_record_comes_back_whole(store: Store) -> None:
    paths = [[float(i) + j / 7 for j in range(50)] for i in range(INLINE_LIMIT // 200)]
    record = store.put_analysis(ALICE, "simulation", "pf_9", {"result": {"trajectories": paths}})
    assert (
        store.get_analysis(ALICE, "simulation", record.id).data["result"]["trajectories"] == paths
    )
    [listed] = store.list_analyses(ALICE, "simulation").items
    assert listed.data == record.data


# --- pages ---------------------------------------------------------------------------------

_owners = itertools.count()


def _walk(store: Store, owner: str, kind: AnalysisKind, limit: int) -> list[list[Analysis]]:
    """Every page of the owner's records of `kind`, `limit` at a time, from the first."""
    pages = [store.list_analyses(owner, kind, limit=limit)]
    while pages[-1].next_cursor is not None:
        assert len(pages) <= 100, "the cursors go round in circles"
        pages.append(store.list_analyses(owner, kind, cursor=pages[-1].next_cursor, limit=limit))
    return [page.items for page in pages]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["mine", "mine", "other kind", "other owner"]),
            st.sampled_from([-1.0, 0.0, 0.0, 0.000001, 1.0]),
        ),
        max_size=14,
    ),
    limit=st.integers(1, 6),
)
def test_walking_the_pages_gives_every_record_once_oldest_first(
    store: Store, clock: FakeClock, steps: list[tuple[str, float]], limit: int
) -> None:
    """Records written at times that tie or even go back (a clock set back) interleaved with
    another kind's and another owner's: the pages, `limit` each but the last (never empty but
    for no records at all), hold each of the owner's records of the kind exactly once in the
    order of (created_at, id), and the last page's `next_cursor` is None."""
    mine, other = f"pager{next(_owners)}", f"other{next(_owners)}"
    made: list[Analysis] = []
    for which, step in steps:
        clock.advance(step)
        if which == "other owner":
            store.put_analysis(other, "optimization", None, {"n": -1})
        elif which == "other kind":
            store.put_analysis(mine, "simulation", None, {"n": -2})
        else:
            made.append(store.put_analysis(mine, "optimization", None, {"n": len(made)}))
    pages = _walk(store, mine, "optimization", limit)
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages[-1]) <= limit and (pages[-1] or not made)
    listed = [a for page in pages for a in page]
    expected = sorted(made, key=lambda a: (a.created_at, a.id))
    assert [a.id for a in listed] == [a.id for a in expected]
    assert [(a.data, a.owner, a.kind) for a in listed] == [
        (a.data, mine, "optimization") for a in expected
    ]


def test_a_cursor_is_a_position_only_another_owners_records_never_show(
    store: Store, clock: FakeClock
) -> None:
    alice = [store.put_analysis(ALICE, "optimization", None, {"a": i}) for i in range(3)]
    clock.advance(1)
    bob = [store.put_analysis(BOB, "optimization", None, {"b": i}) for i in range(2)]
    first = store.list_analyses(ALICE, "optimization", limit=1)
    assert [a.id for a in first.items] == [alice[0].id] and first.next_cursor is not None
    # Alice's cursor given by Bob: Bob's records after that position, never Alice's
    theirs = store.list_analyses(BOB, "optimization", cursor=first.next_cursor, limit=10)
    assert [a.id for a in theirs.items] == [b.id for b in bob] and theirs.next_cursor is None
    # a simulation listing from an optimization listing's cursor: the simulations after it
    assert store.list_analyses(ALICE, "simulation", cursor=first.next_cursor).items == []
    rest = store.list_analyses(ALICE, "optimization", cursor=first.next_cursor, limit=2)
    assert [a.id for a in rest.items] == [a.id for a in alice[1:]] and rest.next_cursor is None


def test_a_cursor_no_page_gave_and_a_limit_out_of_range_are_refused(store: Store) -> None:
    store.put_analysis(ALICE, "optimization", None, {"a": 1})
    idea_cursor = encode_position_cursor(f"{0:020d}#idea_1", "before")  # a newest-first one
    beyond = encode_position_cursor(f"{MAX_POSITION + 1:020d}#opt_1", "after")
    for bad in ("nonsense", "", "eyJ2IjoxfQ", idea_cursor, beyond):
        with pytest.raises(ValueError, match="cursor"):
            store.list_analyses(ALICE, "optimization", cursor=bad)
    for limit in (0, 1001):
        with pytest.raises(ValueError, match="limit"):
            store.list_analyses(ALICE, "optimization", limit=limit)


def test_a_page_leaves_out_the_keys_omit_names_of_inline_and_large_records(store: Store) -> None:
    paths = [[float(i) + j / 7 for j in range(50)] for i in range(INLINE_LIMIT // 200)]
    small = store.put_analysis(ALICE, "simulation", None, {"trajectories": [[1.0]], "answer": 1})
    large = store.put_analysis(ALICE, "simulation", None, {"trajectories": paths, "answer": 2})
    first = store.list_analyses(ALICE, "simulation", limit=1, omit=("trajectories",))
    second = store.list_analyses(
        ALICE, "simulation", cursor=first.next_cursor, limit=1, omit=("trajectories",)
    )
    assert [(a.id, a.data) for a in first.items + second.items] == [
        (small.id, {"answer": 1}),
        (large.id, {"answer": 2}),
    ]
    assert second.next_cursor is None
