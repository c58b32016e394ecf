"""The items of a portfolio manager's message, read by code on its own (the ask accounting's
reader, independent of every model's parser so it can check all of them): tickers (any case;
typos of known ones written in capitals; unknown capitalised ones), company names, sectors and
industries ("tech", "the banks"), weights, limits on weights (every asset, named assets,
groups), risk limits, volatility and return targets, windows and horizons, historical episodes
and market scenarios, methods, rebalancing frequencies, confidence levels, capital, loss
thresholds, market moves, interest-rate moves (which no tool models) and costs.

Precision comes first: a number is an item of its kind only in a phrasing `graphs.ask_patterns`
knows, so counts ("top 5", "3 ideas"), years inside dates and windows, and numbers quoted back
from earlier replies (`cited`) are not items. A percentage no phrasing reads is still an item
(`percentage`): some tool must take it, or the reply names it. Percentages are fractions
(20% -> 0.2).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from graphs import ask_patterns as P
from graphs.ask_bounds_after import BOUNDS_AFTER
from graphs.ask_dates import date_said, recent_start, sessions_said
from graphs.ask_downturns import downturns_said, market_state_asked
from graphs.ask_holdings import holdings_said
from graphs.ask_items_memo import remembered
from graphs.ask_vocabulary import Vocabulary
from graphs.ask_weights import read_weights
from services.shorthand import expand_shorthand
from services.spelling import typo_of
from services.windows import LATELY_SESSIONS
from settings import patterns

ITEM_KINDS = (
    "ticker", "unknown_ticker", "group", "universe_all", "weight", "cap", "floor", "asset_cap",
    "asset_floor", "group_cap", "group_floor", "drawdown_limit", "var_limit", "cvar_limit",
    "vol_limit", "vol_target", "return_target", "risk_free", "start", "end", "recent",
    "horizon", "episode", "scenario", "method", "frequency", "level", "capital", "threshold",
    "market_move", "rate_move", "cost", "leverage", "lookback", "rolling", "percentage", "beta_to",
    "holdings",
)  # fmt: skip
"""Every kind of item (`AskItem.kind`)."""

STOPWORDS = frozenset(
    {
        "a", "all", "am", "an", "and", "any", "are", "as", "at", "be", "been", "big", "but", "by",
        "can", "cap", "car", "cat", "do", "does", "dont", "es", "for", "from", "get", "go", "has",
        "have", "he", "her", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its",
        "key", "let", "lot", "low", "man", "max", "may", "me", "min", "more", "most", "my", "new",
        "no", "nor", "not", "now", "of", "off", "oh", "ok", "old", "on", "one", "or", "our", "out",
        "own", "per", "pls", "put", "run", "say", "see", "she", "so", "some", "than", "that",
        "the", "them", "then", "there", "these", "they", "this", "those", "to", "too", "two", "up",
        "us", "use", "var", "vol", "was", "way", "we", "well", "were", "what", "when", "where",
        "which", "who", "why", "will", "with", "yes", "yet", "you", "your"
    }
)  # fmt: skip
"""Lower-case words that are never read as tickers ("all", "it", "on" are tickers elsewhere)."""

ABBREVIATIONS = frozenset(
    {
        "ADR", "ATM", "ITM", "IV", "OTM", "AWS", "CLI", "LLM", "ML", "SQL", "UI", "URL", "SSO", "MFA", "VPN", "OS", "PC", "UTC", "EST", "ET", "PT", "GMT", "AI", "AM", "AND", "API", "ARE", "ASAP", "AT", "ATR", "AUM", "BN", "BOD", "BOE",
        "BOJ", "BP", "BPS", "BY", "CAGR", "CAN", "CEO", "CFO", "CFTC", "CO", "CPI", "CSV", "CVAR",
        "DCF", "DD", "DJIA", "DO", "EBIT", "EBITDA", "ECB", "EMA", "EOD", "EOM", "EPS", "ERC",
        "ES", "ESG", "ETF", "ETFS", "EU", "EUR", "EW", "FAQ", "FED", "FOMC", "FOR", "FX", "FY",
        "FYI", "GBP", "GDP", "GDR", "GFC", "GICS", "GMV", "H1", "H2", "HELP", "HEY", "HI", "HOW",
        "HRP", "ID", "IF", "IM", "IMF", "IN", "INC", "IPO", "IRR", "IS", "IT", "JPY", "JSON", "K",
        "LLC", "LNG", "LOL", "LTD", "LTV", "M", "MACD", "MAX", "MCP", "ME", "MIN", "MLP", "MM",
        "MTD", "MV", "MVO", "MWR", "MY", "NASDAQ", "NATO", "NAV", "NB", "NO", "NOT", "NYSE",
        "OECD", "OF", "OK", "ON", "OOS", "OPEC", "OR", "OTC", "OUR", "PCT", "PDF", "PE", "PLC",
        "PLS", "PM", "PMI", "PNL", "PS", "Q", "Q1", "Q2", "Q3", "Q4", "QOQ", "QTD", "REIT",
        "REITS", "RF", "ROA", "ROE", "ROI", "RP", "RSI", "SD", "SEC", "SMA", "SO", "SP", "SPX",
        "SPY", "STD", "TECH", "THE", "THX", "TIA", "TO", "TV", "TWR", "UK", "UN", "US", "USA",
        "USD", "VAR", "VIX", "VOL", "WACC", "WE", "WHAT", "WHY", "WTD", "WTI", "YES", "YOU", "YOY",
        "YTD"
    }
)  # fmt: skip
"""Capitalised words that are not tickers."""

_SAID_BEFORE = 120
"""How far before a percentage no phrasing read its quote may start (three words)."""
_OUT_OF_THE_MONEY = patterns.compile(
    r"(?<![\d.])(?P<p>\d+(?:\.\d+)?)\s*%\s*(?:otm|out[\s-]of[\s-]the[\s-]money)\b"
)
"""A put's strike said by how far out of the money it is ("a 10% OTM put": the 90% strike)."""
_LEVEL_OR_LIMIT = ("level", "drawdown_limit", "var_limit", "cvar_limit")
_LOWER_RUN = patterns.compile(r"(?<![\w$&.])[a-z]{2,5}(?:[ \t]+[a-z]{2,5}){2,}(?![\w&])")
"""Three or more short lower-case words joined by spaces: maybe a list of tickers."""
_WORD = patterns.compile(r"(?<![\w$&.])[A-Za-z]{1,6}(?:\.[A-Za-z])?(?![\w&])")


