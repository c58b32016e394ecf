"""The ask accounting's reading of periods as said (`graphs.ask_items`): a count of sessions
("6 months": 126), the first session of the data's last sessions, and the ISO date of a date
as said ("March 2020": 2020-03-01, or 2020-03-31 at the end of a window)."""

from __future__ import annotations

import pandas as pd

from graphs import ask_patterns as P
from graphs.ask_vocabulary import Vocabulary
from services.windows import SESSIONS_PER, last_sessions_bounds


def sessions_said(count: str | None, unit: str) -> int:
    """Sessions in `count` `unit`s ("6 months" -> 126, "1,000 days" -> 1000; no count is one)."""
    n = (
        1.0
        if count is None
        else float(P.NUMBER_WORDS.get(count.lower(), 0) or count.replace(",", ""))
    )
    unit = unit.lower()
    key = next(
        (
            k
            for k, prefixes in (
                ("year", ("y",)),
                ("quarter", ("q",)),
                ("month", ("mo", "mth", "m")),
                ("week", ("w",)),
                ("session", ("s", "trading")),
                ("day", ("d",)),
            )
            if unit.startswith(prefixes)
        ),
        None,
    )
    return round(n * SESSIONS_PER[key]) if key else 0


def recent_start(vocab: Vocabulary, sessions: int) -> str | None:
    """The first session of the data's last `sessions` sessions (None when unknown)."""
    if vocab.sessions is None or len(vocab.sessions) < sessions:
        return None
    start, _ = last_sessions_bounds(vocab.sessions, sessions)
    return pd.Timestamp(start).date().isoformat()


def date_said(said: str, *, at_end: bool) -> str | None:
    """An ISO date for a date as said ("2019", "March 2020", "2019-03", "2019-03-15"): the
    first day of the period, or its last with `at_end`; None for an impossible date."""
    said = said.strip().rstrip(".")
    try:
        if P.ISO_DAY.fullmatch(said):
            return pd.Timestamp(said).date().isoformat()
        if P.ISO_YEAR.fullmatch(said):
            period = pd.Period(said, freq="Y")
        elif P.ISO_MONTH.fullmatch(said):
            period = pd.Period(said, freq="M")
        else:
            month, year = said.split()
            period = pd.Period(f"{month[:3]} {year}", freq="M")
    except (ValueError, KeyError):
        return None
    day = period.end_time if at_end else period.start_time
    return pd.Timestamp(day).date().isoformat()


__all__ = ["date_said", "recent_start", "sessions_said"]
