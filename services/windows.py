"""The window of "the last N sessions" of the market data, shared by the tools that take
`last_sessions` (`tools.windows`) and the offline model, which turns "the last 12 months" into
the dates a tool without `last_sessions` takes: one definition of where such a window starts.

"The last 12 months" is the last 252 sessions (21 a month, 63 a quarter, 252 a year) of the
data, ending at its last date or at a given end date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LATELY_SESSIONS",
    "MAX_CALENDAR_MONTHS",
    "MAX_EXTREME_DAYS",
    "MAX_ROLLING_SESSIONS",
    "MIN_ROLLING_SESSIONS",
    "SESSIONS_PER",
    "last_sessions_bounds",
]

SESSIONS_PER = {"year": 252, "quarter": 63, "month": 21, "week": 5, "day": 1, "session": 1}
"""Sessions in one of each unit of time a window is said in ("the last 6 months": 126)."""
LATELY_SESSIONS = SESSIONS_PER["quarter"]
"""The window of a question asked of "lately" or "recently" with no length ("the correlation
of AAPL and MSFT lately"): the last quarter's sessions, the shortest window whose volatilities
and correlations rest on more than a few dozen days."""
MIN_ROLLING_SESSIONS, MAX_ROLLING_SESSIONS = 5, 1260
"""The shortest rolling window of a statistic (a shorter one's correlations are all but +-1) and
the longest (five years of sessions)."""
MAX_EXTREME_DAYS = 20
"""The most best and worst sessions of a window a statistics call lists (a list a reader reads)."""

MAX_CALENDAR_MONTHS = 60
"""The most calendar months a window given by month may hold (five years: a table a reader
reads)."""


def last_sessions_bounds(
    dates: pd.DatetimeIndex, count: int, end: pd.Timestamp | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and the last of the last `count` sessions of `dates` up to `end` (the last
    date by default). `ValueError` naming the data's range when it holds fewer sessions."""
    import pandas as pd

    last = dates[-1] if end is None else end
    before = dates[dates <= last]
    if count < 1 or len(before) < count:
        held = f"{len(before)} sessions" if len(before) else "no session"
        span = f" (from {dates[0].date()})" if len(dates) else ""
        raise ValueError(
            f"last_sessions={count} but the data holds {held} up to {pd.Timestamp(last).date()}"
            f"{span}"
        )
    return pd.Timestamp(before[len(before) - count]), pd.Timestamp(before[-1])
