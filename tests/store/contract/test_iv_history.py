"""The implied-volatility history contract on both backends: a record round-trips, one per
owner, underlying and day (recording it again changes nothing), owner isolation, listing
oldest first within a window, the latest record within an age, and argument checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from store import IVRecord
from store.base import Store
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB

DAY = date(2026, 11, 20)


def _record(clock: FakeClock, day: date = DAY, vol: float = 0.1875) -> IVRecord:
    return IVRecord(
        owner=ALICE,
        underlying="SPY",
        day=day,
        atm_volatility=vol,
        expiry=day + timedelta(days=28),
        spot=451.25,
        source="alpaca",
        recorded_at=clock.now,
        details={"strikes": [450.0, 455.0], "contracts": 4},
    )


def test_a_record_round_trips_once_per_day(store: Store, clock: FakeClock) -> None:
    record = _record(clock)
    assert store.record_iv(record) is True
    assert store.iv_history(ALICE, "SPY") == [record]
    assert store.record_iv(replace(record, atm_volatility=0.5)) is False  # the first stands
    assert store.iv_history(ALICE, "SPY") == [record]


def test_another_owner_s_history_is_its_own(store: Store, clock: FakeClock) -> None:
    store.record_iv(_record(clock))
    assert store.iv_history(BOB, "SPY") == []
    assert store.iv_history(ALICE, "QQQ") == []
    assert store.record_iv(replace(_record(clock, vol=0.3), owner=BOB)) is True
    assert [r.atm_volatility for r in store.iv_history(BOB, "SPY")] == [0.3]
    assert [r.atm_volatility for r in store.iv_history(ALICE, "SPY")] == [0.1875]


def test_records_are_listed_oldest_first_and_the_latest_within_an_age(
    store: Store, clock: FakeClock
) -> None:
    days = [DAY + timedelta(days=d) for d in (3, 0, 1, 7)]
    for i, day in enumerate(days):
        store.record_iv(_record(clock, day, vol=0.1 + i / 100))
    assert [r.day for r in store.iv_history(ALICE, "SPY")] == sorted(days)
    window = store.iv_history(
        ALICE, "SPY", since=DAY + timedelta(days=1), until=DAY + timedelta(days=3)
    )
    assert [r.day for r in window] == [DAY + timedelta(days=1), DAY + timedelta(days=3)]
    latest = store.latest_iv(ALICE, "SPY", DAY + timedelta(days=6), max_age_days=5)
    assert latest is not None and latest.day == DAY + timedelta(days=3)
    assert store.latest_iv(ALICE, "SPY", DAY + timedelta(days=6), max_age_days=2) is None
    assert store.latest_iv(ALICE, "SPY", DAY - timedelta(days=1), max_age_days=30) is None
    assert store.latest_iv(BOB, "SPY", DAY + timedelta(days=7), max_age_days=30) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"underlying": "SP Y"}, "underlying"),
        ({"underlying": ""}, "underlying"),
        ({"atm_volatility": float("nan")}, "atm_volatility"),
        ({"atm_volatility": 0.0}, "atm_volatility"),
        ({"spot": -1.0}, "spot"),
        ({"expiry": DAY}, "expiry"),
        ({"owner": ""}, "owner"),
    ],
)
def test_invalid_records_are_refused_and_nothing_is_stored(
    store: Store, clock: FakeClock, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.record_iv(replace(_record(clock), **change))  # type: ignore[arg-type]
    assert store.iv_history(ALICE, "SPY") == []
