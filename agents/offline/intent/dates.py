"""The window a message names, one reader for every kind of question: dates and date ranges
("since March 2020", "in 2020", "over 2019-2021", "between 2017 and 2019", "from 2015",
"start in 2018", "until 2019", "ytd", "this year") and trailing windows ("the last 12 months",
"past year", "over the last two years", "1y vol"), read as a number of market sessions (`services.windows.SESSIONS_PER`: 21 a month, 252
a year), which the tools turn into dates that the answer names.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from agents.offline.intent.scanner import Scanner
from services.windows import LATELY_SESSIONS, SESSIONS_PER
from settings import patterns

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9


DATE = patterns.compile(
    r"\b(?:(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"|(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{4})"
    r"|((?:19|20)\d{2})(?!\d|[.,]\d|\s*(?:%|percent|pct|trials?|paths?|evaluations?|evals?|"
    r"iterations?|days?|samples?|simulations?|points?|configs?|candidates?|bps|basis)))\b"
)


_RANGE_JOIN = patterns.compile(
    r"\s*(?:-|–|—|to|through|thru|until|till|and)\s*(?:(?:the\s+)?(?:early|mid|late|middle of"
    r"|first half of|second half of)[\s-]*)?"
)


_START_CUE = patterns.compile(
    r"(?:since|from|start(?:s|ing)?(?: in| from| at)?|after|begin(?:s|ning)?(?: in| from)?|as of)"
    r"\s*$"
)


_NAMED_BOUND = patterns.compile(
    r"(?<!from )(?<!from the )(?<!since )(?<!since the )\b(?P<bound>start|beginning|end)"
    r"(?:\s+(?:date|year))?\s*(?:to|at|as|=|:|is)\s*$"
)
"""A bound of the window named, then its date ("change the start to 2015", "set the end date to
2020"): "to" there is no end of a range ("from the start to 2015" is)."""


_BACK_TO = patterns.compile(r"\bback\s+(?:to|till|until)\s*$")
"""A start said as how far back to go ("go back to 2012", "extend it back to 2015")."""


_END_CUE = patterns.compile(
    r"(?:until|till|to|through|thru|up to|before|ending(?: in)?|end of)\s*$"
)


@dataclass(frozen=True)
class Window:
    """The window a message names (None: not said): ISO `start` and `end` dates, and
    `last_sessions` for a trailing window ("the last 12 months" -> 252)."""

    start: str | None = None
    end: str | None = None
    last_sessions: int | None = None


_PART = patterns.compile(
    r"\b(?:the\s+)?(early|mid|late|middle of|first half of|second half of)[\s-]*$"
)
"""A part of a year said before it ("from mid 2012", "to early 2009", "the first half of")."""
_PART_BOUNDS = {
    "early": ("01-01", "04-30"), "mid": ("07-01", "06-30"), "middle of": ("07-01", "06-30"),
    "late": ("09-01", "12-31"), "first half of": ("01-01", "06-30"),
    "second half of": ("07-01", "12-31"),
}  # fmt: skip
"""Each part's bounds as a start and as an end: "since mid 2012" is from July 1, "until mid
2012" to June 30 ("in mid 2012" is April to September)."""


def _date_bounds(match: re.Match[str], before: str = "") -> tuple[str, str]:
    """The first and last day a date names; of a year's part when one is said before it."""
    if match.group(6) and (part := _PART.search(before)):
        lo, hi = _PART_BOUNDS[part.group(1)]
        return f"{match.group(6)}-{lo}", f"{match.group(6)}-{hi}"
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


_IN_PART = patterns.compile(
    r"\b(?:at|in|around|during)\s+the\s+(start|beginning|outset|end)\s+of\s*$"
)
"""A stretch of a year said in it ("how did AAPL do at the start of 2020?", "the market at the
end of 2021"), not a bound ("since the start of 2019", "by the end of 2020"); with another date
said, a bound of the window ("$50k at the start of 2019 ... worth at the end of 2019": the
year)."""
_IN_PART_BOUNDS = {"start": ("01-01", "03-31"), "end": ("10-01", "12-31")}
"""Its first and last day: the year's first quarter or its last (the reply states the dates)."""


_THE_YEAR = patterns.compile(
    r"\b(?:in|during|for|over)\s*$|\b(?:stocks?|names|performers|winners|losers|gainers"
    r"|decliners|fallers|laggards|leaders|movers|ones|shares|tickers|equities|companies|sectors"
    r"|returns|performance)\s+of\s*$"
    r"|\b(?:returns?|performance|volatility|vol|drawdowns?|sharpe(?:\s+ratios?)?|correlations?"
    r"|betas?)\s*$"
)
"""Words before a bare year that make it the whole year ("in 2020", "the best stocks of 2021",
a measure just before it: "AAPL return 2005", "KO vol 2020"; not "the start of 2019", "since
the crash of 2020")."""


_OPEN_AFTER = patterns.compile(
    r"\s*(?:onwards?|forward|and (?:after|later|since|beyond|on)|to (?:date|now|today)"
    r"|through (?:now|today)|(?:up )?until (?:now|today))"
)
"""Words after a year that leave its window open ("the best stocks of 2019 onwards")."""


_WORTH_NOW = patterns.compile(
    r"\b(?:worth|be|have(?:\s+(?:grown|become|turned))?|grown|turned\s+into)\b[^.?!;]*?"
    r"\b(?:now|today|to\s?day|currently|by\s+now|these\s+days)\b"
)
"""A sum's worth asked as of now ("how much would $100k in AAPL in 2010 be worth now?", "...
in 2019, how much would I have now?"): the
year it went in starts the window, which runs to the end of the data."""


SUPPOSED_HOLDER = (
    r"(?:i|we|you)(?:\s+had|'d)\s+(?:bought|invested|put|held|owned|kept|gone\s+into)\b"
)
"""Who is supposed to have held ("I had bought", "we'd held"), after "if": no stress asked."""
HAD_HELD = patterns.compile(
    rf"\b(?:if|what if)\s+{SUPPOSED_HOLDER}"
    r"|\bhad\s+(?:i|we|you)\s+(?:bought|invested|put|held|owned|kept)\b"
)
"""A holding supposed in the past ("what if I had bought AMD in 2019?", "had we held JPM since
2020"): from the year it went in to the end of the data, as a sum's worth now is; no stress."""


def read_dates(scan: Scanner) -> tuple[str | None, str | None]:
    """The start and end dates named ("since 2018" -> start 2018-01-01; "2015-2019" ->
    2015-01-01 to 2019-12-31; "in 2020" -> the year)."""
    matches = list(DATE.finditer(scan.low))
    start: str | None = None
    end: str | None = None
    i = 0
    while i < len(matches):
        match = matches[i]
        lo, hi = _date_bounds(match, scan.low[: match.start()])
        before = _PART.sub("", scan.low[: match.start()])  # its cue: "until" of "until mid 2020"
        nxt = matches[i + 1] if i + 1 < len(matches) else None
        if nxt and _RANGE_JOIN.fullmatch(scan.low[match.end() : nxt.start()]):
            start, end = lo, _date_bounds(nxt, scan.low[: nxt.start()])[1]
            scan.consume(match)
            scan.consume(nxt)
            i += 2
            continue
        if match.group(6) and (part := _IN_PART.search(before)):
            year, ends = match.group(6), part.group(1) == "end"
            first, last = _IN_PART_BOUNDS["end" if ends else "start"]
            if ends:  # its last quarter, from an earlier date said if one was
                start, end = start or f"{year}-{first}", f"{year}-{last}"
            else:  # its first quarter, to a later date said if one is, or now if asked
                now = _WORTH_NOW.search(scan.low, match.end()) or HAD_HELD.search(scan.low)
                start, end = f"{year}-{first}", end if nxt or now else f"{year}-{last}"
        elif (named := _NAMED_BOUND.search(before)) is not None:
            if named.group("bound") == "end":
                end = hi
            else:
                start = lo
        elif _BACK_TO.search(before):
            start = lo
        elif _END_CUE.search(before):
            end = hi
        elif _START_CUE.search(before):  # "start in 2018": from it on
            start = lo
        elif start is None:
            start = lo
            if (
                _THE_YEAR.search(before)
                and not _OPEN_AFTER.match(scan.low, match.end())
                and not _WORTH_NOW.search(scan.low, match.end())
                and not HAD_HELD.search(scan.low)
            ):
                end = hi
                if hi < lo:  # "in mid 2012"
                    start, end = f"{match.group(6)}-04-01", f"{match.group(6)}-09-30"
        scan.consume(match)
        i += 1
    return start, end


COUNT_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24,
    "twenty four": 24, "thirty-six": 36, "a": 1, "an": 1, "a couple of": 2, "couple of": 2,
}  # fmt: skip
"""Counts said in words ("the last two years", "a couple of months")."""