WORTH_NOW = patterns.compile(
    r"\b(?:worth|be|have\s+(?:grown|become|turned)|grown|turned\s+into)\b[^.?!;]*?"
    r"\b(?:now|today|to\s?day|currently|by\s+now|these\s+days)\b"
)
"""A sum's worth asked as of now after the year it went in: that year starts the window asked,
which runs to the end of the data (read on its own here, as the offline model's reader does)."""


@dataclass(frozen=True)
class AskItem:
    """An item of a message: `kind` (`ITEM_KINDS`), the words that said it (`text`), `value` (a
    ticker, fraction, ISO date, sessions, method...), `subject` (its ticker or group), `excluded`."""

    kind: str
    text: str
    value: Any = None
    subject: str | None = None
    excluded: bool = False


def normalised(message: str) -> str:
    """`message` with each run of spaces or tabs as one space and each line break with the
    spaces around it as one line break, shorthand written out (`services.shorthand`: "qtrly
    rebal", "w/o"), percentages written as "N%" ("20 percent", "twenty-five pct"), spelled
    numbers before a unit as digits, shares said as fractions after a limit's words as
    percentages ("at most a fifth" -> "at most 20%"), numbers said without "%" as a limit on
    every weight as percentages ("no more than 40 in any name"), equal shares said as fractions
    ("1/3 each"), "then" after a comparative as "than",
    ranges "between 5 and 30%" as "between 5% and 30%", "ex-energy" as "ex energy" and dashes
    as hyphens."""
    text = P.LINE_BREAK.sub("\n", P.SPACES.sub(" ", message))
    text = (
        expand_shorthand(text).replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", "-")
    )
    text = P.SPELLED.sub(lambda m: str(P.spelled_value(m.group("w"))), text)
    text = P.FRACTION.sub(lambda m: f"{m.group('c')} {P.fraction_percent(m)}%", text)
    text = P.BARE_LIMIT.sub(r"\g<c> \g<n>%", text)
    text = P.EACH_SHARE.sub(lambda m: f"{P.each_share_percent(m)}% ", text)
    text = P.THEN.sub(r"\1 than", text)
    text = P.PERCENT_WORDS.sub(r"\1%", text)
    text = P.RANGE_PERCENTS.sub(r"\1 \2% \3 \4%", text)
    text = P.DASHED_RANGE.sub(r"\1%-\2%", text)
    return P.EX_DASH.sub("ex ", text)


