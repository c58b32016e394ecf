"""The investment ideas contract on both backends: create, read, version, status transitions
with history, filters (status, ticker, creation range), pages, owner scoping, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.base import Store
from store.common import MAX_POSITION, encode_position_cursor
from store.errors import ConflictError, NotFoundError
from store.ideas import IdeaChanges, IdeaFilter, TransitionError
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB


def _idea(store: Store, tickers: list[str], title: str = "idea", owner: str = ALICE):  # type: ignore[no-untyped-def]
    return store.create_idea(
        owner,
        title=title,
        thesis=f"{title}: a thesis",
        tickers=tickers,
        direction="long",
        horizon_days=63,
        metrics={"expected_return": 0.08, "definition": {"method": "historical"}},
        evidence=[{"kind": "optimization_run", "run_id": "job_1"}],
    )


def test_create_read_update_and_delete(store: Store, clock: FakeClock) -> None:
    idea = _idea(store, ["AAPL", "MSFT"], "quality")
    assert (idea.status, idea.version, idea.created_at) == ("proposed", 1, clock.now)
    assert idea.id.startswith("idea_")
    assert idea.history == [
        {
            "at": clock.now.isoformat(),
            "from": None,
            "to": "proposed",
            "by": "api",
            "reason": "created",
        }
    ]
    got = store.get_idea(ALICE, idea.id)
    assert got == idea
    with pytest.raises(NotFoundError):
        store.get_idea(BOB, idea.id)
    clock.advance(5)
    changed = store.update_idea(
        ALICE,
        idea.id,
        IdeaChanges(tickers=["AAPL", "JNJ"], weights={"AAPL": 0.7, "JNJ": 0.3}, title="new"),
        expected_version=1,
    )
    assert (changed.version, changed.title, changed.tickers) == (2, "new", ["AAPL", "JNJ"])
    assert changed.weights == {"AAPL": 0.7, "JNJ": 0.3} and changed.updated_at == clock.now
    assert store.get_idea(ALICE, idea.id) == changed
    with pytest.raises(ConflictError):
        store.update_idea(ALICE, idea.id, IdeaChanges(title="stale"), expected_version=1)
    assert store.get_idea(ALICE, idea.id).title == "new"
    with pytest.raises(ValueError, match="weights"):
        store.update_idea(ALICE, idea.id, IdeaChanges(tickers=["AAPL"]))
    with pytest.raises(NotFoundError):
        store.delete_idea(BOB, idea.id)
    # the ticker index follows the change: MSFT no longer finds it, JNJ does
    assert store.list_ideas(ALICE, IdeaFilter(ticker="MSFT")).items == []
    assert [i.id for i in store.list_ideas(ALICE, IdeaFilter(ticker="JNJ")).items] == [idea.id]
    store.delete_idea(ALICE, idea.id)
    with pytest.raises(NotFoundError):
        store.get_idea(ALICE, idea.id)
    with pytest.raises(NotFoundError):
        store.delete_idea(ALICE, idea.id)
    assert store.list_ideas(ALICE, IdeaFilter(ticker="JNJ")).items == []
    assert store.list_ideas(ALICE).items == []


def test_bad_fields_are_refused(store: Store) -> None:
    for tickers, match in (([], "non-empty"), (["aapl"], "upper-case"), (["A", "A"], "unique")):
        with pytest.raises(ValueError, match=match):
            _idea(store, tickers)
    with pytest.raises(ValueError, match="direction"):
        store.create_idea(
            ALICE,
            title="t",
            thesis="x",
            tickers=["A"],
            direction="sideways",  # type: ignore[arg-type]
            horizon_days=5,
        )
    with pytest.raises(ValueError, match="horizon_days"):
        store.create_idea(
            ALICE, title="t", thesis="x", tickers=["A"], direction="long", horizon_days=0
        )
    assert store.list_ideas(ALICE).items == []


def test_status_transitions_are_recorded_and_guarded(store: Store, clock: FakeClock) -> None:
    idea = _idea(store, ["AAPL"])
    with pytest.raises(TransitionError) as refused:
        store.change_idea_status(ALICE, idea.id, "accepted", by="api", reason="skip")
    assert refused.value.allowed == ["under_review", "retired"]
    clock.advance(1)
    review = store.change_idea_status(ALICE, idea.id, "under_review", by="cli", reason="look")
    clock.advance(1)
    accepted = store.change_idea_status(
        ALICE, idea.id, "accepted", by="chat", reason="ok", expected_version=2
    )
    assert (review.version, accepted.version, accepted.status) == (2, 3, "accepted")
    assert [(h["from"], h["to"], h["by"], h["reason"]) for h in accepted.history] == [
        (None, "proposed", "api", "created"),
        ("proposed", "under_review", "cli", "look"),
        ("under_review", "accepted", "chat", "ok"),
    ]
    assert accepted.history[-1]["at"] == clock.now.isoformat()
    with pytest.raises(ConflictError):
        store.change_idea_status(
            ALICE, idea.id, "deployed", by="api", reason="x", expected_version=2
        )
    retired = store.change_idea_status(ALICE, idea.id, "retired", by="api", reason="done")
    with pytest.raises(TransitionError) as final:
        store.change_idea_status(ALICE, idea.id, "proposed", by="api", reason="again")
    assert final.value.allowed == [] and retired.status == "retired"
    assert store.get_idea(ALICE, idea.id).status == "retired"


def test_filters_and_pages(store: Store, clock: FakeClock) -> None:
    start = clock.now
    made = []
    for n in range(7):
        tickers = ["AAPL", "MSFT"] if n % 2 == 0 else ["JNJ"]
        made.append(_idea(store, tickers, f"idea {n}"))
        clock.advance(60)
    _idea(store, ["AAPL"], "bob's", owner=BOB)
    store.change_idea_status(ALICE, made[1].id, "under_review", by="api", reason="r")
    store.change_idea_status(ALICE, made[4].id, "under_review", by="api", reason="r")
    newest_first = [i.id for i in reversed(made)]

    everything = []
    page = store.list_ideas(ALICE, limit=3)
    while True:
        everything += [i.id for i in page.items]
        if page.next_cursor is None:
            break
        page = store.list_ideas(ALICE, cursor=page.next_cursor, limit=3)
    assert everything == newest_first

    aapl = store.list_ideas(ALICE, IdeaFilter(ticker="AAPL"), limit=2)
    assert [i.id for i in aapl.items] == [made[6].id, made[4].id]
    rest = store.list_ideas(ALICE, IdeaFilter(ticker="AAPL"), cursor=aapl.next_cursor, limit=2)
    assert [i.id for i in rest.items] == [made[2].id, made[0].id] and rest.next_cursor is None

    review = store.list_ideas(ALICE, IdeaFilter(status="under_review"))
    assert [i.id for i in review.items] == [made[4].id, made[1].id]
    both = store.list_ideas(ALICE, IdeaFilter(status="under_review", ticker="JNJ"))
    assert [i.id for i in both.items] == [made[1].id]

    window = IdeaFilter(
        created_from=start + timedelta(seconds=120), created_before=start + timedelta(seconds=300)
    )
    assert [i.id for i in store.list_ideas(ALICE, window).items] == [
        made[4].id, made[3].id, made[2].id,
    ]  # fmt: skip
    proposed_aapl_window = IdeaFilter(
        status="proposed", ticker="AAPL", created_from=start + timedelta(seconds=120)
    )
    assert [i.id for i in store.list_ideas(ALICE, proposed_aapl_window).items] == [
        made[6].id, made[2].id,
    ]  # fmt: skip
    assert [i.title for i in store.list_ideas(BOB).items] == ["bob's"]
    beyond = encode_position_cursor(f"{MAX_POSITION + 1:020d}#idea_1", "before")  # no store's
    oldest_first = encode_position_cursor(f"{0:020d}#idea_1", "after")  # another listing's
    for bad in ("nonsense", beyond, oldest_first):
        with pytest.raises(ValueError, match="cursor"):
            store.list_ideas(ALICE, cursor=bad)
