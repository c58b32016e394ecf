"""Rebalancing schedules on an exchange's trading sessions.

A schedule fires either by a calendar rule (`every`: each session, or every `interval`-th session
counted from the session `anchor`, or the first or last session of each week, month or quarter,
at the local time `at`) or by a cron expression (see
`execution.cron`; only on trading sessions: a matching day that is not a session is skipped).
Times of day are the exchange's local time (XNYS: America/New_York, so 15:45 stays 15:45 across
daylight-saving changes); fire times are returned as UTC datetimes. Holidays and early closes
come from `exchange_calendars`. A fire inside regular trading hours but at or after an early
close (e.g. 15:45 on the day before Independence Day, when the NYSE closes at 13:00) moves to
`EARLY_CLOSE_MARGIN` before that close, so its orders can still trade.

Catch-up: a fire older than `MISSED_AFTER` when the scheduler looks is missed (everything was
down). `catch_up` says what happens to missed fires: "latest" runs the most recent one once
(unless a fire on time supersedes it) and skips the rest; "all" runs each; "none" skips them.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from execution.cron import CronExpression, parse_cron
from execution.errors import ScheduleError

if TYPE_CHECKING:
    import pandas as pd
    from exchange_calendars import ExchangeCalendar

Frequency = Literal["session", "week", "month", "quarter"]
SessionInPeriod = Literal["first", "last"]
CatchUp = Literal["latest", "all", "none"]

FREQUENCIES: tuple[Frequency, ...] = ("session", "week", "month", "quarter")
CATCH_UPS: tuple[CatchUp, ...] = ("latest", "all", "none")
EARLY_CLOSE_MARGIN = timedelta(minutes=15)
MISSED_AFTER = timedelta(minutes=15)
MAX_INTERVAL = 252
"""The most sessions between two fires of an `interval` schedule (a year)."""
CALENDAR_START = date(1990, 1, 1)
"""The first day the calendars cover (the embedded market data starts in 1990)."""
_PERIOD_CODES = {"week": "W-SUN", "month": "M", "quarter": "Q"}
_PERIOD_MARGIN = timedelta(days=100)
_HORIZON = timedelta(days=800)


@dataclass(frozen=True)
class Schedule:
    """When a deployment rebalances: `every` session (or every `interval`-th one, counted from
    the first session on or after `anchor`, an ISO date: a strategy's `rebalance_every`), week,
    month or quarter (on its `on` session, first or last) at local time `at` ("HH:MM"), or at
    the times of a `cron` expression; on the trading sessions of `calendar` (an
    exchange_calendars code such as XNYS, XLON); missed fires handled by `catch_up`."""

    every: Frequency | None = None
    on: SessionInPeriod = "first"
    at: str = "15:45"
    cron: str | None = None
    calendar: str = "XNYS"
    catch_up: CatchUp = "latest"
    interval: int = 1
    anchor: str | None = None
    _cron: CronExpression | None = field(init=False, repr=False, compare=False, default=None)
    _at: time = field(init=False, repr=False, compare=False, default=time(15, 45))

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ScheduleError("every", "give either every (a calendar rule) or cron, not both")
        if self.every is not None and self.every not in FREQUENCIES:
            raise ScheduleError("every", f"must be one of {', '.join(FREQUENCIES)}")
        if self.on not in ("first", "last"):
            raise ScheduleError("on", "must be first or last")
        if self.catch_up not in CATCH_UPS:
            raise ScheduleError("catch_up", f"must be one of {', '.join(CATCH_UPS)}")
        self._check_interval()
        object.__setattr__(self, "_at", _parse_time(self.at))
        if self.cron is not None:
            object.__setattr__(self, "_cron", parse_cron(self.cron))
        _calendar(self.calendar)

    def _check_interval(self) -> None:
        if not (isinstance(self.interval, int) and 1 <= self.interval <= MAX_INTERVAL):
            raise ScheduleError(
                "interval", f"must be a whole number of sessions from 1 to {MAX_INTERVAL}"
            )
        if self.interval > 1 and self.every != "session":
            raise ScheduleError("interval", "counts sessions: give it with every=session")
        if self.anchor is not None:
            if self.every != "session":
                raise ScheduleError(
                    "anchor", "is where every=session counts from: give it with every=session"
                )
            try:
                date.fromisoformat(self.anchor)
            except (TypeError, ValueError):
                raise ScheduleError(
                    "anchor", f"must be a date YYYY-MM-DD, got {self.anchor!r}"
                ) from None

    @property
    def time_zone(self) -> ZoneInfo:
        """The exchange's time zone, in which `at` and the cron times are read."""
        return ZoneInfo(str(_calendar(self.calendar).tz))

    def describe(self) -> str:
        """The schedule in words, e.g. "first XNYS session of each week at 15:45
        America/New_York"."""
        zone = self.time_zone.key
        if self._cron is not None:
            return f"cron {self._cron.text} ({zone}) on {self.calendar} sessions"
        if self.every == "session" and self.interval > 1:
            return (
                f"every {self.interval} {self.calendar} sessions (counted from {self.anchor or CALENDAR_START}) "
                f"at {self.at} {zone}"
            )
        if self.every == "session":
            return f"each {self.calendar} session at {self.at} {zone}"
        return f"{self.on} {self.calendar} session of each {self.every} at {self.at} {zone}"

    def fires_between(self, start: datetime, end: datetime) -> list[datetime]:
        """The fire times after `start` and up to `end` (both timezone-aware), in UTC, in order."""
        import pandas as pd

        for name, moment in (("start", start), ("end", end)):
            if moment.tzinfo is None:
                raise ScheduleError(name, "must be timezone-aware")
        if end <= start:
            return []
        zone = self.time_zone
        first_day = start.astimezone(zone).date() - timedelta(days=1)
        last_day = end.astimezone(zone).date()
        closes = _session_closes(self.calendar, first_day, last_day)
        regular_close = _calendar(self.calendar).close_times[-1][1]
        fires: set[datetime] = set()
        for day in self._fire_days(pd.DatetimeIndex(closes.index), first_day, last_day):
            close = closes[day].to_pydatetime()
            for hour, minute in self._times_of_day():
                local = time(hour, minute)
                fire = datetime.combine(day.date(), local, tzinfo=zone).astimezone(UTC)
                if fire >= close and local < regular_close:
                    fire = close - EARLY_CLOSE_MARGIN
                if start < fire <= end:
                    fires.add(fire)
        return sorted(fires)

    def next_fire(self, after: datetime) -> datetime | None:
        """The first fire time after `after`, or None if it does not fire within the calendar's
        known sessions (about a year ahead of today)."""
        horizon = datetime.combine(_calendar(self.calendar).last_session.date(), time.max, UTC)
        start = after
        while start < horizon:
            end = min(start + _HORIZON, horizon)
            fires = self.fires_between(start, end)
            if fires:
                return fires[0]
            start = end
        return None

    def due(
        self, last_fired: datetime, now: datetime, *, missed_after: timedelta = MISSED_AFTER
    ) -> DueFires:
        """What to run at `now` given the last fire already handled: the fires after
        `last_fired` up to `now`, split by the catch-up policy into those to run and those
        skipped as missed (older than `missed_after` at `now`)."""
        fires = self.fires_between(last_fired, now)
        on_time = [fire for fire in fires if now - fire <= missed_after]
        missed = [fire for fire in fires if now - fire > missed_after]
        if self.catch_up == "all":
            return DueFires(run=fires, skipped=[])
        if self.catch_up == "latest" and missed and not on_time:
            return DueFires(run=missed[-1:], skipped=missed[:-1])
        return DueFires(run=on_time, skipped=missed)

    def _times_of_day(self) -> list[tuple[int, int]]:
        if self._cron is not None:
            return self._cron.times_of_day()
        return [(self._at.hour, self._at.minute)]

    def _fire_days(
        self, sessions: pd.DatetimeIndex, first_day: date, last_day: date
    ) -> Sequence[pd.Timestamp]:
        import pandas as pd

        if self._cron is not None:
            cron = self._cron
            return [day for day in sessions if cron.matches_day(day.date())]
        if self.every == "session":
            return self._every_interval(sessions)
        assert self.every is not None
        wide = pd.DatetimeIndex(
            _session_closes(
                self.calendar, first_day - _PERIOD_MARGIN, last_day + _PERIOD_MARGIN
            ).index
        )
        periods = wide.to_period(_PERIOD_CODES[self.every])
        chosen = (
            wide.to_series().groupby(periods).min()
            if self.on == "first"
            else wide.to_series().groupby(periods).max()
        )
        return [day for day in chosen if first_day <= day.date() <= last_day]

    def _every_interval(self, sessions: pd.DatetimeIndex) -> list[pd.Timestamp]:
        """The sessions among `sessions` a whole number of `interval`s from the anchor's."""
        import pandas as pd

        if self.interval == 1:
            return list(sessions)
        anchor = date.fromisoformat(self.anchor) if self.anchor else CALENDAR_START
        last = max(anchor, sessions[-1].date()) if len(sessions) else anchor
        known = _calendar(self.calendar, through=last).sessions
        origin = int(known.searchsorted(pd.Timestamp(max(anchor, CALENDAR_START))))
        positions = known.get_indexer(sessions)
        return [
            day
            for day, position in zip(sessions, positions, strict=True)
            if position >= 0 and (position - origin) % self.interval == 0
        ]


@dataclass(frozen=True)
class DueFires:
    """The fires to run now (oldest first) and those skipped as missed under the catch-up
    policy."""

    run: list[datetime]
    skipped: list[datetime]


def _parse_time(text: str) -> time:
    hour, _, minute = text.partition(":")
    if not (hour.isdigit() and minute.isdigit() and len(minute) == 2):
        raise ScheduleError("at", f"must be a local time HH:MM, got {text!r}")
    if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise ScheduleError("at", f"{text!r} is not a time of day")
    return time(int(hour), int(minute))


_calendars: dict[str, ExchangeCalendar] = {}
_calendars_lock = threading.Lock()


def _calendar(name: str, through: date | None = None) -> ExchangeCalendar:
    """The exchange's calendar from `CALENDAR_START` to a year past today at least, rebuilt
    further ahead when `through` is past its last session (it only ever grows)."""
    import exchange_calendars

    with _calendars_lock:
        calendar = _calendars.get(name)
        if calendar is None or (through is not None and through > calendar.last_session.date()):
            # at least a year past today (exchange_calendars' own default), never shorter
            end = date.today() + timedelta(days=366)
            if through is not None:
                end = max(end, through + timedelta(days=366))
            try:
                with warnings.catch_warnings():  # exchange_calendars reads Series.values
                    warnings.simplefilter("ignore", DeprecationWarning)
                    calendar = exchange_calendars.get_calendar(name, start=CALENDAR_START, end=end)
            except exchange_calendars.errors.InvalidCalendarName:
                raise ScheduleError(
                    "calendar", f"unknown exchange calendar {name!r} (e.g. XNYS, XLON, XTKS)"
                ) from None
            _calendars[name] = calendar
        return calendar


_open_closes: dict[str, tuple[ExchangeCalendar, pd.DataFrame]] = {}


def _open_close(name: str, calendar: ExchangeCalendar) -> pd.DataFrame:
    """The `open` and `close` columns of the schedule of `calendar` (the exchange `name`'s, as
    `_calendar` built it), taken once per calendar: the scheduler asks for a few sessions at a
    time, many times a run."""
    with _calendars_lock:
        known = _open_closes.get(name)
        if known is None or known[0] is not calendar:
            known = _open_closes[name] = (calendar, calendar.schedule[["open", "close"]])
        return known[1]


def trading_sessions(calendar: str, first_day: date, last_day: date) -> pd.DataFrame:
    """The sessions of the exchange `calendar` from `first_day` to `last_day` (both included,
    from `CALENDAR_START` at the earliest): columns `open` and `close` (UTC timestamps),
    indexed by session date. `ScheduleError` for an unknown calendar."""
    first = max(first_day, CALENDAR_START)
    schedule = _open_close(calendar, _calendar(calendar, through=last_day))
    if last_day < first:
        return schedule.iloc[0:0]
    return schedule.loc[str(first) : str(last_day)]


def session_datetimes(times: pd.Series) -> list[datetime]:
    """The UTC timestamps `times` (a column of `trading_sessions`) as Python datetimes, in one
    vectorised conversion: the same values and time zone as `Timestamp.to_pydatetime` on each."""
    import pandas as pd

    return list(pd.DatetimeIndex(times).to_pydatetime())


def _session_closes(name: str, first_day: date, last_day: date) -> pd.Series:
    """Each session's close (UTC) from `first_day` to `last_day`, indexed by session date."""
    return trading_sessions(name, first_day, last_day)["close"]