COUNT = (
    r"(\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, COUNT_WORDS), key=len, reverse=True)) + ")?"
)
UNIT = r"(years?|yrs?|months?|mos?|weeks?|quarters?|(?:trading )?days?|sessions?|decades?)\b"

_TRAILING = patterns.compile(
    r"\b(?:last|past|previous|prior|trailing|recent|latest)\s+" + COUNT + r"\s*" + UNIT
)


def sessions(count: str | None, unit: str) -> int:
    """Market sessions in `count` `unit`s ("12", "months" -> 252; a decade is ten years)."""
    word = (count or "one").strip()
    number = float(COUNT_WORDS[word]) if word in COUNT_WORDS else float(word)
    if unit.startswith("decade"):
        number, unit = number * 10, "year"
    key = {"yr": "year", "mo": "month"}.get(unit.rstrip("s"), unit.rstrip("s"))
    base = next(v for k, v in SESSIONS_PER.items() if key.endswith(k))
    return max(1, round(number * base))


_ROLLING = patterns.compile(rf"\brolling\s+{COUNT}[\s-]*{UNIT}|\b{COUNT}[\s-]*{UNIT}\s+rolling\b")
"""A rolling window ("rolling 60-day correlation", "the 3-month rolling volatility")."""


DEFAULT_ROLLING_SESSIONS = 63
"""The rolling window of a statistic asked as rolling with no length (a quarter of sessions)."""
_ROLLING_WORD = patterns.compile(r"\brolling\b")
_ROLLING_SHORT = patterns.compile(
    r"\brolling\s+(\d{1,4})\s*(d|y|m|w)?\b(?![.%])"
    r"(?!\s*[-.]?\s*(?:(?:trading\s+)?days?|sessions?|weeks?|wks?|months?|mos?|years?|yrs?"
    r"|quarters?|decades?)\b)"
)
"""A rolling window as a bare count of sessions or with a one-letter unit ("rolling 60 ...",
"rolling 250d"); a count followed by a unit word is `_ROLLING`'s."""
_SHORT_UNITS = {"d": "day", "y": "year", "m": "month", "w": "week"}
_ROLLING_CADENCE = patterns.compile(
    r"\brolling\s+(weekly|monthly|quarterly|yearly|annual|one[\s-]year)\b"
)
_CADENCE_SESSIONS = {"weekly": 5, "monthly": 21, "quarterly": 63, "yearly": 252, "annual": 252}


