"""When the trading day's jobs are due: the latest session whose post-market time (and close)
has passed, on the exchange calendar (weekends, holidays, early closes, daylight saving); the
latest snapshot slot; an account not opened yet gets no job, and a snapshot of one says why."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from settings import Settings
from store import Store
from tests.store.conftest import FakeClock
from tests.support.trading_day import SPEC
from trading.day.accounts import owner_account
from trading.day.schedule import due_session, due_slot, submit_day_jobs
from trading.day.snapshots import take_snapshot

NEW_YORK = ZoneInfo("America/New_York")


def _at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=NEW_YORK).astimezone(UTC)


def test_the_post_market_session_is_the_latest_whose_time_and_close_passed() -> None:
    nine = time(21, 0)
    assert due_session("XNYS", _at(2021, 6, 2, 20, 59), nine, NEW_YORK) == date(2021, 6, 1)
    assert due_session("XNYS", _at(2021, 6, 2, 21, 0), nine, NEW_YORK) == date(2021, 6, 2)
    # the weekend and a holiday (Monday 2021-07-05) hold Friday's
    assert due_session("XNYS", _at(2021, 7, 5, 23, 0), nine, NEW_YORK) == date(2021, 7, 2)
    # an early close (2021-11-26, 13:00) still waits for 21:00
    assert due_session("XNYS", _at(2021, 11, 26, 14, 0), nine, NEW_YORK) == date(2021, 11, 24)
    # a time set before the close waits for the close
    assert due_session("XNYS", _at(2021, 6, 2, 15, 0), time(9, 0), NEW_YORK) == date(2021, 6, 1)
    assert due_session("XNYS", _at(2021, 6, 2, 16, 0), time(9, 0), NEW_YORK) == date(2021, 6, 2)
    # in winter (UTC-5) 21:00 in New York is 02:00 UTC
    assert due_session("XNYS", datetime(2021, 12, 2, 2, 0, tzinfo=UTC), nine, NEW_YORK) == (
        date(2021, 12, 1)
    )


def test_the_snapshot_slot_is_the_latest_time_passed_every_day() -> None:
    times = [time(4), time(10), time(16), time(22)]
    assert due_slot(_at(2021, 6, 5, 12), times, NEW_YORK) == _at(2021, 6, 5, 10)  # a Saturday
    assert due_slot(_at(2021, 6, 5, 3, 59), times, NEW_YORK) == _at(2021, 6, 4, 22)
    assert due_slot(_at(2021, 6, 5, 22), times, NEW_YORK) == _at(2021, 6, 5, 22)
    assert due_slot(_at(2021, 3, 14, 5), times, NEW_YORK) == _at(2021, 3, 14, 4)  # DST begins


def test_an_account_not_opened_yet_gets_no_job_and_its_snapshot_says_why(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    draft = store.create_deployment("alice", "pair", "draft", SPEC)
    store.update_deployment("alice", draft.id, expected_version=1, status="active")
    settings = Settings(data_dir=tmp_path)
    clock.now = _at(2021, 6, 2, 23)  # after every time of the day
    assert submit_day_jobs(store, clock.now, settings).jobs == []
    account = owner_account(store, "alice", f"paper-{draft.id}")
    result = take_snapshot(store, account, _at(2021, 6, 2, 22), settings)
    assert result["snapshot"] is None
    assert result["reason"] == "the account has not opened yet (its first run opens it)"
    assert store.list_snapshots("alice", account.account) == []


def test_a_post_market_run_with_nothing_valued_stores_nothing_and_says_why(store: Store) -> None:
    from trading.day.post_market import post_market

    draft = store.create_deployment("alice", "pair", "draft", SPEC)
    store.update_deployment("alice", draft.id, expected_version=1, status="active")
    account = owner_account(store, "alice", f"paper-{draft.id}")
    result = post_market(store, account, date(2021, 6, 1))
    assert result["analytics"] == []
    assert result["left_out"] == {
        draft.id: "no valued session on 2021-06-01: nothing traded by its close, or the market "
        "data has no close of it"
    }
    assert store.list_reports("alice", account.account) == []
