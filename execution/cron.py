"""Five-field cron expressions (minute hour day-of-month month day-of-week), as `crontab(5)`
reads them: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month names
(JAN-DEC) and day names (SUN-SAT; 0 and 7 are Sunday). As in Vixie cron, when both the day of
the month and the day of the week are restricted, a day matches if either matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from execution.errors import ScheduleError

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(_MONTHS, start=1)}),
    ("day of week", 0, 7, {name: number for number, name in enumerate(_DAYS)}),
)


@dataclass(frozen=True)
class CronExpression:
    """A parsed cron expression: the sets of minutes, hours, days of the month, months and days
    of the week (0 = Sunday) it matches, and whether each day field was restricted."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    day_of_month_restricted: bool
    day_of_week_restricted: bool

    def matches_day(self, day: date) -> bool:
        """Whether the expression fires on some minute of `day`."""
        if day.month not in self.months:
            return False
        by_month_day = day.day in self.days_of_month
        by_week_day = (day.isoweekday() % 7) in self.days_of_week
        if self.day_of_month_restricted and self.day_of_week_restricted:
            return by_month_day or by_week_day
        return by_month_day and by_week_day

    def times_of_day(self) -> list[tuple[int, int]]:
        """The (hour, minute) pairs it fires at on a matching day, in order."""
        return [(hour, minute) for hour in sorted(self.hours) for minute in sorted(self.minutes)]


def parse_cron(text: str) -> CronExpression:
    """The cron expression `text`; `ScheduleError` names the field that is wrong."""
    parts = text.split()
    if len(parts) != len(_FIELDS):
        raise ScheduleError(
            "cron", f"needs 5 fields (minute hour day-of-month month day-of-week), got {text!r}"
        )
    values = [
        _parse_field(part, name, low, high, names)
        for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True)
    ]
    days_of_week = frozenset(day % 7 for day in values[4])
    return CronExpression(
        text=" ".join(parts),
        minutes=values[0],
        hours=values[1],
        days_of_month=values[2],
        months=values[3],
        days_of_week=days_of_week,
        day_of_month_restricted=parts[2] != "*",
        day_of_week_restricted=parts[4] != "*",
    )


def _parse_field(
    text: str, name: str, low: int, high: int, names: dict[str, int]
) -> frozenset[int]:
    chosen: set[int] = set()
    for item in text.split(","):
        span, _, step_text = item.partition("/")
        step = _number(step_text, name, names={}) if step_text else 1
        if step < 1:
            raise ScheduleError("cron", f"{name}: a step must be at least 1, got {item!r}")
        if span == "*":
            start, stop = low, high
        elif "-" in span:
            first, _, last = span.partition("-")
            start, stop = _number(first, name, names), _number(last, name, names)
        else:
            start = _number(span, name, names)
            stop = high if step_text else start
        if not (low <= start <= high and low <= stop <= high) or start > stop:
            raise ScheduleError("cron", f"{name}: {item!r} is outside {low}-{high}")
        chosen.update(range(start, stop + 1, step))
    return frozenset(chosen)


def _number(text: str, name: str, names: dict[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ScheduleError("cron", f"{name}: {text!r} is not a number or a name")
    return int(text)