@dataclass
class _Subject:
    kind: str  # "ticker" or "group"
    value: str
    text: str
    start: int
    end: int
    in_limit: bool = False


@dataclass
class _Scan:
    text: str
    vocab: Vocabulary
    low: str = ""
    masked: list[str] = field(default_factory=list)
    subjects: dict[int, _Subject] = field(default_factory=dict)
    items: list[AskItem] = field(default_factory=list)
    every: list[tuple[str, str, float, list[_Subject]]] = field(default_factory=list)
    """Limits said of a list of every ticker named: (bound, words, value, the list)."""

    def __post_init__(self) -> None:
        self.low = self.text.lower()
        self.masked = list(self.low)

    # -- masking --------------------------------------------------------------------------
    def view(self) -> str:
        return "".join(self.masked)

    def claim(self, start: int, end: int) -> None:
        """Mask `start:end` (subjects keep their marks)."""
        for i in range(start, end):
            if self.masked[i] not in "¤§":
                self.masked[i] = "~"

    def said(self, m: re.Match[str]) -> str:
        """The words of the message a match read (as written, not masked)."""
        return self.text[m.start() : m.end()].strip()

    def _limited(self, subjects: list[_Subject], before: bool) -> list[_Subject]:
        """The subjects of a list that a limit said `before` (or after) them is about: not
        those an earlier limit took ("at least 5% in energy, banks at most 10%") or an exclusion
        left out ("ex energy, staples at most 25%"), nor those before a name said again ("on
        KO, PG, WMT, WMT at least 6%"); the one beside the limit always."""
        if before:  # a name said again starts a new list ("..., BBY, AAPL and AMD at least 5%")
            said, start = [s.value for s in subjects], 0
            for i, value in enumerate(said):
                start = i if value in said[start:i] else start
            subjects = subjects[start:]
        near = subjects[-1] if before else subjects[0]
        return [s for s in subjects if s is near or not (s.in_limit or self.excluded(s))]

    def excluded(self, subject: _Subject) -> bool:
        """Whether the words before `subject` leave it out ("without XOM", "all but KO and")."""
        view = self.view()
        return (
            P.EXCLUDED_BEFORE.search(view[max(0, subject.start - 80) : subject.start]) is not None
        )

    def subjects_in(self, start: int, end: int) -> list[_Subject]:
        found = [s for s in self.subjects.values() if start <= s.start < end]
        return sorted(found, key=lambda s: s.start)

    # -- names ----------------------------------------------------------------------------
    def names(self) -> None:
        vocab, taken = self.vocab, [False] * len(self.text)

        def add(kind: str, value: str, start: int, end: int) -> None:
            if any(taken[start:end]):
                return
            for i in range(start, end):
                taken[i] = True
                self.masked[i] = "¤" if kind == "ticker" else "§"
            self.subjects[start] = _Subject(kind, value, self.text[start:end], start, end)

        for name, pattern in _whole_words(tuple(vocab.names)):
            for m in pattern.finditer(self.low):
                add("ticker", vocab.names[name], m.start(), m.end())
        for term, pattern in _whole_words(tuple(vocab.groups)):
            for m in pattern.finditer(self.low):
                add("group", term, m.start(), m.end())
        shouting = _shouting(self.text, vocab.tickers)
        for m in _WORD.finditer(self.text):
            word, up = m.group(0), m.group(0).upper()
            if up in vocab.tickers and _reads_as_ticker(word):
                add("ticker", up, m.start(), m.end())
            elif word.isupper() and len(word) >= 2 and up not in ABBREVIATIONS and not shouting:
                typo = typo_of(up, vocab.tickers)
                if typo is not None:
                    add("ticker", typo, m.start(), m.end())
                elif not any(taken[m.start() : m.end()]) and P.CAPITALS.fullmatch(word):
                    self.items.append(AskItem("unknown_ticker", word, up))
                    self.claim(m.start(), m.end())
        for run in _LOWER_RUN.finditer(self.text):  # "hrp on appl msft jpm": "appl" is AAPL
            words = [(w.start() + run.start(), w.group(0)) for w in _WORD.finditer(run.group(0))]
            if sum(w.upper() in vocab.tickers for _, w in words) >= 2:
                for start, word in words:
                    up = word.upper()
                    if word in STOPWORDS or up in ABBREVIATIONS:  # "erc": a method, not RRC
                        continue
                    if typo := typo_of(up, vocab.tickers):
                        add("ticker", typo, start, start + len(word))

    # -- windows, horizons, episodes ------------------------------------------------------
    def downturns(self) -> None:
        """Past downturns in the plural (`graphs.ask_downturns.downturns_said`): every historical
        episode."""
        m = downturns_said(self.low, self.view())
        if m is None:
            return
        for key in dict.fromkeys(P.EPISODE_YEARS.values()):
            self.items.append(AskItem("episode", self.said(m), key))
        self.claim(m.start(), m.end())

    def windows(self) -> None:
        stress = P.STRESS_CONTEXT.search(P.COMPARED_AGAINST.sub(" ", self.low)) is not None
        for pattern, key in P.EPISODES:
            for m in pattern.finditer(self.view()):
                if m.group(0).strip() in P.EPISODE_YEARS and not stress:
                    continue
                self.items.append(AskItem("episode", self.said(m), key))
                self.claim(m.start(), m.end())
        self.downturns()
        if stress:
            for m in P.EPISODE_YEAR.finditer(self.view()):
                self.items.append(AskItem("episode", m.group("y"), P.EPISODE_YEARS[m.group("y")]))
                self.claim(m.start("y"), m.end("y"))
        for pattern in P.HORIZONS:
            for m in pattern.finditer(self.view()):
                sessions = sessions_said(m.group("n"), m.group("u"))
                if sessions:
                    self.items.append(AskItem("horizon", self.said(m), sessions))
                    self.claim(m.start("n"), m.end("u"))  # "10-day 99 var": 99 is the level
        for pattern, form in P.WINDOWS:
            for m in pattern.finditer(self.view()):
                self._window(m, form)
        for m in P.YEARS_COMPARED.finditer(self.view()):  # "in 2022 vs 2021": a window a year
            read = {i.value for i in self.items if i.kind == "start"}
            for year in dict.fromkeys(P.YEAR_PATTERN.findall(m.group(0))):  # those not read yet
                if f"{year}-01-01" not in read:
                    self.items += [AskItem("start", self.said(m), f"{year}-01-01"),
                                   AskItem("end", self.said(m), f"{year}-12-31")]  # fmt: skip

    def _window(self, m: re.Match[str], form: str) -> None:
        said = self.said(m)
        if form in ("recent", "lately"):
            sessions = (
                sessions_said(m.group("n"), m.group("u")) if form == "recent" else LATELY_SESSIONS
            )
            if sessions:
                start = recent_start(self.vocab, sessions)
                self.items.append(AskItem("recent", said, {"sessions": sessions, "start": start}))
        elif form == "ytd":
            end = self.vocab.data_end
            if end is not None:
                self.items.append(AskItem("start", said, f"{end[:4]}-01-01"))
        elif (
            form == "part"
        ):  # "at the start of 2020": its start, a quarter or a close; "end": its end
            ends = m.group("p") == "end"
            edge = f"{m.group('y')}-12-31" if ends else f"{m.group('y')}-01-01"
            self.items.append(AskItem("end" if ends else "start", said, edge))
        elif form == "year":
            year = m.group("y")
            self.items.append(AskItem("start", said, f"{year}-01-01"))
            if not WORTH_NOW.search(self.low, m.end()):  # "$100k in AAPL in 2010 ... worth now"
                self.items.append(AskItem("end", said, f"{year}-12-31"))
        else:
            for group, kind in (("a", "start"), ("b", "end")):
                if group in m.re.groupindex and m.group(group):
                    day = date_said(m.group(group), at_end=kind == "end")
                    if day is not None:
                        self.items.append(AskItem(kind, said, day))
        self.claim(m.start(), m.end())

    # -- numbers --------------------------------------------------------------------------
    def numbers(self, cited: str) -> None:
        for m in P.DECIMAL_PERCENT.finditer(self.view()):
            if m.group(0) in cited:  # a number quoted back from an earlier reply
                self.claim(m.start(), m.end())
        for pattern, reading in P.RANGES:
            self._read(pattern, reading)
        for pattern, reading in BOUNDS_AFTER:  # "volatility at 12% max": no weight cap
            self._read(pattern, reading)
        for pattern, reading in P.RISK:
            self._read(pattern, reading)
        if P.PROBABILITY.search(self.low):
            for pattern, reading in P.THRESHOLDS:
                self._read(pattern, reading)
        for pattern, reading in P.MOVES_AND_TARGETS:
            self._read(pattern, reading)
        for m in P.LEVERAGE.finditer(self.view()):
            self.items.append(
                AskItem("leverage", self.said(m), float(m.group("x") or m.group("y")))
            )
            self.claim(m.start(), m.end())
        for kind, m in [(k, m) for k in ("lookback", "rolling") for m in P.ROLLS[k].finditer(self.view())]:  # fmt: skip
            unit = next(
                (m.groupdict()[k] for k in ("u", "u2", "u3") if m.groupdict().get(k)), "days"
            )
            if sessions := sessions_said(m.group("n") or m.group("n2"), unit):
                self.items.append(AskItem(kind, self.said(m), sessions))
                self.claim(m.start(), m.end())
        for m in P.BETA_TO.finditer(self.low):  # "beta of JPM to XOM": XOM, not the index
            if (against := m.group("t").upper()) in self.vocab.tickers:
                self.items.append(AskItem("beta_to", self.said(m), against))
        for m in P.RATE_MOVE.finditer(self.view()):
            sign = -1.0 if P.DOWN.search(m.group(0)) else 1.0
            sign *= 100.0 if m.group("pct") or m.group("pct2") else 1.0  # percent: in bps
            self.items.append(
                AskItem("rate_move", self.said(m), sign * float(m.group("n") or m.group("n2")))
            )
            self.claim(m.start(), m.end())
        for m in P.COST_BPS.finditer(self.view()):
            self.items.append(AskItem("cost", self.said(m), float(m.group("n"))))
            self.claim(m.start(), m.end())
        for pattern, reading in P.WEIGHT_LIMITS:
            self._read(pattern, reading)
        read_weights(self)
        for m in P.MONEY.finditer(self.view()):
            self._money(m)
        for m in _OUT_OF_THE_MONEY.finditer(self.view()):  # "a 10% OTM put": a 90% strike
            self.items.append(AskItem("percentage", self.said(m), 1 - float(m.group("p")) / 100))
            self.claim(m.start(), m.end())
        for m in P.PCT_PATTERN.finditer(self.view()):  # a percentage no phrasing above read
            head = max(0, m.start() - _SAID_BEFORE)
            before = P.WORDS_BEFORE.search(self.text[head : m.start()])
            said = self.text[head + before.start() if before else m.start() : m.end()].strip()
            self.items.append(AskItem("percentage", said, float(m.group("p")) / 100.0))
            self.claim(m.start(), m.end())

    def _read(self, pattern: re.Pattern[str], reading: tuple[str, ...]) -> None:
        for m in pattern.finditer(self.view()):
            groups = ["p"] if "p" in pattern.groupindex else ["p1", "p2"]
            values = [float(m.group(g)) / 100.0 for g in groups]
            if (reading[0] == "level") != (values[0] >= 0.5) and reading[0] in _LEVEL_OR_LIMIT:
                continue  # a level is 50% or more, a risk limit less
            subjects = self.subjects_in(m.start("s"), m.end("s")) if "s" in m.groupdict() else []
            if len(subjects) > 1:
                subjects = self._limited(subjects, before=m.start("s") < m.start(groups[0]))
            said = self.said(m)
            every = self._every_ticker(subjects)
            for kind, value in zip(reading, values, strict=True):
                if kind.startswith("subject_") and every:  # settled once all is read
                    self.every.append((kind.removeprefix("subject_"), said, value, subjects))
                elif kind.startswith("subject_"):
                    self._subject_limit(subjects, kind.removeprefix("subject_"), value, said)
                    if m.start("s") > m.start(groups[0]):  # said before its subjects
                        self._chained(m, kind.removeprefix("subject_"))
                elif kind == "cost_pct":
                    self.items.append(AskItem("cost", said, round(value * 10_000, 6)))
                elif kind == "market_move":
                    self.items.append(AskItem(kind, said, -value))
                elif kind in ("vol_target_low", "vol_target_high"):  # the ends of a range
                    end = kind.removeprefix("vol_target_")
                    self.items.append(AskItem("vol_target", said, value, end))
                elif kind == "vol_target" and P.APPROXIMATE.search(
                    self.text, max(0, m.start() - 16), m.end()
                ):  # "target vol around 12%": a search may look around it
                    self.items.append(AskItem(kind, said, value, "around"))
                else:
                    self.items.append(AskItem(kind, said, value))
            self.claim(*(m.span("c") if "c" in pattern.groupindex else m.span()))

    def _subject_limit(self, subjects: list[_Subject], bound: str, value: float, said: str) -> None:
        """A limit (`bound` "cap" or "floor") of `value` on each of `subjects`."""
        for subject in subjects:
            subject.in_limit = True
            scope = "asset" if subject.kind == "ticker" else "group"
            self.items.append(AskItem(f"{scope}_{bound}", said, value, subject.value))

    def _chained(self, m: re.Match[str], bound: str) -> None:
        """The shares joined after the limit `m` read, its comparator left out ("at least 60%
        in KO and 40% in JNJ"): each a limit of the same `bound` on its subject."""
        comparator = self.text[m.start() : m.start("p")].strip()
        view, end = self.view(), m.end()  # claims below mask only what the loop has passed
        while chained := P.CHAINED_SHARE.match(view, end):
            said = f"{comparator} {self.text[chained.start('p') : chained.end()].strip()}"
            value = float(chained.group("p")) / 100.0
            self._subject_limit([self.subjects[chained.start("s")]], bound, value, said)
            self.claim(chained.start(), chained.end())
            end = chained.end()

    def _every_ticker(self, subjects: list[_Subject]) -> bool:
        """Whether a limit said of `subjects` is said of every asset: a list of two or more
        tickers that is every ticker the message names ("hrp of aapl, msft and ko capped at
        40%")."""
        named = {s.value for s in self.subjects.values() if s.kind == "ticker"}
        listed = {s.value for s in subjects}
        return len(subjects) >= 2 and all(s.kind == "ticker" for s in subjects) and listed == named

    def weight(self, subject: _Subject, value: float, said: str) -> None:
        """Add a weight of `value` (a fraction) on `subject`, said in the words `said`; none
        outside (0, 1]."""
        if 0.0 < value <= 1.0:
            self.items.append(AskItem("weight", said.strip(), value, subject.value))

    def _money(self, m: re.Match[str]) -> None:
        number, unit = next(
            (m.group(n), m.group(u) if u else "k")
            for n, u in (("n", "u"), ("n2", "u2"), ("n3", "u3"), ("n4", None))
            if m.group(n)
        )
        value = float(number.replace(",", "")) * P.MONEY_UNITS.get((unit or "").lower(), 1.0)
        if value >= 1000:
            self.items.append(AskItem("capital", self.said(m), value))
            self.claim(m.start(), m.end())

    # -- words ----------------------------------------------------------------------------
    def words(self) -> None:
        for pattern, method in P.METHODS:
            for m in pattern.finditer(self.view()):
                self.items.append(AskItem("method", self.said(m), method))
                self.claim(m.start(), m.end())
        for pattern in P.FREQUENCIES:
            for m in pattern.finditer(self.view()):
                found = m.groupdict()
                if found.get("never"):
                    value: Any = "never"
                elif found.get("n"):
                    value = int(found["n"])
                else:
                    value = P.FREQUENCY_WORDS[found["f"]]
                self.items.append(AskItem("frequency", self.said(m), value))
                self.claim(m.start(), m.end())
        for m, count in holdings_said(self.view()):  # "a portfolio of 5 stocks"
            self.items.append(AskItem("holdings", self.said(m), count))
            self.claim(m.start(), m.end())
        if (state := market_state_asked(self.view())) is not None:
            self.claim(state.start(), state.end())  # today's market, no scenario
        for pattern in P.SCENARIOS:
            for m in pattern.finditer(self.view()):
                for group in ("s", "t"):
                    if group in m.re.groupindex and m.group(group):
                        self.items.append(
                            AskItem("scenario", self.said(m), _scenario(m.group(group)))
                        )
                self.claim(m.start(), m.end())
        for m in P.WHOLE_UNIVERSE.finditer(self.view()):
            self.items.append(AskItem("universe_all", self.said(m)))
            self.claim(m.start(), m.end())

    def settle_every(self) -> None:
        """The limits said of a list of every ticker named: on every asset ("hrp of aapl, msft
        and ko capped at 40%"), unless the message names a group to work on, whose members
        the list names ("min vol of the health care stocks, at most 10% in JNJ and PFE"), or
        all stocks ("all stocks ex-energy, at least 5% in AAPL and AMD")."""
        view = self.view()
        group = any(item.kind == "universe_all" for item in self.items) or any(
            s.kind == "group" and not (s.in_limit or self.excluded(s) or _saved_name(view, s))
            for s in self.subjects.values()
        )
        for bound, said, value, subjects in self.every:
            if group:
                self._subject_limit(subjects, bound, value, said)
            else:
                self.items.append(AskItem(bound, said, value))

    def subject_items(self) -> None:
        view = self.view()
        found: dict[tuple[str, str], AskItem] = {}
        free_tickers = any(t.kind == "ticker" and not t.in_limit for t in self.subjects.values())
        for subject in sorted(self.subjects.values(), key=lambda s: s.start):
            if subject.kind == "group" and (
                subject.in_limit
                or _saved_name(view, subject)
                or (free_tickers and _describing(view, subject))
            ):
                continue
            excluded = (
                not subject.in_limit
                and bool(  # a name limited is one held
                    P.EXCLUDED_BEFORE.search(view[max(0, subject.start - 80) : subject.start])
                    or P.EXCLUDED_AFTER.search(view[subject.end : subject.end + 12])
                )
            )
            key = (subject.kind, subject.value)
            if key not in found or (excluded and not found[key].excluded):
                found[key] = AskItem(subject.kind, subject.text, subject.value, None, excluded)
        self.items += found.values()


