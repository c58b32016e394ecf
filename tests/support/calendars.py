"""Exchange calendars the tests read, each built on its first use and kept for the process: a
test module that holds one as a module constant builds it when it is collected (0.2-0.5 s of
exchange_calendars), on every pytest-xdist worker, even one that runs none of its tests."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exchange_calendars import ExchangeCalendar


@functools.cache
def exchange_calendar(name: str, start: str, end: str | None = None) -> ExchangeCalendar:
    """exchange_calendars' `get_calendar(name, start=start, end=end)`, built once per process
    (an `end` of None: exchange_calendars' default, a year past today)."""
    import exchange_calendars

    return exchange_calendars.get_calendar(name, start=start, end=end)
