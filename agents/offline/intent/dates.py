"""Dates and date ranges ("since 2018", "2015 to 2020") and lookback windows."""

from __future__ import annotations

import calendar
import re

from agents.offline.intent.scanner import Scanner

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9


DATE = re.compile(
    r"\b(?:(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"|(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{4})"
    r"|((?:19|20)\d{2})(?![\d.,]|\s*(?:%|percent|pct|trials?|paths?|evaluations?|evals?|"
    r"iterations?|days?|samples?|simulations?|points?|configs?|candidates?|bps|basis)))\b"
)


_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|to|through|thru|until|till|and)\s*")


_START_CUE = re.compile(r"(?:since|from|starting(?: in| from)?|after|beginning(?: in)?|as of)\s*$")


_END_CUE = re.compile(r"(?:until|till|to|through|thru|up to|before|ending(?: in)?|end of)\s*$")


def _date_bounds(match: re.Match[str]) -> tuple[str, str]:
    if match.group(1):
        y, m, d = int(match.group(1)), int(match.group(2)), int(match.group(3))
        iso = f"{y:04d}-{m:02d}-{d:02d}"
        return iso, iso
    if match.group(4):
        y, m = int(match.group(5)), MONTHS[match.group(4)]
        last = calendar.monthrange(y, m)[1]
        return f"{y:04d}-{m:02d}-01", f"{y:04d}-{m:02d}-{last:02d}"
    y = int(match.group(6))
    return f"{y:04d}-01-01", f"{y:04d}-12-31"


def read_dates(scan: Scanner) -> tuple[str | None, str | None]:
    matches = list(DATE.finditer(scan.low))
    start: str | None = None
    end: str | None = None
    i = 0
    while i < len(matches):
        match = matches[i]
        lo, hi = _date_bounds(match)
        before = scan.low[: match.start()]
        nxt = matches[i + 1] if i + 1 < len(matches) else None
        if nxt and _RANGE_JOIN.fullmatch(scan.low[match.end() : nxt.start()]):
            start, end = lo, _date_bounds(nxt)[1]
            scan.consume(match)
            scan.consume(nxt)
            i += 2
            continue
        if _END_CUE.search(before):
            end = hi
        elif _START_CUE.search(before) or start is None:
            start = lo
            if re.search(r"\b(?:in|during|for|over)\s*$", before):
                end = hi
        scan.consume(match)
        i += 1
    return start, end


_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "a": 1}


_LOOKBACK = re.compile(
    r"\b(?:last|past|previous|trailing|recent)\s+(\d+(?:\.\d+)?|one|two|three|four|five|ten)?"
    r"\s*(years?|decades?)\b"
)


def read_lookback(scan: Scanner) -> float | None:
    match = _LOOKBACK.search(scan.free)
    if not match:
        return None
    raw = match.group(1) or "1"
    count = float(_WORD_NUMBERS[raw]) if raw in _WORD_NUMBERS else float(raw)
    scan.consume(match)
    return count * (10.0 if match.group(2).startswith("decade") else 1.0)
