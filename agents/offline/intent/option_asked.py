"""What one option costs, asked in a message: "how much would a protective put on AAPL cost for 3
months at 90% strike?", "what does a 3-month 95% put on MSFT cost?", "price a 6 month
at-the-money put on the S&P 500", "cost of a 1-year 90% put on KO".

`read_option_ask(text, tickers, unknown)` gives an `OptionAsk` (the `price_option` arguments
said, and what was said that the tool does not take) when the message asks the price of a put
or call on named underlyings and speaks of no strategy, search, backtest, budget or portfolio
(those are searched as hedges: `agents.offline.intent.hedge`); None otherwise. No pandas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.offline.intent.scanner import NUM, Scanner
from settings import patterns

INDEX = "SP500"
"""The S&P 500 index's symbol for `price_option`."""
INDEX_TICKERS = ("GSPC", "^GSPC", "SPX")
"""Tickers of the index itself."""
INDEX_FUNDS = ("IVV", "SPLG", "SPY", "VOO")
"""Funds that track the index: priced on the index's level, said so."""
OPTION_WORDS = ("ATM", "ITM", "IV", "OTM")
"""Upper-case words of an option ask that are no tickers ("a 3-month ATM put")."""
MAX_UNDERLYINGS = 4
"""Most underlyings one message prices (one call each)."""
SESSIONS_A_YEAR = 252
CALENDAR_DAYS_A_YEAR = 365

_PRICE_ASKED = patterns.compile(
    r"\bhow much\b|\brun (?:me|us)\b|\bset (?:me|us) back\b|\bcost\w*|\bpric(?:e|ed|es|ing)\b|\bpremiums?\b|\bworth\b|\bvalue\b"
    r"|\bexpensive\b|\bcheap\b|\bquote\b|\bcharge\b"
)
_PUT = patterns.compile(  # not the verb: "put it in", "$50,000 put into KO", "put aside"
    r"\bputs?\b(?!\s+(?:(?:it|that|this|them|my|our|money|into|in|aside|away|together"
    r"|towards?)\b|\$?\d))"
)
_CALL = patterns.compile(
    r"\bcall options?\b|\bcalls? (?:on|struck|option|at|for|expir\w*)\b"
    r"|(?:%|\bmonth|\bday|\bweek|\byear|\bmoney|\batm|\botm|\bitm|\bstrike|\beuropean|\bamerican)"
    r"[\s-]*calls?\b"
)
_STRATEGY = patterns.compile(
    r"\bstrateg\w*|\bsearch\w*|\boptimi[sz]\w*|\btun(?:e|ing)\b|\btrials?\b|\bback[\s-]?test\w*"
    r"|\bbudget\w*|\boverlays?\b|\bportfolios?\b|\bdeploy\w*|\bcollars?\b|\bspreads?\b|\broll\w*"
    r"|\bspend\w*|\bhave (?:done|performed|paid|saved)|\bscenarios?\b|\bvol[\s-]*target\w*"
    r"|\btarget[\s-]*vol\w*|\bsimulat\w*"
)
_INDEX_WORDS = patterns.compile(
    r"\bs\s?&\s?p(?:\s?500)?\b|\bsp500\b|\bthe (?:stock )?(?:index|market)\b"
)
_AMERICAN = patterns.compile(r"\bamerican\b")
_DIVIDENDS = patterns.compile(r"\bdividends?\b")

