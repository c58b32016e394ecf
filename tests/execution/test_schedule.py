"""Schedules on the NYSE's trading sessions, checked against exchange_calendars' own sessions
and closes (holidays, early closes, daylight saving)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from execution.cron import parse_cron
from execution.errors import ScheduleError
from execution.schedule import (
    EARLY_CLOSE_MARGIN,
    MISSED_AFTER,
    Schedule,
    _calendars,
    session_datetimes,
    trading_sessions,
)
from tests.support.calendars import exchange_calendar

if TYPE_CHECKING:
    from exchange_calendars import ExchangeCalendar

NEW_YORK = ZoneInfo("America/New_York")


def xnys() -> ExchangeCalendar:
    """The NYSE's calendar from 2020-01-01 to a year past today, built on first use (not at collection)."""
    return exchange_calendar("XNYS", "2020-01-01")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _sessions(first: str, last: str) -> list[date]:
    return [day.date() for day in xnys().sessions_in_range(first, last)]


def test_weekly_fires_on_the_first_session_of_each_week_holidays_included() -> None:
    fires = Schedule(every="week", at="15:45").fires_between(
        _utc("2023-12-31T00:00"), _utc("2024-12-31T23:59")
    )
    first_of_week: dict[tuple[int, int], date] = {}
    for day in _sessions("2024-01-01", "2024-12-31"):
        first_of_week.setdefault(day.isocalendar()[:2], day)
    assert [fire.astimezone(NEW_YORK).date() for fire in fires] == list(first_of_week.values())
    # Martin Luther King day, Monday 2024-01-15: that week's rebalance is on the Tuesday.
    assert date(2024, 1, 16) in first_of_week.values()


def test_month_end_fires_on_the_last_session_of_each_month() -> None:
    fires = Schedule(every="month", on="last", at="15:30").fires_between(
        _utc("2024-01-01T00:00"), _utc("2024-12-31T23:59")
    )
    last_of_month: dict[int, date] = {}
    for day in _sessions("2024-01-01", "2024-12-31"):
        last_of_month[day.month] = day
    assert [fire.astimezone(NEW_YORK).date() for fire in fires] == list(last_of_month.values())
    assert date(2024, 3, 28) in last_of_month.values()  # Good Friday, March 29


def test_local_time_holds_across_daylight_saving_and_moves_before_an_early_close() -> None:
    fires = Schedule(every="session", at="15:45").fires_between(
        _utc("2024-07-01T00:00"), _utc("2024-07-08T00:00")
    )
    early_close = xnys().session_close("2024-07-03").to_pydatetime()
    assert fires == [
        _utc("2024-07-01T19:45"),
        _utc("2024-07-02T19:45"),
        early_close - EARLY_CLOSE_MARGIN,  # the NYSE closes at 13:00 on July 3rd
        _utc("2024-07-05T19:45"),  # July 4th is a holiday
    ]
    winter = Schedule(every="session", at="15:45").fires_between(
        _utc("2024-01-02T00:00"), _utc("2024-01-02T23:59")
    )
    assert winter == [_utc("2024-01-02T20:45")]


def test_a_fire_after_the_regular_close_is_not_moved_on_an_early_close_day() -> None:
    fires = Schedule(every="session", at="17:30").fires_between(
        _utc("2024-07-03T00:00"), _utc("2024-07-03T23:59")
    )
    assert fires == [_utc("2024-07-03T21:30")]


def test_cron_fires_only_on_sessions() -> None:
    schedule = Schedule(cron="30 10,14 * * MON-FRI")
    fires = schedule.fires_between(_utc("2024-06-30T00:00"), _utc("2024-07-07T00:00"))
    days = sorted({fire.astimezone(NEW_YORK).date() for fire in fires})
    assert days == _sessions("2024-07-01", "2024-07-05")
    assert len(fires) == 2 * len(days)
    times = {
        (fire.astimezone(NEW_YORK).day, fire.astimezone(NEW_YORK).strftime("%H:%M"))
        for fire in fires
    }
    # July 3rd closes at 13:00: its 14:30 fire moves to 12:45.
    assert (3, "12:45") in times and (3, "14:30") not in times
    assert {(1, "10:30"), (1, "14:30"), (5, "14:30")} <= times