def rolling_sessions(low: str) -> int | None:
    """The sessions of the rolling window a lower-cased message asks for ("rolling 60-day",
    "3-month rolling", "rolling monthly"; `DEFAULT_ROLLING_SESSIONS` for "rolling" alone), else
    None."""
    if cadence := _ROLLING_CADENCE.search(low):
        return _CADENCE_SESSIONS.get(cadence.group(1), 252)
    if short := _ROLLING_SHORT.search(low):  # "rolling 60", "rolling 250d", "rolling 1y"
        count, unit = short.group(1), _SHORT_UNITS[(short.group(2) or "d")[0]]
        return sessions(count, unit)
    found = _ROLLING.search(low)
    if found is None:  # "rolling volatility": a quarter's window, which the answer names
        return DEFAULT_ROLLING_SESSIONS if _ROLLING_WORD.search(low) else None
    count, unit = (found.group(1), found.group(2)) if found.group(2) else found.group(3, 4)
    return sessions(count, unit)


_OF_A_MEASURE = patterns.compile(r"\breali[sz]ed\s+vol\w*\s+(?:over|of|from|in)\s+(?:the\s+)?$")
"""A window that is a measure's, not the question's ("realised vol over the last 63 days")."""


_OF_DATA = patterns.compile(
    r"(?<![\w$.])(\d+(?:\.\d+)?)\s*"
    + UNIT
    + r"\s+of\s+(?:daily\s+)?(?:data|history|returns|prices)\b"
)
"""A trailing window said as an amount of history ("using 252 days of data", "3 years of
returns")."""