def _describing(view: str, subject: _Subject) -> bool:
    """Whether a group term only describes tickers the message names ("save KO and PG as an
    idea: defensive staples"), not a universe ("of the staples", "tech plus JNJ")."""
    if "¤" not in view:
        return False
    before = view[max(0, subject.start - 30) : subject.start]
    return P.UNIVERSE_BEFORE.search(before) is None


def _saved_name(view: str, subject: _Subject) -> bool:
    """Whether a group term names a saved portfolio ("my Staples portfolio")."""
    return bool(
        P.MY_BEFORE.search(view[max(0, subject.start - 6) : subject.start])
        and P.PORTFOLIO_AFTER.match(view[subject.end :])
    )


def _reads_as_ticker(word: str) -> bool:
    """Whether a word that spells a known ticker is meant as one: capitals (but not "A" or
    "I"), or lower or title case that is not a common word."""
    if word.isupper():
        return word not in ("A", "I")
    return len(word) >= 2 and word.lower() not in STOPWORDS


def _shouting(text: str, tickers: frozenset[str]) -> bool:
    """Whether the message is mostly capitals (then capitalised words are not tickers): three
    or more of its words (of three letters or more, not tickers) and most of them."""
    words = [w for w in P.LONG_WORD.findall(text) if w.upper() not in tickers]
    upper = sum(w.isupper() for w in words)
    return upper >= 3 and upper > 0.6 * len(words)