def test_cron_reads_both_restricted_day_fields_as_either() -> None:
    cron = parse_cron("0 12 1 * MON")
    assert cron.matches_day(date(2024, 7, 1))  # a Monday and the 1st
    assert cron.matches_day(date(2024, 8, 1))  # the 1st, a Thursday
    assert cron.matches_day(date(2024, 7, 8))  # a Monday
    assert not cron.matches_day(date(2024, 7, 9))
    every_sunday = parse_cron("0 0 * * 7")
    assert every_sunday.days_of_week == frozenset({0})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0 12 * *", "needs 5 fields"),
        ("61 12 * * *", "minute: '61' is outside 0-59"),
        ("0 12 * FOO *", "month: 'FOO' is not a number or a name"),
        ("*/0 12 * * *", "minute: a step must be at least 1"),
        ("0 18-9 * * *", "hour: '18-9' is outside 0-23"),
    ],
)
def test_a_bad_cron_names_its_field(text: str, problem: str) -> None:
    with pytest.raises(ScheduleError, match=problem) as raised:
        Schedule(cron=text)
    assert raised.value.field == "cron"


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"every": "fortnight"}, "every"),
        ({"every": "week", "cron": "0 12 * * *"}, "every"),
        ({}, "every"),
        ({"every": "week", "at": "25:00"}, "at"),
        ({"every": "week", "at": "9.30"}, "at"),
        ({"every": "week", "calendar": "NOPE"}, "calendar"),
        ({"every": "week", "catch_up": "some"}, "catch_up"),
        ({"every": "week", "interval": 5}, "interval"),
        ({"every": "session", "interval": 0}, "interval"),
        ({"every": "session", "interval": 253}, "interval"),
        ({"every": "session", "interval": 2.5}, "interval"),
        ({"every": "session", "interval": 5, "anchor": "May 3rd"}, "anchor"),
        ({"every": "month", "anchor": "2024-01-02"}, "anchor"),
    ],
)
def test_a_bad_schedule_names_its_field(settings: dict[str, str], field: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        Schedule(**settings)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_every_nth_session_counts_sessions_from_its_anchor_across_holidays() -> None:
    schedule = Schedule(every="session", interval=21, anchor="2024-01-02")
    fires = schedule.fires_between(_utc("2023-06-01T00:00"), _utc("2024-12-31T23:59"))
    sessions = _sessions("2023-06-01", "2024-12-31")
    origin = sessions.index(date(2024, 1, 2))
    expected = [d for i, d in enumerate(sessions) if (i - origin) % 21 == 0]
    assert [f.astimezone(NEW_YORK).date() for f in fires] == expected
    assert date(2024, 1, 2) in expected and date(2023, 11, 30) in expected  # before it too
    assert {f.astimezone(NEW_YORK).time().isoformat() for f in fires} <= {"15:45:00", "12:45:00"}
    assert "every 21 XNYS sessions (counted from 2024-01-02)" in schedule.describe()


def test_an_anchor_on_a_holiday_counts_from_the_next_session() -> None:
    fires = Schedule(every="session", interval=3, anchor="2024-07-04").fires_between(
        _utc("2024-07-01T00:00"), _utc("2024-07-12T23:59")
    )
    assert [f.astimezone(NEW_YORK).date() for f in fires] == [
        date(2024, 7, 1), date(2024, 7, 5), date(2024, 7, 10),
    ]  # fmt: skip


def test_a_calendar_first_built_for_old_dates_still_knows_the_year_ahead() -> None:
    _calendars.clear()  # as in a fresh process whose first use is the paper broker's old data
    sessions = trading_sessions("XNYS", date(1995, 1, 1), date(1995, 2, 1))
    assert len(sessions) == 22  # January 1995 had 21 sessions, then February 1st
    now = datetime.now(UTC)
    upcoming = Schedule(every="week").next_fire(now)
    assert upcoming is not None and now < upcoming <= now + timedelta(days=10)


@pytest.mark.parametrize(
    ("calendar", "first", "last"),
    [
        ("XNYS", date(2015, 1, 1), date(2022, 12, 28)),  # the embedded data's span
        ("XNYS", date(2022, 12, 20), date(2022, 12, 22)),
        ("XLON", date(2020, 3, 1), date(2021, 6, 30)),  # across daylight-saving changes
        ("XHKG", date(2019, 4, 1), date(2019, 5, 31)),  # a session time zone east of UTC
    ],
)
def test_session_datetimes_are_each_timestamp_s_own_datetime(
    calendar: str, first: date, last: date
) -> None:
    sessions = trading_sessions(calendar, first, last)
    some_days = sessions.index[::3]  # as the paper broker reindexes on the days it has prices of
    for times in (sessions["open"], sessions["close"], sessions["close"].reindex(some_days)):
        expected = [t.to_pydatetime() for t in times]
        converted = session_datetimes(times)
        assert converted == expected
        assert [(type(d), d.tzinfo) for d in converted] == [(type(d), d.tzinfo) for d in expected]


def test_next_fire_and_a_schedule_that_never_fires() -> None:
    monday = _utc("2024-01-12T22:00")  # a Friday evening before MLK day
    assert Schedule(every="session", at="09:35").next_fire(monday) == _utc("2024-01-16T14:35")
    assert Schedule(cron="0 12 31 2 *").next_fire(monday) is None


@pytest.mark.parametrize(
    ("catch_up", "run", "skipped"),
    [("latest", [2], [0, 1]), ("all", [0, 1, 2], []), ("none", [], [0, 1, 2])],
)
def test_missed_fires_follow_the_catch_up_policy(
    catch_up: str, run: list[int], skipped: list[int]
) -> None:
    schedule = Schedule(every="session", at="15:45", catch_up=catch_up)  # type: ignore[arg-type]
    fires = [_utc("2024-07-01T19:45"), _utc("2024-07-02T19:45"), _utc("2024-07-03T16:45")]
    due = schedule.due(last_fired=_utc("2024-07-01T00:00"), now=_utc("2024-07-05T12:00"))
    assert due.run == [fires[index] for index in run]
    assert due.skipped == [fires[index] for index in skipped]


def test_a_fire_on_time_runs_and_supersedes_missed_ones_under_latest() -> None:
    schedule = Schedule(every="session", at="15:45")
    now = _utc("2024-07-02T19:45") + MISSED_AFTER - timedelta(seconds=1)
    due = schedule.due(last_fired=_utc("2024-06-28T20:00"), now=now)
    assert due.run == [_utc("2024-07-02T19:45")]
    assert due.skipped == [_utc("2024-07-01T19:45")]


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ScheduleError, match="start: must be timezone-aware"):
        Schedule(every="week").fires_between(datetime(2024, 1, 1), _utc("2024-02-01T00:00"))