_VOLATILITY = [
    patterns.compile(
        r"(?:implied\s+)?(?:vol(?:atility)?|iv)\s*(?:of|at|=|:|is)?\s*" + NUM + r"\s*%"
    ),
    patterns.compile(NUM + r"\s*%\s*(?:implied\s+)?(?:vol(?:atility)?|iv)\b"),
]
_RATE = [
    patterns.compile(
        r"(?:risk[\s-]?free\s+|interest\s+|safe\s+)?rates?\s*(?:of|at|=|:|is)?\s*"
        r"(-?\d+(?:\.\d+)?)\s*%"
    ),
    patterns.compile(r"(-?\d+(?:\.\d+)?)\s*%\s*(?:risk[\s-]?free\s+|interest\s+)?rates?\b"),
]
_ATM = patterns.compile(r"\bat[\s-]the[\s-]money\b|\batm\b")
_AWAY = patterns.compile(
    NUM + r"\s*%\s*(otm|out[\s-]of[\s-]the[\s-]money|itm|in[\s-]the[\s-]money)\b"
)
_MONEYNESS = [
    patterns.compile(
        NUM + r"\s*%\s*(?:strike|moneyness|of (?:the )?(?:spot|price|close|current price|stock)\b)"
    ),
    patterns.compile(r"(?:strike|struck|moneyness)\s*(?:of|at|=|:)?\s*" + NUM + r"\s*%"),
    patterns.compile(NUM + r"\s*%\s*(?:[a-z-]+\s+){0,2}?(?:puts?|calls?)\b"),
    patterns.compile(r"\bat\s+" + NUM + r"\s*%"),
    patterns.compile(NUM + r"\s*%"),  # the one percentage left of an option's price ask
]
_STRIKE = [
    patterns.compile(
        r"(?:strike|struck)\s*(?:of|at|=|:)?\s*\$?\s*(\d[\d,]*(?:\.\d+)?)(?![\d,.]*\s*%)"
    ),
    patterns.compile(r"\$\s*(\d[\d,]*(?:\.\d+)?)\s*(?:strike|puts?|calls?)\b"),
    patterns.compile(r"(?<![\d.$])(\d[\d,]*(?:\.\d+)?)\s*strike\b"),
    patterns.compile(  # a trader's "the 90 put": a strike in currency, not a count of options
        r"\b(?:a|an|the|one)\s+\$?(\d[\d,]*(?:\.\d+)?)[\s-]*(?:puts?|calls?)\b"
    ),
]
_COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "nine": 9,
    "twelve": 12, "eighteen": 18,
}  # fmt: skip
_TENOR = patterns.compile(
    r"(?<![$\d.,])\b(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|nine|twelve|eighteen)[\s-]*"
    r"(years?|yrs?|y|months?|mos?|m|weeks?|wks?|w|quarters?|trading[\s-]+days?|sessions?"
    r"|calendar[\s-]+days?|days?|d)\b(?![\s-]*(?:ago|before|earlier))"
)
_MONTHS_OF = {"y": 12.0, "yr": 12.0, "year": 12.0, "m": 1.0, "mo": 1.0, "month": 1.0}
_MONTHS_OF |= {"quarter": 3.0}
_DATE_ISO = patterns.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_DATE_WORDS = patterns.compile(
    r"\b(?:(\d{1,2})(?:st|nd|rd|th)?\s+)?(" + "|".join(_MONTH_NAMES) + r")\s+(?:(\d{1,2})"
    r"(?:st|nd|rd|th)?,?\s+)?(\d{4})\b"
)
_END_OF_YEAR = patterns.compile(r"\bend of (\d{4})\b")
_START_OF_YEAR = patterns.compile(
    r"\b(?:(?:the\s+)?(?:start|beginning|outset|turn)\s+of|early)\s+((?:19|20)\d{2})\b"
)
_YEAR = patterns.compile(r"\b(?:in|during|of|for)\s+((?:19|20)\d{2})\b")


@dataclass(frozen=True)
class OptionAsk:
    """What a message asks to price: `underlyings` (tickers, `INDEX` for the index), `kinds`
    ("put", "call"), and the `price_option` arguments said (`args`: moneyness or strike,
    tenor_months or tenor_days, date, volatility, rate); `tenor_words` how the tenor was said
    ("90 calendar days"); `funds` index funds priced on the index; `notes` what was said that
    the tool does not take (an American option, dividends, a year without a date)."""

    underlyings: tuple[str, ...]
    kinds: tuple[str, ...]
    args: dict[str, float | int | str] = field(default_factory=dict)
    tenor_words: str | None = None
    funds: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _percent(text: str) -> float:
    return round(float(text) / 100.0, 10)


def _first(scan: Scanner, found: list[re.Pattern[str]]) -> tuple[str, ...] | None:
    """The groups of the first of `found` that matches what is left of the message, consumed."""
    for pattern in found:
        if match := pattern.search(scan.free):
            scan.consume(match)
            return tuple(g for g in match.groups() if g is not None)
    return None


