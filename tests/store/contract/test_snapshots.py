"""The account snapshots contract on both backends: a snapshot round-trips with its positions,
one per account and time (storing it again changes nothing), owner isolation, listing oldest
first within a window, the retention (an expired snapshot is never read, and cleanup deletes
it), and argument checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from store import AccountSnapshot, SnapshotPosition
from store.base import Store
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB

ACCOUNT = "paper-dep_0123456789ab"


def _snapshot(clock: FakeClock, hours: float = 0, days_kept: float = 90) -> AccountSnapshot:
    taken = clock.now + timedelta(hours=hours)
    return AccountSnapshot(
        owner=ALICE,
        account=ACCOUNT,
        taken_at=taken,
        broker="paper",
        equity=100_123.4567,
        cash=1_234.5,
        buying_power=1_234.5,
        expires_at=taken + timedelta(days=days_kept),
        positions=(
            SnapshotPosition("AAPL", 10.125, 130.1, 10.125 * 130.1),
            SnapshotPosition("KO", 3.0, 55.0, 165.0),
        ),
        priced_on=date(2026, 11, 20),
    )


def test_a_snapshot_round_trips_once_per_account_and_time(store: Store, clock: FakeClock) -> None:
    snapshot = _snapshot(clock)
    assert store.put_snapshot(snapshot) is True
    assert store.list_snapshots(ALICE, ACCOUNT) == [snapshot]
    changed = replace(snapshot, equity=1.0)
    assert store.put_snapshot(changed) is False  # the slot's first snapshot stands
    assert store.list_snapshots(ALICE, ACCOUNT) == [snapshot]
    unpriced = (SnapshotPosition("XYZ", 2.0, None, None),)  # no price known
    no_power = replace(
        _snapshot(clock, hours=6), buying_power=None, priced_on=None, positions=unpriced
    )
    assert store.put_snapshot(no_power) is True
    assert store.list_snapshots(ALICE, ACCOUNT) == [snapshot, no_power]


def test_another_owner_s_snapshots_are_not_listed(store: Store, clock: FakeClock) -> None:
    store.put_snapshot(_snapshot(clock))
    assert store.list_snapshots(BOB, ACCOUNT) == []
    assert store.list_snapshots(ALICE, "paper-other") == []
    bobs = replace(_snapshot(clock), owner=BOB, equity=5.0)
    assert store.put_snapshot(bobs) is True  # the same account name and time, another owner
    assert [s.equity for s in store.list_snapshots(BOB, ACCOUNT)] == [5.0]
    assert [s.equity for s in store.list_snapshots(ALICE, ACCOUNT)] == [100_123.4567]


def test_snapshots_are_listed_oldest_first_within_the_window(
    store: Store, clock: FakeClock
) -> None:
    taken = [_snapshot(clock, hours=h) for h in (12, 0, 6, 18)]
    for snapshot in taken:
        store.put_snapshot(snapshot)
    hours = [(s.taken_at - clock.now).total_seconds() / 3600 for s in store.list_snapshots(
        ALICE, ACCOUNT)]  # fmt: skip
    assert hours == [0, 6, 12, 18]
    window = store.list_snapshots(
        ALICE, ACCOUNT, since=clock.now + timedelta(hours=6), until=clock.now + timedelta(hours=12)
    )
    assert [s.taken_at for s in window] == [taken[2].taken_at, taken[0].taken_at]
    later = store.list_snapshots(ALICE, ACCOUNT, since=clock.now + timedelta(hours=13))
    assert [s.taken_at for s in later] == [taken[3].taken_at]


def test_an_expired_snapshot_is_never_read_and_cleanup_deletes_it(
    store: Store, clock: FakeClock
) -> None:
    short = _snapshot(clock, days_kept=1)
    long = _snapshot(clock, hours=6, days_kept=30)
    bobs = replace(_snapshot(clock, days_kept=2), owner=BOB)
    for snapshot in (short, long, bobs):
        store.put_snapshot(snapshot)
    clock.advance(1.5 * 86_400)
    assert store.list_snapshots(ALICE, ACCOUNT) == [long]  # expired, not yet deleted
    assert store.cleanup().expired_snapshots == 1
    clock.advance(86_400)
    report = store.cleanup()
    assert report.expired_snapshots == 1  # bob's
    assert store.list_snapshots(BOB, ACCOUNT) == []
    assert store.list_snapshots(ALICE, ACCOUNT) == [long]
    assert store.put_snapshot(short) is True  # deleted: its slot is free again (a replay)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"account": "a/b"}, "account"),
        ({"account": ""}, "account"),
        ({"owner": ""}, "owner"),
        ({"equity": float("nan")}, "finite"),
        ({"buying_power": float("inf")}, "finite"),
        ({"positions": (SnapshotPosition("KO", 1.0, float("nan"), 1.0),)}, "finite"),
        ({"expires_at": "taken_at"}, "expires_at"),
    ],
)
def test_invalid_snapshots_are_refused_and_nothing_is_stored(
    store: Store, clock: FakeClock, change: dict[str, object], message: str
) -> None:
    snapshot = _snapshot(clock)
    if change.get("expires_at") == "taken_at":
        change = {"expires_at": snapshot.taken_at}
    with pytest.raises(ValueError, match=message):
        store.put_snapshot(replace(snapshot, **change))  # type: ignore[arg-type]
    assert store.list_snapshots(ALICE, ACCOUNT) == []