def _scenario(said: str) -> str:
    said = said.lower()
    for prefix, name in (("high", "high_vol"), ("low", "low_vol"), ("base", "base"),
                         ("crash", "bear"), ("downturn", "bear"), ("sell", "bear"),
                         ("rally", "bull"), ("volatile", "high_vol")):  # fmt: skip
        if said.startswith(prefix):
            return name
    return said


@functools.lru_cache(maxsize=16)
def _whole_words(words: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """`words` longest first, each with its whole-word pattern (not inside a longer word, a
    hyphenation or an "&" name), compiled once per vocabulary, not per message."""
    ordered = sorted(words, key=len, reverse=True)
    return tuple(
        (w, patterns.compile(rf"(?<![\w&-]){re.escape(w)}(?![\w&-])")) for w in ordered
    )  # the vocabulary's words: the data's and the project's own


@remembered  # a thread's messages are read again on every turn: each is read once
def ask_items(message: str, vocab: Vocabulary, cited: str = "") -> list[AskItem]:
    """The items of `message`; numbers with decimals quoted back from `cited` are not items."""
    scan = _Scan(normalised(message), vocab)
    scan.names()
    scan.windows()
    scan.numbers(cited)
    scan.words()
    scan.settle_every()
    scan.subject_items()
    unique: dict[tuple[str, str, str, str | None], AskItem] = {}
    for item in scan.items:
        unique.setdefault((item.kind, item.text, repr(item.value), item.subject), item)
    return list(unique.values())


__all__ = ["ITEM_KINDS", "AskItem", "ask_items", "normalised"]