def _strike(scan: Scanner, kind: str) -> dict[str, float]:
    """moneyness or strike from the message (empty: none said)."""
    if match := _AWAY.search(scan.free):
        scan.consume(match)
        away = _percent(match.group(1))
        out = match.group(2).startswith(("o", "out"))
        below = out == (kind == "put")  # an out-of-the-money put is struck below the spot
        return {"moneyness": round(1.0 - away if below else 1.0 + away, 10)}
    if match := _ATM.search(scan.free):
        scan.consume(match)
        return {"moneyness": 1.0}
    if (said := _first(scan, _STRIKE)) is not None:
        return {"strike": float(said[0].replace(",", ""))}
    if (said := _first(scan, _MONEYNESS)) is not None:
        return {"moneyness": _percent(said[0])}
    return {}


_A_TENOR_BEFORE = patterns.compile(r"(?:for|in|over|of|lasting)\s*$")
_A_TENOR_AFTER = patterns.compile(r"^[\s-]*(?:puts?|calls?|options?|tenor|expiry|protective)\b")


def _one_tenor(scan: Scanner, match: re.Match[str]) -> bool:
    """Whether "a year" (or "a month") is a tenor ("for a year", "a year put"), not a rate ("7%
    a year", "cost a year")."""
    before = scan.free[max(0, match.start() - 12) : match.start()]
    return bool(_A_TENOR_BEFORE.search(before) or _A_TENOR_AFTER.search(scan.free[match.end() :]))


def _tenor(scan: Scanner) -> tuple[dict[str, float | int], str | None]:
    """tenor_months or tenor_days, and how it was said when days were turned into sessions."""
    match = next(
        (
            m
            for m in _TENOR.finditer(scan.free)
            if m.group(1) not in ("a", "an") or _one_tenor(scan, m)
        ),
        None,
    )
    if match is None:
        return {}, None
    scan.consume(match)
    count_text = match.group(1)
    unit = " ".join(match.group(2).replace("-", " ").split()).rstrip("s")
    count = float(_COUNTS.get(count_text, 0) or count_text)
    if unit in _MONTHS_OF:
        return {"tenor_months": round(count * _MONTHS_OF[unit], 6)}, None
    if unit in ("week", "wk", "w"):
        return {"tenor_days": round(count * 5)}, f"{count:g} weeks"
    if unit in ("trading day", "session"):
        return {"tenor_days": round(count)}, None
    sessions = max(1, round(count * SESSIONS_A_YEAR / CALENDAR_DAYS_A_YEAR))
    return {"tenor_days": sessions}, f"{count:g} calendar days"


def _date(scan: Scanner) -> tuple[str | None, str | None]:
    """The date said (ISO; a close on or before it is priced: the start of a year is the last
    close before it) and a note for a year said alone ("in 2022": priced at its start)."""
    if match := _DATE_ISO.search(scan.free):
        scan.consume(match)
        return match.group(1), None
    if match := _DATE_WORDS.search(scan.free):
        scan.consume(match)
        day = match.group(1) or match.group(3)
        month = _MONTH_NAMES.index(match.group(2)) + 1
        if day is None:
            return f"{match.group(4)}-{month:02d}", None  # the month's last session
        return f"{match.group(4)}-{month:02d}-{int(day):02d}", None
    if match := _END_OF_YEAR.search(scan.free):
        scan.consume(match)
        return f"{match.group(1)}-12-31", None
    if match := _START_OF_YEAR.search(scan.free):
        scan.consume(match)
        return f"{int(match.group(1)) - 1}-12-31", None  # the last close before the year
    if match := _YEAR.search(scan.free):
        scan.consume(match)
        year = int(match.group(1))
        return f"{year - 1}-12-31", (
            f"the rest of {year} (a price is at one close: priced at the year's start, the last "
            f"close of {year - 1}; give a date for another, e.g. 'as of {year}-06-30')"
        )
    return None, None