LATELY = patterns.compile(r"\b(?:lately|recently|of late|these days|nowadays)\b")
"""A trailing window said with no length ("the correlation of AAPL and MSFT lately"): the last
`services.windows.LATELY_SESSIONS`."""


def read_trailing(scan: Scanner) -> int | None:
    """The sessions of a trailing window ("the last 6 months" -> 126, "past year" -> 252,
    "252 days of data" -> 252, "lately" -> `LATELY_SESSIONS`)."""
    for match in _TRAILING.finditer(scan.free):
        if _OF_A_MEASURE.search(scan.free[: match.start()]):
            continue
        scan.consume(match)
        return sessions(match.group(1), match.group(2))
    amount = _OF_DATA.search(scan.free)
    if amount is not None:
        scan.consume(amount)
        return sessions(amount.group(1), amount.group(2))
    if (lately := LATELY.search(scan.free)) is not None:
        scan.consume(lately)
        return LATELY_SESSIONS
    return None


_COMPACT = patterns.compile(
    r"(?<!rolling )(?<![\w$.])(\d+)\s?(y|yrs?|mos?|mths?|m|w|wks?|d)\s+(?=(?:of\s+)?(?:vol\w*|returns?|perf\w*"
    r"|draw[\s-]?downs?|dd|mdd|sharpe|sortino|beta|corr\w*|stats?|statistics|c?var|risk)\b)"
)
"""A trailing window said compactly before the measure ("1y vol", "3m return", "6mo dd"); not a
rolling window's length ("rolling 1y sharpe")."""
_COMPACT_UNITS = {"y": "year", "yr": "year", "yrs": "year", "m": "month", "mo": "month",
                  "mos": "month", "mth": "month", "mths": "month", "w": "week", "wk": "week",
                  "wks": "week", "d": "day"}  # fmt: skip

_YEAR_TO_DATE = patterns.compile(r"\b(?:ytd|year[\s-]to[\s-]date|this year|so far this year)\b")
"""The window from the first day of the year the market data ends in."""


def year_start() -> str:
    """January 1 (ISO) of the year the configured market data ends in: where "ytd" and "this
    year" start."""
    from services.market_data.providers import market_returns
    from settings import get_settings

    return f"{market_returns(get_settings())[1].index[-1].year}-01-01"


def said_year_start(text: str) -> str | None:
    """`year_start()` when `text` says "ytd" or "this year" (what its reading depends on beyond
    its words), else None."""
    return year_start() if _YEAR_TO_DATE.search(text.lower()) else None


def read_window(scan: Scanner) -> Window:
    """The window of the message in `scan` (see the module docstring); "ytd" and "this year"
    start on January 1 of the data's last year (`year_start`); "1y vol" is the last year."""
    start, end = read_dates(scan)
    if start is None and (ytd := _YEAR_TO_DATE.search(scan.free)) is not None:
        scan.consume(ytd)
        start = year_start()
    trailing = read_trailing(scan)
    if trailing is None and (compact := _COMPACT.search(scan.free)) is not None:
        scan.consume(compact)
        trailing = sessions(compact.group(1), _COMPACT_UNITS[compact.group(2)])
    return Window(start, end, trailing)