def _underlyings(
    scan: Scanner, tickers: tuple[str, ...], unknown: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The underlyings (tickers, then the index) and the index funds named; None when a ticker
    the data does not hold is named (the supervisor says so)."""
    unknown = tuple(t for t in unknown if t not in OPTION_WORDS)
    if any(t not in INDEX_TICKERS + INDEX_FUNDS for t in unknown):
        return None
    funds = tuple(t for t in unknown if t in INDEX_FUNDS)
    index = bool(unknown) or bool(_INDEX_WORDS.search(scan.low))
    return tuple(tickers) + ((INDEX,) if index else ()), funds


def _terms(scan: Scanner, kind: str) -> tuple[dict[str, float | int | str], str | None, list[str]]:
    """The `price_option` arguments said (volatility, rate, date, tenor, strike), how a tenor in
    days was taken, and what was said that the tool does not take."""
    args: dict[str, float | int | str] = {}
    if (vol := _first(scan, _VOLATILITY)) is not None:
        args["volatility"] = _percent(vol[0])
    if (rate := _first(scan, _RATE)) is not None:
        args["rate"] = _percent(rate[0])
    day, year_note = _date(scan)
    if day is not None:
        args["date"] = day
    tenor, tenor_words = _tenor(scan)
    args |= tenor
    args |= _strike(scan, kind)
    notes = []
    if _AMERICAN.search(scan.low):
        notes.append(
            "an American option (priced European: no early exercise; an American put is worth "
            "at least this)"
        )
    if _DIVIDENDS.search(scan.low):
        notes.append("dividends (priced with no dividend yield, as the hedges are)")
    if year_note is not None:
        notes.append(year_note)
    return args, tenor_words, notes


def _kinds(low: str) -> tuple[str, ...]:
    return tuple(kind for kind, pattern in (("put", _PUT), ("call", _CALL)) if pattern.search(low))


def read_option_ask(
    text: str, tickers: tuple[str, ...], unknown: tuple[str, ...] = ()
) -> OptionAsk | None:
    """The option price `text` asks for (see the module docstring); `tickers` the known tickers
    the message names, `unknown` the ticker-like words the data does not hold."""
    scan = Scanner(text)
    kinds = _kinds(scan.low)
    if not kinds or not _PRICE_ASKED.search(scan.low) or _STRATEGY.search(scan.low):
        return None
    named = _underlyings(scan, tickers, unknown)
    if named is None or not named[0] or len(named[0]) > MAX_UNDERLYINGS:
        return None
    args, tenor_words, notes = _terms(scan, kinds[0])
    return OptionAsk(named[0], kinds, args, tenor_words, named[1], tuple(notes))


_CHANGE = patterns.compile(r"^(?:and|what about|how about|now|same|ok|okay|then|instead)\b")
_KIND_WORDS = (("put", patterns.compile(r"\bputs?\b")), ("call", patterns.compile(r"\bcalls?\b")))
"""A kind named in a follow-up ("and a call?")."""
MAX_CHANGE_WORDS = 10
"""Longest follow-up read as a change of the option just priced ("and for 6 months?")."""


def read_option_change(
    text: str, tickers: tuple[str, ...], unknown: tuple[str, ...], before: OptionAsk
) -> OptionAsk | None:
    """The option priced just `before`, changed as a short follow-up says ("and for 6 months?",
    "what about 95%?", "how about MSFT?", "and a call?"); None when `text` is no such change."""
    scan = Scanner(text)
    if not _CHANGE.search(scan.low) or len(scan.low.split()) > MAX_CHANGE_WORDS:
        return None
    if _STRATEGY.search(scan.low):
        return None
    said = tuple(kind for kind, word in _KIND_WORDS if word.search(scan.low))
    kinds = said or before.kinds
    named = _underlyings(scan, tickers, unknown)
    if named is None or len(named[0]) > MAX_UNDERLYINGS:
        return None
    args, tenor_words, notes = _terms(scan, kinds[0])
    if not (args or named[0] or kinds != before.kinds):
        return None
    kept = dict(before.args)
    for pair in (("moneyness", "strike"), ("tenor_months", "tenor_days")):
        if any(key in args for key in pair):
            for key in pair:
                kept.pop(key, None)
    if not any(key in args for key in ("tenor_months", "tenor_days")):
        tenor_words = before.tenor_words
    return OptionAsk(
        named[0] or before.underlyings,
        kinds,
        kept | args,
        tenor_words,
        named[1] or before.funds,
        tuple(notes),
    )
